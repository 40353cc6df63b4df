// Package smtpsink is a real SMTP server on loopback that keeps what it
// accepts, for the mailer's tests and the benchmark of a wave: the mailer
// talks to it exactly as to a mail server. It can refuse addresses for
// good (5xx) or for a while (4xx), drop connections and go away.
package smtpsink

import (
	"errors"
	"io"
	"net"
	"strconv"
	"sync"
	"time"

	smtp "github.com/emersion/go-smtp"
)

// Sink is the server. Its zero value is not usable: call Start.
type Sink struct {
	addr string
	now  func() time.Time // stamps each message

	mu        sync.Mutex
	srv       *smtp.Server
	msgs      []Message
	permanent map[string]bool // recipients refused with 550
	temporary map[string]int  // recipients refused with 451 this many more times
	// goneAfter, when set, makes the server go away at the next MAIL FROM
	// once this many messages are in: it drops the connection and stops
	// listening, as a mail server that is shut down between messages.
	goneAfter int
	onMessage func(n int)
	// cut is a recipient at whose RCPT TO the connection drops, every
	// time; cuts counts those times.
	cut       string
	cuts      int
	onConnect func()
}

// Message is one message the sink accepted.
type Message struct {
	From string // the envelope sender (MAIL FROM), where bounces go
	To   string
	Data string
	At   time.Time
}

// Start listens on addr ("127.0.0.1:0" for a free port); now stamps the
// messages (nil: time.Now).
func Start(addr string, now func() time.Time) (*Sink, error) {
	if now == nil {
		now = time.Now
	}
	k := &Sink{now: now, permanent: map[string]bool{}, temporary: map[string]int{}}
	if err := k.listen(addr); err != nil {
		return nil, err
	}
	return k, nil
}

// Restart brings a stopped sink back at the address it had.
func (k *Sink) Restart() error { return k.listen(k.addr) }

func (k *Sink) listen(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		k.mu.Lock()
		hook := k.onConnect
		k.mu.Unlock()
		if hook != nil {
			hook()
		}
		return &session{k: k, conn: c}, nil
	}))
	srv.Domain, srv.AllowInsecureAuth = "localhost", true
	k.mu.Lock()
	k.srv, k.addr = srv, ln.Addr().String()
	k.mu.Unlock()
	go func() { _ = srv.Serve(ln) }()
	return nil
}

// Stop closes the listener and every connection.
func (k *Sink) Stop() {
	k.mu.Lock()
	srv := k.srv
	k.mu.Unlock()
	_ = srv.Close()
}

// Port is the port the sink listens on.
func (k *Sink) Port() int {
	_, p, _ := net.SplitHostPort(k.addr)
	n, _ := strconv.Atoi(p)
	return n
}

// Received is every message accepted so far, in order.
func (k *Sink) Received() []Message {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]Message(nil), k.msgs...)
}

// Count is how many messages were accepted so far.
func (k *Sink) Count() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.msgs)
}

// Refuse refuses to, for good (550), when tries is 0; else for the next
// tries attempts (451).
func (k *Sink) Refuse(to string, tries int) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if tries == 0 {
		k.permanent[to] = true
	} else {
		k.temporary[to] = tries
	}
}

// GoAwayAfter makes the sink stop at the next MAIL FROM once n messages
// are in, dropping that connection.
func (k *Sink) GoAwayAfter(n int) { k.mu.Lock(); k.goneAfter = n; k.mu.Unlock() }

// OnMessage runs fn after each accepted message with the count so far
// (nil: nothing).
func (k *Sink) OnMessage(fn func(n int)) { k.mu.Lock(); k.onMessage = fn; k.mu.Unlock() }

// OnConnect runs fn when a client greets the sink, before it is answered.
func (k *Sink) OnConnect(fn func()) { k.mu.Lock(); k.onConnect = fn; k.mu.Unlock() }

// Cut drops the connection at every RCPT TO of to.
func (k *Sink) Cut(to string) { k.mu.Lock(); k.cut = to; k.mu.Unlock() }

// Cuts is how many connections Cut dropped.
func (k *Sink) Cuts() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.cuts
}

type session struct {
	k        *Sink
	conn     *smtp.Conn
	from, to string
}

func (s *session) Reset()        { s.from, s.to = "", "" }
func (s *session) Logout() error { return nil }

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	s.from = from
	k := s.k
	k.mu.Lock()
	gone := k.goneAfter > 0 && len(k.msgs) >= k.goneAfter
	if gone {
		k.goneAfter = 0
	}
	k.mu.Unlock()
	if gone {
		go k.Stop()
		_ = s.conn.Conn().Close()
		return errors.New("gone")
	}
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	k := s.k
	k.mu.Lock()
	defer k.mu.Unlock()
	if to == k.cut {
		k.cuts++
		_ = s.conn.Conn().Close()
		return errors.New("cut")
	}
	if k.permanent[to] {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such mailbox"}
	}
	if k.temporary[to] > 0 {
		k.temporary[to]--
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	}
	s.to = to
	return nil
}

func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	k := s.k
	k.mu.Lock()
	k.msgs = append(k.msgs, Message{From: s.from, To: s.to, Data: string(b), At: k.now()})
	n, hook := len(k.msgs), k.onMessage
	k.mu.Unlock()
	if hook != nil {
		hook(n)
	}
	return nil
}

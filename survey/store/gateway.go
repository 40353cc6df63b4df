package store

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
)

// gateway is the address clients of a shared embedded FerretDB (`canvass
// store`) reach: it passes
// each client connection's messages to FerretDB over a connection of its
// own, and lets at most a fixed number of commands that reach the backend
// run at once.
//
// Why: FerretDB 1.24 applies an update (and a delete, and findAndModify)
// by opening a query on one backend connection and, with that query still
// open, writing in a transaction on a second connection from the same pool.
// When as many updates arrive at once as the pool has connections — three
// instances' queued requests the moment a restarted store is back — each
// holds one connection and waits for a second, forever: the store never
// answers again (the drill found it on PostgreSQL, whose pool is 50; the
// SQLite pool is 100). With at most a third of the pool's connections
// taken by commands, every command can get its second connection; the
// other third is for the cursors clients leave open between batches.
// The process that runs an unshared store caps its driver's pool at as
// many instead (Open). TestOutlastsUpdateBurst floods a shared store with
// three instances' updates and checks that it still answers.
type gateway struct {
	ln       net.Listener
	upstream string // FerretDB's own listener
	slots    chan struct{}
	logger   *slog.Logger

	mu    sync.Mutex
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

// startGateway listens on addr and serves until close.
func startGateway(addr, upstream string, slots int, logger *slog.Logger) (*gateway, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("embedded store: listen: %w", err)
	}
	g := &gateway{ln: ln, upstream: upstream, slots: make(chan struct{}, slots), logger: logger, conns: map[net.Conn]struct{}{}}
	g.wg.Add(1)
	go g.accept()
	return g, nil
}

func (g *gateway) accept() {
	defer g.wg.Done()
	for {
		c, err := g.ln.Accept()
		if err != nil {
			return // closed
		}
		if !g.track(c) {
			c.Close()
			return
		}
		g.wg.Add(1)
		go func() {
			defer g.wg.Done()
			defer g.untrack(c)
			g.serve(c)
		}()
	}
}

// track remembers an open connection so that close can end it; false once
// the gateway is closing.
func (g *gateway) track(c net.Conn) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.conns == nil {
		return false
	}
	g.conns[c] = struct{}{}
	return true
}

func (g *gateway) untrack(c net.Conn) {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.conns, c)
	c.Close()
}

// serve relays one client connection. FerretDB answers every request with
// exactly one reply (it has no exhaust cursors or streaming hello), so the
// relay is request, reply, in turn.
func (g *gateway) serve(client net.Conn) {
	server, err := net.Dial("tcp", g.upstream)
	if err != nil {
		g.logger.Warn("store: reach FerretDB", "err", err)
		return
	}
	if !g.track(server) {
		server.Close()
		return
	}
	defer g.untrack(server)
	fromClient, fromServer := bufio.NewReader(client), bufio.NewReader(server)
	var request, reply []byte
	for {
		if request, err = readMessage(fromClient, request); err != nil {
			return
		}
		gated := reachesBackend(request)
		if gated {
			g.slots <- struct{}{}
		}
		_, err = server.Write(request)
		if err == nil {
			reply, err = readMessage(fromServer, reply)
		}
		if gated {
			<-g.slots
		}
		if err != nil {
			return
		}
		if _, err := client.Write(reply); err != nil {
			return
		}
	}
}

// close stops listening, ends every connection and waits for the relays.
func (g *gateway) close() {
	g.ln.Close()
	g.mu.Lock()
	for c := range g.conns {
		c.Close()
	}
	g.conns = nil
	g.mu.Unlock()
	g.wg.Wait()
}

// maxMessage is MongoDB's maxMessageSizeBytes: no driver sends more.
const maxMessage = 48_000_000

// readMessage reads one wire-protocol message (its length is its first four
// bytes, little-endian, header included) into buf's storage.
func readMessage(r io.Reader, buf []byte) ([]byte, error) {
	var length [4]byte
	if _, err := io.ReadFull(r, length[:]); err != nil {
		return buf, err
	}
	n := int(binary.LittleEndian.Uint32(length[:]))
	if n < headerLen || n > maxMessage {
		return buf, fmt.Errorf("store: wire message of %d bytes", n)
	}
	if cap(buf) < n {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	copy(buf, length[:])
	if _, err := io.ReadFull(r, buf[4:]); err != nil {
		return buf, err
	}
	return buf, nil
}

const (
	headerLen   = 16 // length, request id, response to, op code
	opMsg       = 2013
	opQuery     = 2004 // only the driver's first handshake uses it
	msgFlagsLen = 4
)

// answeredWithoutBackend are the commands FerretDB answers from memory:
// letting them past the gate keeps the driver's heartbeats and the
// instances' readiness pings prompt while commands queue.
var answeredWithoutBackend = map[string]bool{
	"hello": true, "isMaster": true, "ismaster": true, "ping": true,
	"buildInfo": true, "buildinfo": true, "saslStart": true, "saslContinue": true, "endSessions": true,
}

// reachesBackend reports whether a message may use the backend's
// connections: every message but a handshake or a command named in
// answeredWithoutBackend. A message it cannot read is treated as one that
// may, and FerretDB answers it as it would any malformed message.
func reachesBackend(msg []byte) bool {
	if len(msg) < headerLen {
		return true
	}
	switch binary.LittleEndian.Uint32(msg[12:16]) {
	case opQuery:
		return false
	case opMsg:
		name, err := commandName(msg[headerLen:])
		return err != nil || !answeredWithoutBackend[name]
	}
	return true
}

// commandName is the first key of an OP_MSG's body section (kind 0): the
// command's name. Document sequences (kind 1) before it are skipped.
func commandName(msg []byte) (string, error) {
	if len(msg) < msgFlagsLen {
		return "", errors.New("no flags")
	}
	sections := msg[msgFlagsLen:]
	for len(sections) > 0 {
		kind, rest := sections[0], sections[1:]
		if len(rest) < 4 {
			return "", errors.New("section without a length")
		}
		size := int(binary.LittleEndian.Uint32(rest))
		switch kind {
		case 0:
			// int32 length, then the first element: type byte, key, NUL.
			if size < 5 || len(rest) < 5 || rest[4] == 0 {
				return "", errors.New("empty body")
			}
			key := rest[5:]
			end := bytes.IndexByte(key, 0)
			if end < 0 {
				return "", errors.New("unterminated key")
			}
			return string(key[:end]), nil
		case 1:
			if size < 4 || size > len(rest) {
				return "", errors.New("document sequence overruns the message")
			}
			sections = rest[size:]
		default:
			return "", fmt.Errorf("section kind %d", kind)
		}
	}
	return "", errors.New("no body section")
}

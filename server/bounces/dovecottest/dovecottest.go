// Package dovecottest runs a throwaway Dovecot from Debian's package for
// tests of the bounce mailbox: on a free loopback port, with one user whose
// maildir is in a new directory, and the delivery-status notifications of
// real mail servers to put in it. The bounce reader's tests and the
// service's test of the scheduled poll share it.
package dovecottest

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/canvass-survey/canvass/server/config"
)

// Server is a Dovecot run as its own process until the test ends.
type Server struct {
	// Config reaches the mailbox: INBOX is read, what is recorded is moved
	// to Processed.
	Config config.Bounces

	bin, dir, home string
	uid, gid       int
	cmd            *exec.Cmd
}

// Start runs Dovecot until t ends. As root, the mail user is nobody:
// Dovecot refuses mail access as root.
func Start(t testing.TB) *Server {
	t.Helper()
	bin, err := exec.LookPath("dovecot")
	if err != nil {
		if bin, err = exec.LookPath("/usr/sbin/dovecot"); err != nil {
			t.Fatal("Dovecot is not installed: apt-get install dovecot-imapd (make deps does)")
		}
	}
	// Not t.TempDir: the mail user must reach its home through it.
	dir, err := os.MkdirTemp("", "canvass-dovecot-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	d := &Server{bin: bin, dir: dir, home: filepath.Join(dir, "home"), uid: os.Getuid(), gid: os.Getgid()}
	if d.uid == 0 {
		d.uid, d.gid = 65534, 65534
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(d.home, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(d.home, d.uid, d.gid); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	users := fmt.Sprintf("bounces:{PLAIN}imap-secret:%d:%d::%s::\n", d.uid, d.gid, d.home)
	conf := fmt.Sprintf(`base_dir = %[1]s/run
state_dir = %[1]s/state
log_path = %[1]s/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
mail_location = maildir:~/Maildir
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%%u %[1]s/users
}
userdb {
  driver = passwd-file
  args = username_format=%%u %[1]s/users
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = %[2]d
  }
  inet_listener imaps {
    port = 0
  }
}
namespace inbox {
  inbox = yes
  separator = /
}
`, dir, port)
	for name, content := range map[string]string{"users": users, "dovecot.conf": conf} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	d.Config = config.Bounces{Host: "127.0.0.1", Port: port, TLS: "none", User: "bounces", Password: "imap-secret",
		Folder: "INBOX", MoveTo: "Processed", Poll: time.Minute}
	t.Cleanup(d.stop)
	d.Restart(t)
	return d
}

// Addr is where Dovecot listens for IMAP.
func (d *Server) Addr() string { return net.JoinHostPort(d.Config.Host, strconv.Itoa(d.Config.Port)) }

// Stop stops Dovecot, as a mail server that goes down; the mailbox stays.
func (d *Server) Stop(t testing.TB) {
	t.Helper()
	d.stop()
	if c, err := net.DialTimeout("tcp", d.Addr(), time.Second); err == nil {
		c.Close()
		t.Fatalf("Dovecot still listens on %s once stopped", d.Addr())
	}
}

func (d *Server) stop() {
	if d.cmd == nil {
		return
	}
	_ = syscall.Kill(-d.cmd.Process.Pid, syscall.SIGTERM) // its children stop with it
	_ = d.cmd.Wait()
	d.cmd = nil
}

// Restart starts Dovecot again, on the same port and mailbox, once it
// listens. Start calls it first.
func (d *Server) Restart(t testing.TB) {
	t.Helper()
	if d.cmd != nil {
		t.Fatal("Dovecot is running")
	}
	cmd := exec.Command(d.bin, "-F", "-c", filepath.Join(d.dir, "dovecot.conf"))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // its children stop with it
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	d.cmd = cmd
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if c, err := net.Dial("tcp", d.Addr()); err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(d.dir, "dovecot.log"))
			t.Fatalf("Dovecot did not listen on %s:\n%s", d.Addr(), log)
		}
	}
}

// Client logs in as the mailbox's user, as a person's mail program would.
func (d *Server) Client(t testing.TB) *imapclient.Client {
	t.Helper()
	c, err := imapclient.DialInsecure(d.Addr(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Login(d.Config.User, d.Config.Password).Wait(); err != nil {
		t.Fatal(err)
	}
	return c
}

// Deliver puts a message into INBOX over IMAP, unread, as the mail server
// delivers a bounce.
func (d *Server) Deliver(t testing.TB, msg string) {
	t.Helper()
	c := d.Client(t)
	msg = crlf(msg)
	cmd := c.Append("INBOX", int64(len(msg)), nil)
	if _, err := io.WriteString(cmd, msg); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
}

// DeliverToMaildir puts a message into INBOX as the mail server's local
// delivery agent does — a file in the maildir's new/ — which needs no
// IMAP, so that mail can arrive while Dovecot is stopped.
func (d *Server) DeliverToMaildir(t testing.TB, msg string) {
	t.Helper()
	maildir := filepath.Join(d.home, "Maildir")
	for _, sub := range []string{"", "cur", "new", "tmp"} {
		p := filepath.Join(maildir, sub)
		if err := os.Mkdir(p, 0o700); err != nil && !os.IsExist(err) {
			t.Fatal(err)
		}
		if err := os.Chown(p, d.uid, d.gid); err != nil {
			t.Fatal(err)
		}
	}
	name := fmt.Sprintf("%d.M%dP%d.canvass-test", time.Now().Unix(), time.Now().Nanosecond(), os.Getpid())
	tmp := filepath.Join(maildir, "tmp", name)
	if err := os.WriteFile(tmp, []byte(crlf(msg)), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(tmp, d.uid, d.gid); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(maildir, "new", name)); err != nil {
		t.Fatal(err)
	}
}

func crlf(msg string) string {
	return strings.ReplaceAll(strings.ReplaceAll(msg, "\r\n", "\n"), "\n", "\r\n")
}

// Sample is a real mail server's notification from
// server/bounces/dsn/testdata (postfix-bounce.eml, exchange-bounce.eml,
// postfix-delayed.eml, unmatched-bounce.eml, out-of-office.eml), with
// each old string of replace, as in strings.NewReplacer, replaced.
func Sample(t testing.TB, name string, replace ...string) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("dovecottest: where is this file?")
	}
	b, err := os.ReadFile(filepath.Join(filepath.Dir(file), "..", "dsn", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return strings.NewReplacer(replace...).Replace(string(b))
}

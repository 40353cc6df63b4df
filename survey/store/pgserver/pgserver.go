// Package pgserver starts a throwaway PostgreSQL from Debian's packages, on
// loopback with its files in a directory, for the tests and the drill that
// run FerretDB over PostgreSQL: the second store several instances can
// share. It is not for production, where PostgreSQL is run by its operator.
package pgserver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
	"time"
)

// Server is a running PostgreSQL.
type Server struct {
	URL string // for FerretDB: postgres://canvass@127.0.0.1:PORT/postgres

	dir  string
	cmd  *exec.Cmd
	done chan error
}

// BinDir is where Debian installs the newest PostgreSQL's server programs;
// an error says how to install them.
func BinDir() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(dirs, func(a, b string) int { return version(b) - version(a) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "postgres")); err == nil {
			return d, nil
		}
	}
	return "", errors.New("pgserver: PostgreSQL is not installed: apt-get install postgresql (make deps does)")
}

func version(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

// Start makes a new cluster in a new directory under the system's
// temporary one (a test's own directory is closed to other users) and runs
// it on a free loopback port until Stop, which removes it. PostgreSQL
// refuses to run as root, so as root it runs as the postgres user the
// Debian package creates.
func Start(ctx context.Context) (*Server, error) {
	bin, err := BinDir()
	if err != nil {
		return nil, err
	}
	cred, err := unprivileged()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "canvass-pg-")
	if err != nil {
		return nil, err
	}
	s, err := start(ctx, bin, dir, cred)
	if err != nil {
		os.RemoveAll(dir)
	}
	return s, err
}

func start(ctx context.Context, bin, dir string, cred *syscall.Credential) (*Server, error) {
	data := filepath.Join(dir, "pgdata")
	if err := os.MkdirAll(data, 0o700); err != nil {
		return nil, err
	}
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			return nil, err
		}
		if err := os.Chown(data, int(cred.Uid), int(cred.Gid)); err != nil {
			return nil, err
		}
	}
	initdb := exec.CommandContext(ctx, filepath.Join(bin, "initdb"), "-D", data, "-U", "canvass", "--auth=trust", "-E", "UTF8", "--no-sync")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("pgserver: initdb: %v: %s", err, out)
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(filepath.Join(bin, "postgres"), "-D", data, "-p", strconv.Itoa(port),
		"-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="+dir, "-c", "max_connections=300")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	log, err := os.Create(filepath.Join(dir, "postgres.log"))
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		log.Close()
		return nil, fmt.Errorf("pgserver: %w", err)
	}
	s := &Server{URL: fmt.Sprintf("postgres://canvass@127.0.0.1:%d/postgres", port), dir: dir, cmd: cmd, done: make(chan error, 1)}
	go func() { s.done <- cmd.Wait(); log.Close() }()
	if err := s.awaitReady(ctx, bin, port); err != nil {
		logged, _ := os.ReadFile(filepath.Join(dir, "postgres.log"))
		s.shutdown()
		return nil, fmt.Errorf("%w; its log:\n%s", err, logged)
	}
	return s, nil
}

// awaitReady polls pg_isready until the server accepts connections.
func (s *Server) awaitReady(ctx context.Context, bin string, port int) error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if exec.CommandContext(ctx, filepath.Join(bin, "pg_isready"), "-q", "-h", "127.0.0.1", "-p", strconv.Itoa(port)).Run() == nil {
			return nil
		}
		select {
		case err := <-s.done:
			s.done <- err
			return fmt.Errorf("pgserver: postgres exited: %v", err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return errors.New("pgserver: postgres not ready after 30 s")
}

// Stop shuts the server down (a fast shutdown: open sessions are ended),
// waits for it and removes its files.
func (s *Server) Stop() {
	s.shutdown()
	os.RemoveAll(s.dir)
}

func (s *Server) shutdown() {
	_ = s.cmd.Process.Signal(syscall.SIGINT)
	select {
	case err := <-s.done:
		s.done <- err
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
	}
}

// unprivileged is the postgres user's credential when running as root, nil
// otherwise.
func unprivileged() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("pgserver: running as root needs the postgres user of Debian's package: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

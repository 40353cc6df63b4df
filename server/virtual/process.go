package virtual

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Process is a command of the binary under test running as a child: what
// it logs on standard error goes to a file, and its standard output is
// read up to the line that says it serves.
type Process struct {
	cmd  *exec.Cmd
	log  string
	done chan error
}

// Start runs exe with args, env added to this process's environment and
// standard error appended to the file log, and returns once the command
// prints a line that starts with ready, with that line.
func Start(exe string, args, env []string, log, ready string) (*Process, string, error) {
	logFile, err := os.OpenFile(log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, "", err
	}
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = logFile
	stdout, err := cmd.StdoutPipe()
	if err == nil {
		err = cmd.Start()
	}
	if err != nil {
		logFile.Close()
		return nil, "", err
	}
	p := &Process{cmd: cmd, log: log, done: make(chan error, 1)}
	lines, line := bufio.NewScanner(stdout), ""
	for line == "" && lines.Scan() {
		if strings.HasPrefix(lines.Text(), ready) {
			line = lines.Text()
		}
	}
	go func() {
		_, _ = io.Copy(io.Discard, stdout)
		p.done <- cmd.Wait()
		logFile.Close()
	}()
	if line == "" {
		err := <-p.done
		return nil, "", fmt.Errorf("%s %s did not start (%v): %s", filepath.Base(exe), args[0], err, p.LogTail())
	}
	return p, line, nil
}

// Serve starts `exe serve` with env, logging into dir/serve.log, and
// returns it with the URL it serves on.
func Serve(exe, dir string, env []string) (*Process, string, error) {
	p, line, err := Start(exe, []string{"serve"}, env, filepath.Join(dir, "serve.log"), "canvass: serving")
	if err != nil {
		return nil, "", err
	}
	return p, line[strings.LastIndex(line, " on ")+len(" on "):], nil
}

// Pid is the process's id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Stop sends sig and waits for the process to end, killing it if it has
// not within a minute; it returns how the process ended.
func (p *Process) Stop(sig os.Signal) error {
	if err := p.cmd.Process.Signal(sig); err != nil {
		return err
	}
	select {
	case err := <-p.done:
		return err
	case <-time.After(time.Minute):
		_ = p.cmd.Process.Kill()
		<-p.done
		return fmt.Errorf("it did not stop within a minute of %v", sig)
	}
}

// LogTail is the end of the process's log, for an error message.
func (p *Process) LogTail() string {
	b, _ := os.ReadFile(p.log)
	return LastLines(string(b), 3)
}

// LastLines is the last n lines of s, on one line.
func LastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], " | ")
}

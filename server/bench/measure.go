package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/canvass-survey/canvass/server/virtual"
)

// cost is one command's cost: wall time and its peak resident memory.
type cost struct {
	Wall    time.Duration
	PeakMiB float64
}

// timed runs a command with env added to this process's environment,
// its standard output to stdout (nil: discarded), and measures it. A
// failure carries the end of what it printed on standard error.
func timed(ctx context.Context, env []string, stdout io.Writer, name string, args ...string) (cost, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout = stdout
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return cost{}, err
	}
	done := make(chan struct{})
	peak := make(chan float64)
	go func() { peak <- watchPeak(cmd.Process.Pid, done) }()
	err := cmd.Wait()
	c := cost{Wall: time.Since(start)}
	close(done)
	c.PeakMiB = <-peak
	if err != nil {
		return c, fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, virtual.LastLines(stderr.String(), 3))
	}
	return c, nil
}

// watchPeak reads the process's resident peak (VmHWM) until done, and
// returns the last it read, in MiB. The kernel's rusage cannot be used:
// os/exec starts a child sharing this process's memory until it execs,
// and Linux carries that memory's peak into the child's ru_maxrss, so
// every child would seem as large as this benchmark.
func watchPeak(pid int, done <-chan struct{}) float64 {
	path := fmt.Sprintf("/proc/%d/status", pid)
	peak := 0.0
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if status, err := os.ReadFile(path); err == nil {
			for _, line := range strings.Split(string(status), "\n") {
				if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
					kib, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
					peak = max(peak, kib/1024)
				}
			}
		}
		select {
		case <-done:
			return peak
		case <-tick.C:
		}
	}
}

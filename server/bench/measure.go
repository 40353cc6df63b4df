package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"
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
		return c, fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, lastLines(stderr.String(), 3))
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

// lastLines is the last n lines of s, on one line.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], " | ")
}

// latencies keeps request times for percentiles.
type latencies []time.Duration

// percentile is the p-quantile (nearest rank) in milliseconds; it sorts.
func (l latencies) percentile(p float64) float64 {
	if len(l) == 0 {
		return 0
	}
	slices.Sort(l)
	return float64(l[min(len(l)-1, int(p*float64(len(l))))]) / float64(time.Millisecond)
}

package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"time"
)

// cost is one command's cost: wall time and the kernel's count of its
// peak resident memory.
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
	err := cmd.Run()
	c := cost{Wall: time.Since(start)}
	if cmd.ProcessState != nil {
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			c.PeakMiB = float64(ru.Maxrss) / 1024 // Linux counts in KiB
		}
	}
	if err != nil {
		return c, fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, lastLines(stderr.String(), 3))
	}
	return c, nil
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

package drill

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"syscall"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// fault is one fault the drill injects once a share of the saves the load
// is expected to make has been acknowledged — mid-load, however fast the
// machine serves it — and once mail is going out, if it waits for mail.
type fault struct {
	share   float64
	mailing bool
	strike  func(ctx context.Context) (string, error)
}

// inject strikes the faults in turn and returns a line for each, saying
// what was done and when; the faults the load ended before are not struck,
// and a fault whose process could not be started again says so.
func (d *drill) inject(ctx context.Context, expectedSaves int) (lines []string, struck int) {
	faults := []fault{
		{0.2, true, d.killInstance},
		{0.45, false, d.stopStore("SIGTERM", syscall.SIGTERM)},
		{0.7, false, d.stopStore("SIGKILL", syscall.SIGKILL)},
	}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for _, f := range faults {
		for d.proxy.saves.Load() < int64(f.share*float64(expectedSaves)) || f.mailing && d.sink.Count() == 0 {
			select {
			case <-ctx.Done():
				return append(lines, fmt.Sprintf("%s  the load ended before %.0f%% of its saves: %d faults not struck", d.since(), 100*f.share, len(faults)-struck)), struck
			case <-tick.C:
			}
		}
		// A restart outlives the load if it must: the drill needs the process back.
		line, err := f.strike(context.WithoutCancel(ctx))
		if err != nil {
			// A process that did not come back leaves nothing to strike.
			return append(lines, line+": "+err.Error()), struck
		}
		struck++
		lines = append(lines, fmt.Sprintf("%s (at %.0f%% of the expected saves)", line, 100*f.share))
	}
	return lines, struck
}

// killInstance kills the instance that sends the mail, while it sends,
// where a crash puts most at risk, and starts it again on the same address.
func (d *drill) killInstance(ctx context.Context) (string, error) {
	victim, why := d.instances[0], "no instance held the mailer's lease"
	if pid, ok := d.mailerPid(ctx); ok {
		for _, m := range d.instances {
			if m.proc.Pid() == pid {
				victim, why = m, "the mailer's lease holder"
			}
		}
	}
	pid, at := victim.proc.Pid(), d.since()
	victim.stop(syscall.SIGKILL)
	time.Sleep(instanceDown)
	if err := victim.run(d.Exe); err != nil {
		return fmt.Sprintf("%s  SIGKILL %s (pid %d, %s); not started again", at, victim.name, pid, why), err
	}
	return fmt.Sprintf("%s  SIGKILL %s (pid %d, %s); started again %s later, serving at %s (pid %d)",
		at, victim.name, pid, why, instanceDown, d.since(), victim.proc.Pid()), nil
}

// mailerPid reads which process holds the mailer's lease: its holder is
// host/pid/random (store.NewLease).
func (d *drill) mailerPid(ctx context.Context) (int, bool) {
	client, err := mongo.Connect(options.Client().ApplyURI(d.storeURI).SetTimeout(5 * time.Second))
	if err != nil {
		return 0, false
	}
	defer client.Disconnect(ctx)
	var lease struct {
		Holder string `bson:"holder"`
	}
	if client.Database(database).Collection("leases").FindOne(ctx, bson.D{{Key: "_id", Value: "mailer"}}).Decode(&lease) != nil {
		return 0, false
	}
	parts := strings.Split(lease.Holder, "/")
	if len(parts) != 3 {
		return 0, false
	}
	pid, err := strconv.Atoi(parts[1])
	return pid, err == nil
}

// stopStore stops the store with sig, and starts it again on the same
// address and data once it has been down a while.
func (d *drill) stopStore(name string, sig syscall.Signal) func(context.Context) (string, error) {
	return func(context.Context) (string, error) {
		pid, at, t := d.store.proc.Pid(), d.since(), time.Now()
		how := "exit status 0"
		if err := d.store.proc.Stop(sig); err != nil {
			how = err.Error()
		}
		stopped := time.Since(t)
		d.store.proc = nil
		time.Sleep(storeDown)
		line := fmt.Sprintf("%s  %s the store (pid %d): ended in %.1f s (%s), down %s", at, name, pid, stopped.Seconds(), how, storeDown)
		if err := d.store.run(d.Exe); err != nil {
			return line + "; not started again", err
		}
		return fmt.Sprintf("%s, serving again at %s (pid %d)", line, d.since(), d.store.proc.Pid()), nil
	}
}

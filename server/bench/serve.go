package bench

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"

	"github.com/canvass-survey/canvass/server/virtual"
)

// service is a `canvass serve` process of the binary under test, on an
// embedded store in a data directory of its own, and a staff API key made
// through its API, as the research team would.
type service struct {
	*virtual.Team
	proc *virtual.Process
}

const (
	benchEmail    = "bench@canvass.example"
	benchDatabase = "canvass"
)

// ownStore are the settings that make a command of the binary under test
// use the default questionnaire on the embedded store in dir, whatever
// the environment configures.
func ownStore(dir string) []string {
	return []string{"CANVASS_DATA_DIR=" + dir, "CANVASS_DATABASE=" + benchDatabase, "MONGODB_URI=", "MONGODB_URI_FILE=", "CANVASS_INSTRUMENT="}
}

// startService starts exe serve on dir with env added to the settings the
// benchmark needs, waits until it serves, and logs in.
func startService(ctx context.Context, exe, dir string, env ...string) (*service, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	password := rand.Text()
	settings := append(ownStore(dir), "CANVASS_ADDR=127.0.0.1:0", "CANVASS_BASE_URL=", "CANVASS_SECRET="+rand.Text()+rand.Text(),
		"CANVASS_ADMIN_EMAIL="+benchEmail, "CANVASS_ADMIN_PASSWORD="+password, "CANVASS_NIGHTLY=off")
	// Request logs go to dir/serve.log: they are part of what serving costs.
	proc, base, err := virtual.Serve(exe, dir, append(settings, env...))
	if err != nil {
		return nil, err
	}
	s := &service{proc: proc}
	if s.Team, err = virtual.Login(ctx, base, benchEmail, password); err != nil {
		s.stop()
		return nil, err
	}
	return s, nil
}

// stop ends the service as SIGINT does in production: requests in flight
// finish and the store closes cleanly, so its files can be opened after.
func (s *service) stop() error {
	if err := s.proc.Stop(os.Interrupt); err != nil {
		return fmt.Errorf("canvass serve: %w: %s", err, s.proc.LogTail())
	}
	return nil
}

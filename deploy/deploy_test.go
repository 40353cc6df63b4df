// Package deploy holds no code: its tests check the deployment files with
// the tools that read them. Each skips only when its tool is absent; CI
// installs both (.ci/run).
package deploy

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
)

// compose is the Compose command here: Docker's `docker compose` plugin,
// else the standalone docker-compose (Debian's package; v1 reads the same
// file format). Neither needs a Docker daemon for `config`.
func compose(t *testing.T) []string {
	t.Helper()
	if exec.Command("docker", "compose", "version").Run() == nil {
		return []string{"docker", "compose"}
	}
	if _, err := exec.LookPath("docker-compose"); err == nil {
		return []string{"docker-compose"}
	}
	t.Skip("neither `docker compose` nor docker-compose is installed (apt-get install docker-compose)")
	return nil
}

// The compose file is valid, and after its anchors are merged every service
// has what the deployment depends on: a valid file can still be wrong, as
// when a service's own list replaces the anchor's (mongo1's secrets must
// repeat the key file).
func TestComposeConfig(t *testing.T) {
	cmd := compose(t)
	dir := t.TempDir() // the files alone, with stand-in secrets: no .env of a developer's is read
	for _, f := range []string{"docker-compose.yml", "mongo-init.js", "nginx-compose.conf"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "secrets"), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"mongo_keyfile", "mongo_root_password", "canvass_mongodb_uri", "canvass_secret", "smtp_password"} {
		if err := os.WriteFile(filepath.Join(dir, "secrets", s), []byte("stand-in\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	config := func(env ...string) ([]byte, error) {
		c := exec.Command(cmd[0], append(cmd[1:], "config")...)
		c.Dir = dir
		c.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir}, env...)
		return c.CombinedOutput()
	}
	if out, err := config(); err == nil || !strings.Contains(string(out), "set CANVASS_BASE_URL") {
		t.Errorf("without CANVASS_BASE_URL: %v\n%s", err, out)
	}
	out, err := config("CANVASS_BASE_URL=https://survey.example.org")
	if err != nil {
		t.Fatalf("%s config: %v\n%s", strings.Join(cmd, " "), err, out)
	}

	var got struct {
		Services map[string]struct {
			Command     []string
			Healthcheck map[string]any
			Environment map[string]string
			Secrets     []struct{ Source string }
			DependsOn   map[string]struct{ Condition string } `yaml:"depends_on"`
		}
	}
	if err := yaml.Unmarshal(out, &got); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	secrets := func(name string) []string {
		var s []string
		for _, x := range got.Services[name].Secrets {
			s = append(s, x.Source)
		}
		return s
	}
	for _, m := range []string{"mongo1", "mongo2", "mongo3"} {
		s := got.Services[m]
		if s.Healthcheck == nil || !slices.Contains(s.Command, "--keyFile") || !slices.Contains(s.Command, "rs0") || !slices.Contains(secrets(m), "mongo_keyfile") {
			t.Errorf("%s: %+v", m, s)
		}
		if got.Services["mongo-init"].DependsOn[m].Condition != "service_healthy" {
			t.Errorf("mongo-init does not wait for %s to be healthy", m)
		}
	}
	if !slices.Contains(secrets("mongo1"), "mongo_root_password") {
		t.Error("mongo1 lacks the root password")
	}
	for _, c := range []string{"canvass1", "canvass2"} {
		s := got.Services[c]
		if s.Environment["MONGODB_URI_FILE"] == "" || s.Environment["CANVASS_WRITE_CONCERN"] != "majority" || s.Environment["CANVASS_WRITE_JOURNAL"] != "true" || s.Environment["CANVASS_SECRET_FILE"] == "" || s.Environment["CANVASS_BASE_URL"] != "https://survey.example.org" ||
			!slices.Contains(secrets(c), "canvass_mongodb_uri") || !slices.Contains(secrets(c), "canvass_secret") ||
			s.DependsOn["mongo-init"].Condition != "service_completed_successfully" {
			t.Errorf("%s: %+v", c, s)
		}
		if _, ok := got.Services["proxy"].DependsOn[c]; !ok {
			t.Errorf("the proxy does not start after %s", c)
		}
	}
}

// The systemd units pass `systemd-analyze verify`: known directives with
// valid values, and commands that are executable. They are checked in a
// root of their own, with the system's units copied and stand-ins for the
// commands, so that nothing needs installing on this machine.
func TestSystemdUnitsVerify(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed (apt-get install systemd)")
	}
	root := t.TempDir()
	for _, d := range []string{"usr/lib/systemd", "usr/local/bin", "usr/bin", "bin", "etc/systemd/system"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := exec.Command("cp", "-a", "/usr/lib/systemd/system", filepath.Join(root, "usr/lib/systemd/")).CombinedOutput(); err != nil {
		t.Fatalf("copying the system's units: %v\n%s", err, out)
	}
	for _, cmd := range []string{"usr/local/bin/canvass", "bin/sh", "usr/bin/find"} {
		if err := os.WriteFile(filepath.Join(root, cmd), []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	units := []string{"canvass.service", "canvass-backup.service", "canvass-backup.timer"}
	var paths []string
	for _, u := range units {
		b, err := os.ReadFile(u)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, "etc/systemd/system", u), b, 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, "/etc/systemd/system/"+u)
	}
	// Any output is a finding: systemd only warns about an unknown directive.
	out, err := exec.Command(analyze, append([]string{"verify", "--root=" + root}, paths...)...).CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Errorf("systemd-analyze verify %s: %v\n%s", strings.Join(units, " "), err, out)
	}
}

package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func load(t *testing.T, env map[string]string) (Config, string, error) {
	t.Helper()
	if _, ok := env["CANVASS_DATA_DIR"]; !ok {
		env["CANVASS_DATA_DIR"] = t.TempDir()
	}
	return Load(func(k string) string { return env[k] })
}

func TestLoadDefaults(t *testing.T) {
	c, warning, err := load(t, map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:8080" || c.BaseURL != "http://127.0.0.1:8080" || c.Database != "canvass" || c.LogFormat != "text" ||
		c.ShutdownTimeout != 15*time.Second || c.SessionIdle != 30*time.Minute || c.SessionLifetime != 12*time.Hour ||
		c.SMTP.Port != 587 || c.SMTP.TLS != "starttls" || c.SMTP.Rate != 2 || c.MongoURI != "" || c.SMTP.VERP != "" ||
		c.Bounces != (Bounces{Port: 993, TLS: "tls", Folder: "INBOX", Poll: 5 * time.Minute}) {
		t.Errorf("defaults %+v", c)
	}
	if len(c.Secret) < minSecretLen || !strings.Contains(warning, "generated") {
		t.Errorf("secret %q, warning %q", c.Secret, warning)
	}
}

func TestLoadSecretKept(t *testing.T) {
	dir := t.TempDir()
	first, _, err := load(t, map[string]string{"CANVASS_DATA_DIR": dir})
	if err != nil {
		t.Fatal(err)
	}
	again, warning, err := load(t, map[string]string{"CANVASS_DATA_DIR": dir})
	if err != nil || string(again.Secret) != string(first.Secret) || !strings.Contains(warning, "using") {
		t.Errorf("second start: %q %q %v", again.Secret, warning, err)
	}
}

// Secrets, the MongoDB URI among them, may come from files.
func TestLoadFromFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	c, _, err := load(t, map[string]string{
		"MONGODB_URI_FILE":                  write("uri", "mongodb://u:p@db.example.org/?replicaSet=rs0\n"),
		"CANVASS_SECRET_FILE":               write("secret", strings.Repeat("k", 40)+"\n"),
		"CANVASS_ADMIN_EMAIL":               "pi@example.org",
		"CANVASS_ADMIN_PASSWORD_FILE":       write("pw", "  spaces kept inside  \r\n"),
		"CANVASS_SMTP_USERNAME":             "u",
		"CANVASS_SMTP_PASSWORD_FILE":        write("smtp", "hunter2\n"),
		"CANVASS_METRICS_TOKEN_FILE":        write("metrics", strings.Repeat("m", 32)+"\n"),
		"CANVASS_BOUNCE_IMAP_HOST":          "imap.example.org",
		"CANVASS_BOUNCE_IMAP_USER":          "bounces",
		"CANVASS_BOUNCE_IMAP_PASSWORD_FILE": write("imap", "imap-secret\n"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.MongoURI != "mongodb://u:p@db.example.org/?replicaSet=rs0" || string(c.Secret) != strings.Repeat("k", 40) ||
		c.AdminPassword != "  spaces kept inside  " || c.SMTP.Password != "hunter2" || c.MetricsToken != strings.Repeat("m", 32) ||
		c.Bounces.Password != "imap-secret" {
		t.Errorf("got %+v", c)
	}
	// A variable set directly wins over its file.
	c, _, err = load(t, map[string]string{"MONGODB_URI": "mongodb://direct", "MONGODB_URI_FILE": write("uri2", "mongodb://file")})
	if err != nil || c.MongoURI != "mongodb://direct" {
		t.Errorf("got %q, %v", c.MongoURI, err)
	}
}

// Each wrong setting is named; all are reported at once; no secret's value
// appears in a problem.
func TestLoadErrors(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"CANVASS_ADDR": "nonsense"}, `CANVASS_ADDR="nonsense": want host:port`},
		{map[string]string{"CANVASS_BASE_URL": "ftp://x"}, "CANVASS_BASE_URL"},
		{map[string]string{"CANVASS_SECRET": "short-secret-value"}, "CANVASS_SECRET: want at least 32"},
		{map[string]string{"CANVASS_METRICS_TOKEN": "short-secret-value"}, "CANVASS_METRICS_TOKEN: want at least 32"},
		{map[string]string{"MONGODB_URI": "http://user:hunter2@x"}, "MONGODB_URI: want a mongodb://"},
		{map[string]string{"MONGODB_URI_FILE": "/nonexistent/uri"}, "MONGODB_URI_FILE"},
		{map[string]string{"CANVASS_LOG_LEVEL": "loud"}, "CANVASS_LOG_LEVEL"},
		{map[string]string{"CANVASS_LOG_FORMAT": "xml"}, "CANVASS_LOG_FORMAT"},
		{map[string]string{"CANVASS_SESSION_IDLE": "-5s"}, "CANVASS_SESSION_IDLE"},
		{map[string]string{"CANVASS_TRUSTED_PROXIES": "10.0.0.0/8, nonsense"}, `"nonsense" is not a CIDR`},
		{map[string]string{"CANVASS_ADMIN_EMAIL": "pi@example.org"}, "go together"},
		{map[string]string{"CANVASS_SMTP_HOST": "mail.example.org"}, "CANVASS_SMTP_FROM"},
		{map[string]string{"CANVASS_SMTP_HOST": "mail.example.org", "CANVASS_SMTP_FROM": "s@example.org", "CANVASS_SMTP_TLS": "none"}, "loopback"},
		{map[string]string{"CANVASS_SMTP_TLS": "ssl"}, "CANVASS_SMTP_TLS"},
		{map[string]string{"CANVASS_SMTP_PORT": "99999"}, "CANVASS_SMTP_PORT"},
		{map[string]string{"CANVASS_MAIL_RATE": "0"}, "CANVASS_MAIL_RATE"},
		{map[string]string{"CANVASS_NIGHTLY": "at two"}, "CANVASS_NIGHTLY"},
		{map[string]string{"CANVASS_NIGHTLY": "0 2 30 2 *"}, "never comes round"},
		{map[string]string{"CANVASS_NIGHTLY_TZ": "Mars/Olympus"}, "CANVASS_NIGHTLY_TZ"},
		{map[string]string{"CANVASS_MAIL_RATE": "NaN"}, "CANVASS_MAIL_RATE"},
		{map[string]string{"CANVASS_SMTP_USERNAME": "u"}, "go together"},
		{map[string]string{"CANVASS_SMTP_USERNAME": "u", "CANVASS_SMTP_PASSWORD": "hunter2-secret", "CANVASS_SMTP_PORT": "x"}, "CANVASS_SMTP_PORT"},
		{map[string]string{"CANVASS_SMTP_VERP": "Bounces <bounces@example.org>"}, "CANVASS_SMTP_VERP"},
		{map[string]string{"CANVASS_SMTP_VERP": "bounces+x@example.org"}, "CANVASS_SMTP_VERP"},
		{map[string]string{"CANVASS_BOUNCE_IMAP_HOST": "imap.example.org"}, "needs CANVASS_BOUNCE_IMAP_USER"},
		{map[string]string{"CANVASS_BOUNCE_IMAP_HOST": "imap.example.org", "CANVASS_BOUNCE_IMAP_USER": "u", "CANVASS_BOUNCE_IMAP_PASSWORD": "hunter2", "CANVASS_BOUNCE_IMAP_TLS": "none"}, "loopback"},
		{map[string]string{"CANVASS_BOUNCE_IMAP_TLS": "ssl"}, "CANVASS_BOUNCE_IMAP_TLS"},
		{map[string]string{"CANVASS_BOUNCE_IMAP_PORT": "0"}, "CANVASS_BOUNCE_IMAP_PORT"},
		{map[string]string{"CANVASS_BOUNCE_POLL": "0s"}, "CANVASS_BOUNCE_POLL"},
	} {
		_, _, err := load(t, tc.env)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: got %v, want %q", tc.env, err, tc.want)
			continue
		}
		if strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "short-secret-value") {
			t.Errorf("a problem shows a secret: %v", err)
		}
	}
	_, _, err := load(t, map[string]string{"CANVASS_ADDR": "x", "CANVASS_LOG_LEVEL": "loud"})
	if err == nil || !strings.Contains(err.Error(), "CANVASS_ADDR") || !strings.Contains(err.Error(), "CANVASS_LOG_LEVEL") || strings.Contains(err.Error(), "CANVASS_BASE_URL") {
		t.Errorf("want both problems and only them at once: %v", err)
	}
	c, _, err := load(t, map[string]string{"CANVASS_SMTP_HOST": "127.0.0.1", "CANVASS_SMTP_FROM": "s@example.org", "CANVASS_SMTP_TLS": "none"})
	if err != nil || c.SMTP.Host != "127.0.0.1" {
		t.Errorf("a loopback mail server without TLS: %v", err)
	}
}

func TestSettingsHelp(t *testing.T) {
	var b strings.Builder
	PrintHelp(&b)
	for _, want := range []string{"MONGODB_URI / MONGODB_URI_FILE", "CANVASS_SECRET / CANVASS_SECRET_FILE", "default 127.0.0.1:8080", "default (empty)"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("help lacks %q:\n%s", want, b.String())
		}
	}
	if len(Settings()) != len(settings) {
		t.Error("Settings() does not list every setting")
	}
}

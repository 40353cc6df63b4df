package config

import (
	"strings"
	"testing"
)

// FuzzLoad sets a few variables to arbitrary values: loading never panics,
// and either gives a configuration or names each variable it refuses —
// never repeating a secret's value.
func FuzzLoad(f *testing.F) {
	f.Add("127.0.0.1:8080", "mongodb://x", "5m", "2", "s3cr3t-value-not-to-be-shown")
	f.Add("nonsense", "http://u:p@x", "-1s", "NaN", "short")
	f.Add("", "", "", "", "")
	f.Fuzz(func(t *testing.T, addr, uri, idle, rate, password string) {
		env := map[string]string{"CANVASS_ADDR": addr, "MONGODB_URI": uri, "CANVASS_SESSION_IDLE": idle,
			"CANVASS_MAIL_RATE": rate, "CANVASS_SMTP_USERNAME": "u", "CANVASS_SMTP_PASSWORD": password,
			"CANVASS_SECRET": strings.Repeat("k", 40), "CANVASS_DATA_DIR": t.TempDir()}
		load := func() (Config, error) {
			c, _, err := Load(func(k string) string { return env[k] })
			return c, err
		}
		c, err := load()
		if err == nil {
			if c.Addr == "" || c.SessionIdle <= 0 || !(c.SMTP.Rate > 0) {
				t.Fatalf("accepted a configuration that is not whole: %+v", c)
			}
			return
		}
		if !strings.HasPrefix(err.Error(), "configuration: ") || !strings.Contains(err.Error(), "CANVASS_") && !strings.Contains(err.Error(), "MONGODB_URI") {
			t.Fatalf("a problem that names no variable: %v", err)
		}
		// What is said may depend on whether the password is given, never
		// on what it is.
		if password != "" {
			env["CANVASS_SMTP_PASSWORD"] = "another password"
			if _, other := load(); other == nil || other.Error() != err.Error() {
				t.Fatalf("the problems depend on the SMTP password's value: %v, then %v", err, other)
			}
		}
		if len(uri) >= 12 && strings.Contains(uri, "@") && strings.Contains(err.Error(), uri) {
			t.Fatalf("a problem shows the MongoDB URI: %v", err)
		}
	})
}

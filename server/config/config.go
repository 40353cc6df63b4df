// Package config is the service's configuration: environment variables,
// each declared once in settings with its default, its meaning and how it
// is read, so that loading and `canvass serve --help` walk the same list.
// Everything is checked before anything starts, and every problem is
// reported at once, named by its variable; a secret's value never appears.
package config

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/canvass-survey/canvass/survey/store"
	"github.com/robfig/cron/v3"
)

// Config is the service's configuration.
type Config struct {
	Addr            string // host:port to listen on
	BaseURL         string // how respondents reach the service
	DataDir         string // the embedded store and the generated secret
	MongoURI        string // empty: the embedded store
	Database        string
	StoreTimeout    time.Duration
	Durability      store.Durability
	Instrument      string // a questionnaire file; empty: the default
	Secret          []byte // generated into DataDir when not given
	LogFormat       string // text or json
	LogLevel        slog.Level
	ShutdownTimeout time.Duration
	AdminEmail      string // the first PI, made when no user exists
	AdminPassword   string
	SessionIdle     time.Duration
	SessionLifetime time.Duration
	TrustedProxies  []*net.IPNet
	SMTP            SMTP
	Bounces         Bounces
	// NightlySpec is the nightly analysis's cron schedule, "" when off;
	// NightlyZone the zone it is read in, nil for the survey's.
	NightlySpec string
	NightlyZone *time.Location
	// MetricsToken lets a scraper read /metrics without a PI's login; empty: PIs only.
	MetricsToken string
}

// SMTP is how waves reach the mail server.
type SMTP struct {
	Host     string
	Port     int
	Username string
	Password string
	From     string
	TLS      string  // starttls, tls or none
	Rate     float64 // messages per second
	// VERP is the address whose local part, with "+" and an outbox entry's
	// id, becomes each message's envelope sender, so that a bounce names
	// its message; empty: the envelope sender is From.
	VERP string
}

// Domain is the domain of From, which Message-IDs end in.
func (c SMTP) Domain() string {
	a, err := mail.ParseAddress(c.From)
	if err != nil {
		return ""
	}
	return a.Address[strings.LastIndexByte(a.Address, '@')+1:]
}

// Mailbox names the bounce mailbox for the Waves page, "" for none.
func (b Bounces) Mailbox() string {
	if b.Host == "" {
		return ""
	}
	return b.User + "@" + net.JoinHostPort(b.Host, strconv.Itoa(b.Port)) + "/" + b.Folder
}

// Bounces is the mailbox delivery-status notifications are read from over
// IMAP; no Host: none is read.
type Bounces struct {
	Host     string
	Port     int
	TLS      string // tls, starttls or none
	User     string
	Password string
	Folder   string // read
	MoveTo   string // where read notifications go; empty: they stay, flagged \Seen
	Poll     time.Duration
}

// Server is host:port of the mail server that sends the waves, "" for none.
func (c SMTP) Server() string {
	if c.Host == "" {
		return ""
	}
	return net.JoinHostPort(c.Host, strconv.Itoa(c.Port))
}

// Setting is one environment variable as --help and the README show it.
type Setting struct {
	Name    string // with "NAME / NAME_FILE" for those that can come from a file
	Default string
	Meaning string
}

// setting is one environment variable, declared once.
type setting struct {
	name string
	// def is the value an unset variable takes; shown, when not empty, is
	// what --help says instead (for defaults that are not a value).
	def, shown, meaning string
	// file: NAME_FILE may name a file holding the value (secrets).
	// secret: the value is never repeated in a problem.
	file, secret bool
	// set reads the value into c; its error says what is wanted.
	set func(c *Config, v string) error
}

var settings = []setting{
	{name: "CANVASS_ADDR", def: "127.0.0.1:8080", meaning: "address to listen on", set: func(c *Config, v string) error {
		c.Addr = v // even when wrong, so the base URL's default is not wrong too
		if _, _, err := net.SplitHostPort(v); err != nil {
			return errors.New("want host:port")
		}
		return nil
	}},
	{name: "CANVASS_BASE_URL", shown: "http:// + CANVASS_ADDR", meaning: "public URL the personal links start with (set it behind a proxy)", set: func(c *Config, v string) error {
		if v == "" {
			v = "http://" + c.Addr
		}
		v = strings.TrimRight(v, "/")
		if u, err := url.Parse(v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return errors.New("want an absolute http or https URL")
		}
		c.BaseURL = v
		return nil
	}},
	{name: "CANVASS_DATA_DIR", def: "./data", meaning: "directory of the embedded store and of the generated secret", set: func(c *Config, v string) error {
		c.DataDir = v
		return nil
	}},
	{name: "MONGODB_URI", shown: "(empty)", file: true, secret: true, meaning: "MongoDB to use; empty starts the embedded FerretDB in the data directory", set: func(c *Config, v string) error {
		if v != "" && !strings.HasPrefix(v, "mongodb://") && !strings.HasPrefix(v, "mongodb+srv://") {
			return errors.New("want a mongodb:// or mongodb+srv:// URI")
		}
		c.MongoURI = v
		return nil
	}},
	{name: "CANVASS_DATABASE", def: "canvass", meaning: "database name", set: func(c *Config, v string) error {
		c.Database = v
		return nil
	}},
	{name: "CANVASS_STORE_TIMEOUT", def: "10s", meaning: "the longest any one call to the store may take before it fails as unavailable", set: duration(func(c *Config) *time.Duration { return &c.StoreTimeout })},
	{name: "CANVASS_WRITE_CONCERN", def: "majority", meaning: "when the store acknowledges a write: majority (of a replica set), or a number of members", set: func(c *Config, v string) error {
		if n, err := strconv.Atoi(v); v != "majority" && (err != nil || n < 1) {
			return errors.New("want majority or a number of members from 1")
		}
		c.Durability.W = v
		return nil
	}},
	{name: "CANVASS_WRITE_JOURNAL", def: "true", meaning: "whether those members must also have the write in their on-disk journal", set: func(c *Config, v string) error {
		j, err := strconv.ParseBool(v)
		if err != nil {
			return errors.New("want true or false")
		}
		c.Durability.Journal = j
		return nil
	}},
	{name: "CANVASS_INSTRUMENT", shown: "(the embedded default)", meaning: "questionnaire YAML file to serve instead of the default", set: func(c *Config, v string) error {
		c.Instrument = v
		return nil
	}},
	{name: "CANVASS_SECRET", shown: "generated into DATA_DIR/secret", file: true, secret: true, meaning: "at least 32 characters; keys the token hashes. Keep it: the personal links depend on it", set: func(c *Config, v string) error {
		if v != "" && len(v) < minSecretLen {
			return fmt.Errorf("want at least %d characters", minSecretLen)
		}
		c.Secret = []byte(v)
		return nil
	}},
	{name: "CANVASS_LOG_FORMAT", def: "text", meaning: "text or json", set: func(c *Config, v string) error {
		if v != "text" && v != "json" {
			return errors.New("want text or json")
		}
		c.LogFormat = v
		return nil
	}},
	{name: "CANVASS_LOG_LEVEL", def: "info", meaning: "debug, info, warn or error", set: func(c *Config, v string) error {
		if err := c.LogLevel.UnmarshalText([]byte(v)); err != nil {
			return errors.New("want debug, info, warn or error")
		}
		return nil
	}},
	{name: "CANVASS_SHUTDOWN_TIMEOUT", def: "15s", meaning: "how long requests in flight may take to finish on SIGINT/SIGTERM", set: duration(func(c *Config) *time.Duration { return &c.ShutdownTimeout })},
	{name: "CANVASS_ADMIN_EMAIL", shown: "(empty)", meaning: "the first PI's email, created at start-up when the store has no user", set: func(c *Config, v string) error {
		c.AdminEmail = v
		return nil
	}},
	{name: "CANVASS_ADMIN_PASSWORD", shown: "(empty)", file: true, secret: true, meaning: "the first PI's password (12 to 256 characters)", set: func(c *Config, v string) error {
		c.AdminPassword = v
		return nil
	}},
	{name: "CANVASS_SESSION_IDLE", def: "30m", meaning: "a login session ends after this long without a request", set: duration(func(c *Config) *time.Duration { return &c.SessionIdle })},
	{name: "CANVASS_SESSION_LIFETIME", def: "12h", meaning: "a login session ends this long after the login", set: duration(func(c *Config) *time.Duration { return &c.SessionLifetime })},
	{name: "CANVASS_TRUSTED_PROXIES", shown: "(empty)", meaning: "comma-separated CIDRs of reverse proxies whose X-Forwarded-For names the client", set: func(c *Config, v string) error {
		for _, cidr := range strings.Split(v, ",") {
			if cidr = strings.TrimSpace(cidr); cidr == "" {
				continue
			}
			_, n, err := net.ParseCIDR(cidr)
			if err != nil {
				return fmt.Errorf("%q is not a CIDR such as 10.0.0.0/8", cidr)
			}
			c.TrustedProxies = append(c.TrustedProxies, n)
		}
		return nil
	}},
	{name: "CANVASS_SMTP_HOST", shown: "(empty)", meaning: "mail server that sends the waves; empty: waves wait, nothing is sent", set: func(c *Config, v string) error {
		c.SMTP.Host = v
		return nil
	}},
	{name: "CANVASS_SMTP_PORT", def: "587", meaning: "mail server port", set: port(func(c *Config) *int { return &c.SMTP.Port })},
	{name: "CANVASS_SMTP_USERNAME", shown: "(empty)", meaning: "SMTP login; empty: no authentication", set: func(c *Config, v string) error {
		c.SMTP.Username = v
		return nil
	}},
	{name: "CANVASS_SMTP_PASSWORD", shown: "(empty)", file: true, secret: true, meaning: "SMTP password", set: func(c *Config, v string) error {
		c.SMTP.Password = v
		return nil
	}},
	{name: "CANVASS_SMTP_FROM", shown: "(required with CANVASS_SMTP_HOST)", meaning: "sender of the waves, e.g. Survey Team <survey@example.org>", set: func(c *Config, v string) error {
		c.SMTP.From = v
		return nil
	}},
	{name: "CANVASS_SMTP_TLS", def: "starttls", meaning: "starttls, tls (implicit, usually port 465) or none (only for a mail server on loopback)", set: func(c *Config, v string) error {
		if v != "starttls" && v != "tls" && v != "none" {
			return errors.New("want starttls, tls or none")
		}
		c.SMTP.TLS = v
		return nil
	}},
	{name: "CANVASS_NIGHTLY", def: "0 2 * * *", meaning: "when the nightly analysis runs: a cron schedule (minute hour day month weekday, or @daily and the like), or off", set: func(c *Config, v string) error {
		if v == "off" {
			return nil
		}
		sched, err := cron.ParseStandard(v)
		if err != nil {
			return fmt.Errorf("want a cron schedule such as \"0 2 * * *\" or off (%v)", err)
		}
		if sched.Next(time.Now()).IsZero() {
			return errors.New("this schedule never comes round (a date that does not exist, such as 30 February?)")
		}
		c.NightlySpec = v
		return nil
	}},
	{name: "CANVASS_NIGHTLY_TZ", shown: "(the survey's time zone)", meaning: "IANA time zone the nightly schedule is read in", set: func(c *Config, v string) error {
		if v == "" {
			return nil
		}
		loc, err := time.LoadLocation(v)
		if err != nil {
			return errors.New("want an IANA time zone such as America/Phoenix")
		}
		c.NightlyZone = loc
		return nil
	}},
	{name: "CANVASS_SMTP_VERP", shown: "(empty: off)", meaning: "a bounce address such as bounces@example.org: each message's envelope sender becomes bounces+<outbox entry>@example.org, so that a bounce names its message even when it quotes nothing of it", set: func(c *Config, v string) error {
		if a, err := mail.ParseAddress(v); v != "" && (err != nil || a.Name != "" || strings.Contains(a.Address, "+")) {
			return errors.New("want a plain address without a +, such as bounces@example.org")
		}
		c.SMTP.VERP = v
		return nil
	}},
	{name: "CANVASS_BOUNCE_IMAP_HOST", shown: "(empty: off)", meaning: "IMAP server of the mailbox bounces arrive in; Canvass reads its delivery-status notifications and marks the cases bounced", set: func(c *Config, v string) error {
		c.Bounces.Host = v
		return nil
	}},
	{name: "CANVASS_BOUNCE_IMAP_PORT", def: "993", meaning: "IMAP port", set: port(func(c *Config) *int { return &c.Bounces.Port })},
	{name: "CANVASS_BOUNCE_IMAP_TLS", def: "tls", meaning: "tls (implicit, usually port 993), starttls (usually 143) or none (only for a server on loopback)", set: func(c *Config, v string) error {
		if v != "starttls" && v != "tls" && v != "none" {
			return errors.New("want tls, starttls or none")
		}
		c.Bounces.TLS = v
		return nil
	}},
	{name: "CANVASS_BOUNCE_IMAP_USER", shown: "(required with CANVASS_BOUNCE_IMAP_HOST)", meaning: "IMAP login", set: func(c *Config, v string) error {
		c.Bounces.User = v
		return nil
	}},
	{name: "CANVASS_BOUNCE_IMAP_PASSWORD", shown: "(required with CANVASS_BOUNCE_IMAP_HOST)", file: true, secret: true, meaning: "IMAP password", set: func(c *Config, v string) error {
		c.Bounces.Password = v
		return nil
	}},
	{name: "CANVASS_BOUNCE_IMAP_FOLDER", def: "INBOX", meaning: "folder whose unread messages are read", set: func(c *Config, v string) error {
		c.Bounces.Folder = v
		return nil
	}},
	{name: "CANVASS_BOUNCE_IMAP_MOVE_TO", shown: "(empty)", meaning: "folder a notification that was recorded is moved to (made if missing); empty: it stays, marked read. Anything not recorded stays, marked read and flagged, for a person", set: func(c *Config, v string) error {
		c.Bounces.MoveTo = v
		return nil
	}},
	{name: "CANVASS_BOUNCE_POLL", def: "5m", meaning: "how often the bounce mailbox is read", set: duration(func(c *Config) *time.Duration { return &c.Bounces.Poll })},
	{name: "CANVASS_MAIL_RATE", def: "2", meaning: "messages per second at most", set: func(c *Config, v string) error {
		r, err := strconv.ParseFloat(v, 64)
		if err != nil || !(r > 0) || math.IsInf(r, 0) {
			return errors.New("want messages per second, more than 0, such as 2")
		}
		c.SMTP.Rate = r
		return nil
	}},
	{name: "CANVASS_METRICS_TOKEN", shown: "(empty: only PIs read /metrics)", file: true, secret: true, meaning: "at least 32 characters, no spaces; a Prometheus scraper sends it as Authorization: Bearer to read /metrics", set: func(c *Config, v string) error {
		if v != "" && (len(v) < minSecretLen || strings.ContainsAny(v, " \t\r\n")) {
			return fmt.Errorf("want at least %d characters and no spaces", minSecretLen)
		}
		c.MetricsToken = v
		return nil
	}},
}

const minSecretLen = 32

// Store is the store's configuration, for every command that opens it.
func (c Config) Store(logger *slog.Logger) store.Config {
	return store.Config{URI: c.MongoURI, DataDir: c.DataDir, Database: c.Database, Logger: logger, Timeout: c.StoreTimeout, Durability: c.Durability}
}

// duration sets a positive duration field.
func duration(field func(*Config) *time.Duration) func(*Config, string) error {
	return func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return errors.New("want a positive duration such as 30s, 15m or 2h")
		}
		*field(c) = d
		return nil
	}
}

// port sets a TCP port field.
func port(field func(*Config) *int) func(*Config, string) error {
	return func(c *Config, v string) error {
		p, err := strconv.Atoi(v)
		if err != nil || p < 1 || p > 65535 {
			return errors.New("want a port number")
		}
		*field(c) = p
		return nil
	}
}

// crossChecks are the rules between settings, run once each has been read.
var crossChecks = []func(c *Config) string{
	func(c *Config) string {
		if (c.AdminEmail == "") != (c.AdminPassword == "") {
			return "CANVASS_ADMIN_EMAIL and CANVASS_ADMIN_PASSWORD go together: set both or neither"
		}
		return ""
	},
	func(c *Config) string {
		if _, err := mail.ParseAddress(c.SMTP.From); c.SMTP.Host != "" && err != nil {
			return fmt.Sprintf("CANVASS_SMTP_FROM=%q: want an address such as Survey Team <survey@example.org>", c.SMTP.From)
		}
		return ""
	},
	func(c *Config) string {
		if c.SMTP.TLS == "none" && c.SMTP.Host != "" && !loopback(c.SMTP.Host) {
			return "CANVASS_SMTP_TLS=none: only for a mail server on loopback (localhost, 127.0.0.1, ::1); the password and the personal links would cross the network in the clear"
		}
		return ""
	},
	func(c *Config) string {
		if b := c.Bounces; b.Host != "" && (b.User == "" || b.Password == "") {
			return "CANVASS_BOUNCE_IMAP_HOST needs CANVASS_BOUNCE_IMAP_USER and CANVASS_BOUNCE_IMAP_PASSWORD"
		}
		return ""
	},
	func(c *Config) string {
		if b := c.Bounces; b.TLS == "none" && b.Host != "" && !loopback(b.Host) {
			return "CANVASS_BOUNCE_IMAP_TLS=none: only for an IMAP server on loopback (localhost, 127.0.0.1, ::1); the password would cross the network in the clear"
		}
		return ""
	},
	func(c *Config) string {
		if (c.SMTP.Username == "") != (c.SMTP.Password == "") {
			return "CANVASS_SMTP_USERNAME and CANVASS_SMTP_PASSWORD go together: set both or neither"
		}
		return ""
	},
}

// loopback reports whether host is this machine, where a connection
// without TLS crosses no network.
func loopback(host string) bool {
	ip := net.ParseIP(host)
	return host == "localhost" || (ip != nil && ip.IsLoopback())
}

// Settings lists every environment variable, for --help and the README.
func Settings() []Setting {
	out := make([]Setting, len(settings))
	for i, s := range settings {
		out[i] = Setting{Name: s.name, Default: s.def, Meaning: s.meaning}
		if s.file {
			out[i].Name += " / " + s.name + "_FILE"
		}
		if s.shown != "" {
			out[i].Default = s.shown
		}
	}
	return out
}

// PrintHelp writes the settings as --help shows them.
func PrintHelp(w io.Writer) {
	for _, s := range Settings() {
		fmt.Fprintf(w, "  %-38s default %s: %s\n", s.Name, s.Default, s.Meaning)
	}
}

// Load reads the configuration. secretWarning is set when the secret had
// to be generated or read from the data directory, which the caller logs.
func Load(getenv func(string) string) (cfg Config, secretWarning string, err error) {
	var problems []string
	for _, s := range settings {
		v, err := s.value(getenv)
		if err == nil {
			err = s.set(&cfg, v)
			if err != nil && !s.secret && v != "" {
				err = fmt.Errorf("%s=%q: %w", s.name, v, err)
			}
		}
		if err != nil && !strings.HasPrefix(err.Error(), s.name) {
			err = fmt.Errorf("%s: %w", s.name, err)
		}
		if err != nil {
			problems = append(problems, err.Error())
		}
	}
	for _, check := range crossChecks {
		if p := check(&cfg); p != "" {
			problems = append(problems, p)
		}
	}
	if len(problems) == 0 {
		secretWarning, err = cfg.loadSecret()
		if err != nil {
			problems = append(problems, err.Error())
		}
	}
	if len(problems) > 0 {
		return Config{}, "", errors.New("configuration: " + strings.Join(problems, "; "))
	}
	return cfg, secretWarning, nil
}

// value is the variable's value: set, else from NAME_FILE where allowed,
// else the default. Surrounding space is dropped, except from secrets,
// which lose only a file's trailing line end.
func (s setting) value(getenv func(string) string) (string, error) {
	v := getenv(s.name)
	if !s.secret {
		v = strings.TrimSpace(v)
	}
	if v == "" && s.file {
		if path := getenv(s.name + "_FILE"); path != "" {
			b, err := os.ReadFile(path)
			if err != nil {
				return "", fmt.Errorf("%s_FILE: %w", s.name, err)
			}
			v = strings.TrimRight(string(b), "\r\n")
		}
	}
	if v == "" {
		v = s.def
	}
	return v, nil
}

// loadSecret keeps a given secret, or takes DATA_DIR/secret, generating it
// if it does not exist yet.
func (c *Config) loadSecret() (warning string, err error) {
	if len(c.Secret) > 0 {
		return "", nil
	}
	path := filepath.Join(c.DataDir, "secret")
	if b, err := os.ReadFile(path); err == nil && len(strings.TrimSpace(string(b))) >= minSecretLen {
		c.Secret = []byte(strings.TrimSpace(string(b)))
		return "no CANVASS_SECRET set: using " + path, nil
	}
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return "", fmt.Errorf("CANVASS_DATA_DIR: %w", err)
	}
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	secret := hex.EncodeToString(b)
	if err := os.WriteFile(path, []byte(secret+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("write generated secret: %w", err)
	}
	c.Secret = []byte(secret)
	return "no CANVASS_SECRET set: generated one into " + path + "; keep it, the personal links depend on it", nil
}

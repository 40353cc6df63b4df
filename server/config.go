package server

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
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
)

// Config is the service's configuration, read from environment variables
// with typed defaults and checked before anything starts.
type Config struct {
	Addr            string        // CANVASS_ADDR
	BaseURL         string        // CANVASS_BASE_URL: how respondents reach the service
	DataDir         string        // CANVASS_DATA_DIR
	MongoURI        string        // MONGODB_URI; empty: the embedded store
	Database        string        // CANVASS_DATABASE
	Instrument      string        // CANVASS_INSTRUMENT: a questionnaire file; empty: the default
	Secret          []byte        // CANVASS_SECRET or CANVASS_SECRET_FILE; generated when absent
	LogFormat       string        // CANVASS_LOG_FORMAT: text or json
	LogLevel        slog.Level    // CANVASS_LOG_LEVEL
	ShutdownTimeout time.Duration // CANVASS_SHUTDOWN_TIMEOUT
	AdminEmail      string        // CANVASS_ADMIN_EMAIL: the first PI, made when no user exists
	AdminPassword   string        // CANVASS_ADMIN_PASSWORD or CANVASS_ADMIN_PASSWORD_FILE
	SessionIdle     time.Duration // CANVASS_SESSION_IDLE
	SessionLifetime time.Duration // CANVASS_SESSION_LIFETIME
	TrustedProxies  []*net.IPNet  // CANVASS_TRUSTED_PROXIES
	SMTP            SMTPConfig    // CANVASS_SMTP_*, CANVASS_MAIL_RATE
}

// Setting documents one environment variable; the README's table is made
// from the same facts.
type Setting struct{ Name, Default, Meaning string }

// Settings lists every environment variable the service reads.
var Settings = []Setting{
	{"CANVASS_ADDR", "127.0.0.1:8080", "address to listen on"},
	{"CANVASS_BASE_URL", "http://CANVASS_ADDR", "public URL respondents' links start with"},
	{"CANVASS_DATA_DIR", "./data", "directory for the embedded store and the generated secret"},
	{"MONGODB_URI", "(empty)", "MongoDB to use; empty starts the embedded FerretDB in the data directory"},
	{"CANVASS_DATABASE", "canvass", "database name"},
	{"CANVASS_INSTRUMENT", "(the embedded default)", "questionnaire YAML file"},
	{"CANVASS_SECRET / CANVASS_SECRET_FILE", "(generated into DATA_DIR/secret)", "at least 32 characters; keys token hashes"},
	{"CANVASS_LOG_FORMAT", "text", "text or json"},
	{"CANVASS_LOG_LEVEL", "info", "debug, info, warn or error"},
	{"CANVASS_SHUTDOWN_TIMEOUT", "15s", "how long in-flight requests may take to finish on SIGTERM"},
	{"CANVASS_ADMIN_EMAIL", "(empty)", "the first PI's email, created at start-up when no user exists"},
	{"CANVASS_ADMIN_PASSWORD / CANVASS_ADMIN_PASSWORD_FILE", "(empty)", "the first PI's password (at least 12 characters)"},
	{"CANVASS_SESSION_IDLE", "30m", "a login session ends after this long without a request"},
	{"CANVASS_SESSION_LIFETIME", "12h", "a login session ends this long after the login, whatever happens"},
	{"CANVASS_TRUSTED_PROXIES", "(empty)", "comma-separated CIDRs of reverse proxies whose X-Forwarded-For names the client"},
	{"CANVASS_SMTP_HOST", "(empty)", "mail server that sends the waves; empty: waves wait, nothing is sent"},
	{"CANVASS_SMTP_PORT", "587", "mail server port"},
	{"CANVASS_SMTP_USERNAME", "(empty)", "SMTP login; empty: no authentication"},
	{"CANVASS_SMTP_PASSWORD / CANVASS_SMTP_PASSWORD_FILE", "(empty)", "SMTP password"},
	{"CANVASS_SMTP_FROM", "(required with CANVASS_SMTP_HOST)", "sender of the waves, e.g. Survey Team <survey@example.org>"},
	{"CANVASS_SMTP_TLS", "starttls", "starttls, tls (implicit, usually port 465) or none (only for a mail server on loopback)"},
	{"CANVASS_MAIL_RATE", "2", "messages per second at most"},
}

// LoadConfig reads the configuration. It returns every problem at once.
// secretWarning is set when the secret had to be generated or read from the
// data directory, which the caller logs.
func LoadConfig(getenv func(string) string) (cfg Config, secretWarning string, err error) {
	var problems []string
	str := func(name, def string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return def
	}
	cfg = Config{
		Addr:       str("CANVASS_ADDR", "127.0.0.1:8080"),
		DataDir:    str("CANVASS_DATA_DIR", "./data"),
		MongoURI:   str("MONGODB_URI", ""),
		Database:   str("CANVASS_DATABASE", "canvass"),
		Instrument: str("CANVASS_INSTRUMENT", ""),
		LogFormat:  str("CANVASS_LOG_FORMAT", "text"),
	}
	if _, _, err := net.SplitHostPort(cfg.Addr); err != nil {
		problems = append(problems, fmt.Sprintf("CANVASS_ADDR=%q: want host:port", cfg.Addr))
	}
	cfg.BaseURL = strings.TrimRight(str("CANVASS_BASE_URL", "http://"+cfg.Addr), "/")
	if u, err := url.Parse(cfg.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		problems = append(problems, fmt.Sprintf("CANVASS_BASE_URL=%q: want an absolute http or https URL", cfg.BaseURL))
	}
	if cfg.MongoURI != "" && !strings.HasPrefix(cfg.MongoURI, "mongodb://") && !strings.HasPrefix(cfg.MongoURI, "mongodb+srv://") {
		problems = append(problems, "MONGODB_URI: want a mongodb:// or mongodb+srv:// URI")
	}
	if cfg.LogFormat != "text" && cfg.LogFormat != "json" {
		problems = append(problems, fmt.Sprintf("CANVASS_LOG_FORMAT=%q: want text or json", cfg.LogFormat))
	}
	if err := cfg.LogLevel.UnmarshalText([]byte(str("CANVASS_LOG_LEVEL", "info"))); err != nil {
		problems = append(problems, fmt.Sprintf("CANVASS_LOG_LEVEL=%q: want debug, info, warn or error", getenv("CANVASS_LOG_LEVEL")))
	}
	cfg.ShutdownTimeout, err = time.ParseDuration(str("CANVASS_SHUTDOWN_TIMEOUT", "15s"))
	if err != nil || cfg.ShutdownTimeout <= 0 {
		problems = append(problems, fmt.Sprintf("CANVASS_SHUTDOWN_TIMEOUT=%q: want a positive duration such as 15s", getenv("CANVASS_SHUTDOWN_TIMEOUT")))
	}
	duration := func(name, def string) time.Duration {
		d, err := time.ParseDuration(str(name, def))
		if err != nil || d <= 0 {
			problems = append(problems, fmt.Sprintf("%s=%q: want a positive duration such as %s", name, getenv(name), def))
		}
		return d
	}
	cfg.SessionIdle = duration("CANVASS_SESSION_IDLE", "30m")
	cfg.SessionLifetime = duration("CANVASS_SESSION_LIFETIME", "12h")
	for _, cidr := range strings.Split(getenv("CANVASS_TRUSTED_PROXIES"), ",") {
		if cidr = strings.TrimSpace(cidr); cidr == "" {
			continue
		}
		_, n, err := net.ParseCIDR(cidr)
		if err != nil {
			problems = append(problems, fmt.Sprintf("CANVASS_TRUSTED_PROXIES: %q is not a CIDR such as 10.0.0.0/8", cidr))
			continue
		}
		cfg.TrustedProxies = append(cfg.TrustedProxies, n)
	}
	cfg.AdminEmail = str("CANVASS_ADMIN_EMAIL", "")
	cfg.AdminPassword = getenv("CANVASS_ADMIN_PASSWORD")
	if path := getenv("CANVASS_ADMIN_PASSWORD_FILE"); cfg.AdminPassword == "" && path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			problems = append(problems, fmt.Sprintf("CANVASS_ADMIN_PASSWORD_FILE: %v", err))
		}
		cfg.AdminPassword = strings.TrimRight(string(b), "\r\n")
	}
	cfg.SMTP, problems = loadSMTP(getenv, str, problems)
	if (cfg.AdminEmail == "") != (cfg.AdminPassword == "") {
		problems = append(problems, "CANVASS_ADMIN_EMAIL and CANVASS_ADMIN_PASSWORD go together: set both or neither")
	}
	if len(problems) == 0 {
		cfg.Secret, secretWarning, err = loadSecret(getenv, cfg.DataDir)
		if err != nil {
			problems = append(problems, err.Error())
		}
	}
	if len(problems) > 0 {
		return Config{}, "", errors.New("configuration: " + strings.Join(problems, "; "))
	}
	return cfg, secretWarning, nil
}

const minSecretLen = 32

// loadSecret takes the secret from CANVASS_SECRET, CANVASS_SECRET_FILE, or
// DATA_DIR/secret, generating the last if it does not exist yet.
func loadSecret(getenv func(string) string, dataDir string) ([]byte, string, error) {
	secret, source := getenv("CANVASS_SECRET"), "CANVASS_SECRET"
	if secret == "" {
		if path := getenv("CANVASS_SECRET_FILE"); path != "" {
			b, err := os.ReadFile(path)
			if err != nil {
				return nil, "", fmt.Errorf("CANVASS_SECRET_FILE: %w", err)
			}
			secret, source = strings.TrimSpace(string(b)), "CANVASS_SECRET_FILE"
		}
	}
	if secret != "" {
		if len(secret) < minSecretLen {
			return nil, "", fmt.Errorf("%s: want at least %d characters", source, minSecretLen)
		}
		return []byte(secret), "", nil
	}
	path := filepath.Join(dataDir, "secret")
	if b, err := os.ReadFile(path); err == nil && len(strings.TrimSpace(string(b))) >= minSecretLen {
		return []byte(strings.TrimSpace(string(b))), "no CANVASS_SECRET set: using " + path, nil
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, "", fmt.Errorf("CANVASS_DATA_DIR: %w", err)
	}
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	secret = hex.EncodeToString(b)
	if err := os.WriteFile(path, []byte(secret+"\n"), 0o600); err != nil {
		return nil, "", fmt.Errorf("write generated secret: %w", err)
	}
	return []byte(secret), "no CANVASS_SECRET set: generated one into " + path + "; keep it, the personal links depend on it", nil
}

// SMTPConfig is how waves reach the mail server.
type SMTPConfig struct {
	Host     string
	Port     int
	Username string
	Password string
	From     string
	TLS      string  // starttls, tls or none
	Rate     float64 // messages per second
}

// loadSMTP reads the mail settings, adding what is wrong to problems. The
// password never appears in a problem.
func loadSMTP(getenv func(string) string, str func(name, def string) string, problems []string) (SMTPConfig, []string) {
	c := SMTPConfig{
		Host:     str("CANVASS_SMTP_HOST", ""),
		Username: str("CANVASS_SMTP_USERNAME", ""),
		Password: getenv("CANVASS_SMTP_PASSWORD"),
		From:     str("CANVASS_SMTP_FROM", ""),
		TLS:      str("CANVASS_SMTP_TLS", "starttls"),
	}
	if path := getenv("CANVASS_SMTP_PASSWORD_FILE"); c.Password == "" && path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			problems = append(problems, fmt.Sprintf("CANVASS_SMTP_PASSWORD_FILE: %v", err))
		}
		c.Password = strings.TrimRight(string(b), "\r\n")
	}
	port, err := strconv.Atoi(str("CANVASS_SMTP_PORT", "587"))
	if err != nil || port < 1 || port > 65535 {
		problems = append(problems, fmt.Sprintf("CANVASS_SMTP_PORT=%q: want a port number", getenv("CANVASS_SMTP_PORT")))
	}
	c.Port = port
	c.Rate, err = strconv.ParseFloat(str("CANVASS_MAIL_RATE", "2"), 64)
	if err != nil || !(c.Rate > 0) || math.IsInf(c.Rate, 0) {
		problems = append(problems, fmt.Sprintf("CANVASS_MAIL_RATE=%q: want messages per second, more than 0, such as 2", getenv("CANVASS_MAIL_RATE")))
	}
	switch c.TLS {
	case "starttls", "tls":
	case "none":
		if ip := net.ParseIP(c.Host); c.Host != "" && c.Host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			problems = append(problems, "CANVASS_SMTP_TLS=none: only for a mail server on loopback (localhost, 127.0.0.1, ::1); the password and the personal links would cross the network in the clear")
		}
	default:
		problems = append(problems, fmt.Sprintf("CANVASS_SMTP_TLS=%q: want starttls, tls or none", c.TLS))
	}
	if c.Host != "" {
		if _, err := mail.ParseAddress(c.From); err != nil {
			problems = append(problems, fmt.Sprintf("CANVASS_SMTP_FROM=%q: want an address such as Survey Team <survey@example.org>", c.From))
		}
	}
	if (c.Username == "") != (c.Password == "") {
		problems = append(problems, "CANVASS_SMTP_USERNAME and CANVASS_SMTP_PASSWORD go together: set both or neither")
	}
	return c, problems
}

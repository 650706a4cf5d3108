// Package config reads the platform's settings from the environment (and a .env file), once, at start-up.
package config

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/joho/godotenv"

	"github.com/chatbot-platform/chatbot/internal/mail"
	"github.com/chatbot-platform/chatbot/internal/project"
)

// Config is every setting; see Settings for names, defaults and meaning.
type Config struct {
	Addr          string
	DatabaseURL   string
	SecretKey     string
	SecretKeyFile string

	AccessTokenTTL     time.Duration
	PasswordHashRounds int

	CORSOrigins    []string
	TrustedProxies []netip.Prefix
	RateLimitAuth  int // requests per minute per client IP on register and login; 0 disables
	RateLimitAPI   int // requests per minute per user elsewhere; 0 disables
	RateLimitKey   int // requests per minute per project key without its own limit; 0 disables
	RedisURL       string

	MaxBodyBytes int64
	MaxUploadMB  int64
	ReadTimeout  time.Duration
	WriteTimeout time.Duration
	IdleTimeout  time.Duration
	// ShutdownGrace is how long SIGTERM lets running requests finish before open streams are ended.
	ShutdownGrace time.Duration

	PprofAddr   string
	LogFile     string
	LogMaxMB    int // LOG_FILE rotates at this size, in MiB
	LogMaxFiles int // rotated LOG_FILEs kept besides the current one
	LogFormat   string
	LogLevel    string

	MetricsAddr  string // Prometheus /metrics listener; "" is off
	OTLPEndpoint string // OTEL_EXPORTER_OTLP_ENDPOINT; "" is no tracing (the exporter reads it itself)

	OpenAIAPIKey          string
	OpenAIBaseURL         string
	OpenAIModel           string
	OpenAITemperature     float64
	OpenAIMaxOutputTokens int64
	OpenAITimeout         time.Duration
	OpenAIStreamIdle      time.Duration
	OpenAIMaxRetries      int
	OpenAIRetryDelay      time.Duration
	ChatHistoryChars      int
	PricesFile            string

	// OpenAIModels are the models projects may use; OpenAIMaxOutputTokensCap the most max_output_tokens
	// a project may ask for. OpenAIAllowInsecureHTTP lets OPENAI_BASE_URL be plain http to another host.
	OpenAIModels             []string
	OpenAIMaxOutputTokensCap int64
	OpenAIAllowInsecureHTTP  bool

	// Per-user caps on what one account may hold or run at once (see Settings).
	MaxStreamsPerUser    int
	MaxUploadsPerUser    int
	MaxProjectsPerUser   int
	MaxPromptsPerProject int
	MaxFilesPerProject   int
	MaxSystemPromptChars int
	// RateLimitLoginEmail is login attempts per minute per account (email), whatever the client IP; 0 disables.
	RateLimitLoginEmail int
	// DBWriteTimeout bounds one group-commit batch (and SQLite's wait for a write lock).
	DBWriteTimeout time.Duration
	// RequestTimeout bounds API requests that never call OpenAI.
	RequestTimeout time.Duration
	// WebhookAllowPrivate lets webhooks point at loopback, private and link-local addresses (tests).
	WebhookAllowPrivate bool

	// Email (verification and password-reset links): off unless SMTPURL or MailLogLinks.
	SMTPURL                  string
	MailFrom                 string
	MailLogLinks             bool
	PublicURL                string // where links in emails point: the dashboard's origin, no trailing slash
	RequireEmailVerification bool
	RateLimitEmail           int // emails per minute per address; 0 disables
}

// MailOn reports whether the server sends email (or, for development, logs its links).
func (c Config) MailOn() bool { return c.SMTPURL != "" || c.MailLogLinks }

// DefaultModels is OPENAI_MODELS's default: the models the built-in price table (internal/usage/prices.json) knows.
const DefaultModels = "gpt-5,gpt-5-mini,gpt-5-nano,gpt-4.1,gpt-4.1-mini,gpt-4.1-nano,gpt-4o,gpt-4o-mini,o3,o4-mini"

// Setting documents one environment variable.
type Setting struct {
	Name, Default, Help string
}

// Settings lists every environment variable the server reads, in the order `chatbot -h` and the README show.
var Settings = []Setting{
	{"ADDR", "127.0.0.1:8000", "listen address (host:port)"},
	{"DATABASE_URL", "sqlite:///./app.db", "sqlite:///path/app.db, sqlite:relative.db or postgres://user:pass@host:5432/db"},
	{"SECRET_KEY", "", "JWT signing key, at least 32 bytes; when unset one is generated and kept in SECRET_KEY_FILE"},
	{"SECRET_KEY_FILE", "", "where a generated key is kept (written atomically, mode 0600; made 0600 again, with a warning, if others may read it); default: .secret_key beside the SQLite database, or in the working directory"},
	{"ACCESS_TOKEN_EXPIRE_MINUTES", "60", "lifetime of an access token"},
	{"PASSWORD_HASH_ROUNDS", "600000", "PBKDF2-SHA256 rounds for new hashes; older hashes are upgraded at login"},
	{"CORS_ORIGINS", "", "comma-separated origins allowed to call the API from a browser; empty: none"},
	{"TRUSTED_PROXIES", "", "comma-separated IPs or CIDRs whose X-Forwarded-For is believed; empty: none"},
	{"RATE_LIMIT_AUTH", "10", "register and login requests per minute per client IP; 0 disables"},
	{"RATE_LIMIT_API", "120", "API requests per minute per user; 0 disables"},
	{"RATE_LIMIT_LOGIN_EMAIL", "5", "login attempts per minute per account (email), from any IP; further attempts answer 429 with Retry-After; 0 disables"},
	{"RATE_LIMIT_KEY", "600", "requests per minute per project key, unless the key sets its own; 0 disables the default"},
	{"RATE_LIMIT_EMAIL", "2", "verification and password-reset emails per minute per address (more answer 429 with Retry-After); 0 disables"},
	{"REDIS_URL", "", "redis://host:6379/0 to share rate limits across instances; empty: in memory"},
	{"MAX_BODY_BYTES", "1048576", "largest JSON request body"},
	{"MAX_UPLOAD_MB", "20", "largest file upload, in MiB"},
	{"MAX_STREAMS_PER_USER", "10", "chat streams one account may have open at once, per instance, and so may each end user of a project key; more answer 429"},
	{"MAX_UPLOADS_PER_USER", "2", "file uploads one account may run at once, per instance; more answer 429"},
	{"MAX_PROJECTS_PER_USER", "100", "projects one account may own; creating more answers 400"},
	{"MAX_PROMPTS_PER_PROJECT", "50", "prompts one project may hold; creating more answers 400"},
	{"MAX_FILES_PER_PROJECT", "100", "files one project may hold; uploading more answers 400"},
	{"MAX_SYSTEM_PROMPT_CHARS", "64000", "characters of a project's enabled prompts joined (the system prompt); a prompt change past it answers 400"},
	{"REQUEST_TIMEOUT", "15s", "deadline of an API request that never calls OpenAI (its operation documents no 502 or 504), database waits included: past it, 503 with Retry-After"},
	{"DB_WRITE_TIMEOUT", "5s", "deadline of one group-commit batch (how chat stores replies): past it its writes answer 503 with Retry-After; SQLite also waits at most 3 s for another process's write lock"},
	{"HTTP_READ_TIMEOUT", "60s", "time to read a whole request"},
	{"HTTP_WRITE_TIMEOUT", "120s", "time to write a response (streams extend it as they go)"},
	{"HTTP_IDLE_TIMEOUT", "120s", "how long an idle keep-alive connection stays open"},
	{"SHUTDOWN_GRACE", "25s", "on SIGTERM, how long running requests may finish; then open streams end with an error event (keep it below the orchestrator's stop timeout)"},
	{"PPROF_ADDR", "", "serve Go's profiler (/debug/pprof/) on this loopback address, e.g. 127.0.0.1:6060 (any other refuses to start); empty: off"},
	{"METRICS_ADDR", "", "serve Prometheus metrics (/metrics) on this address, e.g. 127.0.0.1:9090; empty: off"},
	{"OTEL_EXPORTER_OTLP_ENDPOINT", "", "send traces (OTLP over HTTP) there, e.g. http://127.0.0.1:4318; empty: no tracing; the other OTEL_* variables apply too"},
	{"LOG_FILE", "app.log", "log file, besides the console; empty disables"},
	{"LOG_MAX_MB", "100", "LOG_FILE is rotated when it would grow past this size, in MiB (1–10240)"},
	{"LOG_MAX_FILES", "5", "rotated log files kept besides LOG_FILE (1–1000); older ones are deleted"},
	{"LOG_FORMAT", "text", "text or json"},
	{"LOG_LEVEL", "info", "debug, info, warn or error"},
	{"SMTP_URL", "", "outgoing mail server: smtp://user:password@host:587 (STARTTLS) or smtps://user:password@host:465 (TLS); plain smtp:// without STARTTLS only to a loopback host; empty: email verification and password reset are off"},
	{"MAIL_FROM", "", "sender of the platform's email, e.g. Chatbot <no-reply@example.com>; required with SMTP_URL"},
	{"PUBLIC_URL", "", "the dashboard's address as users reach it, e.g. https://chat.example.com: links in emails point there; required with SMTP_URL (default with MAIL_LOG_LINKS: http://ADDR)"},
	{"MAIL_LOG_LINKS", "false", "development only: without SMTP_URL, write the links emails would carry into the log instead (whoever reads the log can use them)"},
	{"REQUIRE_EMAIL_VERIFICATION", "false", "refuse sign-in until the address is verified (a new link is mailed at each refused sign-in); needs SMTP_URL or MAIL_LOG_LINKS"},
	{"WEBHOOK_ALLOW_PRIVATE", "false", "true lets webhooks point at loopback, private and link-local addresses (for tests and private networks; otherwise refused when saved and when delivered)"},
	{"OPENAI_API_KEY", "", "OpenAI API key; without it chat answers 503"},
	{"OPENAI_BASE_URL", "https://api.openai.com/v1", "any Responses-compatible server (e.g. the fake: http://127.0.0.1:8090/v1); plain http only to a loopback host, unless OPENAI_ALLOW_INSECURE_HTTP"},
	{"OPENAI_ALLOW_INSECURE_HTTP", "false", "true lets OPENAI_BASE_URL be plain http to a non-loopback host (the API key then crosses the network in clear; a warning is logged)"},
	{"OPENAI_MODELS", DefaultModels, "comma-separated models projects may use (OPENAI_MODEL must be one); another answers 400 naming these"},
	{"OPENAI_MAX_OUTPUT_TOKENS_CAP", "16000", "highest max_output_tokens a project may set (16–128000); more answers 400; older projects above it are capped at chat time"},
	{"OPENAI_MODEL", "gpt-4o-mini", "model for new projects"},
	{"OPENAI_TEMPERATURE", "0.7", "temperature for new projects (0–2)"},
	{"OPENAI_MAX_OUTPUT_TOKENS", "2000", "max_output_tokens for new projects"},
	{"OPENAI_TIMEOUT", "60s", "how long one upstream try may take (for streams: until the first event)"},
	{"OPENAI_STREAM_IDLE_TIMEOUT", "30s", "a stream that sends nothing for this long ends with an error"},
	{"OPENAI_MAX_RETRIES", "3", "retries after the first try, for rate limits, 5xx, timeouts and connection errors only"},
	{"OPENAI_RETRY_BASE_DELAY", "1s", "first wait between tries; doubles each retry (1s, 2s, 4s), or the upstream's longer Retry-After"},
	{"CHAT_HISTORY_CHARS", "24000", "budget of earlier turns sent upstream, newest first, in characters"},
	{"PRICES_FILE", "", "JSON price table (USD per million tokens by model) over the built-in one; empty: built-in only"},
}

// Load reads .env (when present; real environment variables win) and the environment.
func Load() (Config, error) {
	if err := godotenv.Load(); err != nil && !errors.Is(err, os.ErrNotExist) {
		return Config{}, fmt.Errorf(".env: %w", err)
	}
	return FromLookup(os.LookupEnv)
}

// FromLookup builds a Config from a variable lookup, applying defaults and checking every value.
func FromLookup(lookup func(string) (string, bool)) (Config, error) {
	p := parser{lookup: lookup}
	c := Config{
		Addr:                  p.str("ADDR"),
		DatabaseURL:           p.str("DATABASE_URL"),
		SecretKey:             p.str("SECRET_KEY"),
		SecretKeyFile:         p.str("SECRET_KEY_FILE"),
		AccessTokenTTL:        time.Duration(p.int("ACCESS_TOKEN_EXPIRE_MINUTES", 1, 60*24*365)) * time.Minute,
		PasswordHashRounds:    p.int("PASSWORD_HASH_ROUNDS", 1000, 100_000_000),
		CORSOrigins:           p.list("CORS_ORIGINS"),
		TrustedProxies:        p.prefixes("TRUSTED_PROXIES"),
		RateLimitAuth:         p.int("RATE_LIMIT_AUTH", 0, 1_000_000),
		RateLimitAPI:          p.int("RATE_LIMIT_API", 0, 1_000_000),
		RateLimitKey:          p.int("RATE_LIMIT_KEY", 0, 1_000_000),
		RedisURL:              p.str("REDIS_URL"),
		MaxBodyBytes:          int64(p.int("MAX_BODY_BYTES", 1024, 1<<30)),
		MaxUploadMB:           int64(p.int("MAX_UPLOAD_MB", 1, 512)),
		ReadTimeout:           p.duration("HTTP_READ_TIMEOUT"),
		WriteTimeout:          p.duration("HTTP_WRITE_TIMEOUT"),
		IdleTimeout:           p.duration("HTTP_IDLE_TIMEOUT"),
		ShutdownGrace:         p.duration("SHUTDOWN_GRACE"),
		PprofAddr:             p.str("PPROF_ADDR"),
		MetricsAddr:           p.str("METRICS_ADDR"),
		OTLPEndpoint:          p.str("OTEL_EXPORTER_OTLP_ENDPOINT"),
		LogFile:               p.str("LOG_FILE"),
		LogMaxMB:              p.int("LOG_MAX_MB", 1, 10240),
		LogMaxFiles:           p.int("LOG_MAX_FILES", 1, 1000),
		LogFormat:             p.oneOf("LOG_FORMAT", "text", "json"),
		LogLevel:              p.oneOf("LOG_LEVEL", "debug", "info", "warn", "error"),
		OpenAIAPIKey:          p.str("OPENAI_API_KEY"),
		OpenAIBaseURL:         strings.TrimRight(p.str("OPENAI_BASE_URL"), "/"),
		OpenAIModel:           p.str("OPENAI_MODEL"),
		OpenAITemperature:     p.float("OPENAI_TEMPERATURE", project.MinTemperature, project.MaxTemperature),
		OpenAIMaxOutputTokens: int64(p.int("OPENAI_MAX_OUTPUT_TOKENS", project.MinOutputTokens, project.MaxOutputTokens)),
		OpenAITimeout:         p.duration("OPENAI_TIMEOUT"),
		OpenAIStreamIdle:      p.duration("OPENAI_STREAM_IDLE_TIMEOUT"),
		OpenAIMaxRetries:      p.int("OPENAI_MAX_RETRIES", 0, 10),
		OpenAIRetryDelay:      p.duration("OPENAI_RETRY_BASE_DELAY"),
		ChatHistoryChars:      p.int("CHAT_HISTORY_CHARS", 0, 10_000_000),
		PricesFile:            p.str("PRICES_FILE"),

		OpenAIModels:             p.list("OPENAI_MODELS"),
		OpenAIMaxOutputTokensCap: int64(p.int("OPENAI_MAX_OUTPUT_TOKENS_CAP", 16, 128_000)),
		OpenAIAllowInsecureHTTP:  p.bool("OPENAI_ALLOW_INSECURE_HTTP"),
		MaxStreamsPerUser:        p.int("MAX_STREAMS_PER_USER", 1, 10_000),
		MaxUploadsPerUser:        p.int("MAX_UPLOADS_PER_USER", 1, 1_000),
		MaxProjectsPerUser:       p.int("MAX_PROJECTS_PER_USER", 1, 1_000_000),
		MaxPromptsPerProject:     p.int("MAX_PROMPTS_PER_PROJECT", 1, 100_000),
		MaxFilesPerProject:       p.int("MAX_FILES_PER_PROJECT", 1, 100_000),
		MaxSystemPromptChars:     p.int("MAX_SYSTEM_PROMPT_CHARS", 1, 10_000_000),
		RateLimitLoginEmail:      p.int("RATE_LIMIT_LOGIN_EMAIL", 0, 1_000_000),
		DBWriteTimeout:           p.duration("DB_WRITE_TIMEOUT"),
		RequestTimeout:           p.duration("REQUEST_TIMEOUT"),
		WebhookAllowPrivate:      p.bool("WEBHOOK_ALLOW_PRIVATE"),

		SMTPURL:                  p.str("SMTP_URL"),
		MailFrom:                 p.str("MAIL_FROM"),
		MailLogLinks:             p.bool("MAIL_LOG_LINKS"),
		PublicURL:                strings.TrimRight(p.str("PUBLIC_URL"), "/"),
		RequireEmailVerification: p.bool("REQUIRE_EMAIL_VERIFICATION"),
		RateLimitEmail:           p.int("RATE_LIMIT_EMAIL", 0, 1_000),
	}
	p.checkMail(&c)
	if c.SecretKey != "" && len(c.SecretKey) < 32 {
		p.fail("SECRET_KEY", fmt.Sprintf("must be at least 32 bytes (got %d); generate one with: openssl rand -hex 32", len(c.SecretKey)))
	}
	if _, _, err := ParseDatabaseURL(c.DatabaseURL); err != nil {
		p.fail("DATABASE_URL", err.Error())
	}
	if c.MetricsAddr != "" {
		if _, _, err := net.SplitHostPort(c.MetricsAddr); err != nil {
			p.fail("METRICS_ADDR", "must be host:port, e.g. 127.0.0.1:9090")
		} else if c.MetricsAddr == c.Addr {
			p.fail("METRICS_ADDR", "must differ from ADDR: metrics get their own listener, never the public one")
		}
	}
	if len(c.OpenAIModels) == 0 {
		p.fail("OPENAI_MODELS", "must name at least one model")
	} else if !slices.Contains(c.OpenAIModels, c.OpenAIModel) {
		p.fail("OPENAI_MODEL", fmt.Sprintf("%q must be one of OPENAI_MODELS (%s)", c.OpenAIModel, strings.Join(c.OpenAIModels, ", ")))
	}
	if c.OpenAIMaxOutputTokens > c.OpenAIMaxOutputTokensCap {
		p.fail("OPENAI_MAX_OUTPUT_TOKENS", fmt.Sprintf("must not exceed OPENAI_MAX_OUTPUT_TOKENS_CAP (%d)", c.OpenAIMaxOutputTokensCap))
	}
	if msg := insecureBaseURL(c.OpenAIBaseURL); msg != "" && !c.OpenAIAllowInsecureHTTP {
		p.fail("OPENAI_BASE_URL", msg+"; use https, or set OPENAI_ALLOW_INSECURE_HTTP=true to accept the risk")
	}
	if c.PprofAddr != "" && !Loopback(c.PprofAddr) {
		p.fail("PPROF_ADDR", "must be a loopback address such as 127.0.0.1:6060: the profiler exposes memory and internals to whoever reaches it")
	}
	return c, errors.Join(p.errs...)
}

// checkMail validates the email settings together, and defaults PUBLIC_URL for MAIL_LOG_LINKS.
func (p *parser) checkMail(c *Config) {
	if c.SMTPURL != "" {
		if err := mail.ParseURL(c.SMTPURL, c.MailFrom); err != nil {
			p.errs = append(p.errs, err) // it names the setting
		}
		if c.PublicURL == "" {
			p.fail("PUBLIC_URL", "is required with SMTP_URL: links in emails must point where users reach the dashboard, e.g. https://chat.example.com")
		}
	}
	if c.PublicURL == "" && c.MailLogLinks {
		c.PublicURL = "http://" + c.Addr
	}
	if c.PublicURL != "" {
		if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			p.fail("PUBLIC_URL", "must be an http(s) origin with an optional path, e.g. https://chat.example.com")
		}
	}
	if c.RequireEmailVerification && !c.MailOn() {
		p.fail("REQUIRE_EMAIL_VERIFICATION", "needs SMTP_URL (or MAIL_LOG_LINKS for development): nobody could verify an address")
	}
}

// Warnings are settings that start but deserve a loud line in the log.
func (c Config) Warnings() []string {
	var out []string
	if msg := insecureBaseURL(c.OpenAIBaseURL); msg != "" && c.OpenAIAllowInsecureHTTP {
		out = append(out, "OPENAI_BASE_URL "+msg+" (allowed by OPENAI_ALLOW_INSECURE_HTTP)")
	}
	if c.MailLogLinks && c.SMTPURL == "" {
		out = append(out, "MAIL_LOG_LINKS: emails are not sent; their links (password resets included) are written to the log")
	}
	return out
}

// insecureBaseURL says why an upstream URL would send the API key in clear over a network, or "".
func insecureBaseURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "must be an absolute URL such as https://api.openai.com/v1"
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		return ""
	case "http":
	default:
		return "must start with https:// (or http:// to a loopback host)"
	}
	host := u.Hostname()
	if host == "localhost" {
		return ""
	}
	if ip, err := netip.ParseAddr(host); err == nil && ip.IsLoopback() {
		return ""
	}
	return fmt.Sprintf("is plain http to %s, a non-loopback host: the API key and every conversation would cross the network unencrypted", host)
}

// Usage writes the settings table for `chatbot -h`.
func Usage(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "VARIABLE\tDEFAULT\tMEANING")
	for _, s := range Settings {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", s.Name, s.Default, s.Help)
	}
	tw.Flush()
}

// Loopback reports whether a listen address (host:port) takes connections from this machine only.
func Loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

// Engines DATABASE_URL can select.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// ParseDatabaseURL returns the engine and its connection target: a file path for SQLite, the URL
// itself for PostgreSQL.
func ParseDatabaseURL(u string) (engine, target string, err error) {
	switch {
	case strings.HasPrefix(u, "postgres://"), strings.HasPrefix(u, "postgresql://"):
		return Postgres, u, nil
	case strings.HasPrefix(u, "sqlite:///"): // the design document's form: sqlite:///./app.db, sqlite:////abs/app.db
		target = strings.TrimPrefix(u, "sqlite:///")
	case strings.HasPrefix(u, "sqlite://"):
		return "", "", errors.New(`use sqlite:///path/app.db (three slashes) or sqlite:relative.db`)
	case strings.HasPrefix(u, "sqlite:"):
		target = strings.TrimPrefix(u, "sqlite:")
	default:
		return "", "", errors.New("must start with sqlite: or postgres://")
	}
	if target == "" || strings.ContainsAny(target, "?#") {
		return "", "", errors.New("needs a file path without query parameters, e.g. sqlite:///./app.db")
	}
	return SQLite, target, nil
}

type parser struct {
	lookup func(string) (string, bool)
	errs   []error
}

func (p *parser) fail(name, msg string) { p.errs = append(p.errs, fmt.Errorf("%s %s", name, msg)) }

func (p *parser) str(name string) string {
	if v, ok := p.lookup(name); ok {
		return strings.TrimSpace(v)
	}
	for _, s := range Settings {
		if s.Name == name {
			return s.Default
		}
	}
	panic("config: undocumented setting " + name)
}

func (p *parser) int(name string, lo, hi int) int {
	v, err := strconv.Atoi(p.str(name))
	if err != nil || v < lo || v > hi {
		p.fail(name, fmt.Sprintf("must be a whole number from %d to %d", lo, hi))
	}
	return v
}

func (p *parser) bool(name string) bool {
	v, err := strconv.ParseBool(p.str(name))
	if err != nil {
		p.fail(name, "must be true or false")
	}
	return v
}

func (p *parser) float(name string, lo, hi float64) float64 {
	v, err := strconv.ParseFloat(p.str(name), 64)
	if err != nil || v < lo || v > hi {
		p.fail(name, fmt.Sprintf("must be a number from %g to %g", lo, hi))
	}
	return v
}

func (p *parser) duration(name string) time.Duration {
	v, err := time.ParseDuration(p.str(name))
	if err != nil || v <= 0 {
		p.fail(name, "must be a positive duration such as 30s or 2m")
	}
	return v
}

func (p *parser) oneOf(name string, allowed ...string) string {
	v := strings.ToLower(p.str(name))
	for _, a := range allowed {
		if v == a {
			return v
		}
	}
	p.fail(name, "must be one of "+strings.Join(allowed, ", "))
	return v
}

func (p *parser) list(name string) []string {
	var out []string
	for _, item := range strings.Split(p.str(name), ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

func (p *parser) prefixes(name string) []netip.Prefix {
	var out []netip.Prefix
	for _, item := range p.list(name) {
		if pre, err := netip.ParsePrefix(item); err == nil {
			out = append(out, pre.Masked())
		} else if addr, err := netip.ParseAddr(item); err == nil {
			out = append(out, netip.PrefixFrom(addr, addr.BitLen()))
		} else {
			p.fail(name, fmt.Sprintf("has %q, which is neither an IP nor a CIDR", item))
		}
	}
	return out
}

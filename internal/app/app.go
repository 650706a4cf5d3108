// Package app wires the platform together from a Config: logger, metrics registry, tracer provider,
// store, services and the HTTP handler. cmd/chatbot runs it; tests and benchmarks build the same thing.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/trace"
	"gopkg.in/natefinch/lumberjack.v2"

	"github.com/chatbot-platform/chatbot/internal/apikey"
	"github.com/chatbot-platform/chatbot/internal/auth"
	"github.com/chatbot-platform/chatbot/internal/bundle"
	"github.com/chatbot-platform/chatbot/internal/chat"
	"github.com/chatbot-platform/chatbot/internal/config"
	"github.com/chatbot-platform/chatbot/internal/eval"
	"github.com/chatbot-platform/chatbot/internal/feedback"
	"github.com/chatbot-platform/chatbot/internal/file"
	"github.com/chatbot-platform/chatbot/internal/httpapi"
	"github.com/chatbot-platform/chatbot/internal/jobs"
	"github.com/chatbot-platform/chatbot/internal/llm"
	"github.com/chatbot-platform/chatbot/internal/logctx"
	"github.com/chatbot-platform/chatbot/internal/mail"
	"github.com/chatbot-platform/chatbot/internal/metrics"
	"github.com/chatbot-platform/chatbot/internal/project"
	"github.com/chatbot-platform/chatbot/internal/ratelimit"
	"github.com/chatbot-platform/chatbot/internal/release"
	"github.com/chatbot-platform/chatbot/internal/store"
	"github.com/chatbot-platform/chatbot/internal/store/postgres"
	"github.com/chatbot-platform/chatbot/internal/store/sqlite"
	"github.com/chatbot-platform/chatbot/internal/usage"
	"github.com/chatbot-platform/chatbot/internal/webhook"
)

// App is the running platform minus the listeners.
type App struct {
	Echo   *echo.Echo
	Store  store.Store
	Writes *store.Batcher
	// Registry holds every series the platform records (Metrics), Go's and the process's; METRICS_ADDR
	// serves it (MetricsHandler).
	Registry *prometheus.Registry
	Metrics  *metrics.Metrics
	// TracerProvider is where spans go: OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set, else a no-op.
	TracerProvider trace.TracerProvider

	closeLimiter func()
	closeTracer  func(context.Context) error
	stopping     chan struct{} // closed when open streams must end (Serve's grace period is over)
	outbox       *mail.Outbox  // nil: email is off
	jobs         *jobs.Runner  // working the background jobs from New until StopJobs
	log          *slog.Logger
}

// Options are what tests and the binary may vary beyond Config.
type Options struct {
	Log   *slog.Logger
	Store store.Store      // nil: open DATABASE_URL
	Pages func(*echo.Echo) // the dashboard and docs; nil: API only
	// Heartbeat is how often idle chat streams send a keep-alive (default 15s).
	Heartbeat time.Duration
	// Registry receives the platform's metrics; nil: a new one with the Go and process collectors.
	Registry *prometheus.Registry
	// TracerProvider receives the spans (the caller shuts it down); nil: from the Config (OTLP or none).
	TracerProvider trace.TracerProvider
	// Clock is the time of sign-ins: tokens and two-factor codes (tests fix it); nil: time.Now.
	Clock func() time.Time
	// JobPollInterval is how often the job queue looks for new jobs no notification announced (on
	// SQLite, every job); 0: one second.
	JobPollInterval time.Duration
	// JobRetryDelay, when set, is the wait before every job retry whatever its kind's backoff (tests).
	JobRetryDelay time.Duration
}

// New builds the platform from cfg.
func New(ctx context.Context, cfg config.Config, o Options) (_ *App, err error) {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	// Every line logged with a request's context names the request and its caller.
	log := slog.New(logctx.NewHandler(o.Log.Handler()))
	reg := o.Registry
	if reg == nil {
		reg = metrics.NewRegistry()
	}
	m := metrics.New(reg)
	tp, closeTracer := o.TracerProvider, func(context.Context) error { return nil }
	if tp == nil {
		if tp, closeTracer, err = NewTracerProvider(ctx, cfg); err != nil {
			return nil, err
		}
		defer func() {
			if err != nil {
				closeTracer(context.Background())
			}
		}()
	}
	st := o.Store
	if st == nil {
		if st, err = OpenStore(ctx, cfg.DatabaseURL, log); err != nil {
			return nil, err
		}
		defer func() {
			if err != nil {
				st.Close()
			}
		}()
	}
	if sq, ok := st.(*sqlite.Store); ok {
		st = sq.Cached() // one server owns a SQLite database: it sees every write, so it can keep hot rows
	}
	// After the store: a generated key goes beside the database, whose folder now exists.
	key, err := cfg.SigningKey(log)
	if err != nil {
		return nil, err
	}
	tokens, err := auth.NewTokens(key, cfg.AccessTokenTTL)
	if err != nil {
		return nil, err
	}
	if o.Clock != nil {
		tokens.SetClock(o.Clock)
	}
	limiter, closeLimiter, err := newLimiter(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	limits := project.Limits{
		Models: cfg.OpenAIModels, MaxOutputTokens: cfg.OpenAIMaxOutputTokensCap, ProjectsPerUser: cfg.MaxProjectsPerUser,
		PromptsPerProject: cfg.MaxPromptsPerProject, SystemPromptChars: cfg.MaxSystemPromptChars,
	}
	projects := project.NewService(st, project.Defaults{
		Model: cfg.OpenAIModel, Temperature: cfg.OpenAITemperature, MaxOutputTokens: cfg.OpenAIMaxOutputTokens,
	}, limits, log)
	retries := cfg.OpenAIMaxRetries
	if retries == 0 {
		retries = -1 // llm reads 0 as "the default"
	}
	openai := llm.New(llm.Config{
		APIKey: cfg.OpenAIAPIKey, BaseURL: cfg.OpenAIBaseURL, Timeout: cfg.OpenAITimeout,
		StreamIdleTimeout: cfg.OpenAIStreamIdle, MaxRetries: retries, BaseDelay: cfg.OpenAIRetryDelay,
		Metrics: m, TracerProvider: tp,
	}, log)
	files := file.NewService(st, openai, cfg.MaxUploadMB<<20, log)
	files.LimitFiles(cfg.MaxFilesPerProject)
	projects.OnDelete(files) // files and the vector store at OpenAI go before the project
	// Every background job kind registers here (its service's RegisterJobs), before the queue starts.
	hooks := webhook.NewService(st, cfg.WebhookAllowPrivate, log)
	files.EmitTo(hooks)
	workers := jobs.NewWorkers()
	workers.Observe(m)
	files.RegisterJobs(workers)
	hooks.RegisterJobs(workers)
	prices, err := usage.LoadPrices(cfg.PricesFile)
	if err != nil {
		return nil, err
	}
	writes := store.NewBatcher(st, store.BatcherOptions{Metrics: m, TracerProvider: tp, Timeout: cfg.DBWriteTimeout, Log: log})
	stopping := make(chan struct{})
	meter := usage.NewService(st, writes, prices, log, m)
	meter.EmitTo(hooks)
	chats := chat.NewService(st, writes, openai, files, meter, cfg.ChatHistoryChars, limits, log, m)
	chats.EmitTo(hooks)
	releases := release.NewService(st, log)
	releases.EmitTo(hooks)
	chats.AnswerWithReleases(releases)
	files.GuardWith(releases)
	evals := eval.NewService(st, chats, log)
	evals.EmitTo(hooks)
	evals.UseReleases(releases)
	evals.RegisterJobs(workers)
	releases.SetGate(evals) // a draft that fails its evaluation cases is not released unless forced
	if p, ok := st.(store.Pooled); ok {
		m.WatchPools(p.PoolStats)
	}
	outbox, err := mail.New(cfg.SMTPURL, cfg.MailFrom, cfg.MailLogLinks, log)
	if err != nil { // config.Load checked the settings already
		writes.Close()
		closeLimiter()
		return nil, err
	}
	mailOptions := auth.MailOptions{Outbox: outbox, PublicURL: cfg.PublicURL, RequireVerified: cfg.RequireEmailVerification}
	users := auth.NewService(st, auth.NewHasher(cfg.PasswordHashRounds), tokens, mailOptions, log)
	users.LimitCodes(limiter, auth.CodeRate) // wrong two-factor codes, per user, on every instance
	e, err := httpapi.New(httpapi.Deps{
		Config:    cfg,
		Log:       log,
		Store:     st,
		Writes:    writes,
		Auth:      users,
		Keys:      apikey.NewService(st, log),
		Projects:  projects,
		Bundles:   bundle.NewService(st, projects, log),
		Files:     files,
		Releases:  releases,
		Chat:      chats,
		Evals:     evals,
		Usage:     meter,
		Webhooks:  hooks,
		Feedback:  feedback.NewService(st, hooks, log),
		Limiter:   limiter,
		Pages:     o.Pages,
		Heartbeat: o.Heartbeat,
		Metrics:   m,
		Stopping:  stopping,

		TracerProvider: tp,
	})
	if err != nil {
		writes.Close()
		closeLimiter()
		return nil, err
	}
	runner, err := st.Jobs().Start(ctx, workers, jobs.StartOptions{PollInterval: o.JobPollInterval, RetryDelay: o.JobRetryDelay})
	if err != nil {
		writes.Close()
		closeLimiter()
		return nil, err
	}
	return &App{Echo: e, Store: st, Writes: writes, Registry: reg, Metrics: m, TracerProvider: tp,
		closeLimiter: closeLimiter, closeTracer: closeTracer, stopping: stopping, outbox: outbox, jobs: runner, log: log}, nil
}

// streamEndTimeout bounds how long Serve waits, once the grace period is over, for the streams it
// told to end (error event, partial reply stored) and then for requests it cancelled.
const streamEndTimeout = 10 * time.Second

// Serve serves srv on ln until ctx ends (SIGTERM), then shuts down gracefully: it stops accepting
// requests and taking background jobs, lets running requests and jobs finish within grace, then
// ends each chat stream still open with an error event saying the server is restarting (its
// partial reply stored as incomplete), cancels any other request and job still running (a cancelled
// job runs again later, here or on another instance), and returns once every handler and job has
// returned, so Close may follow. It returns nil after a shutdown, and the listener's error if
// serving failed.
func (a *App) Serve(ctx context.Context, srv *http.Server, ln net.Listener, grace time.Duration) error {
	base, cancelRequests := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelRequests()
	srv.BaseContext = func(net.Listener) context.Context { return base }
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	a.log.Info("shutting down: finishing requests and jobs in flight", "grace", grace)
	jobsStopped := make(chan struct{})
	go func() {
		defer close(jobsStopped)
		jctx, cancel := context.WithTimeout(context.Background(), grace)
		defer cancel()
		a.StopJobs(jctx)
	}()
	defer func() { <-jobsStopped }()
	if shutdown(srv, grace) {
		return nil
	}
	a.log.Warn("shutting down: grace period over; ending open streams")
	close(a.stopping)
	if shutdown(srv, streamEndTimeout) {
		return nil
	}
	a.log.Warn("shutting down: cancelling requests still running")
	cancelRequests()
	if !shutdown(srv, streamEndTimeout) {
		a.log.Error("shutting down: requests still running after cancellation; closing their connections")
		srv.Close()
	}
	return nil
}

// shutdown waits up to d for srv's handlers to return (new connections are refused from the first
// call on); true when they all did.
func shutdown(srv *http.Server, d time.Duration) bool {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	err := srv.Shutdown(ctx)
	return err == nil || errors.Is(err, http.ErrServerClosed)
}

// mailFlushTimeout bounds how long Close waits for emails still being sent.
const mailFlushTimeout = 10 * time.Second

// tracerFlushTimeout bounds how long Close waits for the last spans to reach the collector.
const tracerFlushTimeout = 5 * time.Second

// StopJobs stops taking background jobs and waits for the running ones until ctx ends; then it
// cancels them (they run again later) and waits up to streamEndTimeout for them to return. Serve
// calls it with its grace period; Close calls it too (then a no-op).
func (a *App) StopJobs(ctx context.Context) { a.jobs.Stop(ctx, streamEndTimeout) }

// jobsCloseTimeout bounds how long Close waits for running jobs when Serve did not stop them.
const jobsCloseTimeout = 10 * time.Second

// Close stops the background jobs (unless Serve did), finishes queued writes, sends the last spans
// (a provider New made itself) and releases the store.
func (a *App) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), jobsCloseTimeout)
	a.StopJobs(ctx)
	cancel()
	a.outbox.Close(mailFlushTimeout)
	a.Writes.Close()
	ctx, cancel = context.WithTimeout(context.Background(), tracerFlushTimeout)
	defer cancel()
	a.closeTracer(ctx)
	a.Store.Close()
	a.closeLimiter()
}

// MetricsHandler serves the registry in Prometheus's text format (for METRICS_ADDR's /metrics).
func (a *App) MetricsHandler() http.Handler {
	return promhttp.HandlerFor(a.Registry, promhttp.HandlerOpts{Registry: a.Registry})
}

// newLimiter builds the rate limiter of every limit (per IP, user and key): in Redis when REDIS_URL is
// set (shared by every instance), in memory otherwise. Redis is asked within a short deadline, skipped
// for a few seconds after failures, and replaced meanwhile by limits per instance in memory: a Redis
// that is down or hung neither stalls requests nor lifts the limits. So a Redis that does not answer
// at start-up is only a warning.
func newLimiter(ctx context.Context, cfg config.Config, log *slog.Logger) (ratelimit.Limiter, func(), error) {
	if cfg.RedisURL == "" {
		return ratelimit.NewMemory(), func() {}, nil
	}
	opts, err := redis.ParseURL(cfg.RedisURL)
	if err != nil {
		return nil, nil, fmt.Errorf("REDIS_URL: %w", err)
	}
	ratelimit.TuneRedis(opts, ratelimit.DefaultRedisTimeout)
	client := redis.NewClient(opts)
	pctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if err := client.Ping(pctx).Err(); err != nil {
		log.Warn("REDIS_URL: Redis does not answer; limiting per instance in memory until it does", "error", err)
	}
	limiter := ratelimit.NewResilient(ratelimit.NewRedis(client, "chatbot:ratelimit:"), log, ratelimit.ResilientOptions{})
	return limiter, func() { client.Close() }, nil
}

// OpenStoreTimeout bounds opening the database, migrations included: waiting for another instance's
// migrations (PostgreSQL) or writing the copy made before migrating (SQLite) can take minutes on a
// large database.
const OpenStoreTimeout = 10 * time.Minute

// OpenStore opens and migrates the database DATABASE_URL names, logging to log what it migrated and
// where it copied a SQLite database before migrating it (nil: nowhere).
func OpenStore(ctx context.Context, databaseURL string, log *slog.Logger) (store.Store, error) {
	engine, target, err := config.ParseDatabaseURL(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("DATABASE_URL %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, OpenStoreTimeout)
	defer cancel()
	if engine == config.Postgres {
		return postgres.OpenWith(ctx, target, postgres.Options{Log: log})
	}
	return sqlite.OpenWith(ctx, target, sqlite.Options{Log: log})
}

// Backup writes a consistent copy of the SQLite database DATABASE_URL names to dest, a file that must
// not exist, while the server goes on using the database (VACUUM INTO). PostgreSQL databases are
// copied with pg_dump instead: the error says how.
func Backup(ctx context.Context, databaseURL, dest string) error {
	engine, target, err := config.ParseDatabaseURL(databaseURL)
	if err != nil {
		return fmt.Errorf("DATABASE_URL %w", err)
	}
	if engine == config.Postgres {
		return errors.New(`backup copies SQLite databases; DATABASE_URL names PostgreSQL: use pg_dump --format=custom --file=PATH "$DATABASE_URL" (restore with pg_restore --clean --if-exists --no-owner --dbname="$DATABASE_URL" PATH)`)
	}
	return sqlite.Backup(ctx, target, dest)
}

// NewLogger logs to stderr and, when cfg.LogFile is set, to that file too, as text or JSON. The file
// rotates at LOG_MAX_MB, keeping LOG_MAX_FILES old ones; the Closer is its *lumberjack.Logger then.
// Errors: the log file cannot be opened.
func NewLogger(cfg config.Config) (*slog.Logger, io.Closer, error) {
	var w io.Writer = os.Stderr
	var closer io.Closer = io.NopCloser(nil)
	if cfg.LogFile != "" {
		// Opened here so a bad path fails at start-up (lumberjack opens lazily, and would create
		// missing directories), and with this mode, which rotated files keep.
		f, err := os.OpenFile(cfg.LogFile, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640)
		if err != nil {
			return nil, nil, fmt.Errorf("LOG_FILE: %w", err)
		}
		f.Close()
		lj := &lumberjack.Logger{Filename: cfg.LogFile, MaxSize: cfg.LogMaxMB, MaxBackups: cfg.LogMaxFiles}
		w, closer = io.MultiWriter(os.Stderr, lj), lj
	}
	var level slog.Level
	level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts)), closer, nil
	}
	return slog.New(slog.NewTextHandler(w, opts)), closer, nil
}

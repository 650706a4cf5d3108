// Package app wires the platform together from a Config: logger, store, services and the HTTP handler.
// cmd/chatbot runs it; tests and benchmarks build the same thing.
package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/redis/go-redis/v9"

	"github.com/chatbot-platform/chatbot/internal/apikey"
	"github.com/chatbot-platform/chatbot/internal/auth"
	"github.com/chatbot-platform/chatbot/internal/chat"
	"github.com/chatbot-platform/chatbot/internal/config"
	"github.com/chatbot-platform/chatbot/internal/file"
	"github.com/chatbot-platform/chatbot/internal/httpapi"
	"github.com/chatbot-platform/chatbot/internal/llm"
	"github.com/chatbot-platform/chatbot/internal/logctx"
	"github.com/chatbot-platform/chatbot/internal/project"
	"github.com/chatbot-platform/chatbot/internal/ratelimit"
	"github.com/chatbot-platform/chatbot/internal/store"
	"github.com/chatbot-platform/chatbot/internal/store/postgres"
	"github.com/chatbot-platform/chatbot/internal/store/sqlite"
)

// App is the running platform minus the listener.
type App struct {
	Echo   *echo.Echo
	Store  store.Store
	Writes *store.Batcher

	closeLimiter func()
}

// Options are what tests and the binary may vary beyond Config.
type Options struct {
	Log   *slog.Logger
	Store store.Store      // nil: open DATABASE_URL
	Pages func(*echo.Echo) // the dashboard and docs; nil: API only
	// Heartbeat is how often idle chat streams send a keep-alive (default 15s).
	Heartbeat time.Duration
}

// New builds the platform from cfg.
func New(ctx context.Context, cfg config.Config, o Options) (_ *App, err error) {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	// Every line logged with a request's context names the request and its caller.
	log := slog.New(logctx.NewHandler(o.Log.Handler()))
	st := o.Store
	if st == nil {
		if st, err = OpenStore(ctx, cfg.DatabaseURL); err != nil {
			return nil, err
		}
		defer func() {
			if err != nil {
				st.Close()
			}
		}()
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
	limiter, closeLimiter, err := newLimiter(ctx, cfg)
	if err != nil {
		return nil, err
	}
	projects := project.NewService(st, project.Defaults{
		Model: cfg.OpenAIModel, Temperature: cfg.OpenAITemperature, MaxOutputTokens: cfg.OpenAIMaxOutputTokens,
	}, log)
	retries := cfg.OpenAIMaxRetries
	if retries == 0 {
		retries = -1 // llm reads 0 as "the default"
	}
	openai := llm.New(llm.Config{
		APIKey: cfg.OpenAIAPIKey, BaseURL: cfg.OpenAIBaseURL, Timeout: cfg.OpenAITimeout,
		StreamIdleTimeout: cfg.OpenAIStreamIdle, MaxRetries: retries, BaseDelay: cfg.OpenAIRetryDelay,
	}, log)
	files := file.NewService(st, openai, cfg.MaxUploadMB<<20, log)
	projects.OnDelete(files) // files and the vector store at OpenAI go before the project
	writes := store.NewBatcher(st)
	chats := chat.NewService(st, writes, openai, files, cfg.ChatHistoryChars, log)
	e, err := httpapi.New(httpapi.Deps{
		Config:    cfg,
		Log:       log,
		Store:     st,
		Auth:      auth.NewService(st, auth.NewHasher(cfg.PasswordHashRounds), tokens, log),
		Keys:      apikey.NewService(st, log),
		Projects:  projects,
		Files:     files,
		Chat:      chats,
		Limiter:   limiter,
		Pages:     o.Pages,
		Heartbeat: o.Heartbeat,
	})
	if err != nil {
		writes.Close()
		closeLimiter()
		return nil, err
	}
	return &App{Echo: e, Store: st, Writes: writes, closeLimiter: closeLimiter}, nil
}

// Close finishes queued writes and releases the store.
func (a *App) Close() {
	a.Writes.Close()
	a.Store.Close()
	a.closeLimiter()
}

// newLimiter builds the rate limiter of every limit (per IP, user and key): in Redis when REDIS_URL is
// set (shared by every instance), in memory otherwise.
func newLimiter(ctx context.Context, cfg config.Config) (ratelimit.Limiter, func(), error) {
	if cfg.RedisURL == "" {
		return ratelimit.NewMemory(), func() {}, nil
	}
	opts, err := redis.ParseURL(cfg.RedisURL)
	if err != nil {
		return nil, nil, fmt.Errorf("REDIS_URL: %w", err)
	}
	client := redis.NewClient(opts)
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := client.Ping(pctx).Err(); err != nil {
		client.Close()
		return nil, nil, fmt.Errorf("REDIS_URL: Redis does not answer: %w", err)
	}
	return ratelimit.NewRedis(client, "chatbot:ratelimit:"), func() { client.Close() }, nil
}

// OpenStore opens and migrates the database DATABASE_URL names.
func OpenStore(ctx context.Context, databaseURL string) (store.Store, error) {
	engine, target, err := config.ParseDatabaseURL(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("DATABASE_URL %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if engine == config.Postgres {
		return postgres.Open(ctx, target)
	}
	return sqlite.Open(ctx, target)
}

// NewLogger logs to stderr and, when cfg.LogFile is set, to that file too, as text or JSON.
func NewLogger(cfg config.Config) (*slog.Logger, io.Closer, error) {
	var w io.Writer = os.Stderr
	var closer io.Closer = io.NopCloser(nil)
	if cfg.LogFile != "" {
		f, err := os.OpenFile(cfg.LogFile, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640)
		if err != nil {
			return nil, nil, fmt.Errorf("LOG_FILE: %w", err)
		}
		w, closer = io.MultiWriter(os.Stderr, f), f
	}
	var level slog.Level
	level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts)), closer, nil
	}
	return slog.New(slog.NewTextHandler(w, opts)), closer, nil
}

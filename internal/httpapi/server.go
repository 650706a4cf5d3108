package httpapi

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"go.opentelemetry.io/otel/trace"

	"github.com/chatbot-platform/chatbot/api"
	"github.com/chatbot-platform/chatbot/internal/apigen"
	"github.com/chatbot-platform/chatbot/internal/apikey"
	"github.com/chatbot-platform/chatbot/internal/auth"
	"github.com/chatbot-platform/chatbot/internal/bundle"
	"github.com/chatbot-platform/chatbot/internal/chat"
	"github.com/chatbot-platform/chatbot/internal/config"
	"github.com/chatbot-platform/chatbot/internal/eval"
	"github.com/chatbot-platform/chatbot/internal/feedback"
	"github.com/chatbot-platform/chatbot/internal/file"
	"github.com/chatbot-platform/chatbot/internal/logctx"
	"github.com/chatbot-platform/chatbot/internal/metrics"
	"github.com/chatbot-platform/chatbot/internal/project"
	"github.com/chatbot-platform/chatbot/internal/ratelimit"
	"github.com/chatbot-platform/chatbot/internal/release"
	"github.com/chatbot-platform/chatbot/internal/store"
	"github.com/chatbot-platform/chatbot/internal/usage"
	"github.com/chatbot-platform/chatbot/internal/webhook"
)

// Deps are what the HTTP edge is built from.
type Deps struct {
	Config config.Config
	Log    *slog.Logger
	Store  store.Store
	// Writes is the group commit; /health checks writes through it (nil: reads only).
	Writes   *store.Batcher
	Auth     *auth.Service
	Keys     *apikey.Service
	Projects *project.Service
	Bundles  *bundle.Service
	Files    *file.Service
	Releases *release.Service
	Chat     *chat.Service
	Evals    *eval.Service
	Usage    *usage.Service
	Webhooks *webhook.Service
	Feedback *feedback.Service
	// Heartbeat is how often an idle chat stream sends a keep-alive comment (default 15s).
	Heartbeat time.Duration
	// Limiter keeps every rate limit (per client IP, user and key, at the Config's rates); nil: none.
	Limiter ratelimit.Limiter
	// Pages registers the dashboard and docs pages; nil serves the API only.
	Pages func(*echo.Echo)
	// Metrics records requests and rate-limit refusals; nil records nothing.
	Metrics *metrics.Metrics
	// Stopping closes when the server's shutdown grace period is over: open chat streams then end
	// with an error event saying the server is restarting. nil: never.
	Stopping <-chan struct{}
	// TracerProvider makes a server span per request, child of an incoming W3C traceparent; nil or
	// a no-op provider: no tracing middleware at all.
	TracerProvider trace.TracerProvider
}

// Spec is the parsed OpenAPI document.
func Spec() (*openapi3.T, error) {
	doc, err := openapi3.NewLoader().LoadFromData(api.OpenAPIYAML)
	if err != nil {
		return nil, fmt.Errorf("openapi: %w", err)
	}
	if err := doc.Validate(openapi3.NewLoader().Context); err != nil {
		return nil, fmt.Errorf("openapi: %w", err)
	}
	return doc, nil
}

// New builds the Echo app: middleware, the API, /openapi.json|yaml and the pages.
func New(d Deps) (*echo.Echo, error) {
	doc, err := Spec()
	if err != nil {
		return nil, err
	}
	// Encoded at its first request: it costs ≈ 20 ms, which start-up need not wait for.
	specJSON := sync.OnceValues(doc.MarshalJSON)
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = errorHandler(d.Log)
	e.IPExtractor = ipExtractor(d.Config)

	ops := newOperations(doc)
	e.Use(safeRequestID, middleware.RequestIDWithConfig(middleware.RequestIDConfig{
		// The id goes into the request's context too, where logctx finds it for every log line.
		RequestIDHandler: func(c echo.Context, id string) {
			c.SetRequest(c.Request().WithContext(logctx.WithRequestID(c.Request().Context(), id)))
		},
	}))
	if tracing(d.TracerProvider) {
		e.Use(traceRequests(d.TracerProvider))
	}
	e.Use(
		accessLog(d.Log, d.Metrics),
		recoverPanics(d.Log),
	)
	if len(d.Config.CORSOrigins) > 0 {
		e.Use(middleware.CORSWithConfig(middleware.CORSConfig{
			AllowOrigins:     d.Config.CORSOrigins,
			AllowMethods:     []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete},
			AllowHeaders:     []string{echo.HeaderAuthorization, echo.HeaderContentType, "Idempotency-Key"},
			AllowCredentials: false, // bearer tokens, never cookies: '*' stays safe
			MaxAge:           600,
		}))
	}
	maxUpload := d.Config.MaxUploadMB<<20 + 1<<20 // the file plus room for the multipart framing
	e.Use(
		ops.resolve,
		widgetCORS(ops, d.Config.CORSOrigins),
		apiHeaders,
		requestDeadline(d.Config.RequestTimeout),
		authenticate(d.Auth, d.Keys),
		rateLimit(d.Limiter, d.Config, d.Log, d.Metrics),
		validateRequest(d.Config.MaxBodyBytes, maxUpload),
		rememberAccept,
	)

	heartbeat := d.Heartbeat
	if heartbeat == 0 {
		heartbeat = 15 * time.Second
	}
	h := &Handlers{store: d.Store, auth: d.Auth, keys: d.Keys, projects: d.Projects, bundles: d.Bundles, files: d.Files, releases: d.Releases, chat: d.Chat, evals: d.Evals, usage: d.Usage, webhooks: d.Webhooks, feedback: d.Feedback, heartbeat: heartbeat, writes: d.Writes,
		limiter: d.Limiter, metrics: d.Metrics, streams: ratelimit.NewConcurrency(), uploads: ratelimit.NewConcurrency(),
		stopping: d.Stopping, log: d.Log,
		limits: limits{loginPerEmail: d.Config.RateLimitLoginEmail, emailsPerAddress: d.Config.RateLimitEmail, streamsPerUser: d.Config.MaxStreamsPerUser, uploadsPerUser: d.Config.MaxUploadsPerUser}}
	apigen.RegisterHandlers(e, apigen.NewStrictHandler(h, nil))
	if err := ops.coverRoutes(e.Routes()); err != nil {
		return nil, err
	}
	e.GET("/openapi.json", func(c echo.Context) error {
		body, err := specJSON()
		if err != nil {
			return fmt.Errorf("openapi: %w", err)
		}
		return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, body)
	})
	e.GET("/openapi.yaml", func(c echo.Context) error { return c.Blob(http.StatusOK, "application/yaml", api.OpenAPIYAML) })
	if d.Pages != nil {
		d.Pages(e)
	}
	if err := ops.onlyPagesBesides(e.Routes()); err != nil {
		return nil, err
	}
	return e, nil
}

// ipExtractor believes X-Forwarded-For only from TRUSTED_PROXIES; otherwise the peer address is the client.
func ipExtractor(c config.Config) echo.IPExtractor {
	if len(c.TrustedProxies) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, p := range c.TrustedProxies {
		ipnet := &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
		opts = append(opts, echo.TrustIPRange(ipnet))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}

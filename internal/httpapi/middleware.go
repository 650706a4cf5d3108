package httpapi

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/chatbot-platform/chatbot/internal/apikey"
	"github.com/chatbot-platform/chatbot/internal/auth"
	"github.com/chatbot-platform/chatbot/internal/config"
	"github.com/chatbot-platform/chatbot/internal/metrics"
	"github.com/chatbot-platform/chatbot/internal/model"
	"github.com/chatbot-platform/chatbot/internal/ratelimit"
	"github.com/chatbot-platform/chatbot/internal/store"
)

// clientRequestID is the X-Request-Id a client may choose: it is echoed in the response and written
// into every log line of the request, so nothing that could forge a line or a header passes.
var clientRequestID = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// safeRequestID drops a client's X-Request-Id that is not 1–64 characters of [A-Za-z0-9._-]; Echo's
// RequestID middleware, after it, then generates one.
func safeRequestID(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Request().Header
		if id := h.Get(echo.HeaderXRequestID); id != "" && !clientRequestID.MatchString(id) {
			h.Del(echo.HeaderXRequestID)
		}
		return next(c)
	}
}

// accessLog writes one line per request (method, route, status, latency; logctx adds the request id,
// user id and key id) and records the request's metrics.
func accessLog(log *slog.Logger, m *metrics.Metrics) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			err := next(c)
			if err != nil {
				c.Error(err) // write the error response now so its status is what we log
			}
			latency := time.Since(start)
			route := c.Path()
			status := c.Response().Status
			m.HTTPRequest(route, c.Request().Method, status, latency)
			if route == "" { // no route: the raw path is the client's to choose, so it stays out of the log
				route = metrics.Unmatched
			}
			level := slog.LevelInfo
			if status >= 500 {
				level = slog.LevelError
			}
			log.LogAttrs(c.Request().Context(), level, "request",
				slog.String("method", c.Request().Method),
				slog.String("route", route),
				slog.Int("status", status),
				slog.Duration("latency", latency),
			)
			return nil
		}
	}
}

// authenticate checks the credentials of every route whose spec operation has security, as that
// operation's security says: a user's token, or a project key with one of the listed scopes, from an
// allowed origin for a publishable key, on its own project only. It puts the caller in the context.
func authenticate(users *auth.Service, keys *apikey.Service) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			op := operationOf(c)
			if op != nil && op.authRoute { // a sign-in keeps where it came from with its session
				from := auth.Client{IP: c.RealIP(), UserAgent: c.Request().UserAgent(), HTTPS: c.Scheme() == "https"}
				c.SetRequest(c.Request().WithContext(auth.WithClient(c.Request().Context(), from)))
			}
			if op == nil || op.public {
				return next(c)
			}
			header := c.Request().Header.Get(echo.HeaderAuthorization)
			if header == "" && op.userCookie {
				if ck, err := c.Cookie(sessionCookie); err == nil && ck.Value != "" {
					return cookieSession(c, next, users, ck.Value)
				}
			}
			scheme, token, _ := strings.Cut(header, " ")
			token = strings.TrimSpace(token)
			if !strings.EqualFold(scheme, "bearer") || token == "" {
				if op.userToken {
					return auth.ErrInvalidToken
				}
				return apikey.ErrInvalidKey
			}
			ctx := c.Request().Context()
			if !apikey.IsKey(token) {
				if !op.userToken {
					return &model.UnauthorizedError{Detail: "This endpoint takes a project key (cb_sk_...), not a user's token"}
				}
				u, sess, err := users.Authenticate(ctx, token)
				if err != nil {
					return err
				}
				signIn(c, u, sess.ID)
				return next(c)
			}
			k, err := keys.Authenticate(ctx, token)
			if err != nil {
				return err
			}
			if len(op.keyScopes) == 0 {
				return &model.ForbiddenError{Detail: "This operation needs a signed-in user's token: project keys cannot use it"}
			}
			if !slices.ContainsFunc(op.keyScopes, k.HasScope) {
				return &model.ForbiddenError{Detail: fmt.Sprintf("This key lacks the %s scope this operation needs", strings.Join(op.keyScopes, " or "))}
			}
			if err := apikey.CheckOrigin(k, c.Request().Header.Get(echo.HeaderOrigin)); err != nil {
				return err
			}
			if op.projectParam {
				if id, err := strconv.ParseInt(c.Param("project_id"), 10, 64); err == nil && id != k.ProjectID {
					return store.ErrNotFound
				}
			}
			c.SetRequest(c.Request().WithContext(auth.WithKey(ctx, k)))
			return next(c)
		}
	}
}

// requestDeadline bounds the operations that never call OpenAI: whatever the database does (another
// process holding SQLite's write lock, a PostgreSQL restart), they answer within timeout, a 503 past
// it, instead of queueing behind each other. Operations that may wait on OpenAI keep their own deadlines.
func requestDeadline(timeout time.Duration) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if op := operationOf(c); op == nil || op.callsUpstream || timeout <= 0 {
				return next(c)
			}
			ctx, cancel := context.WithTimeout(c.Request().Context(), timeout)
			defer cancel()
			c.SetRequest(c.Request().WithContext(ctx))
			return next(c)
		}
	}
}

// signIn makes the rest of the request act as user u in session sessionID (token or cookie alike).
func signIn(c echo.Context, u model.User, sessionID int64) {
	c.SetRequest(c.Request().WithContext(auth.WithSession(auth.WithUser(c.Request().Context(), u), sessionID)))
}

// rateLimit limits register and login per client IP, project keys per key (at the key's own rate, or
// RATE_LIMIT_KEY), and every other API route per user. A limit of 0 is off.
func rateLimit(limiter ratelimit.Limiter, cfg config.Config, log *slog.Logger, m *metrics.Metrics) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			op := operationOf(c)
			ctx := c.Request().Context()
			var key, limit string
			var perMinute int
			switch k := auth.KeyFrom(ctx); {
			case op == nil:
			case op.authRoute:
				key, limit, perMinute = "ip:"+c.RealIP(), metrics.LimitIP, cfg.RateLimitAuth
			case k != nil:
				key, limit, perMinute = "key:"+strconv.FormatInt(k.ID, 10), metrics.LimitKey, cfg.RateLimitKey
				if k.RateLimitPerMinute != nil {
					perMinute = int(*k.RateLimitPerMinute)
				}
			case !op.public:
				key, limit, perMinute = "user:"+strconv.FormatInt(auth.UserID(ctx), 10), metrics.LimitUser, cfg.RateLimitAPI
			}
			if limiter == nil || perMinute <= 0 {
				return next(c)
			}
			ok, retry, err := limiter.Allow(ctx, key, perMinute)
			if err != nil { // last resort (Redis outages are answered from memory): never take the API down
				log.WarnContext(ctx, "rate limiter unavailable; allowing request", "error", err)
				return next(c)
			}
			if !ok {
				m.RateLimitRefused(limit)
				return &model.LimitError{Detail: "Too many requests: try again in " + seconds(retry) + " seconds", RetryAfter: retry}
			}
			return next(c)
		}
	}
}

// widgetCORS lets pages on other sites call the operations a chat key may use. A preflight carries no
// key, so it is answered for any origin; the request itself is then checked against the key's
// allowed origins (authenticate). Responses to publishable keys name the page's origin, errors
// included, so the widget can tell a visitor why it was refused; no cookies are ever allowed.
func widgetCORS(ops operations, configured []string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			origin := req.Header.Get(echo.HeaderOrigin)
			if origin == "" || slices.Contains(configured, origin) {
				return next(c) // same origin, or CORS_ORIGINS's own middleware answers
			}
			h := c.Response().Header()
			if req.Method == http.MethodOptions {
				method := req.Header.Get(echo.HeaderAccessControlRequestMethod)
				if op := ops[method+" "+c.Path()]; op == nil || !slices.Contains(op.keyScopes, model.ScopeChat) {
					return next(c)
				}
				h.Add(echo.HeaderVary, echo.HeaderOrigin)
				h.Set(echo.HeaderAccessControlAllowOrigin, origin)
				h.Set(echo.HeaderAccessControlAllowMethods, method)
				h.Set(echo.HeaderAccessControlAllowHeaders, "Authorization, Content-Type, X-Visitor-Id")
				h.Set(echo.HeaderAccessControlMaxAge, "600")
				return c.NoContent(http.StatusNoContent)
			}
			if op := operationOf(c); op != nil && slices.Contains(op.keyScopes, model.ScopeChat) &&
				strings.HasPrefix(strings.TrimPrefix(req.Header.Get(echo.HeaderAuthorization), "Bearer "), apikey.PublishablePrefix) {
				h.Add(echo.HeaderVary, echo.HeaderOrigin)
				h.Set(echo.HeaderAccessControlAllowOrigin, origin)
				h.Set(echo.HeaderAccessControlExposeHeaders, "Retry-After")
			}
			return next(c)
		}
	}
}

// apiHeaders marks API responses so browsers never sniff or frame them.
func apiHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if operationOf(c) != nil {
			h := c.Response().Header()
			h.Set(echo.HeaderXContentTypeOptions, "nosniff")
			h.Set("Cache-Control", "no-store")
		}
		return next(c)
	}
}

// seconds is d in whole seconds, rounded up, at least 1, for a detail that matches Retry-After.
func seconds(d time.Duration) string {
	return strconv.Itoa(max(1, int((d+time.Second-1)/time.Second)))
}

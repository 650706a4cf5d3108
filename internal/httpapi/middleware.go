package httpapi

import (
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/chatbot-platform/chatbot/internal/auth"
	"github.com/chatbot-platform/chatbot/internal/ratelimit"
)

// accessLog writes one line per request: method, route, status, latency, request id, user id.
func accessLog(log *slog.Logger) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			err := next(c)
			if err != nil {
				c.Error(err) // write the error response now so its status is what we log
			}
			route := c.Path()
			if route == "" {
				route = c.Request().URL.Path
			}
			status := c.Response().Status
			level := slog.LevelInfo
			if status >= 500 {
				level = slog.LevelError
			}
			log.LogAttrs(c.Request().Context(), level, "request",
				slog.String("method", c.Request().Method),
				slog.String("route", route),
				slog.Int("status", status),
				slog.Duration("latency", time.Since(start)),
				slog.String("request_id", requestID(c)),
				slog.Int64("user_id", auth.UserID(c.Request().Context())),
			)
			return nil
		}
	}
}

// authenticate checks the bearer token on every route whose spec operation has security, and puts the
// user in the request's context.
func authenticate(svc *auth.Service) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			op := operationOf(c)
			if op == nil || op.public {
				return next(c)
			}
			scheme, token, _ := strings.Cut(c.Request().Header.Get(echo.HeaderAuthorization), " ")
			if !strings.EqualFold(scheme, "bearer") || token == "" {
				return auth.ErrInvalidToken
			}
			u, err := svc.Authenticate(c.Request().Context(), strings.TrimSpace(token))
			if err != nil {
				return err
			}
			c.SetRequest(c.Request().WithContext(auth.WithUser(c.Request().Context(), u)))
			return next(c)
		}
	}
}

// rateLimit limits register and login per client IP, and every other API route per user. A nil
// limiter switches that limit off.
func rateLimit(byIP, byUser ratelimit.Limiter, log *slog.Logger) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			op := operationOf(c)
			var limiter ratelimit.Limiter
			var key string
			switch {
			case op == nil:
			case op.authRoute:
				limiter, key = byIP, "ip:"+c.RealIP()
			case !op.public:
				limiter, key = byUser, "user:"+strconv.FormatInt(auth.UserID(c.Request().Context()), 10)
			}
			if limiter == nil {
				return next(c)
			}
			ok, retry, err := limiter.Allow(c.Request().Context(), key)
			if err != nil { // a limiter outage must not take the API down with it
				log.WarnContext(c.Request().Context(), "rate limiter unavailable; allowing request", "error", err)
				return next(c)
			}
			if !ok {
				secs := max(1, int((retry+time.Second-1)/time.Second))
				c.Response().Header().Set("Retry-After", strconv.Itoa(secs))
				return echo.NewHTTPError(http.StatusTooManyRequests, "Too many requests: try again in "+strconv.Itoa(secs)+" seconds")
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

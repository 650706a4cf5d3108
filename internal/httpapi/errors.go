package httpapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/chatbot-platform/chatbot/internal/apigen"
	"github.com/chatbot-platform/chatbot/internal/auth"
	"github.com/chatbot-platform/chatbot/internal/chat"
	"github.com/chatbot-platform/chatbot/internal/file"
	"github.com/chatbot-platform/chatbot/internal/llm"
	"github.com/chatbot-platform/chatbot/internal/model"
	"github.com/chatbot-platform/chatbot/internal/panics"
	"github.com/chatbot-platform/chatbot/internal/store"
)

// errorHandler is the one place errors become responses: always {"detail": ...}, never an internal
// error's text in a 5xx, each 5xx logged once (logctx adds its request id).
func errorHandler(log *slog.Logger) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		status, body := describe(err, c)
		switch {
		case errors.Is(err, context.Canceled) && c.Request().Context().Err() != nil:
			log.DebugContext(c.Request().Context(), "client went away")
			return
		case status >= 500 && status != http.StatusNotImplemented && !isPanic(err): // recoverPanics logged a panic, with its stack; 501 is a feature turned off
			log.ErrorContext(c.Request().Context(), "request failed",
				"method", c.Request().Method, "route", c.Path(), "status", status, "error", err)
		}
		if c.Request().Method == http.MethodHead {
			c.NoContent(status)
			return
		}
		if strings.HasPrefix(c.Request().URL.Path, "/v1/") {
			c.JSON(status, openAIError(status, body))
			return
		}
		c.JSON(status, body)
	}
}

// recoverPanics turns a panic in a handler (or in what it calls on its goroutine) into a 500 with the
// generic detail for this request alone, and logs it once with its stack.
func recoverPanics(log *slog.Logger) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) (err error) {
			defer func() {
				if v := recover(); v != nil {
					if v == http.ErrAbortHandler { // net/http's own way to abort a response
						panic(v)
					}
					err = &panics.Error{Value: v, Stack: debug.Stack()}
				}
				logPanic(c.Request().Context(), log, err)
			}()
			return next(c)
		}
	}
}

// logPanic logs err with its stack when it is a recovered panic (*panics.Error), and nothing else.
func logPanic(ctx context.Context, log *slog.Logger, err error) {
	var perr *panics.Error
	if errors.As(err, &perr) {
		log.ErrorContext(ctx, "panic recovered", "panic", fmt.Sprint(perr.Value), "stack", string(perr.Stack))
	}
}

func isPanic(err error) bool {
	var perr *panics.Error
	return errors.As(err, &perr)
}

// openAIError is the error in OpenAI's shape, which OpenAI SDKs read and raise (/v1/*).
func openAIError(status int, body apigen.Error) apigen.OpenAIError {
	typ, code := "api_error", ""
	switch status {
	case http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType:
		typ = "invalid_request_error"
	case http.StatusUnauthorized:
		typ, code = "authentication_error", "invalid_api_key"
	case http.StatusForbidden:
		typ = "permission_error"
	case http.StatusNotFound:
		typ = "not_found_error"
	case http.StatusTooManyRequests:
		typ, code = "rate_limit_error", "rate_limit_exceeded"
	}
	e := apigen.OpenAIError{}
	e.Error.Message, e.Error.Type = body.Detail, typ
	if body.Errors != nil && len(*body.Errors) > 0 {
		e.Error.Param = &(*body.Errors)[0].Field
	}
	if code != "" {
		e.Error.Code = &code
	}
	return e
}

// describe maps an error to its status and body.
func describe(err error, c echo.Context) (int, apigen.Error) {
	p := classify(err, resourceName(c))
	if p.challenge {
		c.Response().Header().Set(echo.HeaderWWWAuthenticate, "Bearer")
	}
	setRetryAfter(c, p.retryAfter)
	return p.status, p.body
}

// problem is how the API answers an error.
type problem struct {
	status     int
	body       apigen.Error
	retryAfter time.Duration // sent as Retry-After when > 0
	challenge  bool          // sent with WWW-Authenticate: Bearer
}

// classify is the one place that maps errors to statuses, for responses and a stream's error event
// alike; the packages below report kinds (model errors, store sentinels, llm.Kind) and never statuses.
// resource names what a bare store.ErrNotFound was about.
func classify(err error, resource string) problem {
	var (
		verr     *model.ValidationError
		nf       *model.NotFoundError
		unath    *model.UnauthorizedError
		forb     *model.ForbiddenError
		conflict *model.ConflictError
		limit    *model.LimitError
		herr     *echo.HTTPError
		uerr     *llm.Error
		large    *file.TooLargeError
	)
	switch {
	case errors.As(err, &verr):
		return problem{status: http.StatusBadRequest, body: validationBody(verr)}
	case errors.As(err, &large):
		return problem{status: http.StatusRequestEntityTooLarge, body: detail(large.Error())}
	case errors.As(err, &nf):
		return problem{status: http.StatusNotFound, body: detail(nf.Error())}
	case errors.Is(err, store.ErrNotFound):
		return problem{status: http.StatusNotFound, body: detail(resource + " not found")}
	case errors.Is(err, auth.ErrBadCredentials):
		return problem{status: http.StatusUnauthorized, body: detail("Incorrect email or password"), challenge: true}
	case errors.Is(err, auth.ErrInvalidToken):
		return problem{status: http.StatusUnauthorized, body: detail("Could not validate credentials: the token is missing, invalid or expired"), challenge: true}
	case errors.Is(err, auth.ErrMailOff):
		return problem{status: http.StatusNotImplemented, body: detail(err.Error())}
	case errors.Is(err, auth.ErrEmailVerified):
		return problem{status: http.StatusConflict, body: detail(err.Error())}
	case errors.As(err, &unath):
		return problem{status: http.StatusUnauthorized, body: detail(unath.Detail), challenge: true}
	case errors.Is(err, auth.ErrInvalidMFAToken):
		return problem{status: http.StatusUnauthorized, body: detail(err.Error()), challenge: true}
	case errors.Is(err, auth.ErrBadCode):
		return problem{status: http.StatusUnauthorized, body: detail("Incorrect code: it is wrong, expired or was used already"), challenge: true}
	case errors.As(err, &conflict):
		return problem{status: http.StatusConflict, body: detail(conflict.Detail)}
	case errors.As(err, &forb):
		return problem{status: http.StatusForbidden, body: detail(forb.Detail)}
	case errors.As(err, &limit):
		return problem{status: http.StatusTooManyRequests, body: detail(limit.Detail), retryAfter: limit.RetryAfter}
	case errors.As(err, &uerr):
		return problem{status: upstreamStatus(uerr.Kind), body: detail(uerr.Detail()), retryAfter: uerr.RetryAfter}
	case errors.As(err, &herr):
		return problem{status: herr.Code, body: detail(httpErrorDetail(herr))}
	case errors.Is(err, store.ErrUnavailable):
		return problem{status: http.StatusServiceUnavailable, body: detail(dbUnavailableDetail), retryAfter: dbRetryAfter}
	case errors.Is(err, errRestarting):
		return problem{status: http.StatusServiceUnavailable, body: detail("The server is restarting; the reply so far is stored as incomplete. Send the message again.")}
	case errors.Is(err, chat.ErrKeyInFlight):
		return problem{status: http.StatusConflict, body: detail(err.Error())}
	case errors.Is(err, chat.ErrKeyReused):
		return problem{status: http.StatusUnprocessableEntity, body: detail(err.Error())}
	case errors.Is(err, context.DeadlineExceeded):
		return problem{status: http.StatusServiceUnavailable, body: detail("the request took too long; try again"), retryAfter: dbRetryAfter}
	}
	return problem{status: http.StatusInternalServerError, body: detail("internal error")}
}

// upstreamStatus is what our API answers for a failed upstream call of kind k.
func upstreamStatus(k llm.Kind) int {
	switch k {
	case llm.KindNotConfigured, llm.KindRateLimited:
		return http.StatusServiceUnavailable
	case llm.KindTimeout:
		return http.StatusGatewayTimeout
	case llm.KindCanceled:
		return 499 // the de-facto "client closed request"
	default: // upstream error, key rejected, quota exhausted, already gone at OpenAI
		return http.StatusBadGateway
	}
}

// dbRetryAfter is the Retry-After sent while the database is unavailable: about one write deadline.
const dbRetryAfter = 5 * time.Second

const dbUnavailableDetail = "The database is unavailable right now (restarting, locked or full); nothing was changed: try again shortly"

func detail(s string) apigen.Error { return apigen.Error{Detail: s} }

// setRetryAfter sends Retry-After in whole seconds, rounded up.
func setRetryAfter(c echo.Context, d time.Duration) {
	if d > 0 {
		c.Response().Header().Set("Retry-After", strconv.Itoa(int((d+time.Second-1)/time.Second)))
	}
}

func validationBody(v *model.ValidationError) apigen.Error {
	fields := make([]apigen.FieldError, len(v.Fields))
	for i, f := range v.Fields {
		fields[i] = apigen.FieldError{Field: f.Field, Message: f.Message}
	}
	return apigen.Error{Detail: v.Error(), Errors: &fields}
}

// httpErrorDetail gives Echo's own errors (404, 405, 413, ...) a readable detail.
func httpErrorDetail(he *echo.HTTPError) string {
	switch he.Code {
	case http.StatusNotFound:
		return "Not Found"
	case http.StatusMethodNotAllowed:
		return "Method Not Allowed"
	}
	if he.Internal != nil && he.Code >= 500 {
		return http.StatusText(he.Code)
	}
	if s, ok := he.Message.(string); ok {
		return s
	}
	return fmt.Sprint(he.Message)
}

// resourceName names what a route's id parameter points at: /projects/:project_id -> "project".
func resourceName(c echo.Context) string {
	names := c.ParamNames()
	if len(names) == 0 {
		return "resource"
	}
	return strings.TrimSuffix(names[len(names)-1], "_id")
}

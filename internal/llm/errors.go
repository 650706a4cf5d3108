package llm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"time"

	openai "github.com/sashabaranov/go-openai"
)

// Kind classifies a failed upstream call; the HTTP edge decides what status our API answers with
// for each (the statuses noted below).
type Kind int

// The kinds of failure.
const (
	// KindUpstream: OpenAI failed or refused the request (5xx after retries,
	// 400, 404 on responses, a broken connection, a cut stream). 502.
	KindUpstream Kind = iota + 1
	// KindNotConfigured: no API key is set. 503.
	KindNotConfigured
	// KindAuth: OpenAI rejected the API key (401/403). 502.
	KindAuth
	// KindQuota: the OpenAI account has no quota left (429
	// insufficient_quota). 502.
	KindQuota
	// KindRateLimited: still rate limited after the retries. 503 with
	// Error.RetryAfter.
	KindRateLimited
	// KindTimeout: OpenAI did not answer (or a stream went silent) in time. 504.
	KindTimeout
	// KindNotFound: the file or vector store is already gone at OpenAI
	// (only from file and vector store calls). errors.Is(err, ErrNotFound).
	// 502 if it reaches a user.
	KindNotFound
	// KindCanceled: the caller's context was canceled (the client left).
	// 499, the de-facto "client closed request" status.
	KindCanceled
)

var kindNames = map[Kind]string{
	KindUpstream: "upstream error", KindNotConfigured: "not configured", KindAuth: "api key rejected",
	KindQuota: "quota exhausted", KindRateLimited: "rate limited", KindTimeout: "timeout",
	KindNotFound: "not found", KindCanceled: "canceled",
}

func (k Kind) String() string {
	if s, ok := kindNames[k]; ok {
		return s
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Label is the kind as a metric label, span error type and usage-ledger outcome: "rate_limited",
// "timeout", ... ("unknown" for a kind without a name).
func (k Kind) Label() string {
	if s, ok := kindNames[k]; ok {
		return strings.ReplaceAll(s, " ", "_")
	}
	return "unknown"
}

// ErrNotFound matches (errors.Is) an *Error of KindNotFound: OpenAI says the
// file, vector store or attachment does not exist (e.g. already deleted).
var ErrNotFound = errors.New("llm: not found at OpenAI")

// Error is the only error type the client returns (besides io.EOF from
// Stream.Next). Error() is for logs and holds no upstream message text;
// Detail() is for users.
type Error struct {
	Kind           Kind
	RetryAfter     time.Duration // KindRateLimited: when to try again (0 if unknown)
	Attempts       int           // upstream tries made
	UpstreamStatus int           // OpenAI's HTTP status (0: none, e.g. connection error)
	Code           string        // OpenAI's error code or type, e.g. "rate_limit_exceeded"
	Err            error         // the underlying error; may hold upstream text: do not show users

	retry bool // worth another try
}

func newError(k Kind, err error) *Error { return &Error{Kind: k, Err: err} }

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "openai: %s", e.Kind)
	if e.UpstreamStatus != 0 || e.Code != "" {
		fmt.Fprintf(&b, " (status %d", e.UpstreamStatus)
		if e.Code != "" {
			fmt.Fprintf(&b, ", %s", e.Code)
		}
		b.WriteString(")")
	}
	if e.Attempts > 0 {
		fmt.Fprintf(&b, " after %d attempt(s)", e.Attempts)
	}
	// Upstream errors carry OpenAI's message or body (which can quote part of
	// the key); other errors (network, context) are safe to show in logs.
	var apiErr *openai.APIError
	var reqErr *openai.RequestError
	var evErr *eventError
	if e.Err != nil && !errors.As(e.Err, &apiErr) && !errors.As(e.Err, &reqErr) && !errors.As(e.Err, &evErr) {
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	return b.String()
}

// Unwrap gives the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrNotFound) work.
func (e *Error) Is(target error) bool { return target == ErrNotFound && e.Kind == KindNotFound }

// Detail is a message for the platform's users: it never contains upstream
// bodies, keys or internals.
func (e *Error) Detail() string {
	switch e.Kind {
	case KindNotConfigured:
		return "The OpenAI integration is not configured: set OPENAI_API_KEY on the server."
	case KindAuth:
		return "The OpenAI API key was rejected by OpenAI; check OPENAI_API_KEY."
	case KindQuota:
		return "The OpenAI account's quota is exhausted; check the plan and billing details at OpenAI."
	case KindRateLimited:
		if e.RetryAfter > 0 {
			return fmt.Sprintf("OpenAI is rate limiting requests; try again in %d seconds.", retryAfterSeconds(e.RetryAfter))
		}
		return "OpenAI is rate limiting requests; try again later."
	case KindTimeout:
		return "OpenAI did not answer in time; try again."
	case KindNotFound:
		return "The file no longer exists at OpenAI."
	case KindCanceled:
		return "The request was canceled."
	}
	switch {
	case e.UpstreamStatus >= 500:
		return fmt.Sprintf("OpenAI failed to answer (HTTP %d); try again later.", e.UpstreamStatus)
	case e.UpstreamStatus >= 400:
		if safeCode.MatchString(e.Code) {
			return fmt.Sprintf("OpenAI rejected the request (HTTP %d, %s).", e.UpstreamStatus, e.Code)
		}
		return fmt.Sprintf("OpenAI rejected the request (HTTP %d).", e.UpstreamStatus)
	case errors.Is(e.Err, errStreamEnded):
		return "The reply from OpenAI was interrupted; try again."
	case e.UpstreamStatus == 0 && e.Code == "":
		return "Could not reach OpenAI; try again later."
	}
	return "OpenAI could not produce a reply; try again later."
}

// safeCode accepts only identifier-like error codes (model_not_found) for
// user messages.
var safeCode = regexp.MustCompile(`^[a-z0-9_.]{1,64}$`)

// retryAfterSeconds rounds up to whole seconds, for the Retry-After header.
func retryAfterSeconds(d time.Duration) int {
	return int((d + time.Second - 1) / time.Second)
}

// errStreamEnded: the stream closed without response.completed.
var errStreamEnded = errors.New("stream ended before response.completed")

// eventError is an error reported inside a 200 answer: a stream `error`
// event or a response with status failed.
type eventError struct{ code, message string }

func (e *eventError) Error() string { return "openai: " + e.code + ": " + e.message }

// codeString turns go-openai's `any` code into a string ("" for null, which
// go-openai decodes as the integer 0).
func codeString(c any) string {
	switch v := c.(type) {
	case nil:
		return ""
	case string:
		return v
	case int:
		if v == 0 {
			return ""
		}
	}
	return fmt.Sprint(c)
}

// classify decides the kind of a failed try and whether another try can
// succeed. ctx is the caller's context; info what the HTTP layer saw.
func classify(ctx context.Context, err error, info *tryInfo) *Error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		if errors.Is(ctxErr, context.DeadlineExceeded) {
			return newError(KindTimeout, ctxErr)
		}
		return newError(KindCanceled, ctxErr)
	}
	e := &Error{Err: err, UpstreamStatus: info.status, RetryAfter: info.retryAfter}
	var apiErr *openai.APIError
	var reqErr *openai.RequestError
	var evErr *eventError
	var netErr net.Error
	switch {
	case info.timedOut.Load():
		e.Kind, e.retry = KindTimeout, true
	case errors.As(err, &apiErr):
		e.Code = codeString(apiErr.Code)
		if e.Code == "" {
			e.Code = apiErr.Type
		}
		if apiErr.HTTPStatusCode != 0 {
			e.UpstreamStatus = apiErr.HTTPStatusCode
		}
		if e.UpstreamStatus == 0 { // an error object inside a stream
			e.Kind, e.retry = byCode(e.Code)
		} else {
			e.Kind, e.retry = byStatus(e.UpstreamStatus, codeString(apiErr.Code), apiErr.Type)
		}
	case errors.As(err, &reqErr): // an error status without OpenAI's JSON (a proxy's HTML page)
		e.UpstreamStatus = reqErr.HTTPStatusCode
		e.Kind, e.retry = byStatus(reqErr.HTTPStatusCode, "", "")
	case errors.As(err, &evErr):
		e.Code = evErr.code
		e.Kind, e.retry = byCode(evErr.code)
	case errors.As(err, &netErr) && netErr.Timeout():
		e.Kind, e.retry = KindTimeout, true
	case info.transportErr, errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF),
		errors.Is(err, errStreamEnded), errors.Is(err, net.ErrClosed):
		e.Kind, e.retry = KindUpstream, true // the connection broke: a new one may work
	default:
		e.Kind = KindUpstream
	}
	return e
}

// byStatus maps an upstream HTTP error status.
func byStatus(status int, code, typ string) (Kind, bool) {
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return KindAuth, false
	case status == http.StatusTooManyRequests && (code == "insufficient_quota" || typ == "insufficient_quota"):
		return KindQuota, false
	case status == http.StatusTooManyRequests:
		return KindRateLimited, true
	case status == http.StatusRequestTimeout:
		return KindTimeout, true
	case status == http.StatusNotFound:
		return KindNotFound, false // callers other than file calls turn it into KindUpstream
	case status >= 500:
		return KindUpstream, true
	}
	return KindUpstream, false
}

// byCode maps an error code found in a 200 answer (stream error event,
// failed response).
func byCode(code string) (Kind, bool) {
	switch code {
	case "rate_limit_exceeded":
		return KindRateLimited, true
	case "insufficient_quota":
		return KindQuota, false
	case "invalid_api_key":
		return KindAuth, false
	case "server_error", "internal_error":
		return KindUpstream, true
	}
	return KindUpstream, false
}

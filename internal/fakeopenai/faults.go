package fakeopenai

import (
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Endpoint names a route of the fake; its value is the route pattern.
type Endpoint string

// The routes the fake serves.
const (
	Responses          Endpoint = "POST /v1/responses"
	CreateFile         Endpoint = "POST /v1/files"
	GetFile            Endpoint = "GET /v1/files/{file_id}"
	DeleteFile         Endpoint = "DELETE /v1/files/{file_id}"
	CreateVectorStore  Endpoint = "POST /v1/vector_stores"
	GetVectorStore     Endpoint = "GET /v1/vector_stores/{vs_id}"
	DeleteVectorStore  Endpoint = "DELETE /v1/vector_stores/{vs_id}"
	AttachFile         Endpoint = "POST /v1/vector_stores/{vs_id}/files"
	GetVectorStoreFile Endpoint = "GET /v1/vector_stores/{vs_id}/files/{file_id}"
	DetachFile         Endpoint = "DELETE /v1/vector_stores/{vs_id}/files/{file_id}"
)

// StreamFault is what goes wrong in a stream: true response.
type StreamFault int

const (
	// StreamOK streams normally.
	StreamOK StreamFault = iota
	// StreamCut sends Fault.After deltas, then breaks the connection (the
	// client reads an unexpected EOF).
	StreamCut
	// StreamTruncate sends Fault.After deltas, then ends the HTTP response
	// cleanly without response.completed.
	StreamTruncate
	// StreamStall sends Fault.After deltas, then sends nothing until the client
	// goes away or the server is closed.
	StreamStall
	// StreamErrorEvent sends Fault.After deltas, then an `error` event with
	// Fault.Code and Fault.Message, and ends the stream.
	StreamErrorEvent
)

// Fault is a scripted misbehaviour for one call. The zero Fault answers
// normally. Queue faults with Server.Fail.
type Fault struct {
	// Status, when non-zero, answers with this HTTP status and OpenAI's error
	// JSON made of Type, Code, Param and Message (empty Code/Param are null),
	// or with Body verbatim when Body is set (e.g. an HTML error page).
	Status                     int
	Type, Code, Param, Message string
	Body                       string
	Header                     http.Header   // extra response headers (e.g. Retry-After)
	Delay                      time.Duration // wait before answering (added to WithLatency)
	Drop                       bool          // close the connection without any answer
	Stream                     StreamFault   // for streamed responses
	After                      int           // deltas sent before Stream happens
}

// APIError is an answer with OpenAI's error JSON.
func APIError(status int, typ, code, message string) Fault {
	return Fault{Status: status, Type: typ, Code: code, Message: message}
}

// RateLimit is OpenAI's 429 rate_limit_exceeded. A positive retryAfter adds
// the headers OpenAI sends: Retry-After (whole seconds, rounded up) and
// retry-after-ms.
func RateLimit(retryAfter time.Duration) Fault {
	f := APIError(http.StatusTooManyRequests, "tokens", "rate_limit_exceeded",
		"Rate limit reached for gpt-4o-mini in organization org-fake on tokens per min (TPM): Limit 200000, Used 199800, Requested 900. Please try again in 270ms. Visit https://platform.openai.com/account/rate-limits to learn more.")
	if retryAfter > 0 {
		f.Header = http.Header{}
		f.Header.Set("Retry-After", strconv.FormatInt(int64((retryAfter+time.Second-1)/time.Second), 10))
		f.Header.Set("Retry-After-Ms", strconv.FormatInt(retryAfter.Milliseconds(), 10))
	}
	return f
}

// RetryAfterSeconds is a 429 rate_limit_exceeded with only a
// `Retry-After: <value>` header (seconds or an HTTP date).
func RetryAfterSeconds(value string) Fault {
	f := RateLimit(0)
	f.Header = http.Header{"Retry-After": {value}}
	return f
}

// InsufficientQuota is OpenAI's 429 for an account without credit; retrying
// does not help.
func InsufficientQuota() Fault {
	return APIError(http.StatusTooManyRequests, "insufficient_quota", "insufficient_quota",
		"You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.")
}

// InvalidAPIKey is OpenAI's 401 for a wrong key.
func InvalidAPIKey() Fault {
	return APIError(http.StatusUnauthorized, "invalid_request_error", "invalid_api_key",
		"Incorrect API key provided: sk-fa*****-key. You can find your API key at https://platform.openai.com/account/api-keys.")
}

// ServerError is OpenAI's 500 server_error.
func ServerError() Fault {
	return APIError(http.StatusInternalServerError, "server_error", "",
		"The server had an error while processing your request. Sorry about that!")
}

// HTMLError answers status with the HTML page a proxy in front of OpenAI
// sends (e.g. 502/503 from Cloudflare): not JSON.
func HTMLError(status int) Fault {
	text := fmt.Sprintf("%d %s", status, http.StatusText(status))
	return Fault{Status: status, Body: "<html>\r\n<head><title>" + text + "</title></head>\r\n<body>\r\n<center><h1>" +
		text + "</h1></center>\r\n<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n"}
}

// DropConnection closes the connection without answering.
func DropConnection() Fault { return Fault{Drop: true} }

// Slow answers normally after d.
func Slow(d time.Duration) Fault { return Fault{Delay: d} }

// CutStream breaks the connection after `after` deltas.
func CutStream(after int) Fault { return Fault{Stream: StreamCut, After: after} }

// TruncateStream ends the stream cleanly after `after` deltas, without
// response.completed.
func TruncateStream(after int) Fault { return Fault{Stream: StreamTruncate, After: after} }

// StallStream goes silent after `after` deltas.
func StallStream(after int) Fault { return Fault{Stream: StreamStall, After: after} }

// StreamError sends an `error` event after `after` deltas.
func StreamError(after int, code, message string) Fault {
	return Fault{Stream: StreamErrorEvent, After: after, Code: code, Message: message}
}

// Fail queues f for the next n calls of ep (after any faults already queued).
func (s *Server) Fail(ep Endpoint, n int, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults[ep] = append(s.faults[ep], f)
	}
}

// ClearFaults drops every queued fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.faults)
}

func (s *Server) popFault(ep Endpoint) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.faults[ep]
	if len(q) == 0 {
		return Fault{}, false
	}
	s.faults[ep] = q[1:]
	return q[0], true
}

// Package fakeopenai is an in-memory HTTP fake of the parts of the OpenAI API
// the platform uses: the Responses API (JSON and SSE streams, with file_search
// citations), the Files API and vector stores. It speaks the real wire format
// so that the real client library (go-openai) can be tested against it, it
// records every request it receives, and tests can script failures (error
// answers, dropped connections, cut or stalled streams, delays).
//
// In tests use Start (an httptest server that is closed at cleanup) or
// httptest.NewServer(New(...)); cmd/fakeopenai runs it standalone.
package fakeopenai

import (
	"bufio"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// Server is the fake. It is an http.Handler; all methods are safe for
// concurrent use.
type Server struct {
	mux  *http.ServeMux
	done chan struct{} // closed by Close: releases stalled handlers
	once sync.Once
	base string // set by Start

	// Settings from Options; read-only after New.
	apiKey        string
	latency       time.Duration
	deltaDelay    time.Duration
	indexingDelay time.Duration
	contentLimit  int64
	replyFunc     func(ResponsesCall) string
	log           *slog.Logger

	mu       sync.Mutex
	requests []*Request
	faults   map[Endpoint][]Fault
	files    map[string]*File
	stores   map[string]*vectorStore
	failIdx  map[string]indexFailure // filename → scripted indexing failure
}

// Option configures a Server.
type Option func(*Server)

// WithAPIKey makes key the only accepted API key: requests with another
// non-empty key get OpenAI's 401 invalid_api_key error. Without this option any
// non-empty bearer token is accepted.
func WithAPIKey(key string) Option { return func(s *Server) { s.apiKey = key } }

// WithLatency delays every answer by d (before the status line), like a slow
// upstream; useful for benchmarks.
func WithLatency(d time.Duration) Option { return func(s *Server) { s.latency = d } }

// WithDeltaDelay waits d before each response.output_text.delta of a stream.
func WithDeltaDelay(d time.Duration) Option { return func(s *Server) { s.deltaDelay = d } }

// WithIndexingDelay sets how long a file attached to a vector store stays
// in_progress before it becomes completed (default 0: the attach answer says
// in_progress, any later read says completed).
func WithIndexingDelay(d time.Duration) Option { return func(s *Server) { s.indexingDelay = d } }

// WithContentLimit sets how many bytes of an uploaded file are kept (default
// 1 MiB). Larger uploads keep only this prefix plus their size and SHA-256, so
// huge uploads do not grow the fake's memory.
func WithContentLimit(n int64) Option { return func(s *Server) { s.contentLimit = n } }

// WithReply replaces the default reply text ("Echo: <last user message>", the system message for
// ShowSystemPrompt, or the rest of a ReplyDirective line of the system prompt).
func WithReply(f func(ResponsesCall) string) Option { return func(s *Server) { s.replyFunc = f } }

// WithLogger logs one line per request (method, path, status) to l.
func WithLogger(l *slog.Logger) Option { return func(s *Server) { s.log = l } }

// New returns a fake with empty state.
func New(opts ...Option) *Server {
	s := &Server{
		mux:          http.NewServeMux(),
		done:         make(chan struct{}),
		contentLimit: 1 << 20,
		faults:       map[Endpoint][]Fault{},
		files:        map[string]*File{},
		stores:       map[string]*vectorStore{},
		failIdx:      map[string]indexFailure{},
	}
	for _, o := range opts {
		o(s)
	}
	s.mux.HandleFunc(string(Responses), s.handleResponses)
	s.mux.HandleFunc(string(CreateFile), s.handleCreateFile)
	s.mux.HandleFunc(string(GetFile), s.handleGetFile)
	s.mux.HandleFunc(string(DeleteFile), s.handleDeleteFile)
	s.mux.HandleFunc(string(CreateVectorStore), s.handleCreateVectorStore)
	s.mux.HandleFunc(string(GetVectorStore), s.handleGetVectorStore)
	s.mux.HandleFunc(string(DeleteVectorStore), s.handleDeleteVectorStore)
	s.mux.HandleFunc(string(AttachFile), s.handleAttachFile)
	s.mux.HandleFunc(string(GetVectorStoreFile), s.handleGetVectorStoreFile)
	s.mux.HandleFunc(string(DetachFile), s.handleDetachFile)
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "invalid_request_error", "", "",
			fmt.Sprintf("Invalid URL (%s %s)", r.Method, r.URL.Path))
	})
	return s
}

// TB is the part of testing.TB that Start needs.
type TB interface {
	Helper()
	Cleanup(func())
}

// Start runs a new fake on an httptest server that is shut down when the test
// ends. URL gives its base URL (ending in /v1).
func Start(tb TB, opts ...Option) *Server {
	tb.Helper()
	s := New(opts...)
	ts := httptest.NewServer(s)
	s.base = ts.URL + "/v1"
	tb.Cleanup(func() {
		s.Close() // first: releases stalled streams, which ts.Close waits for
		ts.Close()
	})
	return s
}

// URL is the base URL to give a client (e.g. http://127.0.0.1:1234/v1); only
// set for servers made by Start.
func (s *Server) URL() string { return s.base }

// Close releases handlers that are stalling on purpose, so an http.Server
// serving the fake can shut down. The fake keeps answering other requests.
func (s *Server) Close() { s.once.Do(func() { close(s.done) }) }

// ServeHTTP records the request, checks the API key, applies the fixed latency
// and any scripted fault, then answers like OpenAI.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	sw := &statusWriter{ResponseWriter: w}
	defer func() {
		if s.log != nil {
			s.log.Info("fakeopenai", "method", r.Method, "path", r.URL.Path, "status", sw.status,
				"ms", time.Since(start).Milliseconds())
		}
	}()
	_, pattern := s.mux.Handler(r)
	if pattern == "/" {
		pattern = ""
	}
	rec := s.record(r, Endpoint(pattern)) // unauthorized calls are recorded too
	if !s.authorized(sw, r) {
		return
	}
	s.mux.ServeHTTP(sw, withRec(r, rec))
}

// authorized answers the real 401 errors for a missing or wrong key.
func (s *Server) authorized(w http.ResponseWriter, r *http.Request) bool {
	auth := r.Header.Get("Authorization")
	key, ok := strings.CutPrefix(auth, "Bearer ")
	key = strings.TrimSpace(key)
	if !ok || key == "" {
		writeError(w, http.StatusUnauthorized, "invalid_request_error", "", "",
			"You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the basic auth username and password when using HTTPS.")
		return false
	}
	if s.apiKey != "" && key != s.apiKey {
		f := InvalidAPIKey()
		f.Message = "Incorrect API key provided: " + maskKey(key) + ". You can find your API key at https://platform.openai.com/account/api-keys."
		writeError(w, f.Status, f.Type, f.Code, f.Param, f.Message)
		return false
	}
	return true
}

// maskKey shows a key the way OpenAI's error messages do (sk-ab***yz).
func maskKey(k string) string {
	if len(k) <= 8 {
		return "***"
	}
	return k[:3] + "*****" + k[len(k)-4:]
}

// sleep waits d, returning false if the client went away or the server closed.
func (s *Server) sleep(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	case <-s.done:
		return false
	}
}

// begin is called by every handler: it records the request, waits for the
// latency, and applies a queued fault. It reports whether the handler should
// go on answering normally; the fault (possibly zero) is returned for stream
// faults that the handler applies itself.
func (s *Server) begin(w http.ResponseWriter, r *http.Request, rec *Request) (Fault, bool) {
	f, _ := s.popFault(Endpoint(r.Pattern))
	if !s.sleep(r, s.latency+f.Delay) {
		s.markGone(rec)
		return f, false
	}
	switch {
	case f.Drop:
		dropConnection(w)
		return f, false
	case f.Status != 0:
		for k, v := range f.Header {
			w.Header()[k] = v
		}
		if f.Body != "" {
			if w.Header().Get("Content-Type") == "" {
				w.Header().Set("Content-Type", "text/html")
			}
			w.WriteHeader(f.Status)
			_, _ = w.Write([]byte(f.Body))
		} else {
			writeError(w, f.Status, f.Type, f.Code, f.Param, f.Message)
		}
		return f, false
	}
	return f, true
}

// dropConnection closes the TCP connection without answering.
func dropConnection(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler) // fallback: the server closes the connection
}

// errorBody is OpenAI's error shape. Param and code are null when empty.
type errorBody struct {
	Error struct {
		Message string  `json:"message"`
		Type    string  `json:"type"`
		Param   *string `json:"param"`
		Code    *string `json:"code"`
	} `json:"error"`
}

func writeError(w http.ResponseWriter, status int, typ, code, param, msg string) {
	var b errorBody
	b.Error.Message, b.Error.Type = msg, typ
	if code != "" {
		b.Error.Code = &code
	}
	if param != "" {
		b.Error.Param = &param
	}
	writeJSON(w, status, b)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// statusWriter remembers the status for the log line; it keeps Flush and
// Hijack working.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the real writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) Flush() { _ = w.FlushError() }

// FlushError lets http.ResponseController report a client that went away.
func (w *statusWriter) FlushError() error {
	return http.NewResponseController(w.ResponseWriter).Flush()
}

func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := w.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("fakeopenai: connection cannot be hijacked")
	}
	return hj.Hijack()
}

const idChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// newID makes an id shaped like OpenAI's (prefix + random base62).
func newID(prefix string, n int) string {
	var b strings.Builder
	b.WriteString(prefix)
	for range n {
		i, _ := rand.Int(rand.Reader, big.NewInt(int64(len(idChars))))
		b.WriteByte(idChars[i.Int64()])
	}
	return b.String()
}

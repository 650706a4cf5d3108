// Package apitest runs the real platform on an httptest server, on a real SQLite or PostgreSQL
// database, for API tests and benchmarks. Every response that passes through its clients is validated
// against api/openapi.yaml.
package apitest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"go.opentelemetry.io/otel/trace"

	"github.com/chatbot-platform/chatbot/api/client"
	"github.com/chatbot-platform/chatbot/internal/app"
	"github.com/chatbot-platform/chatbot/internal/config"
	"github.com/chatbot-platform/chatbot/internal/httpapi"
	"github.com/chatbot-platform/chatbot/internal/store"
	"github.com/chatbot-platform/chatbot/internal/testdb"
)

// The validator knows no XML: JUnit reports (application/xml, a string in the document) are read as text.
func init() { openapi3filter.RegisterBodyDecoder("application/xml", openapi3filter.PlainBodyDecoder) }

// TestSecret signs tokens in tests.
const TestSecret = "test-secret-key-that-is-at-least-32-bytes-long"

// Server is a running platform.
type Server struct {
	URL    string
	App    *app.App
	Config config.Config
	Store  store.Store
	HTTP   *http.Client // validates every response against the spec
	Client *client.ClientWithResponses
	srv    *httptest.Server
}

// Options adjust a test server.
type Options struct {
	Env   map[string]string            // settings over the test defaults
	Store func(testing.TB) store.Store // default: a fresh SQLite database (closed by the opener)
	Log   io.Writer                    // default: discarded
	// Heartbeat of idle chat streams (default 15s).
	Heartbeat time.Duration
	// TracerProvider receives the platform's spans (e.g. a tracetest span recorder's); default: none.
	// The metrics are always recorded, on App.Registry.
	TracerProvider trace.TracerProvider
	// Clock is the time of sign-ins (tokens, two-factor codes); default: time.Now.
	Clock func() time.Time
	// JobRetryDelay, when set, is the wait before every background job retry (default: each kind's
	// backoff, seconds to hours).
	JobRetryDelay time.Duration
}

// JobPollInterval is how often a test server's job queue looks for new jobs (on SQLite, every job
// waits for it): short, so tests see jobs run at once.
const JobPollInterval = 50 * time.Millisecond

// Start runs the platform until the test ends. Defaults: fast password hashing, rate limits off, no log file.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	env := map[string]string{
		"SECRET_KEY": TestSecret, "PASSWORD_HASH_ROUNDS": "1000", "RATE_LIMIT_AUTH": "0", "RATE_LIMIT_API": "0", "RATE_LIMIT_LOGIN_EMAIL": "0",
		"LOG_FILE": "",
	}
	for k, v := range o.Env {
		env[k] = v
	}
	cfg, err := config.FromLookup(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	open := o.Store
	if open == nil {
		open = testdb.SQLite
	}
	st := open(t)
	logw := o.Log
	if logw == nil {
		logw = io.Discard
	}
	a, err := app.New(context.Background(), cfg, app.Options{Log: slog.New(slog.NewTextHandler(logw, nil)), Store: st,
		Heartbeat: o.Heartbeat, TracerProvider: o.TracerProvider, Clock: o.Clock, JobPollInterval: JobPollInterval, JobRetryDelay: o.JobRetryDelay})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.Echo)
	t.Cleanup(func() {
		srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		a.StopJobs(ctx) // before the store closes (its opener's cleanup runs after this one)
		a.Writes.Close()
	})
	s := Connect(t, srv.URL)
	s.App, s.Config, s.Store, s.srv = a, cfg, a.Store, srv
	return s
}

// Connect talks to a platform already running at url (e.g. the release binary in a benchmark), with
// the same spec-validating clients; App, Config and Store stay nil.
func Connect(t testing.TB, url string) *Server {
	t.Helper()
	s := &Server{URL: url}
	s.HTTP = &http.Client{Transport: &validatingTransport{t: t, router: specRouter(t), next: http.DefaultTransport}}
	var err error
	if s.Client, err = client.NewClientWithResponses(url, client.WithHTTPClient(s.HTTP)); err != nil {
		t.Fatal(err)
	}
	return s
}

// NewProject creates a project named name and returns its id.
func (s *Server) NewProject(t testing.TB, token, name string) int64 {
	t.Helper()
	p, err := s.Client.CreateProjectWithResponse(context.Background(), client.ProjectCreate{Name: name}, Bearer(token))
	if err != nil || p.JSON201 == nil {
		t.Fatalf("create project: %v %s", err, body(p))
	}
	return p.JSON201.Id
}

// Bearer authenticates a generated-client call.
func Bearer(token string) client.RequestEditorFn {
	return func(_ context.Context, req *http.Request) error {
		req.Header.Set("Authorization", "Bearer "+token)
		return nil
	}
}

var userSeq atomic.Int64

// NewUser registers a fresh user and returns its email and access token.
func (s *Server) NewUser(t testing.TB) (email, token string) {
	t.Helper()
	email = fmt.Sprintf("user%d@example.com", userSeq.Add(1))
	return email, s.Signup(t, email, "SecurePass123")
}

// Signup registers email with password and logs in.
func (s *Server) Signup(t testing.TB, email, password string) string {
	t.Helper()
	ctx := context.Background()
	reg, err := s.Client.RegisterUserWithResponse(ctx, client.Credentials{Email: email, Password: password})
	if err != nil || reg.StatusCode() != http.StatusOK {
		t.Fatalf("register %s: %v %s", email, err, body(reg))
	}
	return s.Login(t, email, password)
}

// Login returns an access token.
func (s *Server) Login(t testing.TB, email, password string) string {
	t.Helper()
	res, err := s.Client.LoginUserWithResponse(context.Background(), client.Credentials{Email: email, Password: password})
	if err != nil || res.JSON200 == nil {
		t.Fatalf("login %s: %v %s", email, err, body(res))
	}
	return res.JSON200.AccessToken
}

func body(r interface{ Status() string }) string {
	if r == nil {
		return ""
	}
	return r.Status()
}

// Response is a raw response with its body read.
type Response struct {
	*http.Response
	Body []byte
}

// Do sends a raw request (body as given, JSON content type unless headers say otherwise).
func (s *Server) Do(t testing.TB, method, path, token, reqBody string, headers ...string) Response {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, strings.NewReader(reqBody))
	if err != nil {
		t.Fatal(err)
	}
	if reqBody != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := s.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return Response{res, b}
}

func specRouter(t testing.TB) routers.Router {
	doc, err := httpapi.Spec()
	if err != nil {
		t.Fatal(err)
	}
	doc.Servers = nil // match any host
	r, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// validatingTransport fails the test when a response to a spec route does not match the spec:
// undocumented status, wrong content type, or a body that breaks the schema.
type validatingTransport struct {
	t      testing.TB
	router routers.Router
	next   http.RoundTripper
}

func (v *validatingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	res, err := v.next.RoundTrip(req)
	if err != nil {
		return res, err
	}
	route, params, ferr := v.router.FindRoute(req)
	if ferr != nil {
		return res, nil // not an API route (pages, docs, unknown paths)
	}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		res.Body = v.events(req, route, res)
		return res, nil
	}
	b, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		return nil, err
	}
	res.Body = io.NopCloser(bytes.NewReader(b))
	input := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 res.StatusCode,
		Header:                 res.Header,
		Body:                   io.NopCloser(bytes.NewReader(b)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
	}
	if err := openapi3filter.ValidateResponse(req.Context(), input); err != nil {
		v.t.Errorf("%s %s -> %d does not match api/openapi.yaml: %v\nbody: %s", req.Method, req.URL.Path, res.StatusCode, err, b)
	}
	return res, nil
}

// events checks each event of a stream, as the test reads it, against the schema the spec gives the
// operation's text/event-stream response: what a generated client would decode each `data` into.
func (v *validatingTransport) events(req *http.Request, route *routers.Route, res *http.Response) io.ReadCloser {
	r := route.Operation.Responses.Status(res.StatusCode)
	if r == nil || r.Value == nil || r.Value.Content.Get("text/event-stream") == nil {
		v.t.Errorf("%s %s -> %d: an event stream the spec does not document", req.Method, req.URL.Path, res.StatusCode)
		return res.Body
	}
	schema := r.Value.Content.Get("text/event-stream").Schema
	if schema == nil || schema.Value == nil {
		v.t.Errorf("%s %s: the event stream has no schema in api/openapi.yaml", req.Method, req.URL.Path)
		return res.Body
	}
	check := func(data string) {
		if data == "" || data == "[DONE]" { // OpenAI's end marker is not JSON
			return
		}
		var value any
		if err := json.Unmarshal([]byte(data), &value); err != nil {
			v.t.Errorf("%s %s: event data is not JSON: %q", req.Method, req.URL.Path, data)
			return
		}
		if err := schema.Value.VisitJSON(value); err != nil {
			v.t.Errorf("%s %s: event data does not match api/openapi.yaml: %v\ndata: %s", req.Method, req.URL.Path, err, data)
		}
	}
	return &eventChecker{ReadCloser: res.Body, check: check}
}

// eventChecker passes a stream through unchanged and hands each complete event's data to check.
type eventChecker struct {
	io.ReadCloser
	check      func(data string)
	line, data strings.Builder
}

func (e *eventChecker) Read(p []byte) (int, error) {
	n, err := e.ReadCloser.Read(p)
	for _, b := range p[:n] {
		if b != '\n' {
			e.line.WriteByte(b)
			continue
		}
		line := strings.TrimSuffix(e.line.String(), "\r")
		e.line.Reset()
		switch {
		case line == "":
			e.check(e.data.String())
			e.data.Reset()
		case strings.HasPrefix(line, "data:"):
			e.data.WriteString(strings.TrimPrefix(strings.TrimPrefix(line, "data:"), " "))
		}
	}
	return n, err
}

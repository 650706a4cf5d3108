package httpapi_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/chatbot-platform/chatbot/internal/apitest"
	"github.com/chatbot-platform/chatbot/internal/fakeopenai"
	"github.com/chatbot-platform/chatbot/internal/testdb"
)

// scrape reads the platform's /metrics the way Prometheus does, over HTTP from the handler
// METRICS_ADDR serves, into series ("name{label="value",...}", labels sorted) -> value.
func scrape(t *testing.T, s *apitest.Server) map[string]float64 {
	t.Helper()
	srv := httptest.NewServer(s.App.MetricsHandler())
	defer srv.Close()
	res, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("/metrics: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	series := map[string]float64{}
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("unparsable metric line %q", line)
		}
		series[line[:i]] = v
	}
	return series
}

// chatUsage is the token usage a chat response (or a stream's done event) reports.
type chatUsage struct {
	Usage struct {
		InputTokens  int `json:"input_tokens"`
		OutputTokens int `json:"output_tokens"`
	}
}

func TestMetrics_RecordTrafficByRouteUpstreamProjectAndLimit(t *testing.T) {
	for _, e := range testdb.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			fake := fakeopenai.Start(t)
			s := apitest.Start(t, apitest.Options{Store: e.Open, Env: map[string]string{
				"OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": fake.URL(), "OPENAI_RETRY_BASE_DELAY": "10ms",
				"RATE_LIMIT_API": "6",
			}})
			_, tok := s.NewUser(t)
			pid := newProject(t, s, tok, `{"name":"Bot"}`) // user limit: 1

			// One upstream 500 first: the chat is retried once and succeeds.
			fake.Fail(fakeopenai.Responses, 1, fakeopenai.Fault{Status: 500, Type: "server_error", Message: "boom"})
			r := s.Do(t, "POST", "/chat", tok, chatBody(pid, "hello", 0)) // 2
			wantStatus(t, r, 200, "")
			var chatted chatUsage
			json.Unmarshal(r.Body, &chatted)

			r = s.Do(t, "POST", "/chat/stream", tok, chatBody(pid, "stream to me", 0)) // 3
			wantStatus(t, r, 200, "")
			events, err := apitest.ReadEvents(bytes.NewReader(r.Body))
			if err != nil || len(events) == 0 || events[len(events)-1].Name != "done" {
				t.Fatalf("stream events = %v, %v", events, err)
			}
			var streamed chatUsage
			json.Unmarshal([]byte(events[len(events)-1].Data), &streamed)

			// A rate-limited upstream: the outcome is the failure's kind.
			fake.Fail(fakeopenai.Responses, 1, fakeopenai.Fault{Status: 401, Type: "invalid_request_error", Code: "invalid_api_key", Message: "bad key"})
			wantStatus(t, s.Do(t, "POST", "/chat", tok, chatBody(pid, "again", 0)), 502, "") // 4

			wantStatus(t, s.Do(t, "GET", "/projects/999999", tok, ""), 404, "")  // 5: a route, no such project
			wantStatus(t, s.Do(t, "GET", "/no/such/route", tok, ""), 404, "")    // no route: not limited
			wantStatus(t, s.Do(t, "GET", "/projects", tok, ""), 200, "")         // 6
			wantStatus(t, s.Do(t, "GET", "/projects", tok, ""), 429, "Too many") // 7: refused
			s.App.Metrics.BudgetRefused("project")                               // the budget engineer's hook
			time.Sleep(50 * time.Millisecond)                                    // the stream's last write is acknowledged before its batch metrics

			m := scrape(t, s)
			want := map[string]float64{
				`chatbot_http_requests_total{method="POST",route="/projects",status="201"}`:            1,
				`chatbot_http_requests_total{method="POST",route="/chat",status="200"}`:                1,
				`chatbot_http_requests_total{method="POST",route="/chat",status="502"}`:                1,
				`chatbot_http_requests_total{method="POST",route="/chat/stream",status="200"}`:         1,
				`chatbot_http_requests_total{method="GET",route="/projects/:project_id",status="404"}`: 1,
				`chatbot_http_requests_total{method="GET",route="unmatched",status="404"}`:             1,
				`chatbot_http_requests_total{method="GET",route="/projects",status="200"}`:             1,
				`chatbot_http_requests_total{method="GET",route="/projects",status="429"}`:             1,
				`chatbot_http_request_duration_seconds_count{method="POST",route="/chat"}`:             2,
				`chatbot_http_request_duration_seconds_count{method="POST",route="/chat/stream"}`:      1,
				`chatbot_upstream_requests_total{operation="responses",outcome="ok"}`:                  1,
				`chatbot_upstream_requests_total{operation="responses",outcome="api_key_rejected"}`:    1,
				`chatbot_upstream_requests_total{operation="responses.stream",outcome="ok"}`:           1,
				`chatbot_upstream_duration_seconds_count{operation="responses"}`:                       2,
				`chatbot_upstream_duration_seconds_count{operation="responses.stream"}`:                1,
				`chatbot_upstream_retries_total{operation="responses"}`:                                1,
				`chatbot_upstream_time_to_first_token_seconds_count`:                                   1,
				`chatbot_open_streams`:                                                  0,
				`chatbot_rate_limit_refusals_total{limit="user"}`:                       1,
				`chatbot_budget_refusals_total{budget="project"}`:                       1,
				fmt.Sprintf(`chatbot_tokens_total{kind="input",project_id="%d"}`, pid):  float64(chatted.Usage.InputTokens + streamed.Usage.InputTokens),
				fmt.Sprintf(`chatbot_tokens_total{kind="output",project_id="%d"}`, pid): float64(chatted.Usage.OutputTokens + streamed.Usage.OutputTokens),
				`chatbot_batch_size_sum`:                                                4, // the chat's messages, the stream's question, its reply, the failed call's ledger row
				`chatbot_batch_wait_seconds_count`:                                      4,
			}
			for series, v := range want {
				if got, ok := m[series]; !ok || got != v {
					t.Errorf("%s = %v (present: %v), want %v", series, got, ok, v)
				}
			}
			if chatted.Usage.InputTokens == 0 || streamed.Usage.OutputTokens == 0 {
				t.Errorf("the fake reported no usage: %+v %+v", chatted, streamed)
			}
			// At least one batch (concurrent writes may share one), each with a commit time.
			if m[`chatbot_batch_size_count`] < 1 || m[`chatbot_batch_commit_seconds_count`] != m[`chatbot_batch_size_count`] {
				t.Errorf("batches: size count %v, commit count %v", m[`chatbot_batch_size_count`], m[`chatbot_batch_commit_seconds_count`])
			}
			pools := map[string][]string{"sqlite": {"writer", "reader", "jobs"}, "postgres": {"main", "jobs"}}[e.Name]
			if len(pools) == 0 {
				t.Fatalf("no pools known for engine %s", e.Name)
			}
			for _, pool := range pools {
				for _, series := range []string{
					`chatbot_db_pool_connections{pool="%s",state="idle"}`, `chatbot_db_pool_connections{pool="%s",state="in_use"}`,
					`chatbot_db_pool_max_connections{pool="%s"}`, `chatbot_db_pool_waits_total{pool="%s"}`,
				} {
					if _, ok := m[fmt.Sprintf(series, pool)]; !ok {
						t.Errorf("missing %s", fmt.Sprintf(series, pool))
					}
				}
			}
			for _, series := range []string{"go_goroutines", "process_cpu_seconds_total", "process_resident_memory_bytes"} {
				if _, ok := m[series]; !ok {
					t.Errorf("missing %s (Go runtime and process collectors)", series)
				}
			}
			// Every series the committed Grafana dashboard queries exists.
			dashboard, err := os.ReadFile("../../docs/grafana-dashboard.json")
			if err != nil {
				t.Fatal(err)
			}
			names := map[string]bool{}
			for series := range m {
				name, _, _ := strings.Cut(series, "{")
				names[name] = true
			}
			for _, name := range regexp.MustCompile(`\b(?:chatbot|go|process)_[a-z_]+`).FindAllString(string(dashboard), -1) {
				if !names[name] {
					t.Errorf("docs/grafana-dashboard.json queries %s, which /metrics lacks", name)
				}
			}
			// Bounded labels only: no series names a user, a key or an unmatched path.
			for series := range m {
				if strings.Contains(series, "user_id") || strings.Contains(series, "key_id") || strings.Contains(series, "/no/such") ||
					strings.Contains(series, "999999") {
					t.Errorf("unbounded label in %s", series)
				}
			}
		})
	}
}

func TestTracing_ChatSpansFollowTheIncomingTraceparent(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { tp.Shutdown(t.Context()) })
	fake := fakeopenai.Start(t)
	s := apitest.Start(t, apitest.Options{TracerProvider: tp, Env: map[string]string{
		"OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": fake.URL(),
	}})
	_, tok := s.NewUser(t)
	pid := newProject(t, s, tok, `{"name":"Bot","model":"gpt-4.1-mini"}`)

	const (
		traceID    = "4bf92f3577b34da6a3ce929d0e0e4736"
		callerSpan = "00f067aa0ba902b7"
	)
	r := s.Do(t, "POST", "/chat", tok, chatBody(pid, "trace me", 0), "traceparent", "00-"+traceID+"-"+callerSpan+"-01")
	wantStatus(t, r, 200, "")
	var got chatUsage
	json.Unmarshal(r.Body, &got)

	// Spans end just after the response is written (the batch's once its jobs are answered): wait.
	var server, upstream, batch sdktrace.ReadOnlySpan
	deadline := time.Now().Add(5 * time.Second)
	for server == nil || upstream == nil || batch == nil {
		if time.Now().After(deadline) {
			t.Fatalf("spans: server %v, upstream %v, batch %v; ended: %v", server != nil, upstream != nil, batch != nil, names(rec.Ended()))
		}
		time.Sleep(5 * time.Millisecond)
		for _, sp := range rec.Ended() {
			switch {
			case sp.Name() == "POST /chat":
				server = sp
			case sp.Name() == "chat gpt-4.1-mini":
				upstream = sp
			case sp.Name() == "store.batch" && server != nil && linksTo(sp, server.SpanContext()):
				batch = sp
			}
		}
	}

	if server.SpanContext().TraceID().String() != traceID || server.Parent().SpanID().String() != callerSpan ||
		!server.Parent().IsRemote() || server.SpanKind() != trace.SpanKindServer {
		t.Errorf("server span: trace %s, parent %s (remote %v), kind %v", server.SpanContext().TraceID(),
			server.Parent().SpanID(), server.Parent().IsRemote(), server.SpanKind())
	}
	wantAttrs(t, server, map[string]any{"http.request.method": "POST", "http.route": "/chat", "http.response.status_code": int64(200)})

	if upstream.Parent().SpanID() != server.SpanContext().SpanID() || upstream.SpanKind() != trace.SpanKindClient {
		t.Errorf("upstream span: parent %s, want the server span %s; kind %v", upstream.Parent().SpanID(), server.SpanContext().SpanID(), upstream.SpanKind())
	}
	wantAttrs(t, upstream, map[string]any{
		"gen_ai.system": "openai", "gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4.1-mini",
		"gen_ai.response.model": "gpt-4.1-mini", "gen_ai.usage.input_tokens": int64(got.Usage.InputTokens),
		"gen_ai.usage.output_tokens": int64(got.Usage.OutputTokens), "http.response.status_code": int64(200),
		"chatbot.upstream.attempts": int64(1),
	})

	// The batch serves many requests: a root span of its own, linked to each request it stored.
	if batch.Parent().IsValid() || batch.SpanContext().TraceID().String() == traceID {
		t.Errorf("batch span should be a root of its own trace; parent %v", batch.Parent())
	}
	if jobs := attrs(batch)["chatbot.batch.jobs"]; jobs == nil || jobs.(int64) < 1 {
		t.Errorf("batch jobs = %v", jobs)
	}
}

func TestTracing_OffMeansNoSpansAndNoTraceIDInLogs(t *testing.T) {
	logs := &syncBuffer{}
	fake := fakeopenai.Start(t)
	s := apitest.Start(t, apitest.Options{Log: logs, Env: map[string]string{"OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": fake.URL()}})
	_, tok := s.NewUser(t)
	pid := newProject(t, s, tok, `{"name":"Bot"}`)
	r := s.Do(t, "POST", "/chat", tok, chatBody(pid, "hi", 0), "traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	wantStatus(t, r, 200, "")
	if strings.Contains(logs.String(), "trace_id") {
		t.Fatalf("trace_id logged with tracing off:\n%s", logs)
	}
}

func names(spans []sdktrace.ReadOnlySpan) []string {
	out := make([]string, len(spans))
	for i, s := range spans {
		out[i] = s.Name()
	}
	return out
}

func linksTo(s sdktrace.ReadOnlySpan, sc trace.SpanContext) bool {
	for _, l := range s.Links() {
		if l.SpanContext.TraceID() == sc.TraceID() && l.SpanContext.SpanID() == sc.SpanID() {
			return true
		}
	}
	return false
}

func attrs(s sdktrace.ReadOnlySpan) map[string]any {
	out := map[string]any{}
	for _, kv := range s.Attributes() {
		out[string(kv.Key)] = kv.Value.AsInterface()
	}
	return out
}

func wantAttrs(t *testing.T, s sdktrace.ReadOnlySpan, want map[string]any) {
	t.Helper()
	got := attrs(s)
	for k, v := range want {
		if got[k] != v {
			t.Errorf("span %q: %s = %#v, want %#v", s.Name(), k, got[k], v)
		}
	}
}

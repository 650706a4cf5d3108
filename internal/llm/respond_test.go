package llm

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chatbot-platform/chatbot/internal/fakeopenai"
	openai "github.com/sashabaranov/go-openai"
)

func TestRespondSendsExactRequest(t *testing.T) {
	env := newEnv(t, Config{}, false)
	reply, err := env.c.Respond(context.Background(), chatRequest("What is 2+2?"))
	if err != nil {
		t.Fatal(err)
	}
	if reply.Text != "Echo: What is 2+2?" || reply.Model != "gpt-4o-mini" || !strings.HasPrefix(reply.ResponseID, "resp_") ||
		reply.Attempts != 1 || len(reply.Citations) != 0 || reply.Incomplete != "" {
		t.Errorf("reply %+v", reply)
	}
	// Words: input 5+1+5+3 = 14, output 4.
	if reply.Usage != (Usage{InputTokens: 14, OutputTokens: 4, TotalTokens: 18}) {
		t.Errorf("usage %+v", reply.Usage)
	}

	reqs := env.fake.RequestsTo(fakeopenai.Responses)
	if len(reqs) != 1 {
		t.Fatalf("%d upstream calls", len(reqs))
	}
	call := reqs[0].Responses
	if call.Model != "gpt-4o-mini" || call.Temperature == nil || *call.Temperature != 0.2 ||
		call.MaxOutputTokens == nil || *call.MaxOutputTokens != 300 || call.Stream ||
		call.Store == nil || *call.Store || len(call.Tools) != 0 || len(call.Include) != 0 {
		t.Errorf("upstream request %s", reqs[0].Body)
	}
	want := []fakeopenai.Message{
		{Role: "system", Content: "You are a helpful bot."}, {Role: "user", Content: "Hi"},
		{Role: "assistant", Content: "Hello! How can I help?"}, {Role: "user", Content: "What is 2+2?"},
	}
	if len(call.Input) != len(want) {
		t.Fatalf("input %+v", call.Input)
	}
	for i := range want {
		if call.Input[i] != want[i] {
			t.Errorf("input[%d] %+v, want %+v", i, call.Input[i], want[i])
		}
	}
	if h := reqs[0].Header.Get("Authorization"); h != "Bearer "+testKey {
		t.Errorf("authorization %q", h)
	}

	// A negative temperature is left out; file_search carries the store ids.
	r := chatRequest("x")
	r.Temperature = -1
	r.MaxOutputTokens = 0
	vsID, err := env.c.CreateVectorStore(context.Background(), "p")
	if err != nil {
		t.Fatal(err)
	}
	r.VectorStoreIDs = []string{vsID}
	if _, err := env.c.Respond(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	reqs = env.fake.RequestsTo(fakeopenai.Responses)
	call = reqs[1].Responses
	if call.Temperature != nil || call.MaxOutputTokens != nil {
		t.Errorf("temperature/max_output_tokens sent: %s", reqs[1].Body)
	}
	if len(call.Tools) != 1 || call.Tools[0].Type != "file_search" || len(call.Tools[0].VectorStoreIDs) != 1 ||
		call.Tools[0].VectorStoreIDs[0] != vsID || len(call.Include) != 1 || call.Include[0] != "file_search_call.results" {
		t.Errorf("tools %s", reqs[1].Body)
	}
}

// TestRetries checks which failures are retried, how many upstream calls
// each makes, and the resulting error.
func TestRetries(t *testing.T) {
	cases := []struct {
		name      string
		fault     fakeopenai.Fault
		n         int // faults queued
		calls     int // upstream calls expected
		kind      Kind
		status    int
		upstream  int
		detailHas string
	}{
		{"429 then ok", fakeopenai.RateLimit(0), 2, 3, 0, 0, 0, ""},
		{"429 exhausted", fakeopenai.RateLimit(0), 9, 4, KindRateLimited, 503, 429, "rate limiting"},
		{"insufficient_quota", fakeopenai.InsufficientQuota(), 9, 1, KindQuota, 502, 429, "quota is exhausted"},
		{"401", fakeopenai.InvalidAPIKey(), 9, 1, KindAuth, 502, 401, "API key was rejected"},
		{"403", fakeopenai.APIError(403, "invalid_request_error", "unsupported_country_region_territory", "Country, region, or territory not supported"), 9, 1, KindAuth, 502, 403, "API key was rejected"},
		{"400", fakeopenai.APIError(400, "invalid_request_error", "model_not_found", "The model `gpt-9` does not exist"), 9, 1, KindUpstream, 502, 400, "HTTP 400, model_not_found"},
		{"404 on responses", fakeopenai.APIError(404, "invalid_request_error", "", "Not found"), 9, 1, KindUpstream, 502, 404, "HTTP 404"},
		{"500 then ok", fakeopenai.ServerError(), 1, 2, 0, 0, 0, ""},
		{"500 exhausted", fakeopenai.ServerError(), 9, 4, KindUpstream, 502, 500, "HTTP 500"},
		{"503 HTML then ok", fakeopenai.HTMLError(503), 3, 4, 0, 0, 0, ""},
		{"502 HTML exhausted", fakeopenai.HTMLError(502), 9, 4, KindUpstream, 502, 502, "HTTP 502"},
		{"dropped then ok", fakeopenai.DropConnection(), 1, 2, 0, 0, 0, ""},
		{"dropped exhausted", fakeopenai.DropConnection(), 9, 4, KindUpstream, 502, 0, "Could not reach OpenAI"},
		{"slow try then ok", fakeopenai.Slow(2 * time.Second), 1, 2, 0, 0, 0, ""},
		{"slow exhausted", fakeopenai.Slow(2 * time.Second), 9, 4, KindTimeout, 504, 0, "did not answer in time"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// 300 ms a try: far below the slow fault's 2 s, and enough for a request to reach the fake on
			// a loaded machine (at 100 ms a try sometimes expired before it was even sent).
			env := newEnv(t, Config{Timeout: 300 * time.Millisecond, BaseDelay: 10 * time.Millisecond}, false)
			env.fake.Fail(fakeopenai.Responses, tc.n, tc.fault)
			reply, err := env.c.Respond(context.Background(), chatRequest("hi"))
			if got := env.fake.Count(fakeopenai.Responses); got != tc.calls {
				t.Errorf("%d upstream calls, want %d", got, tc.calls)
			}
			if waits := env.sleeps.get(); len(waits) != tc.calls-1 {
				t.Errorf("%d waits, want %d", len(waits), tc.calls-1)
			}
			if tc.kind == 0 {
				if err != nil || reply.Text != "Echo: hi" || reply.Attempts != tc.calls {
					t.Fatalf("reply %+v, err %v", reply, err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v (%T)", err, err)
			}
			if e.Kind != tc.kind || e.UpstreamStatus != tc.upstream || e.Attempts != tc.calls {
				t.Errorf("error %+v", e)
			}
			if !strings.Contains(e.Detail(), tc.detailHas) {
				t.Errorf("detail %q lacks %q", e.Detail(), tc.detailHas)
			}
			if errors.Is(err, ErrNotFound) {
				t.Error("responses error matches ErrNotFound")
			}
		})
	}
}

func TestNoRetriesInsideGoOpenAI(t *testing.T) {
	env := newEnv(t, Config{MaxRetries: -1}, false)
	env.fake.Fail(fakeopenai.Responses, 1, fakeopenai.ServerError())
	_, err := env.c.Respond(context.Background(), chatRequest("hi"))
	var e *Error
	if !errors.As(err, &e) || e.Attempts != 1 || env.fake.Count(fakeopenai.Responses) != 1 {
		t.Errorf("err %v, %d calls", err, env.fake.Count(fakeopenai.Responses))
	}
	env.fake.Fail(fakeopenai.Responses, 1, fakeopenai.DropConnection())
	_, _ = env.c.Respond(context.Background(), chatRequest("hi"))
	if n := env.fake.Count(fakeopenai.Responses); n != 2 {
		t.Errorf("dropped connection: %d calls, want 2", n)
	}
}

func TestBackoffSchedule(t *testing.T) {
	for _, jitter := range []float64{0, 0.5, 0.9999} {
		env := newEnv(t, Config{}, false) // defaults: BaseDelay 1s, 3 retries
		env.c.jitter = func() float64 { return jitter }
		env.fake.Fail(fakeopenai.Responses, 3, fakeopenai.ServerError())
		if _, err := env.c.Respond(context.Background(), chatRequest("hi")); err != nil {
			t.Fatal(err)
		}
		waits := env.sleeps.get()
		if len(waits) != 3 {
			t.Fatalf("waits %v", waits)
		}
		for i, base := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second} {
			want := base + time.Duration(jitter*0.1*float64(base))
			if waits[i] != want || waits[i] < base || waits[i] > base+base/10 {
				t.Errorf("jitter %v: wait %d = %v, want %v", jitter, i, waits[i], want)
			}
		}
	}
	// The real jitter stays within [0, 10%].
	c := New(Config{APIKey: "k"}, nil)
	for range 1000 {
		if d := c.backoff(1, 0); d < 2*time.Second || d > 2200*time.Millisecond {
			t.Fatalf("backoff %v", d)
		}
	}
}

func TestRetryAfterHonouredAndCapped(t *testing.T) {
	date := time.Now().Add(8 * time.Second).UTC().Format(http.TimeFormat)
	cases := []struct {
		name  string
		fault fakeopenai.Fault
		cap   time.Duration
		min   time.Duration
		max   time.Duration
	}{
		{"seconds", fakeopenai.RetryAfterSeconds("5"), 0, 5 * time.Second, 5 * time.Second},
		{"capped at default 30s", fakeopenai.RetryAfterSeconds("120"), 0, 30 * time.Second, 30 * time.Second},
		{"capped at MaxRetryAfter", fakeopenai.RetryAfterSeconds("120"), 10 * time.Second, 10 * time.Second, 10 * time.Second},
		{"http date", fakeopenai.RetryAfterSeconds(date), 0, 6 * time.Second, 8 * time.Second},
		{"retry-after-ms wins", fakeopenai.RateLimit(2500 * time.Millisecond), 0, 2500 * time.Millisecond, 2500 * time.Millisecond},
		{"shorter than backoff", fakeopenai.RateLimit(300 * time.Millisecond), 0, time.Second, 1100 * time.Millisecond},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := newEnv(t, Config{MaxRetryAfter: tc.cap}, false)
			env.fake.Fail(fakeopenai.Responses, 1, tc.fault)
			if _, err := env.c.Respond(context.Background(), chatRequest("hi")); err != nil {
				t.Fatal(err)
			}
			waits := env.sleeps.get()
			if len(waits) != 1 || waits[0] < tc.min || waits[0] > tc.max {
				t.Errorf("waits %v, want within [%v, %v]", waits, tc.min, tc.max)
			}
		})
	}

	// Still limited after the retries: the error carries Retry-After.
	env := newEnv(t, Config{}, false)
	env.fake.Fail(fakeopenai.Responses, 4, fakeopenai.RetryAfterSeconds("7"))
	_, err := env.c.Respond(context.Background(), chatRequest("hi"))
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindRateLimited || e.RetryAfter != 7*time.Second ||
		e.Detail() != "OpenAI is rate limiting requests; try again in 7 seconds." {
		t.Errorf("%+v %q", e, e.Detail())
	}
	if got := env.sleeps.get(); len(got) != 3 || got[0] != 7*time.Second {
		t.Errorf("waits %v", got)
	}
}

// TestRealWaits measures the gaps between tries at the fake.
func TestRealWaits(t *testing.T) {
	env := newEnv(t, Config{BaseDelay: 20 * time.Millisecond}, true)
	env.fake.Fail(fakeopenai.Responses, 3, fakeopenai.ServerError())
	if _, err := env.c.Respond(context.Background(), chatRequest("hi")); err != nil {
		t.Fatal(err)
	}
	reqs := env.fake.RequestsTo(fakeopenai.Responses)
	if len(reqs) != 4 {
		t.Fatalf("%d calls", len(reqs))
	}
	for i, want := range []time.Duration{20 * time.Millisecond, 40 * time.Millisecond, 80 * time.Millisecond} {
		gap := reqs[i+1].Time.Sub(reqs[i].Time)
		t.Logf("gap %d: %v (backoff %v)", i, gap, want)
		if gap < want || gap > want+want/10+150*time.Millisecond {
			t.Errorf("gap %d = %v, want %v (+10%%)", i, gap, want)
		}
	}

	// retry-after-ms longer than the backoff is waited for.
	env = newEnv(t, Config{BaseDelay: 10 * time.Millisecond}, true)
	env.fake.Fail(fakeopenai.Responses, 1, fakeopenai.RateLimit(150*time.Millisecond))
	if _, err := env.c.Respond(context.Background(), chatRequest("hi")); err != nil {
		t.Fatal(err)
	}
	reqs = env.fake.RequestsTo(fakeopenai.Responses)
	if gap := reqs[1].Time.Sub(reqs[0].Time); gap < 150*time.Millisecond || gap > 650*time.Millisecond {
		t.Errorf("Retry-After gap %v, want 150ms", gap)
	}
}

func TestWaitRespectsContext(t *testing.T) {
	env := newEnv(t, Config{}, true)
	env.fake.Fail(fakeopenai.Responses, 9, fakeopenai.RetryAfterSeconds("20"))
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	_, err := env.c.Respond(ctx, chatRequest("hi"))
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindCanceled || !errors.Is(err, context.Canceled) || time.Since(start) > time.Second {
		t.Errorf("after %v: %v", time.Since(start), err)
	}
	if n := env.fake.Count(fakeopenai.Responses); n != 1 {
		t.Errorf("%d calls", n)
	}

	// A deadline too close for the wait: fail at once with the real cause.
	ctx, cancel2 := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel2()
	start = time.Now()
	_, err = env.c.Respond(ctx, chatRequest("hi"))
	if !errors.As(err, &e) || e.Kind != KindRateLimited || e.RetryAfter != 20*time.Second || time.Since(start) > time.Second {
		t.Errorf("after %v: %v", time.Since(start), err)
	}

	// The caller's own deadline during a try is a timeout, not retried.
	env.fake.ClearFaults()
	env.fake.Fail(fakeopenai.Responses, 1, fakeopenai.Slow(5*time.Second))
	ctx, cancel3 := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel3()
	before := env.fake.Count(fakeopenai.Responses)
	_, err = env.c.Respond(ctx, chatRequest("hi"))
	if !errors.As(err, &e) || e.Kind != KindTimeout || env.fake.Count(fakeopenai.Responses) != before+1 {
		t.Errorf("caller deadline: %v", err)
	}
}

func TestErrorsAndLogsHideSecrets(t *testing.T) {
	env := newEnv(t, Config{BaseDelay: time.Millisecond}, false)
	for _, f := range []fakeopenai.Fault{
		fakeopenai.InvalidAPIKey(), fakeopenai.InsufficientQuota(), fakeopenai.RateLimit(0),
		fakeopenai.HTMLError(502), fakeopenai.APIError(400, "invalid_request_error", "", "secret detail sk-abc"),
	} {
		env.fake.ClearFaults()
		env.fake.Fail(fakeopenai.Responses, 9, f)
		_, err := env.c.Respond(context.Background(), chatRequest("hi"))
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("%T %v", err, err)
		}
		for _, s := range []string{e.Error(), e.Detail()} {
			for _, bad := range []string{"sk-", "Rate limit reached", "exceeded your current quota", "<html>", "secret detail", testKey} {
				if strings.Contains(s, bad) {
					t.Errorf("%q contains %q", s, bad)
				}
			}
		}
	}
	// A wrong key configured: the real 401 from the fake's key check.
	bad := New(Config{APIKey: "sk-wrong-0123456789", BaseURL: env.fake.URL()}, nil)
	_, err := bad.Respond(context.Background(), chatRequest("hi"))
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindAuth || e.Code != "invalid_api_key" {
		t.Errorf("wrong key: %v", err)
	}

	logs := env.logs.String()
	for _, bad := range []string{testKey, "sk-", "Rate limit reached", "quota, please", "<html>", "secret detail"} {
		if strings.Contains(logs, bad) {
			t.Errorf("logs contain %q:\n%s", bad, logs)
		}
	}
	for _, want := range []string{"op=responses", "model=gpt-4o-mini", "attempts=4", "status=429", "error=\"rate limited\"", "code=rate_limit_exceeded", "latency="} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %q:\n%s", want, logs)
		}
	}
}

func TestNotConfigured(t *testing.T) {
	fake := fakeopenai.Start(t)
	c := New(Config{BaseURL: fake.URL()}, nil)
	if c.Configured() {
		t.Fatal("configured without a key")
	}
	ctx := context.Background()
	var errs []error
	_, err := c.Respond(ctx, chatRequest("hi"))
	errs = append(errs, err)
	_, err = c.Stream(ctx, chatRequest("hi"))
	errs = append(errs, err)
	_, err = c.UploadFile(ctx, "a.txt", strings.NewReader("a"))
	errs = append(errs, err)
	_, err = c.CreateVectorStore(ctx, "x")
	errs = append(errs, err)
	_, err = c.AttachFile(ctx, "vs", "f")
	errs = append(errs, err)
	_, _, err = c.VectorStoreFileStatus(ctx, "vs", "f")
	errs = append(errs, err, c.DeleteFile(ctx, "f"), c.DeleteVectorStore(ctx, "vs"), c.DetachFile(ctx, "vs", "f"))
	for i, err := range errs {
		var e *Error
		if !errors.As(err, &e) || e.Kind != KindNotConfigured || !strings.Contains(e.Detail(), "OPENAI_API_KEY") {
			t.Errorf("call %d: %v", i, err)
		}
	}
	if n := len(fake.Requests()); n != 0 {
		t.Errorf("%d upstream calls", n)
	}
}

func TestReplyOfCitations(t *testing.T) {
	long := strings.Repeat("é", 600)
	var resp openai.CreateResponseResponse
	err := json.Unmarshal([]byte(`{"id":"resp_1","model":"m","status":"incomplete",
		"incomplete_details":{"reason":"max_output_tokens"},
		"usage":{"input_tokens":3,"output_tokens":4,"total_tokens":7},
		"output":[
		 {"type":"file_search_call","id":"fs_1","status":"completed","queries":["q"],"results":[
		   {"file_id":"file-a","filename":"a.txt","score":0.9,"text":"  first passage  "},
		   {"file_id":"file-a","filename":"a.txt","score":0.8,"text":"second passage"},
		   {"file_id":"file-b","filename":"b.txt","score":0.7,"text":"`+long+`"}]},
		 {"type":"message","id":"msg_1","role":"assistant","status":"completed","content":[
		   {"type":"output_text","text":"A. B. A again.","annotations":[
		     {"type":"file_citation","file_id":"file-a","filename":"a.txt","index":2},
		     {"type":"url_citation","url":"https://example.com","start_index":0,"end_index":1},
		     {"type":"file_citation","file_id":"file-b","filename":"b.txt","index":5},
		     {"type":"file_citation","file_id":"file-a","filename":"a.txt","index":14},
		     {"type":"file_citation","file_id":"file-c","filename":"c.txt","index":14}]}]}]}`), &resp)
	if err != nil {
		t.Fatal(err)
	}
	r := replyOf(&resp)
	if r.Text != "A. B. A again." || r.Model != "m" || r.ResponseID != "resp_1" || r.Usage != (Usage{InputTokens: 3, OutputTokens: 4, TotalTokens: 7}) ||
		r.Incomplete != "max_output_tokens" {
		t.Errorf("reply %+v", r)
	}
	want := []Citation{
		{FileID: "file-a", Filename: "a.txt", Quote: "first passage"},
		{FileID: "file-b", Filename: "b.txt", Quote: strings.Repeat("é", maxQuote-1) + "…"},
		{FileID: "file-c", Filename: "c.txt"},
	}
	if len(r.Citations) != len(want) {
		t.Fatalf("citations %+v", r.Citations)
	}
	for i := range want {
		if r.Citations[i] != want[i] {
			t.Errorf("citation %d: %+v, want %+v", i, r.Citations[i], want[i])
		}
	}
}

func TestKindsHaveNames(t *testing.T) {
	for k := KindUpstream; k <= KindCanceled; k++ {
		if strings.HasPrefix(k.String(), "kind(") || k.Label() == "unknown" {
			t.Errorf("kind %d has no name", int(k))
		}
	}
}

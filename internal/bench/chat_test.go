package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatbot-platform/chatbot/internal/apitest"
	"github.com/chatbot-platform/chatbot/internal/fakeopenai"
)

const upstreamLatency = 50 * time.Millisecond

// upstream serves recorded Responses API answers (JSON, or SSE when the request streams) after a fixed
// latency: a stand-in for OpenAI that costs next to no CPU, so the benchmark measures the platform.
// The answers are recorded once from the in-repo fake, so they are real go-openai-parsable payloads.
func upstream(b *testing.B, latency time.Duration) string {
	b.Helper()
	fake := fakeopenai.Start(b, fakeopenai.WithDeltaDelay(0))
	record := func(body string) []byte {
		req, _ := http.NewRequest("POST", fake.URL()+"/responses", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer sk-bench")
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		defer res.Body.Close()
		out, _ := io.ReadAll(res.Body)
		return out
	}
	jsonAnswer := record(upstreamBody)
	sseAnswer := record(strings.Replace(upstreamBody, `"store":false`, `"store":false,"stream":true`, 1))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		select {
		case <-time.After(latency):
		case <-r.Context().Done():
			return
		}
		if bytes.Contains(body, []byte(`"stream":true`)) {
			w.Header().Set("Content-Type", "text/event-stream")
			w.Write(sseAnswer)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(jsonAnswer)
	}))
	b.Cleanup(srv.Close)
	return srv.URL + "/v1"
}

// chatSetup runs the release binary in front of an upstream that takes 50 ms per answer.
// env is added to the server's (e.g. another DATABASE_URL).
func chatSetup(b *testing.B, env ...string) (s *server, token string, projectID int64) {
	s, _ = start(b, append([]string{"OPENAI_API_KEY=sk-bench", "OPENAI_BASE_URL=" + upstream(b, upstreamLatency), os.Getenv("BENCH_SERVER_ENV")}, env...)...)
	api := apitest.Connect(b, s.url)
	token = api.Signup(b, benchEmail, "SecurePass123")
	projectID = api.NewProject(b, token, "Bench bot")
	if r := api.Do(b, "POST", fmt.Sprintf("/projects/%d/prompts", projectID), token, `{"name":"sys","content":"You are a benchmark."}`); r.StatusCode != 201 {
		b.Fatalf("create prompt: %d %s", r.StatusCode, r.Body)
	}
	return s, token, projectID
}

// upstreamBody is what the platform sends upstream for one message, so the direct baseline does the same work.
const upstreamBody = `{"model":"gpt-4o-mini","input":[{"role":"system","content":"You are a benchmark."},{"role":"user","content":"Hello there, how are you today?"}],"temperature":0.7,"max_output_tokens":2000,"store":false}`

// BenchmarkChatUpstreamDirect is the baseline: clients calling the 50 ms upstream themselves.
func BenchmarkChatUpstreamDirect(b *testing.B) {
	for _, c := range []int{1, 256} {
		b.Run(fmt.Sprintf("clients=%d", c), func(b *testing.B) {
			url := upstream(b, upstreamLatency)
			load(b, c, func() *http.Request {
				req, _ := http.NewRequest("POST", url+"/responses", strings.NewReader(upstreamBody))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer sk-bench")
				return req
			}, wantStatus(200))
		})
	}
}

// BenchmarkChat: POST /chat through the platform (auth, ownership, prompts, upstream call, both messages
// stored with group commit). Target at 256 clients: ≥ 90 % of the direct throughput, p99 within 10 ms of it.
func BenchmarkChat(b *testing.B) {
	for _, c := range []int{1, 256} {
		b.Run(fmt.Sprintf("clients=%d", c), func(b *testing.B) {
			s, token, pid := chatSetup(b)
			body := fmt.Sprintf(`{"project_id":%d,"message":"Hello there, how are you today?"}`, pid)
			chatLoad(b, s, c, token, body)
		})
	}
}

// chatLoad sends b.N POST /chat requests with body from clients, reports the server's CPU per request,
// and checks that every message was stored.
func chatLoad(b *testing.B, s *server, clients int, token, body string) {
	cpu0 := s.cpu(b)
	load(b, clients, func() *http.Request {
		req, _ := http.NewRequest("POST", s.url+"/chat", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		return req
	}, wantStatus(200))
	b.ReportMetric(float64((s.cpu(b)-cpu0).Microseconds())/float64(b.N), "server-cpu-µs/req")
	assertStored(b, s, 2*b.N)
}

// BenchmarkChatCredential: POST /chat at 256 clients with a user's token and with a project secret key
// (scope chat, an end user in the body), each on its own fresh server. Target: the key costs ≤ 5 % more
// server CPU per chat and keeps the token's throughput; compare the two in one run.
func BenchmarkChatCredential(b *testing.B) {
	for _, cred := range []string{"token", "key"} {
		b.Run("auth="+cred, func(b *testing.B) {
			s, token, pid := chatSetup(b)
			body := fmt.Sprintf(`{"project_id":%d,"message":"Hello there, how are you today?"}`, pid)
			if cred == "key" {
				api := apitest.Connect(b, s.url)
				r := api.Do(b, "POST", fmt.Sprintf("/projects/%d/keys", pid), token, `{"name":"bench","kind":"secret"}`)
				var k struct{ Key string }
				if err := json.Unmarshal(r.Body, &k); err != nil || k.Key == "" {
					b.Fatalf("create key: %d %s", r.StatusCode, r.Body)
				}
				token, body = k.Key, `{"message":"Hello there, how are you today?","user":"end-user-1"}`
			}
			chatLoad(b, s, 256, token, body)
		})
	}
}

// BenchmarkChatBudget: POST /chat at 256 clients without budgets and with a project budget (never
// reached), each on its own fresh server. With a budget every chat also reserves its worst case before
// the upstream call and settles it with the reply (both through the group commit). Target: ≤ 5 % more
// server CPU per chat and ≤ 1 ms more p99; compare the two in one run.
func BenchmarkChatBudget(b *testing.B) {
	for _, budget := range []string{"off", "on"} {
		b.Run("budget="+budget, func(b *testing.B) {
			s, token, pid := chatSetup(b)
			if budget == "on" {
				api := apitest.Connect(b, s.url)
				if r := api.Do(b, "PUT", fmt.Sprintf("/projects/%d/budget", pid), token, `{"monthly_usd":1000000}`); r.StatusCode != 200 {
					b.Fatalf("set budget: %d %s", r.StatusCode, r.Body)
				}
			}
			body := fmt.Sprintf(`{"project_id":%d,"message":"Hello there, how are you today?"}`, pid)
			chatLoad(b, s, 256, token, body)
		})
	}
}

// BenchmarkChatStreamFirstDelta: POST /chat/stream, latency to the first delta event.
func BenchmarkChatStreamFirstDelta(b *testing.B) {
	for _, c := range []int{1, 256} {
		b.Run(fmt.Sprintf("clients=%d", c), func(b *testing.B) {
			s, token, pid := chatSetup(b)
			body := fmt.Sprintf(`{"project_id":%d,"message":"Hello there, how are you today?"}`, pid)
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: c}}
			firstDelta := make([]time.Duration, b.N)
			var next, failed atomic.Int64
			b.ResetTimer()
			start := time.Now()
			var wg sync.WaitGroup
			for range c {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := next.Add(1) - 1; i < int64(b.N); i = next.Add(1) - 1 {
						req, _ := http.NewRequestWithContext(context.Background(), "POST", s.url+"/chat/stream", strings.NewReader(body))
						req.Header.Set("Content-Type", "application/json")
						req.Header.Set("Authorization", "Bearer "+token)
						t0 := time.Now()
						res, err := client.Do(req)
						if err != nil || res.StatusCode != 200 {
							failed.Add(1)
							continue
						}
						sc := bufio.NewScanner(res.Body)
						done := false
						for sc.Scan() {
							line := sc.Text()
							if line == "event: delta" && firstDelta[i] == 0 {
								firstDelta[i] = time.Since(t0)
							}
							done = done || line == "event: done"
						}
						io.Copy(io.Discard, res.Body)
						res.Body.Close()
						if !done || firstDelta[i] == 0 {
							failed.Add(1)
						}
					}
				}()
			}
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			if f := failed.Load(); f > 0 {
				b.Fatalf("%d streams failed", f)
			}
			report(b, elapsed, firstDelta)
			assertStored(b, s, 2*b.N)
		})
	}
}

// assertStored checks every message of the run is in the server's database.
func assertStored(b *testing.B, s *server, want int) {
	b.Helper()
	if n := countMessages(b, s); n != want {
		b.Fatalf("%d messages stored, want %d", n, want)
	}
}

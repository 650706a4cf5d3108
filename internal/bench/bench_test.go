// Package bench holds the platform's load benchmarks, each a real server on a real database over TCP.
// Run them with `make bench`; docs/benchmarks.md records the figures on the reference machine.
package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatbot-platform/chatbot/internal/apitest"
)

// load sends n requests from c concurrent clients and reports throughput and latency percentiles.
func load(b *testing.B, c int, newReq func() *http.Request, check func(*http.Response) error) {
	b.Helper()
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: c, MaxIdleConnsPerHost: c, MaxConnsPerHost: c}}
	latencies := make([]time.Duration, b.N)
	var next atomic.Int64
	var failures atomic.Int64
	var firstErr atomic.Value
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(b.N) {
					return
				}
				t0 := time.Now()
				res, err := client.Do(newReq())
				if err == nil {
					err = check(res)
					io.Copy(io.Discard, res.Body)
					res.Body.Close()
				}
				latencies[i] = time.Since(t0)
				if err != nil {
					failures.Add(1)
					firstErr.CompareAndSwap(nil, err)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if f := failures.Load(); f > 0 {
		b.Fatalf("%d of %d requests failed; first: %v", f, b.N, firstErr.Load())
	}
	report(b, elapsed, latencies)
}

func report(b *testing.B, elapsed time.Duration, latencies []time.Duration) {
	slices.Sort(latencies)
	pct := func(p float64) float64 {
		return float64(latencies[min(len(latencies)-1, int(p*float64(len(latencies))))].Microseconds()) / 1000
	}
	b.ReportMetric(float64(len(latencies))/elapsed.Seconds(), "req/s")
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(0, "ns/op") // per-op time is meaningless for a concurrent load
}

func wantStatus(status int) func(*http.Response) error {
	return func(res *http.Response) error {
		if res.StatusCode != status {
			return fmt.Errorf("status %d", res.StatusCode)
		}
		return nil
	}
}

// BenchmarkListProjects: authenticated GET /projects against the release binary on SQLite, 64
// concurrent clients. Target: ≥ 8,000 requests/s with p99 ≤ 10 ms on the 2-core reference machine.
func BenchmarkListProjects(b *testing.B) {
	s, _ := start(b, os.Getenv("BENCH_SERVER_ENV"))
	api := apitest.Connect(b, s.url)
	token := api.Signup(b, benchEmail, "SecurePass123")
	for i := range 5 {
		api.NewProject(b, token, fmt.Sprint("Project ", i))
	}
	newReq := func() *http.Request {
		req, _ := http.NewRequestWithContext(context.Background(), "GET", s.url+"/projects", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		return req
	}
	cpu0 := s.cpu(b)
	defer func() { b.ReportMetric(float64((s.cpu(b)-cpu0).Microseconds())/float64(b.N), "server-cpu-µs/req") }()
	load(b, 64, newReq, func(res *http.Response) error {
		if res.StatusCode != 200 {
			return fmt.Errorf("status %d", res.StatusCode)
		}
		body, _ := io.ReadAll(res.Body)
		if strings.Count(string(body), `"id"`) != 5 {
			return fmt.Errorf("body %s", body)
		}
		return nil
	})
}

package bench

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatbot-platform/chatbot/internal/apitest"
)

// server is the real chatbot binary, built with the release flags, running on a fresh SQLite database.
type server struct {
	cmd   *exec.Cmd
	url   string
	logs  *bytes.Buffer
	dbURL string // the DATABASE_URL it runs on (the last one in env wins, as in exec)
}

// start runs the binary and returns once /health answers 200, with the time that took.
func start(b *testing.B, env ...string) (*server, time.Duration) {
	b.Helper()
	addr := apitest.FreeAddr(b)
	s := &server{url: "http://" + addr, logs: &bytes.Buffer{}}
	s.cmd = exec.Command(apitest.Binary(b))
	s.cmd.Dir = b.TempDir()
	s.cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "ADDR=" + addr, "DATABASE_URL=sqlite:///app.db",
		"SECRET_KEY=" + apitest.TestSecret, "LOG_FILE=", "LOG_LEVEL=warn", "PASSWORD_HASH_ROUNDS=1000",
		"RATE_LIMIT_AUTH=0", "RATE_LIMIT_API=0", "RATE_LIMIT_KEY=0",
		// One benchmark account is every client: its per-account stream cap is raised to the most allowed.
		"MAX_STREAMS_PER_USER=10000"}, env...)
	s.cmd.Stderr = s.logs
	for _, kv := range s.cmd.Env {
		if v, ok := strings.CutPrefix(kv, "DATABASE_URL="); ok {
			s.dbURL = v
		}
	}
	t0 := time.Now()
	if err := s.cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.cmd.Process.Kill(); s.cmd.Wait() })
	for {
		if res, err := http.Get(s.url + "/health"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return s, time.Since(t0)
			}
		}
		if time.Since(t0) > 10*time.Second {
			b.Fatalf("server did not start: %s", s.logs)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// memory reads the server's resident set (VmRSS) and its peak (VmHWM) in MiB.
func (s *server) memory(b *testing.B) (rss, peak float64) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && (fields[0] == "VmRSS:" || fields[0] == "VmHWM:") {
			kb, _ := strconv.ParseFloat(fields[1], 64)
			if fields[0] == "VmRSS:" {
				rss = kb / 1024
			} else {
				peak = kb / 1024
			}
		}
	}
	return rss, peak
}

// cpu is the server process's user+system CPU time so far (from /proc; clock ticks of 10 ms).
func (s *server) cpu(b *testing.B) time.Duration {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.cmd.Process.Pid))
	if err != nil {
		b.Fatal(err)
	}
	// Fields after the command name, which is in parentheses and may hold spaces.
	fields := strings.Fields(string(raw[strings.LastIndexByte(string(raw), ')')+2:]))
	utime, _ := strconv.ParseInt(fields[11], 10, 64)
	stime, _ := strconv.ParseInt(fields[12], 10, 64)
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

// BenchmarkStartup: the release binary from exec to its first 200 on /health, on a new SQLite database
// (migrations included), and its resident memory once idle. Targets: ≤ 200 ms, ≤ 30 MB.
func BenchmarkStartup(b *testing.B) {
	apitest.Binary(b)
	var total time.Duration
	var rss float64
	b.ResetTimer()
	for range b.N {
		s, took := start(b)
		total += took
		time.Sleep(500 * time.Millisecond)
		r, _ := s.memory(b)
		rss = max(rss, r)
		s.cmd.Process.Kill()
		s.cmd.Wait()
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "startup-ms")
	b.ReportMetric(rss, "idle-rss-MiB")
	b.ReportMetric(0, "ns/op")
}

// slowUpstream streams a recorded Responses API answer one event at a time with a pause between
// events, so streams stay open long enough to overlap.
func slowUpstream(b *testing.B, pause time.Duration) string {
	b.Helper()
	base := upstream(b, 0)
	req, _ := http.NewRequest("POST", base+"/responses", strings.NewReader(strings.Replace(upstreamBody, `"store":false`, `"store":false,"stream":true`, 1)))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	raw, _ := io.ReadAll(res.Body)
	res.Body.Close()
	events := strings.SplitAfter(string(raw), "\n\n")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		for _, ev := range events {
			if _, err := io.WriteString(w, ev); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			select {
			case <-time.After(pause):
			case <-r.Context().Done():
				return
			}
		}
	}))
	b.Cleanup(srv.Close)
	return srv.URL + "/v1"
}

// BenchmarkConcurrentStreams: 2,000 chat streams open at once against the release binary; reports the
// server's peak resident memory. Target: under 200 MB.
func BenchmarkConcurrentStreams(b *testing.B) {
	const streams = 2000
	up := slowUpstream(b, 250*time.Millisecond)
	s, _ := start(b, "OPENAI_API_KEY=sk-bench", "OPENAI_BASE_URL="+up, os.Getenv("BENCH_SERVER_ENV"))
	api := apitest.Connect(b, s.url)
	token := api.Signup(b, benchEmail, "SecurePass123")
	pid := api.NewProject(b, token, "Bench bot")
	body := fmt.Sprintf(`{"project_id":%d,"message":"Hello there, how are you today?"}`, pid)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: streams, MaxConnsPerHost: streams}}
	b.ResetTimer()
	for range b.N {
		var open, done, failed atomic.Int64
		var wg sync.WaitGroup
		for range streams {
			wg.Add(1)
			go func() {
				defer wg.Done()
				req, _ := http.NewRequest("POST", s.url+"/chat/stream", strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+token)
				res, err := client.Do(req)
				if err != nil || res.StatusCode != 200 {
					failed.Add(1)
					return
				}
				defer res.Body.Close()
				open.Add(1)
				all, _ := io.ReadAll(res.Body)
				if bytes.Contains(all, []byte("event: done")) {
					done.Add(1)
				} else {
					failed.Add(1)
				}
			}()
		}
		wg.Wait()
		if failed.Load() > 0 {
			b.Fatalf("%d of %d streams failed (%d completed)\n%s", failed.Load(), streams, done.Load(), s.logs)
		}
	}
	b.StopTimer()
	_, peak := s.memory(b)
	b.ReportMetric(peak, "peak-rss-MiB")
	b.ReportMetric(streams, "streams")
	b.ReportMetric(0, "ns/op")
}

// benchEmail is the user every benchmark signs up as (countMessages looks it up).
const benchEmail = "bench@example.com"

package bench

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chatbot-platform/chatbot/internal/apitest"
	"github.com/chatbot-platform/chatbot/internal/testdb"
)

// The benchmarks here drive the load from a separate process, Debian's wrk (make bench installs it):
// its C event loop costs far less CPU than Go's HTTP client in the benchmark process, so more of the
// 2 cores is left to what is measured, and the server's CPU per request is its own alone.

// wrkRun is what one wrk run reports.
type wrkRun struct {
	requests        int
	elapsed         time.Duration
	non2xx, sockets int // responses other than 2xx/3xx; connect, read, write errors and timeouts
	p50, p99        time.Duration
}

func (r wrkRun) perSecond() float64 { return float64(r.requests) / r.elapsed.Seconds() }

// wrkSeconds is each run's length: BENCH_WRK_SECONDS, 10 by default.
func wrkSeconds() time.Duration {
	if n, err := strconv.Atoi(os.Getenv("BENCH_WRK_SECONDS")); err == nil && n > 0 {
		return time.Duration(n) * time.Second
	}
	return 10 * time.Second
}

// wrk runs `wrk` with conns connections on 2 threads against url for wrkSeconds, sending method with
// headers and body, and fails the benchmark on any error or non-2xx answer.
func wrk(b *testing.B, conns int, method, url string, headers map[string]string, body string) wrkRun {
	b.Helper()
	bin, err := exec.LookPath("wrk")
	if err != nil {
		b.Skip("wrk is not installed: `make bench` installs Debian's")
	}
	dir := b.TempDir()
	bodyFile := filepath.Join(dir, "body")
	if err := os.WriteFile(bodyFile, []byte(body), 0o600); err != nil {
		b.Fatal(err)
	}
	var lua strings.Builder
	fmt.Fprintf(&lua, "wrk.method = %q\n", method)
	if body != "" {
		fmt.Fprintf(&lua, "local f = io.open(%q, \"rb\"); wrk.body = f:read(\"*a\"); f:close()\n", bodyFile)
	}
	for k, v := range headers {
		fmt.Fprintf(&lua, "wrk.headers[%q] = %q\n", k, v)
	}
	// Latencies come in microseconds; one line the benchmark parses.
	lua.WriteString(`done = function(s, latency, requests)
  local e = s.errors
  io.write(string.format("wrk-result %d %d %d %d %d %d\n", s.requests, s.duration, e.status,
    e.connect + e.read + e.write + e.timeout, latency:percentile(50), latency:percentile(99)))
end
`)
	script := filepath.Join(dir, "load.lua")
	if err := os.WriteFile(script, []byte(lua.String()), 0o600); err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(bin, "-t2", fmt.Sprintf("-c%d", conns), fmt.Sprintf("-d%ds", int(wrkSeconds().Seconds())), "--timeout", "10s", "-s", script, url)
	out, err := cmd.CombinedOutput()
	if err != nil {
		b.Fatalf("wrk: %v\n%s", err, out)
	}
	var r wrkRun
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var durUS, p50US, p99US int64
		if n, _ := fmt.Sscanf(sc.Text(), "wrk-result %d %d %d %d %d %d", &r.requests, &durUS, &r.non2xx, &r.sockets, &p50US, &p99US); n == 6 {
			r.elapsed, r.p50, r.p99 = time.Duration(durUS)*time.Microsecond, time.Duration(p50US)*time.Microsecond, time.Duration(p99US)*time.Microsecond
		}
	}
	switch {
	case r.requests == 0:
		b.Fatalf("wrk reported nothing:\n%s", out)
	case r.non2xx > 0 || r.sockets > 0:
		b.Fatalf("wrk: %d non-2xx answers and %d socket errors of %d requests:\n%s", r.non2xx, r.sockets, r.requests, out)
	}
	b.ReportMetric(r.perSecond(), "req/s")
	b.ReportMetric(float64(r.p50.Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(r.p99.Microseconds())/1000, "p99-ms")
	b.ReportMetric(0, "ns/op") // per-op time is meaningless for a concurrent load
	return r
}

// databaseEnv is the server's DATABASE_URL for engine: SQLite in the server's own folder, or a fresh
// PostgreSQL database on TEST_DATABASE_URL's server (the benchmark is skipped without one).
func databaseEnv(b *testing.B, engine string) string {
	if engine == "postgres" {
		return "DATABASE_URL=" + testdb.PostgresURL(b)
	}
	return "DATABASE_URL=sqlite:///app.db"
}

// BenchmarkWrkChat: POST /chat from 256 wrk connections with a 50 ms upstream, on SQLite and on
// PostgreSQL, beside wrk calling the upstream directly (the baseline). Targets on SQLite: ≥ 90 % of the
// direct throughput, p99 within 10 ms of it, ≤ 250 µs of server CPU per chat; every answered chat's two
// messages stored.
func BenchmarkWrkChat(b *testing.B) {
	for _, target := range []string{"direct", "sqlite", "postgres"} {
		b.Run("target="+target, func(b *testing.B) {
			if target == "direct" {
				wrk(b, 256, "POST", upstream(b, upstreamLatency)+"/responses",
					map[string]string{"Content-Type": "application/json", "Authorization": "Bearer sk-bench"}, upstreamBody)
				return
			}
			s, token, pid := chatSetup(b, databaseEnv(b, target))
			cpu0 := s.cpu(b)
			r := wrk(b, 256, "POST", s.url+"/chat", map[string]string{"Content-Type": "application/json", "Authorization": "Bearer " + token},
				fmt.Sprintf(`{"project_id":%d,"message":"Hello there, how are you today?"}`, pid))
			b.ReportMetric(float64((s.cpu(b)-cpu0).Microseconds())/float64(r.requests), "server-cpu-µs/req")
			assertStoredAfterWrk(b, s, r, 256)
		})
	}
}

// assertStoredAfterWrk checks durability after a wrk run: every chat wrk saw answered stored both its
// messages; chats still in flight when wrk stopped may have been stored too, whole (never one half).
func assertStoredAfterWrk(b *testing.B, s *server, r wrkRun, conns int) {
	b.Helper()
	n, last := countMessages(b, s), -1
	for n != last { // replies in flight when wrk closed its connections are still being stored
		time.Sleep(300 * time.Millisecond)
		last, n = n, countMessages(b, s)
	}
	if n < 2*r.requests || n > 2*(r.requests+conns) || n%2 != 0 {
		b.Fatalf("%d messages stored for %d answered chats (and at most %d in flight)", n, r.requests, conns)
	}
}

// BenchmarkWrkListProjects: authenticated GET /projects (5 projects) from 64 wrk connections, on SQLite
// and PostgreSQL. Targets on SQLite: p99 ≤ 10 ms, ≤ 60 µs of server CPU per read.
func BenchmarkWrkListProjects(b *testing.B) {
	for _, engine := range []string{"sqlite", "postgres"} {
		b.Run("engine="+engine, func(b *testing.B) {
			s, _ := start(b, databaseEnv(b, engine), os.Getenv("BENCH_SERVER_ENV"))
			api := apitest.Connect(b, s.url)
			token := api.Signup(b, benchEmail, "SecurePass123")
			for i := range 5 {
				api.NewProject(b, token, fmt.Sprint("Project ", i))
			}
			cpu0 := s.cpu(b)
			r := wrk(b, 64, "GET", s.url+"/projects", map[string]string{"Authorization": "Bearer " + token}, "")
			b.ReportMetric(float64((s.cpu(b)-cpu0).Microseconds())/float64(r.requests), "server-cpu-µs/req")
		})
	}
}

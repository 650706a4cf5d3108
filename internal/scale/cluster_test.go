package scale

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/chatbot-platform/chatbot/internal/apitest"
	"github.com/chatbot-platform/chatbot/internal/fakeopenai"
)

// Where the shared services are; make test-scale uses these defaults.
const (
	defaultDatabaseURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	defaultRedisAddr   = "127.0.0.1:6379"
	redisDB            = 14 // make test-go uses 15
)

// pinHeader asks the balancer for one instance (a use-server rule of the test's HAProxy config only);
// servedHeader is set by HAProxy on every response a server gave: the name of that server.
const (
	pinHeader    = "X-Test-Instance"
	servedHeader = "X-Served-By"
)

// syncBuffer collects a process's output.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// tail is the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{fmt.Sprintf("... (%d earlier lines)", len(lines)-n)}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}

// instance is one chatbot process.
type instance struct {
	name, addr string
	env        []string
	logs       *syncBuffer
	cmd        *exec.Cmd
	exited     chan struct{}
}

// cluster is everything one run starts: the database (through dbProxy), Redis (through redisProxy),
// the OpenAI fake, two instances and HAProxy in front of them.
type cluster struct {
	bin        string
	dbURL      string // the run's own database, direct
	db         *pgxpool.Pool
	dbProxy    *faultProxy
	redisProxy *faultProxy
	fake       *fakeopenai.Server
	inst       map[string]*instance
	lb         *balancer
	api        *apitest.Server // through the balancer; every response checked against api/openapi.yaml
	raw        *http.Client    // through the balancer, unchecked: HAProxy's own answers are not in the spec
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// newDatabase creates a database with a random name on the server of base and drops it when the test ends.
func newDatabase(t *testing.T, base string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	admin, err := pgxpool.New(ctx, base)
	if err == nil {
		err = admin.Ping(ctx)
	}
	if err != nil {
		t.Fatalf("PostgreSQL at %s is needed: %v", base, err)
	}
	name := "chatbot_scale_" + randomHex(6)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

// flushRedis empties the run's Redis database, so no earlier run's counters count.
func flushRedis(t *testing.T, addr string) {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr, DB: redisDB})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.FlushDB(ctx).Err(); err != nil {
		t.Fatalf("Redis at %s (db %d) is needed: %v", addr, redisDB, err)
	}
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// startCluster brings everything up; the instances start at the same moment on the empty database.
func startCluster(t *testing.T) *cluster {
	t.Helper()
	haproxy, err := exec.LookPath("haproxy")
	if err != nil {
		t.Fatal("haproxy is not installed: apt-get install -y --no-install-recommends haproxy (make test-scale does)")
	}
	c := &cluster{bin: apitest.Binary(t), inst: map[string]*instance{}}
	base := envOr("SCALE_DATABASE_URL", defaultDatabaseURL)
	c.dbURL = newDatabase(t, base)
	redisAddr := envOr("SCALE_REDIS_ADDR", defaultRedisAddr)
	flushRedis(t, redisAddr)
	c.fake = fakeopenai.Start(t, fakeopenai.WithDeltaDelay(40*time.Millisecond))

	u, _ := url.Parse(c.dbURL)
	c.dbProxy = startProxy(t, u.Host)
	u.Host = c.dbProxy.addr
	q := u.Query()
	q.Set("connect_timeout", "2")
	u.RawQuery = q.Encode()
	c.redisProxy = startProxy(t, redisAddr)
	env := []string{
		"DATABASE_URL=" + u.String(),
		fmt.Sprintf("REDIS_URL=redis://%s/%d", c.redisProxy.addr, redisDB),
		"SECRET_KEY=" + apitest.TestSecret,
		"OPENAI_API_KEY=sk-scale", "OPENAI_BASE_URL=" + c.fake.URL(), "OPENAI_RETRY_BASE_DELAY=100ms",
		"TRUSTED_PROXIES=127.0.0.1",
		"PASSWORD_HASH_ROUNDS=1000",
		// Small enough to reach, large enough for everything else the run does.
		"RATE_LIMIT_AUTH=1000", "RATE_LIMIT_API=1000", "RATE_LIMIT_KEY=1000", "RATE_LIMIT_LOGIN_EMAIL=5",
		"MAX_PROJECTS_PER_USER=3",
		"DB_WRITE_TIMEOUT=2s", "REQUEST_TIMEOUT=5s", "SHUTDOWN_GRACE=2s",
		"LOG_FILE=", "LOG_LEVEL=info",
		"WEBHOOK_ALLOW_PRIVATE=true", // the test's receiver is on loopback
	}
	for _, name := range []string{"a", "b"} {
		c.inst[name] = &instance{name: name, addr: apitest.FreeAddr(t), env: env}
	}
	var wg sync.WaitGroup
	for _, in := range c.inst {
		wg.Go(func() { c.start(t, in) })
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	t.Cleanup(func() {
		for _, in := range c.inst {
			in.stop()
		}
	})
	c.db, err = pgxpool.New(context.Background(), c.dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.db.Close)

	c.lb = startBalancer(t, haproxy, c.inst["a"].addr, c.inst["b"].addr)
	c.waitServers(t, "UP", "UP", 15*time.Second)
	c.api = apitest.Connect(t, c.lb.url)
	c.raw = &http.Client{Timeout: 60 * time.Second}
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(c.logs())
		}
	})
	return c
}

// start runs an instance and waits for its /health to answer 200 (Error on failure, so both
// instances can start concurrently).
func (c *cluster) start(t *testing.T, in *instance) {
	in.logs = &syncBuffer{}
	in.exited = make(chan struct{})
	in.cmd = exec.Command(c.bin)
	in.cmd.Dir = t.TempDir()
	in.cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "ADDR=" + in.addr}, in.env...)
	in.cmd.Stdout, in.cmd.Stderr = in.logs, in.logs
	if err := in.cmd.Start(); err != nil {
		t.Errorf("start instance %s: %v", in.name, err)
		return
	}
	go func() { in.cmd.Wait(); close(in.exited) }()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if res, err := http.Get("http://" + in.addr + "/health"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return
			}
		}
		select {
		case <-in.exited:
			t.Errorf("instance %s exited at start-up (%v):\n%s", in.name, in.cmd.ProcessState, in.logs)
			return
		default:
		}
		if time.Now().After(deadline) {
			t.Errorf("instance %s: /health not 200 after 20 s:\n%s", in.name, in.logs)
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// kill ends an instance with SIGKILL: no graceful shutdown.
func (in *instance) kill() {
	in.cmd.Process.Signal(syscall.SIGKILL)
	<-in.exited
}

func (in *instance) stop() {
	if in.cmd == nil || in.cmd.Process == nil {
		return
	}
	select {
	case <-in.exited:
		return
	default:
	}
	in.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-in.exited:
	case <-time.After(5 * time.Second):
		in.kill()
	}
}

// logs is every process's recent output, for failure messages.
func (c *cluster) logs() string {
	var b strings.Builder
	for _, name := range []string{"a", "b"} {
		if in := c.inst[name]; in != nil && in.logs != nil {
			fmt.Fprintf(&b, "\n===== instance %s (%s) log =====\n%s\n", name, in.addr, tail(in.logs.String(), 60))
		}
	}
	if c.lb != nil {
		fmt.Fprintf(&b, "\n===== haproxy log =====\n%s\n", tail(c.lb.logs.String(), 40))
	}
	return b.String()
}

// fatalf fails the test with the processes' logs attached.
func (c *cluster) fatalf(t *testing.T, format string, args ...any) {
	t.Helper()
	t.Fatalf(format+"\n%s", append(args, c.logs())...)
}

// balancer is a running HAProxy.
type balancer struct {
	url, statsURL, config string
	logs                  *syncBuffer
}

// readmeConfig is the HAProxy configuration README.md shows under "Scaling out", with the test's
// addresses: the test runs exactly what the README recommends.
func readmeConfig(t *testing.T, listen, a, b string) string {
	t.Helper()
	raw, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(raw)
	_, after, ok := strings.Cut(readme, "## Scaling out")
	_, block, ok2 := strings.Cut(after, "```haproxy\n")
	cfg, _, ok3 := strings.Cut(block, "```")
	if !ok || !ok2 || !ok3 {
		t.Fatal("README.md: no ```haproxy block under \"## Scaling out\"")
	}
	for _, r := range [][2]string{{"bind :8080", "bind " + listen}, {"server a 10.0.0.11:8000", "server a " + a}, {"server b 10.0.0.12:8000", "server b " + b}} {
		if !strings.Contains(cfg, r[0]) {
			t.Fatalf("README.md's HAProxy configuration has no %q for the test to replace:\n%s", r[0], cfg)
		}
		cfg = strings.Replace(cfg, r[0], r[1], 1)
	}
	return cfg
}

// testGlobal comes before README's configuration: HAProxy's log on stdout, for failure messages.
const testGlobal = `global
    maxconn 1000
    log stdout format raw local0 info

`

// testOnly is appended to README's configuration (in its backend): pick a server with a header; stats in CSV.
const testOnly = `    use-server a if { req.hdr(X-Test-Instance) -m str a }
    use-server b if { req.hdr(X-Test-Instance) -m str b }

frontend stats
    bind {{STATS}}
    stats enable
    stats uri /stats
`

func startBalancer(t *testing.T, haproxy, a, b string) *balancer {
	t.Helper()
	listen, stats := apitest.FreeAddr(t), apitest.FreeAddr(t)
	cfg := testGlobal + readmeConfig(t, listen, a, b) + strings.ReplaceAll(testOnly, "{{STATS}}", stats)
	lb := &balancer{url: "http://" + listen, statsURL: "http://" + stats + "/stats;csv", config: filepath.Join(t.TempDir(), "haproxy.cfg"), logs: &syncBuffer{}}
	if err := os.WriteFile(lb.config, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(haproxy, "-c", "-f", lb.config).CombinedOutput(); err != nil {
		t.Fatalf("haproxy -c: %v\n%s\n%s", err, out, cfg)
	}
	cmd := exec.Command(haproxy, "-db", "-f", lb.config)
	cmd.Stdout, cmd.Stderr = lb.logs, lb.logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	})
	return lb
}

// servers reads HAProxy's view of each server from its stats: "UP", "DOWN", "UP 1/2" (going down)...
func (c *cluster) servers() (map[string]string, error) {
	res, err := http.Get(c.lb.statsURL)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	sc := bufio.NewScanner(res.Body)
	var cols []string
	out := map[string]string{}
	for sc.Scan() {
		line := sc.Text()
		if h, ok := strings.CutPrefix(line, "# "); ok {
			cols = strings.Split(h, ",")
			continue
		}
		f := strings.Split(line, ",")
		row := map[string]string{}
		for i, col := range cols {
			if i < len(f) {
				row[col] = f[i]
			}
		}
		if row["pxname"] == "chatbot" && (row["svname"] == "a" || row["svname"] == "b") {
			out[row["svname"]] = row["status"]
		}
	}
	return out, sc.Err()
}

// waitServers waits until HAProxy's health checks report a and b as wanted; it returns how long that took.
func (c *cluster) waitServers(t *testing.T, a, b string, within time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	var last map[string]string
	for {
		st, err := c.servers()
		if err == nil && st["a"] == a && st["b"] == b {
			return time.Since(start)
		}
		last = st
		if time.Since(start) > within {
			c.fatalf(t, "HAProxy did not report a=%s b=%s within %v; last seen %v (err %v)", a, b, within, last, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// proxyMode is what a faultProxy does with connections.
type proxyMode int

const (
	pass   proxyMode = iota // forward both ways
	refuse                  // nothing listens: connections are refused; open ones are dropped
	hang                    // accept, then never answer: open and new connections swallow every byte
)

// faultProxy sits between the instances and PostgreSQL or Redis, so the test can take them away
// without touching the shared servers.
type faultProxy struct {
	addr, target string
	mu           sync.Mutex
	mode         proxyMode
	ln           net.Listener
	conns        map[net.Conn]bool
}

func startProxy(t *testing.T, target string) *faultProxy {
	t.Helper()
	p := &faultProxy{target: target, conns: map[net.Conn]bool{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = ln.Addr().String()
	p.listen(ln)
	t.Cleanup(func() { p.set(t, refuse) })
	return p
}

func (p *faultProxy) listen(ln net.Listener) {
	p.ln = ln
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.serve(c)
		}
	}()
}

// set switches the mode; leaving hang drops the connections it swallowed bytes of.
func (p *faultProxy) set(t *testing.T, m proxyMode) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if m == refuse || (p.mode == hang && m != hang) {
		for c := range p.conns {
			c.Close()
		}
		clear(p.conns)
	}
	if m == refuse && p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	if m != refuse && p.ln == nil {
		ln, err := net.Listen("tcp", p.addr) // the same port: the instances keep their settings
		if err != nil {
			t.Fatalf("proxy: listen again on %s: %v", p.addr, err)
		}
		p.listen(ln)
	}
	p.mode = m
}

func (p *faultProxy) hung() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.mode == hang
}

func (p *faultProxy) track(cs ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.mode == refuse {
		return false
	}
	for _, c := range cs {
		p.conns[c] = true
	}
	return true
}

func (p *faultProxy) serve(c net.Conn) {
	if !p.track(c) {
		c.Close()
		return
	}
	if p.hung() {
		io.Copy(io.Discard, c) // until the proxy drops it
		c.Close()
		return
	}
	up, err := net.DialTimeout("tcp", p.target, 2*time.Second)
	if err != nil {
		c.Close()
		return
	}
	if !p.track(up) {
		up.Close()
		c.Close()
		return
	}
	go p.pipe(up, c)
	p.pipe(c, up)
}

// pipe copies src to dst, swallowing the bytes while the proxy hangs.
func (p *faultProxy) pipe(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && !p.hung() {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				break
			}
		}
		if err != nil {
			break
		}
	}
	dst.Close()
	src.Close()
}

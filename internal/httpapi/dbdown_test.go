package httpapi_test

import (
	"database/sql"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatbot-platform/chatbot/internal/apitest"
	"github.com/chatbot-platform/chatbot/internal/fakeopenai"
	"github.com/chatbot-platform/chatbot/internal/store/postgres"
	"github.com/chatbot-platform/chatbot/internal/store/sqlite"
	"github.com/chatbot-platform/chatbot/internal/testdb"
)

// want503 checks a database outage answer: 503, a detail and Retry-After (/health: its own body),
// within bound.
func want503(t *testing.T, s *apitest.Server, bound time.Duration, method, path, token, body string) {
	t.Helper()
	start := time.Now()
	r := s.Do(t, method, path, token, body)
	took := time.Since(start)
	wantStatus(t, r, 503, "")
	if path != "/health" && !strings.Contains(string(r.Body), `"detail"`) {
		t.Fatalf("%s %s: no detail: %s", method, path, r.Body)
	}
	if ra, err := strconv.Atoi(r.Header.Get("Retry-After")); path != "/health" && (err != nil || ra < 1) {
		t.Fatalf("%s %s: Retry-After = %q", method, path, r.Header.Get("Retry-After"))
	}
	if took > bound {
		t.Fatalf("%s %s took %v, more than the bound %v", method, path, took, bound)
	}
}

// waitStatus retries a request until it answers status (the database came back).
func waitStatus(t *testing.T, s *apitest.Server, status int, method, path, token, body string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		r := s.Do(t, method, path, token, body)
		if r.StatusCode == status {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s %s did not recover: %d %s", method, path, r.StatusCode, r.Body)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestDatabaseLocked_SQLiteAnswers503WithRetryAfter: another process holding SQLite's write lock
// (BEGIN IMMEDIATE from a second connection pool) makes writes answer 503 + Retry-After within the
// busy timeout, the group commit included, /health says so, reads still work, a reply generated
// upstream and lost is logged, and everything recovers once the lock goes.
func TestDatabaseLocked_SQLiteAnswers503WithRetryAfter(t *testing.T) {
	path := testdb.SQLitePath(t)
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	fake := fakeopenai.Start(t)
	logs := &syncBuffer{}
	s := apitest.Start(t, apitest.Options{Store: func(testing.TB) storeT { return st }, Log: logs,
		Env: map[string]string{"OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": fake.URL(), "DB_WRITE_TIMEOUT": "2s"}})
	_, tok := s.NewUser(t)
	pid := newProject(t, s, tok, `{"name":"Bot"}`)

	// The server may be writing (its background jobs poll through the database): wait for that to end
	// before taking the lock.
	other, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	lock, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lock.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	bound := sqlite.BusyTimeout + 2*time.Second
	var wg sync.WaitGroup
	wg.Go(func() { want503(t, s, bound, "POST", "/projects", tok, `{"name":"blocked"}`) })
	wg.Go(func() { want503(t, s, bound, "POST", "/chat", tok, chatBody(pid, "hello", 0)) })
	wg.Go(func() { want503(t, s, 2*time.Second, "GET", "/health", "", "") })
	wg.Go(func() { wantStatus(t, s.Do(t, "GET", "/projects", tok, ""), 200, "") }) // WAL: reads go on
	wg.Wait()
	if !strings.Contains(logs.String(), "reply lost: generated upstream but not stored") || !strings.Contains(logs.String(), "lost_since_start=1") {
		t.Fatalf("the lost reply is not logged:\n%s", logs.String())
	}

	if _, err := lock.ExecContext(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	lock.Close()
	waitStatus(t, s, 200, "GET", "/health", "", "")
	wantStatus(t, s.Do(t, "POST", "/projects", tok, `{"name":"after"}`), 201, "")
	wantStatus(t, s.Do(t, "POST", "/chat", tok, chatBody(pid, "hello again", 0)), 200, "")
}

// tcpProxy forwards to a target until cut: then it drops every open connection and closes new ones
// at once, as a restarting server looks from the client; restore lets connections through again.
type tcpProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	cut    bool
	conns  map[net.Conn]bool
}

func startProxy(t *testing.T, target string) *tcpProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &tcpProxy{ln: ln, target: target, conns: map[net.Conn]bool{}}
	t.Cleanup(func() { ln.Close(); p.setCut(true) })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.serve(c)
		}
	}()
	return p
}

func (p *tcpProxy) serve(c net.Conn) {
	p.mu.Lock()
	if p.cut {
		p.mu.Unlock()
		c.Close()
		return
	}
	p.mu.Unlock()
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	p.conns[c], p.conns[up] = true, true
	p.mu.Unlock()
	go func() { io.Copy(up, c); up.Close() }()
	io.Copy(c, up)
	c.Close()
}

func (p *tcpProxy) setCut(cut bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = cut
	if cut {
		for c := range p.conns {
			c.Close()
		}
		clear(p.conns)
	}
}

// TestDatabaseDown_PostgresAnswers503ThenRecovers: PostgreSQL going away (simulated by cutting a TCP
// proxy in front of the test's own database: the shared server is never restarted) makes requests
// answer 503 + Retry-After within the bound, never 500, /health 503; all recover when it is back.
func TestDatabaseDown_PostgresAnswers503ThenRecovers(t *testing.T) {
	u, err := url.Parse(testdb.PostgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	proxy := startProxy(t, u.Host)
	u.Host = proxy.ln.Addr().String()
	st, err := postgres.Open(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	fake := fakeopenai.Start(t)
	logs := &syncBuffer{}
	s := apitest.Start(t, apitest.Options{Store: func(testing.TB) storeT { return st }, Log: logs,
		Env: map[string]string{"OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": fake.URL(), "DB_WRITE_TIMEOUT": "2s"}})
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(logs.String())
		}
	})
	_, tok := s.NewUser(t)
	pid := newProject(t, s, tok, `{"name":"Bot"}`)

	proxy.setCut(true)
	bound := 3 * time.Second
	want503(t, s, bound, "POST", "/projects", tok, `{"name":"down"}`)
	want503(t, s, bound, "GET", "/projects", tok, "")
	want503(t, s, bound, "POST", "/chat", tok, chatBody(pid, "hello", 0))
	want503(t, s, bound, "GET", "/health", "", "")
	if err := s.Store.Ping(ctx); err == nil {
		t.Fatal("the proxy is not cut")
	}

	proxy.setCut(false)
	waitStatus(t, s, 200, "GET", "/health", "", "")
	wantStatus(t, s.Do(t, "POST", "/projects", tok, `{"name":"back"}`), 201, "")
	wantStatus(t, s.Do(t, "POST", "/chat", tok, chatBody(pid, "hello again", 0)), 200, "")
}

// While another process holds SQLite's write lock, writes outside a transaction (here: profile changes)
// do not queue behind each other for 3 s apiece: each answers 503 within REQUEST_TIMEOUT.
func TestDatabaseLocked_WritesDoNotQueuePastTheRequestDeadline(t *testing.T) {
	path := testdb.SQLitePath(t)
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	s := apitest.Start(t, apitest.Options{Store: func(testing.TB) storeT { return st }, Env: map[string]string{"REQUEST_TIMEOUT": "2s"}})
	_, tok := s.NewUser(t)

	// The server may be writing (its background jobs poll through the database): wait for that to end
	// before taking the lock.
	other, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	lock, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lock.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	// Eight writes one after another would take 8 × the 3 s busy wait; each must instead end by its deadline.
	bound := 2*time.Second + sqlite.BusyTimeout + time.Second
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() { want503(t, s, bound, "PATCH", "/users/me", tok, fmt.Sprintf(`{"display_name":"n%d"}`, i)) })
	}
	wg.Wait()
	if _, err := lock.ExecContext(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	lock.Close()
	wantStatus(t, s.Do(t, "PATCH", "/users/me", tok, `{"display_name":"after"}`), 200, "")
}

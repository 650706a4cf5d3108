package ratelimit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/sony/gobreaker/v2"
)

// logBuffer collects log lines safely from several goroutines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// hungRedis listens, accepts and holds connections, and never reads or answers: a hung Redis.
func hungRedis(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var held []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range held {
			c.Close()
		}
	})
	return ln.Addr().String()
}

// refusedRedis returns an address nothing listens on.
func refusedRedis(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func resilientAt(t *testing.T, addr string, log *logBuffer) *Resilient {
	opts := &redis.Options{Addr: addr}
	TuneRedis(opts, DefaultRedisTimeout)
	c := redis.NewClient(opts)
	t.Cleanup(func() { c.Close() })
	return NewResilient(NewRedis(c, "test:"), slog.New(slog.NewTextHandler(log, nil)), ResilientOptions{})
}

func TestResilient_RedisDown(t *testing.T) {
	for name, addr := range map[string]func(*testing.T) string{"hung": hungRedis, "refused": refusedRedis} {
		t.Run(name, func(t *testing.T) {
			var log logBuffer
			l := resilientAt(t, addr(t), &log)
			ctx := context.Background()
			var slowest, afterOpen time.Duration
			for i := range 4 {
				start := time.Now()
				ok, retry, err := l.Allow(ctx, "ip:1", 3)
				took := time.Since(start)
				t.Logf("call %d: ok=%v in %v", i+1, ok, took)
				if err != nil {
					t.Fatalf("call %d: error %v; want an answer from memory", i+1, err)
				}
				if took > 200*time.Millisecond { // the 100 ms deadline, with slack for -race on a loaded machine
					t.Fatalf("call %d took %v with Redis down", i+1, took)
				}
				slowest = max(slowest, took)
				if want := i < 3; ok != want {
					t.Fatalf("call %d: ok=%v; perMinute=3 must still be enforced from memory", i+1, ok)
				}
				if !ok && (retry <= 0 || retry > 20*time.Second) {
					t.Fatalf("refused with retry %v", retry)
				}
			}
			// The breaker is open now: Redis is skipped, calls cost next to nothing.
			if st := l.cb.State(); st != gobreaker.StateOpen {
				t.Fatalf("breaker %v after failures, want open", st)
			}
			start := time.Now()
			for i := range 100 {
				if ok, _, err := l.Allow(ctx, fmt.Sprintf("ip:other%d", i), 3); !ok || err != nil {
					t.Fatalf("fresh key refused: %v %v", ok, err)
				}
			}
			afterOpen = time.Since(start) / 100
			t.Logf("slowest call %v; average of 100 with the breaker open %v", slowest, afterOpen)
			if afterOpen > time.Millisecond { // generous for -race on a loaded machine; typically µs
				t.Fatalf("calls took %v on average with the breaker open", afterOpen)
			}
			if n := strings.Count(log.String(), "outage"); n != 1 {
				t.Fatalf("log says \"outage\" %d times, want once:\n%s", n, log.String())
			}
		})
	}
}

// flaky fails while down, and otherwise asks the limiter it wraps.
type flaky struct {
	Limiter
	down atomic.Bool
}

func (f *flaky) Take(ctx context.Context, key string, r Rate) (bool, time.Duration, error) {
	if f.down.Load() {
		return false, 0, errors.New("connection refused")
	}
	return f.Limiter.Take(ctx, key, r)
}

func TestResilient_Recovers(t *testing.T) {
	c := redisClient(t)
	ctx := context.Background()
	prefix := fmt.Sprintf("test:%d:", time.Now().UnixNano())
	shared := &flaky{Limiter: NewRedis(c, prefix)}
	var log logBuffer
	l := NewResilient(shared, slog.New(slog.NewTextHandler(&log, nil)), ResilientOptions{OpenFor: 200 * time.Millisecond})

	if ok, _, err := l.Allow(ctx, "a", 10); !ok || err != nil || c.Exists(ctx, prefix+"a").Val() != 1 {
		t.Fatalf("Redis up: ok=%v err=%v, or the key is not in Redis", ok, err)
	}
	shared.down.Store(true)
	for range 5 {
		if ok, _, err := l.Allow(ctx, "b", 10); !ok || err != nil {
			t.Fatalf("Redis down: ok=%v err=%v", ok, err)
		}
	}
	if !strings.Contains(log.String(), "outage") {
		t.Fatalf("no outage logged:\n%s", log.String())
	}
	shared.down.Store(false)
	time.Sleep(250 * time.Millisecond) // the breaker lets one call try Redis again
	for range 3 {
		if ok, _, err := l.Allow(ctx, "c", 10); !ok || err != nil {
			t.Fatalf("Redis back: ok=%v err=%v", ok, err)
		}
	}
	if got := c.Get(ctx, prefix+"c").Val(); got == "" {
		t.Fatal("limits are not counted in Redis again after it came back")
	}
	out := log.String()
	if strings.Count(out, "outage") != 1 || strings.Count(out, "back") != 1 {
		t.Fatalf("want one outage line and one back line:\n%s", out)
	}
}

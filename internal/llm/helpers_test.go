package llm

import (
	"bytes"
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/chatbot-platform/chatbot/internal/fakeopenai"
)

const testKey = "sk-test-SECRET-key-0123456789"

// syncBuffer collects log output from any goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// sleeps records the waits of the retry loop instead of sleeping.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleeps) get() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}

type testEnv struct {
	fake   *fakeopenai.Server
	c      *Client
	logs   *syncBuffer
	sleeps *sleeps // nil when real sleeping
}

// newEnv starts a fake and a client on it. By default waits are recorded,
// not slept; realSleep keeps real waits.
func newEnv(t *testing.T, cfg Config, realSleep bool, opts ...fakeopenai.Option) *testEnv {
	t.Helper()
	fake := fakeopenai.Start(t, append([]fakeopenai.Option{fakeopenai.WithAPIKey(testKey)}, opts...)...)
	if cfg.APIKey == "" {
		cfg.APIKey = testKey
	}
	cfg.BaseURL = fake.URL()
	if cfg.Timeout == 0 {
		cfg.Timeout = 10 * time.Second
	}
	logs := &syncBuffer{}
	c := New(cfg, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	env := &testEnv{fake: fake, c: c, logs: logs}
	if !realSleep {
		env.sleeps = &sleeps{}
		c.sleep = env.sleeps.sleep
	}
	return env
}

func chatRequest(text string) Request {
	return Request{
		Model:           "gpt-4o-mini",
		Temperature:     0.2,
		MaxOutputTokens: 300,
		Input: []Message{
			{Role: "system", Content: "You are a helpful bot."},
			{Role: "user", Content: "Hi"},
			{Role: "assistant", Content: "Hello! How can I help?"},
			{Role: "user", Content: text},
		},
	}
}

// waitGone waits until the fake saw the client close the last request's
// connection, and checks that it happened within a second of since.
func waitGone(t *testing.T, fake *fakeopenai.Server, since time.Time) {
	t.Helper()
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		reqs := fake.Requests()
		if gone := reqs[len(reqs)-1].ClientGone; !gone.IsZero() {
			if d := gone.Sub(since); d > time.Second {
				t.Errorf("upstream connection closed %v after cancel", d)
			}
			return
		}
	}
	t.Error("the fake never saw the upstream connection close")
}

package llm

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/chatbot-platform/chatbot/internal/fakeopenai"
)

// readAll reads a stream to its end or first error.
func readAll(s *Stream) ([]string, error) {
	var deltas []string
	for {
		d, err := s.Next()
		if err != nil {
			if err == io.EOF {
				err = nil
			}
			return deltas, err
		}
		deltas = append(deltas, d)
	}
}

func TestStream(t *testing.T) {
	env := newEnv(t, Config{}, false)
	s, err := env.c.Stream(context.Background(), chatRequest("tell me a story"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	deltas, err := readAll(s)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(deltas, "") != "Echo: tell me a story" || len(deltas) != 5 {
		t.Errorf("deltas %q", deltas)
	}
	r := s.Reply()
	if r.Text != "Echo: tell me a story" || r.Model != "gpt-4o-mini" || !strings.HasPrefix(r.ResponseID, "resp_") ||
		r.Usage.OutputTokens != 5 || r.Usage.TotalTokens != r.Usage.InputTokens+5 || r.Attempts != 1 {
		t.Errorf("reply %+v", r)
	}
	if _, err := s.Next(); err != io.EOF {
		t.Errorf("Next after the end: %v", err)
	}
	call := env.fake.RequestsTo(fakeopenai.Responses)[0].Responses
	if !call.Stream || call.Model != "gpt-4o-mini" || *call.Temperature != 0.2 || *call.MaxOutputTokens != 300 || len(call.Input) != 4 {
		t.Errorf("upstream request %+v", call)
	}
	if !strings.Contains(env.logs.String(), "op=responses.stream") {
		t.Errorf("no log line: %s", env.logs.String())
	}
}

func TestStreamRetriesBeforeFirstEvent(t *testing.T) {
	env := newEnv(t, Config{Timeout: 100 * time.Millisecond}, false)
	env.fake.Fail(fakeopenai.Responses, 1, fakeopenai.ServerError())
	env.fake.Fail(fakeopenai.Responses, 1, fakeopenai.DropConnection())
	env.fake.Fail(fakeopenai.Responses, 1, fakeopenai.Slow(time.Second)) // no first event within Timeout
	s, err := env.c.Stream(context.Background(), chatRequest("hi"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := readAll(s); err != nil {
		t.Fatal(err)
	}
	if r := s.Reply(); r.Attempts != 4 || r.Text != "Echo: hi" {
		t.Errorf("reply %+v", r)
	}
	if n := env.fake.Count(fakeopenai.Responses); n != 4 {
		t.Errorf("%d calls", n)
	}

	// Errors before the first event come from Stream itself, as plain errors.
	env.fake.Fail(fakeopenai.Responses, 1, fakeopenai.InsufficientQuota())
	_, err = env.c.Stream(context.Background(), chatRequest("hi"))
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindQuota || e.Attempts != 1 {
		t.Errorf("quota: %v", err)
	}
	env.fake.Fail(fakeopenai.Responses, 4, fakeopenai.RateLimit(0))
	_, err = env.c.Stream(context.Background(), chatRequest("hi"))
	if !errors.As(err, &e) || e.Kind != KindRateLimited || e.Attempts != 4 {
		t.Errorf("rate limit: %v", err)
	}
	// An error event as the very first event is retried like a 5xx.
	env.fake.Fail(fakeopenai.Responses, 1, fakeopenai.StreamError(0, "server_error", "oops"))
	s, err = env.c.Stream(context.Background(), chatRequest("hi"))
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
}

func TestStreamBrokenAfterDeltas(t *testing.T) {
	cases := []struct {
		name   string
		fault  fakeopenai.Fault
		kind   Kind
		detail string
	}{
		{"cut", fakeopenai.CutStream(2), KindUpstream, "interrupted"},
		{"truncated", fakeopenai.TruncateStream(2), KindUpstream, "interrupted"},
		{"error event", fakeopenai.StreamError(2, "server_error", "The server had an error"), KindUpstream, "could not produce a reply"},
		{"rate limit event", fakeopenai.StreamError(2, "rate_limit_exceeded", "Rate limit reached"), KindRateLimited, "rate limiting"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := newEnv(t, Config{}, false)
			env.fake.Fail(fakeopenai.Responses, 1, tc.fault)
			s, err := env.c.Stream(context.Background(), chatRequest("one two three four"))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			deltas, err := readAll(s)
			if strings.Join(deltas, "") != "Echo: one" {
				t.Errorf("deltas %q", deltas)
			}
			var e *Error
			if !errors.As(err, &e) || e.Kind != tc.kind || !strings.Contains(e.Detail(), tc.detail) {
				t.Fatalf("err %v, detail %q", err, e.Detail())
			}
			if _, again := s.Next(); again != err {
				t.Errorf("Next after failure: %v", again)
			}
			if r := s.Reply(); r.Text != "Echo: one" {
				t.Errorf("partial reply %+v", r)
			}
			if n := env.fake.Count(fakeopenai.Responses); n != 1 {
				t.Errorf("retried after deltas: %d calls", n)
			}
		})
	}
}

func TestStreamIdleTimeout(t *testing.T) {
	env := newEnv(t, Config{StreamIdleTimeout: 150 * time.Millisecond}, false)
	env.fake.Fail(fakeopenai.Responses, 1, fakeopenai.StallStream(2))
	s, err := env.c.Stream(context.Background(), chatRequest("one two three"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	start := time.Now()
	deltas, err := readAll(s)
	idle := time.Since(start)
	var e *Error
	if len(deltas) != 2 || !errors.As(err, &e) || e.Kind != KindTimeout {
		t.Fatalf("deltas %q, err %v", deltas, err)
	}
	if idle < 150*time.Millisecond || idle > time.Second {
		t.Errorf("failed after %v", idle)
	}
	waitGone(t, env.fake, start.Add(idle))
}

func TestStreamCancel(t *testing.T) {
	env := newEnv(t, Config{}, false)
	env.fake.Fail(fakeopenai.Responses, 1, fakeopenai.StallStream(1))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, err := env.c.Stream(ctx, chatRequest("one two three"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if d, err := s.Next(); err != nil || d != "Echo:" {
		t.Fatalf("%q %v", d, err)
	}
	// Cancel while Next is blocked on the silent upstream.
	res := make(chan error, 1)
	go func() { _, err := s.Next(); res <- err }()
	time.Sleep(50 * time.Millisecond)
	canceled := time.Now()
	cancel()
	select {
	case err := <-res:
		var e *Error
		if !errors.As(err, &e) || e.Kind != KindCanceled || !errors.Is(err, context.Canceled) {
			t.Errorf("err %v", err)
		}
	case <-time.After(time.Second):
		t.Fatal("Next did not return after cancel")
	}
	waitGone(t, env.fake, canceled)

	// Closing early also drops the upstream connection.
	env.fake.Fail(fakeopenai.Responses, 1, fakeopenai.StallStream(1))
	s2, err := env.c.Stream(context.Background(), chatRequest("x y"))
	if err != nil {
		t.Fatal(err)
	}
	_, _ = s2.Next()
	closed := time.Now()
	_ = s2.Close()
	waitGone(t, env.fake, closed)
	if _, err := s2.Next(); err == nil || err == io.EOF {
		t.Errorf("Next after Close: %v", err)
	}
}

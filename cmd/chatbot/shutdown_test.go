package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chatbot-platform/chatbot/internal/apitest"
	"github.com/chatbot-platform/chatbot/internal/fakeopenai"
)

// process is the real chatbot binary running on a SQLite database in dir.
type process struct {
	cmd  *exec.Cmd
	url  string
	logs *bytes.Buffer
	done chan struct{} // closed when the process has exited (cmd.ProcessState is then set)
}

// buildBinary builds ./cmd/chatbot with the release flags into a test folder.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "chatbot")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

// startProcess runs bin in dir with env over the test defaults and returns once /health answers 200.
func startProcess(t *testing.T, bin, dir string, env ...string) *process {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	p := &process{url: "http://" + addr, logs: &bytes.Buffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(bin)
	p.cmd.Dir = dir
	p.cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "ADDR=" + addr, "DATABASE_URL=sqlite:///app.db",
		"SECRET_KEY=" + apitest.TestSecret, "LOG_FILE=", "PASSWORD_HASH_ROUNDS=1000",
		"RATE_LIMIT_AUTH=0", "RATE_LIMIT_API=0", "RATE_LIMIT_KEY=0"}, env...)
	p.cmd.Stderr = p.logs
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.done
	})
	for start := time.Now(); ; time.Sleep(20 * time.Millisecond) {
		if res, err := http.Get(p.url + "/health"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return p
			}
		}
		if time.Since(start) > 20*time.Second {
			t.Fatalf("server did not start: %s", p.logs)
		}
	}
}

// TestShutdown_EndsOpenStreamsWithAnErrorEventAndStoresThePartialReply: on SIGTERM the server waits
// SHUTDOWN_GRACE for a stalled stream, then ends it with an `error` event (503, restarting), stores
// what was streamed as an incomplete message, and exits 0.
func TestShutdown_EndsOpenStreamsWithAnErrorEventAndStoresThePartialReply(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	fake := fakeopenai.Start(t, fakeopenai.WithReply(func(fakeopenai.ResponsesCall) string {
		return "one two three four five six seven eight"
	}))
	fake.Fail(fakeopenai.Responses, 1, fakeopenai.StallStream(2))
	dir := t.TempDir()
	bin := buildBinary(t)
	env := []string{"OPENAI_API_KEY=sk-fake-key", "OPENAI_BASE_URL=" + fake.URL(), "SHUTDOWN_GRACE=1s",
		"OPENAI_STREAM_IDLE_TIMEOUT=5m"}
	p := startProcess(t, bin, dir, env...)
	srv := apitest.Connect(t, p.url)
	_, token := srv.NewUser(t)
	projectID := srv.NewProject(t, token, "shutdown")

	body := fmt.Sprintf(`{"project_id": %d, "message": "count slowly"}`, projectID)
	req, _ := http.NewRequest(http.MethodPost, p.url+"/chat/stream", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("stream: %d", res.StatusCode)
	}
	type event struct{ name, data string }
	events := make(chan event, 100)
	go func() {
		defer close(events)
		sc := bufio.NewScanner(res.Body)
		var name string
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				events <- event{name, strings.TrimPrefix(line, "data: ")}
			}
		}
	}()
	var conversationID int64
	for deltas := 0; deltas < 2; {
		select {
		case ev := <-events:
			switch ev.name {
			case "start":
				var s struct {
					ConversationID int64 `json:"conversation_id"`
				}
				json.Unmarshal([]byte(ev.data), &s)
				conversationID = s.ConversationID
			case "delta":
				deltas++
			default:
				t.Fatalf("unexpected event before the stall: %+v", ev)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("no deltas")
		}
	}

	sent := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	var last event
	for ev := range events {
		last = ev
	}
	if last.name != "error" {
		t.Fatalf("the stream ended with %+v, want an error event\n%s", last, p.logs)
	}
	var se struct {
		Status int    `json:"status"`
		Detail string `json:"detail"`
	}
	json.Unmarshal([]byte(last.data), &se)
	if se.Status != http.StatusServiceUnavailable || !strings.Contains(se.Detail, "restarting") {
		t.Errorf("error event = %+v, want 503 saying the server is restarting", se)
	}
	if waited := time.Since(sent); waited < 900*time.Millisecond {
		t.Errorf("the stream ended %v after SIGTERM, before SHUTDOWN_GRACE (1s)", waited)
	}
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		t.Fatalf("the process did not exit\n%s", p.logs)
	}
	if code := p.cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("exit code %d, want 0\n%s", code, p.logs)
	}

	// A new process on the same database shows the partial reply, marked incomplete.
	p2 := startProcess(t, bin, dir, env...)
	conv, err := apitest.Connect(t, p2.url).Client.GetConversationWithResponse(context.Background(), conversationID, nil, apitest.Bearer(token))
	if err != nil || conv.JSON200 == nil {
		t.Fatalf("conversation: %v %s", err, conv.Body)
	}
	msgs := conv.JSON200.Messages
	if len(msgs) != 2 || !msgs[1].Incomplete || msgs[1].Content == "" {
		t.Fatalf("messages = %+v, want the user's and an incomplete partial reply", msgs)
	}
	if !strings.HasPrefix("one two three four five six seven eight", msgs[1].Content) {
		t.Errorf("partial reply %q is not a prefix of the reply", msgs[1].Content)
	}
}

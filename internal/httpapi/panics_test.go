package httpapi_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/chatbot-platform/chatbot/internal/apitest"
	"github.com/chatbot-platform/chatbot/internal/fakeopenai"
	"github.com/chatbot-platform/chatbot/internal/panics"
)

// panicServer is chatServer with its log kept. Tests that inject panics do not run in parallel: the
// hook is process-wide.
func panicServer(t *testing.T) (*apitest.Server, *fakeopenai.Server, *syncBuffer, string, int64) {
	t.Helper()
	fake := fakeopenai.Start(t)
	logs := &syncBuffer{}
	s := apitest.Start(t, apitest.Options{Log: logs, Env: map[string]string{
		"OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": fake.URL(), "OPENAI_RETRY_BASE_DELAY": "10ms"}})
	_, tok := s.NewUser(t)
	return s, fake, logs, tok, newProject(t, s, tok, `{"name":"Bot"}`)
}

// wantPanicLogged checks the panic was logged once, with its stack.
func wantPanicLogged(t *testing.T, logs *syncBuffer, point string) {
	t.Helper()
	out := logs.String()
	if n := strings.Count(out, "panic recovered"); n != 1 || !strings.Contains(out, "injected panic at "+point) ||
		!strings.Contains(out, "goroutine ") {
		t.Errorf("want one panic line with its stack, got %d in:\n%s", n, out)
	}
}

func TestPanic_InAHandlerFailsOnlyItsRequest(t *testing.T) {
	s, _, logs, tok, pid := panicServer(t)
	disarm := panics.Inject(t, panics.PointChatSend)
	r := s.Do(t, "POST", "/chat", tok, chatBody(pid, "hello", 0))
	wantStatus(t, r, 500, "internal error")
	if strings.Contains(string(r.Body), "goroutine") || strings.Contains(string(r.Body), "panic") {
		t.Errorf("the client sees the panic: %s", r.Body)
	}
	wantPanicLogged(t, logs, panics.PointChatSend)
	disarm()
	wantStatus(t, s.Do(t, "POST", "/chat", tok, chatBody(pid, "hello", 0)), 200, "")
}

func TestPanic_InTheBatcherFailsOnlyItsRequest(t *testing.T) {
	s, _, logs, tok, pid := panicServer(t)
	disarm := panics.Inject(t, panics.PointBatchJob)
	wantStatus(t, s.Do(t, "POST", "/chat", tok, chatBody(pid, "hello", 0)), 500, "internal error")
	wantPanicLogged(t, logs, panics.PointBatchJob)
	disarm()
	wantStatus(t, s.Do(t, "POST", "/chat", tok, chatBody(pid, "hello", 0)), 200, "") // the batcher still runs
}

func TestPanic_InTheStreamReaderEndsTheStreamWithAnErrorEvent(t *testing.T) {
	s, _, logs, tok, pid := panicServer(t)
	disarm := panics.Inject(t, panics.PointStreamReader)
	res, events := streamChat(t, s, tok, chatBody(pid, "hello", 0))
	if res.StatusCode != 200 || len(events) < 2 || events[0].Name != "start" || events[len(events)-1].Name != "error" {
		t.Fatalf("status %d, events %+v", res.StatusCode, events)
	}
	var e struct {
		Status int
		Detail string
	}
	json.Unmarshal([]byte(events[len(events)-1].Data), &e)
	if e.Status != 500 || strings.Contains(e.Detail, "panic") {
		t.Errorf("error event = %+v", e)
	}
	wantPanicLogged(t, logs, panics.PointStreamReader)
	disarm()
	if _, events := streamChat(t, s, tok, chatBody(pid, "hello", 0)); events[len(events)-1].Name != "done" {
		t.Errorf("the next stream: %+v", events)
	}
}

func TestPanic_InTheUploadPipeFailsOnlyThatUpload(t *testing.T) {
	e := startFilesEnv(t, nil, filesOptions{})
	disarm := panics.Inject(t, panics.PointUploadPipe)
	res := e.upload(t, e.token, e.project, "notes.txt", []byte("some notes"))
	if res.StatusCode() != 500 || strings.Contains(string(res.Body), "panic") {
		t.Fatalf("upload: %d %s", res.StatusCode(), res.Body)
	}
	if files := e.fake.Files(); len(files) != 0 {
		t.Errorf("files left upstream: %+v", files)
	}
	disarm()
	if res := e.upload(t, e.token, e.project, "notes.txt", []byte("some notes")); res.StatusCode() != 201 {
		t.Fatalf("next upload: %d %s", res.StatusCode(), res.Body)
	}
}

package fakeopenai_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatbot-platform/chatbot/internal/fakeopenai"
	openai "github.com/sashabaranov/go-openai"
)

// headerDoer keeps the last response headers, which go-openai drops on errors.
type headerDoer struct {
	mu     sync.Mutex
	header http.Header
}

func (d *headerDoer) Do(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultClient.Do(r)
	if err == nil {
		d.mu.Lock()
		d.header = resp.Header.Clone()
		d.mu.Unlock()
	}
	return resp, err
}

func (d *headerDoer) last() http.Header {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.header
}

func client(s *fakeopenai.Server, key string) (*openai.Client, *headerDoer) {
	cfg := openai.DefaultConfig(key)
	cfg.BaseURL = s.URL()
	d := &headerDoer{}
	cfg.HTTPClient = d
	return openai.NewClientWithConfig(cfg), d
}

func float32p(f float32) *float32 { return &f }

func request(text string) openai.CreateResponseRequest {
	return openai.CreateResponseRequest{
		Model:           "gpt-4o-mini",
		Temperature:     float32p(0.3),
		MaxOutputTokens: 200,
		Input: []openai.ResponseInputMessage{
			{Role: "system", Content: "Be brief."},
			{Role: "user", Content: "first question"},
			{Role: "assistant", Content: "first answer"},
			{Role: "user", Content: text},
		},
	}
}

func TestResponsesJSON(t *testing.T) {
	s := fakeopenai.Start(t)
	c, _ := client(s, "sk-test")
	resp, err := c.CreateResponse(context.Background(), request("hello there world"))
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.GetOutputText(); got != "Echo: hello there world" {
		t.Errorf("text %q", got)
	}
	if resp.Model != "gpt-4o-mini" || !strings.HasPrefix(resp.ID, "resp_") || resp.Status != openai.ResponseStatusCompleted {
		t.Errorf("response %+v", resp)
	}
	// input words: 2 + 2 + 2 + 3 = 9; output: 4.
	if u := resp.Usage; u == nil || u.InputTokens != 9 || u.OutputTokens != 4 || u.TotalTokens != 13 {
		t.Errorf("usage %+v", resp.Usage)
	}

	reqs := s.RequestsTo(fakeopenai.Responses)
	if len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	}
	call := reqs[0].Responses
	if call.Model != "gpt-4o-mini" || call.Temperature == nil || *call.Temperature != 0.3 ||
		call.MaxOutputTokens == nil || *call.MaxOutputTokens != 200 || call.Stream {
		t.Errorf("recorded %+v", call)
	}
	want := []fakeopenai.Message{{"system", "Be brief."}, {"user", "first question"}, {"assistant", "first answer"}, {"user", "hello there world"}}
	if len(call.Input) != len(want) {
		t.Fatalf("input %+v", call.Input)
	}
	for i := range want {
		if call.Input[i] != want[i] {
			t.Errorf("input[%d] = %+v, want %+v", i, call.Input[i], want[i])
		}
	}
	if got := reqs[0].Header.Get("Authorization"); got != "Bearer sk-test" {
		t.Errorf("auth header %q", got)
	}
}

func TestResponsesStream(t *testing.T) {
	s := fakeopenai.Start(t)
	c, _ := client(s, "sk-test")
	st, err := c.CreateResponseStream(context.Background(), request("one two three four"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var types []string
	var deltas []string
	var final *openai.CreateResponseResponse
	for {
		ev, err := st.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		types = append(types, string(ev.Type))
		switch ev.Type {
		case openai.ResponseStreamEventOutputTextDelta:
			deltas = append(deltas, ev.Delta)
		case openai.ResponseStreamEventCompleted:
			final = ev.Response
		}
	}
	wantTypes := "response.created response.in_progress response.output_item.added response.content_part.added " +
		strings.Repeat("response.output_text.delta ", 5) +
		"response.output_text.done response.content_part.done response.output_item.done response.completed"
	if got := strings.Join(types, " "); got != wantTypes {
		t.Errorf("events\n got %s\nwant %s", got, wantTypes)
	}
	if got := strings.Join(deltas, ""); got != "Echo: one two three four" || len(deltas) != 5 {
		t.Errorf("deltas %q", deltas)
	}
	if final == nil || final.GetOutputText() != "Echo: one two three four" || final.Usage == nil || final.Usage.OutputTokens != 5 {
		t.Fatalf("final %+v", final)
	}
	if !s.RequestsTo(fakeopenai.Responses)[0].Responses.Stream {
		t.Error("stream flag not recorded")
	}
}

func TestAuth(t *testing.T) {
	s := fakeopenai.Start(t, fakeopenai.WithAPIKey("sk-right"))
	var apiErr *openai.APIError

	c, _ := client(s, "")
	_, err := c.CreateResponse(context.Background(), request("x"))
	if !errors.As(err, &apiErr) || apiErr.HTTPStatusCode != 401 || apiErr.Type != "invalid_request_error" {
		t.Errorf("no key: %v", err)
	}

	c, _ = client(s, "sk-wrong-key-123")
	_, err = c.CreateResponse(context.Background(), request("x"))
	if !errors.As(err, &apiErr) || apiErr.HTTPStatusCode != 401 || apiErr.Code != "invalid_api_key" ||
		strings.Contains(apiErr.Message, "sk-wrong-key-123") {
		t.Errorf("wrong key: %v", err)
	}

	c, _ = client(s, "sk-right")
	if _, err = c.CreateResponse(context.Background(), request("x")); err != nil {
		t.Errorf("right key: %v", err)
	}
	if n := s.Count(fakeopenai.Responses); n != 3 {
		t.Errorf("recorded %d calls, want 3", n)
	}
}

func TestFilesVectorStoresAndCitations(t *testing.T) {
	s := fakeopenai.Start(t)
	c, _ := client(s, "sk-test")
	ctx := context.Background()
	content := "Refunds are possible within 30 days.\nSecond line.\n"
	f, err := c.CreateFileBytes(ctx, openai.FileBytesRequest{Name: "policy.txt", Bytes: []byte(content), Purpose: openai.PurposeAssistants})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(f.ID, "file-") || f.Bytes != len(content) || f.FileName != "policy.txt" || f.Purpose != "assistants" {
		t.Errorf("file %+v", f)
	}
	stored, ok := s.File(f.ID)
	if !ok || string(stored.Content) != content || stored.Truncated {
		t.Errorf("stored %+v", stored)
	}
	if got, err := c.GetFile(ctx, f.ID); err != nil || got.ID != f.ID {
		t.Errorf("get file: %v %+v", err, got)
	}

	vs, err := c.CreateVectorStore(ctx, openai.VectorStoreRequest{Name: "project 1"})
	if err != nil || !strings.HasPrefix(vs.ID, "vs_") || vs.Name != "project 1" {
		t.Fatalf("vector store %v %+v", err, vs)
	}
	vf, err := c.CreateVectorStoreFile(ctx, vs.ID, openai.VectorStoreFileRequest{FileID: f.ID})
	if err != nil || vf.Status != "in_progress" || vf.ID != f.ID || vf.VectorStoreID != vs.ID {
		t.Fatalf("attach %v %+v", err, vf)
	}
	if vf, err = c.RetrieveVectorStoreFile(ctx, vs.ID, f.ID); err != nil || vf.Status != "completed" {
		t.Fatalf("retrieve %v %+v", err, vf)
	}

	req := request("what about refunds?")
	req.Tools = []openai.ResponseTool{{Type: openai.ToolTypeFileSearch, Parameters: map[string]any{"vector_store_ids": []string{vs.ID}}}}
	req.Include = []openai.ResponseInclude{openai.ResponseIncludeFileSearchCallResults}
	resp, err := c.CreateResponse(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(resp.GetOutputText(), `policy.txt says: "Refunds are possible within 30 days."`) {
		t.Errorf("text %q", resp.GetOutputText())
	}
	var items []openai.ResponseOutputItem
	b, _ := json.Marshal(resp.Output)
	_ = json.Unmarshal(b, &items)
	if len(items) != 2 || items[0].Type != "file_search_call" || items[1].Type != "message" {
		t.Fatalf("output %s", b)
	}
	anns := items[1].Content[0].Annotations
	if len(anns) != 1 || anns[0].Type != "file_citation" || anns[0].FileID != f.ID || anns[0].Filename != "policy.txt" ||
		anns[0].Index != len([]rune(resp.GetOutputText())) {
		t.Errorf("annotations %+v", anns)
	}
	if !strings.Contains(string(b), `"text":"Refunds are possible`) {
		t.Errorf("file_search_call results missing: %s", b)
	}
	if tools := s.RequestsTo(fakeopenai.Responses)[0].Responses.Tools; len(tools) != 1 || tools[0].VectorStoreIDs[0] != vs.ID {
		t.Errorf("tools %+v", tools)
	}

	// The stream announces the citation too.
	req.Include = nil
	st, err := c.CreateResponseStream(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	var sawAnnotation, sawSearch bool
	for {
		ev, err := st.Recv()
		if err != nil {
			break
		}
		sawAnnotation = sawAnnotation || (ev.Type == openai.ResponseStreamEventOutputTextAnnotationAdded && ev.Annotation.FileID == f.ID)
		sawSearch = sawSearch || ev.Type == openai.ResponseStreamEventFileSearchCompleted
	}
	st.Close()
	if !sawAnnotation || !sawSearch {
		t.Errorf("stream: annotation %v, file search %v", sawAnnotation, sawSearch)
	}

	if err := c.DeleteVectorStoreFile(ctx, vs.ID, f.ID); err != nil {
		t.Error(err)
	}
	var apiErr *openai.APIError
	if err := c.DeleteVectorStoreFile(ctx, vs.ID, f.ID); !errors.As(err, &apiErr) || apiErr.HTTPStatusCode != 404 {
		t.Errorf("detach twice: %v", err)
	}
	if _, err := c.DeleteVectorStore(ctx, vs.ID); err != nil {
		t.Error(err)
	}
	if err := c.DeleteFile(ctx, f.ID); err != nil {
		t.Error(err)
	}
	if err := c.DeleteFile(ctx, f.ID); !errors.As(err, &apiErr) || apiErr.HTTPStatusCode != 404 || apiErr.Type != "invalid_request_error" {
		t.Errorf("delete twice: %v", err)
	}
}

func TestIndexingDelayAndFailure(t *testing.T) {
	s := fakeopenai.Start(t, fakeopenai.WithIndexingDelay(time.Second))
	s.FailIndexing("bad.bin", "unsupported_file", "The file type is not supported.")
	c, _ := client(s, "sk-test")
	ctx := context.Background()
	vs, _ := c.CreateVectorStore(ctx, openai.VectorStoreRequest{Name: "x"})
	good, _ := c.CreateFileBytes(ctx, openai.FileBytesRequest{Name: "good.txt", Bytes: []byte("hi"), Purpose: openai.PurposeAssistants})
	bad, _ := c.CreateFileBytes(ctx, openai.FileBytesRequest{Name: "bad.bin", Bytes: []byte{0, 1}, Purpose: openai.PurposeAssistants})
	for _, id := range []string{good.ID, bad.ID} {
		if _, err := c.CreateVectorStoreFile(ctx, vs.ID, openai.VectorStoreFileRequest{FileID: id}); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now() // both attached: both final a second from now at the latest
	// A file still indexing is not searched.
	req := request("q")
	req.Tools = []openai.ResponseTool{{Type: openai.ToolTypeFileSearch, Parameters: map[string]any{"vector_store_ids": []string{vs.ID}}}}
	if resp, err := c.CreateResponse(ctx, req); err != nil || len(resp.Output) != 1 {
		t.Errorf("while indexing: %v, %d output items", err, len(resp.Output))
	}
	if vf, _ := c.RetrieveVectorStoreFile(ctx, vs.ID, good.ID); vf.Status != "in_progress" {
		t.Errorf("early status %q", vf.Status)
	}
	if d := time.Until(start.Add(1100 * time.Millisecond)); d > 0 {
		time.Sleep(d)
	}
	if vf, _ := c.RetrieveVectorStoreFile(ctx, vs.ID, good.ID); vf.Status != "completed" {
		t.Errorf("late status %q", vf.Status)
	}
	// go-openai's VectorStoreFile has no last_error: read it raw.
	hr, _ := http.NewRequest("GET", s.URL()+"/vector_stores/"+vs.ID+"/files/"+bad.ID, nil)
	hr.Header.Set("Authorization", "Bearer k")
	res, err := http.DefaultClient.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var vf struct {
		Status    string
		LastError struct{ Code, Message string } `json:"last_error"`
	}
	_ = json.NewDecoder(res.Body).Decode(&vf)
	if vf.Status != "failed" || vf.LastError.Code != "unsupported_file" {
		t.Errorf("failed file %+v", vf)
	}
	if got := s.VectorStores()[vs.ID]; len(got) != 2 {
		t.Errorf("store files %v", got)
	}
}

func TestLargeUploadKeepsPrefix(t *testing.T) {
	s := fakeopenai.Start(t, fakeopenai.WithContentLimit(4))
	c, _ := client(s, "sk-test")
	data := []byte("0123456789")
	f, err := c.CreateFileBytes(context.Background(), openai.FileBytesRequest{Name: "d.txt", Bytes: data, Purpose: openai.PurposeAssistants})
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	got, _ := s.File(f.ID)
	if string(got.Content) != "0123" || !got.Truncated || got.Bytes != 10 || got.SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("stored %+v", got)
	}
	if up := s.RequestsTo(fakeopenai.CreateFile)[0].Upload; up == nil || up.Filename != "d.txt" || up.Purpose != "assistants" {
		t.Errorf("recorded upload %+v", up)
	}
}

func TestFaults(t *testing.T) {
	s := fakeopenai.Start(t)
	c, hd := client(s, "sk-test")
	ctx := context.Background()
	var apiErr *openai.APIError
	var reqErr *openai.RequestError

	s.Fail(fakeopenai.Responses, 2, fakeopenai.RateLimit(1500*time.Millisecond))
	for range 2 {
		_, err := c.CreateResponse(ctx, request("x"))
		if !errors.As(err, &apiErr) || apiErr.HTTPStatusCode != 429 || apiErr.Code != "rate_limit_exceeded" {
			t.Fatalf("rate limit: %v", err)
		}
		if h := hd.last(); h.Get("Retry-After") != "2" || h.Get("Retry-After-Ms") != "1500" {
			t.Errorf("headers %v", h)
		}
	}
	if _, err := c.CreateResponse(ctx, request("x")); err != nil {
		t.Fatalf("third call: %v", err)
	}

	s.Fail(fakeopenai.Responses, 1, fakeopenai.InsufficientQuota())
	if _, err := c.CreateResponse(ctx, request("x")); !errors.As(err, &apiErr) || apiErr.Code != "insufficient_quota" || apiErr.HTTPStatusCode != 429 {
		t.Errorf("quota: %v", err)
	}
	s.Fail(fakeopenai.Responses, 1, fakeopenai.InvalidAPIKey())
	if _, err := c.CreateResponse(ctx, request("x")); !errors.As(err, &apiErr) || apiErr.Code != "invalid_api_key" {
		t.Errorf("invalid key: %v", err)
	}
	s.Fail(fakeopenai.Responses, 1, fakeopenai.ServerError())
	if _, err := c.CreateResponse(ctx, request("x")); !errors.As(err, &apiErr) || apiErr.HTTPStatusCode != 500 || apiErr.Type != "server_error" {
		t.Errorf("500: %v", err)
	}
	s.Fail(fakeopenai.Responses, 1, fakeopenai.HTMLError(503))
	if _, err := c.CreateResponse(ctx, request("x")); !errors.As(err, &reqErr) || reqErr.HTTPStatusCode != 503 {
		t.Errorf("html 503: %v", err)
	}
	s.Fail(fakeopenai.Responses, 1, fakeopenai.DropConnection())
	if _, err := c.CreateResponse(ctx, request("x")); err == nil || errors.As(err, &apiErr) || errors.As(err, &reqErr) {
		t.Errorf("drop: %v", err)
	}
	s.Fail(fakeopenai.CreateFile, 1, fakeopenai.ServerError())
	if _, err := c.CreateFileBytes(ctx, openai.FileBytesRequest{Name: "a", Bytes: []byte("a"), Purpose: "assistants"}); !errors.As(err, &apiErr) || apiErr.HTTPStatusCode != 500 {
		t.Errorf("upload 500: %v", err)
	}

	s.Fail(fakeopenai.Responses, 1, fakeopenai.Slow(150*time.Millisecond))
	start := time.Now()
	if _, err := c.CreateResponse(ctx, request("x")); err != nil || time.Since(start) < 150*time.Millisecond {
		t.Errorf("slow: %v after %v", err, time.Since(start))
	}
}

// recvAll reads a stream to its end and returns the deltas, whether
// response.completed came, and the final error (nil for a clean io.EOF).
func recvAll(st *openai.ResponseStream) (deltas []string, completed bool, err error) {
	for {
		ev, err := st.Recv()
		if err == io.EOF {
			return deltas, completed, nil
		}
		if err != nil {
			return deltas, completed, err
		}
		switch ev.Type {
		case openai.ResponseStreamEventOutputTextDelta:
			deltas = append(deltas, ev.Delta)
		case openai.ResponseStreamEventCompleted:
			completed = true
		case openai.ResponseStreamEventError:
			return deltas, completed, errors.New("error event " + ev.Code)
		}
	}
}

func TestStreamFaults(t *testing.T) {
	s := fakeopenai.Start(t)
	c, _ := client(s, "sk-test")
	ctx := context.Background()

	s.Fail(fakeopenai.Responses, 1, fakeopenai.CutStream(2))
	st, err := c.CreateResponseStream(ctx, request("a b c d"))
	if err != nil {
		t.Fatal(err)
	}
	deltas, completed, err := recvAll(st)
	st.Close()
	if len(deltas) != 2 || completed || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("cut: %q %v %v", deltas, completed, err)
	}

	s.Fail(fakeopenai.Responses, 1, fakeopenai.TruncateStream(3))
	st, _ = c.CreateResponseStream(ctx, request("a b c d"))
	deltas, completed, err = recvAll(st)
	st.Close()
	if len(deltas) != 3 || completed || err != nil {
		t.Errorf("truncate: %q %v %v", deltas, completed, err)
	}

	s.Fail(fakeopenai.Responses, 1, fakeopenai.StreamError(1, "server_error", "boom"))
	st, _ = c.CreateResponseStream(ctx, request("a b c d"))
	deltas, _, err = recvAll(st)
	st.Close()
	if len(deltas) != 1 || err == nil || !strings.Contains(err.Error(), "server_error") {
		t.Errorf("error event: %q %v", deltas, err)
	}

	s.Fail(fakeopenai.Responses, 1, fakeopenai.StallStream(1))
	sctx, cancel := context.WithCancel(ctx)
	st, _ = c.CreateResponseStream(sctx, request("a b c d"))
	var got []string
	for len(got) < 1 {
		ev, err := st.Recv()
		if err != nil {
			t.Fatal(err)
		}
		if ev.Type == openai.ResponseStreamEventOutputTextDelta {
			got = append(got, ev.Delta)
		}
	}
	done := make(chan error, 1)
	go func() { _, err := st.Recv(); done <- err }()
	select {
	case err := <-done:
		t.Fatalf("stalled stream returned %v", err)
	case <-time.After(100 * time.Millisecond):
	}
	cancelled := time.Now()
	cancel()
	if err := <-done; err == nil {
		t.Error("no error after cancel")
	}
	st.Close()
	waitGone(t, s, cancelled)
}

// waitGone waits until the fake noticed the client left the last request.
func waitGone(t *testing.T, s *fakeopenai.Server, since time.Time) {
	t.Helper()
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		reqs := s.Requests()
		if gone := reqs[len(reqs)-1].ClientGone; !gone.IsZero() {
			if d := gone.Sub(since); d > time.Second {
				t.Errorf("connection closed %v after cancel", d)
			}
			return
		}
	}
	t.Error("the fake never saw the connection close")
}

func TestLatencyAndDeltaDelay(t *testing.T) {
	s := fakeopenai.Start(t, fakeopenai.WithLatency(60*time.Millisecond), fakeopenai.WithDeltaDelay(20*time.Millisecond))
	c, _ := client(s, "sk-test")
	start := time.Now()
	st, err := c.CreateResponseStream(context.Background(), request("a b c"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Recv(); err != nil || time.Since(start) < 60*time.Millisecond {
		t.Errorf("first event after %v: %v", time.Since(start), err)
	}
	deltas, completed, err := recvAll(st)
	if err != nil || !completed || len(deltas) != 4 || time.Since(start) < 60*time.Millisecond+4*20*time.Millisecond {
		t.Errorf("%q %v %v after %v", deltas, completed, err, time.Since(start))
	}
}

func TestUnknownRouteAndBadRequest(t *testing.T) {
	s := fakeopenai.Start(t)
	c, _ := client(s, "sk-test")
	var apiErr *openai.APIError
	_, err := c.RetrieveResponse(context.Background(), "resp_x")
	if !errors.As(err, &apiErr) || apiErr.HTTPStatusCode != 404 || !strings.Contains(apiErr.Message, "Invalid URL") {
		t.Errorf("unknown route: %v", err)
	}
	req := request("x")
	req.Model = ""
	if _, err := c.CreateResponse(context.Background(), req); !errors.As(err, &apiErr) || apiErr.HTTPStatusCode != 400 || *apiErr.Param != "model" {
		t.Errorf("no model: %v", err)
	}
	req = request("x")
	req.Tools = []openai.ResponseTool{{Type: openai.ToolTypeFileSearch, Parameters: map[string]any{"vector_store_ids": []string{"vs_nope"}}}}
	if _, err := c.CreateResponse(context.Background(), req); !errors.As(err, &apiErr) || apiErr.HTTPStatusCode != 404 {
		t.Errorf("unknown vector store: %v", err)
	}
}

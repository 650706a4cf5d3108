package file_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chatbot-platform/chatbot/internal/chat"
	"github.com/chatbot-platform/chatbot/internal/fakeopenai"
	"github.com/chatbot-platform/chatbot/internal/file"
	"github.com/chatbot-platform/chatbot/internal/jobs"
	"github.com/chatbot-platform/chatbot/internal/llm"
	"github.com/chatbot-platform/chatbot/internal/model"
	"github.com/chatbot-platform/chatbot/internal/project"
	"github.com/chatbot-platform/chatbot/internal/store"
	"github.com/chatbot-platform/chatbot/internal/testdb"
)

var ctx = context.Background()

// The service is what chat searches through and what project deletion cleans up with.
var (
	_ chat.Searcher   = (*file.Service)(nil)
	_ project.Cleaner = (*file.Service)(nil)
)

func TestCleanFilename(t *testing.T) {
	tests := []struct{ in, want string }{
		{"report.pdf", "report.pdf"},
		{"  Q3 report (final).docx  ", "Q3 report (final).docx"},
		{`C:\Users\bob\Desktop\notes.txt`, "notes.txt"},
		{"../../etc/passwd", "passwd"},
		{`a/b\c`, "c"},
		{"dir/", ""},
		{"..", ""},
		{"...", ""},
		{"", ""},
		{"   ", ""},
		{"a\x00b\x1b[31mc\x7f.txt", "ab[31mc.txt"},
		{"invoice\u202Etxt.exe", "invoicetxt.exe"}, // right-to-left override would show "invoiceexe.txt"
		{"zero\u200Bwidth.md", "zerowidth.md"},
		{"bad\xffutf8.txt", "badutf8.txt"},
		{"résumé 履歴書.pdf", "résumé 履歴書.pdf"},
		{".bashrc", ".bashrc"},
		{strings.Repeat("a", 300) + ".pdf", strings.Repeat("a", 251) + ".pdf"},
		{strings.Repeat("é", 200) + ".pdf", strings.Repeat("é", 125) + ".pdf"}, // never splits a character
		{strings.Repeat("a", 300), strings.Repeat("a", 255)},
		{"x." + strings.Repeat("b", 300), "x." + strings.Repeat("b", 253)}, // a long "extension" is cut like a name
	}
	for _, tt := range tests {
		got := file.CleanFilename(tt.in)
		if got != tt.want {
			t.Errorf("CleanFilename(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if len(got) > file.MaxFilenameBytes {
			t.Errorf("CleanFilename(%q) is %d bytes", tt.in, len(got))
		}
	}
}

func TestContentType(t *testing.T) {
	pdf := []byte("%PDF-1.7\n%âãÏÓ\n")
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
	zip := []byte("PK\x03\x04\x14\x00\x06\x00")
	tests := []struct {
		name string
		head []byte
		want string
	}{
		{"a.pdf", pdf, "application/pdf"},
		{"a.PDF", pdf, "application/pdf"},
		{"a.md", []byte("# hi"), "text/markdown"},
		{"a.json", []byte(`{"a":1}`), "application/json"},
		{"a.docx", zip, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
		{"a.txt", png, "image/png"}, // text promised, binary given: the content wins
		{"a.md", []byte{0, 1, 2, 3}, "application/octet-stream"},
		{"noext", pdf, "application/pdf"}, // no extension: sniffed
		{"noext", []byte("hello"), "text/plain"},
		{"a.csv", []byte("a,b"), "text/csv"},
		{"a.unknownext", []byte("hello"), "text/plain"},
	}
	for _, tt := range tests {
		if got := file.ContentType(tt.name, tt.head); got != tt.want {
			t.Errorf("ContentType(%q, %q) = %q, want %q", tt.name, tt.head, got, tt.want)
		}
	}
}

func TestSearchable(t *testing.T) {
	for _, name := range []string{"a.pdf", "a.PDF", "b.md", "c.docx", "d.go", "e.tex", "f.txt", "g.pptx", "h.ts"} {
		if !file.Searchable(name) {
			t.Errorf("%s not searchable", name)
		}
	}
	for _, name := range []string{"a.csv", "b.xlsx", "c.png", "README", "d.zip", "e.txt.exe", "pdf"} {
		if file.Searchable(name) {
			t.Errorf("%s searchable", name)
		}
	}
	if got := strings.Join(file.SearchableFormats(), " "); got != ".c .cpp .cs .css .doc .docx .go .html .java .js .json .md .pdf .php .pptx .py .rb .sh .tex .ts .txt" {
		t.Errorf("formats %s", got)
	}
}

// env is a file service on a real database, talking to a fake OpenAI, with one user's project.
type env struct {
	svc     *file.Service
	st      store.Store
	fake    *fakeopenai.Server
	project model.Project
}

func newEnv(t *testing.T, open func(testing.TB) store.Store, maxBytes int64, opts ...fakeopenai.Option) *env {
	t.Helper()
	fake := fakeopenai.Start(t, opts...)
	st := open(t)
	c := llm.New(llm.Config{APIKey: "sk-test", BaseURL: fake.URL(), BaseDelay: time.Millisecond}, nil)
	u, err := st.CreateUser(ctx, "owner@example.com", "hash")
	if err != nil {
		t.Fatal(err)
	}
	p, err := st.CreateProject(ctx, model.Project{OwnerID: u.ID, Name: "p", Model: "gpt-4o-mini", Temperature: 0.7, MaxOutputTokens: 100})
	if err != nil {
		t.Fatal(err)
	}
	return &env{svc: file.NewService(st, c, maxBytes, nil), st: st, fake: fake, project: p}
}

// runJobs works the file jobs on the env's database until the test ends.
func (e *env) runJobs(t *testing.T) {
	t.Helper()
	w := jobs.NewWorkers()
	e.svc.RegisterJobs(w)
	r, err := e.st.Jobs().Start(ctx, w, jobs.StartOptions{PollInterval: 50 * time.Millisecond, RetryDelay: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Stop(ctx, time.Second) })
}

// waitStored waits until every file of the project has a final status, and returns them.
func (e *env) waitStored(t *testing.T, within time.Duration) []model.File {
	t.Helper()
	for deadline := time.Now().Add(within); ; time.Sleep(20 * time.Millisecond) {
		files, err := e.st.ListFiles(ctx, e.project.OwnerID, e.project.ID)
		if err != nil {
			t.Fatal(err)
		}
		done := true
		for _, f := range files {
			done = done && f.Status != model.FileInProgress
		}
		if done {
			return files
		}
		if time.Now().After(deadline) {
			t.Fatalf("still indexing after %v: %+v", within, files)
		}
	}
}

func part(name string, r io.Reader) file.Part {
	return func() (string, io.Reader, error) { return name, r, nil }
}

func (e *env) upload(t *testing.T, name, content string) model.File {
	t.Helper()
	f, err := e.svc.Upload(ctx, e.project.OwnerID, e.project.ID, part(name, strings.NewReader(content)))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (e *env) fresh(t *testing.T) model.Project {
	t.Helper()
	p, err := e.st.GetProject(ctx, e.project.OwnerID, e.project.ID)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestUpload_ReadsNothingForAnotherUsersProject(t *testing.T) {
	e := newEnv(t, testdb.SQLite, 1<<20)
	called := false
	open := func() (string, io.Reader, error) { called = true; return "a.txt", strings.NewReader("x"), nil }
	_, err := e.svc.Upload(ctx, e.project.OwnerID+1, e.project.ID, open)
	if !errors.Is(err, store.ErrNotFound) || called || len(e.fake.Requests()) != 0 {
		t.Fatalf("err %v, part opened %v, %d upstream requests", err, called, len(e.fake.Requests()))
	}
}

// brokenReader yields n bytes, then fails like a client connection that broke.
type brokenReader struct{ n int }

func (r *brokenReader) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, io.ErrUnexpectedEOF
	}
	k := min(len(p), r.n)
	for i := range p[:k] {
		p[i] = 'x'
	}
	r.n -= k
	return k, nil
}

func TestUpload_BodyThatBreaksOffAbortsTheUpstreamUpload(t *testing.T) {
	e := newEnv(t, testdb.SQLite, 4<<20)
	_, err := e.svc.Upload(ctx, e.project.OwnerID, e.project.ID, part("a.txt", &brokenReader{n: 1 << 20}))
	var verr *model.ValidationError
	if !errors.As(err, &verr) || !strings.Contains(err.Error(), "broke off") {
		t.Fatalf("err %v", err)
	}
	// The fake may or may not have seen the start of the request; it kept nothing.
	if len(e.fake.Files()) != 0 || e.fake.Count(fakeopenai.CreateFile) > 1 {
		t.Fatalf("upstream files %v, %d uploads begun", e.fake.Files(), e.fake.Count(fakeopenai.CreateFile))
	}
	if fs, _ := e.st.ListFiles(ctx, e.project.OwnerID, e.project.ID); len(fs) != 0 {
		t.Fatalf("stored %v", fs)
	}
}

func TestUpload_TooLargeMidStreamIsAborted(t *testing.T) {
	e := newEnv(t, testdb.SQLite, 1<<20)
	_, err := e.svc.Upload(ctx, e.project.OwnerID, e.project.ID, part("a.txt", &brokenReader{n: 3 << 20}))
	var tl *file.TooLargeError
	if !errors.As(err, &tl) || tl.Limit != 1<<20 || !errors.Is(err, file.ErrTooLarge) || err.Error() != "The file is larger than the upload limit of 1 MiB." {
		t.Fatalf("err %v", err)
	}
	if len(e.fake.Files()) != 0 {
		t.Fatalf("upstream files %v", e.fake.Files())
	}
}

// cancelAtEOF cancels a context when its reader is drained: a client that leaves right after
// sending the last byte.
type cancelAtEOF struct {
	r      io.Reader
	cancel context.CancelFunc
}

func (c cancelAtEOF) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if err == io.EOF {
		c.cancel()
	}
	return n, err
}

func TestUpload_ClientLeavingAfterTheLastByteStillRecordsTheFile(t *testing.T) {
	e := newEnv(t, testdb.SQLite, 1<<20)
	e.fake.Fail(fakeopenai.CreateFile, 1, fakeopenai.Slow(200*time.Millisecond)) // OpenAI answers after the client left
	cctx, cancel := context.WithCancel(ctx)
	f, err := e.svc.Upload(cctx, e.project.OwnerID, e.project.ID, part("a.txt", cancelAtEOF{strings.NewReader("content"), cancel}))
	if err != nil || cctx.Err() == nil {
		t.Fatalf("upload: %v (ctx %v)", err, cctx.Err())
	}
	if _, ok := e.fake.File(f.OpenAIFileID); !ok {
		t.Fatal("not at OpenAI")
	}
	if fs, _ := e.st.ListFiles(ctx, e.project.OwnerID, e.project.ID); len(fs) != 1 || fs[0].OpenAIFileID != f.OpenAIFileID {
		t.Fatalf("stored %v", fs)
	}
}

// leavingClient yields one MiB, then cancels a context and fails: a client that leaves
// mid-upload (the server's body read fails when the connection closes).
type leavingClient struct {
	n      int
	cancel context.CancelFunc
}

func (r *leavingClient) Read(p []byte) (int, error) {
	if r.n += len(p); r.n > 1<<20 {
		r.cancel()
		return 0, net.ErrClosed
	}
	return len(p), nil
}

func TestUpload_ClientLeavingMidBodyAbortsTheUpload(t *testing.T) {
	e := newEnv(t, testdb.SQLite, 64<<20)
	cctx, cancel := context.WithCancel(ctx)
	_, err := e.svc.Upload(cctx, e.project.OwnerID, e.project.ID, part("a.txt", &leavingClient{cancel: cancel}))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v", err)
	}
	if len(e.fake.Files()) != 0 {
		t.Fatalf("upstream files %v", e.fake.Files())
	}
}

// TestIndexStatuses: the job stores the final status of each file (OpenAI's reason for a failure
// too), and List shows the stored statuses without asking OpenAI.
func TestIndexStatuses(t *testing.T) {
	e := newEnv(t, testdb.SQLite, 1<<20)
	e.fake.FailIndexing("bad.pdf", "invalid_file", "The file could not be parsed.")
	good := e.upload(t, "good.txt", "text")
	bad := e.upload(t, "bad.pdf", "%PDF-1.4")
	e.runJobs(t)
	e.waitStored(t, 5*time.Second)
	calls := len(e.fake.Requests())
	files, err := e.svc.List(ctx, e.project.OwnerID, e.project.ID, store.Page{Limit: 100})
	if len(e.fake.Requests()) != calls {
		t.Fatal("List called OpenAI")
	}
	if err != nil || len(files) != 2 {
		t.Fatal(err, files)
	}
	if files[0].ID != good.ID || files[0].Status != model.FileCompleted || files[1].ID != bad.ID || files[1].Status != model.FileFailed ||
		files[1].StatusDetail != "OpenAI could not index the file: The file could not be parsed." {
		t.Fatalf("files %+v", files)
	}
}

func TestSearchTarget(t *testing.T) {
	for _, eng := range testdb.Engines() {
		t.Run(eng.Name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, eng.Open, 1<<20)
			vs, files, err := e.svc.SearchTarget(ctx, e.project.OwnerID, e.fresh(t))
			if err != nil || vs != "" || len(files) != 0 {
				t.Fatalf("no files: %q %v %v", vs, files, err)
			}
			a := e.upload(t, "a.txt", "a")
			c := e.upload(t, "c.csv", "c")
			p := e.fresh(t)
			// Indexing not yet seen as completed: nothing to search, and OpenAI is not asked.
			calls := len(e.fake.Requests())
			vs, files, _ = e.svc.SearchTarget(ctx, e.project.OwnerID, p)
			if vs != "" || len(files) != 2 || files[a.OpenAIFileID].Status != model.FileInProgress || len(e.fake.Requests()) != calls {
				t.Fatalf("while indexing: %q %+v, %d upstream calls", vs, files, len(e.fake.Requests())-calls)
			}
			// The job stores the completed status; SearchTarget reads it.
			e.runJobs(t)
			e.waitStored(t, 5*time.Second)
			calls = len(e.fake.Requests())
			vs, files, _ = e.svc.SearchTarget(ctx, e.project.OwnerID, p)
			if vs == "" || vs != p.VectorStoreID || len(files) != 2 || files[a.OpenAIFileID].ID != a.ID ||
				files[a.OpenAIFileID].Status != model.FileCompleted || files[c.OpenAIFileID].Filename != "c.csv" {
				t.Fatalf("once indexed: %q %+v", vs, files)
			}
			if len(e.fake.Requests()) != calls {
				t.Fatalf("SearchTarget called OpenAI %d times", len(e.fake.Requests())-calls)
			}
			other := p
			other.OwnerID++
			if vs, files, _ := e.svc.SearchTarget(ctx, other.OwnerID, other); vs != "" || len(files) != 0 {
				t.Fatalf("another user sees %q %v", vs, files)
			}
		})
	}
}

func TestCleanupProject_LeavesNothingPointingAtDeletedObjects(t *testing.T) {
	for _, eng := range testdb.Engines() {
		t.Run(eng.Name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, eng.Open, 1<<20)
			gone := e.upload(t, "gone.txt", "a")
			e.upload(t, "b.md", "b")
			e.upload(t, "c.csv", "c")
			deleteAtFake(t, e.fake, "/files/"+gone.OpenAIFileID)
			p := e.fresh(t)
			e.svc.CleanupProject(ctx, p)
			// Each row goes with its upstream file (already gone counts), and the project loses its
			// vector store id: if the project deletion failed now, nothing would point at nothing.
			if files, _ := e.st.ListFiles(ctx, p.OwnerID, p.ID); len(files) != 0 || len(e.fake.Files()) != 0 {
				t.Fatalf("rows %+v, at OpenAI %+v", files, e.fake.Files())
			}
			if len(e.fake.VectorStores()) != 0 || e.fresh(t).VectorStoreID != "" {
				t.Fatalf("vector store left: %v, project has %q", e.fake.VectorStores(), e.fresh(t).VectorStoreID)
			}
		})
	}
}

func TestCleanupProject_KeepsRowsOfFilesOpenAIRefusesToDelete(t *testing.T) {
	e := newEnv(t, testdb.SQLite, 1<<20)
	e.upload(t, "a.md", "a")
	e.upload(t, "b.csv", "b")
	e.fake.Fail(fakeopenai.DeleteFile, 2, fakeopenai.Fault{Status: 400, Type: "invalid_request_error", Message: "no"})
	p := e.fresh(t)
	e.svc.CleanupProject(ctx, p)
	if files, _ := e.st.ListFiles(ctx, p.OwnerID, p.ID); len(files) != 2 || len(e.fake.Files()) != 2 {
		t.Fatalf("rows %+v, at OpenAI %+v", files, e.fake.Files())
	}
	if len(e.fake.VectorStores()) != 0 || e.fresh(t).VectorStoreID != "" {
		t.Fatalf("vector store left: %v", e.fake.VectorStores())
	}
}

// deleteAtFake deletes an object at the fake directly, as if someone did at OpenAI.
func deleteAtFake(t *testing.T, fake *fakeopenai.Server, path string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodDelete, fake.URL()+path, nil)
	req.Header.Set("Authorization", "Bearer sk-test")
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("delete %s at the fake: %v %v", path, err, res)
	}
	res.Body.Close()
}

// TestIndexJob_GivesUpAndStops: a file still in progress past the give-up time is marked failed with
// a clear detail; a file deleted while its job waits ends the job; the job snoozes 1 s, 2 s, ...
// while the file is indexed.
func TestIndexJob_GivesUpAndStops(t *testing.T) {
	for _, eng := range testdb.Engines() {
		t.Run(eng.Name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, eng.Open, 1<<20, fakeopenai.WithIndexingDelay(time.Hour))
			e.svc.SetIndexGiveUp(2500 * time.Millisecond)
			slow := e.upload(t, "slow.md", "x")
			gone := e.upload(t, "gone.md", "y")
			e.runJobs(t)
			time.Sleep(200 * time.Millisecond) // each job polled once and snoozed
			if err := e.svc.Delete(ctx, e.project.OwnerID, gone.ID, false); err != nil {
				t.Fatal(err)
			}
			files := e.waitStored(t, 10*time.Second)
			if len(files) != 1 || files[0].ID != slow.ID || files[0].Status != model.FileFailed ||
				files[0].StatusDetail != "OpenAI did not finish indexing the file within 2.5s; delete it and upload it again." {
				t.Fatalf("files %+v", files)
			}
			list := waitJobs(t, e.st, file.IndexStatusKind)
			if len(list) != 2 {
				t.Fatalf("jobs %+v", list)
			}
			for _, j := range list {
				if j.State != "completed" || j.Attempt != 1 {
					t.Fatalf("job %+v", j)
				}
			}
			// slow.md was polled at about 0, 1 s and 3 s (snoozes of 1 s, 2 s), then given up.
			if polls := e.fake.Count(fakeopenai.GetVectorStoreFile); polls < 3 || polls > 5 {
				t.Fatalf("%d status polls", polls)
			}
		})
	}
}

// waitJobs waits until every job of kind has finished (River records completions in batches, a
// moment after the work), and returns them.
func waitJobs(t *testing.T, st store.Store, kind string) []jobs.Listed {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		list, err := st.Jobs().List(ctx, kind)
		if err != nil {
			t.Fatal(err)
		}
		done := true
		for _, j := range list {
			done = done && j.Finished
		}
		if done {
			return list
		}
		if time.Now().After(deadline) {
			t.Fatalf("jobs not finished: %+v", list)
		}
	}
}

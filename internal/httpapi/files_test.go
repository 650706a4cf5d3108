package httpapi_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatbot-platform/chatbot/api/client"
	"github.com/chatbot-platform/chatbot/internal/apitest"
	"github.com/chatbot-platform/chatbot/internal/fakeopenai"
	"github.com/chatbot-platform/chatbot/internal/file"
	"github.com/chatbot-platform/chatbot/internal/jobs"
	"github.com/chatbot-platform/chatbot/internal/model"
	"github.com/chatbot-platform/chatbot/internal/store"
	"github.com/chatbot-platform/chatbot/internal/testdb"
)

// filesEnv is a platform wired to its own OpenAI fake, with one user and one project.
type filesEnv struct {
	*apitest.Server
	fake    *fakeopenai.Server
	token   string
	userID  int64
	project int64
}

// filesOptions vary a filesEnv.
type filesOptions struct {
	fake []fakeopenai.Option
	env  map[string]string
	// wrap replaces the store the platform uses (e.g. to make one call fail).
	wrap func(store.Store) store.Store
	// jobRetry is the wait before every job retry (default: each kind's backoff).
	jobRetry time.Duration
	log      io.Writer
}

// eachEngineWithFake runs fn on SQLite and PostgreSQL, each with a fresh fake (eachEngine's
// pattern: the fake's URL must be known before the server starts).
func eachEngineWithFake(t *testing.T, o filesOptions, fn func(t *testing.T, e *filesEnv)) {
	for _, eng := range testdb.Engines() {
		t.Run(eng.Name, func(t *testing.T) {
			t.Parallel()
			fn(t, startFilesEnv(t, eng.Open, o))
		})
	}
}

func startFilesEnv(t *testing.T, open func(testing.TB) store.Store, o filesOptions) *filesEnv {
	t.Helper()
	fake := fakeopenai.Start(t, o.fake...)
	env := map[string]string{"OPENAI_API_KEY": "sk-test-files", "OPENAI_BASE_URL": fake.URL()}
	for k, v := range o.env {
		env[k] = v
	}
	if open == nil {
		open = testdb.SQLite
	}
	if o.wrap != nil {
		inner := open
		open = func(t testing.TB) store.Store { return o.wrap(inner(t)) }
	}
	s := apitest.Start(t, apitest.Options{Store: open, Env: env, JobRetryDelay: o.jobRetry, Log: o.log})
	e := &filesEnv{Server: s, fake: fake}
	var email string
	email, e.token = s.NewUser(t)
	u, err := s.Store.GetUserByEmail(ctx, email)
	if err != nil {
		t.Fatal(err)
	}
	e.userID = u.ID
	e.project = e.newProject(t, e.token)
	return e
}

func (e *filesEnv) newProject(t *testing.T, token string) int64 {
	t.Helper()
	p, err := e.Client.CreateProjectWithResponse(ctx, client.ProjectCreate{Name: "Docs bot"}, apitest.Bearer(token))
	if err != nil || p.JSON201 == nil {
		t.Fatalf("create project: %v", err)
	}
	return p.JSON201.Id
}

// part is one part of a multipart body; disposition overrides the Content-Disposition header.
type part struct {
	field, filename, disposition, contentType string
	content                                   []byte
}

func multipartBody(t *testing.T, parts ...part) (string, *bytes.Buffer) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, p := range parts {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", p.disposition)
		if p.disposition == "" {
			h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename=%q`, p.field, p.filename))
		}
		if p.contentType != "" {
			h.Set("Content-Type", p.contentType)
		}
		w, err := mw.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(p.content)
	}
	mw.Close()
	return mw.FormDataContentType(), &buf
}

// upload sends one file through the generated client.
func (e *filesEnv) upload(t *testing.T, token string, projectID int64, filename string, content []byte) *client.UploadFileResponse {
	t.Helper()
	ct, body := multipartBody(t, part{field: "file", filename: filename, content: content})
	return e.uploadBody(t, token, projectID, ct, body)
}

func (e *filesEnv) uploadBody(t *testing.T, token string, projectID int64, ct string, body io.Reader) *client.UploadFileResponse {
	t.Helper()
	r, err := e.Client.UploadFileWithBodyWithResponse(ctx, projectID, ct, body, apitest.Bearer(token))
	if err != nil {
		t.Fatalf("upload: %v", err)
	}
	return r
}

func (e *filesEnv) mustUpload(t *testing.T, filename string, content []byte) client.ProjectFile {
	t.Helper()
	r := e.upload(t, e.token, e.project, filename, content)
	if r.JSON201 == nil {
		t.Fatalf("upload %q: %d %s", filename, r.StatusCode(), r.Body)
	}
	return *r.JSON201
}

func (e *filesEnv) list(t *testing.T) []client.ProjectFile {
	t.Helper()
	r, err := e.Client.ListFilesWithResponse(ctx, e.project, nil, apitest.Bearer(e.token))
	if err != nil || r.JSON200 == nil {
		t.Fatalf("list: %v %s", err, r.Body)
	}
	return *r.JSON200
}

// stored is the project's files as the database has them.
func (e *filesEnv) stored(t *testing.T) []model.File {
	t.Helper()
	fs, err := e.Store.ListFiles(ctx, e.userID, e.project)
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

func (e *filesEnv) vectorStoreID(t *testing.T) string {
	t.Helper()
	p, err := e.Store.GetProject(ctx, e.userID, e.project)
	if err != nil {
		t.Fatal(err)
	}
	return p.VectorStoreID
}

// deleteAtFake deletes an object at the fake directly, as if someone did at OpenAI.
func (e *filesEnv) deleteAtFake(t *testing.T, path string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodDelete, e.fake.URL()+path, nil)
	req.Header.Set("Authorization", "Bearer sk-test-files")
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("delete %s at the fake: %v %v", path, err, res)
	}
	res.Body.Close()
}

// waitIndexed waits until the background jobs have stored a final status for every file of the
// project, and returns the stored files.
func (e *filesEnv) waitIndexed(t *testing.T) []model.File {
	t.Helper()
	var files []model.File
	eventually(t, 15*time.Second, "files still indexing", func() bool {
		files = e.stored(t)
		for _, f := range files {
			if f.Status == model.FileInProgress {
				return false
			}
		}
		return true
	})
	return files
}

// waitJobs waits until every job of kind has finished (River records a job's end a moment after
// its work) and returns them.
func waitJobs(t *testing.T, st store.Store, kind string) []jobs.Listed {
	t.Helper()
	var list []jobs.Listed
	eventually(t, 15*time.Second, kind+" jobs still running", func() bool {
		var err error
		if list, err = st.Jobs().List(ctx, kind); err != nil {
			t.Fatal(err)
		}
		for _, j := range list {
			if !j.Finished {
				return false
			}
		}
		return true
	})
	return list
}

// eventually waits up to d for cond, failing with what otherwise.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(d); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", d, what)
		}
	}
}

// noUpstreamFiles fails when the fake holds any file or any attached file.
func (e *filesEnv) noUpstreamFiles(t *testing.T) {
	t.Helper()
	if fs := e.fake.Files(); len(fs) != 0 {
		t.Fatalf("files left at OpenAI: %+v", fs)
	}
	for id, files := range e.fake.VectorStores() {
		if len(files) != 0 {
			t.Fatalf("vector store %s still holds %v", id, files)
		}
	}
}

func wantDetail(t *testing.T, body []byte, contains string) {
	t.Helper()
	var e struct{ Detail string }
	if err := json.Unmarshal(body, &e); err != nil || !strings.Contains(e.Detail, contains) {
		t.Fatalf("detail %q does not contain %q (body %s)", e.Detail, contains, body)
	}
}

func TestFiles_FlowThroughTheGeneratedClient(t *testing.T) {
	eachEngineWithFake(t, filesOptions{}, func(t *testing.T, e *filesEnv) {
		doc := []byte("# Refund policy\n\nRefunds within 30 days.\r\n\x00binary-ish tail \xff\xfe")
		up := e.upload(t, e.token, e.project, "Refund policy.md", doc)
		if up.StatusCode() != http.StatusCreated || up.JSON201 == nil {
			t.Fatalf("upload: %d %s", up.StatusCode(), up.Body)
		}
		f := *up.JSON201
		if f.Filename != "Refund policy.md" || f.FileSize != int64(len(doc)) || f.ProjectId != e.project ||
			f.Status != "in_progress" || f.StatusDetail != nil || !strings.HasPrefix(f.OpenaiFileId, "file-") || f.CreatedAt.IsZero() {
			t.Fatalf("uploaded file %+v", f)
		}
		// Exactly these bytes and this name reached OpenAI, for file_search.
		got, ok := e.fake.File(f.OpenaiFileId)
		if !ok || got.Filename != "Refund policy.md" || got.Purpose != "assistants" || !bytes.Equal(got.Content, doc) {
			t.Fatalf("OpenAI received %q %q %q", got.Filename, got.Purpose, got.Content)
		}
		vs := e.vectorStoreID(t)
		if stores := e.fake.VectorStores(); vs == "" || len(stores) != 1 || len(stores[vs]) != 1 || stores[vs][0] != f.OpenaiFileId {
			t.Fatalf("project vector store %q; at OpenAI %v", vs, stores)
		}
		if req := e.fake.RequestsTo(fakeopenai.CreateVectorStore)[0]; !strings.Contains(string(req.Body), fmt.Sprintf(`"project-%d"`, e.project)) {
			t.Fatalf("vector store created with %s", req.Body)
		}

		second := e.mustUpload(t, "faq.txt", []byte("Q: hours? A: 9-5"))
		// A background job per file asks OpenAI until indexing is over and stores the status; the
		// list shows what is stored.
		e.waitIndexed(t)
		list := e.list(t)
		if len(list) != 2 || list[0].Id != f.Id || list[1].Id != second.Id || list[0].Status != "completed" || list[1].Status != "completed" {
			t.Fatalf("list %+v", list)
		}
		if st := e.stored(t); st[0].Status != model.FileCompleted || st[1].Status != model.FileCompleted {
			t.Fatalf("stored statuses %+v", st)
		}
		calls := e.fake.Count(fakeopenai.GetVectorStoreFile)
		e.list(t)
		if e.fake.Count(fakeopenai.GetVectorStoreFile) != calls {
			t.Fatal("completed files were refreshed again")
		}

		del, err := e.Client.DeleteFileWithResponse(ctx, f.Id, nil, apitest.Bearer(e.token))
		if err != nil || del.StatusCode() != http.StatusNoContent {
			t.Fatalf("delete: %v %d %s", err, del.StatusCode(), del.Body)
		}
		if _, ok := e.fake.File(f.OpenaiFileId); ok {
			t.Fatal("the deleted file is still at OpenAI")
		}
		if files := e.fake.VectorStores()[vs]; len(files) != 1 || files[0] != second.OpenaiFileId {
			t.Fatalf("vector store after delete: %v", files)
		}
		if e.fake.Count(fakeopenai.DetachFile) != 1 {
			t.Fatal("the file was not detached from the vector store")
		}
		if list := e.list(t); len(list) != 1 || list[0].Id != second.Id {
			t.Fatalf("list after delete %+v", list)
		}
		again, _ := e.Client.DeleteFileWithResponse(ctx, f.Id, nil, apitest.Bearer(e.token))
		if again.JSON404 == nil || again.JSON404.Detail != "file not found" {
			t.Fatalf("second delete: %d %s", again.StatusCode(), again.Body)
		}
	})
}

func TestUpload_Limits(t *testing.T) {
	eachEngineWithFake(t, filesOptions{env: map[string]string{"MAX_UPLOAD_MB": "1"}}, func(t *testing.T, e *filesEnv) {
		path := fmt.Sprintf("/projects/%d/files", e.project)
		tests := []struct {
			name     string
			parts    []part
			status   int
			detail   string
			upstream bool // the upload had begun when the limit was found
		}{
			{"over the limit by one byte", []part{{field: "file", filename: "big.txt", content: bytes.Repeat([]byte("a"), 1<<20+1)}},
				413, "larger than the upload limit of 1 MiB", true},
			{"far over the limit", []part{{field: "file", filename: "big.txt", content: bytes.Repeat([]byte("a"), 5<<20)}},
				413, "larger than the upload limit of 1 MiB", true},
			{"request over the limit before the file", []part{
				{field: "junk", content: bytes.Repeat([]byte("j"), 3<<20)},
				{field: "file", filename: "small.txt", content: []byte("hi")}},
				413, "larger than the upload limit of 1 MiB", false},
			{"empty file", []part{{field: "file", filename: "empty.txt"}}, 400, "file: must not be empty", false},
			{"no file part", []part{{field: "other", filename: "a.txt", content: []byte("x")}}, 400, "file: is required", false},
			{"no parts", nil, 400, "file: is required", false},
			{"a field named file that is not a file", []part{{disposition: `form-data; name="file"`, content: []byte("just a value")}},
				400, "file: must be a file part", false},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				settle(e.fake) // the previous case's aborted upload may still reach the fake
				e.fake.ResetRequests()
				ct, body := multipartBody(t, tt.parts...)
				r := e.Do(t, "POST", path, e.token, body.String(), "Content-Type", ct)
				wantStatus(t, r, tt.status, tt.detail)
				// An upload that had begun was cut off (the fake may not even have seen its start).
				if n := e.fake.Count(fakeopenai.CreateFile); n > 1 || n > 0 && !tt.upstream {
					t.Fatalf("%d uploads began upstream", n)
				}
				e.noUpstreamFiles(t)
				if st := e.stored(t); len(st) != 0 {
					t.Fatalf("stored %+v", st)
				}
			})
		}
		t.Run("multipart without a boundary", func(t *testing.T) {
			_, body := multipartBody(t, part{field: "file", filename: "a.txt", content: []byte("hi")})
			r := e.Do(t, "POST", path, e.token, body.String(), "Content-Type", "multipart/form-data")
			wantStatus(t, r, 400, "boundary")
			e.noUpstreamFiles(t)
		})
		t.Run("not multipart", func(t *testing.T) {
			r := e.Do(t, "POST", path, e.token, `{"file":"x"}`)
			if r.StatusCode < 400 || r.StatusCode >= 500 {
				t.Fatalf("JSON body: %d %s", r.StatusCode, r.Body)
			}
		})
		t.Run("exactly the limit", func(t *testing.T) {
			content := bytes.Repeat([]byte("a"), 1<<20)
			f := e.mustUpload(t, "max.txt", content)
			if got, _ := e.fake.File(f.OpenaiFileId); got.Bytes != 1<<20 || f.FileSize != 1<<20 {
				t.Fatalf("stored %d bytes, OpenAI got %d", f.FileSize, got.Bytes)
			}
		})
	})
}

func TestUpload_FilenamesAreCleaned(t *testing.T) {
	e := startFilesEnv(t, nil, filesOptions{})
	long := strings.Repeat("é", 200) + ".pdf" // 404 bytes
	tests := []struct {
		name, disposition, want string
	}{
		{"windows path", `form-data; name="file"; filename="C:\\Users\\bob\\report.txt"`, "report.txt"},
		{"unix path", `form-data; name="file"; filename="../../etc/notes.md"`, "notes.md"},
		{"mixed path", `form-data; name="file"; filename="a/b\\c/d.txt"`, "d.txt"},
		{"control and bidi characters", `form-data; name="file"; filename*=UTF-8''in%07voice%1B%E2%80%AEtxt.exe%00.txt`, "invoicetxt.exe.txt"},
		{"spaces trimmed", `form-data; name="file"; filename="  notes.txt  "`, "notes.txt"},
		{"only a path", `form-data; name="file"; filename="dir/"`, "upload.txt"},
		{"dots", `form-data; name="file"; filename=".."`, "upload.txt"},
		{"long", `form-data; name="file"; filename="` + long + `"`, strings.Repeat("é", 125) + ".pdf"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ct, body := multipartBody(t, part{disposition: tt.disposition, content: []byte("plain text content")})
			r := e.uploadBody(t, e.token, e.project, ct, body)
			if r.JSON201 == nil {
				t.Fatalf("%d %s", r.StatusCode(), r.Body)
			}
			got, _ := e.fake.File(r.JSON201.OpenaiFileId)
			if r.JSON201.Filename != tt.want || got.Filename != tt.want {
				t.Fatalf("stored %q, sent upstream %q; want %q", r.JSON201.Filename, got.Filename, tt.want)
			}
		})
	}
}

func TestUpload_ContentTypeFromNameAndContent(t *testing.T) {
	e := startFilesEnv(t, nil, filesOptions{})
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
	tests := []struct {
		filename, clientType string
		content              []byte
		wantType, wantStatus string
	}{
		{"paper.pdf", "text/plain", []byte("%PDF-1.7\n..."), "application/pdf", "in_progress"},
		{"notes.md", "application/pdf", []byte("# Title"), "text/markdown", "in_progress"},
		{"main.go", "", []byte("package main"), "text/x-golang", "in_progress"},
		{"README", "application/pdf", []byte("just text"), "text/plain", "unsupported"},
		{"image.txt", "text/plain", png, "image/png", "in_progress"},      // a name promising text over binary content
		{"photo.PNG", "application/pdf", png, "image/png", "unsupported"}, // the extension's case does not matter
		{"table.csv", "", []byte("a,b\n1,2"), "text/csv", "unsupported"},
	}
	for _, tt := range tests {
		t.Run(tt.filename, func(t *testing.T) {
			ct, body := multipartBody(t, part{field: "file", filename: tt.filename, contentType: tt.clientType, content: tt.content})
			r := e.uploadBody(t, e.token, e.project, ct, body)
			if r.JSON201 == nil || r.JSON201.ContentType != tt.wantType || string(r.JSON201.Status) != tt.wantStatus {
				t.Fatalf("%d %s; want %s %s", r.StatusCode(), r.Body, tt.wantType, tt.wantStatus)
			}
		})
	}
}

func TestUpload_UnsupportedFormatIsKeptButNotIndexed(t *testing.T) {
	eachEngineWithFake(t, filesOptions{}, func(t *testing.T, e *filesEnv) {
		f := e.mustUpload(t, "data.csv", []byte("a,b\n1,2\n"))
		if f.Status != "unsupported" || f.StatusDetail == nil || !strings.Contains(*f.StatusDetail, ".pdf") ||
			!strings.Contains(*f.StatusDetail, ".docx") || !strings.Contains(*f.StatusDetail, ".md") {
			t.Fatalf("file %+v", f)
		}
		if _, ok := e.fake.File(f.OpenaiFileId); !ok {
			t.Fatal("an unsupported file is still stored at OpenAI")
		}
		if n := e.fake.Count(fakeopenai.CreateVectorStore); n != 0 || e.vectorStoreID(t) != "" {
			t.Fatalf("a vector store was made for an unsupported file (%d calls)", n)
		}
		if list := e.list(t); len(list) != 1 || list[0].Status != "unsupported" {
			t.Fatalf("list %+v", list)
		}
		if e.fake.Count(fakeopenai.GetVectorStoreFile) != 0 {
			t.Fatal("an unsupported file's status was asked upstream")
		}
		del, _ := e.Client.DeleteFileWithResponse(ctx, f.Id, nil, apitest.Bearer(e.token))
		if del.StatusCode() != 204 || e.fake.Count(fakeopenai.DetachFile) != 0 {
			t.Fatalf("delete: %d, %d detach calls", del.StatusCode(), e.fake.Count(fakeopenai.DetachFile))
		}
		e.noUpstreamFiles(t)
	})
}

func TestUpload_UpstreamFailuresLeaveNoOrphans(t *testing.T) {
	eachEngineWithFake(t, filesOptions{}, func(t *testing.T, e *filesEnv) {
		doc := []byte("policy text")
		t.Run("upload fails", func(t *testing.T) {
			for _, tc := range []struct {
				fault  fakeopenai.Fault
				status int
				detail string
			}{
				{fakeopenai.ServerError(), 502, "OpenAI failed to answer (HTTP 500)"},
				{fakeopenai.HTMLError(503), 502, "OpenAI failed to answer (HTTP 503)"},
				{fakeopenai.InvalidAPIKey(), 502, "API key was rejected"},
				{fakeopenai.RateLimit(7 * time.Second), 503, "try again in 7 seconds"},
				{fakeopenai.DropConnection(), 502, "Could not reach OpenAI"},
			} {
				e.fake.Fail(fakeopenai.CreateFile, 1, tc.fault)
				r := e.upload(t, e.token, e.project, "policy.txt", doc)
				if r.StatusCode() != tc.status {
					t.Fatalf("%+v: %d %s", tc.fault.Status, r.StatusCode(), r.Body)
				}
				wantDetail(t, r.Body, tc.detail)
				if len(e.stored(t)) != 0 || len(e.fake.Files()) != 0 {
					t.Fatalf("after %d: stored %v, at OpenAI %v", tc.status, e.stored(t), e.fake.Files())
				}
			}
			if e.fake.Count(fakeopenai.CreateVectorStore) != 0 {
				t.Fatal("a failed upload made a vector store")
			}
		})

		t.Run("vector store creation fails", func(t *testing.T) {
			e.fake.Fail(fakeopenai.CreateVectorStore, 1, fakeopenai.ServerError())
			f := e.mustUpload(t, "policy.txt", doc)
			// The file is at OpenAI and recorded, marked failed with the reason: no row points at nothing.
			if f.Status != "failed" || f.StatusDetail == nil || !strings.Contains(*f.StatusDetail, "search index") ||
				!strings.Contains(*f.StatusDetail, "HTTP 500") {
				t.Fatalf("file %+v", f)
			}
			if _, ok := e.fake.File(f.OpenaiFileId); !ok || e.vectorStoreID(t) != "" || len(e.fake.VectorStores()) != 0 {
				t.Fatalf("upstream %v, vector stores %v", e.fake.Files(), e.fake.VectorStores())
			}
			if list := e.list(t); len(list) != 1 || list[0].Status != "failed" {
				t.Fatalf("list %+v", list)
			}
			del, _ := e.Client.DeleteFileWithResponse(ctx, f.Id, nil, apitest.Bearer(e.token))
			if del.StatusCode() != 204 {
				t.Fatalf("delete: %d %s", del.StatusCode(), del.Body)
			}
			e.noUpstreamFiles(t)
		})

		t.Run("attach fails", func(t *testing.T) {
			e.fake.Fail(fakeopenai.AttachFile, 1, fakeopenai.APIError(400, "invalid_request_error", "", "bad"))
			f := e.mustUpload(t, "policy.txt", doc)
			if f.Status != "failed" || !strings.Contains(*f.StatusDetail, "HTTP 400") {
				t.Fatalf("file %+v", f)
			}
			vs := e.vectorStoreID(t)
			if stores := e.fake.VectorStores(); vs == "" || len(stores) != 1 || len(stores[vs]) != 0 {
				t.Fatalf("vector stores %v (project has %q)", stores, vs)
			}
			// The next upload reuses the store and is attached.
			next := e.mustUpload(t, "other.txt", doc)
			if next.Status != "in_progress" || len(e.fake.VectorStores()[vs]) != 1 || e.fake.Count(fakeopenai.CreateVectorStore) != 2 {
				t.Fatalf("next upload %+v, stores %v", next, e.fake.VectorStores())
			}
			for _, id := range []int64{f.Id, next.Id} {
				if del, _ := e.Client.DeleteFileWithResponse(ctx, id, nil, apitest.Bearer(e.token)); del.StatusCode() != 204 {
					t.Fatalf("delete: %d %s", del.StatusCode(), del.Body)
				}
			}
			e.noUpstreamFiles(t)
		})
	})
}

func TestUpload_OpenAINotConfiguredOrTooSlow(t *testing.T) {
	t.Run("not configured", func(t *testing.T) {
		e := startFilesEnv(t, nil, filesOptions{env: map[string]string{"OPENAI_API_KEY": ""}})
		r := e.upload(t, e.token, e.project, "a.txt", []byte("x"))
		if r.StatusCode() != 503 {
			t.Fatalf("%d %s", r.StatusCode(), r.Body)
		}
		wantDetail(t, r.Body, "not configured")
		if len(e.fake.Requests()) != 0 || len(e.stored(t)) != 0 {
			t.Fatal("something was sent or stored")
		}
	})
	t.Run("timeout", func(t *testing.T) {
		e := startFilesEnv(t, nil, filesOptions{env: map[string]string{"OPENAI_TIMEOUT": "300ms"}})
		e.fake.Fail(fakeopenai.CreateFile, 1, fakeopenai.Slow(3*time.Second))
		r := e.upload(t, e.token, e.project, "a.txt", []byte("x"))
		if r.StatusCode() != 504 {
			t.Fatalf("%d %s", r.StatusCode(), r.Body)
		}
		wantDetail(t, r.Body, "did not answer in time")
		if len(e.fake.Files()) != 0 || len(e.stored(t)) != 0 {
			t.Fatal("something was left behind")
		}
	})
}

// failingStore fails chosen writes, to test what happens after the upload to OpenAI succeeded.
type failingStore struct {
	store.Store
	mu                    sync.Mutex
	failCreate, failSetVS bool
}

var errDiskFull = errors.New("disk full")

// InTx keeps the faults inside transactions (the file is recorded in one, with its count).
func (f *failingStore) InTx(c context.Context, fn func(store.Store) error) error {
	return f.Store.InTx(c, func(tx store.Store) error {
		f.mu.Lock()
		in := &failingStore{Store: tx, failCreate: f.failCreate, failSetVS: f.failSetVS}
		f.mu.Unlock()
		return fn(in)
	})
}

func (f *failingStore) CreateFile(c context.Context, ownerID int64, file model.File) (model.File, error) {
	f.mu.Lock()
	fail := f.failCreate
	f.mu.Unlock()
	if fail {
		return model.File{}, errDiskFull
	}
	return f.Store.CreateFile(c, ownerID, file)
}

func (f *failingStore) ClaimProjectVectorStore(c context.Context, ownerID, id int64, vs string) (bool, error) {
	f.mu.Lock()
	fail := f.failSetVS
	f.mu.Unlock()
	if fail {
		return false, errDiskFull
	}
	return f.Store.ClaimProjectVectorStore(c, ownerID, id, vs)
}

func (f *failingStore) set(create, setVS bool) {
	f.mu.Lock()
	f.failCreate, f.failSetVS = create, setVS
	f.mu.Unlock()
}

func TestUpload_StoreFailuresUndoTheUpload(t *testing.T) {
	for _, eng := range testdb.Engines() {
		t.Run(eng.Name, func(t *testing.T) {
			t.Parallel()
			var wrapped *failingStore
			e := startFilesEnv(t, eng.Open, filesOptions{wrap: func(s store.Store) store.Store {
				wrapped = &failingStore{Store: s}
				return wrapped
			}})

			wrapped.set(true, false)
			r := e.upload(t, e.token, e.project, "policy.txt", []byte("text"))
			if r.StatusCode() != 500 {
				t.Fatalf("upload with the database failing: %d %s", r.StatusCode(), r.Body)
			}
			wantDetail(t, r.Body, "internal error")
			if e.fake.Count(fakeopenai.CreateFile) != 1 || e.fake.Count(fakeopenai.DeleteFile) != 1 {
				t.Fatalf("upload then delete expected; got %d uploads, %d deletes", e.fake.Count(fakeopenai.CreateFile), e.fake.Count(fakeopenai.DeleteFile))
			}
			e.noUpstreamFiles(t)
			wrapped.set(false, false)
			if len(e.stored(t)) != 0 {
				t.Fatal("a row was stored")
			}

			// The vector store id cannot be stored: the new store is deleted again, the file kept as failed.
			e.project = e.newProject(t, e.token)
			wrapped.set(false, true)
			e.fake.ResetRequests()
			stores := len(e.fake.VectorStores())
			f := e.mustUpload(t, "policy.txt", []byte("text"))
			if f.Status != "failed" || !strings.Contains(*f.StatusDetail, "internal error") {
				t.Fatalf("file %+v", f)
			}
			if len(e.fake.VectorStores()) != stores || e.fake.Count(fakeopenai.CreateVectorStore) != 1 ||
				e.fake.Count(fakeopenai.DeleteVectorStore) != 1 || e.vectorStoreID(t) != "" {
				t.Fatalf("vector stores left: %v", e.fake.VectorStores())
			}
			wrapped.set(false, false)
		})
	}
}

func TestUpload_ConcurrentFirstUploadsShareOneVectorStore(t *testing.T) {
	eachEngineWithFake(t, filesOptions{env: map[string]string{"MAX_UPLOADS_PER_USER": "6"}}, func(t *testing.T, e *filesEnv) {
		// A slow store creation widens the window in which a second one could start.
		e.fake.Fail(fakeopenai.CreateVectorStore, 1, fakeopenai.Slow(300*time.Millisecond))
		const n = 6
		var wg sync.WaitGroup
		results := make([]*client.UploadFileResponse, n)
		for i := range n {
			wg.Go(func() { results[i] = e.upload(t, e.token, e.project, fmt.Sprintf("doc%d.txt", i), []byte("text")) })
		}
		wg.Wait()
		for _, r := range results {
			if r.JSON201 == nil || r.JSON201.Status != "in_progress" {
				t.Fatalf("upload: %d %s", r.StatusCode(), r.Body)
			}
		}
		stores := e.fake.VectorStores()
		if len(stores) != 1 || len(stores[e.vectorStoreID(t)]) != n {
			t.Fatalf("vector stores %v, project has %q", stores, e.vectorStoreID(t))
		}
	})
}

// TestIndexJob_StoresFinalStatuses: the jobs store completed and failed statuses, with OpenAI's
// reason when it is a plain sentence, and the list shows them.
func TestIndexJob_StoresFinalStatuses(t *testing.T) {
	eachEngineWithFake(t, filesOptions{}, func(t *testing.T, e *filesEnv) {
		e.fake.FailIndexing("scan.pdf", "unsupported_file", "The file type is not supported.")
		e.fake.FailIndexing("leaky.pdf", "server_error", "Failed at https://internal.example/x for key sk-abc123")
		good := e.mustUpload(t, "good.md", []byte("# ok"))
		bad := e.mustUpload(t, "scan.pdf", []byte("%PDF-1.4 scanned image"))
		leaky := e.mustUpload(t, "leaky.pdf", []byte("%PDF-1.4"))
		for _, f := range []client.ProjectFile{good, bad, leaky} {
			if f.Status != "in_progress" {
				t.Fatalf("fresh upload %+v", f)
			}
		}
		e.waitIndexed(t)
		list := e.list(t)
		want := []struct{ status, detail string }{
			{"completed", ""},
			{"failed", "OpenAI could not index the file: The file type is not supported."},
			{"failed", "OpenAI could not index the file."},
		}
		for i, w := range want {
			detail := ""
			if list[i].StatusDetail != nil {
				detail = *list[i].StatusDetail
			}
			if string(list[i].Status) != w.status || detail != w.detail {
				t.Fatalf("file %d: %s %q; want %s %q", i, list[i].Status, detail, w.status, w.detail)
			}
		}
		st := e.stored(t)
		if st[0].Status != "completed" || st[1].Status != "failed" || st[1].StatusDetail != want[1].detail {
			t.Fatalf("stored %+v", st)
		}
	})
}

// TestList_AsksOpenAINothing: listing files, and chatting with files still being indexed, read the
// stored statuses and send nothing to OpenAI about files (the jobs do that).
func TestList_AsksOpenAINothing(t *testing.T) {
	eachEngineWithFake(t, filesOptions{fake: []fakeopenai.Option{fakeopenai.WithIndexingDelay(time.Hour)}}, func(t *testing.T, e *filesEnv) {
		e.mustUpload(t, "slow.pdf", []byte("%PDF-1.4"))
		e.mustUpload(t, "notes.md", []byte("# notes"))
		stop, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		e.App.StopJobs(stop) // no poll of theirs may overlap the counting below
		e.fake.ResetRequests()
		for range 3 {
			if list := e.list(t); len(list) != 2 || list[0].Status != "in_progress" || list[1].Status != "in_progress" {
				t.Fatalf("list %+v", list)
			}
		}
		wantStatus(t, e.Do(t, "POST", "/chat", e.token, chatBody(e.project, "anything indexed?", 0)), 200, "")
		if reqs := e.fake.Requests(); len(reqs) != 1 || reqs[0].Path != "/v1/responses" {
			t.Fatalf("upstream requests %+v", reqs)
		}
		if tools := e.fake.RequestsTo(fakeopenai.Responses)[0].Responses.Tools; len(tools) != 0 {
			t.Fatalf("file_search while nothing is indexed: %+v", tools)
		}
	})
}

// TestIndexJob_CompletesWithoutAnyList: an uploaded file becomes completed through its job alone,
// which asked OpenAI again after the first answer said in_progress.
func TestIndexJob_CompletesWithoutAnyList(t *testing.T) {
	eachEngineWithFake(t, filesOptions{fake: []fakeopenai.Option{fakeopenai.WithIndexingDelay(1500 * time.Millisecond)}}, func(t *testing.T, e *filesEnv) {
		f := e.mustUpload(t, "handbook.md", []byte("# Handbook"))
		if files := e.waitIndexed(t); len(files) != 1 || files[0].ID != f.Id || files[0].Status != model.FileCompleted {
			t.Fatalf("stored %+v", files)
		}
		if polls := e.fake.Count(fakeopenai.GetVectorStoreFile); polls < 2 {
			t.Fatalf("%d status polls: the job should have found it in progress first", polls)
		}
		list := waitJobs(t, e.Store, file.IndexStatusKind)
		if len(list) != 1 || list[0].State != "completed" || list[0].Snoozes < 1 {
			t.Fatalf("jobs %+v", list)
		}
	})
}

// TestIndexJob_FileGoneUpstreamAndOpenAIFailing: a poll OpenAI fails is retried; a file no longer
// in the project's vector store is marked failed with a hint.
func TestIndexJob_FileGoneUpstreamAndOpenAIFailing(t *testing.T) {
	eachEngineWithFake(t, filesOptions{fake: []fakeopenai.Option{fakeopenai.WithIndexingDelay(time.Hour)},
		jobRetry: 20 * time.Millisecond}, func(t *testing.T, e *filesEnv) {
		f := e.mustUpload(t, "slow.pdf", []byte("%PDF-1.4"))
		eventually(t, 5*time.Second, "no status poll", func() bool { return e.fake.Count(fakeopenai.GetVectorStoreFile) > 0 })
		e.fake.Fail(fakeopenai.GetVectorStoreFile, 1, fakeopenai.InvalidAPIKey())
		e.deleteAtFake(t, "/vector_stores/"+e.vectorStoreID(t)+"/files/"+f.OpenaiFileId)
		files := e.waitIndexed(t)
		if files[0].Status != model.FileFailed || !strings.Contains(files[0].StatusDetail, "no longer in the project's search index") {
			t.Fatalf("detached upstream: %+v", files[0])
		}
		if list := waitJobs(t, e.Store, file.IndexStatusKind); len(list) != 1 || list[0].State != "completed" || list[0].Attempt != 2 {
			t.Fatalf("jobs %+v (one failed poll, then the answer)", list)
		}
	})
}

func TestDelete_UpstreamOutcomes(t *testing.T) {
	eachEngineWithFake(t, filesOptions{}, func(t *testing.T, e *filesEnv) {
		del := func(id int64) *client.DeleteFileResponse {
			r, err := e.Client.DeleteFileWithResponse(ctx, id, nil, apitest.Bearer(e.token))
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		t.Run("already gone at OpenAI", func(t *testing.T) {
			f := e.mustUpload(t, "gone.txt", []byte("x"))
			e.deleteAtFake(t, "/files/"+f.OpenaiFileId)
			if r := del(f.Id); r.StatusCode() != 204 {
				t.Fatalf("delete: %d %s", r.StatusCode(), r.Body)
			}
			if len(e.stored(t)) != 0 {
				t.Fatal("the local record survived")
			}
		})
		t.Run("delete fails upstream", func(t *testing.T) {
			// The record goes at once; the deletion at OpenAI is left to a job, which succeeds.
			f := e.mustUpload(t, "kept.txt", []byte("x"))
			e.fake.Fail(fakeopenai.DeleteFile, 1, fakeopenai.InvalidAPIKey())
			if r := del(f.Id); r.StatusCode() != 204 {
				t.Fatalf("delete: %d %s", r.StatusCode(), r.Body)
			}
			if len(e.stored(t)) != 0 {
				t.Fatal("the local record survived")
			}
			list := waitJobs(t, e.Store, file.CleanupKind)
			if len(list) != 1 || list[0].State != "completed" || !strings.Contains(string(list[0].Args), f.OpenaiFileId) {
				t.Fatalf("cleanup jobs %+v", list)
			}
			e.noUpstreamFiles(t)
		})
		t.Run("detach fails", func(t *testing.T) {
			// Deleting the file at OpenAI drops it from the vector store too: nothing is left.
			f := e.mustUpload(t, "attached.txt", []byte("x"))
			e.fake.Fail(fakeopenai.DetachFile, 1, fakeopenai.InsufficientQuota())
			if r := del(f.Id); r.StatusCode() != 204 {
				t.Fatalf("delete: %d %s", r.StatusCode(), r.Body)
			}
			if len(e.stored(t)) != 0 {
				t.Fatal("the local record survived")
			}
			e.noUpstreamFiles(t)
		})
	})
}

func TestFiles_IsolationSendsNothingUpstream(t *testing.T) {
	eachEngineWithFake(t, filesOptions{}, func(t *testing.T, e *filesEnv) {
		alicesFile := e.mustUpload(t, "secret.txt", []byte("alice only"))
		_, bob := e.NewUser(t)
		bobsProject := e.newProject(t, bob)
		e.waitIndexed(t) // the file's job asks OpenAI; nothing else may
		waitJobs(t, e.Store, file.IndexStatusKind)
		e.fake.ResetRequests()

		r := e.upload(t, bob, e.project, "injected.txt", []byte("bob's"))
		if r.JSON404 == nil || r.JSON404.Detail != "project not found" {
			t.Fatalf("upload to alice's project: %d %s", r.StatusCode(), r.Body)
		}
		r = e.upload(t, bob, e.project+1000, "injected.txt", []byte("bob's"))
		if r.JSON404 == nil || r.JSON404.Detail != "project not found" {
			t.Fatalf("upload to a missing project: %d %s", r.StatusCode(), r.Body)
		}
		l, _ := e.Client.ListFilesWithResponse(ctx, e.project, nil, apitest.Bearer(bob))
		if l.JSON404 == nil || l.JSON404.Detail != "project not found" {
			t.Fatalf("list alice's files: %d %s", l.StatusCode(), l.Body)
		}
		d, _ := e.Client.DeleteFileWithResponse(ctx, alicesFile.Id, nil, apitest.Bearer(bob))
		if d.JSON404 == nil || d.JSON404.Detail != "file not found" {
			t.Fatalf("delete alice's file: %d %s", d.StatusCode(), d.Body)
		}
		if own, _ := e.Client.ListFilesWithResponse(ctx, bobsProject, nil, apitest.Bearer(bob)); own.JSON200 == nil || len(*own.JSON200) != 0 {
			t.Fatalf("bob's own list: %s", own.Body)
		}
		if reqs := e.fake.Requests(); len(reqs) != 0 {
			t.Fatalf("%d requests reached OpenAI, first %s %s", len(reqs), reqs[0].Method, reqs[0].Path)
		}
		if list := e.list(t); len(list) != 1 || list[0].Id != alicesFile.Id {
			t.Fatalf("alice's files changed: %+v", list)
		}
		if _, ok := e.fake.File(alicesFile.OpenaiFileId); !ok {
			t.Fatal("alice's file is gone at OpenAI")
		}
	})
}

func TestProjectDeletion_RemovesUpstreamFilesAndVectorStore(t *testing.T) {
	eachEngineWithFake(t, filesOptions{}, func(t *testing.T, e *filesEnv) {
		e.mustUpload(t, "a.md", []byte("a"))
		e.mustUpload(t, "b.txt", []byte("b"))
		e.mustUpload(t, "c.csv", []byte("c,d"))
		other := e.newProject(t, e.token)
		kept := e.upload(t, e.token, other, "kept.txt", []byte("other project"))
		if kept.JSON201 == nil {
			t.Fatalf("upload: %s", kept.Body)
		}
		keptVS, _ := e.Store.GetProject(ctx, e.userID, other)
		if len(e.fake.Files()) != 4 || len(e.fake.VectorStores()) != 2 {
			t.Fatalf("before: %d files, %d stores", len(e.fake.Files()), len(e.fake.VectorStores()))
		}

		d, err := e.Client.DeleteProjectWithResponse(ctx, e.project, apitest.Bearer(e.token))
		if err != nil || d.StatusCode() != 204 {
			t.Fatalf("delete project: %v %d", err, d.StatusCode())
		}
		files := e.fake.Files()
		stores := e.fake.VectorStores()
		if len(files) != 1 || files[0].ID != kept.JSON201.OpenaiFileId || len(stores) != 1 || stores[keptVS.VectorStoreID] == nil {
			t.Fatalf("after: files %+v, stores %v", files, stores)
		}

		// Best effort: a file OpenAI refuses to delete does not stop the project's deletion.
		e.fake.Fail(fakeopenai.DeleteFile, 1, fakeopenai.InvalidAPIKey())
		d, _ = e.Client.DeleteProjectWithResponse(ctx, other, apitest.Bearer(e.token))
		if d.StatusCode() != 204 {
			t.Fatalf("delete with OpenAI failing: %d %s", d.StatusCode(), d.Body)
		}
		if len(e.fake.VectorStores()) != 0 {
			t.Fatalf("stores left: %v", e.fake.VectorStores())
		}
	})
}

// patternReader yields n deterministic bytes without holding them.
type patternReader struct{ n, off int64 }

func (r *patternReader) Read(p []byte) (int, error) {
	if r.off >= r.n {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), r.n-r.off)]
	for i := range p {
		x := uint64(r.off + int64(i))
		p[i] = byte(x*2654435761>>13) ^ byte(x)
	}
	r.off += int64(len(p))
	return len(p), nil
}

// TestUpload_200MBStreamsInBoundedMemory uploads 200 MB through the real handler to the fake
// and samples the heap meanwhile: the whole file never sits in memory anywhere on the way (test
// client, server, fake all run in this process, so the figure bounds all three together).
func TestUpload_200MBStreamsInBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("200 MB upload skipped in -short mode")
	}
	const size = 200 << 20
	e := startFilesEnv(t, nil, filesOptions{env: map[string]string{"MAX_UPLOAD_MB": "256"}})

	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	hash := sha256.New()
	go func() {
		w, err := mw.CreateFormFile("file", "big.txt")
		if err == nil {
			_, err = io.Copy(w, io.TeeReader(&patternReader{n: size}, hash))
		}
		if err == nil {
			err = mw.Close()
		}
		pw.CloseWithError(err)
	}()

	base, peak, stop := sampleHeap()
	start := time.Now()
	r := e.uploadBody(t, e.token, e.project, mw.FormDataContentType(), pr)
	took := time.Since(start)
	maxHeap := stop()
	if r.JSON201 == nil {
		t.Fatalf("upload: %d %s", r.StatusCode(), r.Body)
	}
	got, _ := e.fake.File(r.JSON201.OpenaiFileId)
	if got.Bytes != size || r.JSON201.FileSize != size || got.SHA256 != hex.EncodeToString(hash.Sum(nil)) {
		t.Fatalf("OpenAI got %d bytes (%s), stored size %d", got.Bytes, got.SHA256, r.JSON201.FileSize)
	}
	growth := int64(maxHeap) - int64(base)
	t.Logf("200 MiB upload: %v (%.0f MiB/s); heap %0.1f MiB before, peak %0.1f MiB (growth %0.1f MiB); sampled %d times",
		took.Round(time.Millisecond), float64(size>>20)/took.Seconds(), mib(base), mib(maxHeap), float64(growth)/(1<<20), *peak)
	if growth > 32<<20 {
		t.Fatalf("heap grew by %.1f MiB during a 200 MiB upload: something buffers the file (e.g. a request "+
			"validator reading the body)", float64(growth)/(1<<20))
	}
}

func mib(n uint64) float64 { return float64(n) / (1 << 20) }

// sampleHeap reads the heap's live-object bytes every 5 ms (runtime/metrics: no stop-the-world)
// until stop is called, which returns the highest value seen. base is measured after a GC.
func sampleHeap() (base uint64, samples *int, stop func() uint64) {
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 {
		metrics.Read(sample)
		return sample[0].Value.Uint64()
	}
	base = read()
	var n int
	var peak uint64
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			peak = max(peak, read())
			n++
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	return base, &n, func() uint64 {
		close(done)
		<-finished
		return peak
	}
}

// settle waits until the fake has seen no new request for 100 ms.
func settle(fake *fakeopenai.Server) {
	for n := -1; n != len(fake.Requests()); {
		n = len(fake.Requests())
		time.Sleep(100 * time.Millisecond)
	}
}

// TestUpload_TwoInstancesShareOneVectorStore: two servers on one database (as when scaled out) take a
// project's first uploads at once; the in-process lock cannot see the other instance, the database
// claim must, so one vector store is kept and the loser's is deleted upstream.
func TestUpload_TwoInstancesShareOneVectorStore(t *testing.T) {
	eachEngineWithFake(t, filesOptions{}, func(t *testing.T, e *filesEnv) {
		other := apitest.Start(t, apitest.Options{
			Store: func(testing.TB) store.Store { return e.Store },
			Env:   map[string]string{"OPENAI_API_KEY": "sk-test-files", "OPENAI_BASE_URL": e.fake.URL()},
		})
		// Both creations are slow, so both instances are creating a store at the same time.
		e.fake.Fail(fakeopenai.CreateVectorStore, 2, fakeopenai.Slow(300*time.Millisecond))
		var wg sync.WaitGroup
		results := make([]*client.UploadFileResponse, 2)
		for i, srv := range []*apitest.Server{e.Server, other} {
			wg.Go(func() {
				ct, body := multipartBody(t, part{field: "file", filename: fmt.Sprintf("doc%d.txt", i), content: []byte("text")})
				r, err := srv.Client.UploadFileWithBodyWithResponse(ctx, e.project, ct, body, apitest.Bearer(e.token))
				if err != nil {
					t.Error(err)
				}
				results[i] = r
			})
		}
		wg.Wait()
		for _, r := range results {
			if r == nil || r.JSON201 == nil {
				t.Fatalf("upload failed: %+v", r)
			}
		}
		if n := e.fake.Count(fakeopenai.CreateVectorStore); n != 2 {
			t.Fatalf("%d vector stores created, want 2 (one per instance)", n)
		}
		stores := e.fake.VectorStores()
		if len(stores) != 1 || len(stores[e.vectorStoreID(t)]) != 2 {
			t.Fatalf("vector stores at OpenAI %v, project has %q: want one store holding both files", stores, e.vectorStoreID(t))
		}
	})
}

// TestProjectDeletion_DuringAnUploadLeavesNothingUpstream: an upload that finishes while the project's
// deletion is cleaning up at OpenAI (here: a slow vector store deletion) ends up deleted there too,
// and so does one that is still being sent when the project is gone.
func TestProjectDeletion_DuringAnUploadLeavesNothingUpstream(t *testing.T) {
	eachEngineWithFake(t, filesOptions{}, func(t *testing.T, e *filesEnv) {
		if r := e.upload(t, e.token, e.project, "first.txt", []byte("indexed first")); r.StatusCode() != 201 {
			t.Fatalf("first upload: %d %s", r.StatusCode(), r.Body)
		}
		e.fake.Fail(fakeopenai.DeleteVectorStore, 1, fakeopenai.Slow(700*time.Millisecond))
		deleted := make(chan int, 1)
		go func() {
			d, err := e.Client.DeleteProjectWithResponse(ctx, e.project, apitest.Bearer(e.token))
			if err != nil {
				t.Error(err)
			}
			deleted <- d.StatusCode()
		}()
		for e.fake.Count(fakeopenai.DeleteVectorStore) == 0 { // the cleanup is under way
			time.Sleep(5 * time.Millisecond)
		}
		late := e.upload(t, e.token, e.project, "late.txt", []byte("finished during the cleanup"))
		if got := <-deleted; got != 204 {
			t.Fatalf("delete: %d", got)
		}
		t.Logf("upload during the cleanup: %d", late.StatusCode())
		// What was recorded while the cleanup ran goes by the job the deletion enqueued.
		waitJobs(t, e.Store, file.CleanupKind)
		if files := e.fake.Files(); len(files) != 0 {
			t.Errorf("files left at OpenAI: %+v", files)
		}
		if stores := e.fake.VectorStores(); len(stores) != 0 {
			t.Errorf("vector stores left at OpenAI: %+v", stores)
		}
		if r := e.upload(t, e.token, e.project, "after.txt", []byte("too late")); r.StatusCode() != 404 {
			t.Errorf("upload after the deletion: %d", r.StatusCode())
		}
	})
}

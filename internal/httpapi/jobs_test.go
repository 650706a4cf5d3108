package httpapi_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chatbot-platform/chatbot/internal/apitest"
	"github.com/chatbot-platform/chatbot/internal/fakeopenai"
	"github.com/chatbot-platform/chatbot/internal/file"
	"github.com/chatbot-platform/chatbot/internal/model"
	"github.com/chatbot-platform/chatbot/internal/store"
	"github.com/chatbot-platform/chatbot/internal/store/postgres"
	"github.com/chatbot-platform/chatbot/internal/store/sqlite"
	"github.com/chatbot-platform/chatbot/internal/testdb"
)

// sharedDatabase is one database that several servers open, each with its own store (its own
// connections and job queue), as separate processes would: open returns a new store each call.
func sharedDatabase(t *testing.T, engine string) (open func(testing.TB) store.Store) {
	t.Helper()
	if engine == "sqlite" {
		path := testdb.SQLitePath(t)
		return func(t testing.TB) store.Store {
			s, err := sqlite.Open(context.Background(), path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(s.Close)
			return s
		}
	}
	url := testdb.PostgresURL(t)
	return func(t testing.TB) store.Store {
		s, err := postgres.Open(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(s.Close)
		return s
	}
}

// TestIndexJob_SurvivesRestart: a server stops while a file's job is waiting for OpenAI's answer
// (its poll is cancelled); another server started on the same database finishes the job.
func TestIndexJob_SurvivesRestart(t *testing.T) {
	for _, eng := range testdb.Engines() {
		t.Run(eng.Name, func(t *testing.T) {
			t.Parallel()
			open := sharedDatabase(t, eng.Name)
			e := startFilesEnv(t, open, filesOptions{fake: []fakeopenai.Option{fakeopenai.WithIndexingDelay(time.Second)}})
			e.fake.Fail(fakeopenai.GetVectorStoreFile, 1, fakeopenai.Slow(5*time.Second)) // the first poll hangs
			f := e.mustUpload(t, "handbook.md", []byte("# Handbook"))
			eventually(t, 5*time.Second, "the job did not poll", func() bool { return e.fake.Count(fakeopenai.GetVectorStoreFile) > 0 })
			stop, cancel := context.WithTimeout(ctx, 200*time.Millisecond) // shorter than the hanging poll
			e.App.StopJobs(stop)
			cancel()
			if st := e.stored(t); st[0].Status != model.FileInProgress {
				t.Fatalf("stored before the restart: %+v", st[0])
			}
			polls := e.fake.Count(fakeopenai.GetVectorStoreFile)

			second := apitest.Start(t, apitest.Options{Store: open,
				Env: map[string]string{"OPENAI_API_KEY": "sk-test-files", "OPENAI_BASE_URL": e.fake.URL()}})
			var stored []model.File
			eventually(t, 15*time.Second, "the second server did not finish the job", func() bool {
				var err error
				stored, err = second.Store.ListFiles(ctx, e.userID, e.project)
				return err == nil && len(stored) == 1 && stored[0].Status != model.FileInProgress
			})
			if stored[0].ID != f.Id || stored[0].Status != model.FileCompleted || e.fake.Count(fakeopenai.GetVectorStoreFile) <= polls {
				t.Fatalf("stored %+v after %d polls", stored[0], e.fake.Count(fakeopenai.GetVectorStoreFile))
			}
			if list := waitJobs(t, second.Store, file.IndexStatusKind); len(list) != 1 || list[0].State != "completed" {
				t.Fatalf("jobs %+v", list)
			}
		})
	}
}

// TestJobs_TwoInstancesRunEachJobOnce: two servers on one database (scaled out), each working jobs;
// every upload's job runs exactly once: the fake indexes at once, so each job polls once, and a job
// run twice would poll twice.
func TestJobs_TwoInstancesRunEachJobOnce(t *testing.T) {
	for _, eng := range testdb.Engines() {
		t.Run(eng.Name, func(t *testing.T) {
			t.Parallel()
			open := sharedDatabase(t, eng.Name)
			e := startFilesEnv(t, open, filesOptions{})
			other := apitest.Start(t, apitest.Options{Store: open,
				Env: map[string]string{"OPENAI_API_KEY": "sk-test-files", "OPENAI_BASE_URL": e.fake.URL()}})
			const n = 12
			for i := range n {
				srv := []*apitest.Server{e.Server, other}[i%2]
				ct, body := multipartBody(t, part{field: "file", filename: fmt.Sprintf("doc%d.txt", i), content: []byte("text")})
				if r, err := srv.Client.UploadFileWithBodyWithResponse(ctx, e.project, ct, body, apitest.Bearer(e.token)); err != nil || r.JSON201 == nil {
					t.Fatalf("upload %d: %v", i, err)
				}
			}
			for _, f := range e.waitIndexed(t) {
				if f.Status != model.FileCompleted {
					t.Fatalf("file %+v", f)
				}
			}
			list := waitJobs(t, e.Store, file.IndexStatusKind)
			if len(list) != n {
				t.Fatalf("%d jobs, want %d", len(list), n)
			}
			for _, j := range list {
				if j.State != "completed" || j.Attempt != 1 {
					t.Fatalf("job %+v", j)
				}
			}
			if polls := e.fake.Count(fakeopenai.GetVectorStoreFile); polls != n {
				t.Fatalf("%d status polls for %d jobs: a job ran more than once", polls, n)
			}
		})
	}
}

// TestCleanupJob_RetriesThenAbandons: OpenAI failing a file's deletion (500s) leaves it to a
// cleanup job that retries until it succeeds; a project whose file and vector store OpenAI never
// deletes is given up after the last attempt with an ERROR line naming what is left there, and
// shows as discarded among the failed jobs.
func TestCleanupJob_RetriesThenAbandons(t *testing.T) {
	for _, eng := range testdb.Engines() {
		t.Run(eng.Name, func(t *testing.T) {
			t.Parallel()
			logs := &syncBuffer{}
			e := startFilesEnv(t, eng.Open, filesOptions{jobRetry: 20 * time.Millisecond, log: logs,
				env: map[string]string{"OPENAI_MAX_RETRIES": "0"}})

			f := e.mustUpload(t, "retried.txt", []byte("x"))
			e.fake.Fail(fakeopenai.DeleteFile, 3, fakeopenai.ServerError()) // the delete's own try and the job's first two
			if r, err := e.Client.DeleteFileWithResponse(ctx, f.Id, nil, apitest.Bearer(e.token)); err != nil || r.StatusCode() != 204 {
				t.Fatalf("delete: %v %d", err, r.StatusCode())
			}
			list := waitJobs(t, e.Store, file.CleanupKind)
			if len(list) != 1 || list[0].State != "completed" || list[0].Attempt != 3 {
				t.Fatalf("cleanup jobs %+v", list)
			}
			e.noUpstreamFiles(t)

			doomed := e.mustUpload(t, "doomed.txt", []byte("y"))
			vs := e.vectorStoreID(t)
			e.fake.Fail(fakeopenai.DeleteFile, 1000, fakeopenai.ServerError())
			e.fake.Fail(fakeopenai.DeleteVectorStore, 1000, fakeopenai.ServerError())
			if r, err := e.Client.DeleteProjectWithResponse(ctx, e.project, apitest.Bearer(e.token)); err != nil || r.StatusCode() != 204 {
				t.Fatalf("delete project: %v %d", err, r.StatusCode())
			}
			list = waitJobs(t, e.Store, file.CleanupKind)
			if len(list) != 2 || list[1].State != "discarded" || list[1].Attempt != 12 {
				t.Fatalf("cleanup jobs %+v", list)
			}
			alert := logs.linesWith("level=ERROR", `msg="upstream cleanup abandoned"`)
			if len(alert) != 1 || !strings.Contains(alert[0], "openai_file_ids="+doomed.OpenaiFileId) ||
				!strings.Contains(alert[0], "vector_store_id="+vs) || !strings.Contains(alert[0], "attempts=12") {
				t.Fatalf("alert lines %q", alert)
			}
			t.Logf("the alert: %s", alert[0])
			failed, err := e.Store.Jobs().Failed(ctx, 10)
			if err != nil || len(failed) != 1 || failed[0].Kind != file.CleanupKind || failed[0].State != "discarded" ||
				!strings.Contains(failed[0].LastError, doomed.OpenaiFileId) {
				t.Fatalf("failed jobs %+v %v", failed, err)
			}
		})
	}
}

package file

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/chatbot-platform/chatbot/internal/jobs"
	"github.com/chatbot-platform/chatbot/internal/llm"
	"github.com/chatbot-platform/chatbot/internal/model"
	"github.com/chatbot-platform/chatbot/internal/store"
	"github.com/chatbot-platform/chatbot/internal/webhook"
)

// The background jobs of files: following a file's indexing at OpenAI until it is final, and
// deleting at OpenAI what a file or project deletion could not.
const (
	// IndexStatusKind polls OpenAI for the indexing status of one file (IndexStatusArgs).
	IndexStatusKind = "file_index_status"
	// CleanupKind deletes files and vector stores left at OpenAI (CleanupArgs).
	CleanupKind = "upstream_cleanup"
)

// Timing of the jobs.
const (
	// indexPollFirst and indexPollMax bound the wait between two status polls of a file being
	// indexed: 1 s, 2 s, 4 s… at most 30 s.
	indexPollFirst = time.Second
	indexPollMax   = 30 * time.Second
	// DefaultIndexGiveUp is how long a file may stay in progress before it is marked failed.
	DefaultIndexGiveUp = time.Hour
	// indexAttempts and indexBackoff: OpenAI failing to answer a poll is retried 2 s, 4 s… at most
	// 5 min apart, about an hour in all, before the file is marked failed.
	indexAttempts = 20
	// cleanupAttempts and cleanupBackoff: a cleanup OpenAI refuses is retried 15 s, 30 s… at most
	// 2 h apart (about 6 h in all) before it is abandoned with an ERROR line.
	cleanupAttempts = 12
	// cleanupJobTimeout bounds one cleanup run.
	cleanupJobTimeout = cleanupTimeout
)

var (
	indexBackoff   = jobs.Exponential(2*time.Second, 5*time.Minute)
	cleanupBackoff = jobs.Exponential(15*time.Second, 2*time.Hour)
)

// IndexStatusArgs is a job following a file whose indexing at OpenAI is in progress. One job per
// file at most.
type IndexStatusArgs struct {
	OwnerID       int64  `json:"owner_id"`
	ProjectID     int64  `json:"project_id"`
	FileID        int64  `json:"file_id" river:"unique"`
	VectorStoreID string `json:"vector_store_id"`
	OpenAIFileID  string `json:"openai_file_id"`
}

// Kind names the job kind.
func (IndexStatusArgs) Kind() string { return IndexStatusKind }

// InsertOptions: one job per file.
func (IndexStatusArgs) InsertOptions() jobs.InsertOptions {
	return jobs.InsertOptions{Unique: true, MaxAttempts: indexAttempts}
}

// CleanupArgs is what is left to delete at OpenAI: files (detached first from DetachFrom, a vector
// store that stays) and a vector store.
type CleanupArgs struct {
	ProjectID     int64    `json:"project_id"`
	DetachFrom    string   `json:"detach_from,omitempty"`
	FileIDs       []string `json:"openai_file_ids,omitempty"`
	VectorStoreID string   `json:"vector_store_id,omitempty"`
}

// Kind names the job kind.
func (CleanupArgs) Kind() string { return CleanupKind }

// InsertOptions: retried for hours.
func (CleanupArgs) InsertOptions() jobs.InsertOptions {
	return jobs.InsertOptions{MaxAttempts: cleanupAttempts}
}

func (a CleanupArgs) empty() bool { return len(a.FileIDs) == 0 && a.VectorStoreID == "" }

// RegisterJobs adds the file jobs' workers to w.
func (s *Service) RegisterJobs(w *jobs.Workers) {
	jobs.Add(w, jobs.Kind[IndexStatusArgs]{Work: s.pollIndexStatus, Backoff: indexBackoff, GaveUp: s.indexGaveUp})
	jobs.Add(w, jobs.Kind[CleanupArgs]{Work: s.cleanUpstream, Timeout: cleanupJobTimeout, Backoff: cleanupBackoff,
		GaveUp: s.cleanupGaveUp})
}

// SetIndexGiveUp changes how long a file may stay in progress before it is marked failed
// (DefaultIndexGiveUp; tests shorten it). Call it before jobs run.
func (s *Service) SetIndexGiveUp(d time.Duration) { s.indexGiveUp = d }

// indexPollDelay is the wait after the n-th poll that found the file still in progress (from 0).
func indexPollDelay(n int) time.Duration {
	if n >= 5 { // 1 s << 5 is past the cap
		return indexPollMax
	}
	return min(indexPollFirst<<n, indexPollMax)
}

// pollIndexStatus asks OpenAI for a file's indexing status and stores it once final; while it is
// in progress the job snoozes. A file deleted meanwhile ends the job; one in progress past the
// give-up time is marked failed.
func (s *Service) pollIndexStatus(ctx context.Context, job jobs.Job[IndexStatusArgs]) error {
	a := job.Args
	f, err := s.store.GetFile(ctx, a.OwnerID, a.FileID)
	if errors.Is(err, store.ErrNotFound) {
		return nil // deleted meanwhile
	}
	if err != nil {
		return err
	}
	if f.Status != model.FileInProgress {
		return nil
	}
	if time.Since(job.CreatedAt) > s.indexGiveUp {
		return s.storeStatus(ctx, a.OwnerID, f, model.FileFailed, fmt.Sprintf(
			"OpenAI did not finish indexing the file within %s; delete it and upload it again.", humanDuration(s.indexGiveUp)))
	}
	status, lastError, err := s.llm.VectorStoreFileStatus(ctx, a.VectorStoreID, f.OpenAIFileID)
	var detail string
	switch {
	case errors.Is(err, llm.ErrNotFound):
		status, detail = model.FileFailed, "The file is no longer in the project's search index; delete it and upload it again."
	case err != nil:
		return err // retried (indexBackoff); indexGaveUp after the last attempt
	default:
		status, detail = indexStatus(status, lastError)
	}
	if status == model.FileInProgress {
		return jobs.Snooze(indexPollDelay(job.Snoozes))
	}
	return s.storeStatus(ctx, a.OwnerID, f, status, detail)
}

// indexGaveUp marks a file failed when OpenAI could not be asked about it for about an hour.
func (s *Service) indexGaveUp(ctx context.Context, job jobs.Job[IndexStatusArgs], err error) {
	f, gerr := s.store.GetFile(ctx, job.Args.OwnerID, job.Args.FileID)
	if gerr != nil || f.Status != model.FileInProgress {
		return
	}
	detail := "OpenAI could not be asked whether the file was indexed: " + userDetail(err) + " Delete it and upload it again."
	if serr := s.storeStatus(ctx, job.Args.OwnerID, f, model.FileFailed, detail); serr != nil {
		s.log.ErrorContext(ctx, "file status not stored", "file_id", f.ID, "error", serr)
	}
}

// storeStatus stores a file's final indexing status.
func (s *Service) storeStatus(ctx context.Context, ownerID int64, f model.File, status, detail string) error {
	err := s.store.InTx(ctx, func(tx store.Store) error {
		if err := tx.SetFileStatus(ctx, ownerID, f.ID, status, detail); err != nil {
			return err
		}
		f.Status, f.StatusDetail = status, detail
		return s.emitStatus(ctx, tx, f)
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	s.log.InfoContext(ctx, "file indexed", "project_id", f.ProjectID, "file_id", f.ID, "status", status, "detail", detail)
	return nil
}

// emitStatus records file.indexed (completed) or file.failed in tx; an unsupported file (kept, not
// searchable) is neither.
func (s *Service) emitStatus(ctx context.Context, tx store.Store, f model.File) error {
	event := map[string]string{model.FileCompleted: webhook.FileIndexed, model.FileFailed: webhook.FileFailed}[f.Status]
	if event == "" {
		return nil
	}
	return s.events.Emit(ctx, tx, f.ProjectID, event, fileEvent{FileID: f.ID, Filename: f.Filename, Status: f.Status, Detail: f.StatusDetail})
}

// fileEvent is file.indexed's and file.failed's data.
type fileEvent struct {
	FileID   int64  `json:"file_id"`
	Filename string `json:"filename"`
	Status   string `json:"status"`
	Detail   string `json:"detail"`
}

func humanDuration(d time.Duration) string {
	switch {
	case d == time.Hour:
		return "an hour"
	case d%time.Hour == 0:
		return fmt.Sprintf("%d hours", d/time.Hour)
	}
	return d.String()
}

// cleanupError is a cleanup run that left something at OpenAI.
type cleanupError struct {
	left CleanupArgs
	err  error
}

func (e *cleanupError) Error() string {
	return fmt.Sprintf("left at OpenAI: files %v, vector store %q: %v", e.left.FileIDs, e.left.VectorStoreID, e.err)
}

func (e *cleanupError) Unwrap() error { return e.err }

// cleanUpstream deletes what a job says is left at OpenAI; what is gone already counts as deleted.
func (s *Service) cleanUpstream(ctx context.Context, job jobs.Job[CleanupArgs]) error {
	left, err := s.deleteUpstream(ctx, job.Args)
	if left.empty() {
		s.log.InfoContext(ctx, "upstream cleanup done", "project_id", job.Args.ProjectID, "openai_file_ids", job.Args.FileIDs,
			"vector_store_id", job.Args.VectorStoreID, "attempt", job.Attempt)
		return nil
	}
	return &cleanupError{left: left, err: err}
}

// cleanupGaveUp is the alert: after its last attempt a cleanup still left these at OpenAI.
func (s *Service) cleanupGaveUp(ctx context.Context, job jobs.Job[CleanupArgs], err error) {
	left := job.Args
	var cerr *cleanupError
	if errors.As(err, &cerr) {
		left = cerr.left
	}
	s.log.ErrorContext(ctx, "upstream cleanup abandoned", "project_id", left.ProjectID,
		"openai_file_ids", strings.Join(left.FileIDs, ","), "vector_store_id", left.VectorStoreID,
		"attempts", job.Attempt, "job_id", job.ID, "error", err)
}

// deleteUpstream detaches and deletes a's files and deletes its vector store at OpenAI, each step
// at most once, and returns what is left (a.empty(): nothing) with the last error. Objects OpenAI
// no longer has count as deleted.
func (s *Service) deleteUpstream(ctx context.Context, a CleanupArgs) (CleanupArgs, error) {
	left := CleanupArgs{ProjectID: a.ProjectID, DetachFrom: a.DetachFrom}
	var mu sync.Mutex
	var lastErr error
	failed := func(err error) bool {
		if err == nil || errors.Is(err, llm.ErrNotFound) {
			return false
		}
		mu.Lock()
		lastErr = err
		mu.Unlock()
		return true
	}
	eachLimited(a.FileIDs, func(id string) {
		if a.DetachFrom != "" {
			failed(s.llm.DetachFile(ctx, a.DetachFrom, id)) // not fatal: deleting the file detaches it too
		}
		if failed(s.llm.DeleteFile(ctx, id)) {
			mu.Lock()
			left.FileIDs = append(left.FileIDs, id)
			mu.Unlock()
		}
	})
	if a.VectorStoreID != "" && failed(s.llm.DeleteVectorStore(ctx, a.VectorStoreID)) {
		left.VectorStoreID = a.VectorStoreID
	}
	if left.empty() {
		return left, nil
	}
	return left, lastErr
}

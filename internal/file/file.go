// Package file keeps a project's knowledge files: stored at OpenAI (Files API), indexed in the
// project's vector store for file_search, and recorded here.
//
// The rule throughout is "no orphans": a local row always points at a file that exists at OpenAI,
// and a file uploaded to OpenAI is either recorded here or deleted there again. What OpenAI does not
// delete at once is left to an upstream_cleanup job, enqueued in the transaction that deletes the
// rows, which retries for hours and then logs "upstream cleanup abandoned" with the OpenAI ids.
package file

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/chatbot-platform/chatbot/internal/auth"
	"github.com/chatbot-platform/chatbot/internal/llm"
	"github.com/chatbot-platform/chatbot/internal/model"
	"github.com/chatbot-platform/chatbot/internal/store"
	"github.com/chatbot-platform/chatbot/internal/webhook"
)

// Timeouts of the work that must finish once started, even if the client goes away.
const (
	// finishTimeout bounds what follows a finished upload (vector store, attach, record) and a
	// delete; stopping halfway would leave a file at OpenAI that no row points at, or the reverse.
	finishTimeout = 2 * time.Minute
	// uploadTimeout bounds an upload whose upstream stalls while the client is still sending.
	uploadTimeout = 15 * time.Minute
	// cleanupTimeout bounds the upstream cleanup of a deleted project (and one cleanup job run).
	cleanupTimeout = 5 * time.Minute
	// upstreamWorkers is how many upstream calls a project cleanup runs at once.
	upstreamWorkers = 4
)

// Service is the file logic. Every method is scoped by the caller's user id.
type Service struct {
	store    store.Store
	llm      *llm.Client
	maxBytes int64
	maxFiles int // per project; 0: no cap
	log      *slog.Logger
	// vsLocks serialise vector store creation per project (striped by project id), so two first
	// uploads to one project cannot create two stores.
	vsLocks [64]sync.Mutex
	// indexGiveUp is how long a file may stay in progress before its job marks it failed.
	indexGiveUp time.Duration
	events      *webhook.Service // file.indexed and file.failed; nil: none
	guard       Guard            // releases that use files; nil: none
}

// Guard keeps the files releases use (the release service implements it): CheckFileDelete refuses to
// delete a file (an error to answer with) before anything is done; RemoveFile runs in the
// transaction that deletes the file's row.
type Guard interface {
	CheckFileDelete(ctx context.Context, ownerID int64, f model.File, force bool) error
	RemoveFile(ctx context.Context, tx store.Store, ownerID int64, f model.File) error
}

// GuardWith makes deletions ask g first. Call it before the service is used.
func (s *Service) GuardWith(g Guard) { s.guard = g }

// EmitTo makes the service record file.indexed and file.failed through e.
func (s *Service) EmitTo(e *webhook.Service) { s.events = e }

// NewService returns the file service; uploads larger than maxBytes are refused.
func NewService(s store.Store, c *llm.Client, maxBytes int64, log *slog.Logger) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{store: s, llm: c, maxBytes: maxBytes, log: log, indexGiveUp: DefaultIndexGiveUp}
}

// LimitFiles caps the files one project may hold (MAX_FILES_PER_PROJECT); 0 is no cap. Call it
// before the service is used.
func (s *Service) LimitFiles(perProject int) { s.maxFiles = perProject }

// List returns one page of a project's files, oldest first, with their stored indexing status (a
// background job follows each file being indexed and stores its status once final: listing asks
// OpenAI nothing). Returns store.ErrNotFound for a project that is not the owner's.
func (s *Service) List(ctx context.Context, ownerID, projectID int64, page store.Page) ([]model.File, error) {
	if _, err := s.store.GetProject(ctx, ownerID, projectID); err != nil {
		return nil, err
	}
	files, err := s.store.PageFiles(ctx, ownerID, projectID, page)
	if err != nil {
		return nil, fmt.Errorf("list files: %w", err)
	}
	return files, nil
}

// indexStatus maps OpenAI's vector store file status to ours.
func indexStatus(status, lastError string) (string, string) {
	switch status {
	case "completed":
		return model.FileCompleted, ""
	case "failed":
		return model.FileFailed, failedDetail(lastError)
	case "cancelled":
		return model.FileFailed, "Indexing was cancelled at OpenAI; delete the file and upload it again."
	}
	return model.FileInProgress, ""
}

// Delete removes a file: from the project's vector store and from OpenAI, then the local record.
// What OpenAI does not delete now (it fails or does not answer) is left to an upstream_cleanup job
// enqueued in the transaction that deletes the record, so the delete succeeds anyway and the file
// goes at OpenAI later. Returns store.ErrNotFound for a file that is not the owner's, before
// anything is sent upstream, and the guard's refusal (a file the published release uses, unless
// force).
func (s *Service) Delete(ctx context.Context, ownerID, id int64, force bool) error {
	f, err := s.store.GetFile(ctx, ownerID, id)
	if err == nil {
		err = auth.CheckProject(ctx, f.ProjectID)
	}
	if err == nil && s.guard != nil {
		err = s.guard.CheckFileDelete(ctx, ownerID, f, force)
	}
	if err != nil {
		return err
	}
	// From here on the steps run to the end even if the client leaves: deleting upstream and then
	// stopping would leave a row pointing at nothing.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finishTimeout)
	defer cancel()
	todo := CleanupArgs{ProjectID: f.ProjectID, FileIDs: []string{f.OpenAIFileID}}
	if f.Status != model.FileUnsupported { // unsupported files were never attached
		p, err := s.store.GetProject(ctx, ownerID, f.ProjectID)
		if err != nil {
			return err
		}
		todo.DetachFrom = p.VectorStoreID
	}
	left, upErr := s.deleteUpstream(ctx, todo)
	err = s.store.InTx(ctx, func(tx store.Store) error {
		if err := tx.DeleteFile(ctx, ownerID, id); err != nil {
			return err
		}
		if s.guard != nil {
			if err := s.guard.RemoveFile(ctx, tx, ownerID, f); err != nil {
				return err
			}
		}
		if left.empty() {
			return nil
		}
		return tx.Enqueue(ctx, left)
	})
	if err != nil {
		return err
	}
	if !left.empty() {
		s.log.WarnContext(ctx, "file deleted; OpenAI did not delete it yet, a background job retries",
			"project_id", f.ProjectID, "file_id", id, "openai_file_id", f.OpenAIFileID, "error", upErr)
	}
	s.log.InfoContext(ctx, "file deleted", "project_id", f.ProjectID, "file_id", id,
		"openai_file_id", f.OpenAIFileID, "size", f.Size, "left_upstream", !left.empty())
	return nil
}

// SearchTarget tells chat what file_search may use for a project: its vector store id when at
// least one of its files is indexed ("" otherwise), and its files by OpenAI file id, to turn
// citations into our file ids and names. It makes one query and asks OpenAI nothing: statuses are
// stored by the jobs that follow indexing.
func (s *Service) SearchTarget(ctx context.Context, ownerID int64, p model.Project) (string, map[string]model.File, error) {
	if p.VectorStoreID == "" {
		return "", nil, nil // no file was ever indexable: nothing to search, no query needed
	}
	files, err := s.store.ListFiles(ctx, ownerID, p.ID)
	if err != nil {
		return "", nil, fmt.Errorf("list files: %w", err)
	}
	byID := make(map[string]model.File, len(files))
	vsID := ""
	for _, f := range files {
		byID[f.OpenAIFileID] = f
		if f.Status == model.FileCompleted {
			vsID = p.VectorStoreID
		}
	}
	return vsID, byID, nil
}

// CleanupProject deletes a project's files and vector store at OpenAI before the project is
// deleted (project.Cleaner). It is best effort: what cannot be deleted now keeps its row (and the
// project its vector store id), and goes to CleanupDeleted with the project's deletion. Each file
// deleted upstream loses its row at once, and the project its vector store id, so nothing points at
// a deleted object even if the project deletion itself then fails.
func (s *Service) CleanupProject(ctx context.Context, p model.Project) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	files, err := s.store.ListFiles(ctx, p.OwnerID, p.ID)
	if err != nil {
		s.log.ErrorContext(ctx, "project cleanup: files not listed; they stay at OpenAI", "project_id", p.ID, "error", err)
	}
	var mu sync.Mutex
	left := 0
	eachLimited(files, func(f model.File) {
		if err := s.llm.DeleteFile(ctx, f.OpenAIFileID); err != nil && !errors.Is(err, llm.ErrNotFound) {
			s.log.WarnContext(ctx, "project cleanup: file not deleted at OpenAI yet", "project_id", p.ID, "file_id", f.ID,
				"openai_file_id", f.OpenAIFileID, "error", err)
			mu.Lock()
			left++
			mu.Unlock()
			return
		}
		if err := s.store.DeleteFile(ctx, p.OwnerID, f.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
			s.log.WarnContext(ctx, "project cleanup: file row not deleted", "file_id", f.ID, "error", err)
		}
	})
	vsLeft := false
	if p.VectorStoreID != "" {
		if err := s.llm.DeleteVectorStore(ctx, p.VectorStoreID); err != nil && !errors.Is(err, llm.ErrNotFound) {
			vsLeft = true
			s.log.WarnContext(ctx, "project cleanup: vector store not deleted at OpenAI yet", "project_id", p.ID,
				"vector_store_id", p.VectorStoreID, "error", err)
		} else if err := s.store.SetProjectVectorStore(ctx, p.OwnerID, p.ID, ""); err != nil && !errors.Is(err, store.ErrNotFound) {
			s.log.WarnContext(ctx, "project cleanup: vector store id not cleared", "project_id", p.ID, "error", err)
		}
	}
	s.log.InfoContext(ctx, "project files cleaned up", "project_id", p.ID, "files", len(files), "left_upstream", left,
		"vector_store_id", p.VectorStoreID, "vector_store_left", vsLeft)
}

// CleanupDeleted runs in the transaction that deletes a project (project.Cleaner), with the file
// rows deleted with it and the project as it was: it enqueues an upstream_cleanup job for those
// files and the project's vector store (what CleanupProject could not delete, or what was recorded
// meanwhile), so they go at OpenAI once the deletion commits, and never if it rolls back.
func (s *Service) CleanupDeleted(ctx context.Context, tx store.Store, p model.Project, files []model.File) error {
	a := CleanupArgs{ProjectID: p.ID, VectorStoreID: p.VectorStoreID}
	for _, f := range files {
		a.FileIDs = append(a.FileIDs, f.OpenAIFileID)
	}
	if a.empty() {
		return nil
	}
	return tx.Enqueue(ctx, a)
}

// eachLimited calls fn for every item, upstreamWorkers at a time, and waits for all.
func eachLimited[T any](items []T, fn func(T)) {
	sem := make(chan struct{}, upstreamWorkers)
	var wg sync.WaitGroup
	for _, it := range items {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			fn(it)
		})
	}
	wg.Wait()
}

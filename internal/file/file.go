// Package file keeps a project's knowledge files: stored at OpenAI (Files API), indexed in the
// project's vector store for file_search, and recorded here.
//
// The rule throughout is "no orphans": a local row always points at a file that exists at OpenAI,
// and a file uploaded to OpenAI is either recorded here or deleted there again (a failure to delete
// is logged with the OpenAI id, so an operator can finish the job).
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
)

// Timeouts of the work that must finish once started, even if the client goes away.
const (
	// finishTimeout bounds what follows a finished upload (vector store, attach, record) and a
	// delete; stopping halfway would leave a file at OpenAI that no row points at, or the reverse.
	finishTimeout = 2 * time.Minute
	// uploadTimeout bounds an upload whose upstream stalls while the client is still sending.
	uploadTimeout = 15 * time.Minute
	// refreshTimeout bounds the status refresh of a list, so OpenAI being slow or down costs a
	// list at most this much before it answers with the stored statuses.
	refreshTimeout = 3 * time.Second
	// cleanupTimeout bounds the upstream cleanup of a deleted project.
	cleanupTimeout = 5 * time.Minute
	// upstreamWorkers is how many upstream calls a list refresh or a project cleanup runs at once.
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
}

// NewService returns the file service; uploads larger than maxBytes are refused.
func NewService(s store.Store, c *llm.Client, maxBytes int64, log *slog.Logger) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{store: s, llm: c, maxBytes: maxBytes, log: log}
}

// LimitFiles caps the files one project may hold (MAX_FILES_PER_PROJECT); 0 is no cap. Call it
// before the service is used.
func (s *Service) LimitFiles(perProject int) { s.maxFiles = perProject }

// List returns one page of a project's files, oldest first, with the indexing status of files still
// in progress refreshed from OpenAI (and stored). When OpenAI cannot be asked in time, the stored
// statuses are returned. Returns store.ErrNotFound for a project that is not the owner's.
func (s *Service) List(ctx context.Context, ownerID, projectID int64, page store.Page) ([]model.File, error) {
	p, err := s.store.GetProject(ctx, ownerID, projectID)
	if err != nil {
		return nil, err
	}
	files, err := s.store.PageFiles(ctx, ownerID, projectID, page)
	if err != nil {
		return nil, fmt.Errorf("list files: %w", err)
	}
	s.refresh(ctx, ownerID, p, files)
	return files, nil
}

// refresh asks OpenAI for the status of each file still in progress, updating files in place and
// in the store. Failures leave a file's stored status as it was.
func (s *Service) refresh(ctx context.Context, ownerID int64, p model.Project, files []model.File) {
	var pending []*model.File
	for i := range files {
		if files[i].Status == model.FileInProgress {
			pending = append(pending, &files[i])
		}
	}
	if len(pending) == 0 || p.VectorStoreID == "" {
		return
	}
	rctx, cancel := context.WithTimeout(ctx, refreshTimeout)
	defer cancel()
	eachLimited(pending, func(f *model.File) {
		status, lastError, err := s.llm.VectorStoreFileStatus(rctx, p.VectorStoreID, f.OpenAIFileID)
		var detail string
		switch {
		case errors.Is(err, llm.ErrNotFound):
			status, detail = model.FileFailed, "The file is no longer in the project's search index; delete it and upload it again."
		case err != nil:
			s.log.DebugContext(ctx, "file status not refreshed", "file_id", f.ID, "error", err)
			return
		default:
			status, detail = indexStatus(status, lastError)
		}
		if status == f.Status {
			return
		}
		// The store write uses ctx, not rctx: an answer that arrived is worth keeping.
		if err := s.store.SetFileStatus(ctx, ownerID, f.ID, status, detail); err != nil {
			s.log.WarnContext(ctx, "file status not stored", "file_id", f.ID, "error", err)
			return
		}
		f.Status, f.StatusDetail = status, detail
		s.log.InfoContext(ctx, "file indexed", "project_id", f.ProjectID, "file_id", f.ID, "status", status)
	})
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

// Delete removes a file from the project's vector store and from OpenAI, then the local record.
// A file OpenAI no longer has is still removed here; any other upstream failure keeps the local
// record (so the file can be deleted again later) and returns the *llm.Error. Returns
// store.ErrNotFound for a file that is not the owner's, before anything is sent upstream.
func (s *Service) Delete(ctx context.Context, ownerID, id int64) error {
	f, err := s.store.GetFile(ctx, ownerID, id)
	if err == nil {
		err = auth.CheckProject(ctx, f.ProjectID)
	}
	if err != nil {
		return err
	}
	// From here on the steps run to the end even if the client leaves: deleting upstream and then
	// stopping would leave a row pointing at nothing.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finishTimeout)
	defer cancel()
	if f.Status != model.FileUnsupported { // unsupported files were never attached
		p, err := s.store.GetProject(ctx, ownerID, f.ProjectID)
		if err != nil {
			return err
		}
		if p.VectorStoreID != "" {
			if err := s.llm.DetachFile(ctx, p.VectorStoreID, f.OpenAIFileID); err != nil && !errors.Is(err, llm.ErrNotFound) {
				return err
			}
		}
	}
	gone := false
	if err := s.llm.DeleteFile(ctx, f.OpenAIFileID); errors.Is(err, llm.ErrNotFound) {
		gone = true
	} else if err != nil {
		return err
	}
	if err := s.store.DeleteFile(ctx, ownerID, id); err != nil {
		return err
	}
	s.log.InfoContext(ctx, "file deleted", "project_id", f.ProjectID, "file_id", id,
		"openai_file_id", f.OpenAIFileID, "size", f.Size, "already_gone_upstream", gone)
	return nil
}

// SearchTarget tells chat what file_search may use for a project: its vector store id when at
// least one of its files is indexed ("" otherwise), and its files by OpenAI file id, to turn
// citations into our file ids and names. It makes one query, and asks OpenAI only while files are
// still being indexed and none is ready yet.
func (s *Service) SearchTarget(ctx context.Context, ownerID int64, p model.Project) (string, map[string]model.File, error) {
	if p.VectorStoreID == "" {
		return "", nil, nil // no file was ever indexable: nothing to search, no query needed
	}
	files, err := s.store.ListFiles(ctx, ownerID, p.ID)
	if err != nil {
		return "", nil, fmt.Errorf("list files: %w", err)
	}
	if !anyStatus(files, model.FileCompleted) && anyStatus(files, model.FileInProgress) {
		s.refresh(ctx, ownerID, p, files) // a file may have finished indexing since it was last listed
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

func anyStatus(files []model.File, status string) bool {
	for _, f := range files {
		if f.Status == status {
			return true
		}
	}
	return false
}

// CleanupProject deletes a project's files and vector store at OpenAI before the project is
// deleted (project.Cleaner). It is best effort: what cannot be deleted upstream is logged with its
// OpenAI id and the project deletion goes on. Each file deleted upstream loses its row at once, and
// the project its vector store id, so nothing points at a deleted object even if the project
// deletion itself then fails.
func (s *Service) CleanupProject(ctx context.Context, p model.Project) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	files, err := s.store.ListFiles(ctx, p.OwnerID, p.ID)
	if err != nil {
		s.log.ErrorContext(ctx, "project cleanup: files not listed; they stay at OpenAI", "project_id", p.ID, "error", err)
	}
	s.cleanup(ctx, p, files, true)
}

// CleanupDeleted deletes at OpenAI what a project deleted a moment ago still had: files recorded
// while CleanupProject ran (their rows are gone with the project) and a vector store created
// meanwhile (project.Cleaner). Best effort, like CleanupProject.
func (s *Service) CleanupDeleted(ctx context.Context, p model.Project, files []model.File) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	s.cleanup(ctx, p, files, false)
}

// cleanup deletes files and the project's vector store at OpenAI, and each deleted file's row
// (and the project's vector store id) when withRows.
func (s *Service) cleanup(ctx context.Context, p model.Project, files []model.File, withRows bool) {
	var mu sync.Mutex
	left := 0
	eachLimited(files, func(f model.File) {
		if err := s.llm.DeleteFile(ctx, f.OpenAIFileID); err != nil && !errors.Is(err, llm.ErrNotFound) {
			s.log.ErrorContext(ctx, "project cleanup: file left at OpenAI", "project_id", p.ID, "file_id", f.ID,
				"openai_file_id", f.OpenAIFileID, "error", err)
			mu.Lock()
			left++
			mu.Unlock()
			return
		}
		if !withRows {
			return
		}
		if err := s.store.DeleteFile(ctx, p.OwnerID, f.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
			s.log.WarnContext(ctx, "project cleanup: file row not deleted", "file_id", f.ID, "error", err)
		}
	})
	if p.VectorStoreID != "" {
		if err := s.llm.DeleteVectorStore(ctx, p.VectorStoreID); err != nil && !errors.Is(err, llm.ErrNotFound) {
			s.log.ErrorContext(ctx, "project cleanup: vector store left at OpenAI", "project_id", p.ID,
				"vector_store_id", p.VectorStoreID, "error", err)
		} else if withRows {
			if err := s.store.SetProjectVectorStore(ctx, p.OwnerID, p.ID, ""); err != nil && !errors.Is(err, store.ErrNotFound) {
				s.log.WarnContext(ctx, "project cleanup: vector store id not cleared", "project_id", p.ID, "error", err)
			}
		}
	}
	s.log.InfoContext(ctx, "project files cleaned up", "project_id", p.ID, "files", len(files), "left_upstream", left,
		"vector_store_id", p.VectorStoreID, "after_delete", !withRows)
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

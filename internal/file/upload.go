package file

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chatbot-platform/chatbot/internal/llm"
	"github.com/chatbot-platform/chatbot/internal/model"
	"github.com/chatbot-platform/chatbot/internal/store"
)

// sniffLen is how much of a file decides its type (all http.DetectContentType looks at).
const sniffLen = 512

// ErrTooLarge is what a Part's body returns when the HTTP layer cut the request at its own size
// limit; Upload answers it like its own limit, with a *TooLargeError.
var ErrTooLarge = errors.New("file: upload too large")

// TooLargeError is an upload over the size limit (HTTP 413). errors.Is(err, ErrTooLarge) holds.
type TooLargeError struct{ Limit int64 }

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("The file is larger than the upload limit of %s.", sizeText(e.Limit))
}

// Is makes errors.Is(err, ErrTooLarge) hold.
func (e *TooLargeError) Is(target error) bool { return target == ErrTooLarge }

func sizeText(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// Part opens an upload: the client-given filename and the file's content. Upload calls it only
// once the project is known to be the caller's, so nothing of a request for another user's project
// is read, let alone sent upstream. Errors it returns (e.g. a *model.ValidationError for a request
// without a file) are returned as they are; ErrTooLarge becomes a *TooLargeError.
type Part func() (filename string, body io.Reader, err error)

// Upload streams a file to OpenAI and records it in the project: at most the size limit is read
// and never more than a small buffer is held, whatever the size. A format file_search can read is
// attached to the project's vector store (created on first use), others are recorded as
// unsupported.
//
// Errors: store.ErrNotFound (not the owner's project; nothing read), *model.ValidationError (no
// file, empty file, a body that broke off), *TooLargeError, *llm.Error (the upload to OpenAI
// failed; nothing stored). Once OpenAI has the file, a failure to index it does not fail the
// upload: the file is recorded with status failed and the reason. A failure to record it deletes
// it at OpenAI again.
func (s *Service) Upload(ctx context.Context, ownerID, projectID int64, open Part) (model.File, error) {
	p, err := s.store.GetProject(ctx, ownerID, projectID)
	if err != nil {
		return model.File{}, err
	}
	// A first look (a read) before anything is sent; finish counts again, locked, with the insert.
	if s.maxFiles > 0 {
		files, err := s.store.ListFiles(ctx, ownerID, projectID)
		if err != nil {
			return model.File{}, err
		}
		if len(files) >= s.maxFiles {
			return model.File{}, tooManyFiles(len(files))
		}
	}
	rawName, body, err := open()
	if err != nil {
		return model.File{}, s.sourceError(ctx, err)
	}
	src := &source{r: bufio.NewReaderSize(body, 32<<10), limit: s.maxBytes}
	head, err := src.r.Peek(sniffLen)
	if err != nil && !errors.Is(err, io.EOF) {
		return model.File{}, s.sourceError(ctx, err)
	}
	if len(head) == 0 {
		return model.File{}, model.Invalid("file", "must not be empty")
	}
	name := CleanFilename(rawName)
	if name == "" {
		name = defaultName(head)
	}
	f := model.File{ProjectID: p.ID, Filename: name, ContentType: ContentType(name, head)}

	start := time.Now()
	up, err := s.send(ctx, name, src)
	if err != nil {
		return model.File{}, err
	}
	f.OpenAIFileID, f.Size = up.ID, src.n.Load()
	if up.Bytes != f.Size {
		s.log.WarnContext(ctx, "OpenAI recorded another size than was sent", "openai_file_id", up.ID,
			"sent", f.Size, "recorded", up.Bytes)
	}
	rec, err := s.finish(ctx, ownerID, p, f)
	if err != nil {
		return model.File{}, err
	}
	s.log.InfoContext(ctx, "file uploaded", "project_id", p.ID, "file_id", rec.ID, "openai_file_id", rec.OpenAIFileID,
		"size", rec.Size, "content_type", rec.ContentType, "status", rec.Status, "duration", time.Since(start))
	return rec, nil
}

// send streams src to OpenAI. It runs on its own context, not the request's: a client that leaves
// after sending the whole file must not lose OpenAI's answer (the file would exist there with
// nothing pointing at it). A client that leaves mid-body breaks the body, and a broken body or one
// over the limit cancels the upload at once.
func (s *Service) send(ctx context.Context, name string, src *source) (llm.File, error) {
	uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), uploadTimeout)
	defer cancel()
	src.cancel = cancel
	up, err := s.llm.UploadFile(uctx, name, src)
	if serr := src.failure(); serr != nil {
		if up.ID != "" { // a cut body should never become a file; if it did, it must go
			s.discard(context.WithoutCancel(ctx), "", up.ID)
		}
		return llm.File{}, s.sourceError(ctx, serr)
	}
	return up, err
}

// finish indexes and records an uploaded file. It runs to the end even if the client leaves: the
// file exists at OpenAI now, so it must end up recorded here or deleted there.
func (s *Service) finish(ctx context.Context, ownerID int64, p model.Project, f model.File) (model.File, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finishTimeout)
	defer cancel()
	vsID := ""
	if Searchable(f.Filename) {
		vsID, f.Status, f.StatusDetail = s.index(ctx, ownerID, p, f.OpenAIFileID)
	} else {
		f.Status, f.StatusDetail = model.FileUnsupported, unsupportedDetail
	}
	var rec model.File
	err := s.store.InTx(ctx, func(tx store.Store) (err error) {
		if err = s.lockForNewFile(ctx, tx, ownerID, p.ID); err == nil {
			rec, err = tx.CreateFile(ctx, ownerID, f)
		}
		if err == nil && rec.Status == model.FileInProgress { // a job follows the indexing from here
			err = tx.Enqueue(ctx, IndexStatusArgs{OwnerID: ownerID, ProjectID: p.ID, FileID: rec.ID,
				VectorStoreID: vsID, OpenAIFileID: rec.OpenAIFileID})
		}
		if err == nil && rec.Status != model.FileInProgress { // final already: the event goes with the record
			err = s.emitStatus(ctx, tx, rec)
		}
		return err
	})
	if err != nil {
		s.discard(ctx, vsID, f.OpenAIFileID)
		return model.File{}, fmt.Errorf("record file: %w", err) // store.ErrNotFound: the project was just deleted
	}
	return rec, nil
}

// lockForNewFile takes the project's row lock until the transaction ends, like the project's
// deletion: a deletion that ran meanwhile makes this fail (and the file is removed upstream); one
// that runs later sees the row. Under the lock it refuses a file past MAX_FILES_PER_PROJECT with a
// *model.ValidationError, so concurrent uploads cannot both take the last place.
func (s *Service) lockForNewFile(ctx context.Context, tx store.Store, ownerID, projectID int64) error {
	if s.maxFiles <= 0 {
		return tx.LockProject(ctx, ownerID, projectID)
	}
	n, err := tx.LockAndCountFiles(ctx, ownerID, projectID)
	if err != nil {
		return err
	}
	if n >= int64(s.maxFiles) {
		return tooManyFiles(int(n))
	}
	return nil
}

func tooManyFiles(n int) error {
	return model.Invalid("file", fmt.Sprintf("this project already has %d files, the most a project may have (MAX_FILES_PER_PROJECT): delete one first", n))
}

// index attaches an uploaded file to the project's vector store, creating the store on the
// project's first searchable upload, and returns the store id and the file's status. A failure
// does not undo the upload: the file is kept with status failed and the reason, so the row still
// points at a real file, the user sees what happened, and deleting it cleans up everything.
func (s *Service) index(ctx context.Context, ownerID int64, p model.Project, fileID string) (vsID, status, detail string) {
	vsID, err := s.vectorStore(ctx, ownerID, p)
	if err == nil {
		var st string
		if st, err = s.llm.AttachFile(ctx, vsID, fileID); err == nil {
			status, detail = indexStatus(st, "")
			return vsID, status, detail
		}
	}
	s.log.WarnContext(ctx, "file not indexed", "project_id", p.ID, "openai_file_id", fileID,
		"vector_store_id", vsID, "error", err)
	return vsID, model.FileFailed, "The file could not be added to the project's search index: " + userDetail(err) +
		" Delete it and upload it again."
}

// vectorStore returns the project's vector store id, creating the store if the project has none.
// Creation is serialised per project within this process, and the id is claimed in the database
// only if the project still has none, so concurrent first uploads share one store across instances too.
func (s *Service) vectorStore(ctx context.Context, ownerID int64, p model.Project) (string, error) {
	if p.VectorStoreID != "" {
		return p.VectorStoreID, nil
	}
	mu := &s.vsLocks[p.ID%int64(len(s.vsLocks))]
	mu.Lock()
	defer mu.Unlock()
	p, err := s.store.GetProject(ctx, ownerID, p.ID)
	if err != nil || p.VectorStoreID != "" {
		return p.VectorStoreID, err
	}
	id, err := s.llm.CreateVectorStore(ctx, fmt.Sprintf("project-%d", p.ID))
	if err != nil {
		return "", err
	}
	claimed, err := s.store.ClaimProjectVectorStore(ctx, ownerID, p.ID, id)
	if err != nil || !claimed {
		s.discardUpstream(ctx, CleanupArgs{ProjectID: p.ID, VectorStoreID: id})
	}
	if err != nil {
		return "", fmt.Errorf("store vector store id: %w", err)
	}
	if !claimed { // another instance's first upload won: use its store
		p, err := s.store.GetProject(ctx, ownerID, p.ID)
		return p.VectorStoreID, err
	}
	s.log.InfoContext(ctx, "vector store created", "project_id", p.ID, "vector_store_id", id)
	return id, nil
}

// discard removes an uploaded file at OpenAI that will not be recorded (and from the vector store
// when it was attached).
func (s *Service) discard(ctx context.Context, vsID, fileID string) {
	if s.discardUpstream(ctx, CleanupArgs{DetachFrom: vsID, FileIDs: []string{fileID}}) {
		s.log.InfoContext(ctx, "unrecorded upload deleted at OpenAI", "openai_file_id", fileID)
	}
}

// discardUpstream deletes at OpenAI what nothing here points at; what it cannot delete now goes
// to an upstream_cleanup job (no row changes with it: the job is added on its own). If even that
// fails (the database is down), the ids are logged for an operator. true: all deleted now.
func (s *Service) discardUpstream(ctx context.Context, a CleanupArgs) bool {
	left, err := s.deleteUpstream(ctx, a)
	if left.empty() {
		return true
	}
	if qerr := s.store.Enqueue(ctx, left); qerr != nil {
		s.log.ErrorContext(ctx, "left at OpenAI", "openai_file_ids", strings.Join(left.FileIDs, ","),
			"vector_store_id", left.VectorStoreID, "error", err, "enqueue_error", qerr)
		return false
	}
	s.log.WarnContext(ctx, "not deleted at OpenAI yet; a background job retries", "openai_file_ids", strings.Join(left.FileIDs, ","),
		"vector_store_id", left.VectorStoreID, "error", err)
	return false
}

// sourceError turns a failure to read the client's body into what the client should hear.
func (s *Service) sourceError(ctx context.Context, err error) error {
	var verr *model.ValidationError
	switch {
	case errors.Is(err, ErrTooLarge):
		return &TooLargeError{Limit: s.maxBytes}
	case errors.As(err, &verr):
		return err
	case ctx.Err() != nil:
		return ctx.Err() // the client went away
	}
	return model.Invalid("file", "could not be read completely: the upload broke off")
}

// userDetail is an error's text for a user: an upstream error's safe detail, else a generic one.
func userDetail(err error) string {
	var uerr *llm.Error
	if errors.As(err, &uerr) {
		return uerr.Detail()
	}
	return "an internal error occurred."
}

// safeText accepts an upstream indexing error worth showing: a short plain sentence ("The file
// type is not supported."). Anything else (ids, URLs, quoted content) is left out.
var safeText = regexp.MustCompile(`^[A-Za-z0-9 .,;'()_-]{1,200}$`)

// failedDetail is the status_detail of a file OpenAI failed to index.
func failedDetail(lastError string) string {
	if safeText.MatchString(lastError) && !strings.Contains(lastError, "sk-") {
		return "OpenAI could not index the file: " + lastError
	}
	return "OpenAI could not index the file."
}

// source is the client's file as the upload reads it: counted, cut at the size limit, and
// remembering why it failed, so a failure of the client's side is not blamed on OpenAI.
type source struct {
	r      *bufio.Reader
	limit  int64
	n      atomic.Int64
	cancel context.CancelFunc

	mu  sync.Mutex
	err error
}

func (s *source) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if s.n.Add(int64(n)) > s.limit {
		return 0, s.fail(ErrTooLarge)
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return n, s.fail(err)
	}
	return n, err
}

// fail records the first failure and aborts the upload at once.
func (s *source) fail(err error) error {
	s.mu.Lock()
	if s.err == nil {
		s.err = err
	}
	s.mu.Unlock()
	if s.cancel != nil {
		s.cancel()
	}
	return err
}

func (s *source) failure() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

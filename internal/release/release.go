// Package release keeps a project's releases: immutable, numbered snapshots of its bot (the enabled
// prompts in order, the chat settings, the files), one of which is published. The project's editable
// state is the draft; creating a release snapshots the draft and publishes it, and publishing an older
// release rolls back in one step.
package release

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/pmezard/go-difflib/difflib"

	"github.com/chatbot-platform/chatbot/internal/model"
	"github.com/chatbot-platform/chatbot/internal/project"
	"github.com/chatbot-platform/chatbot/internal/store"
	"github.com/chatbot-platform/chatbot/internal/webhook"
)

// MaxNoteChars bounds a release's note (api/openapi.yaml states the same).
const MaxNoteChars = 500

// cacheSize bounds the snapshots kept in memory for chat; when full the cache starts over.
const cacheSize = 1024

// Snapshot is what a release (or the draft) answers with.
type Snapshot = model.Snapshot

// Gate decides whether a draft may become a release (the evaluations check it). AllowRelease returns
// a *model.ConflictError to refuse (the API answers 409 with its detail); any other error fails the
// create. Creating with force skips the gate, and publishing an existing release (a rollback) never
// asks it.
type Gate interface {
	AllowRelease(ctx context.Context, ownerID, projectID int64, draft Snapshot) error
}

// Service is the release logic. Every method is scoped by the caller's user id.
type Service struct {
	store  store.Store
	log    *slog.Logger
	events *webhook.Service // release.published; nil: none
	gate   Gate

	mu    sync.Mutex
	cache map[cacheKey]Snapshot
}

type cacheKey struct{ project, number int64 }

// NewService returns the release service.
func NewService(st store.Store, log *slog.Logger) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{store: st, log: log, cache: map[cacheKey]Snapshot{}}
}

// EmitTo makes the service record release.published through e.
func (s *Service) EmitTo(e *webhook.Service) { s.events = e }

// SetGate makes Create ask g before a release is made (nil: no gate). Call it before the service is used.
func (s *Service) SetGate(g Gate) { s.gate = g }

// Draft snapshots the project's editable state: its enabled prompts in order, its chat settings and
// its files. Returns store.ErrNotFound for a project that is not the owner's.
func (s *Service) Draft(ctx context.Context, ownerID, projectID int64) (Snapshot, error) {
	return draft(ctx, s.store, ownerID, projectID)
}

func draft(ctx context.Context, st store.Store, ownerID, projectID int64) (Snapshot, error) {
	p, err := st.GetProject(ctx, ownerID, projectID)
	if err != nil {
		return Snapshot{}, err
	}
	prompts, err := st.ListPrompts(ctx, ownerID, projectID)
	if err != nil {
		return Snapshot{}, err
	}
	files, err := st.ListFiles(ctx, ownerID, projectID)
	if err != nil {
		return Snapshot{}, err
	}
	snap := Snapshot{Model: p.Model, Temperature: p.Temperature, MaxOutputTokens: p.MaxOutputTokens,
		Prompts: []model.SnapshotPrompt{}, Files: make([]model.SnapshotFile, 0, len(files))}
	for _, pr := range prompts {
		if pr.Enabled {
			snap.Prompts = append(snap.Prompts, model.SnapshotPrompt{Name: pr.Name, Content: pr.Content})
		}
	}
	for _, f := range files {
		snap.Files = append(snap.Files, model.SnapshotFile{ID: f.ID, Filename: f.Filename, OpenAIFileID: f.OpenAIFileID})
	}
	return snap, nil
}

// SystemPrompt is the system prompt a snapshot sends, exactly as the draft with the same prompts would.
func SystemPrompt(s Snapshot) string {
	prompts := make([]model.Prompt, len(s.Prompts))
	for i, p := range s.Prompts {
		prompts[i] = model.Prompt{Name: p.Name, Content: p.Content, Enabled: true}
	}
	return project.SystemPrompt(prompts)
}

// Create snapshots the draft as the project's next release, with note, and publishes it, in one
// transaction that also records release.published. Unless force, the gate (when set) is asked first.
// Returns *model.ValidationError, *model.ConflictError (the gate refused) or *model.NotFoundError.
func (s *Service) Create(ctx context.Context, ownerID, projectID int64, note string, force bool) (model.Release, error) {
	note = strings.TrimSpace(note)
	if err := model.CheckText("note", note); err != nil {
		return model.Release{}, err
	}
	if utf8.RuneCountInString(note) > MaxNoteChars {
		return model.Release{}, model.Invalid("note", fmt.Sprintf("must be at most %d characters", MaxNoteChars))
	}
	if s.gate != nil && !force {
		snap, err := s.Draft(ctx, ownerID, projectID)
		if err != nil {
			return model.Release{}, projectNotFound(err)
		}
		if err := s.gate.AllowRelease(ctx, ownerID, projectID, snap); err != nil {
			return model.Release{}, err
		}
	}
	var out model.Release
	err := s.store.InTx(ctx, func(tx store.Store) error {
		if err := tx.LockProject(ctx, ownerID, projectID); err != nil {
			return err
		}
		// The snapshot is taken under the project's lock: what is released is what the draft is now.
		snap, err := draft(ctx, tx, ownerID, projectID)
		if err != nil {
			return err
		}
		p, err := tx.GetProject(ctx, ownerID, projectID)
		if err != nil {
			return err
		}
		n, err := tx.NextReleaseNumber(ctx, projectID)
		if err != nil {
			return err
		}
		if out, err = tx.CreateRelease(ctx, ownerID, model.Release{ProjectID: projectID, Number: n, Note: note, Snapshot: snap}); err != nil {
			return err
		}
		return s.publish(ctx, tx, ownerID, p, out)
	})
	if err != nil {
		return model.Release{}, projectNotFound(err)
	}
	s.log.InfoContext(ctx, "release created", "project_id", projectID, "release", out.Number, "forced", force && s.gate != nil)
	return out, nil
}

// publish makes r the project's published release and records release.published, inside tx.
func (s *Service) publish(ctx context.Context, tx store.Store, ownerID int64, p model.Project, r model.Release) error {
	if err := tx.SetPublishedRelease(ctx, ownerID, p.ID, &r.Number); err != nil {
		return err
	}
	return s.events.Emit(ctx, tx, p.ID, webhook.ReleasePublished, publishedEvent{
		Number: r.Number, Note: r.Note, Previous: p.PublishedRelease, PublishedAt: store.Now()})
}

// publishedEvent is release.published's data.
type publishedEvent struct {
	Number      int64     `json:"number"`
	Note        string    `json:"note"`
	Previous    *int64    `json:"previous"` // the release published before; null: none (the draft answered)
	PublishedAt time.Time `json:"published_at"`
}

// Publish makes an existing release the published one (a rollback, or forward again), in one
// transaction with its release.published event; it is never gated. Publishing the release already
// published changes nothing. Returns *model.NotFoundError (no such project or release).
func (s *Service) Publish(ctx context.Context, ownerID, projectID, number int64) (model.Release, error) {
	var out model.Release
	err := s.store.InTx(ctx, func(tx store.Store) error {
		if err := tx.LockProject(ctx, ownerID, projectID); err != nil {
			return err
		}
		p, err := tx.GetProject(ctx, ownerID, projectID)
		if err != nil {
			return err
		}
		if out, err = tx.GetRelease(ctx, ownerID, projectID, number); err != nil {
			return releaseNotFound(err)
		}
		if p.PublishedRelease != nil && *p.PublishedRelease == number {
			return nil
		}
		return s.publish(ctx, tx, ownerID, p, out)
	})
	if err != nil {
		return model.Release{}, projectNotFound(err)
	}
	s.log.InfoContext(ctx, "release published", "project_id", projectID, "release", number)
	return out, nil
}

// List returns the project's releases, newest first, and the project (its PublishedRelease says
// which one is published). Returns *model.NotFoundError.
func (s *Service) List(ctx context.Context, ownerID, projectID int64) ([]model.Release, model.Project, error) {
	p, err := s.store.GetProject(ctx, ownerID, projectID)
	if err != nil {
		return nil, p, projectNotFound(err)
	}
	rs, err := s.store.ListReleases(ctx, ownerID, projectID)
	return rs, p, err
}

// Get returns one release and its project. Returns *model.NotFoundError (no such project or release).
func (s *Service) Get(ctx context.Context, ownerID, projectID, number int64) (model.Release, model.Project, error) {
	p, err := s.store.GetProject(ctx, ownerID, projectID)
	if err != nil {
		return model.Release{}, p, projectNotFound(err)
	}
	r, err := s.store.GetRelease(ctx, ownerID, projectID, number)
	if err != nil {
		return r, p, releaseNotFound(err)
	}
	return r, p, nil
}

// Snapshot returns a release's snapshot for chat. Releases do not change (a forced file deletion
// only edits their file lists, which chat does not read), so snapshots are kept in memory: a chat
// answered by a release reads no more than one by the draft. The caller has checked the project is
// the owner's. Returns *model.NotFoundError.
func (s *Service) Snapshot(ctx context.Context, ownerID, projectID, number int64) (Snapshot, error) {
	k := cacheKey{projectID, number}
	s.mu.Lock()
	snap, ok := s.cache[k]
	s.mu.Unlock()
	if ok {
		return snap, nil
	}
	r, err := s.store.GetRelease(ctx, ownerID, projectID, number)
	if err != nil {
		return Snapshot{}, releaseNotFound(err)
	}
	s.mu.Lock()
	if len(s.cache) >= cacheSize {
		clear(s.cache)
	}
	s.cache[k] = r.Snapshot
	s.mu.Unlock()
	return r.Snapshot, nil
}

// projectNotFound names the project in a store.ErrNotFound (the routes' last parameter is the release's).
func projectNotFound(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return &model.NotFoundError{What: "project"}
	}
	return err
}

func releaseNotFound(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return &model.NotFoundError{What: "release"}
	}
	return err
}

// CheckFileDelete refuses (a *model.ConflictError naming the release) to delete a file the published
// release uses, unless force. Part of file.Guard.
func (s *Service) CheckFileDelete(ctx context.Context, ownerID int64, f model.File, force bool) error {
	if force {
		return nil
	}
	p, err := s.store.GetProject(ctx, ownerID, f.ProjectID)
	if err != nil || p.PublishedRelease == nil {
		return err
	}
	r, err := s.store.GetRelease(ctx, ownerID, p.ID, *p.PublishedRelease)
	if err != nil {
		return err
	}
	if slices.ContainsFunc(r.Snapshot.Files, func(rf model.SnapshotFile) bool { return rf.ID == f.ID }) {
		return &model.ConflictError{Detail: fmt.Sprintf("file %q is part of release %d, the published one: publish a release without it first "+
			"(or roll back to one), or delete it with ?force=true, which removes it from every release", f.Filename, r.Number)}
	}
	return nil
}

// RemoveFile takes a file being deleted out of every release of its project that has it, each of
// which then lists it in RemovedFiles; inside tx, the transaction that deletes the file. Part of
// file.Guard.
func (s *Service) RemoveFile(ctx context.Context, tx store.Store, ownerID int64, f model.File) error {
	rs, err := tx.ListReleases(ctx, ownerID, f.ProjectID)
	if err != nil {
		return err
	}
	for _, r := range rs {
		i := slices.IndexFunc(r.Snapshot.Files, func(rf model.SnapshotFile) bool { return rf.ID == f.ID })
		if i < 0 {
			continue
		}
		r.RemovedFiles = append(r.RemovedFiles, r.Snapshot.Files[i])
		r.Snapshot.Files = slices.Delete(r.Snapshot.Files, i, i+1)
		if err := tx.SetReleaseFiles(ctx, ownerID, r); err != nil {
			return err
		}
		s.mu.Lock()
		delete(s.cache, cacheKey{r.ProjectID, r.Number})
		s.mu.Unlock()
	}
	return nil
}

// Diff is what changes from one snapshot to another.
type Diff struct {
	// SystemPrompt is a unified line diff of the system prompts ("" when they are equal).
	SystemPrompt string
	Settings     []SettingChange
	// FilesAdded are in the second snapshot only, FilesRemoved in the first only.
	FilesAdded, FilesRemoved []model.SnapshotFile
}

// SettingChange is one chat setting that differs, as text.
type SettingChange struct {
	Name, From, To string
}

// Compare is the diff from snapshot a (named aName) to b (named bName).
func Compare(a, b Snapshot, aName, bName string) Diff {
	d := Diff{Settings: []SettingChange{}, FilesAdded: []model.SnapshotFile{}, FilesRemoved: []model.SnapshotFile{}}
	from, to := SystemPrompt(a), SystemPrompt(b)
	if from != to {
		// Writing into a strings.Builder cannot fail.
		d.SystemPrompt, _ = difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
			A: difflib.SplitLines(from + "\n"), B: difflib.SplitLines(to + "\n"), FromFile: aName, ToFile: bName, Context: 3,
		})
	}
	setting := func(name, x, y string) {
		if x != y {
			d.Settings = append(d.Settings, SettingChange{Name: name, From: x, To: y})
		}
	}
	setting("model", a.Model, b.Model)
	setting("temperature", strconv.FormatFloat(a.Temperature, 'g', -1, 64), strconv.FormatFloat(b.Temperature, 'g', -1, 64))
	setting("max_output_tokens", strconv.FormatInt(a.MaxOutputTokens, 10), strconv.FormatInt(b.MaxOutputTokens, 10))
	has := func(fs []model.SnapshotFile, id int64) bool {
		return slices.ContainsFunc(fs, func(f model.SnapshotFile) bool { return f.ID == id })
	}
	for _, f := range b.Files {
		if !has(a.Files, f.ID) {
			d.FilesAdded = append(d.FilesAdded, f)
		}
	}
	for _, f := range a.Files {
		if !has(b.Files, f.ID) {
			d.FilesRemoved = append(d.FilesRemoved, f)
		}
	}
	return d
}

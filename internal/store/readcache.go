package store

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chatbot-platform/chatbot/internal/model"
)

// ReadCache is a Store that keeps in memory the rows nearly every request reads: a session with its
// user (every signed-in request), a user's projects, a project and its prompts (every chat). Those
// requests then skip up to three queries.
//
// Any write that could change a kept row, made through this Store or a transaction it began, drops
// everything kept once it is committed: such writes (signing out, editing an account, a project or its
// prompts) are rare next to the reads. A read that began before a drop keeps nothing, so it cannot put
// back a row older than the write.
//
// It is right only where this process makes every write: SQLite, which one server owns. On
// PostgreSQL other instances write too and nothing would tell this one, so the app does not use it there.
type ReadCache struct {
	Store
	kept *kept
	tx   *atomic.Bool // inside a transaction: set by a write, which drops the kept rows after the commit
}

// NewReadCache wraps s.
func NewReadCache(s Store) *ReadCache {
	return &ReadCache{Store: s, kept: &kept{}}
}

// What each kind of kept rows may hold; when one more would not fit, that kind starts over.
const (
	maxKeptRows        = 10_000   // sessions, projects: rows; project lists: projects in them
	maxKeptPromptBytes = 16 << 20 // prompts: their names and contents
)

type kept struct {
	mu         sync.Mutex
	generation uint64 // counts drops: a read that saw another generation keeps nothing
	sessions   shelf[sessionUser]
	projects   shelf[model.Project]
	lists      shelf[[]model.Project] // ListProjects by owner (and 0)
	prompts    shelf[[]model.Prompt]
}

// shelf is one kind of kept rows, with what they cost against their limit.
type shelf[V any] struct {
	rows map[[2]int64]V
	used int
}

type sessionUser struct {
	user    model.User
	session model.Session
}

func (k *kept) drop() {
	k.mu.Lock()
	k.generation++
	k.sessions, k.projects, k.lists, k.prompts = shelf[sessionUser]{}, shelf[model.Project]{}, shelf[[]model.Project]{}, shelf[[]model.Prompt]{}
	k.mu.Unlock()
}

// load returns the row kept on s under key, or reads it and keeps it unless a drop happened
// meanwhile. cost is what the row counts against limit.
func load[V any](k *kept, s *shelf[V], key [2]int64, limit int, cost func(V) int, read func() (V, error)) (V, error) {
	k.mu.Lock()
	v, ok := s.rows[key]
	generation := k.generation
	k.mu.Unlock()
	if ok {
		return v, nil
	}
	v, err := read()
	if err != nil {
		return v, err
	}
	c := cost(v)
	k.mu.Lock()
	if k.generation == generation && c <= limit {
		if s.rows == nil || s.used+c > limit {
			s.rows, s.used = make(map[[2]int64]V), 0
		}
		s.rows[key] = v
		s.used += c
	}
	k.mu.Unlock()
	return v, nil
}

func one[V any](V) int { return 1 }

func (c *ReadCache) SessionUser(ctx context.Context, userID, sessionID int64) (model.User, model.Session, error) {
	if c.tx != nil {
		return c.Store.SessionUser(ctx, userID, sessionID)
	}
	su, err := load(c.kept, &c.kept.sessions, [2]int64{userID, sessionID}, maxKeptRows, one, func() (sessionUser, error) {
		u, s, err := c.Store.SessionUser(ctx, userID, sessionID)
		return sessionUser{u, s}, err
	})
	return su.user, su.session, err
}

func (c *ReadCache) GetProject(ctx context.Context, ownerID, id int64) (model.Project, error) {
	if c.tx != nil {
		return c.Store.GetProject(ctx, ownerID, id)
	}
	return load(c.kept, &c.kept.projects, [2]int64{ownerID, id}, maxKeptRows, one, func() (model.Project, error) {
		return c.Store.GetProject(ctx, ownerID, id)
	})
}

func (c *ReadCache) ListProjects(ctx context.Context, ownerID int64) ([]model.Project, error) {
	if c.tx != nil {
		return c.Store.ListProjects(ctx, ownerID)
	}
	ps, err := load(c.kept, &c.kept.lists, [2]int64{ownerID, 0}, maxKeptRows, func(ps []model.Project) int { return 1 + len(ps) }, func() ([]model.Project, error) {
		return c.Store.ListProjects(ctx, ownerID)
	})
	return slices.Clone(ps), err // the caller may change its copy
}

func (c *ReadCache) ListPrompts(ctx context.Context, ownerID, projectID int64) ([]model.Prompt, error) {
	if c.tx != nil {
		return c.Store.ListPrompts(ctx, ownerID, projectID)
	}
	ps, err := load(c.kept, &c.kept.prompts, [2]int64{ownerID, projectID}, maxKeptPromptBytes, promptBytes, func() ([]model.Prompt, error) {
		return c.Store.ListPrompts(ctx, ownerID, projectID)
	})
	return slices.Clone(ps), err // the caller may change its copy
}

func promptBytes(ps []model.Prompt) int {
	n := 64
	for _, p := range ps {
		n += 64 + len(p.Name) + len(p.Content)
	}
	return n
}

// InTx runs fn with a ReadCache over the transaction: it reads past the kept rows (they may be older
// than the transaction's own writes), and its writes drop them once it has ended.
func (c *ReadCache) InTx(ctx context.Context, fn func(Store) error) error {
	if c.tx != nil {
		return c.Store.InTx(ctx, func(tx Store) error { return fn(&ReadCache{Store: tx, kept: c.kept, tx: c.tx}) })
	}
	wrote := new(atomic.Bool)
	err := c.Store.InTx(ctx, func(tx Store) error { return fn(&ReadCache{Store: tx, kept: c.kept, tx: wrote}) })
	if wrote.Load() {
		c.kept.drop()
	}
	return err
}

// PoolStats reports the wrapped store's pools, when it has any.
func (c *ReadCache) PoolStats() []PoolStats {
	if p, ok := c.Store.(Pooled); ok {
		return p.PoolStats()
	}
	return nil
}

// changed follows every write that may change a kept row: at once outside a transaction (the write has
// committed), after the commit inside one.
func (c *ReadCache) changed() {
	if c.tx != nil {
		c.tx.Store(true)
		return
	}
	c.kept.drop()
}

// The writes that change what SessionUser, GetProject, ListProjects or ListPrompts return, directly or
// by cascade. TestReadCacheCoversEveryStoreMethod lists every other Store method as leaving them alone
// (among them TouchSession: a kept session's last use may be older than stored, and LastUsed still
// writes it at most once a minute per session).

func (c *ReadCache) SetPasswordHash(ctx context.Context, userID int64, passwordHash string) error {
	defer c.changed()
	return c.Store.SetPasswordHash(ctx, userID, passwordHash)
}

func (c *ReadCache) DeleteUser(ctx context.Context, id int64) error {
	defer c.changed()
	return c.Store.DeleteUser(ctx, id)
}

func (c *ReadCache) SetDisplayName(ctx context.Context, userID int64, name string) (model.User, error) {
	defer c.changed()
	return c.Store.SetDisplayName(ctx, userID, name)
}

func (c *ReadCache) SetEmailVerified(ctx context.Context, userID int64, email string, t time.Time) (bool, error) {
	defer c.changed()
	return c.Store.SetEmailVerified(ctx, userID, email, t)
}

func (c *ReadCache) DeleteSession(ctx context.Context, userID, id int64) error {
	defer c.changed()
	return c.Store.DeleteSession(ctx, userID, id)
}

func (c *ReadCache) DeleteSessions(ctx context.Context, userID, exceptID int64) error {
	defer c.changed()
	return c.Store.DeleteSessions(ctx, userID, exceptID)
}

func (c *ReadCache) EnableTOTP(ctx context.Context, userID int64, secret string, step int64, recoveryHashes []string) error {
	defer c.changed()
	return c.Store.EnableTOTP(ctx, userID, secret, step, recoveryHashes)
}

func (c *ReadCache) DisableTOTP(ctx context.Context, userID int64) error {
	defer c.changed()
	return c.Store.DisableTOTP(ctx, userID)
}

func (c *ReadCache) CreateProject(ctx context.Context, p model.Project) (model.Project, error) {
	defer c.changed()
	return c.Store.CreateProject(ctx, p)
}

func (c *ReadCache) UpdateProject(ctx context.Context, p model.Project) (model.Project, error) {
	defer c.changed()
	return c.Store.UpdateProject(ctx, p)
}

func (c *ReadCache) SetProjectVectorStore(ctx context.Context, ownerID, id int64, vectorStoreID string) error {
	defer c.changed()
	return c.Store.SetProjectVectorStore(ctx, ownerID, id, vectorStoreID)
}

func (c *ReadCache) ClaimProjectVectorStore(ctx context.Context, ownerID, id int64, vectorStoreID string) (bool, error) {
	defer c.changed()
	return c.Store.ClaimProjectVectorStore(ctx, ownerID, id, vectorStoreID)
}

func (c *ReadCache) DeleteProject(ctx context.Context, ownerID, id int64) error {
	defer c.changed()
	return c.Store.DeleteProject(ctx, ownerID, id)
}

func (c *ReadCache) SetPublishedRelease(ctx context.Context, ownerID, projectID int64, number *int64) error {
	defer c.changed()
	return c.Store.SetPublishedRelease(ctx, ownerID, projectID, number)
}

func (c *ReadCache) SetProjectBudget(ctx context.Context, ownerID, id int64, microUSD, tokens *int64) (model.Project, error) {
	defer c.changed()
	return c.Store.SetProjectBudget(ctx, ownerID, id, microUSD, tokens)
}

func (c *ReadCache) CreatePrompt(ctx context.Context, ownerID int64, p model.Prompt) (model.Prompt, error) {
	defer c.changed()
	return c.Store.CreatePrompt(ctx, ownerID, p)
}

func (c *ReadCache) UpdatePrompt(ctx context.Context, ownerID int64, p model.Prompt) (model.Prompt, error) {
	defer c.changed()
	return c.Store.UpdatePrompt(ctx, ownerID, p)
}

func (c *ReadCache) DeletePrompt(ctx context.Context, ownerID, id int64) error {
	defer c.changed()
	return c.Store.DeletePrompt(ctx, ownerID, id)
}

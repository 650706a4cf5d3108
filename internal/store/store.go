// Package store defines the persistence the platform needs, shaped by its domain. The postgres and
// sqlite packages implement it over sqlc-generated queries; storetest checks both behave alike.
//
// Every method that touches a project or something a project owns takes the caller's user id and
// treats another user's row exactly like a missing one (ErrNotFound).
package store

import (
	"context"
	"errors"
	"time"

	"github.com/chatbot-platform/chatbot/internal/model"
)

var (
	// ErrNotFound: no such row for this owner.
	ErrNotFound = errors.New("not found")
	// ErrConflict: a unique constraint was violated (e.g. the email is taken).
	ErrConflict = errors.New("conflict")
)

// Store is the platform's persistence.
type Store interface {
	// Ping checks the database answers.
	Ping(ctx context.Context) error
	// InTx runs fn in one transaction; it commits when fn returns nil and rolls back otherwise.
	InTx(ctx context.Context, fn func(Store) error) error
	// Close releases the connections.
	Close()

	CreateUser(ctx context.Context, email, passwordHash string) (model.User, error) // ErrConflict
	GetUserByEmail(ctx context.Context, email string) (model.User, error)
	GetUserByID(ctx context.Context, id int64) (model.User, error)
	SetPasswordHash(ctx context.Context, userID int64, passwordHash string) error
	DeleteUser(ctx context.Context, id int64) error

	// CreateProject stores p's OwnerID, Name, Model, Temperature and MaxOutputTokens.
	CreateProject(ctx context.Context, p model.Project) (model.Project, error)
	GetProject(ctx context.Context, ownerID, id int64) (model.Project, error)
	// ListProjects returns the owner's projects, oldest first, with what a listing shows: no vector
	// store, budgets or UpdatedAt (GetProject has everything).
	ListProjects(ctx context.Context, ownerID int64) ([]model.Project, error)
	// UpdateProject stores p's Name, Model, Temperature and MaxOutputTokens.
	UpdateProject(ctx context.Context, p model.Project) (model.Project, error)
	SetProjectVectorStore(ctx context.Context, ownerID, id int64, vectorStoreID string) error
	// ClaimProjectVectorStore sets the project's vector store only if it has none yet; claimed is false
	// when another request (or instance) set one first. Returns ErrNotFound.
	ClaimProjectVectorStore(ctx context.Context, ownerID, id int64, vectorStoreID string) (claimed bool, err error)
	DeleteProject(ctx context.Context, ownerID, id int64) error

	// NextPromptPosition is one past the project's highest prompt position (0 for none).
	NextPromptPosition(ctx context.Context, projectID int64) (int64, error)
	CreatePrompt(ctx context.Context, ownerID int64, p model.Prompt) (model.Prompt, error)
	GetPrompt(ctx context.Context, ownerID, id int64) (model.Prompt, error)
	// ListPrompts returns the project's prompts by position, then id.
	ListPrompts(ctx context.Context, ownerID, projectID int64) ([]model.Prompt, error)
	// PagePrompts is one page of ListPrompts: after p.After's (Position, ID).
	PagePrompts(ctx context.Context, ownerID, projectID int64, p Page) ([]model.Prompt, error)
	UpdatePrompt(ctx context.Context, ownerID int64, p model.Prompt) (model.Prompt, error)
	DeletePrompt(ctx context.Context, ownerID, id int64) error

	CreateFile(ctx context.Context, ownerID int64, f model.File) (model.File, error)
	GetFile(ctx context.Context, ownerID, id int64) (model.File, error)
	ListFiles(ctx context.Context, ownerID, projectID int64) ([]model.File, error)
	// PageFiles is one page of ListFiles (oldest first): after p.After's ID.
	PageFiles(ctx context.Context, ownerID, projectID int64, p Page) ([]model.File, error)
	SetFileStatus(ctx context.Context, ownerID, id int64, status, detail string) error
	DeleteFile(ctx context.Context, ownerID, id int64) error

	// CreateConversation stores c's ProjectID, Title, KeyID and EndUser.
	CreateConversation(ctx context.Context, ownerID int64, c model.Conversation) (model.Conversation, error)
	GetConversation(ctx context.Context, ownerID, id int64) (model.Conversation, error)
	// ListConversations returns one page of the project's conversations, most recently active first,
	// filtered by f: after p.After's (Time, ID), the last row of the page before.
	ListConversations(ctx context.Context, ownerID, projectID int64, f ConversationFilter, p Page) ([]model.Conversation, error)
	DeleteConversation(ctx context.Context, ownerID, id int64) error
	// AddMessages stores msgs, in order, in one conversation (msgs[0]'s), and marks it active at their
	// time. The caller has checked that the conversation is the user's.
	AddMessages(ctx context.Context, msgs ...model.Message) ([]model.Message, error)
	// ListMessages returns one page of a conversation's messages, oldest first: after p.After's ID.
	ListMessages(ctx context.Context, ownerID, conversationID int64, p Page) ([]model.Message, error)
	// RecentMessages returns the newest messages of a conversation whose contents add up to at most
	// maxChars characters, oldest first: the history a chat turn can send, and no more.
	RecentMessages(ctx context.Context, ownerID, conversationID int64, maxChars int) ([]model.Message, error)

	// CreateKey stores k (Hash, Prefix and IdentitySecret made by the caller) for one of the owner's projects.
	CreateKey(ctx context.Context, ownerID int64, k model.APIKey) (model.APIKey, error)
	// GetKey, ListKeys, UpdateKey, SetKeyIdentitySecret and RevokeKey see live (unrevoked) keys only.
	GetKey(ctx context.Context, ownerID, id int64) (model.APIKey, error)
	ListKeys(ctx context.Context, ownerID, projectID int64) ([]model.APIKey, error)
	// UpdateKey stores k's Name, Scopes, AllowedOrigins, ExpiresAt, RateLimitPerMinute, RequireSignedUser
	// and VisitorMessagesPerDay.
	UpdateKey(ctx context.Context, ownerID int64, k model.APIKey) (model.APIKey, error)
	SetKeyIdentitySecret(ctx context.Context, ownerID, id int64, secret string) error
	RevokeKey(ctx context.Context, ownerID, id int64) error
	// KeyByHash finds a live key by its hash, with its project's owner. Returns ErrNotFound.
	KeyByHash(ctx context.Context, hash string) (model.APIKey, error)
	// TouchKey records that a key was used at t.
	TouchKey(ctx context.Context, id int64, t time.Time) error
	// CountEndUserMessages counts the messages an end user of a key sent since a time.
	CountEndUserMessages(ctx context.Context, keyID int64, endUser string, since time.Time) (int64, error)

	// SetProjectBudget sets (nil: clears) a project's monthly budgets. Returns ErrNotFound.
	SetProjectBudget(ctx context.Context, ownerID, id int64, microUSD, tokens *int64) (model.Project, error)
	AddUsageEvent(ctx context.Context, e model.UsageEvent) error
	// ListUsageEvents returns a project's ledger in [since, until), oldest first, with key names.
	ListUsageEvents(ctx context.Context, ownerID, projectID int64, since, until time.Time) ([]model.UsageEvent, error)
	// SumUsage totals the tokens and cost of a project's ledger since a time, narrowed to a key and an
	// end user when given.
	SumUsage(ctx context.Context, projectID int64, since time.Time, keyID *int64, endUser *string) (tokens, microUSD int64, err error)
	// GetBudgetCounter returns ErrNotFound before a period's first reservation.
	GetBudgetCounter(ctx context.Context, scope, period string) (model.BudgetCounter, error)
	// ReserveBudget adds c's Reserved* to its period's counter unless the budget is spent (spent plus
	// reserved at c's limits), in one statement; ok is false when it was spent, and the error
	// ErrNotFound when the period has no counter yet (see SeedBudget).
	ReserveBudget(ctx context.Context, c model.BudgetCounter) (out model.BudgetCounter, ok bool, err error)
	// SeedBudget is ReserveBudget for a period's first reservation: it creates the counter with c's
	// Spent* as what was spent so far (or, if another request created it meanwhile, reserves in it).
	SeedBudget(ctx context.Context, c model.BudgetCounter) (out model.BudgetCounter, ok bool, err error)
	// SettleBudget adds what a request spent and removes what it had reserved.
	SettleBudget(ctx context.Context, scope, period string, spentTokens, spentMicroUSD, reservedTokens, reservedMicroUSD int64) (model.BudgetCounter, error)
}

// Page asks for at most Limit rows of a list, in the list's order, after the row After names (the zero
// Cursor: from the start).
type Page struct {
	Limit int
	After Cursor
}

// Cursor names a row of a list by its sort key: ID always, with Position for prompts and Time
// (updated_at) for conversations.
type Cursor struct {
	ID       int64     `json:"i,omitempty"`
	Position int64     `json:"p,omitempty"`
	Time     time.Time `json:"t,omitzero"`
}

// ConversationFilter narrows ListConversations; nil fields match everything, EndUser "" matches
// conversations without an end user.
type ConversationFilter struct {
	KeyID   *int64
	EndUser *string
}

// EndOfTime sorts after every stored time: the start of a newest-first list.
var EndOfTime = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)

// Now is the time the adapters stamp rows with: UTC, at the microsecond precision both engines keep.
func Now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// NowPtr is Now, for nullable columns.
func NowPtr() *time.Time {
	t := Now()
	return &t
}

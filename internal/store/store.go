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
	UpdatePrompt(ctx context.Context, ownerID int64, p model.Prompt) (model.Prompt, error)
	DeletePrompt(ctx context.Context, ownerID, id int64) error

	CreateFile(ctx context.Context, ownerID int64, f model.File) (model.File, error)
	GetFile(ctx context.Context, ownerID, id int64) (model.File, error)
	ListFiles(ctx context.Context, ownerID, projectID int64) ([]model.File, error)
	SetFileStatus(ctx context.Context, ownerID, id int64, status, detail string) error
	DeleteFile(ctx context.Context, ownerID, id int64) error

	CreateConversation(ctx context.Context, ownerID, projectID int64, title string) (model.Conversation, error)
	GetConversation(ctx context.Context, ownerID, id int64) (model.Conversation, error)
	// ListConversations returns the project's conversations, most recently active first.
	ListConversations(ctx context.Context, ownerID, projectID int64) ([]model.Conversation, error)
	DeleteConversation(ctx context.Context, ownerID, id int64) error
	// AddMessages stores msgs, in order, in one conversation (msgs[0]'s), and marks it active at their
	// time. The caller has checked that the conversation is the user's.
	AddMessages(ctx context.Context, msgs ...model.Message) ([]model.Message, error)
	// ListMessages returns a conversation's messages, oldest first.
	ListMessages(ctx context.Context, ownerID, conversationID int64) ([]model.Message, error)
}

// Now is the time the adapters stamp rows with: UTC, at the microsecond precision both engines keep.
func Now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

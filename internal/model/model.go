// Package model holds the platform's plain domain types. It imports nothing internal.
package model

import "time"

// User is an account. PasswordHash is in passlib's pbkdf2-sha256 format.
type User struct {
	ID           int64
	Email        string
	PasswordHash string
	CreatedAt    time.Time
}

// Project is a user's chatbot with its chat settings.
type Project struct {
	ID              int64
	OwnerID         int64
	Name            string
	Model           string
	Temperature     float64
	MaxOutputTokens int64
	VectorStoreID   string // empty until the first file upload
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// Prompt is one piece of a project's system prompt.
type Prompt struct {
	ID        int64
	ProjectID int64
	Name      string
	Content   string
	Position  int64
	Enabled   bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

// File is a knowledge file stored at OpenAI for a project.
type File struct {
	ID           int64
	ProjectID    int64
	Filename     string
	OpenAIFileID string
	Size         int64
	ContentType  string
	Status       string // in_progress, completed, failed, unsupported
	StatusDetail string
	CreatedAt    time.Time
}

// File indexing statuses.
const (
	FileInProgress  = "in_progress"
	FileCompleted   = "completed"
	FileFailed      = "failed"
	FileUnsupported = "unsupported"
)

// Conversation is one chat session with a project's bot.
type Conversation struct {
	ID        int64
	ProjectID int64
	Title     string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Message roles.
const (
	RoleUser      = "user"
	RoleAssistant = "assistant"
)

// Message is one turn of a conversation. The pointer fields are set on assistant messages only.
type Message struct {
	ID             int64
	ConversationID int64
	Role           string
	Content        string
	Model          *string
	InputTokens    *int64
	OutputTokens   *int64
	LatencyMS      *int64
	Incomplete     bool
	Citations      []Citation
	CreatedAt      time.Time
}

// Citation points at the part of a project file an answer used.
type Citation struct {
	OpenAIFileID string `json:"openai_file_id"`
	FileID       *int64 `json:"file_id,omitempty"`
	Filename     string `json:"filename"`
	Quote        string `json:"quote,omitempty"`
}

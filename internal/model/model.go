// Package model holds the platform's plain domain types. It imports nothing internal.
package model

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"
)

// User is an account. PasswordHash is in passlib's pbkdf2-sha256 format.
type User struct {
	ID           int64
	Email        string
	PasswordHash string
	DisplayName  string // "" until the user sets one
	CreatedAt    time.Time
	MFAEnabled   bool // two-factor sign-in (TOTP) is on
	// EmailVerifiedAt is when the user followed a link mailed to Email; nil until then.
	EmailVerifiedAt *time.Time
}

// Purposes of an EmailToken.
const (
	PurposeVerifyEmail   = "verify_email"
	PurposeResetPassword = "reset_password"
)

// EmailToken is a single-use link mailed to a user: its SHA-256 (the link itself is never stored),
// what it does, and the address it was sent to.
type EmailToken struct {
	Hash      []byte
	UserID    int64
	Purpose   string
	Email     string
	ExpiresAt time.Time
}

// TOTP is a user's authenticator-app set-up: Secret (base32) is pending until Enabled; LastStep is the
// time step of the last accepted code (none is accepted at or before it).
type TOTP struct {
	Secret   string
	Enabled  bool
	LastStep int64
}

// Session is one sign-in of a user: its access tokens name it, and end with it.
type Session struct {
	ID         int64
	UserID     int64
	CreatedAt  time.Time
	LastSeenAt time.Time
	IP         string
	UserAgent  string
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
	// Budgets per calendar month (UTC); nil: none.
	BudgetMonthlyMicroUSD *int64
	BudgetMonthlyTokens   *int64
	// CustomPrice prices the project's model when the price table lacks it; nil: none.
	CustomPrice *Price
	// PublishedRelease is the number of the release its keys, widget and OpenAI-compatible endpoint
	// answer with; nil: none yet (they answer with the draft).
	PublishedRelease *int64
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// Price is what a model costs, in micro-USD per million tokens.
type Price struct {
	Input, CachedInput, Output int64
}

// UsageEvent is one upstream call (or budget refusal) in the usage ledger.
type UsageEvent struct {
	CreatedAt         time.Time
	ProjectID         int64
	KeyID             *int64
	KeyName           string // filled in when read
	EndUser           string
	ConversationID    *int64
	Operation         string // chat, stream, completion
	Model             string
	InputTokens       int64
	CachedInputTokens int64
	OutputTokens      int64
	LatencyMS         int64
	TTFTMS            *int64 // streams: time to the first token
	Outcome           string // ok, budget, or the error kind
	CostMicroUSD      int64
}

// BudgetCounter is the spend against one budget in one period: settled, reserved by requests in flight,
// and the limits in force (math.MaxInt64 for a dimension without one).
type BudgetCounter struct {
	Scope, Period                    string
	SpentTokens, SpentMicroUSD       int64
	ReservedTokens, ReservedMicroUSD int64
	LimitTokens, LimitMicroUSD       int64
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

// Conversation is one chat session with a project's bot. KeyID and EndUser say who started it through a
// project key (nil and "" for the owner's own chats); KeyName is that key's name.
type Conversation struct {
	ID        int64
	ProjectID int64
	Title     string
	KeyID     *int64
	KeyName   string
	EndUser   string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Key kinds: secret keys are for servers, publishable keys for the widget in visitors' browsers.
const (
	KeySecret      = "secret"
	KeyPublishable = "publishable"
)

// Key scopes.
const (
	ScopeChat  = "chat"
	ScopeRead  = "read"
	ScopeWrite = "write"
)

// APIKey is a project key. Only a hash of the key is stored; IdentitySecret (publishable keys) signs
// the owner's signed-in visitors. OwnerID is the project's owner, filled in when a key authenticates.
type APIKey struct {
	ID                    int64
	ProjectID             int64
	OwnerID               int64
	Name                  string
	Kind                  string
	Prefix                string
	Hash                  string
	Scopes                []string
	AllowedOrigins        []string
	IdentitySecret        string
	ExpiresAt             *time.Time
	RateLimitPerMinute    *int64
	RequireSignedUser     bool
	VisitorMessagesPerDay int64
	// Budgets: the key's own per month, and each of its end users' per day and per month; nil: none.
	BudgetMonthlyMicroUSD *int64
	BudgetMonthlyTokens   *int64
	EndUserDailyTokens    *int64
	EndUserMonthlyTokens  *int64
	CreatedAt             time.Time
	LastUsedAt            *time.Time
	// PinnedRelease is the release a secret key answers with whatever is published; nil: the published one.
	PinnedRelease *int64
	// Version grows with every change to the key (not with its use).
	Version int64
}

// HasScope reports whether the key carries scope.
func (k *APIKey) HasScope(scope string) bool {
	for _, s := range k.Scopes {
		if s == scope {
			return true
		}
	}
	return false
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
	// Release is the release that answered (assistant messages); nil: the draft.
	Release   *int64
	CreatedAt time.Time
}

// Citation points at the part of a project file an answer used.
type Citation struct {
	OpenAIFileID string `json:"openai_file_id"`
	FileID       *int64 `json:"file_id,omitempty"`
	Filename     string `json:"filename"`
	Quote        string `json:"quote,omitempty"`
}

// IdempotencyKey is a client's Idempotency-Key for one chat request, per owner and caller: the
// request it was first used with (Fingerprint) and, once that finished, its stored result (JSON).
type IdempotencyKey struct {
	ID          int64
	OwnerID     int64
	Caller      string // "user", or "key:<id>:<end user>"
	Key         string
	Fingerprint string
	Result      *string // nil while the first request runs
	CreatedAt   time.Time
}

// Webhook is an endpoint of a project that is sent the events it subscribed to, signed with Secret.
type Webhook struct {
	ID          int64
	ProjectID   int64
	URL         string
	Events      []string
	Description string
	Secret      string // whsec_...
	Enabled     bool
	// DisabledReason says why the platform turned the endpoint off ("" when enabled, or off by its owner).
	DisabledReason string
	// FailingSince is the first failed attempt since the last success; nil while it succeeds.
	FailingSince *time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Delivery statuses.
const (
	DeliveryPending   = "pending"
	DeliverySucceeded = "succeeded"
	DeliveryFailed    = "failed"
)

// WebhookDelivery is one event sent (or being sent) to one webhook, with its last attempt.
type WebhookDelivery struct {
	ID             int64
	WebhookID      int64
	EventID        string
	EventType      string
	Payload        string
	Status         string
	Attempts       int64
	ResponseStatus *int64
	LatencyMS      *int64
	Error          string
	CreatedAt      time.Time
	LastAttemptAt  *time.Time
}

// Release is an immutable snapshot of a project's bot, numbered 1, 2, 3... per project. RemovedFiles
// are files deleted with force after the release was made (they left Snapshot.Files); the only
// change a release ever sees.
type Release struct {
	ID           int64
	ProjectID    int64
	Number       int64
	Note         string
	Snapshot     Snapshot
	RemovedFiles []SnapshotFile
	CreatedAt    time.Time
}

// Snapshot is what a release (or the draft) answers with: the enabled prompts in order, the chat
// settings, and the files.
type Snapshot struct {
	Prompts         []SnapshotPrompt `json:"prompts"`
	Model           string           `json:"model"`
	Temperature     float64          `json:"temperature"`
	MaxOutputTokens int64            `json:"max_output_tokens"`
	Files           []SnapshotFile   `json:"files"`
}

// SnapshotPrompt is one enabled prompt of a snapshot.
type SnapshotPrompt struct {
	Name    string `json:"name"`
	Content string `json:"content"`
}

// SnapshotFile is one file of a snapshot.
type SnapshotFile struct {
	ID           int64  `json:"id"`
	Filename     string `json:"filename"`
	OpenAIFileID string `json:"openai_file_id"`
}

// Digest is the SHA-256 (hex) of the snapshot's canonical JSON: equal snapshots have equal digests,
// so an evaluation run can say which draft it tested.
func (s Snapshot) Digest() string {
	if s.Prompts == nil {
		s.Prompts = []SnapshotPrompt{}
	}
	if s.Files == nil {
		s.Files = []SnapshotFile{}
	}
	b, _ := json.Marshal(s) // plain fields only: cannot fail
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

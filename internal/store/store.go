// Package store defines the persistence the platform needs, shaped by its domain. The postgres and
// sqlite packages implement it over sqlc-generated queries; storetest checks both behave alike.
//
// Every method that touches a project or something a project owns takes the caller's user id and
// treats another user's row exactly like a missing one (ErrNotFound).
package store

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/chatbot-platform/chatbot/internal/jobs"
	"github.com/chatbot-platform/chatbot/internal/model"
)

var (
	// ErrNotFound: no such row for this owner, or (on a write) a row it refers to is gone, e.g. a
	// message for a conversation deleted meanwhile. Each adapter maps its own foreign-key violation.
	ErrNotFound = errors.New("not found")
	// ErrConflict: a unique constraint was violated (e.g. the email is taken).
	ErrConflict = errors.New("conflict")
	// ErrUnavailable: the database cannot serve the call now (PostgreSQL down or restarting, SQLite
	// locked by another process past the busy timeout, disk full, a write batch past its deadline).
	// Nothing was written; the same call may succeed later. The HTTP edge answers 503 + Retry-After.
	ErrUnavailable = errors.New("database unavailable")
)

// Store is the platform's persistence.
type Store interface {
	// Ping checks the database answers.
	Ping(ctx context.Context) error
	// InTx runs fn in one transaction; it commits when fn returns nil and rolls back otherwise.
	InTx(ctx context.Context, fn func(Store) error) error
	// Close releases the connections (stop Jobs first).
	Close()
	// Enqueue adds background jobs (package jobs) in the database. Inside InTx they are part of its
	// transaction: they exist once it commits, never if it rolls back. Outside, they are added at once.
	Enqueue(ctx context.Context, args ...jobs.Args) error
	// Jobs is the job queue on this database: the app starts and stops its workers, and `chatbot
	// jobs` lists its failures.
	Jobs() *jobs.Queue
	// CheckWritable runs a write that changes nothing (it needs the write lock, or a writable
	// server), for health checks. Returns ErrUnavailable.
	CheckWritable(ctx context.Context) error

	CreateUser(ctx context.Context, email, passwordHash string) (model.User, error) // ErrConflict
	GetUserByEmail(ctx context.Context, email string) (model.User, error)
	GetUserByID(ctx context.Context, id int64) (model.User, error)
	SetPasswordHash(ctx context.Context, userID int64, passwordHash string) error
	DeleteUser(ctx context.Context, id int64) error
	SetDisplayName(ctx context.Context, userID int64, name string) (model.User, error) // ErrNotFound

	// PutEmailToken stores a mailed link, replacing the user's earlier links of the same purpose.
	PutEmailToken(ctx context.Context, t model.EmailToken) error
	// TakeEmailToken removes and returns the link with this hash and purpose, expired or not (the
	// caller checks), so a link works once. Returns ErrNotFound.
	TakeEmailToken(ctx context.Context, hash []byte, purpose string) (model.EmailToken, error)
	// SetEmailVerified marks the user's address verified at t, if it is still email and not verified
	// yet; verified is false otherwise.
	SetEmailVerified(ctx context.Context, userID int64, email string, t time.Time) (verified bool, err error)

	// CreateSession stores a sign-in (UserID, IP, UserAgent); created and last seen are now.
	CreateSession(ctx context.Context, sess model.Session) (model.Session, error)
	// SessionUser finds a live session of userID with its user, in one read. Returns ErrNotFound.
	SessionUser(ctx context.Context, userID, sessionID int64) (model.User, model.Session, error)
	ListSessions(ctx context.Context, userID int64) ([]model.Session, error)
	DeleteSession(ctx context.Context, userID, id int64) error // ErrNotFound
	// DeleteSessions ends every session of userID but exceptID (0: all of them).
	DeleteSessions(ctx context.Context, userID, exceptID int64) error
	TouchSession(ctx context.Context, id int64, t time.Time) error

	// CreateWebhook stores w (ProjectID, URL, Events, Description, Secret), enabled. ErrNotFound for
	// another owner's project.
	CreateWebhook(ctx context.Context, ownerID int64, w model.Webhook) (model.Webhook, error)
	GetWebhook(ctx context.Context, ownerID, projectID, id int64) (model.Webhook, error)
	ListWebhooks(ctx context.Context, ownerID, projectID int64) ([]model.Webhook, error)
	// UpdateWebhook stores w's URL, Events, Description, Enabled, DisabledReason and FailingSince.
	UpdateWebhook(ctx context.Context, ownerID int64, w model.Webhook) (model.Webhook, error)
	SetWebhookSecret(ctx context.Context, ownerID, projectID, id int64, secret string) (model.Webhook, error)
	DeleteWebhook(ctx context.Context, ownerID, projectID, id int64) error
	// EnabledWebhooks are the project's endpoints that receive events (not scoped: for delivery).
	EnabledWebhooks(ctx context.Context, projectID int64) ([]model.Webhook, error)
	CreateWebhookDelivery(ctx context.Context, d model.WebhookDelivery) (model.WebhookDelivery, error)
	// DeliveryWithWebhook is what an attempt needs (not scoped: for delivery). ErrNotFound.
	DeliveryWithWebhook(ctx context.Context, id int64) (model.WebhookDelivery, model.Webhook, error)
	// RecordDeliveryAttempt stores an attempt's outcome (d's Status, ResponseStatus, LatencyMS, Error,
	// LastAttemptAt) and counts it.
	RecordDeliveryAttempt(ctx context.Context, d model.WebhookDelivery) error
	// ResetDelivery marks a delivery pending again, for a redelivery. ErrNotFound.
	ResetDelivery(ctx context.Context, webhookID, id int64) error
	// ListDeliveries returns the webhook's 100 newest deliveries, newest first.
	ListDeliveries(ctx context.Context, ownerID, projectID, webhookID int64) ([]model.WebhookDelivery, error)
	// MarkWebhookFailing starts the failure clock at t unless it runs already; MarkWebhookHealthy stops it.
	MarkWebhookFailing(ctx context.Context, id int64, t time.Time) error
	MarkWebhookHealthy(ctx context.Context, id int64) error
	DisableWebhook(ctx context.Context, id int64, reason string, t time.Time) error
	// GetTOTP returns the user's two-factor set-up (zero when none). Returns ErrNotFound.
	GetTOTP(ctx context.Context, userID int64) (model.TOTP, error)
	// StartTOTP stores secret as the user's pending set-up, replacing a pending one. ErrConflict when
	// two-factor sign-in is already on.
	StartTOTP(ctx context.Context, userID int64, secret string) error
	// EnableTOTP turns on the pending secret (only while it is still the pending one: ErrConflict
	// otherwise) with step as its last accepted time step, and replaces the user's recovery codes with
	// recoveryHashes, in one transaction.
	EnableTOTP(ctx context.Context, userID int64, secret string, step int64, recoveryHashes []string) error
	// UseTOTPStep records step as the last accepted one when it is later than the one stored (and the
	// set-up is on); false when it is not, e.g. the same code used again.
	UseTOTPStep(ctx context.Context, userID, step int64) (bool, error)
	// UseRecoveryCode marks the user's unused recovery code with this hash used; false when there is none.
	UseRecoveryCode(ctx context.Context, userID int64, hash string) (bool, error)
	// CountRecoveryCodes counts the user's unused recovery codes.
	CountRecoveryCodes(ctx context.Context, userID int64) (int64, error)
	// DisableTOTP turns two-factor sign-in off and deletes the secret and the recovery codes, in one
	// transaction. ErrConflict when it is not on.
	DisableTOTP(ctx context.Context, userID int64) error

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
	// LockProject takes the project's row lock until the transaction ends (inside InTx), so writes
	// that take it too (recording a file, deleting the project) run one after the other on every
	// engine. Returns ErrNotFound.
	LockProject(ctx context.Context, ownerID, id int64) error

	// NextReleaseNumber is one past the project's highest release number (1 for none); inside InTx
	// after LockProject, so concurrent creates take distinct numbers.
	NextReleaseNumber(ctx context.Context, projectID int64) (int64, error)
	// CreateRelease stores r's ProjectID, Number, Note and Snapshot for one of the owner's projects.
	// ErrNotFound for another owner's project; ErrConflict when the number is taken.
	CreateRelease(ctx context.Context, ownerID int64, r model.Release) (model.Release, error)
	GetRelease(ctx context.Context, ownerID, projectID, number int64) (model.Release, error) // ErrNotFound
	// ListReleases returns the project's releases, newest first.
	ListReleases(ctx context.Context, ownerID, projectID int64) ([]model.Release, error)
	// SetReleaseFiles stores r's Snapshot and RemovedFiles (a file deleted with force). ErrNotFound.
	SetReleaseFiles(ctx context.Context, ownerID int64, r model.Release) error
	// SetPublishedRelease makes number the project's published release (nil: none). ErrNotFound.
	SetPublishedRelease(ctx context.Context, ownerID, projectID int64, number *int64) error

	// LockAndCountProjects, LockAndCountPrompts and LockAndCountFiles count what a user or project
	// holds, for caps. Inside InTx they lock the user's (project's) row first, so concurrent creates
	// count one after another and cannot both pass a cap. LockAndCountPrompts and LockAndCountFiles
	// return ErrNotFound for another owner's project.
	LockAndCountProjects(ctx context.Context, ownerID int64) (int64, error)
	LockAndCountPrompts(ctx context.Context, ownerID, projectID int64) (int64, error)
	LockAndCountFiles(ctx context.Context, ownerID, projectID int64) (int64, error)

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
	// DeleteProjectFiles deletes the project's file rows and returns them.
	DeleteProjectFiles(ctx context.Context, ownerID, projectID int64) ([]model.File, error)
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
	RenameConversation(ctx context.Context, ownerID, id int64, title string) error // ErrNotFound
	// AddMessages stores msgs, in order, in one conversation (msgs[0]'s), and marks it active at their
	// time. The caller has checked that the conversation is the user's.
	AddMessages(ctx context.Context, msgs ...model.Message) ([]model.Message, error)
	// StartConversation stores a new conversation (as CreateConversation) with its first msgs.
	StartConversation(ctx context.Context, ownerID int64, c model.Conversation, msgs ...model.Message) (model.Conversation, []model.Message, error)
	// ListMessages returns one page of a conversation's messages, oldest first: after p.After's ID.
	ListMessages(ctx context.Context, ownerID, conversationID int64, p Page) ([]model.Message, error)
	// GetMessage returns one message of a conversation of the owner's. Returns ErrNotFound.
	GetMessage(ctx context.Context, ownerID, conversationID, id int64) (model.Message, error)
	// RecentMessages returns the newest messages of a conversation whose contents add up to at most
	// maxChars characters, oldest first: the history a chat turn can send, and no more.
	RecentMessages(ctx context.Context, ownerID, conversationID int64, maxChars int) ([]model.Message, error)

	// GetFeedback returns the rating of a message of the owner's. Returns ErrNotFound.
	GetFeedback(ctx context.Context, ownerID, messageID int64) (model.Feedback, error)
	// PutFeedback stores f's Rating and Comment for f.MessageID, replacing an earlier rating (whose
	// CreatedAt stays). Returns ErrNotFound for a message that is not the owner's.
	PutFeedback(ctx context.Context, ownerID int64, f model.Feedback) (model.Feedback, error)
	// DeleteFeedback removes a message's rating, if it has one.
	DeleteFeedback(ctx context.Context, ownerID, messageID int64) error
	// ListFeedback returns one page of the project's rated answers, most recently rated first, only
	// those rated rating when given: after p.After's (Time, ID), the last row of the page before.
	ListFeedback(ctx context.Context, ownerID, projectID int64, rating *string, p Page) ([]model.RatedMessage, error)
	// ConversationFeedback returns the ratings of a conversation's messages with ids in [fromID, toID].
	ConversationFeedback(ctx context.Context, ownerID, conversationID, fromID, toID int64) ([]model.Feedback, error)
	// CountFeedback counts the project's ratings made or changed in [since, until), by release.
	CountFeedback(ctx context.Context, ownerID, projectID int64, since, until time.Time) ([]model.FeedbackCount, error)

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
	// KeyVersion is the Version of the live key with this hash. Returns ErrNotFound.
	KeyVersion(ctx context.Context, hash string) (int64, error)
	// TouchKey records that a key was used at t.
	TouchKey(ctx context.Context, id int64, t time.Time) error
	// CountEndUserMessages counts the messages an end user of a key sent since a time.
	CountEndUserMessages(ctx context.Context, keyID int64, endUser string, since time.Time) (int64, error)

	// ClaimIdempotencyKey first deletes the owner's keys older than expiredBefore, and those whose
	// request never finished (no result) older than abandonedBefore; then it stores k (Fingerprint,
	// no result) unless the owner's caller already has that key. claimed is true when k was stored
	// (the returned key has its ID); otherwise the returned key is the stored one.
	ClaimIdempotencyKey(ctx context.Context, k model.IdempotencyKey, expiredBefore, abandonedBefore time.Time) (claimed bool, _ model.IdempotencyKey, err error)
	// SetIdempotencyResult stores a claimed key's result. Returns ErrNotFound.
	SetIdempotencyResult(ctx context.Context, id int64, result string) error
	// DeleteIdempotencyKey releases a claimed key (its request failed), so a retry runs again.
	DeleteIdempotencyKey(ctx context.Context, id int64) error
	// RenewIdempotencyKey moves a claimed key's created_at to at while it has no result, so it is not
	// taken for abandoned while its request runs. Returns ErrNotFound when the claim is gone (finished,
	// released, or taken over as abandoned).
	RenewIdempotencyKey(ctx context.Context, id int64, at time.Time) error

	// CreateEvalCase stores c (ProjectID, Input, History, Checks, SourceMessageID). ErrNotFound for
	// another owner's project.
	CreateEvalCase(ctx context.Context, ownerID int64, c model.EvalCase) (model.EvalCase, error)
	GetEvalCase(ctx context.Context, ownerID, id int64) (model.EvalCase, error)
	// ListEvalCases returns the project's cases, oldest first.
	ListEvalCases(ctx context.Context, ownerID, projectID int64) ([]model.EvalCase, error)
	// UpdateEvalCase stores c's Input, History and Checks. Returns ErrNotFound.
	UpdateEvalCase(ctx context.Context, ownerID int64, c model.EvalCase) (model.EvalCase, error)
	DeleteEvalCase(ctx context.Context, ownerID, id int64) error // ErrNotFound
	// LockAndCountEvalCases holds the project's row until the transaction ends (inside InTx) and counts
	// its cases. Returns ErrNotFound for another owner's project.
	LockAndCountEvalCases(ctx context.Context, ownerID, projectID int64) (int64, error)
	// GetMessageWithProject returns one of the owner's messages and the project of its conversation. ErrNotFound.
	GetMessageWithProject(ctx context.Context, ownerID, id int64) (msg model.Message, projectID int64, err error)
	// MessagesBefore returns the newest limit messages of a conversation before message beforeID,
	// oldest first. The caller has checked that the conversation is the owner's.
	MessagesBefore(ctx context.Context, conversationID, beforeID int64, limit int) ([]model.Message, error)
	// CreateEvalRun stores r (ProjectID, TargetRelease, DraftDigest) as queued, with a pending result
	// per case (a copy of each case as it is now). ErrNotFound for another owner's project.
	CreateEvalRun(ctx context.Context, ownerID int64, r model.EvalRun, cases []model.EvalCase) (model.EvalRun, error)
	GetEvalRun(ctx context.Context, ownerID, id int64) (model.EvalRun, error)
	// ListEvalRuns returns the project's newest limit runs, newest first.
	ListEvalRuns(ctx context.Context, ownerID, projectID int64, limit int) ([]model.EvalRun, error)
	// CountActiveEvalRuns counts the project's queued and running runs.
	CountActiveEvalRuns(ctx context.Context, projectID int64) (int64, error)
	// LatestDraftEvalRun returns the project's newest completed run on the draft. ErrNotFound: none.
	LatestDraftEvalRun(ctx context.Context, ownerID, projectID int64) (model.EvalRun, error)
	// StartEvalRun marks a queued or running run running. ErrNotFound once it has ended.
	StartEvalRun(ctx context.Context, id int64) error
	// FinishEvalRun stores r's Status, Passed, Failed and Error and ends the run, once: ErrNotFound
	// when it has ended already.
	FinishEvalRun(ctx context.Context, r model.EvalRun) error
	// ListEvalResults returns a run's results by case id. The caller has checked the run is the owner's.
	ListEvalResults(ctx context.Context, runID int64) ([]model.EvalResult, error)
	// RecordEvalResult stores a pending result's outcome (Status, Reply, Error, LatencyMS, tokens,
	// Citations, CheckResults), once: ErrNotFound when it is recorded already.
	RecordEvalResult(ctx context.Context, r model.EvalResult) error

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
	// Search finds conversations whose title or any message contains it, ignoring case (ASCII case on
	// SQLite); nil: no search.
	Search *string
}

// LikePattern is the LIKE pattern that finds text containing s, lower-cased like the column it is
// compared to: LIKE's wildcards in s match any one character (neither engine's escape is portable).
func LikePattern(s string) string {
	s = strings.NewReplacer("%", "_", "\\", "_").Replace(strings.ToLower(s))
	return "%" + s + "%"
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

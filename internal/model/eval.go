package model

import "time"

// Statuses of an evaluation run.
const (
	EvalQueued    = "queued"
	EvalRunning   = "running"
	EvalCompleted = "completed"
	EvalFailed    = "failed" // the run could not finish (its cases' failures are counted in Failed instead)
)

// Statuses of one case's result in a run.
const (
	EvalPending = "pending"
	EvalPassed  = "passed"
	// EvalCaseFailed: a check failed, or the bot could not answer.
	EvalCaseFailed = "failed"
)

// EvalChecks are what a reply must satisfy; every check is optional.
type EvalChecks struct {
	Contains        []string `json:"contains,omitempty"`     // each, ignoring case
	NotContains     []string `json:"not_contains,omitempty"` // none of them, ignoring case
	Regex           string   `json:"regex,omitempty"`        // RE2, must match somewhere
	CitesFileID     *int64   `json:"cites_file_id,omitempty"`
	MaxLatencyMS    *int64   `json:"max_latency_ms,omitempty"`
	MaxOutputTokens *int64   `json:"max_output_tokens,omitempty"`
}

// EvalTurn is one earlier turn of an evaluation case's conversation.
type EvalTurn struct {
	Role    string `json:"role"` // RoleUser or RoleAssistant
	Content string `json:"content"`
}

// EvalCase is a test case of a project's bot: a question, the turns before it, and checks on the reply.
type EvalCase struct {
	ID, ProjectID int64
	Input         string
	History       []EvalTurn
	Checks        EvalChecks
	// SourceMessageID is the assistant message the case was made from; nil when written by hand.
	SourceMessageID      *int64
	CreatedAt, UpdatedAt time.Time
}

// EvalRun is one run of a project's cases against its draft (TargetRelease nil) or a release.
type EvalRun struct {
	ID, ProjectID int64
	TargetRelease *int64
	// DraftDigest is the draft's digest when a draft run was made: the publish gate compares it.
	DraftDigest           string
	Status                string
	Total, Passed, Failed int64
	Error                 string // why a failed run could not finish
	CreatedAt             time.Time
	StartedAt, FinishedAt *time.Time
}

// EvalCheckResult is one check's outcome on a reply.
type EvalCheckResult struct {
	Check    string `json:"check"`    // contains, not_contains, regex, cites_file_id, max_latency_ms, max_output_tokens, reply
	Expected string `json:"expected"` // the check's value, as text
	Passed   bool   `json:"passed"`
	Detail   string `json:"detail"` // why it failed ("" when it passed)
}

// EvalResult is one case's outcome in a run, with the case as it was run.
type EvalResult struct {
	RunID, CaseID                        int64
	Input                                string
	History                              []EvalTurn
	Checks                               EvalChecks
	Status                               string
	Reply, Error                         string
	LatencyMS, InputTokens, OutputTokens *int64
	Citations                            []Citation
	CheckResults                         []EvalCheckResult
}

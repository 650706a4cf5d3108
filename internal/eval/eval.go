// Package eval keeps a project's evaluation set: test cases (a question, the turns before it, and
// checks on the bot's reply), runs of every case against the draft or a release through the normal
// chat path, and the publish gate that refuses a release whose draft failed its cases.
package eval

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"unicode/utf8"

	"github.com/chatbot-platform/chatbot/internal/chat"
	"github.com/chatbot-platform/chatbot/internal/model"
	"github.com/chatbot-platform/chatbot/internal/store"
	"github.com/chatbot-platform/chatbot/internal/webhook"
)

// Limits the API document states.
const (
	// MaxCasesPerProject bounds a project's cases, and so what one run costs.
	MaxCasesPerProject = 200
	// MaxHistoryTurns bounds a case's earlier turns.
	MaxHistoryTurns = 20
	// MaxInputChars bounds a case's question and each earlier turn: a chat message's bound.
	MaxInputChars = chat.MaxMessageChars
	// MaxCheckStrings bounds the strings of contains and of not_contains.
	MaxCheckStrings = 20
	// MaxCheckChars bounds each of those strings and the regex.
	MaxCheckChars = 500
	// MaxRunsListed is how many runs a listing shows, newest first.
	MaxRunsListed = 100
)

// Releases is what evaluation needs of the platform's releases (release.Service): the draft's
// snapshot, whose digest each draft run records and the publish gate compares, and a release's.
type Releases interface {
	Draft(ctx context.Context, ownerID, projectID int64) (model.Snapshot, error)
	// Snapshot returns a *model.NotFoundError when the project has no release with this number.
	Snapshot(ctx context.Context, ownerID, projectID, number int64) (model.Snapshot, error)
}

// Service manages cases and runs.
type Service struct {
	store       store.Store
	chat        *chat.Service
	events      *webhook.Service // eval_run.completed; nil: none
	releases    Releases         // nil: runs target the draft only, and record no digest
	log         *slog.Logger
	concurrency int
}

// RunConcurrency is how many cases of one run are answered at once.
const RunConcurrency = 4

// NewService returns the evaluation service; cases are answered through chats.
func NewService(s store.Store, chats *chat.Service, log *slog.Logger) *Service {
	return &Service{store: s, chat: chats, log: log, concurrency: RunConcurrency}
}

// EmitTo makes the service record eval_run.completed through e.
func (s *Service) EmitTo(e *webhook.Service) { s.events = e }

// UseReleases lets runs target releases and records the draft's digest on draft runs.
func (s *Service) UseReleases(r Releases) { s.releases = r }

// CaseInput is what an owner writes for a case. FromMessageID, on create, takes the question and
// the turns before it from an assistant message instead of Input and History.
type CaseInput struct {
	Input         string
	History       []model.EvalTurn
	Checks        model.EvalChecks
	FromMessageID *int64
}

// CreateCase adds a case to the owner's project. Errors: store.ErrNotFound (project),
// *model.NotFoundError (the message), *model.ValidationError.
func (s *Service) CreateCase(ctx context.Context, ownerID, projectID int64, in CaseInput) (model.EvalCase, error) {
	c := model.EvalCase{ProjectID: projectID, Input: in.Input, History: in.History, Checks: in.Checks}
	if in.FromMessageID != nil {
		if in.Input != "" || len(in.History) > 0 {
			return c, model.Invalid("from_message_id", "give either from_message_id or input and history, not both")
		}
		var err error
		if c.Input, c.History, err = s.questionOf(ctx, ownerID, projectID, *in.FromMessageID); err != nil {
			return c, err
		}
		c.SourceMessageID = in.FromMessageID
	}
	if err := s.validate(ctx, ownerID, projectID, c); err != nil {
		return c, err
	}
	var out model.EvalCase
	err := s.store.InTx(ctx, func(tx store.Store) error {
		n, err := tx.LockAndCountEvalCases(ctx, ownerID, projectID)
		if err != nil {
			return err
		}
		if n >= MaxCasesPerProject {
			return model.Invalid("input", fmt.Sprintf("this project already has %d evaluation cases, the most a project may have: delete one first", n))
		}
		out, err = tx.CreateEvalCase(ctx, ownerID, c)
		return err
	})
	if err == nil {
		s.log.InfoContext(ctx, "eval case created", "project_id", projectID, "case_id", out.ID)
	}
	return out, err
}

// questionOf is the question an assistant message answered (the user message just before it) and
// the turns before that question, at most MaxHistoryTurns, each cut to MaxInputChars.
func (s *Service) questionOf(ctx context.Context, ownerID, projectID, messageID int64) (string, []model.EvalTurn, error) {
	msg, pid, err := s.store.GetMessageWithProject(ctx, ownerID, messageID)
	if errors.Is(err, store.ErrNotFound) || err == nil && pid != projectID {
		return "", nil, &model.NotFoundError{What: "message"}
	}
	if err != nil {
		return "", nil, err
	}
	if msg.Role != model.RoleAssistant {
		return "", nil, model.Invalid("from_message_id", fmt.Sprintf("message %d is not an answer of the bot: pick an assistant message", messageID))
	}
	before, err := s.store.MessagesBefore(ctx, msg.ConversationID, msg.ID, MaxHistoryTurns+1)
	if err != nil {
		return "", nil, err
	}
	if len(before) == 0 || before[len(before)-1].Role != model.RoleUser {
		return "", nil, model.Invalid("from_message_id", fmt.Sprintf("no question comes right before message %d", messageID))
	}
	question := before[len(before)-1].Content
	var history []model.EvalTurn
	for _, m := range before[:len(before)-1] {
		if m.Role == model.RoleUser || m.Role == model.RoleAssistant {
			history = append(history, model.EvalTurn{Role: m.Role, Content: truncate(m.Content, MaxInputChars)})
		}
	}
	return truncate(question, MaxInputChars), history, nil
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// validate is CheckCase plus what only the store knows: the cited file is one of the project's.
func (s *Service) validate(ctx context.Context, ownerID, projectID int64, c model.EvalCase) error {
	if err := CheckCase(c); err != nil {
		return err
	}
	if id := c.Checks.CitesFileID; id != nil {
		f, err := s.store.GetFile(ctx, ownerID, *id)
		if errors.Is(err, store.ErrNotFound) || err == nil && f.ProjectID != projectID {
			return model.Invalid("checks.cites_file_id", fmt.Sprintf("file %d is not a file of this project", *id))
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// CheckCase checks a case's input, history and checks the way the API document states, and what it
// cannot: the regex compiles (RE2). It leaves CitesFileID to the caller, which knows the project's
// files. Returns *model.ValidationError, its fields relative to the case (checks.regex).
func CheckCase(c model.EvalCase) error {
	if err := model.CheckContent("input", c.Input, MaxInputChars); err != nil {
		return err
	}
	if len(c.History) > MaxHistoryTurns {
		return model.Invalid("history", fmt.Sprintf("may hold at most %d turns", MaxHistoryTurns))
	}
	for i, t := range c.History {
		if t.Role != model.RoleUser && t.Role != model.RoleAssistant {
			return model.Invalid(fmt.Sprintf("history[%d].role", i), `must be "user" or "assistant"`)
		}
		if err := model.CheckContent(fmt.Sprintf("history[%d].content", i), t.Content, MaxInputChars); err != nil {
			return err
		}
	}
	ch := c.Checks
	for field, list := range map[string][]string{"checks.contains": ch.Contains, "checks.not_contains": ch.NotContains} {
		if len(list) > MaxCheckStrings {
			return model.Invalid(field, fmt.Sprintf("may hold at most %d strings", MaxCheckStrings))
		}
		for _, v := range list {
			if err := model.CheckContent(field, v, MaxCheckChars); err != nil {
				return err
			}
		}
	}
	if ch.Regex != "" {
		if err := model.CheckContent("checks.regex", ch.Regex, MaxCheckChars); err != nil {
			return err
		}
		if _, err := regexp.Compile(ch.Regex); err != nil {
			return model.Invalid("checks.regex", fmt.Sprintf("%q is not a valid RE2 regular expression: %v", ch.Regex, err))
		}
	}
	for field, v := range map[string]*int64{"checks.max_latency_ms": ch.MaxLatencyMS, "checks.max_output_tokens": ch.MaxOutputTokens} {
		if v != nil && *v < 1 {
			return model.Invalid(field, "must be at least 1")
		}
	}
	return nil
}

// Case returns one of the owner's cases. Returns store.ErrNotFound.
func (s *Service) Case(ctx context.Context, ownerID, id int64) (model.EvalCase, error) {
	return s.store.GetEvalCase(ctx, ownerID, id)
}

// Cases lists a project's cases, oldest first. Returns store.ErrNotFound for another owner's project.
func (s *Service) Cases(ctx context.Context, ownerID, projectID int64) ([]model.EvalCase, error) {
	if _, err := s.store.GetProject(ctx, ownerID, projectID); err != nil {
		return nil, err
	}
	return s.store.ListEvalCases(ctx, ownerID, projectID)
}

// UpdateCase replaces a case's input, history and checks. Errors: store.ErrNotFound,
// *model.ValidationError.
func (s *Service) UpdateCase(ctx context.Context, ownerID, id int64, in CaseInput) (model.EvalCase, error) {
	c, err := s.store.GetEvalCase(ctx, ownerID, id)
	if err != nil {
		return c, err
	}
	if in.FromMessageID != nil {
		return c, model.Invalid("from_message_id", "only a new case can be made from a message")
	}
	c.Input, c.History, c.Checks = in.Input, in.History, in.Checks
	if err := s.validate(ctx, ownerID, c.ProjectID, c); err != nil {
		return c, err
	}
	return s.store.UpdateEvalCase(ctx, ownerID, c)
}

// DeleteCase removes a case; the runs that ran it keep their results. Returns store.ErrNotFound.
func (s *Service) DeleteCase(ctx context.Context, ownerID, id int64) error {
	return s.store.DeleteEvalCase(ctx, ownerID, id)
}

// Package chat answers messages with a project's bot through the OpenAI Responses API and keeps the
// conversations: the system prompt from the project's prompts, earlier turns within a budget, the
// project's files through file_search, and every message stored.
package chat

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/chatbot-platform/chatbot/internal/llm"
	"github.com/chatbot-platform/chatbot/internal/metrics"
	"github.com/chatbot-platform/chatbot/internal/model"
	"github.com/chatbot-platform/chatbot/internal/panics"
	"github.com/chatbot-platform/chatbot/internal/project"
	"github.com/chatbot-platform/chatbot/internal/release"
	"github.com/chatbot-platform/chatbot/internal/store"
	"github.com/chatbot-platform/chatbot/internal/usage"
	"github.com/chatbot-platform/chatbot/internal/webhook"
)

// MaxMessageChars bounds one user message.
const MaxMessageChars = 32_000

// Searcher tells which vector store a project's chat may search, and the project's files by OpenAI
// file id (to name them in citations). The file service implements it.
type Searcher interface {
	SearchTarget(ctx context.Context, ownerID int64, p model.Project) (vectorStoreID string, files map[string]model.File, err error)
}

// Releases gives the snapshot of a project's release (the release service implements it, from memory
// after the first read). Returns *model.NotFoundError for a number the project does not have.
type Releases interface {
	Snapshot(ctx context.Context, ownerID, projectID, number int64) (model.Snapshot, error)
}

// Service is the chat logic.
type Service struct {
	store        store.Store
	writes       *store.Batcher
	llm          *llm.Client
	search       Searcher
	usage        *usage.Service
	historyChars int
	limits       project.Limits
	lost         atomic.Int64 // replies generated upstream that could not be stored, since start
	log          *slog.Logger
	metrics      *metrics.Metrics
	events       *webhook.Service // conversation.created and message.completed; nil: none
	releases     Releases

	// Idempotency claims' lease and renewal period; zero: ClaimLease and claimRenewEvery (tests shorten them).
	leaseForTest, renewForTest time.Duration
}

// AnswerWithReleases makes the service answer with releases from r (required before a project has
// one).
func (s *Service) AnswerWithReleases(r Releases) { s.releases = r }

// EmitTo makes the service record conversation.created and message.completed through e.
func (s *Service) EmitTo(e *webhook.Service) { s.events = e }

// NewService returns the chat service. Writes go through the batcher (group commit); every upstream
// call goes through meter's budgets and into its ledger; m (nil: none) counts the tokens of stored
// replies by project.
//
// limits apply at every turn too, for projects saved before the operator narrowed them: a model no
// longer allowed is refused (400), and max_output_tokens above the cap is lowered to it.
func NewService(s store.Store, writes *store.Batcher, c *llm.Client, search Searcher, meter *usage.Service, historyChars int, limits project.Limits, log *slog.Logger, m *metrics.Metrics) *Service {
	return &Service{store: s, writes: writes, llm: c, search: search, usage: meter, historyChars: historyChars, limits: limits, log: log, metrics: m}
}

// Viewer is who asks: the project's owner (Key nil), or a project key acting for an end user of the
// key holder (EndUser "" for none). The owner sees every conversation; a key with the read scope
// reads its project's; otherwise a key sees only the conversations it started for the same end user.
type Viewer struct {
	OwnerID int64
	Key     *model.APIKey
	EndUser string
}

// owns reports whether the viewer may continue or delete c.
func (v Viewer) owns(c model.Conversation) bool {
	return v.Key == nil || c.KeyID != nil && *c.KeyID == v.Key.ID && c.EndUser == v.EndUser
}

// reads reports whether the viewer may read c.
func (v Viewer) reads(c model.Conversation) bool {
	return v.owns(c) || v.Key.HasScope(model.ScopeRead) && c.ProjectID == v.Key.ProjectID
}

// project returns store.ErrNotFound for a project that is not the key's own.
func (v Viewer) project(projectID int64) error {
	if v.Key != nil && v.Key.ProjectID != projectID {
		return store.ErrNotFound
	}
	return nil
}

// Target says which state of the project answers.
type Target struct {
	Kind TargetKind
	// Number is the release for TargetRelease.
	Number int64
}

// TargetKind is one kind of Target.
type TargetKind int

// Target kinds.
const (
	// TargetDefault is the viewer's: the draft for the signed-in owner; for a key, its pinned
	// release, else the published one, else the draft.
	TargetDefault TargetKind = iota
	// TargetDraft is the project's editable state.
	TargetDraft
	// TargetPublished is the published release (the draft while there is none).
	TargetPublished
	// TargetRelease is release Number.
	TargetRelease
)

// Request is one user message to a project's bot.
type Request struct {
	Viewer
	// Target is which state of the project answers (zero: the viewer's default).
	Target         Target
	ProjectID      int64
	ConversationID int64 // 0 starts a new conversation
	Message        string
	// Instructions follow the project's prompts in the system message, and History stands for a
	// stored conversation's turns: the OpenAI-compatible endpoint sends both with every call.
	Instructions []string
	History      []model.Message
	// Operation names the call in the usage ledger: chat, stream (the defaults) or completion.
	Operation string
	// Claim is the request's Idempotency-Key (nil: none): a complete reply's result is stored under it
	// in the commit that stores the reply, so a process dying in between cannot leave the reply stored
	// and the key free for a retry that would store it again.
	Claim *Claim
}

// Result is the bot's stored reply.
type Result struct {
	Reply          string
	ConversationID int64
	UserMessageID  int64
	MessageID      int64
	Model          string
	Usage          llm.Usage
	Citations      []model.Citation
	// BudgetRemaining is what was left of the tightest budget before this call ("" : none applies).
	BudgetRemaining string
	// Release is the release that answered; nil: the draft.
	Release *int64
}

// turn is a prepared exchange: everything known before the upstream call.
type turn struct {
	req     Request
	project model.Project
	release *int64             // the release answering; nil: the draft
	conv    model.Conversation // ID 0 when new
	call    llm.Request
	files   map[string]model.File
	started time.Time
	// worstInput bounds the call's input tokens, for budget reservations.
	worstInput int64
	held       *usage.Reservation
}

// fileSearchAllowance is the input tokens reserved for what file_search adds to a call's input.
const fileSearchAllowance = 8_000

// reserve holds the turn's worst case against its budgets; a *model.LimitError when one is spent.
func (s *Service) reserve(ctx context.Context, t *turn, operation string) (err error) {
	if t.req.Operation != "" {
		operation = t.req.Operation
	}
	t.held, err = s.usage.Reserve(ctx, usage.Call{
		Project: t.project, Key: t.req.Key, EndUser: t.req.EndUser, Operation: operation, Model: t.call.Model,
		WorstInput: t.worstInput, WorstOutput: int64(t.call.MaxOutputTokens),
	})
	return err
}

// outcome is a call's end for the ledger.
func (t *turn) outcome(u llm.Usage, model string, err error) usage.Outcome {
	o := usage.Outcome{Model: model, Input: int64(u.InputTokens), CachedInput: int64(u.CachedInputTokens), Output: int64(u.OutputTokens), Result: usage.OutcomeOK}
	var uerr *llm.Error
	switch {
	case err == nil:
	case errors.As(err, &uerr):
		o.Result = uerr.Kind.Label()
	case errors.Is(err, context.Canceled):
		o.Result = "canceled"
	default:
		o.Result = "error"
	}
	if t.conv.ID != 0 {
		id := t.conv.ID
		o.ConversationID = &id
	}
	return o
}

// Send answers req and stores both messages once the reply is complete. A failed upstream call stores
// nothing. Errors: *model.ValidationError, *model.NotFoundError, *llm.Error.
func (s *Service) Send(ctx context.Context, req Request) (Result, error) {
	panics.Hook(panics.PointChatSend)
	t, err := s.prepare(ctx, req)
	if err == nil {
		err = s.reserve(ctx, t, "chat")
	}
	if err != nil {
		return Result{}, err
	}
	reply, err := s.llm.Respond(ctx, t.call)
	if err != nil {
		s.logFailure(ctx, t, err)
		s.usage.Fail(ctx, t.held, t.outcome(llm.Usage{}, "", err))
		return Result{}, err
	}
	res := Result{Reply: reply.Text, Model: reply.Model, Usage: reply.Usage, Citations: t.citations(reply.Citations),
		BudgetRemaining: t.held.Remaining, Release: t.release}
	ctx = context.WithoutCancel(ctx) // the reply exists: store it even if the client left
	var conv model.Conversation
	var stored []model.Message
	err = s.writes.Do(ctx, func(tx store.Store) (err error) {
		if conv, stored, err = s.save(ctx, tx, t, t.userMessage(), t.assistantMessage(res, false)); err != nil {
			return err
		}
		o := t.outcome(reply.Usage, reply.Model, nil)
		o.ConversationID = &conv.ID
		if err = s.usage.Settle(ctx, tx, t.held, o); err != nil {
			return err
		}
		done := res
		done.ConversationID, done.UserMessageID, done.MessageID = conv.ID, stored[0].ID, stored[1].ID
		return req.Claim.storeIn(ctx, tx, done)
	})
	if err != nil {
		s.usage.Fail(ctx, t.held, t.outcome(reply.Usage, reply.Model, err)) // the call was paid for all the same
		s.logLost(ctx, t, reply.Usage, err)
		return Result{}, t.storeError(err)
	}
	req.Claim.stored()
	s.usage.Settled(ctx, t.held)
	t.conv = conv
	res.ConversationID, res.UserMessageID, res.MessageID = conv.ID, stored[0].ID, stored[1].ID
	s.logReply(ctx, t, res, reply.Attempts, false)
	return res, nil
}

// prepare validates the request, checks ownership and builds the upstream call.
func (s *Service) prepare(ctx context.Context, req Request) (*turn, error) {
	if err := model.CheckContent("message", req.Message, MaxMessageChars); err != nil {
		return nil, err
	}
	t := &turn{req: req, started: time.Now()}
	err := req.project(req.ProjectID)
	if err == nil {
		t.project, err = s.store.GetProject(ctx, req.OwnerID, req.ProjectID)
	}
	if err != nil {
		return nil, notFound(err, "project")
	}
	var snap *model.Snapshot
	if t.release = req.releaseNumber(t.project); t.release != nil {
		rs, err := s.releases.Snapshot(ctx, req.OwnerID, t.project.ID, *t.release)
		if err != nil {
			return nil, err
		}
		snap = &rs
		t.project.Model, t.project.Temperature, t.project.MaxOutputTokens = rs.Model, rs.Temperature, rs.MaxOutputTokens
	}
	if !s.limits.Allows(t.project.Model) {
		return nil, model.Invalid("model", fmt.Sprintf("this project's model %q is no longer offered here; change it to one of: %s", t.project.Model, strings.Join(s.limits.Models, ", ")))
	}
	if most := s.limits.MaxOutputTokens; most > 0 && t.project.MaxOutputTokens > most {
		t.project.MaxOutputTokens = most
	}
	history := req.History
	if req.ConversationID != 0 {
		t.conv, err = s.store.GetConversation(ctx, req.OwnerID, req.ConversationID)
		if err == nil && (t.conv.ProjectID != t.project.ID || !req.owns(t.conv)) {
			err = store.ErrNotFound // another project's, or another key's or end user's conversation
		}
		if err != nil {
			return nil, notFound(err, "conversation")
		}
		// Only what fits the history budget is read: a long conversation costs no more than a short one.
		if history, err = s.store.RecentMessages(ctx, req.OwnerID, t.conv.ID, s.historyChars); err != nil {
			return nil, err
		}
	}
	var system string
	if snap != nil {
		system = release.SystemPrompt(*snap)
	} else {
		prompts, err := s.store.ListPrompts(ctx, req.OwnerID, t.project.ID)
		if err != nil {
			return nil, err
		}
		system = project.SystemPrompt(prompts)
	}
	vectorStore, files, err := s.search.SearchTarget(ctx, req.OwnerID, t.project)
	if err != nil {
		return nil, err
	}
	t.files = files
	t.call = llm.Request{
		Model:           t.project.Model,
		Temperature:     float32(t.project.Temperature),
		MaxOutputTokens: int(t.project.MaxOutputTokens),
		Input:           buildInput(withInstructions(system, req.Instructions), history, req.Message, s.historyChars),
	}
	if vectorStore != "" {
		t.call.VectorStoreIDs = []string{vectorStore}
	}
	t.worstInput = worstInputTokens(t.call)
	return t, nil
}

// worstInputTokens bounds a call's input tokens from above without a tokenizer: a token is rarely
// shorter than 2 bytes, each message's framing takes a few, and file_search adds its passages.
func worstInputTokens(call llm.Request) int64 {
	var n int64
	for _, m := range call.Input {
		n += int64(len(m.Content))/2 + 8
	}
	if len(call.VectorStoreIDs) > 0 {
		n += fileSearchAllowance
	}
	return n
}

// releaseNumber is the release that answers req in project p; nil: the draft.
func (req Request) releaseNumber(p model.Project) *int64 {
	switch req.Target.Kind {
	case TargetDraft:
		return nil
	case TargetPublished:
		return p.PublishedRelease
	case TargetRelease:
		n := req.Target.Number
		return &n
	}
	if req.Key == nil {
		return nil // the owner tries the draft in the dashboard
	}
	if req.Key.PinnedRelease != nil {
		return req.Key.PinnedRelease
	}
	return p.PublishedRelease
}

// withInstructions is the system prompt, then the caller's own instructions.
func withInstructions(system string, instructions []string) string {
	if len(instructions) == 0 {
		return system
	}
	return system + "\n" + strings.Join(instructions, "\n")
}

func notFound(err error, what string) error {
	if errors.Is(err, store.ErrNotFound) {
		return &model.NotFoundError{What: what}
	}
	return err
}

// buildInput is the upstream input: the system prompt, the newest earlier turns whose text fits in
// budget characters (in their original order), then the new message.
func buildInput(system string, history []model.Message, message string, budget int) []llm.Message {
	start := len(history)
	for used := 0; start > 0; start-- {
		used += utf8.RuneCountInString(history[start-1].Content)
		if used > budget {
			break
		}
	}
	in := make([]llm.Message, 0, len(history)-start+2)
	in = append(in, llm.Message{Role: "system", Content: system})
	for _, m := range history[start:] {
		in = append(in, llm.Message{Role: m.Role, Content: m.Content})
	}
	return append(in, llm.Message{Role: "user", Content: message})
}

// save stores the conversation (when new) and msgs, with their events, as one batch job. A job may
// be rerun after its batch failed, so it changes nothing outside: the caller adopts the conversation
// once Do succeeded.
func (s *Service) save(ctx context.Context, tx store.Store, t *turn, msgs ...model.Message) (model.Conversation, []model.Message, error) {
	conv := t.conv
	if conv.ID == 0 {
		var err error
		conv = model.Conversation{ProjectID: t.project.ID, Title: Title(t.req.Message), EndUser: t.req.EndUser}
		if t.req.Key != nil {
			conv.KeyID, conv.KeyName = &t.req.Key.ID, t.req.Key.Name
		}
		if conv, err = tx.CreateConversation(ctx, t.req.OwnerID, conv); err != nil {
			return conv, nil, err
		}
		if err := s.events.Emit(ctx, tx, conv.ProjectID, webhook.ConversationCreated, conversationEvent{
			ConversationID: conv.ID, Title: conv.Title, KeyID: conv.KeyID, EndUser: conv.EndUser, CreatedAt: conv.CreatedAt}); err != nil {
			return conv, nil, err
		}
	}
	msgs[0].ConversationID = conv.ID
	stored, err := tx.AddMessages(ctx, msgs...)
	if err != nil {
		return conv, stored, err
	}
	for _, m := range stored {
		if m.Role == model.RoleAssistant && !m.Incomplete {
			err = s.events.Emit(ctx, tx, conv.ProjectID, webhook.MessageCompleted, messageEvent{ConversationID: conv.ID, MessageID: m.ID,
				Content: m.Content, Model: m.Model, InputTokens: m.InputTokens, OutputTokens: m.OutputTokens,
				LatencyMS: m.LatencyMS, EndUser: conv.EndUser, CreatedAt: m.CreatedAt})
		}
	}
	return conv, stored, err
}

// conversationEvent is conversation.created's data.
type conversationEvent struct {
	ConversationID int64     `json:"conversation_id"`
	Title          string    `json:"title"`
	KeyID          *int64    `json:"key_id"`
	EndUser        string    `json:"end_user"`
	CreatedAt      time.Time `json:"created_at"`
}

// messageEvent is message.completed's data: the assistant's reply.
type messageEvent struct {
	ConversationID int64     `json:"conversation_id"`
	MessageID      int64     `json:"message_id"`
	Content        string    `json:"content"`
	Model          *string   `json:"model"`
	InputTokens    *int64    `json:"input_tokens"`
	OutputTokens   *int64    `json:"output_tokens"`
	LatencyMS      *int64    `json:"latency_ms"`
	EndUser        string    `json:"end_user"`
	CreatedAt      time.Time `json:"created_at"`
}

func (t *turn) userMessage() model.Message {
	return model.Message{Role: model.RoleUser, Content: t.req.Message}
}

// assistantMessage is the reply as stored: model, token counts (when known) and latency.
func (t *turn) assistantMessage(res Result, incomplete bool) model.Message {
	latency := time.Since(t.started).Milliseconds()
	in, out := int64(res.Usage.InputTokens), int64(res.Usage.OutputTokens)
	m := model.Message{Role: model.RoleAssistant, Content: res.Reply, LatencyMS: &latency, Incomplete: incomplete, Citations: res.Citations,
		Release: t.release}
	if res.Model != "" {
		m.Model = &res.Model
	}
	if !incomplete || res.Usage.TotalTokens > 0 {
		m.InputTokens, m.OutputTokens = &in, &out
	}
	return m
}

// storeError explains a failed write: the conversation or project was deleted meanwhile.
func (t *turn) storeError(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return &model.NotFoundError{What: "conversation"}
	}
	return fmt.Errorf("chat: store messages: %w", err)
}

// citations names each cited file with our record when we still have it.
func (t *turn) citations(cs []llm.Citation) []model.Citation {
	out := make([]model.Citation, 0, len(cs))
	for _, c := range cs {
		mc := model.Citation{OpenAIFileID: c.FileID, Filename: c.Filename, Quote: c.Quote}
		if f, ok := t.files[c.FileID]; ok {
			id := f.ID
			mc.FileID, mc.Filename = &id, f.Filename
		}
		out = append(out, mc)
	}
	return out
}

// Title is a conversation's title: the first line of its first message, shortened.
func Title(message string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(message), "\n")
	line = strings.Join(strings.Fields(line), " ")
	if utf8.RuneCountInString(line) <= 60 {
		return line
	}
	r := []rune(line)
	return strings.TrimSpace(string(r[:59])) + "…"
}

// logReply logs a stored reply and counts its tokens.
func (s *Service) logReply(ctx context.Context, t *turn, res Result, attempts int, stream bool) {
	s.metrics.Tokens(t.project.ID, res.Usage.InputTokens, res.Usage.OutputTokens)
	s.log.InfoContext(ctx, "chat reply", "project_id", t.project.ID, "conversation_id", res.ConversationID,
		"message_id", res.MessageID, "model", res.Model, "stream", stream, "attempts", attempts,
		"input_tokens", res.Usage.InputTokens, "output_tokens", res.Usage.OutputTokens,
		"latency", time.Since(t.started).Round(time.Millisecond))
}

// logLost says, at error level, that a reply the upstream generated (and was paid for) could not be
// stored, why, and how many were lost so since start.
func (s *Service) logLost(ctx context.Context, t *turn, u llm.Usage, err error) {
	if errors.Is(err, store.ErrNotFound) {
		return // the conversation or project was deleted meanwhile: nothing left to store it in
	}
	s.log.ErrorContext(ctx, "reply lost: generated upstream but not stored", "project_id", t.project.ID,
		"conversation_id", t.conv.ID, "output_tokens", u.OutputTokens, "lost", 1, "lost_since_start", s.lost.Add(1),
		"reason", err)
}

func (s *Service) logFailure(ctx context.Context, t *turn, err error) {
	s.log.WarnContext(ctx, "chat failed", "project_id", t.project.ID, "model", t.call.Model,
		"latency", time.Since(t.started).Round(time.Millisecond), "error", err)
}

// Conversations lists a project's conversations that v may read, most recently active first, narrowed
// by f. Returns store.ErrNotFound for a project that is not the viewer's.
func (s *Service) Conversations(ctx context.Context, v Viewer, projectID int64, f store.ConversationFilter, page store.Page) ([]model.Conversation, error) {
	if err := v.project(projectID); err != nil {
		return nil, err
	}
	if _, err := s.store.GetProject(ctx, v.OwnerID, projectID); err != nil {
		return nil, err
	}
	if v.Key != nil && !v.Key.HasScope(model.ScopeRead) {
		f = store.ConversationFilter{KeyID: &v.Key.ID, EndUser: &v.EndUser}
	}
	return s.store.ListConversations(ctx, v.OwnerID, projectID, f, page)
}

// Conversation returns one conversation v may read, with one page of its messages. Returns store.ErrNotFound.
func (s *Service) Conversation(ctx context.Context, v Viewer, id int64, page store.Page) (model.Conversation, []model.Message, error) {
	c, err := s.store.GetConversation(ctx, v.OwnerID, id)
	if err == nil && !v.reads(c) {
		err = store.ErrNotFound
	}
	if err != nil {
		return c, nil, err
	}
	msgs, err := s.store.ListMessages(ctx, v.OwnerID, id, page)
	return c, msgs, err
}

// DeleteConversation removes a conversation v owns, with its messages. Returns store.ErrNotFound.
func (s *Service) DeleteConversation(ctx context.Context, v Viewer, id int64) error {
	c, err := s.store.GetConversation(ctx, v.OwnerID, id)
	if err == nil && !v.owns(c) {
		err = store.ErrNotFound
	}
	if err == nil {
		err = s.store.DeleteConversation(ctx, v.OwnerID, id)
	}
	if err != nil {
		return err
	}
	s.log.InfoContext(ctx, "conversation deleted", "conversation_id", id)
	return nil
}

// MaxTitleChars bounds a title a user gives a conversation (the API document states the same).
const MaxTitleChars = 100

// RenameConversation sets the title of a conversation of the owner's (1–100 characters, trimmed) and
// returns it. Returns *model.ValidationError or store.ErrNotFound.
func (s *Service) RenameConversation(ctx context.Context, ownerID, id int64, title string) (model.Conversation, error) {
	title, verr := model.CheckName("title", title, MaxTitleChars)
	if verr != nil {
		return model.Conversation{}, verr
	}
	if err := s.store.RenameConversation(ctx, ownerID, id, title); err != nil {
		return model.Conversation{}, err
	}
	return s.store.GetConversation(ctx, ownerID, id)
}

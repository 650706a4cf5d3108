// Package bundle turns a project into one portable JSON document (a bundle) and back: export, import
// as a new project, the Markdown export of its conversations, and the templates shipped in the binary.
// The document's schema is Bundle in api/openapi.yaml; these types are its Go shape.
package bundle

import (
	"context"
	"slices"
	"time"

	"github.com/chatbot-platform/chatbot/internal/model"
	"github.com/chatbot-platform/chatbot/internal/store"
	"github.com/chatbot-platform/chatbot/internal/usage"
)

// Version is the bundle format this server writes and reads.
const Version = 1

// MaxMessageChars bounds one imported message (an assistant reply can be longer than what a user may
// send); api/openapi.yaml states it on BundleMessage.content.
const MaxMessageChars = 200_000

// Bundle is a project as one document.
type Bundle struct {
	Version       int            `json:"version"`
	ExportedAt    *time.Time     `json:"exported_at,omitempty"`
	Project       Project        `json:"project"`
	Prompts       []Prompt       `json:"prompts"`
	Files         []File         `json:"files"`
	Releases      []Release      `json:"releases,omitempty"`
	Conversations []Conversation `json:"conversations,omitempty"`
	EvalCases     []EvalCase     `json:"eval_cases,omitempty"`
}

// Project is a project's settings; nil fields take the server's defaults on import.
type Project struct {
	Name            string   `json:"name"`
	Model           *string  `json:"model,omitempty"`
	Temperature     *float64 `json:"temperature,omitempty"`
	MaxOutputTokens *int64   `json:"max_output_tokens,omitempty"`
	CustomPrice     *Price   `json:"custom_price,omitempty"`
}

// Price is a custom model price in USD per million tokens, as the API takes it.
type Price struct {
	Input       float64  `json:"input"`
	CachedInput *float64 `json:"cached_input,omitempty"`
	Output      float64  `json:"output"`
}

// Prompt is one prompt; the order of Bundle.Prompts is the system prompt's. Nil Enabled: enabled.
type Prompt struct {
	Name    string `json:"name"`
	Content string `json:"content"`
	Enabled *bool  `json:"enabled,omitempty"`
}

// File is a knowledge file's metadata: its contents live at OpenAI and are uploaded again after import.
type File struct {
	Filename    string `json:"filename"`
	Size        int64  `json:"size"`
	ContentType string `json:"content_type,omitempty"`
}

// Release is one of the project's releases (oldest first in Bundle.Releases): its number, note, whether
// it is the published one, and its snapshot (prompts in order, chat settings, file names).
type Release struct {
	Number          int64           `json:"number"`
	Note            string          `json:"note,omitempty"`
	Published       bool            `json:"published,omitempty"`
	CreatedAt       *time.Time      `json:"created_at,omitempty"`
	Model           string          `json:"model"`
	Temperature     float64         `json:"temperature"`
	MaxOutputTokens int64           `json:"max_output_tokens"`
	Prompts         []ReleasePrompt `json:"prompts"`
	Files           []ReleaseFile   `json:"files"`
}

// ReleasePrompt is one prompt of a release (a release holds only the enabled ones).
type ReleasePrompt struct {
	Name    string `json:"name"`
	Content string `json:"content"`
}

// ReleaseFile names a file a release searched.
type ReleaseFile struct {
	Filename string `json:"filename"`
}

// EvalCase is one of the project's evaluation cases (oldest first in Bundle.EvalCases).
type EvalCase struct {
	Input   string     `json:"input"`
	History []EvalTurn `json:"history,omitempty"`
	Checks  EvalChecks `json:"checks"`
}

// EvalTurn is one earlier turn of a case's conversation.
type EvalTurn struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// EvalChecks are a case's checks; the cited file goes by its name, as file ids do not travel.
type EvalChecks struct {
	Contains        []string `json:"contains,omitempty"`
	NotContains     []string `json:"not_contains,omitempty"`
	Regex           string   `json:"regex,omitempty"`
	CitesFile       string   `json:"cites_file,omitempty"`
	MaxLatencyMS    *int64   `json:"max_latency_ms,omitempty"`
	MaxOutputTokens *int64   `json:"max_output_tokens,omitempty"`
}

// Conversation is one conversation with its messages, oldest first.
type Conversation struct {
	Title     string     `json:"title"`
	CreatedAt *time.Time `json:"created_at,omitempty"`
	UpdatedAt *time.Time `json:"updated_at,omitempty"`
	Messages  []Message  `json:"messages"`
}

// Message is one turn of a conversation.
type Message struct {
	Role       string     `json:"role"`
	Content    string     `json:"content"`
	Model      *string    `json:"model,omitempty"`
	Incomplete bool       `json:"incomplete,omitempty"`
	Release    *int64     `json:"release,omitempty"` // the release that answered; nil: the draft
	CreatedAt  *time.Time `json:"created_at,omitempty"`
	Citations  []Citation `json:"citations,omitempty"`
}

// Citation names the file (and the passage) an answer used.
type Citation struct {
	Filename string `json:"filename"`
	Quote    string `json:"quote,omitempty"`
}

// Contents is what an export reads of one project, in domain types: the bundle, the Markdown export
// and the account export (httpapi) are all made from it.
type Contents struct {
	Project       model.Project
	Prompts       []model.Prompt
	Files         []model.File
	Releases      []model.Release  // newest first
	EvalCases     []model.EvalCase // oldest first
	Conversations []Thread         // nil unless asked for
}

// Thread is a conversation with its messages, oldest first.
type Thread struct {
	Conversation model.Conversation
	Messages     []model.Message
}

// readPage is how many rows Read asks for at a time from the paged lists.
const readPage = 500

// Read reads one of the owner's projects, with its conversations when asked, scoped by the owner like
// every other read; in memory (a project is bounded by the server's caps). Returns store.ErrNotFound.
func Read(ctx context.Context, s store.Store, ownerID, projectID int64, conversations bool) (Contents, error) {
	p, err := s.GetProject(ctx, ownerID, projectID)
	if err != nil {
		return Contents{}, err
	}
	return ReadProject(ctx, s, p, conversations)
}

// ReadProject is Read for a project already read (p.OwnerID scopes the reads).
func ReadProject(ctx context.Context, s store.Store, p model.Project, conversations bool) (Contents, error) {
	out := Contents{Project: p}
	var err error
	if out.Prompts, err = s.ListPrompts(ctx, p.OwnerID, p.ID); err != nil {
		return Contents{}, err
	}
	if out.Files, err = s.ListFiles(ctx, p.OwnerID, p.ID); err != nil {
		return Contents{}, err
	}
	if out.Releases, err = s.ListReleases(ctx, p.OwnerID, p.ID); err != nil {
		return Contents{}, err
	}
	if out.EvalCases, err = s.ListEvalCases(ctx, p.OwnerID, p.ID); err != nil {
		return Contents{}, err
	}
	if !conversations {
		return out, nil
	}
	convs, err := EveryPage(func(pg store.Page) ([]model.Conversation, error) {
		return s.ListConversations(ctx, p.OwnerID, p.ID, store.ConversationFilter{}, pg)
	}, func(c model.Conversation) store.Cursor { return store.Cursor{ID: c.ID, Time: c.UpdatedAt} })
	if err != nil {
		return Contents{}, err
	}
	out.Conversations = []Thread{}
	for _, c := range convs {
		msgs, err := EveryPage(func(pg store.Page) ([]model.Message, error) {
			return s.ListMessages(ctx, p.OwnerID, c.ID, pg)
		}, func(m model.Message) store.Cursor { return store.Cursor{ID: m.ID} })
		if err != nil {
			return Contents{}, err
		}
		out.Conversations = append(out.Conversations, Thread{Conversation: c, Messages: msgs})
	}
	return out, nil
}

// EveryPage reads a paged list to its end.
func EveryPage[T any](page func(store.Page) ([]T, error), cursor func(T) store.Cursor) ([]T, error) {
	var all []T
	p := store.Page{Limit: readPage}
	for {
		items, err := page(p)
		if err != nil {
			return nil, err
		}
		all = append(all, items...)
		if len(items) < p.Limit {
			return all, nil
		}
		p.After = cursor(items[len(items)-1])
	}
}

// FromContents makes the bundle of what Read read, stamped with when.
func FromContents(c Contents, when time.Time) Bundle {
	p := c.Project
	b := Bundle{Version: Version, ExportedAt: &when, Prompts: []Prompt{}, Files: []File{},
		Project: Project{Name: p.Name, Model: &p.Model, Temperature: &p.Temperature, MaxOutputTokens: &p.MaxOutputTokens}}
	if cp := p.CustomPrice; cp != nil {
		cached := usage.USD(cp.CachedInput)
		b.Project.CustomPrice = &Price{Input: usage.USD(cp.Input), CachedInput: &cached, Output: usage.USD(cp.Output)}
	}
	for _, pr := range c.Prompts {
		b.Prompts = append(b.Prompts, Prompt{Name: pr.Name, Content: pr.Content, Enabled: &pr.Enabled})
	}
	for _, f := range c.Files {
		b.Files = append(b.Files, File{Filename: f.Filename, Size: f.Size, ContentType: f.ContentType})
	}
	for _, r := range slices.Backward(c.Releases) {
		snap := r.Snapshot
		rel := Release{Number: r.Number, Note: r.Note, CreatedAt: &r.CreatedAt, Model: snap.Model, Temperature: snap.Temperature,
			MaxOutputTokens: snap.MaxOutputTokens, Prompts: []ReleasePrompt{}, Files: []ReleaseFile{},
			Published: p.PublishedRelease != nil && *p.PublishedRelease == r.Number}
		for _, pr := range snap.Prompts {
			rel.Prompts = append(rel.Prompts, ReleasePrompt{Name: pr.Name, Content: pr.Content})
		}
		for _, f := range snap.Files {
			rel.Files = append(rel.Files, ReleaseFile{Filename: f.Filename})
		}
		b.Releases = append(b.Releases, rel)
	}
	for _, ec := range c.EvalCases {
		b.EvalCases = append(b.EvalCases, evalCase(ec, c.Files))
	}
	// Read lists the most recently active conversation first; the bundle the other way round, so an
	// import that creates them in order keeps which one was active last.
	for _, t := range slices.Backward(c.Conversations) {
		conv := Conversation{Title: t.Conversation.Title, CreatedAt: &t.Conversation.CreatedAt, UpdatedAt: &t.Conversation.UpdatedAt, Messages: []Message{}}
		for _, m := range t.Messages {
			msg := Message{Role: m.Role, Content: m.Content, Model: m.Model, Incomplete: m.Incomplete, Release: m.Release, CreatedAt: &m.CreatedAt}
			for _, ct := range m.Citations {
				msg.Citations = append(msg.Citations, Citation{Filename: ct.Filename, Quote: ct.Quote})
			}
			conv.Messages = append(conv.Messages, msg)
		}
		b.Conversations = append(b.Conversations, conv)
	}
	return b
}

// evalCase is a case as the bundle carries it: the cited file by its name among files (none when the
// file is gone).
func evalCase(c model.EvalCase, files []model.File) EvalCase {
	ch := c.Checks
	out := EvalCase{Input: c.Input, Checks: EvalChecks{Contains: ch.Contains, NotContains: ch.NotContains, Regex: ch.Regex,
		MaxLatencyMS: ch.MaxLatencyMS, MaxOutputTokens: ch.MaxOutputTokens}}
	for _, t := range c.History {
		out.History = append(out.History, EvalTurn{Role: t.Role, Content: t.Content})
	}
	if id := ch.CitesFileID; id != nil {
		if i := slices.IndexFunc(files, func(f model.File) bool { return f.ID == *id }); i >= 0 {
			out.Checks.CitesFile = files[i].Filename
		}
	}
	return out
}

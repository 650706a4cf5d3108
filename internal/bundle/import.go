package bundle

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/chatbot-platform/chatbot/internal/chat"
	"github.com/chatbot-platform/chatbot/internal/eval"
	"github.com/chatbot-platform/chatbot/internal/file"
	"github.com/chatbot-platform/chatbot/internal/model"
	"github.com/chatbot-platform/chatbot/internal/project"
	"github.com/chatbot-platform/chatbot/internal/release"
	"github.com/chatbot-platform/chatbot/internal/store"
	"github.com/chatbot-platform/chatbot/internal/usage"
)

// Service imports bundles as new projects.
type Service struct {
	store    store.Store
	projects *project.Service
	log      *slog.Logger
}

// NewService returns the bundle service; projects enforces the project and prompt rules.
func NewService(s store.Store, projects *project.Service, log *slog.Logger) *Service {
	return &Service{store: s, projects: projects, log: log}
}

// Imported is what Import made: the new project, and the bundle's file names to upload again.
type Imported struct {
	Project      model.Project
	MissingFiles []string
}

// Import creates a new project of the owner from b. It validates the whole bundle first, with the
// rules of the project and prompt routes, and answers *model.ValidationError naming the first problem
// by its path in the bundle (prompts[2].content: ...); then it writes the project, its prompts and its
// conversations (the owner's own) in one transaction, so nothing is half-created.
func (s *Service) Import(ctx context.Context, ownerID int64, b Bundle) (Imported, error) {
	v, err := s.check(b)
	if err != nil {
		return Imported{}, err
	}
	var out Imported
	err = s.store.InTx(ctx, func(tx store.Store) error {
		p, err := s.projects.CreateIn(ctx, tx, ownerID, v.settings)
		if err != nil {
			if verr, ok := err.(*model.ValidationError); ok {
				return verr.Under("project")
			}
			return err
		}
		for _, pr := range v.prompts {
			pr.ProjectID = p.ID
			if _, err := tx.CreatePrompt(ctx, ownerID, pr); err != nil {
				return err
			}
		}
		for _, r := range v.releases {
			r.ProjectID = p.ID
			if _, err := tx.CreateRelease(ctx, ownerID, r); err != nil {
				return err
			}
		}
		if v.published != nil {
			// A new project has no webhooks yet: there is nobody to tell release.published.
			if err := tx.SetPublishedRelease(ctx, ownerID, p.ID, v.published); err != nil {
				return err
			}
		}
		for _, t := range v.conversations {
			c, err := tx.CreateConversation(ctx, ownerID, model.Conversation{ProjectID: p.ID, Title: t.Conversation.Title})
			if err != nil {
				return err
			}
			if len(t.Messages) == 0 {
				continue
			}
			for i := range t.Messages {
				t.Messages[i].ConversationID = c.ID
			}
			if _, err := tx.AddMessages(ctx, t.Messages...); err != nil {
				return err
			}
		}
		for _, c := range v.evalCases {
			c.ProjectID = p.ID
			if _, err := tx.CreateEvalCase(ctx, ownerID, c); err != nil {
				return err
			}
		}
		out.Project = p
		return nil
	})
	if err != nil {
		return Imported{}, err
	}
	out.MissingFiles = v.files
	s.log.InfoContext(ctx, "project imported", "project_id", out.Project.ID, "prompts", len(v.prompts),
		"conversations", len(v.conversations), "eval_cases", len(v.evalCases), "missing_files", len(v.files))
	return out, nil
}

// checked is a bundle that passed every check, in the shapes the store takes.
type checked struct {
	settings      project.Settings
	prompts       []model.Prompt
	files         []string
	releases      []model.Release
	published     *int64
	conversations []Thread
	evalCases     []model.EvalCase
}

// Check validates b as Import would, without writing anything (and without the caller's project cap,
// which only a transaction can count). Returns *model.ValidationError.
func (s *Service) Check(b Bundle) error {
	_, err := s.check(b)
	return err
}

func (s *Service) check(b Bundle) (checked, error) {
	var v checked
	if b.Version != Version {
		return v, model.Invalid("version", fmt.Sprintf("must be %d (this server reads bundle version %d)", Version, Version))
	}
	v.settings = project.Settings{Name: &b.Project.Name, Model: b.Project.Model, Temperature: b.Project.Temperature, MaxOutputTokens: b.Project.MaxOutputTokens}
	if cp := b.Project.CustomPrice; cp != nil {
		v.settings.CustomPrice = &model.Price{Input: usage.MicroUSD(cp.Input), CachedInput: usage.MicroUSD(cp.Input), Output: usage.MicroUSD(cp.Output)}
		if cp.CachedInput != nil {
			v.settings.CustomPrice.CachedInput = usage.MicroUSD(*cp.CachedInput)
		}
	}
	if err := s.projects.CheckSettings(v.settings); err != nil {
		return v, err.(*model.ValidationError).Under("project")
	}
	in := make([]project.PromptInput, len(b.Prompts))
	for i, pr := range b.Prompts {
		in[i] = project.PromptInput{Name: pr.Name, Content: pr.Content, Enabled: pr.Enabled}
	}
	var err error
	if v.prompts, err = s.projects.CheckPrompts(in); err != nil {
		return v, err
	}
	for i, f := range b.Files {
		name := file.CleanFilename(f.Filename)
		if name == "" {
			return v, model.Invalid(fmt.Sprintf("files[%d].filename", i), "is not a usable file name")
		}
		v.files = append(v.files, name)
	}
	if v.files == nil {
		v.files = []string{}
	}
	if err := s.checkReleases(&v, b); err != nil {
		return v, err
	}
	for i, c := range b.Conversations {
		t, err := checkConversation(c, v.releases)
		if err != nil {
			return v, err.Under(fmt.Sprintf("conversations[%d]", i))
		}
		v.conversations = append(v.conversations, t)
	}
	if err := checkEvalCases(&v, b.EvalCases); err != nil {
		return v, err
	}
	return v, nil
}

// checkEvalCases applies the evaluation routes' rules and cap (a new project has no cases yet). The
// cited file is dropped: the bundle's files are missing until uploaded again, and have new ids then.
func checkEvalCases(v *checked, cases []EvalCase) error {
	if len(cases) > eval.MaxCasesPerProject {
		return model.Invalid("eval_cases", fmt.Sprintf("%d cases; a project may have at most %d", len(cases), eval.MaxCasesPerProject))
	}
	for i, ec := range cases {
		ch := ec.Checks
		c := model.EvalCase{Input: ec.Input, History: []model.EvalTurn{}, Checks: model.EvalChecks{Contains: ch.Contains,
			NotContains: ch.NotContains, Regex: ch.Regex, MaxLatencyMS: ch.MaxLatencyMS, MaxOutputTokens: ch.MaxOutputTokens}}
		for _, t := range ec.History {
			c.History = append(c.History, model.EvalTurn{Role: t.Role, Content: t.Content})
		}
		if err := eval.CheckCase(c); err != nil {
			return err.(*model.ValidationError).Under(fmt.Sprintf("eval_cases[%d]", i))
		}
		v.evalCases = append(v.evalCases, c)
	}
	return nil
}

// checkConversation applies chat's rules: a title like one a user gives (or, empty, the one chat
// would give), user messages as chat takes them, and replies as storable text.
func checkConversation(c Conversation, releases []model.Release) (Thread, *model.ValidationError) {
	var t Thread
	for j, m := range c.Messages {
		field := fmt.Sprintf("messages[%d]", j)
		msg := model.Message{Role: m.Role, Content: m.Content, Incomplete: m.Incomplete}
		if m.Release != nil {
			if !slices.ContainsFunc(releases, func(r model.Release) bool { return r.Number == *m.Release }) {
				return t, model.Invalid(field+".release", fmt.Sprintf("the bundle has no release %d", *m.Release))
			}
			msg.Release = m.Release
		}
		switch m.Role {
		case model.RoleUser:
			if err := model.CheckContent("content", m.Content, chat.MaxMessageChars); err != nil {
				return t, err.Under(field)
			}
		case model.RoleAssistant:
			if err := model.CheckText("content", m.Content); err != nil {
				return t, err.Under(field)
			}
			if utf8.RuneCountInString(m.Content) > MaxMessageChars {
				return t, model.Invalid(field+".content", fmt.Sprintf("must be at most %d characters", MaxMessageChars))
			}
			if m.Model != nil {
				if err := model.CheckText("model", *m.Model); err != nil {
					return t, err.Under(field)
				}
				msg.Model = m.Model
			}
			msg.Citations = []model.Citation{}
			for k, ct := range m.Citations {
				at := fmt.Sprintf("%s.citations[%d]", field, k)
				if err := model.CheckText("filename", ct.Filename); err != nil {
					return t, err.Under(at)
				}
				if err := model.CheckText("quote", ct.Quote); err != nil {
					return t, err.Under(at)
				}
				msg.Citations = append(msg.Citations, model.Citation{Filename: ct.Filename, Quote: ct.Quote})
			}
		default:
			return t, model.Invalid(field+".role", "must be user or assistant")
		}
		t.Messages = append(t.Messages, msg)
	}
	title := strings.TrimSpace(c.Title)
	if title == "" && len(t.Messages) > 0 {
		title = chat.Title(t.Messages[0].Content)
	}
	if title == "" {
		title = "Imported conversation"
	}
	title, err := model.CheckName("title", title, chat.MaxTitleChars)
	if err != nil {
		return t, err
	}
	t.Conversation.Title = title
	return t, nil
}

// checkReleases checks each release as its own project and prompts would be checked (the same model,
// settings and prompt rules and caps), its note as the releases route does, and that the numbers
// ascend and at most one is published. Imported releases search no files: their files are missing
// until uploaded again, and a release made after that includes them.
func (s *Service) checkReleases(v *checked, b Bundle) error {
	for i, r := range b.Releases {
		at := fmt.Sprintf("releases[%d]", i)
		switch {
		case r.Number < 1:
			return model.Invalid(at+".number", "must be at least 1")
		case i > 0 && r.Number <= b.Releases[i-1].Number:
			return model.Invalid(at+".number", "must be greater than the release before (releases are listed oldest first)")
		}
		note := strings.TrimSpace(r.Note)
		if err := model.CheckText("note", note); err != nil {
			return err.Under(at)
		}
		if utf8.RuneCountInString(note) > release.MaxNoteChars {
			return model.Invalid(at+".note", fmt.Sprintf("must be at most %d characters", release.MaxNoteChars))
		}
		settings := project.Settings{Name: &b.Project.Name, Model: &r.Model, Temperature: &r.Temperature, MaxOutputTokens: &r.MaxOutputTokens}
		if err := s.projects.CheckSettings(settings); err != nil {
			return err.(*model.ValidationError).Under(at)
		}
		in := make([]project.PromptInput, len(r.Prompts))
		for j, pr := range r.Prompts {
			in[j] = project.PromptInput{Name: pr.Name, Content: pr.Content}
		}
		prompts, err := s.projects.CheckPrompts(in)
		if err != nil {
			return err.(*model.ValidationError).Under(at)
		}
		snap := model.Snapshot{Model: strings.TrimSpace(r.Model), Temperature: r.Temperature, MaxOutputTokens: r.MaxOutputTokens,
			Prompts: make([]model.SnapshotPrompt, len(prompts)), Files: []model.SnapshotFile{}}
		for j, pr := range prompts {
			snap.Prompts[j] = model.SnapshotPrompt{Name: pr.Name, Content: pr.Content}
		}
		if r.Published {
			if v.published != nil {
				return model.Invalid(at+".published", fmt.Sprintf("release %d is published already: at most one release is", *v.published))
			}
			v.published = &r.Number
		}
		v.releases = append(v.releases, model.Release{Number: r.Number, Note: note, Snapshot: snap})
	}
	return nil
}

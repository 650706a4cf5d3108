// Package project manages projects (a user's chatbots), their chat settings and their prompts.
package project

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/chatbot-platform/chatbot/internal/auth"
	"github.com/chatbot-platform/chatbot/internal/model"
	"github.com/chatbot-platform/chatbot/internal/store"
)

// Limits on what a project and its prompts may hold. api/openapi.yaml states each one (Name,
// PromptContent, PromptPosition, Temperature, MaxOutputTokens) and its validator enforces them on the
// API; a test in httpapi keeps the two equal. The service checks them too, for callers besides the
// API, and config bounds the OPENAI_* defaults by them.
const (
	MaxNameChars          = 100
	MaxPromptContentChars = 32_000
	MaxPromptPosition     = 1_000_000
	MinOutputTokens       = 16
	MaxOutputTokens       = 128_000
	MinTemperature        = 0.0
	MaxTemperature        = 2.0
)

// Defaults are the chat settings a new project starts with.
type Defaults struct {
	Model           string
	Temperature     float64
	MaxOutputTokens int64
}

// Limits are the operator's caps on what projects may ask for and hold; a zero field is no cap.
type Limits struct {
	// Models are the models a project may use (empty: any well-formed name).
	Models []string
	// MaxOutputTokens is the most max_output_tokens a project may set.
	MaxOutputTokens int64
	// ProjectsPerUser, PromptsPerProject and SystemPromptChars (the enabled prompts joined, as chat
	// sends them) cap counts and sizes.
	ProjectsPerUser   int
	PromptsPerProject int
	SystemPromptChars int
}

// Allows reports whether a project may chat with model m.
func (l Limits) Allows(m string) bool { return len(l.Models) == 0 || slices.Contains(l.Models, m) }

// Settings are a project's editable fields; nil means "leave as is" (or "use the default" on create).
type Settings struct {
	Name            *string
	Model           *string
	Temperature     *float64
	MaxOutputTokens *int64
	// CustomPrice prices the project's model when the price table lacks it; ClearCustomPrice removes it.
	CustomPrice      *model.Price
	ClearCustomPrice bool
}

// Cleaner removes what a project owns outside the database (files and vector stores at OpenAI):
// CleanupProject before the project is deleted, best effort; CleanupDeleted inside the transaction
// that deletes it, with the project as it was deleted and the file rows deleted with it (what the
// first cleanup could not delete, or what was recorded while it ran), to schedule their removal (a
// job enqueued with tx: an error rolls the deletion back).
type Cleaner interface {
	CleanupProject(ctx context.Context, p model.Project)
	CleanupDeleted(ctx context.Context, tx store.Store, p model.Project, files []model.File) error
}

// Service is the project logic. Every method is scoped by the caller's user id.
type Service struct {
	store    store.Store
	defaults Defaults
	limits   Limits
	cleaners []Cleaner
	log      *slog.Logger
}

// NewService returns the project service.
func NewService(s store.Store, d Defaults, l Limits, log *slog.Logger) *Service {
	return &Service{store: s, defaults: d, limits: l, log: log}
}

// Limits are the caps the service enforces.
func (s *Service) Limits() Limits { return s.limits }

// AllowedModels are the models a project may set, the default for new projects first; empty when
// any well-formed name is allowed.
func (s *Service) AllowedModels() []string {
	if len(s.limits.Models) == 0 {
		return []string{}
	}
	out := []string{s.defaults.Model}
	for _, m := range s.limits.Models {
		if m != s.defaults.Model {
			out = append(out, m)
		}
	}
	return out
}

// OnDelete registers c to run before a project is deleted.
func (s *Service) OnDelete(c Cleaner) { s.cleaners = append(s.cleaners, c) }

// Create makes a project; the name is required, the rest defaults. Returns *model.ValidationError.
func (s *Service) Create(ctx context.Context, ownerID int64, in Settings) (model.Project, error) {
	if in.Name == nil {
		return model.Project{}, model.Invalid("name", "is required")
	}
	if err := s.CheckSettings(in); err != nil {
		return model.Project{}, err
	}
	var p model.Project
	err := s.store.InTx(ctx, func(tx store.Store) error {
		var err error
		p, err = s.CreateIn(ctx, tx, ownerID, in)
		return err
	})
	if err != nil {
		return model.Project{}, fmt.Errorf("create project: %w", err)
	}
	s.log.InfoContext(ctx, "project created", "project_id", p.ID)
	return p, nil
}

// CheckSettings validates the settings of a new project (the name is required) without writing
// anything. Returns *model.ValidationError naming every invalid field.
func (s *Service) CheckSettings(in Settings) error {
	if in.Name == nil {
		return model.Invalid("name", "is required")
	}
	var p model.Project
	return s.apply(&p, in)
}

// CreateIn creates a project inside tx (the caller's transaction, which may add more to it), after
// the caller's project cap, which it checks with the owner's row locked. Returns
// *model.ValidationError.
func (s *Service) CreateIn(ctx context.Context, tx store.Store, ownerID int64, in Settings) (model.Project, error) {
	p := model.Project{OwnerID: ownerID, Model: s.defaults.Model, Temperature: s.defaults.Temperature, MaxOutputTokens: s.defaults.MaxOutputTokens}
	if err := s.apply(&p, in); err != nil {
		return model.Project{}, err
	}
	if max := s.limits.ProjectsPerUser; max > 0 {
		n, err := tx.LockAndCountProjects(ctx, ownerID)
		if err != nil {
			return model.Project{}, err
		}
		if n >= int64(max) {
			return model.Project{}, model.Invalid("name", fmt.Sprintf("you already have %d projects, the most an account may have (MAX_PROJECTS_PER_USER): delete one first", n))
		}
	}
	created, err := tx.CreateProject(ctx, p)
	if err != nil || p.CustomPrice == nil {
		return created, err
	}
	// Creating stores the chat settings only; the price goes with an update in the same transaction.
	created.CustomPrice = p.CustomPrice
	return tx.UpdateProject(ctx, created)
}

// Get returns one of the owner's projects, or store.ErrNotFound.
func (s *Service) Get(ctx context.Context, ownerID, id int64) (model.Project, error) {
	return s.store.GetProject(ctx, ownerID, id)
}

// List returns the owner's projects, oldest first.
func (s *Service) List(ctx context.Context, ownerID int64) ([]model.Project, error) {
	return s.store.ListProjects(ctx, ownerID)
}

// Update changes the fields present in in. Returns store.ErrNotFound or *model.ValidationError.
func (s *Service) Update(ctx context.Context, ownerID, id int64, in Settings) (model.Project, error) {
	var out model.Project
	err := s.store.InTx(ctx, func(tx store.Store) error {
		p, err := tx.GetProject(ctx, ownerID, id)
		if err != nil {
			return err
		}
		if err := s.apply(&p, in); err != nil {
			return err
		}
		out, err = tx.UpdateProject(ctx, p)
		return err
	})
	if err == nil {
		s.log.InfoContext(ctx, "project updated", "project_id", id)
	}
	return out, err
}

// Delete removes a project with its prompts, files and conversations. Returns store.ErrNotFound.
func (s *Service) Delete(ctx context.Context, ownerID, id int64) error {
	p, err := s.store.GetProject(ctx, ownerID, id)
	if err != nil {
		return err
	}
	// Once cleanup has started the deletion must finish, even if the client goes away.
	ctx = context.WithoutCancel(ctx)
	for _, c := range s.cleaners {
		c.CleanupProject(ctx, p)
	}
	// The row goes under the project's lock, which recording a file takes too: a file recorded while
	// the cleanup ran is among the rows deleted here (and handed to CleanupDeleted), and one recorded
	// later fails on the missing project (and its upload removes it upstream).
	err = s.store.InTx(ctx, func(tx store.Store) error {
		err := tx.LockProject(ctx, ownerID, id)
		if err == nil {
			p, err = tx.GetProject(ctx, ownerID, id)
		}
		var files []model.File
		if err == nil {
			files, err = tx.DeleteProjectFiles(ctx, ownerID, id)
		}
		if err == nil {
			err = tx.DeleteProject(ctx, ownerID, id)
		}
		if err != nil || (len(files) == 0 && p.VectorStoreID == "") {
			return err
		}
		for _, c := range s.cleaners {
			if err := c.CleanupDeleted(ctx, tx, p, files); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.log.InfoContext(ctx, "project deleted", "project_id", id)
	return nil
}

var modelName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:/-]{0,99}$`)

// apply validates in and copies it onto p, reporting every invalid field at once.
func (s *Service) apply(p *model.Project, in Settings) error {
	var verr model.ValidationError
	add := func(e *model.ValidationError) {
		if e != nil {
			verr.Fields = append(verr.Fields, e.Fields...)
		}
	}
	if in.Name != nil {
		name, e := model.CheckName("name", *in.Name, MaxNameChars)
		add(e)
		p.Name = name
	}
	if in.Model != nil {
		m := strings.TrimSpace(*in.Model)
		switch {
		case !modelName.MatchString(m):
			add(model.Invalid("model", "must be a model name such as gpt-4o-mini (letters, digits, . _ : / -)"))
		case !s.limits.Allows(m):
			add(model.Invalid("model", fmt.Sprintf("%q is not offered here; allowed: %s", m, strings.Join(s.limits.Models, ", "))))
		}
		p.Model = m
	}
	if in.Temperature != nil {
		if t := *in.Temperature; t < MinTemperature || t > MaxTemperature {
			add(model.Invalid("temperature", fmt.Sprintf("must be between %g and %g", MinTemperature, MaxTemperature)))
		}
		p.Temperature = *in.Temperature
	}
	if in.MaxOutputTokens != nil {
		switch n := *in.MaxOutputTokens; {
		case n < MinOutputTokens || n > MaxOutputTokens:
			add(model.Invalid("max_output_tokens", fmt.Sprintf("must be between %d and %d", MinOutputTokens, MaxOutputTokens)))
		case s.limits.MaxOutputTokens > 0 && n > s.limits.MaxOutputTokens:
			add(model.Invalid("max_output_tokens", fmt.Sprintf("must be at most %d here (OPENAI_MAX_OUTPUT_TOKENS_CAP)", s.limits.MaxOutputTokens)))
		}
		p.MaxOutputTokens = *in.MaxOutputTokens
	}
	switch {
	case in.ClearCustomPrice:
		p.CustomPrice = nil
	case in.CustomPrice != nil:
		price := *in.CustomPrice
		p.CustomPrice = &price
	}
	if len(verr.Fields) > 0 {
		return &verr
	}
	return nil
}

// PromptInput is a prompt's editable fields; nil Position appends, nil Enabled keeps (or enables on create).
type PromptInput struct {
	Name     string
	Content  string
	Position *int64
	Enabled  *bool
}

// CreatePrompt adds a prompt to one of the owner's projects. Returns store.ErrNotFound or *model.ValidationError.
func (s *Service) CreatePrompt(ctx context.Context, ownerID, projectID int64, in PromptInput) (model.Prompt, error) {
	pr := model.Prompt{ProjectID: projectID, Enabled: true}
	if err := applyPrompt(&pr, in); err != nil {
		return model.Prompt{}, err
	}
	err := s.store.InTx(ctx, func(tx store.Store) error {
		// Locks the project (ErrNotFound when not the caller's: its prompt count stays unrevealed).
		n, err := tx.LockAndCountPrompts(ctx, ownerID, projectID)
		if err != nil {
			return err
		}
		if max := s.limits.PromptsPerProject; max > 0 && n >= int64(max) {
			return model.Invalid("name", fmt.Sprintf("this project already has %d prompts, the most a project may have (MAX_PROMPTS_PER_PROJECT): delete one first", n))
		}
		if err := s.checkSystemPrompt(ctx, tx, ownerID, projectID, pr); err != nil {
			return err
		}
		if in.Position == nil {
			next, err := tx.NextPromptPosition(ctx, projectID)
			if err != nil {
				return err
			}
			pr.Position = next
		}
		pr, err = tx.CreatePrompt(ctx, ownerID, pr)
		return err
	})
	if err != nil {
		return model.Prompt{}, err
	}
	s.log.InfoContext(ctx, "prompt created", "project_id", projectID, "prompt_id", pr.ID)
	return pr, nil
}

// PagePrompts returns one page of a project's prompts in system-prompt order. Returns store.ErrNotFound.
func (s *Service) PagePrompts(ctx context.Context, ownerID, projectID int64, page store.Page) ([]model.Prompt, error) {
	if _, err := s.store.GetProject(ctx, ownerID, projectID); err != nil {
		return nil, err
	}
	return s.store.PagePrompts(ctx, ownerID, projectID, page)
}

// UpdatePrompt replaces a prompt's name and content, and its position and enabled flag when given.
func (s *Service) UpdatePrompt(ctx context.Context, ownerID, id int64, in PromptInput) (model.Prompt, error) {
	var out model.Prompt
	err := s.store.InTx(ctx, func(tx store.Store) error {
		pr, err := tx.GetPrompt(ctx, ownerID, id)
		if err == nil {
			err = auth.CheckProject(ctx, pr.ProjectID)
		}
		if err != nil {
			return err
		}
		if err := applyPrompt(&pr, in); err != nil {
			return err
		}
		if _, err := tx.LockAndCountPrompts(ctx, ownerID, pr.ProjectID); err != nil {
			return err
		}
		if err := s.checkSystemPrompt(ctx, tx, ownerID, pr.ProjectID, pr); err != nil {
			return err
		}
		out, err = tx.UpdatePrompt(ctx, ownerID, pr)
		return err
	})
	if err == nil {
		s.log.InfoContext(ctx, "prompt updated", "prompt_id", id)
	}
	return out, err
}

// DeletePrompt removes a prompt. Returns store.ErrNotFound.
func (s *Service) DeletePrompt(ctx context.Context, ownerID, id int64) error {
	pr, err := s.store.GetPrompt(ctx, ownerID, id)
	if err == nil {
		err = auth.CheckProject(ctx, pr.ProjectID)
	}
	if err == nil {
		err = s.store.DeletePrompt(ctx, ownerID, id)
	}
	if err != nil {
		return err
	}
	s.log.InfoContext(ctx, "prompt deleted", "prompt_id", id)
	return nil
}

// checkSystemPrompt refuses a prompt (new, or changed: same ID) that would make the project's enabled
// prompts, joined as chat sends them, longer than SystemPromptChars. Run it with the project locked.
func (s *Service) checkSystemPrompt(ctx context.Context, tx store.Store, ownerID, projectID int64, pr model.Prompt) error {
	if s.limits.SystemPromptChars <= 0 || !pr.Enabled {
		return nil
	}
	prompts, err := tx.ListPrompts(ctx, ownerID, projectID)
	if err != nil {
		return err
	}
	prompts = slices.DeleteFunc(prompts, func(p model.Prompt) bool { return pr.ID != 0 && p.ID == pr.ID })
	return s.systemPromptFits("content", append(prompts, pr))
}

func (s *Service) systemPromptFits(field string, prompts []model.Prompt) error {
	if max := s.limits.SystemPromptChars; max > 0 {
		if n := utf8.RuneCountInString(SystemPrompt(prompts)); n > max {
			return model.Invalid(field, fmt.Sprintf("the project's enabled prompts would total %d characters joined; at most %d are allowed (MAX_SYSTEM_PROMPT_CHARS)", n, max))
		}
	}
	return nil
}

// CheckPrompts validates a whole new prompt set, in order (an import), without writing anything:
// each prompt as CreatePrompt would (errors named prompts[i].field), then their count and joined
// size against the caps (named prompts). Returns *model.ValidationError with the first problem.
func (s *Service) CheckPrompts(in []PromptInput) ([]model.Prompt, error) {
	out := make([]model.Prompt, len(in))
	for i, pin := range in {
		out[i] = model.Prompt{Enabled: true, Position: int64(i)}
		if err := applyPrompt(&out[i], pin); err != nil {
			return nil, err.(*model.ValidationError).Under(fmt.Sprintf("prompts[%d]", i))
		}
	}
	if max := s.limits.PromptsPerProject; max > 0 && len(in) > max {
		return nil, model.Invalid("prompts", fmt.Sprintf("%d prompts; a project may have at most %d (MAX_PROMPTS_PER_PROJECT)", len(in), max))
	}
	if !slices.ContainsFunc(out, func(p model.Prompt) bool { return p.Enabled }) {
		return out, nil // chat's default system prompt, which no cap counts
	}
	if err := s.systemPromptFits("prompts", out); err != nil {
		return nil, err
	}
	return out, nil
}

func applyPrompt(pr *model.Prompt, in PromptInput) error {
	var verr model.ValidationError
	name, e := model.CheckName("name", in.Name, MaxNameChars)
	if e != nil {
		verr.Fields = append(verr.Fields, e.Fields...)
	}
	if e := model.CheckContent("content", in.Content, MaxPromptContentChars); e != nil {
		verr.Fields = append(verr.Fields, e.Fields...)
	}
	if in.Position != nil && (*in.Position < 0 || *in.Position > MaxPromptPosition) {
		verr.Fields = append(verr.Fields, model.FieldError{Field: "position", Message: fmt.Sprintf("must be between 0 and %d", MaxPromptPosition)})
	}
	if len(verr.Fields) > 0 {
		return &verr
	}
	pr.Name, pr.Content = name, in.Content
	if in.Position != nil {
		pr.Position = *in.Position
	}
	if in.Enabled != nil {
		pr.Enabled = *in.Enabled
	}
	return nil
}

// DefaultSystemPrompt is used when a project has no enabled prompts.
const DefaultSystemPrompt = "You are a helpful, friendly assistant. Answer clearly and accurately, and say so when you are not sure."

// SystemPrompt joins the enabled prompts' contents with newlines, in the given (position) order.
func SystemPrompt(prompts []model.Prompt) string {
	var parts []string
	for _, p := range prompts {
		if p.Enabled {
			parts = append(parts, p.Content)
		}
	}
	if len(parts) == 0 {
		return DefaultSystemPrompt
	}
	return strings.Join(parts, "\n")
}

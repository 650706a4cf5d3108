// Package project manages projects (a user's chatbots), their chat settings and their prompts.
package project

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"strings"

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

// Cleaner removes what a project owns outside the database (files and vector stores at OpenAI)
// before the project is deleted.
type Cleaner interface {
	CleanupProject(ctx context.Context, p model.Project)
}

// Service is the project logic. Every method is scoped by the caller's user id.
type Service struct {
	store    store.Store
	defaults Defaults
	cleaners []Cleaner
	log      *slog.Logger
}

// NewService returns the project service.
func NewService(s store.Store, d Defaults, log *slog.Logger) *Service {
	return &Service{store: s, defaults: d, log: log}
}

// OnDelete registers c to run before a project is deleted.
func (s *Service) OnDelete(c Cleaner) { s.cleaners = append(s.cleaners, c) }

// Create makes a project; the name is required, the rest defaults. Returns *model.ValidationError.
func (s *Service) Create(ctx context.Context, ownerID int64, in Settings) (model.Project, error) {
	if in.Name == nil {
		return model.Project{}, model.Invalid("name", "is required")
	}
	p := model.Project{OwnerID: ownerID, Model: s.defaults.Model, Temperature: s.defaults.Temperature, MaxOutputTokens: s.defaults.MaxOutputTokens}
	if err := apply(&p, in); err != nil {
		return model.Project{}, err
	}
	p, err := s.store.CreateProject(ctx, p)
	if err != nil {
		return model.Project{}, fmt.Errorf("create project: %w", err)
	}
	s.log.InfoContext(ctx, "project created", "project_id", p.ID)
	return p, nil
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
		if err := apply(&p, in); err != nil {
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
	if err := s.store.DeleteProject(ctx, ownerID, id); err != nil {
		return err
	}
	s.log.InfoContext(ctx, "project deleted", "project_id", id)
	return nil
}

var modelName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:/-]{0,99}$`)

// apply validates in and copies it onto p, reporting every invalid field at once.
func apply(p *model.Project, in Settings) error {
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
		if !modelName.MatchString(m) {
			add(model.Invalid("model", "must be a model name such as gpt-4o-mini (letters, digits, . _ : / -)"))
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
		if n := *in.MaxOutputTokens; n < MinOutputTokens || n > MaxOutputTokens {
			add(model.Invalid("max_output_tokens", fmt.Sprintf("must be between %d and %d", MinOutputTokens, MaxOutputTokens)))
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
		if in.Position == nil {
			if _, err := tx.GetProject(ctx, ownerID, projectID); err != nil {
				return err // not the caller's project: don't reveal its prompt count
			}
			next, err := tx.NextPromptPosition(ctx, projectID)
			if err != nil {
				return err
			}
			pr.Position = next
		}
		var err error
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

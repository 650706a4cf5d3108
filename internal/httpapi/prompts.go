package httpapi

import (
	"context"
	"fmt"

	"github.com/chatbot-platform/chatbot/internal/apigen"
	"github.com/chatbot-platform/chatbot/internal/auth"
	"github.com/chatbot-platform/chatbot/internal/model"
	"github.com/chatbot-platform/chatbot/internal/project"
	"github.com/chatbot-platform/chatbot/internal/store"
)

// CreatePrompt implements apigen.StrictServerInterface.
func (h *Handlers) CreatePrompt(ctx context.Context, req apigen.CreatePromptRequestObject) (apigen.CreatePromptResponseObject, error) {
	b := req.Body
	p, err := h.projects.CreatePrompt(ctx, auth.UserID(ctx), req.ProjectId, project.PromptInput{
		Name: b.Name, Content: b.Content, Position: int64Ptr(b.Position), Enabled: b.Enabled,
	})
	if err != nil {
		return nil, err
	}
	return apigen.CreatePrompt201JSONResponse(promptToAPI(p)), nil
}

// ListPrompts implements apigen.StrictServerInterface.
func (h *Handlers) ListPrompts(ctx context.Context, req apigen.ListPromptsRequestObject) (apigen.ListPromptsResponseObject, error) {
	page, err := pageOf(req.Params.Limit, req.Params.Cursor)
	if err != nil {
		return nil, err
	}
	ps, err := h.projects.PagePrompts(ctx, auth.UserID(ctx), req.ProjectId, page)
	if err != nil {
		return nil, err
	}
	ps, next := nextCursor(page, ps, func(p model.Prompt) store.Cursor { return store.Cursor{ID: p.ID, Position: p.Position} })
	link := nextLink(fmt.Sprintf("/projects/%d/prompts", req.ProjectId), nil, page, next)
	return apigen.ListPrompts200JSONResponse{Body: mapSlice(ps, promptToAPI), Headers: apigen.ListPrompts200ResponseHeaders{XNextCursor: next, Link: link}}, nil
}

// UpdatePrompt implements apigen.StrictServerInterface.
func (h *Handlers) UpdatePrompt(ctx context.Context, req apigen.UpdatePromptRequestObject) (apigen.UpdatePromptResponseObject, error) {
	b := req.Body
	p, err := h.projects.UpdatePrompt(ctx, auth.UserID(ctx), req.PromptId, project.PromptInput{
		Name: b.Name, Content: b.Content, Position: int64Ptr(b.Position), Enabled: b.Enabled,
	})
	if err != nil {
		return nil, err
	}
	return apigen.UpdatePrompt200JSONResponse(promptToAPI(p)), nil
}

// DeletePrompt implements apigen.StrictServerInterface.
func (h *Handlers) DeletePrompt(ctx context.Context, req apigen.DeletePromptRequestObject) (apigen.DeletePromptResponseObject, error) {
	if err := h.projects.DeletePrompt(ctx, auth.UserID(ctx), req.PromptId); err != nil {
		return nil, err
	}
	return apigen.DeletePrompt204Response{}, nil
}

func promptToAPI(p model.Prompt) apigen.Prompt {
	return apigen.Prompt{
		Id: p.ID, ProjectId: p.ProjectID, Name: p.Name, Content: p.Content, Position: int(p.Position),
		Enabled: p.Enabled, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt,
	}
}

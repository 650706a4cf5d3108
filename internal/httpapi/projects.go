package httpapi

import (
	"context"

	"github.com/chatbot-platform/chatbot/internal/apigen"
	"github.com/chatbot-platform/chatbot/internal/auth"
	"github.com/chatbot-platform/chatbot/internal/model"
	"github.com/chatbot-platform/chatbot/internal/project"
	"github.com/chatbot-platform/chatbot/internal/usage"
)

// CreateProject implements apigen.StrictServerInterface.
func (h *Handlers) CreateProject(ctx context.Context, req apigen.CreateProjectRequestObject) (apigen.CreateProjectResponseObject, error) {
	b := req.Body
	p, err := h.projects.Create(ctx, auth.UserID(ctx), project.Settings{
		Name: &b.Name, Model: b.Model, Temperature: b.Temperature, MaxOutputTokens: int64Ptr(b.MaxOutputTokens),
	})
	if err != nil {
		return nil, err
	}
	return apigen.CreateProject201JSONResponse(projectToAPI(p)), nil
}

// ListProjects implements apigen.StrictServerInterface.
func (h *Handlers) ListProjects(ctx context.Context, _ apigen.ListProjectsRequestObject) (apigen.ListProjectsResponseObject, error) {
	ps, err := h.projects.List(ctx, auth.UserID(ctx))
	if err != nil {
		return nil, err
	}
	return apigen.ListProjects200JSONResponse(mapSlice(ps, projectToAPI)), nil
}

// GetProject implements apigen.StrictServerInterface.
func (h *Handlers) GetProject(ctx context.Context, req apigen.GetProjectRequestObject) (apigen.GetProjectResponseObject, error) {
	p, err := h.projects.Get(ctx, auth.UserID(ctx), req.ProjectId)
	if err != nil {
		return nil, err
	}
	return apigen.GetProject200JSONResponse(projectToAPI(p)), nil
}

// UpdateProject implements apigen.StrictServerInterface.
func (h *Handlers) UpdateProject(ctx context.Context, req apigen.UpdateProjectRequestObject) (apigen.UpdateProjectResponseObject, error) {
	b := req.Body
	if b.Name != nil && auth.KeyFrom(ctx) != nil {
		return nil, &model.ForbiddenError{Detail: "A key may change a project's chat settings, never its name"}
	}
	in := project.Settings{
		Name: b.Name, Model: b.Model, Temperature: b.Temperature, MaxOutputTokens: int64Ptr(b.MaxOutputTokens),
		ClearCustomPrice: b.CustomPrice.IsNull(),
	}
	if price, err := b.CustomPrice.Get(); err == nil {
		in.CustomPrice = priceFromAPI(price)
	}
	p, err := h.projects.Update(ctx, auth.UserID(ctx), req.ProjectId, in)
	if err != nil {
		return nil, err
	}
	return apigen.UpdateProject200JSONResponse(projectToAPI(p)), nil
}

// DeleteProject implements apigen.StrictServerInterface.
func (h *Handlers) DeleteProject(ctx context.Context, req apigen.DeleteProjectRequestObject) (apigen.DeleteProjectResponseObject, error) {
	if err := h.projects.Delete(ctx, auth.UserID(ctx), req.ProjectId); err != nil {
		return nil, err
	}
	return apigen.DeleteProject204Response{}, nil
}

func projectToAPI(p model.Project) apigen.Project {
	out := apigen.Project{
		Id: p.ID, Name: p.Name, Model: p.Model, Temperature: p.Temperature,
		MaxOutputTokens: int(p.MaxOutputTokens), PublishedRelease: p.PublishedRelease, CreatedAt: p.CreatedAt,
	}
	if c := p.CustomPrice; c != nil {
		cached := usage.USD(c.CachedInput)
		out.CustomPrice = &apigen.Price{Input: usage.USD(c.Input), CachedInput: &cached, Output: usage.USD(c.Output)}
	}
	return out
}

// priceFromAPI converts USD per million tokens to micro-USD; the cached price defaults to the input one.
func priceFromAPI(p apigen.PriceInput) *model.Price {
	out := &model.Price{Input: usage.MicroUSD(p.Input), CachedInput: usage.MicroUSD(p.Input), Output: usage.MicroUSD(p.Output)}
	if p.CachedInput != nil {
		out.CachedInput = usage.MicroUSD(*p.CachedInput)
	}
	return out
}

func int64Ptr(n *int) *int64 {
	if n == nil {
		return nil
	}
	v := int64(*n)
	return &v
}

func mapSlice[T, U any](in []T, f func(T) U) []U {
	out := make([]U, len(in))
	for i, v := range in {
		out[i] = f(v)
	}
	return out
}

// GetAllowedModels implements apigen.StrictServerInterface (GET /models): what the dashboard's model
// picker offers.
func (h *Handlers) GetAllowedModels(ctx context.Context, _ apigen.GetAllowedModelsRequestObject) (apigen.GetAllowedModelsResponseObject, error) {
	return apigen.GetAllowedModels200JSONResponse{Models: h.projects.AllowedModels(), MaxOutputTokens: h.projects.Limits().MaxOutputTokens}, nil
}

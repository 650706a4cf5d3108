package httpapi

import (
	"context"
	"fmt"
	"time"

	"github.com/chatbot-platform/chatbot/internal/apigen"
	"github.com/chatbot-platform/chatbot/internal/auth"
	"github.com/chatbot-platform/chatbot/internal/bundle"
	"github.com/chatbot-platform/chatbot/internal/model"
)

// ExportAccount implements apigen.StrictServerInterface (GET /users/me/export): the whole account, read
// with the owner's scoping like every other read, in memory (an account's data is bounded by its caps).
func (h *Handlers) ExportAccount(ctx context.Context, _ apigen.ExportAccountRequestObject) (apigen.ExportAccountResponseObject, error) {
	u, _ := auth.UserFrom(ctx)
	sessions, err := h.auth.Sessions(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	projects, err := h.store.ListProjects(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	out := apigen.AccountExport{ExportedAt: time.Now().UTC(), User: userToAPI(u), Projects: []apigen.ProjectExport{},
		Sessions: sessionsToAPI(sessions, auth.SessionID(ctx))}
	for _, p := range projects {
		pe, err := h.exportProject(ctx, p)
		if err != nil {
			return nil, err
		}
		out.Projects = append(out.Projects, pe)
	}
	name := fmt.Sprintf(`attachment; filename="chatbot-account-%d.json"`, u.ID)
	return apigen.ExportAccount200JSONResponse{Body: out, Headers: apigen.ExportAccount200ResponseHeaders{ContentDisposition: &name}}, nil
}

func (h *Handlers) exportProject(ctx context.Context, p model.Project) (apigen.ProjectExport, error) {
	c, err := bundle.ReadProject(ctx, h.store, p, true)
	if err != nil {
		return apigen.ProjectExport{}, err
	}
	keys, err := h.store.ListKeys(ctx, p.OwnerID, p.ID)
	if err != nil {
		return apigen.ProjectExport{}, err
	}
	out := apigen.ProjectExport{Project: projectToAPI(p), Prompts: mapSlice(c.Prompts, promptToAPI), Files: mapSlice(c.Files, fileToAPI),
		Keys: mapSlice(keys, keyToAPI), Conversations: []apigen.ConversationDetail{}}
	for _, t := range c.Conversations {
		out.Conversations = append(out.Conversations, conversationDetailToAPI(t.Conversation, t.Messages))
	}
	return out, nil
}

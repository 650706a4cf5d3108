package httpapi

import (
	"context"
	"fmt"
	"time"

	"github.com/chatbot-platform/chatbot/internal/apigen"
	"github.com/chatbot-platform/chatbot/internal/auth"
	"github.com/chatbot-platform/chatbot/internal/model"
	"github.com/chatbot-platform/chatbot/internal/store"
)

// exportPage is how many rows the export reads at a time from the paged lists.
const exportPage = 500

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
		pe, err := h.exportProject(ctx, u.ID, p)
		if err != nil {
			return nil, err
		}
		out.Projects = append(out.Projects, pe)
	}
	name := fmt.Sprintf(`attachment; filename="chatbot-account-%d.json"`, u.ID)
	return apigen.ExportAccount200JSONResponse{Body: out, Headers: apigen.ExportAccount200ResponseHeaders{ContentDisposition: &name}}, nil
}

func (h *Handlers) exportProject(ctx context.Context, ownerID int64, p model.Project) (apigen.ProjectExport, error) {
	prompts, err := h.store.ListPrompts(ctx, ownerID, p.ID)
	if err != nil {
		return apigen.ProjectExport{}, err
	}
	files, err := h.store.ListFiles(ctx, ownerID, p.ID)
	if err != nil {
		return apigen.ProjectExport{}, err
	}
	keys, err := h.store.ListKeys(ctx, ownerID, p.ID)
	if err != nil {
		return apigen.ProjectExport{}, err
	}
	convs, err := everyPage(func(pg store.Page) ([]model.Conversation, error) {
		return h.store.ListConversations(ctx, ownerID, p.ID, store.ConversationFilter{}, pg)
	}, func(c model.Conversation) store.Cursor { return store.Cursor{ID: c.ID, Time: c.UpdatedAt} })
	if err != nil {
		return apigen.ProjectExport{}, err
	}
	out := apigen.ProjectExport{Project: projectToAPI(p), Prompts: mapSlice(prompts, promptToAPI), Files: mapSlice(files, fileToAPI),
		Keys: mapSlice(keys, keyToAPI), Conversations: []apigen.ConversationDetail{}}
	for _, c := range convs {
		msgs, err := everyPage(func(pg store.Page) ([]model.Message, error) {
			return h.store.ListMessages(ctx, ownerID, c.ID, pg)
		}, func(m model.Message) store.Cursor { return store.Cursor{ID: m.ID} })
		if err != nil {
			return apigen.ProjectExport{}, err
		}
		out.Conversations = append(out.Conversations, conversationDetailToAPI(c, msgs))
	}
	return out, nil
}

// everyPage reads a paged list to its end.
func everyPage[T any](page func(store.Page) ([]T, error), cursor func(T) store.Cursor) ([]T, error) {
	var all []T
	p := store.Page{Limit: exportPage}
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

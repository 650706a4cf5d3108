package httpapi

import (
	"context"
	"fmt"
	"net/url"

	"github.com/chatbot-platform/chatbot/internal/apigen"
	"github.com/chatbot-platform/chatbot/internal/auth"
	"github.com/chatbot-platform/chatbot/internal/model"
	"github.com/chatbot-platform/chatbot/internal/store"
)

// ListConversations implements apigen.StrictServerInterface.
func (h *Handlers) ListConversations(ctx context.Context, req apigen.ListConversationsRequestObject) (apigen.ListConversationsResponseObject, error) {
	p := req.Params
	v, err := viewer(ctx, p.User, p.UserHash, p.XVisitorId)
	if err != nil {
		return nil, err
	}
	f := store.ConversationFilter{KeyID: p.KeyId, Search: p.Q}
	if v.Key == nil && p.User != nil {
		if err := model.CheckText("user", *p.User); err != nil {
			return nil, err
		}
		f.EndUser = p.User
	} else if p.User != nil {
		f.EndUser = &v.EndUser
	}
	page, err := pageOf(p.Limit, p.Cursor)
	if err != nil {
		return nil, err
	}
	cs, err := h.chat.Conversations(ctx, v, req.ProjectId, f, page)
	if err != nil {
		return nil, err
	}
	cs, next := nextCursor(page, cs, func(c model.Conversation) store.Cursor { return store.Cursor{ID: c.ID, Time: c.UpdatedAt} })
	filters := addQuery(addQuery(addQuery(addQuery(url.Values{}, "key_id", p.KeyId), "user", p.User), "user_hash", p.UserHash), "q", p.Q)
	link := nextLink(fmt.Sprintf("/projects/%d/conversations", req.ProjectId), filters, page, next)
	return apigen.ListConversations200JSONResponse{
		Body: mapSlice(cs, conversationToAPI), Headers: apigen.ListConversations200ResponseHeaders{XNextCursor: next, Link: link},
	}, nil
}

// GetConversation implements apigen.StrictServerInterface.
func (h *Handlers) GetConversation(ctx context.Context, req apigen.GetConversationRequestObject) (apigen.GetConversationResponseObject, error) {
	p := req.Params
	v, err := viewer(ctx, p.User, p.UserHash, p.XVisitorId)
	if err != nil {
		return nil, err
	}
	page, err := pageOf(p.Limit, p.Cursor)
	if err != nil {
		return nil, err
	}
	c, msgs, err := h.chat.Conversation(ctx, v, req.ConversationId, page)
	if err != nil {
		return nil, err
	}
	msgs, next := nextCursor(page, msgs, func(m model.Message) store.Cursor { return store.Cursor{ID: m.ID} })
	return apigen.GetConversation200JSONResponse{Body: conversationDetailToAPI(c, msgs), Headers: apigen.GetConversation200ResponseHeaders{XNextCursor: next, Link: nextLink(fmt.Sprintf("/conversations/%d", req.ConversationId),
		addQuery(addQuery(url.Values{}, "user", p.User), "user_hash", p.UserHash), page, next)}}, nil
}

// DeleteConversation implements apigen.StrictServerInterface.
func (h *Handlers) DeleteConversation(ctx context.Context, req apigen.DeleteConversationRequestObject) (apigen.DeleteConversationResponseObject, error) {
	p := req.Params
	v, err := viewer(ctx, p.User, p.UserHash, p.XVisitorId)
	if err != nil {
		return nil, err
	}
	if err := h.chat.DeleteConversation(ctx, v, req.ConversationId); err != nil {
		return nil, err
	}
	return apigen.DeleteConversation204Response{}, nil
}

// RenameConversation implements apigen.StrictServerInterface (PATCH /conversations/{id}).
func (h *Handlers) RenameConversation(ctx context.Context, req apigen.RenameConversationRequestObject) (apigen.RenameConversationResponseObject, error) {
	c, err := h.chat.RenameConversation(ctx, auth.UserID(ctx), req.ConversationId, req.Body.Title)
	if err != nil {
		return nil, err
	}
	return apigen.RenameConversation200JSONResponse(conversationToAPI(c)), nil
}

func conversationDetailToAPI(c model.Conversation, msgs []model.Message) apigen.ConversationDetail {
	conv := conversationToAPI(c)
	return apigen.ConversationDetail{
		Id: conv.Id, ProjectId: conv.ProjectId, Title: conv.Title, KeyId: conv.KeyId, KeyName: conv.KeyName,
		EndUser: conv.EndUser, CreatedAt: conv.CreatedAt, UpdatedAt: conv.UpdatedAt, Messages: mapSlice(msgs, messageToAPI),
	}
}

func conversationToAPI(c model.Conversation) apigen.Conversation {
	return apigen.Conversation{
		Id: c.ID, ProjectId: c.ProjectID, Title: c.Title, KeyId: c.KeyID, KeyName: store.NullString(c.KeyName),
		EndUser: store.NullString(c.EndUser), CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt,
	}
}

func messageToAPI(m model.Message) apigen.ChatMessage {
	return apigen.ChatMessage{
		Id: m.ID, Role: apigen.ChatMessageRole(m.Role), Content: m.Content, Model: m.Model,
		InputTokens: intPtr(m.InputTokens), OutputTokens: intPtr(m.OutputTokens), LatencyMs: intPtr(m.LatencyMS),
		Incomplete: m.Incomplete, Citations: mapSlice(m.Citations, citationToAPI), Release: m.Release, CreatedAt: m.CreatedAt,
	}
}

func intPtr(n *int64) *int {
	if n == nil {
		return nil
	}
	v := int(*n)
	return &v
}

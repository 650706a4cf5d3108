package httpapi

import (
	"context"

	"github.com/chatbot-platform/chatbot/internal/apigen"
	"github.com/chatbot-platform/chatbot/internal/auth"
	"github.com/chatbot-platform/chatbot/internal/model"
)

// ListConversations implements apigen.StrictServerInterface.
func (h *Handlers) ListConversations(ctx context.Context, req apigen.ListConversationsRequestObject) (apigen.ListConversationsResponseObject, error) {
	cs, err := h.chat.Conversations(ctx, auth.UserID(ctx), req.ProjectId)
	if err != nil {
		return nil, err
	}
	return apigen.ListConversations200JSONResponse(mapSlice(cs, conversationToAPI)), nil
}

// GetConversation implements apigen.StrictServerInterface.
func (h *Handlers) GetConversation(ctx context.Context, req apigen.GetConversationRequestObject) (apigen.GetConversationResponseObject, error) {
	c, msgs, err := h.chat.Conversation(ctx, auth.UserID(ctx), req.ConversationId)
	if err != nil {
		return nil, err
	}
	conv := conversationToAPI(c)
	return apigen.GetConversation200JSONResponse{
		Id: conv.Id, ProjectId: conv.ProjectId, Title: conv.Title, CreatedAt: conv.CreatedAt, UpdatedAt: conv.UpdatedAt,
		Messages: mapSlice(msgs, messageToAPI),
	}, nil
}

// DeleteConversation implements apigen.StrictServerInterface.
func (h *Handlers) DeleteConversation(ctx context.Context, req apigen.DeleteConversationRequestObject) (apigen.DeleteConversationResponseObject, error) {
	if err := h.chat.DeleteConversation(ctx, auth.UserID(ctx), req.ConversationId); err != nil {
		return nil, err
	}
	return apigen.DeleteConversation204Response{}, nil
}

func conversationToAPI(c model.Conversation) apigen.Conversation {
	return apigen.Conversation{Id: c.ID, ProjectId: c.ProjectID, Title: c.Title, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
}

func messageToAPI(m model.Message) apigen.ChatMessage {
	return apigen.ChatMessage{
		Id: m.ID, Role: apigen.ChatMessageRole(m.Role), Content: m.Content, Model: m.Model,
		InputTokens: intPtr(m.InputTokens), OutputTokens: intPtr(m.OutputTokens), LatencyMs: intPtr(m.LatencyMS),
		Incomplete: m.Incomplete, Citations: mapSlice(m.Citations, citationToAPI), CreatedAt: m.CreatedAt,
	}
}

func intPtr(n *int64) *int {
	if n == nil {
		return nil
	}
	v := int(*n)
	return &v
}

package httpapi

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/chatbot-platform/chatbot/internal/apigen"
)

// Chat and conversations land with their own issue; until then they say so honestly.
var errNotYet = echo.NewHTTPError(http.StatusNotImplemented, "not implemented yet")

func (h *Handlers) SendMessage(context.Context, apigen.SendMessageRequestObject) (apigen.SendMessageResponseObject, error) {
	return nil, errNotYet
}
func (h *Handlers) StreamMessage(context.Context, apigen.StreamMessageRequestObject) (apigen.StreamMessageResponseObject, error) {
	return nil, errNotYet
}
func (h *Handlers) ListConversations(context.Context, apigen.ListConversationsRequestObject) (apigen.ListConversationsResponseObject, error) {
	return nil, errNotYet
}
func (h *Handlers) GetConversation(context.Context, apigen.GetConversationRequestObject) (apigen.GetConversationResponseObject, error) {
	return nil, errNotYet
}
func (h *Handlers) DeleteConversation(context.Context, apigen.DeleteConversationRequestObject) (apigen.DeleteConversationResponseObject, error) {
	return nil, errNotYet
}

package httpapi

import (
	"context"

	"github.com/chatbot-platform/chatbot/internal/apigen"
	"github.com/chatbot-platform/chatbot/internal/auth"
)

// RegisterUser implements apigen.StrictServerInterface.
func (h *Handlers) RegisterUser(ctx context.Context, req apigen.RegisterUserRequestObject) (apigen.RegisterUserResponseObject, error) {
	if err := h.auth.Register(ctx, req.Body.Email, req.Body.Password); err != nil {
		return nil, err
	}
	return apigen.RegisterUser200JSONResponse{Message: "User registered successfully"}, nil
}

// LoginUser implements apigen.StrictServerInterface.
func (h *Handlers) LoginUser(ctx context.Context, req apigen.LoginUserRequestObject) (apigen.LoginUserResponseObject, error) {
	token, err := h.auth.Login(ctx, req.Body.Email, req.Body.Password)
	if err != nil {
		return nil, err
	}
	return apigen.LoginUser200JSONResponse{AccessToken: token, TokenType: apigen.Bearer}, nil
}

// GetCurrentUser implements apigen.StrictServerInterface.
func (h *Handlers) GetCurrentUser(ctx context.Context, _ apigen.GetCurrentUserRequestObject) (apigen.GetCurrentUserResponseObject, error) {
	u, _ := auth.UserFrom(ctx)
	return apigen.GetCurrentUser200JSONResponse{Id: u.ID, Email: u.Email, CreatedAt: u.CreatedAt}, nil
}

package httpapi

import (
	"context"

	"github.com/chatbot-platform/chatbot/internal/apigen"
	"github.com/chatbot-platform/chatbot/internal/auth"
)

// Two-factor sign-in with an authenticator app (the users tag); the sign-in's second step is with the
// logins in users.go and session.go.

// StartTotp implements apigen.StrictServerInterface (POST /users/me/mfa/totp).
func (h *Handlers) StartTotp(ctx context.Context, _ apigen.StartTotpRequestObject) (apigen.StartTotpResponseObject, error) {
	secret, uri, err := h.auth.StartTOTP(ctx, auth.UserID(ctx))
	if err != nil {
		return nil, err
	}
	return apigen.StartTotp200JSONResponse{Secret: secret, OtpauthUri: uri}, nil
}

// ConfirmTotp implements apigen.StrictServerInterface (POST /users/me/mfa/totp/confirm).
func (h *Handlers) ConfirmTotp(ctx context.Context, req apigen.ConfirmTotpRequestObject) (apigen.ConfirmTotpResponseObject, error) {
	codes, err := h.auth.ConfirmTOTP(ctx, auth.UserID(ctx), req.Body.Code)
	if err != nil {
		return nil, err
	}
	return apigen.ConfirmTotp200JSONResponse{RecoveryCodes: codes}, nil
}

// DisableTotp implements apigen.StrictServerInterface (DELETE /users/me/mfa/totp).
func (h *Handlers) DisableTotp(ctx context.Context, req apigen.DisableTotpRequestObject) (apigen.DisableTotpResponseObject, error) {
	if err := h.auth.DisableTOTP(ctx, auth.UserID(ctx), req.Body.Password, deref(req.Body.Code), deref(req.Body.RecoveryCode)); err != nil {
		return nil, err
	}
	return apigen.DisableTotp204Response{}, nil
}

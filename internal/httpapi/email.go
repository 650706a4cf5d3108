package httpapi

import (
	"context"

	"github.com/chatbot-platform/chatbot/internal/apigen"
	"github.com/chatbot-platform/chatbot/internal/auth"
)

// RequestPasswordReset implements apigen.StrictServerInterface (POST /users/password-reset).
func (h *Handlers) RequestPasswordReset(ctx context.Context, req apigen.RequestPasswordResetRequestObject) (apigen.RequestPasswordResetResponseObject, error) {
	if err := h.throttleEmail(ctx, req.Body.Email); err != nil {
		return nil, err
	}
	if err := h.auth.RequestPasswordReset(ctx, req.Body.Email); err != nil {
		return nil, err
	}
	return apigen.RequestPasswordReset202JSONResponse{Message: "If an account uses this address, a link to reset its password is on its way. It works once, for 30 minutes."}, nil
}

// ConfirmPasswordReset implements apigen.StrictServerInterface (POST /users/password-reset/confirm).
func (h *Handlers) ConfirmPasswordReset(ctx context.Context, req apigen.ConfirmPasswordResetRequestObject) (apigen.ConfirmPasswordResetResponseObject, error) {
	if err := h.auth.ResetPassword(ctx, req.Body.Token, req.Body.NewPassword); err != nil {
		return nil, err
	}
	return apigen.ConfirmPasswordReset204Response{}, nil
}

// SendVerificationEmail implements apigen.StrictServerInterface (POST /users/me/verify-email).
func (h *Handlers) SendVerificationEmail(ctx context.Context, _ apigen.SendVerificationEmailRequestObject) (apigen.SendVerificationEmailResponseObject, error) {
	u, _ := auth.UserFrom(ctx)
	if err := h.throttleEmail(ctx, u.Email); err != nil {
		return nil, err
	}
	if err := h.auth.SendVerification(ctx, u); err != nil {
		return nil, err
	}
	return apigen.SendVerificationEmail202JSONResponse{Message: "A link to verify " + u.Email + " is on its way. It works once, for 7 days."}, nil
}

// ConfirmEmailVerification implements apigen.StrictServerInterface (POST /users/verify-email/confirm).
func (h *Handlers) ConfirmEmailVerification(ctx context.Context, req apigen.ConfirmEmailVerificationRequestObject) (apigen.ConfirmEmailVerificationResponseObject, error) {
	if err := h.auth.VerifyEmail(ctx, req.Body.Token); err != nil {
		return nil, err
	}
	return apigen.ConfirmEmailVerification204Response{}, nil
}

// throttleEmail limits the links mailed to one address (RATE_LIMIT_EMAIL a minute), whoever asks and
// whether or not the address has an account (so a 429 tells nothing about it either).
func (h *Handlers) throttleEmail(ctx context.Context, email string) error {
	return h.throttleAddress(ctx, "email:", email, h.limits.emailsPerAddress, "Too many emails to this address")
}

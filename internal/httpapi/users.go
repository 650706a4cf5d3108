package httpapi

import (
	"context"

	"github.com/chatbot-platform/chatbot/internal/metrics"
	"github.com/chatbot-platform/chatbot/internal/model"

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
	if err := h.throttleLogin(ctx, req.Body.Email); err != nil {
		return nil, err
	}
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

// throttleLogin limits login attempts per account (RATE_LIMIT_LOGIN_EMAIL a minute), whatever the
// client IP, so a password guesser spreading over many addresses still gets a few tries a minute per
// account. It counts attempts, not only failures (the limiter cannot look without taking), and it runs
// before the password is checked: once the limit is hit, not even the right password gets in until
// Retry-After. The limiter is the one of every other limit: Redis when configured, memory otherwise
// and during a Redis outage. Returns a *model.LimitError.
func (h *Handlers) throttleLogin(ctx context.Context, email string) error {
	if h.limiter == nil || h.limits.loginPerEmail <= 0 {
		return nil
	}
	ok, retry, err := h.limiter.Allow(ctx, "login:"+auth.NormalizeEmail(email), h.limits.loginPerEmail)
	if err != nil || ok {
		return nil // like the middleware, a limiter that fails never locks everyone out; the per-IP limit still holds
	}
	h.metrics.RateLimitRefused(metrics.LimitAccount)
	return &model.LimitError{Detail: "Too many login attempts for this account: try again in " + seconds(retry) + " seconds", RetryAfter: retry}
}

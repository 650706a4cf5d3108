package httpapi

import (
	"context"

	"github.com/chatbot-platform/chatbot/internal/apigen"
	"github.com/chatbot-platform/chatbot/internal/auth"
	"github.com/chatbot-platform/chatbot/internal/metrics"
	"github.com/chatbot-platform/chatbot/internal/model"
)

// RegisterUser implements apigen.StrictServerInterface.
func (h *Handlers) RegisterUser(ctx context.Context, req apigen.RegisterUserRequestObject) (apigen.RegisterUserResponseObject, error) {
	if err := h.auth.Register(ctx, req.Body.Email, req.Body.Password); err != nil {
		return nil, err
	}
	return apigen.RegisterUser200JSONResponse{Message: "User registered successfully"}, nil
}

// LoginUser implements apigen.StrictServerInterface: the token, or, with two-factor sign-in on, the
// MFA challenge (a user without it sees exactly the Token of before).
func (h *Handlers) LoginUser(ctx context.Context, req apigen.LoginUserRequestObject) (apigen.LoginUserResponseObject, error) {
	in, err := h.login(ctx, *req.Body)
	if err != nil {
		return nil, err
	}
	if in.MFARequired() {
		return apigen.LoginUser200JSONResponse{MfaRequired: true, MfaToken: in.MFAToken}, nil
	}
	return apigen.LoginUser200JSONResponse{AccessToken: in.Token, TokenType: string(apigen.Bearer)}, nil
}

// LoginUserMfa implements apigen.StrictServerInterface (POST /users/login/mfa).
func (h *Handlers) LoginUserMfa(ctx context.Context, req apigen.LoginUserMfaRequestObject) (apigen.LoginUserMfaResponseObject, error) {
	in, err := h.completeMFA(ctx, *req.Body)
	if err != nil {
		return nil, err
	}
	return apigen.LoginUserMfa200JSONResponse{AccessToken: in.Token, TokenType: apigen.Bearer}, nil
}

// completeMFA is the second step of both sign-ins (token and cookie).
func (h *Handlers) completeMFA(ctx context.Context, v apigen.MfaVerification) (auth.SignIn, error) {
	return h.auth.CompleteMFA(ctx, v.MfaToken, deref(v.Code), deref(v.RecoveryCode), auth.ClientFrom(ctx))
}

// login is both sign-ins (token and cookie): the per-account throttle, then the credentials.
func (h *Handlers) login(ctx context.Context, creds apigen.Credentials) (auth.SignIn, error) {
	if err := h.throttleLogin(ctx, creds.Email); err != nil {
		return auth.SignIn{}, err
	}
	return h.auth.Login(ctx, creds.Email, creds.Password, auth.ClientFrom(ctx))
}

// GetCurrentUser implements apigen.StrictServerInterface.
func (h *Handlers) GetCurrentUser(ctx context.Context, _ apigen.GetCurrentUserRequestObject) (apigen.GetCurrentUserResponseObject, error) {
	u, _ := auth.UserFrom(ctx)
	return apigen.GetCurrentUser200JSONResponse(userToAPI(u)), nil
}

func userToAPI(u model.User) apigen.User {
	return apigen.User{Id: u.ID, Email: u.Email, DisplayName: u.DisplayName, EmailVerified: u.EmailVerifiedAt != nil, CreatedAt: u.CreatedAt, MfaEnabled: u.MFAEnabled}
}

// UpdateCurrentUser implements apigen.StrictServerInterface (PATCH /users/me).
func (h *Handlers) UpdateCurrentUser(ctx context.Context, req apigen.UpdateCurrentUserRequestObject) (apigen.UpdateCurrentUserResponseObject, error) {
	u, err := h.auth.SetDisplayName(ctx, auth.UserID(ctx), req.Body.DisplayName)
	if err != nil {
		return nil, err
	}
	return apigen.UpdateCurrentUser200JSONResponse(userToAPI(u)), nil
}

// ChangePassword implements apigen.StrictServerInterface (POST /users/me/password).
func (h *Handlers) ChangePassword(ctx context.Context, req apigen.ChangePasswordRequestObject) (apigen.ChangePasswordResponseObject, error) {
	if err := h.auth.ChangePassword(ctx, auth.UserID(ctx), auth.SessionID(ctx), req.Body.CurrentPassword, req.Body.NewPassword); err != nil {
		return nil, err
	}
	return apigen.ChangePassword204Response{}, nil
}

// DeleteCurrentUser implements apigen.StrictServerInterface (DELETE /users/me): the projects go first,
// through the project service, so their files and vector stores leave OpenAI too.
func (h *Handlers) DeleteCurrentUser(ctx context.Context, req apigen.DeleteCurrentUserRequestObject) (apigen.DeleteCurrentUserResponseObject, error) {
	uid := auth.UserID(ctx)
	if err := h.auth.CheckPassword(ctx, uid, "password", req.Body.Password); err != nil {
		return nil, err
	}
	ctx = context.WithoutCancel(ctx) // once started, finish even if the client leaves
	projects, err := h.projects.List(ctx, uid)
	if err != nil {
		return nil, err
	}
	for _, p := range projects {
		if err := h.projects.Delete(ctx, uid, p.ID); err != nil {
			return nil, err
		}
	}
	if err := h.auth.DeleteAccount(ctx, uid); err != nil {
		return nil, err
	}
	return apigen.DeleteCurrentUser204Response{}, nil
}

// LogoutUser implements apigen.StrictServerInterface: it ends the session the token belongs to.
func (h *Handlers) LogoutUser(ctx context.Context, _ apigen.LogoutUserRequestObject) (apigen.LogoutUserResponseObject, error) {
	if err := h.auth.EndSession(ctx, auth.UserID(ctx), auth.SessionID(ctx)); err != nil {
		return nil, err
	}
	return apigen.LogoutUser204Response{}, nil
}

// ListSessions implements apigen.StrictServerInterface.
func (h *Handlers) ListSessions(ctx context.Context, _ apigen.ListSessionsRequestObject) (apigen.ListSessionsResponseObject, error) {
	sessions, err := h.auth.Sessions(ctx, auth.UserID(ctx))
	if err != nil {
		return nil, err
	}
	return apigen.ListSessions200JSONResponse(sessionsToAPI(sessions, auth.SessionID(ctx))), nil
}

// sessionsToAPI marks current, the request's own session, among sessions.
func sessionsToAPI(sessions []model.Session, current int64) []apigen.Session {
	return mapSlice(sessions, func(s model.Session) apigen.Session {
		return apigen.Session{Id: s.ID, CreatedAt: s.CreatedAt, LastSeenAt: s.LastSeenAt, Ip: s.IP, UserAgent: s.UserAgent, Current: s.ID == current}
	})
}

// EndSession implements apigen.StrictServerInterface.
func (h *Handlers) EndSession(ctx context.Context, req apigen.EndSessionRequestObject) (apigen.EndSessionResponseObject, error) {
	if err := h.auth.EndSession(ctx, auth.UserID(ctx), req.SessionId); err != nil {
		return nil, err
	}
	return apigen.EndSession204Response{}, nil
}

// EndAllSessions implements apigen.StrictServerInterface: sign out everywhere, this session included.
func (h *Handlers) EndAllSessions(ctx context.Context, _ apigen.EndAllSessionsRequestObject) (apigen.EndAllSessionsResponseObject, error) {
	if err := h.auth.EndSessions(ctx, auth.UserID(ctx), 0); err != nil {
		return nil, err
	}
	return apigen.EndAllSessions204Response{}, nil
}

// throttleLogin limits login attempts per account (RATE_LIMIT_LOGIN_EMAIL a minute), whatever the
// client IP, so a password guesser spreading over many addresses still gets a few tries a minute per
// account. It counts attempts, not only failures (the limiter cannot look without taking), and it runs
// before the password is checked: once the limit is hit, not even the right password gets in until
// Retry-After. The limiter is the one of every other limit: Redis when configured, memory otherwise
// and during a Redis outage. Returns a *model.LimitError.
func (h *Handlers) throttleLogin(ctx context.Context, email string) error {
	return h.throttleAddress(ctx, "login:", email, h.limits.loginPerEmail, "Too many login attempts for this account")
}

// throttleAddress takes one of perMinute requests of kind for an email address (0: no limit), and
// says what when none is left. A limiter that fails never locks anyone out (like the middleware);
// the per-IP limit still holds.
func (h *Handlers) throttleAddress(ctx context.Context, kind, email string, perMinute int, what string) error {
	if h.limiter == nil || perMinute <= 0 {
		return nil
	}
	ok, retry, err := h.limiter.Allow(ctx, kind+auth.NormalizeEmail(email), perMinute)
	if err != nil || ok {
		return nil
	}
	h.metrics.RateLimitRefused(metrics.LimitAccount)
	return &model.LimitError{Detail: what + ": try again in " + seconds(retry) + " seconds", RetryAfter: retry}
}

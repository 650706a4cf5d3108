// Package auth registers users, checks their passwords and issues and verifies their access tokens.
package auth

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/chatbot-platform/chatbot/internal/model"
	"github.com/chatbot-platform/chatbot/internal/ratelimit"
	"github.com/chatbot-platform/chatbot/internal/store"
)

// ErrBadCredentials: unknown email or wrong password; deliberately the same error for both.
var ErrBadCredentials = errors.New("incorrect email or password")

// Service is the account logic.
type Service struct {
	store  store.Store
	hasher *Hasher
	tokens *Tokens
	log    *slog.Logger
	mail   MailOptions

	lastSeen *store.LastUsed

	// codes limits wrong two-factor codes per user (nil: no limit); see LimitCodes.
	codes     ratelimit.Limiter
	codesRate ratelimit.Rate
}

// NewService returns the account service.
func NewService(s store.Store, h *Hasher, t *Tokens, mail MailOptions, log *slog.Logger) *Service {
	return &Service{store: s, hasher: h, tokens: t, mail: mail, log: log,
		lastSeen: &store.LastUsed{Every: time.Minute, Write: s.TouchSession, Log: log, What: "session"}}
}

// Register creates an account. It returns a *model.ValidationError for a malformed email, a password
// outside the policy, or an email that is already registered.
func (s *Service) Register(ctx context.Context, email, password string) error {
	email = NormalizeEmail(email)
	if err := ValidateEmail(email); err != nil {
		return err
	}
	if err := ValidatePassword(password); err != nil {
		return err
	}
	hash, err := s.hasher.Hash(ctx, password)
	if err != nil {
		return err
	}
	u, err := s.store.CreateUser(ctx, email, hash)
	if errors.Is(err, store.ErrConflict) {
		return model.Invalid("email", "is already registered")
	}
	if err != nil {
		return fmt.Errorf("register: %w", err)
	}
	s.log.InfoContext(ctx, "user registered", "user_id", u.ID)
	if s.mail.Outbox != nil {
		s.mailVerificationLater(ctx, u)
	}
	return nil
}

// Client is where a sign-in comes from, kept with its session so its owner can recognise it.
type Client struct {
	IP        string
	UserAgent string
	HTTPS     bool // the request came over https (directly or through a proxy that says so)
}

// maxUserAgentChars bounds what is kept of a client's User-Agent.
const maxUserAgentChars = 256

// SignIn is a started session: its access token, and the CSRF token that goes with it when the
// access token travels in the dashboard's cookie. Or, when the user has two-factor sign-in on, only
// MFAToken: the password was right, and CompleteMFA with a code finishes the sign-in.
type SignIn struct {
	User      model.User
	SessionID int64
	Token     string
	CSRF      string
	Expires   time.Time // the token's expiry
	MFAToken  string
}

// MFARequired reports whether the sign-in waits for its second factor.
func (in SignIn) MFARequired() bool { return in.MFAToken != "" }

// Login checks the credentials and starts a session for from, or, for a user with two-factor sign-in
// on, returns the MFA challenge (SignIn.MFAToken); ErrBadCredentials for a wrong email or password. A
// hash with fewer rounds than configured is rewritten with the current setting.
func (s *Service) Login(ctx context.Context, email, password string, from Client) (SignIn, error) {
	u, err := s.store.GetUserByEmail(ctx, NormalizeEmail(email))
	if errors.Is(err, store.ErrNotFound) {
		s.hasher.VerifyDummy(ctx, password)
		s.log.WarnContext(ctx, "login failed", "reason", "unknown email")
		return SignIn{}, ErrBadCredentials
	}
	if err != nil {
		return SignIn{}, fmt.Errorf("login: %w", err)
	}
	ok, rehash, err := s.hasher.Verify(ctx, password, u.PasswordHash)
	if err != nil {
		return SignIn{}, fmt.Errorf("login: user %d: %w", u.ID, err)
	}
	if !ok {
		s.log.WarnContext(ctx, "login failed", "reason", "wrong password", "user_id", u.ID)
		return SignIn{}, ErrBadCredentials
	}
	if rehash {
		s.upgradeHash(ctx, u.ID, password)
	}
	if s.mail.RequireVerified && u.EmailVerifiedAt == nil {
		s.mailVerificationLater(ctx, u)
		s.log.InfoContext(ctx, "login refused until the address is verified", "user_id", u.ID)
		return SignIn{}, &model.ForbiddenError{Detail: "Verify your email address before signing in: we have sent a new link to " + u.Email}
	}
	if u.MFAEnabled {
		token, err := s.tokens.IssueMFA(u.ID)
		if err != nil {
			return SignIn{}, err
		}
		s.log.InfoContext(ctx, "login: password accepted; waiting for the second factor", "user_id", u.ID)
		return SignIn{User: u, MFAToken: token}, nil
	}
	return s.startSession(ctx, u, from)
}

// startSession finishes every sign-in (password alone, or password then second factor): it stores the
// session and issues its tokens.
func (s *Service) startSession(ctx context.Context, u model.User, from Client) (SignIn, error) {
	ua := from.UserAgent
	if len(ua) > maxUserAgentChars {
		ua = strings.ToValidUTF8(ua[:maxUserAgentChars], "")
	}
	sess, err := s.store.CreateSession(ctx, model.Session{UserID: u.ID, IP: from.IP, UserAgent: ua})
	if err != nil {
		return SignIn{}, fmt.Errorf("login: user %d: start session: %w", u.ID, err)
	}
	s.log.InfoContext(ctx, "login succeeded", "user_id", u.ID, "session_id", sess.ID)
	token, err := s.tokens.Issue(Claims{Email: u.Email, UserID: u.ID, SessionID: sess.ID})
	if err != nil {
		return SignIn{}, err
	}
	return SignIn{User: u, SessionID: sess.ID, Token: token, CSRF: s.tokens.CSRF(sess.ID), Expires: s.tokens.now().Add(s.tokens.ttl)}, nil
}

// upgradeHash rewrites a user's hash with the configured rounds; failing only costs a retry next time.
func (s *Service) upgradeHash(ctx context.Context, userID int64, password string) {
	hash, err := s.hasher.Hash(ctx, password)
	if err == nil {
		err = s.store.SetPasswordHash(ctx, userID, hash)
	}
	if err != nil {
		s.log.WarnContext(ctx, "password hash upgrade failed", "user_id", userID, "error", err)
		return
	}
	s.log.InfoContext(ctx, "password hash upgraded", "user_id", userID)
}

// Authenticate returns the user a bearer token belongs to and the session it was issued for, or
// ErrInvalidToken when the token is invalid, its session has ended or its user no longer exists (a
// later account with the same email is another user id: the old token does not open it).
func (s *Service) Authenticate(ctx context.Context, token string) (model.User, model.Session, error) {
	c, err := s.tokens.Verify(token)
	if err != nil {
		return model.User{}, model.Session{}, err
	}
	u, sess, err := s.store.SessionUser(ctx, c.UserID, c.SessionID)
	if errors.Is(err, store.ErrNotFound) || err == nil && u.Email != c.Email {
		return model.User{}, model.Session{}, ErrInvalidToken
	}
	if err != nil {
		return model.User{}, model.Session{}, err
	}
	s.lastSeen.Record(ctx, sess.ID, &sess.LastSeenAt, s.tokens.now())
	return u, sess, nil
}

// NormalizeEmail trims and lower-cases an email so lookups are case-insensitive.
func NormalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// ValidateEmail checks an already normalized email's shape: one @, a local part, a dotted domain.
func ValidateEmail(email string) error {
	local, domain, ok := strings.Cut(email, "@")
	switch {
	case !ok || local == "" || domain == "" || strings.Contains(domain, "@"),
		len(email) > MaxEmailBytes, len(local) > maxLocalBytes,
		!strings.Contains(domain, "."), strings.HasPrefix(domain, "."), strings.HasSuffix(domain, "."),
		strings.Contains(domain, ".."),
		strings.ContainsFunc(email, func(r rune) bool { return r <= ' ' || r == 0x7f || r == '<' || r == '>' || r == ',' }),
		!utf8.ValidString(email):
		return model.Invalid("email", "is not a valid email address")
	}
	return nil
}

// Limits of the credentials; api/openapi.yaml's Credentials states them (a test in httpapi keeps them
// equal) and its validator enforces them before Register and Login run.
const (
	MinPasswordChars = 8
	MaxPasswordChars = 128
	MaxEmailBytes    = 254
	maxLocalBytes    = 64
)

// ValidatePassword applies the design document's policy: 8–128 characters with at least one letter
// (a-z or A-Z) and one digit (0-9).
func ValidatePassword(p string) error {
	n := utf8.RuneCountInString(p)
	switch {
	case n < MinPasswordChars:
		return model.Invalid("password", fmt.Sprintf("must be at least %d characters", MinPasswordChars))
	case n > MaxPasswordChars:
		return model.Invalid("password", fmt.Sprintf("must be at most %d characters", MaxPasswordChars))
	case !strings.ContainsFunc(p, func(r rune) bool { return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' }):
		return model.Invalid("password", "must contain at least one letter")
	case !strings.ContainsFunc(p, func(r rune) bool { return r >= '0' && r <= '9' }):
		return model.Invalid("password", "must contain at least one digit")
	case strings.ContainsRune(p, 0):
		return model.Invalid("password", "must not contain NUL characters")
	}
	return nil
}

type ctxKey struct{}

// WithUser returns ctx carrying the authenticated user.
func WithUser(ctx context.Context, u model.User) context.Context {
	return context.WithValue(ctx, ctxKey{}, u)
}

// UserFrom returns the authenticated user; ok is false on public routes.
func UserFrom(ctx context.Context) (model.User, bool) {
	u, ok := ctx.Value(ctxKey{}).(model.User)
	return u, ok
}

// UserID returns the authenticated user's id (0 on public routes).
func UserID(ctx context.Context) int64 {
	u, _ := UserFrom(ctx)
	return u.ID
}

type sessionCtxKey struct{}

// WithSession returns ctx carrying the id of the session the request's token was issued for.
func WithSession(ctx context.Context, id int64) context.Context {
	return context.WithValue(ctx, sessionCtxKey{}, id)
}

// SessionID is the request's session (0 for a project key).
func SessionID(ctx context.Context) int64 {
	id, _ := ctx.Value(sessionCtxKey{}).(int64)
	return id
}

type clientCtxKey struct{}

// WithClient returns ctx carrying where a sign-in request comes from.
func WithClient(ctx context.Context, c Client) context.Context {
	return context.WithValue(ctx, clientCtxKey{}, c)
}

// ClientFrom is where the request comes from (set on sign-in routes only).
func ClientFrom(ctx context.Context) Client {
	c, _ := ctx.Value(clientCtxKey{}).(Client)
	return c
}

type keyCtxKey struct{}

// WithKey returns ctx carrying a project key: the request acts for the key's project owner, on that
// project only.
func WithKey(ctx context.Context, k model.APIKey) context.Context {
	ctx = WithUser(ctx, model.User{ID: k.OwnerID})
	return context.WithValue(ctx, keyCtxKey{}, &k)
}

// KeyFrom returns the project key the request was made with, or nil for a user's token.
func KeyFrom(ctx context.Context) *model.APIKey {
	k, _ := ctx.Value(keyCtxKey{}).(*model.APIKey)
	return k
}

// CheckProject returns store.ErrNotFound when the caller is a key of another project: a key sees its
// own project only, exactly as a user sees only their own (which the store's owner scoping ensures).
func CheckProject(ctx context.Context, projectID int64) error {
	if k := KeyFrom(ctx); k != nil && k.ProjectID != projectID {
		return store.ErrNotFound
	}
	return nil
}

// Sessions lists the user's sessions, most recently seen first.
func (s *Service) Sessions(ctx context.Context, userID int64) ([]model.Session, error) {
	return s.store.ListSessions(ctx, userID)
}

// EndSession ends one of the user's sessions (ErrNotFound for another user's); its tokens fail at
// their next request on every instance.
func (s *Service) EndSession(ctx context.Context, userID, sessionID int64) error {
	if err := s.store.DeleteSession(ctx, userID, sessionID); err != nil {
		return err
	}
	s.log.InfoContext(ctx, "session ended", "user_id", userID, "session_id", sessionID)
	return nil
}

// EndSessions ends every session of the user but except (0: all, signing out everywhere).
func (s *Service) EndSessions(ctx context.Context, userID, except int64) error {
	if err := s.store.DeleteSessions(ctx, userID, except); err != nil {
		return err
	}
	s.log.InfoContext(ctx, "sessions ended", "user_id", userID, "kept_session_id", except)
	return nil
}

// CheckCSRF verifies, for an unsafe request authenticated by the session cookie, the CSRF token the
// request sent in its header against the cookie's and against the one made for its session.
func (s *Service) CheckCSRF(sessionID int64, header, cookie string) bool {
	want := s.tokens.CSRF(sessionID)
	return header != "" && subtle.ConstantTimeCompare([]byte(header), []byte(cookie)) == 1 &&
		subtle.ConstantTimeCompare([]byte(header), []byte(want)) == 1
}

// MaxDisplayNameChars bounds a display name (the API document states the same).
const MaxDisplayNameChars = 100

// SetDisplayName sets (or, with "" or blanks, clears) the user's display name.
func (s *Service) SetDisplayName(ctx context.Context, userID int64, name string) (model.User, error) {
	if strings.TrimSpace(name) != "" {
		var verr *model.ValidationError
		if name, verr = model.CheckName("display_name", name, MaxDisplayNameChars); verr != nil {
			return model.User{}, verr
		}
	}
	return s.store.SetDisplayName(ctx, userID, strings.TrimSpace(name))
}

// ChangePassword sets a new password (same policy as at registration) once the current one is
// proven, and ends every other session of the user: whoever knew the old password is signed out.
func (s *Service) ChangePassword(ctx context.Context, userID, keepSession int64, current, next string) error {
	if err := s.CheckPassword(ctx, userID, "current_password", current); err != nil {
		return err
	}
	if err := ValidatePassword(next); err != nil {
		return renameField(err, "new_password")
	}
	hash, err := s.hasher.Hash(ctx, next)
	if err != nil {
		return err
	}
	if err := s.store.SetPasswordHash(ctx, userID, hash); err != nil {
		return err
	}
	if err := s.store.DeleteSessions(ctx, userID, keepSession); err != nil {
		return err
	}
	s.log.InfoContext(ctx, "password changed; other sessions ended", "user_id", userID)
	return nil
}

// CheckPassword proves the signed-in user knows their password before something that cannot be
// undone; a wrong one is a validation error of field (not a 401, which would end the page's session).
func (s *Service) CheckPassword(ctx context.Context, userID int64, field, password string) error {
	u, err := s.store.GetUserByID(ctx, userID)
	if err != nil {
		return err
	}
	ok, _, err := s.hasher.Verify(ctx, password, u.PasswordHash)
	if err != nil {
		return fmt.Errorf("check password: user %d: %w", userID, err)
	}
	if !ok {
		s.log.WarnContext(ctx, "password check failed", "user_id", userID)
		return model.Invalid(field, "is not your current password")
	}
	return nil
}

// DeleteAccount removes the user row, and with it (cascades) sessions and whatever the caller has not
// removed already; the caller deletes the projects first, so their files leave OpenAI too.
func (s *Service) DeleteAccount(ctx context.Context, userID int64) error {
	if err := s.store.DeleteUser(ctx, userID); err != nil {
		return err
	}
	s.log.InfoContext(ctx, "account deleted", "user_id", userID)
	return nil
}

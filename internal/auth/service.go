// Package auth registers users, checks their passwords and issues and verifies their access tokens.
package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"unicode/utf8"

	"github.com/chatbot-platform/chatbot/internal/model"
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
}

// NewService returns the account service.
func NewService(s store.Store, h *Hasher, t *Tokens, log *slog.Logger) *Service {
	return &Service{store: s, hasher: h, tokens: t, log: log}
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
	return nil
}

// Login checks the credentials and returns an access token, or ErrBadCredentials. A hash with fewer
// rounds than configured is rewritten with the current setting.
func (s *Service) Login(ctx context.Context, email, password string) (string, error) {
	u, err := s.store.GetUserByEmail(ctx, NormalizeEmail(email))
	if errors.Is(err, store.ErrNotFound) {
		s.hasher.VerifyDummy(ctx, password)
		s.log.WarnContext(ctx, "login failed", "reason", "unknown email")
		return "", ErrBadCredentials
	}
	if err != nil {
		return "", fmt.Errorf("login: %w", err)
	}
	ok, rehash, err := s.hasher.Verify(ctx, password, u.PasswordHash)
	if err != nil {
		return "", fmt.Errorf("login: user %d: %w", u.ID, err)
	}
	if !ok {
		s.log.WarnContext(ctx, "login failed", "reason", "wrong password", "user_id", u.ID)
		return "", ErrBadCredentials
	}
	if rehash {
		s.upgradeHash(ctx, u.ID, password)
	}
	s.log.InfoContext(ctx, "login succeeded", "user_id", u.ID)
	return s.tokens.Issue(u.Email)
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

// Authenticate returns the user a bearer token belongs to, or ErrInvalidToken when the token is
// invalid or its user no longer exists.
func (s *Service) Authenticate(ctx context.Context, token string) (model.User, error) {
	email, err := s.tokens.Subject(token)
	if err != nil {
		return model.User{}, err
	}
	u, err := s.store.GetUserByEmail(ctx, email)
	if errors.Is(err, store.ErrNotFound) {
		return model.User{}, ErrInvalidToken
	}
	return u, err
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

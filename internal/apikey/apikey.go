// Package apikey manages project keys and authenticates the requests made with them: secret keys
// (cb_sk_) for the owner's servers, publishable keys (cb_pk_) for the widget in visitors' browsers.
// Keys are random and long, so one SHA-256 is the right hash: a slow password hash would only slow
// every request down.
package apikey

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chatbot-platform/chatbot/internal/model"
	"github.com/chatbot-platform/chatbot/internal/store"
)

// Key prefixes; the kind of a key shows in its first characters.
const (
	SecretPrefix      = "cb_sk_"
	PublishablePrefix = "cb_pk_"
)

// Limits on a key's settings (the API document states the same).
const (
	MaxNameChars           = 100
	MaxOrigins             = 20
	DefaultVisitorMessages = 50
	// prefixChars is how much of a key is kept and shown to recognise it.
	prefixChars = 12
	// touchEvery coalesces last_used_at: a key's row is written at most this often.
	touchEvery = time.Minute
	// maxRememberedKeys bounds the decoded keys an instance keeps (one per live key in use).
	maxRememberedKeys = 10_000
)

// ErrInvalidKey: the key is unknown, revoked or expired.
var ErrInvalidKey = &model.UnauthorizedError{Detail: "Invalid API key: it is unknown, revoked or expired"}

// IsKey reports whether a bearer token is a project key rather than a user's access token.
func IsKey(token string) bool {
	return strings.HasPrefix(token, SecretPrefix) || strings.HasPrefix(token, PublishablePrefix)
}

// Service manages and authenticates keys.
type Service struct {
	store store.Store
	log   *slog.Logger
	now   func() time.Time

	lastUsed   *store.LastUsed
	remembered sync.Map // key hash -> model.APIKey as last read (see lookup)
	rememberN  atomic.Int64
}

// NewService returns the key service.
func NewService(s store.Store, log *slog.Logger) *Service {
	return &Service{store: s, log: log, now: time.Now,
		lastUsed: &store.LastUsed{Every: touchEvery, Write: s.TouchKey, Log: log, What: "key"}}
}

// Settings are a key's editable fields; nil leaves a field as it is (or default on create). Clear*
// sets the nullable ones back to none.
type Settings struct {
	Name                  *string
	Scopes                *[]string
	AllowedOrigins        *[]string
	ExpiresAt             *time.Time
	ClearExpiry           bool
	RateLimitPerMinute    *int64
	ClearRateLimit        bool
	RequireSignedUser     *bool
	VisitorMessagesPerDay *int64
	// Budgets (micro-USD and tokens); see model.APIKey.
	BudgetMonthlyMicroUSD Change[int64]
	BudgetMonthlyTokens   Change[int64]
	EndUserDailyTokens    Change[int64]
	EndUserMonthlyTokens  Change[int64]
	// PinnedRelease pins a secret key to a release of its project (nil: follow the published one).
	PinnedRelease Change[int64]
}

// Change edits a nullable field: unset leaves it as it is; set, it becomes To (nil: none).
type Change[T any] struct {
	Set bool
	To  *T
}

// ChangeTo is a Change to v, or no change when v is nil.
func ChangeTo[T any](v *T) Change[T] { return Change[T]{Set: v != nil, To: v} }

func (c Change[T]) apply(field **T) {
	if c.Set {
		*field = c.To
	}
}

// Created is a new key with its secrets, shown once.
type Created struct {
	model.APIKey
	Key string
}

// Create makes a key for one of the owner's projects. Returns *model.ValidationError or store.ErrNotFound.
func (s *Service) Create(ctx context.Context, ownerID, projectID int64, kind string, in Settings) (Created, error) {
	if in.Name == nil {
		return Created{}, model.Invalid("name", "is required")
	}
	k := model.APIKey{ProjectID: projectID, Kind: kind, Scopes: []string{model.ScopeChat}, AllowedOrigins: []string{}}
	if kind == model.KeyPublishable {
		k.VisitorMessagesPerDay = DefaultVisitorMessages
	}
	if err := s.apply(&k, in); err != nil {
		return Created{}, err
	}
	if err := checkPinned(ctx, s.store, ownerID, k); err != nil {
		return Created{}, err
	}
	prefix := SecretPrefix
	if kind == model.KeyPublishable {
		prefix = PublishablePrefix
		k.IdentitySecret = randomString(32)
	}
	key := prefix + randomString(32)
	k.Prefix, k.Hash = key[:prefixChars], Hash(key)
	k, err := s.store.CreateKey(ctx, ownerID, k)
	if err != nil {
		return Created{}, err
	}
	s.log.InfoContext(ctx, "key created", "project_id", projectID, "key_id", k.ID, "kind", kind)
	return Created{APIKey: k, Key: key}, nil
}

// List returns a project's live keys. Returns store.ErrNotFound for another user's project.
func (s *Service) List(ctx context.Context, ownerID, projectID int64) ([]model.APIKey, error) {
	if _, err := s.store.GetProject(ctx, ownerID, projectID); err != nil {
		return nil, err
	}
	return s.store.ListKeys(ctx, ownerID, projectID)
}

// Update changes the fields present in in. Returns store.ErrNotFound or *model.ValidationError.
func (s *Service) Update(ctx context.Context, ownerID, id int64, in Settings) (model.APIKey, error) {
	var out model.APIKey
	err := s.store.InTx(ctx, func(tx store.Store) error {
		k, err := tx.GetKey(ctx, ownerID, id)
		if err != nil {
			return err
		}
		if err := s.apply(&k, in); err != nil {
			return err
		}
		if in.PinnedRelease.Set {
			if err := checkPinned(ctx, tx, ownerID, k); err != nil {
				return err
			}
		}
		out, err = tx.UpdateKey(ctx, ownerID, k)
		return err
	})
	if err == nil {
		s.log.InfoContext(ctx, "key updated", "key_id", id)
	}
	return out, err
}

// Revoke ends a key: the next request with it fails, on every instance (keys are looked up per request).
func (s *Service) Revoke(ctx context.Context, ownerID, id int64) error {
	if err := s.store.RevokeKey(ctx, ownerID, id); err != nil {
		return err
	}
	s.log.InfoContext(ctx, "key revoked", "key_id", id)
	return nil
}

// RotateIdentitySecret gives a publishable key a new identity secret and returns it.
func (s *Service) RotateIdentitySecret(ctx context.Context, ownerID, id int64) (string, error) {
	k, err := s.store.GetKey(ctx, ownerID, id)
	if err != nil {
		return "", err
	}
	if k.Kind != model.KeyPublishable {
		return "", model.Invalid("key_id", "only publishable keys have an identity secret")
	}
	secret := randomString(32)
	if err := s.store.SetKeyIdentitySecret(ctx, ownerID, id, secret); err != nil {
		return "", err
	}
	s.log.InfoContext(ctx, "key identity secret rotated", "key_id", id)
	return secret, nil
}

// apply validates in against k's kind and copies it onto k, reporting every invalid field at once.
func (s *Service) apply(k *model.APIKey, in Settings) error {
	var verr model.ValidationError
	add := func(field, msg string) {
		verr.Fields = append(verr.Fields, model.FieldError{Field: field, Message: msg})
	}
	publishable := k.Kind == model.KeyPublishable
	if in.Name != nil {
		name, e := model.CheckName("name", *in.Name, MaxNameChars)
		if e != nil {
			verr.Fields = append(verr.Fields, e.Fields...)
		}
		k.Name = name
	}
	if in.Scopes != nil {
		scopes := slices.Clone(*in.Scopes)
		slices.Sort(scopes)
		if publishable && !slices.Equal(scopes, []string{model.ScopeChat}) {
			add("scopes", `publishable keys are chat-only: leave scopes out or send ["chat"]`)
		}
		k.Scopes = slices.Compact(scopes)
	}
	if in.AllowedOrigins != nil {
		if !publishable && len(*in.AllowedOrigins) > 0 {
			add("allowed_origins", "only publishable keys have allowed origins")
		}
		origins := []string{}
		for _, o := range *in.AllowedOrigins {
			norm, err := NormalizeOrigin(o)
			if err != nil {
				add("allowed_origins", err.Error())
				continue
			}
			if !slices.Contains(origins, norm) {
				origins = append(origins, norm)
			}
		}
		k.AllowedOrigins = origins
	}
	if !publishable && (in.RequireSignedUser != nil || in.VisitorMessagesPerDay != nil) {
		add("kind", "require_signed_user and visitor_messages_per_day are for publishable keys only")
	}
	if in.RequireSignedUser != nil {
		k.RequireSignedUser = *in.RequireSignedUser
	}
	if in.VisitorMessagesPerDay != nil {
		k.VisitorMessagesPerDay = *in.VisitorMessagesPerDay
	}
	switch {
	case in.ClearExpiry:
		k.ExpiresAt = nil
	case in.ExpiresAt != nil:
		if !in.ExpiresAt.After(s.now()) {
			add("expires_at", "must be in the future")
		}
		t := in.ExpiresAt.UTC().Truncate(time.Microsecond)
		k.ExpiresAt = &t
	}
	in.BudgetMonthlyMicroUSD.apply(&k.BudgetMonthlyMicroUSD)
	in.BudgetMonthlyTokens.apply(&k.BudgetMonthlyTokens)
	in.EndUserDailyTokens.apply(&k.EndUserDailyTokens)
	in.EndUserMonthlyTokens.apply(&k.EndUserMonthlyTokens)
	if publishable && in.PinnedRelease.To != nil {
		add("pinned_release", "only secret keys pin a release: the widget answers with the published one")
	}
	in.PinnedRelease.apply(&k.PinnedRelease)
	switch {
	case in.ClearRateLimit:
		k.RateLimitPerMinute = nil
	case in.RateLimitPerMinute != nil:
		n := *in.RateLimitPerMinute
		k.RateLimitPerMinute = &n
	}
	if len(verr.Fields) > 0 {
		return &verr
	}
	return nil
}

// checkPinned refuses (400) a pinned release that is not one of the key's project's; store.ErrNotFound
// for a project that is not the owner's.
func checkPinned(ctx context.Context, st store.Store, ownerID int64, k model.APIKey) error {
	if k.PinnedRelease == nil {
		return nil
	}
	_, err := st.GetRelease(ctx, ownerID, k.ProjectID, *k.PinnedRelease)
	if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if _, err := st.GetProject(ctx, ownerID, k.ProjectID); err != nil {
		return err
	}
	return model.Invalid("pinned_release", fmt.Sprintf("project %d has no release %d: GET /projects/%d/releases lists its releases", k.ProjectID, *k.PinnedRelease, k.ProjectID))
}

// NormalizeOrigin checks that o is an exact origin, scheme://host[:port] over http or https with
// nothing after it, and returns it lower-cased as browsers send it in Origin.
func NormalizeOrigin(o string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(o))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || strings.Contains(u.Host, "*") {
		return "", fmt.Errorf("%q is not an origin: use scheme://host[:port], e.g. https://www.example.com", o)
	}
	host := strings.ToLower(u.Host)
	// Browsers leave a scheme's default port out of Origin: keep it out so the origin can match.
	host = strings.TrimSuffix(host, map[string]string{"http": ":80", "https": ":443"}[u.Scheme])
	return u.Scheme + "://" + host, nil
}

// Authenticate returns the live key a bearer token names, with its project's owner. Every failure is
// ErrInvalidKey. last_used_at is written at most once a minute per key.
func (s *Service) Authenticate(ctx context.Context, token string) (model.APIKey, error) {
	k, err := s.lookup(ctx, Hash(token))
	if errors.Is(err, store.ErrNotFound) {
		return k, ErrInvalidKey
	}
	if err != nil {
		return k, err
	}
	now := s.now()
	if k.ExpiresAt != nil && !now.Before(*k.ExpiresAt) {
		return model.APIKey{}, ErrInvalidKey
	}
	s.lastUsed.Record(ctx, k.ID, k.LastUsedAt, now)
	return k, nil
}

// lookup finds the live key with this hash. A key read before is reused while its stored version is
// unchanged, so a request reads one column instead of decoding the whole row; a revoked, deleted or
// edited key is still seen at the very next request on every instance. The returned key is shared:
// callers must not modify its slices.
func (s *Service) lookup(ctx context.Context, hash string) (model.APIKey, error) {
	if v, ok := s.remembered.Load(hash); ok {
		k := v.(model.APIKey)
		version, err := s.store.KeyVersion(ctx, hash)
		if err != nil {
			if errors.Is(err, store.ErrNotFound) {
				s.remembered.Delete(hash)
			}
			return model.APIKey{}, err
		}
		if version == k.Version {
			return k, nil
		}
	}
	k, err := s.store.KeyByHash(ctx, hash)
	if err != nil {
		return k, err
	}
	if s.rememberN.Add(1) > maxRememberedKeys { // start over rather than track recency
		s.remembered.Clear()
		s.rememberN.Store(1)
	}
	s.remembered.Store(hash, k)
	return k, nil
}

// CheckOrigin refuses a publishable key used from a page whose origin it does not allow (or with no
// Origin at all). Secret keys are for servers and carry no origin rule.
func CheckOrigin(k model.APIKey, origin string) error {
	if k.Kind != model.KeyPublishable {
		return nil
	}
	switch {
	case len(k.AllowedOrigins) == 0:
		return &model.ForbiddenError{Detail: "This publishable key allows no origin yet: add your site's origin to the key"}
	case origin == "":
		return &model.ForbiddenError{Detail: "A publishable key works only from a browser page on one of its allowed origins"}
	case !slices.Contains(k.AllowedOrigins, strings.ToLower(origin)):
		return &model.ForbiddenError{Detail: fmt.Sprintf("Origin %s is not allowed for this key", origin)}
	}
	return nil
}

// AnonymousPrefix marks anonymous widget visitors' end-user ids, so no visitor id can pose as a
// signed-in user of the owner's site.
const AnonymousPrefix = "visitor:"

// EndUser names who a key's request is for. A secret key's holder says so in user. A publishable
// key's visitor is either signed (user with user_hash, the HMAC-SHA256 of user under the key's
// identity secret) or anonymous (the widget's random visitor id). Returns *model.UnauthorizedError
// for a signature that does not match or an anonymous visitor a key refuses, and
// *model.ValidationError when a visitor names nobody.
func EndUser(k model.APIKey, user, userHash, visitorID string) (string, error) {
	if err := model.CheckText("user", user); err != nil {
		return "", err
	}
	if k.Kind != model.KeyPublishable {
		return user, nil
	}
	if user != "" {
		mac := hmac.New(sha256.New, []byte(k.IdentitySecret))
		mac.Write([]byte(user))
		got, err := hex.DecodeString(userHash)
		if err != nil || !hmac.Equal(got, mac.Sum(nil)) {
			return "", &model.UnauthorizedError{Detail: "user_hash does not match user: sign the user id with the key's identity secret"}
		}
		return user, nil
	}
	if k.RequireSignedUser {
		return "", &model.UnauthorizedError{Detail: "This key accepts signed-in visitors only: send user and user_hash"}
	}
	if visitorID == "" {
		return "", model.Invalid("X-Visitor-Id", "is required for an anonymous visitor (or send user and user_hash)")
	}
	return AnonymousPrefix + visitorID, nil
}

// CheckVisitorQuota refuses a publishable key's visitor who has sent visitor_messages_per_day
// messages since the start of the UTC day. It counts stored messages, so every instance agrees.
func (s *Service) CheckVisitorQuota(ctx context.Context, k model.APIKey, endUser string) error {
	if k.Kind != model.KeyPublishable {
		return nil
	}
	now := s.now().UTC()
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	n, err := s.store.CountEndUserMessages(ctx, k.ID, endUser, day)
	if err != nil {
		return err
	}
	if n >= k.VisitorMessagesPerDay {
		return &model.LimitError{
			Detail:     fmt.Sprintf("Daily message limit reached (%d messages a day): try again tomorrow", k.VisitorMessagesPerDay),
			RetryAfter: day.Add(24 * time.Hour).Sub(now),
		}
	}
	return nil
}

// Hash is what is stored of a key: hex SHA-256.
func Hash(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// randomString is n random bytes in base62 (letters and digits only, so a double-click selects it whole).
func randomString(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never fails (crypto/rand panics instead)
	v := new(big.Int).SetBytes(b)
	var out []byte
	base, mod := big.NewInt(62), new(big.Int)
	for i := 0; i < 43*n/32; i++ { // 43 base62 digits hold 32 bytes
		v.DivMod(v, base, mod)
		out = append(out, base62[mod.Int64()])
	}
	return string(out)
}

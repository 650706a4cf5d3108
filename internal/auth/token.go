package auth

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jws/jwsbb"
	"github.com/lestrrat-go/jwx/v3/jwt"
)

// MinSecretKeyBytes is the shortest signing key accepted: HS256 wants at least its hash size.
const MinSecretKeyBytes = 32

// ErrInvalidToken: the bearer token is missing, malformed, expired, or not signed by us with HS256.
var ErrInvalidToken = errors.New("invalid or expired token")

// Tokens issues and checks the platform's access tokens: JWTs signed HS256, sub = email.
type Tokens struct {
	key []byte
	ttl time.Duration
	now func() time.Time

	// verified remembers tokens whose signature already checked out: the same bytes carry the same
	// signature, so only the expiry needs checking again. Parsing is most of an authenticated read's cost.
	mu       sync.Mutex
	verified map[string]verifiedToken
}

type verifiedToken struct {
	subject string
	expires time.Time
}

// maxVerified bounds the cache; when full it starts over.
const maxVerified = 10_000

// NewTokens returns Tokens signing with key; tokens live for ttl.
func NewTokens(key []byte, ttl time.Duration) (*Tokens, error) {
	if len(key) < MinSecretKeyBytes {
		return nil, fmt.Errorf("SECRET_KEY must be at least %d bytes, got %d", MinSecretKeyBytes, len(key))
	}
	return &Tokens{key: key, ttl: ttl, now: time.Now, verified: map[string]verifiedToken{}}, nil
}

// Issue returns a signed token for email.
func (t *Tokens) Issue(email string) (string, error) {
	now := t.now()
	tok, err := jwt.NewBuilder().Subject(email).IssuedAt(now).Expiration(now.Add(t.ttl)).Build()
	if err != nil {
		return "", fmt.Errorf("auth: build token: %w", err)
	}
	signed, err := jwt.Sign(tok, jwt.WithKey(jwa.HS256(), t.key))
	if err != nil {
		return "", fmt.Errorf("auth: sign token: %w", err)
	}
	return string(signed), nil
}

// Subject verifies token and returns its subject. Only HS256 with our key is accepted: the protected
// header must name exactly HS256, and exp is required; every failure is ErrInvalidToken.
func (t *Tokens) Subject(token string) (string, error) {
	t.mu.Lock()
	v, ok := t.verified[token]
	t.mu.Unlock()
	if ok && t.now().Before(v.expires) {
		return v.subject, nil
	}
	// The key pins the verification to HMAC-SHA256, but a header naming another algorithm (or none)
	// must be refused too, even when the HMAC over the content is right.
	if !headerAlgIsHS256(token) {
		return "", ErrInvalidToken
	}
	tok, err := jwt.ParseString(token,
		jwt.WithKey(jwa.HS256(), t.key),
		jwt.WithValidate(true),
		jwt.WithRequiredClaim("exp"),
		jwt.WithClock(jwt.ClockFunc(t.now)),
	)
	if err != nil {
		return "", ErrInvalidToken
	}
	subject, _ := tok.Subject()
	expires, _ := tok.Expiration()
	if subject == "" || expires.IsZero() {
		return "", ErrInvalidToken
	}
	t.mu.Lock()
	if len(t.verified) >= maxVerified {
		clear(t.verified)
	}
	t.verified[token] = verifiedToken{subject: subject, expires: expires}
	t.mu.Unlock()
	return subject, nil
}

// headerAlgIsHS256 reports whether token is a compact JWS whose protected header has "alg" exactly
// "HS256". It reads the header with the same parser jwx's verification uses.
func headerAlgIsHS256(token string) bool {
	hdr, _, _, err := jwsbb.SplitCompactString(token)
	if err != nil {
		return false
	}
	alg, err := jwsbb.HeaderGetString(jwsbb.HeaderParseCompact(hdr), "alg")
	return err == nil && alg == jwa.HS256().String()
}

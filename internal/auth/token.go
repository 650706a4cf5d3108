package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
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

// Issuer and Audience are every access token's iss and aud; a token without them is refused.
const (
	Issuer   = "chatbot-platform"
	Audience = "chatbot-platform-api"
)

// MFAAudience is the aud of a sign-in halfway through (password checked, second factor to come):
// never Audience, so such a token is never an access token. MFATokenTTL is how long it lives.
const (
	MFAAudience = "chatbot-platform-mfa"
	MFATokenTTL = 5 * time.Minute
	mfaType     = "mfa"
)

// ErrInvalidMFAToken: the mfa_token is malformed, expired or not ours; the sign-in starts again.
var ErrInvalidMFAToken = errors.New("the two-factor sign-in has expired or its mfa_token is invalid: sign in again with your password")

// Claims are what an access token says: sub = the email (as the design document has it), and the
// user's id (uid) and session (sid) that each request checks are still live.
type Claims struct {
	Email     string
	UserID    int64
	SessionID int64
}

// Tokens issues and checks the platform's access tokens: JWTs signed HS256.
type Tokens struct {
	key     []byte
	csrfKey []byte // derived from key: CSRF tokens never share a key with access tokens
	ttl     time.Duration
	now     func() time.Time

	// verified remembers tokens whose signature already checked out: the same bytes carry the same
	// signature, so only the expiry needs checking again. Parsing is most of an authenticated read's cost.
	mu       sync.Mutex
	verified map[string]verifiedToken
}

type verifiedToken struct {
	claims  Claims
	expires time.Time
}

// maxVerified bounds the cache; when full it starts over.
const maxVerified = 10_000

// NewTokens returns Tokens signing with key; tokens live for ttl.
func NewTokens(key []byte, ttl time.Duration) (*Tokens, error) {
	if len(key) < MinSecretKeyBytes {
		return nil, fmt.Errorf("SECRET_KEY must be at least %d bytes, got %d", MinSecretKeyBytes, len(key))
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte("chatbot-platform csrf"))
	return &Tokens{key: key, csrfKey: mac.Sum(nil), ttl: ttl, now: time.Now, verified: map[string]verifiedToken{}}, nil
}

// SetClock makes t read the time from now (tests use a fixed clock); call it before t is used.
func (t *Tokens) SetClock(now func() time.Time) { t.now = now }

// Issue returns a signed token carrying c.
func (t *Tokens) Issue(c Claims) (string, error) {
	now := t.now()
	tok, err := jwt.NewBuilder().Subject(c.Email).Issuer(Issuer).Audience([]string{Audience}).IssuedAt(now).
		Expiration(now.Add(t.ttl)).Claim("uid", c.UserID).Claim("sid", c.SessionID).Build()
	if err != nil {
		return "", fmt.Errorf("auth: build token: %w", err)
	}
	signed, err := jwt.Sign(tok, jwt.WithKey(jwa.HS256(), t.key))
	if err != nil {
		return "", fmt.Errorf("auth: sign token: %w", err)
	}
	return string(signed), nil
}

// IssueMFA returns the token of a sign-in whose password was right and whose second factor is still to
// come: it names the user (uid), lives MFATokenTTL, and has its own audience and type, so it opens
// nothing but POST /users/login/mfa and /users/session/mfa.
func (t *Tokens) IssueMFA(userID int64) (string, error) {
	now := t.now()
	tok, err := jwt.NewBuilder().Issuer(Issuer).Audience([]string{MFAAudience}).IssuedAt(now).
		Expiration(now.Add(MFATokenTTL)).Claim("uid", userID).Claim("typ", mfaType).Build()
	if err != nil {
		return "", fmt.Errorf("auth: build mfa token: %w", err)
	}
	signed, err := jwt.Sign(tok, jwt.WithKey(jwa.HS256(), t.key))
	if err != nil {
		return "", fmt.Errorf("auth: sign mfa token: %w", err)
	}
	return string(signed), nil
}

// VerifyMFA returns the user id an mfa token names, or ErrInvalidMFAToken.
func (t *Tokens) VerifyMFA(token string) (int64, error) {
	if !headerAlgIsHS256(token) {
		return 0, ErrInvalidMFAToken
	}
	tok, err := jwt.ParseString(token,
		jwt.WithKey(jwa.HS256(), t.key),
		jwt.WithValidate(true),
		jwt.WithRequiredClaim("exp"),
		jwt.WithIssuer(Issuer),
		jwt.WithAudience(MFAAudience),
		jwt.WithClock(jwt.ClockFunc(t.now)),
	)
	if err != nil {
		return 0, ErrInvalidMFAToken
	}
	var uid float64
	var typ string
	if tok.Get("uid", &uid) != nil || tok.Get("typ", &typ) != nil || typ != mfaType || uid < 1 {
		return 0, ErrInvalidMFAToken
	}
	return int64(uid), nil
}

// CSRF is the CSRF token of a session: an HMAC of its id under a key derived from ours, so it cannot
// be guessed or planted for another session (the double-submit cookie alone could be, by a sibling
// subdomain).
func (t *Tokens) CSRF(sessionID int64) string {
	mac := hmac.New(sha256.New, t.csrfKey)
	mac.Write([]byte(strconv.FormatInt(sessionID, 10)))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// Verify checks token and returns its claims. Only HS256 with our key is accepted: the protected
// header must name exactly HS256; exp, our iss and aud, uid and sid are required; every failure is
// ErrInvalidToken. (Whether the session is still live is the caller's check.)
func (t *Tokens) Verify(token string) (Claims, error) {
	t.mu.Lock()
	v, ok := t.verified[token]
	t.mu.Unlock()
	if ok && t.now().Before(v.expires) {
		return v.claims, nil
	}
	// The key pins the verification to HMAC-SHA256, but a header naming another algorithm (or none)
	// must be refused too, even when the HMAC over the content is right.
	if !headerAlgIsHS256(token) {
		return Claims{}, ErrInvalidToken
	}
	tok, err := jwt.ParseString(token,
		jwt.WithKey(jwa.HS256(), t.key),
		jwt.WithValidate(true),
		jwt.WithRequiredClaim("exp"),
		jwt.WithIssuer(Issuer),
		jwt.WithAudience(Audience),
		jwt.WithClock(jwt.ClockFunc(t.now)),
	)
	if err != nil {
		return Claims{}, ErrInvalidToken
	}
	var c Claims
	var uid, sid float64 // JSON numbers
	c.Email, _ = tok.Subject()
	expires, _ := tok.Expiration()
	if tok.Get("uid", &uid) != nil || tok.Get("sid", &sid) != nil {
		return Claims{}, ErrInvalidToken
	}
	c.UserID, c.SessionID = int64(uid), int64(sid)
	if c.Email == "" || expires.IsZero() || c.UserID <= 0 || c.SessionID <= 0 {
		return Claims{}, ErrInvalidToken
	}
	t.mu.Lock()
	if len(t.verified) >= maxVerified {
		clear(t.verified)
	}
	t.verified[token] = verifiedToken{claims: c, expires: expires}
	t.mu.Unlock()
	return c, nil
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

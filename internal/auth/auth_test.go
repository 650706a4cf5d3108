package auth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwt"
	"github.com/pquerna/otp/hotp"
)

var ctx = context.Background()

// Made with Python's hashlib.pbkdf2_hmac and passlib's documented format (ab64, 32-byte key).
const pythonHash = "$pbkdf2-sha256$1000$MDEyMzQ1Njc4OWFiY2RlZg$DweYvbuFf0Oeq8Iuh3du5UpfXRq8G5lemNHA.MckURE"

func TestHasher_VerifiesPasslibHashes(t *testing.T) {
	h := NewHasher(1000)
	ok, rehash, err := h.Verify(ctx, "SecurePass123", pythonHash)
	if err != nil || !ok || rehash {
		t.Fatalf("Verify = %v, %v, %v; want true, false, nil", ok, rehash, err)
	}
	if ok, _, _ := h.Verify(ctx, "SecurePass124", pythonHash); ok {
		t.Fatal("wrong password accepted")
	}
}

func TestHasher_RoundTripAndRehash(t *testing.T) {
	h := NewHasher(2000)
	hash, err := h.Hash(ctx, "pässword1")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$pbkdf2-sha256$2000$") || strings.ContainsAny(hash, "+=") {
		t.Fatalf("hash %q is not in passlib's format", hash)
	}
	if ok, rehash, _ := h.Verify(ctx, "pässword1", hash); !ok || rehash {
		t.Fatal("own hash does not verify")
	}
	if ok, rehash, _ := NewHasher(3000).Verify(ctx, "pässword1", hash); !ok || !rehash {
		t.Fatal("a hash with fewer rounds than configured should ask for a rehash")
	}
}

func TestHasher_RejectsMalformedHashes(t *testing.T) {
	for _, hash := range []string{"", "plain", "$pbkdf2-sha256$x$a$b", "$pbkdf2-sha256$10$a", "$pbkdf2-sha256$0$YQ$YQ", "$pbkdf2-sha256$10$!!$YQ"} {
		if ok, _, err := NewHasher(10).Verify(ctx, "p", hash); ok || err == nil {
			t.Errorf("Verify(%q) = %v, %v; want an error", hash, ok, err)
		}
	}
}

func TestValidatePassword_Policy(t *testing.T) {
	tests := []struct {
		password string
		ok       bool
	}{
		{"Secure12", true},
		{"abcdefg1", true},
		{"ABCDEFG1", true},
		{"Short1", false},
		{"1234567", false},
		{"abcdefgh", false},  // no digit
		{"12345678", false},  // no letter
		{"éééééééé1", false}, // letters outside a-z/A-Z do not count
		{"éééééééa1", true},  // 9 characters, one ASCII letter
		{strings.Repeat("a", 127) + "1", true},
		{strings.Repeat("a", 128) + "1", false},
		{strings.Repeat("é", 126) + "a1", true}, // 128 characters, 254 bytes
		{"abc\x00defg1", false},
	}
	for _, tt := range tests {
		if err := ValidatePassword(tt.password); (err == nil) != tt.ok {
			t.Errorf("ValidatePassword(%q) = %v, want ok=%v", tt.password, err, tt.ok)
		}
	}
}

func TestValidateEmail(t *testing.T) {
	for email, ok := range map[string]bool{
		"user@example.com": true, "a.b+c@sub.example.org": true,
		"": false, "user": false, "@example.com": false, "user@": false, "user@example": false,
		"a@b@c.com": false, "us er@example.com": false, "user@.example.com": false, "user@example..com": false,
		"Name <user@example.com>": false, "user@example.com.": false,
	} {
		if err := ValidateEmail(email); (err == nil) != ok {
			t.Errorf("ValidateEmail(%q) = %v, want ok=%v", email, err, ok)
		}
	}
}

func TestTokens_RejectAnythingButOurHS256WithExp(t *testing.T) {
	key := []byte(strings.Repeat("k", 32))
	tokens, err := NewTokens(key, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	want := Claims{Email: "a@example.com", UserID: 7, SessionID: 9}
	good, _ := tokens.Issue(want)
	if c, err := tokens.Verify(good); err != nil || c != want {
		t.Fatalf("Verify(good) = %+v, %v", c, err)
	}
	sign := func(tok jwt.Token, alg jwa.SignatureAlgorithm, key []byte) string {
		s, err := jwt.Sign(tok, jwt.WithKey(alg, key))
		if err != nil {
			t.Fatal(err)
		}
		return string(s)
	}
	now := time.Now()
	ours := func() *jwt.Builder {
		return jwt.NewBuilder().Subject("a@example.com").Issuer(Issuer).Audience([]string{Audience}).Claim("uid", 7).Claim("sid", 9).IssuedAt(now)
	}
	valid, _ := ours().Expiration(now.Add(time.Hour)).Build()
	expired, _ := ours().IssuedAt(now.Add(-2 * time.Hour)).Expiration(now.Add(-time.Hour)).Build()
	noExp, _ := ours().Build()
	without := func(claim string) jwt.Token {
		tok, _ := ours().Expiration(now.Add(time.Hour)).Build()
		if err := tok.Remove(claim); err != nil {
			t.Fatal(err)
		}
		return tok
	}
	otherIssuer, _ := ours().Issuer("someone-else").Expiration(now.Add(time.Hour)).Build()
	otherAudience, _ := ours().Audience([]string{"another-api"}).Expiration(now.Add(time.Hour)).Build()
	header := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`))
	payload := base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"a@example.com","exp":` + "9999999999" + `}`))
	parts := strings.Split(good, ".")
	for name, tok := range map[string]string{
		"expired":        sign(expired, jwa.HS256(), key),
		"no exp":         sign(noExp, jwa.HS256(), key),
		"no iss":         sign(without("iss"), jwa.HS256(), key),
		"no aud":         sign(without("aud"), jwa.HS256(), key),
		"no uid":         sign(without("uid"), jwa.HS256(), key),
		"no sid":         sign(without("sid"), jwa.HS256(), key),
		"other issuer":   sign(otherIssuer, jwa.HS256(), key),
		"other audience": sign(otherAudience, jwa.HS256(), key),
		"HS512":          sign(valid, jwa.HS512(), key),
		"wrong key":      sign(valid, jwa.HS256(), []byte(strings.Repeat("x", 32))),
		"alg none":       header + "." + payload + ".",
		"tampered":       parts[0] + "." + payload + "." + parts[2],
		"garbage":        "not-a-token",
		"empty":          "",
	} {
		if c, err := tokens.Verify(tok); err != ErrInvalidToken {
			t.Errorf("%s: Verify = %+v, %v; want ErrInvalidToken", name, c, err)
		}
	}
}

func TestTokens_RememberedTokensStillExpire(t *testing.T) {
	tokens, _ := NewTokens([]byte(strings.Repeat("k", 32)), time.Minute)
	now := time.Now()
	tokens.now = func() time.Time { return now }
	tok, _ := tokens.Issue(Claims{Email: "a@example.com", UserID: 1, SessionID: 1})
	if _, err := tokens.Verify(tok); err != nil {
		t.Fatal(err)
	}
	now = now.Add(2 * time.Minute)
	if _, err := tokens.Verify(tok); err != ErrInvalidToken {
		t.Fatalf("an expired token was accepted from the cache: %v", err)
	}
}

func TestNewTokens_RefusesShortKeys(t *testing.T) {
	if _, err := NewTokens([]byte("short"), time.Hour); err == nil {
		t.Fatal("a 5-byte key was accepted")
	}
}

// hmacToken builds a token by hand: header as given, HMAC-SHA256 with key over header.payload,
// whatever the header's alg says.
func hmacToken(header, payload string, key []byte) string {
	b64 := base64.RawURLEncoding.EncodeToString
	input := b64([]byte(header)) + "." + b64([]byte(payload))
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(input))
	return input + "." + b64(mac.Sum(nil))
}

// TestTokens_RejectHeadersThatAreNotHS256: the signature is a correct HMAC-SHA256 with our key, but
// the header names another algorithm (or none): the token must be refused, and never cached.
func TestTokens_RejectHeadersThatAreNotHS256(t *testing.T) {
	key := []byte(strings.Repeat("k", 32))
	tokens, err := NewTokens(key, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	payload := `{"sub":"a@example.com","exp":9999999999,"iss":"` + Issuer + `","aud":"` + Audience + `","uid":7,"sid":9}`
	if c, err := tokens.Verify(hmacToken(`{"alg":"HS256","typ":"JWT"}`, payload, key)); err != nil || c.Email != "a@example.com" {
		t.Fatalf("hand-built HS256 token: Verify = %+v, %v", c, err)
	}
	for _, header := range []string{
		`{"alg":"RS256","typ":"JWT"}`,
		`{"alg":"ES256","typ":"JWT"}`,
		`{"alg":"PS256","typ":"JWT"}`,
		`{"alg":"EdDSA","typ":"JWT"}`,
		`{"alg":"HS512","typ":"JWT"}`,
		`{"alg":"none","typ":"JWT"}`,
		`{"alg":"hs256","typ":"JWT"}`,
		`{"alg":"Hs256","typ":"JWT"}`,
		`{"alg":"HS256 ","typ":"JWT"}`,
		`{"alg":"","typ":"JWT"}`,
		`{"typ":"JWT"}`,
	} {
		tok := hmacToken(header, payload, key)
		for range 2 { // twice: a refused token must not come back from the cache
			if c, err := tokens.Verify(tok); err != ErrInvalidToken {
				t.Errorf("header %s: Verify = %+v, %v; want ErrInvalidToken", header, c, err)
			}
		}
	}
}

// An mfa_token names its user, lives 5 minutes, and is never an access token (nor the reverse).
func TestTokens_MFATokenIsItsOwnKind(t *testing.T) {
	tokens, _ := NewTokens([]byte(strings.Repeat("k", 32)), time.Hour)
	now := time.Now()
	tokens.SetClock(func() time.Time { return now })
	mfa, err := tokens.IssueMFA(42)
	if err != nil {
		t.Fatal(err)
	}
	if uid, err := tokens.VerifyMFA(mfa); err != nil || uid != 42 {
		t.Fatalf("VerifyMFA = %d, %v", uid, err)
	}
	if _, err := tokens.Verify(mfa); err != ErrInvalidToken {
		t.Fatalf("an mfa_token verified as an access token: %v", err)
	}
	access, _ := tokens.Issue(Claims{Email: "a@example.com", UserID: 42, SessionID: 1})
	if _, err := tokens.VerifyMFA(access); err != ErrInvalidMFAToken {
		t.Fatalf("an access token verified as an mfa_token: %v", err)
	}
	now = now.Add(MFATokenTTL + time.Second)
	if _, err := tokens.VerifyMFA(mfa); err != ErrInvalidMFAToken {
		t.Fatalf("an expired mfa_token: %v", err)
	}
}

func TestMatchStep_SkewAndLastStep(t *testing.T) {
	const secret = "JBSWY3DPEHPK3PXP"
	at := time.Unix(1_800_000_000, 0)
	step := at.Unix() / 30
	code := func(s int64) string {
		c, _ := hotp.GenerateCodeCustom(secret, uint64(s), hotpOpts)
		return c
	}
	for _, tt := range []struct {
		name  string
		step  int64
		after int64
		ok    bool
	}{
		{"current", step, 0, true},
		{"one before", step - 1, 0, true},
		{"one after", step + 1, 0, true},
		{"two before", step - 2, 0, false},
		{"two after", step + 2, 0, false},
		{"used", step, step, false},
		{"before the used one", step - 1, step, false},
		{"after the used one", step + 1, step, true},
	} {
		got, ok := matchStep(secret, code(tt.step), at, tt.after)
		if ok != tt.ok || ok && got != tt.step {
			t.Errorf("%s: matchStep = %d, %v; want %d, %v", tt.name, got, ok, tt.step, tt.ok)
		}
	}
}

func TestRecoveryCodes_ShapeAndNormalisation(t *testing.T) {
	codes, hashes := newRecoveryCodes()
	if len(codes) != RecoveryCodes || len(hashes) != RecoveryCodes {
		t.Fatalf("%d codes, %d hashes", len(codes), len(hashes))
	}
	seen := map[string]bool{}
	for i, c := range codes {
		if len(c) != 19 || seen[c] || checkSecondFactor("", c) != nil {
			t.Fatalf("code %q", c)
		}
		seen[c] = true
		typed := strings.ToUpper(strings.ReplaceAll(c, "-", " "))
		if hashRecoveryCode(normalizeRecoveryCode(typed)) != hashes[i] {
			t.Fatalf("typed %q does not match %q", typed, c)
		}
	}
	for _, bad := range []string{"abcd", "abcd-efgh-ijkl-mnop-q", "abcd-efgh-ijkl-mno1", "abcd-efgh-ijkl-mn0p"} {
		if checkSecondFactor("", bad) == nil {
			t.Errorf("%q accepted as a recovery code", bad)
		}
	}
}

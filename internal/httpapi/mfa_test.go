package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"github.com/redis/go-redis/v9"

	"github.com/chatbot-platform/chatbot/api/client"
	"github.com/chatbot-platform/chatbot/internal/apitest"
	"github.com/chatbot-platform/chatbot/internal/testdb"
)

// fixedClock is the sign-in clock of a test: it moves only when the test moves it. It starts at the
// beginning of a 30-second TOTP step, close to the real time (cookies' Max-Age is counted from it).
type fixedClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFixedClock() *fixedClock {
	return &fixedClock{t: time.Now().Truncate(30 * time.Second).Add(time.Second)}
}

func (c *fixedClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fixedClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// code is the authenticator app's code for secret at the clock's time.
func (c *fixedClock) code(t *testing.T, secret string) string {
	t.Helper()
	code, err := totp.GenerateCodeCustom(secret, c.Now(), totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// eachEngineWithClock runs fn on each engine with a fixed sign-in clock.
func eachEngineWithClock(t *testing.T, fn func(t *testing.T, s *apitest.Server, clock *fixedClock)) {
	for _, e := range testdb.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			clock := newFixedClock()
			fn(t, apitest.Start(t, apitest.Options{Store: e.Open, Clock: clock.Now}), clock)
		})
	}
}

type setup struct {
	Secret     string `json:"secret"`
	OtpauthURI string `json:"otpauth_uri"`
}

type challenge struct {
	MFARequired bool   `json:"mfa_required"`
	MFAToken    string `json:"mfa_token"`
	AccessToken string `json:"access_token"`
}

// enableMFA turns two-factor sign-in on for the token's user and returns the secret and the recovery
// codes; the clock then moves to the next step, so the code used here is not the next one's.
func enableMFA(t *testing.T, s *apitest.Server, clock *fixedClock, token string) (string, []string) {
	t.Helper()
	r := s.Do(t, "POST", "/users/me/mfa/totp", token, "")
	wantStatus(t, r, 200, "")
	set := decode[setup](t, r)
	r = s.Do(t, "POST", "/users/me/mfa/totp/confirm", token, `{"code":"`+clock.code(t, set.Secret)+`"}`)
	wantStatus(t, r, 200, "")
	codes := decode[struct {
		RecoveryCodes []string `json:"recovery_codes"`
	}](t, r).RecoveryCodes
	clock.Add(30 * time.Second)
	return set.Secret, codes
}

func loginChallenge(t *testing.T, s *apitest.Server, email string) string {
	t.Helper()
	r := s.Do(t, "POST", "/users/login", "", `{"email":"`+email+`","password":"SecurePass123"}`)
	wantStatus(t, r, 200, "")
	c := decode[challenge](t, r)
	if !c.MFARequired || c.MFAToken == "" || c.AccessToken != "" || strings.Contains(string(r.Body), "token_type") {
		t.Fatalf("login of a user with two-factor sign-in: %s", r.Body)
	}
	return c.MFAToken
}

func mfaBody(mfaToken, field, code string) string {
	return fmt.Sprintf(`{"mfa_token":%q,%q:%q}`, mfaToken, field, code)
}

// Set-up: a secret and its otpauth URI, pending until a right code confirms it; then the login asks
// for a code, and a code completes it once.
func TestMFA_EnrolConfirmAndSignInWithACode(t *testing.T) {
	eachEngineWithClock(t, func(t *testing.T, s *apitest.Server, clock *fixedClock) {
		email, tok := s.NewUser(t)
		me := decode[map[string]any](t, s.Do(t, "GET", "/users/me", tok, ""))
		if me["mfa_enabled"] != false {
			t.Fatalf("me before: %v", me)
		}
		wantStatus(t, s.Do(t, "POST", "/users/me/mfa/totp/confirm", tok, `{"code":"123456"}`), 409, "POST /users/me/mfa/totp")

		first := decode[setup](t, s.Do(t, "POST", "/users/me/mfa/totp", tok, ""))
		r := s.Do(t, "POST", "/users/me/mfa/totp", tok, "")
		wantStatus(t, r, 200, "")
		set := decode[setup](t, r)
		if set.Secret == first.Secret || !strings.HasPrefix(set.OtpauthURI, "otpauth://totp/Chatbot%20Platform:"+email+"?") ||
			!strings.Contains(set.OtpauthURI, "secret="+set.Secret) || !strings.Contains(set.OtpauthURI, "issuer=Chatbot%20Platform") {
			t.Fatalf("set-up: %+v (first %+v)", set, first)
		}
		// The replaced secret's code no longer confirms; malformed codes are 400s naming the field.
		wantStatus(t, s.Do(t, "POST", "/users/me/mfa/totp/confirm", tok, `{"code":"`+clock.code(t, first.Secret)+`"}`), 400, "code: is not the current code")
		wantStatus(t, s.Do(t, "POST", "/users/me/mfa/totp/confirm", tok, `{"code":"12345"}`), 400, "code")
		wantStatus(t, s.Do(t, "POST", "/users/me/mfa/totp/confirm", tok, `{"code":"abcdef"}`), 400, "code")
		wantStatus(t, s.Do(t, "POST", "/users/me/mfa/totp/confirm", tok, `{}`), 400, "code")
		if decode[map[string]any](t, s.Do(t, "GET", "/users/me", tok, ""))["mfa_enabled"] != false {
			t.Fatal("a pending set-up counts as on")
		}
		// Still off: the login answers the token as before.
		s.Login(t, email, "SecurePass123")

		r = s.Do(t, "POST", "/users/me/mfa/totp/confirm", tok, `{"code":"`+clock.code(t, set.Secret)+`"}`)
		wantStatus(t, r, 200, "")
		codes := decode[struct {
			RecoveryCodes []string `json:"recovery_codes"`
		}](t, r).RecoveryCodes
		if len(codes) != 10 || len(codes[0]) != 19 || codes[0] == codes[1] {
			t.Fatalf("recovery codes: %v", codes)
		}
		if decode[map[string]any](t, s.Do(t, "GET", "/users/me", tok, ""))["mfa_enabled"] != true {
			t.Fatal("mfa_enabled is not true once confirmed")
		}
		wantStatus(t, s.Do(t, "POST", "/users/me/mfa/totp", tok, ""), 409, "already on")
		wantStatus(t, s.Do(t, "POST", "/users/me/mfa/totp/confirm", tok, `{"code":"`+clock.code(t, set.Secret)+`"}`), 409, "already on")

		// The code that confirmed the set-up cannot sign in; the next step's can, once.
		mfa := loginChallenge(t, s, email)
		wantStatus(t, s.Do(t, "POST", "/users/login/mfa", "", mfaBody(mfa, "code", clock.code(t, set.Secret))), 401, "Incorrect code")
		clock.Add(30 * time.Second)
		code := clock.code(t, set.Secret)
		r = s.Do(t, "POST", "/users/login/mfa", "", mfaBody(mfa, "code", code))
		wantStatus(t, r, 200, "")
		signedIn := decode[struct {
			AccessToken string `json:"access_token"`
			TokenType   string `json:"token_type"`
		}](t, r)
		if signedIn.TokenType != "bearer" {
			t.Fatalf("login/mfa: %s", r.Body)
		}
		wantStatus(t, s.Do(t, "GET", "/projects", signedIn.AccessToken, ""), 200, "")
		// A session like any other: it is listed, and logging out ends it.
		if len(sessionsOf(t, s, signedIn.AccessToken)) != 3 {
			t.Fatalf("sessions: %+v", sessionsOf(t, s, signedIn.AccessToken))
		}
		// The same code a second time, even with a fresh challenge, is refused.
		wantStatus(t, s.Do(t, "POST", "/users/login/mfa", "", mfaBody(loginChallenge(t, s, email), "code", code)), 401, "Incorrect code")
		wantStatus(t, s.Do(t, "POST", "/users/login/mfa", "", mfaBody(mfa, "code", code)), 401, "Incorrect code")
		// One step of clock skew either way is accepted (a later step than the last used).
		clock.Add(30 * time.Second)
		ahead := clock.code(t, set.Secret)
		clock.Add(-30 * time.Second)
		wantStatus(t, s.Do(t, "POST", "/users/login/mfa", "", mfaBody(mfa, "code", ahead)), 200, "")
		clock.Add(30 * time.Second)
		wantStatus(t, s.Do(t, "POST", "/users/login/mfa", "", mfaBody(mfa, "code", clock.code(t, set.Secret))), 401, "Incorrect code")

		// Malformed second steps are 400s with the field.
		wantStatus(t, s.Do(t, "POST", "/users/login/mfa", "", `{"mfa_token":"`+mfa+`"}`), 400, "code")
		wantStatus(t, s.Do(t, "POST", "/users/login/mfa", "", `{"mfa_token":"`+mfa+`","code":"123456","recovery_code":"`+codes[0]+`"}`), 400, "not both")
		wantStatus(t, s.Do(t, "POST", "/users/login/mfa", "", mfaBody(mfa, "recovery_code", "not-a-recovery-code!")), 400, "recovery_code")
		wantStatus(t, s.Do(t, "POST", "/users/login/mfa", "", mfaBody(mfa, "code", "12 345")), 400, "code")
		wantStatus(t, s.Do(t, "POST", "/users/login/mfa", "", `{"mfa_token":"`+mfa+`","code":"123456","extra":1}`), 400, "extra")
	})
}

// The mfa_token is not an access token, and it expires after 5 minutes; a tampered one is refused.
func TestMFA_TokenIsNoAccessTokenAndExpires(t *testing.T) {
	eachEngineWithClock(t, func(t *testing.T, s *apitest.Server, clock *fixedClock) {
		email, tok := s.NewUser(t)
		secret, _ := enableMFA(t, s, clock, tok)
		mfa := loginChallenge(t, s, email)
		for _, path := range []string{"/users/me", "/projects"} {
			wantStatus(t, s.Do(t, "GET", path, mfa, ""), 401, "Could not validate credentials")
		}
		wantStatus(t, s.Do(t, "GET", "/users/me", "", "", "Cookie", "session="+mfa), 401, "")
		// An access token is no mfa_token either.
		wantStatus(t, s.Do(t, "POST", "/users/login/mfa", "", mfaBody(tok, "code", clock.code(t, secret))), 401, "mfa_token is invalid")
		wantStatus(t, s.Do(t, "POST", "/users/login/mfa", "", mfaBody(mfa+"x", "code", clock.code(t, secret))), 401, "mfa_token is invalid")

		clock.Add(5*time.Minute + time.Second)
		wantStatus(t, s.Do(t, "POST", "/users/login/mfa", "", mfaBody(mfa, "code", clock.code(t, secret))), 401, "expired")
		fresh := loginChallenge(t, s, email)
		wantStatus(t, s.Do(t, "POST", "/users/login/mfa", "", mfaBody(fresh, "code", clock.code(t, secret))), 200, "")
		// A wrong password never reaches the challenge.
		wantStatus(t, s.Do(t, "POST", "/users/login", "", `{"email":"`+email+`","password":"WrongPass999"}`), 401, "Incorrect email or password")
	})
}

// Each recovery code signs in once, whatever its case, spaces or dashes.
func TestMFA_RecoveryCodesWorkOnce(t *testing.T) {
	eachEngineWithClock(t, func(t *testing.T, s *apitest.Server, clock *fixedClock) {
		email, tok := s.NewUser(t)
		_, codes := enableMFA(t, s, clock, tok)
		mfa := loginChallenge(t, s, email)
		typed := strings.ToUpper(strings.ReplaceAll(codes[3], "-", " "))
		wantStatus(t, s.Do(t, "POST", "/users/login/mfa", "", mfaBody(mfa, "recovery_code", typed)), 200, "")
		wantStatus(t, s.Do(t, "POST", "/users/login/mfa", "", mfaBody(mfa, "recovery_code", codes[3])), 401, "Incorrect code")
		wantStatus(t, s.Do(t, "POST", "/users/login/mfa", "", mfaBody(mfa, "recovery_code", "aaaa-aaaa-aaaa-aaaa")), 401, "Incorrect code")
		wantStatus(t, s.Do(t, "POST", "/users/login/mfa", "", mfaBody(mfa, "recovery_code", codes[4])), 200, "")
		// Another user's codes do not open this account.
		other, otherTok := s.NewUser(t)
		_, otherCodes := enableMFA(t, s, clock, otherTok)
		wantStatus(t, s.Do(t, "POST", "/users/login/mfa", "", mfaBody(mfa, "recovery_code", otherCodes[0])), 401, "Incorrect code")
		wantStatus(t, s.Do(t, "POST", "/users/login/mfa", "", mfaBody(loginChallenge(t, s, other), "recovery_code", otherCodes[0])), 200, "")
	})
}

// Wrong codes are limited per account (5, then 429 with Retry-After), on every route that checks
// one; right codes do not count; other accounts are not affected.
func TestMFA_GuessingIsLimited(t *testing.T) {
	eachEngineWithClock(t, func(t *testing.T, s *apitest.Server, clock *fixedClock) {
		email, tok := s.NewUser(t)
		secret, codes := enableMFA(t, s, clock, tok)
		mfa := loginChallenge(t, s, email)
		wrong := func() string { // a well-formed code that is not this step's nor a neighbour's
			for i := 0; ; i++ {
				c := fmt.Sprintf("%06d", i)
				ok := true
				for _, d := range []time.Duration{-30 * time.Second, 0, 30 * time.Second} {
					if code, _ := totp.GenerateCodeCustom(secret, clock.Now().Add(d), totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix}); code == c {
						ok = false
					}
				}
				if ok {
					return c
				}
			}
		}()
		for range 3 {
			wantStatus(t, s.Do(t, "POST", "/users/login/mfa", "", mfaBody(mfa, "code", wrong)), 401, "Incorrect code")
		}
		// A right code in between gives its try back.
		wantStatus(t, s.Do(t, "POST", "/users/login/mfa", "", mfaBody(mfa, "code", clock.code(t, secret))), 200, "")
		wantStatus(t, s.Do(t, "POST", "/users/login/mfa", "", mfaBody(mfa, "recovery_code", "aaaa-aaaa-aaaa-aaaa")), 401, "Incorrect code")
		wantStatus(t, s.Do(t, "DELETE", "/users/me/mfa/totp", tok, `{"password":"SecurePass123","code":"`+wrong+`"}`), 400, "code")
		for _, body := range []string{mfaBody(mfa, "code", wrong), mfaBody(mfa, "recovery_code", codes[0])} {
			r := s.Do(t, "POST", "/users/login/mfa", "", body)
			wantStatus(t, r, 429, "Too many wrong two-factor codes")
			if ra, _ := strconv.Atoi(r.Header.Get("Retry-After")); ra < 1 || ra > 15*60 {
				t.Fatalf("Retry-After = %q", r.Header.Get("Retry-After"))
			}
		}
		wantStatus(t, s.Do(t, "DELETE", "/users/me/mfa/totp", tok, `{"password":"SecurePass123","recovery_code":"`+codes[0]+`"}`), 429, "Too many")
		// Another account is not affected.
		other, otherTok := s.NewUser(t)
		otherSecret, _ := enableMFA(t, s, clock, otherTok)
		wantStatus(t, s.Do(t, "POST", "/users/login/mfa", "", mfaBody(loginChallenge(t, s, other), "code", clock.code(t, otherSecret))), 200, "")
	})
}

// Turning it off needs the password and a valid code (or recovery code); then the login is as before.
func TestMFA_DisableNeedsPasswordAndCode(t *testing.T) {
	eachEngineWithClock(t, func(t *testing.T, s *apitest.Server, clock *fixedClock) {
		email, tok := s.NewUser(t)
		wantStatus(t, s.Do(t, "DELETE", "/users/me/mfa/totp", tok, `{"password":"SecurePass123","code":"123456"}`), 409, "not on")
		secret, codes := enableMFA(t, s, clock, tok)
		disable := func(password, field, code string) apitest.Response {
			return s.Do(t, "DELETE", "/users/me/mfa/totp", tok, fmt.Sprintf(`{"password":%q,%q:%q}`, password, field, code))
		}
		wantStatus(t, disable("WrongPass999", "code", clock.code(t, secret)), 400, "password: is not your current password")
		wantStatus(t, s.Do(t, "DELETE", "/users/me/mfa/totp", tok, `{"password":"SecurePass123"}`), 400, "code")
		wantStatus(t, s.Do(t, "DELETE", "/users/me/mfa/totp", tok, `{"code":"123456"}`), 400, "password")
		wantStatus(t, disable("SecurePass123", "recovery_code", "bbbb-bbbb-bbbb-bbbb"), 400, "recovery_code: is not one of your unused recovery codes")
		clock.Add(-30 * time.Second) // the code of the confirming step: used already
		wantStatus(t, disable("SecurePass123", "code", clock.code(t, secret)), 400, "code: is not the current code")
		clock.Add(30 * time.Second)
		if decode[map[string]any](t, s.Do(t, "GET", "/users/me", tok, ""))["mfa_enabled"] != true {
			t.Fatal("turned off by a refused request")
		}
		wantStatus(t, disable("SecurePass123", "code", clock.code(t, secret)), 204, "")
		if decode[map[string]any](t, s.Do(t, "GET", "/users/me", tok, ""))["mfa_enabled"] != false {
			t.Fatal("still on")
		}
		s.Login(t, email, "SecurePass123")
		// Its recovery codes went with it; a new set-up starts afresh and a recovery code can turn it off.
		_, codes2 := enableMFA(t, s, clock, tok)
		wantStatus(t, disable("SecurePass123", "recovery_code", codes[0]), 400, "recovery_code")
		wantStatus(t, disable("SecurePass123", "recovery_code", codes2[9]), 204, "")
	})
}

// The dashboard's sign-in: POST /users/session answers the challenge and sets no cookie;
// POST /users/session/mfa sets them and answers the user.
func TestMFA_CookieSignIn(t *testing.T) {
	eachEngineWithClock(t, func(t *testing.T, s *apitest.Server, clock *fixedClock) {
		email, tok := s.NewUser(t)
		secret, _ := enableMFA(t, s, clock, tok)
		r := s.Do(t, "POST", "/users/session", "", `{"email":"`+email+`","password":"SecurePass123"}`)
		wantStatus(t, r, 200, "")
		if len(r.Header["Set-Cookie"]) != 0 {
			t.Fatalf("cookies set before the second factor: %v", r.Header["Set-Cookie"])
		}
		c := decode[challenge](t, r)
		if !c.MFARequired || c.MFAToken == "" || strings.Contains(string(r.Body), email) {
			t.Fatalf("session challenge: %s", r.Body)
		}
		wantStatus(t, s.Do(t, "POST", "/users/session/mfa", "", mfaBody(c.MFAToken, "code", "000000")), 401, "")
		r = s.Do(t, "POST", "/users/session/mfa", "", mfaBody(c.MFAToken, "code", clock.code(t, secret)))
		wantStatus(t, r, 200, "")
		if u := decode[map[string]any](t, r); u["email"] != email || u["mfa_enabled"] != true {
			t.Fatalf("session/mfa: %s", r.Body)
		}
		var session, csrf string
		for _, ck := range (&http.Response{Header: r.Header}).Cookies() {
			switch ck.Name {
			case "session":
				session = ck.Value
				if !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.MaxAge <= 0 {
					t.Fatalf("session cookie: %+v", ck)
				}
			case "csrf_token":
				csrf = ck.Value
			}
		}
		jar := "session=" + session + "; csrf_token=" + csrf
		wantStatus(t, s.Do(t, "GET", "/users/me", "", "", "Cookie", jar), 200, "")
		wantStatus(t, s.Do(t, "POST", "/projects", "", `{"name":"p"}`, "Cookie", jar, "X-CSRF-Token", csrf), 201, "")
	})
}

// A user without two-factor sign-in sees exactly the login answers of before, through the
// generated client too.
func TestMFA_UnchangedLoginWithoutIt(t *testing.T) {
	eachEngine(t, nil, func(t *testing.T, s *apitest.Server) {
		email, _ := s.NewUser(t)
		r := s.Do(t, "POST", "/users/login", "", `{"email":"`+email+`","password":"SecurePass123"}`)
		wantStatus(t, r, 200, "")
		var body map[string]any
		json.Unmarshal(r.Body, &body)
		if len(body) != 2 || body["token_type"] != "bearer" || body["access_token"] == "" {
			t.Fatalf("login: %s", r.Body)
		}
		res, err := s.Client.LoginUserWithResponse(context.Background(), client.Credentials{Email: email, Password: "SecurePass123"})
		if err != nil || res.JSON200 == nil || res.JSON200.MfaRequired || res.JSON200.AccessToken == "" {
			t.Fatalf("generated client: %v %s", err, res.Body)
		}
		r = s.Do(t, "POST", "/users/session", "", `{"email":"`+email+`","password":"SecurePass123"}`)
		wantStatus(t, r, 200, "")
		if u := decode[map[string]any](t, r); u["email"] != email || u["mfa_enabled"] != false || len(r.Header["Set-Cookie"]) != 2 {
			t.Fatalf("session: %s %v", r.Body, r.Header["Set-Cookie"])
		}
	})
}

// Two instances on one Redis share an account's limit of wrong codes.
func TestMFA_GuessLimitSharedThroughRedis(t *testing.T) {
	url := os.Getenv("TEST_REDIS_URL")
	if url == "" {
		t.Skip("Redis skipped: TEST_REDIS_URL is not set")
	}
	st := testdb.SQLite(t)
	clock := newFixedClock()
	env := map[string]string{"REDIS_URL": url}
	a := apitest.Start(t, apitest.Options{Env: env, Store: func(testing.TB) storeT { return st }, Clock: clock.Now})
	b := apitest.Start(t, apitest.Options{Env: env, Store: func(testing.TB) storeT { return st }, Clock: clock.Now})
	email, tok := a.NewUser(t)
	u, err := st.GetUserByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	// User ids repeat across test databases: start from an empty allowance.
	redis.NewClient(mustParseRedis(t, url)).Del(context.Background(), "chatbot:ratelimit:mfa:"+strconv.FormatInt(u.ID, 10))
	enableMFA(t, a, clock, tok)
	mfa := loginChallenge(t, a, email)
	for i := range 5 {
		s := a
		if i%2 == 1 {
			s = b
		}
		wantStatus(t, s.Do(t, "POST", "/users/login/mfa", "", mfaBody(mfa, "recovery_code", "cccc-cccc-cccc-cccc")), 401, "")
	}
	wantStatus(t, b.Do(t, "POST", "/users/login/mfa", "", mfaBody(mfa, "recovery_code", "cccc-cccc-cccc-cccc")), 429, "Too many wrong two-factor codes")
}

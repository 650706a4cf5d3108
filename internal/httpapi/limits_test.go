package httpapi_test

import (
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/chatbot-platform/chatbot/internal/apitest"
	"github.com/chatbot-platform/chatbot/internal/testdb"
)

// TestLogin_ThrottledPerAccountWhateverTheIP: a guesser rotating client IPs (each under the per-IP
// limit) still gets only RATE_LIMIT_LOGIN_EMAIL attempts a minute at one account; other accounts are
// not affected.
func TestLogin_ThrottledPerAccountWhateverTheIP(t *testing.T) {
	s := apitest.Start(t, apitest.Options{Env: map[string]string{
		"RATE_LIMIT_LOGIN_EMAIL": "3", "RATE_LIMIT_AUTH": "100", "TRUSTED_PROXIES": "127.0.0.1",
	}})
	victim, _ := s.NewUser(t) // registering logs in once: one attempt spent
	other, _ := s.NewUser(t)
	wrong := fmt.Sprintf(`{"email":%q,"password":"WrongPass123"}`, victim)
	for i := range 2 {
		wantStatus(t, s.Do(t, "POST", "/users/login", "", wrong, "X-Forwarded-For", fmt.Sprintf("198.51.100.%d", i)), 401, "")
	}
	right := fmt.Sprintf(`{"email":%q,"password":"SecurePass123"}`, victim)
	// Case and spaces do not make another account.
	upper := fmt.Sprintf(`{"email":" %s ","password":"SecurePass123"}`, victim)
	for _, body := range []string{right, upper} {
		r := s.Do(t, "POST", "/users/login", "", body, "X-Forwarded-For", "203.0.113.99")
		wantStatus(t, r, 429, "Too many login attempts for this account")
		if ra, _ := strconv.Atoi(r.Header.Get("Retry-After")); ra < 1 || ra > 60 {
			t.Fatalf("Retry-After = %q", r.Header.Get("Retry-After"))
		}
	}
	s.Login(t, other, "SecurePass123")
}

func TestLogin_AccountThrottleSharedThroughRedis(t *testing.T) {
	url := os.Getenv("TEST_REDIS_URL")
	if url == "" {
		t.Skip("Redis skipped: TEST_REDIS_URL is not set")
	}
	st := testdb.SQLite(t)
	env := map[string]string{"REDIS_URL": url, "RATE_LIMIT_LOGIN_EMAIL": "2"}
	a := apitest.Start(t, apitest.Options{Env: env, Store: func(testing.TB) storeT { return st }})
	b := apitest.Start(t, apitest.Options{Env: env, Store: func(testing.TB) storeT { return st }})
	login := fmt.Sprintf(`{"email":"throttle%d@example.com","password":"SecurePass123"}`, time.Now().UnixNano())
	wantStatus(t, a.Do(t, "POST", "/users/login", "", login), 401, "")
	wantStatus(t, b.Do(t, "POST", "/users/login", "", login), 401, "")
	wantStatus(t, a.Do(t, "POST", "/users/login", "", login), 429, "Too many login attempts")
}

package apikey

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/chatbot-platform/chatbot/internal/model"
	"github.com/chatbot-platform/chatbot/internal/store"
	"github.com/chatbot-platform/chatbot/internal/testdb"
)

var ctx = context.Background()

func newService(t *testing.T) (*Service, store.Store, int64, int64) {
	t.Helper()
	st := testdb.SQLite(t)
	u, err := st.CreateUser(ctx, "owner@example.com", "x")
	if err != nil {
		t.Fatal(err)
	}
	p, err := st.CreateProject(ctx, model.Project{OwnerID: u.ID, Name: "p", Model: "m", MaxOutputTokens: 100})
	if err != nil {
		t.Fatal(err)
	}
	return NewService(st, slog.New(slog.NewTextHandler(io.Discard, nil))), st, u.ID, p.ID
}

func TestAuthenticate_ExpiredKeysFailAndUseIsRecordedOncePerMinute(t *testing.T) {
	s, st, owner, pid := newService(t)
	now := time.Now()
	s.now = func() time.Time { return now }
	soon := now.Add(time.Hour)
	k, err := s.Create(ctx, owner, pid, model.KeySecret, Settings{Name: ptr("k"), ExpiresAt: &soon})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Authenticate(ctx, k.Key)
	if err != nil || got.ID != k.ID || got.OwnerID != owner {
		t.Fatalf("authenticate: %+v %v", got, err)
	}
	waitFor(t, func() bool { g, _ := st.GetKey(ctx, owner, k.ID); return g.LastUsedAt != nil })
	first, _ := st.GetKey(ctx, owner, k.ID)

	now = now.Add(30 * time.Second) // within the minute: no second write
	if _, err := s.Authenticate(ctx, k.Key); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	if again, _ := st.GetKey(ctx, owner, k.ID); !again.LastUsedAt.Equal(*first.LastUsedAt) {
		t.Fatalf("last_used_at rewritten within a minute: %v then %v", first.LastUsedAt, again.LastUsedAt)
	}
	now = now.Add(2 * time.Minute)
	if _, err := s.Authenticate(ctx, k.Key); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { g, _ := st.GetKey(ctx, owner, k.ID); return g.LastUsedAt.After(*first.LastUsedAt) })

	now = soon
	if _, err := s.Authenticate(ctx, k.Key); !errors.Is(err, ErrInvalidKey) {
		t.Fatalf("expired key: %v", err)
	}
	if _, err := s.Authenticate(ctx, "cb_sk_nothing"); !errors.Is(err, ErrInvalidKey) {
		t.Fatalf("unknown key: %v", err)
	}
}

func TestCreate_KeysAreLongRandomAndStoredHashed(t *testing.T) {
	s, st, owner, pid := newService(t)
	a, _ := s.Create(ctx, owner, pid, model.KeySecret, Settings{Name: ptr("a")})
	b, _ := s.Create(ctx, owner, pid, model.KeyPublishable, Settings{Name: ptr("b")})
	if a.Key == b.Key[len(PublishablePrefix):] || !strings.HasPrefix(a.Key, SecretPrefix) || !strings.HasPrefix(b.Key, PublishablePrefix) ||
		len(a.Key) != len(SecretPrefix)+43 || strings.ContainsAny(a.Key[6:], "-_=+/") {
		t.Fatalf("keys %q %q", a.Key, b.Key)
	}
	stored, _ := st.GetKey(ctx, owner, a.ID)
	if stored.Hash != Hash(a.Key) || strings.Contains(stored.Hash, a.Key[6:]) || stored.Prefix != a.Key[:12] {
		t.Fatalf("stored %+v", stored)
	}
	if b.IdentitySecret == "" || a.IdentitySecret != "" {
		t.Fatal("identity secrets belong to publishable keys only")
	}
}

func TestNormalizeOrigin(t *testing.T) {
	for in, want := range map[string]string{
		"https://Shop.Example.com":     "https://shop.example.com",
		"https://shop.example.com/":    "https://shop.example.com",
		"http://127.0.0.1:5173":        "http://127.0.0.1:5173",
		"https://shop.example.com/a":   "",
		"https://shop.example.com?q":   "",
		"ftp://shop.example.com":       "",
		"shop.example.com":             "",
		"https://*.example.com":        "",
		"https://user@shop.example":    "",
		"https://shop.example.com#x":   "",
		"javascript:alert(1)":          "",
		"https://shop.example.com:80":  "https://shop.example.com:80",
		"https://shop.example.com:443": "https://shop.example.com",
		"http://shop.example.com:80":   "http://shop.example.com",
	} {
		got, err := NormalizeOrigin(in)
		if (err != nil) != (want == "") || got != want {
			t.Errorf("NormalizeOrigin(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestEndUser(t *testing.T) {
	pk := model.APIKey{Kind: model.KeyPublishable, IdentitySecret: "s3cret"}
	mac := hmac.New(sha256.New, []byte("s3cret"))
	mac.Write([]byte("alice"))
	good := hex.EncodeToString(mac.Sum(nil))
	var unauth *model.UnauthorizedError
	var invalid *model.ValidationError
	for _, tt := range []struct {
		name                string
		k                   model.APIKey
		user, hash, visitor string
		want                string
		wantUnauth, wantBad bool
	}{
		{"secret key names its user", model.APIKey{Kind: model.KeySecret}, "u-1", "", "", "u-1", false, false},
		{"secret key without user", model.APIKey{Kind: model.KeySecret}, "", "", "", "", false, false},
		{"signed visitor", pk, "alice", good, "", "alice", false, false},
		{"upper-case hex", pk, "alice", strings.ToUpper(good), "", "alice", false, false},
		{"forged hash", pk, "alice", strings.Repeat("0", 64), "", "", true, false},
		{"hash of another user", pk, "bob", good, "", "", true, false},
		{"user without hash", pk, "alice", "", "", "", true, false},
		{"anonymous visitor", pk, "", "", "v-0123456789abcdef", AnonymousPrefix + "v-0123456789abcdef", false, false},
		{"nobody", pk, "", "", "", "", false, true},
		{"signed users only", model.APIKey{Kind: model.KeyPublishable, RequireSignedUser: true}, "", "", "v-0123456789abcdef", "", true, false},
		{"NUL in user", model.APIKey{Kind: model.KeySecret}, "a\x00b", "", "", "", false, true},
	} {
		got, err := EndUser(tt.k, tt.user, tt.hash, tt.visitor)
		if got != tt.want || errors.As(err, &unauth) != tt.wantUnauth || errors.As(err, &invalid) != tt.wantBad {
			t.Errorf("%s: %q, %v", tt.name, got, err)
		}
	}
}

func TestCheckOrigin(t *testing.T) {
	pk := model.APIKey{Kind: model.KeyPublishable, AllowedOrigins: []string{"https://shop.example.com"}}
	if CheckOrigin(pk, "https://shop.example.com") != nil || CheckOrigin(pk, "HTTPS://SHOP.EXAMPLE.COM") != nil {
		t.Fatal("allowed origin refused")
	}
	for _, o := range []string{"", "https://evil.example.com", "https://shop.example.com.evil.com", "null"} {
		if CheckOrigin(pk, o) == nil {
			t.Errorf("origin %q allowed", o)
		}
	}
	if CheckOrigin(model.APIKey{Kind: model.KeyPublishable}, "https://shop.example.com") == nil {
		t.Error("a key without origins works")
	}
	if CheckOrigin(model.APIKey{Kind: model.KeySecret}, "") != nil {
		t.Error("secret keys carry no origin rule")
	}
}

func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	for i := 0; i < 200; i++ {
		if ok() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("condition never held")
}

func ptr[T any](v T) *T { return &v }

// Two instances over one database: each remembers the keys it has read, and still sees a change made
// through the other at its very next request (scopes, identity secret, revocation, the project going).
func TestAuthenticate_RememberedKeysFollowChangesFromEveryInstance(t *testing.T) {
	a, st, owner, pid := newService(t)
	b := NewService(st, a.log)
	k, err := a.Create(ctx, owner, pid, model.KeySecret, Settings{Name: ptr("k"), Scopes: &[]string{"chat", "read"}})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := a.Authenticate(ctx, k.Key); err != nil || !got.HasScope("read") {
		t.Fatalf("first use: %+v %v", got, err)
	}
	// Unchanged: the remembered key is served (last_used_at is use, not a change, so it stays as read).
	if err := st.TouchKey(ctx, k.ID, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got, _ := a.Authenticate(ctx, k.Key); got.LastUsedAt != nil && got.LastUsedAt.After(time.Now()) {
		t.Fatalf("an unchanged key was read again: %v", got.LastUsedAt)
	}

	if _, err := b.Update(ctx, owner, k.ID, Settings{Scopes: &[]string{"chat"}}); err != nil {
		t.Fatal(err)
	}
	if got, err := a.Authenticate(ctx, k.Key); err != nil || got.HasScope("read") {
		t.Fatalf("scope removed on the other instance still seen: %+v %v", got.Scopes, err)
	}
	pk, err := a.Create(ctx, owner, pid, model.KeyPublishable, Settings{Name: ptr("widget"), AllowedOrigins: &[]string{"https://shop.example"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Authenticate(ctx, pk.Key); err != nil {
		t.Fatal(err)
	}
	secret, err := b.RotateIdentitySecret(ctx, owner, pk.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := a.Authenticate(ctx, pk.Key); got.IdentitySecret != secret {
		t.Fatal("rotated identity secret not seen")
	}
	if err := b.Revoke(ctx, owner, k.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Authenticate(ctx, k.Key); !errors.Is(err, ErrInvalidKey) {
		t.Fatalf("revoked on the other instance: %v", err)
	}

	k2, err := a.Create(ctx, owner, pid, model.KeySecret, Settings{Name: ptr("k2")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Authenticate(ctx, k2.Key); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteProject(ctx, owner, pid); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Authenticate(ctx, k2.Key); !errors.Is(err, ErrInvalidKey) {
		t.Fatalf("key of a deleted project: %v", err)
	}
}

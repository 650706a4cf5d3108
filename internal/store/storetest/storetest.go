// Package storetest is the conformance suite every store.Store implementation must pass.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/chatbot-platform/chatbot/internal/model"
	"github.com/chatbot-platform/chatbot/internal/store"
)

// Run runs the suite against fresh stores from open.
func Run(t *testing.T, open func(testing.TB) store.Store) {
	tests := []struct {
		name string
		fn   func(*testing.T, store.Store)
	}{
		{"Users", testUsers},
		{"EmailTokensAreSingleUse", testEmailTokens},
		{"TOTPSetUpCodesAndRecoveryCodes", testTOTP},
		{"ProjectsAreScopedByOwner", testProjects},
		{"PromptsOrderAndScope", testPrompts},
		{"FilesScope", testFiles},
		{"ConversationsAndMessages", testConversations},
		{"StartConversationWithItsFirstMessages", testStartConversation},
		{"PagesFollowTheListsOrder", testPages},
		{"RecentMessagesFitTheBudget", testRecentMessages},
		{"KeysAreScopedAndRevocable", testKeys},
		{"ConversationsOfKeysAndEndUsers", testKeyConversations},
		{"BudgetCountersReserveAtomically", testBudgetCounters},
		{"DeletingProjectCascades", testCascade},
		{"WritesUnderAGoneRowAreNotFound", testGoneParent},
		{"IdempotencyKeysPerCallerAndLazyExpiry", testIdempotencyKeys},
		{"ProjectFilesDeletedUnderTheProjectLock", testProjectFilesDeletion},
		{"EvalRunsRecordEachResultAndEndOnce", testEvalRuns},
		{"ReleasesNumberedScopedAndPublished", testReleases},
		{"TransactionRollsBack", testTxRollback},
		{"ConcurrentWritesNeverFail", testConcurrentWrites},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			defer func() {
				if r := recover(); r != nil {
					t.Fatal(r)
				}
			}()
			tt.fn(t, open(t))
		})
	}
}

var ctx = context.Background()

// all is a page holding every row these tests make.
var all = store.Page{Limit: 1000}

// must unwraps a result; Run turns its panic into a test failure.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func wantErr(t *testing.T, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("error = %v, want %v", err, want)
	}
}

func newUser(t *testing.T, s store.Store, email string) model.User {
	return must(s.CreateUser(ctx, email, "hash"))
}

func newProject(t *testing.T, s store.Store, owner int64, name string) model.Project {
	return must(s.CreateProject(ctx, model.Project{OwnerID: owner, Name: name, Model: "gpt-4o-mini", Temperature: 0.7, MaxOutputTokens: 2000}))
}

func testUsers(t *testing.T, s store.Store) {
	u := newUser(t, s, "a@example.com")
	if u.ID == 0 || u.Email != "a@example.com" || u.PasswordHash != "hash" || u.CreatedAt.IsZero() {
		t.Fatalf("created user = %+v", u)
	}
	_, err := s.CreateUser(ctx, "a@example.com", "other")
	wantErr(t, err, store.ErrConflict)
	if got := must(s.GetUserByEmail(ctx, "a@example.com")); got.ID != u.ID {
		t.Fatalf("by email = %+v", got)
	}
	if err := s.SetPasswordHash(ctx, u.ID, "new"); err != nil {
		t.Fatal(err)
	}
	if got := must(s.GetUserByID(ctx, u.ID)); got.PasswordHash != "new" {
		t.Fatalf("hash not updated: %+v", got)
	}
	_, err = s.GetUserByEmail(ctx, "nobody@example.com")
	wantErr(t, err, store.ErrNotFound)
	if err := s.DeleteUser(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	_, err = s.GetUserByID(ctx, u.ID)
	wantErr(t, err, store.ErrNotFound)
	wantErr(t, s.DeleteUser(ctx, u.ID), store.ErrNotFound)
}

func testEmailTokens(t *testing.T, s store.Store) {
	u := newUser(t, s, "mail@example.com")
	other := newUser(t, s, "other-mail@example.com")
	exp := time.Now().Add(30 * time.Minute).UTC().Truncate(time.Second)
	put := func(hash string, userID int64, purpose string) {
		t.Helper()
		if err := s.PutEmailToken(ctx, model.EmailToken{Hash: []byte(hash), UserID: userID, Purpose: purpose, Email: "mail@example.com", ExpiresAt: exp}); err != nil {
			t.Fatal(err)
		}
	}
	put("reset-1", u.ID, model.PurposeResetPassword)
	put("verify-1", u.ID, model.PurposeVerifyEmail)
	put("reset-2", u.ID, model.PurposeResetPassword) // replaces reset-1, keeps verify-1
	put("reset-other", other.ID, model.PurposeResetPassword)

	_, err := s.TakeEmailToken(ctx, []byte("reset-1"), model.PurposeResetPassword)
	wantErr(t, err, store.ErrNotFound)
	_, err = s.TakeEmailToken(ctx, []byte("verify-1"), model.PurposeResetPassword) // a link does only what it was made for
	wantErr(t, err, store.ErrNotFound)
	got := must(s.TakeEmailToken(ctx, []byte("reset-2"), model.PurposeResetPassword))
	if got.UserID != u.ID || got.Email != "mail@example.com" || !got.ExpiresAt.Equal(exp) {
		t.Fatalf("taken = %+v, want user %d expiring %v", got, u.ID, exp)
	}
	_, err = s.TakeEmailToken(ctx, []byte("reset-2"), model.PurposeResetPassword)
	wantErr(t, err, store.ErrNotFound)
	must(s.TakeEmailToken(ctx, []byte("verify-1"), model.PurposeVerifyEmail))
	must(s.TakeEmailToken(ctx, []byte("reset-other"), model.PurposeResetPassword))

	if got := must(s.GetUserByID(ctx, u.ID)); got.EmailVerifiedAt != nil {
		t.Fatalf("new user verified at %v", got.EmailVerifiedAt)
	}
	if ok := must(s.SetEmailVerified(ctx, u.ID, "old@example.com", time.Now())); ok {
		t.Fatal("verified an address the user no longer has")
	}
	if ok := must(s.SetEmailVerified(ctx, u.ID, "mail@example.com", time.Now())); !ok {
		t.Fatal("not verified")
	}
	if ok := must(s.SetEmailVerified(ctx, u.ID, "mail@example.com", time.Now())); ok {
		t.Fatal("verified twice")
	}
	if got := must(s.GetUserByID(ctx, u.ID)); got.EmailVerifiedAt == nil {
		t.Fatal("verification not stored")
	}

	put("reset-gone", u.ID, model.PurposeResetPassword)
	if err := s.DeleteUser(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	_, err = s.TakeEmailToken(ctx, []byte("reset-gone"), model.PurposeResetPassword)
	wantErr(t, err, store.ErrNotFound)
}

func testProjects(t *testing.T, s store.Store) {
	alice, bob := newUser(t, s, "alice@example.com"), newUser(t, s, "bob@example.com")
	p1 := newProject(t, s, alice.ID, "first")
	p2 := newProject(t, s, alice.ID, "second")
	newProject(t, s, bob.ID, "bob's")
	if p1.Model != "gpt-4o-mini" || p1.Temperature != 0.7 || p1.MaxOutputTokens != 2000 || p1.CreatedAt.IsZero() {
		t.Fatalf("created project = %+v", p1)
	}
	list := must(s.ListProjects(ctx, alice.ID))
	if len(list) != 2 || list[0].ID != p1.ID || list[1].ID != p2.ID {
		t.Fatalf("alice's projects = %+v, want first then second", list)
	}
	_, err := s.GetProject(ctx, bob.ID, p1.ID)
	wantErr(t, err, store.ErrNotFound)
	_, err = s.UpdateProject(ctx, model.Project{ID: p1.ID, OwnerID: bob.ID, Name: "stolen", Model: "m", MaxOutputTokens: 1})
	wantErr(t, err, store.ErrNotFound)
	wantErr(t, s.DeleteProject(ctx, bob.ID, p1.ID), store.ErrNotFound)
	wantErr(t, s.SetProjectVectorStore(ctx, bob.ID, p1.ID, "vs_1"), store.ErrNotFound)

	p1.Name, p1.Model, p1.Temperature, p1.MaxOutputTokens = "renamed", "gpt-4o", 1.5, 100
	up := must(s.UpdateProject(ctx, p1))
	if up.Name != "renamed" || up.Model != "gpt-4o" || up.Temperature != 1.5 || up.MaxOutputTokens != 100 {
		t.Fatalf("updated = %+v", up)
	}
	if claimed, err := s.ClaimProjectVectorStore(ctx, bob.ID, p1.ID, "vs_bob"); claimed || !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("bob's claim = %v, %v; want not found", claimed, err)
	}
	if claimed, err := s.ClaimProjectVectorStore(ctx, alice.ID, p1.ID, "vs_1"); !claimed || err != nil {
		t.Fatalf("first claim = %v, %v", claimed, err)
	}
	if claimed, err := s.ClaimProjectVectorStore(ctx, alice.ID, p1.ID, "vs_2"); claimed || err != nil {
		t.Fatalf("second claim = %v, %v; want false: the first one stands", claimed, err)
	}
	if got := must(s.GetProject(ctx, alice.ID, p1.ID)); got.VectorStoreID != "vs_1" || got.Name != "renamed" {
		t.Fatalf("after update = %+v", got)
	}
	if err := s.DeleteProject(ctx, alice.ID, p2.ID); err != nil {
		t.Fatal(err)
	}
	if list := must(s.ListProjects(ctx, alice.ID)); len(list) != 1 {
		t.Fatalf("after delete = %+v", list)
	}
	if list := must(s.ListProjects(ctx, bob.ID)); len(list) != 1 || list[0].Name != "bob's" {
		t.Fatalf("bob's projects = %+v", list)
	}
}

func testPrompts(t *testing.T, s store.Store) {
	alice, bob := newUser(t, s, "alice@example.com"), newUser(t, s, "bob@example.com")
	p := newProject(t, s, alice.ID, "p")
	if n := must(s.NextPromptPosition(ctx, p.ID)); n != 0 {
		t.Fatalf("next position of empty project = %d", n)
	}
	a := must(s.CreatePrompt(ctx, alice.ID, model.Prompt{ProjectID: p.ID, Name: "a", Content: "A", Position: 5, Enabled: true}))
	b := must(s.CreatePrompt(ctx, alice.ID, model.Prompt{ProjectID: p.ID, Name: "b", Content: "B", Position: 1, Enabled: false}))
	c := must(s.CreatePrompt(ctx, alice.ID, model.Prompt{ProjectID: p.ID, Name: "c", Content: "C", Position: 5, Enabled: true}))
	if n := must(s.NextPromptPosition(ctx, p.ID)); n != 6 {
		t.Fatalf("next position = %d, want 6", n)
	}
	list := must(s.ListPrompts(ctx, alice.ID, p.ID))
	if len(list) != 3 || list[0].ID != b.ID || list[1].ID != a.ID || list[2].ID != c.ID {
		t.Fatalf("order = %+v, want b, a, c (position, then id)", list)
	}
	if list[0].Enabled {
		t.Fatal("b should be disabled")
	}
	_, err := s.CreatePrompt(ctx, bob.ID, model.Prompt{ProjectID: p.ID, Name: "x", Content: "x"})
	wantErr(t, err, store.ErrNotFound)
	if l := must(s.ListPrompts(ctx, bob.ID, p.ID)); len(l) != 0 {
		t.Fatalf("bob sees %d prompts", len(l))
	}
	_, err = s.GetPrompt(ctx, bob.ID, a.ID)
	wantErr(t, err, store.ErrNotFound)
	_, err = s.UpdatePrompt(ctx, bob.ID, model.Prompt{ID: a.ID, Name: "x", Content: "x"})
	wantErr(t, err, store.ErrNotFound)
	wantErr(t, s.DeletePrompt(ctx, bob.ID, a.ID), store.ErrNotFound)

	a.Name, a.Content, a.Position, a.Enabled = "a2", "A2", 0, false
	up := must(s.UpdatePrompt(ctx, alice.ID, a))
	if up.Name != "a2" || up.Content != "A2" || up.Position != 0 || up.Enabled || up.ProjectID != p.ID {
		t.Fatalf("updated = %+v", up)
	}
	if got := must(s.GetPrompt(ctx, alice.ID, a.ID)); got.Content != "A2" {
		t.Fatalf("get = %+v", got)
	}
	if err := s.DeletePrompt(ctx, alice.ID, b.ID); err != nil {
		t.Fatal(err)
	}
	if l := must(s.ListPrompts(ctx, alice.ID, p.ID)); len(l) != 2 || l[0].ID != a.ID {
		t.Fatalf("after delete = %+v", l)
	}
}

func testFiles(t *testing.T, s store.Store) {
	alice, bob := newUser(t, s, "alice@example.com"), newUser(t, s, "bob@example.com")
	p := newProject(t, s, alice.ID, "p")
	f := must(s.CreateFile(ctx, alice.ID, model.File{ProjectID: p.ID, Filename: "a.pdf", OpenAIFileID: "file-1", Size: 10, ContentType: "application/pdf", Status: model.FileInProgress}))
	if f.ID == 0 || f.Filename != "a.pdf" || f.Size != 10 || f.Status != model.FileInProgress {
		t.Fatalf("created = %+v", f)
	}
	_, err := s.CreateFile(ctx, bob.ID, model.File{ProjectID: p.ID, Filename: "x", OpenAIFileID: "file-2"})
	wantErr(t, err, store.ErrNotFound)
	_, err = s.GetFile(ctx, bob.ID, f.ID)
	wantErr(t, err, store.ErrNotFound)
	wantErr(t, s.SetFileStatus(ctx, bob.ID, f.ID, model.FileFailed, "x"), store.ErrNotFound)
	wantErr(t, s.DeleteFile(ctx, bob.ID, f.ID), store.ErrNotFound)
	if err := s.SetFileStatus(ctx, alice.ID, f.ID, model.FileFailed, "bad pdf"); err != nil {
		t.Fatal(err)
	}
	list := must(s.ListFiles(ctx, alice.ID, p.ID))
	if len(list) != 1 || list[0].Status != model.FileFailed || list[0].StatusDetail != "bad pdf" {
		t.Fatalf("files = %+v", list)
	}
	if l := must(s.ListFiles(ctx, bob.ID, p.ID)); len(l) != 0 {
		t.Fatalf("bob sees %d files", len(l))
	}
	if err := s.DeleteFile(ctx, alice.ID, f.ID); err != nil {
		t.Fatal(err)
	}
	_, err = s.GetFile(ctx, alice.ID, f.ID)
	wantErr(t, err, store.ErrNotFound)
}

func testConversations(t *testing.T, s store.Store) {
	alice, bob := newUser(t, s, "alice@example.com"), newUser(t, s, "bob@example.com")
	p := newProject(t, s, alice.ID, "p")
	c1 := must(s.CreateConversation(ctx, alice.ID, model.Conversation{ProjectID: p.ID, Title: "first"}))
	c2 := must(s.CreateConversation(ctx, alice.ID, model.Conversation{ProjectID: p.ID, Title: "second"}))
	_, err := s.CreateConversation(ctx, bob.ID, model.Conversation{ProjectID: p.ID, Title: "x"})
	wantErr(t, err, store.ErrNotFound)

	fid := int64(7)
	mdl, in, out, lat := "gpt-4o-mini", int64(3), int64(4), int64(50)
	must(s.AddMessages(ctx, model.Message{ConversationID: c1.ID, Role: model.RoleUser, Content: "hi"}))
	m := must(s.AddMessages(ctx, model.Message{
		ConversationID: c1.ID, Role: model.RoleAssistant, Content: "hello", Model: &mdl, InputTokens: &in,
		OutputTokens: &out, LatencyMS: &lat, Incomplete: true,
		Citations: []model.Citation{{OpenAIFileID: "file-1", FileID: &fid, Filename: "a.pdf", Quote: "q"}},
	}))[0]
	list := must(s.ListConversations(ctx, alice.ID, p.ID, store.ConversationFilter{}, all))
	if len(list) != 2 || list[0].ID != c1.ID || list[1].ID != c2.ID {
		t.Fatalf("conversations = %+v, want the one with new messages first", list)
	}
	msgs := must(s.ListMessages(ctx, alice.ID, c1.ID, all))
	if len(msgs) != 2 || msgs[0].Content != "hi" || msgs[0].Model != nil || len(msgs[0].Citations) != 0 || msgs[1].ID != m.ID {
		t.Fatalf("messages = %+v", msgs)
	}
	got := msgs[1]
	if *got.Model != mdl || *got.InputTokens != 3 || *got.OutputTokens != 4 || *got.LatencyMS != 50 || !got.Incomplete ||
		len(got.Citations) != 1 || *got.Citations[0].FileID != 7 || got.Citations[0].Quote != "q" {
		t.Fatalf("assistant message = %+v", got)
	}
	if l := must(s.ListMessages(ctx, bob.ID, c1.ID, all)); len(l) != 0 {
		t.Fatalf("bob sees %d messages", len(l))
	}
	_, err = s.GetConversation(ctx, bob.ID, c1.ID)
	wantErr(t, err, store.ErrNotFound)
	wantErr(t, s.DeleteConversation(ctx, bob.ID, c1.ID), store.ErrNotFound)
	if err := s.DeleteConversation(ctx, alice.ID, c1.ID); err != nil {
		t.Fatal(err)
	}
	if l := must(s.ListMessages(ctx, alice.ID, c1.ID, all)); len(l) != 0 {
		t.Fatalf("messages survive their conversation: %+v", l)
	}
}

func testStartConversation(t *testing.T, s store.Store) {
	alice, bob := newUser(t, s, "alice@example.com"), newUser(t, s, "bob@example.com")
	p := newProject(t, s, alice.ID, "p")
	model4 := "gpt-4o-mini"
	c, msgs, err := s.StartConversation(ctx, alice.ID, model.Conversation{ProjectID: p.ID, Title: "t", EndUser: "ann"},
		model.Message{Role: model.RoleUser, Content: "question"},
		model.Message{Role: model.RoleAssistant, Content: "answer", Model: &model4, Citations: []model.Citation{{Filename: "f", Quote: "q"}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 2 || msgs[0].ID >= msgs[1].ID || msgs[0].ConversationID != c.ID || !c.UpdatedAt.Equal(c.CreatedAt) {
		t.Fatalf("started %+v with %+v", c, msgs)
	}
	got := must(s.ListMessages(ctx, alice.ID, c.ID, all))
	if len(got) != 2 || got[0].ID != msgs[0].ID || got[1].ID != msgs[1].ID || got[0].Content != "question" || got[1].Content != "answer" ||
		*got[1].Model != model4 || len(got[1].Citations) != 1 {
		t.Fatalf("stored %+v", got)
	}
	if one := must(s.GetConversation(ctx, alice.ID, c.ID)); one.EndUser != "ann" || !one.UpdatedAt.Equal(c.CreatedAt) {
		t.Fatalf("conversation %+v", one)
	}
	// The ids reported are the stored ones for a pair added later too, after the newest rows were deleted.
	c2, _, err := s.StartConversation(ctx, alice.ID, model.Conversation{ProjectID: p.ID, Title: "gone"}, model.Message{Role: model.RoleUser, Content: "q"},
		model.Message{Role: model.RoleAssistant, Content: "a"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteConversation(ctx, alice.ID, c2.ID); err != nil {
		t.Fatal(err)
	}
	pair, err := s.AddMessages(ctx, model.Message{ConversationID: c.ID, Role: model.RoleUser, Content: "again"}, model.Message{Role: model.RoleAssistant, Content: "again"})
	if err != nil {
		t.Fatal(err)
	}
	if got := must(s.ListMessages(ctx, alice.ID, c.ID, all)); len(got) != 4 || got[2].ID != pair[0].ID || got[3].ID != pair[1].ID || got[3].Role != model.RoleAssistant {
		t.Fatalf("added %+v, stored %+v", pair, got)
	}
	// Another owner's project: nothing stored.
	_, _, err = s.StartConversation(ctx, bob.ID, model.Conversation{ProjectID: p.ID, Title: "x"}, model.Message{Role: model.RoleUser, Content: "hi"})
	wantErr(t, err, store.ErrNotFound)
	if l := must(s.ListConversations(ctx, alice.ID, p.ID, store.ConversationFilter{}, all)); len(l) != 1 {
		t.Fatalf("conversations after a refused start: %+v", l)
	}
}

func testCascade(t *testing.T, s store.Store) {
	alice := newUser(t, s, "alice@example.com")
	p := newProject(t, s, alice.ID, "p")
	pr := must(s.CreatePrompt(ctx, alice.ID, model.Prompt{ProjectID: p.ID, Name: "a", Content: "A", Enabled: true}))
	f := must(s.CreateFile(ctx, alice.ID, model.File{ProjectID: p.ID, Filename: "a", OpenAIFileID: "file-1"}))
	c := must(s.CreateConversation(ctx, alice.ID, model.Conversation{ProjectID: p.ID, Title: "c"}))
	pair := must(s.AddMessages(ctx, model.Message{ConversationID: c.ID, Role: model.RoleUser, Content: "hi"},
		model.Message{Role: model.RoleAssistant, Content: "hello"}))
	if len(pair) != 2 || pair[1].ConversationID != c.ID || pair[1].ID <= pair[0].ID {
		t.Fatalf("added %+v", pair)
	}
	if err := s.DeleteProject(ctx, alice.ID, p.ID); err != nil {
		t.Fatal(err)
	}
	_, err := s.GetPrompt(ctx, alice.ID, pr.ID)
	wantErr(t, err, store.ErrNotFound)
	_, err = s.GetFile(ctx, alice.ID, f.ID)
	wantErr(t, err, store.ErrNotFound)
	_, err = s.GetConversation(ctx, alice.ID, c.ID)
	wantErr(t, err, store.ErrNotFound)

	// Deleting the user removes the rest.
	p2 := newProject(t, s, alice.ID, "p2")
	if err := s.DeleteUser(ctx, alice.ID); err != nil {
		t.Fatal(err)
	}
	_, err = s.GetProject(ctx, alice.ID, p2.ID)
	wantErr(t, err, store.ErrNotFound)
}

func testTxRollback(t *testing.T, s store.Store) {
	boom := errors.New("boom")
	err := s.InTx(ctx, func(tx store.Store) error {
		if _, err := tx.CreateUser(ctx, "tx@example.com", "h"); err != nil {
			return err
		}
		return boom
	})
	wantErr(t, err, boom)
	_, err = s.GetUserByEmail(ctx, "tx@example.com")
	wantErr(t, err, store.ErrNotFound)
	err = s.InTx(ctx, func(tx store.Store) error {
		_, err := tx.CreateUser(ctx, "tx@example.com", "h")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	must(s.GetUserByEmail(ctx, "tx@example.com"))
}

// testConcurrentWrites: many goroutines writing at once must all succeed (no "database is locked").
func testConcurrentWrites(t *testing.T, s store.Store) {
	u := newUser(t, s, "busy@example.com")
	const n = 40
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := s.InTx(ctx, func(tx store.Store) error {
				p, err := tx.CreateProject(ctx, model.Project{OwnerID: u.ID, Name: fmt.Sprint(i), Model: "m", MaxOutputTokens: 1})
				if err != nil {
					return err
				}
				pos, err := tx.NextPromptPosition(ctx, p.ID)
				if err != nil {
					return err
				}
				_, err = tx.CreatePrompt(ctx, u.ID, model.Prompt{ProjectID: p.ID, Name: "x", Content: "x", Position: pos})
				return err
			})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if l := must(s.ListProjects(ctx, u.ID)); len(l) != n {
		t.Fatalf("%d projects, want %d", len(l), n)
	}
}

func testKeys(t *testing.T, s store.Store) {
	alice, bob := newUser(t, s, "alice@example.com"), newUser(t, s, "bob@example.com")
	p := newProject(t, s, alice.ID, "p")
	limit := int64(30)
	in := model.APIKey{
		ProjectID: p.ID, Name: "server", Kind: model.KeySecret, Prefix: "cb_sk_abc", Hash: "h1",
		Scopes: []string{"chat", "read"}, AllowedOrigins: []string{}, RateLimitPerMinute: &limit, VisitorMessagesPerDay: 50,
	}
	_, err := s.CreateKey(ctx, bob.ID, in)
	wantErr(t, err, store.ErrNotFound)
	k := must(s.CreateKey(ctx, alice.ID, in))
	if k.ID == 0 || k.Name != "server" || len(k.Scopes) != 2 || *k.RateLimitPerMinute != 30 || k.LastUsedAt != nil || k.ExpiresAt != nil {
		t.Fatalf("created %+v", k)
	}
	dup := in
	dup.Name = "again"
	_, err = s.CreateKey(ctx, alice.ID, dup)
	wantErr(t, err, store.ErrConflict)

	byHash := must(s.KeyByHash(ctx, "h1"))
	if byHash.ID != k.ID || byHash.OwnerID != alice.ID || byHash.ProjectID != p.ID {
		t.Fatalf("by hash %+v", byHash)
	}
	_, err = s.GetKey(ctx, bob.ID, k.ID)
	wantErr(t, err, store.ErrNotFound)

	exp := store.Now().Add(time.Hour)
	k.Name, k.Scopes, k.ExpiresAt, k.RateLimitPerMinute = "renamed", []string{"write"}, &exp, nil
	_, err = s.UpdateKey(ctx, bob.ID, k)
	wantErr(t, err, store.ErrNotFound)
	up := must(s.UpdateKey(ctx, alice.ID, k))
	if up.Name != "renamed" || len(up.Scopes) != 1 || up.Scopes[0] != "write" || !up.ExpiresAt.Equal(exp) || up.RateLimitPerMinute != nil {
		t.Fatalf("updated %+v", up)
	}
	used := store.Now()
	if err := s.TouchKey(ctx, k.ID, used); err != nil {
		t.Fatal(err)
	}
	if got := must(s.GetKey(ctx, alice.ID, k.ID)); got.LastUsedAt == nil || !got.LastUsedAt.Equal(used) {
		t.Fatalf("last used %v, want %v", got.LastUsedAt, used)
	}
	wantErr(t, s.SetKeyIdentitySecret(ctx, bob.ID, k.ID, "x"), store.ErrNotFound)
	if err := s.SetKeyIdentitySecret(ctx, alice.ID, k.ID, "new"); err != nil {
		t.Fatal(err)
	}
	wantErr(t, s.RevokeKey(ctx, bob.ID, k.ID), store.ErrNotFound)
	if err := s.RevokeKey(ctx, alice.ID, k.ID); err != nil {
		t.Fatal(err)
	}
	wantErr(t, s.RevokeKey(ctx, alice.ID, k.ID), store.ErrNotFound)
	_, err = s.KeyByHash(ctx, "h1")
	wantErr(t, err, store.ErrNotFound)
	if l := must(s.ListKeys(ctx, alice.ID, p.ID)); len(l) != 0 {
		t.Fatalf("revoked key still listed: %+v", l)
	}
}

func testKeyConversations(t *testing.T, s store.Store) {
	alice := newUser(t, s, "alice@example.com")
	p := newProject(t, s, alice.ID, "p")
	k := must(s.CreateKey(ctx, alice.ID, model.APIKey{ProjectID: p.ID, Name: "site", Kind: model.KeyPublishable, Hash: "h", Scopes: []string{"chat"}}))
	own := must(s.CreateConversation(ctx, alice.ID, model.Conversation{ProjectID: p.ID, Title: "own"}))
	ann := must(s.CreateConversation(ctx, alice.ID, model.Conversation{ProjectID: p.ID, Title: "ann", KeyID: &k.ID, EndUser: "ann"}))
	anon := must(s.CreateConversation(ctx, alice.ID, model.Conversation{ProjectID: p.ID, Title: "anon", KeyID: &k.ID}))
	must(s.AddMessages(ctx, model.Message{ConversationID: ann.ID, Role: model.RoleUser, Content: "hi"}, model.Message{Role: model.RoleAssistant, Content: "yo"}))
	must(s.AddMessages(ctx, model.Message{ConversationID: ann.ID, Role: model.RoleUser, Content: "again"}))

	got := must(s.GetConversation(ctx, alice.ID, ann.ID))
	if got.KeyID == nil || *got.KeyID != k.ID || got.KeyName != "site" || got.EndUser != "ann" {
		t.Fatalf("conversation %+v", got)
	}
	ids := func(f store.ConversationFilter) []int64 {
		var out []int64
		for _, c := range must(s.ListConversations(ctx, alice.ID, p.ID, f, all)) {
			out = append(out, c.ID)
		}
		return out
	}
	ann2, none := "ann", ""
	for _, tt := range []struct {
		f    store.ConversationFilter
		want []int64
	}{
		{store.ConversationFilter{}, []int64{ann.ID, anon.ID, own.ID}},
		{store.ConversationFilter{KeyID: &k.ID}, []int64{ann.ID, anon.ID}},
		{store.ConversationFilter{KeyID: &k.ID, EndUser: &ann2}, []int64{ann.ID}},
		{store.ConversationFilter{KeyID: &k.ID, EndUser: &none}, []int64{anon.ID}},
	} {
		if got := ids(tt.f); fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("filter %+v: %v, want %v", tt.f, got, tt.want)
		}
	}
	if n := must(s.CountEndUserMessages(ctx, k.ID, "ann", store.Now().Add(-time.Hour))); n != 2 {
		t.Fatalf("ann sent %d messages, want 2", n)
	}
	if n := must(s.CountEndUserMessages(ctx, k.ID, "ann", store.Now().Add(time.Hour))); n != 0 {
		t.Fatalf("future count %d", n)
	}
	if err := s.RevokeKey(ctx, alice.ID, k.ID); err != nil {
		t.Fatal(err)
	}
	if got := must(s.GetConversation(ctx, alice.ID, ann.ID)); got.KeyName != "site" {
		t.Fatalf("a revoked key's conversations lose its name: %+v", got)
	}
}

func testBudgetCounters(t *testing.T, s store.Store) {
	alice := newUser(t, s, "alice@example.com")
	p := newProject(t, s, alice.ID, "p")
	_, err := s.GetBudgetCounter(ctx, "project:1", "2026-11")
	wantErr(t, err, store.ErrNotFound)
	counter := func(tokens, limit int64) model.BudgetCounter {
		return model.BudgetCounter{Scope: "project:1", Period: "2026-11", SpentTokens: 5, ReservedTokens: tokens, LimitTokens: limit, LimitMicroUSD: 1 << 62}
	}
	_, _, err = s.ReserveBudget(ctx, counter(100, 10))
	wantErr(t, err, store.ErrNotFound) // no counter yet: the caller seeds it
	if c, ok, err := s.SeedBudget(ctx, counter(100, 10)); err != nil || !ok || c.SpentTokens != 5 || c.ReservedTokens != 100 {
		t.Fatalf("first reservation %+v %v %v", c, ok, err) // the seed is taken as the first spend
	}
	if c, ok, err := s.SeedBudget(ctx, counter(0, 10)); err != nil || ok {
		t.Fatalf("a second seed past the limit reserved: %+v %v %v", c, ok, err)
	}
	reserve := func(tokens, limit int64) (model.BudgetCounter, bool) {
		c, ok, err := s.ReserveBudget(ctx, counter(tokens, limit))
		if err != nil {
			t.Fatal(err)
		}
		return c, ok
	}
	if _, ok := reserve(1, 10); ok {
		t.Fatal("reserved while spent+reserved is past the limit")
	}
	if c, ok := reserve(1, 1000); !ok || c.ReservedTokens != 101 || c.SpentTokens != 5 || c.LimitTokens != 1000 {
		t.Fatalf("a raised limit %+v %v", c, ok)
	}
	c := must(s.SettleBudget(ctx, "project:1", "2026-11", 30, 7, 100, 0))
	if c.SpentTokens != 35 || c.SpentMicroUSD != 7 || c.ReservedTokens != 1 {
		t.Fatalf("settled %+v", c)
	}
	must(s.SettleBudget(ctx, "project:1", "2026-11", 0, 0, 1, 0))
	if got := must(s.GetBudgetCounter(ctx, "project:1", "2026-11")); got.ReservedTokens != 0 {
		t.Fatalf("after settling everything %+v", got)
	}

	key := int64(9)
	for _, e := range []model.UsageEvent{
		{ProjectID: p.ID, Operation: "chat", Model: "m", InputTokens: 10, OutputTokens: 5, CostMicroUSD: 3, Outcome: "ok"},
		{ProjectID: p.ID, KeyID: &key, EndUser: "ann", Operation: "stream", Model: "m", InputTokens: 1, OutputTokens: 1, CostMicroUSD: 1, Outcome: "ok"},
	} {
		if err := s.AddUsageEvent(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	since := store.Now().Add(-time.Minute)
	if tok, micro, _ := s.SumUsage(ctx, p.ID, since, nil, nil); tok != 17 || micro != 4 {
		t.Fatalf("project sum %d %d", tok, micro)
	}
	ann := "ann"
	if tok, _, _ := s.SumUsage(ctx, p.ID, since, &key, &ann); tok != 2 {
		t.Fatalf("end user sum %d", tok)
	}
	if es := must(s.ListUsageEvents(ctx, alice.ID, p.ID, since, store.Now().Add(time.Minute))); len(es) != 2 || es[1].EndUser != "ann" {
		t.Fatalf("events %+v", es)
	}
	bob := newUser(t, s, "bob@example.com")
	if es := must(s.ListUsageEvents(ctx, bob.ID, p.ID, since, store.Now().Add(time.Minute))); len(es) != 0 {
		t.Fatalf("bob reads alice's ledger: %+v", es)
	}
}

// A write that refers to a row deleted meanwhile (a turn racing its conversation's delete) is
// ErrNotFound in every adapter, whatever the driver's error says.
func testGoneParent(t *testing.T, s store.Store) {
	u := newUser(t, s, "gone@example.com")
	p := newProject(t, s, u.ID, "p")
	c := must(s.CreateConversation(ctx, u.ID, model.Conversation{ProjectID: p.ID, Title: "t"}))
	must(0, s.DeleteConversation(ctx, u.ID, c.ID))
	_, err := s.AddMessages(ctx, model.Message{ConversationID: c.ID, Role: "user", Content: "hi"})
	wantErr(t, err, store.ErrNotFound)
	must(0, s.DeleteProject(ctx, u.ID, p.ID))
	_, err = s.CreateConversation(ctx, u.ID, model.Conversation{ProjectID: p.ID, Title: "t"})
	wantErr(t, err, store.ErrNotFound)
}

func testIdempotencyKeys(t *testing.T, s store.Store) {
	ctx := context.Background()
	u := newUser(t, s, "idem@example.com")
	old := store.Now().Add(-48 * time.Hour)
	k := model.IdempotencyKey{OwnerID: u.ID, Caller: "user", Key: "k1", Fingerprint: "f1"}
	claimed, got, err := s.ClaimIdempotencyKey(ctx, k, old, old)
	if err != nil || !claimed || got.ID == 0 {
		t.Fatalf("first claim: %v %v %+v", claimed, err, got)
	}
	claimed, again, err := s.ClaimIdempotencyKey(ctx, model.IdempotencyKey{OwnerID: u.ID, Caller: "user", Key: "k1", Fingerprint: "f2"}, old, old)
	if err != nil || claimed || again.ID != got.ID || again.Fingerprint != "f1" || again.Result != nil {
		t.Fatalf("second claim: %v %v %+v", claimed, err, again)
	}
	if claimed, _, _ := s.ClaimIdempotencyKey(ctx, model.IdempotencyKey{OwnerID: u.ID, Caller: "key:1:", Key: "k1", Fingerprint: "f1"}, old, old); !claimed {
		t.Fatal("another caller's key collided")
	}
	if err := s.SetIdempotencyResult(ctx, got.ID, `{"Reply":"x"}`); err != nil {
		t.Fatal(err)
	}
	_, done, _ := s.ClaimIdempotencyKey(ctx, k, old, old)
	if done.Result == nil || *done.Result != `{"Reply":"x"}` {
		t.Fatalf("stored result: %+v", done)
	}
	// Expired: older than expiredBefore, whatever its result.
	future := store.Now().Add(time.Minute)
	if claimed, _, _ := s.ClaimIdempotencyKey(ctx, k, future, old); !claimed {
		t.Fatal("an expired key was not replaced")
	}
	if err := s.DeleteIdempotencyKey(ctx, got.ID); err != nil {
		t.Fatal(err)
	}

	// A running request renews its claim: it is then not abandoned, until it stops renewing.
	k2 := model.IdempotencyKey{OwnerID: u.ID, Caller: "user", Key: "k2", Fingerprint: "f1"}
	_, held, err := s.ClaimIdempotencyKey(ctx, k2, old, old)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RenewIdempotencyKey(ctx, held.ID, future.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if claimed, _, _ := s.ClaimIdempotencyKey(ctx, k2, old, future); claimed {
		t.Fatal("a renewed claim was taken for abandoned")
	}
	if claimed, _, _ := s.ClaimIdempotencyKey(ctx, k2, old, future.Add(2*time.Minute)); !claimed {
		t.Fatal("a claim no longer renewed was not taken over")
	}
	wantErr(t, s.RenewIdempotencyKey(ctx, held.ID, future), store.ErrNotFound) // taken over: gone
	_, k3, _ := s.ClaimIdempotencyKey(ctx, model.IdempotencyKey{OwnerID: u.ID, Caller: "user", Key: "k3", Fingerprint: "f1"}, old, old)
	if err := s.SetIdempotencyResult(ctx, k3.ID, `{}`); err != nil {
		t.Fatal(err)
	}
	wantErr(t, s.RenewIdempotencyKey(ctx, k3.ID, future), store.ErrNotFound) // finished: not renewed
}

func testProjectFilesDeletion(t *testing.T, s store.Store) {
	ctx := context.Background()
	u := newUser(t, s, "lock@example.com")
	p := newProject(t, s, u.ID, "p")
	must(s.CreateFile(ctx, u.ID, model.File{ProjectID: p.ID, Filename: "a.txt", OpenAIFileID: "file-a", Status: model.FileCompleted}))
	var files []model.File
	err := s.InTx(ctx, func(tx store.Store) (err error) {
		if err = tx.LockProject(ctx, u.ID, p.ID); err == nil {
			files, err = tx.DeleteProjectFiles(ctx, u.ID, p.ID)
		}
		return err
	})
	if err != nil || len(files) != 1 || files[0].OpenAIFileID != "file-a" {
		t.Fatalf("deleted files: %v %+v", err, files)
	}
	wantErr(t, s.InTx(ctx, func(tx store.Store) error { return tx.LockProject(ctx, u.ID+1, p.ID) }), store.ErrNotFound)
}

// testPages: following each list's cursor page by page gives the whole list in its order, once, and
// nothing of another owner's.
func testPages(t *testing.T, s store.Store) {
	alice, bob := newUser(t, s, "alice@example.com"), newUser(t, s, "bob@example.com")
	p := newProject(t, s, alice.ID, "bot")
	for i := range 5 {
		must(s.CreatePrompt(ctx, alice.ID, model.Prompt{ProjectID: p.ID, Name: fmt.Sprint(i), Content: "c", Position: int64(2 - i%3), Enabled: true}))
		must(s.CreateFile(ctx, alice.ID, model.File{ProjectID: p.ID, Filename: fmt.Sprint(i), OpenAIFileID: fmt.Sprint("file-", i), Status: "completed"}))
		c := must(s.CreateConversation(ctx, alice.ID, model.Conversation{ProjectID: p.ID, Title: fmt.Sprint(i)}))
		if i%2 == 0 { // activity reorders conversations: the page keys are (updated_at, id)
			must(s.AddMessages(ctx, model.Message{ConversationID: c.ID, Role: model.RoleUser, Content: "hi"}))
		}
	}
	conv := must(s.CreateConversation(ctx, alice.ID, model.Conversation{ProjectID: p.ID, Title: "long"}))
	for i := range 5 {
		must(s.AddMessages(ctx, model.Message{ConversationID: conv.ID, Role: model.RoleUser, Content: fmt.Sprint(i)}))
	}

	pages := func(next func(store.Page) (ids []int64, last store.Cursor)) [][]int64 {
		var out [][]int64
		page := store.Page{Limit: 2}
		for range 10 {
			ids, last := next(page)
			if len(ids) == 0 {
				return out
			}
			out = append(out, ids)
			page.After = last
		}
		t.Fatal("paging never ends")
		return nil
	}
	check := func(what string, got [][]int64, want []int64) {
		t.Helper()
		var flat []int64
		for _, pg := range got {
			if len(pg) > 2 {
				t.Fatalf("%s: a page of %d rows, limit 2", what, len(pg))
			}
			flat = append(flat, pg...)
		}
		if fmt.Sprint(flat) != fmt.Sprint(want) {
			t.Fatalf("%s: pages %v, want the list %v in order", what, got, want)
		}
	}
	ids := func(n int, id func(int) int64) []int64 {
		out := make([]int64, n)
		for i := range out {
			out[i] = id(i)
		}
		return out
	}

	prompts := must(s.ListPrompts(ctx, alice.ID, p.ID))
	check("prompts", pages(func(pg store.Page) ([]int64, store.Cursor) {
		l := must(s.PagePrompts(ctx, alice.ID, p.ID, pg))
		if len(l) == 0 {
			return nil, store.Cursor{}
		}
		return ids(len(l), func(i int) int64 { return l[i].ID }), store.Cursor{ID: l[len(l)-1].ID, Position: l[len(l)-1].Position}
	}), ids(len(prompts), func(i int) int64 { return prompts[i].ID }))

	files := must(s.ListFiles(ctx, alice.ID, p.ID))
	check("files", pages(func(pg store.Page) ([]int64, store.Cursor) {
		l := must(s.PageFiles(ctx, alice.ID, p.ID, pg))
		if len(l) == 0 {
			return nil, store.Cursor{}
		}
		return ids(len(l), func(i int) int64 { return l[i].ID }), store.Cursor{ID: l[len(l)-1].ID}
	}), ids(len(files), func(i int) int64 { return files[i].ID }))

	convs := must(s.ListConversations(ctx, alice.ID, p.ID, store.ConversationFilter{}, all))
	check("conversations", pages(func(pg store.Page) ([]int64, store.Cursor) {
		l := must(s.ListConversations(ctx, alice.ID, p.ID, store.ConversationFilter{}, pg))
		if len(l) == 0 {
			return nil, store.Cursor{}
		}
		return ids(len(l), func(i int) int64 { return l[i].ID }), store.Cursor{ID: l[len(l)-1].ID, Time: l[len(l)-1].UpdatedAt}
	}), ids(len(convs), func(i int) int64 { return convs[i].ID }))

	msgs := must(s.ListMessages(ctx, alice.ID, conv.ID, all))
	check("messages", pages(func(pg store.Page) ([]int64, store.Cursor) {
		l := must(s.ListMessages(ctx, alice.ID, conv.ID, pg))
		if len(l) == 0 {
			return nil, store.Cursor{}
		}
		return ids(len(l), func(i int) int64 { return l[i].ID }), store.Cursor{ID: l[len(l)-1].ID}
	}), ids(len(msgs), func(i int) int64 { return msgs[i].ID }))
	if len(prompts) != 5 || len(files) != 5 || len(convs) != 6 || len(msgs) != 5 {
		t.Fatalf("lists: %d prompts, %d files, %d conversations, %d messages", len(prompts), len(files), len(convs), len(msgs))
	}

	if len(must(s.PagePrompts(ctx, bob.ID, p.ID, all)))+len(must(s.PageFiles(ctx, bob.ID, p.ID, all)))+
		len(must(s.ListConversations(ctx, bob.ID, p.ID, store.ConversationFilter{}, all)))+len(must(s.ListMessages(ctx, bob.ID, conv.ID, all))) != 0 {
		t.Fatal("bob pages through alice's project")
	}
}

// testRecentMessages: a chat turn reads only the newest messages that fit its history budget.
func testRecentMessages(t *testing.T, s store.Store) {
	alice, bob := newUser(t, s, "alice@example.com"), newUser(t, s, "bob@example.com")
	p := newProject(t, s, alice.ID, "bot")
	c := must(s.CreateConversation(ctx, alice.ID, model.Conversation{ProjectID: p.ID, Title: "t"}))
	for _, text := range []string{"aaaaaaaaaa", "bbbb", "ccc", "éé", "d"} { // 10, 4, 3, 2 and 1 characters
		must(s.AddMessages(ctx, model.Message{ConversationID: c.ID, Role: model.RoleUser, Content: text}))
	}
	for _, tt := range []struct {
		budget int
		want   string
	}{{0, "[]"}, {1, "[d]"}, {5, "[éé d]"}, {6, "[ccc éé d]"}, {9, "[ccc éé d]"}, {10, "[bbbb ccc éé d]"}, {1000, "[aaaaaaaaaa bbbb ccc éé d]"}} {
		got := must(s.RecentMessages(ctx, alice.ID, c.ID, tt.budget))
		texts := make([]string, len(got))
		for i, m := range got {
			texts[i] = m.Content
		}
		if fmt.Sprint(texts) != tt.want {
			t.Errorf("budget %d: %v, want %s", tt.budget, texts, tt.want)
		}
	}
	if l := must(s.RecentMessages(ctx, bob.ID, c.ID, 1000)); len(l) != 0 {
		t.Fatalf("bob reads %d of alice's messages", len(l))
	}
}

func testTOTP(t *testing.T, s store.Store) {
	u := newUser(t, s, "totp@example.com")
	other := newUser(t, s, "other@example.com")
	if got := must(s.GetTOTP(ctx, u.ID)); got != (model.TOTP{}) {
		t.Fatalf("a new user's TOTP = %+v", got)
	}
	_, err := s.GetTOTP(ctx, 1_000_000)
	wantErr(t, err, store.ErrNotFound)
	wantErr(t, s.DisableTOTP(ctx, u.ID), store.ErrConflict)
	if ok := must(s.UseTOTPStep(ctx, u.ID, 5)); ok {
		t.Fatal("a step was accepted while two-factor sign-in is off")
	}

	// A pending set-up is replaced by the next; only the pending secret can be turned on.
	must(0, s.StartTOTP(ctx, u.ID, "FIRST"))
	must(0, s.StartTOTP(ctx, u.ID, "SECOND"))
	if got := must(s.GetTOTP(ctx, u.ID)); got.Secret != "SECOND" || got.Enabled {
		t.Fatalf("pending = %+v", got)
	}
	wantErr(t, s.EnableTOTP(ctx, u.ID, "FIRST", 10, []string{"h1"}), store.ErrConflict)
	must(0, s.EnableTOTP(ctx, u.ID, "SECOND", 10, []string{"h1", "h2"}))
	if got := must(s.GetTOTP(ctx, u.ID)); got != (model.TOTP{Secret: "SECOND", Enabled: true, LastStep: 10}) {
		t.Fatalf("enabled = %+v", got)
	}
	if !must(s.GetUserByID(ctx, u.ID)).MFAEnabled || must(s.GetUserByID(ctx, other.ID)).MFAEnabled {
		t.Fatal("MFAEnabled is wrong")
	}
	sess := must(s.CreateSession(ctx, model.Session{UserID: u.ID}))
	if su, _, err := s.SessionUser(ctx, u.ID, sess.ID); err != nil || !su.MFAEnabled {
		t.Fatalf("session user = %+v, %v", su, err)
	}
	wantErr(t, s.StartTOTP(ctx, u.ID, "THIRD"), store.ErrConflict)
	wantErr(t, s.EnableTOTP(ctx, u.ID, "SECOND", 11, nil), store.ErrConflict)

	// Each step once, never an earlier one.
	for _, c := range []struct {
		step int64
		ok   bool
	}{{10, false}, {9, false}, {11, true}, {11, false}, {13, true}, {12, false}} {
		if ok := must(s.UseTOTPStep(ctx, u.ID, c.step)); ok != c.ok {
			t.Fatalf("UseTOTPStep(%d) = %v, want %v", c.step, ok, c.ok)
		}
	}
	if ok := must(s.UseTOTPStep(ctx, other.ID, 20)); ok {
		t.Fatal("a step was accepted for a user without two-factor sign-in")
	}

	// Recovery codes: each once, and only the owner's.
	if n := must(s.CountRecoveryCodes(ctx, u.ID)); n != 2 {
		t.Fatalf("recovery codes = %d", n)
	}
	if must(s.UseRecoveryCode(ctx, other.ID, "h1")) {
		t.Fatal("another user's recovery code was accepted")
	}
	if !must(s.UseRecoveryCode(ctx, u.ID, "h1")) || must(s.UseRecoveryCode(ctx, u.ID, "h1")) || must(s.UseRecoveryCode(ctx, u.ID, "nope")) {
		t.Fatal("a recovery code is not exactly single-use")
	}
	if n := must(s.CountRecoveryCodes(ctx, u.ID)); n != 1 {
		t.Fatalf("recovery codes left = %d", n)
	}

	// Turning it off forgets the secret and the codes; a new set-up starts afresh.
	must(0, s.DisableTOTP(ctx, u.ID))
	if got := must(s.GetTOTP(ctx, u.ID)); got != (model.TOTP{}) {
		t.Fatalf("after disable = %+v", got)
	}
	if must(s.UseRecoveryCode(ctx, u.ID, "h2")) || must(s.CountRecoveryCodes(ctx, u.ID)) != 0 {
		t.Fatal("recovery codes survived disabling")
	}
	wantErr(t, s.DisableTOTP(ctx, u.ID), store.ErrConflict)
	must(0, s.StartTOTP(ctx, u.ID, "FOURTH"))
	must(0, s.EnableTOTP(ctx, u.ID, "FOURTH", 3, []string{"h3"}))
	if !must(s.UseTOTPStep(ctx, u.ID, 4)) {
		t.Fatal("a fresh set-up does not accept its steps")
	}
	// Deleting the user deletes its codes (cascade).
	if err := s.DeleteUser(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	if n := must(s.CountRecoveryCodes(ctx, u.ID)); n != 0 {
		t.Fatalf("recovery codes of a deleted user = %d", n)
	}
}

func testEvalRuns(t *testing.T, s store.Store) {
	alice, bob := newUser(t, s, "alice@example.com"), newUser(t, s, "bob@example.com")
	p := newProject(t, s, alice.ID, "Evaluated")
	limit := int64(50)
	c := must(s.CreateEvalCase(ctx, alice.ID, model.EvalCase{ProjectID: p.ID, Input: "Refund?",
		History: []model.EvalTurn{{Role: model.RoleUser, Content: "Hi"}}, Checks: model.EvalChecks{Contains: []string{"refund"}, MaxOutputTokens: &limit}}))
	_, err := s.CreateEvalCase(ctx, bob.ID, model.EvalCase{ProjectID: p.ID, Input: "x"})
	wantErr(t, err, store.ErrNotFound)
	_, err = s.GetEvalCase(ctx, bob.ID, c.ID)
	wantErr(t, err, store.ErrNotFound)

	run := must(s.CreateEvalRun(ctx, alice.ID, model.EvalRun{ProjectID: p.ID, DraftDigest: "sha256:1"}, []model.EvalCase{c}))
	if run.Status != model.EvalQueued || run.Total != 1 || run.TargetRelease != nil {
		t.Fatalf("new run %+v", run)
	}
	_, err = s.CreateEvalRun(ctx, bob.ID, model.EvalRun{ProjectID: p.ID}, nil)
	wantErr(t, err, store.ErrNotFound)
	_, err = s.GetEvalRun(ctx, bob.ID, run.ID)
	wantErr(t, err, store.ErrNotFound)
	if n := must(s.CountActiveEvalRuns(ctx, p.ID)); n != 1 {
		t.Fatalf("%d active runs", n)
	}
	// A case edited after the run was made leaves the run's copy as it was.
	c.Input = "Edited"
	must(s.UpdateEvalCase(ctx, alice.ID, c))
	res := must(s.ListEvalResults(ctx, run.ID))
	if len(res) != 1 || res[0].Input != "Refund?" || res[0].Status != model.EvalPending || *res[0].Checks.MaxOutputTokens != 50 || res[0].History[0].Content != "Hi" {
		t.Fatalf("results %+v", res)
	}
	if err := s.StartEvalRun(ctx, run.ID); err != nil {
		t.Fatal(err)
	}
	r := res[0]
	ms := int64(12)
	r.Status, r.Reply, r.LatencyMS = model.EvalPassed, "Yes, a refund.", &ms
	r.CheckResults = []model.EvalCheckResult{{Check: "contains", Expected: "refund", Passed: true}}
	if err := s.RecordEvalResult(ctx, r); err != nil {
		t.Fatal(err)
	}
	wantErr(t, s.RecordEvalResult(ctx, r), store.ErrNotFound) // recorded once
	_, err = s.LatestDraftEvalRun(ctx, alice.ID, p.ID)
	wantErr(t, err, store.ErrNotFound) // not completed yet
	run.Status, run.Passed = model.EvalCompleted, 1
	if err := s.FinishEvalRun(ctx, run); err != nil {
		t.Fatal(err)
	}
	wantErr(t, s.FinishEvalRun(ctx, run), store.ErrNotFound) // ended once
	wantErr(t, s.StartEvalRun(ctx, run.ID), store.ErrNotFound)
	latest := must(s.LatestDraftEvalRun(ctx, alice.ID, p.ID))
	if latest.ID != run.ID || latest.Passed != 1 || latest.DraftDigest != "sha256:1" || latest.FinishedAt == nil {
		t.Fatalf("latest %+v", latest)
	}
	if got := must(s.ListEvalResults(ctx, run.ID)); got[0].Reply != "Yes, a refund." || *got[0].LatencyMS != 12 || !got[0].CheckResults[0].Passed {
		t.Fatalf("recorded %+v", got)
	}
	// Deleting the case keeps the run's results; deleting the project takes everything.
	if err := s.DeleteEvalCase(ctx, alice.ID, c.ID); err != nil {
		t.Fatal(err)
	}
	if got := must(s.ListEvalResults(ctx, run.ID)); len(got) != 1 {
		t.Fatalf("results after the case went: %+v", got)
	}
	if err := s.DeleteProject(ctx, alice.ID, p.ID); err != nil {
		t.Fatal(err)
	}
	if got := must(s.ListEvalResults(ctx, run.ID)); len(got) != 0 {
		t.Fatalf("results after the project went: %+v", got)
	}
}

func testReleases(t *testing.T, s store.Store) {
	alice := newUser(t, s, "rel-alice@example.com")
	bob := newUser(t, s, "rel-bob@example.com")
	p := newProject(t, s, alice.ID, "Released")
	snap := model.Snapshot{Prompts: []model.SnapshotPrompt{{Name: "a", Content: "Be kind."}}, Model: "gpt-4o", Temperature: 0.3, MaxOutputTokens: 99,
		Files: []model.SnapshotFile{{ID: 7, Filename: "a.pdf", OpenAIFileID: "file-a"}}}
	for want := int64(1); want <= 2; want++ {
		n := must(s.NextReleaseNumber(ctx, p.ID))
		if n != want {
			t.Fatalf("next release number %d, want %d", n, want)
		}
		must(s.CreateRelease(ctx, alice.ID, model.Release{ProjectID: p.ID, Number: n, Note: fmt.Sprint("note ", n), Snapshot: snap}))
	}
	_, err := s.CreateRelease(ctx, alice.ID, model.Release{ProjectID: p.ID, Number: 2, Snapshot: snap})
	wantErr(t, err, store.ErrConflict)
	_, err = s.CreateRelease(ctx, bob.ID, model.Release{ProjectID: p.ID, Number: 3, Snapshot: snap})
	wantErr(t, err, store.ErrNotFound)
	_, err = s.GetRelease(ctx, bob.ID, p.ID, 1)
	wantErr(t, err, store.ErrNotFound)
	if rs := must(s.ListReleases(ctx, bob.ID, p.ID)); len(rs) != 0 {
		t.Fatalf("bob lists %d releases", len(rs))
	}
	rs := must(s.ListReleases(ctx, alice.ID, p.ID))
	if len(rs) != 2 || rs[0].Number != 2 || rs[1].Number != 1 || rs[1].Note != "note 1" || !reflect.DeepEqual(rs[1].Snapshot, snap) {
		t.Fatalf("releases %+v", rs)
	}
	r := rs[1]
	r.RemovedFiles, r.Snapshot.Files = r.Snapshot.Files, []model.SnapshotFile{}
	if err := s.SetReleaseFiles(ctx, alice.ID, r); err != nil {
		t.Fatal(err)
	}
	wantErr(t, s.SetReleaseFiles(ctx, bob.ID, r), store.ErrNotFound)
	got := must(s.GetRelease(ctx, alice.ID, p.ID, 1))
	if len(got.Snapshot.Files) != 0 || len(got.RemovedFiles) != 1 || got.RemovedFiles[0].OpenAIFileID != "file-a" || got.Snapshot.Model != "gpt-4o" {
		t.Fatalf("release after SetReleaseFiles %+v", got)
	}
	two := int64(2)
	wantErr(t, s.SetPublishedRelease(ctx, bob.ID, p.ID, &two), store.ErrNotFound)
	if err := s.SetPublishedRelease(ctx, alice.ID, p.ID, &two); err != nil {
		t.Fatal(err)
	}
	if got := must(s.GetProject(ctx, alice.ID, p.ID)); got.PublishedRelease == nil || *got.PublishedRelease != 2 {
		t.Fatalf("published %v", got.PublishedRelease)
	}
}

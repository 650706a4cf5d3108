package store_test

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"reflect"
	"strings"
	"testing"

	"github.com/chatbot-platform/chatbot/internal/model"
	"github.com/chatbot-platform/chatbot/internal/store"
	"github.com/chatbot-platform/chatbot/internal/testdb"
)

// readCacheFixture is a SQLite store (under) and a ReadCache over it, with a user, a session, a
// project and a prompt, each read once through the cache so that it is kept.
type readCacheFixture struct {
	under   store.Store
	cache   *store.ReadCache
	user    model.User
	session model.Session
	project model.Project
	prompt  model.Prompt
}

func newReadCacheFixture(t *testing.T) *readCacheFixture {
	ctx := context.Background()
	f := &readCacheFixture{under: testdb.SQLite(t)}
	f.cache = store.NewReadCache(f.under)
	var err error
	if f.user, err = f.cache.CreateUser(ctx, "cache@example.com", "hash"); err != nil {
		t.Fatal(err)
	}
	if f.session, err = f.cache.CreateSession(ctx, model.Session{UserID: f.user.ID}); err != nil {
		t.Fatal(err)
	}
	if f.project, err = f.cache.CreateProject(ctx, model.Project{OwnerID: f.user.ID, Name: "Before", Model: "gpt-4o-mini", Temperature: 0.7, MaxOutputTokens: 100}); err != nil {
		t.Fatal(err)
	}
	if f.prompt, err = f.cache.CreatePrompt(ctx, f.user.ID, model.Prompt{ProjectID: f.project.ID, Name: "sys", Content: "before", Enabled: true}); err != nil {
		t.Fatal(err)
	}
	f.read(t)
	return f
}

// read returns the project's name, its first prompt's content and the user's display name, through the cache.
func (f *readCacheFixture) read(t *testing.T) (project, prompt, user string) {
	t.Helper()
	ctx := context.Background()
	p, err := f.cache.GetProject(ctx, f.user.ID, f.project.ID)
	if err != nil {
		t.Fatal(err)
	}
	ps, err := f.cache.ListPrompts(ctx, f.user.ID, f.project.ID)
	if err != nil || len(ps) != 1 {
		t.Fatalf("prompts %v, %v", ps, err)
	}
	u, _, err := f.cache.SessionUser(ctx, f.user.ID, f.session.ID)
	if err != nil {
		t.Fatal(err)
	}
	return p.Name, ps[0].Content, u.DisplayName
}

func TestReadCacheKeepsRowsUntilAWriteThroughIt(t *testing.T) {
	ctx := context.Background()
	f := newReadCacheFixture(t)
	// Writes behind the cache's back are not seen: the rows are served from memory.
	p := f.project
	p.Name = "Behind"
	if _, err := f.under.UpdateProject(ctx, p); err != nil {
		t.Fatal(err)
	}
	if name, _, _ := f.read(t); name != "Before" {
		t.Fatalf("project %q, want the kept %q", name, "Before")
	}
	// Any write through it drops every kept row.
	if _, err := f.cache.SetDisplayName(ctx, f.user.ID, "Ada"); err != nil {
		t.Fatal(err)
	}
	if name, _, user := f.read(t); name != "Behind" || user != "Ada" {
		t.Fatalf("after a write: project %q, user %q", name, user)
	}
	// A new project drops the kept listing.
	if ps, err := f.cache.ListProjects(ctx, f.user.ID); err != nil || len(ps) != 1 {
		t.Fatalf("projects %v, %v", ps, err)
	}
	if _, err := f.cache.CreateProject(ctx, model.Project{OwnerID: f.user.ID, Name: "Second", Model: "gpt-4o-mini", MaxOutputTokens: 100}); err != nil {
		t.Fatal(err)
	}
	if ps, err := f.cache.ListProjects(ctx, f.user.ID); err != nil || len(ps) != 2 {
		t.Fatalf("after a create: projects %v, %v", ps, err)
	}
}

func TestReadCacheWritesInATransactionDropAfterTheCommit(t *testing.T) {
	ctx := context.Background()
	f := newReadCacheFixture(t)
	writes := store.NewBatcher(f.cache, store.BatcherOptions{}) // the chat path's writes go this way
	defer writes.Close()
	err := writes.Do(ctx, func(tx store.Store) error {
		pr := f.prompt
		pr.Content = "after"
		if _, err := tx.UpdatePrompt(ctx, f.user.ID, pr); err != nil {
			return err
		}
		// Inside, reads see the transaction's own write, not the kept row.
		ps, err := tx.ListPrompts(ctx, f.user.ID, f.project.ID)
		if err != nil || ps[0].Content != "after" {
			t.Errorf("inside the transaction: %v, %v", ps, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, prompt, _ := f.read(t); prompt != "after" {
		t.Fatalf("after the commit: prompt %q", prompt)
	}
	if err := f.cache.DeleteSession(ctx, f.user.ID, f.session.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.cache.SessionUser(ctx, f.user.ID, f.session.ID); err != store.ErrNotFound {
		t.Fatalf("a deleted session: %v", err)
	}
}

// slowRead is a store whose GetProject waits for a signal after reading, like a read that loses the
// race with a write.
type slowRead struct {
	store.Store
	read, resume chan struct{}
}

func (s *slowRead) GetProject(ctx context.Context, ownerID, id int64) (model.Project, error) {
	p, err := s.Store.GetProject(ctx, ownerID, id)
	if s.read != nil {
		s.read <- struct{}{}
		<-s.resume
	}
	return p, err
}

func TestReadCacheDoesNotKeepARowReadBeforeAWrite(t *testing.T) {
	ctx := context.Background()
	under := testdb.SQLite(t)
	slow := &slowRead{Store: under}
	cache := store.NewReadCache(slow)
	u, err := cache.CreateUser(ctx, "race@example.com", "hash")
	if err != nil {
		t.Fatal(err)
	}
	p, err := cache.CreateProject(ctx, model.Project{OwnerID: u.ID, Name: "Old", Model: "gpt-4o-mini", MaxOutputTokens: 100})
	if err != nil {
		t.Fatal(err)
	}
	slow.read, slow.resume = make(chan struct{}), make(chan struct{})
	got := make(chan string)
	go func() {
		old, _ := cache.GetProject(ctx, u.ID, p.ID)
		got <- old.Name
	}()
	<-slow.read // it has read "Old"; now the write lands before it can keep it
	p.Name = "New"
	if _, err := cache.UpdateProject(ctx, p); err != nil {
		t.Fatal(err)
	}
	close(slow.resume)
	if name := <-got; name != "Old" {
		t.Fatalf("the racing read saw %q", name)
	}
	slow.read = nil
	if now, _ := cache.GetProject(ctx, u.ID, p.ID); now.Name != "New" {
		t.Fatalf("kept the row read before the write: %q", now.Name)
	}
}

// Every Store method is classified here, so a new one cannot write a kept row behind the cache's back:
// ReadCache must declare the methods it keeps rows of and the writes that drop them, and no other.
func TestReadCacheCoversEveryStoreMethod(t *testing.T) {
	kept := words("SessionUser GetProject ListProjects ListPrompts")
	drops := words(`InTx SetPasswordHash DeleteUser SetDisplayName SetEmailVerified DeleteSession DeleteSessions
		EnableTOTP DisableTOTP CreateProject UpdateProject SetProjectVectorStore ClaimProjectVectorStore DeleteProject
		SetPublishedRelease SetProjectBudget CreatePrompt UpdatePrompt DeletePrompt`)
	leaves := words(`
		Ping Close Enqueue Jobs CheckWritable
		CreateUser GetUserByEmail GetUserByID CreateSession ListSessions TouchSession
		PutEmailToken TakeEmailToken
		GetTOTP StartTOTP UseTOTPStep UseRecoveryCode CountRecoveryCodes
		LockProject LockAndCountProjects LockAndCountPrompts LockAndCountFiles LockAndCountEvalCases
		NextPromptPosition GetPrompt PagePrompts
		NextReleaseNumber CreateRelease GetRelease ListReleases SetReleaseFiles
		CreateWebhook GetWebhook ListWebhooks UpdateWebhook SetWebhookSecret DeleteWebhook EnabledWebhooks
		CreateWebhookDelivery DeliveryWithWebhook RecordDeliveryAttempt ResetDelivery ListDeliveries
		MarkWebhookFailing MarkWebhookHealthy DisableWebhook
		CreateFile GetFile ListFiles DeleteProjectFiles PageFiles SetFileStatus DeleteFile
		CreateConversation GetConversation ListConversations DeleteConversation RenameConversation AddMessages
		StartConversation ListMessages GetMessage RecentMessages GetMessageWithProject MessagesBefore
		GetFeedback PutFeedback DeleteFeedback ListFeedback ConversationFeedback CountFeedback
		CreateKey GetKey ListKeys UpdateKey SetKeyIdentitySecret RevokeKey KeyByHash KeyVersion TouchKey
		CountEndUserMessages
		ClaimIdempotencyKey SetIdempotencyResult DeleteIdempotencyKey RenewIdempotencyKey
		CreateEvalCase GetEvalCase ListEvalCases UpdateEvalCase DeleteEvalCase CreateEvalRun GetEvalRun ListEvalRuns
		CountActiveEvalRuns LatestDraftEvalRun StartEvalRun FinishEvalRun ListEvalResults RecordEvalResult
		AddUsageEvent ListUsageEvents SumUsage GetBudgetCounter ReserveBudget SeedBudget SettleBudget`)

	declared := map[string]bool{}
	file, err := parser.ParseFile(token.NewFileSet(), "readcache.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range file.Decls {
		if fn, ok := d.(*ast.FuncDecl); ok && fn.Recv != nil {
			if star, ok := fn.Recv.List[0].Type.(*ast.StarExpr); ok && star.X.(*ast.Ident).Name == "ReadCache" {
				declared[fn.Name.Name] = true
			}
		}
	}
	iface := reflect.TypeOf((*store.Store)(nil)).Elem()
	for i := range iface.NumMethod() {
		name := iface.Method(i).Name
		switch {
		case kept[name] || drops[name]:
			if !declared[name] {
				t.Errorf("ReadCache does not declare %s", name)
			}
		case leaves[name]:
			if declared[name] {
				t.Errorf("ReadCache declares %s, listed here as leaving the kept rows alone", name)
			}
		default:
			t.Errorf("Store.%s is new: if it can change what SessionUser, GetProject, ListProjects or ListPrompts return, ReadCache must override it to drop the kept rows; list it here either way", name)
		}
	}
}

func words(s string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(s) {
		m[w] = true
	}
	return m
}

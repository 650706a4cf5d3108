package httpapi_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chatbot-platform/chatbot/internal/apitest"
	"github.com/chatbot-platform/chatbot/internal/fakeopenai"
)

type releaseJSON struct {
	Number    int64
	Note      string
	Published bool
	Snapshot  struct {
		Prompts         []struct{ Name, Content string }
		Model           string
		Temperature     float64
		MaxOutputTokens int64 `json:"max_output_tokens"`
		Files           []struct{ ID int64 }
		SystemPrompt    string `json:"system_prompt"`
		Digest          string
	}
	RemovedFiles []struct {
		ID       int64
		Filename string
	} `json:"removed_files"`
	Diff *struct {
		To           int64
		SystemPrompt string `json:"system_prompt"`
		Settings     []struct{ Name, From, To string }
	}
}

type replyWithRelease struct {
	chatReply
	Release *int64
}

// lastUpstream is the newest call the fake received: its system prompt and chat settings.
func lastUpstream(t *testing.T, fake *fakeopenai.Server) *fakeopenai.ResponsesCall {
	t.Helper()
	calls := fake.RequestsTo(fakeopenai.Responses)
	if len(calls) == 0 {
		t.Fatal("no upstream call")
	}
	c := calls[len(calls)-1].Responses
	if len(c.Input) == 0 || c.Input[0].Role != "system" {
		t.Fatalf("upstream input %+v: no system message first", c.Input)
	}
	return c
}

// TestReleases_WhichStateAnswers: creating a release publishes it; keys, the widget and the
// OpenAI-compatible endpoint answer with the published release (upstream instructions byte-equal to
// it), the owner's dashboard chat with the draft unless asked, a pinned key with its release; a
// rollback changes the very next request; every reply and message says which release answered; each
// publish sends release.published.
func TestReleases_WhichStateAnswers(t *testing.T) {
	eachEngineWithUpstream(t, map[string]string{"WEBHOOK_ALLOW_PRIVATE": "true"}, func(t *testing.T, s *apitest.Server, fake *fakeopenai.Server) {
		events := make(chan []byte, 10)
		receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			events <- body
		}))
		t.Cleanup(receiver.Close)
		_, owner := s.NewUser(t)
		pid := newProject(t, s, owner, `{"name":"Shop","model":"gpt-4o-mini","temperature":0.5,"max_output_tokens":400}`)
		wantStatus(t, s.Do(t, "POST", fmt.Sprintf("/projects/%d/webhooks", pid), owner,
			fmt.Sprintf(`{"url":%q,"events":["release.published"]}`, receiver.URL)), 201, "")
		releases := fmt.Sprintf("/projects/%d/releases", pid)
		prompt := decode[struct{ ID int64 }](t, s.Do(t, "POST", fmt.Sprintf("/projects/%d/prompts", pid), owner, `{"name":"tone","content":"You are v1."}`))
		setPrompt := func(content string) {
			wantStatus(t, s.Do(t, "PUT", fmt.Sprintf("/projects/prompts/%d", prompt.ID), owner, fmt.Sprintf(`{"name":"tone","content":%q}`, content)), 200, "")
		}

		// Before any release, keys get the draft.
		secret := newKey(t, s, owner, pid, `{"name":"backend","kind":"secret"}`)
		r := decode[replyWithRelease](t, s.Do(t, "POST", "/chat", secret.Key, `{"message":"hi"}`))
		if got := lastUpstream(t, fake).Input[0].Content; got != "You are v1." || r.Release != nil {
			t.Fatalf("before any release: system %q, release %v", got, r.Release)
		}

		one := decode[releaseJSON](t, s.Do(t, "POST", releases, owner, `{"note":"  first  "}`))
		if one.Number != 1 || !one.Published || one.Note != "first" || one.Snapshot.SystemPrompt != "You are v1." || one.Snapshot.Model != "gpt-4o-mini" ||
			len(one.Snapshot.Digest) != 64 {
			t.Fatalf("release 1: %+v", one)
		}
		setPrompt("You are v2.\nBe brief.")
		wantStatus(t, s.Do(t, "PATCH", fmt.Sprintf("/projects/%d", pid), owner, `{"temperature":0.9}`), 200, "")
		two := decode[releaseJSON](t, s.Do(t, "POST", releases, owner, `{}`))
		if two.Number != 2 || !two.Published || two.Snapshot.Temperature != 0.9 || two.Snapshot.Digest == one.Snapshot.Digest {
			t.Fatalf("release 2: %+v", two)
		}
		setPrompt("Draft v3.") // the draft moves on; nothing published changes

		list := decode[[]releaseJSON](t, s.Do(t, "GET", releases, owner, ""))
		if len(list) != 2 || list[0].Number != 2 || !list[0].Published || list[1].Number != 1 || list[1].Published || list[1].Note != "first" {
			t.Fatalf("list %+v", list)
		}
		diff := decode[releaseJSON](t, s.Do(t, "GET", releases+"/2?diff_to=1", owner, ""))
		if diff.Diff == nil || diff.Diff.To != 1 || !strings.Contains(diff.Diff.SystemPrompt, "-You are v2.") ||
			!strings.Contains(diff.Diff.SystemPrompt, "-Be brief.") || !strings.Contains(diff.Diff.SystemPrompt, "+You are v1.") ||
			len(diff.Diff.Settings) != 1 || diff.Diff.Settings[0] != (struct{ Name, From, To string }{"temperature", "0.9", "0.5"}) {
			t.Fatalf("diff %+v", diff.Diff)
		}
		if same := decode[releaseJSON](t, s.Do(t, "GET", releases+"/1?diff_to=1", owner, "")); same.Diff.SystemPrompt != "" || len(same.Diff.Settings) != 0 {
			t.Fatalf("a release against itself: %+v", same.Diff)
		}
		wantStatus(t, s.Do(t, "GET", releases+"/9", owner, ""), 404, "release not found")
		wantStatus(t, s.Do(t, "GET", releases+"/1?diff_to=9", owner, ""), 400, "no release 9")
		wantStatus(t, s.Do(t, "POST", releases+"/9/publish", owner, ""), 404, "release not found")
		wantStatus(t, s.Do(t, "POST", releases, owner, fmt.Sprintf(`{"note":%q}`, strings.Repeat("n", 501))), 400, "note")

		pinned := newKey(t, s, owner, pid, `{"name":"pinned","kind":"secret","scopes":["chat"],"pinned_release":1}`)
		widget := newKey(t, s, owner, pid, `{"name":"site","kind":"publishable","allowed_origins":["`+siteOrigin+`"]}`)
		wantStatus(t, s.Do(t, "POST", fmt.Sprintf("/projects/%d/keys", pid), owner, `{"name":"bad","kind":"secret","pinned_release":7}`), 400, "has no release 7")
		wantStatus(t, s.Do(t, "POST", fmt.Sprintf("/projects/%d/keys", pid), owner,
			`{"name":"bad","kind":"publishable","allowed_origins":["`+siteOrigin+`"],"pinned_release":1}`), 400, "only secret keys")
		wantStatus(t, s.Do(t, "PATCH", fmt.Sprintf("/projects/keys/%d", secret.ID), owner, `{"pinned_release":8}`), 400, "has no release 8")

		// asks sends one message and checks what the upstream was told and which release the reply names.
		asks := func(who, token, body, wantSystem string, wantRelease *int64, headers ...string) replyWithRelease {
			t.Helper()
			r := s.Do(t, "POST", "/chat", token, body, headers...)
			wantStatus(t, r, 200, "")
			reply := decode[replyWithRelease](t, r)
			c := lastUpstream(t, fake)
			if c.Input[0].Content != wantSystem || (reply.Release == nil) != (wantRelease == nil) || wantRelease != nil && *reply.Release != *wantRelease {
				t.Fatalf("%s: system %q, release %v; want %q, %v", who, c.Input[0].Content, reply.Release, wantSystem, wantRelease)
			}
			return reply
		}
		n1, n2 := int64(1), int64(2)
		visitor := []string{"Origin", siteOrigin, "X-Visitor-Id", "visitor-0123456789abcdef"}
		byKey := asks("secret key", secret.Key, `{"message":"hi"}`, two.Snapshot.SystemPrompt, &n2)
		if c := lastUpstream(t, fake); c.Temperature == nil || *c.Temperature < 0.899 || *c.Temperature > 0.901 || c.Model != "gpt-4o-mini" {
			t.Fatalf("release 2's settings not sent: %+v", c)
		}
		asks("widget", widget.Key, `{"message":"hi"}`, two.Snapshot.SystemPrompt, &n2, visitor...)
		asks("pinned key", pinned.Key, `{"message":"hi"}`, one.Snapshot.SystemPrompt, &n1)
		ownerDraft := asks("owner", owner, chatBody(pid, "hi", 0), "Draft v3.", nil)
		asks("owner, published", owner, fmt.Sprintf(`{"project_id":%d,"message":"hi","release":"published"}`, pid), two.Snapshot.SystemPrompt, &n2)
		asks("owner, release 1", owner, fmt.Sprintf(`{"project_id":%d,"message":"hi","release":"1"}`, pid), one.Snapshot.SystemPrompt, &n1)
		wantStatus(t, s.Do(t, "POST", "/chat", owner, fmt.Sprintf(`{"project_id":%d,"message":"hi","release":"5"}`, pid)), 404, "release not found")
		wantStatus(t, s.Do(t, "POST", "/chat", secret.Key, `{"message":"hi","release":"draft"}`), 400, "only the project's owner")
		if r := s.Do(t, "POST", "/v1/chat/completions", secret.Key, `{"model":"x","messages":[{"role":"user","content":"hi"}]}`); r.StatusCode != 200 ||
			lastUpstream(t, fake).Input[0].Content != two.Snapshot.SystemPrompt {
			t.Fatalf("OpenAI-compatible endpoint: %d %s; system %q", r.StatusCode, r.Body, lastUpstream(t, fake).Input[0].Content)
		}

		// Rollback: the next request is release 1's, byte for byte; the pinned key is unmoved by a newer release.
		back := decode[releaseJSON](t, s.Do(t, "POST", releases+"/1/publish", owner, ""))
		if back.Number != 1 || !back.Published {
			t.Fatalf("publish 1: %+v", back)
		}
		asks("secret key after rollback", secret.Key, `{"message":"again","conversation_id":`+fmt.Sprint(byKey.ConversationID)+`}`, one.Snapshot.SystemPrompt, &n1)
		if c := lastUpstream(t, fake); *c.Temperature > 0.501 || *c.MaxOutputTokens != 400 {
			t.Fatalf("release 1's settings not sent: %+v", c)
		}
		wantStatus(t, s.Do(t, "POST", releases+"/2/publish", owner, ""), 200, "")
		asks("pinned key after release 2 is published again", pinned.Key, `{"message":"hi"}`, one.Snapshot.SystemPrompt, &n1)
		wantStatus(t, s.Do(t, "PATCH", fmt.Sprintf("/projects/keys/%d", pinned.ID), owner, `{"pinned_release":null}`), 200, "")
		asks("unpinned key", pinned.Key, `{"message":"hi"}`, two.Snapshot.SystemPrompt, &n2)
		if p := decode[struct {
			PublishedRelease *int64 `json:"published_release"`
		}](t, s.Do(t, "GET", fmt.Sprintf("/projects/%d", pid), owner, "")); p.PublishedRelease == nil || *p.PublishedRelease != 2 {
			t.Fatalf("project's published_release %v", p.PublishedRelease)
		}

		// Messages record their release: none for the draft.
		conv := decode[struct {
			Messages []struct {
				Role    string
				Release *int64
			}
		}](t, s.Do(t, "GET", fmt.Sprintf("/conversations/%d", byKey.ConversationID), owner, ""))
		var got []string
		for _, m := range conv.Messages {
			if m.Release == nil {
				got = append(got, m.Role+":draft")
			} else {
				got = append(got, fmt.Sprintf("%s:%d", m.Role, *m.Release))
			}
		}
		if strings.Join(got, " ") != "user:draft assistant:2 user:draft assistant:1" {
			t.Fatalf("messages' releases: %v", got)
		}
		draftConv := decode[struct{ Messages []struct{ Release *int64 } }](t, s.Do(t, "GET", fmt.Sprintf("/conversations/%d", ownerDraft.ConversationID), owner, ""))
		if draftConv.Messages[1].Release != nil {
			t.Fatal("a draft reply names a release")
		}

		// release.published: create 1, create 2, publish 1, publish 2 (the no-op publish sends nothing).
		var seen []string
		for len(seen) < 4 {
			select {
			case b := <-events:
				var ev struct {
					Type string
					Data struct {
						Number   int64
						Note     string
						Previous *int64
					}
				}
				json.Unmarshal(b, &ev)
				prev := "none"
				if ev.Data.Previous != nil {
					prev = fmt.Sprint(*ev.Data.Previous)
				}
				seen = append(seen, fmt.Sprintf("%s %d<-%s %s", ev.Type, ev.Data.Number, prev, ev.Data.Note))
			case <-time.After(15 * time.Second):
				t.Fatalf("release.published events: %v", seen)
			}
		}
		want := []string{"release.published 1<-none first", "release.published 2<-1 ", "release.published 1<-2 first", "release.published 2<-1 "}
		for _, w := range want { // deliveries run in parallel: any order
			if !strings.Contains(strings.Join(seen, "|"), w) {
				t.Fatalf("events %v, want %v", seen, want)
			}
		}
	})
}

// TestReleases_FileOfThePublishedReleaseIs409: a file the published release uses cannot be deleted
// until ?force=true, which removes it from every release (each then lists it in removed_files).
func TestReleases_FileOfThePublishedReleaseIs409(t *testing.T) {
	eachEngineWithFake(t, filesOptions{}, func(t *testing.T, e *filesEnv) {
		kept := e.mustUpload(t, "handbook.txt", []byte("Refunds take 5 days."))
		other := e.mustUpload(t, "old.txt", []byte("Old prices."))
		releases := fmt.Sprintf("/projects/%d/releases", e.project)
		wantStatus(t, e.Do(t, "POST", releases, e.token, `{"note":"with files"}`), 201, "")
		wantStatus(t, e.Do(t, "POST", releases, e.token, `{"note":"again"}`), 201, "")

		r := e.Do(t, "DELETE", fmt.Sprintf("/projects/files/%d", kept.Id), e.token, "")
		wantStatus(t, r, 409, "release 2")
		wantDetail(t, r.Body, "force=true")
		if len(e.stored(t)) != 2 {
			t.Fatal("a refused delete deleted")
		}
		wantStatus(t, e.Do(t, "DELETE", fmt.Sprintf("/projects/files/%d?force=true", kept.Id), e.token, ""), 204, "")
		for _, n := range []int{1, 2} {
			rel := decode[releaseJSON](t, e.Do(t, "GET", fmt.Sprintf("%s/%d", releases, n), e.token, ""))
			if len(rel.Snapshot.Files) != 1 || rel.Snapshot.Files[0].ID != other.Id || len(rel.RemovedFiles) != 1 ||
				rel.RemovedFiles[0].ID != kept.Id || rel.RemovedFiles[0].Filename != "handbook.txt" {
				t.Fatalf("release %d after the forced delete: %+v", n, rel)
			}
		}
		// The file left in the published release is still kept.
		wantStatus(t, e.Do(t, "DELETE", fmt.Sprintf("/projects/files/%d", other.Id), e.token, ""), 409, "release 2")
	})
}

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

type feedbackJSON struct {
	MessageID int64 `json:"message_id"`
	Rating    string
	Comment   string
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

type ratedJSON struct {
	ConversationID int64   `json:"conversation_id"`
	MessageID      int64   `json:"message_id"`
	Question       *string `json:"question"`
	Answer         string
	Rating         string
	Comment        string
	Release        *int64  `json:"release"`
	EndUser        *string `json:"end_user"`
}

func feedbackPath(conversationID, messageID int64, query string) string {
	return fmt.Sprintf("/conversations/%d/messages/%d/feedback%s", conversationID, messageID, query)
}

// The owner rates an answer, rates it again (replacing the rating), sees it on the conversation and
// clears it; questions cannot be rated and comments are bounded.
func TestFeedback_RateReplaceClear(t *testing.T) {
	eachEngineWithUpstream(t, nil, func(t *testing.T, s *apitest.Server, _ *fakeopenai.Server) {
		_, owner := s.NewUser(t)
		pid := newProject(t, s, owner, `{"name":"Rated"}`)
		reply := decode[chatReply](t, s.Do(t, "POST", "/chat", owner, chatBody(pid, "What is 2+2?", 0)))
		path := feedbackPath(reply.ConversationID, reply.MessageID, "")

		first := decode[feedbackJSON](t, s.Do(t, "PUT", path, owner, `{"rating":"up"}`))
		if first.Rating != "up" || first.Comment != "" || first.MessageID != reply.MessageID {
			t.Fatalf("rated %+v", first)
		}
		time.Sleep(5 * time.Millisecond)
		second := decode[feedbackJSON](t, s.Do(t, "PUT", path, owner, `{"rating":"down","comment":"Wrong sum"}`))
		if second.Rating != "down" || second.Comment != "Wrong sum" || !second.CreatedAt.Equal(first.CreatedAt) || !second.UpdatedAt.After(first.UpdatedAt) {
			t.Fatalf("rated again %+v after %+v", second, first)
		}
		again := decode[feedbackJSON](t, s.Do(t, "PUT", path, owner, `{"rating":"down","comment":"Wrong sum"}`))
		if !again.UpdatedAt.Equal(second.UpdatedAt) {
			t.Fatalf("the same rating again changed it: %+v", again)
		}

		conv := decode[struct {
			Messages []struct {
				ID       int64
				Role     string
				Feedback *feedbackJSON
			}
		}](t, s.Do(t, "GET", fmt.Sprintf("/conversations/%d", reply.ConversationID), owner, ""))
		if len(conv.Messages) != 2 || conv.Messages[0].Feedback != nil || conv.Messages[1].Feedback == nil || conv.Messages[1].Feedback.Rating != "down" {
			t.Fatalf("conversation shows %+v", conv.Messages)
		}

		question := conv.Messages[0].ID
		wantStatus(t, s.Do(t, "PUT", feedbackPath(reply.ConversationID, question, ""), owner, `{"rating":"up"}`), 409, "only the assistant's answers")
		wantStatus(t, s.Do(t, "PUT", feedbackPath(reply.ConversationID, reply.MessageID+100, ""), owner, `{"rating":"up"}`), 404, "message not found")
		wantStatus(t, s.Do(t, "PUT", feedbackPath(reply.ConversationID+100, reply.MessageID, ""), owner, `{"rating":"up"}`), 404, "conversation not found")
		wantStatus(t, s.Do(t, "PUT", path, owner, `{"rating":"sideways"}`), 400, "rating")
		wantStatus(t, s.Do(t, "PUT", path, owner, `{"comment":"no rating"}`), 400, "rating")
		wantStatus(t, s.Do(t, "PUT", path, owner, fmt.Sprintf(`{"rating":"up","comment":%q}`, strings.Repeat("x", 2001))), 400, "comment")
		wantStatus(t, s.Do(t, "PUT", path, owner, fmt.Sprintf(`{"rating":"up","comment":%q}`, strings.Repeat("é", 2000))), 200, "")

		wantStatus(t, s.Do(t, "DELETE", path, owner, ""), 204, "")
		wantStatus(t, s.Do(t, "DELETE", path, owner, ""), 204, "")
		if l := decode[[]ratedJSON](t, s.Do(t, "GET", fmt.Sprintf("/projects/%d/feedback", pid), owner, "")); len(l) != 0 {
			t.Fatalf("cleared rating still listed: %+v", l)
		}
		wantStatus(t, s.Do(t, "DELETE", feedbackPath(reply.ConversationID, question, ""), owner, ""), 409, "only the assistant's answers")
	})
}

// Through keys only the end user who owns the conversation rates it; everyone else but the owner
// finds nothing, whatever the scopes.
func TestFeedback_OnlyTheOwnerOrTheConversationsEndUser(t *testing.T) {
	eachEngineWithUpstream(t, nil, func(t *testing.T, s *apitest.Server, _ *fakeopenai.Server) {
		_, owner := s.NewUser(t)
		_, stranger := s.NewUser(t)
		pid := newProject(t, s, owner, `{"name":"p"}`)
		chatKey := newKey(t, s, owner, pid, `{"name":"backend","kind":"secret","scopes":["chat","read"]}`).Key
		otherKey := newKey(t, s, owner, pid, `{"name":"other","kind":"secret"}`).Key
		readKey := newKey(t, s, owner, pid, `{"name":"reader","kind":"secret","scopes":["read"]}`).Key
		pk := newKey(t, s, owner, pid, `{"name":"site","kind":"publishable","allowed_origins":["`+siteOrigin+`"]}`).Key
		const visitor, otherVisitor = "visitor-0123456789abcdef", "visitor-fedcba9876543210"

		ann := decode[chatReply](t, s.Do(t, "POST", "/chat", chatKey, `{"message":"I am Ann","user":"ann"}`))
		path := func(query string) string { return feedbackPath(ann.ConversationID, ann.MessageID, query) }
		up := `{"rating":"up"}`
		wantStatus(t, s.Do(t, "PUT", path("?user=ann"), chatKey, up), 200, "")
		for _, c := range []struct {
			name, token, query string
			status             int
		}{
			{"another end user of the key", chatKey, "?user=bo", 404},
			{"the key without an end user", chatKey, "", 404},
			{"another key for the same end user", otherKey, "?user=ann", 404},
			{"a read key", readKey, "?user=ann", 403},
			{"another user", stranger, "", 404},
			{"a widget visitor", pk, "", 404},
		} {
			var headers []string
			if c.token == pk {
				headers = []string{"Origin", siteOrigin, "X-Visitor-Id", visitor}
			}
			for _, method := range []string{"PUT", "DELETE"} {
				r := s.Do(t, method, path(c.query), c.token, up, headers...)
				if r.StatusCode != c.status {
					t.Errorf("%s: %s -> %d, want %d (%s)", c.name, method, r.StatusCode, c.status, r.Body)
				}
			}
		}
		if l := decode[[]ratedJSON](t, s.Do(t, "GET", fmt.Sprintf("/projects/%d/feedback", pid), owner, "")); len(l) != 1 || l[0].Rating != "up" {
			t.Fatalf("refused callers changed the rating: %+v", l)
		}
		wantStatus(t, s.Do(t, "PUT", path(""), owner, `{"rating":"down"}`), 200, "") // the owner rates any answer

		// The widget: a visitor rates their own answers only.
		widget := func(method, p, v, body string) apitest.Response {
			return s.Do(t, method, p, pk, body, "Origin", siteOrigin, "X-Visitor-Id", v)
		}
		mine := decode[chatReply](t, widget("POST", "/chat", visitor, `{"message":"hi from the site"}`))
		wantStatus(t, widget("PUT", feedbackPath(mine.ConversationID, mine.MessageID, ""), otherVisitor, up), 404, "conversation not found")
		r := widget("PUT", feedbackPath(mine.ConversationID, mine.MessageID, ""), visitor, `{"rating":"up","comment":"helpful"}`)
		wantStatus(t, r, 200, "")
		if r.Header.Get("Access-Control-Allow-Origin") != siteOrigin {
			t.Fatalf("no CORS for the widget's rating: %v", r.Header)
		}
		wantStatus(t, widget("DELETE", feedbackPath(mine.ConversationID, mine.MessageID, ""), visitor, ""), 204, "")
	})
}

// The list: newest rating first, filtered by rating, a page at a time, with each answer's question;
// read keys see it, chat keys and other users do not. Deleting a conversation removes its ratings.
func TestFeedback_ListFilterPagesAndUsageCounts(t *testing.T) {
	eachEngineWithUpstream(t, nil, func(t *testing.T, s *apitest.Server, _ *fakeopenai.Server) {
		_, owner := s.NewUser(t)
		_, stranger := s.NewUser(t)
		pid := newProject(t, s, owner, `{"name":"Listed"}`)
		first := decode[chatReply](t, s.Do(t, "POST", "/chat", owner, chatBody(pid, "Question one", 0)))
		second := decode[chatReply](t, s.Do(t, "POST", "/chat", owner, chatBody(pid, "Question two", first.ConversationID)))
		other := decode[chatReply](t, s.Do(t, "POST", "/chat", owner, chatBody(pid, "Question three", 0)))
		for _, r := range []struct {
			reply  chatReply
			rating string
		}{{first, "down"}, {second, "up"}, {other, "down"}} {
			wantStatus(t, s.Do(t, "PUT", feedbackPath(r.reply.ConversationID, r.reply.MessageID, ""), owner, fmt.Sprintf(`{"rating":%q,"comment":"c%d"}`, r.rating, r.reply.MessageID)), 200, "")
			time.Sleep(2 * time.Millisecond)
		}
		list := fmt.Sprintf("/projects/%d/feedback", pid)
		all := decode[[]ratedJSON](t, s.Do(t, "GET", list, owner, ""))
		if len(all) != 3 || all[0].MessageID != other.MessageID || all[2].MessageID != first.MessageID {
			t.Fatalf("list %+v", all)
		}
		if a := all[1]; a.Question == nil || *a.Question != "Question two" || a.Answer != second.Reply || a.ConversationID != first.ConversationID ||
			a.Rating != "up" || a.Comment != fmt.Sprintf("c%d", second.MessageID) || a.Release != nil || a.EndUser != nil {
			t.Fatalf("item %+v", a)
		}

		var paged []ratedJSON
		next := list + "?rating=down&limit=1"
		for next != "" {
			r := s.Do(t, "GET", next, owner, "")
			wantStatus(t, r, 200, "")
			paged = append(paged, decode[[]ratedJSON](t, r)...)
			next = ""
			if c := r.Header.Get("X-Next-Cursor"); c != "" {
				next = list + "?rating=down&limit=1&cursor=" + c
				if !strings.Contains(r.Header.Get("Link"), "rating=down") {
					t.Fatalf("Link %q", r.Header.Get("Link"))
				}
			}
		}
		if len(paged) != 2 || paged[0].MessageID != other.MessageID || paged[1].MessageID != first.MessageID {
			t.Fatalf("pages of down ratings: %+v", paged)
		}

		readKey := newKey(t, s, owner, pid, `{"name":"reader","kind":"secret","scopes":["read"]}`).Key
		if l := decode[[]ratedJSON](t, s.Do(t, "GET", list+"?rating=up", readKey, "")); len(l) != 1 {
			t.Fatalf("read key's list %+v", l)
		}
		wantStatus(t, s.Do(t, "GET", list, newKey(t, s, owner, pid, `{"name":"chat","kind":"secret"}`).Key, ""), 403, "")
		wantStatus(t, s.Do(t, "GET", list, stranger, ""), 404, "project not found")
		wantStatus(t, s.Do(t, "GET", list+"?rating=meh", owner, ""), 400, "rating")

		// An answer of release 1 (keys get the published release) is listed and counted with it.
		wantStatus(t, s.Do(t, "POST", fmt.Sprintf("/projects/%d/releases", pid), owner, `{"note":"first"}`), 201, "")
		chatKey := newKey(t, s, owner, pid, `{"name":"backend","kind":"secret"}`).Key
		released := decode[chatReply](t, s.Do(t, "POST", "/chat", chatKey, `{"message":"Question four","user":"ann"}`))
		wantStatus(t, s.Do(t, "PUT", feedbackPath(released.ConversationID, released.MessageID, "?user=ann"), chatKey, `{"rating":"up"}`), 200, "")
		if l := decode[[]ratedJSON](t, s.Do(t, "GET", list+"?limit=1", owner, "")); len(l) != 1 || l[0].Release == nil || *l[0].Release != 1 ||
			l[0].EndUser == nil || *l[0].EndUser != "ann" {
			t.Fatalf("the released answer is listed as %+v", l)
		}

		type count struct {
			Release  *int64
			Up, Down int64
		}
		usage := decode[struct{ Feedback []count }](t, s.Do(t, "GET", fmt.Sprintf("/projects/%d/usage", pid), readKey, ""))
		got := map[string]count{}
		for _, c := range usage.Feedback {
			name := "draft"
			if c.Release != nil {
				name = fmt.Sprint(*c.Release)
			}
			got[name] = c
		}
		if len(got) != 2 || got["draft"].Up != 1 || got["draft"].Down != 2 || got["1"].Up != 1 || got["1"].Down != 0 {
			t.Fatalf("usage feedback counts %+v", usage.Feedback)
		}

		wantStatus(t, s.Do(t, "DELETE", fmt.Sprintf("/conversations/%d", first.ConversationID), owner, ""), 204, "")
		if l := decode[[]ratedJSON](t, s.Do(t, "GET", list, owner, "")); len(l) != 2 || l[1].MessageID != other.MessageID {
			t.Fatalf("after deleting a conversation: %+v", l)
		}
	})
}

// feedback.created reaches the project's webhooks when a rating is made or changed, with the
// conversation's end user and the answer's release; the same rating again sends nothing.
func TestFeedback_CreatedEventDelivered(t *testing.T) {
	eachEngineWithUpstream(t, map[string]string{"WEBHOOK_ALLOW_PRIVATE": "true"}, func(t *testing.T, s *apitest.Server, _ *fakeopenai.Server) {
		got := make(chan received, 10)
		receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			got <- received{r.Header.Clone(), body}
		}))
		t.Cleanup(receiver.Close)
		_, owner := s.NewUser(t)
		pid := newProject(t, s, owner, `{"name":"Hooked"}`)
		wantStatus(t, s.Do(t, "POST", fmt.Sprintf("/projects/%d/webhooks", pid), owner,
			fmt.Sprintf(`{"url":%q,"events":["feedback.created"]}`, receiver.URL)), 201, "")
		wantStatus(t, s.Do(t, "POST", fmt.Sprintf("/projects/%d/releases", pid), owner, `{}`), 201, "")
		key := newKey(t, s, owner, pid, `{"name":"backend","kind":"secret"}`).Key
		reply := decode[chatReply](t, s.Do(t, "POST", "/chat", key, `{"message":"hello","user":"ann"}`))
		path := feedbackPath(reply.ConversationID, reply.MessageID, "?user=ann")

		next := func() map[string]any {
			t.Helper()
			select {
			case r := <-got:
				var ev struct {
					Type string
					Data map[string]any
				}
				json.Unmarshal(r.body, &ev)
				if ev.Type != "feedback.created" {
					t.Fatalf("event %s", r.body)
				}
				return ev.Data
			case <-time.After(15 * time.Second):
				t.Fatal("no feedback.created")
				return nil
			}
		}
		wantStatus(t, s.Do(t, "PUT", path, key, `{"rating":"down","comment":"too short"}`), 200, "")
		d := next()
		if d["conversation_id"] != float64(reply.ConversationID) || d["message_id"] != float64(reply.MessageID) || d["rating"] != "down" ||
			d["comment"] != "too short" || d["end_user"] != "ann" || d["release"] != float64(1) {
			t.Fatalf("feedback.created data %v", d)
		}
		wantStatus(t, s.Do(t, "PUT", path, key, `{"rating":"down","comment":"too short"}`), 200, "")
		wantStatus(t, s.Do(t, "PUT", path, key, `{"rating":"up"}`), 200, "")
		if d := next(); d["rating"] != "up" || d["comment"] != "" {
			t.Fatalf("the changed rating's event %v (the unchanged one must send none)", d)
		}
	})
}

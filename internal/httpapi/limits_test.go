package httpapi_test

import (
	"bufio"
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

	"github.com/chatbot-platform/chatbot/internal/apitest"
	"github.com/chatbot-platform/chatbot/internal/fakeopenai"
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

// TestProjects_OnlyTheOperatorsModelsAndTokenCap: OPENAI_MODELS and OPENAI_MAX_OUTPUT_TOKENS_CAP bound
// what a project may ask for, on create and on PATCH, with a 400 naming what is allowed.
func TestProjects_OnlyTheOperatorsModelsAndTokenCap(t *testing.T) {
	s := apitest.Start(t, apitest.Options{Env: map[string]string{
		"OPENAI_MODELS": "gpt-4o-mini,gpt-4.1", "OPENAI_MAX_OUTPUT_TOKENS_CAP": "4000",
	}})
	_, tok := s.NewUser(t)
	wantStatus(t, s.Do(t, "POST", "/projects", tok, `{"name":"p","model":"gpt-5"}`), 400, `"gpt-5" is not offered here; allowed: gpt-4o-mini, gpt-4.1`)
	wantStatus(t, s.Do(t, "POST", "/projects", tok, `{"name":"p","max_output_tokens":4001}`), 400, "must be at most 4000")
	pid := newProject(t, s, tok, `{"name":"p","model":"gpt-4.1","max_output_tokens":4000}`)
	path := fmt.Sprintf("/projects/%d", pid)
	wantStatus(t, s.Do(t, "PATCH", path, tok, `{"model":"o3"}`), 400, "allowed: gpt-4o-mini, gpt-4.1")
	wantStatus(t, s.Do(t, "PATCH", path, tok, `{"max_output_tokens":100000}`), 400, "OPENAI_MAX_OUTPUT_TOKENS_CAP")
	wantStatus(t, s.Do(t, "PATCH", path, tok, `{"model":"gpt-4o-mini","max_output_tokens":16}`), 200, "")
}

// TestChat_ModelNoLongerAllowedIsRefusedAndTokensCapped: a project saved before the operator narrowed
// the limits cannot chat with a removed model, and asks the upstream for at most the cap.
func TestChat_ModelNoLongerAllowedIsRefusedAndTokensCapped(t *testing.T) {
	st := testdb.SQLite(t)
	open := func(testing.TB) storeT { return st }
	fake := fakeopenai.Start(t)
	env := map[string]string{"OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": fake.URL()}
	before := apitest.Start(t, apitest.Options{Store: open, Env: env})
	_, tok := before.NewUser(t)
	old := newProject(t, before, tok, `{"name":"old","model":"gpt-5","max_output_tokens":9000}`)
	capped := newProject(t, before, tok, `{"name":"capped","model":"gpt-4o-mini","max_output_tokens":9000}`)

	env["OPENAI_MODELS"], env["OPENAI_MAX_OUTPUT_TOKENS_CAP"] = "gpt-4o-mini", "2000"
	after := apitest.Start(t, apitest.Options{Store: open, Env: env})
	wantStatus(t, after.Do(t, "POST", "/chat", tok, chatBody(old, "hi", 0)), 400, `model "gpt-5" is no longer offered here`)
	wantStatus(t, after.Do(t, "POST", "/chat", tok, chatBody(capped, "hi", 0)), 200, "")
	reqs := fake.RequestsTo(fakeopenai.Responses)
	if len(reqs) == 0 {
		t.Fatal("no upstream call")
	}
	var sent struct {
		MaxOutputTokens int `json:"max_output_tokens"`
	}
	json.Unmarshal(reqs[len(reqs)-1].Body, &sent)
	if sent.MaxOutputTokens != 2000 {
		t.Fatalf("upstream asked for max_output_tokens %d, want the cap 2000", sent.MaxOutputTokens)
	}
}

// concurrently sends n copies of a request at once and counts the answers by status.
func concurrently(t *testing.T, s *apitest.Server, n int, method, path, token, body string) map[int]int {
	t.Helper()
	var mu sync.Mutex
	got := map[int]int{}
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			r := s.Do(t, method, path, token, strings.ReplaceAll(body, "#", strconv.Itoa(i)))
			mu.Lock()
			got[r.StatusCode]++
			mu.Unlock()
		})
	}
	wg.Wait()
	return got
}

// TestCaps_CountsHoldUnderConcurrentCreates: MAX_PROJECTS_PER_USER and MAX_PROMPTS_PER_PROJECT are
// counted with the insert, the parent row locked, so a burst of creates never passes the cap.
func TestCaps_CountsHoldUnderConcurrentCreates(t *testing.T) {
	eachEngine(t, map[string]string{"MAX_PROJECTS_PER_USER": "3", "MAX_PROMPTS_PER_PROJECT": "4"}, func(t *testing.T, s *apitest.Server) {
		_, tok := s.NewUser(t)
		got := concurrently(t, s, 12, "POST", "/projects", tok, `{"name":"p#"}`)
		if got[201] != 3 || got[400] != 9 {
			t.Fatalf("12 concurrent creates under a cap of 3: %v", got)
		}
		wantStatus(t, s.Do(t, "POST", "/projects", tok, `{"name":"one more"}`), 400, "you already have 3 projects, the most an account may have (MAX_PROJECTS_PER_USER)")
		_, other := s.NewUser(t)
		pid := newProject(t, s, other, `{"name":"mine"}`)

		path := fmt.Sprintf("/projects/%d/prompts", pid)
		got = concurrently(t, s, 12, "POST", path, other, `{"name":"n#","content":"c#"}`)
		if got[201] != 4 || got[400] != 8 {
			t.Fatalf("12 concurrent prompts under a cap of 4: %v", got)
		}
		wantStatus(t, s.Do(t, "POST", path, other, `{"name":"x","content":"y"}`), 400, "MAX_PROMPTS_PER_PROJECT")
	})
}

// TestCaps_SystemPromptLength: the enabled prompts joined stay within MAX_SYSTEM_PROMPT_CHARS, on
// create and on update (enabling a prompt counts); disabled prompts do not count.
func TestCaps_SystemPromptLength(t *testing.T) {
	s := apitest.Start(t, apitest.Options{Env: map[string]string{"MAX_SYSTEM_PROMPT_CHARS": "50"}})
	_, tok := s.NewUser(t)
	pid := newProject(t, s, tok, `{"name":"p"}`)
	path := fmt.Sprintf("/projects/%d/prompts", pid)
	thirty := strings.Repeat("a", 30)
	wantStatus(t, s.Do(t, "POST", path, tok, `{"name":"one","content":"`+thirty+`"}`), 201, "")
	wantStatus(t, s.Do(t, "POST", path, tok, `{"name":"two","content":"`+thirty+`"}`), 400, "would total 61 characters joined; at most 50 are allowed (MAX_SYSTEM_PROMPT_CHARS)")
	r := s.Do(t, "POST", path, tok, `{"name":"off","content":"`+thirty+`","enabled":false}`)
	wantStatus(t, r, 201, "")
	var off struct{ ID int64 }
	json.Unmarshal(r.Body, &off)
	wantStatus(t, s.Do(t, "PUT", fmt.Sprintf("/projects/prompts/%d", off.ID), tok, `{"name":"off","content":"`+thirty+`","enabled":true}`), 400, "MAX_SYSTEM_PROMPT_CHARS")
	wantStatus(t, s.Do(t, "PUT", fmt.Sprintf("/projects/prompts/%d", off.ID), tok, `{"name":"off","content":"short","enabled":true}`), 200, "")
}

// TestCaps_StreamsPerUser: MAX_STREAMS_PER_USER open streams per account; one more answers 429 with
// Retry-After, and a slot frees when a stream ends.
func TestCaps_StreamsPerUser(t *testing.T) {
	s, fake := chatServer(t, map[string]string{"MAX_STREAMS_PER_USER": "1"})
	_, tok := s.NewUser(t)
	pid := newProject(t, s, tok, `{"name":"Bot"}`)
	fake.Fail(fakeopenai.Responses, 1, fakeopenai.StallStream(1))

	sctx, cancel := context.WithCancel(ctx)
	req, _ := http.NewRequestWithContext(sctx, "POST", s.URL+"/chat/stream", strings.NewReader(chatBody(pid, "hi", 0)))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("first stream: %v %v", err, res)
	}
	bufio.NewReader(res.Body).ReadString('\n') // the stream is open

	r := s.Do(t, "POST", "/chat/stream", tok, chatBody(pid, "again", 0))
	wantStatus(t, r, 429, "MAX_STREAMS_PER_USER")
	if r.Header.Get("Retry-After") == "" {
		t.Fatal("no Retry-After")
	}
	_, other := s.NewUser(t)
	otherPid := newProject(t, s, other, `{"name":"Other"}`)
	wantStatus(t, s.Do(t, "POST", "/chat/stream", other, chatBody(otherPid, "hi", 0)), 200, "")
	// A published bot's end users each have their own slots, not their owner's.
	kr := s.Do(t, "POST", fmt.Sprintf("/projects/%d/keys", pid), tok, `{"name":"k","kind":"secret"}`)
	wantStatus(t, kr, 201, "")
	var key struct{ Key string }
	json.Unmarshal(kr.Body, &key)
	wantStatus(t, s.Do(t, "POST", "/chat/stream", key.Key, `{"message":"hi","user":"customer-1"}`), 200, "")

	cancel()
	res.Body.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		r := s.Do(t, "POST", "/chat/stream", tok, chatBody(pid, "after", 0))
		if r.StatusCode == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the slot was not freed: %d %s", r.StatusCode, r.Body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestCaps_FilesPerProjectAndConcurrentUploads: MAX_FILES_PER_PROJECT (400, nothing sent upstream)
// and MAX_UPLOADS_PER_USER (429 while another upload of the account runs).
func TestCaps_FilesPerProjectAndConcurrentUploads(t *testing.T) {
	e := startFilesEnv(t, nil, filesOptions{env: map[string]string{"MAX_FILES_PER_PROJECT": "2", "MAX_UPLOADS_PER_USER": "1"}})
	e.fake.Fail(fakeopenai.CreateFile, 1, fakeopenai.Fault{Delay: time.Second})
	done := make(chan int)
	go func() { done <- e.upload(t, e.token, e.project, "slow.txt", []byte("slow")).StatusCode() }()
	for deadline := time.Now().Add(5 * time.Second); e.fake.Count(fakeopenai.CreateFile) == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the first upload never reached the upstream")
		}
	}
	busy := e.upload(t, e.token, e.project, "busy.txt", []byte("busy"))
	if busy.StatusCode() != 429 || !strings.Contains(string(busy.Body), "MAX_UPLOADS_PER_USER") {
		t.Fatalf("second concurrent upload: %d %s", busy.StatusCode(), busy.Body)
	}
	if status := <-done; status != 201 {
		t.Fatalf("slow upload: %d", status)
	}
	e.mustUpload(t, "two.txt", []byte("two"))
	sent := len(e.fake.RequestsTo(fakeopenai.CreateFile))
	third := e.upload(t, e.token, e.project, "three.txt", []byte("three"))
	if third.StatusCode() != 400 || !strings.Contains(string(third.Body), "already has 2 files") {
		t.Fatalf("third file: %d %s", third.StatusCode(), third.Body)
	}
	if n := len(e.fake.RequestsTo(fakeopenai.CreateFile)); n != sent {
		t.Fatalf("a refused file was sent upstream (%d calls, was %d)", n, sent)
	}
}

// TestModels_ServedForThePickerAndV1Models: GET /models lists OPENAI_MODELS (the default first) and the
// token cap; /v1/models offers the key's project's model only while it is allowed.
func TestModels_ServedForThePickerAndV1Models(t *testing.T) {
	st := testdb.SQLite(t)
	open := func(testing.TB) storeT { return st }
	s := apitest.Start(t, apitest.Options{Store: open, Env: map[string]string{
		"OPENAI_MODELS": "gpt-4.1,gpt-4o-mini,o3", "OPENAI_MAX_OUTPUT_TOKENS_CAP": "8000",
	}})
	_, tok := s.NewUser(t)
	r := s.Do(t, "GET", "/models", tok, "")
	wantStatus(t, r, 200, "")
	if got := strings.TrimSpace(string(r.Body)); got != `{"max_output_tokens":8000,"models":["gpt-4o-mini","gpt-4.1","o3"]}` {
		t.Fatalf("GET /models = %s", got)
	}
	wantStatus(t, s.Do(t, "GET", "/models", "", ""), 401, "")

	pid := newProject(t, s, tok, `{"name":"p","model":"o3"}`)
	key := newKey(t, s, tok, pid, `{"name":"k","kind":"secret","scopes":["chat"]}`).Key
	r = s.Do(t, "GET", "/v1/models", key, "")
	wantStatus(t, r, 200, "")
	if !strings.Contains(string(r.Body), `"id":"o3"`) {
		t.Fatalf("/v1/models = %s", r.Body)
	}
	narrowed := apitest.Start(t, apitest.Options{Store: open, Env: map[string]string{"OPENAI_MODELS": "gpt-4o-mini"}})
	r = narrowed.Do(t, "GET", "/v1/models", key, "")
	wantStatus(t, r, 200, "")
	if !strings.Contains(string(r.Body), `"data":[]`) {
		t.Fatalf("/v1/models offers a model no longer allowed: %s", r.Body)
	}
}

// The scale-out test: two instances of the release binary, one PostgreSQL database, one Redis, the
// OpenAI fake, and a real HAProxy in front, as README.md's "Scaling out" describes. It proves, through
// the balancer (HAProxy names the server of every response in X-Served-By), that credentials, rate
// limits, caps and budgets, conversations, streams and revocations hold across instances; that an
// instance killed under load loses no acknowledged message and its retries go to the survivor; and how
// both instances answer and recover when PostgreSQL or Redis goes away.
//
// Run it with make test-scale (SCALE_TEST=1); go test ./... skips it.
//
// Webhooks: each event is delivered once, whichever instance's job queue takes it.
package scale

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatbot-platform/chatbot/internal/chat"
	"github.com/chatbot-platform/chatbot/internal/fakeopenai"
)

// reply is one answer as the client saw it.
type reply struct {
	status int
	header http.Header
	body   []byte
	served string // the instance that answered (HAProxy's X-Served-By); "" when HAProxy answered itself
	took   time.Duration
	at     time.Time // when the answer's headers arrived
}

func (r reply) String() string {
	return fmt.Sprintf("%d from %q: %s", r.status, r.served, strings.TrimSpace(string(r.body)))
}

// send makes one request through the balancer: with the client that checks responses against the
// spec when checked, else the plain one. Transport errors are returned.
func (c *cluster) send(checked bool, method, path, token, body string, headers ...string) (reply, error) {
	req, err := http.NewRequest(method, c.lb.url+path, strings.NewReader(body))
	if err != nil {
		return reply{}, err
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	client := c.raw
	if checked {
		client = c.api.HTTP
	}
	start := time.Now()
	res, err := client.Do(req)
	if err != nil {
		return reply{took: time.Since(start), at: time.Now()}, err
	}
	at := time.Now()
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return reply{status: res.StatusCode, header: res.Header, body: b, served: res.Header.Get(servedHeader), took: time.Since(start), at: at}, err
}

// do is send with the checking client; a transport error fails the test.
func (c *cluster) do(t *testing.T, method, path, token, body string, headers ...string) reply {
	t.Helper()
	r, err := c.send(true, method, path, token, body, headers...)
	if err != nil {
		c.fatalf(t, "%s %s: %v", method, path, err)
	}
	return r
}

// on sends the request to one instance through the balancer and checks that instance answered.
func (c *cluster) on(t *testing.T, name, method, path, token, body string, headers ...string) reply {
	t.Helper()
	r := c.do(t, method, path, token, body, append(headers, pinHeader, name)...)
	if r.served != name {
		c.fatalf(t, "%s %s pinned to %s was answered by %q: %v", method, path, name, r.served, r)
	}
	return r
}

// want fails unless r has status.
func (c *cluster) want(t *testing.T, r reply, status int, what string) {
	t.Helper()
	if r.status != status {
		c.fatalf(t, "%s: got %v, want %d", what, r, status)
	}
}

// decode reads r's JSON body into v.
func (c *cluster) decode(t *testing.T, r reply, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		c.fatalf(t, "decode %v: %v", r, err)
	}
}

// retryAfter is r's Retry-After in seconds, 0 when absent or not a positive number.
func retryAfter(r reply) int {
	n, err := strconv.Atoi(r.header.Get("Retry-After"))
	if err != nil || n < 1 {
		return 0
	}
	return n
}

var userSeq int

// user registers a new account through the balancer and returns its access token.
func (c *cluster) user(t *testing.T) (email, token string) {
	t.Helper()
	userSeq++
	email = fmt.Sprintf("scale-%d-%s@example.com", userSeq, randomHex(3))
	creds := fmt.Sprintf(`{"email":%q,"password":"SecurePass123"}`, email)
	c.want(t, c.do(t, "POST", "/users/register", "", creds), 200, "register")
	r := c.do(t, "POST", "/users/login", "", creds)
	c.want(t, r, 200, "login")
	var v struct {
		AccessToken string `json:"access_token"`
	}
	c.decode(t, r, &v)
	return email, v.AccessToken
}

func (c *cluster) project(t *testing.T, token string) int64 {
	t.Helper()
	r := c.do(t, "POST", "/projects", token, `{"name":"Scale bot"}`)
	c.want(t, r, 201, "create project")
	var v struct{ ID int64 }
	c.decode(t, r, &v)
	return v.ID
}

// key makes a secret project key with scopes and an optional rate (0: the server's).
func (c *cluster) key(t *testing.T, token string, pid int64, rate int, scopes ...string) (id int64, secret string) {
	t.Helper()
	body := map[string]any{"name": "scale key", "kind": "secret", "scopes": scopes}
	if rate > 0 {
		body["rate_limit_per_minute"] = rate
	}
	b, _ := json.Marshal(body)
	r := c.do(t, "POST", fmt.Sprintf("/projects/%d/keys", pid), token, string(b))
	c.want(t, r, 201, "create key")
	var v struct {
		ID  int64
		Key string
	}
	c.decode(t, r, &v)
	return v.ID, v.Key
}

func chatBody(pid int64, message string, conversationID int64) string {
	b := map[string]any{"message": message}
	if pid != 0 {
		b["project_id"] = pid
	}
	if conversationID != 0 {
		b["conversation_id"] = conversationID
	}
	out, _ := json.Marshal(b)
	return string(out)
}

// stored counts the user messages with this text and the replies to it, in the database itself.
func (c *cluster) stored(t *testing.T, message string) (asked, answered int) {
	t.Helper()
	err := c.db.QueryRow(context.Background(),
		`SELECT count(*) FILTER (WHERE role = 'user' AND content = $1), count(*) FILTER (WHERE role = 'assistant' AND content = $2) FROM messages`,
		message, "Echo: "+message).Scan(&asked, &answered)
	if err != nil {
		c.fatalf(t, "count stored messages: %v", err)
	}
	return asked, answered
}

// servedBy lists who answered rs, for messages.
func servedBy(rs []reply) string {
	var out []string
	for _, r := range rs {
		out = append(out, fmt.Sprintf("%d@%s", r.status, r.served))
	}
	return strings.Join(out, " ")
}

func TestScaleOut(t *testing.T) {
	if os.Getenv("SCALE_TEST") != "1" {
		t.Skip("scale-out test: run make test-scale (SCALE_TEST=1); needs PostgreSQL, Redis and HAProxy")
	}
	began := time.Now()
	c := startCluster(t)
	t.Logf("two instances started together on an empty database, HAProxy up: %v", time.Since(began).Round(time.Millisecond))
	phase := func(name string, f func(t *testing.T)) {
		start := time.Now()
		ok := t.Run(name, f)
		t.Logf("%-45s %6.1fs", name, time.Since(start).Seconds())
		if !ok {
			t.FailNow() // later phases build on earlier ones (and the last kills an instance)
		}
	}
	_, owner := c.user(t)
	pid := c.project(t, owner)

	phase("CredentialsWorkOnBothInstances", func(t *testing.T) {
		_, key := c.key(t, owner, pid, 0, "chat", "read")
		for _, name := range []string{"a", "b"} {
			c.want(t, c.on(t, name, "GET", "/users/me", owner, ""), 200, "bearer token on "+name)
			c.want(t, c.on(t, name, "GET", fmt.Sprintf("/projects/%d", pid), key, ""), 200, "project key on "+name)
			c.want(t, c.on(t, name, "POST", "/chat", key, chatBody(0, "hello from the key via "+name, 0)), 200, "chat with the key on "+name)
		}
		var rs []reply
		for range 6 {
			rs = append(rs, c.do(t, "GET", "/users/me", owner, ""))
		}
		if got := servedBy(rs); !strings.Contains(got, "@a") || !strings.Contains(got, "@b") {
			c.fatalf(t, "round robin did not spread requests over both instances: %s", got)
		}
	})

	phase("RateLimitsAreCountedOnceAcrossInstances", func(t *testing.T) {
		const limit = 6
		_, key := c.key(t, owner, pid, limit, "read")
		var rs []reply
		for range 2 * limit {
			rs = append(rs, c.do(t, "GET", fmt.Sprintf("/projects/%d", pid), key, ""))
		}
		for i, r := range rs {
			want := 200
			if i >= limit {
				want = 429
			}
			if r.status != want || (want == 429 && retryAfter(r) == 0) {
				c.fatalf(t, "key limited at %d a minute: request %d answered %v, want %d (with Retry-After when 429); all: %s", limit, i+1, r, want, servedBy(rs))
			}
		}
		if ok, refused := servedBy(rs[:limit]), servedBy(rs[limit:]); !strings.Contains(ok, "@a") || !strings.Contains(ok, "@b") ||
			!strings.Contains(refused, "@a") || !strings.Contains(refused, "@b") {
			c.fatalf(t, "both instances should have allowed and refused: %s", servedBy(rs))
		}

		// The login throttle per account (RATE_LIMIT_LOGIN_EMAIL=5) goes through the same limiter.
		email := fmt.Sprintf("throttle-%s@example.com", randomHex(3))
		creds := fmt.Sprintf(`{"email":%q,"password":"SecurePass123"}`, email)
		c.want(t, c.do(t, "POST", "/users/register", "", creds), 200, "register")
		rs = nil
		for range 7 {
			rs = append(rs, c.do(t, "POST", "/users/login", "", creds))
		}
		if got := servedBy(rs); !strings.HasPrefix(got, "200@a 200@b 200@a 200@b 200@a 429@b 429@a") &&
			!strings.HasPrefix(got, "200@b 200@a 200@b 200@a 200@b 429@a 429@b") {
			c.fatalf(t, "logins of one account with RATE_LIMIT_LOGIN_EMAIL=5: want five 200s then 429s, alternating instances; got %s", got)
		}
	})

	phase("CapsAndBudgetsAreCountedOnceAcrossInstances", func(t *testing.T) {
		// MAX_PROJECTS_PER_USER=3, eight creates at once spread over both instances.
		_, tok := c.user(t)
		var mu sync.Mutex
		var rs []reply
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() {
				r := c.do(t, "POST", "/projects", tok, fmt.Sprintf(`{"name":"p%d"}`, i))
				mu.Lock()
				rs = append(rs, r)
				mu.Unlock()
			})
		}
		wg.Wait()
		created := 0
		for _, r := range rs {
			switch r.status {
			case 201:
				created++
			case 400:
			default:
				c.fatalf(t, "concurrent create: %v", r)
			}
		}
		if created != 3 || !strings.Contains(servedBy(rs), "@a") || !strings.Contains(servedBy(rs), "@b") {
			c.fatalf(t, "MAX_PROJECTS_PER_USER=3 with creates on both instances: %d created (%s)", created, servedBy(rs))
		}

		// A monthly token budget of three calls' worth: two more calls pass, whichever instance, then 429.
		bpid := c.project(t, owner)
		msg := "How many tokens does this cost?"
		c.want(t, c.on(t, "a", "POST", "/chat", owner, chatBody(bpid, msg, 0)), 200, "first chat")
		var b struct {
			SpentTokens int64 `json:"spent_tokens"`
		}
		c.decode(t, c.on(t, "b", "GET", fmt.Sprintf("/projects/%d/budget", bpid), owner, ""), &b)
		if b.SpentTokens <= 0 {
			c.fatalf(t, "spent_tokens %d after a chat", b.SpentTokens)
		}
		c.want(t, c.on(t, "a", "PUT", fmt.Sprintf("/projects/%d/budget", bpid), owner, fmt.Sprintf(`{"monthly_tokens":%d}`, 3*b.SpentTokens)), 200, "set budget")
		rs = nil
		for _, name := range []string{"b", "a", "b", "a"} {
			rs = append(rs, c.on(t, name, "POST", "/chat", owner, chatBody(bpid, msg, 0)))
		}
		if got := servedBy(rs); got != "200@b 200@a 429@b 429@a" || retryAfter(rs[2]) == 0 {
			c.fatalf(t, "budget of %d tokens (%d a call, one spent): got %s, want 200@b 200@a 429@b 429@a with Retry-After; %v",
				3*b.SpentTokens, b.SpentTokens, got, rs[2])
		}
	})

	phase("ConversationContinuesOnTheOtherInstance", func(t *testing.T) {
		r := c.on(t, "a", "POST", "/chat", owner, chatBody(pid, "My name is Ada, please remember it", 0))
		c.want(t, r, 200, "first turn on a")
		var first struct {
			ConversationID int64 `json:"conversation_id"`
		}
		c.decode(t, r, &first)
		r = c.on(t, "b", "POST", "/chat", owner, chatBody(pid, "What is my name?", first.ConversationID))
		c.want(t, r, 200, "second turn on b")
		calls := c.fake.RequestsTo(fakeopenai.Responses)
		last := calls[len(calls)-1].Responses
		var got []string
		for _, m := range last.Input {
			if m.Role == "system" || m.Role == "developer" { // the project's prompts
				continue
			}
			got = append(got, m.Role+": "+m.Content)
		}
		want := []string{"user: My name is Ada, please remember it", "assistant: Echo: My name is Ada, please remember it", "user: What is my name?"}
		if !slices.Equal(got, want) {
			c.fatalf(t, "the upstream received, for the turn on b:\n  %s\nwant the history from a:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
		}
		var conv struct {
			Messages []struct{ Role, Content string }
		}
		c.decode(t, c.on(t, "a", "GET", fmt.Sprintf("/conversations/%d", first.ConversationID), owner, ""), &conv)
		if len(conv.Messages) != 4 {
			c.fatalf(t, "the conversation on a after a turn on b has %d messages, want 4: %+v", len(conv.Messages), conv.Messages)
		}
	})

	phase("StreamsArriveEventByEventThroughTheBalancer", func(t *testing.T) {
		const message = "one two three four five six seven eight nine ten eleven twelve"
		for _, name := range []string{"a", "b"} {
			req, _ := http.NewRequest("POST", c.lb.url+"/chat/stream", strings.NewReader(chatBody(pid, message, 0)))
			req.Header.Set("Authorization", "Bearer "+owner)
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set(pinHeader, name)
			start := time.Now()
			res, err := c.api.HTTP.Do(req)
			if err != nil {
				c.fatalf(t, "stream on %s: %v", name, err)
			}
			if res.StatusCode != 200 || res.Header.Get(servedHeader) != name || res.Header.Get("X-Accel-Buffering") != "no" ||
				!strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
				res.Body.Close()
				c.fatalf(t, "stream on %s: %d from %q, Content-Type %q, X-Accel-Buffering %q", name, res.StatusCode,
					res.Header.Get(servedHeader), res.Header.Get("Content-Type"), res.Header.Get("X-Accel-Buffering"))
			}
			var names []string
			var deltas []time.Duration
			sc := bufio.NewScanner(res.Body)
			event := ""
			for sc.Scan() {
				line := sc.Text()
				if e, ok := strings.CutPrefix(line, "event: "); ok {
					event = e
				}
				if line == "" && event != "" {
					names = append(names, event)
					if event == "delta" {
						deltas = append(deltas, time.Since(start))
					}
					event = ""
				}
			}
			res.Body.Close()
			if len(names) < 3 || names[0] != "start" || names[len(names)-1] != "done" || len(deltas) < 10 {
				c.fatalf(t, "stream on %s: events %v", name, names)
			}
			// The fake sends a delta every 40 ms: they must arrive spread out, not in one burst at the end.
			spread := deltas[len(deltas)-1] - deltas[0]
			gaps := 0
			for i := 1; i < len(deltas); i++ {
				if deltas[i]-deltas[i-1] >= 20*time.Millisecond {
					gaps++
				}
			}
			if spread < 250*time.Millisecond || gaps < len(deltas)/2 {
				c.fatalf(t, "stream on %s arrived in a burst: %d deltas within %v, %d gaps of 20 ms or more; arrivals %v", name, len(deltas), spread, gaps, deltas)
			}
			t.Logf("stream on %s: %d deltas arrived over %v (first at %v), %d of %d gaps >= 20 ms", name, len(deltas),
				spread.Round(time.Millisecond), deltas[0].Round(time.Millisecond), gaps, len(deltas)-1)
		}
	})

	phase("WebhookEventsDeliveredOnce", func(t *testing.T) {
		var mu sync.Mutex
		seen := map[string]int{} // webhook-id -> deliveries
		receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body)
			mu.Lock()
			seen[r.Header.Get("webhook-id")]++
			mu.Unlock()
		}))
		defer receiver.Close()
		hookPID := c.project(t, owner)
		c.want(t, c.do(t, "POST", fmt.Sprintf("/projects/%d/webhooks", hookPID), owner,
			fmt.Sprintf(`{"url":%q,"events":["message.completed"]}`, receiver.URL)), 201, "create webhook")
		const chats = 12
		served := map[string]int{}
		for i := range chats {
			r := c.do(t, "POST", "/chat", owner, fmt.Sprintf(`{"project_id":%d,"message":"webhook %d"}`, hookPID, i))
			c.want(t, r, 200, "chat")
			served[r.served]++
		}
		deadline := time.Now().Add(20 * time.Second)
		for {
			mu.Lock()
			n := len(seen)
			mu.Unlock()
			if n >= chats || time.Now().After(deadline) {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		time.Sleep(2 * time.Second) // a second delivery of any event would arrive by now
		mu.Lock()
		defer mu.Unlock()
		if len(seen) != chats {
			c.fatalf(t, "%d distinct events delivered for %d chats (served %v)", len(seen), chats, served)
		}
		for id, n := range seen {
			if n != 1 {
				c.fatalf(t, "event %s delivered %d times", id, n)
			}
		}
		t.Logf("webhooks: %d chats served %v, %d events each delivered once", chats, served, len(seen))
	})

	phase("RevokedKeyFailsOnBothInstancesAtOnce", func(t *testing.T) {
		for _, order := range [][2]string{{"a", "b"}, {"b", "a"}} {
			id, key := c.key(t, owner, pid, 0, "read")
			path := fmt.Sprintf("/projects/%d", pid)
			c.want(t, c.on(t, "a", "GET", path, key, ""), 200, "key on a")
			c.want(t, c.on(t, "b", "GET", path, key, ""), 200, "key on b")
			c.want(t, c.on(t, order[0], "DELETE", fmt.Sprintf("/projects/keys/%d", id), owner, ""), 204, "revoke on "+order[0])
			c.want(t, c.on(t, order[1], "GET", path, key, ""), 401, "the revoked key's next request, on "+order[1])
			c.want(t, c.on(t, order[0], "GET", path, key, ""), 401, "the revoked key on "+order[0])
		}
	})

	phase("DatabaseUnreachable", func(t *testing.T) { testDatabaseDown(t, c, owner, pid) })
	phase("RedisRefusingConnections", func(t *testing.T) { testRedisDown(t, c, owner, pid, refuse) })
	phase("RedisHung", func(t *testing.T) { testRedisDown(t, c, owner, pid, hang) })
	phase("InstanceKilledUnderLoadLosesNoAcknowledgedMessage", func(t *testing.T) { testKill(t, c, owner, pid) })
	t.Logf("whole run: %v", time.Since(began).Round(time.Millisecond))
}

// chatLoad sends chats with an Idempotency-Key each from workers until stop is closed (or, with
// perWorker > 0, that many messages each), retrying each failed message with its key up to retryFor.
type chatLoad struct {
	mu       sync.Mutex
	attempts []attempt
	acked    []string          // messages answered 200
	final    map[string]reply  // each message's last answer
	errs     map[string]string // transport errors by message
}

type attempt struct {
	message string
	try     int
	r       reply
	err     error
}

func (c *cluster) runLoad(token string, pid int64, prefix string, workers, perWorker int, pause, retryFor time.Duration, stop <-chan struct{}) *chatLoad {
	l := &chatLoad{final: map[string]reply{}, errs: map[string]string{}}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for m := 0; perWorker == 0 || m < perWorker; m++ {
				select {
				case <-stop:
					return
				default:
				}
				msg := fmt.Sprintf("%s w%d m%d %s", prefix, w, m, randomHex(3))
				key := "idem-" + randomHex(8)
				deadline := time.Now().Add(retryFor)
				for try := 1; ; try++ {
					r, err := c.send(false, "POST", "/chat", token, chatBody(pid, msg, 0), "Idempotency-Key", key)
					l.mu.Lock()
					l.attempts = append(l.attempts, attempt{msg, try, r, err})
					l.final[msg] = r
					if err != nil {
						l.errs[msg] = err.Error()
					}
					if r.status == 200 {
						l.acked = append(l.acked, msg)
					}
					l.mu.Unlock()
					if r.status == 200 || time.Now().After(deadline) {
						break
					}
					if r.status == 409 { // the key is held (by a running or a dead request): ask less often
						time.Sleep(time.Second)
					} else {
						time.Sleep(400 * time.Millisecond)
					}
				}
				time.Sleep(pause)
			}
		})
	}
	wg.Wait()
	return l
}

// statuses counts final answers by status (0: a transport error).
func (l *chatLoad) statuses() map[int]int {
	out := map[int]int{}
	for _, r := range l.final {
		out[r.status]++
	}
	return out
}

// checkStored fails unless every acknowledged message is in the database exactly once, with its reply.
func (c *cluster) checkStored(t *testing.T, l *chatLoad) {
	t.Helper()
	for _, msg := range l.acked {
		asked, answered := c.stored(t, msg)
		if asked != 1 || answered != 1 {
			c.fatalf(t, "acknowledged message %q is stored %d times with %d replies, want once with its reply", msg, asked, answered)
		}
	}
}

func testDatabaseDown(t *testing.T, c *cluster, owner string, pid int64) {
	r := c.on(t, "a", "POST", "/chat", owner, chatBody(pid, "said before the outage", 0))
	c.want(t, r, 200, "chat before the outage")
	var before struct {
		ConversationID int64 `json:"conversation_id"`
	}
	c.decode(t, r, &before)

	stop := make(chan struct{})
	loadDone := make(chan *chatLoad)
	go func() { loadDone <- c.runLoad(owner, pid, "db outage", 3, 0, 100*time.Millisecond, 0, stop) }()
	time.Sleep(700 * time.Millisecond)

	c.dbProxy.set(t, refuse)
	cut := time.Now()
	// Each instance, asked directly, answers 503 with Retry-After, quickly.
	for _, name := range []string{"a", "b"} {
		for _, req := range [][3]string{{"GET", "/projects", ""}, {"POST", "/chat", chatBody(pid, "during the outage", 0)}} {
			hreq, _ := http.NewRequest(req[0], "http://"+c.inst[name].addr+req[1], strings.NewReader(req[2]))
			hreq.Header.Set("Authorization", "Bearer "+owner)
			hreq.Header.Set("Content-Type", "application/json")
			start := time.Now()
			res, err := c.raw.Do(hreq)
			if err != nil {
				c.fatalf(t, "instance %s directly, %s %s: %v", name, req[0], req[1], err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != 503 || res.Header.Get("Retry-After") == "" || !strings.Contains(string(body), `"detail"`) || time.Since(start) > 6*time.Second {
				c.fatalf(t, "instance %s with the database cut, %s %s: %d Retry-After %q in %v: %s", name, req[0], req[1],
					res.StatusCode, res.Header.Get("Retry-After"), time.Since(start), body)
			}
		}
	}
	// Through the balancer: 503 with Retry-After, first from the instances, then from HAProxy itself.
	c.waitServers(t, "DOWN", "DOWN", 10*time.Second)
	t.Logf("database cut: HAProxy took both instances out %v after the cut", time.Since(cut).Round(time.Millisecond))
	r, err := c.send(false, "GET", "/projects", owner, "")
	if err != nil || r.status != 503 || r.served != "" || retryAfter(r) != 5 || !strings.Contains(string(r.body), `"detail"`) {
		c.fatalf(t, "with both instances out, HAProxy should answer 503 itself with Retry-After 5 and a detail: %v (err %v)", r, err)
	}

	c.dbProxy.set(t, pass)
	up := c.waitServers(t, "UP", "UP", 20*time.Second)
	t.Logf("database back: HAProxy put both instances back after %v, without a restart", up.Round(time.Millisecond))
	for _, name := range []string{"a", "b"} {
		c.want(t, c.on(t, name, "GET", "/projects", owner, ""), 200, "after the outage on "+name)
		c.want(t, c.on(t, name, "POST", "/chat", owner, chatBody(pid, "after the outage via "+name, 0)), 200, "chat after the outage on "+name)
	}
	time.Sleep(500 * time.Millisecond)
	close(stop)
	l := <-loadDone

	var conv struct {
		Messages []struct{ Role, Content string }
	}
	c.decode(t, c.on(t, "b", "GET", fmt.Sprintf("/conversations/%d", before.ConversationID), owner, ""), &conv)
	if len(conv.Messages) != 2 {
		c.fatalf(t, "the conversation from before the outage has %d messages, want 2", len(conv.Messages))
	}
	for _, a := range l.attempts {
		if a.err != nil || (a.r.status != 200 && a.r.status != 503) || (a.r.status == 503 && retryAfter(a.r) == 0) {
			c.fatalf(t, "a chat across the outage answered %v (err %v): want 200, or 503 with Retry-After", a.r, a.err)
		}
	}
	c.checkStored(t, l)
	t.Logf("chats across the outage: %d sent, final statuses %v; all %d acknowledged are stored once", len(l.final), l.statuses(), len(l.acked))
}

// count is how many lines of in's log contain s.
func (in *instance) count(s string) int { return strings.Count(in.logs.String(), s) }

const (
	redisOutage = "rate limiter: Redis outage"
	redisBack   = "rate limiter: Redis is back"
)

func testRedisDown(t *testing.T, c *cluster, owner string, pid int64, mode proxyMode) {
	outages := map[string]int{"a": c.inst["a"].count(redisOutage), "b": c.inst["b"].count(redisOutage)}
	backs := map[string]int{"a": c.inst["a"].count(redisBack), "b": c.inst["b"].count(redisBack)}
	c.redisProxy.set(t, mode)
	path := fmt.Sprintf("/projects/%d", pid)

	// Requests keep working, and quickly: a Redis call has a 100 ms deadline, then a breaker skips it.
	var slowest time.Duration
	var rs []reply
	for range 20 {
		r := c.do(t, "GET", path, owner, "")
		c.want(t, r, 200, "a request while Redis is away")
		slowest = max(slowest, r.took)
		rs = append(rs, r)
	}
	if slowest > time.Second || !strings.Contains(servedBy(rs), "@a") || !strings.Contains(servedBy(rs), "@b") {
		c.fatalf(t, "requests while Redis is away: slowest %v (want under 1 s), served %s", slowest, servedBy(rs))
	}
	// Limits still hold, per instance (README: each instance limits on its own, in memory, meanwhile).
	_, key := c.key(t, owner, pid, 4, "read")
	for _, name := range []string{"a", "b"} {
		var got []reply
		for range 6 {
			got = append(got, c.on(t, name, "GET", path, key, ""))
		}
		if s := servedBy(got); s != strings.Repeat("200@"+name+" ", 4)+"429@"+name+" 429@"+name {
			c.fatalf(t, "a key limited at 4 a minute, on %s alone while Redis is away: %s", name, s)
		}
	}
	for _, name := range []string{"a", "b"} {
		if n := c.inst[name].count(redisOutage); n != outages[name]+1 {
			c.fatalf(t, "instance %s logged the Redis outage %d times, want once", name, n-outages[name])
		}
	}

	c.redisProxy.set(t, pass)
	back := time.Now()
	for _, name := range []string{"a", "b"} {
		for c.inst[name].count(redisBack) == backs[name] {
			if time.Since(back) > 15*time.Second {
				c.fatalf(t, "instance %s did not use Redis again within 15 s of its return", name)
			}
			c.on(t, name, "GET", path, owner, "")
			time.Sleep(200 * time.Millisecond)
		}
	}
	t.Logf("Redis back: both instances share limits again after %v (the breaker retries every 5 s), slowest request meanwhile %v",
		time.Since(back).Round(time.Millisecond), slowest.Round(time.Millisecond))
	// Shared again: one budget of 4 across both instances.
	_, key = c.key(t, owner, pid, 4, "read")
	rs = nil
	for range 8 {
		rs = append(rs, c.do(t, "GET", path, key, ""))
	}
	ok := 0
	for _, r := range rs {
		if r.status == 200 {
			ok++
		}
	}
	if ok != 4 {
		c.fatalf(t, "after Redis came back, a key limited at 4 a minute got %d answers across both instances: %s", ok, servedBy(rs))
	}
}

// redispatch matches an HAProxy httplog line of a request retried on a after another server failed.
var redispatch = regexp.MustCompile(` chatbot/a .* \d+/\d+/\d+/\d+/\+\d+ `)

func testKill(t *testing.T, c *cluster, owner string, pid int64) {
	// Each upstream call takes 300 ms, so many chats are in flight on each instance when one dies.
	c.fake.Fail(fakeopenai.Responses, 1000, fakeopenai.Slow(300*time.Millisecond))
	defer c.fake.ClearFaults()
	const workers, perWorker = 12, 6
	loadDone := make(chan *chatLoad)
	go func() {
		// Retried for longer than chat.ClaimLease: a key claimed by the dead instance is free after it.
		loadDone <- c.runLoad(owner, pid, "kill", workers, perWorker, 50*time.Millisecond, chat.ClaimLease+15*time.Second, nil)
	}()
	time.Sleep(1200 * time.Millisecond)
	killed := time.Now()
	c.inst["b"].kill()
	down := c.waitServers(t, "UP", "DOWN", 10*time.Second)
	t.Logf("instance b killed (SIGKILL); HAProxy marked it DOWN after %v", down.Round(time.Millisecond))
	l := <-loadDone

	// Every answer that came after the kill came from the survivor.
	var retries, retriesOnA, fromB, beforeKill int
	hist := map[string]int{}
	for _, a := range l.attempts {
		key := strconv.Itoa(a.r.status)
		if a.err != nil {
			key = "error"
		}
		hist[key+"@"+a.r.served]++
		if a.r.at.Before(killed) {
			beforeKill++
			continue
		}
		if a.r.served == "b" && a.r.at.After(killed.Add(50*time.Millisecond)) {
			fromB++
		}
		if a.try > 1 {
			retries++
			if a.r.served == "a" {
				retriesOnA++
			}
		}
	}
	if fromB > 0 {
		c.fatalf(t, "%d answers came from the killed instance b after its death", fromB)
	}
	if retries != retriesOnA {
		c.fatalf(t, "%d retries after the kill, only %d answered by the survivor a: %v", retries, retriesOnA, hist)
	}
	c.checkStored(t, l)
	// HAProxy sent again, to a, what b never answered (httplog: retries "+N" = redispatched).
	redispatched := 0
	for _, line := range strings.Split(c.lb.logs.String(), "\n") {
		if redispatch.MatchString(line) {
			redispatched++
		}
	}
	if redispatched+retries == 0 {
		c.fatalf(t, "the kill hit no request in flight: nothing was retried (%v)", hist)
	}

	// Every message was acknowledged in the end; those in flight on b when it died answered 409 (their
	// key held by b's claim) until the claim's lease ran out, then ran on a.
	var held []string
	for msg, r := range l.final {
		if r.status != 200 {
			c.fatalf(t, "message %q was never acknowledged: last answer %v (error %q)", msg, r, l.errs[msg])
		}
	}
	var lastHeld time.Time
	for _, a := range l.attempts {
		if a.r.status == 409 {
			if !slices.Contains(held, a.message) {
				held = append(held, a.message)
			}
			lastHeld = a.r.at
		}
	}
	t.Logf("kill under load: %d messages, all acknowledged and stored once; %d attempts (%d answered before the kill); "+
		"HAProxy redispatched %d requests to a; %d retries by the client after the kill, all answered by a; answers by status@server: %v",
		len(l.final), len(l.attempts), beforeKill, redispatched, retries, hist)
	if len(held) > 0 {
		t.Logf("%d messages in flight on b when it died answered 409 until %v after the kill (chat.ClaimLease %v), then ran on a",
			len(held), lastHeld.Sub(killed).Round(time.Millisecond), chat.ClaimLease)
	}

	// The killed instance comes back and HAProxy sends it traffic again.
	restart := time.Now()
	c.start(t, c.inst["b"])
	if t.Failed() {
		t.FailNow()
	}
	c.waitServers(t, "UP", "UP", 15*time.Second)
	c.want(t, c.on(t, "b", "GET", "/users/me", owner, ""), 200, "the restarted b")
	t.Logf("instance b restarted and back in HAProxy after %v", time.Since(restart).Round(time.Millisecond))
}

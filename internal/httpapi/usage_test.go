package httpapi_test

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatbot-platform/chatbot/internal/apitest"
	"github.com/chatbot-platform/chatbot/internal/fakeopenai"
)

type usageReport struct {
	Totals struct {
		Requests, Errors int64
		InputTokens      int64   `json:"input_tokens"`
		OutputTokens     int64   `json:"output_tokens"`
		TotalTokens      int64   `json:"total_tokens"`
		CostUsd          float64 `json:"cost_usd"`
	}
	Series []struct {
		Group, Label     string
		Requests, Errors int64
		TotalTokens      int64   `json:"total_tokens"`
		CostUsd          float64 `json:"cost_usd"`
	}
}

func getUsage(t *testing.T, s *apitest.Server, token string, pid int64, query string) usageReport {
	t.Helper()
	r := s.Do(t, "GET", fmt.Sprintf("/projects/%d/usage%s", pid, query), token, "")
	wantStatus(t, r, 200, "")
	return decode[usageReport](t, r)
}

func TestUsage_LedgerRecordsEveryCallAndReportsIt(t *testing.T) {
	eachEngineWithUpstream(t, nil, func(t *testing.T, s *apitest.Server, fake *fakeopenai.Server) {
		_, owner := s.NewUser(t)
		pid := newProject(t, s, owner, `{"name":"p"}`)
		key := newKey(t, s, owner, pid, `{"name":"backend","kind":"secret","scopes":["chat","read"]}`)

		wantStatus(t, s.Do(t, "POST", "/chat", owner, chatBody(pid, "owner asks", 0)), 200, "")
		wantStatus(t, s.Do(t, "POST", "/chat", key.Key, `{"message":"ann asks","user":"ann"}`), 200, "")
		wantStatus(t, s.Do(t, "POST", "/chat/stream", key.Key, `{"message":"bo streams","user":"bo"}`), 200, "")
		wantStatus(t, s.Do(t, "POST", "/v1/chat/completions", key.Key, `{"model":"x","messages":[{"role":"user","content":"sdk asks"}],"user":"ann"}`), 200, "")
		fake.Fail(fakeopenai.Responses, 1, fakeopenai.APIError(401, "invalid_request_error", "invalid_api_key", "bad key"))
		wantStatus(t, s.Do(t, "POST", "/chat", owner, chatBody(pid, "fails upstream", 0)), 502, "")

		all := getUsage(t, s, owner, pid, "")
		if all.Totals.Requests != 5 || all.Totals.Errors != 1 || all.Totals.InputTokens == 0 || all.Totals.OutputTokens == 0 ||
			all.Totals.TotalTokens != all.Totals.InputTokens+all.Totals.OutputTokens || all.Totals.CostUsd <= 0 {
			t.Fatalf("totals %+v", all.Totals)
		}
		byKey := getUsage(t, s, owner, pid, "?group_by=key")
		got := map[string]int64{}
		for _, g := range byKey.Series {
			got[g.Label] = g.Requests
		}
		if got["owner"] != 2 || got["backend"] != 3 {
			t.Fatalf("by key %+v", byKey.Series)
		}
		byUser := getUsage(t, s, key.Key, pid, "?group_by=end_user") // a read key sees its project's usage
		users := map[string]int64{}
		for _, g := range byUser.Series {
			users[g.Group] = g.Requests
		}
		if users["ann"] != 2 || users["bo"] != 1 || users[""] != 2 {
			t.Fatalf("by end user %+v", byUser.Series)
		}
		byModel := getUsage(t, s, owner, pid, "?group_by=model")
		if len(byModel.Series) != 1 || byModel.Series[0].Group != "gpt-4o-mini" {
			t.Fatalf("by model %+v", byModel.Series)
		}
		byDay := getUsage(t, s, owner, pid, "?group_by=day")
		if len(byDay.Series) != 1 || byDay.Series[0].Group != time.Now().UTC().Format("2006-01-02") {
			t.Fatalf("by day %+v", byDay.Series)
		}
		if r := getUsage(t, s, owner, pid, "?from=2001-01-01T00:00:00Z&to=2001-02-01T00:00:00Z"); r.Totals.Requests != 0 {
			t.Fatalf("an empty range has %+v", r.Totals)
		}

		r := s.Do(t, "GET", fmt.Sprintf("/projects/%d/usage?group_by=key", pid), owner, "", "Accept", "text/csv")
		wantStatus(t, r, 200, "")
		rows, err := csv.NewReader(strings.NewReader(string(r.Body))).ReadAll()
		if err != nil || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") || len(rows) != 4 ||
			strings.Join(rows[0][:3], ",") != "key,label,requests" || rows[3][0] != "total" || rows[3][2] != "5" {
			t.Fatalf("csv %v %q", err, r.Body)
		}

		for _, q := range []string{"?group_by=week", "?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z", "?from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z", "?from=yesterday"} {
			wantStatus(t, s.Do(t, "GET", fmt.Sprintf("/projects/%d/usage%s", pid, q), owner, ""), 400, "")
		}
		_, bob := s.NewUser(t)
		wantStatus(t, s.Do(t, "GET", fmt.Sprintf("/projects/%d/usage", pid), bob, ""), 404, "project not found")
		chatOnly := newKey(t, s, owner, pid, `{"name":"c","kind":"secret"}`)
		wantStatus(t, s.Do(t, "GET", fmt.Sprintf("/projects/%d/usage", pid), chatOnly.Key, ""), 403, "read")
	})
}

func TestBudgets_SpentBudgetsRefuseBeforeTheUpstream(t *testing.T) {
	eachEngineWithUpstream(t, nil, func(t *testing.T, s *apitest.Server, fake *fakeopenai.Server) {
		_, owner := s.NewUser(t)
		pid := newProject(t, s, owner, `{"name":"p"}`)
		upstreamCalls := func() int { return len(fake.RequestsTo(fakeopenai.Responses)) }

		// A project budget set after some spend counts that spend: the month's ledger seeds it.
		wantStatus(t, s.Do(t, "POST", "/chat", owner, chatBody(pid, "before the budget", 0)), 200, "")
		b := decode[map[string]any](t, s.Do(t, "PUT", fmt.Sprintf("/projects/%d/budget", pid), owner, `{"monthly_tokens":5}`))
		if b["monthly_tokens"] != 5.0 || b["spent_tokens"].(float64) <= 5 || b["monthly_usd"] != nil || b["resets_at"] == nil {
			t.Fatalf("budget %v", b)
		}
		before := upstreamCalls()
		r := s.Do(t, "POST", "/chat", owner, chatBody(pid, "over budget", 0))
		wantStatus(t, r, 429, "project's monthly budget (5 tokens) is spent: it resets at")
		if r.Header.Get("Retry-After") == "" {
			t.Fatal("no Retry-After on a spent budget")
		}
		wantStatus(t, s.Do(t, "POST", "/chat/stream", owner, chatBody(pid, "over budget", 0)), 429, "monthly budget")
		key := newKey(t, s, owner, pid, `{"name":"k","kind":"secret"}`)
		oa := s.Do(t, "POST", "/v1/chat/completions", key.Key, `{"messages":[{"role":"user","content":"hi"}]}`)
		if oa.StatusCode != 429 || !strings.Contains(string(oa.Body), `"rate_limit_error"`) {
			t.Fatalf("completion over budget: %d %s", oa.StatusCode, oa.Body)
		}
		if upstreamCalls() != before {
			t.Fatalf("the upstream was called %d times over budget", upstreamCalls()-before)
		}
		if u := getUsage(t, s, owner, pid, ""); u.Totals.Errors != 3 {
			t.Fatalf("refusals in the ledger: %+v", u.Totals)
		}
		wantStatus(t, s.Do(t, "PUT", fmt.Sprintf("/projects/%d/budget", pid), owner, `{"monthly_tokens":null,"monthly_usd":1000}`), 200, "")
		r = s.Do(t, "POST", "/chat", owner, chatBody(pid, "back within budget", 0))
		wantStatus(t, r, 200, "")
		if !strings.HasSuffix(r.Header.Get("X-Budget-Remaining"), "USD project") {
			t.Fatalf("X-Budget-Remaining %q", r.Header.Get("X-Budget-Remaining"))
		}
		wantStatus(t, s.Do(t, "PUT", fmt.Sprintf("/projects/%d/budget", pid), owner, `{"monthly_usd":-1}`), 400, "monthly_usd")
		wantStatus(t, s.Do(t, "PUT", fmt.Sprintf("/projects/%d/budget", pid), key.Key, `{}`), 403, "")
	})
}

func TestBudgets_KeyAndEndUserBudgets(t *testing.T) {
	eachEngineWithUpstream(t, nil, func(t *testing.T, s *apitest.Server, fake *fakeopenai.Server) {
		_, owner := s.NewUser(t)
		pid := newProject(t, s, owner, `{"name":"p"}`)
		perUser := newKey(t, s, owner, pid, `{"name":"per-user","kind":"secret","end_user_daily_tokens":5}`)
		chat := func(key, user string) apitest.Response {
			return s.Do(t, "POST", "/chat", key, fmt.Sprintf(`{"message":"hello","user":%q}`, user))
		}
		wantStatus(t, chat(perUser.Key, "ann"), 200, "")
		wantStatus(t, chat(perUser.Key, "ann"), 429, "end user's daily budget (5 tokens)")
		r := chat(perUser.Key, "bo")
		wantStatus(t, r, 200, "")
		if h := r.Header.Get("X-Budget-Remaining"); h != "5 tokens end_user_daily" {
			t.Fatalf("X-Budget-Remaining %q", h)
		}

		keyBudget := newKey(t, s, owner, pid, `{"name":"capped","kind":"secret","budget_monthly_usd":0.000001}`)
		wantStatus(t, chat(keyBudget.Key, "x"), 200, "")
		wantStatus(t, chat(keyBudget.Key, "y"), 429, "key's monthly budget ($0.00)")
		wantStatus(t, chat(perUser.Key, "cy"), 200, "") // another key's budget is its own

		// Clearing a key's budget with PATCH null lets it chat again.
		up := decode[map[string]any](t, s.Do(t, "PATCH", fmt.Sprintf("/projects/keys/%d", keyBudget.ID), owner, `{"budget_monthly_usd":null,"budget_monthly_tokens":100000}`))
		if up["budget_monthly_usd"] != nil || up["budget_monthly_tokens"] != 100000.0 {
			t.Fatalf("patched %v", up)
		}
		wantStatus(t, chat(keyBudget.Key, "y"), 200, "")
	})
}

// TestBudgets_ConcurrentCallsOvershootByAtMostTheCallsInFlight: 50 calls at once against a budget a
// few calls wide. Each reserves its worst case, so once the budget is held no other call starts; the
// spend ends at most one call's tokens past the limit, and every call is in the ledger.
func TestBudgets_ConcurrentCallsOvershootByAtMostTheCallsInFlight(t *testing.T) {
	eachEngineWithUpstream(t, nil, func(t *testing.T, s *apitest.Server, fake *fakeopenai.Server) {
		_, owner := s.NewUser(t)
		pid := newProject(t, s, owner, `{"name":"p","max_output_tokens":16}`)
		one := decode[chatReply](t, s.Do(t, "POST", "/chat", owner, chatBody(pid, "measure one call", 0)))
		perCall := int64(one.Usage.TotalTokens)
		limit := 3*perCall + perCall + 1 // the first call's spend plus room for about three more
		wantStatus(t, s.Do(t, "PUT", fmt.Sprintf("/projects/%d/budget", pid), owner, fmt.Sprintf(`{"monthly_tokens":%d}`, limit)), 200, "")

		var wg sync.WaitGroup
		statuses := make([]int, 50)
		for i := range statuses {
			wg.Add(1)
			go func() {
				defer wg.Done()
				statuses[i] = s.Do(t, "POST", "/chat", owner, chatBody(pid, "measure one call", 0)).StatusCode
			}()
		}
		wg.Wait()
		ok, refused := 0, 0
		for _, st := range statuses {
			switch st {
			case http.StatusOK:
				ok++
			case http.StatusTooManyRequests:
				refused++
			default:
				t.Fatalf("status %d", st)
			}
		}
		b := decode[map[string]any](t, s.Do(t, "GET", fmt.Sprintf("/projects/%d/budget", pid), owner, ""))
		spent := int64(b["spent_tokens"].(float64))
		if ok == 0 || refused == 0 || spent > limit+perCall || spent != int64(ok+1)*perCall {
			t.Fatalf("%d ok, %d refused, spent %d of %d (one call %d)", ok, refused, spent, limit, perCall)
		}
		if u := getUsage(t, s, owner, pid, ""); u.Totals.Requests != 51 || u.Totals.Errors != int64(refused) {
			t.Fatalf("ledger %+v", u.Totals)
		}
	}, fakeopenai.WithLatency(20*time.Millisecond))
}

func TestProjects_CustomPricePricesUnknownModels(t *testing.T) {
	eachEngineWithUpstream(t, map[string]string{"OPENAI_MODELS": "gpt-4o-mini,house-model-1"}, func(t *testing.T, s *apitest.Server, _ *fakeopenai.Server) {
		_, owner := s.NewUser(t)
		pid := newProject(t, s, owner, `{"name":"p","model":"house-model-1"}`)
		wantStatus(t, s.Do(t, "POST", "/chat", owner, chatBody(pid, "free: no price", 0)), 200, "")
		if u := getUsage(t, s, owner, pid, ""); u.Totals.CostUsd != 0 {
			t.Fatalf("an unpriced model cost %v", u.Totals.CostUsd)
		}
		p := decode[map[string]any](t, s.Do(t, "PATCH", fmt.Sprintf("/projects/%d", pid), owner, `{"custom_price":{"input":1000,"output":2000}}`))
		if fmt.Sprint(p["custom_price"]) != "map[cached_input:1000 input:1000 output:2000]" {
			t.Fatalf("custom price %v", p["custom_price"])
		}
		wantStatus(t, s.Do(t, "POST", "/chat", owner, chatBody(pid, "now priced", 0)), 200, "")
		if u := getUsage(t, s, owner, pid, ""); u.Totals.CostUsd <= 0 {
			t.Fatalf("a custom-priced model cost %v", u.Totals.CostUsd)
		}
		p = decode[map[string]any](t, s.Do(t, "PATCH", fmt.Sprintf("/projects/%d", pid), owner, `{"custom_price":null}`))
		if p["custom_price"] != nil {
			t.Fatalf("custom price not removed: %v", p)
		}
		wantStatus(t, s.Do(t, "PATCH", fmt.Sprintf("/projects/%d", pid), owner, `{"custom_price":{"input":-1,"output":1}}`), 400, "custom_price")
	})
}

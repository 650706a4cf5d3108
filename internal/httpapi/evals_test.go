package httpapi_test

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatbot-platform/chatbot/internal/apitest"
	"github.com/chatbot-platform/chatbot/internal/chat"
	"github.com/chatbot-platform/chatbot/internal/fakeopenai"
	"github.com/chatbot-platform/chatbot/internal/testdb"
)

type evalCaseJSON struct {
	ID              int64 `json:"id"`
	Input           string
	History         []struct{ Role, Content string }
	Checks          map[string]any
	SourceMessageID *int64 `json:"source_message_id"`
}

type evalRunJSON struct {
	ID                    int64 `json:"id"`
	Target                any
	Status                string
	Total, Passed, Failed int64
	Results               []evalResultJSON
}

type evalResultJSON struct {
	CaseID       int64 `json:"case_id"`
	Status       string
	Reply, Error string
	LatencyMS    *int64 `json:"latency_ms"`
	OutputTokens *int64 `json:"output_tokens"`
	Citations    []struct {
		FileID *int64 `json:"file_id"`
	}
	CheckResults []struct {
		Check, Expected, Detail string
		Passed                  bool
	} `json:"check_results"`
}

func newEvalCase(t *testing.T, s *apitest.Server, token string, projectID int64, body string) evalCaseJSON {
	t.Helper()
	r := s.Do(t, "POST", fmt.Sprintf("/projects/%d/eval-cases", projectID), token, body)
	wantStatus(t, r, 201, "")
	return decode[evalCaseJSON](t, r)
}

// runEvals starts a run on target and waits until it has ended.
func runEvals(t *testing.T, s *apitest.Server, token string, projectID int64, target string) evalRunJSON {
	t.Helper()
	r := s.Do(t, "POST", fmt.Sprintf("/projects/%d/eval-runs", projectID), token, `{"target":`+target+`}`)
	wantStatus(t, r, 202, "")
	run := decode[evalRunJSON](t, r)
	if run.Status != "queued" || run.Total == 0 {
		t.Fatalf("a new run: %s", r.Body)
	}
	eventually(t, 20*time.Second, "the run is still going", func() bool {
		run = decode[evalRunJSON](t, s.Do(t, "GET", fmt.Sprintf("/projects/eval-runs/%d", run.ID), token, ""))
		return run.Status == "completed" || run.Status == "failed"
	})
	return run
}

func (r evalRunJSON) result(t *testing.T, caseID int64) evalResultJSON {
	t.Helper()
	for _, res := range r.Results {
		if res.CaseID == caseID {
			return res
		}
	}
	t.Fatalf("run %d has no result for case %d", r.ID, caseID)
	return evalResultJSON{}
}

// TestEvals_EveryCheckPassesAndFails: one case whose every check passes, one whose every check fails
// (a file it must cite was deleted, the fake answers in 30 ms), through a run on the draft; the
// results, counts, usage ledger and JUnit XML say so, and no conversation is stored.
func TestEvals_EveryCheckPassesAndFails(t *testing.T) {
	eachEngineWithFake(t, filesOptions{fake: []fakeopenai.Option{fakeopenai.WithLatency(30 * time.Millisecond)}}, func(t *testing.T, e *filesEnv) {
		policy := e.mustUpload(t, "refunds.txt", []byte("Refunds within 30 days.\n"))
		old := e.mustUpload(t, "old.txt", []byte("The old policy.\n"))
		e.waitIndexed(t)
		wantStatus(t, e.Do(t, "POST", fmt.Sprintf("/projects/%d/prompts", e.project), e.token,
			`{"name":"script","content":"Be brief.\nfake-reply: Refunds take 30 days, see the policy."}`), 201, "")
		pass := newEvalCase(t, e.Server, e.token, e.project, fmt.Sprintf(`{"input":"How long do refunds take?","checks":{
			"contains":["REFUNDS","30 days"],"not_contains":["never"],"regex":"\\d+ days","cites_file_id":%d,
			"max_latency_ms":60000,"max_output_tokens":1000}}`, policy.Id))
		fail := newEvalCase(t, e.Server, e.token, e.project, fmt.Sprintf(`{"input":"And store credit?",
			"history":[{"role":"user","content":"Hi there"},{"role":"assistant","content":"Hello! How can I help?"}],
			"checks":{"contains":["store credit"],"not_contains":["30 DAYS"],"regex":"^No","cites_file_id":%d,
			"max_latency_ms":1,"max_output_tokens":1}}`, old.Id))
		wantStatus(t, e.Do(t, "DELETE", fmt.Sprintf("/projects/files/%d", old.Id), e.token, ""), 204, "")
		started := time.Now().Add(-time.Second)

		run := runEvals(t, e.Server, e.token, e.project, `"draft"`)
		if run.Status != "completed" || run.Total != 2 || run.Passed != 1 || run.Failed != 1 || run.Target != "draft" {
			t.Fatalf("run %+v", run)
		}
		p := run.result(t, pass.ID)
		if p.Status != "passed" || len(p.CheckResults) != 7 || !strings.HasPrefix(p.Reply, "Refunds take 30 days") ||
			p.LatencyMS == nil || *p.LatencyMS < 30 || p.OutputTokens == nil || len(p.Citations) != 1 || *p.Citations[0].FileID != policy.Id {
			t.Fatalf("the passing case: %+v", p)
		}
		for _, c := range p.CheckResults {
			if !c.Passed || c.Detail != "" {
				t.Errorf("check %+v failed", c)
			}
		}
		f := run.result(t, fail.ID)
		wantFailed := map[string]string{
			"contains": `does not contain "store credit"`, "not_contains": `contains "30 DAYS"`, "regex": "does not match ^No",
			"cites_file_id": fmt.Sprintf("does not cite file %d", old.Id), "max_latency_ms": "the reply took", "max_output_tokens": "output tokens",
		}
		if f.Status != "failed" || len(f.CheckResults) != len(wantFailed) {
			t.Fatalf("the failing case: %+v", f)
		}
		for _, c := range f.CheckResults {
			if c.Passed || !strings.Contains(c.Detail, wantFailed[c.Check]) {
				t.Errorf("check %+v: want failed with %q", c, wantFailed[c.Check])
			}
		}

		// The history went upstream before the question; nothing was stored as a conversation.
		var sawHistory bool
		for _, r := range e.fake.RequestsTo(fakeopenai.Responses) {
			in := r.Responses.Input
			sawHistory = sawHistory || len(in) == 4 && in[1].Content == "Hi there" && in[3].Content == "And store credit?"
		}
		if !sawHistory {
			t.Error("no upstream call had the case's history")
		}
		if convs := e.Do(t, "GET", fmt.Sprintf("/projects/%d/conversations", e.project), e.token, ""); strings.TrimSpace(string(convs.Body)) != "[]" {
			t.Errorf("a run stored conversations: %s", convs.Body)
		}
		events, err := e.Store.ListUsageEvents(ctx, e.userID, e.project, started, time.Now().Add(time.Second))
		if err != nil || len(events) != 2 || events[0].Operation != chat.OperationEvaluation || events[1].Operation != chat.OperationEvaluation {
			t.Fatalf("usage %+v %v", events, err)
		}

		// JUnit XML: a testsuite for the run, a testcase per case, a failure per failing check.
		x := e.Do(t, "GET", fmt.Sprintf("/projects/eval-runs/%d", run.ID), e.token, "", "Accept", "application/xml")
		wantStatus(t, x, 200, "")
		if ct := x.Header.Get("Content-Type"); ct != "application/xml" {
			t.Fatalf("Content-Type %q", ct)
		}
		var suite struct {
			XMLName  xml.Name `xml:"testsuite"`
			Tests    int      `xml:"tests,attr"`
			Failures int      `xml:"failures,attr"`
			Cases    []struct {
				Name     string `xml:"name,attr"`
				Failures []struct {
					Type    string `xml:"type,attr"`
					Message string `xml:"message,attr"`
				} `xml:"failure"`
				SystemOut string `xml:"system-out"`
			} `xml:"testcase"`
		}
		if err := xml.Unmarshal(x.Body, &suite); err != nil {
			t.Fatalf("JUnit XML: %v\n%s", err, x.Body)
		}
		if suite.Tests != 2 || suite.Failures != 1 || len(suite.Cases) != 2 || len(suite.Cases[0].Failures) != 0 ||
			len(suite.Cases[1].Failures) != 6 || !strings.Contains(suite.Cases[1].Name, "And store credit?") ||
			!strings.HasPrefix(suite.Cases[0].SystemOut, "Refunds take 30 days") {
			t.Fatalf("JUnit %+v\n%s", suite, x.Body)
		}
		var types []string
		for _, f := range suite.Cases[1].Failures {
			types = append(types, f.Type)
		}
		slices.Sort(types)
		if strings.Join(types, ",") != "cites_file_id,contains,max_latency_ms,max_output_tokens,not_contains,regex" {
			t.Errorf("failure types %v", types)
		}

		// The listing shows the run, without its results.
		runs := decode[[]evalRunJSON](t, e.Do(t, "GET", fmt.Sprintf("/projects/%d/eval-runs", e.project), e.token, ""))
		if len(runs) != 1 || runs[0].ID != run.ID || runs[0].Results != nil {
			t.Fatalf("runs %+v", runs)
		}
	})
}

// TestEvals_CasesAreValidatedAndMadeFromMessages: the checks are validated when saved (a bad regex and
// a foreign file are 400s naming them), a case can be made from an assistant message, edited and deleted.
func TestEvals_CasesAreValidatedAndMadeFromMessages(t *testing.T) {
	eachEngineWithUpstream(t, nil, func(t *testing.T, s *apitest.Server, _ *fakeopenai.Server) {
		_, tok := s.NewUser(t)
		_, bob := s.NewUser(t)
		pid := newProject(t, s, tok, `{"name":"Support"}`)
		cases := fmt.Sprintf("/projects/%d/eval-cases", pid)
		turns := strings.TrimSuffix(strings.Repeat(`{"role":"user","content":"x"},`, 21), ",")
		bad := []struct{ name, body, detail string }{
			{"bad regex", `{"input":"q","checks":{"regex":"(unclosed"}}`, `checks.regex: "(unclosed" is not a valid RE2 regular expression`},
			{"lookahead is not RE2", `{"input":"q","checks":{"regex":"a(?=b)"}}`, `checks.regex: "a(?=b)" is not a valid RE2`},
			{"file of no project", `{"input":"q","checks":{"cites_file_id":999999}}`, "checks.cites_file_id: file 999999 is not a file of this project"},
			{"no input", `{"checks":{"contains":["x"]}}`, "input: must not be empty"},
			{"blank input", `{"input":"   "}`, "input: must not be empty"},
			{"too much history", `{"input":"q","history":[` + turns + `]}`, "history"},
			{"bad role", `{"input":"q","history":[{"role":"system","content":"x"}]}`, "role"},
			{"unknown check", `{"input":"q","checks":{"equals":"x"}}`, "equals"},
			{"empty contains", `{"input":"q","checks":{"contains":[""]}}`, "contains"},
			{"zero latency", `{"input":"q","checks":{"max_latency_ms":0}}`, "max_latency_ms"},
			{"both input and message", `{"input":"q","from_message_id":1}`, "from_message_id: give either"},
		}
		for _, b := range bad {
			t.Run(b.name, func(t *testing.T) { wantStatus(t, s.Do(t, "POST", cases, tok, b.body), 400, b.detail) })
		}

		// A case from the second answer of a conversation: its question, after the first exchange.
		first := decode[chatReply](t, s.Do(t, "POST", "/chat", tok, chatBody(pid, "Hello", 0)))
		second := decode[chatReply](t, s.Do(t, "POST", "/chat", tok, chatBody(pid, "Where is my parcel?", first.ConversationID)))
		c := newEvalCase(t, s, tok, pid, fmt.Sprintf(`{"from_message_id":%d,"checks":{"contains":["parcel"]}}`, second.MessageID))
		if c.Input != "Where is my parcel?" || len(c.History) != 2 || c.History[0].Content != "Hello" || c.History[1].Role != "assistant" ||
			c.SourceMessageID == nil || *c.SourceMessageID != second.MessageID || c.Checks["contains"] == nil {
			t.Fatalf("case from a message: %+v", c)
		}
		wantStatus(t, s.Do(t, "POST", cases, tok, fmt.Sprintf(`{"from_message_id":%d}`, second.MessageID-1)), 400, "is not an answer of the bot")
		wantStatus(t, s.Do(t, "POST", cases, tok, `{"from_message_id":999999}`), 404, "message not found")
		other := newProject(t, s, tok, `{"name":"Other"}`)
		wantStatus(t, s.Do(t, "POST", fmt.Sprintf("/projects/%d/eval-cases", other), tok, fmt.Sprintf(`{"from_message_id":%d}`, second.MessageID)), 404, "message not found")
		bobs := newProject(t, s, bob, `{"name":"Bob's"}`)
		wantStatus(t, s.Do(t, "POST", fmt.Sprintf("/projects/%d/eval-cases", bobs), bob, fmt.Sprintf(`{"from_message_id":%d}`, second.MessageID)), 404, "message not found")

		// Edit, read, list, delete.
		path := fmt.Sprintf("/projects/eval-cases/%d", c.ID)
		wantStatus(t, s.Do(t, "PUT", path, tok, `{"input":"Where is it?","checks":{"regex":"(?i)parcel"}}`), 200, "")
		got := decode[evalCaseJSON](t, s.Do(t, "GET", path, tok, ""))
		if got.Input != "Where is it?" || len(got.History) != 0 || got.Checks["regex"] != "(?i)parcel" || got.Checks["contains"] != nil {
			t.Fatalf("after PUT: %+v", got)
		}
		wantStatus(t, s.Do(t, "PUT", path, tok, `{"input":"q","checks":{"regex":"["}}`), 400, "checks.regex")
		if list := decode[[]evalCaseJSON](t, s.Do(t, "GET", cases, tok, "")); len(list) != 1 || list[0].ID != c.ID {
			t.Fatalf("list %+v", list)
		}
		wantStatus(t, s.Do(t, "DELETE", path, tok, ""), 204, "")
		wantStatus(t, s.Do(t, "GET", path, tok, ""), 404, "not found")

		// Runs need cases, and a release that exists.
		runs := fmt.Sprintf("/projects/%d/eval-runs", pid)
		wantStatus(t, s.Do(t, "POST", runs, tok, `{"target":"draft"}`), 400, "no evaluation cases")
		newEvalCase(t, s, tok, pid, `{"input":"q"}`)
		wantStatus(t, s.Do(t, "POST", runs, tok, `{"target":3}`), 404, "release 3 not found")
		wantStatus(t, s.Do(t, "POST", runs, tok, `{"target":"published"}`), 400, "target")
	})
}

// TestEvals_RunsFourCasesAtATimeOneRunAtATime: a run answers at most 4 cases at once, a second run
// of the project waits for the first (409), and the end of a run is a signed webhook event.
func TestEvals_RunsFourCasesAtATimeOneRunAtATime(t *testing.T) {
	var inFlight, most atomic.Int64
	slow := fakeopenai.WithReply(func(fakeopenai.ResponsesCall) string {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		time.Sleep(80 * time.Millisecond)
		return "A slow answer."
	})
	// One engine at a time: the counters are the fake's, and two runs at once would add up.
	for _, e := range testdb.Engines() {
		inFlight.Store(0)
		most.Store(0)
		t.Run(e.Name, func(t *testing.T) {
			fake := fakeopenai.Start(t, slow)
			s := apitest.Start(t, apitest.Options{Store: e.Open, Env: map[string]string{"OPENAI_API_KEY": "sk-test",
				"OPENAI_BASE_URL": fake.URL(), "OPENAI_RETRY_BASE_DELAY": "10ms", "WEBHOOK_ALLOW_PRIVATE": "true"}})
			got := make(chan []byte, 4)
			receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				got <- body
			}))
			t.Cleanup(receiver.Close)
			_, tok := s.NewUser(t)
			pid := newProject(t, s, tok, `{"name":"Slow"}`)
			wantStatus(t, s.Do(t, "POST", fmt.Sprintf("/projects/%d/webhooks", pid), tok,
				fmt.Sprintf(`{"url":%q,"events":["eval_run.completed"]}`, receiver.URL)), 201, "")
			for i := range 9 {
				newEvalCase(t, s, tok, pid, fmt.Sprintf(`{"input":"question %d","checks":{"contains":["slow"]}}`, i))
			}
			runs := fmt.Sprintf("/projects/%d/eval-runs", pid)
			r := s.Do(t, "POST", runs, tok, `{"target":"draft"}`)
			wantStatus(t, r, 202, "")
			wantStatus(t, s.Do(t, "POST", runs, tok, `{"target":"draft"}`), 409, "already queued or running")
			run := decode[evalRunJSON](t, r)
			eventually(t, 20*time.Second, "the run is still going", func() bool {
				run = decode[evalRunJSON](t, s.Do(t, "GET", fmt.Sprintf("/projects/eval-runs/%d", run.ID), tok, ""))
				return run.Status == "completed"
			})
			if run.Passed != 9 || run.Failed != 0 {
				t.Fatalf("run %+v", run)
			}
			if m := most.Load(); m > 4 || m < 2 {
				t.Errorf("at most %d cases were answered at once, want 2 to 4", m)
			}
			select {
			case body := <-got:
				var ev struct {
					Type string
					Data map[string]any
				}
				json.Unmarshal(body, &ev)
				if ev.Type != "eval_run.completed" || ev.Data["run_id"] != float64(run.ID) || ev.Data["target"] != "draft" ||
					ev.Data["passed"] != float64(9) || ev.Data["failed"] != float64(0) {
					t.Fatalf("event %s", body)
				}
			case <-time.After(15 * time.Second):
				t.Fatal("no eval_run.completed event")
			}
		})
	}
}

// TestEvals_AnotherUsersCasesAndRunsAre404: every evaluation route with another user's ids answers
// 404 like a missing id, in JSON and in XML, and changes nothing.
func TestEvals_AnotherUsersCasesAndRunsAre404(t *testing.T) {
	eachEngineWithUpstream(t, nil, func(t *testing.T, s *apitest.Server, _ *fakeopenai.Server) {
		_, alice := s.NewUser(t)
		_, bob := s.NewUser(t)
		pid := newProject(t, s, alice, `{"name":"Alice's"}`)
		c := newEvalCase(t, s, alice, pid, `{"input":"secret question","checks":{"contains":["echo"]}}`)
		run := runEvals(t, s, alice, pid, `"draft"`)
		before := s.Do(t, "GET", fmt.Sprintf("/projects/eval-runs/%d", run.ID), alice, "").Body

		routes := []struct {
			method, path, body, detail string
			headers                    []string
		}{
			{"GET", fmt.Sprintf("/projects/%d/eval-cases", pid), "", "project not found", nil},
			{"POST", fmt.Sprintf("/projects/%d/eval-cases", pid), `{"input":"injected"}`, "project not found", nil},
			{"GET", fmt.Sprintf("/projects/eval-cases/%d", c.ID), "", "case not found", nil},
			{"PUT", fmt.Sprintf("/projects/eval-cases/%d", c.ID), `{"input":"overwritten"}`, "case not found", nil},
			{"DELETE", fmt.Sprintf("/projects/eval-cases/%d", c.ID), "", "case not found", nil},
			{"GET", fmt.Sprintf("/projects/%d/eval-runs", pid), "", "project not found", nil},
			{"POST", fmt.Sprintf("/projects/%d/eval-runs", pid), `{"target":"draft"}`, "project not found", nil},
			{"POST", fmt.Sprintf("/projects/%d/eval-runs", pid), `{"target":1}`, "project not found", nil},
			{"GET", fmt.Sprintf("/projects/eval-runs/%d", run.ID), "", "run not found", nil},
			{"GET", fmt.Sprintf("/projects/eval-runs/%d", run.ID), "", "run not found", []string{"Accept", "application/xml"}},
		}
		for _, r := range routes {
			wantStatus(t, s.Do(t, r.method, r.path, bob, r.body, r.headers...), 404, r.detail)
		}
		if after := s.Do(t, "GET", fmt.Sprintf("/projects/eval-runs/%d", run.ID), alice, "").Body; string(after) != string(before) {
			t.Fatalf("alice's run changed:\n%s\n%s", before, after)
		}
		if got := decode[evalCaseJSON](t, s.Do(t, "GET", fmt.Sprintf("/projects/eval-cases/%d", c.ID), alice, "")); got.Input != "secret question" {
			t.Fatalf("alice's case changed: %+v", got)
		}
	})
}

// TestEvals_ReleaseTargetsAndThePublishGate: runs answer with the release they target, and once a
// project has cases a release of the draft needs a passing run on that very draft: no run, a failed
// run, or a draft changed since the run is a 409 saying so, unless forced; rolling back is never gated.
func TestEvals_ReleaseTargetsAndThePublishGate(t *testing.T) {
	eachEngineWithUpstream(t, nil, func(t *testing.T, s *apitest.Server, _ *fakeopenai.Server) {
		_, tok := s.NewUser(t)
		pid := newProject(t, s, tok, `{"name":"Gated"}`)
		prompt := decode[struct{ ID int64 }](t, s.Do(t, "POST", fmt.Sprintf("/projects/%d/prompts", pid), tok, `{"name":"script","content":"fake-reply: The old answer."}`))
		setReply := func(reply string) {
			wantStatus(t, s.Do(t, "PUT", fmt.Sprintf("/projects/prompts/%d", prompt.ID), tok, fmt.Sprintf(`{"name":"script","content":"fake-reply: %s"}`, reply)), 200, "")
		}
		releases := fmt.Sprintf("/projects/%d/releases", pid)
		release := func(body string, status int, detail string) {
			t.Helper()
			wantStatus(t, s.Do(t, "POST", releases, tok, body), status, detail)
		}

		release(`{"note":"before any case"}`, 201, "") // release 1: no cases, no gate
		newEvalCase(t, s, tok, pid, `{"input":"What is new?","checks":{"contains":["new answer"]}}`)
		release(`{}`, 409, "the draft was never run against them")

		if run := runEvals(t, s, tok, pid, `"draft"`); run.Failed != 1 {
			t.Fatalf("run on the old draft %+v", run)
		}
		release(`{}`, 409, "failed 1 of 1 cases")

		setReply("The new answer.")
		release(`{}`, 409, "the draft changed since the last evaluation run")
		if run := runEvals(t, s, tok, pid, `"draft"`); run.Passed != 1 {
			t.Fatalf("run on the fixed draft %+v", run)
		}
		release(`{"note":"fixed"}`, 201, "") // release 2

		// Each release answers with its own prompts.
		old := runEvals(t, s, tok, pid, `1`)
		if old.Target != float64(1) || old.Failed != 1 || old.Results[0].Reply != "The old answer." {
			t.Fatalf("run on release 1 %+v", old)
		}
		if fixed := runEvals(t, s, tok, pid, `2`); fixed.Target != float64(2) || fixed.Passed != 1 {
			t.Fatalf("run on release 2 %+v", fixed)
		}
		wantStatus(t, s.Do(t, "POST", fmt.Sprintf("/projects/%d/eval-runs", pid), tok, `{"target":99}`), 404, "release 99 not found")

		// Runs on releases do not count for the draft; force skips the gate; rolling back never asks it.
		setReply("A broken answer.")
		release(`{}`, 409, "the draft changed")
		release(`{"force":true}`, 201, "") // release 3
		wantStatus(t, s.Do(t, "POST", releases+"/1/publish", tok, ""), 200, "")
		wantStatus(t, s.Do(t, "POST", releases+"/2/publish", tok, ""), 200, "")
	})
}

package httpapi_test

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/chatbot-platform/chatbot/internal/apitest"
	"github.com/chatbot-platform/chatbot/internal/bundle"
	"github.com/chatbot-platform/chatbot/internal/eval"
	"github.com/chatbot-platform/chatbot/internal/fakeopenai"
	"github.com/chatbot-platform/chatbot/internal/model"
)

type importResult struct {
	Project struct {
		ID              int64
		Name            string
		Model           string
		Temperature     float64
		MaxOutputTokens int `json:"max_output_tokens"`
	}
	MissingFiles []string `json:"missing_files"`
}

// comparable strips what an export stamps and cannot carry over (times), so two bundles of equal
// projects are equal.
func comparable(t *testing.T, body []byte) bundle.Bundle {
	t.Helper()
	var b bundle.Bundle
	if err := json.Unmarshal(body, &b); err != nil {
		t.Fatalf("decode bundle %s: %v", body, err)
	}
	b.ExportedAt = nil
	for i := range b.Releases {
		b.Releases[i].CreatedAt = nil
	}
	for i := range b.Conversations {
		c := &b.Conversations[i]
		c.CreatedAt, c.UpdatedAt = nil, nil
		for j := range c.Messages {
			c.Messages[j].CreatedAt = nil
		}
	}
	return b
}

func countProjects(t *testing.T, s *apitest.Server, token string) int {
	t.Helper()
	return len(decode[[]struct{ ID int64 }](t, s.Do(t, "GET", "/projects", token, "")))
}

// TestBundles_ExportImportRoundTrip: a project exported and imported again is an equal project: its
// settings, its prompts in order (disabled ones too), its files as missing_files, its evaluation cases
// (without the cited file, which is missing), its conversations with their messages and citations when
// included.
func TestBundles_ExportImportRoundTrip(t *testing.T) {
	eachEngineWithUpstream(t, nil, func(t *testing.T, s *apitest.Server, _ *fakeopenai.Server) {
		_, owner := s.NewUser(t)
		me := decode[struct{ ID int64 }](t, s.Do(t, "GET", "/users/me", owner, ""))
		pid := newProject(t, s, owner, `{"name":"Support bot","model":"gpt-4o","temperature":0.4,"max_output_tokens":500}`)
		wantStatus(t, s.Do(t, "PATCH", fmt.Sprintf("/projects/%d", pid), owner, `{"custom_price":{"input":1.5,"output":6}}`), 200, "")
		prompts := fmt.Sprintf("/projects/%d/prompts", pid)
		wantStatus(t, s.Do(t, "POST", prompts, owner, `{"name":"second","content":"Then this.","position":20}`), 201, "")
		wantStatus(t, s.Do(t, "POST", prompts, owner, `{"name":"first","content":"You help.\nFirst.","position":10}`), 201, "")
		wantStatus(t, s.Do(t, "POST", prompts, owner, `{"name":"off","content":"Not now.","position":30,"enabled":false}`), 201, "")
		var guide model.File
		for _, f := range []model.File{{Filename: "guide.pdf", Size: 2048, ContentType: "application/pdf"}, {Filename: "faq.md", Size: 10, ContentType: "text/markdown"}} {
			f.ProjectID, f.OpenAIFileID, f.Status = pid, "file-"+f.Filename, model.FileCompleted
			created, err := s.Store.CreateFile(ctx, me.ID, f)
			if err != nil {
				t.Fatal(err)
			}
			if f.Filename == "guide.pdf" {
				guide = created
			}
		}
		// Two releases, the first published again (a rollback): both come over, with which is published.
		wantStatus(t, s.Do(t, "POST", fmt.Sprintf("/projects/%d/releases", pid), owner, `{"note":"first"}`), 201, "")
		wantStatus(t, s.Do(t, "PUT", fmt.Sprintf("/projects/prompts/%d", decode[[]struct{ ID int64 }](t, s.Do(t, "GET", prompts, owner, ""))[0].ID), owner,
			`{"name":"first","content":"You help.\nFirst, always."}`), 200, "")
		wantStatus(t, s.Do(t, "POST", fmt.Sprintf("/projects/%d/releases", pid), owner, `{"note":"second"}`), 201, "")
		wantStatus(t, s.Do(t, "POST", fmt.Sprintf("/projects/%d/releases/1/publish", pid), owner, ""), 200, "")
		// Cases after the releases: the publish gate would want a run of them first.
		newEvalCase(t, s, owner, pid, fmt.Sprintf(`{"input":"And after 30 days?","history":[{"role":"user","content":"Can I get a refund?"},{"role":"assistant","content":"Yes, within 30 days."}],
			"checks":{"contains":["no"],"not_contains":["yes"],"regex":"(?i)30 days","cites_file_id":%d,"max_latency_ms":5000,"max_output_tokens":200}}`, guide.ID))
		newEvalCase(t, s, owner, pid, `{"input":"Hello"}`)
		wantStatus(t, s.Do(t, "POST", "/chat", owner, chatBody(pid, "How do I reset my password?", 0)), 200, "")
		conv, err := s.Store.CreateConversation(ctx, me.ID, model.Conversation{ProjectID: pid, Title: "Refunds"})
		if err != nil {
			t.Fatal(err)
		}
		answerModel, releaseOne := "gpt-4o", int64(1)
		if _, err := s.Store.AddMessages(ctx,
			model.Message{ConversationID: conv.ID, Role: model.RoleUser, Content: "Can I get a refund?"},
			model.Message{ConversationID: conv.ID, Role: model.RoleAssistant, Content: "Yes, within 30 days.", Model: &answerModel, Release: &releaseOne,
				Citations: []model.Citation{{OpenAIFileID: "file-guide.pdf", Filename: "guide.pdf", Quote: "30 days"}}},
		); err != nil {
			t.Fatal(err)
		}

		plain := s.Do(t, "GET", fmt.Sprintf("/projects/%d/export", pid), owner, "")
		wantStatus(t, plain, 200, "")
		if cd := plain.Header.Get("Content-Disposition"); cd != `attachment; filename="support-bot.bundle.json"` {
			t.Errorf("Content-Disposition %q", cd)
		}
		if b := comparable(t, plain.Body); b.Version != 1 || len(b.Conversations) != 0 || len(b.Prompts) != 3 || b.Prompts[0].Name != "first" {
			t.Fatalf("export without conversations: %s", plain.Body)
		}
		full := s.Do(t, "GET", fmt.Sprintf("/projects/%d/export?include=conversations", pid), owner, "")
		wantStatus(t, full, 200, "")
		before := comparable(t, full.Body)
		if len(before.Releases) != 2 || !before.Releases[0].Published || before.Releases[1].Published || before.Releases[1].Prompts[0].Content != "You help.\nFirst, always." {
			t.Fatalf("want releases 1 (published) and 2: %s", full.Body)
		}
		if len(before.Conversations) != 2 {
			t.Fatalf("want 2 conversations: %s", full.Body)
		}
		if len(before.EvalCases) != 2 || before.EvalCases[0].Checks.CitesFile != "guide.pdf" || len(before.EvalCases[0].History) != 2 || before.EvalCases[1].Input != "Hello" {
			t.Fatalf("want 2 evaluation cases, the first citing guide.pdf: %s", full.Body)
		}

		count := countProjects(t, s, owner)
		r := s.Do(t, "POST", "/projects/import", owner, string(full.Body))
		wantStatus(t, r, 201, "")
		got := decode[importResult](t, r)
		if !reflect.DeepEqual(got.MissingFiles, []string{"guide.pdf", "faq.md"}) || got.Project.ID == pid || got.Project.Name != "Support bot" {
			t.Fatalf("import: %s", r.Body)
		}
		if countProjects(t, s, owner) != count+1 {
			t.Fatal("import did not add exactly one project")
		}
		again := s.Do(t, "GET", fmt.Sprintf("/projects/%d/export?include=conversations", got.Project.ID), owner, "")
		after := comparable(t, again.Body)
		if len(after.Files) != 0 {
			t.Fatalf("files came over without their contents: %v", after.Files)
		}
		before.Files = nil
		after.Files = nil
		for i := range before.Releases {
			if len(before.Releases[i].Files) != 2 || len(after.Releases[i].Files) != 0 {
				t.Fatalf("release %d files: %v, then %v", i+1, before.Releases[i].Files, after.Releases[i].Files)
			}
			before.Releases[i].Files = after.Releases[i].Files
		}
		// The cited file is missing until uploaded again: import drops the check, and keeps the others.
		if len(after.EvalCases) != 2 || after.EvalCases[0].Checks.CitesFile != "" {
			t.Fatalf("imported evaluation cases: %s", again.Body)
		}
		before.EvalCases[0].Checks.CitesFile = ""
		if !reflect.DeepEqual(before, after) {
			t.Fatalf("round trip changed the project:\nbefore %s\nafter  %s", full.Body, again.Body)
		}
		// The imported conversations are the owner's own and answer in the dashboard's list.
		convs := decode[[]struct {
			Title string
			KeyID *int64 `json:"key_id"`
		}](t, s.Do(t, "GET", fmt.Sprintf("/projects/%d/conversations", got.Project.ID), owner, ""))
		if len(convs) != 2 || convs[0].KeyID != nil {
			t.Fatalf("imported conversations: %+v", convs)
		}
		cases := decode[[]evalCaseJSON](t, s.Do(t, "GET", fmt.Sprintf("/projects/%d/eval-cases", got.Project.ID), owner, ""))
		if len(cases) != 2 || cases[0].Checks["regex"] != "(?i)30 days" || cases[0].Checks["cites_file_id"] != nil {
			t.Fatalf("imported evaluation cases: %+v", cases)
		}
	})
}

// TestBundles_ImportRefusesBadBundles: each rule answers 400 naming the first problem by its path in
// the bundle, and nothing is created.
func TestBundles_ImportRefusesBadBundles(t *testing.T) {
	env := map[string]string{"MAX_PROMPTS_PER_PROJECT": "3", "MAX_SYSTEM_PROMPT_CHARS": "100", "OPENAI_MODELS": "gpt-4o-mini,gpt-4o", "OPENAI_MAX_OUTPUT_TOKENS_CAP": "4000"}
	eachEngine(t, env, func(t *testing.T, s *apitest.Server) {
		_, owner := s.NewUser(t)
		newProject(t, s, owner, `{"name":"existing"}`)
		ok := `{"name":"p","content":"c"}`
		rel := func(n int, published bool) string {
			return fmt.Sprintf(`{"number":%d,"published":%t,"model":"gpt-4o","temperature":1,"max_output_tokens":100,"prompts":[%s]}`, n, published, ok)
		}
		tests := []struct{ name, body, detail string }{
			{"no body", ``, "body: is required"},
			{"not JSON", `{"version":`, "body: is not valid JSON"},
			{"wrong version", `{"version":2,"project":{"name":"x"}}`, "version"},
			{"no project", `{"version":1}`, "project"},
			{"unknown field", `{"version":1,"project":{"name":"x","owner":7}}`, "project.owner: is not a known field"},
			{"blank name", `{"version":1,"project":{"name":"   "}}`, "project.name: must not be empty"},
			{"long name", `{"version":1,"project":{"name":"` + strings.Repeat("n", 101) + `"}}`, "project.name: must be at most 100 characters"},
			{"NUL in name", `{"version":1,"project":{"name":"a\u0000b"}}`, "project.name: must not contain NUL"},
			{"model not offered", `{"version":1,"project":{"name":"x","model":"gpt-5"}}`, `project.model: "gpt-5" is not offered here`},
			{"bad model name", `{"version":1,"project":{"name":"x","model":"<script>"}}`, "project.model: must be a model name"},
			{"temperature", `{"version":1,"project":{"name":"x","temperature":2.5}}`, "project.temperature: must be between 0 and 2"},
			{"max tokens", `{"version":1,"project":{"name":"x","max_output_tokens":8}}`, "project.max_output_tokens: must be between 16 and 128000"},
			{"max tokens over the cap", `{"version":1,"project":{"name":"x","max_output_tokens":5000}}`, "project.max_output_tokens: must be at most 4000 here"},
			{"price", `{"version":1,"project":{"name":"x","custom_price":{"input":-1,"output":1}}}`, "project.custom_price.input: must be between 0 and 100000"},
			{"blank prompt", `{"version":1,"project":{"name":"x"},"prompts":[` + ok + `,` + ok + `,{"name":"p","content":"  "}]}`, "prompts[2].content: must not be empty"},
			{"long prompt", `{"version":1,"project":{"name":"x"},"prompts":[` + ok + `,{"name":"p","content":"` + strings.Repeat("c", 32001) + `"}]}`, "prompts[1].content: must be at most 32000 characters"},
			{"prompt without name", `{"version":1,"project":{"name":"x"},"prompts":[{"content":"c"}]}`, "prompts[0]"},
			{"too many prompts", `{"version":1,"project":{"name":"x"},"prompts":[` + strings.Repeat(ok+",", 3) + ok + `]}`, "prompts: 4 prompts; a project may have at most 3"},
			{"system prompt too long", `{"version":1,"project":{"name":"x"},"prompts":[{"name":"a","content":"` + strings.Repeat("a", 60) + `"},{"name":"b","content":"` + strings.Repeat("b", 60) + `"}]}`, "prompts: the project's enabled prompts would total 121 characters"},
			{"bad file name", `{"version":1,"project":{"name":"x"},"files":[{"filename":"a.pdf"},{"filename":"../.."}]}`, "files[1].filename: is not a usable file name"},
			{"bad role", `{"version":1,"project":{"name":"x"},"conversations":[{"title":"t","messages":[{"role":"system","content":"x"}]}]}`, "conversations[0].messages[0].role"},
			{"blank question", `{"version":1,"project":{"name":"x"},"conversations":[{"title":"t","messages":[{"role":"user","content":" "}]}]}`, "conversations[0].messages[0].content: must not be empty"},
			{"release number", `{"version":1,"project":{"name":"x"},"releases":[{"number":0,"model":"gpt-4o","temperature":1,"max_output_tokens":100,"prompts":[]}]}`, "releases[0].number: must be at least 1"},
			{"release order", `{"version":1,"project":{"name":"x"},"releases":[` + rel(2, false) + `,` + rel(1, false) + `]}`, "releases[1].number: must be greater than the release before"},
			{"two published", `{"version":1,"project":{"name":"x"},"releases":[` + rel(1, true) + `,` + rel(2, true) + `]}`, "releases[1].published: release 1 is published already"},
			{"release model", `{"version":1,"project":{"name":"x"},"releases":[{"number":1,"model":"gpt-5","temperature":1,"max_output_tokens":100,"prompts":[]}]}`, `releases[0].model: "gpt-5" is not offered here`},
			{"release prompt", `{"version":1,"project":{"name":"x"},"releases":[{"number":1,"model":"gpt-4o","temperature":1,"max_output_tokens":100,"prompts":[{"name":"a","content":" "}]}]}`, "releases[0].prompts[0].content: must not be empty"},
			{"unknown release", `{"version":1,"project":{"name":"x"},"releases":[` + rel(1, true) + `],"conversations":[{"title":"t","messages":[{"role":"assistant","content":"x","release":2}]}]}`, "conversations[0].messages[0].release: the bundle has no release 2"},
			{"bad regex", `{"version":1,"project":{"name":"x"},"eval_cases":[{"input":"q"},{"input":"q","checks":{"regex":"(unclosed"}}]}`, `eval_cases[1].checks.regex: "(unclosed" is not a valid RE2 regular expression`},
			{"too many cases", `{"version":1,"project":{"name":"x"},"eval_cases":[` + strings.Repeat(`{"input":"q"},`, eval.MaxCasesPerProject) + `{"input":"q"}]}`, "eval_cases: "},
			{"case history role", `{"version":1,"project":{"name":"x"},"eval_cases":[{"input":"q","history":[{"role":"system","content":"c"}]}]}`, "eval_cases[0].history[0].role"},
			{"long title", `{"version":1,"project":{"name":"x"},"conversations":[{"title":"` + strings.Repeat("t", 101) + `","messages":[]}]}`, "conversations[0].title: must be at most 100 characters"},
			{"template and body", ``, ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				before := countProjects(t, s, owner)
				path := "/projects/import"
				if tt.name == "template and body" {
					path, tt.body, tt.detail = "/projects/import?template=faq-bot", `{"version":1,"project":{"name":"x"}}`, "body: must be empty with ?template="
				}
				r := s.Do(t, "POST", path, owner, tt.body)
				wantStatus(t, r, 400, tt.detail)
				if after := countProjects(t, s, owner); after != before {
					t.Fatalf("a refused import left %d projects, want %d", after, before)
				}
			})
		}
	})
}

// TestBundles_ImportKeepsTheProjectCap: an import or a template counts against MAX_PROJECTS_PER_USER
// like a created project.
func TestBundles_ImportKeepsTheProjectCap(t *testing.T) {
	eachEngine(t, map[string]string{"MAX_PROJECTS_PER_USER": "2"}, func(t *testing.T, s *apitest.Server) {
		_, owner := s.NewUser(t)
		newProject(t, s, owner, `{"name":"one"}`)
		wantStatus(t, s.Do(t, "POST", "/projects/import?template=support-bot", owner, ""), 201, "")
		wantStatus(t, s.Do(t, "POST", "/projects/import", owner, `{"version":1,"project":{"name":"three"}}`), 400, "project.name: you already have 2 projects")
		wantStatus(t, s.Do(t, "POST", "/projects/import?template=faq-bot", owner, ""), 400, "MAX_PROJECTS_PER_USER")
		if n := countProjects(t, s, owner); n != 2 {
			t.Fatalf("%d projects, want 2", n)
		}
	})
}

// TestBundles_Templates: the list, a project from each template (and from each template's bundle sent
// as a body: the shipped templates pass the same validation as any import), and an unknown name.
func TestBundles_Templates(t *testing.T) {
	eachEngine(t, nil, func(t *testing.T, s *apitest.Server) {
		_, owner := s.NewUser(t)
		list := decode[[]struct{ Name, Title, Description string }](t, s.Do(t, "GET", "/project-templates", owner, ""))
		if len(list) != 3 || list[0].Name != "support-bot" || list[1].Name != "faq-bot" || list[2].Name != "writing-assistant" {
			t.Fatalf("templates: %+v", list)
		}
		for _, tpl := range list {
			if tpl.Title == "" || tpl.Description == "" {
				t.Errorf("%s has no title or description", tpl.Name)
			}
			b, err := bundle.LoadTemplate(tpl.Name)
			if err != nil {
				t.Fatal(err)
			}
			r := s.Do(t, "POST", "/projects/import?template="+tpl.Name, owner, "")
			wantStatus(t, r, 201, "")
			created := decode[importResult](t, r)
			if created.Project.Name != b.Project.Name || len(created.MissingFiles) != 0 {
				t.Fatalf("%s: %s", tpl.Name, r.Body)
			}
			prompts := decode[[]struct{ Name, Content string }](t, s.Do(t, "GET", fmt.Sprintf("/projects/%d/prompts", created.Project.ID), owner, ""))
			if len(prompts) != len(b.Prompts) || len(prompts) < 2 || prompts[0].Content != b.Prompts[0].Content {
				t.Fatalf("%s: prompts %+v", tpl.Name, prompts)
			}
			body, _ := json.Marshal(b)
			wantStatus(t, s.Do(t, "POST", "/projects/import", owner, string(body)), 201, "")
		}
		wantStatus(t, s.Do(t, "POST", "/projects/import?template=nope", owner, ""), 404, `template "nope" not found`)
		wantStatus(t, s.Do(t, "POST", "/projects/import?template=Bad_Name", owner, ""), 400, "template")
		wantStatus(t, s.Do(t, "GET", "/project-templates", "", ""), 401, "")
	})
}

// TestBundles_MarkdownZip: the Markdown export is a zip with one file per conversation, each with its
// title and every message by role.
func TestBundles_MarkdownZip(t *testing.T) {
	eachEngineWithUpstream(t, nil, func(t *testing.T, s *apitest.Server, _ *fakeopenai.Server) {
		_, owner := s.NewUser(t)
		pid := newProject(t, s, owner, `{"name":"Zip bot"}`)
		first := decode[chatReply](t, s.Do(t, "POST", "/chat", owner, chatBody(pid, "First question", 0)))
		wantStatus(t, s.Do(t, "POST", "/chat", owner, chatBody(pid, "A follow-up", first.ConversationID)), 200, "")
		wantStatus(t, s.Do(t, "POST", "/chat", owner, chatBody(pid, "Another topic", 0)), 200, "")

		r := s.Do(t, "GET", fmt.Sprintf("/projects/%d/export?format=markdown", pid), owner, "")
		wantStatus(t, r, 200, "")
		if ct, cd := r.Header.Get("Content-Type"), r.Header.Get("Content-Disposition"); ct != "application/zip" || cd != `attachment; filename="zip-bot-conversations.zip"` {
			t.Fatalf("Content-Type %q, Content-Disposition %q", ct, cd)
		}
		z, err := zip.NewReader(bytes.NewReader(r.Body), int64(len(r.Body)))
		if err != nil {
			t.Fatal(err)
		}
		if len(z.File) != 2 {
			t.Fatalf("%d files in the zip, want one per conversation", len(z.File))
		}
		texts := map[string]string{}
		for _, f := range z.File {
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(rc)
			rc.Close()
			texts[f.Name] = string(b)
		}
		md := texts[fmt.Sprintf("conversations/%d-first-question.md", first.ConversationID)]
		for _, want := range []string{"# First question\n", "- Started: ", "## User · ", "First question", "A follow-up", "## Assistant · ", first.Reply} {
			if !strings.Contains(md, want) {
				t.Errorf("the Markdown lacks %q:\n%s", want, md)
			}
		}
		if strings.Count(md, "## User") != 2 || strings.Count(md, "## Assistant") != 2 {
			t.Errorf("want 2 questions and 2 answers:\n%s", md)
		}
	})
}

package httpapi

import (
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/labstack/echo/v4"

	"github.com/chatbot-platform/chatbot/internal/auth"
	"github.com/chatbot-platform/chatbot/internal/bundle"
	"github.com/chatbot-platform/chatbot/internal/chat"
	"github.com/chatbot-platform/chatbot/internal/llm"
	"github.com/chatbot-platform/chatbot/internal/project"
	"github.com/chatbot-platform/chatbot/internal/release"
)

// TestRoutes_AuthFailsClosed: a handler the spec does not describe (its middleware would find no
// operation and skip authentication) stops the server from starting, and so does anything besides
// GET/HEAD pages outside the spec.
func TestRoutes_AuthFailsClosed(t *testing.T) {
	doc, err := Spec()
	if err != nil {
		t.Fatal(err)
	}
	ops := newOperations(doc)
	covered := []*echo.Route{{Method: http.MethodGet, Path: "/projects/:project_id"}, {Method: http.MethodPost, Path: "/v1/chat/completions"}}
	if err := ops.coverRoutes(covered); err != nil {
		t.Fatal(err)
	}
	stray := append(covered, &echo.Route{Method: http.MethodGet, Path: "/projects/:id"}) // a renamed parameter
	if err := ops.coverRoutes(stray); err == nil || !strings.Contains(err.Error(), "no operation") {
		t.Fatalf("a route outside the spec passed: %v", err)
	}
	if err := ops.onlyPagesBesides(append(covered, &echo.Route{Method: http.MethodGet, Path: "/widget.js"})); err != nil {
		t.Fatal(err)
	}
	if err := ops.onlyPagesBesides(append(covered, &echo.Route{Method: http.MethodPost, Path: "/admin"})); err == nil {
		t.Fatal("a POST outside the spec passed")
	}
	// Every operation says who may call it: a user's token, a key with scopes, or nobody (public).
	for route, op := range ops {
		if !op.public && !op.userToken && len(op.keyScopes) == 0 {
			t.Errorf("%s: no credential can call it", route)
		}
	}
}

// TestRoutes_EveryStatusIsDocumented: the statuses the middleware can send on any operation are in
// the document for that operation: 413 and 415 wherever there is a body (the body limit and the
// content-type check), 429 wherever a rate limit applies, 503 wherever a deadline can pass, 400 where
// something is validated, 401/403 where credentials are checked. And streams say what their events are.
func TestRoutes_EveryStatusIsDocumented(t *testing.T) {
	doc, err := Spec()
	if err != nil {
		t.Fatal(err)
	}
	for route, op := range newOperations(doc) {
		o := op.route.Operation
		want := []string{"503"}
		if o.RequestBody != nil {
			want = append(want, "400", "413", "415")
		}
		if len(o.Parameters)+len(op.route.PathItem.Parameters) > 0 {
			want = append(want, "400")
		}
		if !op.public || op.authRoute {
			want = append(want, "429")
		}
		if !op.public {
			want = append(want, "401", "403")
		}
		for _, code := range want {
			if o.Responses.Value(code) == nil && !(op.id == "healthCheck" && code != "503") {
				t.Errorf("%s (%s) does not document %s", route, op.id, code)
			}
		}
		for code, r := range o.Responses.Map() {
			if mt := r.Value.Content.Get("text/event-stream"); mt != nil && (mt.Schema == nil || mt.Schema.Value.Type.Is("string")) {
				t.Errorf("%s %s: the event stream's events have no schema", route, code)
			}
		}
	}
	events := doc.Components.Schemas["ChatStreamEvent"].Value
	if len(events.OneOf) != 4 {
		t.Errorf("ChatStreamEvent lists %d event types, want start, delta, done and error", len(events.OneOf))
	}
}

// TestRoutes_RequestBodiesAreClosed: every JSON request body refuses fields it does not define, down to
// nested objects, except the OpenAI-compatible endpoint's (OpenAI SDKs send fields we ignore).
func TestRoutes_RequestBodiesAreClosed(t *testing.T) {
	doc, err := Spec()
	if err != nil {
		t.Fatal(err)
	}
	var open func(path string, s *openapi3.Schema) []string
	open = func(path string, s *openapi3.Schema) []string {
		var out []string
		for _, sub := range append(append(s.AllOf, s.OneOf...), s.AnyOf...) {
			out = append(out, open(path, sub.Value)...)
		}
		wrapper := len(s.Properties) == 0 && len(s.AllOf)+len(s.OneOf)+len(s.AnyOf) > 0 // closed by what it wraps
		if s.Type.Is("object") && !wrapper && (s.AdditionalProperties.Has == nil || *s.AdditionalProperties.Has) {
			out = append(out, path)
		}
		for name, p := range s.Properties {
			out = append(out, open(path+"."+name, p.Value)...)
		}
		if s.Items != nil {
			out = append(out, open(path+"[]", s.Items.Value)...)
		}
		return out
	}
	for route, op := range newOperations(doc) {
		if op.route.Operation.RequestBody == nil || op.id == "createChatCompletion" {
			continue
		}
		mt := op.route.Operation.RequestBody.Value.Content.Get("application/json")
		if mt == nil {
			continue // uploads: multipart, checked by their handler
		}
		for _, path := range open("body", mt.Schema.Value) {
			t.Errorf("%s: %s accepts unknown fields (additionalProperties: false is missing)", route, path)
		}
	}
}

// TestRoutes_LimitsInTheDocumentAreTheCodes: where the code must know a bound too (the services, which
// other callers than the API use; config's defaults for new projects), it is the document's.
func TestRoutes_LimitsInTheDocumentAreTheCodes(t *testing.T) {
	doc, err := Spec()
	if err != nil {
		t.Fatal(err)
	}
	schema := func(name string) *openapi3.Schema { return doc.Components.Schemas[name].Value }
	prop := func(name, field string) *openapi3.Schema { return schema(name).Properties[field].Value }
	ptr := func(v uint64) *uint64 { return &v }
	maxLen := func(s *openapi3.Schema) uint64 {
		if s.MaxLength == nil {
			return 0
		}
		return *s.MaxLength
	}
	f := func(p *float64) float64 {
		if p == nil {
			return -1
		}
		return *p
	}
	checks := []struct {
		what      string
		doc, code any
	}{
		{"Name.maxLength", maxLen(schema("Name")), uint64(project.MaxNameChars)},
		{"Name.minLength", schema("Name").MinLength, uint64(1)},
		{"KeyCreate.name is Name", prop("KeyCreate", "name"), schema("Name")},
		{"PromptContent.maxLength", maxLen(schema("PromptContent")), uint64(project.MaxPromptContentChars)},
		{"PromptPosition.maximum", f(schema("PromptPosition").Max), float64(project.MaxPromptPosition)},
		{"ChatRequest.message.maxLength", maxLen(prop("ChatRequest", "message")), uint64(chat.MaxMessageChars)},
		{"BundleMessage.content.maxLength", maxLen(prop("BundleMessage", "content")), uint64(bundle.MaxMessageChars)},
		{"BundleConversation.title.maxLength", maxLen(prop("BundleConversation", "title")), uint64(chat.MaxTitleChars)},
		{"BundlePrompt.content is PromptContent", prop("BundlePrompt", "content"), schema("PromptContent")},
		{"BundleProject.name is Name", prop("BundleProject", "name"), schema("Name")},
		{"Bundle.version", prop("Bundle", "version").Enum, []any{float64(bundle.Version)}},
		{"BundleRelease.note.maxLength", maxLen(prop("BundleRelease", "note")), uint64(release.MaxNoteChars)},
		{"Temperature.minimum", f(schema("Temperature").Min), project.MinTemperature},
		{"Temperature.maximum", f(schema("Temperature").Max), project.MaxTemperature},
		{"MaxOutputTokens.minimum", f(schema("MaxOutputTokens").Min), float64(project.MinOutputTokens)},
		{"MaxOutputTokens.maximum", f(schema("MaxOutputTokens").Max), float64(project.MaxOutputTokens)},
		{"Credentials.password.minLength", prop("Credentials", "password").MinLength, uint64(auth.MinPasswordChars)},
		{"Credentials.password.maxLength", prop("Credentials", "password").MaxLength, ptr(auth.MaxPasswordChars)},
		{"Credentials.email.maxLength", maxLen(prop("Credentials", "email")), uint64(auth.MaxEmailBytes)},
		{"Credentials.email.format", prop("Credentials", "email").Format, "email"},
		{"Limit.default", doc.Components.Parameters["Limit"].Value.Schema.Value.Default, float64(defaultLimit)},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.doc, c.code) {
			t.Errorf("%s: the document says %v, the code %v", c.what, c.doc, c.code)
		}
	}
}

// The HTTP edge, not the llm package, decides the status of each upstream failure kind.
func TestUpstreamStatuses(t *testing.T) {
	want := map[llm.Kind]int{
		llm.KindUpstream: 502, llm.KindNotConfigured: 503, llm.KindAuth: 502, llm.KindQuota: 502,
		llm.KindRateLimited: 503, llm.KindTimeout: 504, llm.KindNotFound: 502, llm.KindCanceled: 499,
	}
	for k, s := range want {
		if got := upstreamStatus(k); got != s {
			t.Errorf("%v: status %d, want %d", k, got, s)
		}
	}
}

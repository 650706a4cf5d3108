package httpapi_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/chatbot-platform/chatbot/internal/apitest"
	"github.com/chatbot-platform/chatbot/internal/fakeopenai"
)

// TestOpenAICompatible_OfficialClient drives /v1 with OpenAI's own Go library, as any OpenAI SDK user
// would: base URL and key only, blocking and streaming, and errors the library raises as *openai.Error.
func TestOpenAICompatible_OfficialClient(t *testing.T) {
	eachEngineWithUpstream(t, nil, func(t *testing.T, s *apitest.Server, fake *fakeopenai.Server) {
		_, owner := s.NewUser(t)
		pid := newProject(t, s, owner, `{"name":"Support","model":"gpt-4o-mini"}`)
		wantStatus(t, s.Do(t, "POST", fmt.Sprintf("/projects/%d/prompts", pid), owner, `{"name":"tone","content":"Be brief."}`), 201, "")
		key := newKey(t, s, owner, pid, `{"name":"sdk","kind":"secret"}`).Key
		c := openai.NewClient(option.WithBaseURL(s.URL+"/v1"), option.WithAPIKey(key), option.WithHTTPClient(s.HTTP), option.WithMaxRetries(0))

		models, err := c.Models.List(ctx)
		if err != nil || len(models.Data) != 1 || models.Data[0].ID != "gpt-4o-mini" || models.Data[0].OwnedBy != "Support" {
			t.Fatalf("models: %v %+v", err, models)
		}

		params := openai.ChatCompletionNewParams{
			Model: "anything-at-all",
			User:  openai.String("customer-42"),
			Messages: []openai.ChatCompletionMessageParamUnion{
				openai.SystemMessage("Answer in English."),
				openai.UserMessage("Earlier question"),
				openai.AssistantMessage("Earlier answer"),
				openai.UserMessage("What is the refund policy?"),
			},
		}
		done, err := c.Chat.Completions.New(ctx, params)
		if err != nil {
			t.Fatal(err)
		}
		if len(done.Choices) != 1 || !strings.Contains(done.Choices[0].Message.Content, "refund policy") ||
			done.Choices[0].FinishReason != "stop" || done.Model == "" || done.Usage.TotalTokens == 0 || !strings.HasPrefix(done.ID, "chatcmpl-") {
			t.Fatalf("completion %+v", done)
		}
		calls := fake.RequestsTo(fakeopenai.Responses)
		up := calls[len(calls)-1].Responses
		if up.Model != "gpt-4o-mini" || len(up.Input) != 4 || up.Input[0].Role != "system" ||
			up.Input[0].Content != "Be brief.\nAnswer in English." || up.Input[1].Content != "Earlier question" ||
			up.Input[2].Role != "assistant" || up.Input[3].Content != "What is the refund policy?" {
			t.Fatalf("upstream got %+v", up)
		}

		params.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
		stream := c.Chat.Completions.NewStreaming(ctx, params)
		acc := openai.ChatCompletionAccumulator{}
		chunks := 0
		for stream.Next() {
			acc.AddChunk(stream.Current())
			chunks++
		}
		if err := stream.Err(); err != nil {
			t.Fatal(err)
		}
		if chunks < 3 || !strings.Contains(acc.Choices[0].Message.Content, "refund policy") || acc.Usage.TotalTokens == 0 {
			t.Fatalf("%d chunks, accumulated %+v", chunks, acc.ChatCompletion)
		}

		// Each call is stored as a conversation of the key, for its end user.
		list := decode[[]map[string]any](t, s.Do(t, "GET", fmt.Sprintf("/projects/%d/conversations?user=customer-42", pid), owner, ""))
		if len(list) != 2 || list[0]["key_name"] != "sdk" {
			t.Fatalf("stored conversations %v", list)
		}

		// Errors arrive in OpenAI's shape, so the library raises them with status, type and message.
		var apiErr *openai.Error
		_, err = c.Chat.Completions.New(ctx, params, option.WithAPIKey("cb_sk_wrong"))
		if !errors.As(err, &apiErr) || apiErr.StatusCode != 401 || apiErr.Type != "authentication_error" || !strings.Contains(apiErr.Message, "Invalid API key") {
			t.Fatalf("wrong key: %v", err)
		}
		bad := params
		bad.Messages = []openai.ChatCompletionMessageParamUnion{openai.UserMessage("q"), openai.AssistantMessage("a")}
		_, err = c.Chat.Completions.New(ctx, bad)
		if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || apiErr.Type != "invalid_request_error" || !strings.Contains(apiErr.Message, "last message") {
			t.Fatalf("assistant last: %v", err)
		}
		readOnly := newKey(t, s, owner, pid, `{"name":"r","kind":"secret","scopes":["read"]}`).Key
		_, err = c.Chat.Completions.New(ctx, params, option.WithAPIKey(readOnly))
		if !errors.As(err, &apiErr) || apiErr.StatusCode != 403 || apiErr.Type != "permission_error" {
			t.Fatalf("read-only key: %v", err)
		}
		if r := s.Do(t, "POST", "/v1/chat/completions", owner, `{"messages":[{"role":"user","content":"hi"}]}`); r.StatusCode != 401 ||
			!strings.Contains(string(r.Body), `"type":"authentication_error"`) {
			t.Fatalf("a user's token on /v1: %d %s", r.StatusCode, r.Body)
		}
	})
}

func TestOpenAICompatible_UpstreamErrorMidStreamEndsWithAnErrorChunk(t *testing.T) {
	s, fake := chatServer(t, nil)
	_, owner := s.NewUser(t)
	pid := newProject(t, s, owner, `{"name":"p"}`)
	key := newKey(t, s, owner, pid, `{"name":"k","kind":"secret"}`).Key
	fake.Fail(fakeopenai.Responses, 10, fakeopenai.Fault{Status: 500})
	r := s.Do(t, "POST", "/v1/chat/completions", key, `{"model":"x","stream":true,"messages":[{"role":"user","content":"hi"}]}`)
	if r.StatusCode != 502 && r.StatusCode != 503 || !strings.Contains(string(r.Body), `"error"`) {
		t.Fatalf("upstream down: %d %s", r.StatusCode, r.Body)
	}
}

package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/chatbot-platform/chatbot/internal/apigen"
	"github.com/chatbot-platform/chatbot/internal/auth"
	"github.com/chatbot-platform/chatbot/internal/chat"
	"github.com/chatbot-platform/chatbot/internal/model"
)

// CreateChatCompletion implements apigen.StrictServerInterface (POST /v1/chat/completions): OpenAI's
// Chat Completions over the key's project, so OpenAI SDKs talk to a bot by base URL and key alone.
func (h *Handlers) CreateChatCompletion(ctx context.Context, req apigen.CreateChatCompletionRequestObject) (apigen.CreateChatCompletionResponseObject, error) {
	b := req.Body
	r, err := completionRequest(ctx, b)
	if err != nil {
		return nil, err
	}
	created := time.Now().Unix()
	if !deref(b.Stream) {
		res, err := h.chat.Send(ctx, r)
		if err != nil {
			return nil, err
		}
		return completionResponse{completion: completionOf(res, created), budgetRemaining: res.BudgetRemaining}, nil
	}
	upCtx, cancel := context.WithCancel(ctx)
	st, err := h.chat.Stream(upCtx, r)
	if err != nil {
		cancel()
		return nil, err
	}
	usage := b.StreamOptions != nil && deref(b.StreamOptions.IncludeUsage)
	return h.sse(ctx, cancel, st, &openAIEvents{created: created, usage: usage}), nil
}

// ListModels implements apigen.StrictServerInterface (GET /v1/models): the key's project, by its model.
func (h *Handlers) ListModels(ctx context.Context, _ apigen.ListModelsRequestObject) (apigen.ListModelsResponseObject, error) {
	k, err := secretKey(ctx)
	if err != nil {
		return nil, err
	}
	p, err := h.projects.Get(ctx, k.OwnerID, k.ProjectID)
	if err != nil {
		return nil, err
	}
	return apigen.ListModels200JSONResponse{Object: apigen.List, Data: []apigen.Model{
		{Id: p.Model, Object: apigen.ModelObjectModel, Created: p.CreatedAt.Unix(), OwnedBy: p.Name},
	}}, nil
}

// completionRequest maps OpenAI's messages onto a chat turn: system and developer messages follow the
// project's prompts, user and assistant messages are the history, and the last one is the question.
func completionRequest(ctx context.Context, b *apigen.ChatCompletionRequest) (chat.Request, error) {
	k, err := secretKey(ctx)
	if err != nil {
		return chat.Request{}, err
	}
	r := chat.Request{Viewer: chat.Viewer{OwnerID: k.OwnerID, Key: k, EndUser: deref(b.User)}, ProjectID: k.ProjectID, Operation: "completion"}
	last := len(b.Messages) - 1
	for i, m := range b.Messages {
		text := contentText(m.Content)
		switch {
		case i == last:
			if m.Role != apigen.ChatCompletionMessageRoleUser {
				return r, model.Invalid("messages", "the last message must be the user's")
			}
			r.Message = text
		case m.Role == apigen.ChatCompletionMessageRoleSystem || m.Role == apigen.ChatCompletionMessageRoleDeveloper:
			if strings.TrimSpace(text) != "" {
				r.Instructions = append(r.Instructions, text)
			}
		case m.Role == apigen.ChatCompletionMessageRoleUser || m.Role == apigen.ChatCompletionMessageRoleAssistant:
			if text != "" { // an assistant's tool call has no text
				r.History = append(r.History, model.Message{Role: string(m.Role), Content: text})
			}
		}
	}
	return r, nil
}

// secretKey is the caller's key: the OpenAI-compatible endpoint is for servers, so publishable keys
// (which live in web pages) may not use it.
func secretKey(ctx context.Context) (*model.APIKey, error) {
	k := auth.KeyFrom(ctx)
	if k == nil || k.Kind != model.KeySecret {
		return nil, &model.ForbiddenError{Detail: "The OpenAI-compatible endpoint takes a secret key (cb_sk_...)"}
	}
	return k, nil
}

// contentText is a message's text: the string, or its text parts joined.
func contentText(c *apigen.ChatCompletionMessage_Content) string {
	if c == nil {
		return ""
	}
	if s, err := c.AsChatCompletionMessageContent0(); err == nil {
		return s
	}
	parts, _ := c.AsChatCompletionMessageContent1()
	var texts []string
	for _, p := range parts {
		if p.Type == "text" && p.Text != nil {
			texts = append(texts, *p.Text)
		}
	}
	return strings.Join(texts, "\n")
}

// The completion and its chunks, written as the document's ChatCompletion and ChatCompletionChunk.
type (
	completion struct {
		ID      string             `json:"id"`
		Object  string             `json:"object"`
		Created int64              `json:"created"`
		Model   string             `json:"model"`
		Choices []completionChoice `json:"choices"`
		Usage   completionUsage    `json:"usage"`
	}
	completionChoice struct {
		Index        int               `json:"index"`
		Message      completionMessage `json:"message"`
		FinishReason string            `json:"finish_reason"`
	}
	completionMessage struct {
		Role    string `json:"role"`
		Content string `json:"content"`
	}
	completionUsage struct {
		PromptTokens     int `json:"prompt_tokens"`
		CompletionTokens int `json:"completion_tokens"`
		TotalTokens      int `json:"total_tokens"`
	}
	chunk struct {
		ID      string           `json:"id"`
		Object  string           `json:"object"`
		Created int64            `json:"created"`
		Model   string           `json:"model"`
		Choices []chunkChoice    `json:"choices"`
		Usage   *completionUsage `json:"usage,omitempty"`
	}
	chunkChoice struct {
		Index        int        `json:"index"`
		Delta        chunkDelta `json:"delta"`
		FinishReason *string    `json:"finish_reason"`
	}
	chunkDelta struct {
		Role    string `json:"role,omitempty"`
		Content string `json:"content,omitempty"`
	}
)

func completionID(messageID int64) string { return "chatcmpl-" + strconv.FormatInt(messageID, 10) }

func usageOf(res chat.Result) completionUsage {
	return completionUsage{PromptTokens: res.Usage.InputTokens, CompletionTokens: res.Usage.OutputTokens, TotalTokens: res.Usage.TotalTokens}
}

func completionOf(res chat.Result, created int64) completion {
	return completion{
		ID: completionID(res.MessageID), Object: "chat.completion", Created: created, Model: res.Model,
		Choices: []completionChoice{{Message: completionMessage{Role: "assistant", Content: res.Reply}, FinishReason: "stop"}},
		Usage:   usageOf(res),
	}
}

// completionResponse writes a blocking completion.
type completionResponse struct {
	completion      completion
	budgetRemaining string
}

// VisitCreateChatCompletionResponse implements apigen.CreateChatCompletionResponseObject.
func (c completionResponse) VisitCreateChatCompletionResponse(w http.ResponseWriter) error {
	w.Header().Set("Content-Type", "application/json")
	if c.budgetRemaining != "" {
		w.Header().Set("X-Budget-Remaining", c.budgetRemaining)
	}
	w.WriteHeader(http.StatusOK)
	return json.NewEncoder(w).Encode(c.completion)
}

// openAIEvents are a streamed completion's chunks: the role first, the text, a last chunk with the
// finish reason (and one with usage when asked), then [DONE]. The id comes from the stored user
// message, known at the start; the model from the project.
type openAIEvents struct {
	created int64
	usage   bool
	id      string
	model   string
}

func (e *openAIEvents) chunk(d chunkDelta, finish *string) sseFrame {
	return sseFrame{data: chunk{ID: e.id, Object: "chat.completion.chunk", Created: e.created, Model: e.model,
		Choices: []chunkChoice{{Delta: d, FinishReason: finish}}}}
}

func (e *openAIEvents) start(st *chat.Stream) []sseFrame {
	e.id, e.model = completionID(st.Start.UserMessageID), st.Model()
	return []sseFrame{e.chunk(chunkDelta{Role: "assistant"}, nil)}
}

func (e *openAIEvents) delta(text string) []sseFrame {
	return []sseFrame{e.chunk(chunkDelta{Content: text}, nil)}
}

func (e *openAIEvents) done(res chat.Result) []sseFrame {
	stop := "stop"
	frames := []sseFrame{e.chunk(chunkDelta{}, &stop)}
	if e.usage {
		u := usageOf(res)
		frames = append(frames, sseFrame{data: chunk{ID: e.id, Object: "chat.completion.chunk", Created: e.created,
			Model: e.model, Choices: []chunkChoice{}, Usage: &u}})
	}
	return append(frames, sseFrame{raw: "[DONE]"})
}

func (e *openAIEvents) fail(status int, detail string) []sseFrame {
	return []sseFrame{{data: openAIError(status, apigen.Error{Detail: detail})}}
}

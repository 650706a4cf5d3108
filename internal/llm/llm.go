// Package llm is the platform's small client over OpenAI (via go-openai): the
// only code that talks to OpenAI. It sends chat turns to the Responses API
// (with file_search over vector stores), manages files and vector stores,
// retries what can succeed on retry, and turns every failure into an *Error
// that knows the HTTP status our API should answer with.
package llm

import (
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	openai "github.com/sashabaranov/go-openai"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/chatbot-platform/chatbot/internal/metrics"
)

// DefaultBaseURL is OpenAI's API.
const DefaultBaseURL = "https://api.openai.com/v1"

// Config configures a Client. Zero values take the defaults.
type Config struct {
	APIKey  string
	BaseURL string // default DefaultBaseURL
	// Timeout bounds one upstream try (default 60s); for streams, the time to
	// the first event. Uploads are bounded only by the caller's context (and
	// the default transport's response-header timeout).
	Timeout time.Duration
	// StreamIdleTimeout fails a stream that sends no event for this long
	// (default 30s).
	StreamIdleTimeout time.Duration
	// MaxRetries is the number of retries after the first try (default 3;
	// negative: none).
	MaxRetries int
	// BaseDelay is the first wait between tries (default 1s); it doubles each
	// retry, plus 0–10% jitter.
	BaseDelay time.Duration
	// MaxRetryAfter caps how long an upstream Retry-After is honoured
	// (default 30s).
	MaxRetryAfter time.Duration
	// HTTPClient is optional. The default has a Transport with a
	// ResponseHeaderTimeout of Timeout and no Client.Timeout (which would
	// also cut long streams).
	HTTPClient *http.Client
	// Metrics records each operation's outcome, duration and retries, streams' time to first token
	// and open streams; nil records nothing.
	Metrics *metrics.Metrics
	// TracerProvider makes one client span per operation (gen_ai attributes for chat); nil: none.
	TracerProvider trace.TracerProvider
}

// Client talks to OpenAI. It is safe for concurrent use.
type Client struct {
	cfg     Config
	oa      *openai.Client
	doer    recordingDoer
	log     *slog.Logger
	metrics *metrics.Metrics
	tracer  trace.Tracer
	sleep   func(context.Context, time.Duration) error // replaced in tests
	jitter  func() float64                             // in [0,1)
}

// New makes a Client; log may be nil. Without an API key the client is not
// Configured and every call fails with KindNotConfigured.
func New(cfg Config, log *slog.Logger) *Client {
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if cfg.Timeout <= 0 {
		cfg.Timeout = 60 * time.Second
	}
	if cfg.StreamIdleTimeout <= 0 {
		cfg.StreamIdleTimeout = 30 * time.Second
	}
	switch {
	case cfg.MaxRetries == 0:
		cfg.MaxRetries = 3
	case cfg.MaxRetries < 0:
		cfg.MaxRetries = 0
	}
	if cfg.BaseDelay <= 0 {
		cfg.BaseDelay = time.Second
	}
	if cfg.MaxRetryAfter <= 0 {
		cfg.MaxRetryAfter = 30 * time.Second
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = defaultHTTPClient(cfg.Timeout)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.TracerProvider == nil {
		cfg.TracerProvider = noop.NewTracerProvider()
	}
	doer := recordingDoer{next: cfg.HTTPClient}
	oc := openai.DefaultConfig(cfg.APIKey)
	oc.BaseURL = cfg.BaseURL
	oc.HTTPClient = doer
	return &Client{cfg: cfg, oa: openai.NewClientWithConfig(oc), doer: doer, log: log,
		metrics: cfg.Metrics, tracer: cfg.TracerProvider.Tracer("github.com/chatbot-platform/chatbot/internal/llm"),
		sleep: sleepCtx, jitter: defaultJitter}
}

func defaultHTTPClient(timeout time.Duration) *http.Client {
	return &http.Client{Transport: &http.Transport{
		Proxy:             http.ProxyFromEnvironment,
		DialContext:       (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2: true,
		// Many concurrent chats go to one host: keep their connections, or each request dials anew.
		MaxIdleConns:          1024,
		MaxIdleConnsPerHost:   1024,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: timeout,
		ExpectContinueTimeout: time.Second,
	}}
}

// Configured reports whether an API key is set.
func (c *Client) Configured() bool { return c.cfg.APIKey != "" }

func (c *Client) notConfigured() error {
	if c.Configured() {
		return nil
	}
	return newError(KindNotConfigured, nil)
}

// Message is one turn of the conversation.
type Message struct {
	Role    string // "system" | "user" | "assistant"
	Content string
}

// Request is one chat completion.
type Request struct {
	Model string
	// Temperature is always sent (0 is a valid setting); a negative value
	// leaves it out, for models that do not accept it.
	Temperature     float32
	MaxOutputTokens int // 0: the model's default
	Input           []Message
	// VectorStoreIDs, when set, lets the model search them (file_search).
	VectorStoreIDs []string
}

// Usage is the token count OpenAI reports.
type Usage struct {
	InputTokens, OutputTokens, TotalTokens int
	CachedInputTokens                      int // of InputTokens, served from OpenAI's prompt cache
}

// Citation is a file the reply cites.
type Citation struct {
	FileID   string // OpenAI's file id
	Filename string
	Quote    string // a passage of the file that file_search found ("" if none)
}

// Reply is a finished answer.
type Reply struct {
	Text, Model, ResponseID string
	Usage                   Usage
	Citations               []Citation
	Attempts                int // upstream tries it took
	// Incomplete is why the reply stopped early (e.g. "max_output_tokens");
	// empty when it is complete.
	Incomplete string
}

// maxQuote bounds Citation.Quote (file_search passages can be long).
const maxQuote = 500

// responsesRequest builds the go-openai request.
func responsesRequest(r Request) openai.CreateResponseRequest {
	input := make([]openai.ResponseInputMessage, len(r.Input))
	for i, m := range r.Input {
		input[i] = openai.ResponseInputMessage{Role: m.Role, Content: m.Content}
	}
	store := false // the platform keeps its own history; don't keep chats at OpenAI
	req := openai.CreateResponseRequest{
		Model:           r.Model,
		Input:           input,
		MaxOutputTokens: r.MaxOutputTokens,
		Store:           &store,
	}
	if r.Temperature >= 0 {
		t := r.Temperature
		req.Temperature = &t
	}
	if len(r.VectorStoreIDs) > 0 {
		req.Tools = []openai.ResponseTool{{
			Type:       openai.ToolTypeFileSearch,
			Parameters: map[string]any{"vector_store_ids": r.VectorStoreIDs},
		}}
		// The search results carry the text passages used for Citation.Quote.
		req.Include = []openai.ResponseInclude{openai.ResponseIncludeFileSearchCallResults}
	}
	return req
}

// Respond sends one request and waits for the whole reply, retrying what can
// succeed on retry.
func (c *Client) Respond(ctx context.Context, r Request) (Reply, error) {
	if err := c.notConfigured(); err != nil {
		return Reply{}, err
	}
	req := responsesRequest(r)
	var resp openai.CreateResponseResponse
	ctx, ob := c.begin(ctx, op{name: "responses", model: r.Model}, &r)
	attempts, status, err := c.call(ctx, ob.o, func(ctx context.Context, info *tryInfo) error {
		ctx, stop := withTimeout(ctx, info, c.cfg.Timeout)
		defer stop()
		var err error
		resp, err = c.oa.CreateResponse(ctx, req)
		if err == nil && resp.Status == openai.ResponseStatusFailed {
			err = failedResponse(&resp)
		}
		return err
	})
	if err != nil {
		c.finish(ctx, ob, attempts, status, err, nil)
		return Reply{}, err
	}
	reply := replyOf(&resp)
	reply.Attempts = attempts
	c.finish(ctx, ob, attempts, status, nil, &reply)
	return reply, nil
}

func failedResponse(r *openai.CreateResponseResponse) error {
	if r.Error != nil {
		return &eventError{code: r.Error.Code, message: r.Error.Message}
	}
	return &eventError{code: "failed", message: "response failed"}
}

// outputItem is the part of an output item (message or file_search_call)
// that replyOf reads.
type outputItem struct {
	Type    string                         `json:"type"`
	Content []openai.ResponseOutputContent `json:"content"`
	Results []struct {
		FileID string `json:"file_id"`
		Text   string `json:"text"`
	} `json:"results"`
}

// replyOf turns a response into a Reply: text, usage and the cited files
// (deduplicated), quoting the file_search passage of each when present.
func replyOf(r *openai.CreateResponseResponse) Reply {
	reply := Reply{Text: r.OutputText, Model: r.Model, ResponseID: r.ID}
	if r.Usage != nil {
		reply.Usage = Usage{InputTokens: r.Usage.InputTokens, OutputTokens: r.Usage.OutputTokens, TotalTokens: r.Usage.TotalTokens}
		if d := r.Usage.InputTokensDetails; d != nil {
			reply.Usage.CachedInputTokens = d.CachedTokens
		}
	}
	if r.Status == openai.ResponseStatusIncomplete {
		reply.Incomplete = "incomplete"
		if r.IncompleteDetails != nil && r.IncompleteDetails.Reason != "" {
			reply.Incomplete = r.IncompleteDetails.Reason
		}
	}
	// Output is []any in go-openai: re-decode each item, once. The text is gathered from the same items
	// instead of by go-openai's GetOutputText, which would decode them all again (≈ 6 µs a reply).
	var items []outputItem
	for _, raw := range r.Output {
		b, err := json.Marshal(raw)
		var it outputItem
		if err == nil && json.Unmarshal(b, &it) == nil {
			items = append(items, it)
		}
	}
	if r.OutputText == "" {
		var text strings.Builder
		for _, it := range items {
			for _, part := range it.Content {
				if part.Type == "output_text" {
					text.WriteString(part.Text)
				}
			}
		}
		reply.Text = text.String()
	}
	quotes := map[string]string{}
	for _, it := range items {
		for _, res := range it.Results {
			if quotes[res.FileID] == "" {
				quotes[res.FileID] = truncate(strings.TrimSpace(res.Text), maxQuote)
			}
		}
	}
	seen := map[string]bool{}
	for _, it := range items {
		for _, part := range it.Content {
			for _, a := range part.Annotations {
				if a.Type != "file_citation" || a.FileID == "" || seen[a.FileID] {
					continue
				}
				seen[a.FileID] = true
				reply.Citations = append(reply.Citations, Citation{FileID: a.FileID, Filename: a.Filename, Quote: quotes[a.FileID]})
			}
		}
	}
	return reply
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

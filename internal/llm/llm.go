// Package llm is the platform's small client over OpenAI (via go-openai): the
// only code that talks to OpenAI. It sends chat turns to the Responses API
// (with file_search over vector stores), manages files and vector stores,
// retries what can succeed on retry, and turns every failure into an *Error
// that knows the HTTP status our API should answer with.
package llm

import (
	"context"
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
	// go-openai decodes each output item as a generic JSON object: read the few fields used from it
	// as it is (encoding it again to decode it into a struct cost ≈ 4 % of a chat's CPU).
	var text strings.Builder
	quotes := map[string]string{}
	type cited struct{ fileID, filename string }
	var citedFiles []cited
	for _, raw := range r.Output {
		item, _ := raw.(map[string]any)
		for _, res := range objects(item["results"]) {
			if id := str(res["file_id"]); quotes[id] == "" {
				quotes[id] = truncate(strings.TrimSpace(str(res["text"])), maxQuote)
			}
		}
		for _, part := range objects(item["content"]) {
			if str(part["type"]) == "output_text" {
				text.WriteString(str(part["text"]))
			}
			for _, a := range objects(part["annotations"]) {
				if str(a["type"]) == "file_citation" && str(a["file_id"]) != "" {
					citedFiles = append(citedFiles, cited{str(a["file_id"]), str(a["filename"])})
				}
			}
		}
	}
	if r.OutputText == "" {
		reply.Text = text.String()
	}
	seen := map[string]bool{}
	for _, c := range citedFiles {
		if !seen[c.fileID] {
			seen[c.fileID] = true
			reply.Citations = append(reply.Citations, Citation{FileID: c.fileID, Filename: c.filename, Quote: quotes[c.fileID]})
		}
	}
	return reply
}

// objects is a JSON array's object elements (nil for anything else).
func objects(v any) []map[string]any {
	list, _ := v.([]any)
	out := make([]map[string]any, 0, len(list))
	for _, e := range list {
		if m, ok := e.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// str is a JSON string's value ("" for anything else).
func str(v any) string {
	s, _ := v.(string)
	return s
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

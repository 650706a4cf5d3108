package fakeopenai

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"
)

// ResponsesCall is the parsed body of a POST /v1/responses.
type ResponsesCall struct {
	Model           string
	Instructions    string
	Temperature     *float64
	MaxOutputTokens *int
	Stream          bool
	Store           *bool
	Input           []Message // a string input is one user message
	Tools           []Tool
	Include         []string
	Raw             map[string]any // the whole body, decoded generically
}

// Message is one input message; the text of its content parts is joined.
type Message struct{ Role, Content string }

// Tool is one requested tool.
type Tool struct {
	Type           string   `json:"type"`
	VectorStoreIDs []string `json:"vector_store_ids"`
}

func parseResponsesCall(body []byte) (*ResponsesCall, error) {
	var in struct {
		Model           string            `json:"model"`
		Instructions    string            `json:"instructions"`
		Temperature     *float64          `json:"temperature"`
		MaxOutputTokens *int              `json:"max_output_tokens"`
		Stream          bool              `json:"stream"`
		Store           *bool             `json:"store"`
		Input           json.RawMessage   `json:"input"`
		Tools           []json.RawMessage `json:"tools"`
		Include         []string          `json:"include"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, err
	}
	c := &ResponsesCall{
		Model: in.Model, Instructions: in.Instructions, Temperature: in.Temperature,
		MaxOutputTokens: in.MaxOutputTokens, Stream: in.Stream, Store: in.Store, Include: in.Include,
	}
	if err := json.Unmarshal(body, &c.Raw); err != nil {
		return nil, err
	}
	for _, raw := range in.Tools {
		var t Tool
		if err := json.Unmarshal(raw, &t); err != nil {
			return nil, err
		}
		c.Tools = append(c.Tools, t)
	}
	var text string
	if json.Unmarshal(in.Input, &text) == nil {
		c.Input = []Message{{Role: "user", Content: text}}
		return c, nil
	}
	var items []struct {
		Type    string          `json:"type"`
		Role    string          `json:"role"`
		Content json.RawMessage `json:"content"`
	}
	if len(in.Input) > 0 {
		if err := json.Unmarshal(in.Input, &items); err != nil {
			return nil, fmt.Errorf("input: %w", err)
		}
	}
	for _, it := range items {
		m := Message{Role: it.Role}
		if m.Role == "" {
			m.Role = it.Type
		}
		if json.Unmarshal(it.Content, &m.Content) != nil {
			var parts []struct{ Text string }
			_ = json.Unmarshal(it.Content, &parts)
			for _, p := range parts {
				m.Content += p.Text
			}
		}
		c.Input = append(c.Input, m)
	}
	return c, nil
}

// ShowSystemPrompt, sent as the user's message, makes the default reply "System: <the system message>".
const ShowSystemPrompt = "!system"

// reply is what the fake will answer to one call.
type reply struct {
	id, msgID, fsID string
	created         int64
	text            string
	cites           []citation
	results         []map[string]any // file_search_call results (nil unless included)
	usage           map[string]any
}

type citation struct {
	fileID, filename string
	index            int // in runes, where the citation marker sits
}

// plan decides the reply: the reply text, plus a quote of every completed file
// in the requested vector stores.
func (s *Server) plan(c *ResponsesCall) *reply {
	rp := &reply{id: newID("resp_", 48), msgID: newID("msg_", 48), created: time.Now().Unix()}
	if s.replyFunc != nil {
		rp.text = s.replyFunc(*c)
	} else if directed, ok := directedReply(c); ok {
		rp.text = directed
	} else {
		last, system := "", ""
		for _, m := range c.Input {
			switch m.Role {
			case "user":
				last = m.Content
			case "system":
				system = m.Content
			}
		}
		rp.text = "Echo: " + last
		if last == ShowSystemPrompt { // lets a browser test see which instructions answered
			rp.text = "System: " + system
		}
	}
	var ids []string
	for _, t := range c.Tools {
		if t.Type == "file_search" {
			ids = append(ids, t.VectorStoreIDs...)
		}
	}
	s.mu.Lock()
	var files []*File
	for _, id := range ids {
		if vs := s.stores[id]; vs != nil {
			for _, f := range vs.files {
				if file := s.files[f.fileID]; file != nil && s.status(f) == "completed" {
					files = append(files, file)
				}
			}
		}
	}
	s.mu.Unlock()
	withResults := false
	for _, inc := range c.Include {
		withResults = withResults || inc == "file_search_call.results"
	}
	for _, f := range files {
		if line := firstLine(f.Content); line != "" {
			rp.text += fmt.Sprintf("\n\n%s says: \"%s\"", f.Filename, line)
		} else {
			rp.text += fmt.Sprintf("\n\nSee %s.", f.Filename)
		}
		rp.cites = append(rp.cites, citation{f.ID, f.Filename, utf8.RuneCountInString(rp.text)})
		if withResults {
			rp.results = append(rp.results, map[string]any{
				"file_id": f.ID, "filename": f.Filename, "score": 0.9, "text": excerpt(f.Content, 800),
				"attributes": map[string]any{},
			})
		}
	}
	if len(files) > 0 {
		rp.fsID = newID("fs_", 48)
		if withResults && rp.results == nil {
			rp.results = []map[string]any{}
		}
	}
	in := words(c.Instructions)
	for _, m := range c.Input {
		in += words(m.Content)
	}
	out := words(rp.text)
	rp.usage = map[string]any{
		"input_tokens": in, "input_tokens_details": map[string]any{"cached_tokens": 0},
		"output_tokens": out, "output_tokens_details": map[string]any{"reasoning_tokens": 0},
		"total_tokens": in + out,
	}
	return rp
}

// ReplyDirective, at the start of a line of the instructions or of a system message, makes the
// default reply the rest of that line (trimmed), so a prompt that a test edits decides the answer.
const ReplyDirective = "fake-reply:"

func directedReply(c *ResponsesCall) (string, bool) {
	texts := []string{c.Instructions}
	for _, m := range c.Input {
		if m.Role == "system" || m.Role == "developer" {
			texts = append(texts, m.Content)
		}
	}
	for _, t := range texts {
		for _, line := range strings.Split(t, "\n") {
			if rest, ok := strings.CutPrefix(strings.TrimSpace(line), ReplyDirective); ok {
				return strings.TrimSpace(rest), true
			}
		}
	}
	return "", false
}

func words(s string) int { return len(strings.Fields(s)) }

// firstLine is the first non-empty text line of content, at most 200 runes.
func firstLine(content []byte) string {
	for line := range strings.Lines(string(content)) {
		line = strings.TrimSpace(line)
		if line != "" {
			if !utf8.ValidString(line) {
				return ""
			}
			return excerpt([]byte(line), 200)
		}
	}
	return ""
}

func excerpt(b []byte, n int) string {
	s := strings.ToValidUTF8(string(b), "")
	if utf8.RuneCountInString(s) > n {
		s = string([]rune(s)[:n])
	}
	return s
}

func (rp *reply) annotations() []map[string]any {
	out := []map[string]any{}
	for _, c := range rp.cites {
		out = append(out, c.annotation())
	}
	return out
}

func (c citation) annotation() map[string]any {
	return map[string]any{"type": "file_citation", "file_id": c.fileID, "filename": c.filename, "index": c.index}
}

func (rp *reply) fsItem(status string) map[string]any {
	var results any // null unless include asked for them
	if rp.results != nil {
		results = rp.results
	}
	return map[string]any{"id": rp.fsID, "type": "file_search_call", "status": status,
		"queries": []string{"relevant passages"}, "results": results}
}

func (rp *reply) msgItem(status string, text string, anns []map[string]any) map[string]any {
	content := []any{}
	if status == "completed" {
		content = append(content, textPart(text, anns))
	}
	return map[string]any{"id": rp.msgID, "type": "message", "status": status, "content": content, "role": "assistant"}
}

func textPart(text string, anns []map[string]any) map[string]any {
	return map[string]any{"type": "output_text", "annotations": anns, "logprobs": []any{}, "text": text}
}

// object is the response object; output and usage only when completed.
func (rp *reply) object(c *ResponsesCall, status string) map[string]any {
	output := []any{}
	var usage any
	var completedAt any
	if status == "completed" {
		if rp.fsID != "" {
			output = append(output, rp.fsItem("completed"))
		}
		output = append(output, rp.msgItem("completed", rp.text, rp.annotations()))
		usage = rp.usage
		completedAt = time.Now().Unix()
	}
	temp := 1.0
	if c.Temperature != nil {
		temp = *c.Temperature
	}
	tools := []any{}
	if raw, ok := c.Raw["tools"].([]any); ok {
		tools = raw
	}
	store := c.Store == nil || *c.Store
	return map[string]any{
		"id": rp.id, "object": "response", "created_at": rp.created, "status": status,
		"background": false, "completed_at": completedAt, "error": nil, "incomplete_details": nil,
		"instructions": nilIfEmpty(c.Instructions), "max_output_tokens": c.MaxOutputTokens, "max_tool_calls": nil,
		"model": c.Model, "output": output, "parallel_tool_calls": true, "previous_response_id": nil,
		"reasoning": map[string]any{"effort": nil, "summary": nil}, "service_tier": "default", "store": store,
		"temperature": temp, "text": map[string]any{"format": map[string]any{"type": "text"}, "verbosity": "medium"},
		"tool_choice": "auto", "tools": tools, "top_logprobs": 0, "top_p": 1.0, "truncation": "disabled",
		"usage": usage, "user": nil, "metadata": map[string]any{},
	}
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (s *Server) handleResponses(w http.ResponseWriter, r *http.Request) {
	rec := recOf(r)
	var body json.RawMessage
	if !s.decodeBody(w, r, &body) {
		return
	}
	call, err := parseResponsesCall(body)
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "", "input", "Invalid 'input': "+err.Error())
		return
	}
	s.update(rec, func(r *Request) { r.Responses = call })
	fault, ok := s.begin(w, r, rec)
	if !ok {
		return
	}
	if msg, param := validate(call); msg != "" {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "", param, msg)
		return
	}
	for _, t := range call.Tools {
		for _, id := range t.VectorStoreIDs {
			s.mu.Lock()
			_, ok := s.stores[id]
			s.mu.Unlock()
			if !ok {
				writeError(w, http.StatusNotFound, "invalid_request_error", "", "tools",
					fmt.Sprintf("Vector store with id '%s' not found.", id))
				return
			}
		}
	}
	rp := s.plan(call)
	if !call.Stream {
		writeJSON(w, http.StatusOK, rp.object(call, "completed"))
		return
	}
	s.stream(w, r, rec, call, rp, fault)
}

// validate mirrors the 400s OpenAI gives for the fields the platform sends.
func validate(c *ResponsesCall) (msg, param string) {
	switch {
	case c.Model == "":
		return "Missing required parameter: 'model'.", "model"
	case len(c.Input) == 0 && c.Raw["input"] == nil:
		return "Missing required parameter: 'input'.", "input"
	case c.Temperature != nil && (*c.Temperature < 0 || *c.Temperature > 2):
		return fmt.Sprintf("Invalid 'temperature': decimal out of range. Expected a value between 0 and 2, but got %v instead.", *c.Temperature), "temperature"
	case c.MaxOutputTokens != nil && *c.MaxOutputTokens < 16:
		return fmt.Sprintf("Invalid 'max_output_tokens': integer below minimum value. Expected a value >= 16, but got %d instead.", *c.MaxOutputTokens), "max_output_tokens"
	}
	for i, t := range c.Tools {
		if t.Type == "file_search" && len(t.VectorStoreIDs) == 0 {
			return fmt.Sprintf("Missing required parameter: 'tools[%d].vector_store_ids'.", i), fmt.Sprintf("tools[%d].vector_store_ids", i)
		}
	}
	return "", ""
}

// sse writes Server-Sent Events in the Responses API format: an `event:` line
// naming the type and a `data:` line with the JSON event.
type sse struct {
	w   http.ResponseWriter
	rc  *http.ResponseController
	seq int
}

// send writes one event; kv are alternating field names and values.
func (e *sse) send(typ string, kv ...any) error {
	var b bytes.Buffer
	t, _ := json.Marshal(typ)
	fmt.Fprintf(&b, "event: %s\ndata: {\"type\":%s,\"sequence_number\":%d", typ, t, e.seq)
	e.seq++
	for i := 0; i+1 < len(kv); i += 2 {
		v, err := json.Marshal(kv[i+1])
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, ",%q:%s", kv[i], v)
	}
	b.WriteString("}\n\n")
	if _, err := e.w.Write(b.Bytes()); err != nil {
		return err
	}
	return e.rc.Flush()
}

// chunks splits text into word-sized deltas (" word"), like model tokens.
func chunks(text string) []string {
	var out []string
	start := 0
	for i, r := range text {
		if i > start && (r == ' ' || r == '\n') && text[i-1] != ' ' && text[i-1] != '\n' {
			out = append(out, text[start:i])
			start = i
		}
	}
	if start < len(text) {
		out = append(out, text[start:])
	}
	return out
}

func (s *Server) stream(w http.ResponseWriter, r *http.Request, rec *Request, c *ResponsesCall, rp *reply, f Fault) {
	w.Header().Set("Content-Type", "text/event-stream; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	e := &sse{w: w, rc: http.NewResponseController(w)}
	gone := func() { s.markGone(rec) }

	if e.send("response.created", "response", rp.object(c, "in_progress")) != nil ||
		e.send("response.in_progress", "response", rp.object(c, "in_progress")) != nil {
		gone()
		return
	}
	out := 0
	if rp.fsID != "" {
		for _, ev := range []struct {
			typ  string
			item bool
		}{
			{"response.output_item.added", true},
			{"response.file_search_call.in_progress", false},
			{"response.file_search_call.searching", false},
			{"response.file_search_call.completed", false},
			{"response.output_item.done", true},
		} {
			var err error
			if ev.item {
				st := "in_progress"
				if ev.typ == "response.output_item.done" {
					st = "completed"
				}
				err = e.send(ev.typ, "output_index", out, "item", rp.fsItem(st))
			} else {
				err = e.send(ev.typ, "output_index", out, "item_id", rp.fsID)
			}
			if err != nil {
				gone()
				return
			}
		}
		out++
	}
	if e.send("response.output_item.added", "output_index", out, "item", rp.msgItem("in_progress", "", nil)) != nil ||
		e.send("response.content_part.added", "item_id", rp.msgID, "output_index", out, "content_index", 0,
			"part", textPart("", []map[string]any{})) != nil {
		gone()
		return
	}
	parts := chunks(rp.text)
	sent, nextCite := 0, 0 // runes sent; next citation to announce
	for i := 0; ; i++ {
		if f.Stream != StreamOK && i == f.After {
			switch f.Stream {
			case StreamCut:
				panic(http.ErrAbortHandler) // the server closes the connection mid-body
			case StreamTruncate:
				return
			case StreamStall:
				select {
				case <-r.Context().Done():
					gone()
				case <-s.done:
				}
				return
			case StreamErrorEvent:
				_ = e.send("error", "code", f.Code, "message", f.Message, "param", nil)
				return
			}
		}
		if i == len(parts) {
			break
		}
		if !s.sleep(r, s.deltaDelay) {
			gone()
			return
		}
		if e.send("response.output_text.delta", "item_id", rp.msgID, "output_index", out, "content_index", 0,
			"delta", parts[i], "logprobs", []any{}) != nil {
			gone()
			return
		}
		sent += utf8.RuneCountInString(parts[i])
		for nextCite < len(rp.cites) && rp.cites[nextCite].index <= sent {
			if e.send("response.output_text.annotation.added", "item_id", rp.msgID, "output_index", out,
				"content_index", 0, "annotation_index", nextCite, "annotation", rp.cites[nextCite].annotation()) != nil {
				gone()
				return
			}
			nextCite++
		}
	}
	anns := rp.annotations()
	for _, ev := range [][]any{
		{"response.output_text.done", "item_id", rp.msgID, "output_index", out, "content_index", 0, "text", rp.text, "logprobs", []any{}},
		{"response.content_part.done", "item_id", rp.msgID, "output_index", out, "content_index", 0, "part", textPart(rp.text, anns)},
		{"response.output_item.done", "output_index", out, "item", rp.msgItem("completed", rp.text, anns)},
		{"response.completed", "response", rp.object(c, "completed")},
	} {
		if e.send(ev[0].(string), ev[1:]...) != nil {
			gone()
			return
		}
	}
}

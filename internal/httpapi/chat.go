package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/chatbot-platform/chatbot/internal/apigen"
	"github.com/chatbot-platform/chatbot/internal/apikey"
	"github.com/chatbot-platform/chatbot/internal/auth"
	"github.com/chatbot-platform/chatbot/internal/chat"
	"github.com/chatbot-platform/chatbot/internal/llm"
	"github.com/chatbot-platform/chatbot/internal/model"
	"github.com/chatbot-platform/chatbot/internal/store"
)

// SendMessage implements apigen.StrictServerInterface (POST /chat).
func (h *Handlers) SendMessage(ctx context.Context, req apigen.SendMessageRequestObject) (apigen.SendMessageResponseObject, error) {
	r, err := h.chatRequest(ctx, req.Body, req.Params.XVisitorId)
	if err != nil {
		return nil, err
	}
	res, err := h.chat.Send(ctx, r)
	if err != nil {
		return nil, err
	}
	return apigen.SendMessage200JSONResponse{Body: chatResponse(res), Headers: apigen.SendMessage200ResponseHeaders{XBudgetRemaining: nonEmpty(res.BudgetRemaining)}}, nil
}

// StreamMessage implements apigen.StrictServerInterface (POST /chat/stream). Failures before the
// upstream answered are ordinary error responses; later ones end the stream with an error event.
func (h *Handlers) StreamMessage(ctx context.Context, req apigen.StreamMessageRequestObject) (apigen.StreamMessageResponseObject, error) {
	r, err := h.chatRequest(ctx, req.Body, req.Params.XVisitorId)
	if err != nil {
		return nil, err
	}
	return h.startStream(ctx, r, platformEvents{})
}

// startStream starts a streamed reply within the account's MAX_STREAMS_PER_USER (a *model.LimitError
// beyond it: 429); the slot is held until the response has been written.
func (h *Handlers) startStream(ctx context.Context, r chat.Request, events streamEvents) (*sseResponse, error) {
	release, ok := h.streams.Acquire(strconv.FormatInt(r.OwnerID, 10), h.limits.streamsPerUser)
	if !ok {
		return nil, &model.LimitError{
			Detail:     fmt.Sprintf("Too many streams at once: this account already has %d open (MAX_STREAMS_PER_USER); try again when one ends", h.limits.streamsPerUser),
			RetryAfter: time.Second,
		}
	}
	// The upstream call gets its own cancel, so the response can stop it whenever the stream ends here.
	upCtx, cancel := context.WithCancel(ctx)
	st, err := h.chat.Stream(upCtx, r)
	if err != nil {
		cancel()
		release()
		return nil, err
	}
	return &sseResponse{ctx: ctx, cancelUpstream: cancel, stream: st, heartbeat: h.heartbeat, events: events, release: release}, nil
}

// chatRequest is who asks what of which project: a key's project unless the body names one, and a
// key's end user, whose daily quota (publishable keys) is checked here, before anything is stored.
func (h *Handlers) chatRequest(ctx context.Context, b *apigen.ChatRequest, visitorID *string) (chat.Request, error) {
	v, err := viewer(ctx, b.User, b.UserHash, visitorID)
	if err != nil {
		return chat.Request{}, err
	}
	r := chat.Request{Viewer: v, Message: b.Message}
	switch {
	case b.ProjectId != nil:
		r.ProjectID = *b.ProjectId
	case v.Key != nil:
		r.ProjectID = v.Key.ProjectID
	default:
		return r, model.Invalid("project_id", "is required")
	}
	if b.ConversationId != nil {
		r.ConversationID = *b.ConversationId
	}
	if v.Key != nil {
		err = h.keys.CheckVisitorQuota(ctx, *v.Key, v.EndUser)
	}
	return r, err
}

// viewer is the caller as the chat service sees it. For a key, the end user is the one user names
// (signed by user_hash for a publishable key) or the anonymous visitor; for the owner, user is only
// a filter and plays no part here.
func viewer(ctx context.Context, user, userHash, visitorID *string) (chat.Viewer, error) {
	v := chat.Viewer{OwnerID: auth.UserID(ctx), Key: auth.KeyFrom(ctx)}
	if v.Key == nil {
		return v, nil
	}
	var err error
	v.EndUser, err = apikey.EndUser(*v.Key, deref(user), deref(userHash), deref(visitorID))
	return v, err
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func chatResponse(r chat.Result) apigen.ChatResponse {
	return apigen.ChatResponse{
		Reply: r.Reply, ConversationId: r.ConversationID, MessageId: r.MessageID, Model: r.Model,
		Usage:     apigen.Usage{InputTokens: r.Usage.InputTokens, OutputTokens: r.Usage.OutputTokens, TotalTokens: r.Usage.TotalTokens},
		Citations: mapSlice(r.Citations, citationToAPI),
	}
}

func citationToAPI(c model.Citation) apigen.Citation {
	out := apigen.Citation{OpenaiFileId: c.OpenAIFileID, FileId: c.FileID, Filename: c.Filename}
	if c.Quote != "" {
		out.Quote = &c.Quote
	}
	return out
}

// sseResponse writes a chat stream as Server-Sent Events in the format its events choose; it owns the
// framing, write deadlines, heartbeats and stopping the upstream when the client leaves.
type sseResponse struct {
	ctx            context.Context // the request's
	cancelUpstream context.CancelFunc
	stream         *chat.Stream
	heartbeat      time.Duration
	events         streamEvents
	release        func() // frees the account's stream slot
}

// sseFrame is one event: its name (none: the default "message"), and data to send as JSON, or raw.
type sseFrame struct {
	event string
	data  any
	raw   string
}

// streamEvents says what a stream sends at each moment of a reply.
type streamEvents interface {
	start(st *chat.Stream) []sseFrame
	delta(text string) []sseFrame
	done(res chat.Result) []sseFrame
	fail(status int, detail string) []sseFrame
}

// platformEvents are /chat/stream's: start, delta..., then done or error.
type platformEvents struct{}

func (platformEvents) start(st *chat.Stream) []sseFrame {
	return []sseFrame{{event: "start", data: apigen.ChatStreamStart{ConversationId: st.Start.ConversationID, UserMessageId: st.Start.UserMessageID}}}
}
func (platformEvents) delta(text string) []sseFrame {
	return []sseFrame{{event: "delta", data: apigen.ChatStreamDelta{Text: text}}}
}
func (platformEvents) done(res chat.Result) []sseFrame {
	return []sseFrame{{event: "done", data: chatResponse(res)}}
}
func (platformEvents) fail(status int, detail string) []sseFrame {
	return []sseFrame{{event: "error", data: apigen.ChatStreamError{Detail: detail, Status: status}}}
}

// eventWriteTimeout bounds writing one event, so a client that stops reading cannot hold the stream.
const eventWriteTimeout = 30 * time.Second

type piece struct {
	text string
	err  error
}

// VisitStreamMessageResponse implements apigen.StreamMessageResponseObject.
func (r *sseResponse) VisitStreamMessageResponse(w http.ResponseWriter) error { return r.write(w) }

// VisitCreateChatCompletionResponse implements apigen.CreateChatCompletionResponseObject.
func (r *sseResponse) VisitCreateChatCompletionResponse(w http.ResponseWriter) error {
	return r.write(w)
}

func (r *sseResponse) write(w http.ResponseWriter) error {
	defer r.release()
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	if b := r.stream.Start.BudgetRemaining; b != "" {
		h.Set("X-Budget-Remaining", b)
	}
	w.WriteHeader(http.StatusOK)
	send := func(frames []sseFrame) error {
		rc.SetWriteDeadline(time.Now().Add(eventWriteTimeout))
		var buf bytes.Buffer
		for _, f := range frames {
			if f.event != "" {
				fmt.Fprintf(&buf, "event: %s\n", f.event)
			}
			data := []byte(f.raw)
			if f.data != nil {
				data, _ = json.Marshal(f.data)
			}
			fmt.Fprintf(&buf, "data: %s\n\n", data)
		}
		if _, err := w.Write(buf.Bytes()); err != nil {
			return err
		}
		return rc.Flush()
	}
	send(r.events.start(r.stream))

	// Next blocks on the upstream; a reader goroutine lets heartbeats and a client leaving interrupt the
	// wait. The stream is not safe for concurrent use: Finish runs only after the reader has returned.
	pieces := make(chan piece)
	stopped := make(chan struct{})
	stop := make(chan struct{})
	go func() {
		defer close(stopped)
		for {
			text, err := r.stream.Next()
			select {
			case pieces <- piece{text, err}:
			case <-stop:
				return
			}
			if err != nil {
				return
			}
		}
	}()
	ticker := time.NewTicker(r.heartbeat)
	defer ticker.Stop()
	var streamErr error
loop:
	for {
		select {
		case p := <-pieces:
			if p.err != nil {
				streamErr = p.err
				break loop
			}
			if err := send(r.events.delta(p.text)); err != nil {
				streamErr = err // the client is gone or stopped reading
				break loop
			}
		case <-ticker.C:
			rc.SetWriteDeadline(time.Now().Add(eventWriteTimeout))
			io.WriteString(w, ": ping\n\n")
			rc.Flush()
		case <-r.ctx.Done():
			streamErr = r.ctx.Err()
			break loop
		}
	}
	close(stop)
	r.cancelUpstream() // unblocks a Next still waiting on the upstream
	<-stopped
	res, err := r.stream.Finish(streamErr)
	if err == nil {
		return send(r.events.done(res))
	}
	if r.ctx.Err() == nil && !errors.Is(err, io.EOF) {
		send(r.events.fail(describeStreamError(err)))
	}
	return nil // the stream itself was answered: nothing for the error handler to write
}

// describeStreamError gives the status and detail the same failure would have had as a response.
func describeStreamError(err error) (int, string) {
	var nf *model.NotFoundError
	var uerr *llm.Error
	switch {
	case errors.As(err, &nf):
		return http.StatusNotFound, nf.Error()
	case errors.As(err, &uerr):
		return uerr.Status, uerr.Detail()
	case errors.Is(err, store.ErrUnavailable):
		return http.StatusServiceUnavailable, "The database is unavailable right now: the reply could not be stored; try again shortly"
	}
	return http.StatusInternalServerError, "the reply could not be completed"
}

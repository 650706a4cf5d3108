package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/chatbot-platform/chatbot/internal/apigen"
	"github.com/chatbot-platform/chatbot/internal/apikey"
	"github.com/chatbot-platform/chatbot/internal/auth"
	"github.com/chatbot-platform/chatbot/internal/chat"
	"github.com/chatbot-platform/chatbot/internal/model"
	"github.com/chatbot-platform/chatbot/internal/panics"
	"github.com/chatbot-platform/chatbot/internal/store"
)

// SendMessage implements apigen.StrictServerInterface (POST /chat). With an Idempotency-Key, a
// retry of a completed request answers its stored reply.
func (h *Handlers) SendMessage(ctx context.Context, req apigen.SendMessageRequestObject) (apigen.SendMessageResponseObject, error) {
	r, err := h.chatRequest(ctx, req.Body, req.Params.XVisitorId)
	if err != nil {
		return nil, err
	}
	claim, replay, err := h.claimKey(ctx, r, req.Params.IdempotencyKey, "chat", req.Body, req.Params.XVisitorId)
	if err != nil {
		return nil, err
	}
	if replay != nil {
		return apigen.SendMessage200JSONResponse{Body: chatResponse(*replay)}, nil
	}
	r.Claim = claim
	res, err := h.chat.Send(ctx, r)
	claim.Finish(ctx, res, err)
	if err != nil {
		return nil, err
	}
	return apigen.SendMessage200JSONResponse{Body: chatResponse(res), Headers: apigen.SendMessage200ResponseHeaders{XBudgetRemaining: nonEmpty(res.BudgetRemaining)}}, nil
}

// StreamMessage implements apigen.StrictServerInterface (POST /chat/stream). Failures before the
// upstream answered are ordinary error responses; later ones end the stream with an error event.
// With an Idempotency-Key, a retry of a completed stream replays its reply as a short stream.
func (h *Handlers) StreamMessage(ctx context.Context, req apigen.StreamMessageRequestObject) (apigen.StreamMessageResponseObject, error) {
	r, err := h.chatRequest(ctx, req.Body, req.Params.XVisitorId)
	if err != nil {
		return nil, err
	}
	claim, replay, err := h.claimKey(ctx, r, req.Params.IdempotencyKey, "stream", req.Body, req.Params.XVisitorId)
	if err != nil {
		return nil, err
	}
	if replay != nil {
		return replayResponse{res: *replay, heartbeat: h.heartbeat}, nil
	}
	r.Claim = claim
	out, err := h.startStream(ctx, r, platformEvents{})
	if err != nil {
		claim.Finish(ctx, chat.Result{}, err)
		return nil, err
	}
	out.claim = claim
	return out, nil
}

// startStream starts a streamed reply within the account's MAX_STREAMS_PER_USER (a *model.LimitError
// beyond it: 429); the slot is held until the response has been written.
func (h *Handlers) startStream(ctx context.Context, r chat.Request, events streamEvents) (*sseResponse, error) {
	release, ok := h.streams.Acquire(streamHolder(r.Viewer), h.limits.streamsPerUser)
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
	out := h.sse(ctx, cancel, st, events)
	out.release = release
	return out, nil
}

// claimKey takes the request's Idempotency-Key (none: nothing to do, no query) for this operation
// and body; see chat.Service.ClaimKey.
func (h *Handlers) claimKey(ctx context.Context, r chat.Request, key *string, operation string, body *apigen.ChatRequest, visitorID *string) (*chat.Claim, *chat.Result, error) {
	if key == nil {
		return nil, nil, nil
	}
	b, _ := json.Marshal(body)
	return h.chat.ClaimKey(ctx, r.Viewer, *key, operation+"\n"+deref(visitorID)+"\n"+string(b))
}

// replayResponse answers a retried /chat/stream whose reply is stored: start, the whole reply as
// one delta, done.
type replayResponse struct {
	res       chat.Result
	heartbeat time.Duration
}

// VisitStreamMessageResponse implements apigen.StreamMessageResponseObject.
func (r replayResponse) VisitStreamMessageResponse(w http.ResponseWriter) error {
	out := newSSEWriter(w, r.heartbeat, nil)
	defer out.Stop()
	ev := platformEvents{}
	frames := []sseFrame{{event: "start", data: apigen.ChatStreamStart{ConversationId: r.res.ConversationID, UserMessageId: r.res.UserMessageID}}}
	frames = append(frames, ev.delta(r.res.Reply)...)
	return out.Send(append(frames, ev.done(r.res)...)...)
}

// sse is the response that streams st with events.
func (h *Handlers) sse(ctx context.Context, cancelUpstream context.CancelFunc, st *chat.Stream, events streamEvents) *sseResponse {
	return &sseResponse{ctx: ctx, cancelUpstream: cancelUpstream, stream: st, heartbeat: h.heartbeat, events: events,
		stopping: h.stopping, log: h.log}
}

// streamHolder is whose streams a stream counts against: the signed-in user's, or, through a project
// key, its end user's (a published bot's visitors do not share their owner's cap; the key's own rate
// limit bounds them together).
func streamHolder(v chat.Viewer) string {
	if v.Key != nil {
		return "key:" + strconv.FormatInt(v.Key.ID, 10) + ":" + v.EndUser
	}
	return "user:" + strconv.FormatInt(v.OwnerID, 10)
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
	if b.Release != nil {
		if v.Key != nil {
			return r, model.Invalid("release", "only the project's owner chooses the release; a key answers with its pinned release, else the published one")
		}
		r.Target = chatTarget(*b.Release)
	}
	if v.Key != nil {
		err = h.keys.CheckVisitorQuota(ctx, *v.Key, v.EndUser)
	}
	return r, err
}

// chatTarget reads a chat request's release: "draft", "published" or a number (the document's
// pattern admits nothing else).
func chatTarget(release string) chat.Target {
	switch release {
	case "draft":
		return chat.Target{Kind: chat.TargetDraft}
	case "published":
		return chat.Target{Kind: chat.TargetPublished}
	}
	n, _ := strconv.ParseInt(release, 10, 64)
	return chat.Target{Kind: chat.TargetRelease, Number: n}
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
		Citations: mapSlice(r.Citations, citationToAPI), Release: r.Release,
	}
}

func citationToAPI(c model.Citation) apigen.Citation {
	out := apigen.Citation{OpenaiFileId: c.OpenAIFileID, FileId: c.FileID, Filename: c.Filename}
	if c.Quote != "" {
		out.Quote = &c.Quote
	}
	return out
}

// sseResponse pumps a chat stream into an sseWriter in the format its events choose: it reads the
// upstream, ends the stream when the client leaves or the server is shutting down, and stops the
// upstream whenever the stream ends here.
type sseResponse struct {
	ctx            context.Context // the request's
	cancelUpstream context.CancelFunc
	stream         *chat.Stream
	heartbeat      time.Duration
	events         streamEvents
	release        func() // frees the account's stream slot
	// stopping closes when the server's grace period is over: the stream ends with an error event
	// and its partial reply is stored as incomplete.
	stopping <-chan struct{}
	log      *slog.Logger
	// claim is the request's Idempotency-Key (nil: none): the reply is stored under it when complete.
	claim *chat.Claim
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

// errRestarting ends the streams still open when the shutdown grace period is over.
var errRestarting = errors.New("the server is restarting")

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
	var extra http.Header
	if b := r.stream.Start.BudgetRemaining; b != "" {
		extra = http.Header{"X-Budget-Remaining": {b}}
	}
	out := newSSEWriter(w, r.heartbeat, extra)
	defer out.Stop()
	out.Send(r.events.start(r.stream)...)

	// Next blocks on the upstream; a reader goroutine lets heartbeats, a client leaving and shutdown
	// interrupt the wait. The stream is not safe for concurrent use: Finish runs only after the reader
	// has returned. A panic in the reader ends this stream only.
	pieces := make(chan piece)
	stopped := make(chan struct{})
	stop := make(chan struct{})
	go func() {
		defer close(stopped)
		for {
			text, err := r.next()
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
	var streamErr error
loop:
	for {
		select {
		case p := <-pieces:
			if p.err != nil {
				streamErr = p.err
				break loop
			}
			if err := out.Send(r.events.delta(p.text)...); err != nil {
				streamErr = err // the client is gone or stopped reading
				break loop
			}
		case <-out.Heartbeats():
			out.Ping()
		case <-r.stopping:
			streamErr = errRestarting
			break loop
		case <-r.ctx.Done():
			streamErr = r.ctx.Err()
			break loop
		}
	}
	close(stop)
	r.cancelUpstream() // unblocks a Next still waiting on the upstream
	<-stopped
	res, err := r.stream.Finish(streamErr)
	r.claim.Finish(r.ctx, res, err)
	if err == nil {
		return out.Send(r.events.done(res)...)
	}
	logPanic(r.ctx, r.log, err)
	if r.ctx.Err() == nil && !errors.Is(err, io.EOF) {
		out.Send(r.events.fail(describeStreamError(err))...)
	}
	return nil // the stream itself was answered: nothing for the error handler to write
}

// next is the stream's next piece, with a panic of the upstream reading turned into its error.
func (r *sseResponse) next() (text string, err error) {
	defer panics.Recover(&err)
	panics.Hook(panics.PointStreamReader)
	return r.stream.Next()
}

// describeStreamError gives the status and detail the same failure would have had as a response
// (classify), worded for a reply that was under way.
func describeStreamError(err error) (int, string) {
	p := classify(err, "conversation")
	switch {
	case errors.Is(err, store.ErrUnavailable):
		return p.status, "The database is unavailable right now: the reply could not be stored; try again shortly"
	case p.status == http.StatusInternalServerError:
		return p.status, "the reply could not be completed"
	}
	return p.status, p.body.Detail
}

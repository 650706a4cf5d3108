package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/chatbot-platform/chatbot/internal/apigen"
	"github.com/chatbot-platform/chatbot/internal/auth"
	"github.com/chatbot-platform/chatbot/internal/chat"
	"github.com/chatbot-platform/chatbot/internal/llm"
	"github.com/chatbot-platform/chatbot/internal/model"
)

// SendMessage implements apigen.StrictServerInterface (POST /chat).
func (h *Handlers) SendMessage(ctx context.Context, req apigen.SendMessageRequestObject) (apigen.SendMessageResponseObject, error) {
	res, err := h.chat.Send(ctx, chatRequest(ctx, req.Body))
	if err != nil {
		return nil, err
	}
	return apigen.SendMessage200JSONResponse(chatResponse(res)), nil
}

// StreamMessage implements apigen.StrictServerInterface (POST /chat/stream). Failures before the
// upstream answered are ordinary error responses; later ones end the stream with an error event.
func (h *Handlers) StreamMessage(ctx context.Context, req apigen.StreamMessageRequestObject) (apigen.StreamMessageResponseObject, error) {
	// The upstream call gets its own cancel, so the response can stop it whenever the stream ends here.
	upCtx, cancel := context.WithCancel(ctx)
	st, err := h.chat.Stream(upCtx, chatRequest(ctx, req.Body))
	if err != nil {
		cancel()
		return nil, err
	}
	return &sseResponse{ctx: ctx, cancelUpstream: cancel, stream: st, heartbeat: h.heartbeat}, nil
}

func chatRequest(ctx context.Context, b *apigen.ChatRequest) chat.Request {
	r := chat.Request{OwnerID: auth.UserID(ctx), ProjectID: b.ProjectId, Message: b.Message}
	if b.ConversationId != nil {
		r.ConversationID = *b.ConversationId
	}
	return r
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

// sseResponse writes a chat stream as Server-Sent Events: start, delta..., then done or error.
type sseResponse struct {
	ctx            context.Context // the request's
	cancelUpstream context.CancelFunc
	stream         *chat.Stream
	heartbeat      time.Duration
}

// eventWriteTimeout bounds writing one event, so a client that stops reading cannot hold the stream.
const eventWriteTimeout = 30 * time.Second

type piece struct {
	text string
	err  error
}

// VisitStreamMessageResponse implements apigen.StreamMessageResponseObject.
func (r *sseResponse) VisitStreamMessageResponse(w http.ResponseWriter) error {
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)
	send := func(event string, data any) error {
		rc.SetWriteDeadline(time.Now().Add(eventWriteTimeout))
		b, _ := json.Marshal(data)
		if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, b); err != nil {
			return err
		}
		return rc.Flush()
	}
	send("start", apigen.ChatStreamStart{ConversationId: r.stream.Start.ConversationID, UserMessageId: r.stream.Start.UserMessageID})

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
			if err := send("delta", apigen.ChatStreamDelta{Text: p.text}); err != nil {
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
		return send("done", chatResponse(res))
	}
	if r.ctx.Err() == nil && !errors.Is(err, io.EOF) {
		status, body := describeStreamError(err)
		send("error", apigen.ChatStreamError{Detail: body, Status: status})
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
	}
	return http.StatusInternalServerError, "the reply could not be completed"
}

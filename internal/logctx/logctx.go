// Package logctx makes every log line written while serving a request name that request: a
// slog.Handler wrapper adds the request id, the caller (user id, and key id for a project key) and,
// when tracing records the request, its trace id, read from the context given to the logger
// (log.InfoContext(ctx, ...)). Services need not thread them through by hand.
package logctx

import (
	"context"
	"log/slog"

	"go.opentelemetry.io/otel/trace"

	"github.com/chatbot-platform/chatbot/internal/auth"
)

type requestIDKey struct{}

// WithRequestID returns ctx carrying the request's id (the X-Request-Id the response sends).
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID returns the request id ctx carries, or "" outside a request.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// Handler adds request_id, user_id (0 for an anonymous request), key_id (requests made with a project
// key) and trace_id (requests tracing records) to each record logged with a request's context, after
// the record's own attributes. Records logged without one pass through unchanged. A record that sets
// one of these itself keeps its own (e.g. "user registered" names the new user, whoever asked).
//
// The attributes go where the record's own go: under the logger's group, if it has one.
type Handler struct{ next slog.Handler }

// NewHandler wraps next; wrapping a Handler again returns it unchanged.
func NewHandler(next slog.Handler) slog.Handler {
	if h, ok := next.(*Handler); ok {
		return h
	}
	return &Handler{next: next}
}

// Enabled implements slog.Handler.
func (h *Handler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.next.Enabled(ctx, level)
}

// Handle implements slog.Handler.
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	if ctx == nil {
		return h.next.Handle(ctx, r)
	}
	id := RequestID(ctx)
	if id == "" {
		return h.next.Handle(ctx, r)
	}
	var own keys
	r.Attrs(func(a slog.Attr) bool {
		own |= keyOf[a.Key]
		return true
	})
	if own&hasRequestID == 0 {
		r.AddAttrs(slog.String("request_id", id))
	}
	if own&hasUserID == 0 {
		r.AddAttrs(slog.Int64("user_id", auth.UserID(ctx)))
	}
	if k := auth.KeyFrom(ctx); k != nil && own&hasKeyID == 0 {
		r.AddAttrs(slog.Int64("key_id", k.ID))
	}
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() && sc.IsSampled() && own&hasTraceID == 0 {
		r.AddAttrs(slog.String("trace_id", sc.TraceID().String()))
	}
	return h.next.Handle(ctx, r)
}

// keys is a set of the attributes Handler adds.
type keys uint8

const (
	hasRequestID keys = 1 << iota
	hasUserID
	hasKeyID
	hasTraceID
)

var keyOf = map[string]keys{"request_id": hasRequestID, "user_id": hasUserID, "key_id": hasKeyID, "trace_id": hasTraceID}

// WithAttrs implements slog.Handler.
func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &Handler{next: h.next.WithAttrs(attrs)}
}

// WithGroup implements slog.Handler.
func (h *Handler) WithGroup(name string) slog.Handler {
	return &Handler{next: h.next.WithGroup(name)}
}

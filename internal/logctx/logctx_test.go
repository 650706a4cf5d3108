package logctx_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/chatbot-platform/chatbot/internal/auth"
	"github.com/chatbot-platform/chatbot/internal/logctx"
	"github.com/chatbot-platform/chatbot/internal/model"
)

func TestHandler_AddsTheRequestAndCallerOnlyWithinARequest(t *testing.T) {
	var buf bytes.Buffer
	text := slog.NewTextHandler(&buf, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}})
	log := slog.New(logctx.NewHandler(logctx.NewHandler(text))) // wrapping twice adds nothing twice

	req := logctx.WithRequestID(context.Background(), "r1")
	log.InfoContext(context.Background(), "outside", "a", 1)
	log.InfoContext(req, "anonymous")
	log.InfoContext(auth.WithUser(req, model.User{ID: 7}), "user")
	log.InfoContext(auth.WithKey(req, model.APIKey{ID: 3, OwnerID: 7}), "key")
	log.InfoContext(auth.WithUser(req, model.User{ID: 7}), "own", "user_id", 9, "request_id", "mine")
	log.With("svc", "x").InfoContext(req, "with")

	want := []string{
		`level=INFO msg=outside a=1`,
		`level=INFO msg=anonymous request_id=r1 user_id=0`,
		`level=INFO msg=user request_id=r1 user_id=7`,
		`level=INFO msg=key request_id=r1 user_id=7 key_id=3`,
		`level=INFO msg=own user_id=9 request_id=mine`,
		`level=INFO msg=with svc=x request_id=r1 user_id=0`,
	}
	got := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if logctx.RequestID(req) != "r1" || logctx.RequestID(context.Background()) != "" {
		t.Fatal("RequestID")
	}
}

package httpapi

import (
	"net/http"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

// TestRoutes_AuthFailsClosed: a handler the spec does not describe (its middleware would find no
// operation and skip authentication) stops the server from starting, and so does anything besides
// GET/HEAD pages outside the spec.
func TestRoutes_AuthFailsClosed(t *testing.T) {
	doc, err := Spec()
	if err != nil {
		t.Fatal(err)
	}
	ops := newOperations(doc)
	covered := []*echo.Route{{Method: http.MethodGet, Path: "/projects/:project_id"}, {Method: http.MethodPost, Path: "/v1/chat/completions"}}
	if err := ops.coverRoutes(covered); err != nil {
		t.Fatal(err)
	}
	stray := append(covered, &echo.Route{Method: http.MethodGet, Path: "/projects/:id"}) // a renamed parameter
	if err := ops.coverRoutes(stray); err == nil || !strings.Contains(err.Error(), "no operation") {
		t.Fatalf("a route outside the spec passed: %v", err)
	}
	if err := ops.onlyPagesBesides(append(covered, &echo.Route{Method: http.MethodGet, Path: "/widget.js"})); err != nil {
		t.Fatal(err)
	}
	if err := ops.onlyPagesBesides(append(covered, &echo.Route{Method: http.MethodPost, Path: "/admin"})); err == nil {
		t.Fatal("a POST outside the spec passed")
	}
	// Every operation says who may call it: a user's token, a key with scopes, or nobody (public).
	for route, op := range ops {
		if !op.public && !op.userToken && len(op.keyScopes) == 0 {
			t.Errorf("%s: no credential can call it", route)
		}
	}
}

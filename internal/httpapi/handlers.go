// Package httpapi is the HTTP edge: Echo, middleware, and the strict-server handlers that convert
// between the generated API types and the domain services.
package httpapi

import (
	"context"
	"log/slog"
	"time"

	"github.com/chatbot-platform/chatbot/internal/apigen"
	"github.com/chatbot-platform/chatbot/internal/apikey"
	"github.com/chatbot-platform/chatbot/internal/auth"
	"github.com/chatbot-platform/chatbot/internal/chat"
	"github.com/chatbot-platform/chatbot/internal/file"
	"github.com/chatbot-platform/chatbot/internal/project"
	"github.com/chatbot-platform/chatbot/internal/store"
	"github.com/chatbot-platform/chatbot/internal/usage"
)

// Handlers implements apigen.StrictServerInterface.
type Handlers struct {
	store    store.Store
	auth     *auth.Service
	keys     *apikey.Service
	projects *project.Service
	files    *file.Service
	chat     *chat.Service
	usage    *usage.Service
	// heartbeat is how often an idle chat stream sends a comment line, so proxies keep it open.
	heartbeat time.Duration
	// stopping closes when shutdown's grace period is over (Deps.Stopping).
	stopping <-chan struct{}
	log      *slog.Logger
}

var _ apigen.StrictServerInterface = (*Handlers)(nil)

// healthTimeout bounds the database check so /health answers within 2 seconds even when the database hangs.
const healthTimeout = 1500 * time.Millisecond

// HealthCheck implements apigen.StrictServerInterface.
func (h *Handlers) HealthCheck(ctx context.Context, _ apigen.HealthCheckRequestObject) (apigen.HealthCheckResponseObject, error) {
	ctx, cancel := context.WithTimeout(ctx, healthTimeout)
	defer cancel()
	if err := h.store.Ping(ctx); err != nil {
		return apigen.HealthCheck503JSONResponse{Status: apigen.Unhealthy, Database: apigen.Disconnected}, nil
	}
	return apigen.HealthCheck200JSONResponse{Status: apigen.Healthy, Database: apigen.Connected}, nil
}

// Package httpapi is the HTTP edge: Echo, middleware, and the strict-server handlers that convert
// between the generated API types and the domain services.
package httpapi

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/chatbot-platform/chatbot/internal/apigen"
	"github.com/chatbot-platform/chatbot/internal/apikey"
	"github.com/chatbot-platform/chatbot/internal/auth"
	"github.com/chatbot-platform/chatbot/internal/bundle"
	"github.com/chatbot-platform/chatbot/internal/chat"
	"github.com/chatbot-platform/chatbot/internal/eval"
	"github.com/chatbot-platform/chatbot/internal/feedback"
	"github.com/chatbot-platform/chatbot/internal/file"
	"github.com/chatbot-platform/chatbot/internal/metrics"
	"github.com/chatbot-platform/chatbot/internal/project"
	"github.com/chatbot-platform/chatbot/internal/ratelimit"
	"github.com/chatbot-platform/chatbot/internal/release"
	"github.com/chatbot-platform/chatbot/internal/store"
	"github.com/chatbot-platform/chatbot/internal/usage"
	"github.com/chatbot-platform/chatbot/internal/webhook"
)

// Handlers implements apigen.StrictServerInterface.
type Handlers struct {
	store    store.Store
	auth     *auth.Service
	keys     *apikey.Service
	webhooks *webhook.Service
	projects *project.Service
	bundles  *bundle.Service
	files    *file.Service
	releases *release.Service
	chat     *chat.Service
	evals    *eval.Service
	usage    *usage.Service
	feedback *feedback.Service
	// heartbeat is how often an idle chat stream sends a comment line, so proxies keep it open.
	heartbeat time.Duration
	writes    *store.Batcher
	probe     writeProbe
	limiter   ratelimit.Limiter
	metrics   *metrics.Metrics
	limits    limits
	// streams and uploads count what each user runs at once on this instance.
	streams, uploads *ratelimit.Concurrency
	// stopping closes when shutdown's grace period is over (Deps.Stopping).
	stopping <-chan struct{}
	log      *slog.Logger
}

// limits are the per-user caps the handlers enforce themselves (the services own the rest).
type limits struct {
	loginPerEmail int
	// emailsPerAddress: verification and reset links mailed to one address a minute.
	emailsPerAddress int
	streamsPerUser   int
	uploadsPerUser   int
}

var _ apigen.StrictServerInterface = (*Handlers)(nil)

// healthTimeout bounds the database check so /health answers within 2 seconds even when the database hangs.
const healthTimeout = 1500 * time.Millisecond

// writeProbeEvery is how often /health really tries a write after one succeeded; in between it
// repeats the answer, so a busy health checker costs the database one write lock every few seconds
// at most. After a failure it tries again sooner (writeRetryEvery), to report recovery quickly.
const (
	writeProbeEvery = 5 * time.Second
	writeRetryEvery = time.Second
)

// HealthCheck implements apigen.StrictServerInterface: 503 when the database does not answer a read,
// or cannot take a write (through the group commit, as replies are stored).
func (h *Handlers) HealthCheck(ctx context.Context, _ apigen.HealthCheckRequestObject) (apigen.HealthCheckResponseObject, error) {
	ctx, cancel := context.WithTimeout(ctx, healthTimeout)
	defer cancel()
	if err := h.store.Ping(ctx); err != nil {
		return apigen.HealthCheck503JSONResponse{Status: apigen.Unhealthy, Database: apigen.Disconnected}, nil
	}
	if err := h.probe.check(ctx, h.writes); err != nil {
		return apigen.HealthCheck503JSONResponse{Status: apigen.Unhealthy, Database: apigen.Disconnected}, nil
	}
	return apigen.HealthCheck200JSONResponse{Status: apigen.Healthy, Database: apigen.Connected}, nil
}

// writeProbe remembers the last write check for writeProbeEvery; one caller at a time runs a new one.
type writeProbe struct {
	mu  sync.Mutex
	at  time.Time
	err error
}

func (p *writeProbe) check(ctx context.Context, writes *store.Batcher) error {
	if writes == nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	every := writeProbeEvery
	if p.err != nil {
		every = writeRetryEvery
	}
	if !p.at.IsZero() && time.Since(p.at) < every {
		return p.err
	}
	// The job runs on the batcher's deadline even if ctx ends; the answer waits for healthTimeout at most.
	done := make(chan error, 1)
	go func() {
		done <- writes.Do(context.WithoutCancel(ctx), func(tx store.Store) error { return tx.CheckWritable(context.WithoutCancel(ctx)) })
	}()
	select {
	case p.err = <-done:
	case <-ctx.Done():
		p.err = fmt.Errorf("%w: the write check did not finish in time", store.ErrUnavailable)
	}
	p.at = time.Now()
	return p.err
}

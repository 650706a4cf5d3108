// Package metrics defines the platform's Prometheus series in one place. A Metrics is built on a
// registry the app creates and injects (never the global default registry), so tests read what was
// recorded. Every method is safe on a nil *Metrics, which records nothing: code paths built without
// metrics (unit tests) need no stand-in.
//
// Label values are bounded by construction: routes are Echo route templates (or "unmatched"),
// methods a fixed set, operations and outcomes constants of internal/llm, project ids the
// deployment's projects. Never a user, key or end-user label.
package metrics

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Namespace prefixes every series of the platform.
const Namespace = "chatbot"

// Metrics records the platform's series; the zero of *Metrics (nil) records nothing.
type Metrics struct {
	reg *prometheus.Registry

	httpRequests *prometheus.CounterVec   // route, method, status
	httpDuration *prometheus.HistogramVec // route, method

	upstreamRequests *prometheus.CounterVec   // operation, outcome
	upstreamDuration *prometheus.HistogramVec // operation
	upstreamTTFT     prometheus.Histogram
	upstreamRetries  *prometheus.CounterVec // operation

	tokens      *prometheus.CounterVec // project_id, kind
	openStreams prometheus.Gauge

	rateLimitRefusals *prometheus.CounterVec // limit
	budgetRefusals    *prometheus.CounterVec // budget

	batchSize   prometheus.Histogram
	batchWait   prometheus.Histogram
	batchCommit prometheus.Histogram

	jobRuns *prometheus.CounterVec // kind, outcome
}

// NewRegistry is a registry holding the Go runtime and process collectors, for New.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// New registers the platform's series on reg. It panics if they are registered there already (one
// Metrics per registry).
func New(reg *prometheus.Registry) *Metrics {
	m := &Metrics{
		reg: reg,
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "http_requests_total",
			Help: "HTTP requests answered, by Echo route template (or \"unmatched\"), method and status.",
		}, []string{"route", "method", "status"}),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace, Name: "http_request_duration_seconds",
			Help:    "Time to answer an HTTP request (a stream: until it ends), by route template and method.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}, []string{"route", "method"}),
		upstreamRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "upstream_requests_total",
			Help: "OpenAI operations (retries included in one), by operation and outcome (ok or the failure kind).",
		}, []string{"operation", "outcome"}),
		upstreamDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace, Name: "upstream_duration_seconds",
			Help:    "Time an OpenAI operation took, retries and waits included (a stream: until it ended).",
			Buckets: []float64{.05, .1, .25, .5, 1, 2.5, 5, 10, 20, 30, 60, 120},
		}, []string{"operation"}),
		upstreamTTFT: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: Namespace, Name: "upstream_time_to_first_token_seconds",
			Help:    "Time from starting a streamed reply to its first text delta.",
			Buckets: []float64{.05, .1, .25, .5, 1, 2, 3, 5, 10, 20, 30},
		}),
		upstreamRetries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "upstream_retries_total",
			Help: "Upstream tries repeated after a retryable failure (429, 5xx, timeout, broken connection).",
		}, []string{"operation"}),
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "tokens_total",
			Help: "Tokens OpenAI reported for stored replies, by project and kind (input or output).",
		}, []string{"project_id", "kind"}),
		openStreams: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: Namespace, Name: "open_streams",
			Help: "Streamed replies in progress (one upstream stream per chat stream).",
		}),
		rateLimitRefusals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "rate_limit_refusals_total",
			Help: "Requests refused with 429 by a rate limit: ip (register, login), user or key.",
		}, []string{"limit"}),
		budgetRefusals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "budget_refusals_total",
			Help: "Requests refused because a usage budget was spent, by budget.",
		}, []string{"budget"}),
		jobRuns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "job_runs_total",
			Help: "Background job runs on this instance, by kind and outcome: completed, snoozed (waiting, e.g. a file still indexing or a webhook retry), failed (will retry), discarded (given up).",
		}, []string{"kind", "outcome"}),
		batchSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: Namespace, Name: "batch_size",
			Help:    "Jobs per group-commit transaction.",
			Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128, 256},
		}),
		batchWait: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: Namespace, Name: "batch_wait_seconds",
			Help:    "Time a write waited in the group-commit queue before its transaction began.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1},
		}),
		batchCommit: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: Namespace, Name: "batch_commit_seconds",
			Help:    "Time one group-commit transaction took, commit (fsync) included.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1},
		}),
	}
	reg.MustRegister(m.httpRequests, m.httpDuration, m.upstreamRequests, m.upstreamDuration, m.upstreamTTFT,
		m.upstreamRetries, m.tokens, m.openStreams, m.rateLimitRefusals, m.budgetRefusals, m.batchSize,
		m.batchWait, m.batchCommit, m.jobRuns)
	return m
}

// Registry is the registry m records on (nil for a nil m).
func (m *Metrics) Registry() *prometheus.Registry {
	if m == nil {
		return nil
	}
	return m.reg
}

// Unmatched is the route label of a request no route matched.
const Unmatched = "unmatched"

// HTTPRequest records one answered request. route is Echo's route template ("" means no route
// matched); a method outside the standard ones is recorded as "OTHER".
func (m *Metrics) HTTPRequest(route, method string, status int, d time.Duration) {
	if m == nil {
		return
	}
	if route == "" {
		route = Unmatched
	}
	method = knownMethod(method)
	m.httpRequests.WithLabelValues(route, method, statusLabel(status)).Inc()
	m.httpDuration.WithLabelValues(route, method).Observe(d.Seconds())
}

func knownMethod(m string) string {
	switch m {
	case "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS":
		return m
	}
	return "OTHER"
}

// statusLabel avoids formatting the common statuses on every request.
func statusLabel(status int) string {
	switch status {
	case 200:
		return "200"
	case 201:
		return "201"
	case 204:
		return "204"
	}
	return strconv.Itoa(status)
}

// UpstreamCall records one finished OpenAI operation: outcome is "ok" or the failure kind.
func (m *Metrics) UpstreamCall(operation, outcome string, d time.Duration) {
	if m == nil {
		return
	}
	m.upstreamRequests.WithLabelValues(operation, outcome).Inc()
	m.upstreamDuration.WithLabelValues(operation).Observe(d.Seconds())
}

// UpstreamRetry records one retry of an operation.
func (m *Metrics) UpstreamRetry(operation string) {
	if m == nil {
		return
	}
	m.upstreamRetries.WithLabelValues(operation).Inc()
}

// TimeToFirstToken records how long a stream took to its first text.
func (m *Metrics) TimeToFirstToken(d time.Duration) {
	if m == nil {
		return
	}
	m.upstreamTTFT.Observe(d.Seconds())
}

// Tokens adds a reply's token counts to its project's.
func (m *Metrics) Tokens(projectID int64, input, output int) {
	if m == nil || input <= 0 && output <= 0 {
		return
	}
	p := strconv.FormatInt(projectID, 10)
	m.tokens.WithLabelValues(p, "input").Add(float64(max(input, 0)))
	m.tokens.WithLabelValues(p, "output").Add(float64(max(output, 0)))
}

// StreamOpened counts a streamed reply in progress; StreamClosed once it ended.
func (m *Metrics) StreamOpened() {
	if m != nil {
		m.openStreams.Inc()
	}
}

// StreamClosed ends what StreamOpened counted.
func (m *Metrics) StreamClosed() {
	if m != nil {
		m.openStreams.Dec()
	}
}

// The rate limits RateLimitRefused names.
const (
	LimitIP   = "ip"
	LimitUser = "user"
	LimitKey  = "key"
	// LimitAccount: login attempts per account (email), whatever the client IP.
	LimitAccount = "account"
)

// RateLimitRefused counts a request refused by limit (LimitIP, LimitUser or LimitKey).
func (m *Metrics) RateLimitRefused(limit string) {
	if m == nil {
		return
	}
	m.rateLimitRefusals.WithLabelValues(limit).Inc()
}

// BudgetRefused counts a request refused because a usage budget is spent. budget names the kind of
// budget (e.g. "project" or "key"): a small fixed set, never an id or a user.
func (m *Metrics) BudgetRefused(budget string) {
	if m == nil {
		return
	}
	m.budgetRefusals.WithLabelValues(budget).Inc()
}

// Batch records one group-commit transaction: how many jobs it held and how long it took.
func (m *Metrics) Batch(jobs int, took time.Duration) {
	if m == nil {
		return
	}
	m.batchSize.Observe(float64(jobs))
	m.batchCommit.Observe(took.Seconds())
}

// Job run outcomes.
const (
	JobCompleted = "completed"
	JobSnoozed   = "snoozed"
	JobFailed    = "failed"
	JobDiscarded = "discarded"
)

// JobRun counts one run of a background job of kind (a small fixed set) that ended with outcome.
func (m *Metrics) JobRun(kind, outcome string) {
	if m == nil {
		return
	}
	m.jobRuns.WithLabelValues(kind, outcome).Inc()
}

// BatchWait records how long one job waited in the queue before its transaction began.
func (m *Metrics) BatchWait(d time.Duration) {
	if m == nil {
		return
	}
	m.batchWait.Observe(d.Seconds())
}

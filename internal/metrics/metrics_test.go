package metrics_test

import (
	"slices"
	"testing"
	"time"

	"github.com/chatbot-platform/chatbot/internal/metrics"
)

func TestNilMetricsRecordNothingAndDoNotPanic(t *testing.T) {
	var m *metrics.Metrics
	m.HTTPRequest("/chat", "POST", 200, time.Millisecond)
	m.UpstreamCall("responses", "ok", time.Millisecond)
	m.UpstreamRetry("responses")
	m.TimeToFirstToken(time.Millisecond)
	m.Tokens(1, 2, 3)
	m.StreamOpened()
	m.StreamClosed()
	m.RateLimitRefused(metrics.LimitUser)
	m.BudgetRefused("project")
	m.Batch(3, time.Millisecond)
	m.BatchWait(time.Millisecond)
	m.WatchPools(func() []metrics.PoolStats { t.Fatal("read"); return nil })
	if m.Registry() != nil {
		t.Fatal("a nil Metrics has a registry")
	}
}

func TestHTTPLabelsStayBounded(t *testing.T) {
	reg := metrics.NewRegistry()
	m := metrics.New(reg)
	m.HTTPRequest("", "GET", 404, time.Millisecond)
	m.HTTPRequest("/projects", "BREW", 405, time.Millisecond)
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range families {
		if f.GetName() != "chatbot_http_requests_total" {
			continue
		}
		for _, s := range f.GetMetric() {
			l := map[string]string{}
			for _, p := range s.GetLabel() {
				l[p.GetName()] = p.GetValue()
			}
			got = append(got, l["route"]+" "+l["method"]+" "+l["status"])
		}
	}
	slices.Sort(got)
	if len(got) != 2 || got[0] != "/projects OTHER 405" || got[1] != "unmatched GET 404" {
		t.Fatalf("series = %q", got)
	}
}

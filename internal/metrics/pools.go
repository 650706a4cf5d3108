package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// PoolStats is one database connection pool's figures at a moment.
type PoolStats struct {
	Pool         string // e.g. "reader", "writer" (SQLite) or "main" (PostgreSQL)
	MaxOpen      int    // the pool's limit (0: none)
	InUse, Idle  int
	Waits        int64         // total times a caller waited for a connection
	WaitDuration time.Duration // total time callers waited
}

// WatchPools registers a collector that reads stats at every scrape. Safe on a nil m.
func (m *Metrics) WatchPools(stats func() []PoolStats) {
	if m == nil {
		return
	}
	m.reg.MustRegister(poolCollector{stats})
}

var (
	poolConns = prometheus.NewDesc(Namespace+"_db_pool_connections",
		"Open database connections, by pool and state (in_use or idle).", []string{"pool", "state"}, nil)
	poolMax = prometheus.NewDesc(Namespace+"_db_pool_max_connections",
		"The pool's connection limit (0: none).", []string{"pool"}, nil)
	poolWaits = prometheus.NewDesc(Namespace+"_db_pool_waits_total",
		"Times a query waited for a free connection.", []string{"pool"}, nil)
	poolWaited = prometheus.NewDesc(Namespace+"_db_pool_wait_seconds_total",
		"Total time queries waited for a free connection.", []string{"pool"}, nil)
)

type poolCollector struct{ stats func() []PoolStats }

func (poolCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- poolConns
	ch <- poolMax
	ch <- poolWaits
	ch <- poolWaited
}

func (c poolCollector) Collect(ch chan<- prometheus.Metric) {
	for _, s := range c.stats() {
		ch <- prometheus.MustNewConstMetric(poolConns, prometheus.GaugeValue, float64(s.InUse), s.Pool, "in_use")
		ch <- prometheus.MustNewConstMetric(poolConns, prometheus.GaugeValue, float64(s.Idle), s.Pool, "idle")
		ch <- prometheus.MustNewConstMetric(poolMax, prometheus.GaugeValue, float64(s.MaxOpen), s.Pool)
		ch <- prometheus.MustNewConstMetric(poolWaits, prometheus.CounterValue, float64(s.Waits), s.Pool)
		ch <- prometheus.MustNewConstMetric(poolWaited, prometheus.CounterValue, s.WaitDuration.Seconds(), s.Pool)
	}
}

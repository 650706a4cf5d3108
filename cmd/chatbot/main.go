// Command chatbot runs the chatbot platform: the API, the dashboard and the API docs in one binary.
//
//	chatbot              serve (the default)
//	chatbot migrate      apply database migrations and exit
//	chatbot backup PATH  write a consistent copy of the SQLite database to PATH, a new file, while it runs
//	chatbot jobs         list the background jobs that failed recently (retrying or given up)
//	chatbot healthcheck  exit 0 when the server at ADDR answers /health with 200 (for container health checks)
//	chatbot -h           list the settings (environment variables)
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"go.opentelemetry.io/otel"

	"github.com/chatbot-platform/chatbot/internal/app"
	"github.com/chatbot-platform/chatbot/internal/config"
)

func main() {
	cmd := ""
	if len(os.Args) > 1 {
		cmd = os.Args[1]
	}
	var err error
	switch cmd {
	case "", "serve":
		err = serve()
	case "migrate":
		err = migrate()
	case "backup":
		err = backup(os.Args[2:])
	case "jobs":
		err = listJobs(os.Stdout)
	case "healthcheck":
		err = healthcheck()
	case "-h", "-help", "--help", "help":
		usage()
	default:
		usage()
		err = fmt.Errorf("unknown command %q", cmd)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "chatbot:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprint(os.Stderr, `Usage: chatbot [serve | migrate | backup PATH | jobs | healthcheck | -h]

Runs the chatbot platform: API, dashboard (/), API docs (/docs, /redoc).
  migrate      apply database migrations and exit (serve does it too)
  backup PATH  write a consistent copy of the SQLite database to PATH, a new file, while the server runs
               (PostgreSQL: use pg_dump)
  jobs         list the background jobs of the database DATABASE_URL names that failed recently, newest
               first: kind, id, state (retryable: runs again; discarded: given up), attempts, when it was
               given up (or runs next) and its last error

Settings come from the environment, or from a .env file in the working directory:

`)
	config.Usage(os.Stderr)
}

// defaultMemoryLimit is the Go runtime's soft memory limit when GOMEMLIMIT is not set: the collector
// works harder as the heap nears it, instead of letting garbage double the footprint under load
// (2,000 concurrent streams: about 300 MB resident without it, under 200 MB with it). It is not a cap:
// a server that needs more live memory gets it, at the cost of more GC CPU.
const defaultMemoryLimit = 150 << 20

// defaultGCPercent replaces Go's 100 when GOGC is not set: with the soft memory limit bounding the
// heap, collecting half as often bought 8–13 % more throughput on reads and chat (docs/benchmarks.md).
const defaultGCPercent = 200

func serve() error {
	start := time.Now()
	if _, set := os.LookupEnv("GOMEMLIMIT"); !set {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(defaultGCPercent)
	}
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	log, closeLog, err := app.NewLogger(cfg)
	if err != nil {
		return err
	}
	defer closeLog.Close()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	for _, w := range cfg.Warnings() {
		log.Warn("UNSAFE SETTING: " + w)
	}

	if cfg.PprofAddr != "" {
		// The profiler gets its own listener (never the public one); net/http/pprof registers on the default mux.
		go func() { log.Error("pprof stopped", "error", http.ListenAndServe(cfg.PprofAddr, nil)) }()
		log.Warn("profiler enabled", "url", "http://"+cfg.PprofAddr+"/debug/pprof/")
	}
	// Spans that cannot be exported are reported here, not on the SDK's own logger.
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) { log.Warn("opentelemetry", "error", err) }))
	a, err := app.New(ctx, cfg, app.Options{Log: log, Pages: pages})
	if err != nil {
		return err
	}
	defer a.Close()
	if cfg.MetricsAddr != "" {
		// Metrics get their own listener too: they name routes, projects and the process's figures.
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", a.MetricsHandler())
		msrv := &http.Server{Addr: cfg.MetricsAddr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go func() { log.Error("metrics stopped", "error", msrv.ListenAndServe()) }()
		log.Info("metrics enabled", "url", "http://"+cfg.MetricsAddr+"/metrics")
		if !config.Loopback(cfg.MetricsAddr) {
			log.Warn("METRICS_ADDR is not a loopback address: anyone who reaches it reads the metrics; keep it behind a firewall", "addr", cfg.MetricsAddr)
		}
	}
	if cfg.OTLPEndpoint != "" {
		log.Info("tracing enabled", "otlp_endpoint", cfg.OTLPEndpoint)
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           a.Echo,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       cfg.ReadTimeout,
		WriteTimeout:      cfg.WriteTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	engine, _, _ := config.ParseDatabaseURL(cfg.DatabaseURL)
	log.Info("chatbot platform ready", "url", "http://"+ln.Addr().String(), "docs", "http://"+ln.Addr().String()+"/docs",
		"database", engine, "startup", time.Since(start).Round(time.Millisecond))

	// Start-up garbage (the parsed spec, migrations) goes back to the OS before the first request.
	debug.FreeOSMemory()
	if err := a.Serve(ctx, srv, ln, cfg.ShutdownGrace); err != nil {
		return err
	}
	log.Info("stopped")
	return nil
}

func migrate() error {
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	log, closeLog, err := app.NewLogger(cfg)
	if err != nil {
		return err
	}
	defer closeLog.Close()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	s, err := app.OpenStore(ctx, cfg.DatabaseURL, log) // opening migrates
	if err != nil {
		return err
	}
	s.Close()
	fmt.Fprintln(os.Stderr, "chatbot: migrations applied")
	return nil
}

func backup(args []string) error {
	if len(args) != 1 || args[0] == "" || args[0][0] == '-' {
		return errors.New("usage: chatbot backup PATH (a file that does not exist yet)")
	}
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := app.Backup(ctx, cfg.DatabaseURL, args[0]); err != nil {
		return err
	}
	fmt.Fprintln(os.Stderr, "chatbot: database copied to", args[0])
	return nil
}

// failedJobsShown is how many failed jobs `chatbot jobs` lists.
const failedJobsShown = 50

// listJobs writes the recently failed background jobs to w as a table.
func listJobs(w io.Writer) error {
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	s, err := app.OpenStore(ctx, cfg.DatabaseURL, nil) // opening migrates, like serve
	if err != nil {
		return err
	}
	defer s.Close()
	failed, err := s.Jobs().Failed(ctx, failedJobsShown)
	if err != nil {
		return err
	}
	if len(failed) == 0 {
		fmt.Fprintln(w, "no failed jobs")
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "KIND\tID\tSTATE\tATTEMPTS\tFINALIZED\tLAST ERROR")
	for _, f := range failed {
		at := f.At.UTC().Format(time.RFC3339)
		if f.State != "discarded" {
			at = "retries " + at
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%d/%d\t%s\t%s\n", f.Kind, f.ID, f.State, f.Attempt, f.MaxAttempts, at,
			strings.Join(strings.Fields(f.LastError), " "))
	}
	return tw.Flush()
}

func healthcheck() error {
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	host, port, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return err
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	client := &http.Client{Timeout: 3 * time.Second}
	resp, err := client.Get("http://" + net.JoinHostPort(host, port) + "/health")
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("health: %s", resp.Status)
	}
	return nil
}

// Command fakeopenai runs the in-repo fake of the OpenAI API (see
// internal/fakeopenai) so the platform can run without OpenAI:
//
//	go run ./cmd/fakeopenai -addr 127.0.0.1:8090
//	OPENAI_BASE_URL=http://127.0.0.1:8090/v1 OPENAI_API_KEY=anything ...
//
// The address can also come from FAKEOPENAI_ADDR. State lives in memory.
package main

import (
	"context"
	"errors"
	"flag"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/chatbot-platform/chatbot/internal/fakeopenai"
)

func main() {
	defAddr := "127.0.0.1:8090"
	if v := os.Getenv("FAKEOPENAI_ADDR"); v != "" {
		defAddr = v
	}
	addr := flag.String("addr", defAddr, "listen address (env FAKEOPENAI_ADDR)")
	key := flag.String("api-key", "", "the only accepted API key (default: any non-empty key)")
	latency := flag.Duration("latency", 0, "delay before every answer")
	deltaDelay := flag.Duration("delta-delay", 30*time.Millisecond, "delay before each streamed text delta")
	indexing := flag.Duration("indexing-delay", 2*time.Second, "time a file attached to a vector store stays in_progress")
	quiet := flag.Bool("quiet", false, "do not log each request")
	flag.Parse()

	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	opts := []fakeopenai.Option{
		fakeopenai.WithAPIKey(*key), fakeopenai.WithLatency(*latency),
		fakeopenai.WithDeltaDelay(*deltaDelay), fakeopenai.WithIndexingDelay(*indexing),
	}
	if !*quiet {
		opts = append(opts, fakeopenai.WithLogger(log))
	}
	fake := fakeopenai.New(opts...)

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Error("listen", "err", err)
		os.Exit(1)
	}
	srv := &http.Server{Handler: fake, ReadHeaderTimeout: 10 * time.Second}
	log.Info("fake OpenAI API listening", "base_url", "http://"+ln.Addr().String()+"/v1")

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		fake.Close() // release stalled streams so Shutdown can finish
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Error("serve", "err", err)
		os.Exit(1)
	}
}

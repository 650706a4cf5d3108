package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// eventWriteTimeout bounds writing one event, so a client that stops reading cannot hold the stream.
const eventWriteTimeout = 30 * time.Second

// sseFrame is one event: its name (none: the default "message"), and data to send as JSON, or raw.
type sseFrame struct {
	event string
	data  any
	raw   string
}

// sseWriter writes a Server-Sent Events response: the headers, the framing of each event, a write
// deadline per write, and a heartbeat comment when asked (Heartbeats ticks). It knows nothing of
// chat: the stream pump says what to send and when. It is used from one goroutine.
type sseWriter struct {
	w      http.ResponseWriter
	rc     *http.ResponseController
	ticker *time.Ticker
	buf    bytes.Buffer
}

// newSSEWriter sends the status and headers of an event stream (plus extra, e.g. X-Budget-Remaining)
// and starts the heartbeat ticker; Stop ends it.
func newSSEWriter(w http.ResponseWriter, heartbeat time.Duration, extra http.Header) *sseWriter {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	for k, v := range extra {
		h[k] = v
	}
	w.WriteHeader(http.StatusOK)
	return &sseWriter{w: w, rc: http.NewResponseController(w), ticker: time.NewTicker(heartbeat)}
}

// Send writes frames and flushes them; an error means the client is gone or stopped reading.
func (s *sseWriter) Send(frames ...sseFrame) error {
	s.buf.Reset()
	for _, f := range frames {
		if f.event != "" {
			fmt.Fprintf(&s.buf, "event: %s\n", f.event)
		}
		data := []byte(f.raw)
		if f.data != nil {
			data, _ = json.Marshal(f.data)
		}
		fmt.Fprintf(&s.buf, "data: %s\n\n", data)
	}
	return s.write(s.buf.Bytes())
}

// Heartbeats ticks when a keep-alive is due; answer each tick with Ping.
func (s *sseWriter) Heartbeats() <-chan time.Time { return s.ticker.C }

// Ping writes a comment line, which clients ignore and proxies see as traffic.
func (s *sseWriter) Ping() error { return s.write([]byte(": ping\n\n")) }

// Stop ends the heartbeats.
func (s *sseWriter) Stop() { s.ticker.Stop() }

func (s *sseWriter) write(b []byte) error {
	s.rc.SetWriteDeadline(time.Now().Add(eventWriteTimeout))
	if _, err := s.w.Write(b); err != nil {
		return err
	}
	return s.rc.Flush()
}

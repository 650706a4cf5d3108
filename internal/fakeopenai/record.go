package fakeopenai

import (
	"context"
	"net/http"
	"time"
)

// Request is one request as the fake received it.
type Request struct {
	Seq           int      // 0-based arrival order
	Method, Path  string   // e.g. POST /v1/responses
	Endpoint      Endpoint // matched route ("" for unknown URLs)
	Time          time.Time
	Header        http.Header
	ContentLength int64  // -1 for a chunked (streamed) body
	Body          []byte // raw body of JSON requests

	Responses *ResponsesCall // parsed body of POST /v1/responses
	Upload    *File          // what POST /v1/files received (nil if it failed)

	// ClientGone is when the fake noticed that the client closed the
	// connection while it was waiting or streaming (zero if it never did).
	ClientGone time.Time
}

type recKey struct{}

// record stores a new Request and returns it; handlers reach it via recOf.
func (s *Server) record(r *http.Request, ep Endpoint) *Request {
	rec := &Request{
		Method:        r.Method,
		Path:          r.URL.Path,
		Endpoint:      ep,
		Time:          time.Now(),
		Header:        r.Header.Clone(),
		ContentLength: r.ContentLength,
	}
	s.mu.Lock()
	rec.Seq = len(s.requests)
	s.requests = append(s.requests, rec)
	s.mu.Unlock()
	return rec
}

func withRec(r *http.Request, rec *Request) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), recKey{}, rec))
}

func recOf(r *http.Request) *Request {
	rec, _ := r.Context().Value(recKey{}).(*Request)
	if rec == nil {
		rec = &Request{} // not reached through ServeHTTP; keep handlers simple
	}
	return rec
}

// update changes a recorded request under the lock.
func (s *Server) update(rec *Request, f func(*Request)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(rec)
}

func (s *Server) markGone(rec *Request) {
	s.update(rec, func(r *Request) {
		if r.ClientGone.IsZero() {
			r.ClientGone = time.Now()
		}
	})
}

// Requests returns a copy of every request received so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.requests))
	for i, r := range s.requests {
		out[i] = *r
		out[i].Header = r.Header.Clone()
	}
	return out
}

// RequestsTo returns the requests received on ep, in order.
func (s *Server) RequestsTo(ep Endpoint) []Request {
	var out []Request
	for _, r := range s.Requests() {
		if r.Endpoint == ep {
			out = append(out, r)
		}
	}
	return out
}

// Count is how many requests ep received.
func (s *Server) Count(ep Endpoint) int { return len(s.RequestsTo(ep)) }

// ResetRequests forgets the recorded requests (state and faults stay).
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
}

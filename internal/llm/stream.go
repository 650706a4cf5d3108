package llm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	openai "github.com/sashabaranov/go-openai"
)

// Stream is a reply arriving piece by piece. It is not safe for concurrent
// use; cancel the context given to Client.Stream to abort a blocked Next.
type Stream struct {
	c        *Client
	ctx      context.Context // the caller's (with the stream's span), to tell its cancellation apart
	ob       observed
	attempts int

	up     *openai.ResponseStream
	info   *tryInfo
	timer  *time.Timer // first-event, then idle timeout: cancels the upstream request
	cancel context.CancelFunc

	pending *openai.ResponseStreamEvent // the first event, read by Client.Stream
	text    strings.Builder
	reply   Reply
	err     error
	done    bool // response.completed seen
	ended   bool // resources released and outcome logged
}

// Stream starts a streamed reply. It returns once the first upstream event
// has arrived, so a failure before that (after retries) can still be answered
// as a plain error; later failures come from Next.
func (c *Client) Stream(ctx context.Context, r Request) (*Stream, error) {
	if err := c.notConfigured(); err != nil {
		return nil, err
	}
	req := responsesRequest(r)
	ctx, ob := c.begin(ctx, op{name: "responses.stream", model: r.Model}, &r)
	s := &Stream{c: c, ctx: ctx, ob: ob}
	attempts, status, err := c.call(ctx, ob.o, func(tctx context.Context, info *tryInfo) error {
		sctx, cancel := context.WithCancel(tctx)
		timer := time.AfterFunc(c.cfg.Timeout, func() {
			info.timedOut.Store(true)
			cancel()
		})
		up, err := c.oa.CreateResponseStream(sctx, req)
		if err == nil {
			var ev openai.ResponseStreamEvent
			ev, err = up.Recv()
			switch {
			case err == io.EOF:
				err = errStreamEnded
			case err == nil:
				err = eventErr(ev)
			}
			if err == nil && timer.Stop() {
				s.up, s.info, s.timer, s.cancel, s.pending = up, info, timer, cancel, &ev
				return nil
			}
			_ = up.Close()
		}
		timer.Stop()
		cancel()
		if err == nil { // the timer fired just as the first event came
			err = context.DeadlineExceeded
		}
		return err
	})
	s.attempts = attempts
	if err != nil {
		c.finish(ctx, ob, attempts, status, err, nil)
		return nil, err
	}
	c.metrics.StreamOpened()
	return s, nil
}

// eventErr is the error carried by an `error` or response.failed event.
func eventErr(ev openai.ResponseStreamEvent) error {
	switch ev.Type {
	case openai.ResponseStreamEventError:
		code := ev.Code
		if code == "" && ev.Error != nil {
			code = ev.Error.Code
		}
		return &eventError{code: code, message: ev.Message}
	case openai.ResponseStreamEventFailed:
		if ev.Response != nil {
			return failedResponse(ev.Response)
		}
		return &eventError{code: "failed", message: "response failed"}
	}
	return nil
}

// Next returns the next piece of text. At the end it returns io.EOF and
// Reply has the full reply; any other error is an *Error (the stream broke,
// went idle for StreamIdleTimeout, or the context was canceled).
func (s *Stream) Next() (string, error) {
	for {
		switch {
		case s.err != nil:
			return "", s.err
		case s.done:
			return "", io.EOF
		}
		ev, err := s.recv()
		if err == nil {
			err = eventErr(ev)
		}
		if err != nil {
			s.fail(err)
			continue
		}
		switch ev.Type {
		case openai.ResponseStreamEventOutputTextDelta:
			if ev.Delta != "" {
				if s.text.Len() == 0 {
					s.firstToken()
				}
				s.text.WriteString(ev.Delta)
				return ev.Delta, nil
			}
		case openai.ResponseStreamEventCompleted, openai.ResponseStreamEventIncomplete:
			if ev.Response != nil {
				s.reply = replyOf(ev.Response)
			}
			if s.reply.Text == "" {
				s.reply.Text = s.text.String()
			}
			s.reply.Attempts = s.attempts
			s.done = true
			s.end(nil)
		}
	}
}

// recv reads one event under the idle timeout.
func (s *Stream) recv() (openai.ResponseStreamEvent, error) {
	if ev := s.pending; ev != nil {
		s.pending = nil
		return *ev, nil
	}
	s.timer.Reset(s.c.cfg.StreamIdleTimeout)
	ev, err := s.up.Recv()
	s.timer.Stop()
	var apiErr *openai.APIError
	switch {
	case err == io.EOF:
		err = errStreamEnded
	case err != nil && !errors.As(err, &apiErr):
		err = fmt.Errorf("%w: %w", errStreamEnded, err) // the body broke off mid-stream
	}
	return ev, err
}

func (s *Stream) fail(err error) {
	e := classify(s.ctx, err, s.info)
	e.retry = false // text was already handed out: never retried
	e.Attempts = s.attempts
	s.err = e
	s.end(e)
}

// end releases the upstream connection and reports the outcome (log, metrics, span), once.
func (s *Stream) end(err *Error) {
	if s.ended {
		return
	}
	s.ended = true
	s.timer.Stop()
	_ = s.up.Close()
	s.cancel()
	s.c.metrics.StreamClosed()
	var reply *Reply
	if s.done {
		reply = &s.reply
	}
	s.c.finish(s.ctx, s.ob, s.attempts, s.info.status, err, reply)
}

// Reply is the full reply after Next returned io.EOF; before that it holds
// the text received so far.
func (s *Stream) Reply() Reply {
	if s.done {
		return s.reply
	}
	return Reply{Text: s.text.String(), Attempts: s.attempts}
}

// Close releases the upstream connection; call it when done (also after
// io.EOF). Closing early abandons the upstream request.
func (s *Stream) Close() error {
	if !s.ended {
		s.err = newError(KindCanceled, context.Canceled)
		s.end(s.err.(*Error))
	}
	return nil
}

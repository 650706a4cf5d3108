package chat

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/chatbot-platform/chatbot/internal/llm"
	"github.com/chatbot-platform/chatbot/internal/model"
	"github.com/chatbot-platform/chatbot/internal/store"
	"github.com/chatbot-platform/chatbot/internal/usage"
)

// Stream is a reply being streamed. The conversation and the user's message are stored before the
// first delta (Start has their ids); the assistant's message is stored when the stream ends, marked
// incomplete when it broke off.
type Stream struct {
	s     *Service
	t     *turn
	up    *llm.Stream
	ctx   context.Context
	Start Result // ConversationID, UserMessageID, BudgetRemaining and Release
	// firstToken is when the first piece of the reply arrived, from the turn's start.
	firstToken time.Duration
}

// Stream starts a streamed reply: it returns once the upstream answered (retries happen before), so an
// error here is still an ordinary error response. Errors: as Send.
func (s *Service) Stream(ctx context.Context, req Request) (*Stream, error) {
	t, err := s.prepare(ctx, req)
	if err == nil {
		err = s.reserve(ctx, t, "stream")
	}
	if err != nil {
		return nil, err
	}
	up, err := s.llm.Stream(ctx, t.call)
	if err != nil {
		s.logFailure(ctx, t, err)
		s.usage.Fail(ctx, t.held, t.outcome(llm.Usage{}, "", err))
		return nil, err
	}
	st := &Stream{s: s, t: t, up: up, ctx: ctx}
	st.Start.BudgetRemaining, st.Start.Release = t.held.Remaining, t.release
	wctx := context.WithoutCancel(ctx)
	var conv model.Conversation
	var stored []model.Message
	err = s.writes.Do(wctx, func(tx store.Store) (err error) {
		conv, stored, err = s.save(wctx, tx, t, t.userMessage())
		return err
	})
	if err != nil {
		up.Close()
		s.usage.Fail(ctx, t.held, t.outcome(up.Reply().Usage, "", err))
		return nil, t.storeError(err)
	}
	t.conv = conv
	st.Start.ConversationID, st.Start.UserMessageID = conv.ID, stored[0].ID
	return st, nil
}

// Next returns the next piece of the reply; io.EOF at the end.
func (st *Stream) Next() (string, error) {
	text, err := st.up.Next()
	if err == nil && st.firstToken == 0 {
		st.firstToken = time.Since(st.t.started)
	}
	return text, err
}

// Finish stores the assistant's message and returns the result. After a clean end (Next gave io.EOF)
// the message is complete; otherwise whatever arrived is stored as incomplete (nothing when nothing
// arrived) and streamErr is returned.
func (st *Stream) Finish(streamErr error) (Result, error) {
	st.up.Close()
	reply := st.up.Reply()
	res := st.Start
	res.Reply, res.Model, res.Usage = reply.Text, reply.Model, reply.Usage
	res.Citations = st.t.citations(reply.Citations)
	incomplete := streamErr != nil && !errors.Is(streamErr, io.EOF)
	outcome := st.t.outcome(reply.Usage, reply.Model, nil)
	outcome.TimeToFirstToken = st.firstToken
	if incomplete {
		outcome.Result = st.t.outcome(reply.Usage, reply.Model, streamErr).Result
		if outcome.Result == usage.OutcomeOK {
			outcome.Result = "incomplete"
		}
	}
	if incomplete && res.Reply == "" {
		st.s.usage.Fail(st.ctx, st.t.held, outcome)
		return res, streamErr
	}
	if res.Model == "" {
		res.Model = st.t.call.Model
	}
	// The client may be gone; what it was shown must still be stored.
	ctx := context.WithoutCancel(st.ctx)
	var stored []model.Message
	err := st.s.writes.Do(ctx, func(tx store.Store) (err error) {
		if _, stored, err = st.s.save(ctx, tx, st.t, st.t.assistantMessage(res, incomplete)); err != nil {
			return err
		}
		if err = st.s.usage.Settle(ctx, tx, st.t.held, outcome); err != nil || incomplete {
			return err
		}
		done := res
		done.MessageID = stored[0].ID
		return st.t.req.Claim.storeIn(ctx, tx, done)
	})
	if err != nil {
		st.s.usage.Fail(ctx, st.t.held, outcome)
		st.s.logLost(ctx, st.t, reply.Usage, err)
		return res, st.t.storeError(err)
	}
	if !incomplete {
		st.t.req.Claim.stored()
	}
	st.s.usage.Settled(ctx, st.t.held)
	res.MessageID = stored[0].ID
	st.s.logReply(ctx, st.t, res, reply.Attempts, true)
	if incomplete {
		return res, streamErr
	}
	return res, nil
}

// Model is the model the reply is asked of: the project's.
func (st *Stream) Model() string { return st.t.call.Model }

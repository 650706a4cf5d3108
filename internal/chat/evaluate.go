package chat

import (
	"context"
	"time"

	"github.com/chatbot-platform/chatbot/internal/llm"
	"github.com/chatbot-platform/chatbot/internal/model"
	"github.com/chatbot-platform/chatbot/internal/store"
)

// OperationEvaluation names evaluation calls in the usage ledger.
const OperationEvaluation = "evaluation"

// Evaluation is the bot's answer to an evaluation case. Nothing of it is stored as a conversation.
type Evaluation struct {
	Reply     string
	Model     string
	Usage     llm.Usage
	Citations []model.Citation
	// Latency is the upstream call's duration, retries included.
	Latency time.Duration
}

// Evaluate answers req.Message after req.History exactly as Send would (req.Target's prompts and
// settings, the project's files and budgets), for the owner (req.Key must be nil) and without storing a
// conversation: only the usage ledger records the call, as operation "evaluation".
// Errors: *model.ValidationError, *model.NotFoundError, *model.LimitError, *llm.Error.
func (s *Service) Evaluate(ctx context.Context, req Request) (Evaluation, error) {
	req.ConversationID, req.Key, req.EndUser, req.Claim = 0, nil, "", nil
	req.Operation = OperationEvaluation
	t, err := s.prepare(ctx, req)
	if err == nil {
		err = s.reserve(ctx, t, OperationEvaluation)
	}
	if err != nil {
		return Evaluation{}, err
	}
	started := time.Now()
	reply, err := s.llm.Respond(ctx, t.call)
	latency := time.Since(started)
	if err != nil {
		s.logFailure(ctx, t, err)
		s.usage.Fail(ctx, t.held, t.outcome(llm.Usage{}, "", err))
		return Evaluation{}, err
	}
	err = s.writes.Do(context.WithoutCancel(ctx), func(tx store.Store) error {
		return s.usage.Settle(ctx, tx, t.held, t.outcome(reply.Usage, reply.Model, nil))
	})
	if err != nil {
		s.usage.Fail(ctx, t.held, t.outcome(reply.Usage, reply.Model, err)) // the call was paid for all the same
		return Evaluation{}, err
	}
	s.usage.Settled(ctx, t.held)
	s.metrics.Tokens(t.project.ID, reply.Usage.InputTokens, reply.Usage.OutputTokens)
	return Evaluation{Reply: reply.Text, Model: reply.Model, Usage: reply.Usage, Citations: t.citations(reply.Citations), Latency: latency}, nil
}

// Package usage keeps the ledger of what every upstream call cost and enforces budgets before the call
// is made. Budgets are held by reservation: a call reserves its worst case (its input and
// max_output_tokens) while the budget is not yet spent, and settles the real figure when it ends, so a
// budget is overshot by at most the calls in flight, on any number of instances. Every write goes
// through the group-commit batcher: a call adds no commit of its own.
package usage

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/chatbot-platform/chatbot/internal/metrics"
	"github.com/chatbot-platform/chatbot/internal/model"
	"github.com/chatbot-platform/chatbot/internal/store"
	"github.com/chatbot-platform/chatbot/internal/webhook"
)

// Outcomes in the ledger besides the llm error kinds.
const (
	OutcomeOK     = "ok"
	OutcomeBudget = "budget"
)

// noLimit stands for a dimension (tokens or money) a budget does not cap.
const noLimit = math.MaxInt64

// warnAt is the share of a budget whose crossing is logged, once per period.
const warnAt = 0.8

// Service keeps the ledger and the budgets.
type Service struct {
	store   store.Store
	writes  *store.Batcher
	prices  *Prices
	log     *slog.Logger
	metrics *metrics.Metrics
	now     func() time.Time
	events  *webhook.Service // budget.threshold and budget.exhausted; nil: none

	unpriced sync.Map // models already logged as unpriced
}

// EmitTo makes the service record budget.threshold (80 % used) and budget.exhausted through e.
func (s *Service) EmitTo(e *webhook.Service) { s.events = e }

// NewService returns the usage service; writes go through the batcher; m (nil: none) counts refusals.
func NewService(s store.Store, writes *store.Batcher, prices *Prices, log *slog.Logger, m *metrics.Metrics) *Service {
	return &Service{store: s, writes: writes, prices: prices, log: log, metrics: m, now: time.Now}
}

// Call is an upstream call as known before it is made: whose, and its worst case.
type Call struct {
	Project   model.Project
	Key       *model.APIKey // nil: the owner's own chat
	EndUser   string
	Operation string // chat, stream, completion
	Model     string
	// WorstInput and WorstOutput bound the tokens the call can use: its input (estimated from below
	// never) and its max_output_tokens.
	WorstInput, WorstOutput int64
}

// budget is one budget that applies to a call, in its current period.
type budget struct {
	name          string // what the refusal names
	scope, period string
	limitTokens   int64
	limitMicro    int64
	since, resets time.Time
	keyID         *int64
	endUser       *string
}

// Reservation is what a call holds against its budgets until it settles. Remaining describes the
// tightest budget before the call (X-Budget-Remaining); empty when none applies.
type Reservation struct {
	call      Call
	held      []budget
	tokens    int64
	micro     int64
	started   time.Time
	Remaining string
	warnings  []string // budgets this call's settlement took past warnAt
}

// Outcome is how a call ended.
type Outcome struct {
	Model                      string // the model that answered ("" : the one asked)
	Input, CachedInput, Output int64
	ConversationID             *int64
	TimeToFirstToken           time.Duration // streams; 0: none
	Result                     string        // OutcomeOK or the error kind
}

// Reserve holds the call's worst case against every budget that applies. When one is spent it records
// the refusal in the ledger and returns a *model.LimitError naming it (nothing is reserved then).
// Without budgets it touches no database.
func (s *Service) Reserve(ctx context.Context, c Call) (*Reservation, error) {
	now := s.now().UTC()
	r := &Reservation{call: c, started: s.now()}
	budgets := applicable(c, now)
	if len(budgets) == 0 {
		return r, nil
	}
	price := s.price(c.Project, c.Model)
	r.tokens = c.WorstInput + c.WorstOutput
	r.micro = Cost(price, c.WorstInput, 0, c.WorstOutput)
	var refused *budget
	err := s.writes.Do(ctx, func(tx store.Store) error {
		refused, r.held, r.Remaining = nil, r.held[:0], ""
		tightest := 2.0
		for i := range budgets {
			b := budgets[i]
			want := model.BudgetCounter{Scope: b.scope, Period: b.period, ReservedTokens: r.tokens, ReservedMicroUSD: r.micro,
				LimitTokens: b.limitTokens, LimitMicroUSD: b.limitMicro}
			out, ok, err := tx.ReserveBudget(ctx, want)
			if errors.Is(err, store.ErrNotFound) {
				// The period's first reservation: what the ledger says was spent so far counts, so a
				// budget set mid-month counts the month's earlier spend.
				if want.SpentTokens, want.SpentMicroUSD, err = tx.SumUsage(ctx, c.Project.ID, b.since, b.keyID, b.endUser); err != nil {
					return err
				}
				ok = want.SpentTokens < b.limitTokens && want.SpentMicroUSD < b.limitMicro
				if ok {
					out, ok, err = tx.SeedBudget(ctx, want)
				}
			}
			if err != nil {
				return err
			}
			if !ok {
				refused = &budgets[i]
				break
			}
			r.held = append(r.held, b)
			if share, text := remaining(b, out, r); share < tightest {
				tightest, r.Remaining = share, text
			}
		}
		if refused == nil {
			return nil
		}
		for _, h := range r.held { // give back what the other budgets reserved
			if _, err := tx.SettleBudget(ctx, h.scope, h.period, 0, 0, r.tokens, r.micro); err != nil {
				return err
			}
		}
		r.held = nil
		return tx.AddUsageEvent(ctx, r.event(OutcomeBudget, Outcome{}, 0, s.now()))
	})
	if err != nil {
		return nil, fmt.Errorf("usage: reserve: %w", err)
	}
	if refused != nil {
		s.log.InfoContext(ctx, "budget refused a call", "project_id", c.Project.ID, "budget", refused.name, "scope", refused.scope)
		s.metrics.BudgetRefused(refused.short())
		return nil, &model.LimitError{
			Detail:     fmt.Sprintf("The %s is spent: it resets at %s", refused.describe(), refused.resets.Format(time.RFC3339)),
			RetryAfter: refused.resets.Sub(now),
		}
	}
	return r, nil
}

// Settle records the call in the ledger and replaces its reservations by what it spent. It runs inside
// the caller's batch job (the one storing the reply), so it adds no commit; it may run again if the
// batch is retried, and changes nothing outside tx but the reservation's own notes.
func (s *Service) Settle(ctx context.Context, tx store.Store, r *Reservation, o Outcome) error {
	if o.Model == "" {
		o.Model = r.call.Model
	}
	cost := Cost(s.price(r.call.Project, o.Model), o.Input, o.CachedInput, o.Output)
	r.warnings = r.warnings[:0]
	for _, b := range r.held {
		c, err := tx.SettleBudget(ctx, b.scope, b.period, o.Input+o.Output, cost, r.tokens, r.micro)
		if err != nil {
			return err
		}
		beforeTokens, beforeMicro := c.SpentTokens-(o.Input+o.Output), c.SpentMicroUSD-cost
		if crossed(beforeTokens, c.SpentTokens, b.limitTokens, warnAt) || crossed(beforeMicro, c.SpentMicroUSD, b.limitMicro, warnAt) {
			r.warnings = append(r.warnings, b.describe())
			if err := s.events.Emit(ctx, tx, r.call.Project.ID, webhook.BudgetThreshold, b.event(c, warnAt)); err != nil {
				return err
			}
		}
		if crossed(beforeTokens, c.SpentTokens, b.limitTokens, 1) || crossed(beforeMicro, c.SpentMicroUSD, b.limitMicro, 1) {
			if err := s.events.Emit(ctx, tx, r.call.Project.ID, webhook.BudgetExhausted, b.event(c, 1)); err != nil {
				return err
			}
		}
	}
	return tx.AddUsageEvent(ctx, r.event(o.Result, o, cost, s.now()))
}

// Settled logs, once the settlement committed, the budgets it took past 80 %.
func (s *Service) Settled(ctx context.Context, r *Reservation) {
	for _, w := range r.warnings {
		s.log.WarnContext(ctx, "budget 80% used", "project_id", r.call.Project.ID, "budget", w)
	}
}

// Fail records a call that failed (nothing to store but the ledger row) and releases its reservation.
func (s *Service) Fail(ctx context.Context, r *Reservation, o Outcome) {
	err := s.writes.Do(context.WithoutCancel(ctx), func(tx store.Store) error { return s.Settle(ctx, tx, r, o) })
	if err != nil {
		s.log.ErrorContext(ctx, "usage: a failed call could not be recorded", "project_id", r.call.Project.ID, "error", err)
		return
	}
	s.Settled(ctx, r)
}

func (r *Reservation) event(outcome string, o Outcome, cost int64, now time.Time) model.UsageEvent {
	e := model.UsageEvent{
		ProjectID: r.call.Project.ID, EndUser: r.call.EndUser, ConversationID: o.ConversationID, Operation: r.call.Operation,
		Model: o.Model, InputTokens: o.Input, CachedInputTokens: o.CachedInput, OutputTokens: o.Output,
		LatencyMS: now.Sub(r.started).Milliseconds(), Outcome: outcome, CostMicroUSD: cost,
	}
	if e.Model == "" {
		e.Model = r.call.Model
	}
	if r.call.Key != nil {
		e.KeyID = &r.call.Key.ID
	}
	if o.TimeToFirstToken > 0 {
		ms := o.TimeToFirstToken.Milliseconds()
		e.TTFTMS = &ms
	}
	return e
}

// price is a model's price: the table's, else the project's custom one, else 0 (logged once).
func (s *Service) price(p model.Project, name string) model.Price {
	if price, ok := s.prices.Lookup(name); ok {
		return price
	}
	if p.CustomPrice != nil && (name == p.Model || name == "") {
		return *p.CustomPrice
	}
	if _, seen := s.unpriced.LoadOrStore(name, true); !seen {
		s.log.Warn("model has no price: its calls cost 0 in the ledger (add it to PRICES_FILE or the project's custom_price)", "model", name)
	}
	return model.Price{}
}

// applicable lists the budgets that cap a call now.
func applicable(c Call, now time.Time) []budget {
	month := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	monthly := func(name, scope string, micro, tokens *int64) budget {
		return budget{name: name, scope: scope, period: month.Format("2006-01"), limitTokens: limit(tokens), limitMicro: limit(micro),
			since: month, resets: month.AddDate(0, 1, 0)}
	}
	var out []budget
	p := c.Project
	if p.BudgetMonthlyMicroUSD != nil || p.BudgetMonthlyTokens != nil {
		out = append(out, monthly("project's monthly budget", "project:"+strconv.FormatInt(p.ID, 10), p.BudgetMonthlyMicroUSD, p.BudgetMonthlyTokens))
	}
	k := c.Key
	if k == nil {
		return out
	}
	keyScope := "key:" + strconv.FormatInt(k.ID, 10)
	if k.BudgetMonthlyMicroUSD != nil || k.BudgetMonthlyTokens != nil {
		b := monthly("key's monthly budget", keyScope, k.BudgetMonthlyMicroUSD, k.BudgetMonthlyTokens)
		b.keyID = &k.ID
		out = append(out, b)
	}
	userScope := "user:" + strconv.FormatInt(k.ID, 10) + ":" + c.EndUser
	endUser := c.EndUser
	if k.EndUserDailyTokens != nil {
		out = append(out, budget{name: "end user's daily budget", scope: userScope, period: day.Format("2006-01-02"),
			limitTokens: *k.EndUserDailyTokens, limitMicro: noLimit, since: day, resets: day.AddDate(0, 0, 1), keyID: &k.ID, endUser: &endUser})
	}
	if k.EndUserMonthlyTokens != nil {
		b := monthly("end user's monthly budget", userScope, nil, k.EndUserMonthlyTokens)
		b.keyID, b.endUser = &k.ID, &endUser
		out = append(out, b)
	}
	return out
}

func limit(n *int64) int64 {
	if n == nil {
		return noLimit
	}
	return *n
}

// budgetEvent is budget.threshold's and budget.exhausted's data.
type budgetEvent struct {
	Budget      string   `json:"budget"`
	Share       float64  `json:"share"` // 0.8 or 1
	Period      string   `json:"period"`
	LimitTokens *int64   `json:"limit_tokens"`
	LimitUSD    *float64 `json:"limit_usd"`
	SpentTokens int64    `json:"spent_tokens"`
	SpentUSD    float64  `json:"spent_usd"`
	ResetsAt    string   `json:"resets_at"`
	KeyID       *int64   `json:"key_id"`
	EndUser     *string  `json:"end_user"`
}

func (b budget) event(c model.BudgetCounter, share float64) budgetEvent {
	e := budgetEvent{Budget: b.describe(), Share: share, Period: b.period, SpentTokens: c.SpentTokens, SpentUSD: USD(c.SpentMicroUSD),
		ResetsAt: b.resets.UTC().Format(time.RFC3339), KeyID: b.keyID, EndUser: b.endUser}
	if b.limitTokens != noLimit {
		e.LimitTokens = &b.limitTokens
	}
	if b.limitMicro != noLimit {
		usd := USD(b.limitMicro)
		e.LimitUSD = &usd
	}
	return e
}

func (b budget) describe() string {
	var caps []string
	if b.limitMicro != noLimit {
		caps = append(caps, fmt.Sprintf("$%.2f", USD(b.limitMicro)))
	}
	if b.limitTokens != noLimit {
		caps = append(caps, fmt.Sprintf("%d tokens", b.limitTokens))
	}
	return fmt.Sprintf("%s (%s)", b.name, joinAnd(caps))
}

// remaining says what was left of b before this call, as a share of the limit (for picking the
// tightest) and as text.
func remaining(b budget, c model.BudgetCounter, r *Reservation) (float64, string) {
	share, text := 2.0, ""
	if b.limitMicro != noLimit {
		left := max(0, b.limitMicro-c.SpentMicroUSD-(c.ReservedMicroUSD-r.micro))
		share, text = float64(left)/float64(max(1, b.limitMicro)), fmt.Sprintf("%.6f USD %s", USD(left), b.short())
	}
	if b.limitTokens != noLimit {
		left := max(0, b.limitTokens-c.SpentTokens-(c.ReservedTokens-r.tokens))
		if s := float64(left) / float64(max(1, b.limitTokens)); s < share {
			share, text = s, fmt.Sprintf("%d tokens %s", left, b.short())
		}
	}
	return share, text
}

// short names a budget in X-Budget-Remaining.
func (b budget) short() string {
	switch b.name {
	case "project's monthly budget":
		return "project"
	case "key's monthly budget":
		return "key"
	case "end user's daily budget":
		return "end_user_daily"
	}
	return "end_user_monthly"
}

// crossed reports whether a settlement took spend from below warnAt of limit to at or above it.
// crossed reports whether spending went from before to after past share of limit.
func crossed(before, after, limit int64, share float64) bool {
	if limit == noLimit {
		return false
	}
	mark := int64(math.Ceil(share * float64(limit)))
	return before < mark && after >= mark
}

func joinAnd(parts []string) string {
	switch len(parts) {
	case 0:
		return ""
	case 1:
		return parts[0]
	}
	return parts[0] + " and " + parts[1]
}

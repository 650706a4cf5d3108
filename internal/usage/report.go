package usage

import (
	"context"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/chatbot-platform/chatbot/internal/model"
)

// MaxReportDays bounds a report's range.
const MaxReportDays = 366

// Groupings of a report.
const (
	ByDay     = "day"
	ByModel   = "model"
	ByKey     = "key"
	ByEndUser = "end_user"
)

// Figures are the totals of a set of ledger rows.
type Figures struct {
	Requests, Errors                       int64
	InputTokens, CachedInputTokens, Output int64
	CostMicroUSD                           int64
	LatencyP50MS, LatencyP95MS             int64
}

// Group is the figures of one day, model, key or end user.
type Group struct {
	Key, Label string
	Figures
}

// Report is a project's usage over a range.
type Report struct {
	From, To time.Time
	GroupBy  string
	Totals   Figures
	Series   []Group
}

// Report sums a project's ledger in [from, to) by groupBy. Returns store.ErrNotFound for another user's
// project and *model.ValidationError for a range that is empty or too long.
func (s *Service) Report(ctx context.Context, ownerID, projectID int64, from, to *time.Time, groupBy string) (Report, error) {
	now := s.now().UTC()
	r := Report{From: time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC), To: now, GroupBy: groupBy}
	if from != nil {
		r.From = from.UTC()
	}
	if to != nil {
		r.To = to.UTC()
	}
	switch {
	case !r.From.Before(r.To):
		return r, model.Invalid("from", "must be before to")
	case r.To.Sub(r.From) > MaxReportDays*24*time.Hour:
		return r, model.Invalid("to", "the range may span at most 366 days")
	}
	if _, err := s.store.GetProject(ctx, ownerID, projectID); err != nil {
		return r, err
	}
	events, err := s.store.ListUsageEvents(ctx, ownerID, projectID, r.From, r.To)
	if err != nil {
		return r, err
	}
	groups := map[string][]model.UsageEvent{}
	labels := map[string]string{}
	for _, e := range events {
		key, label := groupOf(e, groupBy)
		groups[key] = append(groups[key], e)
		labels[key] = label
	}
	r.Totals = figures(events)
	for key, es := range groups {
		r.Series = append(r.Series, Group{Key: key, Label: labels[key], Figures: figures(es)})
	}
	sort.Slice(r.Series, func(i, j int) bool {
		if groupBy == ByDay {
			return r.Series[i].Key < r.Series[j].Key
		}
		a, b := r.Series[i], r.Series[j] // the costliest first
		if a.CostMicroUSD != b.CostMicroUSD {
			return a.CostMicroUSD > b.CostMicroUSD
		}
		return a.Key < b.Key
	})
	return r, nil
}

func groupOf(e model.UsageEvent, groupBy string) (key, label string) {
	switch groupBy {
	case ByModel:
		return e.Model, e.Model
	case ByKey:
		if e.KeyID == nil {
			return "owner", "owner"
		}
		return strconv.FormatInt(*e.KeyID, 10), e.KeyName
	case ByEndUser:
		if e.EndUser == "" {
			return "", "(none)"
		}
		return e.EndUser, e.EndUser
	}
	day := e.CreatedAt.UTC().Format("2006-01-02")
	return day, day
}

func figures(es []model.UsageEvent) Figures {
	var f Figures
	latencies := make([]int64, 0, len(es))
	for _, e := range es {
		f.Requests++
		if e.Outcome != OutcomeOK {
			f.Errors++
		}
		f.InputTokens += e.InputTokens
		f.CachedInputTokens += e.CachedInputTokens
		f.Output += e.OutputTokens
		f.CostMicroUSD += e.CostMicroUSD
		if e.Outcome != OutcomeBudget { // a refusal never reached the upstream
			latencies = append(latencies, e.LatencyMS)
		}
	}
	slices.Sort(latencies)
	f.LatencyP50MS, f.LatencyP95MS = percentile(latencies, 0.50), percentile(latencies, 0.95)
	return f
}

// percentile of sorted values, nearest rank.
func percentile(sorted []int64, p float64) int64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p+0.999999) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

// Budget is a project's monthly budget with this month's spend.
type Budget struct {
	MonthlyMicroUSD, MonthlyTokens *int64
	SpentMicroUSD, SpentTokens     int64
	ResetsAt                       time.Time
}

// Budget returns a project's budget and what the ledger says it spent this month. Returns
// store.ErrNotFound.
func (s *Service) Budget(ctx context.Context, ownerID, projectID int64) (Budget, error) {
	p, err := s.store.GetProject(ctx, ownerID, projectID)
	if err != nil {
		return Budget{}, err
	}
	return s.budgetOf(ctx, p)
}

// SetBudget sets (nil: removes) a project's monthly budgets. Returns store.ErrNotFound.
func (s *Service) SetBudget(ctx context.Context, ownerID, projectID int64, microUSD, tokens *int64) (Budget, error) {
	p, err := s.store.SetProjectBudget(ctx, ownerID, projectID, microUSD, tokens)
	if err != nil {
		return Budget{}, err
	}
	s.log.InfoContext(ctx, "budget set", "project_id", projectID)
	return s.budgetOf(ctx, p)
}

func (s *Service) budgetOf(ctx context.Context, p model.Project) (Budget, error) {
	now := s.now().UTC()
	month := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	tokens, micro, err := s.store.SumUsage(ctx, p.ID, month, nil, nil)
	return Budget{
		MonthlyMicroUSD: p.BudgetMonthlyMicroUSD, MonthlyTokens: p.BudgetMonthlyTokens,
		SpentMicroUSD: micro, SpentTokens: tokens, ResetsAt: month.AddDate(0, 1, 0),
	}, err
}

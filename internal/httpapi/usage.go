package httpapi

import (
	"bytes"
	"context"
	"encoding/csv"
	"mime"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/chatbot-platform/chatbot/internal/apigen"
	"github.com/chatbot-platform/chatbot/internal/auth"
	"github.com/chatbot-platform/chatbot/internal/usage"
)

// GetBudget implements apigen.StrictServerInterface.
func (h *Handlers) GetBudget(ctx context.Context, req apigen.GetBudgetRequestObject) (apigen.GetBudgetResponseObject, error) {
	b, err := h.usage.Budget(ctx, auth.UserID(ctx), req.ProjectId)
	if err != nil {
		return nil, err
	}
	return apigen.GetBudget200JSONResponse(budgetToAPI(b)), nil
}

// SetBudget implements apigen.StrictServerInterface.
func (h *Handlers) SetBudget(ctx context.Context, req apigen.SetBudgetRequestObject) (apigen.SetBudgetResponseObject, error) {
	b, err := h.usage.SetBudget(ctx, auth.UserID(ctx), req.ProjectId, microUSDPtr(req.Body.MonthlyUsd), req.Body.MonthlyTokens)
	if err != nil {
		return nil, err
	}
	return apigen.SetBudget200JSONResponse(budgetToAPI(b)), nil
}

// GetUsage implements apigen.StrictServerInterface: JSON, or CSV when the client accepts text/csv.
func (h *Handlers) GetUsage(ctx context.Context, req apigen.GetUsageRequestObject) (apigen.GetUsageResponseObject, error) {
	groupBy := usage.ByDay
	if g := req.Params.GroupBy; g != nil {
		groupBy = string(*g)
	}
	r, err := h.usage.Report(ctx, auth.UserID(ctx), req.ProjectId, req.Params.From, req.Params.To, groupBy)
	if err != nil {
		return nil, err
	}
	if wantsCSV(ctx) {
		b := reportCSV(r)
		return apigen.GetUsage200TextcsvResponse{Body: bytes.NewReader(b), ContentLength: int64(len(b))}, nil
	}
	ratings, err := h.feedback.Counts(ctx, auth.UserID(ctx), req.ProjectId, r.From, r.To)
	if err != nil {
		return nil, err
	}
	return apigen.GetUsage200JSONResponse{
		From: r.From, To: r.To, GroupBy: apigen.UsageReportGroupBy(r.GroupBy), Totals: figuresToAPI(r.Totals),
		Series: mapSlice(r.Series, func(g usage.Group) apigen.UsageGroup {
			f := figuresToAPI(g.Figures)
			return apigen.UsageGroup{
				Group: g.Key, Label: g.Label, Requests: f.Requests, Errors: f.Errors, InputTokens: f.InputTokens,
				CachedInputTokens: f.CachedInputTokens, OutputTokens: f.OutputTokens, TotalTokens: f.TotalTokens,
				CostUsd: f.CostUsd, LatencyP50Ms: f.LatencyP50Ms, LatencyP95Ms: f.LatencyP95Ms,
			}
		}),
		Feedback: mapSlice(ratings, feedbackCountToAPI),
	}, nil
}

func figuresToAPI(f usage.Figures) apigen.UsageFigures {
	return apigen.UsageFigures{
		Requests: f.Requests, Errors: f.Errors, InputTokens: f.InputTokens, CachedInputTokens: f.CachedInputTokens,
		OutputTokens: f.Output, TotalTokens: f.InputTokens + f.Output, CostUsd: usage.USD(f.CostMicroUSD),
		LatencyP50Ms: f.LatencyP50MS, LatencyP95Ms: f.LatencyP95MS,
	}
}

// reportCSV is a report's series, one row per group, then the totals.
func reportCSV(r usage.Report) []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write([]string{r.GroupBy, "label", "requests", "errors", "input_tokens", "cached_input_tokens", "output_tokens",
		"total_tokens", "cost_usd", "latency_p50_ms", "latency_p95_ms"})
	row := func(key, label string, f usage.Figures) {
		n := func(v int64) string { return strconv.FormatInt(v, 10) }
		w.Write([]string{csvSafe(key), csvSafe(label), n(f.Requests), n(f.Errors), n(f.InputTokens), n(f.CachedInputTokens), n(f.Output),
			n(f.InputTokens + f.Output), strconv.FormatFloat(usage.USD(f.CostMicroUSD), 'f', 6, 64), n(f.LatencyP50MS), n(f.LatencyP95MS)})
	}
	for _, g := range r.Series {
		row(g.Key, g.Label, g.Figures)
	}
	row("total", "", r.Totals)
	w.Flush()
	return buf.Bytes()
}

// csvSafe keeps an end user's or key's name from being read as a formula by a spreadsheet.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func budgetToAPI(b usage.Budget) apigen.Budget {
	out := apigen.Budget{MonthlyTokens: b.MonthlyTokens, SpentTokens: b.SpentTokens, SpentUsd: usage.USD(b.SpentMicroUSD), ResetsAt: b.ResetsAt}
	if b.MonthlyMicroUSD != nil {
		v := usage.USD(*b.MonthlyMicroUSD)
		out.MonthlyUsd = &v
	}
	return out
}

func microUSDPtr(usd *float64) *int64 {
	if usd == nil {
		return nil
	}
	v := usage.MicroUSD(*usd)
	return &v
}

func usdPtr(micro *int64) *float64 {
	if micro == nil {
		return nil
	}
	v := usage.USD(*micro)
	return &v
}

type acceptCtxKey struct{}

// rememberAccept keeps the request's Accept header in its context, for the operations that answer in
// two formats (the strict handlers see only the context).
func rememberAccept(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if a := c.Request().Header.Get(echo.HeaderAccept); a != "" {
			c.SetRequest(c.Request().WithContext(context.WithValue(c.Request().Context(), acceptCtxKey{}, a)))
		}
		return next(c)
	}
}

// wantsCSV reports whether the client asked for text/csv before JSON.
func wantsCSV(ctx context.Context) bool { return prefers(ctx, "text/csv") }

// prefers reports whether the client's Accept header names mediaType before JSON (or anything).
func prefers(ctx context.Context, mediaType string) bool {
	accept, _ := ctx.Value(acceptCtxKey{}).(string)
	for _, part := range strings.Split(accept, ",") {
		mt, _, _ := mime.ParseMediaType(strings.TrimSpace(part))
		switch mt {
		case mediaType:
			return true
		case "application/json", "*/*":
			return false
		}
	}
	return false
}

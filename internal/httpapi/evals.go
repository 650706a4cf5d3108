package httpapi

import (
	"bytes"
	"context"

	"github.com/chatbot-platform/chatbot/internal/apigen"
	"github.com/chatbot-platform/chatbot/internal/auth"
	"github.com/chatbot-platform/chatbot/internal/eval"
	"github.com/chatbot-platform/chatbot/internal/model"
)

// CreateEvalCase implements apigen.StrictServerInterface.
func (h *Handlers) CreateEvalCase(ctx context.Context, req apigen.CreateEvalCaseRequestObject) (apigen.CreateEvalCaseResponseObject, error) {
	b := req.Body
	in := eval.CaseInput{Input: deref(b.Input), History: turnsFromAPI(b.History), Checks: checksFromAPI(b.Checks), FromMessageID: b.FromMessageId}
	c, err := h.evals.CreateCase(ctx, auth.UserID(ctx), req.ProjectId, in)
	if err != nil {
		return nil, err
	}
	return apigen.CreateEvalCase201JSONResponse(evalCaseToAPI(c)), nil
}

// ListEvalCases implements apigen.StrictServerInterface.
func (h *Handlers) ListEvalCases(ctx context.Context, req apigen.ListEvalCasesRequestObject) (apigen.ListEvalCasesResponseObject, error) {
	cs, err := h.evals.Cases(ctx, auth.UserID(ctx), req.ProjectId)
	if err != nil {
		return nil, err
	}
	return apigen.ListEvalCases200JSONResponse(mapSlice(cs, evalCaseToAPI)), nil
}

// GetEvalCase implements apigen.StrictServerInterface.
func (h *Handlers) GetEvalCase(ctx context.Context, req apigen.GetEvalCaseRequestObject) (apigen.GetEvalCaseResponseObject, error) {
	c, err := h.evals.Case(ctx, auth.UserID(ctx), req.CaseId)
	if err != nil {
		return nil, err
	}
	return apigen.GetEvalCase200JSONResponse(evalCaseToAPI(c)), nil
}

// UpdateEvalCase implements apigen.StrictServerInterface.
func (h *Handlers) UpdateEvalCase(ctx context.Context, req apigen.UpdateEvalCaseRequestObject) (apigen.UpdateEvalCaseResponseObject, error) {
	b := req.Body
	c, err := h.evals.UpdateCase(ctx, auth.UserID(ctx), req.CaseId, eval.CaseInput{Input: b.Input, History: turnsFromAPI(b.History), Checks: checksFromAPI(b.Checks)})
	if err != nil {
		return nil, err
	}
	return apigen.UpdateEvalCase200JSONResponse(evalCaseToAPI(c)), nil
}

// DeleteEvalCase implements apigen.StrictServerInterface.
func (h *Handlers) DeleteEvalCase(ctx context.Context, req apigen.DeleteEvalCaseRequestObject) (apigen.DeleteEvalCaseResponseObject, error) {
	if err := h.evals.DeleteCase(ctx, auth.UserID(ctx), req.CaseId); err != nil {
		return nil, err
	}
	return apigen.DeleteEvalCase204Response{}, nil
}

// CreateEvalRun implements apigen.StrictServerInterface: 202, the run is carried out by a job.
func (h *Handlers) CreateEvalRun(ctx context.Context, req apigen.CreateEvalRunRequestObject) (apigen.CreateEvalRunResponseObject, error) {
	var target eval.Target
	if n, err := req.Body.Target.AsEvalTargetRelease(); err == nil {
		target.Release = &n
	}
	run, err := h.evals.StartRun(ctx, auth.UserID(ctx), req.ProjectId, target)
	if err != nil {
		return nil, err
	}
	return apigen.CreateEvalRun202JSONResponse(evalRunToAPI(run)), nil
}

// ListEvalRuns implements apigen.StrictServerInterface.
func (h *Handlers) ListEvalRuns(ctx context.Context, req apigen.ListEvalRunsRequestObject) (apigen.ListEvalRunsResponseObject, error) {
	runs, err := h.evals.Runs(ctx, auth.UserID(ctx), req.ProjectId)
	if err != nil {
		return nil, err
	}
	return apigen.ListEvalRuns200JSONResponse(mapSlice(runs, evalRunToAPI)), nil
}

// GetEvalRun implements apigen.StrictServerInterface: JSON, or JUnit XML when the client accepts
// application/xml.
func (h *Handlers) GetEvalRun(ctx context.Context, req apigen.GetEvalRunRequestObject) (apigen.GetEvalRunResponseObject, error) {
	run, results, err := h.evals.Run(ctx, auth.UserID(ctx), req.RunId)
	if err != nil {
		return nil, err
	}
	if prefers(ctx, "application/xml") {
		b := eval.JUnit(run, results)
		return apigen.GetEvalRun200ApplicationxmlResponse{Body: bytes.NewReader(b), ContentLength: int64(len(b))}, nil
	}
	r := evalRunToAPI(run)
	return apigen.GetEvalRun200JSONResponse{
		Id: r.Id, ProjectId: r.ProjectId, Target: r.Target, Status: apigen.EvalRunDetailStatus(r.Status), Total: r.Total,
		Passed: r.Passed, Failed: r.Failed, Error: r.Error, CreatedAt: r.CreatedAt, StartedAt: r.StartedAt, FinishedAt: r.FinishedAt,
		Results: mapSlice(results, evalResultToAPI),
	}, nil
}

func turnsFromAPI(ts *[]apigen.EvalTurn) []model.EvalTurn {
	return mapSlice(deref(ts), func(t apigen.EvalTurn) model.EvalTurn {
		return model.EvalTurn{Role: string(t.Role), Content: t.Content}
	})
}

func turnsToAPI(ts []model.EvalTurn) []apigen.EvalTurn {
	return mapSlice(ts, func(t model.EvalTurn) apigen.EvalTurn {
		return apigen.EvalTurn{Role: apigen.EvalTurnRole(t.Role), Content: t.Content}
	})
}

func checksFromAPI(c *apigen.EvalChecks) model.EvalChecks {
	if c == nil {
		return model.EvalChecks{}
	}
	return model.EvalChecks{Contains: deref(c.Contains), NotContains: deref(c.NotContains), Regex: deref(c.Regex),
		CitesFileID: c.CitesFileId, MaxLatencyMS: c.MaxLatencyMs, MaxOutputTokens: c.MaxOutputTokens}
}

func checksToAPI(c model.EvalChecks) apigen.EvalChecks {
	out := apigen.EvalChecks{CitesFileId: c.CitesFileID, MaxLatencyMs: c.MaxLatencyMS, MaxOutputTokens: c.MaxOutputTokens}
	if len(c.Contains) > 0 {
		out.Contains = &c.Contains
	}
	if len(c.NotContains) > 0 {
		out.NotContains = &c.NotContains
	}
	if c.Regex != "" {
		out.Regex = &c.Regex
	}
	return out
}

func evalCaseToAPI(c model.EvalCase) apigen.EvalCase {
	return apigen.EvalCase{Id: c.ID, ProjectId: c.ProjectID, Input: c.Input, History: turnsToAPI(c.History), Checks: checksToAPI(c.Checks),
		SourceMessageId: c.SourceMessageID, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
}

func evalRunToAPI(r model.EvalRun) apigen.EvalRun {
	var target apigen.EvalTarget
	if r.TargetRelease != nil {
		target.FromEvalTargetRelease(*r.TargetRelease)
	} else {
		target.FromEvalTargetDraft(apigen.Draft)
	}
	return apigen.EvalRun{Id: r.ID, ProjectId: r.ProjectID, Target: target, Status: apigen.EvalRunStatus(r.Status), Total: r.Total,
		Passed: r.Passed, Failed: r.Failed, Error: r.Error, CreatedAt: r.CreatedAt, StartedAt: r.StartedAt, FinishedAt: r.FinishedAt}
}

func evalResultToAPI(r model.EvalResult) apigen.EvalResult {
	return apigen.EvalResult{CaseId: r.CaseID, Input: r.Input, History: turnsToAPI(r.History), Checks: checksToAPI(r.Checks),
		Status: apigen.EvalResultStatus(r.Status), Reply: r.Reply, Error: r.Error, LatencyMs: r.LatencyMS, InputTokens: r.InputTokens,
		OutputTokens: r.OutputTokens, Citations: mapSlice(r.Citations, citationToAPI),
		CheckResults: mapSlice(r.CheckResults, func(c model.EvalCheckResult) apigen.EvalCheckResult {
			return apigen.EvalCheckResult{Check: apigen.EvalCheckResultCheck(c.Check), Expected: c.Expected, Passed: c.Passed, Detail: c.Detail}
		}),
	}
}

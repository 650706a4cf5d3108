-- The usage ledger and budget counters.

-- name: AddUsageEvent :exec
INSERT INTO usage_events (created_at, project_id, key_id, end_user, conversation_id, operation, model, input_tokens,
                          cached_input_tokens, output_tokens, latency_ms, ttft_ms, outcome, cost_micro_usd)
VALUES (@created_at, @project_id, sqlc.narg(key_id), @end_user, sqlc.narg(conversation_id), @operation, @model, @input_tokens,
        @cached_input_tokens, @output_tokens, @latency_ms, sqlc.narg(ttft_ms), @outcome, @cost_micro_usd);

-- name: ListUsageEvents :many
SELECT u.*, k.name AS key_name FROM usage_events u
JOIN projects p ON p.id = u.project_id
LEFT JOIN api_keys k ON k.id = u.key_id
WHERE u.project_id = @project_id AND p.owner_id = @owner_id AND u.created_at >= @since AND u.created_at < @until
ORDER BY u.created_at, u.id;

-- name: SumUsage :one
-- Tokens and cost an (optional) key and end user spent in a project since a time: seeds a budget counter.
SELECT CAST(COALESCE(SUM(input_tokens + output_tokens), 0) AS BIGINT) AS tokens,
       CAST(COALESCE(SUM(cost_micro_usd), 0) AS BIGINT) AS micro_usd
FROM usage_events
WHERE project_id = @project_id AND created_at >= @since
  AND (CAST(sqlc.narg(key_id) AS BIGINT) IS NULL OR key_id = sqlc.narg(key_id))
  AND (CAST(sqlc.narg(end_user) AS TEXT) IS NULL OR end_user = sqlc.narg(end_user));

-- name: GetBudgetCounter :one
SELECT * FROM budget_counters WHERE scope = @scope AND period = @period;

-- name: ReserveBudget :one
-- Reserves a request's worst case while the budget is not spent (settled plus reserved below the limit),
-- in one statement so concurrent requests on any instance cannot both take the last of it. No row: spent.
-- (The limits travel through excluded: sqlc's SQLite engine does not bind parameters in an upsert's WHERE.)
INSERT INTO budget_counters (scope, period, spent_tokens, spent_micro_usd, reserved_tokens, reserved_micro_usd,
                             limit_tokens, limit_micro_usd)
VALUES (@scope, @period, @seed_tokens, @seed_micro_usd, @tokens, @micro_usd, @limit_tokens, @limit_micro_usd)
ON CONFLICT (scope, period) DO UPDATE
SET reserved_tokens = budget_counters.reserved_tokens + excluded.reserved_tokens,
    reserved_micro_usd = budget_counters.reserved_micro_usd + excluded.reserved_micro_usd,
    limit_tokens = excluded.limit_tokens, limit_micro_usd = excluded.limit_micro_usd
WHERE budget_counters.spent_tokens + budget_counters.reserved_tokens < excluded.limit_tokens
  AND budget_counters.spent_micro_usd + budget_counters.reserved_micro_usd < excluded.limit_micro_usd
RETURNING *;

-- name: SettleBudget :one
-- Replaces a reservation by what the request really spent; returns the counter after.
UPDATE budget_counters
SET spent_tokens = spent_tokens + @spent_tokens, spent_micro_usd = spent_micro_usd + @spent_micro_usd,
    reserved_tokens = reserved_tokens - @reserved_tokens, reserved_micro_usd = reserved_micro_usd - @reserved_micro_usd
WHERE scope = @scope AND period = @period
RETURNING *;

-- name: SetProjectBudget :one
UPDATE projects SET budget_monthly_micro_usd = sqlc.narg(budget_monthly_micro_usd), budget_monthly_tokens = sqlc.narg(budget_monthly_tokens),
    updated_at = @updated_at
WHERE id = @id AND owner_id = @owner_id
RETURNING *;

-- name: ReserveExistingBudget :one
-- The common case of ReserveBudget: the period's counter exists. No row: missing, or spent.
UPDATE budget_counters
SET reserved_tokens = reserved_tokens + @tokens, reserved_micro_usd = reserved_micro_usd + @micro_usd,
    limit_tokens = @limit_tokens, limit_micro_usd = @limit_micro_usd
WHERE scope = @scope AND period = @period
  AND spent_tokens + reserved_tokens < @limit_tokens AND spent_micro_usd + reserved_micro_usd < @limit_micro_usd
RETURNING *;

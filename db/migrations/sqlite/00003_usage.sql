-- +goose Up
-- The usage ledger: one row per upstream call (and per budget refusal). Money is in micro-USD. Rows
-- outlive their conversation and key; they go with their project.
CREATE TABLE usage_events (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at          DATETIME NOT NULL,
    project_id          BIGINT      NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    key_id              BIGINT,
    end_user            TEXT        NOT NULL,
    conversation_id     BIGINT,
    operation           TEXT        NOT NULL,
    model               TEXT        NOT NULL,
    input_tokens        BIGINT      NOT NULL,
    cached_input_tokens BIGINT      NOT NULL,
    output_tokens       BIGINT      NOT NULL,
    latency_ms          BIGINT      NOT NULL,
    ttft_ms             BIGINT,
    outcome             TEXT        NOT NULL,
    cost_micro_usd      BIGINT      NOT NULL
);
CREATE INDEX usage_events_project_idx ON usage_events (project_id, created_at);

-- Spend against budgets, per scope (project:1, key:2, user:2:alice) and period (2026-11, 2026-11-30):
-- what settled, what requests in flight reserved for their worst case, and the limits last in force.
CREATE TABLE budget_counters (
    scope              TEXT   NOT NULL,
    period             TEXT   NOT NULL,
    spent_tokens       BIGINT NOT NULL,
    spent_micro_usd    BIGINT NOT NULL,
    reserved_tokens    BIGINT NOT NULL,
    reserved_micro_usd BIGINT NOT NULL,
    limit_tokens       BIGINT NOT NULL,
    limit_micro_usd    BIGINT NOT NULL,
    PRIMARY KEY (scope, period)
);

ALTER TABLE projects ADD COLUMN budget_monthly_micro_usd BIGINT;
ALTER TABLE projects ADD COLUMN budget_monthly_tokens BIGINT;
-- A custom price (micro-USD per million tokens) for a model the price table lacks.
ALTER TABLE projects ADD COLUMN price_input BIGINT;
ALTER TABLE projects ADD COLUMN price_cached_input BIGINT;
ALTER TABLE projects ADD COLUMN price_output BIGINT;

ALTER TABLE api_keys ADD COLUMN budget_monthly_micro_usd BIGINT;
ALTER TABLE api_keys ADD COLUMN budget_monthly_tokens BIGINT;
ALTER TABLE api_keys ADD COLUMN end_user_daily_tokens BIGINT;
ALTER TABLE api_keys ADD COLUMN end_user_monthly_tokens BIGINT;

-- +goose Down
ALTER TABLE api_keys DROP COLUMN end_user_monthly_tokens;
ALTER TABLE api_keys DROP COLUMN end_user_daily_tokens;
ALTER TABLE api_keys DROP COLUMN budget_monthly_tokens;
ALTER TABLE api_keys DROP COLUMN budget_monthly_micro_usd;
ALTER TABLE projects DROP COLUMN price_output;
ALTER TABLE projects DROP COLUMN price_cached_input;
ALTER TABLE projects DROP COLUMN price_input;
ALTER TABLE projects DROP COLUMN budget_monthly_tokens;
ALTER TABLE projects DROP COLUMN budget_monthly_micro_usd;
DROP TABLE budget_counters;
DROP TABLE usage_events;

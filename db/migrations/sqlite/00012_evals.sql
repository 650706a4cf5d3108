-- +goose Up
-- Evaluation sets: a project's test cases (a question, earlier turns, checks on the reply), runs of every
-- case against the draft or a release, and each case's result in a run. A run keeps a copy of each case
-- as it was run, so editing or deleting a case later leaves the run's results as they were.
CREATE TABLE eval_cases (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id        BIGINT      NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    input             TEXT        NOT NULL,
    history           TEXT        NOT NULL, -- JSON: [{"role", "content"}]
    checks            TEXT        NOT NULL, -- JSON: the checks object of the API
    source_message_id BIGINT, -- the rated assistant message it was made from (no reference: the message may go)
    created_at        DATETIME    NOT NULL,
    updated_at        DATETIME    NOT NULL
);
CREATE INDEX eval_cases_project_idx ON eval_cases (project_id, id);

CREATE TABLE eval_runs (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id     BIGINT      NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    target_release BIGINT, -- NULL: the draft
    draft_digest   TEXT        NOT NULL, -- the draft's digest when a draft run was made ('' otherwise)
    status         TEXT        NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'failed')),
    total          BIGINT      NOT NULL,
    passed         BIGINT      NOT NULL,
    failed         BIGINT      NOT NULL,
    error          TEXT        NOT NULL,
    created_at     DATETIME    NOT NULL,
    started_at     DATETIME,
    finished_at    DATETIME
);
CREATE INDEX eval_runs_project_idx ON eval_runs (project_id, id);

CREATE TABLE eval_results (
    run_id        BIGINT NOT NULL REFERENCES eval_runs (id) ON DELETE CASCADE,
    case_id       BIGINT NOT NULL, -- no reference: the case may be deleted after the run
    input         TEXT   NOT NULL,
    history       TEXT   NOT NULL,
    checks        TEXT   NOT NULL,
    status        TEXT   NOT NULL CHECK (status IN ('pending', 'passed', 'failed')),
    reply         TEXT   NOT NULL,
    error         TEXT   NOT NULL,
    latency_ms    BIGINT,
    input_tokens  BIGINT,
    output_tokens BIGINT,
    citations     TEXT   NOT NULL, -- JSON, as on messages
    check_results TEXT   NOT NULL, -- JSON: [{"check", "expected", "passed", "detail"}]
    PRIMARY KEY (run_id, case_id)
);

-- +goose Down
DROP TABLE eval_results;
DROP TABLE eval_runs;
DROP TABLE eval_cases;

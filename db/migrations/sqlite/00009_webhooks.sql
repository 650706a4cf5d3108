-- +goose Up
-- Signed webhooks: a project's endpoints, the event types each wants, and every delivery with its
-- attempts. The signing secret is kept as is (signing needs it); it is shown to the owner only when made.
CREATE TABLE webhooks (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id      BIGINT  NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    url             TEXT    NOT NULL,
    events          TEXT    NOT NULL, -- comma-separated event types
    description     TEXT    NOT NULL,
    secret          TEXT    NOT NULL,
    enabled         BOOLEAN NOT NULL,
    disabled_reason TEXT    NOT NULL,
    failing_since   DATETIME,
    created_at      DATETIME NOT NULL,
    updated_at      DATETIME NOT NULL
);
CREATE INDEX webhooks_project_idx ON webhooks (project_id, id);

CREATE TABLE webhook_deliveries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    webhook_id      BIGINT  NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_id        TEXT    NOT NULL, -- the webhook-id header: the same on every attempt
    event_type      TEXT    NOT NULL,
    payload         TEXT    NOT NULL,
    status          TEXT    NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
    attempts        BIGINT  NOT NULL,
    response_status BIGINT,
    latency_ms      BIGINT,
    error           TEXT    NOT NULL,
    created_at      DATETIME NOT NULL,
    last_attempt_at DATETIME
);
CREATE INDEX webhook_deliveries_webhook_idx ON webhook_deliveries (webhook_id, id);

-- +goose Down
DROP TABLE webhook_deliveries;
DROP TABLE webhooks;

-- +goose Up
-- Project keys: secret (servers) and publishable (the widget). Only a SHA-256 of the key is kept; a
-- revoked key keeps its row so conversations (and later usage) still name it.
CREATE TABLE api_keys (
    id                       INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id               BIGINT      NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name                     TEXT        NOT NULL,
    kind                     TEXT        NOT NULL,
    prefix                   TEXT        NOT NULL,
    key_hash                 TEXT        NOT NULL UNIQUE,
    scopes                   TEXT        NOT NULL,
    allowed_origins          TEXT        NOT NULL,
    identity_secret          TEXT        NOT NULL,
    expires_at               DATETIME,
    rate_limit_per_minute    BIGINT,
    require_signed_user      BOOLEAN     NOT NULL,
    visitor_messages_per_day BIGINT      NOT NULL,
    created_at               DATETIME    NOT NULL,
    last_used_at             DATETIME,
    revoked_at               DATETIME
);
CREATE INDEX api_keys_project_id_idx ON api_keys (project_id, id);

-- The key a conversation was started through, and its end user ('' for none).
ALTER TABLE conversations ADD COLUMN key_id BIGINT REFERENCES api_keys (id) ON DELETE SET NULL;
ALTER TABLE conversations ADD COLUMN end_user TEXT NOT NULL DEFAULT '';
CREATE INDEX conversations_key_id_idx ON conversations (key_id, end_user, updated_at);

-- +goose Down
DROP INDEX conversations_key_id_idx;
ALTER TABLE conversations DROP COLUMN end_user;
ALTER TABLE conversations DROP COLUMN key_id;
DROP TABLE api_keys;

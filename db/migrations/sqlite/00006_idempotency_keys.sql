-- +goose Up
-- Idempotency-Key of POST /chat and /chat/stream, per caller: the owner, and for a project key its
-- id and end user (caller). result is the stored reply as JSON; NULL while the first request runs.
-- Rows older than a day are deleted lazily, when the same owner uses a key again.
CREATE TABLE idempotency_keys (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    owner_id    BIGINT   NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    caller      TEXT     NOT NULL,
    idem_key    TEXT     NOT NULL,
    fingerprint TEXT     NOT NULL,
    result      TEXT,
    created_at  DATETIME NOT NULL,
    UNIQUE (owner_id, caller, idem_key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (owner_id, created_at);

-- +goose Down
DROP TABLE idempotency_keys;

-- +goose Up
-- A sign-in is a session; access tokens name theirs (sid) and their user's id (uid), and each request
-- finds the session with its user, so ending a session or deleting the account ends its tokens.
CREATE TABLE sessions (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id      BIGINT   NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   DATETIME NOT NULL,
    last_seen_at DATETIME NOT NULL,
    ip           TEXT     NOT NULL,
    user_agent   TEXT     NOT NULL
);
CREATE INDEX sessions_user_id_idx ON sessions (user_id, id);

ALTER TABLE users ADD COLUMN display_name TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE users DROP COLUMN display_name;
DROP TABLE sessions;

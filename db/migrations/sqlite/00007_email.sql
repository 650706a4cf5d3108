-- +goose Up
-- Email: when the address was proven (a verification or reset link followed), and the single-use links
-- mailed to prove it or to reset the password. Only a link's SHA-256 is kept: the database alone cannot
-- follow one.
ALTER TABLE users ADD COLUMN email_verified_at DATETIME;

CREATE TABLE email_tokens (
    token_hash BLOB     NOT NULL PRIMARY KEY,
    user_id    BIGINT   NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose    TEXT     NOT NULL CHECK (purpose IN ('verify_email', 'reset_password')),
    email      TEXT     NOT NULL,
    created_at DATETIME NOT NULL,
    expires_at DATETIME NOT NULL
);
CREATE INDEX email_tokens_user_idx ON email_tokens (user_id, purpose);

-- +goose Down
DROP TABLE email_tokens;
ALTER TABLE users DROP COLUMN email_verified_at;

-- +goose Up
-- Two-factor sign-in with an authenticator app (TOTP, RFC 6238). totp_secret is the base32 secret: set
-- and pending while totp_enabled is false (set-up started), in use once it is true. totp_last_step is
-- the time step of the last accepted code, so a code is never accepted twice.
ALTER TABLE users ADD COLUMN totp_secret TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN totp_enabled BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE users ADD COLUMN totp_last_step BIGINT NOT NULL DEFAULT 0;

-- One-time recovery codes (their SHA-256: the codes are random and long), replaced at each set-up.
CREATE TABLE recovery_codes (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id   BIGINT   NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash TEXT     NOT NULL,
    used_at   DATETIME
);
CREATE UNIQUE INDEX recovery_codes_user_code_idx ON recovery_codes (user_id, code_hash);

-- +goose Down
DROP TABLE recovery_codes;
ALTER TABLE users DROP COLUMN totp_last_step;
ALTER TABLE users DROP COLUMN totp_enabled;
ALTER TABLE users DROP COLUMN totp_secret;

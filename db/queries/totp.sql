-- Two-factor sign-in (TOTP) and its recovery codes, always scoped by their user.

-- name: GetUserTOTP :one
SELECT totp_secret, totp_enabled, totp_last_step FROM users WHERE id = @id;

-- name: StartTOTP :execrows
-- A pending set-up replaces the one before; an enabled one is never overwritten.
UPDATE users SET totp_secret = @totp_secret, totp_last_step = 0 WHERE id = @id AND NOT totp_enabled;

-- name: EnableTOTP :execrows
-- Only the secret that was confirmed, and only while it is still the pending one.
UPDATE users SET totp_enabled = TRUE, totp_last_step = @totp_last_step
WHERE id = @id AND NOT totp_enabled AND totp_secret = @totp_secret AND totp_secret <> '';

-- name: DisableTOTP :execrows
UPDATE users SET totp_enabled = FALSE, totp_secret = '', totp_last_step = 0 WHERE id = @id AND totp_enabled;

-- name: UseTOTPStep :execrows
-- A code is accepted once: its time step must be later than the last accepted one (one statement, so
-- two instances cannot both accept the same code).
UPDATE users SET totp_last_step = @totp_last_step WHERE id = @id AND totp_enabled AND totp_last_step < @totp_last_step;

-- name: DeleteRecoveryCodes :exec
DELETE FROM recovery_codes WHERE user_id = @user_id;

-- name: CreateRecoveryCode :exec
INSERT INTO recovery_codes (user_id, code_hash) VALUES (@user_id, @code_hash);

-- name: UseRecoveryCode :execrows
UPDATE recovery_codes SET used_at = @used_at
WHERE user_id = @user_id AND code_hash = @code_hash AND used_at IS NULL;

-- name: CountRecoveryCodes :one
SELECT COUNT(*) FROM recovery_codes WHERE user_id = @user_id AND used_at IS NULL;

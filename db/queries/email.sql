-- Single-use email links (verification, password reset), found by their hash.

-- name: DeleteEmailTokens :exec
-- A new link of a purpose replaces the user's earlier ones.
DELETE FROM email_tokens WHERE user_id = @user_id AND purpose = @purpose;

-- name: CreateEmailToken :exec
INSERT INTO email_tokens (token_hash, user_id, purpose, email, created_at, expires_at)
VALUES (@token_hash, @user_id, @purpose, @email, @created_at, @expires_at);

-- name: TakeEmailToken :one
-- Using a link deletes it, so it works once even when two requests race.
DELETE FROM email_tokens WHERE token_hash = @token_hash AND purpose = @purpose
RETURNING *;

-- name: SetEmailVerified :execrows
-- Only while the address is still the one the link was mailed to.
UPDATE users SET email_verified_at = @verified_at
WHERE id = @id AND email = @email AND email_verified_at IS NULL;

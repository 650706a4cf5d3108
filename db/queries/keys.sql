-- Project keys. Management is scoped by the project's owner; authentication looks a live key up by hash.

-- name: CreateKey :one
INSERT INTO api_keys (project_id, name, kind, prefix, key_hash, scopes, allowed_origins, identity_secret, expires_at,
                      rate_limit_per_minute, require_signed_user, visitor_messages_per_day, budget_monthly_micro_usd,
                      budget_monthly_tokens, end_user_daily_tokens, end_user_monthly_tokens, pinned_release, created_at)
SELECT p.id, @name, @kind, @prefix, @key_hash, @scopes, @allowed_origins, @identity_secret, sqlc.narg(expires_at),
       sqlc.narg(rate_limit_per_minute), @require_signed_user, @visitor_messages_per_day, sqlc.narg(budget_monthly_micro_usd),
       sqlc.narg(budget_monthly_tokens), sqlc.narg(end_user_daily_tokens), sqlc.narg(end_user_monthly_tokens), sqlc.narg(pinned_release), @created_at
FROM projects p WHERE p.id = @project_id AND p.owner_id = @owner_id
RETURNING *;

-- name: GetKey :one
SELECT k.* FROM api_keys k
JOIN projects p ON p.id = k.project_id
WHERE k.id = @id AND p.owner_id = @owner_id AND k.revoked_at IS NULL;

-- name: ListKeys :many
SELECT k.* FROM api_keys k
JOIN projects p ON p.id = k.project_id
WHERE k.project_id = @project_id AND p.owner_id = @owner_id AND k.revoked_at IS NULL
ORDER BY k.id;

-- name: UpdateKey :one
UPDATE api_keys
SET name = @name, scopes = @scopes, allowed_origins = @allowed_origins, expires_at = sqlc.narg(expires_at),
    rate_limit_per_minute = sqlc.narg(rate_limit_per_minute), require_signed_user = @require_signed_user,
    visitor_messages_per_day = @visitor_messages_per_day, budget_monthly_micro_usd = sqlc.narg(budget_monthly_micro_usd),
    budget_monthly_tokens = sqlc.narg(budget_monthly_tokens), end_user_daily_tokens = sqlc.narg(end_user_daily_tokens),
    end_user_monthly_tokens = sqlc.narg(end_user_monthly_tokens), pinned_release = sqlc.narg(pinned_release),
    version = version + 1
WHERE api_keys.id = @id AND api_keys.revoked_at IS NULL
  AND api_keys.project_id IN (SELECT p.id FROM projects p WHERE p.owner_id = @owner_id)
RETURNING *;

-- name: SetKeyIdentitySecret :execrows
UPDATE api_keys SET identity_secret = @identity_secret, version = version + 1
WHERE api_keys.id = @id AND api_keys.revoked_at IS NULL
  AND api_keys.project_id IN (SELECT p.id FROM projects p WHERE p.owner_id = @owner_id);

-- name: RevokeKey :execrows
UPDATE api_keys SET revoked_at = @revoked_at
WHERE api_keys.id = @id AND api_keys.revoked_at IS NULL
  AND api_keys.project_id IN (SELECT p.id FROM projects p WHERE p.owner_id = @owner_id);

-- name: GetKeyByHash :one
SELECT k.*, p.owner_id FROM api_keys k
JOIN projects p ON p.id = k.project_id
WHERE k.key_hash = @key_hash AND k.revoked_at IS NULL;

-- name: GetKeyVersion :one
SELECT version FROM api_keys WHERE key_hash = @key_hash AND revoked_at IS NULL;

-- name: TouchKey :exec
UPDATE api_keys SET last_used_at = @last_used_at WHERE id = @id;

-- name: CountEndUserMessagesSince :one
SELECT COUNT(*) FROM messages m
JOIN conversations c ON c.id = m.conversation_id
WHERE c.key_id = @key_id AND c.end_user = @end_user AND m.role = 'user' AND m.created_at >= @since;

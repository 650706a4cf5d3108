-- Idempotency keys of chat requests, per owner and caller.

-- name: DeleteStaleIdempotencyKeys :exec
DELETE FROM idempotency_keys
WHERE owner_id = @owner_id
  AND (created_at < @expired_before OR (result IS NULL AND created_at < @abandoned_before));

-- name: InsertIdempotencyKey :many
INSERT INTO idempotency_keys (owner_id, caller, idem_key, fingerprint, created_at)
VALUES (@owner_id, @caller, @idem_key, @fingerprint, @created_at)
ON CONFLICT (owner_id, caller, idem_key) DO NOTHING
RETURNING id;

-- name: GetIdempotencyKey :one
SELECT * FROM idempotency_keys WHERE owner_id = @owner_id AND caller = @caller AND idem_key = @idem_key;

-- name: SetIdempotencyResult :execrows
UPDATE idempotency_keys SET result = @result WHERE id = @id;

-- name: DeleteIdempotencyKey :exec
DELETE FROM idempotency_keys WHERE id = @id;

-- name: RenewIdempotencyKey :execrows
-- A running request renews its claim (created_at is then when it was last renewed), so a claim whose
-- process died is abandoned after a short lease rather than held for the whole window.
UPDATE idempotency_keys SET created_at = @created_at WHERE id = @id AND result IS NULL;

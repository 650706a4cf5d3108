-- Webhooks. Management is scoped by the project's owner; delivery reads by id.

-- name: CreateWebhook :one
INSERT INTO webhooks (project_id, url, events, description, secret, enabled, disabled_reason, created_at, updated_at)
SELECT p.id, @url, @events, @description, @secret, TRUE, '', @created_at, @created_at
FROM projects p WHERE p.id = @project_id AND p.owner_id = @owner_id
RETURNING *;

-- name: GetWebhook :one
SELECT w.* FROM webhooks w
JOIN projects p ON p.id = w.project_id
WHERE w.id = @id AND w.project_id = @project_id AND p.owner_id = @owner_id;

-- name: ListWebhooks :many
SELECT w.* FROM webhooks w
JOIN projects p ON p.id = w.project_id
WHERE w.project_id = @project_id AND p.owner_id = @owner_id
ORDER BY w.id;

-- name: UpdateWebhook :one
UPDATE webhooks
SET url = @url, events = @events, description = @description, enabled = @enabled, disabled_reason = @disabled_reason,
    failing_since = sqlc.narg(failing_since), updated_at = @updated_at
WHERE webhooks.id = @id AND webhooks.project_id = @project_id
  AND webhooks.project_id IN (SELECT p.id FROM projects p WHERE p.owner_id = @owner_id)
RETURNING *;

-- name: SetWebhookSecret :one
UPDATE webhooks SET secret = @secret, updated_at = @updated_at
WHERE webhooks.id = @id AND webhooks.project_id = @project_id
  AND webhooks.project_id IN (SELECT p.id FROM projects p WHERE p.owner_id = @owner_id)
RETURNING *;

-- name: DeleteWebhook :execrows
DELETE FROM webhooks
WHERE webhooks.id = @id AND webhooks.project_id = @project_id
  AND webhooks.project_id IN (SELECT p.id FROM projects p WHERE p.owner_id = @owner_id);

-- name: ListEnabledWebhooks :many
-- The endpoints an event of the project may go to (the caller filters by event type).
SELECT * FROM webhooks WHERE project_id = @project_id AND enabled ORDER BY id;

-- name: CreateWebhookDelivery :one
INSERT INTO webhook_deliveries (webhook_id, event_id, event_type, payload, status, attempts, error, created_at)
VALUES (@webhook_id, @event_id, @event_type, @payload, 'pending', 0, '', @created_at)
RETURNING *;

-- name: GetDeliveryWithWebhook :one
-- What a delivery attempt needs: the delivery and its endpoint.
SELECT sqlc.embed(d), sqlc.embed(w) FROM webhook_deliveries d
JOIN webhooks w ON w.id = d.webhook_id
WHERE d.id = @id;

-- name: RecordDeliveryAttempt :exec
UPDATE webhook_deliveries
SET status = @status, attempts = attempts + 1, response_status = sqlc.narg(response_status),
    latency_ms = sqlc.narg(latency_ms), error = @error, last_attempt_at = @attempted_at
WHERE id = @id;

-- name: ResetDelivery :execrows
-- Redelivery: the same event (same id and payload) goes out again.
UPDATE webhook_deliveries SET status = 'pending'
WHERE webhook_deliveries.id = @id AND webhook_deliveries.webhook_id = @webhook_id;

-- name: ListDeliveries :many
-- The newest 100 (the API document says so).
SELECT d.* FROM webhook_deliveries d
JOIN webhooks w ON w.id = d.webhook_id
JOIN projects p ON p.id = w.project_id
WHERE d.webhook_id = @webhook_id AND w.project_id = @project_id AND p.owner_id = @owner_id
ORDER BY d.id DESC
LIMIT 100;

-- name: MarkWebhookFailing :exec
-- The first failure after a success starts the clock that disables an endpoint failing for 24 hours.
UPDATE webhooks SET failing_since = COALESCE(failing_since, @at) WHERE id = @id;

-- name: MarkWebhookHealthy :exec
UPDATE webhooks SET failing_since = NULL WHERE id = @id AND failing_since IS NOT NULL;

-- name: DisableWebhook :exec
UPDATE webhooks SET enabled = FALSE, disabled_reason = @reason, updated_at = @at WHERE id = @id;

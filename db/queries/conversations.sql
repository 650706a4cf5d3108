-- Conversations and their messages; every query joins back to the project's owner. A chat's two inserts
-- (CreateConversation, CreateMessagePair) are in each engine's own folder: they return their ids differently.

-- name: GetConversation :one
SELECT c.*, k.name AS key_name FROM conversations c
JOIN projects p ON p.id = c.project_id
LEFT JOIN api_keys k ON k.id = c.key_id
WHERE c.id = @id AND p.owner_id = @owner_id;

-- name: ListConversations :many
-- A null filter matches every conversation; end_user '' matches those without an end user.
SELECT c.*, k.name AS key_name FROM conversations c
JOIN projects p ON p.id = c.project_id
LEFT JOIN api_keys k ON k.id = c.key_id
WHERE c.project_id = @project_id AND p.owner_id = @owner_id
  AND (CAST(sqlc.narg(key_id) AS BIGINT) IS NULL OR c.key_id = sqlc.narg(key_id))
  AND (CAST(sqlc.narg(end_user) AS TEXT) IS NULL OR c.end_user = sqlc.narg(end_user))
  -- search: a lower-cased LIKE pattern over the title and every message's content
  AND (CAST(sqlc.narg(search) AS TEXT) IS NULL OR LOWER(c.title) LIKE sqlc.narg(search)
       OR EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id AND LOWER(m.content) LIKE sqlc.narg(search)))
  AND (c.updated_at < @before_at OR (c.updated_at = @before_at AND c.id < @before_id))
ORDER BY c.updated_at DESC, c.id DESC
LIMIT CAST(sqlc.arg(lim) AS BIGINT);

-- name: TouchConversation :exec
UPDATE conversations SET updated_at = @updated_at WHERE id = @id;

-- name: DeleteConversation :execrows
DELETE FROM conversations
WHERE conversations.id = @id AND conversations.project_id IN (SELECT p.id FROM projects p WHERE p.owner_id = @owner_id);

-- name: CreateMessage :one
-- Only the id comes back: the rest is what was written, and reading it back costs more than the insert.
INSERT INTO messages (conversation_id, role, content, model, input_tokens, output_tokens, latency_ms, incomplete, citations, created_at, release_number)
VALUES (@conversation_id, @role, @content, sqlc.narg(model), sqlc.narg(input_tokens), sqlc.narg(output_tokens), sqlc.narg(latency_ms), @incomplete, @citations, @created_at, sqlc.narg(release_number))
RETURNING id;

-- name: ListMessages :many
SELECT m.* FROM messages m
JOIN conversations c ON c.id = m.conversation_id
JOIN projects p ON p.id = c.project_id
WHERE m.conversation_id = @conversation_id AND p.owner_id = @owner_id AND m.id > @after_id
ORDER BY m.id
LIMIT CAST(sqlc.arg(lim) AS BIGINT);

-- name: ListRecentMessages :many
-- The newest messages whose contents add up to at most max_chars characters, oldest first: what a
-- chat turn can send as history, without reading the rest of a long conversation.
SELECT r.id, r.conversation_id, r.role, r.content, r.model, r.input_tokens, r.output_tokens, r.latency_ms,
       r.incomplete, r.citations, r.created_at, r.release_number
FROM (
  SELECT m.*, SUM(LENGTH(m.content)) OVER (ORDER BY m.id DESC) AS used
  FROM messages m
  JOIN conversations c ON c.id = m.conversation_id
  JOIN projects p ON p.id = c.project_id
  WHERE m.conversation_id = @conversation_id AND p.owner_id = @owner_id
) r
WHERE r.used <= CAST(sqlc.arg(max_chars) AS BIGINT)
ORDER BY r.id;

-- name: RenameConversation :execrows
UPDATE conversations SET title = @title
WHERE conversations.id = @id
  AND conversations.project_id IN (SELECT p.id FROM projects p WHERE p.owner_id = @owner_id);

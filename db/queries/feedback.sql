-- Ratings of assistant messages; every query joins back to the project's owner.

-- name: GetMessage :one
SELECT m.* FROM messages m
JOIN conversations c ON c.id = m.conversation_id
JOIN projects p ON p.id = c.project_id
WHERE m.id = @id AND m.conversation_id = @conversation_id AND p.owner_id = @owner_id;

-- name: GetFeedback :one
SELECT f.* FROM message_feedback f
JOIN projects p ON p.id = f.project_id
WHERE f.message_id = @message_id AND p.owner_id = @owner_id;

-- name: PutFeedback :one
INSERT INTO message_feedback (message_id, project_id, rating, comment, created_at, updated_at)
SELECT m.id, c.project_id, @rating, @comment, @now, @now
FROM messages m
JOIN conversations c ON c.id = m.conversation_id
JOIN projects p ON p.id = c.project_id
WHERE m.id = @message_id AND p.owner_id = @owner_id
ON CONFLICT (message_id) DO UPDATE SET rating = excluded.rating, comment = excluded.comment, updated_at = excluded.updated_at
RETURNING *;

-- name: DeleteFeedback :exec
DELETE FROM message_feedback
WHERE message_feedback.message_id = @message_id
  AND message_feedback.project_id IN (SELECT p.id FROM projects p WHERE p.owner_id = @owner_id);

-- name: ListFeedback :many
-- A project's rated answers, most recently rated first, each with the user message just before it.
SELECT f.message_id, f.rating, f.comment, f.created_at, f.updated_at, m.conversation_id, m.content AS answer,
       m.created_at AS answered_at, m.release_number, c.end_user, q.content AS question
FROM message_feedback f
JOIN projects p ON p.id = f.project_id
JOIN messages m ON m.id = f.message_id
JOIN conversations c ON c.id = m.conversation_id
LEFT JOIN messages q ON q.id = (SELECT MAX(u.id) FROM messages u
                                WHERE u.conversation_id = m.conversation_id AND u.id < m.id AND u.role = 'user')
WHERE f.project_id = @project_id AND p.owner_id = @owner_id
  AND (CAST(sqlc.narg(rating) AS TEXT) IS NULL OR f.rating = sqlc.narg(rating))
  AND (f.updated_at < @before_at OR (f.updated_at = @before_at AND f.message_id < @before_id))
ORDER BY f.updated_at DESC, f.message_id DESC
LIMIT CAST(sqlc.arg(lim) AS BIGINT);

-- name: ListConversationFeedback :many
-- The ratings of a conversation's messages with ids in [from_id, to_id]: one page of it.
SELECT f.* FROM message_feedback f
JOIN messages m ON m.id = f.message_id
JOIN projects p ON p.id = f.project_id
WHERE m.conversation_id = @conversation_id AND p.owner_id = @owner_id
  AND f.message_id >= @from_id AND f.message_id <= @to_id;

-- name: CountFeedback :many
-- Ratings made or changed in [since, until), by the release that gave the answer (null: the draft) and rating.
SELECT m.release_number, f.rating, COUNT(*) AS n FROM message_feedback f
JOIN projects p ON p.id = f.project_id
JOIN messages m ON m.id = f.message_id
WHERE f.project_id = @project_id AND p.owner_id = @owner_id AND f.updated_at >= @since AND f.updated_at < @until
GROUP BY m.release_number, f.rating
ORDER BY m.release_number;

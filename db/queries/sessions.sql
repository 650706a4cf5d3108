-- Sign-in sessions, always scoped by their user.

-- name: CreateSession :one
INSERT INTO sessions (user_id, created_at, last_seen_at, ip, user_agent)
VALUES (@user_id, @created_at, @created_at, @ip, @user_agent)
RETURNING *;

-- name: GetSessionUser :one
SELECT u.id, u.email, u.hashed_password, u.created_at, u.display_name, u.email_verified_at, u.totp_enabled, s.last_seen_at
FROM sessions s JOIN users u ON u.id = s.user_id
WHERE s.id = @session_id AND s.user_id = @user_id;

-- name: ListSessions :many
SELECT * FROM sessions WHERE user_id = @user_id ORDER BY last_seen_at DESC, id DESC;

-- name: DeleteSession :execrows
DELETE FROM sessions WHERE id = @id AND user_id = @user_id;

-- name: DeleteSessions :exec
DELETE FROM sessions WHERE user_id = @user_id AND id <> @except_id;

-- name: TouchSession :exec
UPDATE sessions SET last_seen_at = @last_seen_at WHERE id = @id;

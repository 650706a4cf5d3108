-- name: CreateUser :one
INSERT INTO users (email, hashed_password, created_at)
VALUES (@email, @hashed_password, @created_at)
RETURNING *;

-- name: GetUserByEmail :one
SELECT * FROM users WHERE email = @email;

-- name: GetUserByID :one
SELECT * FROM users WHERE id = @id;

-- name: UpdateUserPassword :execrows
UPDATE users SET hashed_password = @hashed_password WHERE id = @id;

-- name: DeleteUser :execrows
DELETE FROM users WHERE id = @id;

-- name: UpdateUserDisplayName :one
UPDATE users SET display_name = @display_name WHERE id = @id
RETURNING *;

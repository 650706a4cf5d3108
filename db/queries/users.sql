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
-- name: LockUser :execrows
-- Inside a transaction: holds the user's row until commit (PostgreSQL; SQLite's IMMEDIATE transactions
-- already run one writer at a time), so a count of what the user owns stays true until the insert.
UPDATE users SET email = email WHERE id = @id;

-- name: CountProjects :one
SELECT COUNT(*) FROM projects WHERE owner_id = @owner_id;

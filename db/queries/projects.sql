-- Every query is scoped by owner_id: another user's project behaves exactly like a missing one.

-- name: CreateProject :one
INSERT INTO projects (owner_id, name, model, temperature, max_output_tokens, created_at, updated_at)
VALUES (@owner_id, @name, @model, @temperature, @max_output_tokens, @created_at, @created_at)
RETURNING *;

-- name: GetProject :one
SELECT * FROM projects WHERE id = @id AND owner_id = @owner_id;

-- name: ListProjects :many
-- Only what a listing shows: every column scanned costs on the API's most frequent read.
SELECT id, name, model, temperature, max_output_tokens, price_input, price_cached_input, price_output, created_at
FROM projects WHERE owner_id = @owner_id ORDER BY id;

-- name: UpdateProject :one
UPDATE projects
SET name = @name, model = @model, temperature = @temperature, max_output_tokens = @max_output_tokens,
    price_input = sqlc.narg(price_input), price_cached_input = sqlc.narg(price_cached_input), price_output = sqlc.narg(price_output),
    updated_at = @updated_at
WHERE id = @id AND owner_id = @owner_id
RETURNING *;

-- name: SetProjectVectorStore :execrows
UPDATE projects SET vector_store_id = sqlc.narg(vector_store_id), updated_at = @updated_at
WHERE id = @id AND owner_id = @owner_id;

-- name: DeleteProject :execrows
DELETE FROM projects WHERE id = @id AND owner_id = @owner_id;

-- name: ClaimProjectVectorStore :execrows
UPDATE projects SET vector_store_id = @vector_store_id, updated_at = @updated_at
WHERE id = @id AND owner_id = @owner_id AND vector_store_id IS NULL;

-- name: LockProject :execrows
-- Inside a transaction: holds the project's row until commit (a no-op update), so a count of its
-- prompts or files stays true until the insert (see LockUser), and a file recorded concurrently with
-- the project's deletion either commits before the deletion lists the files or fails after it.
UPDATE projects SET name = name WHERE id = @id AND owner_id = @owner_id;

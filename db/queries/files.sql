-- Project files; every query joins back to the project's owner.

-- name: CreateFile :one
INSERT INTO project_files (project_id, filename, openai_file_id, file_size, content_type, status, status_detail, created_at)
SELECT p.id, @filename, @openai_file_id, @file_size, @content_type, @status, @status_detail, @created_at
FROM projects p WHERE p.id = @project_id AND p.owner_id = @owner_id
RETURNING *;

-- name: GetFile :one
SELECT f.* FROM project_files f
JOIN projects p ON p.id = f.project_id
WHERE f.id = @id AND p.owner_id = @owner_id;

-- name: ListFiles :many
SELECT f.* FROM project_files f
JOIN projects p ON p.id = f.project_id
WHERE f.project_id = @project_id AND p.owner_id = @owner_id
ORDER BY f.id;

-- name: PageFiles :many
SELECT f.* FROM project_files f
JOIN projects p ON p.id = f.project_id
WHERE f.project_id = @project_id AND p.owner_id = @owner_id AND f.id > @after_id
ORDER BY f.id
LIMIT CAST(sqlc.arg(lim) AS BIGINT);

-- name: UpdateFileStatus :execrows
UPDATE project_files SET status = @status, status_detail = @status_detail
WHERE project_files.id = @id AND project_files.project_id IN (SELECT p.id FROM projects p WHERE p.owner_id = @owner_id);

-- name: DeleteFile :execrows
DELETE FROM project_files
WHERE project_files.id = @id AND project_files.project_id IN (SELECT p.id FROM projects p WHERE p.owner_id = @owner_id);

-- name: CountFiles :one
SELECT COUNT(*) FROM project_files WHERE project_id = @project_id;

-- name: DeleteProjectFiles :many
DELETE FROM project_files
WHERE project_files.project_id IN (SELECT p.id FROM projects p WHERE p.id = @project_id AND p.owner_id = @owner_id)
RETURNING *;

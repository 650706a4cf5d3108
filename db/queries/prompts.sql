-- Prompts belong to a project; every query joins back to the project's owner.

-- name: CreatePrompt :one
INSERT INTO prompts (project_id, name, content, position, enabled, created_at, updated_at)
SELECT p.id, @name, @content, @position, @enabled, @created_at, @created_at
FROM projects p WHERE p.id = @project_id AND p.owner_id = @owner_id
RETURNING *;

-- name: NextPromptPosition :one
SELECT CAST(COALESCE(MAX(position), -1) + 1 AS BIGINT) AS next_position
FROM prompts WHERE project_id = @project_id;

-- name: GetPrompt :one
SELECT pr.* FROM prompts pr
JOIN projects p ON p.id = pr.project_id
WHERE pr.id = @id AND p.owner_id = @owner_id;

-- name: ListPrompts :many
SELECT pr.* FROM prompts pr
JOIN projects p ON p.id = pr.project_id
WHERE pr.project_id = @project_id AND p.owner_id = @owner_id
ORDER BY pr.position, pr.id;

-- name: PagePrompts :many
SELECT pr.* FROM prompts pr
JOIN projects p ON p.id = pr.project_id
WHERE pr.project_id = @project_id AND p.owner_id = @owner_id
  AND (pr.position > @after_position OR (pr.position = @after_position AND pr.id > @after_id))
ORDER BY pr.position, pr.id
LIMIT CAST(sqlc.arg(lim) AS BIGINT);

-- name: UpdatePrompt :one
UPDATE prompts
SET name = @name, content = @content, position = @position, enabled = @enabled, updated_at = @updated_at
WHERE prompts.id = @id AND prompts.project_id IN (SELECT p.id FROM projects p WHERE p.owner_id = @owner_id)
RETURNING *;

-- name: DeletePrompt :execrows
DELETE FROM prompts
WHERE prompts.id = @id AND prompts.project_id IN (SELECT p.id FROM projects p WHERE p.owner_id = @owner_id);

-- name: CountPrompts :one
SELECT COUNT(*) FROM prompts WHERE project_id = @project_id;

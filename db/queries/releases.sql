-- Releases: immutable snapshots of a project's bot. Every query is scoped by the project's owner.

-- name: NextReleaseNumber :one
-- Inside the transaction that holds the project's row lock (LockProject), so two creates cannot take one number.
SELECT CAST(COALESCE(MAX(number), 0) + 1 AS BIGINT) FROM releases WHERE project_id = @project_id;

-- name: CreateRelease :one
INSERT INTO releases (project_id, number, note, snapshot, removed_files, created_at)
SELECT p.id, @number, @note, @snapshot, '[]', @created_at
FROM projects p WHERE p.id = @project_id AND p.owner_id = @owner_id
RETURNING *;

-- name: GetRelease :one
SELECT r.* FROM releases r
JOIN projects p ON p.id = r.project_id
WHERE r.project_id = @project_id AND r.number = @number AND p.owner_id = @owner_id;

-- name: ListReleases :many
-- Newest first: the list a person reads to choose one to publish or roll back to.
SELECT r.* FROM releases r
JOIN projects p ON p.id = r.project_id
WHERE r.project_id = @project_id AND p.owner_id = @owner_id
ORDER BY r.number DESC;

-- name: SetReleaseFiles :execrows
-- Only for a file deleted with ?force=true: the release keeps saying which files it lost.
UPDATE releases SET snapshot = @snapshot, removed_files = @removed_files
WHERE releases.id = @id AND releases.project_id IN (SELECT p.id FROM projects p WHERE p.owner_id = @owner_id);

-- name: SetPublishedRelease :execrows
UPDATE projects SET published_release = sqlc.narg(published_release)
WHERE id = @id AND owner_id = @owner_id;

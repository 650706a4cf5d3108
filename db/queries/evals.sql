-- Evaluation sets: cases, runs and results; every owner-facing query joins back to the project's owner.

-- name: CreateEvalCase :one
INSERT INTO eval_cases (project_id, input, history, checks, source_message_id, created_at, updated_at)
SELECT p.id, @input, @history, @checks, sqlc.narg(source_message_id), @created_at, @created_at
FROM projects p WHERE p.id = @project_id AND p.owner_id = @owner_id
RETURNING *;

-- name: GetEvalCase :one
SELECT e.* FROM eval_cases e
JOIN projects p ON p.id = e.project_id
WHERE e.id = @id AND p.owner_id = @owner_id;

-- name: ListEvalCases :many
SELECT e.* FROM eval_cases e
JOIN projects p ON p.id = e.project_id
WHERE e.project_id = @project_id AND p.owner_id = @owner_id
ORDER BY e.id;

-- name: CountEvalCases :one
SELECT COUNT(*) FROM eval_cases WHERE project_id = @project_id;

-- name: UpdateEvalCase :one
UPDATE eval_cases SET input = @input, history = @history, checks = @checks, updated_at = @updated_at
WHERE eval_cases.id = @id
  AND eval_cases.project_id IN (SELECT p.id FROM projects p WHERE p.owner_id = @owner_id)
RETURNING *;

-- name: DeleteEvalCase :execrows
DELETE FROM eval_cases
WHERE eval_cases.id = @id
  AND eval_cases.project_id IN (SELECT p.id FROM projects p WHERE p.owner_id = @owner_id);

-- name: GetMessageWithProject :one
-- A message of one of the owner's conversations, with the conversation's project.
SELECT m.*, c.project_id FROM messages m
JOIN conversations c ON c.id = m.conversation_id
JOIN projects p ON p.id = c.project_id
WHERE m.id = @id AND p.owner_id = @owner_id;

-- name: ListMessagesBefore :many
-- The newest messages of a conversation before a message, newest first.
SELECT m.* FROM messages m
WHERE m.conversation_id = @conversation_id AND m.id < @before_id
ORDER BY m.id DESC
LIMIT CAST(sqlc.arg(lim) AS BIGINT);

-- name: CreateEvalRun :one
INSERT INTO eval_runs (project_id, target_release, draft_digest, status, total, passed, failed, error, created_at)
SELECT p.id, sqlc.narg(target_release), @draft_digest, 'queued', @total, 0, 0, '', @created_at
FROM projects p WHERE p.id = @project_id AND p.owner_id = @owner_id
RETURNING *;

-- name: GetEvalRun :one
SELECT r.* FROM eval_runs r
JOIN projects p ON p.id = r.project_id
WHERE r.id = @id AND p.owner_id = @owner_id;

-- name: ListEvalRuns :many
SELECT r.* FROM eval_runs r
JOIN projects p ON p.id = r.project_id
WHERE r.project_id = @project_id AND p.owner_id = @owner_id
ORDER BY r.id DESC
LIMIT CAST(sqlc.arg(lim) AS BIGINT);

-- name: CountActiveEvalRuns :one
SELECT COUNT(*) FROM eval_runs WHERE project_id = @project_id AND status IN ('queued', 'running');

-- name: LatestCompletedDraftEvalRun :one
-- The newest completed run on the draft: what the publish gate judges.
SELECT r.* FROM eval_runs r
JOIN projects p ON p.id = r.project_id
WHERE r.project_id = @project_id AND p.owner_id = @owner_id AND r.target_release IS NULL AND r.status = 'completed'
ORDER BY r.id DESC
LIMIT 1;

-- name: StartEvalRun :execrows
UPDATE eval_runs SET status = 'running', started_at = @started_at
WHERE id = @id AND status IN ('queued', 'running');

-- name: FinishEvalRun :execrows
-- Ends a run once: a job that runs again after the run ended changes nothing.
UPDATE eval_runs SET status = @status, passed = @passed, failed = @failed, error = @error, finished_at = @finished_at
WHERE id = @id AND status IN ('queued', 'running');

-- name: AddEvalResult :exec
INSERT INTO eval_results (run_id, case_id, input, history, checks, status, reply, error, citations, check_results)
VALUES (@run_id, @case_id, @input, @history, @checks, 'pending', '', '', '[]', '[]');

-- name: ListEvalResults :many
SELECT * FROM eval_results WHERE run_id = @run_id ORDER BY case_id;

-- name: RecordEvalResult :execrows
-- Records a case's outcome once: a job that runs again skips the cases already recorded.
UPDATE eval_results
SET status = @status, reply = @reply, error = @error, latency_ms = sqlc.narg(latency_ms), input_tokens = sqlc.narg(input_tokens),
    output_tokens = sqlc.narg(output_tokens), citations = @citations, check_results = @check_results
WHERE run_id = @run_id AND case_id = @case_id AND status = 'pending';

-- A chat's inserts on SQLite, the hot path of its one writer connection: the new id is read from the
-- statement's result instead of a RETURNING row, which costs database/sql a result set to open, scan and
-- close (about 20 allocations and a quarter of a chat's write time).

-- name: CreateConversation :execresult
-- No row affected: the project is not the owner's (or gone).
INSERT INTO conversations (project_id, title, key_id, end_user, created_at, updated_at)
SELECT p.id, @title, sqlc.narg(key_id), @end_user, @created_at, @created_at
FROM projects p WHERE p.id = @project_id AND p.owner_id = @owner_id;

-- name: CreateMessagePair :execresult
-- A question and its answer in one statement (chat's hot path): on the one writer, inside its transaction,
-- the two rows take consecutive ids, the last one the result's.
INSERT INTO messages (conversation_id, role, content, model, input_tokens, output_tokens, latency_ms, incomplete, citations, created_at, release_number)
VALUES (@conversation_id, @role, @content, sqlc.narg(model), sqlc.narg(input_tokens), sqlc.narg(output_tokens), sqlc.narg(latency_ms), @incomplete, @citations, @created_at, sqlc.narg(release_number)),
       (@conversation_id, @role2, @content2, sqlc.narg(model2), sqlc.narg(input_tokens2), sqlc.narg(output_tokens2), sqlc.narg(latency_ms2), @incomplete2, @citations2, @created_at, sqlc.narg(release_number2));

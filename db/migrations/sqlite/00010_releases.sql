-- +goose Up
-- Releases: immutable snapshots of a project's bot (enabled prompts, chat settings, files), numbered
-- 1, 2, 3... per project. The project answers its keys, widget and OpenAI-compatible endpoint with the
-- published one (none: the draft); a secret key may pin one; every assistant message records its own.
CREATE TABLE releases (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id    BIGINT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    number        BIGINT NOT NULL,
    note          TEXT   NOT NULL,
    snapshot      TEXT   NOT NULL, -- JSON: prompts, model, temperature, max_output_tokens, files
    removed_files TEXT   NOT NULL, -- JSON: files deleted with ?force=true after the release was made
    created_at    DATETIME NOT NULL,
    UNIQUE (project_id, number)
);

ALTER TABLE projects ADD COLUMN published_release BIGINT;
ALTER TABLE api_keys ADD COLUMN pinned_release BIGINT;
ALTER TABLE messages ADD COLUMN release_number BIGINT;

-- +goose Down
ALTER TABLE messages DROP COLUMN release_number;
ALTER TABLE api_keys DROP COLUMN pinned_release;
ALTER TABLE projects DROP COLUMN published_release;
DROP TABLE releases;

-- +goose Up
-- Ratings of the bot's answers: at most one per assistant message (rating again replaces it). project_id
-- is the message's project, kept here so a project's feedback lists and counts without a scan of its
-- messages; deleting the message, its conversation or its project deletes the rating with it.
CREATE TABLE message_feedback (
    message_id BIGINT      PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
    project_id BIGINT      NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    rating     TEXT        NOT NULL CHECK (rating IN ('up', 'down')),
    comment    TEXT        NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX message_feedback_project_idx ON message_feedback (project_id, updated_at, message_id);

-- +goose Down
DROP TABLE message_feedback;

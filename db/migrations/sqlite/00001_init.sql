-- +goose Up
CREATE TABLE users (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    email           TEXT        NOT NULL UNIQUE,
    hashed_password TEXT        NOT NULL,
    created_at      DATETIME    NOT NULL
);

CREATE TABLE projects (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    owner_id          BIGINT           NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name              TEXT             NOT NULL,
    model             TEXT             NOT NULL,
    temperature       REAL             NOT NULL,
    max_output_tokens BIGINT           NOT NULL,
    vector_store_id   TEXT,
    created_at        DATETIME         NOT NULL,
    updated_at        DATETIME         NOT NULL
);
CREATE INDEX projects_owner_id_idx ON projects (owner_id, id);

CREATE TABLE prompts (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id BIGINT      NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name       TEXT        NOT NULL,
    content    TEXT        NOT NULL,
    position   BIGINT      NOT NULL,
    enabled    BOOLEAN     NOT NULL,
    created_at DATETIME    NOT NULL,
    updated_at DATETIME    NOT NULL
);
CREATE INDEX prompts_project_id_idx ON prompts (project_id, position, id);

CREATE TABLE project_files (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id     BIGINT      NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    filename       TEXT        NOT NULL,
    openai_file_id TEXT        NOT NULL,
    file_size      BIGINT      NOT NULL,
    content_type   TEXT        NOT NULL,
    status         TEXT        NOT NULL,
    status_detail  TEXT        NOT NULL,
    created_at     DATETIME    NOT NULL
);
CREATE INDEX project_files_project_id_idx ON project_files (project_id, id);

CREATE TABLE conversations (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id BIGINT      NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    title      TEXT        NOT NULL,
    created_at DATETIME    NOT NULL,
    updated_at DATETIME    NOT NULL
);
CREATE INDEX conversations_project_id_idx ON conversations (project_id, updated_at);

CREATE TABLE messages (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id BIGINT      NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    role            TEXT        NOT NULL,
    content         TEXT        NOT NULL,
    model           TEXT,
    input_tokens    BIGINT,
    output_tokens   BIGINT,
    latency_ms      BIGINT,
    incomplete      BOOLEAN     NOT NULL,
    citations       TEXT        NOT NULL,
    created_at      DATETIME    NOT NULL
);
CREATE INDEX messages_conversation_id_idx ON messages (conversation_id, id);

-- +goose Down
DROP TABLE messages;
DROP TABLE conversations;
DROP TABLE project_files;
DROP TABLE prompts;
DROP TABLE projects;
DROP TABLE users;

-- 00001_init: users, projects, prompts, project_files, conversations, messages.
INSERT INTO users (id, email, hashed_password, created_at) VALUES
    (1, 'alice@example.com', '$pbkdf2-sha256$600000$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo', '2026-01-02 03:04:05+00:00'),
    (2, 'bob@example.com', '$pbkdf2-sha256$29000$c2FsdA$aGFzaA', '2026-01-03 03:04:05+00:00');

INSERT INTO projects (id, owner_id, name, model, temperature, max_output_tokens, vector_store_id, created_at, updated_at) VALUES
    (1, 1, 'Support bot', 'gpt-4o-mini', 0.7, 1024, 'vs_abc123', '2026-01-02 04:00:00+00:00', '2026-01-04 04:00:00+00:00'),
    (2, 2, 'Ünïcødé — bot ✓', 'gpt-4o', 1.5, 16000, NULL, '2026-01-03 04:00:00+00:00', '2026-01-03 04:00:00+00:00');

INSERT INTO prompts (id, project_id, name, content, position, enabled, created_at, updated_at) VALUES
    (1, 1, 'tone', 'Be kind and brief.', 0, TRUE, '2026-01-02 05:00:00+00:00', '2026-01-02 05:00:00+00:00'),
    (2, 1, 'disabled', 'Line one
line two, with ''quotes''', 1000000, FALSE, '2026-01-02 05:01:00+00:00', '2026-01-02 05:02:00+00:00');

INSERT INTO project_files (id, project_id, filename, openai_file_id, file_size, content_type, status, status_detail, created_at) VALUES
    (1, 1, 'handbook.pdf', 'file-abc', 1048576, 'application/pdf', 'completed', '', '2026-01-02 06:00:00+00:00'),
    (2, 1, 'broken.txt', 'file-def', 12, 'text/plain', 'failed', 'unsupported file', '2026-01-02 06:01:00+00:00');

INSERT INTO conversations (id, project_id, title, created_at, updated_at) VALUES
    (1, 1, 'Refund question', '2026-01-02 07:00:00+00:00', '2026-01-02 07:01:00+00:00');

INSERT INTO messages (id, conversation_id, role, content, model, input_tokens, output_tokens, latency_ms, incomplete, citations, created_at) VALUES
    (1, 1, 'user', 'How do I get a refund?', NULL, NULL, NULL, NULL, FALSE, '[]', '2026-01-02 07:00:00+00:00'),
    (2, 1, 'assistant', 'See the handbook, page 3.', 'gpt-4o-mini', 120, 15, 850, FALSE, '[{"file_id":"file-abc","filename":"handbook.pdf"}]', '2026-01-02 07:00:01+00:00'),
    (3, 1, 'assistant', 'Partial answ', 'gpt-4o-mini', 90, 3, 20000, TRUE, '[]', '2026-01-02 07:01:00+00:00');

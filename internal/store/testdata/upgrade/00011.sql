-- 00011_feedback: message_feedback.
INSERT INTO message_feedback (message_id, project_id, rating, comment, created_at, updated_at) VALUES
    (2, 1, 'down', 'Page 3 is about shipping.', '2026-01-02 07:05:00+00:00', '2026-01-02 07:06:00+00:00');

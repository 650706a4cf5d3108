-- 00007_email: users.email_verified_at; email_tokens (token_hash is a BLOB here, BYTEA on PostgreSQL).
INSERT INTO users (id, email, hashed_password, created_at, display_name, email_verified_at) VALUES
    (4, 'dave@example.com', '$pbkdf2-sha256$600000$c2FsdA$aGFzaA', '2026-02-01 00:00:00+00:00', '', '2026-02-01 00:10:00+00:00');

INSERT INTO email_tokens (token_hash, user_id, purpose, email, created_at, expires_at) VALUES
    (X'00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff', 3, 'reset_password', 'carol@example.com',
     '2026-02-01 00:00:00+00:00', '2026-02-01 00:30:00+00:00');

-- 00005_accounts: sessions; users.display_name.
INSERT INTO users (id, email, hashed_password, created_at, display_name) VALUES
    (3, 'carol@example.com', '$pbkdf2-sha256$600000$c2FsdA$aGFzaA', '2026-01-09 00:00:00+00:00', 'Carol 🌷');

INSERT INTO sessions (id, user_id, created_at, last_seen_at, ip, user_agent) VALUES
    (1, 1, '2026-01-09 00:00:00+00:00', '2026-01-09 01:00:00+00:00', '203.0.113.7', 'Mozilla/5.0 (X11; Linux x86_64)'),
    (2, 3, '2026-01-09 00:05:00+00:00', '2026-01-09 00:05:00+00:00', '2001:db8::1', 'curl/8.5.0');

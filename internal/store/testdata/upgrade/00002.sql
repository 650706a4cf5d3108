-- 00002_project_keys: api_keys; conversations.key_id and end_user.
INSERT INTO api_keys (id, project_id, name, kind, prefix, key_hash, scopes, allowed_origins, identity_secret, expires_at,
                      rate_limit_per_minute, require_signed_user, visitor_messages_per_day, created_at, last_used_at, revoked_at) VALUES
    (1, 1, 'backend', 'secret', 'cb_sk_ab12', '5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8', '["chat","read"]', '[]', '',
     '2027-01-01 00:00:00+00:00', 60, FALSE, 50, '2026-01-05 00:00:00+00:00', '2026-01-06 00:00:00+00:00', NULL),
    (2, 1, 'widget', 'publishable', 'cb_pk_cd34', '6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b', '["chat"]', '["https://example.com"]', 'idsecret',
     NULL, NULL, TRUE, 20, '2026-01-05 00:01:00+00:00', NULL, '2026-01-07 00:00:00+00:00');

INSERT INTO conversations (id, project_id, title, created_at, updated_at, key_id, end_user) VALUES
    (2, 1, 'Via the API', '2026-01-06 00:00:00+00:00', '2026-01-06 00:00:00+00:00', 1, 'customer-42');

INSERT INTO messages (id, conversation_id, role, content, model, input_tokens, output_tokens, latency_ms, incomplete, citations, created_at) VALUES
    (4, 2, 'user', 'Hi!', NULL, NULL, NULL, NULL, FALSE, '[]', '2026-01-06 00:00:00+00:00');

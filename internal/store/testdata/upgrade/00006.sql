-- 00006_idempotency_keys: idempotency_keys.
INSERT INTO idempotency_keys (id, owner_id, caller, idem_key, fingerprint, result, created_at) VALUES
    (1, 1, 'owner', 'req-1', 'sha256:aa', '{"conversation_id":1,"message":{"content":"See the handbook"}}', '2026-01-10 00:00:00+00:00'),
    (2, 1, 'key:1:customer-42', 'req-2', 'sha256:bb', NULL, '2026-01-10 00:00:01+00:00');

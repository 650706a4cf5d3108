-- 00004_key_version: api_keys.version.
INSERT INTO api_keys (id, project_id, name, kind, prefix, key_hash, scopes, allowed_origins, identity_secret, expires_at,
                      rate_limit_per_minute, require_signed_user, visitor_messages_per_day, created_at, last_used_at, revoked_at,
                      budget_monthly_micro_usd, budget_monthly_tokens, end_user_daily_tokens, end_user_monthly_tokens, version) VALUES
    (3, 3, 'rotated', 'secret', 'cb_sk_ef56', 'd4735e3a265e16eee03f59718b9b5d03019c07d8b6c51f90da3a666eec13ab35', '["write"]', '[]', '',
     NULL, NULL, FALSE, 50, '2026-01-08 00:00:00+00:00', NULL, NULL, NULL, 500000, NULL, 200000, 3);

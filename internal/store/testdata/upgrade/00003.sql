-- 00003_usage: usage_events, budget_counters; budget and price columns of projects and api_keys.
INSERT INTO usage_events (id, created_at, project_id, key_id, end_user, conversation_id, operation, model, input_tokens,
                          cached_input_tokens, output_tokens, latency_ms, ttft_ms, outcome, cost_micro_usd) VALUES
    (1, '2026-01-06 00:00:01+00:00', 1, 1, 'customer-42', 2, 'chat', 'gpt-4o-mini', 120, 64, 15, 850, NULL, 'ok', 27),
    (2, '2026-01-06 00:00:02+00:00', 1, NULL, '', NULL, 'chat_stream', 'gpt-4o-mini', 90, 0, 0, 3, 250, 'budget', 0);

INSERT INTO budget_counters (scope, period, spent_tokens, spent_micro_usd, reserved_tokens, reserved_micro_usd, limit_tokens, limit_micro_usd) VALUES
    ('project:1', '2026-01', 225, 27, 0, 0, 0, 5000000),
    ('user:1:customer-42', '2026-01-06', 135, 27, 1024, 600, 10000, 0);

INSERT INTO projects (id, owner_id, name, model, temperature, max_output_tokens, vector_store_id, created_at, updated_at,
                      budget_monthly_micro_usd, budget_monthly_tokens, price_input, price_cached_input, price_output) VALUES
    (3, 1, 'Budgeted', 'my-finetune', 0, 16, NULL, '2026-01-06 00:00:00+00:00', '2026-01-06 00:00:00+00:00', 5000000, 1000000, 150000, 75000, 600000);

UPDATE api_keys SET budget_monthly_micro_usd = 1000000, end_user_daily_tokens = 10000 WHERE id = 1;

-- 00012_evals: eval_cases, eval_runs, eval_results.
INSERT INTO eval_cases (id, project_id, input, history, checks, source_message_id, created_at, updated_at) VALUES
    (1, 1, 'Can I get a refund?', '[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello!"}]',
     '{"contains":["refund"],"regex":"(?i)30 days"}', 2, '2026-02-01 00:00:00+00:00', '2026-02-01 00:00:00+00:00'),
    (2, 1, 'Ünïcødé?', '[]', '{}', NULL, '2026-02-01 00:01:00+00:00', '2026-02-01 00:02:00+00:00');

INSERT INTO eval_runs (id, project_id, target_release, draft_digest, status, total, passed, failed, error, created_at, started_at, finished_at) VALUES
    (1, 1, NULL, 'sha256:abc', 'completed', 2, 1, 1, '', '2026-02-02 00:00:00+00:00', '2026-02-02 00:00:01+00:00', '2026-02-02 00:00:09+00:00'),
    (2, 1, 3, '', 'queued', 2, 0, 0, '', '2026-02-03 00:00:00+00:00', NULL, NULL);

INSERT INTO eval_results (run_id, case_id, input, history, checks, status, reply, error, latency_ms, input_tokens, output_tokens, citations, check_results) VALUES
    (1, 1, 'Can I get a refund?', '[]', '{"contains":["refund"]}', 'passed', 'Yes, a refund within 30 days.', '', 812, 40, 9,
     '[]', '[{"check":"contains","expected":"refund","passed":true,"detail":""}]'),
    (1, 2, 'Ünïcødé?', '[]', '{}', 'failed', '', 'upstream timeout', NULL, NULL, NULL, '[]', '[]'),
    (2, 1, 'Can I get a refund?', '[]', '{}', 'pending', '', '', NULL, NULL, NULL, '[]', '[]');

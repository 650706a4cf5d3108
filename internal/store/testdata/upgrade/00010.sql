-- 00010_releases: releases; projects.published_release, api_keys.pinned_release, messages.release_number.
INSERT INTO releases (id, project_id, number, note, snapshot, removed_files, created_at) VALUES
    (1, 1, 1, 'First', '{"prompts":[{"name":"tone","content":"Be kind."}],"model":"gpt-4o-mini","temperature":0.7,"max_output_tokens":1024,"files":[]}', '[]', '2026-03-01 00:00:00+00:00'),
    (2, 1, 2, '', '{"prompts":[],"model":"gpt-4o","temperature":1,"max_output_tokens":512,"files":[{"id":9,"filename":"a.pdf","openai_file_id":"file-a"}]}', '[{"id":9,"filename":"a.pdf","openai_file_id":"file-a"}]', '2026-03-02 00:00:00+00:00');
UPDATE projects SET published_release = 2 WHERE id = 1;
UPDATE api_keys SET pinned_release = 1 WHERE id = 1;
UPDATE messages SET release_number = 2 WHERE id = 2;

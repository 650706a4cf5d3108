-- +goose Up
-- A key's version grows with every change to it, so an instance may keep a decoded key in memory and
-- check only this one column per request (revocation still deletes the row from the lookup).
ALTER TABLE api_keys ADD COLUMN version BIGINT NOT NULL DEFAULT 1;

-- +goose Down
ALTER TABLE api_keys DROP COLUMN version;

-- API keys may expire: a key past `expires` authenticates nothing. NULL is
-- never (every key created before this migration). Keep in step with
-- ../sqlite/00004_api_key_expiry.sql.

-- +goose Up
ALTER TABLE api_keys ADD COLUMN expires TIMESTAMPTZ NULL;

-- +goose Down
ALTER TABLE api_keys DROP COLUMN expires;

-- Per-user quotas and the age of download keys. Keep in step with
-- ../postgres/00004_quotas.sql.
--
-- user_quotas holds the limits an administrator set for one user (PUT
-- /users/{uid}/quotas); a kind without a row takes the server's default.
-- images.download_key_issued is when the current download key was made: an
-- unused key expires (kiln serve --download-key-ttl). Existing keys count
-- from the image's last change.

-- +goose Up
CREATE TABLE user_quotas (
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind        TEXT    NOT NULL,
    quota_limit INTEGER NOT NULL,
    PRIMARY KEY (user_id, kind)
);
CREATE INDEX scans_owner_state ON scans (owner_id, state);
CREATE INDEX images_owner_state ON images (owner_id, state);

ALTER TABLE images ADD COLUMN download_key_issued TIMESTAMP;
UPDATE images SET download_key_issued = modified;

-- +goose Down
ALTER TABLE images DROP COLUMN download_key_issued;
DROP INDEX images_owner_state;
DROP INDEX scans_owner_state;
DROP TABLE user_quotas;

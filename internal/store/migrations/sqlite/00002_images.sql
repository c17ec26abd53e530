-- Machine images: one row per generation (regenerate makes a new row). Keep in
-- step with ../postgres/00002_images.sql.

-- +goose Up
CREATE TABLE images (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    owner_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    appliance_id   INTEGER REFERENCES appliances (id) ON DELETE CASCADE,
    scan_id        INTEGER,
    format_id      INTEGER NOT NULL,
    name           TEXT    NOT NULL,
    version        TEXT    NOT NULL DEFAULT '',
    revision       INTEGER NOT NULL DEFAULT 1,
    compress       BOOLEAN NOT NULL DEFAULT 0,
    spec           TEXT    NOT NULL,
    request        TEXT    NOT NULL DEFAULT '',
    state          TEXT    NOT NULL,
    percentage     INTEGER NOT NULL DEFAULT 0,
    message        TEXT    NOT NULL DEFAULT '',
    error_message  TEXT    NOT NULL DEFAULT '',
    detailed_error TEXT    NOT NULL DEFAULT '',
    job_id         INTEGER NOT NULL DEFAULT 0,
    artifact       TEXT    NOT NULL DEFAULT '',
    file_size      INTEGER NOT NULL DEFAULT 0,
    sha256         TEXT    NOT NULL DEFAULT '',
    packages       TEXT    NOT NULL DEFAULT '',
    download_key   TEXT    NOT NULL DEFAULT '',
    started        TIMESTAMP,
    finished       TIMESTAMP,
    created        TIMESTAMP NOT NULL,
    modified       TIMESTAMP NOT NULL
);
CREATE INDEX images_owner ON images (owner_id);
CREATE INDEX images_appliance ON images (appliance_id);

-- +goose Down
DROP TABLE images;

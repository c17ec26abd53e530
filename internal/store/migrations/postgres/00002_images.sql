-- Machine images: one row per generation (regenerate makes a new row). Keep in
-- step with ../sqlite/00002_images.sql.

-- +goose Up
CREATE TABLE images (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    owner_id       BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    appliance_id   BIGINT  REFERENCES appliances (id) ON DELETE CASCADE,
    scan_id        BIGINT ,
    format_id      BIGINT  NOT NULL,
    name           TEXT    NOT NULL,
    version        TEXT    NOT NULL DEFAULT '',
    revision       INTEGER NOT NULL DEFAULT 1,
    compress       BOOLEAN NOT NULL DEFAULT FALSE,
    spec           TEXT    NOT NULL,
    request        TEXT    NOT NULL DEFAULT '',
    state          TEXT    NOT NULL,
    percentage     INTEGER NOT NULL DEFAULT 0,
    message        TEXT    NOT NULL DEFAULT '',
    error_message  TEXT    NOT NULL DEFAULT '',
    detailed_error TEXT    NOT NULL DEFAULT '',
    job_id         BIGINT  NOT NULL DEFAULT 0,
    artifact       TEXT    NOT NULL DEFAULT '',
    file_size      BIGINT  NOT NULL DEFAULT 0,
    sha256         TEXT    NOT NULL DEFAULT '',
    packages       TEXT    NOT NULL DEFAULT '',
    download_key   TEXT    NOT NULL DEFAULT '',
    started        TIMESTAMPTZ,
    finished       TIMESTAMPTZ,
    created        TIMESTAMPTZ NOT NULL,
    modified       TIMESTAMPTZ NOT NULL
);
CREATE INDEX images_owner ON images (owner_id);
CREATE INDEX images_appliance ON images (appliance_id);

-- +goose Down
DROP TABLE images;

-- Scanned instances (one per live machine and owner) and their scans: the
-- agent's report and the overlay uploaded with it. Keep in step with
-- ../sqlite/00003_scans.sql.
--
-- images.scan_id has no foreign key: SQLite cannot add one to an existing
-- table, and both databases must behave alike. DeleteScan and
-- DeleteScannedInstance delete the images' rows in the same transaction
-- instead; images_scan serves those deletes and listing a scan's images.

-- +goose Up
CREATE TABLE scanned_instances (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    owner_id         BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name             TEXT COLLATE "C" NOT NULL,
    distribution_id  BIGINT  NOT NULL,
    overlay_included BOOLEAN NOT NULL DEFAULT FALSE,
    created          TIMESTAMPTZ NOT NULL,
    modified         TIMESTAMPTZ NOT NULL,
    UNIQUE (owner_id, name)
);

CREATE TABLE scans (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    instance_id      BIGINT  NOT NULL REFERENCES scanned_instances (id) ON DELETE CASCADE,
    owner_id         BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name             TEXT COLLATE "C" NOT NULL,
    state            TEXT    NOT NULL,
    percentage       INTEGER NOT NULL DEFAULT 0,
    message          TEXT    NOT NULL DEFAULT '',
    error_message    TEXT    NOT NULL DEFAULT '',
    report           TEXT    NOT NULL,
    overlay_received BIGINT  NOT NULL DEFAULT 0,
    overlay_size     BIGINT  NOT NULL DEFAULT 0,
    overlay_sha256   TEXT    NOT NULL DEFAULT '',
    overlay_key      TEXT    NOT NULL DEFAULT '',
    overlay_manifest TEXT    NOT NULL DEFAULT '',
    created          TIMESTAMPTZ NOT NULL,
    modified         TIMESTAMPTZ NOT NULL
);
CREATE INDEX scans_owner ON scans (owner_id);
CREATE INDEX scans_instance ON scans (instance_id);

ALTER TABLE images ADD COLUMN fidelity TEXT NOT NULL DEFAULT '';
CREATE INDEX images_scan ON images (scan_id);

-- +goose Down
DROP INDEX images_scan;
ALTER TABLE images DROP COLUMN fidelity;
DROP TABLE scans;
DROP TABLE scanned_instances;

-- Initial schema, PostgreSQL flavour. Keep in step with ../sqlite/00001_init.sql.
-- Identity columns are never reused (like SQLite's AUTOINCREMENT).
-- Text that is sorted or matched with LIKE is COLLATE "C": byte order, as
-- SQLite's BINARY, whatever locale the cluster was created with, so both
-- databases page and sort identically (and LIKE 'prefix%' can use the index).

-- +goose Up
CREATE TABLE users (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    login          TEXT COLLATE "C" NOT NULL UNIQUE,
    email          TEXT    NOT NULL DEFAULT '',
    first_name     TEXT    NOT NULL DEFAULT '',
    surname        TEXT    NOT NULL DEFAULT '',
    password_hash  TEXT    NOT NULL DEFAULT '',
    active         BOOLEAN NOT NULL DEFAULT TRUE,
    api_keys_quota INTEGER NOT NULL DEFAULT 0,
    created        TIMESTAMPTZ NOT NULL,
    modified       TIMESTAMPTZ NOT NULL
);

-- Roles are a set per user: a join table keeps them constrained (no duplicates,
-- no encoding), removed with the user, and answerable ("who is admin?").
CREATE TABLE user_roles (
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role    TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (user_id, role)
);
CREATE INDEX user_roles_role ON user_roles (role);

CREATE TABLE api_keys (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name        TEXT   NOT NULL DEFAULT '',
    description TEXT   NOT NULL DEFAULT '',
    public_key  TEXT   NOT NULL UNIQUE,
    secret_key  TEXT   NOT NULL,
    created     TIMESTAMPTZ NOT NULL,
    modified    TIMESTAMPTZ NOT NULL
);
CREATE INDEX api_keys_user ON api_keys (user_id);

CREATE TABLE appliances (
    id       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    owner_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name     TEXT COLLATE "C" NOT NULL,
    version  TEXT COLLATE "C" NOT NULL,
    revision INTEGER NOT NULL DEFAULT 0,
    doc      TEXT    NOT NULL,
    created  TIMESTAMPTZ NOT NULL,
    modified TIMESTAMPTZ NOT NULL,
    UNIQUE (owner_id, name, version)
);

CREATE TABLE packages (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    distribution_id BIGINT NOT NULL,
    name            TEXT COLLATE "C" NOT NULL,
    version         TEXT COLLATE "C" NOT NULL,
    arch            TEXT COLLATE "C" NOT NULL,
    section         TEXT   NOT NULL DEFAULT '',
    size            BIGINT NOT NULL DEFAULT 0,
    filename        TEXT   NOT NULL DEFAULT ''
);
-- (name, version, arch) identifies a package within a distribution: it is what
-- keeps ids stable across index refreshes. Its leading columns
-- (distribution_id, name) also serve lookups by name and ordered searches, so a
-- separate (distribution_id, name) index would only slow down writes.
CREATE UNIQUE INDEX packages_identity ON packages (distribution_id, name, version, arch);

CREATE TABLE package_indexes (
    distribution_id BIGINT PRIMARY KEY,
    package_count   INTEGER NOT NULL,
    refreshed       TIMESTAMPTZ NOT NULL
);

-- +goose Down
DROP TABLE package_indexes;
DROP TABLE packages;
DROP TABLE appliances;
DROP TABLE api_keys;
DROP TABLE user_roles;
DROP TABLE users;

-- Initial schema, SQLite flavour. Keep in step with ../postgres/00001_init.sql.
-- AUTOINCREMENT: ids are never reused, so a URI naming a deleted package or
-- appliance can never come to name another one.
-- TIMESTAMP columns: modernc.org/sqlite parses them back into time.Time.

-- +goose Up
CREATE TABLE users (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    login          TEXT    NOT NULL UNIQUE,
    email          TEXT    NOT NULL DEFAULT '',
    first_name     TEXT    NOT NULL DEFAULT '',
    surname        TEXT    NOT NULL DEFAULT '',
    password_hash  TEXT    NOT NULL DEFAULT '',
    active         BOOLEAN NOT NULL DEFAULT 1,
    api_keys_quota INTEGER NOT NULL DEFAULT 0,
    created        TIMESTAMP NOT NULL,
    modified       TIMESTAMP NOT NULL
);

-- Roles are a set per user: a join table keeps them constrained (no duplicates,
-- no encoding), removed with the user, and answerable ("who is admin?").
CREATE TABLE user_roles (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role    TEXT    NOT NULL,
    PRIMARY KEY (user_id, role)
);
CREATE INDEX user_roles_role ON user_roles (role);

CREATE TABLE api_keys (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name        TEXT    NOT NULL DEFAULT '',
    description TEXT    NOT NULL DEFAULT '',
    public_key  TEXT    NOT NULL UNIQUE,
    secret_key  TEXT    NOT NULL,
    created     TIMESTAMP NOT NULL,
    modified    TIMESTAMP NOT NULL
);
CREATE INDEX api_keys_user ON api_keys (user_id);

CREATE TABLE appliances (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    owner_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name     TEXT    NOT NULL,
    version  TEXT    NOT NULL,
    revision INTEGER NOT NULL DEFAULT 0,
    doc      TEXT    NOT NULL,
    created  TIMESTAMP NOT NULL,
    modified TIMESTAMP NOT NULL,
    UNIQUE (owner_id, name, version)
);

CREATE TABLE packages (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    distribution_id INTEGER NOT NULL,
    name            TEXT    NOT NULL,
    version         TEXT    NOT NULL,
    arch            TEXT    NOT NULL,
    section         TEXT    NOT NULL DEFAULT '',
    size            INTEGER NOT NULL DEFAULT 0,
    filename        TEXT    NOT NULL DEFAULT ''
);
-- (name, version, arch) identifies a package within a distribution: it is what
-- keeps ids stable across index refreshes. Its leading columns
-- (distribution_id, name) also serve lookups by name and ordered searches, so a
-- separate (distribution_id, name) index would only slow down writes.
CREATE UNIQUE INDEX packages_identity ON packages (distribution_id, name, version, arch);

CREATE TABLE package_indexes (
    distribution_id INTEGER PRIMARY KEY,
    package_count   INTEGER NOT NULL,
    refreshed       TIMESTAMP NOT NULL
);

-- +goose Down
DROP TABLE package_indexes;
DROP TABLE packages;
DROP TABLE appliances;
DROP TABLE api_keys;
DROP TABLE user_roles;
DROP TABLE users;

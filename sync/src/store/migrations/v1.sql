-- Version 1: reference data, sync state, outbox, audit log.
CREATE TABLE dataset (
    name      TEXT PRIMARY KEY,
    version   TEXT NOT NULL,
    pulled_at TEXT NOT NULL
);
CREATE TABLE reference_item (
    dataset TEXT NOT NULL,
    key     TEXT NOT NULL,
    area    TEXT NOT NULL DEFAULT '',
    payload TEXT NOT NULL,
    PRIMARY KEY (dataset, key)
);
CREATE TABLE sync_state (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE outbox (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    tracking_no TEXT NOT NULL UNIQUE,
    kind        TEXT NOT NULL,
    infno       TEXT NOT NULL,
    msgid       TEXT NOT NULL UNIQUE,
    nonce       BLOB,
    sealed      BLOB,
    state       TEXT NOT NULL CHECK (state IN ('pending', 'accepted', 'rejected')),
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE TABLE audit_log (
    id     INTEGER PRIMARY KEY AUTOINCREMENT,
    at     TEXT NOT NULL,
    event  TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT ''
);

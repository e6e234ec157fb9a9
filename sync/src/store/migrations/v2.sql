-- Version 2: print journal; audit entries remember whether they were uploaded.
CREATE TABLE print_job (
    job_id     TEXT PRIMARY KEY,
    kind       TEXT NOT NULL,
    nonce      BLOB NOT NULL,
    document   BLOB NOT NULL,
    state      TEXT NOT NULL CHECK (state IN ('queued', 'sending', 'done', 'failed')),
    cause      TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX print_job_state ON print_job (state);
ALTER TABLE audit_log ADD COLUMN uploaded INTEGER NOT NULL DEFAULT 0;

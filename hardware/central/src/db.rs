//! The reference centre's SQLite database: the seed it was loaded from,
//! the answer to every command message (idempotency on `msgid`), filings
//! and their archived commitment letters, certificates, ratings, health reports, audit entries,
//! resident premium payment orders (`premium_order`; `state` open / paid /
//! failed / cancelled, expiry computed on read) with the numbers barred by a
//! KS53/KS54 `unknown` answer (`premium_order_void`), and versioned
//! reference data.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, params};
use serde_json::{Value, json};

use crate::Error;
use crate::data::DemoData;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS seed (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    name      TEXT NOT NULL,
    text      TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS message (
    msgid      TEXT PRIMARY KEY,
    infno      TEXT NOT NULL,
    input_hash TEXT NOT NULL,
    response   TEXT NOT NULL,
    at         TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS filing (
    filing_no        TEXT PRIMARY KEY,
    psn_no           TEXT NOT NULL,
    filing_type      TEXT NOT NULL,
    insuplc_admdvs   TEXT NOT NULL,
    mdtrtarea_admdvs TEXT NOT NULL,
    begndate         TEXT NOT NULL,
    enddate          TEXT NOT NULL DEFAULT '',
    tel              TEXT NOT NULL DEFAULT '',
    fixmedins_code   TEXT NOT NULL DEFAULT '',
    status           TEXT NOT NULL,
    filed_on         TEXT NOT NULL,
    msgid            TEXT,
    updated_at       TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS filing_psn ON filing (psn_no);
CREATE TABLE IF NOT EXISTS commitment_letter (
    filing_no      TEXT PRIMARY KEY,
    psn_no         TEXT NOT NULL,
    letter_version TEXT NOT NULL,
    letter_text    TEXT NOT NULL,
    sign_format    TEXT NOT NULL,
    sign_data      TEXT NOT NULL,
    sign_date      TEXT NOT NULL,
    sha256         TEXT NOT NULL,
    keep_until     TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS certificate (
    cert_no     TEXT PRIMARY KEY,
    verify_code TEXT NOT NULL,
    psn_no      TEXT NOT NULL,
    psn_name    TEXT NOT NULL,
    cert_kind   TEXT NOT NULL,
    insutype    TEXT NOT NULL,
    issued_at   TEXT NOT NULL,
    valid_until TEXT NOT NULL,
    msgid       TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS contribution_record (
    record_no   TEXT PRIMARY KEY,
    verify_code TEXT NOT NULL,
    psn_no      TEXT NOT NULL,
    insutype    TEXT NOT NULL,
    begn_ym     TEXT NOT NULL,
    end_ym      TEXT NOT NULL,
    content     TEXT NOT NULL,
    issued_at   TEXT NOT NULL,
    msgid       TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS rating (
    rating_no INTEGER PRIMARY KEY AUTOINCREMENT,
    rating_id TEXT NOT NULL,
    msgid     TEXT NOT NULL,
    terminal  TEXT NOT NULL,
    service   TEXT NOT NULL,
    score     INTEGER NOT NULL,
    at        TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS terminal_config (
    scope    TEXT PRIMARY KEY,
    version  INTEGER NOT NULL,
    settings TEXT NOT NULL,
    at       TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS staff (
    name          TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL,
    hall          TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS staff_session (
    token_hash TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    csrf       TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS console_audit (
    id     INTEGER PRIMARY KEY AUTOINCREMENT,
    at     TEXT NOT NULL,
    staff  TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS console_ack (
    terminal TEXT NOT NULL,
    kind     TEXT NOT NULL,
    since    TEXT NOT NULL,
    staff    TEXT NOT NULL,
    at       TEXT NOT NULL,
    PRIMARY KEY (terminal, kind, since)
);
CREATE TABLE IF NOT EXISTS health_report (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    terminal TEXT NOT NULL,
    msgid    TEXT NOT NULL,
    body     TEXT NOT NULL,
    at       TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS health_report_terminal ON health_report (terminal, id);
CREATE TABLE IF NOT EXISTS audit_entry (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    terminal TEXT NOT NULL,
    msgid    TEXT NOT NULL,
    entry_id INTEGER NOT NULL,
    at       TEXT NOT NULL,
    event    TEXT NOT NULL,
    detail   TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS chronic_condition (
    cert_no      TEXT PRIMARY KEY,
    psn_no       TEXT NOT NULL,
    kind         TEXT NOT NULL,
    disease      TEXT NOT NULL,
    admdvs       TEXT NOT NULL,
    certified_on TEXT NOT NULL,
    hosp_code    TEXT NOT NULL,
    phar_code    TEXT NOT NULL DEFAULT '',
    updated_at   TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS chronic_change (
    change_no  TEXT PRIMARY KEY,
    cert_no    TEXT NOT NULL,
    slot       TEXT NOT NULL,
    old_code   TEXT NOT NULL,
    new_code   TEXT NOT NULL,
    agnter     TEXT NOT NULL DEFAULT '',
    agnt_authz TEXT NOT NULL DEFAULT '',
    msgid      TEXT NOT NULL,
    at         TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS premium_order (
    order_no   TEXT PRIMARY KEY,
    psn_no     TEXT NOT NULL,
    year       INTEGER NOT NULL,
    admdvs     TEXT NOT NULL,
    amount     TEXT NOT NULL,
    state      TEXT NOT NULL,
    pay_url    TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    paid_at    TEXT NOT NULL DEFAULT '',
    receipt_no TEXT NOT NULL DEFAULT '',
    channel    TEXT NOT NULL DEFAULT '',
    reason     TEXT NOT NULL DEFAULT '',
    agnter     TEXT NOT NULL DEFAULT '',
    msgid      TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS premium_order_psn ON premium_order (psn_no, year);
CREATE TABLE IF NOT EXISTS premium_order_void (
    order_no TEXT PRIMARY KEY,
    at       TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS ref_item (
    dataset TEXT NOT NULL,
    key     TEXT NOT NULL,
    area    TEXT NOT NULL DEFAULT '',
    data    TEXT NOT NULL,
    version INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (dataset, key)
);
CREATE INDEX IF NOT EXISTS ref_item_version ON ref_item (dataset, version);
PRAGMA user_version = 1;
";

/// Opens (or creates) the database; `None` for an in-memory one.
pub fn open(path: Option<&Path>) -> Result<Connection, Error> {
    let conn = match path {
        Some(p) => Connection::open(p),
        None => Connection::open_in_memory(),
    }
    .map_err(db_error)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .map_err(db_error)?;
    if path.is_some() {
        let _: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(db_error)?;
        // The reference centre survives a crash of its process (WAL), not
        // a power cut: NORMAL keeps it fast enough for benchmarks.
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(db_error)?;
    }
    conn.execute_batch(SCHEMA).map_err(db_error)?;
    Ok(conn)
}

/// Maps a database error.
pub fn db_error(e: rusqlite::Error) -> Error {
    Error::Database(e.to_string())
}

/// The seed stored in the database, if any: (file name, text).
pub fn stored_seed(conn: &Connection) -> Result<Option<(String, String)>, Error> {
    conn.query_row("SELECT name, text FROM seed WHERE id = 1", [], |r| {
        Ok((r.get(0)?, r.get(1)?))
    })
    .optional()
    .map_err(db_error)
}

/// Loads a seed: remembers its text, adds its filings (existing ones are
/// kept as the centre changed them), and brings the reference datasets up
/// to date with new versions for what changed.
pub fn load_seed(
    conn: &mut Connection,
    name: &str,
    text: Option<&str>,
    data: &DemoData,
    now: &str,
) -> Result<(), Error> {
    let tx = conn.transaction().map_err(db_error)?;
    if let Some(text) = text {
        tx.execute(
            "INSERT INTO seed (id, name, text) VALUES (1, ?1, ?2)
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, text = excluded.text",
            params![name, text],
        )
        .map_err(db_error)?;
    }
    for p in &data.people {
        let insured_area = p
            .insurance
            .first()
            .map(|i| i.pooling_area.clone())
            .unwrap_or_default();
        for c in &p.chronic {
            // Existing ones are kept as the centre changed them.
            tx.execute(
                "INSERT OR IGNORE INTO chronic_condition (cert_no, psn_no, kind, disease, admdvs,
                     certified_on, hosp_code, phar_code, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    c.cert_no,
                    p.person_number,
                    c.kind,
                    c.disease,
                    c.area,
                    c.certified_on.format("%Y-%m-%d").to_string(),
                    c.hospital,
                    c.pharmacy,
                    now
                ],
            )
            .map_err(db_error)?;
        }
        for f in &p.filings {
            tx.execute(
                "INSERT OR IGNORE INTO filing (filing_no, psn_no, filing_type, insuplc_admdvs,
                     mdtrtarea_admdvs, begndate, enddate, status, filed_on, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                params![
                    f.filing_no,
                    p.person_number,
                    f.filing_type,
                    insured_area,
                    f.destination,
                    f.start.format("%Y-%m-%d").to_string(),
                    f.end
                        .map(|d| d.format("%Y-%m-%d").to_string())
                        .unwrap_or_default(),
                    f.status,
                    f.filed_on.format("%Y-%m-%d").to_string(),
                    now
                ],
            )
            .map_err(db_error)?;
        }
    }
    for (dataset, items) in reference_sets(data) {
        sync_dataset(&tx, dataset, &items)?;
    }
    tx.commit().map_err(db_error)?;
    Ok(())
}

/// (key, area, data) of every item of every dataset, from the seed.
/// (key, area, data) of one reference item.
type RefItem = (String, String, Value);

fn reference_sets(data: &DemoData) -> Vec<(&'static str, Vec<RefItem>)> {
    use kiosk_core::enrollment::InsuranceType;
    vec![
        (
            "insurance_types",
            InsuranceType::ALL
                .iter()
                .map(|t| (t.code().to_string(), String::new(), json!({"name": t.label()})))
                .collect(),
        ),
        (
            "person_categories",
            data.person_categories
                .iter()
                .map(|(k, v)| (k.clone(), String::new(), json!({"name": v})))
                .collect(),
        ),
        (
            "area_codes",
            data.areas
                .iter()
                .map(|(k, v)| (k.clone(), String::new(), json!({"name": v})))
                .collect(),
        ),
        (
            "institutions",
            data.institutions
                .iter()
                .map(|i| {
                    (
                        i.code.clone(),
                        i.area.clone(),
                        json!({"name": i.name, "level": i.level, "remote_settlement": i.remote_settlement,
                               "kind": i.kind, "address": i.address, "phone": i.phone}),
                    )
                })
                .collect(),
        ),
        (
            "service_guides",
            data.guides
                .iter()
                .map(|g| (g.id.clone(), String::new(), json!({"title": g.title, "body": g.body})))
                .collect(),
        ),
        (
            "announcements",
            data.announcements
                .iter()
                .map(|a| {
                    (
                        a.id.clone(),
                        String::new(),
                        json!({"title": a.title, "body": a.body,
                               "published_on": a.published_on.format("%Y-%m-%d").to_string()}),
                    )
                })
                .collect(),
        ),
    ]
}

fn next_version(tx: &Connection, dataset: &str) -> Result<i64, Error> {
    let v: Option<i64> = tx
        .query_row(
            "SELECT MAX(version) FROM ref_item WHERE dataset = ?1",
            [dataset],
            |r| r.get(0),
        )
        .map_err(db_error)?;
    Ok(v.unwrap_or(0) + 1)
}

/// Makes a dataset hold exactly `items`, giving changed, new and removed
/// items a new version.
fn sync_dataset(tx: &Connection, dataset: &str, items: &[RefItem]) -> Result<(), Error> {
    let version = next_version(tx, dataset)?;
    let mut keys = std::collections::HashSet::new();
    for (key, area, data) in items {
        keys.insert(key.clone());
        let text = data.to_string();
        let existing: Option<(String, String, i64)> = tx
            .query_row(
                "SELECT area, data, deleted FROM ref_item WHERE dataset = ?1 AND key = ?2",
                params![dataset, key],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()
            .map_err(db_error)?;
        if existing.as_ref() == Some(&(area.clone(), text.clone(), 0)) {
            continue;
        }
        tx.execute(
            "INSERT INTO ref_item (dataset, key, area, data, version, deleted) VALUES (?1, ?2, ?3, ?4, ?5, 0)
             ON CONFLICT (dataset, key) DO UPDATE SET area = excluded.area, data = excluded.data,
                 version = excluded.version, deleted = 0",
            params![dataset, key, area, text, version],
        )
        .map_err(db_error)?;
    }
    let mut stmt = tx
        .prepare("SELECT key FROM ref_item WHERE dataset = ?1 AND deleted = 0")
        .map_err(db_error)?;
    let present: Vec<String> = stmt
        .query_map([dataset], |r| r.get(0))
        .map_err(db_error)?
        .collect::<Result<_, _>>()
        .map_err(db_error)?;
    for key in present.iter().filter(|k| !keys.contains(*k)) {
        tx.execute(
            "UPDATE ref_item SET deleted = 1, version = ?3 WHERE dataset = ?1 AND key = ?2",
            params![dataset, key, version],
        )
        .map_err(db_error)?;
    }
    Ok(())
}

/// Adds or changes one reference item under a new version (for tests and
/// demos of incremental pulls).
pub fn publish_reference(
    conn: &Connection,
    dataset: &str,
    key: &str,
    area: &str,
    data: &Value,
) -> Result<i64, Error> {
    let version = next_version(conn, dataset)?;
    conn.execute(
        "INSERT INTO ref_item (dataset, key, area, data, version, deleted) VALUES (?1, ?2, ?3, ?4, ?5, 0)
         ON CONFLICT (dataset, key) DO UPDATE SET area = excluded.area, data = excluded.data,
             version = excluded.version, deleted = 0",
        params![dataset, key, area, data.to_string(), version],
    )
    .map_err(db_error)?;
    Ok(version)
}

/// Removes one reference item under a new version.
pub fn retract_reference(conn: &Connection, dataset: &str, key: &str) -> Result<i64, Error> {
    let version = next_version(conn, dataset)?;
    conn.execute(
        "UPDATE ref_item SET deleted = 1, version = ?3 WHERE dataset = ?1 AND key = ?2",
        params![dataset, key, version],
    )
    .map_err(db_error)?;
    Ok(version)
}

/// FNV-1a 64 of a text: the fingerprint of a command's input.
pub fn fingerprint(text: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.as_bytes() {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{hash:016x}")
}

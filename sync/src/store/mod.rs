//! The kiosk's local store: one SQLite database (WAL, `synchronous=FULL`)
//! holding reference data pulled from the centre, the outbox, the print
//! journal, the audit log and the sync state. Documented in docs/store.md.
//!
//! Schema changes are numbered migrations (`PRAGMA user_version`); the SQL
//! of each lives in `store/migrations/vN.sql` and is never edited once
//! released. Opening a store migrates it to the latest version in one
//! transaction per step.
//!
//! Personal data (outbox payloads, print documents) is sealed with the
//! [`StoreKey`] before it reaches the database; an outbox payload is erased
//! once the centre has answered.

pub mod crypto;
mod premium;

use kiosk_core::tr_mark;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::NaiveDateTime;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use crate::error::Error;
use crate::platform::{OsRandom, Random};

pub use crypto::StoreKey;
pub use premium::{OrderRecordState, OrderStats, StoredOrder};

/// The SET clause that erases a print job's sealed document when the
/// update (state in `?2`) marks it done: the paper has it, and nothing
/// reads a done job's document (only unfinished jobs are printed again),
/// so the citizen's data is not kept at rest until the retention purge.
/// A failed job keeps its document for the purge, like a pending one.
const ERASE_WHEN_DONE: &str = "nonce = CASE WHEN ?2 = 'done' THEN X'' ELSE nonce END, \
     document = CASE WHEN ?2 = 'done' THEN X'' ELSE document END";

/// The SQL of every schema version, in order: index 0 takes an empty
/// database to version 1.
pub const MIGRATIONS: &[&str] = &[
    include_str!("migrations/v1.sql"),
    include_str!("migrations/v2.sql"),
    include_str!("migrations/v3.sql"),
    include_str!("migrations/v4.sql"),
    include_str!("migrations/v5.sql"),
    include_str!("migrations/v6.sql"),
];

/// The schema version this program writes.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

const TIME_FORMAT: &str = "%Y-%m-%d %H:%M:%S";

/// `sync_state` key of the sealed key-check value ([`Store::check_key`]).
const KEY_CHECK: &str = "key_check";

fn fmt_time(t: NaiveDateTime) -> String {
    t.format(TIME_FORMAT).to_string()
}

fn parse_time(text: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(text, TIME_FORMAT).ok()
}

/// A reference dataset pulled from the centre, each with its own version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dataset {
    /// Insurance types (险种类型).
    InsuranceTypes,
    /// Person categories (人员类别).
    PersonCategories,
    /// Area codes (行政区划 / 统筹区).
    AreaCodes,
    /// Designated institutions accepting remote-care settlement, per area.
    Institutions,
    /// Service guides (办事指南).
    ServiceGuides,
    /// Announcements (公告).
    Announcements,
    /// Region profiles pushed by the centre: key = region id, payload
    /// `{"version": n, "text": "<profile TOML>"}` (docs/region-profiles.md).
    RegionProfiles,
}

impl Dataset {
    /// Every dataset.
    pub const ALL: [Dataset; 7] = [
        Dataset::InsuranceTypes,
        Dataset::PersonCategories,
        Dataset::AreaCodes,
        Dataset::Institutions,
        Dataset::ServiceGuides,
        Dataset::Announcements,
        Dataset::RegionProfiles,
    ];

    /// The dataset's name in the store and on the wire.
    pub fn name(self) -> &'static str {
        match self {
            Dataset::InsuranceTypes => "insurance_types",
            Dataset::PersonCategories => "person_categories",
            Dataset::AreaCodes => "area_codes",
            Dataset::Institutions => "institutions",
            Dataset::ServiceGuides => "service_guides",
            Dataset::Announcements => "announcements",
            Dataset::RegionProfiles => "region_profiles",
        }
    }

    /// The dataset with that name.
    pub fn from_name(name: &str) -> Option<Dataset> {
        Dataset::ALL.into_iter().find(|d| d.name() == name)
    }
}

/// One item of a reference dataset. `payload` is the centre's JSON for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferenceItem {
    /// Key within the dataset (a code, an institution code, a guide id).
    pub key: String,
    /// Area code the item belongs to ('' when not per area).
    pub area: String,
    /// The item as JSON text.
    pub payload: String,
}

/// What the store knows about a dataset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatasetVersion {
    /// The dataset.
    pub dataset: Dataset,
    /// The centre's version (cursor) last applied.
    pub version: String,
    /// When it was applied.
    pub pulled_at: Option<NaiveDateTime>,
}

/// The state of an outbox record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubmissionState {
    /// Written, not yet answered by the centre.
    Pending,
    /// The centre accepted it.
    Accepted,
    /// The centre refused it; `reason` says why.
    Rejected,
}

impl SubmissionState {
    fn db(self) -> &'static str {
        match self {
            SubmissionState::Pending => "pending",
            SubmissionState::Accepted => "accepted",
            SubmissionState::Rejected => "rejected",
        }
    }

    fn from_db(text: &str) -> SubmissionState {
        match text {
            "accepted" => SubmissionState::Accepted,
            "rejected" => SubmissionState::Rejected,
            _ => SubmissionState::Pending,
        }
    }

    /// Chinese label for the citizen.
    pub fn label(self) -> &'static str {
        match self {
            SubmissionState::Pending => tr_mark!("已提交，等待医保中心受理"),
            SubmissionState::Accepted => tr_mark!("医保中心已受理"),
            SubmissionState::Rejected => tr_mark!("医保中心未予受理"),
        }
    }
}

/// A record just written to the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enqueued {
    /// Row id.
    pub id: i64,
    /// The tracking number printed on the citizen's receipt.
    pub tracking_no: String,
    /// The message id it will be sent with, on every attempt.
    pub msgid: String,
}

/// A pending outbox record, opened for sending.
#[derive(Clone)]
pub struct OutboxItem {
    /// Row id.
    pub id: i64,
    /// Tracking number.
    pub tracking_no: String,
    /// Submission kind (see [`crate::outbox::SubmissionKind`]).
    pub kind: String,
    /// Default transaction code (mapped per province when sent).
    pub infno: String,
    /// Message id (idempotency key).
    pub msgid: String,
    /// The transaction input as JSON bytes (personal data).
    pub payload: Vec<u8>,
    /// Attempts so far.
    pub attempts: u32,
}

impl std::fmt::Debug for OutboxItem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutboxItem")
            .field("id", &self.id)
            .field("tracking_no", &self.tracking_no)
            .field("kind", &self.kind)
            .field("infno", &self.infno)
            .field("payload_len", &self.payload.len())
            .finish_non_exhaustive()
    }
}

/// The centre's final answer to an outbox record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settlement {
    /// Accepted; `reference` is the centre's number for it (a filing number).
    Accepted {
        /// The centre's reference, when it gives one.
        reference: Option<String>,
    },
    /// Rejected with the centre's code and reason.
    Rejected {
        /// `infcode`.
        code: i32,
        /// `err_msg`.
        reason: String,
    },
}

/// The status of a submission, by tracking number (no personal data).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmissionStatus {
    /// Tracking number.
    pub tracking_no: String,
    /// Submission kind.
    pub kind: String,
    /// State.
    pub state: SubmissionState,
    /// Rejection reason.
    pub reason: Option<String>,
    /// The centre's reference (filing number), when accepted.
    pub reference: Option<String>,
    /// Send attempts so far.
    pub attempts: u32,
    /// Last transport error (while pending).
    pub last_error: Option<String>,
    /// Written at.
    pub created_at: Option<NaiveDateTime>,
    /// Last change.
    pub updated_at: Option<NaiveDateTime>,
}

/// Counts for `kiosk sync status`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutboxStats {
    /// Records waiting to be sent.
    pub pending: u64,
    /// When the oldest pending record was written.
    pub oldest_pending_at: Option<NaiveDateTime>,
    /// The kind of the oldest pending record (`filing_submit`, `rating`,
    /// ...; never its content).
    pub oldest_pending_kind: Option<String>,
    /// Records accepted by the centre (still in the store).
    pub accepted: u64,
    /// Records rejected by the centre (still in the store).
    pub rejected: u64,
}

/// State of a print job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrintState {
    /// Written, not yet sent to the printer.
    Queued,
    /// Being sent to the printer.
    Sending,
    /// Printed.
    Done,
    /// Failed; the cause says why.
    Failed,
}

impl PrintState {
    fn db(self) -> &'static str {
        match self {
            PrintState::Queued => "queued",
            PrintState::Sending => "sending",
            PrintState::Done => "done",
            PrintState::Failed => "failed",
        }
    }

    fn from_db(text: &str) -> PrintState {
        match text {
            "sending" => PrintState::Sending,
            "done" => PrintState::Done,
            "failed" => PrintState::Failed,
            _ => PrintState::Queued,
        }
    }
}

/// A print job from the journal (the document opened).
#[derive(Clone)]
pub struct PrintJob {
    /// Job id.
    pub job_id: String,
    /// Document kind (certificate, slip, receipt).
    pub kind: String,
    /// The document: ESC/POS bytes or JSON (personal data).
    pub document: Vec<u8>,
    /// State.
    pub state: PrintState,
    /// Cause of a failure.
    pub cause: Option<String>,
    /// Created at.
    pub created_at: Option<NaiveDateTime>,
    /// Last change.
    pub updated_at: Option<NaiveDateTime>,
}

impl std::fmt::Debug for PrintJob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrintJob")
            .field("job_id", &self.job_id)
            .field("kind", &self.kind)
            .field("state", &self.state)
            .field("document_len", &self.document.len())
            .finish_non_exhaustive()
    }
}

/// An audit-log entry. Events and details never carry personal data.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AuditEntry {
    /// Row id.
    pub id: i64,
    /// When.
    pub at: String,
    /// What happened (`session.start`, `print.done`, ...).
    pub event: String,
    /// Detail without personal data.
    pub detail: String,
}

/// The store. Share it behind an `Arc`; calls may come from any thread
/// and are serialised on one connection.
pub struct Store {
    conn: Mutex<Connection>,
    key: StoreKey,
    random: Arc<dyn Random>,
    /// A write failed with SQLITE_FULL and no [`Store::probe_space`] has
    /// succeeded since.
    full: AtomicBool,
    /// [`Store::limit_growth`] is on: no new record fits.
    growth_limited: AtomicBool,
    /// Told when the store becomes full (`Some(reason)`) and writable
    /// again (`None`).
    space_watcher: Mutex<Option<SpaceWatcher>>,
}

/// What [`Store::watch_space`] calls: `Some(reason)` when a write found the
/// store full, `None` when it has space again. Must not use the store.
pub type SpaceWatcher = Box<dyn Fn(Option<&str>) + Send + Sync>;

/// `sync_state` key of the row [`Store::probe_space`] writes and deletes.
const SPACE_PROBE: &str = "space_probe";
/// Bytes [`Store::probe_space`] writes: more than a filing or a print
/// job needs, so a probe that succeeds means they fit again.
const SPACE_PROBE_BYTES: usize = 64 * 1024;

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Store(..)")
    }
}

impl Store {
    /// Opens (creating and migrating as needed) the store at `path`.
    pub fn open(path: &Path, key: StoreKey) -> Result<Store, Error> {
        Store::open_with(path, key, Arc::new(OsRandom))
    }

    /// As [`Store::open`], with nonces from `random`.
    pub fn open_with(path: &Path, key: StoreKey, random: Arc<dyn Random>) -> Result<Store, Error> {
        owner_only(path)?;
        let mut conn = Connection::open(path)?;
        configure(&conn)?;
        migrate(&mut conn)?;
        Ok(Store {
            conn: Mutex::new(conn),
            key,
            random,
            full: AtomicBool::new(false),
            growth_limited: AtomicBool::new(false),
            space_watcher: Mutex::new(None),
        })
    }

    // ---- space -------------------------------------------------------

    /// Whether a write found the store full (SQLITE_FULL: the disk has no
    /// room) and no [`Store::probe_space`] has succeeded since.
    pub fn is_full(&self) -> bool {
        self.full.load(Ordering::SeqCst)
    }

    /// Calls `watcher` whenever the store becomes full or writable again
    /// (replacing an earlier watcher).
    pub fn watch_space(&self, watcher: SpaceWatcher) {
        *self.space_watcher.lock().unwrap_or_else(|p| p.into_inner()) = Some(watcher);
    }

    /// Checks that the store can grow again: writes a 64 KiB row and
    /// deletes it in one committed transaction (nothing stays). `Ok`
    /// clears the full state; [`Error::StoreFull`] keeps it.
    pub fn probe_space(&self) -> Result<(), Error> {
        let probe = || -> Result<(), Error> {
            let mut conn = self.conn();
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.execute(
                "INSERT OR REPLACE INTO sync_state (key, value) VALUES (?1, ?2)",
                params![SPACE_PROBE, "0".repeat(SPACE_PROBE_BYTES)],
            )?;
            tx.execute("DELETE FROM sync_state WHERE key = ?1", [SPACE_PROBE])?;
            tx.commit()?;
            Ok(())
        };
        let result = self.adding(probe);
        if result.is_ok() && self.full.swap(false, Ordering::SeqCst) {
            tracing::info!("local store writable again");
            self.tell_space(None);
        }
        result
    }

    /// Simulation and test seam for a full disk (the kiosk offers it in
    /// simulation mode only, `POST /v1/sim/store/fault`). `true`: SQLite's
    /// `max_page_count` is set to the database's present size (after a
    /// `VACUUM`, so no free page is left), and any write that needs a page
    /// fails inside SQLite with SQLITE_FULL; a new record small enough to
    /// fit in a page that still has room (a print job is under 1 KB) would
    /// slip through, which on a disk that is really full fails as soon as
    /// the WAL must grow, so the store's writes of new records (outbox,
    /// print journal, premium orders, audit, the space probe) fail with
    /// that same SQLITE_FULL error before reaching SQLite. `false` lifts
    /// both. Everything downstream (the error, the full state, the
    /// watcher, the kiosk's messages) is the path of a real full disk.
    pub fn limit_growth(&self, limited: bool) -> Result<(), Error> {
        let conn = self.conn();
        if limited {
            conn.execute_batch("VACUUM")?;
            let _: i64 = conn.query_row("PRAGMA max_page_count = 1", [], |r| r.get(0))?;
        } else {
            let _: i64 = conn.query_row("PRAGMA max_page_count = 4294967294", [], |r| r.get(0))?;
        }
        self.growth_limited.store(limited, Ordering::SeqCst);
        Ok(())
    }

    /// A write that adds a record: refused with SQLITE_FULL while
    /// [`Store::limit_growth`] is on, else run and noted.
    fn adding<T>(&self, write: impl FnOnce() -> Result<T, Error>) -> Result<T, Error> {
        self.noted(|| {
            if self.growth_limited.load(Ordering::SeqCst) {
                return Err(rusqlite::Error::SqliteFailure(
                    rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_FULL),
                    None,
                )
                .into());
            }
            write()
        })
    }

    /// Runs a write; a SQLITE_FULL failure marks the store full (logged
    /// once, the watcher told). Only [`Store::probe_space`] clears it.
    fn noted<T>(&self, write: impl FnOnce() -> Result<T, Error>) -> Result<T, Error> {
        let result = write();
        if let Err(Error::StoreFull(reason)) = &result
            && !self.full.swap(true, Ordering::SeqCst)
        {
            tracing::error!(
                "local store full ({reason}): new records cannot be written; free disk space"
            );
            self.tell_space(Some(reason));
        }
        result
    }

    fn tell_space(&self, full: Option<&str>) {
        if let Some(watcher) = self
            .space_watcher
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
        {
            watcher(full);
        }
    }

    /// SQLite's quick integrity check of the whole file (`PRAGMA
    /// quick_check`): `Err` names what is damaged (page numbers, tables;
    /// never row values).
    pub fn quick_check(&self) -> Result<(), Error> {
        let conn = self.conn();
        let mut stmt = conn.prepare("PRAGMA quick_check")?;
        let lines = stmt
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        match lines.as_slice() {
            [ok] if ok == "ok" => Ok(()),
            _ => Err(Error::Store(format!(
                "damaged: {}",
                lines.iter().take(3).cloned().collect::<Vec<_>>().join("; ")
            ))),
        }
    }

    /// Copies the pending outbox records of a damaged store file (moved
    /// aside) into this one, as they are: still sealed under the same key,
    /// with their tracking numbers and message ids, so the centre answers
    /// a resend of one it already has. Only from a file of this schema
    /// version; returns how many were copied.
    pub fn salvage_outbox(&self, damaged: &Path) -> Result<usize, Error> {
        let version = {
            let src =
                Connection::open_with_flags(damaged, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
            user_version(&src)?
        };
        if version != SCHEMA_VERSION {
            return Err(Error::Store(format!(
                "the damaged store has schema version {version}, this program {SCHEMA_VERSION}: \
                 its outbox is not copied"
            )));
        }
        let conn = self.conn();
        conn.execute(
            "ATTACH DATABASE ?1 AS damaged",
            [damaged.to_string_lossy().as_ref()],
        )?;
        let copied = conn.execute(
            "INSERT OR IGNORE INTO main.outbox SELECT * FROM damaged.outbox WHERE state = 'pending'",
            [],
        );
        let detached = conn.execute("DETACH DATABASE damaged", []);
        let copied = copied?;
        detached?;
        Ok(copied)
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        match self.conn.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// Checks that the store's key opens this database, so that a kiosk
    /// started with a lost or replaced key file stops at start-up instead
    /// of setting every record aside later. The first check on a database
    /// tries one sealed outbox record and print job (if any), then stores
    /// a sealed check value (`sync_state.key_check`, no personal data);
    /// later checks open that value. A wrong key gives [`Error::Key`].
    pub fn check_key(&self) -> Result<(), Error> {
        const AAD: &[u8] = b"kiosk-store-key-check";
        const PLAIN: &[u8] = b"kiosk store key check v1";
        let wrong = || {
            Error::Key(
                "the key does not open this store's records (key file lost or replaced?)".into(),
            )
        };
        if let Some(text) = self.sync_state(KEY_CHECK)? {
            let (nonce, sealed) = text.split_once(':').ok_or_else(wrong)?;
            let nonce = hex::decode(nonce).map_err(|_| wrong())?;
            let sealed = hex::decode(sealed).map_err(|_| wrong())?;
            return match self.key.open(AAD, &nonce, &sealed, 0) {
                Ok(plain) if plain == PLAIN => Ok(()),
                _ => Err(wrong()),
            };
        }
        {
            let conn = self.conn();
            let outbox: Option<(i64, String, Vec<u8>, Vec<u8>)> = conn
                .query_row(
                    "SELECT id, msgid, nonce, sealed FROM outbox
                     WHERE nonce IS NOT NULL AND sealed IS NOT NULL ORDER BY id LIMIT 1",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                )
                .optional()?;
            if let Some((id, msgid, nonce, sealed)) = outbox {
                self.key
                    .open(msgid.as_bytes(), &nonce, &sealed, id)
                    .map_err(|_| wrong())?;
            }
            let print: Option<(i64, String, Vec<u8>, Vec<u8>)> = conn
                .query_row(
                    "SELECT rowid, job_id, nonce, document FROM print_job
                     WHERE nonce IS NOT NULL AND document IS NOT NULL ORDER BY rowid LIMIT 1",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                )
                .optional()?;
            if let Some((rowid, job_id, nonce, sealed)) = print {
                self.key
                    .open(format!("print:{job_id}").as_bytes(), &nonce, &sealed, rowid)
                    .map_err(|_| wrong())?;
            }
        }
        let (nonce, sealed) = self.key.seal(AAD, PLAIN, &*self.random)?;
        self.set_sync_state(
            KEY_CHECK,
            &format!("{}:{}", hex::encode(nonce), hex::encode(sealed)),
        )
    }

    /// The schema version of the open database.
    pub fn schema_version(&self) -> Result<u32, Error> {
        user_version(&self.conn())
    }

    // ---- sync state -------------------------------------------------

    /// A value of the sync state.
    pub fn sync_state(&self, key: &str) -> Result<Option<String>, Error> {
        Ok(self
            .conn()
            .query_row("SELECT value FROM sync_state WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()?)
    }

    /// Sets a value of the sync state.
    pub fn set_sync_state(&self, key: &str, value: &str) -> Result<(), Error> {
        self.noted(|| {
            self.conn().execute(
                "INSERT INTO sync_state (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![key, value],
            )?;
            Ok(())
        })
    }

    // ---- reference data ----------------------------------------------

    /// The version of every dataset pulled so far.
    pub fn dataset_versions(&self) -> Result<Vec<DatasetVersion>, Error> {
        let conn = self.conn();
        let mut stmt =
            conn.prepare("SELECT name, version, pulled_at FROM dataset ORDER BY name")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (name, version, pulled_at) = row?;
            if let Some(dataset) = Dataset::from_name(&name) {
                out.push(DatasetVersion {
                    dataset,
                    version,
                    pulled_at: parse_time(&pulled_at),
                });
            }
        }
        Ok(out)
    }

    /// The version of one dataset, `None` before the first pull.
    pub fn dataset_version(&self, dataset: Dataset) -> Result<Option<String>, Error> {
        Ok(self
            .conn()
            .query_row(
                "SELECT version FROM dataset WHERE name = ?1",
                [dataset.name()],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Applies one increment of a dataset in one transaction: upserts,
    /// deletions and the new version together, or nothing.
    pub fn apply_reference_delta(
        &self,
        dataset: Dataset,
        version: &str,
        upserts: &[ReferenceItem],
        deletes: &[String],
        now: NaiveDateTime,
    ) -> Result<(), Error> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        {
            let mut up = tx.prepare(
                "INSERT INTO reference_item (dataset, key, area, payload) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (dataset, key) DO UPDATE SET area = excluded.area, payload = excluded.payload",
            )?;
            for item in upserts {
                up.execute(params![dataset.name(), item.key, item.area, item.payload])?;
            }
            let mut del =
                tx.prepare("DELETE FROM reference_item WHERE dataset = ?1 AND key = ?2")?;
            for key in deletes {
                del.execute(params![dataset.name(), key])?;
            }
            tx.execute(
                "INSERT INTO dataset (name, version, pulled_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (name) DO UPDATE SET version = excluded.version, pulled_at = excluded.pulled_at",
                params![dataset.name(), version, fmt_time(now)],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Items of a dataset, optionally only those of one area, by key.
    pub fn reference_items(
        &self,
        dataset: Dataset,
        area: Option<&str>,
    ) -> Result<Vec<ReferenceItem>, Error> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT key, area, payload FROM reference_item
             WHERE dataset = ?1 AND (?2 IS NULL OR area = ?2) ORDER BY key",
        )?;
        let rows = stmt.query_map(params![dataset.name(), area], |r| {
            Ok(ReferenceItem {
                key: r.get(0)?,
                area: r.get(1)?,
                payload: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    // ---- outbox --------------------------------------------------------

    /// Writes a submission to the outbox, sealed, in one fsync'd
    /// transaction, and returns its tracking number and message id.
    /// `terminal_id` prefixes both.
    pub fn outbox_enqueue(
        &self,
        kind: &str,
        infno: &str,
        payload: &[u8],
        terminal_id: &str,
        now: NaiveDateTime,
    ) -> Result<Enqueued, Error> {
        self.outbox_enqueue_for(kind, infno, payload, terminal_id, None, now)
    }

    /// As [`Store::outbox_enqueue`], for a submission about the person
    /// with number `person_number` (stored only as a keyed hash), so that
    /// [`Store::outbox_of_person`] finds it.
    pub fn outbox_enqueue_for(
        &self,
        kind: &str,
        infno: &str,
        payload: &[u8],
        terminal_id: &str,
        person_number: Option<&str>,
        now: NaiveDateTime,
    ) -> Result<Enqueued, Error> {
        self.adding(|| {
            let mut conn = self.conn();
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let enqueued = self.enqueue_in(&tx, kind, infno, payload, terminal_id, now)?;
            if let Some(p) = person_number {
                tx.execute(
                    "UPDATE outbox SET subject = ?2 WHERE id = ?1",
                    params![enqueued.id, self.key.subject_tag(p)],
                )?;
            }
            tx.commit()?;
            Ok(enqueued)
        })
    }

    /// Every submission about a person still in the store (pending,
    /// accepted or rejected), newest first: what the filing status query
    /// shows beside the centre's records.
    pub fn outbox_of_person(&self, person_number: &str) -> Result<Vec<SubmissionStatus>, Error> {
        let tag = self.key.subject_tag(person_number);
        let conn = self.conn();
        let mut stmt =
            conn.prepare("SELECT tracking_no FROM outbox WHERE subject = ?1 ORDER BY id DESC")?;
        let numbers: Vec<String> = stmt
            .query_map([tag], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        drop(stmt);
        drop(conn);
        let mut out = Vec::new();
        for n in numbers {
            if let Some(s) = self.outbox_status(&n)? {
                out.push(s);
            }
        }
        Ok(out)
    }

    fn enqueue_in(
        &self,
        tx: &rusqlite::Transaction<'_>,
        kind: &str,
        infno: &str,
        payload: &[u8],
        terminal_id: &str,
        now: NaiveDateTime,
    ) -> Result<Enqueued, Error> {
        let last: i64 = tx
            .query_row(
                "SELECT seq FROM sqlite_sequence WHERE name = 'outbox'",
                [],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or(0);
        let id = last + 1;
        let tracking_no = format!("{terminal_id}-{}-{id:06}", now.format("%Y%m%d"));
        // Outbox message ids use sequences 500000-999999, the client's
        // direct queries 000000-499999: the two never collide.
        let msgid = format!(
            "{terminal_id}{}{:06}",
            now.format("%Y%m%d%H%M%S"),
            500_000 + id.rem_euclid(500_000)
        );
        let (nonce, sealed) = self.key.seal(msgid.as_bytes(), payload, &*self.random)?;
        let stamp = fmt_time(now);
        tx.prepare_cached(
            "INSERT INTO outbox (id, tracking_no, kind, infno, msgid, nonce, sealed, state, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'pending', ?8, ?8)",
        )?
        .execute(params![id, tracking_no, kind, infno, msgid, &nonce[..], sealed, stamp])?;
        Ok(Enqueued {
            id,
            tracking_no,
            msgid,
        })
    }

    /// Up to `limit` pending records, oldest first, opened.
    pub fn outbox_pending(&self, limit: usize) -> Result<Vec<OutboxItem>, Error> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT id, tracking_no, kind, infno, msgid, nonce, sealed, attempts FROM outbox
             WHERE state = 'pending' ORDER BY id LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit as i64], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, Option<Vec<u8>>>(5)?,
                r.get::<_, Option<Vec<u8>>>(6)?,
                r.get::<_, u32>(7)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, tracking_no, kind, infno, msgid, nonce, sealed, attempts) = row?;
            let (Some(nonce), Some(sealed)) = (nonce, sealed) else {
                return Err(Error::Decrypt(id));
            };
            let payload = self.key.open(msgid.as_bytes(), &nonce, &sealed, id)?;
            out.push(OutboxItem {
                id,
                tracking_no,
                kind,
                infno,
                msgid,
                payload,
                attempts,
            });
        }
        Ok(out)
    }

    /// Records the centre's answers in one transaction and erases the
    /// sealed payloads of the answered records.
    pub fn outbox_settle(
        &self,
        answers: &[(i64, Settlement)],
        now: NaiveDateTime,
    ) -> Result<(), Error> {
        if answers.is_empty() {
            return Ok(());
        }
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        {
            let mut stmt = tx.prepare_cached(
                "UPDATE outbox SET state = ?2, answer_code = ?3, reason = ?4, reference = ?5,
                        nonce = NULL, sealed = NULL, last_error = NULL,
                        attempts = attempts + 1, updated_at = ?6
                 WHERE id = ?1 AND state = 'pending'",
            )?;
            let stamp = fmt_time(now);
            for (id, settlement) in answers {
                match settlement {
                    Settlement::Accepted { reference } => stmt.execute(params![
                        id,
                        SubmissionState::Accepted.db(),
                        0,
                        None::<String>,
                        reference,
                        stamp
                    ])?,
                    Settlement::Rejected { code, reason } => stmt.execute(params![
                        id,
                        SubmissionState::Rejected.db(),
                        code,
                        reason,
                        None::<String>,
                        stamp
                    ])?,
                };
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Notes a failed attempt (the record stays pending). `error` must
    /// not carry personal data.
    pub fn outbox_note_failure(
        &self,
        id: i64,
        error: &str,
        now: NaiveDateTime,
    ) -> Result<(), Error> {
        self.conn().execute(
            "UPDATE outbox SET attempts = attempts + 1, last_error = ?2, updated_at = ?3
             WHERE id = ?1 AND state = 'pending'",
            params![id, error, fmt_time(now)],
        )?;
        Ok(())
    }

    /// The status of a submission by its tracking number.
    pub fn outbox_status(&self, tracking_no: &str) -> Result<Option<SubmissionStatus>, Error> {
        Ok(self
            .conn()
            .query_row(
                "SELECT tracking_no, kind, state, reason, reference, attempts, last_error, created_at, updated_at
                 FROM outbox WHERE tracking_no = ?1",
                [tracking_no],
                |r| {
                    Ok(SubmissionStatus {
                        tracking_no: r.get(0)?,
                        kind: r.get(1)?,
                        state: SubmissionState::from_db(&r.get::<_, String>(2)?),
                        reason: r.get(3)?,
                        reference: r.get(4)?,
                        attempts: r.get(5)?,
                        last_error: r.get(6)?,
                        created_at: parse_time(&r.get::<_, String>(7)?),
                        updated_at: parse_time(&r.get::<_, String>(8)?),
                    })
                },
            )
            .optional()?)
    }

    /// Queue counts and the age of the oldest pending record.
    pub fn outbox_stats(&self) -> Result<OutboxStats, Error> {
        let conn = self.conn();
        let mut stats = OutboxStats::default();
        let mut stmt =
            conn.prepare("SELECT state, COUNT(*), MIN(created_at) FROM outbox GROUP BY state")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, Option<String>>(2)?,
            ))
        })?;
        for row in rows {
            let (state, count, oldest) = row?;
            let count = count.max(0) as u64;
            match SubmissionState::from_db(&state) {
                SubmissionState::Pending => {
                    stats.pending = count;
                    stats.oldest_pending_at = oldest.as_deref().and_then(parse_time);
                }
                SubmissionState::Accepted => stats.accepted = count,
                SubmissionState::Rejected => stats.rejected = count,
            }
        }
        drop(stmt);
        if stats.pending > 0 {
            stats.oldest_pending_kind = conn
                .query_row(
                    "SELECT kind FROM outbox WHERE state = 'pending' ORDER BY id LIMIT 1",
                    [],
                    |r| r.get(0),
                )
                .optional()?;
        }
        Ok(stats)
    }

    /// Deletes answered records last changed before `before`; returns how many.
    pub fn outbox_purge_settled(&self, before: NaiveDateTime) -> Result<usize, Error> {
        Ok(self.conn().execute(
            "DELETE FROM outbox WHERE state != 'pending' AND updated_at < ?1",
            [fmt_time(before)],
        )?)
    }

    // ---- print journal -----------------------------------------------

    /// Writes a print job (document sealed) in state queued, before the
    /// printer sees it.
    pub fn print_enqueue(
        &self,
        job_id: &str,
        kind: &str,
        document: &[u8],
        now: NaiveDateTime,
    ) -> Result<(), Error> {
        let (nonce, sealed) = self.key.seal(
            format!("print:{job_id}").as_bytes(),
            document,
            &*self.random,
        )?;
        self.adding(|| {
            self.conn().execute(
                "INSERT INTO print_job (job_id, kind, nonce, document, state, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, 'queued', ?5, ?5)",
                params![job_id, kind, &nonce[..], sealed, fmt_time(now)],
            )?;
            Ok(())
        })
    }

    /// Moves a print job to `state` (with a cause for failures).
    pub fn print_update(
        &self,
        job_id: &str,
        state: PrintState,
        cause: Option<&str>,
        now: NaiveDateTime,
    ) -> Result<bool, Error> {
        let n = self.conn().execute(
            &format!(
                "UPDATE print_job SET state = ?2, cause = ?3, updated_at = ?4, {ERASE_WHEN_DONE} WHERE job_id = ?1"
            ),
            params![job_id, state.db(), cause, fmt_time(now)],
        )?;
        Ok(n == 1)
    }

    /// A print job's document, opened; empty once the job is done (the
    /// document is erased at the done mark, see [`ERASE_WHEN_DONE`]).
    fn open_print_document(
        &self,
        job_id: &str,
        nonce: &[u8],
        sealed: &[u8],
        rowid: i64,
    ) -> Result<Vec<u8>, Error> {
        if sealed.is_empty() {
            return Ok(Vec::new());
        }
        self.key
            .open(format!("print:{job_id}").as_bytes(), nonce, sealed, rowid)
    }

    /// One print job.
    pub fn print_job(&self, job_id: &str) -> Result<Option<PrintJob>, Error> {
        let jobs = self.print_jobs_where("job_id = ?1", job_id)?;
        Ok(jobs.into_iter().next())
    }

    /// Jobs not finished (queued or sending), oldest first: what to resume
    /// or report after a restart.
    pub fn print_unfinished(&self) -> Result<Vec<PrintJob>, Error> {
        self.print_jobs_where("state IN ('queued', 'sending') AND ?1 = ?1", "")
    }

    fn print_jobs_where(&self, condition: &str, arg: &str) -> Result<Vec<PrintJob>, Error> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "SELECT job_id, kind, nonce, document, state, cause, created_at, updated_at, rowid
             FROM print_job WHERE {condition} ORDER BY created_at, rowid"
        ))?;
        let rows = stmt.query_map([arg], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Vec<u8>>(2)?,
                r.get::<_, Vec<u8>>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, Option<String>>(5)?,
                r.get::<_, String>(6)?,
                r.get::<_, String>(7)?,
                r.get::<_, i64>(8)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (job_id, kind, nonce, sealed, state, cause, created, updated, rowid) = row?;
            let document = self.open_print_document(&job_id, &nonce, &sealed, rowid)?;
            out.push(PrintJob {
                job_id,
                kind,
                document,
                state: PrintState::from_db(&state),
                cause,
                created_at: parse_time(&created),
                updated_at: parse_time(&updated),
            });
        }
        Ok(out)
    }

    /// Writes a print job's row (used by [`journal::StoreJournal`]): with
    /// `with_document`, a new row holding the sealed document; without, the
    /// job's state, cause, attempts and time on its existing row.
    pub(crate) fn print_put_row(
        &self,
        job: &kiosk_core::print_job::PrintJob,
        with_document: bool,
    ) -> Result<(), Error> {
        let write = || self.print_put_row_now(job, with_document);
        if with_document {
            self.adding(write)
        } else {
            self.noted(write)
        }
    }

    fn print_put_row_now(
        &self,
        job: &kiosk_core::print_job::PrintJob,
        with_document: bool,
    ) -> Result<(), Error> {
        let job_id = job.id.to_string();
        let (state, cause) = job.state.to_row();
        let conn = self.conn();
        if with_document {
            let (nonce, sealed) = self.key.seal(
                format!("print:{job_id}").as_bytes(),
                &job.payload,
                &*self.random,
            )?;
            conn.execute(
                "INSERT INTO print_job (job_id, kind, nonce, document, state, cause, created_at, updated_at, attempts)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![job_id, job.kind.code(), &nonce[..], sealed, state, cause, fmt_time(job.created_at), fmt_time(job.updated_at), job.attempts],
            )?;
        } else {
            let n = conn.execute(
                &format!(
                    "UPDATE print_job SET state = ?2, cause = ?3, attempts = ?4, updated_at = ?5, {ERASE_WHEN_DONE} WHERE job_id = ?1"
                ),
                params![job_id, state, cause, job.attempts, fmt_time(job.updated_at)],
            )?;
            if n != 1 {
                return Err(Error::Store(format!("print job {job_id} not found")));
            }
        }
        Ok(())
    }

    /// Raw print-job rows (document opened) matching `condition`, oldest
    /// first: (job_id, kind, document, state, cause, attempts, created, updated).
    pub(crate) fn print_rows(
        &self,
        condition: &str,
        arg: &str,
    ) -> Result<Vec<journal::Row>, Error> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "SELECT job_id, kind, nonce, document, state, cause, attempts, created_at, updated_at, rowid
             FROM print_job WHERE {condition} ORDER BY created_at, rowid"
        ))?;
        let rows = stmt.query_map([arg], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Vec<u8>>(2)?,
                r.get::<_, Vec<u8>>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, Option<String>>(5)?,
                r.get::<_, u32>(6)?,
                r.get::<_, String>(7)?,
                r.get::<_, String>(8)?,
                r.get::<_, i64>(9)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (job_id, kind, nonce, sealed, state, cause, attempts, created, updated, rowid) =
                row?;
            let document = self.open_print_document(&job_id, &nonce, &sealed, rowid)?;
            out.push(journal::Row {
                job_id,
                kind,
                document,
                state,
                cause,
                attempts,
                created_at: parse_time(&created),
                updated_at: parse_time(&updated),
            });
        }
        Ok(out)
    }

    /// The largest numeric print-job id ever used (kept across purges).
    pub(crate) fn print_max_id(&self) -> Result<u64, Error> {
        let conn = self.conn();
        let in_table: i64 = conn.query_row(
            "SELECT COALESCE(MAX(CAST(job_id AS INTEGER)), 0) FROM print_job",
            [],
            |r| r.get(0),
        )?;
        let remembered: i64 = conn
            .query_row(
                "SELECT CAST(value AS INTEGER) FROM sync_state WHERE key = 'print_job_seq'",
                [],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or(0);
        Ok(in_table.max(remembered).max(0) as u64)
    }

    /// Deletes finished jobs (done or failed) last changed before `before`.
    pub fn print_purge(&self, before: NaiveDateTime) -> Result<usize, Error> {
        let max = self.print_max_id()?;
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        // Remember the highest id so that purged ids are never reused.
        tx.execute(
            "INSERT INTO sync_state (key, value) VALUES ('print_job_seq', ?1)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [max.to_string()],
        )?;
        let n = tx.execute(
            "DELETE FROM print_job WHERE state IN ('done', 'failed') AND updated_at < ?1",
            [fmt_time(before)],
        )?;
        tx.commit()?;
        Ok(n)
    }

    // ---- audit log ------------------------------------------------------

    /// Appends an audit entry. `event` and `detail` must not carry
    /// personal data.
    pub fn audit(&self, event: &str, detail: &str, now: NaiveDateTime) -> Result<i64, Error> {
        self.adding(|| {
            let conn = self.conn();
            conn.execute(
                "INSERT INTO audit_log (at, event, detail) VALUES (?1, ?2, ?3)",
                params![fmt_time(now), event, detail],
            )?;
            Ok(conn.last_insert_rowid())
        })
    }

    /// Audit entries after `after_id`, at most `limit`.
    pub fn audit_entries(&self, after_id: i64, limit: usize) -> Result<Vec<AuditEntry>, Error> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT id, at, event, detail FROM audit_log WHERE id > ?1 ORDER BY id LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![after_id, limit as i64], |r| {
            Ok(AuditEntry {
                id: r.get(0)?,
                at: r.get(1)?,
                event: r.get(2)?,
                detail: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// Moves up to `limit` audit entries not yet uploaded into one outbox
    /// record (kind `audit`), marking them uploaded in the same
    /// transaction. `None` when there is nothing to upload.
    pub fn audit_to_outbox(
        &self,
        infno: &str,
        terminal_id: &str,
        limit: usize,
        now: NaiveDateTime,
    ) -> Result<Option<Enqueued>, Error> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let entries: Vec<AuditEntry> = {
            let mut stmt = tx.prepare(
                "SELECT id, at, event, detail FROM audit_log WHERE uploaded = 0 ORDER BY id LIMIT ?1",
            )?;
            let rows = stmt.query_map([limit as i64], |r| {
                Ok(AuditEntry {
                    id: r.get(0)?,
                    at: r.get(1)?,
                    event: r.get(2)?,
                    detail: r.get(3)?,
                })
            })?;
            rows.collect::<Result<Vec<_>, _>>()?
        };
        let (Some(first), Some(last)) = (entries.first(), entries.last()) else {
            return Ok(None);
        };
        let (first, last) = (first.id, last.id);
        let payload = serde_json::to_vec(&serde_json::json!({
            "terminal_id": terminal_id,
            "entries": entries,
        }))
        .map_err(|e| Error::Store(e.to_string()))?;
        let enqueued = self.enqueue_in(&tx, "audit", infno, &payload, terminal_id, now)?;
        tx.execute(
            "UPDATE audit_log SET uploaded = 1 WHERE uploaded = 0 AND id BETWEEN ?1 AND ?2",
            params![first, last],
        )?;
        tx.commit()?;
        Ok(Some(enqueued))
    }
}

/// Makes the database file owner-only (0600) before SQLite opens it: a new
/// one is created with that mode (SQLite would create it 0644 under the
/// usual umask; its WAL and shared-memory files take the database file's
/// mode), and an existing one, with its WAL and shared-memory files, loses
/// any group and other permissions. The payloads are sealed, but tracking
/// numbers, the audit log and the sync state are nobody else's business.
#[cfg(unix)]
fn owner_only(path: &Path) -> Result<(), Error> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let failed = |what: &str, p: &Path, e: std::io::Error| {
        Error::Store(format!("{}: cannot {what}: {e}", p.display()))
    };
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(_) => return Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(failed("create it", path, e)),
    }
    for suffix in ["", "-wal", "-shm"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        let file = std::path::PathBuf::from(name);
        let Ok(meta) = std::fs::metadata(&file) else {
            continue;
        };
        let mode = meta.permissions().mode();
        if meta.is_file() && mode & 0o077 != 0 {
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode & 0o700))
                .map_err(|e| failed("make it owner-only", &file, e))?;
        }
    }
    Ok(())
}

#[cfg(not(unix))]
fn owner_only(_path: &Path) -> Result<(), Error> {
    Ok(())
}

fn configure(conn: &Connection) -> Result<(), Error> {
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") && !mode.eq_ignore_ascii_case("memory") {
        return Err(Error::Store(format!("journal_mode is {mode}, not wal")));
    }
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(())
}

fn user_version(conn: &Connection) -> Result<u32, Error> {
    let v: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    Ok(v.max(0) as u32)
}

/// Brings the database to [`SCHEMA_VERSION`], one transaction per step.
fn migrate(conn: &mut Connection) -> Result<(), Error> {
    let found = user_version(conn)?;
    if found > SCHEMA_VERSION {
        return Err(Error::SchemaTooNew {
            found,
            supported: SCHEMA_VERSION,
        });
    }
    for version in found + 1..=SCHEMA_VERSION {
        let sql = MIGRATIONS[(version - 1) as usize];
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", version)?;
        tx.commit()?;
        tracing::info!(version, "store migrated");
    }
    Ok(())
}

pub mod journal;

#[cfg(test)]
mod tests;

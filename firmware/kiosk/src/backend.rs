//! The kiosk's backend: the local store, the outbox and the background
//! sync engine, opened once at start and shared with the session loop, the
//! automation API and the health reporter as one [`Backend`].
//!
//! Outbox first: a filing, a rating or a health report is written to the
//! store (sealed, fsync'd) before anything is sent; the citizen's receipt
//! carries the tracking number at once; the engine sends in the background
//! and stores the centre's answer. The outbox key lives in its own file,
//! never in the database (docs/store.md).

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use kiosk_core::clock::Clock;
use kiosk_sync::client::BreakerState;
use kiosk_sync::outbox::{CycleReport, EngineConfig, SyncStatus};
use kiosk_sync::platform::OsRandom;
use kiosk_sync::store::{AuditEntry, SubmissionStatus};
use kiosk_sync::wire::{
    FilingCancelInput, FilingChangeInput, FilingSubmitInput, HealthReportInput, RatingInput,
};
use kiosk_sync::{
    CentralClient, ClientConfig, Outbox, Receipt, Store, StoreKey, SyncEngine, SyncEngineHandle,
};

use crate::config::{Config, StoreConfig};
use crate::error::Error;

/// Where the store and its key are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorePaths {
    /// The SQLite database.
    pub db: PathBuf,
    /// The outbox key file.
    pub key_file: PathBuf,
    /// Set when the store had to go to a temporary directory.
    pub warning: Option<String>,
}

/// File name of the database in the default directory.
pub const DB_FILE: &str = "kiosk.db";
/// File name of the outbox key beside the database.
pub const KEY_FILE: &str = "outbox.key";

impl StorePaths {
    /// Resolves the configured paths against the process environment.
    pub fn resolve(config: &StoreConfig) -> Result<StorePaths, Error> {
        StorePaths::resolve_with(
            config,
            &|name| std::env::var_os(name),
            &std::env::temp_dir(),
        )
    }

    /// Resolves `[store]`: a configured `path` is used as given (its
    /// directory created); otherwise `kiosk.db` in `$XDG_DATA_HOME/kiosk/`,
    /// else `$HOME/.local/share/kiosk/` (created), else in `temp` with a
    /// warning. The key file defaults to `outbox.key` beside the database.
    pub fn resolve_with(
        config: &StoreConfig,
        env: &dyn Fn(&str) -> Option<OsString>,
        temp: &Path,
    ) -> Result<StorePaths, Error> {
        let mut warning = None;
        let db = match &config.path {
            Some(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    create_private_dir(dir).map_err(|e| Error::Store {
                        file: path.display().to_string(),
                        reason: format!("cannot create its directory: {e}"),
                    })?;
                }
                path.clone()
            }
            None => {
                let preferred = env("XDG_DATA_HOME")
                    .map(PathBuf::from)
                    .filter(|p| p.is_absolute())
                    .or_else(|| {
                        env("HOME")
                            .map(PathBuf::from)
                            .filter(|p| p.is_absolute())
                            .map(|h| h.join(".local").join("share"))
                    })
                    .map(|d| d.join("kiosk"));
                let usable = preferred.and_then(|dir| match create_private_dir(&dir) {
                    Ok(()) => Some(dir),
                    Err(e) => {
                        warning = Some(format!("cannot create {}: {e}", dir.display()));
                        None
                    }
                });
                match usable {
                    Some(dir) => dir.join(DB_FILE),
                    None => {
                        let dir = temp.join("kiosk-store");
                        create_private_dir(&dir).map_err(|e| Error::Store {
                            file: dir.display().to_string(),
                            reason: format!("cannot create the fallback directory: {e}"),
                        })?;
                        let why = warning
                            .take()
                            .unwrap_or_else(|| "neither XDG_DATA_HOME nor HOME is set".to_string());
                        warning = Some(format!(
                            "{why}; the store is in the temporary directory {} and may be lost \
                             at reboot: set [store] path in kiosk.toml",
                            dir.display()
                        ));
                        dir.join(DB_FILE)
                    }
                }
            }
        };
        let key_file = match &config.key_file {
            Some(k) => k.clone(),
            None => db
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .map(|d| d.join(KEY_FILE))
                .unwrap_or_else(|| PathBuf::from(KEY_FILE)),
        };
        Ok(StorePaths {
            db,
            key_file,
            warning,
        })
    }
}

/// Creates the store's directory, and any missing parent, owner-only
/// (0700); an existing directory is left as it is (the package's
/// /var/lib/kiosk is made 0700 by its maintainer script).
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// A damaged store found at start and set aside (issue 17): where it went,
/// why, and how many pending outbox records were copied from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recovery {
    /// The damaged file, moved aside.
    pub moved_to: PathBuf,
    /// What was wrong (SQLite's words: pages, tables; no row values).
    pub reason: String,
    /// Pending outbox records copied into the new store (still sealed).
    pub salvaged: usize,
    /// Why none could be copied, if so.
    pub salvage_failed: Option<String>,
}

impl Recovery {
    /// One line for the start-up output, the log and the health board.
    pub fn summary(&self) -> String {
        let salvage = match &self.salvage_failed {
            None => format!("{} pending outbox records copied", self.salvaged),
            Some(why) => format!("outbox not copied: {why}"),
        };
        format!(
            "damaged store ({}) moved aside to {}; started with an empty store, {salvage}",
            self.reason,
            self.moved_to.display()
        )
    }
}

/// Whether a store error means the file itself is damaged (not a wrong
/// key, a newer schema or a permission problem, which stop start-up).
fn is_damage(e: &kiosk_sync::Error) -> bool {
    match e {
        kiosk_sync::Error::Store(text) => {
            text.contains("not a database")
                || text.contains("malformed")
                || text.contains("damaged")
                || text.contains("corrupt")
        }
        _ => false,
    }
}

/// Opens the store with its key (creating the key file on a first start)
/// and checks that the key opens it. A wrong key, a newer schema or an
/// unreadable directory stops start-up, naming the file. A **damaged**
/// file (not a database, or failing SQLite's quick check) is moved aside
/// (`<file>.damaged-<yyyyMMddHHmmss>`, with its WAL), the kiosk starts with
/// an empty store, and the damaged file's pending outbox records are
/// copied over when it can still be read: the kiosk keeps serving, and
/// what the citizen submitted is not lost.
pub fn open_store(
    paths: &StorePaths,
    now: chrono::NaiveDateTime,
) -> Result<(Arc<Store>, Option<Recovery>), Error> {
    let key = StoreKey::load_or_create(&paths.key_file, &OsRandom).map_err(|e| Error::Store {
        file: paths.key_file.display().to_string(),
        reason: format!("outbox key unusable: {e}"),
    })?;
    let opened = Store::open(&paths.db, key.clone()).and_then(|store| {
        store.quick_check()?;
        Ok(store)
    });
    let (store, recovery) = match opened {
        Ok(store) => (store, None),
        Err(e) if is_damage(&e) => {
            let moved_to = set_aside(&paths.db, now)?;
            let store = Store::open(&paths.db, key).map_err(|e| Error::Store {
                file: paths.db.display().to_string(),
                reason: format!(
                    "cannot create a new store after moving the damaged one aside: {e}"
                ),
            })?;
            let (salvaged, salvage_failed) = match store.salvage_outbox(&moved_to) {
                Ok(n) => (n, None),
                Err(e) => (0, Some(e.to_string())),
            };
            let recovery = Recovery {
                moved_to,
                reason: e.to_string(),
                salvaged,
                salvage_failed,
            };
            tracing::error!("{}", recovery.summary());
            (store, Some(recovery))
        }
        Err(e) => {
            return Err(Error::Store {
                file: paths.db.display().to_string(),
                reason: format!("cannot be opened ({e})"),
            });
        }
    };
    store.check_key().map_err(|e| Error::Store {
        file: paths.db.display().to_string(),
        reason: format!(
            "{e}: restore the key file {} this store was written with, or move the database aside",
            paths.key_file.display()
        ),
    })?;
    Ok((Arc::new(store), recovery))
}

/// Moves a damaged database and its WAL / shared-memory files aside.
fn set_aside(db: &Path, now: chrono::NaiveDateTime) -> Result<PathBuf, Error> {
    let stamp = now.format("%Y%m%d%H%M%S");
    let with = |suffix: &str| {
        let mut p = db.as_os_str().to_owned();
        p.push(suffix);
        PathBuf::from(p)
    };
    let moved = with(&format!(".damaged-{stamp}"));
    std::fs::rename(db, &moved).map_err(|e| Error::Store {
        file: db.display().to_string(),
        reason: format!("damaged, and cannot be moved aside: {e}"),
    })?;
    for side in ["-wal", "-shm"] {
        let from = with(side);
        if from.exists() {
            let mut to = moved.as_os_str().to_owned();
            to.push(side);
            if let Err(e) = std::fs::rename(&from, PathBuf::from(to)) {
                tracing::warn!("{} not moved aside: {e}", from.display());
            }
        }
    }
    Ok(moved)
}

/// The client's identity and timeout from the configuration.
pub fn client_config(config: &Config, base_url: String) -> ClientConfig {
    ClientConfig {
        base_url,
        terminal_id: config.terminal.id.clone(),
        terminal_name: config.terminal.name.clone(),
        area_code: config.terminal.area_code.clone(),
        institution_code: config.terminal.institution_code.clone(),
        institution_name: config.terminal.hall_name.clone(),
        timeout: config.central_timeout(),
    }
}

/// The engine settings from `[store]`.
pub fn engine_config(config: &StoreConfig) -> EngineConfig {
    EngineConfig {
        reference_interval: Duration::from_secs(config.sync_interval_s.max(10)),
        retry_interval: Duration::from_secs(config.retry_interval_s.max(1)),
        retention: Some(Duration::from_secs(
            config.retention_days.max(1).saturating_mul(24 * 3600),
        )),
        ..EngineConfig::default()
    }
}

/// What the session loop (and the automation API, the health reporter and
/// `kiosk sync`) use of the store and the central service: write-first
/// submissions with an immediate receipt, their status by tracking number,
/// the audit log, and the sync engine. Share it as `Arc<Backend>`.
pub struct Backend {
    paths: StorePaths,
    store: Arc<Store>,
    outbox: Arc<Outbox>,
    client: Arc<CentralClient>,
    engine: Arc<SyncEngine>,
    running: Mutex<Option<SyncEngineHandle>>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Backend")
            .field("db", &self.paths.db)
            .finish_non_exhaustive()
    }
}

impl Backend {
    /// A backend on an opened store, sending through `client`. The engine
    /// is not running until [`Backend::start`].
    pub fn new(
        paths: StorePaths,
        store: Arc<Store>,
        client: Arc<CentralClient>,
        clock: Arc<dyn Clock>,
        engine: EngineConfig,
    ) -> Backend {
        let terminal_id = client.config().terminal_id.clone();
        let outbox = Arc::new(Outbox::new(
            Arc::clone(&store),
            Arc::clone(&clock),
            &terminal_id,
        ));
        let engine = Arc::new(SyncEngine::new(
            Arc::clone(&outbox),
            Arc::clone(&client),
            engine,
        ));
        Backend {
            paths,
            store,
            outbox,
            client,
            engine,
            running: Mutex::new(None),
            clock,
        }
    }

    /// The payment desk for resident premium orders on this store.
    pub fn payment_desk(&self) -> Arc<kiosk_sync::premium::PaymentDesk> {
        Arc::new(kiosk_sync::premium::PaymentDesk::new(
            Arc::clone(&self.store),
            Arc::clone(&self.client),
            Arc::clone(&self.clock),
            &self.client.config().terminal_id,
        ))
    }

    /// Opens the store of `config` and builds the backend (engine not started).
    pub fn open(
        config: &Config,
        paths: StorePaths,
        client: Arc<CentralClient>,
        clock: Arc<dyn Clock>,
    ) -> Result<Backend, Error> {
        let (store, recovery) = open_store(&paths, clock.now())?;
        if let Some(r) = recovery {
            println!("kiosk: warning: {}", r.summary());
        }
        Ok(Backend::new(
            paths,
            store,
            client,
            clock,
            engine_config(&config.store),
        ))
    }

    fn running(&self) -> MutexGuard<'_, Option<SyncEngineHandle>> {
        match self.running.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    /// Starts the sync engine on its own thread: a cycle with a reference
    /// pull at once, then on every submission and on the schedule.
    pub fn start(&self) -> Result<(), Error> {
        let mut running = self.running();
        if running.is_none() {
            *running = Some(Arc::clone(&self.engine).start()?);
        }
        Ok(())
    }

    /// Stops the engine after its current cycle (idempotent). Nothing
    /// pending is lost: it stays in the store for the next start.
    pub fn stop(&self) {
        let handle = self.running().take();
        if let Some(handle) = handle {
            handle.stop();
        }
    }

    /// Where the store and its key are.
    pub fn paths(&self) -> &StorePaths {
        &self.paths
    }

    /// The kiosk's wall clock now.
    pub fn now(&self) -> chrono::NaiveDateTime {
        self.clock.now()
    }

    /// The store.
    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    /// The outbox.
    pub fn outbox(&self) -> &Arc<Outbox> {
        &self.outbox
    }

    /// The central-service client (for queries the session makes directly).
    pub fn client(&self) -> &Arc<CentralClient> {
        &self.client
    }

    /// The sync engine.
    pub fn engine(&self) -> &Arc<SyncEngine> {
        &self.engine
    }

    /// Writes a remote-care filing (KS11) to the outbox; the receipt's
    /// tracking number is valid at once, whether the centre is up or not.
    pub fn submit_filing(&self, input: &FilingSubmitInput) -> Result<Receipt, kiosk_sync::Error> {
        self.outbox.submit_filing(input)
    }

    /// Writes a filing change (KS13) to the outbox.
    pub fn submit_filing_change(
        &self,
        input: &FilingChangeInput,
    ) -> Result<Receipt, kiosk_sync::Error> {
        self.outbox.submit_filing_change(input)
    }

    /// Writes a filing cancellation (KS14) to the outbox.
    pub fn submit_filing_cancel(
        &self,
        input: &FilingCancelInput,
    ) -> Result<Receipt, kiosk_sync::Error> {
        self.outbox.submit_filing_cancel(input)
    }

    /// Writes a filing suspension or resumption (KS16) to the outbox.
    pub fn submit_filing_suspend(
        &self,
        input: &kiosk_sync::wire::FilingSuspendInput,
    ) -> Result<Receipt, kiosk_sync::Error> {
        self.outbox.submit_filing_suspend(input)
    }

    /// Writes a satisfaction rating (KS21) to the outbox.
    pub fn submit_rating(&self, input: &RatingInput) -> Result<Receipt, kiosk_sync::Error> {
        self.outbox.submit_rating(input)
    }

    /// Writes a terminal health report (KS31) to the outbox.
    pub fn submit_health(&self, input: &HealthReportInput) -> Result<Receipt, kiosk_sync::Error> {
        self.outbox.submit_health(input)
    }

    /// Where a submission stands, by tracking number.
    pub fn submission(
        &self,
        tracking_no: &str,
    ) -> Result<Option<SubmissionStatus>, kiosk_sync::Error> {
        self.outbox.status(tracking_no)
    }

    /// The person's filing submissions still in the store, newest first
    /// (shown beside the centre's records in the filing query).
    pub fn submissions_of(
        &self,
        person_number: &str,
    ) -> Result<Vec<SubmissionStatus>, kiosk_sync::Error> {
        self.outbox.submissions_of(person_number)
    }

    /// Appends an audit entry (uploaded by the engine). `event` and
    /// `detail` must not carry personal data.
    pub fn audit(&self, event: &str, detail: &str) -> Result<(), kiosk_sync::Error> {
        self.store
            .audit(event, detail, self.clock.now())
            .map(|_| ())
    }

    /// Audit entries after `after_id` (for tools and tests).
    pub fn audit_entries(
        &self,
        after_id: i64,
        limit: usize,
    ) -> Result<Vec<AuditEntry>, kiosk_sync::Error> {
        self.store.audit_entries(after_id, limit)
    }

    /// Asks the running engine for a cycle with a reference pull now.
    pub fn sync_now(&self) {
        match self.running().as_ref() {
            Some(handle) => handle.sync_now(),
            None => tracing::warn!("sync requested but the engine is not running"),
        }
    }

    /// Runs a cycle with a reference pull and waits for it (at most
    /// `timeout` when the engine runs): on the engine's thread when it
    /// runs, else on the calling thread. `None`: not finished in time.
    pub fn sync_now_and_wait(&self, timeout: Duration) -> Result<Option<CycleReport>, Error> {
        {
            let running = self.running();
            if let Some(handle) = running.as_ref() {
                return Ok(handle.sync_now_and_wait(timeout));
            }
        }
        Ok(Some(self.engine.run_cycle(true)?))
    }

    /// Queue, last contact, dataset versions, circuit breaker.
    pub fn status(&self) -> Result<StatusView, Error> {
        let status = self.engine.status()?;
        let mut view = StatusView::of(&status, &self.paths.db, self.clock.now(), true);
        view.premium_orders_unsettled = self.store.premium_order_stats()?.unsettled;
        Ok(view)
    }
}

impl Drop for Backend {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The oldest pending submission: kind and age only, never its content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OldestPending {
    /// Submission kind (`filing_submit`, `rating`, `health`, `audit`, ...).
    pub kind: String,
    /// Written at, `yyyy-MM-dd HH:mm:ss`.
    pub since: String,
    /// Age in seconds.
    pub age_s: i64,
}

/// One dataset's version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatasetView {
    /// Dataset name.
    pub name: String,
    /// The centre's version last applied.
    pub version: String,
    /// When, `yyyy-MM-dd HH:mm:ss`.
    pub pulled_at: Option<String>,
}

/// What `kiosk sync status` shows (text or `--json`) and
/// `GET /v1/sync/status` answers. No personal data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusView {
    /// The database file.
    pub store: String,
    /// Whether this came from a running kiosk (else read from the store).
    pub running: bool,
    /// Records waiting to be sent.
    pub pending: u64,
    /// The oldest of them.
    pub oldest_pending: Option<OldestPending>,
    /// Answered records still kept (accepted).
    pub accepted: u64,
    /// Answered records still kept (rejected).
    pub rejected: u64,
    /// Last time the centre answered.
    pub last_contact_at: Option<String>,
    /// Last failure.
    pub last_error: Option<String>,
    /// `closed`, `open` or `half-open` (`unknown` when read from the store).
    pub breaker: String,
    /// Dataset versions held.
    pub datasets: Vec<DatasetView>,
    /// Resident premium payment orders not settled with the centre yet
    /// (answer lost, or left open): the sync engine reconciles them.
    #[serde(default)]
    pub premium_orders_unsettled: u64,
}

const TIME: &str = "%Y-%m-%d %H:%M:%S";

impl StatusView {
    /// The view read from a store directly (no kiosk running: the
    /// circuit breaker is unknown).
    pub fn from_store(store: &Store, db: &Path, now: NaiveDateTime) -> Result<StatusView, Error> {
        let status = SyncStatus {
            outbox: store.outbox_stats()?,
            last_contact_at: store.sync_state("last_contact_at")?,
            last_error: store.sync_state("last_error")?,
            datasets: store.dataset_versions()?,
            breaker: BreakerState::Closed { failures: 0 },
        };
        let mut view = StatusView::of(&status, db, now, false);
        view.premium_orders_unsettled = store.premium_order_stats()?.unsettled;
        Ok(view)
    }

    /// The view of an engine status at `now`.
    pub fn of(status: &SyncStatus, db: &Path, now: NaiveDateTime, running: bool) -> StatusView {
        let o = &status.outbox;
        StatusView {
            store: db.display().to_string(),
            running,
            pending: o.pending,
            oldest_pending: o.oldest_pending_at.map(|at| OldestPending {
                kind: o.oldest_pending_kind.clone().unwrap_or_default(),
                since: at.format(TIME).to_string(),
                age_s: (now - at).num_seconds().max(0),
            }),
            accepted: o.accepted,
            rejected: o.rejected,
            last_contact_at: status.last_contact_at.clone(),
            last_error: status.last_error.clone(),
            breaker: if running {
                match status.breaker {
                    BreakerState::Closed { .. } => "closed",
                    BreakerState::Open { .. } => "open",
                    BreakerState::HalfOpen => "half-open",
                }
            } else {
                "unknown"
            }
            .to_string(),
            datasets: status
                .datasets
                .iter()
                .map(|d| DatasetView {
                    name: d.dataset.name().to_string(),
                    version: d.version.clone(),
                    pulled_at: d.pulled_at.map(|t| t.format(TIME).to_string()),
                })
                .collect(),
            premium_orders_unsettled: 0,
        }
    }
}

impl std::fmt::Display for StatusView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "store: {}{}",
            self.store,
            if self.running { " (running kiosk)" } else { "" }
        )?;
        writeln!(f, "queue: {} pending", self.pending)?;
        match &self.oldest_pending {
            Some(o) => writeln!(
                f,
                "oldest pending: {} since {} ({} s ago)",
                o.kind, o.since, o.age_s
            )?,
            None => writeln!(f, "oldest pending: none")?,
        }
        writeln!(
            f,
            "answered and kept: {} accepted, {} rejected",
            self.accepted, self.rejected
        )?;
        writeln!(
            f,
            "last successful contact: {}",
            self.last_contact_at.as_deref().unwrap_or("never")
        )?;
        if let Some(e) = &self.last_error {
            writeln!(f, "last error: {e}")?;
        }
        writeln!(f, "circuit breaker: {}", self.breaker)?;
        if self.premium_orders_unsettled > 0 {
            writeln!(
                f,
                "premium orders to reconcile: {}",
                self.premium_orders_unsettled
            )?;
        }
        if self.datasets.is_empty() {
            writeln!(f, "datasets: none pulled yet")?;
        }
        for d in &self.datasets {
            writeln!(
                f,
                "dataset {}: version {}{}",
                d.name,
                d.version,
                d.pulled_at
                    .as_deref()
                    .map(|t| format!(" (pulled {t})"))
                    .unwrap_or_default()
            )?;
        }
        Ok(())
    }
}

/// What `kiosk sync now` prints (and `POST /v1/sync/now` answers).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CycleView {
    /// Records sent (answered or failed in transport).
    pub sent: usize,
    /// Accepted by the centre.
    pub accepted: usize,
    /// Rejected by the centre.
    pub rejected: usize,
    /// Still pending after the cycle.
    pub still_pending: u64,
    /// The centre could not be reached.
    pub unreachable: bool,
    /// Why, when it could not.
    pub error: Option<String>,
    /// Datasets brought up to date.
    pub datasets_pulled: usize,
    /// Answered records and print jobs deleted after the retention period.
    pub purged: usize,
    /// The link is misconfigured (certificates, keys, gateway): its name.
    pub link_fault: Option<String>,
}

impl CycleView {
    /// The view of a cycle's report with what is still pending.
    pub fn of(report: &CycleReport, still_pending: u64) -> CycleView {
        CycleView {
            sent: report.accepted + report.rejected + report.failed,
            accepted: report.accepted,
            rejected: report.rejected,
            still_pending,
            unreachable: report.unreachable,
            error: report.error.clone(),
            datasets_pulled: report.datasets_pulled,
            purged: report.purged_outbox + report.purged_print + report.purged_orders,
            link_fault: report.link_fault.map(|f| f.as_str().to_string()),
        }
    }
}

impl std::fmt::Display for CycleView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "sync cycle: {} sent, {} accepted, {} rejected, {} still pending",
            self.sent, self.accepted, self.rejected, self.still_pending
        )?;
        writeln!(f, "datasets pulled: {}", self.datasets_pulled)?;
        if self.purged > 0 {
            writeln!(f, "purged after retention: {}", self.purged)?;
        }
        if let Some(fault) = self.link_fault.as_deref() {
            let explain = kiosk_sync::link::LinkFault::ALL
                .iter()
                .find(|k| k.as_str() == fault)
                .map(|k| k.explain())
                .unwrap_or_default();
            writeln!(f, "central link misconfigured ({fault}): {explain}")?;
        } else if self.unreachable {
            writeln!(
                f,
                "centre unreachable: {}",
                self.error.as_deref().unwrap_or("no answer")
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn at() -> chrono::NaiveDateTime {
        chrono::NaiveDate::from_ymd_opt(2026, 12, 7)
            .unwrap()
            .and_hms_opt(10, 40, 0)
            .unwrap()
    }

    fn paths_in(dir: &Path) -> StorePaths {
        StorePaths {
            db: dir.join("kiosk.db"),
            key_file: dir.join("outbox.key"),
            warning: None,
        }
    }

    /// Overwrites `len` bytes of `file` at `offset` with garbage.
    fn damage(file: &Path, offset: u64, len: usize) {
        use std::io::{Seek, SeekFrom, Write};
        let mut f = std::fs::OpenOptions::new().write(true).open(file).unwrap();
        f.seek(SeekFrom::Start(offset)).unwrap();
        f.write_all(&vec![0xA5; len]).unwrap();
        f.sync_all().unwrap();
    }

    #[test]
    fn a_store_with_a_garbage_header_is_moved_aside_and_the_kiosk_starts_empty() {
        let dir = tempfile::tempdir().unwrap();
        let paths = paths_in(dir.path());
        let (store, recovery) = open_store(&paths, at()).unwrap();
        assert!(recovery.is_none());
        store
            .outbox_enqueue("rating", "KS21", b"{}", "K1", at())
            .unwrap();
        drop(store);
        damage(&paths.db, 0, 100);
        let (store, recovery) = open_store(&paths, at()).unwrap();
        let recovery = recovery.expect("recovered");
        assert_eq!(
            recovery.moved_to,
            dir.path().join("kiosk.db.damaged-20261207104000")
        );
        assert!(recovery.moved_to.exists());
        assert!(recovery.salvage_failed.is_some(), "{recovery:?}");
        assert_eq!(store.outbox_stats().unwrap().pending, 0);
        assert!(recovery.summary().contains("moved aside"));
        // The new store is a good one: the next start finds nothing wrong.
        drop(store);
        assert!(open_store(&paths, at()).unwrap().1.is_none());
    }

    #[test]
    fn a_damaged_page_elsewhere_keeps_the_pending_outbox() {
        let dir = tempfile::tempdir().unwrap();
        let paths = paths_in(dir.path());
        let (store, _) = open_store(&paths, at()).unwrap();
        let mut tracking = Vec::new();
        for i in 0..3 {
            let e = store
                .outbox_enqueue(
                    "rating",
                    "KS21",
                    format!("{{\"n\":{i}}}").as_bytes(),
                    "K1",
                    at(),
                )
                .unwrap();
            tracking.push(e.tracking_no);
        }
        // Reference data written last fills the last pages of the file.
        let items: Vec<kiosk_sync::store::ReferenceItem> = (0..400)
            .map(|i| kiosk_sync::store::ReferenceItem {
                key: format!("H{i:04}"),
                area: "220100".into(),
                payload: format!("{{\"name\":\"{}\"}}", "医院".repeat(40)),
            })
            .collect();
        store
            .apply_reference_delta(
                kiosk_sync::store::Dataset::Institutions,
                "1",
                &items,
                &[],
                at(),
            )
            .unwrap();
        drop(store);
        // Checkpointed into the main file on close: damage its last page.
        let len = std::fs::metadata(&paths.db).unwrap().len();
        assert!(len > 64 * 1024, "{len}");
        damage(&paths.db, len - 2048, 1024);
        let (store, recovery) = open_store(&paths, at()).unwrap();
        let recovery = recovery.expect("the quick check finds the damage");
        assert_eq!(recovery.salvaged, 3, "{recovery:?}");
        let pending = store.outbox_pending(10).unwrap();
        let found: Vec<_> = pending.iter().map(|p| p.tracking_no.clone()).collect();
        assert_eq!(found, tracking);
        // Still sealed under the same key: they open.
        assert_eq!(pending[1].payload, b"{\"n\":1}");
    }

    fn env_of(pairs: &[(&str, PathBuf)]) -> impl Fn(&str) -> Option<OsString> + use<> {
        let pairs: Vec<(String, PathBuf)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone().into_os_string())
        }
    }

    #[test]
    fn default_store_goes_to_xdg_data_home_then_home_then_temp() {
        let dir = tempfile::tempdir().unwrap();
        let temp = dir.path().join("tmp");
        let xdg = dir.path().join("xdg");
        let home = dir.path().join("home");
        let config = StoreConfig::default();

        let p = StorePaths::resolve_with(
            &config,
            &env_of(&[("XDG_DATA_HOME", xdg.clone()), ("HOME", home.clone())]),
            &temp,
        )
        .unwrap();
        assert_eq!(p.db, xdg.join("kiosk").join(DB_FILE));
        assert_eq!(p.key_file, xdg.join("kiosk").join(KEY_FILE));
        assert!(xdg.join("kiosk").is_dir());
        assert_eq!(p.warning, None);

        let p =
            StorePaths::resolve_with(&config, &env_of(&[("HOME", home.clone())]), &temp).unwrap();
        assert_eq!(p.db, home.join(".local/share/kiosk").join(DB_FILE));

        let p = StorePaths::resolve_with(&config, &env_of(&[]), &temp).unwrap();
        assert_eq!(p.db, temp.join("kiosk-store").join(DB_FILE));
        assert!(p.warning.unwrap().contains("set [store] path"));
    }

    #[test]
    fn configured_paths_are_used_and_the_key_defaults_beside_the_database() {
        let dir = tempfile::tempdir().unwrap();
        let config = StoreConfig {
            path: Some(dir.path().join("var/kiosk.db")),
            ..StoreConfig::default()
        };
        let p = StorePaths::resolve_with(&config, &env_of(&[]), dir.path()).unwrap();
        assert_eq!(p.db, dir.path().join("var/kiosk.db"));
        assert_eq!(p.key_file, dir.path().join("var").join(KEY_FILE));
        let config = StoreConfig {
            key_file: Some(dir.path().join("etc/outbox.key")),
            ..config
        };
        let p = StorePaths::resolve_with(&config, &env_of(&[]), dir.path()).unwrap();
        assert_eq!(p.key_file, dir.path().join("etc/outbox.key"));
    }

    #[test]
    fn a_store_with_another_key_stops_start_up_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let paths = StorePaths {
            db: dir.path().join(DB_FILE),
            key_file: dir.path().join(KEY_FILE),
            warning: None,
        };
        let (store, _) = open_store(&paths, at()).unwrap();
        store
            .outbox_enqueue(
                "rating",
                "KS21",
                b"{}",
                "K1",
                chrono::NaiveDate::from_ymd_opt(2026, 11, 22)
                    .unwrap()
                    .and_hms_opt(9, 0, 0)
                    .unwrap(),
            )
            .unwrap();
        drop(store);
        let key = std::fs::read_to_string(&paths.key_file).unwrap();
        assert_eq!(key.trim().len(), 64, "the key is a file of its own");

        // The key file replaced (lost and created anew).
        std::fs::remove_file(&paths.key_file).unwrap();
        let err = open_store(&paths, at()).unwrap_err().to_string();
        assert!(err.contains(&paths.db.display().to_string()), "{err}");
        assert!(err.contains(&paths.key_file.display().to_string()), "{err}");

        // Not a database at all: set aside, not a stop (issue 17; the
        // tests above the damaged-store ones).
        let garbage = StorePaths {
            db: dir.path().join("garbage.db"),
            ..paths.clone()
        };
        std::fs::write(&garbage.db, vec![0x5a; 8192]).unwrap();
        let (_, recovery) = open_store(&garbage, at()).unwrap();
        assert!(recovery.is_some());
    }

    #[test]
    fn status_view_shows_kind_and_age_of_the_oldest_pending_record_only() {
        let at = chrono::NaiveDate::from_ymd_opt(2026, 11, 22)
            .unwrap()
            .and_hms_opt(9, 0, 0)
            .unwrap();
        let status = SyncStatus {
            outbox: kiosk_sync::store::OutboxStats {
                pending: 2,
                oldest_pending_at: Some(at),
                oldest_pending_kind: Some("filing_submit".into()),
                accepted: 3,
                rejected: 1,
            },
            last_contact_at: None,
            last_error: None,
            datasets: Vec::new(),
            breaker: BreakerState::Closed { failures: 0 },
        };
        let view = StatusView::of(
            &status,
            Path::new("/x/kiosk.db"),
            at + chrono::Duration::seconds(90),
            true,
        );
        let text = view.to_string();
        assert!(text.contains("queue: 2 pending"), "{text}");
        assert!(
            text.contains("oldest pending: filing_submit since 2026-11-22 09:00:00 (90 s ago)"),
            "{text}"
        );
        assert!(text.contains("last successful contact: never"), "{text}");
        let json = serde_json::to_value(&view).unwrap();
        assert_eq!(json["oldest_pending"]["age_s"], 90);
        assert_eq!(json["breaker"], "closed");
    }
}

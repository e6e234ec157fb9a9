//! The outbox and the background sync engine.
//!
//! A submission (remote-care filing, its change or cancel, a rating, a
//! health report, the audit log) is written to the [`Store`] first, sealed,
//! in one fsync'd transaction, with the `msgid` it will be sent with; the
//! citizen gets the tracking number at once ([`Outbox::submit`]). The
//! [`SyncEngine`] sends pending records in order on its own thread, with
//! their stored `msgid`, and records the centre's answer (accepted with the
//! centre's reference, or rejected with its reason), erasing the payload.
//!
//! Nothing is lost and nothing is applied twice: a record is pending until
//! its answer is stored; a crash between the centre applying a message and
//! the kiosk storing the answer leads to a resend with the same `msgid`,
//! which the centre answers from its record without applying it again.
//!
//! The engine also pulls reference data, dataset by dataset from the
//! version it holds, on start, on a schedule and on [`SyncEngineHandle::sync_now`].

use kiosk_core::tr_mark;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use serde::Serialize;
use serde_json::Value;

use kiosk_core::clock::Clock;

use crate::client::{BreakerState, CentralClient, Submitted};
use crate::error::Error;
use crate::platform::{SystemTicker, Ticker};
use crate::store::{
    Dataset, DatasetVersion, OutboxStats, ReferenceItem, Settlement, Store, SubmissionStatus,
};
use crate::transactions::Transaction;
use crate::wire::{
    FilingCancelInput, FilingChangeInput, FilingSubmitInput, HealthReportInput, RatingInput,
};

/// What a submission is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SubmissionKind {
    /// Remote-care filing (KS11).
    FilingSubmit,
    /// Remote-care filing change (KS13).
    FilingChange,
    /// Remote-care filing cancel (KS14).
    FilingCancel,
    /// Remote-care filing suspend / resume (KS16).
    FilingSuspend,
    /// Designated-institution change of a chronic / special disease (KS18).
    ChronicChange,
    /// Satisfaction rating (KS21).
    Rating,
    /// Terminal health report (KS31).
    Health,
    /// Audit log upload (KS32).
    Audit,
}

impl SubmissionKind {
    /// Every kind.
    pub const ALL: [SubmissionKind; 8] = [
        SubmissionKind::FilingSubmit,
        SubmissionKind::FilingChange,
        SubmissionKind::FilingCancel,
        SubmissionKind::FilingSuspend,
        SubmissionKind::ChronicChange,
        SubmissionKind::Rating,
        SubmissionKind::Health,
        SubmissionKind::Audit,
    ];

    /// The kind's name in the store.
    pub fn name(self) -> &'static str {
        match self {
            SubmissionKind::FilingSubmit => "filing_submit",
            SubmissionKind::FilingChange => "filing_change",
            SubmissionKind::FilingCancel => "filing_cancel",
            SubmissionKind::FilingSuspend => "filing_suspend",
            SubmissionKind::ChronicChange => "chronic_change",
            SubmissionKind::Rating => "rating",
            SubmissionKind::Health => "health",
            SubmissionKind::Audit => "audit",
        }
    }

    /// The transaction that carries it.
    pub fn transaction(self) -> Transaction {
        match self {
            SubmissionKind::FilingSubmit => Transaction::FilingSubmit,
            SubmissionKind::FilingChange => Transaction::FilingChange,
            SubmissionKind::FilingCancel => Transaction::FilingCancel,
            SubmissionKind::FilingSuspend => Transaction::FilingSuspend,
            SubmissionKind::ChronicChange => Transaction::ChronicChange,
            SubmissionKind::Rating => Transaction::RatingUpload,
            SubmissionKind::Health => Transaction::HealthReport,
            SubmissionKind::Audit => Transaction::AuditUpload,
        }
    }

    /// The kind with that store name.
    pub fn from_name(name: &str) -> Option<SubmissionKind> {
        SubmissionKind::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// What the citizen's receipt shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// Tracking number (受理跟踪号).
    pub tracking_no: String,
    /// The message id the submission is sent with.
    pub msgid: String,
    /// Kind.
    pub kind: SubmissionKind,
    /// When it was written.
    pub submitted_at: NaiveDateTime,
}

/// Wakes the engine and tells waiters a cycle has finished.
#[derive(Debug, Default)]
struct Signal {
    state: Mutex<SignalState>,
    cv: Condvar,
}

#[derive(Debug, Default)]
struct SignalState {
    wake: bool,
    pull_reference: bool,
    stop: bool,
    cycles: u64,
    /// `sync_now` requests so far, and the last request a finished cycle
    /// started after (so a waiter knows its cycle is done).
    requested: u64,
    served: u64,
    last_report: Option<CycleReport>,
}

impl Signal {
    fn lock(&self) -> MutexGuard<'_, SignalState> {
        match self.state.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    fn wake(&self, pull_reference: bool) {
        let mut s = self.lock();
        s.wake = true;
        s.pull_reference |= pull_reference;
        self.cv.notify_all();
    }
}

/// The kiosk's outbox: where submissions are written before anything is sent.
pub struct Outbox {
    store: Arc<Store>,
    clock: Arc<dyn Clock>,
    terminal_id: String,
    signal: Arc<Signal>,
}

impl std::fmt::Debug for Outbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbox")
            .field("terminal_id", &self.terminal_id)
            .finish_non_exhaustive()
    }
}

impl Outbox {
    /// An outbox on `store` for terminal `terminal_id` (the msgid prefix;
    /// use the client's [`crate::ClientConfig::terminal_id`]).
    pub fn new(store: Arc<Store>, clock: Arc<dyn Clock>, terminal_id: &str) -> Outbox {
        Outbox {
            store,
            clock,
            terminal_id: terminal_id.to_string(),
            signal: Arc::new(Signal::default()),
        }
    }

    /// The store underneath.
    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    /// Writes a submission (fsync'd) and wakes the engine. The receipt's
    /// tracking number is valid at once, whether the centre is up or not.
    pub fn submit<T: Serialize>(&self, kind: SubmissionKind, input: &T) -> Result<Receipt, Error> {
        self.submit_for(kind, input, None)
    }

    /// As [`Outbox::submit`], for a submission about the person with
    /// number `person_number` (found again by [`Outbox::submissions_of`]).
    pub fn submit_for<T: Serialize>(
        &self,
        kind: SubmissionKind,
        input: &T,
        person_number: Option<&str>,
    ) -> Result<Receipt, Error> {
        let payload = serde_json::to_vec(input).map_err(|e| Error::Store(e.to_string()))?;
        let now = self.clock.now();
        let enqueued = self.store.outbox_enqueue_for(
            kind.name(),
            kind.transaction().infno(),
            &payload,
            &self.terminal_id,
            person_number,
            now,
        )?;
        self.signal.wake(false);
        Ok(Receipt {
            tracking_no: enqueued.tracking_no,
            msgid: enqueued.msgid,
            kind,
            submitted_at: now,
        })
    }

    /// A remote-care filing.
    pub fn submit_filing(&self, input: &FilingSubmitInput) -> Result<Receipt, Error> {
        self.submit_for(SubmissionKind::FilingSubmit, input, Some(&input.psn_no))
    }

    /// A change of a remote-care filing.
    pub fn submit_filing_change(&self, input: &FilingChangeInput) -> Result<Receipt, Error> {
        self.submit_for(SubmissionKind::FilingChange, input, Some(&input.psn_no))
    }

    /// A cancellation of a remote-care filing.
    pub fn submit_filing_cancel(&self, input: &FilingCancelInput) -> Result<Receipt, Error> {
        self.submit_for(SubmissionKind::FilingCancel, input, Some(&input.psn_no))
    }

    /// A suspension or resumption of a remote-care filing (KS16).
    pub fn submit_filing_suspend(
        &self,
        input: &crate::wire::FilingSuspendInput,
    ) -> Result<Receipt, Error> {
        self.submit_for(SubmissionKind::FilingSuspend, input, Some(&input.psn_no))
    }

    /// A designated-institution change of a chronic / special disease (KS18).
    pub fn submit_chronic_change(
        &self,
        input: &crate::wire::ChronicChangeInput,
    ) -> Result<Receipt, Error> {
        self.submit_for(SubmissionKind::ChronicChange, input, Some(&input.psn_no))
    }

    /// The person's filing submissions still in the store (pending,
    /// accepted, rejected with reason), newest first: shown in the filing
    /// status query beside what the centre holds (KS12).
    pub fn submissions_of(&self, person_number: &str) -> Result<Vec<SubmissionStatus>, Error> {
        self.store.outbox_of_person(person_number)
    }

    /// A satisfaction rating.
    pub fn submit_rating(&self, input: &RatingInput) -> Result<Receipt, Error> {
        self.submit(SubmissionKind::Rating, input)
    }

    /// A terminal health report.
    pub fn submit_health(&self, input: &HealthReportInput) -> Result<Receipt, Error> {
        self.submit(SubmissionKind::Health, input)
    }

    /// Where a submission stands (pending / accepted with reference /
    /// rejected with reason), by tracking number.
    pub fn status(&self, tracking_no: &str) -> Result<Option<SubmissionStatus>, Error> {
        self.store.outbox_status(tracking_no)
    }
}

/// How the engine runs.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Records sent between two store updates.
    pub batch_size: usize,
    /// Parallel senders within a batch (1 = strictly in order).
    pub senders: usize,
    /// Wait after a cycle that could not reach the centre.
    pub retry_interval: Duration,
    /// Wait after the first cycle stopped by a misconfigured link
    /// (doubling, up to `misconfigured_retry_max`): staff must fix the
    /// configuration, so the engine does not retry in a tight loop.
    pub misconfigured_retry: Duration,
    /// Longest wait between cycles on a misconfigured link.
    pub misconfigured_retry_max: Duration,
    /// Interval of scheduled reference-data pulls.
    pub reference_interval: Duration,
    /// Datasets to pull.
    pub datasets: Vec<Dataset>,
    /// Audit entries moved into one outbox record per cycle (0: none).
    pub audit_batch: usize,
    /// Pages of one dataset pulled per cycle at most.
    pub max_reference_pages: usize,
    /// Answered outbox records and finished print jobs are deleted this
    /// long after their last change, on the reference-pull schedule
    /// (`None`: kept). Their personal data is already gone: a payload is
    /// erased when the answer is stored.
    pub retention: Option<Duration>,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            batch_size: 64,
            senders: 4,
            retry_interval: Duration::from_secs(5),
            misconfigured_retry: Duration::from_secs(60),
            misconfigured_retry_max: Duration::from_secs(15 * 60),
            reference_interval: Duration::from_secs(15 * 60),
            datasets: Dataset::ALL.to_vec(),
            audit_batch: 500,
            max_reference_pages: 50,
            retention: Some(Duration::from_secs(30 * 24 * 3600)),
        }
    }
}

impl EngineConfig {
    /// The wait after the `n`-th consecutive cycle (1-based) stopped by a
    /// misconfigured link: `misconfigured_retry * 2^(n-1)`, capped.
    pub fn misconfigured_wait(&self, n: u32) -> Duration {
        let factor = 1u32
            .checked_shl(n.saturating_sub(1).min(16))
            .unwrap_or(u32::MAX);
        self.misconfigured_retry
            .saturating_mul(factor)
            .min(self.misconfigured_retry_max)
            .max(self.retry_interval)
    }
}

/// What one cycle did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CycleReport {
    /// Records accepted by the centre.
    pub accepted: usize,
    /// Records rejected by the centre.
    pub rejected: usize,
    /// The centre could not be reached (records stay pending).
    pub unreachable: bool,
    /// Datasets brought up to date.
    pub datasets_pulled: usize,
    /// Records whose sending failed in transport (they stay pending).
    pub failed: usize,
    /// Answered outbox records deleted after the retention period.
    pub purged_outbox: usize,
    /// Finished print jobs deleted after the retention period.
    pub purged_print: usize,
    /// Settled premium payment orders deleted after the retention period.
    pub purged_orders: usize,
    /// Premium payment orders reconciled with the centre.
    pub premium_orders: crate::premium::ReconcileReport,
    /// Why the cycle stopped early, when it did (no personal data).
    pub error: Option<String>,
    /// The cycle stopped on a misconfigured link (certificates, keys,
    /// gateway): the engine waits longer before it tries again.
    pub link_fault: Option<crate::link::LinkFault>,
}

/// What `kiosk sync status` shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncStatus {
    /// Queue counts and the oldest pending record.
    pub outbox: OutboxStats,
    /// Last time the centre answered, `yyyy-MM-dd HH:mm:ss`.
    pub last_contact_at: Option<String>,
    /// Last failure (no personal data).
    pub last_error: Option<String>,
    /// Dataset versions held.
    pub datasets: Vec<DatasetVersion>,
    /// The client's circuit breaker.
    pub breaker: BreakerState,
}

impl std::fmt::Display for SyncStatus {
    /// The text `kiosk sync status` prints (no personal data).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let o = &self.outbox;
        write!(f, "outbox: {} pending", o.pending)?;
        if let Some(oldest) = o.oldest_pending_at {
            write!(f, " (oldest {})", oldest.format("%Y-%m-%d %H:%M:%S"))?;
        }
        writeln!(f, ", {} accepted, {} rejected", o.accepted, o.rejected)?;
        writeln!(
            f,
            "last contact: {}",
            self.last_contact_at.as_deref().unwrap_or("never")
        )?;
        if let Some(e) = &self.last_error {
            writeln!(f, "last error: {e}")?;
        }
        match self.breaker {
            BreakerState::Closed { failures } => {
                writeln!(f, "circuit breaker: closed ({failures} recent failures)")?
            }
            BreakerState::Open { retry_in } => writeln!(
                f,
                "circuit breaker: open, next probe in {} ms",
                retry_in.as_millis()
            )?,
            BreakerState::HalfOpen => writeln!(f, "circuit breaker: half-open (probing)")?,
        }
        if self.datasets.is_empty() {
            writeln!(f, "reference data: none pulled yet")?;
        }
        for d in &self.datasets {
            write!(f, "dataset {}: version {}", d.dataset.name(), d.version)?;
            match d.pulled_at {
                Some(t) => writeln!(f, " (pulled {})", t.format("%Y-%m-%d %H:%M:%S"))?,
                None => writeln!(f)?,
            }
        }
        Ok(())
    }
}

/// The sync engine: sends the outbox and pulls reference data. Use
/// [`SyncEngine::run_cycle`] directly, or [`SyncEngine::start`] it on its
/// own thread.
pub struct SyncEngine {
    outbox: Arc<Outbox>,
    client: Arc<CentralClient>,
    config: EngineConfig,
    ticker: Arc<dyn Ticker>,
}

const LAST_CONTACT: &str = "last_contact_at";
const LAST_ERROR: &str = "last_error";

impl SyncEngine {
    /// An engine sending `outbox` through `client`.
    pub fn new(
        outbox: Arc<Outbox>,
        client: Arc<CentralClient>,
        config: EngineConfig,
    ) -> SyncEngine {
        SyncEngine {
            outbox,
            client,
            config,
            ticker: Arc::new(SystemTicker::new()),
        }
    }

    /// Uses `ticker` for the reference-pull schedule.
    pub fn with_ticker(mut self, ticker: Arc<dyn Ticker>) -> SyncEngine {
        self.ticker = ticker;
        self
    }

    /// The outbox.
    pub fn outbox(&self) -> &Arc<Outbox> {
        &self.outbox
    }

    fn store(&self) -> &Store {
        &self.outbox.store
    }

    fn now(&self) -> NaiveDateTime {
        self.outbox.clock.now()
    }

    fn contact(&self) -> Result<(), Error> {
        let now = self.now().format("%Y-%m-%d %H:%M:%S").to_string();
        self.store().set_sync_state(LAST_CONTACT, &now)
    }

    fn note_error(&self, error: &Error) {
        // Error texts of the sync crate never carry personal data.
        let text = error.to_string();
        if let Err(e) = self.store().set_sync_state(LAST_ERROR, &text) {
            tracing::error!("cannot record sync error: {e}");
        }
    }

    /// One cycle: audit entries into the outbox, every pending record sent
    /// (in batches; stops at the first transport failure), then reference
    /// data when `pull_reference`.
    pub fn run_cycle(&self, pull_reference: bool) -> Result<CycleReport, Error> {
        let mut report = CycleReport::default();
        if self.config.audit_batch > 0 {
            self.store().audit_to_outbox(
                Transaction::AuditUpload.infno(),
                &self.outbox.terminal_id,
                self.config.audit_batch,
                self.now(),
            )?;
        }
        self.send_pending(&mut report)?;
        if !report.unreachable {
            self.reconcile_orders(&mut report);
        }
        if pull_reference {
            self.purge(&mut report);
        }
        if pull_reference && !report.unreachable {
            for dataset in self.config.datasets.clone() {
                match self.pull_dataset(dataset) {
                    Ok(()) => report.datasets_pulled += 1,
                    Err(e) => {
                        tracing::warn!(dataset = dataset.name(), "reference pull failed: {e}");
                        self.note_error(&e);
                        if is_transport(&e) {
                            report.unreachable = true;
                            report.link_fault = report.link_fault.or(e.link_fault());
                            report.error.get_or_insert_with(|| e.to_string());
                            break;
                        }
                    }
                }
            }
        }
        Ok(report)
    }

    fn send_pending(&self, report: &mut CycleReport) -> Result<(), Error> {
        // Bounded: each batch settles or stops; a cycle sends at most what
        // was pending when it started plus what arrives meanwhile, capped.
        let start = self.store().outbox_stats()?.pending as usize;
        let max_batches = start / self.config.batch_size.max(1) + 16;
        for _ in 0..max_batches {
            let items = match self.store().outbox_pending(self.config.batch_size.max(1)) {
                Ok(items) => items,
                Err(Error::Decrypt(id)) => {
                    tracing::error!(id, "outbox record cannot be decrypted; set aside");
                    self.store().outbox_settle(
                        &[(
                            id,
                            Settlement::Rejected {
                                code: LOCAL_UNREADABLE,
                                reason: tr_mark!(
                                    "本机记录无法解密（密钥不符），请到人工窗口重新办理"
                                )
                                .into(),
                            },
                        )],
                        self.now(),
                    )?;
                    continue;
                }
                Err(e) => return Err(e),
            };
            if items.is_empty() {
                return Ok(());
            }
            // Filings go strictly in order on one sender (a cancel must
            // reach the centre before the new filing that follows it);
            // ratings, health and audit are spread over the others.
            let (ordered, free): (Vec<_>, Vec<_>) = items.iter().partition(|i| {
                matches!(
                    SubmissionKind::from_name(&i.kind),
                    Some(
                        SubmissionKind::FilingSubmit
                            | SubmissionKind::FilingChange
                            | SubmissionKind::FilingCancel
                            | SubmissionKind::FilingSuspend
                            | SubmissionKind::ChronicChange
                    )
                )
            });
            let senders = self.config.senders.clamp(1, 16);
            let mut parts: Vec<Vec<&crate::store::OutboxItem>> = Vec::new();
            if !ordered.is_empty() {
                parts.push(ordered);
            }
            if !free.is_empty() {
                let n = senders.saturating_sub(parts.len()).max(1);
                let chunk = free.len().div_ceil(n);
                parts.extend(free.chunks(chunk).map(<[_]>::to_vec));
            }
            let send_part = |part: &[&crate::store::OutboxItem]| {
                let mut out = Vec::with_capacity(part.len());
                for item in part {
                    let r = self.send_one(item);
                    let stop = matches!(&r, Err(e) if is_transport(e));
                    out.push((item.id, r));
                    if stop {
                        break;
                    }
                }
                out
            };
            let results: Vec<(i64, Result<Submitted, Error>)> = if parts.len() == 1 {
                parts.iter().flat_map(|p| send_part(p)).collect()
            } else {
                std::thread::scope(|scope| {
                    let handles: Vec<_> = parts
                        .iter()
                        .map(|part| scope.spawn(|| send_part(part)))
                        .collect();
                    handles
                        .into_iter()
                        .flat_map(|h| h.join().unwrap_or_default())
                        .collect()
                })
            };
            let mut settled = Vec::with_capacity(results.len());
            let mut failure = None;
            for (id, result) in results {
                match result {
                    Ok(Submitted::Accepted(output)) => {
                        report.accepted += 1;
                        settled.push((
                            id,
                            Settlement::Accepted {
                                reference: reference_of(&output),
                            },
                        ));
                    }
                    Ok(Submitted::Rejected { code, reason }) => {
                        report.rejected += 1;
                        settled.push((id, Settlement::Rejected { code, reason }));
                    }
                    Err(Error::Store(reason)) => {
                        // The record itself is unusable (not JSON): resending
                        // cannot help; set it aside, visible by tracking number.
                        tracing::error!(id, "outbox record unusable: {reason}");
                        report.rejected += 1;
                        settled.push((
                            id,
                            Settlement::Rejected {
                                code: LOCAL_UNREADABLE,
                                reason: tr_mark!("本机记录格式错误，请到人工窗口重新办理").into(),
                            },
                        ));
                    }
                    Err(e) => {
                        report.failed += 1;
                        self.store()
                            .outbox_note_failure(id, &e.to_string(), self.now())?;
                        failure.get_or_insert(e);
                    }
                }
            }
            let now = self.now();
            self.store().outbox_settle(&settled, now)?;
            if !settled.is_empty() {
                self.contact()?;
            }
            if let Some(e) = failure {
                self.note_error(&e);
                report.unreachable = true;
                report.link_fault = report.link_fault.or(e.link_fault());
                report.error.get_or_insert_with(|| e.to_string());
                return Ok(());
            }
        }
        Ok(())
    }

    /// Premium payment orders whose answer was lost or that nobody
    /// watches: asked about, cancelled when still open (premium.rs).
    fn reconcile_orders(&self, report: &mut CycleReport) {
        let desk = crate::premium::PaymentDesk::new(
            self.outbox.store.clone(),
            self.client.clone(),
            self.outbox.clock.clone(),
            &self.outbox.terminal_id,
        );
        match desk.reconcile() {
            Ok(r) => {
                if r.unreachable {
                    report.unreachable = true;
                }
                report.premium_orders = r;
            }
            Err(e) => tracing::warn!("premium order reconciliation failed: {e}"),
        }
    }

    /// Deletes answered records and finished print jobs older than the
    /// retention period. Failures are logged, never fatal to the cycle.
    fn purge(&self, report: &mut CycleReport) {
        let Some(retention) = self.config.retention else {
            return;
        };
        let Ok(age) = chrono::Duration::from_std(retention) else {
            return;
        };
        let Some(before) = self.now().checked_sub_signed(age) else {
            return;
        };
        match self.store().outbox_purge_settled(before) {
            Ok(n) => report.purged_outbox = n,
            Err(e) => tracing::warn!("outbox purge failed: {e}"),
        }
        match self.store().print_purge(before) {
            Ok(n) => report.purged_print = n,
            Err(e) => tracing::warn!("print journal purge failed: {e}"),
        }
        match self.store().premium_order_purge(before) {
            Ok(n) => report.purged_orders = n,
            Err(e) => tracing::warn!("premium order purge failed: {e}"),
        }
        if report.purged_outbox + report.purged_print > 0 {
            tracing::info!(
                outbox = report.purged_outbox,
                print = report.purged_print,
                "settled records past retention purged"
            );
        }
    }

    fn send_one(&self, item: &crate::store::OutboxItem) -> Result<Submitted, Error> {
        match Transaction::from_infno(&item.infno) {
            Some(t) => self.client.submit(t, &item.msgid, &item.payload),
            None => Ok(Submitted::Rejected {
                code: LOCAL_UNREADABLE,
                reason: tr_mark!("本机记录的交易类型无效").into(),
            }),
        }
    }

    /// Brings one dataset up to date, page by page (each page and its
    /// version applied in one transaction).
    pub fn pull_dataset(&self, dataset: Dataset) -> Result<(), Error> {
        let mut since = self.store().dataset_version(dataset)?.unwrap_or_default();
        for _ in 0..self.config.max_reference_pages.max(1) {
            let page = self.client.reference_data(dataset.name(), &since)?;
            let items: Vec<ReferenceItem> = page
                .items
                .iter()
                .map(|i| ReferenceItem {
                    key: i.key.clone(),
                    area: i.area.clone(),
                    payload: i.data.to_string(),
                })
                .collect();
            let unchanged = page.version == since && items.is_empty() && page.deleted.is_empty();
            if !unchanged || self.store().dataset_version(dataset)?.is_none() {
                self.store().apply_reference_delta(
                    dataset,
                    &page.version,
                    &items,
                    &page.deleted,
                    self.now(),
                )?;
            }
            self.contact()?;
            if !page.more || page.version == since {
                return Ok(());
            }
            since = page.version;
        }
        Ok(())
    }

    /// Queue length, oldest pending record, last contact, dataset versions.
    pub fn status(&self) -> Result<SyncStatus, Error> {
        Ok(SyncStatus {
            outbox: self.store().outbox_stats()?,
            last_contact_at: self.store().sync_state(LAST_CONTACT)?,
            last_error: self.store().sync_state(LAST_ERROR)?,
            datasets: self.store().dataset_versions()?,
            breaker: self.client.breaker_state(),
        })
    }

    /// Starts the engine on its own thread: a cycle with a reference pull
    /// at once, then a cycle whenever something is submitted, after
    /// `retry_interval` while the centre is unreachable, and with a
    /// reference pull every `reference_interval`.
    pub fn start(self: Arc<Self>) -> Result<SyncEngineHandle, Error> {
        let signal = Arc::clone(&self.outbox.signal);
        {
            let mut s = signal.lock();
            s.stop = false;
            s.pull_reference = true;
            s.wake = true;
        }
        let engine = Arc::clone(&self);
        let thread = std::thread::Builder::new()
            .name("sync-engine".into())
            .spawn(move || engine.run_loop())
            .map_err(|e| Error::Store(format!("cannot start sync engine: {e}")))?;
        Ok(SyncEngineHandle {
            engine: self,
            signal,
            thread: Some(thread),
        })
    }

    fn run_loop(&self) {
        let signal = &self.outbox.signal;
        let mut next_pull = self.ticker.elapsed();
        let mut misconfigured_cycles = 0u32;
        loop {
            let (pull, serving) = {
                let mut s = signal.lock();
                if s.stop {
                    return;
                }
                s.wake = false;
                let pull = s.pull_reference || self.ticker.elapsed() >= next_pull;
                s.pull_reference = false;
                (pull, s.requested)
            };
            let outcome = self.run_cycle(pull);
            let report = match outcome {
                Ok(r) => r,
                Err(e) => {
                    tracing::error!("sync cycle failed: {e}");
                    self.note_error(&e);
                    CycleReport {
                        unreachable: true,
                        error: Some(e.to_string()),
                        ..CycleReport::default()
                    }
                }
            };
            let unreachable = report.unreachable;
            if pull && !unreachable {
                next_pull = self.ticker.elapsed() + self.config.reference_interval;
            }
            misconfigured_cycles = if report.link_fault.is_some() {
                misconfigured_cycles.saturating_add(1)
            } else {
                0
            };
            let pending = self.store().outbox_stats().map(|s| s.pending).unwrap_or(0);
            // A cycle that was answered and then stopped (typically the
            // circuit breaker's half-open probe answered while the other
            // senders were told to wait for it) goes on at once: the
            // centre is back, and each such cycle settles records, so this
            // is bounded by what is pending. Waiting the retry interval
            // here cost every kiosk 5 s after a centre restart
            // (benches/fleet_load.rs).
            let answered = report.accepted + report.rejected > 0;
            let wait = if misconfigured_cycles > 0 {
                self.config.misconfigured_wait(misconfigured_cycles)
            } else if unreachable && answered && pending > 0 {
                Duration::ZERO
            } else if unreachable {
                self.config.retry_interval
            } else if pending > 0 {
                Duration::ZERO
            } else {
                next_pull.saturating_sub(self.ticker.elapsed())
            };
            let mut s = signal.lock();
            s.cycles += 1;
            s.served = s.served.max(serving);
            s.last_report = Some(report);
            signal.cv.notify_all();
            if !s.wake && !s.stop && !wait.is_zero() {
                // A submission, sync_now or stop wakes the engine early.
                s = match signal
                    .cv
                    .wait_timeout_while(s, wait, |st| !st.wake && !st.stop)
                {
                    Ok((guard, _)) => guard,
                    Err(p) => p.into_inner().0,
                };
            }
            if s.stop {
                return;
            }
        }
    }
}

/// `infcode` recorded for records the kiosk itself could not send.
pub const LOCAL_UNREADABLE: i32 = -100;

fn is_transport(e: &Error) -> bool {
    matches!(
        e,
        Error::Unreachable(_)
            | Error::Timeout
            | Error::HttpStatus(_)
            | Error::CircuitOpen { .. }
            | Error::TooLarge { .. }
            | Error::Malformed(_)
            | Error::WrongReference
            | Error::SignIn(_)
            | Error::Link { .. }
    )
}

/// The centre's number in an accepted answer, if it gives one.
fn reference_of(output: &Value) -> Option<String> {
    ["filing_no", "rating_no", "cert_no", "change_no"]
        .iter()
        .find_map(|k| output.get(*k).and_then(Value::as_str))
        .map(str::to_string)
}

/// The running engine. Dropping it stops the thread.
pub struct SyncEngineHandle {
    engine: Arc<SyncEngine>,
    signal: Arc<Signal>,
    thread: Option<JoinHandle<()>>,
}

impl SyncEngineHandle {
    /// The engine.
    pub fn engine(&self) -> &Arc<SyncEngine> {
        &self.engine
    }

    /// Starts a cycle with a reference pull now (`kiosk sync now`).
    pub fn sync_now(&self) {
        self.request();
    }

    fn request(&self) -> u64 {
        let mut s = self.signal.lock();
        s.requested += 1;
        s.wake = true;
        s.pull_reference = true;
        self.signal.cv.notify_all();
        s.requested
    }

    /// Starts a cycle with a reference pull and waits (at most `timeout`)
    /// until a cycle that started after this call has finished; returns
    /// what that cycle did. `None` when it did not finish in time or the
    /// engine stopped.
    pub fn sync_now_and_wait(&self, timeout: Duration) -> Option<CycleReport> {
        let ticket = self.request();
        let deadline = Instant::now() + timeout;
        let mut s = self.signal.lock();
        loop {
            if s.served >= ticket {
                return s.last_report.clone();
            }
            let now = Instant::now();
            if s.stop || now >= deadline || self.thread.as_ref().is_none_or(|t| t.is_finished()) {
                return None;
            }
            s = match self
                .signal
                .cv
                .wait_timeout_while(s, deadline - now, |st| st.served < ticket && !st.stop)
            {
                Ok((g, _)) => g,
                Err(p) => p.into_inner().0,
            };
        }
    }

    /// Status for `kiosk sync status`.
    pub fn status(&self) -> Result<SyncStatus, Error> {
        self.engine.status()
    }

    /// Cycles completed so far.
    pub fn cycles(&self) -> u64 {
        self.signal.lock().cycles
    }

    /// Waits until at least `n` cycles have completed, at most `timeout`.
    pub fn wait_for_cycles(&self, n: u64, timeout: Duration) -> bool {
        self.wait_until(timeout, |_| true, n)
    }

    /// Waits until the outbox has nothing pending (checked after each
    /// cycle), at most `timeout`. True when drained.
    pub fn wait_until_drained(&self, timeout: Duration) -> bool {
        self.wait_until(
            timeout,
            |engine| {
                engine
                    .store()
                    .outbox_stats()
                    .map(|s| s.pending == 0)
                    .unwrap_or(false)
            },
            0,
        )
    }

    fn wait_until(
        &self,
        timeout: Duration,
        done: impl Fn(&SyncEngine) -> bool,
        cycles: u64,
    ) -> bool {
        let deadline = Instant::now() + timeout;
        let mut s = self.signal.lock();
        loop {
            // Read before checking, so a cycle that ends meanwhile is not missed.
            let seen = s.cycles;
            if s.cycles >= cycles {
                drop(s);
                if done(&self.engine) {
                    return true;
                }
                s = self.signal.lock();
            }
            let now = Instant::now();
            if now >= deadline || self.thread.as_ref().is_none_or(|t| t.is_finished()) {
                return false;
            }
            s = match self
                .signal
                .cv
                .wait_timeout_while(s, deadline - now, |st| st.cycles == seen && !st.stop)
            {
                Ok((g, _)) => g,
                Err(p) => p.into_inner().0,
            };
        }
    }

    /// Stops the engine after its current cycle and waits for the thread.
    pub fn stop(mut self) {
        self.stop_inner();
    }

    fn stop_inner(&mut self) {
        {
            let mut s = self.signal.lock();
            s.stop = true;
            self.signal.cv.notify_all();
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for SyncEngineHandle {
    fn drop(&mut self) {
        self.stop_inner();
    }
}

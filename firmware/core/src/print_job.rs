//! The print journal: no lost print job, none printed twice silently.
//!
//! Every job is written to a [`JournalStore`] before its first byte is
//! sent, and every change of state is written before the action it
//! announces. The states:
//!
//! ```text
//!            enqueue                start                finished
//!   (new) ─────────────▶ Queued ───────────▶ Sending ─────────────▶ Done
//!                          ▲                   │ not ready / link lost
//!                          │ printer ready     ▼
//!                          └──────────── Pending{cause} ──give up──▶ Failed{cause}
//!
//!   restart: Queued / Sending / Pending ──▶ AwaitingConfirmation
//!            (offered again: confirm ─▶ Queued, decline ─▶ Failed{Declined})
//! ```
//!
//! - Paper out, cover open or a dropped link in the middle of a job make it
//!   [`JobState::Pending`]: the screen tells the citizen why; when the
//!   printer reports ready again the job goes back to `Queued` and is
//!   reprinted **whole** (a half-printed slip is never continued).
//! - After a restart (power cut, kiosk killed) nobody knows whether the
//!   paper of a `Sending` job came out. [`PrintJournal::recover`] therefore
//!   moves every unfinished job to [`JobState::AwaitingConfirmation`]; it
//!   is printed again only after someone confirms ([`PrintJournal::confirm`]),
//!   never silently, and it is never dropped silently either (declining
//!   records [`FailCause::Declined`]).
//!
//! Pure code: the store is a trait (the SQLite store in `kiosk-sync`
//! implements it; [`MemoryJournal`] serves tests), time comes in as values.

use crate::{tr, tr_mark};
use std::collections::BTreeMap;
use std::fmt;

use chrono::NaiveDateTime;

use crate::Error;

/// Job id, assigned by the journal (1, 2, …).
pub type JobId = u64;

/// What kind of document a job prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocumentKind {
    /// 业务办理单.
    BusinessSlip,
    /// 参保凭证, simple layout.
    CertificateSimple,
    /// 参保凭证, transfer layout.
    CertificateTransfer,
    /// 异地就医备案回执.
    FilingReceipt,
    /// 个人承诺书 copy.
    CommitmentLetter,
    /// Technician's test page.
    TestPage,
    /// 参保缴费明细.
    ContributionRecord,
    /// 定点医药机构名单.
    InstitutionList,
    /// 个人账户明细.
    AccountStatement,
    /// 就医结算记录单.
    SettlementSlip,
}

impl DocumentKind {
    /// Stable name for the store.
    pub fn code(self) -> &'static str {
        match self {
            DocumentKind::BusinessSlip => "business_slip",
            DocumentKind::CertificateSimple => "certificate_simple",
            DocumentKind::CertificateTransfer => "certificate_transfer",
            DocumentKind::FilingReceipt => "filing_receipt",
            DocumentKind::CommitmentLetter => "commitment_letter",
            DocumentKind::TestPage => "test_page",
            DocumentKind::ContributionRecord => "contribution_record",
            DocumentKind::InstitutionList => "institution_list",
            DocumentKind::AccountStatement => "account_statement",
            DocumentKind::SettlementSlip => "settlement_slip",
        }
    }

    /// From [`DocumentKind::code`].
    pub fn from_code(code: &str) -> Option<DocumentKind> {
        [
            DocumentKind::BusinessSlip,
            DocumentKind::CertificateSimple,
            DocumentKind::CertificateTransfer,
            DocumentKind::FilingReceipt,
            DocumentKind::CommitmentLetter,
            DocumentKind::TestPage,
            DocumentKind::ContributionRecord,
            DocumentKind::InstitutionList,
            DocumentKind::AccountStatement,
            DocumentKind::SettlementSlip,
        ]
        .into_iter()
        .find(|k| k.code() == code)
    }

    /// Chinese name for the screen.
    pub fn label(self) -> &'static str {
        match self {
            DocumentKind::BusinessSlip => tr_mark!("业务办理单"),
            DocumentKind::CertificateSimple | DocumentKind::CertificateTransfer => {
                tr_mark!("参保凭证")
            }
            DocumentKind::FilingReceipt => tr_mark!("异地就医备案回执"),
            DocumentKind::CommitmentLetter => tr_mark!("个人承诺书（副本）"),
            DocumentKind::TestPage => tr_mark!("打印测试页"),
            DocumentKind::ContributionRecord => tr_mark!("参保缴费明细"),
            DocumentKind::InstitutionList => tr_mark!("定点医药机构名单"),
            DocumentKind::AccountStatement => tr_mark!("个人账户明细"),
            DocumentKind::SettlementSlip => tr_mark!("就医结算记录单"),
        }
    }
}

/// Why a job is pending or failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FailCause {
    /// The roll is empty.
    PaperOut,
    /// The cover is open.
    CoverOpen,
    /// The auto-cutter jammed.
    CutterError,
    /// The printer is offline for another reason.
    Offline,
    /// The link broke (connection dropped, cable pulled) mid-job.
    LinkLost,
    /// The printer could not be reached at all.
    Unreachable,
    /// After a restart, the job was offered again and declined.
    Declined,
    /// Given up (the citizen left, or retries were exhausted).
    Abandoned,
}

impl FailCause {
    /// Stable name for the store.
    pub fn code(self) -> &'static str {
        match self {
            FailCause::PaperOut => "paper_out",
            FailCause::CoverOpen => "cover_open",
            FailCause::CutterError => "cutter_error",
            FailCause::Offline => "offline",
            FailCause::LinkLost => "link_lost",
            FailCause::Unreachable => "unreachable",
            FailCause::Declined => "declined",
            FailCause::Abandoned => "abandoned",
        }
    }

    /// From [`FailCause::code`].
    pub fn from_code(code: &str) -> Option<FailCause> {
        [
            FailCause::PaperOut,
            FailCause::CoverOpen,
            FailCause::CutterError,
            FailCause::Offline,
            FailCause::LinkLost,
            FailCause::Unreachable,
            FailCause::Declined,
            FailCause::Abandoned,
        ]
        .into_iter()
        .find(|c| c.code() == code)
    }

    /// What the screen tells the citizen.
    pub fn user_message(self) -> &'static str {
        match self {
            FailCause::PaperOut => {
                tr!("打印机缺纸，已通知工作人员换纸。换纸后将自动重新完整打印，请稍候。")
            }
            FailCause::CoverOpen => tr!("打印机盖未关好，请工作人员合上机盖后将自动重新完整打印。"),
            FailCause::CutterError => tr!("打印机切纸故障，已通知工作人员。修复后将重新完整打印。"),
            FailCause::Offline | FailCause::LinkLost | FailCause::Unreachable => {
                tr!(
                    "打印机暂时无法使用，已通知工作人员。恢复后将重新完整打印，您也可以到人工窗口打印。"
                )
            }
            FailCause::Declined | FailCause::Abandoned => {
                tr!("本次打印已取消。如需打印，请重新办理。")
            }
        }
    }
}

/// The state of a print job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobState {
    /// Written to the journal, not sent yet.
    Queued,
    /// Bytes are going out (attempt number, 1-based).
    Sending {
        /// Attempt.
        attempt: u32,
    },
    /// Printed and cut.
    Done,
    /// Interrupted or not ready; reprinted whole when the printer is ready.
    Pending {
        /// Why.
        cause: FailCause,
    },
    /// Found unfinished after a restart: offered again, printed only on
    /// confirmation.
    AwaitingConfirmation,
    /// Given up, with the cause.
    Failed {
        /// Why.
        cause: FailCause,
    },
}

impl JobState {
    /// Stable name for the store and errors.
    pub fn name(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Sending { .. } => "sending",
            JobState::Done => "done",
            JobState::Pending { .. } => "pending",
            JobState::AwaitingConfirmation => "awaiting_confirmation",
            JobState::Failed { .. } => "failed",
        }
    }

    /// Whether the job is finished one way or the other.
    pub fn is_final(self) -> bool {
        matches!(self, JobState::Done | JobState::Failed { .. })
    }

    /// The state as a row of a store that keeps only four states and a
    /// cause (the `print_job` table of `kiosk-sync`, migration v2:
    /// `state IN ('queued','sending','done','failed')`, `cause TEXT`):
    ///
    /// | state | row |
    /// |---|---|
    /// | `Queued` | `queued`, no cause |
    /// | `Pending { cause }` | `queued`, cause code |
    /// | `AwaitingConfirmation` | `queued`, `awaiting_confirmation` |
    /// | `Sending { .. }` | `sending`, no cause (the attempt number is [`PrintJob::attempts`]) |
    /// | `Done` | `done`, no cause |
    /// | `Failed { cause }` | `failed`, cause code |
    pub fn to_row(self) -> (&'static str, Option<&'static str>) {
        match self {
            JobState::Queued => ("queued", None),
            JobState::Pending { cause } => ("queued", Some(cause.code())),
            JobState::AwaitingConfirmation => ("queued", Some(AWAITING_CONFIRMATION)),
            JobState::Sending { .. } => ("sending", None),
            JobState::Done => ("done", None),
            JobState::Failed { cause } => ("failed", Some(cause.code())),
        }
    }

    /// The state from a row written by [`JobState::to_row`]; `attempts`
    /// restores the attempt number of a `sending` row. `None` for a row
    /// this version does not know.
    pub fn from_row(state: &str, cause: Option<&str>, attempts: u32) -> Option<JobState> {
        match (state, cause) {
            ("queued", None) => Some(JobState::Queued),
            ("queued", Some(AWAITING_CONFIRMATION)) => Some(JobState::AwaitingConfirmation),
            ("queued", Some(c)) => FailCause::from_code(c).map(|cause| JobState::Pending { cause }),
            ("sending", _) => Some(JobState::Sending {
                attempt: attempts.max(1),
            }),
            ("done", _) => Some(JobState::Done),
            ("failed", Some(c)) => FailCause::from_code(c).map(|cause| JobState::Failed { cause }),
            ("failed", None) => Some(JobState::Failed {
                cause: FailCause::Abandoned,
            }),
            _ => None,
        }
    }
}

/// The cause column of a job offered again after a restart.
const AWAITING_CONFIRMATION: &str = "awaiting_confirmation";

/// One print job as the journal stores it.
#[derive(Clone, PartialEq, Eq)]
pub struct PrintJob {
    /// Id.
    pub id: JobId,
    /// Document kind.
    pub kind: DocumentKind,
    /// The ESC/POS bytes of the whole document (personal data: stored,
    /// never logged).
    pub payload: Vec<u8>,
    /// State.
    pub state: JobState,
    /// Attempts started so far.
    pub attempts: u32,
    /// When it was queued.
    pub created_at: NaiveDateTime,
    /// Last change.
    pub updated_at: NaiveDateTime,
}

impl fmt::Debug for PrintJob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrintJob")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("bytes", &self.payload.len())
            .field("state", &self.state)
            .field("attempts", &self.attempts)
            .finish_non_exhaustive()
    }
}

/// Persistent storage of the journal. Implemented by the kiosk's SQLite
/// store; [`MemoryJournal`] for tests. Every call must be durable when it
/// returns (the journal relies on "written before sent"). A store with a
/// four-state table keeps the state with [`JobState::to_row`] /
/// [`JobState::from_row`] and the id as text (`id.to_string()`);
/// `unfinished` is then every `queued` or `sending` row.
pub trait JournalStore {
    /// Store error.
    type Error: fmt::Display;
    /// The next free job id (1 when empty).
    fn next_id(&mut self) -> Result<JobId, Self::Error>;
    /// Inserts a new job.
    fn insert(&mut self, job: &PrintJob) -> Result<(), Self::Error>;
    /// Replaces the stored state of an existing job.
    fn update(&mut self, job: &PrintJob) -> Result<(), Self::Error>;
    /// One job.
    fn get(&self, id: JobId) -> Result<Option<PrintJob>, Self::Error>;
    /// Every job not `Done` or `Failed`, oldest first.
    fn unfinished(&self) -> Result<Vec<PrintJob>, Self::Error>;
    /// Whether `error` means the storage is full (the journal then says
    /// [`Error::StorageFull`]).
    fn is_full(error: &Self::Error) -> bool {
        let _ = error;
        false
    }
}

/// The journal in memory (tests, and kiosks configured without a store).
#[derive(Debug, Default, Clone)]
pub struct MemoryJournal {
    jobs: BTreeMap<JobId, PrintJob>,
}

impl MemoryJournal {
    /// An empty journal.
    pub fn new() -> MemoryJournal {
        MemoryJournal::default()
    }

    /// Every job, oldest first.
    pub fn all(&self) -> Vec<PrintJob> {
        self.jobs.values().cloned().collect()
    }
}

impl JournalStore for MemoryJournal {
    type Error = std::convert::Infallible;

    fn next_id(&mut self) -> Result<JobId, Self::Error> {
        Ok(self.jobs.keys().next_back().map_or(1, |id| id + 1))
    }

    fn insert(&mut self, job: &PrintJob) -> Result<(), Self::Error> {
        self.jobs.insert(job.id, job.clone());
        Ok(())
    }

    fn update(&mut self, job: &PrintJob) -> Result<(), Self::Error> {
        self.jobs.insert(job.id, job.clone());
        Ok(())
    }

    fn get(&self, id: JobId) -> Result<Option<PrintJob>, Self::Error> {
        Ok(self.jobs.get(&id).cloned())
    }

    fn unfinished(&self) -> Result<Vec<PrintJob>, Self::Error> {
        Ok(self
            .jobs
            .values()
            .filter(|j| !j.state.is_final())
            .cloned()
            .collect())
    }
}

/// An event of a job's life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobEvent {
    /// The first (or a repeated) byte is about to be sent.
    Start,
    /// The printer took the whole job and reported no fault after it.
    Finished,
    /// The printer reported a fault, or the link broke.
    Interrupted(FailCause),
    /// The printer reports ready again (from `Pending`).
    PrinterReady,
    /// The kiosk restarted and found the job unfinished.
    Restarted,
    /// Someone confirmed printing a job found after restart.
    Confirm,
    /// Someone declined printing a job found after restart.
    Decline,
    /// Give up with a cause.
    GiveUp(FailCause),
}

impl JobEvent {
    fn name(self) -> &'static str {
        match self {
            JobEvent::Start => "start",
            JobEvent::Finished => "finished",
            JobEvent::Interrupted(_) => "interrupted",
            JobEvent::PrinterReady => "printer_ready",
            JobEvent::Restarted => "restarted",
            JobEvent::Confirm => "confirm",
            JobEvent::Decline => "decline",
            JobEvent::GiveUp(_) => "give_up",
        }
    }
}

/// The transition function: the next state, or `None` when `event` is
/// not allowed in `state`.
pub fn next_state(state: JobState, event: JobEvent, attempts: u32) -> Option<JobState> {
    use JobEvent as E;
    use JobState as S;
    match (state, event) {
        (S::Queued, E::Start) => Some(S::Sending {
            attempt: attempts + 1,
        }),
        (S::Sending { .. }, E::Finished) => Some(S::Done),
        (S::Sending { .. } | S::Queued, E::Interrupted(cause)) => Some(S::Pending { cause }),
        (S::Pending { .. }, E::Interrupted(cause)) => Some(S::Pending { cause }),
        (S::Pending { .. }, E::PrinterReady) => Some(S::Queued),
        (S::Queued | S::Sending { .. } | S::Pending { .. }, E::Restarted) => {
            Some(S::AwaitingConfirmation)
        }
        (S::AwaitingConfirmation, E::Restarted) => Some(S::AwaitingConfirmation),
        (S::AwaitingConfirmation, E::Confirm) => Some(S::Queued),
        (S::AwaitingConfirmation, E::Decline) => Some(S::Failed {
            cause: FailCause::Declined,
        }),
        (
            S::Queued | S::Sending { .. } | S::Pending { .. } | S::AwaitingConfirmation,
            E::GiveUp(cause),
        ) => Some(S::Failed { cause }),
        _ => None,
    }
}

/// The journal: the state machine over a store.
#[derive(Debug)]
pub struct PrintJournal<S: JournalStore> {
    store: S,
}

fn store_err<S: JournalStore>(e: S::Error) -> Error {
    if S::is_full(&e) {
        Error::StorageFull
    } else {
        Error::PrintJournal(e.to_string())
    }
}

impl<S: JournalStore> PrintJournal<S> {
    /// A journal over `store`.
    pub fn new(store: S) -> PrintJournal<S> {
        PrintJournal { store }
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// Writes a new job (state `Queued`) before anything is sent.
    pub fn enqueue(
        &mut self,
        kind: DocumentKind,
        payload: Vec<u8>,
        now: NaiveDateTime,
    ) -> Result<JobId, Error> {
        let id = self.store.next_id().map_err(store_err::<S>)?;
        let job = PrintJob {
            id,
            kind,
            payload,
            state: JobState::Queued,
            attempts: 0,
            created_at: now,
            updated_at: now,
        };
        self.store.insert(&job).map_err(store_err::<S>)?;
        Ok(id)
    }

    /// One job.
    pub fn job(&self, id: JobId) -> Result<PrintJob, Error> {
        self.store
            .get(id)
            .map_err(store_err::<S>)?
            .ok_or_else(|| Error::PrintJournal(format!("no print job {id}")))
    }

    /// Applies `event` to job `id` and stores the new state; returns the job.
    pub fn apply(
        &mut self,
        id: JobId,
        event: JobEvent,
        now: NaiveDateTime,
    ) -> Result<PrintJob, Error> {
        let mut job = self.job(id)?;
        let next = next_state(job.state, event, job.attempts).ok_or(Error::PrintJobTransition {
            job: id,
            state: job.state.name(),
            event: event.name(),
        })?;
        if let JobState::Sending { attempt } = next {
            job.attempts = attempt;
        }
        job.state = next;
        job.updated_at = now;
        self.store.update(&job).map_err(store_err::<S>)?;
        Ok(job)
    }

    /// At start-up: every unfinished job becomes `AwaitingConfirmation` and
    /// is returned, to be offered again (never reprinted silently, never
    /// dropped silently).
    pub fn recover(&mut self, now: NaiveDateTime) -> Result<Vec<PrintJob>, Error> {
        let unfinished = self.store.unfinished().map_err(store_err::<S>)?;
        let mut offered = Vec::with_capacity(unfinished.len());
        for job in unfinished {
            offered.push(self.apply(job.id, JobEvent::Restarted, now)?);
        }
        Ok(offered)
    }

    /// Jobs waiting for the printer (`Pending`), oldest first.
    pub fn pending(&self) -> Result<Vec<PrintJob>, Error> {
        Ok(self
            .store
            .unfinished()
            .map_err(store_err::<S>)?
            .into_iter()
            .filter(|j| matches!(j.state, JobState::Pending { .. }))
            .collect())
    }

    /// Confirms reprinting a job offered after restart (back to `Queued`).
    pub fn confirm(&mut self, id: JobId, now: NaiveDateTime) -> Result<PrintJob, Error> {
        self.apply(id, JobEvent::Confirm, now)
    }

    /// Declines reprinting a job offered after restart (`Failed{Declined}`).
    pub fn decline(&mut self, id: JobId, now: NaiveDateTime) -> Result<PrintJob, Error> {
        self.apply(id, JobEvent::Decline, now)
    }
}

/// A journal over a borrowed store (e.g. to "restart" over the same store
/// in tests).
impl<S: JournalStore> JournalStore for &mut S {
    type Error = S::Error;
    fn next_id(&mut self) -> Result<JobId, Self::Error> {
        (**self).next_id()
    }
    fn insert(&mut self, job: &PrintJob) -> Result<(), Self::Error> {
        (**self).insert(job)
    }
    fn update(&mut self, job: &PrintJob) -> Result<(), Self::Error> {
        (**self).update(job)
    }
    fn get(&self, id: JobId) -> Result<Option<PrintJob>, Self::Error> {
        (**self).get(id)
    }
    fn unfinished(&self) -> Result<Vec<PrintJob>, Self::Error> {
        (**self).unfinished()
    }
    fn is_full(error: &Self::Error) -> bool {
        S::is_full(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(minute: u32) -> NaiveDateTime {
        chrono::NaiveDate::from_ymd_opt(2026, 11, 22)
            .and_then(|d| d.and_hms_opt(9, minute, 0))
            .unwrap_or_default()
    }

    #[test]
    fn happy_path_is_queued_sending_done() {
        let mut j = PrintJournal::new(MemoryJournal::new());
        let id = j
            .enqueue(DocumentKind::BusinessSlip, vec![1, 2, 3], t(0))
            .unwrap();
        assert_eq!(j.job(id).unwrap().state, JobState::Queued);
        let job = j.apply(id, JobEvent::Start, t(1)).unwrap();
        assert_eq!(job.state, JobState::Sending { attempt: 1 });
        let job = j.apply(id, JobEvent::Finished, t(2)).unwrap();
        assert_eq!(job.state, JobState::Done);
        assert!(j.store().unfinished().unwrap().is_empty());
    }

    #[test]
    fn paper_out_keeps_the_job_pending_and_reprints_whole() {
        let mut j = PrintJournal::new(MemoryJournal::new());
        let id = j
            .enqueue(DocumentKind::CertificateTransfer, vec![9; 10], t(0))
            .unwrap();
        j.apply(id, JobEvent::Start, t(1)).unwrap();
        let job = j
            .apply(id, JobEvent::Interrupted(FailCause::PaperOut), t(2))
            .unwrap();
        assert_eq!(
            job.state,
            JobState::Pending {
                cause: FailCause::PaperOut
            }
        );
        assert_eq!(j.pending().unwrap().len(), 1);
        // Still out of paper: stays pending.
        assert!(j.apply(id, JobEvent::Start, t(3)).is_err());
        j.apply(id, JobEvent::PrinterReady, t(4)).unwrap();
        let job = j.apply(id, JobEvent::Start, t(5)).unwrap();
        assert_eq!(job.state, JobState::Sending { attempt: 2 });
        assert_eq!(job.payload, vec![9; 10], "the whole document again");
        assert_eq!(
            j.apply(id, JobEvent::Finished, t(6)).unwrap().state,
            JobState::Done
        );
    }

    #[test]
    fn restart_offers_unfinished_jobs_and_never_reprints_silently() {
        let mut store = MemoryJournal::new();
        {
            let mut j = PrintJournal::new(&mut store);
            let a = j
                .enqueue(DocumentKind::BusinessSlip, vec![1], t(0))
                .unwrap();
            let b = j
                .enqueue(DocumentKind::FilingReceipt, vec![2], t(0))
                .unwrap();
            let c = j.enqueue(DocumentKind::TestPage, vec![3], t(0)).unwrap();
            j.apply(a, JobEvent::Start, t(1)).unwrap(); // power cut while sending
            j.apply(c, JobEvent::Start, t(1)).unwrap();
            j.apply(c, JobEvent::Finished, t(1)).unwrap();
            let _ = b; // queued, never started
        }
        // "Restart": a new journal over the same store.
        let mut j = PrintJournal::new(&mut store);
        let offered = j.recover(t(10)).unwrap();
        assert_eq!(offered.iter().map(|o| o.id).collect::<Vec<_>>(), vec![1, 2]);
        assert!(
            offered
                .iter()
                .all(|o| o.state == JobState::AwaitingConfirmation)
        );
        // Not printable without confirmation.
        assert!(j.apply(1, JobEvent::Start, t(11)).is_err());
        j.confirm(1, t(12)).unwrap();
        assert_eq!(
            j.apply(1, JobEvent::Start, t(13)).unwrap().state,
            JobState::Sending { attempt: 2 }
        );
        let declined = j.decline(2, t(14)).unwrap();
        assert_eq!(
            declined.state,
            JobState::Failed {
                cause: FailCause::Declined
            }
        );
        // A second restart offers only the one still unfinished.
        assert_eq!(j.recover(t(20)).unwrap().len(), 1);
    }

    #[test]
    fn states_round_trip_through_a_four_state_row() {
        let states = [
            JobState::Queued,
            JobState::Sending { attempt: 3 },
            JobState::Done,
            JobState::Pending {
                cause: FailCause::CoverOpen,
            },
            JobState::AwaitingConfirmation,
            JobState::Failed {
                cause: FailCause::Declined,
            },
        ];
        for state in states {
            let (row, cause) = state.to_row();
            assert!(["queued", "sending", "done", "failed"].contains(&row));
            assert_eq!(JobState::from_row(row, cause, 3), Some(state));
            // Unfinished in the journal = unfinished in a four-state store.
            assert_eq!(state.is_final(), row == "done" || row == "failed");
        }
        assert_eq!(JobState::from_row("printing", None, 1), None);
    }

    #[test]
    fn done_is_final() {
        for event in [
            JobEvent::Start,
            JobEvent::Finished,
            JobEvent::PrinterReady,
            JobEvent::Restarted,
            JobEvent::Confirm,
            JobEvent::GiveUp(FailCause::Abandoned),
        ] {
            assert_eq!(next_state(JobState::Done, event, 1), None);
        }
    }

    #[test]
    fn codes_round_trip() {
        for c in [
            FailCause::PaperOut,
            FailCause::CoverOpen,
            FailCause::CutterError,
            FailCause::Offline,
            FailCause::LinkLost,
            FailCause::Unreachable,
            FailCause::Declined,
            FailCause::Abandoned,
        ] {
            assert_eq!(FailCause::from_code(c.code()), Some(c));
            assert!(!c.user_message().is_empty());
        }
        assert_eq!(
            DocumentKind::from_code("certificate_transfer"),
            Some(DocumentKind::CertificateTransfer)
        );
    }

    /// A store that is full: nothing fits.
    struct FullStore;

    impl JournalStore for FullStore {
        type Error = &'static str;
        fn next_id(&mut self) -> Result<JobId, Self::Error> {
            Ok(1)
        }
        fn insert(&mut self, _: &PrintJob) -> Result<(), Self::Error> {
            Err("database or disk is full")
        }
        fn update(&mut self, _: &PrintJob) -> Result<(), Self::Error> {
            Err("database or disk is full")
        }
        fn get(&self, _: JobId) -> Result<Option<PrintJob>, Self::Error> {
            Ok(None)
        }
        fn unfinished(&self) -> Result<Vec<PrintJob>, Self::Error> {
            Ok(Vec::new())
        }
        fn is_full(_: &Self::Error) -> bool {
            true
        }
    }

    #[test]
    fn a_full_store_is_storage_full_with_what_to_do() {
        let mut j = PrintJournal::new(FullStore);
        let e = j
            .enqueue(DocumentKind::BusinessSlip, vec![1, 2, 3], t(0))
            .unwrap_err();
        assert_eq!(e, Error::StorageFull);
        assert!(e.user_message().contains("存储空间不足"));
        assert!(e.user_message().contains("工作人员"));
        // Through a borrowed store too.
        let mut store = FullStore;
        let mut j = PrintJournal::new(&mut store);
        assert_eq!(
            j.enqueue(DocumentKind::BusinessSlip, vec![1], t(0)),
            Err(Error::StorageFull)
        );
    }
}

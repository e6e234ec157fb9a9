//! The printer spooler: one thread owns the print journal (in the store)
//! and the printer. Every job is written to the journal before its first
//! byte is sent; a job interrupted by the printer (paper out, cover open,
//! cutter, offline, link lost) stays pending and is reprinted whole when
//! the printer reports ready, while the citizen waits; a job the citizen
//! walks away from is given up (never printed for nobody). Jobs found
//! unfinished at start (power cut, kill) are offered again, printed only
//! when someone confirms.

use std::time::Duration;

use chrono::NaiveDateTime;
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};

use kiosk_core::clock::Clock;
use kiosk_core::print_job::{
    DocumentKind, FailCause, JobEvent, JobId, JobState, JournalStore, PrintJob, PrintJournal,
};
use kiosk_core::session::Event;
use kiosk_core::tr;
use kiosk_drivers::printer::spool;
use kiosk_drivers::printer::{PrinterLink, PrinterState};

/// How often a pending job's printer is asked whether it is ready.
pub const RETRY_EVERY: Duration = Duration::from_secs(2);

/// What the spooler is asked to do.
#[derive(Debug)]
pub enum Request {
    /// Print a document of the session now.
    Print {
        /// What it is.
        kind: DocumentKind,
        /// Its ESC/POS bytes.
        payload: Vec<u8>,
    },
    /// The session ended: give up its pending job, if any.
    Abandon,
    /// Print (`true`) or drop (`false`) the jobs found unfinished at start.
    Resolve(bool),
    /// The kiosk is stopping (SIGTERM): a job still pending stays in the
    /// journal, interrupted, and is offered again at the next start; the
    /// spooler answers on the channel and ends.
    Shutdown(Sender<()>),
}

/// The spooler's settings.
pub struct Settings {
    /// Printer URI.
    pub uri: String,
    /// Connect and write timeout.
    pub timeout: Duration,
    /// Called when a job goes pending (the printer stopped): calls staff
    /// with the cause's code.
    pub call_staff: Box<dyn Fn(FailCause) + Send>,
    /// The printer's real-time status, asked while no job is in hand
    /// (every `status_every`), for the health board: the spooler owns the
    /// printer, so nothing else opens a second link to it mid-job.
    pub on_status: Box<dyn Fn(Result<PrinterState, kiosk_drivers::Error>) + Send>,
    /// How often an idle printer is asked for its status.
    pub status_every: Duration,
}

/// Recovers the journal (unfinished jobs become "awaiting confirmation")
/// and runs the spooler until every sender of `requests` is gone.
pub fn run<S: JournalStore + Send>(
    mut journal: PrintJournal<S>,
    settings: Settings,
    clock: std::sync::Arc<dyn Clock>,
    requests: Receiver<Request>,
    events: Sender<Event>,
) {
    let now = || clock.now();
    let recovered: Vec<PrintJob> = match journal.recover(now()) {
        Ok(jobs) => jobs,
        Err(e) => {
            tracing::error!("print journal recovery failed: {e}");
            Vec::new()
        }
    };
    let mut offered: Vec<JobId> = recovered.iter().map(|j| j.id).collect();
    tracing::info!(jobs = offered.len(), "print journal recovered");
    if !offered.is_empty() {
        tracing::warn!(jobs = offered.len(), "unfinished print jobs found at start");
        let labels = recovered
            .iter()
            .map(|j| kiosk_core::texts::tr_str(j.kind.label()).to_string())
            .collect();
        if events.send(Event::PrintsRecovered { labels }).is_err() {
            return;
        }
    }
    let mut current: Option<JobId> = None;
    status(&settings);
    loop {
        let wait = if current.is_some() {
            RETRY_EVERY
        } else {
            settings.status_every
        };
        let request = match requests.recv_timeout(wait) {
            Ok(r) => Some(r),
            Err(RecvTimeoutError::Timeout) if current.is_none() => {
                status(&settings);
                continue;
            }
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => return,
        };
        let event = match request {
            Some(Request::Print { kind, payload }) => {
                // A new document replaces a pending one nobody waits for.
                if let Some(id) = current.take() {
                    give_up(&mut journal, id, now());
                }
                match journal.enqueue(kind, payload, now()) {
                    Ok(id) => {
                        let (event, pending) = attempt(&mut journal, id, &settings, &now);
                        current = pending.then_some(id);
                        Some(event)
                    }
                    Err(e) => {
                        tracing::error!("print job not written to the journal: {e}");
                        Some(Event::PrintFailed {
                            message: match e {
                                kiosk_core::Error::StorageFull => e.user_message(),
                                _ => tr!("本机暂时无法打印，请到人工窗口打印。").into(),
                            },
                        })
                    }
                }
            }
            Some(Request::Shutdown(done)) => {
                if let Some(id) = current {
                    tracing::warn!(
                        job = id,
                        "shutdown: print job interrupted, offered again at the next start"
                    );
                }
                let _ = done.send(());
                return;
            }
            Some(Request::Abandon) => {
                if let Some(id) = current.take() {
                    give_up(&mut journal, id, now());
                }
                None
            }
            Some(Request::Resolve(print)) => {
                for id in std::mem::take(&mut offered) {
                    let result = if print {
                        journal.confirm(id, now()).map(|_| {
                            let (_, pending) = attempt(&mut journal, id, &settings, &now);
                            if pending {
                                tracing::warn!(job = id, "recovered job still pending");
                            }
                        })
                    } else {
                        journal.decline(id, now()).map(|_| ())
                    };
                    if let Err(e) = result {
                        tracing::error!(job = id, "recovered job: {e}");
                    }
                }
                Some(Event::PrintsResolved)
            }
            None => current.and_then(|id| {
                // Still pending: is the printer ready again?
                let Ok(mut link) = PrinterLink::open(&settings.uri, settings.timeout) else {
                    return None;
                };
                match spool::retry_when_ready(&mut journal, id, &mut link, now) {
                    Ok(job) if job.state == JobState::Done => {
                        tracing::info!(job = id, "pending job reprinted whole");
                        status(&settings);
                        current = None;
                        Some(Event::PrintFinished)
                    }
                    Ok(_) => None,
                    Err(e) => {
                        tracing::error!(job = id, "print journal: {e}");
                        current = None;
                        Some(Event::PrintFailed {
                            message: FailCause::LinkLost.user_message().to_string(),
                        })
                    }
                }
            }),
        };
        if let Some(event) = event
            && events.send(event).is_err()
        {
            return;
        }
    }
}

/// Asks the printer for its status and hands it to `on_status`.
fn status(settings: &Settings) {
    (settings.on_status)(
        PrinterLink::open(&settings.uri, Duration::from_secs(2)).and_then(|mut l| l.state()),
    )
}

/// Sends queued job `id` whole. Returns the session's event and whether
/// the job is now pending.
fn attempt<S: JournalStore>(
    journal: &mut PrintJournal<S>,
    id: JobId,
    settings: &Settings,
    now: &impl Fn() -> NaiveDateTime,
) -> (Event, bool) {
    let outcome = match PrinterLink::open(&settings.uri, settings.timeout) {
        Ok(mut link) => spool::print_job(journal, id, &mut link, now),
        Err(e) => {
            tracing::warn!("printer unreachable: {e}");
            journal
                .apply(id, JobEvent::Start, now())
                .and_then(|_| journal.apply(id, JobEvent::Interrupted(spool::cause_of(&e)), now()))
        }
    };
    match outcome {
        Ok(job) => match job.state {
            JobState::Done => {
                tracing::info!(job = id, bytes = job.payload.len(), "printed");
                // The paper may be low now.
                status(settings);
                (Event::PrintFinished, false)
            }
            JobState::Pending { cause } => {
                tracing::warn!(job = id, cause = cause.code(), "print job pending");
                (settings.call_staff)(cause);
                (
                    Event::PrintPending {
                        message: cause.user_message().to_string(),
                    },
                    true,
                )
            }
            other => {
                tracing::error!(job = id, state = other.name(), "unexpected job state");
                (
                    Event::PrintFailed {
                        message: FailCause::LinkLost.user_message().to_string(),
                    },
                    false,
                )
            }
        },
        Err(e) => {
            tracing::error!(job = id, "print journal: {e}");
            (
                Event::PrintFailed {
                    message: tr!("本机暂时无法打印，请到人工窗口打印。").into(),
                },
                false,
            )
        }
    }
}

fn give_up<S: JournalStore>(journal: &mut PrintJournal<S>, id: JobId, now: NaiveDateTime) {
    match journal.apply(id, JobEvent::GiveUp(FailCause::Abandoned), now) {
        Ok(_) => tracing::info!(job = id, "pending job given up: the citizen left"),
        Err(e) => tracing::warn!(job = id, "cannot give up job: {e}"),
    }
}

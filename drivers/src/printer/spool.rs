//! Runs print jobs of the journal ([`kiosk_core::print_job`]) on a
//! printer link: the state is written before the first byte goes out,
//! and the outcome (done, or pending with the printer's cause) after.

use chrono::NaiveDateTime;

use kiosk_core::print_job::{
    FailCause, JobEvent, JobId, JobState, JournalStore, PrintJob, PrintJournal,
};

use super::escpos::Job;
use super::link::PrinterLink;
use crate::error::Error;

/// The journal cause for a printing error.
pub fn cause_of(error: &Error) -> FailCause {
    match error {
        Error::PrinterNotReady(state) => state.fail_cause().unwrap_or(FailCause::Offline),
        Error::PrinterUnreachable(_) | Error::PrinterUri(_) | Error::SerialOpen { .. } => {
            FailCause::Unreachable
        }
        _ => FailCause::LinkLost,
    }
}

/// Prints journal job `id` (state `Queued`) whole on `link`. Returns the
/// job as stored afterwards: `Done`, or `Pending` with the cause (paper
/// out, cover open, cutter error, offline, link lost). Errors only when
/// the journal itself fails or the job is not `Queued`.
pub fn print_job<S: JournalStore>(
    journal: &mut PrintJournal<S>,
    id: JobId,
    link: &mut PrinterLink,
    now: impl Fn() -> NaiveDateTime,
) -> Result<PrintJob, kiosk_core::Error> {
    let job = journal.apply(id, JobEvent::Start, now())?;
    let bytes = Job::from_bytes(job.payload);
    match link.print(&bytes) {
        Ok(_) => journal.apply(id, JobEvent::Finished, now()),
        Err(e) => journal.apply(id, JobEvent::Interrupted(cause_of(&e)), now()),
    }
}

/// When job `id` is `Pending` and the printer reports ready, queues it
/// again and prints it whole. Returns the job as stored afterwards
/// (unchanged while the printer is still not ready).
pub fn retry_when_ready<S: JournalStore>(
    journal: &mut PrintJournal<S>,
    id: JobId,
    link: &mut PrinterLink,
    now: impl Fn() -> NaiveDateTime,
) -> Result<PrintJob, kiosk_core::Error> {
    let job = journal.job(id)?;
    if !matches!(job.state, JobState::Pending { .. }) {
        return Ok(job);
    }
    match link.state() {
        Ok(state) if state.can_print() => {
            journal.apply(id, JobEvent::PrinterReady, now())?;
            print_job(journal, id, link, now)
        }
        Ok(state) => journal.apply(
            id,
            JobEvent::Interrupted(state.fail_cause().unwrap_or(FailCause::Offline)),
            now(),
        ),
        Err(e) => journal.apply(id, JobEvent::Interrupted(cause_of(&e)), now()),
    }
}

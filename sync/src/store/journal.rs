//! The print journal of `kiosk-core` ([`kiosk_core::print_job`]) on the
//! store's `print_job` table: [`StoreJournal`] implements
//! [`JournalStore`], so every state change is durable (fsync'd) before the
//! printer sees the bytes it announces. Documents are sealed like outbox
//! payloads. The state is kept as a four-state row with a cause
//! ([`JobState::to_row`]); the id as text.

use std::sync::Arc;

use chrono::NaiveDateTime;

use kiosk_core::print_job::{DocumentKind, JobId, JobState, JournalStore, PrintJob};

use super::Store;
use crate::error::Error;

/// A print-job row with its document opened.
pub(crate) struct Row {
    pub(crate) job_id: String,
    pub(crate) kind: String,
    pub(crate) document: Vec<u8>,
    pub(crate) state: String,
    pub(crate) cause: Option<String>,
    pub(crate) attempts: u32,
    pub(crate) created_at: Option<NaiveDateTime>,
    pub(crate) updated_at: Option<NaiveDateTime>,
}

/// The print journal's store: the kiosk's SQLite store.
#[derive(Debug, Clone)]
pub struct StoreJournal {
    store: Arc<Store>,
}

impl StoreJournal {
    /// A journal on `store`.
    pub fn new(store: Arc<Store>) -> StoreJournal {
        StoreJournal { store }
    }

    fn job(row: Row) -> Result<PrintJob, Error> {
        let bad = || {
            Error::Store(format!(
                "print job {} has an unknown kind or state",
                row.job_id
            ))
        };
        let id: JobId = row.job_id.parse().map_err(|_| bad())?;
        let kind = DocumentKind::from_code(&row.kind).ok_or_else(bad)?;
        let state =
            JobState::from_row(&row.state, row.cause.as_deref(), row.attempts).ok_or_else(bad)?;
        let (Some(created_at), Some(updated_at)) = (row.created_at, row.updated_at) else {
            return Err(bad());
        };
        Ok(PrintJob {
            id,
            kind,
            payload: row.document,
            state,
            attempts: row.attempts,
            created_at,
            updated_at,
        })
    }
}

impl JournalStore for StoreJournal {
    type Error = Error;

    fn is_full(error: &Error) -> bool {
        matches!(error, Error::StoreFull(_))
    }

    fn next_id(&mut self) -> Result<JobId, Error> {
        Ok(self.store.print_max_id()? + 1)
    }

    fn insert(&mut self, job: &PrintJob) -> Result<(), Error> {
        self.store.print_put_row(job, true)
    }

    fn update(&mut self, job: &PrintJob) -> Result<(), Error> {
        self.store.print_put_row(job, false)
    }

    fn get(&self, id: JobId) -> Result<Option<PrintJob>, Error> {
        self.store
            .print_rows("job_id = ?1", &id.to_string())?
            .into_iter()
            .next()
            .map(StoreJournal::job)
            .transpose()
    }

    fn unfinished(&self) -> Result<Vec<PrintJob>, Error> {
        self.store
            .print_rows("state IN ('queued', 'sending') AND ?1 = ?1", "")?
            .into_iter()
            .map(StoreJournal::job)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::store::StoreKey;
    use chrono::NaiveDate;
    use kiosk_core::print_job::FailCause;

    fn at(s: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 11, 22)
            .unwrap()
            .and_hms_opt(9, 0, s)
            .unwrap()
    }

    #[test]
    fn journal_rows_round_trip_through_every_state_and_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.db");
        let key = StoreKey::from_bytes([6; 32]);
        let mut journal = StoreJournal::new(Arc::new(Store::open(&path, key.clone()).unwrap()));
        assert_eq!(journal.next_id().unwrap(), 1);
        let mut job = PrintJob {
            id: 1,
            kind: DocumentKind::CertificateSimple,
            payload: "参保凭证".as_bytes().to_vec(),
            state: JobState::Queued,
            attempts: 0,
            created_at: at(0),
            updated_at: at(0),
        };
        journal.insert(&job).unwrap();
        assert_eq!(journal.next_id().unwrap(), 2);
        for (i, state) in [
            JobState::Sending { attempt: 1 },
            JobState::Pending {
                cause: FailCause::PaperOut,
            },
            JobState::AwaitingConfirmation,
            JobState::Sending { attempt: 2 },
        ]
        .into_iter()
        .enumerate()
        {
            job.state = state;
            job.attempts = if matches!(state, JobState::Sending { attempt: 2 }) {
                2
            } else {
                1
            };
            job.updated_at = at(i as u32 + 1);
            journal.update(&job).unwrap();
            assert_eq!(journal.get(1).unwrap().unwrap(), job);
        }
        drop(journal);
        let mut journal = StoreJournal::new(Arc::new(Store::open(&path, key).unwrap()));
        let unfinished = journal.unfinished().unwrap();
        assert_eq!(unfinished, vec![job.clone()]);
        job.state = JobState::Done;
        journal.update(&job).unwrap();
        assert!(journal.unfinished().unwrap().is_empty());
        // Done: its document is erased (the paper has it).
        let done = journal.get(1).unwrap().unwrap();
        assert_eq!(done.state, JobState::Done);
        assert!(done.payload.is_empty());
        assert!(journal.get(9).unwrap().is_none());
        // Purged ids are not reused.
        journal.store.print_purge(at(59)).unwrap();
        assert!(journal.get(1).unwrap().is_none());
        assert_eq!(journal.next_id().unwrap(), 2);
        let missing = PrintJob { id: 7, ..job };
        assert!(journal.update(&missing).is_err());
    }
}

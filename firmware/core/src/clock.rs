//! Time comes in through this trait, never from the system directly, so
//! that every rule that depends on the date can be tested deterministically.

use chrono::{NaiveDate, NaiveDateTime};

/// Local wall-clock time (the service hall's time zone).
pub trait Clock: Send + Sync {
    /// The current local date and time.
    fn now(&self) -> NaiveDateTime;

    /// Today's date.
    fn today(&self) -> NaiveDate {
        self.now().date()
    }
}

/// A clock that always answers the same instant: for tests and for replaying
/// a recorded session.
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub NaiveDateTime);

impl Clock for FixedClock {
    fn now(&self) -> NaiveDateTime {
        self.0
    }
}

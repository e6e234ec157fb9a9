//! The system clock, for production wiring. Tests pass a
//! [`kiosk_core::clock::FixedClock`] instead.

use chrono::NaiveDateTime;
use kiosk_core::clock::Clock;

/// Local wall-clock time of the machine.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> NaiveDateTime {
        chrono::Local::now().naive_local()
    }
}

//! What the console's tests share: two halls, terminal ids, and a clock
//! the test moves.

#![allow(dead_code, clippy::unwrap_used)]

use std::sync::Mutex;

use chrono::{NaiveDate, NaiveDateTime};
use kiosk_core::clock::Clock;

pub const HALL_A: &str = "长春市医疗保障服务大厅";
pub const HALL_B: &str = "吉林市医疗保障服务大厅";

/// Terminal `i`: even ones stand in hall A, odd ones in hall B.
pub fn terminal(i: usize) -> String {
    format!("K22{:02}-A{:03}", i % 2, i)
}

/// The hall of terminal `i`.
pub fn hall_of(i: usize) -> &'static str {
    if i.is_multiple_of(2) { HALL_A } else { HALL_B }
}

/// The centre's clock, 2026-12-07 10:00 until the test moves it.
pub struct TestClock(Mutex<NaiveDateTime>);

impl TestClock {
    pub fn new() -> TestClock {
        TestClock(Mutex::new(
            NaiveDate::from_ymd_opt(2026, 12, 7)
                .unwrap()
                .and_hms_opt(10, 0, 0)
                .unwrap(),
        ))
    }

    pub fn advance(&self, by: chrono::Duration) {
        *self.0.lock().unwrap() += by;
    }
}

impl Clock for TestClock {
    fn now(&self) -> NaiveDateTime {
        *self.0.lock().unwrap()
    }
}

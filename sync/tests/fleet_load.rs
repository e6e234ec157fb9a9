//! The fleet load run, short (issue 17, part 5): five kiosks, twenty
//! records each (filings, ratings, health reports) through the real
//! outbox and sync engine, the reference centre stopped in the middle and
//! started again on the same port and database. Every record must be at
//! the centre exactly once, counted by msgid in the centre's own tables.
//! Speed is printed, never asserted (`benches/fleet_load.rs` measures it
//! with 50 kiosks). No sleeps wait for anything: the stop comes when the
//! first half is answered (the watcher's count), the restart when every
//! engine has failed against the closed port twice (its cycle signal).

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/fleet.rs"]
mod fleet;

use std::time::Duration;

use fleet::{ClientOptionsSpec, FleetConfig, Outage};
use kiosk_sync::outbox::EngineConfig;

#[test]
fn five_kiosks_and_a_centre_restart_deliver_every_record_exactly_once() {
    let (kiosks, per_kiosk) = (5, 20);
    let report = fleet::run(&FleetConfig {
        kiosks,
        records_per_kiosk: per_kiosk,
        rate_per_kiosk: 0.0,
        // Half before the stop; the rest is written while the centre is
        // down, so it crosses the restart.
        gate_after: Some(per_kiosk / 2),
        stop_when_delivered: kiosks * per_kiosk / 2,
        outage: Outage::UntilSeen,
        engine: EngineConfig {
            retry_interval: Duration::from_millis(20),
            ..EngineConfig::default()
        },
        client: ClientOptionsSpec {
            failure_threshold: 3,
            cool_down: Duration::from_millis(50),
            max_attempts: 1,
            timeout: Duration::from_secs(5),
        },
        centre_workers: 2,
        // Three answers just before the stop are lost once the centre has
        // applied them: resent after the restart, answered from the record
        // the centre kept in its database, not applied again.
        lose_answers_before_stop: 3,
        watch_every: Duration::from_millis(2),
        deadline: Duration::from_secs(120),
        dir: None,
    });
    fleet::print(&report);
    assert_eq!(report.submitted, kiosks * per_kiosk);
    assert_eq!(report.in_outboxes, kiosks * per_kiosk);
    assert_eq!(report.pending_left, 0);
    assert_eq!(report.lost, 0, "{report:?}");
    assert_eq!(report.doubled, 0, "{report:?}");
    assert_eq!(report.unknown, 0, "{report:?}");
    assert_eq!(report.at_centre, kiosks * per_kiosk);
    assert_eq!(report.rejected, 0, "{report:?}");
    assert!(
        report.backlog_at_restart > 0,
        "the restart came after the drain"
    );
    assert!(report.answered_after_restart > 0);
    assert!(report.repeats_answered >= 3, "{report:?}");
    for (kind, n, at_centre) in &report.kinds {
        assert_eq!(n, at_centre, "{kind}");
    }
}

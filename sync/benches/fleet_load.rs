//! `cargo bench -p kiosk-sync --bench fleet_load` (issue 17, part 5): one
//! reference centre (database file in a temporary directory) and 50
//! simulated kiosks, each with its own store and terminal id, submitting
//! 200 records each (two filings, two health reports, six ratings in
//! ten) through the real outbox while their sync engines drain them
//! concurrently through the real client. When half the records are
//! answered the centre is stopped, kept down, and started again on the
//! same port and database. Then the centre's tables are counted by msgid
//! against the outboxes (lost, doubled) and the figures printed: drain
//! rate, latency commit → answer stored (p50/p99), recovery after the
//! restart. The kiosks run with the kiosk's own client and engine
//! settings (breaker 5 failures / 30 s, retry after 5 s) unless told.
//!
//! Environment: `FLEET_KIOSKS` (50), `FLEET_RECORDS` (200 per kiosk),
//! `FLEET_RATE` (records/s per kiosk, 10; 0 = as fast as the store
//! commits), `FLEET_OUTAGE_MS` (2000), `FLEET_COOL_DOWN_MS` (breaker,
//! 30000), `FLEET_RETRY_MS` (engine retry, 5000), `FLEET_LOSE` (answers
//! lost after commit just before the stop, 0), `FLEET_DIR` (where the
//! databases go). Exits non-zero when a record is lost or doubled.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/support/fleet.rs"]
mod fleet;

use std::time::Duration;

use fleet::{ClientOptionsSpec, FleetConfig, Outage};
use kiosk_sync::outbox::EngineConfig;

fn env<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let kiosks: usize = env("FLEET_KIOSKS", 50);
    let per_kiosk: usize = env("FLEET_RECORDS", 200);
    let rate: f64 = env("FLEET_RATE", 10.0);
    let outage: u64 = env("FLEET_OUTAGE_MS", 2000);
    let production = ClientOptionsSpec::production();
    let cool_down: u64 = env(
        "FLEET_COOL_DOWN_MS",
        production.cool_down.as_millis() as u64,
    );
    let engine = EngineConfig::default();
    let retry: u64 = env("FLEET_RETRY_MS", engine.retry_interval.as_millis() as u64);
    let config = FleetConfig {
        kiosks,
        records_per_kiosk: per_kiosk,
        rate_per_kiosk: rate,
        gate_after: None,
        stop_when_delivered: kiosks * per_kiosk / 2,
        outage: Outage::For(Duration::from_millis(outage)),
        engine: EngineConfig {
            retry_interval: Duration::from_millis(retry),
            ..engine
        },
        client: ClientOptionsSpec {
            cool_down: Duration::from_millis(cool_down),
            ..production
        },
        centre_workers: 2,
        lose_answers_before_stop: env("FLEET_LOSE", 0),
        watch_every: Duration::from_millis(2),
        deadline: Duration::from_secs(600),
        dir: std::env::var_os("FLEET_DIR").map(Into::into),
    };
    println!(
        "fleet load: {kiosks} kiosks × {per_kiosk} records, {rate} records/s per kiosk (0: unpaced), centre down {outage} ms in the middle; breaker cool-down {cool_down} ms, engine retry {retry} ms"
    );
    let report = fleet::run(&config);
    fleet::print(&report);
    if report.lost > 0 || report.doubled > 0 || report.unknown > 0 || report.pending_left > 0 {
        eprintln!("fleet load: FAILED: records lost or doubled");
        std::process::exit(1);
    }
}

//! The outbox and the sync engine against the reference centre on
//! loopback: partitions, a centre restart, lost answers, stale sign
//! numbers, rejections visible by tracking number, reference data and
//! audit upload. Waiting is on the engine's cycle signal, never on sleeps.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeSet, HashMap};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use kiosk_central::{Central, CentralOptions, CentralServer};
use kiosk_core::clock::FixedClock;
use kiosk_sync::client::{BreakerPolicy, ClientOptions, RetryPolicy};
use kiosk_sync::outbox::{EngineConfig, SyncEngineHandle};
use kiosk_sync::store::{Dataset, SubmissionState};
use kiosk_sync::wire::{FilingSubmitInput, RatingInput};
use kiosk_sync::{CentralClient, Outbox, Store, StoreKey, SyncEngine};

const WAIT: Duration = Duration::from_secs(30);

fn clock() -> Arc<FixedClock> {
    Arc::new(FixedClock(
        NaiveDate::from_ymd_opt(2026, 11, 22)
            .unwrap()
            .and_hms_opt(9, 30, 0)
            .unwrap(),
    ))
}

fn centre(db: &Path, addr: &str) -> CentralServer {
    let c = Central::open_seeded(
        None,
        clock(),
        CentralOptions {
            db: Some(db.to_path_buf()),
            ..CentralOptions::default()
        },
    )
    .unwrap();
    CentralServer::start(addr.parse::<SocketAddr>().unwrap(), Arc::new(c)).unwrap()
}

struct Kiosk {
    outbox: Arc<Outbox>,
    engine: SyncEngineHandle,
}

fn kiosk(dir: &Path, url: &str, datasets: Vec<Dataset>) -> Kiosk {
    let store =
        Arc::new(Store::open(&dir.join("kiosk.db"), StoreKey::from_bytes([3; 32])).unwrap());
    let client = Arc::new(
        CentralClient::with_options(
            kiosk_central::test_terminal(url, Duration::from_secs(2)),
            clock(),
            ClientOptions {
                retry: RetryPolicy {
                    max_attempts: 1,
                    ..RetryPolicy::default()
                },
                breaker: BreakerPolicy {
                    failure_threshold: 3,
                    cool_down: Duration::from_millis(30),
                },
                ..ClientOptions::default()
            },
        )
        .unwrap(),
    );
    let outbox = Arc::new(Outbox::new(store, clock(), "K220100001"));
    let engine = Arc::new(SyncEngine::new(
        outbox.clone(),
        client,
        EngineConfig {
            retry_interval: Duration::from_millis(20),
            datasets,
            ..EngineConfig::default()
        },
    ))
    .start()
    .unwrap();
    Kiosk { outbox, engine }
}

fn rating(id: &str) -> RatingInput {
    RatingInput {
        rating_id: id.into(),
        service: "enrollment_query".into(),
        score: 4,
        tags: vec!["快捷".into()],
        comment: String::new(),
        rated_at: "2026-11-22 09:30:00".into(),
    }
}

fn filing(dest: &str, kind: &str, end: &str) -> FilingSubmitInput {
    FilingSubmitInput {
        psn_no: "22020000000002".into(),
        certno: "220203198508232046".into(),
        psn_name: "李秀兰".into(),
        tel: "13800000000".into(),
        filing_type: kind.into(),
        insuplc_admdvs: "220200".into(),
        mdtrtarea_admdvs: dest.into(),
        begndate: "2026-12-01".into(),
        enddate: end.into(),
        fixmedins_code: String::new(),
        commitment: true,
        tel2: String::new(),
        mdtrt_addr: String::new(),
        fixmedins_codes: Vec::new(),
        agnter: String::new(),
        agnt_authz: String::new(),
        letter: None,
    }
}

/// msgid → count at the centre, over every command table.
fn centre_msgids(server: &CentralServer, table: &str) -> HashMap<String, i64> {
    server
        .central()
        .query_db(|db| {
            let mut stmt = db.prepare(&format!(
                "SELECT msgid, COUNT(*) FROM {table} WHERE msgid IS NOT NULL GROUP BY msgid"
            ))?;
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect()
        })
        .unwrap()
}

fn kiosk_msgids(dir: &Path) -> BTreeSet<String> {
    let conn = rusqlite::Connection::open(dir.join("kiosk.db")).unwrap();
    let mut stmt = conn.prepare("SELECT msgid FROM outbox").unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn a_partition_ends_with_every_submission_delivered_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = centre(&dir.path().join("central.db"), "127.0.0.1:0");
    server.central().faults().set_unreachable(true);
    let k = kiosk(dir.path(), &server.url(), Vec::new());
    let mut receipts = Vec::new();
    for i in 0..30 {
        receipts.push(k.outbox.submit_rating(&rating(&format!("R{i}"))).unwrap());
    }
    let filing_receipt = k.outbox.submit_filing(&filing("460100", "2", "")).unwrap();
    // The receipt exists at once; nothing goes through while partitioned.
    assert!(k.engine.wait_for_cycles(k.engine.cycles() + 3, WAIT));
    let status = k.engine.status().unwrap();
    assert_eq!(status.outbox.pending, 31);
    assert!(status.outbox.oldest_pending_at.is_some());
    assert!(status.last_error.is_some());
    let pending = k
        .outbox
        .status(&filing_receipt.tracking_no)
        .unwrap()
        .unwrap();
    assert_eq!(pending.state, SubmissionState::Pending);
    assert!(pending.attempts >= 1);
    // Back, but the first answers are lost after the centre applied them.
    server.central().faults().set_unreachable(false);
    server.central().faults().drop_after_commit_next(4);
    k.engine.sync_now();
    assert!(k.engine.wait_until_drained(WAIT));
    // The four lost answers were resent and answered from the record.
    assert!(server.central().repeats_answered() >= 4);
    let ratings = centre_msgids(&server, "rating");
    assert_eq!(ratings.len(), 30);
    assert!(ratings.values().all(|n| *n == 1), "{ratings:?}");
    let filings = centre_msgids(&server, "filing");
    assert_eq!(filings.get(&filing_receipt.msgid), Some(&1));
    let mut at_centre: BTreeSet<String> = ratings.into_keys().collect();
    at_centre.insert(filing_receipt.msgid.clone());
    assert_eq!(at_centre, kiosk_msgids(dir.path()));
    let done = k
        .outbox
        .status(&filing_receipt.tracking_no)
        .unwrap()
        .unwrap();
    assert_eq!(done.state, SubmissionState::Accepted);
    assert!(done.reference.unwrap().starts_with("BA20261122"));
    let status = k.engine.status().unwrap();
    assert_eq!(status.outbox.accepted, 31);
    assert!(status.last_contact_at.is_some());
    let text = status.to_string();
    assert!(
        text.starts_with("outbox: 0 pending, 31 accepted, 0 rejected"),
        "{text}"
    );
    assert!(text.contains("last contact: 2026-11-22 09:30:00"), "{text}");
    assert!(!text.contains("李秀兰") && !text.contains("2202031985"));
    k.engine.stop();
}

#[test]
fn submissions_made_while_the_centre_is_down_arrive_after_its_restart() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("central.db");
    let server = centre(&db, "127.0.0.1:0");
    let addr = server.addr().to_string();
    let url = server.url();
    let k = kiosk(dir.path(), &url, Vec::new());
    k.outbox.submit_rating(&rating("before")).unwrap();
    assert!(k.engine.wait_until_drained(WAIT));
    server.stop();
    for i in 0..10 {
        k.outbox
            .submit_rating(&rating(&format!("down{i}")))
            .unwrap();
    }
    assert!(k.engine.wait_for_cycles(k.engine.cycles() + 2, WAIT));
    assert_eq!(k.engine.status().unwrap().outbox.pending, 10);
    // The same address and database: a restart of the centre (its sign
    // numbers are gone; the kiosk signs in again by itself).
    let server = centre(&db, &addr);
    k.engine.sync_now();
    assert!(k.engine.wait_until_drained(WAIT));
    let ratings = centre_msgids(&server, "rating");
    assert_eq!(ratings.len(), 11);
    assert!(ratings.values().all(|n| *n == 1));
    k.engine.stop();
}

#[test]
fn a_stale_sign_number_is_renewed_without_losing_anything() {
    let dir = tempfile::tempdir().unwrap();
    let server = centre(&dir.path().join("central.db"), "127.0.0.1:0");
    let k = kiosk(dir.path(), &server.url(), Vec::new());
    k.outbox.submit_rating(&rating("a")).unwrap();
    assert!(k.engine.wait_until_drained(WAIT));
    server.central().revoke_sign_numbers();
    let r = k.outbox.submit_rating(&rating("b")).unwrap();
    assert!(k.engine.wait_until_drained(WAIT));
    let status = k.outbox.status(&r.tracking_no).unwrap().unwrap();
    assert_eq!(status.state, SubmissionState::Accepted);
    assert_eq!(centre_msgids(&server, "rating").len(), 2);
    k.engine.stop();
}

#[test]
fn a_rejection_is_visible_by_tracking_number_and_the_payload_is_erased() {
    let dir = tempfile::tempdir().unwrap();
    let server = centre(&dir.path().join("central.db"), "127.0.0.1:0");
    let k = kiosk(dir.path(), &server.url(), Vec::new());
    // Area of care equal to the insured area: refused by the rules.
    let r = k.outbox.submit_filing(&filing("220200", "2", "")).unwrap();
    assert!(k.engine.wait_until_drained(WAIT));
    let status = k.outbox.status(&r.tracking_no).unwrap().unwrap();
    assert_eq!(status.state, SubmissionState::Rejected);
    assert!(status.reason.clone().unwrap().contains("相同"));
    // The filing status query finds it by person, without the person
    // number stored in clear.
    let of_person = k.outbox.submissions_of("22020000000002").unwrap();
    assert_eq!(of_person, vec![status]);
    assert!(
        k.outbox
            .submissions_of("22010000000001")
            .unwrap()
            .is_empty()
    );
    let conn = rusqlite::Connection::open(dir.path().join("kiosk.db")).unwrap();
    let in_clear: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM outbox WHERE CAST(subject AS TEXT) LIKE '%2202%'",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(in_clear, 0);
    let sealed: Option<Vec<u8>> = conn
        .query_row(
            "SELECT sealed FROM outbox WHERE tracking_no = ?1",
            [&r.tracking_no],
            |row| row.get(0),
        )
        .unwrap();
    assert!(sealed.is_none());
    k.engine.stop();
}

#[test]
fn reference_data_is_pulled_on_start_and_incrementally_on_demand() {
    let dir = tempfile::tempdir().unwrap();
    let server = centre(&dir.path().join("central.db"), "127.0.0.1:0");
    let k = kiosk(dir.path(), &server.url(), Dataset::ALL.to_vec());
    let store = k.outbox.store().clone();
    assert!(k.engine.wait_for_cycles(1, WAIT));
    let status = k.engine.status().unwrap();
    assert_eq!(status.datasets.len(), Dataset::ALL.len());
    assert_eq!(
        store
            .reference_items(Dataset::Institutions, Some("460100"))
            .unwrap()
            .len(),
        // Haikou's institutions in the demo data, the generated sample
        // included.
        kiosk_central::DemoData::builtin()
            .unwrap()
            .institutions
            .iter()
            .filter(|i| i.area == "460100")
            .count()
    );
    assert_eq!(
        store
            .reference_items(Dataset::InsuranceTypes, None)
            .unwrap()
            .len(),
        7
    );
    let before = store.dataset_version(Dataset::Institutions).unwrap();
    server
        .central()
        .publish_reference(
            "institutions",
            "H46010000009",
            "460100",
            &serde_json::json!({"name": "新医院"}),
        )
        .unwrap();
    server
        .central()
        .retract_reference("institutions", "H46010000001")
        .unwrap();
    let cycles = k.engine.cycles();
    k.engine.sync_now();
    assert!(k.engine.wait_for_cycles(cycles + 1, WAIT));
    let keys: Vec<String> = store
        .reference_items(Dataset::Institutions, Some("460100"))
        .unwrap()
        .into_iter()
        .map(|i| i.key)
        .collect();
    // Haikou's institutions less the retracted one, plus the new one.
    let mut expected: Vec<String> = kiosk_central::DemoData::builtin()
        .unwrap()
        .institutions
        .into_iter()
        .filter(|i| i.area == "460100" && i.code != "H46010000001")
        .map(|i| i.code)
        .chain(["H46010000009".to_string()])
        .collect();
    expected.sort();
    assert_eq!(keys, expected);
    assert_ne!(
        store.dataset_version(Dataset::Institutions).unwrap(),
        before
    );
    k.engine.stop();
}

#[test]
fn audit_entries_and_health_reports_go_through_the_outbox() {
    let dir = tempfile::tempdir().unwrap();
    let server = centre(&dir.path().join("central.db"), "127.0.0.1:0");
    let k = kiosk(dir.path(), &server.url(), Vec::new());
    let store = k.outbox.store().clone();
    let now = clock().0;
    for e in ["session.start", "print.done", "session.end"] {
        store.audit(e, "", now).unwrap();
    }
    k.outbox
        .submit_health(&kiosk_sync::wire::HealthReportInput {
            terminal_id: "K220100001".into(),
            reported_at: "2026-11-22 09:30:00".into(),
            uptime_s: 60,
            app_version: "0.1.0".into(),
            outbox_pending: 0,
            devices: vec![],
            ..Default::default()
        })
        .unwrap();
    // Audit entries move into the outbox at the start of a cycle: two
    // cycles after the writes, one has surely started after them.
    let cycles = k.engine.cycles();
    k.engine.sync_now();
    assert!(k.engine.wait_for_cycles(cycles + 1, WAIT));
    k.engine.sync_now();
    assert!(k.engine.wait_for_cycles(cycles + 2, WAIT));
    assert!(k.engine.wait_until_drained(WAIT));
    let entries: i64 = server
        .central()
        .query_db(|db| db.query_row("SELECT COUNT(*) FROM audit_entry", [], |r| r.get(0)))
        .unwrap();
    assert_eq!(entries, 3);
    assert_eq!(centre_msgids(&server, "health_report").len(), 1);
    k.engine.stop();
}

#[test]
fn unusable_records_are_set_aside_instead_of_blocking_the_queue() {
    let dir = tempfile::tempdir().unwrap();
    let server = centre(&dir.path().join("central.db"), "127.0.0.1:0");
    let path = dir.path().join("kiosk.db");
    let now = clock().0;
    let (garbled, foreign) = {
        let store = Store::open(&path, StoreKey::from_bytes([3; 32])).unwrap();
        let garbled = store
            .outbox_enqueue("rating", "KS21", b"not json", "K220100001", now)
            .unwrap();
        drop(store);
        // A record sealed under another key (a replaced key file).
        let other = Store::open(&path, StoreKey::from_bytes([4; 32])).unwrap();
        let foreign = other
            .outbox_enqueue("rating", "KS21", b"{}", "K220100001", now)
            .unwrap();
        (garbled, foreign)
    };
    let k = kiosk(dir.path(), &server.url(), Vec::new());
    let good = k.outbox.submit_rating(&rating("fine")).unwrap();
    assert!(k.engine.wait_until_drained(WAIT));
    let store = k.outbox.store();
    for e in [&garbled, &foreign] {
        let s = store.outbox_status(&e.tracking_no).unwrap().unwrap();
        assert_eq!(s.state, SubmissionState::Rejected);
        assert!(s.reason.unwrap().contains("人工窗口"));
    }
    assert_eq!(
        store
            .outbox_status(&good.tracking_no)
            .unwrap()
            .unwrap()
            .state,
        SubmissionState::Accepted
    );
    k.engine.stop();
}

#[test]
fn sync_now_and_wait_reports_the_cycle_it_started() {
    let dir = tempfile::tempdir().unwrap();
    let server = centre(&dir.path().join("central.db"), "127.0.0.1:0");
    let k = kiosk(dir.path(), &server.url(), Vec::new());
    assert!(k.engine.wait_for_cycles(1, WAIT));
    let receipt = k.outbox.submit_rating(&rating("now-1")).unwrap();
    let report = k.engine.sync_now_and_wait(WAIT).expect("cycle finished");
    assert!(!report.unreachable, "{report:?}");
    // The record was sent either by this cycle or by the one the
    // submission woke; either way it is settled once this cycle is done.
    assert_eq!(
        k.outbox
            .status(&receipt.tracking_no)
            .unwrap()
            .unwrap()
            .state,
        SubmissionState::Accepted
    );
    let stats = k.engine.status().unwrap().outbox;
    assert_eq!(stats.pending, 0);
    assert_eq!(stats.oldest_pending_kind, None);
    k.engine.stop();
}

#[test]
fn answered_records_are_purged_after_the_retention_period() {
    let dir = tempfile::tempdir().unwrap();
    let server = centre(&dir.path().join("central.db"), "127.0.0.1:0");
    let k = kiosk(dir.path(), &server.url(), Vec::new());
    k.outbox.submit_rating(&rating("old-1")).unwrap();
    assert!(k.engine.wait_until_drained(WAIT));
    let store = k.outbox.store().clone();
    assert_eq!(store.outbox_stats().unwrap().accepted, 1);
    k.engine.stop();

    // Forty days later: the accepted record is past the 30-day retention.
    let later: Arc<FixedClock> = Arc::new(FixedClock(
        NaiveDate::from_ymd_opt(2027, 1, 1)
            .unwrap()
            .and_hms_opt(9, 0, 0)
            .unwrap(),
    ));
    let client = Arc::new(
        CentralClient::new(
            kiosk_central::test_terminal(&server.url(), Duration::from_secs(2)),
            later.clone(),
        )
        .unwrap(),
    );
    let outbox = Arc::new(Outbox::new(store.clone(), later, "K220100001"));
    let engine = SyncEngine::new(
        outbox,
        client,
        EngineConfig {
            datasets: Vec::new(),
            ..EngineConfig::default()
        },
    );
    let report = engine.run_cycle(false).unwrap();
    assert_eq!(
        report.purged_outbox, 0,
        "purges run on the reference schedule"
    );
    let report = engine.run_cycle(true).unwrap();
    assert_eq!(report.purged_outbox, 1);
    assert_eq!(store.outbox_stats().unwrap().accepted, 0);
}

/// After an outage the circuit breaker lets one probe through (half-open)
/// and tells the other senders to wait for it; the probe answered, the
/// engine goes on at once instead of waiting its retry interval (here a
/// minute, longer than the test may wait).
#[test]
fn a_cycle_cut_short_by_the_half_open_probe_goes_on_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = centre(&dir.path().join("central.db"), "127.0.0.1:0");
    server.central().faults().set_unreachable(true);
    let store =
        Arc::new(Store::open(&dir.path().join("kiosk.db"), StoreKey::from_bytes([4; 32])).unwrap());
    let client = Arc::new(
        CentralClient::with_options(
            kiosk_central::test_terminal(&server.url(), Duration::from_secs(2)),
            clock(),
            ClientOptions {
                retry: RetryPolicy {
                    max_attempts: 1,
                    ..RetryPolicy::default()
                },
                // Opens at the first failure; the next message after it is
                // the half-open probe (no cool-down to wait out here).
                breaker: BreakerPolicy {
                    failure_threshold: 1,
                    cool_down: Duration::ZERO,
                },
                ..ClientOptions::default()
            },
        )
        .unwrap(),
    );
    let outbox = Arc::new(Outbox::new(store, clock(), "K220100001"));
    for i in 0..200 {
        outbox.submit_rating(&rating(&format!("H{i}"))).unwrap();
    }
    let engine = Arc::new(SyncEngine::new(
        outbox.clone(),
        client,
        EngineConfig {
            senders: 4,
            retry_interval: Duration::from_secs(60),
            datasets: Vec::new(),
            audit_batch: 0,
            ..EngineConfig::default()
        },
    ))
    .start()
    .unwrap();
    // The first cycle fails and opens the breaker; the engine then waits
    // its minute.
    assert!(engine.wait_for_cycles(1, WAIT));
    assert_eq!(engine.status().unwrap().outbox.pending, 200);
    server.central().faults().set_unreachable(false);
    // Woken once: one probe goes, the other senders are refused while it
    // is out, so the cycle stops early; the rest must follow without
    // another wake-up.
    let first = engine.sync_now_and_wait(WAIT).unwrap();
    assert!(first.accepted > 0, "{first:?}");
    assert!(engine.wait_until_drained(WAIT), "waited the retry interval");
    assert_eq!(centre_msgids(&server, "rating").len(), 200);
    engine.stop();
}

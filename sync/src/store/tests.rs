#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use crate::platform::SeededRandom;
use chrono::NaiveDate;

fn at(h: u32, m: u32, s: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 11, 22)
        .unwrap()
        .and_hms_opt(h, m, s)
        .unwrap()
}

fn open(dir: &tempfile::TempDir) -> Store {
    Store::open_with(
        &dir.path().join("kiosk.db"),
        StoreKey::from_bytes([9; 32]),
        Arc::new(SeededRandom::new(42)),
    )
    .unwrap()
}

#[test]
fn a_new_store_is_at_the_latest_version_in_wal_with_full_sync() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    let conn = store.conn();
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let sync: i64 = conn
        .query_row("PRAGMA synchronous", [], |r| r.get(0))
        .unwrap();
    assert_eq!(sync, 2, "FULL");
}

#[test]
fn a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kiosk.db");
    {
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
    }
    let err = Store::open(&path, StoreKey::from_bytes([1; 32])).unwrap_err();
    assert!(matches!(err, Error::SchemaTooNew { .. }), "{err:?}");
    assert!(err.user_message().contains("工作人员"));
}

#[test]
fn outbox_payload_is_sealed_and_erased_once_answered() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let secret = "{\"certno\":\"220102196205141234\",\"name\":\"王建国\"}";
    let a = store
        .outbox_enqueue(
            "filing_submit",
            "KS11",
            secret.as_bytes(),
            "K1",
            at(9, 0, 0),
        )
        .unwrap();
    let b = store
        .outbox_enqueue("rating", "KS21", b"{}", "K1", at(9, 0, 0))
        .unwrap();
    assert_eq!(a.tracking_no, "K1-20261122-000001");
    assert_eq!(a.msgid, "K120261122090000500001");
    assert_ne!(a.msgid, b.msgid);
    // Nothing readable in the database file.
    {
        let conn = store.conn();
        let sealed: Vec<u8> = conn
            .query_row("SELECT sealed FROM outbox WHERE id = ?1", [a.id], |r| {
                r.get(0)
            })
            .unwrap();
        assert!(!sealed.windows(18).any(|w| w == b"220102196205141234"));
    }
    let pending = store.outbox_pending(10).unwrap();
    assert_eq!(pending.len(), 2);
    assert_eq!(pending[0].payload, secret.as_bytes());
    assert!(!format!("{:?}", pending[0]).contains("2201"));
    store
        .outbox_settle(
            &[
                (
                    a.id,
                    Settlement::Accepted {
                        reference: Some("BA0001".into()),
                    },
                ),
                (
                    b.id,
                    Settlement::Rejected {
                        code: -7,
                        reason: "锁定期内不可变更".into(),
                    },
                ),
            ],
            at(9, 0, 5),
        )
        .unwrap();
    let conn = store.conn();
    let remaining: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM outbox WHERE sealed IS NOT NULL OR nonce IS NOT NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(remaining, 0);
    drop(conn);
    let status = store.outbox_status(&b.tracking_no).unwrap().unwrap();
    assert_eq!(status.state, SubmissionState::Rejected);
    assert_eq!(status.reason.as_deref(), Some("锁定期内不可变更"));
    let status = store.outbox_status(&a.tracking_no).unwrap().unwrap();
    assert_eq!(status.reference.as_deref(), Some("BA0001"));
    let stats = store.outbox_stats().unwrap();
    assert_eq!((stats.pending, stats.accepted, stats.rejected), (0, 1, 1));
    assert_eq!(store.outbox_purge_settled(at(10, 0, 0)).unwrap(), 2);
}

#[test]
fn a_wrong_key_cannot_open_the_outbox() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kiosk.db");
    {
        let store = Store::open(&path, StoreKey::from_bytes([1; 32])).unwrap();
        store
            .outbox_enqueue("rating", "KS21", b"{}", "K1", at(9, 0, 0))
            .unwrap();
    }
    let store = Store::open(&path, StoreKey::from_bytes([2; 32])).unwrap();
    assert!(matches!(store.outbox_pending(5), Err(Error::Decrypt(1))));
}

#[test]
fn pending_records_and_failures_survive_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let e = {
        let store = open(&dir);
        let e = store
            .outbox_enqueue("health", "KS31", b"{\"ok\":true}", "K1", at(9, 0, 0))
            .unwrap();
        store
            .outbox_note_failure(e.id, "unreachable", at(9, 0, 1))
            .unwrap();
        e
    };
    let store = open(&dir);
    let pending = store.outbox_pending(5).unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].msgid, e.msgid);
    assert_eq!(pending[0].attempts, 1);
    let stats = store.outbox_stats().unwrap();
    assert_eq!(stats.pending, 1);
    assert_eq!(stats.oldest_pending_at, Some(at(9, 0, 0)));
    // Ids keep growing after a purge: msgids are never reused.
    store
        .outbox_settle(
            &[(e.id, Settlement::Accepted { reference: None })],
            at(9, 1, 0),
        )
        .unwrap();
    store.outbox_purge_settled(at(10, 0, 0)).unwrap();
    let next = store
        .outbox_enqueue("health", "KS31", b"{}", "K1", at(9, 0, 0))
        .unwrap();
    assert_eq!(next.id, 2);
}

#[test]
fn reference_data_applies_increments_per_dataset() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    assert_eq!(store.dataset_version(Dataset::Institutions).unwrap(), None);
    let item = |key: &str, area: &str| ReferenceItem {
        key: key.into(),
        area: area.into(),
        payload: format!("{{\"name\":\"{key}\"}}"),
    };
    store
        .apply_reference_delta(
            Dataset::Institutions,
            "5",
            &[
                item("H1", "220100"),
                item("H2", "220200"),
                item("H3", "220100"),
            ],
            &[],
            at(9, 0, 0),
        )
        .unwrap();
    store
        .apply_reference_delta(
            Dataset::Institutions,
            "7",
            &[item("H2", "220100")],
            &["H3".to_string()],
            at(9, 5, 0),
        )
        .unwrap();
    let in_changchun = store
        .reference_items(Dataset::Institutions, Some("220100"))
        .unwrap();
    let keys: Vec<&str> = in_changchun.iter().map(|i| i.key.as_str()).collect();
    assert_eq!(keys, ["H1", "H2"]);
    assert_eq!(
        store
            .dataset_version(Dataset::Institutions)
            .unwrap()
            .as_deref(),
        Some("7")
    );
    let versions = store.dataset_versions().unwrap();
    assert_eq!(versions.len(), 1);
    assert_eq!(versions[0].pulled_at, Some(at(9, 5, 0)));
    assert!(
        store
            .reference_items(Dataset::Announcements, None)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn print_journal_tracks_states_and_seals_documents() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    store
        .print_enqueue(
            "P1",
            "certificate",
            "参保凭证 王建国".as_bytes(),
            at(9, 0, 0),
        )
        .unwrap();
    store
        .print_enqueue("P2", "slip", b"\x1b@hello", at(9, 0, 1))
        .unwrap();
    assert!(
        store
            .print_enqueue("P1", "slip", b"x", at(9, 0, 2))
            .is_err()
    );
    store
        .print_update("P1", PrintState::Sending, None, at(9, 0, 3))
        .unwrap();
    store
        .print_update("P2", PrintState::Failed, Some("paper out"), at(9, 0, 4))
        .unwrap();
    let unfinished = store.print_unfinished().unwrap();
    assert_eq!(unfinished.len(), 1);
    assert_eq!(unfinished[0].state, PrintState::Sending);
    assert_eq!(unfinished[0].document, "参保凭证 王建国".as_bytes());
    assert!(!format!("{:?}", unfinished[0]).contains("王"));
    let failed = store.print_job("P2").unwrap().unwrap();
    assert_eq!(failed.cause.as_deref(), Some("paper out"));
    assert!(
        !store
            .print_update("nope", PrintState::Done, None, at(9, 1, 0))
            .unwrap()
    );
    store
        .print_update("P1", PrintState::Done, None, at(9, 0, 5))
        .unwrap();
    // Done: the paper has it; the sealed document is erased at once, the
    // failed job keeps its own until the purge.
    let done = store.print_job("P1").unwrap().unwrap();
    assert_eq!(done.state, PrintState::Done);
    assert!(done.document.is_empty());
    let stored: (i64, i64) = store
        .conn()
        .query_row(
            "SELECT length(document), length(nonce) FROM print_job WHERE job_id = 'P1'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(stored, (0, 0));
    assert_eq!(
        store.print_job("P2").unwrap().unwrap().document,
        b"\x1b@hello"
    );
    assert_eq!(store.print_purge(at(10, 0, 0)).unwrap(), 2);
}

#[test]
fn audit_entries_move_to_the_outbox_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    for i in 0..3 {
        store
            .audit("session.start", &format!("n={i}"), at(9, 0, i))
            .unwrap();
    }
    let first = store
        .audit_to_outbox("KS32", "K1", 2, at(9, 1, 0))
        .unwrap()
        .unwrap();
    let second = store
        .audit_to_outbox("KS32", "K1", 10, at(9, 1, 0))
        .unwrap()
        .unwrap();
    assert!(
        store
            .audit_to_outbox("KS32", "K1", 10, at(9, 1, 0))
            .unwrap()
            .is_none()
    );
    let pending = store.outbox_pending(10).unwrap();
    assert_eq!(pending.len(), 2);
    let v: serde_json::Value = serde_json::from_slice(&pending[0].payload).unwrap();
    assert_eq!(v["entries"].as_array().unwrap().len(), 2);
    assert_ne!(first.msgid, second.msgid);
    assert_eq!(store.audit_entries(0, 10).unwrap().len(), 3);
}

#[test]
fn sync_state_is_a_small_key_value_table() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    assert_eq!(store.sync_state("last_contact_at").unwrap(), None);
    store.set_sync_state("last_contact_at", "a").unwrap();
    store.set_sync_state("last_contact_at", "b").unwrap();
    assert_eq!(
        store.sync_state("last_contact_at").unwrap().as_deref(),
        Some("b")
    );
}

#[test]
fn check_key_refuses_another_key_once_records_exist_or_a_check_was_stored() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kiosk.db");
    // A store written before key checks existed: a sealed record only.
    {
        let store = open(&dir);
        store
            .outbox_enqueue("rating", "KS21", b"{}", "K1", at(9, 0, 0))
            .unwrap();
    }
    let other = Store::open(&path, StoreKey::from_bytes([7; 32])).unwrap();
    assert!(matches!(other.check_key(), Err(Error::Key(_))));
    drop(other);
    let store = open(&dir);
    store.check_key().unwrap();
    assert!(store.sync_state(KEY_CHECK).unwrap().is_some());
    store.check_key().unwrap();
    drop(store);

    // An empty store remembers its key on the first check.
    let dir = tempfile::tempdir().unwrap();
    open(&dir).check_key().unwrap();
    let other = Store::open(&dir.path().join("kiosk.db"), StoreKey::from_bytes([7; 32])).unwrap();
    assert!(matches!(other.check_key(), Err(Error::Key(_))));
}

#[test]
fn outbox_stats_name_the_kind_of_the_oldest_pending_record() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    assert_eq!(store.outbox_stats().unwrap().oldest_pending_kind, None);
    store
        .outbox_enqueue("health", "KS31", b"{}", "K1", at(9, 0, 0))
        .unwrap();
    store
        .outbox_enqueue("rating", "KS21", b"{}", "K1", at(9, 5, 0))
        .unwrap();
    let stats = store.outbox_stats().unwrap();
    assert_eq!(stats.pending, 2);
    assert_eq!(stats.oldest_pending_kind.as_deref(), Some("health"));
    assert_eq!(stats.oldest_pending_at, Some(at(9, 0, 0)));
}

#[test]
fn premium_orders_are_numbered_found_again_by_person_and_settled_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let a = store
        .premium_order_new("K1", "22010000000003", 2027, "200.00", at(9, 0, 0))
        .unwrap();
    let b = store
        .premium_order_new("K1", "22010000000009", 2027, "400.00", at(9, 0, 1))
        .unwrap();
    assert_eq!(a, "K1P20261122000001");
    assert_eq!(b, "K1P20261122000002");
    // No person number in the table: only the keyed hash.
    {
        let conn = store.conn();
        let dump: Vec<u8> = conn
            .query_row(
                "SELECT group_concat(hex(subject) || order_no || amount) FROM premium_order",
                [],
                |r| r.get::<_, String>(0),
            )
            .unwrap()
            .into_bytes();
        assert!(!String::from_utf8_lossy(&dump).contains("22010000000003"));
    }
    let found = store
        .premium_order_unsettled_for("22010000000003", 2027)
        .unwrap()
        .unwrap();
    assert_eq!(
        (found.order_no.as_str(), found.state),
        (a.as_str(), OrderRecordState::Creating)
    );
    assert!(
        store
            .premium_order_unsettled_for("22010000000003", 2028)
            .unwrap()
            .is_none()
    );
    store
        .premium_order_update(&a, OrderRecordState::Open, None, at(9, 0, 2))
        .unwrap();
    store
        .premium_order_update(&a, OrderRecordState::Paid, Some("R1"), at(9, 1, 0))
        .unwrap();
    // A late answer never turns a payment back.
    store
        .premium_order_update(&a, OrderRecordState::Expired, None, at(9, 20, 0))
        .unwrap();
    let paid = store.premium_order(&a).unwrap().unwrap();
    assert_eq!(paid.state, OrderRecordState::Paid);
    assert_eq!(paid.receipt_no.as_deref(), Some("R1"));
    assert!(
        store
            .premium_order_unsettled_for("22010000000003", 2027)
            .unwrap()
            .is_none()
    );

    // b: open, then abandoned → to reconcile; fresh and watched → not.
    store
        .premium_order_update(&b, OrderRecordState::Open, None, at(9, 2, 0))
        .unwrap();
    assert!(
        store
            .premium_orders_to_reconcile(at(9, 0, 0), 10)
            .unwrap()
            .is_empty()
    );
    // Stale (untouched since before the cut-off) even when not abandoned.
    assert_eq!(
        store
            .premium_orders_to_reconcile(at(9, 30, 0), 10)
            .unwrap()
            .len(),
        1
    );
    store.premium_order_abandon(&b, at(9, 3, 0)).unwrap();
    let todo = store.premium_orders_to_reconcile(at(9, 0, 0), 10).unwrap();
    assert_eq!(todo.len(), 1);
    assert!(todo[0].abandoned);
    let stats = store.premium_order_stats().unwrap();
    assert_eq!((stats.unsettled, stats.abandoned), (1, 1));
    // Purge: settled ones past retention only.
    assert_eq!(store.premium_order_purge(at(23, 0, 0)).unwrap(), 1);
    assert!(store.premium_order(&a).unwrap().is_none());
    assert!(store.premium_order(&b).unwrap().is_some());
    // The serial is never reused after a purge.
    let c = store
        .premium_order_new("K1", "22010000000003", 2027, "200.00", at(23, 1, 0))
        .unwrap();
    assert_eq!(c, "K1P20261122000003");
}

#[cfg(unix)]
#[test]
fn the_database_and_its_wal_are_owner_only_new_or_existing() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("kiosk.db");
    let wal = dir.path().join("kiosk.db-wal");
    let store = open(&dir);
    store.set_sync_state("k", "v").unwrap();
    assert_eq!(mode(&db), 0o600);
    assert_eq!(mode(&wal), 0o600, "the WAL takes the database's mode");
    drop(store);
    // A store of an older version, readable by everyone: tightened at open.
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
    if wal.exists() {
        std::fs::set_permissions(&wal, std::fs::Permissions::from_mode(0o664)).unwrap();
    }
    let store = open(&dir);
    assert_eq!(mode(&db), 0o600);
    if wal.exists() {
        assert_eq!(mode(&wal), 0o600);
    }
    assert_eq!(store.sync_state("k").unwrap().as_deref(), Some("v"));
}

/// Issue 17 (fault matrix): a full disk. SQLITE_FULL is a typed error;
/// the store remembers it and tells its watcher once; nothing committed
/// before is lost; a probe finds the space again.
#[test]
fn a_full_store_refuses_new_records_keeps_the_old_and_finds_space_again() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let kept = store
        .outbox_enqueue("rating", "KS21", b"{\"score\":5}", "K1", at(9, 0, 0))
        .unwrap();
    let told = Arc::new(Mutex::new(Vec::<Option<String>>::new()));
    {
        let told = Arc::clone(&told);
        store.watch_space(Box::new(move |full| {
            told.lock().unwrap().push(full.map(str::to_string));
        }));
    }
    store.limit_growth(true).unwrap();
    let big = vec![b'x'; 20_000];
    for _ in 0..2 {
        let err = store
            .outbox_enqueue("filing_submit", "KS11", &big, "K1", at(9, 1, 0))
            .unwrap_err();
        assert!(matches!(err, Error::StoreFull(_)), "{err:?}");
        assert!(err.user_message().contains("存储空间不足"));
    }
    // A record small enough for a page with room is refused too.
    let err = store
        .print_enqueue("7", "business_slip", b"slip", at(9, 1, 0))
        .unwrap_err();
    assert!(matches!(err, Error::StoreFull(_)), "{err:?}");
    assert!(store.is_full());
    assert!(matches!(store.probe_space(), Err(Error::StoreFull(_))));
    // Inside SQLite too: a write that needs a page fails there.
    let items: Vec<ReferenceItem> = (0..50)
        .map(|i| ReferenceItem {
            key: format!("H{i:04}"),
            area: "220100".into(),
            payload: "医院".repeat(200),
        })
        .collect();
    assert!(matches!(
        store.apply_reference_delta(Dataset::Institutions, "1", &items, &[], at(9, 1, 0)),
        Err(Error::StoreFull(_))
    ));
    // Told once, however many writes failed.
    assert_eq!(told.lock().unwrap().len(), 1);
    assert!(told.lock().unwrap()[0].is_some());
    // What was committed before is there, and nothing half-written.
    let pending = store.outbox_pending(10).unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].tracking_no, kept.tracking_no);
    assert_eq!(pending[0].payload, b"{\"score\":5}");
    assert!(store.print_unfinished().unwrap().is_empty());

    // Space again: the probe clears the state and tells the watcher.
    store.limit_growth(false).unwrap();
    assert!(store.is_full(), "only a probe says the space is back");
    store.probe_space().unwrap();
    assert!(!store.is_full());
    assert_eq!(told.lock().unwrap().last().cloned(), Some(None));
    store
        .outbox_enqueue("filing_submit", "KS11", &big, "K1", at(9, 2, 0))
        .unwrap();
    assert_eq!(store.outbox_pending(10).unwrap().len(), 2);
    // The probe leaves nothing behind.
    assert_eq!(store.sync_state(SPACE_PROBE).unwrap(), None);
}

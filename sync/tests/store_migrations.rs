//! Migrating the store from every earlier schema version. Each fixture in
//! tests/fixtures/store/ is the database an earlier release left behind
//! (its schema and some data), kept as SQL and never edited.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use chrono::NaiveDate;
use kiosk_sync::store::{Dataset, MIGRATIONS, SCHEMA_VERSION, Settlement, Store, StoreKey};

const FIXTURES: &[(u32, &str)] = &[
    (1, include_str!("fixtures/store/v1.sql")),
    (2, include_str!("fixtures/store/v2.sql")),
    (3, include_str!("fixtures/store/v3.sql")),
    (4, include_str!("fixtures/store/v4.sql")),
    (5, include_str!("fixtures/store/v5.sql")),
];

fn schema_of(path: &Path) -> Vec<(String, String)> {
    let conn = rusqlite_open(path);
    let mut stmt = conn
        .prepare("SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap()
}

fn rusqlite_open(path: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(path).unwrap()
}

fn key() -> StoreKey {
    StoreKey::from_bytes([5; 32])
}

#[test]
fn every_earlier_version_has_a_fixture() {
    assert_eq!(FIXTURES.len() as u32, SCHEMA_VERSION - 1);
    assert_eq!(MIGRATIONS.len() as u32, SCHEMA_VERSION);
    for (i, (version, _)) in FIXTURES.iter().enumerate() {
        assert_eq!(*version, i as u32 + 1);
    }
}

#[test]
fn migrating_from_every_earlier_version_gives_the_fresh_schema_and_keeps_data() {
    let dir = tempfile::tempdir().unwrap();
    let fresh = dir.path().join("fresh.db");
    drop(Store::open(&fresh, key()).unwrap());
    let expected = schema_of(&fresh);

    // From an empty file too (version 0).
    for (version, sql) in FIXTURES.iter().copied() {
        let path = dir.path().join(format!("v{version}.db"));
        {
            let conn = rusqlite_open(&path);
            conn.execute_batch(sql).unwrap();
            let v: u32 = conn
                .query_row("PRAGMA user_version", [], |r| r.get(0))
                .unwrap();
            assert_eq!(v, version);
        }
        let store = Store::open(&path, key()).unwrap();
        assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
        // Data written by the old version is still there and usable.
        assert_eq!(
            store
                .dataset_version(Dataset::AreaCodes)
                .unwrap()
                .as_deref(),
            Some("3")
        );
        assert_eq!(
            store
                .reference_items(Dataset::AreaCodes, None)
                .unwrap()
                .len(),
            1
        );
        assert_eq!(
            store.sync_state("last_contact_at").unwrap().as_deref(),
            Some("2026-11-01 08:00:00")
        );
        let stats = store.outbox_stats().unwrap();
        assert_eq!((stats.pending, stats.accepted), (0, 1));
        assert_eq!(store.audit_entries(0, 10).unwrap().len(), 1);
        // New writes continue the old sequences.
        let now = NaiveDate::from_ymd_opt(2026, 11, 22)
            .unwrap()
            .and_hms_opt(9, 0, 0)
            .unwrap();
        let e = store
            .outbox_enqueue("rating", "KS21", b"{}", "K1", now)
            .unwrap();
        assert_eq!(e.id, 2);
        store
            .outbox_settle(&[(e.id, Settlement::Accepted { reference: None })], now)
            .unwrap();
        store.print_enqueue("P-new", "slip", b"x", now).unwrap();
        drop(store);
        assert_eq!(
            schema_of(&path),
            expected,
            "schema after migrating from v{version}"
        );
    }
}

#[test]
fn reopening_a_current_store_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("k.db");
    drop(Store::open(&path, key()).unwrap());
    let before = schema_of(&path);
    drop(Store::open(&path, key()).unwrap());
    assert_eq!(schema_of(&path), before);
}

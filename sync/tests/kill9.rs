//! Kill -9 at random points: the `outbox-burst` process writes a burst of
//! ratings to its outbox while its engine drains them to the centre, and
//! is killed with SIGKILL after a random number of output lines, run after
//! run on the same kiosk database. A last run drains what is left. The
//! centre must then hold exactly the records the kiosk's outbox holds:
//! every committed submission once, none twice, none lost.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeSet, HashMap};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;

use kiosk_central::{Central, CentralOptions, CentralServer};
use kiosk_sync::clock::SystemClock;
use kiosk_sync::platform::{Random, SeededRandom};

const KEY: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
const RUNS: usize = 30;
const BURST: usize = 40;

#[test]
fn kill_9_at_random_points_loses_nothing_and_duplicates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let central = Central::open_seeded(
        None,
        Arc::new(SystemClock),
        CentralOptions {
            db: Some(dir.path().join("central.db")),
            ..CentralOptions::default()
        },
    )
    .unwrap();
    let server = CentralServer::start("127.0.0.1:0".parse().unwrap(), Arc::new(central)).unwrap();
    let kiosk_db = dir.path().join("kiosk.db");
    let rng = SeededRandom::new(20261122);
    let mut printed = BTreeSet::new();
    let mut killed_during_burst = 0;
    for run in 0..RUNS {
        let mut child = Command::new(env!("CARGO_BIN_EXE_outbox-burst"))
            .args([
                "--db",
                kiosk_db.to_str().unwrap(),
                "--key",
                KEY,
                "--url",
                &server.url(),
            ])
            .args([
                "--prefix",
                &format!("run{run}"),
                "--count",
                &BURST.to_string(),
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        // Kill after 0..=BURST+1 lines: before the first record, in the
        // middle of the burst (the engine drains meanwhile), or while
        // waiting for the drain.
        let kill_after = (rng.next_u64() % (BURST as u64 + 2)) as usize;
        let mut lines = BufReader::new(stdout).lines();
        for _ in 0..kill_after {
            match lines.next() {
                Some(Ok(line)) => {
                    if let Some(rest) = line.strip_prefix("enqueued ") {
                        printed.insert(rest.split(' ').next().unwrap().to_string());
                    }
                }
                _ => break,
            }
        }
        if kill_after < BURST {
            killed_during_burst += 1;
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
    }
    assert!(killed_during_burst > RUNS / 2);
    // A last run drains whatever the killed runs left pending.
    let status = Command::new(env!("CARGO_BIN_EXE_outbox-burst"))
        .args([
            "--db",
            kiosk_db.to_str().unwrap(),
            "--key",
            KEY,
            "--url",
            &server.url(),
        ])
        .args(["--prefix", "final", "--count", "0"])
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "final drain: {status:?}");

    let conn = rusqlite::Connection::open(&kiosk_db).unwrap();
    let pending: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM outbox WHERE state = 'pending'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(pending, 0);
    let mut stmt = conn.prepare("SELECT msgid FROM outbox").unwrap();
    let in_outbox: BTreeSet<String> = stmt
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let rows: Vec<(String, String)> = server
        .central()
        .query_db(|db| {
            let mut stmt = db.prepare("SELECT msgid, rating_id FROM rating")?;
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect()
        })
        .unwrap();
    let mut per_msgid: HashMap<&str, usize> = HashMap::new();
    let mut per_rating: HashMap<&str, usize> = HashMap::new();
    for (m, r) in &rows {
        *per_msgid.entry(m).or_default() += 1;
        *per_rating.entry(r).or_default() += 1;
    }
    let dup_msgids: Vec<_> = per_msgid.iter().filter(|(_, n)| **n > 1).collect();
    let dup_ratings: Vec<_> = per_rating.iter().filter(|(_, n)| **n > 1).collect();
    assert!(dup_msgids.is_empty(), "applied twice: {dup_msgids:?}");
    assert!(dup_ratings.is_empty(), "submitted twice: {dup_ratings:?}");
    let at_centre: BTreeSet<String> = per_msgid.keys().map(|m| m.to_string()).collect();
    assert_eq!(at_centre, in_outbox, "centre and outbox differ");
    // Everything the kiosk confirmed to the citizen reached the centre.
    let ratings: BTreeSet<&str> = per_rating.keys().copied().collect();
    for id in &printed {
        assert!(ratings.contains(id.as_str()), "{id} lost");
    }
    assert!(!in_outbox.is_empty());
    eprintln!(
        "kill -9: {RUNS} runs, {} records committed, {} confirmed before the kill, {} resends answered from the centre's record, all delivered once",
        in_outbox.len(),
        printed.len(),
        server.central().repeats_answered()
    );
    server.stop();
}

//! `cargo bench -p kiosk-sync`: how fast a backlog of queued submissions
//! drains to a loopback reference centre, and the centre's 1101 throughput
//! on loopback. Prints figures; BENCHMARKS.md records them.
//!
//! Environment: `SYNC_BENCH_BACKLOG` (default 10000), `SYNC_BENCH_QUERIES`
//! (default 20000), `SYNC_BENCH_SENDERS` (default `1,4,8`), `SYNC_BENCH_DIR` (where the databases go; default the
//! system temporary directory).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use kiosk_central::{Central, CentralOptions, CentralServer};
use kiosk_core::identity::{Credential, IdDocumentKind};
use kiosk_sync::client::ClientOptions;
use kiosk_sync::clock::SystemClock;
use kiosk_sync::outbox::EngineConfig;
use kiosk_sync::wire::RatingInput;
use kiosk_sync::{CentralClient, ClientConfig, Outbox, Store, StoreKey, SyncEngine};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn client(url: &str) -> CentralClient {
    CentralClient::with_options(
        ClientConfig {
            base_url: url.to_string(),
            terminal_id: "K220100001".into(),
            terminal_name: "bench".into(),
            area_code: "220100".into(),
            institution_code: "H22010000001".into(),
            institution_name: "bench".into(),
            timeout: Duration::from_secs(10),
        },
        Arc::new(SystemClock),
        ClientOptions::default(),
    )
    .unwrap()
}

fn centre(dir: &std::path::Path) -> CentralServer {
    let central = Central::open_seeded(
        None,
        Arc::new(SystemClock),
        CentralOptions {
            db: Some(dir.join("central.db")),
            ..CentralOptions::default()
        },
    )
    .unwrap();
    CentralServer::start("127.0.0.1:0".parse().unwrap(), Arc::new(central)).unwrap()
}

fn drain(backlog: usize, senders: usize) {
    let base = std::env::var_os("SYNC_BENCH_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let dir = tempfile::tempdir_in(base).unwrap();
    let server = centre(dir.path());
    let store =
        Arc::new(Store::open(&dir.path().join("kiosk.db"), StoreKey::from_bytes([1; 32])).unwrap());
    let outbox = Arc::new(Outbox::new(
        store.clone(),
        Arc::new(SystemClock),
        "K220100001",
    ));
    let t = Instant::now();
    for i in 0..backlog {
        outbox
            .submit_rating(&RatingInput {
                rating_id: format!("B{i}"),
                service: "enrollment_query".into(),
                score: 5,
                tags: vec!["快捷".into()],
                comment: String::new(),
                rated_at: "2026-11-22 09:30:00".into(),
            })
            .unwrap();
    }
    let enqueue = t.elapsed();
    let engine = SyncEngine::new(
        outbox,
        Arc::new(client(&server.url())),
        EngineConfig {
            senders,
            datasets: Vec::new(),
            audit_batch: 0,
            ..EngineConfig::default()
        },
    );
    let t = Instant::now();
    let mut cycles = 0;
    while store.outbox_stats().unwrap().pending > 0 && cycles < 1000 {
        let report = engine.run_cycle(false).unwrap();
        assert!(!report.unreachable);
        cycles += 1;
    }
    let drained = t.elapsed();
    let stats = store.outbox_stats().unwrap();
    assert_eq!(stats.pending, 0);
    assert_eq!(stats.accepted as usize, backlog);
    println!(
        "outbox enqueue: {backlog} records in {:.2} s = {:.0} records/s (each its own fsync'd transaction)",
        enqueue.as_secs_f64(),
        backlog as f64 / enqueue.as_secs_f64()
    );
    println!(
        "outbox drain ({senders} sender(s)): {backlog} records in {:.2} s = {:.0} records/s",
        drained.as_secs_f64(),
        backlog as f64 / drained.as_secs_f64()
    );
    server.stop();
}

fn person_queries(queries: usize, threads: usize) {
    let dir = tempfile::tempdir().unwrap();
    let server = centre(dir.path());
    let url = server.url();
    let credential = Credential::IdDocument {
        kind: IdDocumentKind::ResidentIdCard,
        number: "220203198508232046".into(),
        name: "李秀兰".into(),
    };
    let t = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            let url = url.clone();
            let credential = credential.clone();
            scope.spawn(move || {
                let c = client(&url);
                c.sign_in().unwrap();
                for _ in 0..queries / threads {
                    c.query_person(&credential).unwrap();
                }
            });
        }
    });
    let elapsed = t.elapsed();
    let done = (queries / threads) * threads;
    println!(
        "1101 person query ({threads} client thread(s)): {done} in {:.2} s = {:.0} queries/s, {:.0} us each",
        elapsed.as_secs_f64(),
        done as f64 / elapsed.as_secs_f64(),
        elapsed.as_secs_f64() * 1e6 / done as f64 * threads as f64
    );
    server.stop();
}

fn main() {
    let backlog = env_usize("SYNC_BENCH_BACKLOG", 10_000);
    let queries = env_usize("SYNC_BENCH_QUERIES", 20_000);
    let senders: Vec<usize> = std::env::var("SYNC_BENCH_SENDERS")
        .unwrap_or_else(|_| "1,4,8".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    for s in senders {
        drain(backlog, s);
    }
    person_queries(queries, 1);
    person_queries(queries, 4);
}

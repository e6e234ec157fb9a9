//! A fleet against one reference centre, shared by the load bench
//! (`benches/fleet_load.rs`, 50 kiosks) and its short CI version
//! (`tests/fleet_load.rs`, 5 kiosks).
//!
//! One reference centre (`CentralServer`, its database a file in a
//! temporary directory, so it can be restarted with its records) on a free
//! loopback port, and `kiosks` simulated kiosks: each its own store (own
//! file, own key), its own terminal id, its own `CentralClient` and
//! `SyncEngine` started as the kiosk starts it. A submitter thread per
//! kiosk writes its records through the real outbox API (remote-care
//! filings, ratings, health reports), and the engines drain them
//! concurrently. When `stop_when_delivered` records are answered the centre
//! is stopped, kept down, and started again on the same port and
//! database. At the end the centre's own tables are counted by `msgid`
//! against every kiosk's outbox.
//!
//! Latency of a message: from its commit in the outbox (`submit` returned)
//! until its answer is stored in the kiosk's store, seen by a watcher
//! that reads every store on its own read-only connection every
//! `watch_every`.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use kiosk_central::{Central, CentralOptions, CentralServer};
use kiosk_sync::client::{BreakerPolicy, ClientOptions, RetryPolicy};
use kiosk_sync::clock::SystemClock;
use kiosk_sync::outbox::{EngineConfig, SyncEngineHandle};
use kiosk_sync::wire::{DeviceHealth, FilingSubmitInput, HealthReportInput, RatingInput};
use kiosk_sync::{CentralClient, ClientConfig, Outbox, Store, StoreKey, SyncEngine};

/// How the centre's outage ends.
#[derive(Debug, Clone, Copy)]
pub enum Outage {
    /// Down for this long (the bench: an operator restarting a service).
    For(Duration),
    /// Down until every kiosk's submitter has finished and its engine has
    /// completed two cycles since (each failing against the closed port);
    /// no timing involved (the CI test).
    UntilSeen,
}

/// What to run.
#[derive(Debug, Clone)]
pub struct FleetConfig {
    /// Simulated kiosks.
    pub kiosks: usize,
    /// Records each kiosk submits.
    pub records_per_kiosk: usize,
    /// Records per second per kiosk (`0.0`: as fast as the store commits).
    pub rate_per_kiosk: f64,
    /// Each submitter writes this many records, then waits for the
    /// centre's stop before writing the rest (`None`: no gate).
    pub gate_after: Option<usize>,
    /// The centre is stopped once this many records are answered.
    pub stop_when_delivered: usize,
    /// How long it stays down.
    pub outage: Outage,
    /// The kiosks' engine settings (`datasets` and `audit_batch` are
    /// cleared: only the outbox is measured).
    pub engine: EngineConfig,
    /// The kiosks' client settings (retry, breaker).
    pub client: ClientOptionsSpec,
    /// The centre's HTTP worker threads.
    pub centre_workers: usize,
    /// Answers lost after the centre applied them, just before the stop
    /// (resent by the kiosks and answered from the centre's record).
    pub lose_answers_before_stop: u32,
    /// Watcher period.
    pub watch_every: Duration,
    /// The whole run must end within this.
    pub deadline: Duration,
    /// Where the databases go (a temporary directory is made in it).
    pub dir: Option<PathBuf>,
}

/// The parts of `ClientOptions` that matter here (it is not `Clone`-able
/// across kiosks with its own ticker, so each kiosk builds its own).
#[derive(Debug, Clone, Copy)]
pub struct ClientOptionsSpec {
    /// Breaker: consecutive failures before it opens.
    pub failure_threshold: u32,
    /// Breaker: how long it stays open.
    pub cool_down: Duration,
    /// Attempts of a query (commands are never retried by the client).
    pub max_attempts: u32,
    /// Request timeout.
    pub timeout: Duration,
}

impl ClientOptionsSpec {
    /// What the kiosk runs with (`ClientOptions::default()`, 10 s timeout).
    pub fn production() -> ClientOptionsSpec {
        let d = ClientOptions::default();
        ClientOptionsSpec {
            failure_threshold: d.breaker.failure_threshold,
            cool_down: d.breaker.cool_down,
            max_attempts: d.retry.max_attempts,
            timeout: Duration::from_secs(10),
        }
    }

    fn build(&self) -> ClientOptions {
        ClientOptions {
            retry: RetryPolicy {
                max_attempts: self.max_attempts,
                ..RetryPolicy::default()
            },
            breaker: BreakerPolicy {
                failure_threshold: self.failure_threshold,
                cool_down: self.cool_down,
            },
            ..ClientOptions::default()
        }
    }
}

/// What a run found.
#[derive(Debug, Clone)]
pub struct FleetReport {
    pub kiosks: usize,
    /// Records the submitters committed (receipts handed out).
    pub submitted: usize,
    /// Rows in the kiosks' outboxes at the end.
    pub in_outboxes: usize,
    /// Of which still pending (must be 0).
    pub pending_left: usize,
    /// Answered: accepted / rejected by the centre's rules.
    pub accepted: usize,
    pub rejected: usize,
    /// Messages of these kiosks in the centre's `message` table.
    pub at_centre: usize,
    /// Outbox records the centre does not have (message table, or the
    /// business table for an accepted one).
    pub lost: usize,
    /// Business rows beyond the first for one msgid (applied twice).
    pub doubled: usize,
    /// Messages at the centre no kiosk's outbox has.
    pub unknown: usize,
    /// Per kind: (kind, records, at centre in its table).
    pub kinds: Vec<(String, usize, usize)>,
    /// Resends answered from the centre's record, both runs of the centre.
    pub repeats_answered: u64,
    /// First commit → last answer stored.
    pub wall: Duration,
    /// Commit → answer stored, every record, ms, sorted.
    pub latency_ms: Vec<f64>,
    /// The same for records committed and answered before the stop.
    pub undisturbed_ms: Vec<f64>,
    /// First commit → centre stopped.
    pub stopped_at: Duration,
    /// Answered before the stop.
    pub delivered_before_stop: usize,
    /// Stop → listening again.
    pub outage: Duration,
    /// Committed and not answered when the centre listened again.
    pub backlog_at_restart: usize,
    /// Restart → first answer stored.
    pub first_answer_after_restart: Option<Duration>,
    /// Restart → every kiosk has an answer stored after the restart.
    pub every_kiosk_back: Option<Duration>,
    /// Restart → the last answer.
    pub cleared_after_restart: Duration,
    /// Answers stored after the restart.
    pub answered_after_restart: usize,
    /// Restart's first answer → last answer.
    pub drain_after_restart: Duration,
    /// The kiosks' store files, bytes, together.
    pub store_bytes: u64,
    /// Per kiosk, restart → its last answer, ms, sorted.
    pub kiosk_cleared_ms: Vec<f64>,
    /// The kiosks' last recorded sync errors (`sync_state.last_error`),
    /// with how many kiosks ended with each.
    pub last_errors: Vec<(String, usize)>,
}

impl FleetReport {
    /// Answers stored after the restart per second, from the first to the
    /// last: the fleet's backlog drain rate.
    pub fn restart_drain_rate(&self) -> f64 {
        let s = self.drain_after_restart.as_secs_f64();
        if s > 0.0 {
            self.answered_after_restart as f64 / s
        } else {
            0.0
        }
    }

    /// Answers per second before the stop (first commit → stop).
    pub fn rate_before_stop(&self) -> f64 {
        let s = self.stopped_at.as_secs_f64();
        if s > 0.0 {
            self.delivered_before_stop as f64 / s
        } else {
            0.0
        }
    }
}

/// The `p`-th percentile (0..=1) of sorted values (nearest rank).
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn centre(db: &Path, addr: SocketAddr, workers: usize) -> CentralServer {
    let central = Central::open_seeded(
        None,
        Arc::new(SystemClock),
        CentralOptions {
            db: Some(db.to_path_buf()),
            worker_threads: workers,
            ..CentralOptions::default()
        },
    )
    .unwrap();
    CentralServer::start(addr, Arc::new(central)).unwrap()
}

/// The terminal id of kiosk `i` (K220100001, K220100002, ...).
pub fn terminal_id(i: usize) -> String {
    format!("K2201{:05}", i + 1)
}

/// What kiosk `kiosk` submits as its `j`-th record: of ten, two
/// remote-care filings (temporary trips, accepted), two health reports,
/// six ratings. Returns the kind's store name.
fn submit(outbox: &Outbox, kiosk: usize, j: usize) -> (String, &'static str) {
    let terminal = terminal_id(kiosk);
    let at = chrono::Local::now()
        .naive_local()
        .format("%Y-%m-%d %H:%M:%S")
        .to_string();
    match j % 10 {
        0 | 5 => {
            let r = outbox
                .submit_filing(&FilingSubmitInput {
                    psn_no: "22020000000002".into(),
                    certno: "220203198508232046".into(),
                    psn_name: "李秀兰".into(),
                    tel: "13800000000".into(),
                    filing_type: "4".into(),
                    insuplc_admdvs: "220200".into(),
                    mdtrtarea_admdvs: "460100".into(),
                    begndate: "2026-12-01".into(),
                    enddate: "2027-11-30".into(),
                    fixmedins_code: String::new(),
                    commitment: true,
                    tel2: String::new(),
                    mdtrt_addr: "海南省海口市美兰区海府路1号".into(),
                    fixmedins_codes: Vec::new(),
                    agnter: String::new(),
                    agnt_authz: String::new(),
                    letter: None,
                })
                .unwrap();
            (r.msgid, "filing_submit")
        }
        3 | 8 => {
            let r = outbox
                .submit_health(&HealthReportInput {
                    terminal_id: terminal.clone(),
                    reported_at: at,
                    uptime_s: j as u64 * 30,
                    app_version: "0.1.0".into(),
                    devices: ["id_reader", "printer", "ss_card_reader", "qr_scanner"]
                        .into_iter()
                        .map(|d| DeviceHealth {
                            device: d.into(),
                            state: "ok".into(),
                            detail: String::new(),
                        })
                        .collect(),
                    hall_name: "长春市医保服务大厅".into(),
                    trigger: "schedule".into(),
                    store_bytes: 4 << 20,
                    ..HealthReportInput::default()
                })
                .unwrap();
            (r.msgid, "health")
        }
        _ => {
            let r = outbox
                .submit_rating(&RatingInput {
                    rating_id: format!("{terminal}-R{j:05}"),
                    service: ["enrollment_query", "certificate", "filing"][j % 3].into(),
                    score: (j % 5 + 1) as u8,
                    tags: vec!["快捷".into()],
                    comment: String::new(),
                    rated_at: at,
                })
                .unwrap();
            (r.msgid, "rating")
        }
    }
}

/// Answered-record count shared by the watcher with the run.
#[derive(Default)]
struct Progress {
    answered: Mutex<usize>,
    cv: Condvar,
}

impl Progress {
    fn set(&self, n: usize) {
        *self.answered.lock().unwrap() = n;
        self.cv.notify_all();
    }

    fn wait_for(&self, n: usize, timeout: Duration) -> bool {
        let guard = self.answered.lock().unwrap();
        let (guard, _) = self
            .cv
            .wait_timeout_while(guard, timeout, |a| *a < n)
            .unwrap();
        *guard >= n
    }
}

/// A one-shot gate: closed until opened.
#[derive(Default)]
struct Gate {
    open: Mutex<bool>,
    cv: Condvar,
}

impl Gate {
    fn open(&self) {
        *self.open.lock().unwrap() = true;
        self.cv.notify_all();
    }

    fn wait(&self, timeout: Duration) {
        let guard = self.open.lock().unwrap();
        let _ = self.cv.wait_timeout_while(guard, timeout, |o| !*o).unwrap();
    }
}

struct SimKiosk {
    db: PathBuf,
    outbox: Arc<Outbox>,
    engine: SyncEngineHandle,
    /// msgid → commit instant and kind.
    commits: Mutex<HashMap<String, (Instant, &'static str)>>,
    done: AtomicBool,
}

/// Runs the fleet; panics when a bound is exceeded.
pub fn run(config: &FleetConfig) -> FleetReport {
    kiosk_sync::link::install_crypto_provider();
    let base = config.dir.clone().unwrap_or_else(std::env::temp_dir);
    let dir = tempfile::tempdir_in(base).unwrap();
    let central_db = dir.path().join("central.db");
    let server = centre(
        &central_db,
        "127.0.0.1:0".parse().unwrap(),
        config.centre_workers,
    );
    let addr = server.addr();
    let url = server.url();
    let total = config.kiosks * config.records_per_kiosk;
    let run_deadline = Instant::now() + config.deadline;

    let kiosks: Vec<Arc<SimKiosk>> = (0..config.kiosks)
        .map(|i| {
            let db = dir.path().join(format!("kiosk-{i:02}.db"));
            let store =
                Arc::new(Store::open(&db, StoreKey::from_bytes([i as u8 + 1; 32])).unwrap());
            let clock = Arc::new(SystemClock);
            let client = Arc::new(
                CentralClient::with_options(
                    ClientConfig {
                        base_url: url.clone(),
                        terminal_id: terminal_id(i),
                        terminal_name: format!("大厅{}号机", i + 1),
                        area_code: "220100".into(),
                        institution_code: "H22010000001".into(),
                        institution_name: "长春市医保服务大厅".into(),
                        timeout: config.client.timeout,
                    },
                    clock.clone(),
                    config.client.build(),
                )
                .unwrap(),
            );
            let outbox = Arc::new(Outbox::new(store, clock, &terminal_id(i)));
            let engine = Arc::new(SyncEngine::new(
                outbox.clone(),
                client,
                EngineConfig {
                    datasets: Vec::new(),
                    audit_batch: 0,
                    ..config.engine.clone()
                },
            ))
            .start()
            .unwrap();
            Arc::new(SimKiosk {
                db,
                outbox,
                engine,
                commits: Mutex::new(HashMap::new()),
                done: AtomicBool::new(false),
            })
        })
        .collect();

    let progress = Arc::new(Progress::default());
    let stopped_gate = Arc::new(Gate::default());
    let finished = Arc::new(AtomicBool::new(false));
    let t0 = Instant::now();

    // The watcher: every store on its own read-only connection.
    let watcher = {
        let paths: Vec<PathBuf> = kiosks.iter().map(|k| k.db.clone()).collect();
        let progress = progress.clone();
        let finished = finished.clone();
        let every = config.watch_every;
        std::thread::Builder::new()
            .name("fleet-watcher".into())
            .spawn(move || {
                let conns: Vec<rusqlite::Connection> = paths
                    .iter()
                    .map(|p| {
                        let c = rusqlite::Connection::open_with_flags(
                            p,
                            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
                        )
                        .unwrap();
                        c.busy_timeout(Duration::from_secs(2)).unwrap();
                        c
                    })
                    .collect();
                // Per kiosk: msgid → when its answer was first seen, and
                // the highest id below which everything is answered.
                let mut seen: Vec<HashMap<String, Instant>> = vec![HashMap::new(); conns.len()];
                let mut floor = vec![0i64; conns.len()];
                let mut answered = 0usize;
                while answered < total && !finished.load(Ordering::Relaxed) {
                    for (k, conn) in conns.iter().enumerate() {
                        let mut stmt = conn
                            .prepare_cached(
                                "SELECT id, msgid, state FROM outbox WHERE id > ?1 ORDER BY id",
                            )
                            .unwrap();
                        let rows: Vec<(i64, String, String)> = stmt
                            .query_map([floor[k]], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                            .unwrap()
                            .collect::<Result<_, _>>()
                            .unwrap();
                        let now = Instant::now();
                        let mut contiguous = true;
                        for (id, msgid, state) in rows {
                            if state == "pending" {
                                contiguous = false;
                                continue;
                            }
                            if let std::collections::hash_map::Entry::Vacant(e) =
                                seen[k].entry(msgid)
                            {
                                e.insert(now);
                                answered += 1;
                            }
                            if contiguous {
                                floor[k] = id;
                            }
                        }
                    }
                    progress.set(answered);
                    std::thread::sleep(every);
                }
                seen
            })
            .unwrap()
    };

    // The submitters: each kiosk's citizens.
    let submitters: Vec<_> = kiosks
        .iter()
        .enumerate()
        .map(|(i, k)| {
            let k = k.clone();
            let gate = stopped_gate.clone();
            let n = config.records_per_kiosk;
            let rate = config.rate_per_kiosk;
            let gate_after = config.gate_after;
            let deadline = config.deadline;
            std::thread::Builder::new()
                .name(format!("kiosk-{i:02}"))
                .spawn(move || {
                    // Spread the kiosks' first records over one interval.
                    let offset = if rate > 0.0 {
                        Duration::from_secs_f64(i as f64 / 50.0 / rate)
                    } else {
                        Duration::ZERO
                    };
                    let start = Instant::now() + offset;
                    for j in 0..n {
                        if gate_after == Some(j) {
                            gate.wait(deadline);
                        }
                        if rate > 0.0 {
                            let due = start + Duration::from_secs_f64(j as f64 / rate);
                            let now = Instant::now();
                            if due > now {
                                std::thread::sleep(due - now);
                            }
                        }
                        let (msgid, kind) = submit(&k.outbox, i, j);
                        k.commits
                            .lock()
                            .unwrap()
                            .insert(msgid, (Instant::now(), kind));
                    }
                    k.done.store(true, Ordering::SeqCst);
                })
                .unwrap()
        })
        .collect();

    // The restart in the middle.
    let left = run_deadline.saturating_duration_since(Instant::now());
    assert!(
        progress.wait_for(config.stop_when_delivered, left),
        "{} records not answered in time before the stop",
        config.stop_when_delivered
    );
    if config.lose_answers_before_stop > 0 {
        // The next answers are lost after the centre applied them (the
        // gate opens for them), then the centre goes down: the kiosks
        // hold those records as pending across the restart.
        let messages = |c: &Central| {
            c.query_db(|db| {
                db.query_row("SELECT COUNT(*) FROM message", [], |r| r.get::<_, i64>(0))
            })
            .unwrap()
        };
        let before = messages(server.central());
        server
            .central()
            .faults()
            .drop_after_commit_next(config.lose_answers_before_stop);
        stopped_gate.open();
        let want = before + i64::from(config.lose_answers_before_stop);
        while messages(server.central()) < want {
            assert!(
                Instant::now() < run_deadline,
                "no message reached the centre"
            );
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    let cycles_at_stop: Vec<u64> = kiosks.iter().map(|k| k.engine.cycles()).collect();
    let central = Arc::clone(server.central());
    server.stop();
    let mut repeats = central.repeats_answered();
    drop(central);
    let stopped = Instant::now();
    let delivered_before_stop = *progress.answered.lock().unwrap();
    stopped_gate.open();
    match config.outage {
        Outage::For(d) => std::thread::sleep(d),
        Outage::UntilSeen => {
            for (k, c0) in kiosks.iter().zip(&cycles_at_stop) {
                while !k.done.load(Ordering::SeqCst) && Instant::now() < run_deadline {
                    k.engine
                        .wait_for_cycles(k.engine.cycles() + 1, Duration::from_secs(1));
                }
                let target = (*c0).max(k.engine.cycles()) + 2;
                let left = run_deadline.saturating_duration_since(Instant::now());
                assert!(
                    k.engine.wait_for_cycles(target, left),
                    "a kiosk's engine did not run during the outage"
                );
            }
        }
    }
    let server = centre(&central_db, addr, config.centre_workers);
    let restarted = Instant::now();
    let committed_by_restart: usize = kiosks.iter().map(|k| k.commits.lock().unwrap().len()).sum();
    let answered_by_restart = *progress.answered.lock().unwrap();

    for s in submitters {
        s.join().unwrap();
    }
    let left = run_deadline.saturating_duration_since(Instant::now());
    let drained = progress.wait_for(total, left);
    finished.store(true, Ordering::Relaxed);
    let seen = watcher.join().unwrap();
    assert!(
        drained,
        "the fleet did not drain within {:?}",
        config.deadline
    );
    repeats += server.central().repeats_answered();

    // Latencies and the restart figures.
    let mut latency = Vec::with_capacity(total);
    let mut undisturbed = Vec::new();
    let mut first_commit = None::<Instant>;
    let mut last_answer = t0;
    let mut first_after = None::<Instant>;
    let mut every_back = Some(restarted);
    let mut answered_after_restart = 0;
    let mut kiosk_cleared_ms = Vec::new();
    for (k, seen) in kiosks.iter().zip(&seen) {
        let commits = k.commits.lock().unwrap();
        let mut kiosk_first_after = None::<Instant>;
        let mut kiosk_last = restarted;
        for (msgid, (committed, _)) in commits.iter() {
            let answered = *seen.get(msgid).expect("answer seen");
            // The watcher may see an answer before the submitter notes its
            // commit; such a record was answered at once.
            let ms = answered.saturating_duration_since(*committed).as_secs_f64() * 1000.0;
            latency.push(ms);
            if answered < stopped {
                undisturbed.push(ms);
            }
            first_commit = Some(first_commit.map_or(*committed, |f| f.min(*committed)));
            last_answer = last_answer.max(answered);
            if answered >= restarted {
                answered_after_restart += 1;
                kiosk_first_after = Some(kiosk_first_after.map_or(answered, |f| f.min(answered)));
                kiosk_last = kiosk_last.max(answered);
            }
        }
        kiosk_cleared_ms.push((kiosk_last - restarted).as_secs_f64() * 1000.0);
        if let Some(f) = kiosk_first_after {
            first_after = Some(first_after.map_or(f, |g| g.min(f)));
        }
        every_back = match (every_back, kiosk_first_after) {
            (Some(e), Some(f)) => Some(e.max(f)),
            _ => None,
        };
    }
    latency.sort_by(f64::total_cmp);
    undisturbed.sort_by(f64::total_cmp);
    kiosk_cleared_ms.sort_by(f64::total_cmp);
    let first_commit = first_commit.unwrap_or(t0);

    // Every engine stopped before the stores are counted.
    let kiosks: Vec<SimKiosk> = kiosks
        .into_iter()
        .map(|k| Arc::into_inner(k).expect("submitter finished"))
        .collect();
    let mut outbox_rows: Vec<(String, String, String)> = Vec::new();
    let mut store_bytes = 0;
    let submitted: usize = kiosks.iter().map(|k| k.commits.lock().unwrap().len()).sum();
    let mut kinds_of: HashMap<String, &'static str> = HashMap::new();
    let mut last_errors: HashMap<String, usize> = HashMap::new();
    for k in kiosks {
        for (m, (_, kind)) in k.commits.lock().unwrap().iter() {
            kinds_of.insert(m.clone(), kind);
        }
        k.engine.stop();
        let conn = rusqlite::Connection::open(&k.db).unwrap();
        let mut stmt = conn
            .prepare("SELECT msgid, kind, state FROM outbox")
            .unwrap();
        outbox_rows.extend(
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .unwrap()
                .map(Result::unwrap),
        );
        drop(stmt);
        let last_error: Option<String> = conn
            .query_row(
                "SELECT value FROM sync_state WHERE key = 'last_error'",
                [],
                |r| r.get(0),
            )
            .ok();
        *last_errors
            .entry(last_error.unwrap_or_else(|| "none".into()))
            .or_default() += 1;
        drop(conn);
        for suffix in ["", "-wal"] {
            let mut p = k.db.clone().into_os_string();
            p.push(suffix);
            store_bytes += std::fs::metadata(PathBuf::from(p)).map_or(0, |m| m.len());
        }
    }

    // The centre's own tables, by msgid.
    let at_centre: HashMap<String, String> = server
        .central()
        .query_db(|db| {
            let mut stmt = db.prepare("SELECT msgid, infno FROM message")?;
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect()
        })
        .unwrap();
    let count_table = |table: &str| -> HashMap<String, usize> {
        server
            .central()
            .query_db(|db| {
                let mut stmt = db.prepare(&format!(
                    "SELECT msgid, COUNT(*) FROM {table} WHERE msgid IS NOT NULL GROUP BY msgid"
                ))?;
                stmt.query_map([], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as usize))
                })?
                .collect()
            })
            .unwrap()
    };
    let tables: HashMap<&str, HashMap<String, usize>> = [
        ("filing_submit", count_table("filing")),
        ("rating", count_table("rating")),
        ("health", count_table("health_report")),
    ]
    .into_iter()
    .collect();

    let mut lost = 0;
    let mut accepted = 0;
    let mut rejected = 0;
    let mut pending_left = 0;
    let mut kinds: HashMap<String, (usize, usize)> = HashMap::new();
    for (msgid, kind, state) in &outbox_rows {
        let entry = kinds.entry(kind.clone()).or_default();
        entry.0 += 1;
        let in_table = tables
            .get(kind.as_str())
            .and_then(|t| t.get(msgid))
            .copied();
        if in_table.is_some() {
            entry.1 += 1;
        }
        match state.as_str() {
            "pending" => pending_left += 1,
            "accepted" => {
                accepted += 1;
                if in_table.is_none() {
                    lost += 1;
                    continue;
                }
            }
            _ => rejected += 1,
        }
        if !at_centre.contains_key(msgid) {
            lost += 1;
        }
    }
    // A receipt handed out whose record is not in the outbox is lost too.
    let rows: std::collections::HashSet<&str> =
        outbox_rows.iter().map(|(m, _, _)| m.as_str()).collect();
    lost += kinds_of
        .keys()
        .filter(|m| !rows.contains(m.as_str()))
        .count();
    let doubled = tables
        .values()
        .flat_map(|t| t.values())
        .map(|n| n.saturating_sub(1))
        .sum();
    let unknown = at_centre
        .keys()
        .filter(|m| !rows.contains(m.as_str()))
        .count();
    let mut kinds: Vec<(String, usize, usize)> =
        kinds.into_iter().map(|(k, (n, c))| (k, n, c)).collect();
    kinds.sort();
    server.stop();

    FleetReport {
        kiosks: config.kiosks,
        submitted,
        in_outboxes: outbox_rows.len(),
        pending_left,
        accepted,
        rejected,
        at_centre: at_centre.len(),
        lost,
        doubled,
        unknown,
        kinds,
        repeats_answered: repeats,
        wall: last_answer.saturating_duration_since(first_commit),
        latency_ms: latency,
        undisturbed_ms: undisturbed,
        stopped_at: stopped.saturating_duration_since(first_commit),
        delivered_before_stop,
        outage: restarted - stopped,
        backlog_at_restart: committed_by_restart.saturating_sub(answered_by_restart),
        first_answer_after_restart: first_after.map(|f| f - restarted),
        every_kiosk_back: every_back.map(|e| e - restarted),
        cleared_after_restart: last_answer.saturating_duration_since(restarted),
        answered_after_restart,
        drain_after_restart: first_after.map_or(Duration::ZERO, |f| last_answer - f),
        store_bytes,
        kiosk_cleared_ms,
        last_errors: {
            let mut v: Vec<(String, usize)> = last_errors.into_iter().collect();
            v.sort_by_key(|e| std::cmp::Reverse(e.1));
            v
        },
    }
}

/// The figures, one per line.
pub fn print(r: &FleetReport) {
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "fleet: {} kiosks, {} records submitted ({} in the outboxes, {} pending at the end)",
        r.kiosks, r.submitted, r.in_outboxes, r.pending_left
    );
    for (kind, n, c) in &r.kinds {
        println!("  {kind}: {n} records, {c} in the centre's table");
    }
    println!(
        "delivery: {} accepted, {} rejected by the centre's rules, {} messages at the centre; lost {}, doubled {}, unknown {}; {} resends answered from the centre's record",
        r.accepted, r.rejected, r.at_centre, r.lost, r.doubled, r.unknown, r.repeats_answered
    );
    println!(
        "drain: first commit → last answer {:.2} s = {:.0} records/s overall; before the stop {:.0} records/s ({} answered in {:.2} s); after the restart {:.0} records/s ({} answered in {:.2} s)",
        r.wall.as_secs_f64(),
        r.submitted as f64 / r.wall.as_secs_f64().max(1e-9),
        r.rate_before_stop(),
        r.delivered_before_stop,
        r.stopped_at.as_secs_f64(),
        r.restart_drain_rate(),
        r.answered_after_restart,
        r.drain_after_restart.as_secs_f64()
    );
    println!(
        "latency commit → answer stored, all {}: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        r.latency_ms.len(),
        percentile(&r.latency_ms, 0.5),
        percentile(&r.latency_ms, 0.99),
        r.latency_ms.last().copied().unwrap_or(f64::NAN)
    );
    println!(
        "latency, the {} answered before the stop: p50 {:.1} ms, p99 {:.1} ms",
        r.undisturbed_ms.len(),
        percentile(&r.undisturbed_ms, 0.5),
        percentile(&r.undisturbed_ms, 0.99)
    );
    println!(
        "restart: centre stopped {:.2} s after the first commit, down {:.0} ms, {} records waiting when it listened again; first answer {} ms after, every kiosk answered again {} ms after, backlog cleared {:.0} ms after",
        r.stopped_at.as_secs_f64(),
        ms(r.outage),
        r.backlog_at_restart,
        r.first_answer_after_restart
            .map_or("never".into(), |d| format!("{:.0}", ms(d))),
        r.every_kiosk_back
            .map_or("never".into(), |d| format!("{:.0}", ms(d))),
        ms(r.cleared_after_restart)
    );
    println!(
        "per kiosk, restart → its last answer: p50 {:.0} ms, max {:.0} ms",
        percentile(&r.kiosk_cleared_ms, 0.5),
        r.kiosk_cleared_ms.last().copied().unwrap_or(f64::NAN)
    );
    for (error, n) in &r.last_errors {
        println!("  last sync error of {n} kiosk(s): {error}");
    }
    println!(
        "stores: {} bytes together ({:.1} KiB per kiosk)",
        r.store_bytes,
        r.store_bytes as f64 / 1024.0 / r.kiosks.max(1) as f64
    );
}

//! Soak (issue 17, part 5): ONE real `kiosk` process (simulation mode,
//! headless, automation API) driven through N citizen sessions — an ID
//! card placed on the simulated reader, the enrollment screen, every
//! tenth session the business slip printed, the card removed, the home
//! screen — sampling every 500 sessions the process's PSS
//! (`/proc/PID/smaps_rollup`), open descriptors (`/proc/PID/fd`), threads
//! (`/proc/PID/status`), the store's file and WAL sizes, its pages in use
//! and free, the outbox counts (`GET /v1/sync/status`) and the print
//! journal's rows. At the end: the series and the
//! least-squares slope per 1,000 sessions of each.
//!
//! The centre (reference centre, database file) and the printer (the
//! ESC/POS simulator) run in this bench process, as a real centre and
//! printer are outside the kiosk, so what grows in the kiosk process is
//! the kiosk's own (the built-in demo centre keeps its database in memory
//! and the in-process printer simulator keeps every receipt).
//!
//! Retention: answered outbox records and finished print jobs are deleted
//! `[store] retention_days` (at least 1, default 30) after their answer,
//! on the reference-pull schedule. No soak lasts a month, so after the
//! sessions the kiosk is stopped (SIGTERM) and started again on the same
//! store with its clock 31 days ahead (libfaketime, wall clock only;
//! `apt-get install faketime`): its first sync cycle purges, and the
//! outbox counts and the store size are read again, then more sessions
//! show whether the file grows after the purge. Without libfaketime that
//! phase is skipped and says so.
//!
//! `cargo bench -p kiosk --bench soak` (add `--profile dev` to reuse the
//! debug build). Environment: `SOAK_SESSIONS` (10000), `SOAK_SAMPLE_EVERY`
//! (500), `SOAK_PRINT_EVERY` (10), `SOAK_MAX_MINUTES` (stop early, report
//! the sessions done), `SOAK_AFTER_PURGE` (500 sessions after the purge),
//! `SOAK_FAKETIME` (libfaketime.so path), `KIOSK_BIN` (another
//! `kiosk` binary, e.g. a copy that a rebuild cannot replace during a long
//! run). Prints figures; checks only
//! that every session reached its screens.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use kiosk_central::{Central, CentralOptions, CentralServer};
use kiosk_sim::printer::{PaperWidth, PrinterSim, PrinterSimConfig};
use kiosk_sync::clock::SystemClock;
use serde_json::json;

#[path = "../../../tests/support/mod.rs"]
mod support;
use support::{Kiosk, li_xiulan_card, proc_field};

const LIBFAKETIME: &str = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";

fn env<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The kiosk (this build's, or `KIOSK_BIN`) on `config`, logging warnings
/// only, in a folder of its own (its kiosk.toml and stderr.log; the store
/// is where `config` says).
fn start_kiosk(config: &str, extra_env: &[(&str, &str)]) -> Kiosk {
    let mut env = vec![("KIOSK_LOG", "warn")];
    env.extend_from_slice(extra_env);
    Kiosk::start_with(tempfile::tempdir().unwrap(), config, &env, None)
}

/// Polls the screen id every 2 ms.
const POLL: Duration = Duration::from_millis(2);

/// One session: card placed → enrollment → (print → printed) → card
/// removed → home.
fn session(kiosk: &Kiosk, print: bool) {
    kiosk.place_id_card(li_xiulan_card());
    kiosk.wait_for_screen_id("enrollment", POLL);
    if print {
        kiosk.tap("打印业务办理单");
        kiosk.wait_for_screen_id("printed", POLL);
    }
    kiosk.remove_id_card();
    kiosk.wait_for_screen_id("home", POLL);
}

#[derive(Debug, Clone)]
struct Sample {
    sessions: usize,
    seconds: f64,
    pss_kib: u64,
    fds: u64,
    threads: u64,
    db_bytes: u64,
    wal_bytes: u64,
    pending: u64,
    accepted: u64,
    receipts: usize,
    /// Rows of the print journal (finished jobs are kept for the
    /// retention period).
    print_jobs: u64,
    /// The database as SQLite sees it (WAL included): pages in use and
    /// free pages, in bytes.
    used_bytes: u64,
    free_bytes: u64,
}

/// Print-journal rows and the store's logical size (pages in use, free
/// pages), on a read-only connection beside the kiosk's own.
fn store_counts(db: &Path) -> (u64, u64, u64) {
    let Ok(conn) =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
    else {
        return (0, 0, 0);
    };
    let _ = conn.busy_timeout(Duration::from_secs(5));
    let one = |sql: &str| -> u64 {
        conn.query_row(sql, [], |r| r.get::<_, i64>(0))
            .map_or(0, |n| n.max(0) as u64)
    };
    let jobs = one("SELECT COUNT(*) FROM print_job");
    let page = one("PRAGMA page_size");
    let pages = one("PRAGMA page_count");
    let free = one("PRAGMA freelist_count");
    (jobs, (pages - free.min(pages)) * page, free * page)
}

fn file_len(p: &Path) -> u64 {
    std::fs::metadata(p).map_or(0, |m| m.len())
}

fn sample(
    kiosk: &Kiosk,
    db: &Path,
    printer: &kiosk_sim::printer::PrinterSimHandle,
    sessions: usize,
    t0: Instant,
) -> Sample {
    let pid = kiosk.pid();
    let status = kiosk.get("/v1/sync/status");
    let mut wal = db.as_os_str().to_owned();
    wal.push("-wal");
    let (print_jobs, used_bytes, free_bytes) = store_counts(db);
    Sample {
        sessions,
        seconds: t0.elapsed().as_secs_f64(),
        pss_kib: proc_field(pid, "smaps_rollup", "Pss:"),
        fds: std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |d| d.count() as u64),
        threads: proc_field(pid, "status", "Threads:"),
        db_bytes: file_len(db),
        wal_bytes: file_len(&PathBuf::from(wal)),
        pending: status["pending"].as_u64().unwrap_or(0),
        accepted: status["accepted"].as_u64().unwrap_or(0),
        receipts: printer.receipts().len(),
        print_jobs,
        used_bytes,
        free_bytes,
    }
}

fn print_sample(s: &Sample) {
    println!(
        "{:>6} {:>8.0} {:>9.1} {:>5} {:>7} {:>10} {:>10} {:>10} {:>10} {:>7} {:>8} {:>6} {:>8}",
        s.sessions,
        s.seconds,
        s.pss_kib as f64 / 1024.0,
        s.fds,
        s.threads,
        s.db_bytes,
        s.wal_bytes,
        s.used_bytes,
        s.free_bytes,
        s.pending,
        s.accepted,
        s.print_jobs,
        s.receipts
    );
}

fn header() {
    println!(
        "{:>6} {:>8} {:>9} {:>5} {:>7} {:>10} {:>10} {:>10} {:>10} {:>7} {:>8} {:>6} {:>8}",
        "sess",
        "s",
        "PSS MB",
        "fds",
        "threads",
        "db bytes",
        "wal bytes",
        "used",
        "free",
        "pending",
        "accepted",
        "jobs",
        "receipts"
    );
}

/// Least-squares slope of y over x.
fn slope(points: &[(f64, f64)]) -> f64 {
    let n = points.len() as f64;
    if n < 2.0 {
        return f64::NAN;
    }
    let mx = points.iter().map(|p| p.0).sum::<f64>() / n;
    let my = points.iter().map(|p| p.1).sum::<f64>() / n;
    let sxy: f64 = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let sxx: f64 = points.iter().map(|p| (p.0 - mx).powi(2)).sum();
    if sxx == 0.0 { f64::NAN } else { sxy / sxx }
}

fn slopes(name: &str, samples: &[Sample]) {
    type Field = (&'static str, &'static str, fn(&Sample) -> f64);
    let fields: [Field; 8] = [
        ("PSS", "KiB", |s| s.pss_kib as f64),
        ("open fds", "", |s| s.fds as f64),
        ("threads", "", |s| s.threads as f64),
        ("store file", "bytes", |s| s.db_bytes as f64),
        ("store file + WAL", "bytes", |s| {
            (s.db_bytes + s.wal_bytes) as f64
        }),
        ("store in use (pages, WAL included)", "bytes", |s| {
            s.used_bytes as f64
        }),
        ("outbox rows kept (accepted)", "", |s| s.accepted as f64),
        ("print-journal rows kept", "", |s| s.print_jobs as f64),
    ];
    println!("least-squares slope per 1000 sessions, {name}:");
    for (field, unit, f) in fields {
        let points: Vec<(f64, f64)> = samples
            .iter()
            .map(|s| (s.sessions as f64 / 1000.0, f(s)))
            .collect();
        println!("  {field}: {:+.1} {unit}", slope(&points));
    }
}

fn main() {
    let sessions: usize = env("SOAK_SESSIONS", 10_000);
    let every: usize = env("SOAK_SAMPLE_EVERY", 500).max(1);
    let print_every: usize = env("SOAK_PRINT_EVERY", 10).max(1);
    let max_minutes: f64 = env("SOAK_MAX_MINUTES", f64::INFINITY);
    let after_purge: usize = env("SOAK_AFTER_PURGE", 500);
    let faketime: String = env("SOAK_FAKETIME", LIBFAKETIME.to_string());

    let dir = tempfile::tempdir().unwrap();
    let centre = CentralServer::start(
        "127.0.0.1:0".parse().unwrap(),
        Arc::new(
            Central::open_seeded(
                None,
                Arc::new(SystemClock),
                CentralOptions {
                    db: Some(dir.path().join("central.db")),
                    ..CentralOptions::default()
                },
            )
            .unwrap(),
        ),
    )
    .unwrap();
    let printer = PrinterSim::start(PrinterSimConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        out_dir: None,
        paper: PaperWidth::Mm58,
    })
    .unwrap();
    let db = dir.path().join("data").join("kiosk.db");
    let config = format!(
        "[simulation]\nenabled = true\n\
             [central]\nurl = \"{}\"\ntimeout_ms = 3000\n\
             [devices]\nprinter = \"tcp://{}\"\nid_reader_poll_ms = 50\n\
             [store]\npath = \"{}\"\n",
        centre.url(),
        printer.local_addr(),
        db.display()
    );

    let kiosk = start_kiosk(&config, &[]);
    kiosk.wait_for_screen_id("home", POLL);
    let t0 = Instant::now();
    println!(
        "soak: {sessions} sessions (every {print_every}th prints), sampled every {every}; kiosk pid {}, ID reader polled every 50 ms",
        kiosk.pid()
    );
    header();
    let mut samples = vec![sample(&kiosk, &db, &printer, 0, t0)];
    print_sample(&samples[0]);
    let mut done = 0;
    for i in 1..=sessions {
        session(&kiosk, i.is_multiple_of(print_every));
        done = i;
        if i.is_multiple_of(every) {
            let s = sample(&kiosk, &db, &printer, i, t0);
            print_sample(&s);
            samples.push(s);
        }
        if t0.elapsed().as_secs_f64() > max_minutes * 60.0 {
            println!("soak: stopped after {i} sessions (SOAK_MAX_MINUTES={max_minutes})");
            break;
        }
    }
    if !done.is_multiple_of(every) {
        let s = sample(&kiosk, &db, &printer, done, t0);
        print_sample(&s);
        samples.push(s);
    }
    let elapsed = t0.elapsed().as_secs_f64();
    println!(
        "soak: {done} sessions in {elapsed:.0} s ({:.0} ms per session), {} receipts printed",
        elapsed * 1000.0 / done.max(1) as f64,
        printer.receipts().len()
    );
    slopes("all samples", &samples);
    if samples.len() > 4 {
        let warm = samples.len() / 4;
        slopes(
            &format!("after the first {} sessions", samples[warm].sessions),
            &samples[warm..],
        );
    }

    // Retention: the same store, the clock 31 days on.
    if !Path::new(&faketime).exists() {
        println!("retention: skipped ({faketime} not found; apt-get install faketime)");
        return;
    }
    let before = sample(&kiosk, &db, &printer, done, t0);
    kiosk.terminate();
    let kiosk = start_kiosk(
        &config,
        &[
            ("LD_PRELOAD", faketime.as_str()),
            ("FAKETIME", "+31d"),
            ("DONT_FAKE_MONOTONIC", "1"),
        ],
    );
    kiosk.wait_for_screen_id("home", POLL);
    // The first cycle (at start) purges; this one waits for it to be over.
    let (_, cycle) = kiosk.post("/v1/sync/now", json!({}));
    let after = sample(&kiosk, &db, &printer, done, t0);
    println!(
        "retention: before the purge {} outbox rows and {} print jobs kept, {} bytes in use, {} free (file {} + WAL {}); restarted 31 days on: {} outbox rows, {} print jobs, {} pending, {} bytes in use, {} free (file {} + WAL {}) (sync now: {cycle})",
        before.accepted,
        before.print_jobs,
        before.used_bytes,
        before.free_bytes,
        before.db_bytes,
        before.wal_bytes,
        after.accepted,
        after.print_jobs,
        after.pending,
        after.used_bytes,
        after.free_bytes,
        after.db_bytes,
        after.wal_bytes
    );
    header();
    print_sample(&after);
    let mut tail = vec![after.clone()];
    for i in 1..=after_purge {
        session(&kiosk, i.is_multiple_of(print_every));
        if i.is_multiple_of(every) || i == after_purge {
            let s = sample(&kiosk, &db, &printer, done + i, t0);
            print_sample(&s);
            tail.push(s);
        }
    }
    if let Some(last) = tail.last() {
        println!(
            "retention: {after_purge} more sessions after the purge: file {} → {} bytes, in use {} → {} bytes, free {} → {} bytes, print jobs {} → {}",
            after.db_bytes,
            last.db_bytes,
            after.used_bytes,
            last.used_bytes,
            after.free_bytes,
            last.free_bytes,
            after.print_jobs,
            last.print_jobs
        );
    }
    kiosk.terminate();
    drop(centre);
}

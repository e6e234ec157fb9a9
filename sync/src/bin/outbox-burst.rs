//! `outbox-burst`: a small kiosk-side process for the kill -9 test and for
//! demos. It opens the store, starts the sync engine against a centre,
//! writes a burst of ratings to the outbox (printing one line per record
//! once it is committed), then waits until the outbox is drained.
//!
//! ```text
//! outbox-burst --db kiosk.db --key <64 hex> --url http://127.0.0.1:8080 \
//!              --prefix run7 --count 40 [--terminal K220100001]
//! ```
//!
//! Exit status 0 when drained, 1 on bad arguments or store errors, 2 when
//! the outbox did not drain within 60 s.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use kiosk_sync::client::{BreakerPolicy, ClientOptions, RetryPolicy};
use kiosk_sync::clock::SystemClock;
use kiosk_sync::outbox::EngineConfig;
use kiosk_sync::wire::RatingInput;
use kiosk_sync::{CentralClient, ClientConfig, Outbox, Store, StoreKey, SyncEngine};

struct Args {
    db: PathBuf,
    key: String,
    url: String,
    prefix: String,
    count: usize,
    terminal: String,
}

fn args() -> Result<Args, String> {
    let mut db = None;
    let mut key = None;
    let mut url = None;
    let mut prefix = "burst".to_string();
    let mut count = 0usize;
    let mut terminal = "K220100001".to_string();
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--db" => db = Some(PathBuf::from(value)),
            "--key" => key = Some(value),
            "--url" => url = Some(value),
            "--prefix" => prefix = value,
            "--count" => count = value.parse().map_err(|_| "--count must be a number")?,
            "--terminal" => terminal = value,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(Args {
        db: db.ok_or("--db is required")?,
        key: key.ok_or("--key is required")?,
        url: url.ok_or("--url is required")?,
        prefix,
        count,
        terminal,
    })
}

fn run(args: Args) -> Result<bool, kiosk_sync::Error> {
    let clock = Arc::new(SystemClock);
    let store = Arc::new(Store::open(&args.db, StoreKey::from_hex(&args.key)?)?);
    let client = Arc::new(CentralClient::with_options(
        ClientConfig {
            base_url: args.url,
            terminal_id: args.terminal.clone(),
            terminal_name: "outbox-burst".into(),
            area_code: "220100".into(),
            institution_code: "H22010000001".into(),
            institution_name: "测试大厅".into(),
            timeout: Duration::from_secs(2),
        },
        clock.clone(),
        ClientOptions {
            retry: RetryPolicy {
                max_attempts: 1,
                ..RetryPolicy::default()
            },
            breaker: BreakerPolicy {
                failure_threshold: 5,
                cool_down: Duration::from_millis(100),
            },
            ..ClientOptions::default()
        },
    )?);
    let outbox = Arc::new(Outbox::new(store, clock.clone(), &args.terminal));
    let engine = Arc::new(SyncEngine::new(
        outbox.clone(),
        client,
        EngineConfig {
            retry_interval: Duration::from_millis(50),
            datasets: Vec::new(),
            audit_batch: 0,
            ..EngineConfig::default()
        },
    ))
    .start()?;
    let mut out = std::io::stdout().lock();
    for i in 0..args.count {
        let id = format!("{}-{i}", args.prefix);
        let receipt = outbox.submit_rating(&RatingInput {
            rating_id: id.clone(),
            service: "burst".into(),
            score: 5,
            tags: Vec::new(),
            comment: String::new(),
            rated_at: "2026-11-22 09:30:00".into(),
        })?;
        let _ = writeln!(out, "enqueued {id} {}", receipt.msgid);
        let _ = out.flush();
    }
    let _ = writeln!(out, "waiting");
    let _ = out.flush();
    let drained = engine.wait_until_drained(Duration::from_secs(60));
    let _ = writeln!(out, "{}", if drained { "drained" } else { "not drained" });
    let _ = out.flush();
    engine.stop();
    Ok(drained)
}

fn main() -> std::process::ExitCode {
    let args = match args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("outbox-burst: {e}");
            return std::process::ExitCode::from(1);
        }
    };
    match run(args) {
        Ok(true) => std::process::ExitCode::SUCCESS,
        Ok(false) => std::process::ExitCode::from(2),
        Err(e) => {
            eprintln!("outbox-burst: {e}");
            std::process::ExitCode::from(1)
        }
    }
}

//! `kiosk sync status` and `kiosk sync now`.
//!
//! Both first ask a running kiosk through its automation API (`--api URL`,
//! else `127.0.0.1:[automation] port` when the API is enabled, with the
//! configured token), and use its answer only when it serves the same store
//! file. Otherwise `status` reads the store file itself and `now` opens the
//! store and runs one cycle against the configured centre: a record the
//! running kiosk sends at the same moment goes with the same `msgid`, and
//! the centre answers the repeat from its record, so a double send is
//! harmless.

use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Subcommand};

use kiosk_core::clock::Clock;
use kiosk_sync::clock::SystemClock;
use kiosk_sync::{CentralClient, Store, StoreKey};

use crate::backend::{self, Backend, CycleView, StatusView, StorePaths};
use crate::config::Config;
use crate::error::Error;

/// `kiosk sync`.
#[derive(Debug, Args)]
pub struct SyncArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: SyncCommand,
}

/// `kiosk sync status | now`.
#[derive(Debug, Subcommand)]
pub enum SyncCommand {
    /// Queue length, oldest pending item (kind and age), last successful
    /// contact with the centre, dataset versions.
    Status {
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// Automation API of the running kiosk (default: from the configuration).
        #[arg(long)]
        api: Option<String>,
    },
    /// Run a sync cycle now (through the running kiosk, else here) and
    /// print what was sent, accepted, rejected and is still pending.
    Now {
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// Automation API of the running kiosk (default: from the configuration).
        #[arg(long)]
        api: Option<String>,
    },
}

/// How long `sync now` waits for a running kiosk's cycle.
const CYCLE_WAIT: Duration = Duration::from_secs(30);

/// Runs `kiosk sync …`. `Ok(false)`: the centre could not be reached.
pub fn run(config: &Config, args: &SyncArgs) -> Result<bool, Error> {
    let paths = StorePaths::resolve(&config.store)?;
    match &args.command {
        SyncCommand::Status { json, api } => {
            let view = match ask_kiosk::<StatusView>(
                config,
                api.as_deref(),
                "GET",
                "/v1/sync/status",
                &paths,
            ) {
                Some(view) => view,
                None => local_status(&paths)?,
            };
            print(&view, *json)?;
            Ok(true)
        }
        SyncCommand::Now { json, api } => {
            let view = match ask_kiosk::<CycleView>(
                config,
                api.as_deref(),
                "POST",
                "/v1/sync/now",
                &paths,
            ) {
                Some(view) => view,
                None => local_cycle(config, paths)?,
            };
            print(&view, *json)?;
            Ok(!view.unreachable)
        }
    }
}

fn print<T: serde::Serialize + std::fmt::Display>(view: &T, json: bool) -> Result<(), Error> {
    let text = if json {
        let mut t =
            serde_json::to_string_pretty(view).map_err(|e| Error::Io(std::io::Error::other(e)))?;
        t.push('\n');
        t
    } else {
        view.to_string()
    };
    use std::io::Write as _;
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Error::Io(e)),
        _ => Ok(()),
    }
}

/// The running kiosk's API base URL, if one is configured.
fn api_url(config: &Config, api: Option<&str>) -> Option<String> {
    match api {
        Some(url) => Some(url.trim_end_matches('/').to_string()),
        None if config.automation_enabled() && config.automation.port != 0 => {
            Some(format!("http://127.0.0.1:{}", config.automation.port))
        }
        None => None,
    }
}

/// Asks the running kiosk; `None` when none answers or it serves another store.
fn ask_kiosk<T: serde::de::DeserializeOwned>(
    config: &Config,
    api: Option<&str>,
    method: &str,
    path: &str,
    paths: &StorePaths,
) -> Option<T> {
    let base = api_url(config, api)?;
    let http = reqwest::blocking::Client::builder()
        .connect_timeout(Duration::from_secs(1))
        .timeout(CYCLE_WAIT + Duration::from_secs(10))
        .build()
        .ok()?;
    // Same store? (A kiosk of another configuration may hold the port.)
    let mut status = http.get(format!("{base}/v1/sync/status"));
    if let Some(token) = &config.automation.token {
        status = status.bearer_auth(token);
    }
    let answer = match status.send() {
        Ok(a) => a,
        Err(e) => {
            tracing::debug!("no running kiosk at {base}: {e}");
            return None;
        }
    };
    if !answer.status().is_success() {
        eprintln!(
            "kiosk sync: the kiosk at {base} answered HTTP {}; using the store directly",
            answer.status().as_u16()
        );
        return None;
    }
    let view: StatusView = answer.json().ok()?;
    if std::path::Path::new(&view.store) != paths.db {
        eprintln!(
            "kiosk sync: the kiosk at {base} uses the store {}, not {}; using the store directly",
            view.store,
            paths.db.display()
        );
        return None;
    }
    let mut request = match method {
        "POST" => http.post(format!("{base}{path}")),
        _ => http.get(format!("{base}{path}")),
    };
    if let Some(token) = &config.automation.token {
        request = request.bearer_auth(token);
    }
    match request.send() {
        Ok(a) if a.status().is_success() => a.json().ok(),
        Ok(a) => {
            eprintln!(
                "kiosk sync: the kiosk at {base} answered HTTP {} to {path}",
                a.status().as_u16()
            );
            None
        }
        Err(e) => {
            eprintln!("kiosk sync: the kiosk at {base} did not answer {path}: {e}");
            None
        }
    }
}

/// Status read from the store file (no kiosk running).
fn local_status(paths: &StorePaths) -> Result<StatusView, Error> {
    if !paths.db.exists() {
        return Err(Error::Store {
            file: paths.db.display().to_string(),
            reason: "no store yet: the kiosk has not run with this configuration".into(),
        });
    }
    // Reading counts and versions opens no sealed record, so a missing key
    // file is not created here.
    let key = if paths.key_file.exists() {
        StoreKey::from_file(&paths.key_file).map_err(|e| Error::Store {
            file: paths.key_file.display().to_string(),
            reason: e.to_string(),
        })?
    } else {
        StoreKey::from_bytes([0; 32])
    };
    let store = Store::open(&paths.db, key).map_err(|e| Error::Store {
        file: paths.db.display().to_string(),
        reason: e.to_string(),
    })?;
    StatusView::from_store(&store, &paths.db, SystemClock.now())
}

/// One cycle run here against the configured centre.
fn local_cycle(config: &Config, paths: StorePaths) -> Result<CycleView, Error> {
    let Some(url) = config.central.url.clone() else {
        return Err(Error::Config {
            file: "kiosk.toml".into(),
            reason: "no kiosk is running and [central] url is not set: the built-in reference \
                     service only exists inside a running kiosk"
                .into(),
        });
    };
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let client = Arc::new(CentralClient::new(
        backend::client_config(config, url),
        Arc::clone(&clock),
    )?);
    let backend = Backend::open(config, paths, client, clock)?;
    let report = backend.sync_now_and_wait(CYCLE_WAIT)?.unwrap_or_default();
    let pending = backend.store().outbox_stats()?.pending;
    Ok(CycleView::of(&report, pending))
}

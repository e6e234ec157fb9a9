//! `kiosk-central`: the reference central service on its own.
//!
//! ```text
//! kiosk-central --listen 127.0.0.1:8080 --db central.db [--seed data/demo/people.toml] [--lock-days 180]
//!               [--region-profile data/regions/jilin.toml ...]
//! ```
//!
//! `--region-profile FILE` (repeatable) publishes a region profile to the
//! kiosks of its region through the `region_profiles` reference dataset;
//! the file must parse, and kiosks use it only when its `version` is higher
//! than the one they have.
//!
//! Without `--db` everything is kept in memory. Without `--seed` the seed
//! stored in the database is used, or the built-in demo data the first time.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use clap::Parser;

use kiosk_central::{Central, CentralOptions, CentralServer};
use kiosk_sync::clock::SystemClock;

/// Reference central service for medical-insurance kiosks (demo data only).
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// SQLite database file (created if missing); in memory when absent.
    #[arg(long)]
    db: Option<PathBuf>,
    /// Demo data file to (re)seed from.
    #[arg(long)]
    seed: Option<PathBuf>,
    /// Days after filing during which a long-term remote-care filing can
    /// be neither changed nor cancelled.
    #[arg(long, default_value_t = 180)]
    lock_days: u32,
    /// Region profile file to push to the kiosks of its region (repeatable).
    #[arg(long)]
    region_profile: Vec<PathBuf>,
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let seed = match &args.seed {
        Some(path) => match std::fs::read_to_string(path) {
            Ok(text) => Some((path.display().to_string(), text)),
            Err(e) => {
                eprintln!("kiosk-central: {}: {e}", path.display());
                return std::process::ExitCode::FAILURE;
            }
        },
        None => None,
    };
    // The filing limits of the first region profile given (the region the
    // centre serves); the built-in Jilin profile's otherwise.
    let mut filing_limits = kiosk_central::FilingLimits::builtin();
    if let Some(path) = args.region_profile.first() {
        let name = path.display().to_string();
        match std::fs::read_to_string(path)
            .map_err(|e| e.to_string())
            .and_then(|text| {
                kiosk_core::region::RegionProfile::parse(&name, &text).map_err(|e| e.to_string())
            }) {
            Ok(profile) => {
                filing_limits = kiosk_central::FilingLimits::from_rules(profile.filing_rules())
            }
            Err(e) => {
                eprintln!("kiosk-central: {name}: {e}");
                return std::process::ExitCode::FAILURE;
            }
        }
    }
    let options = CentralOptions {
        db: args.db.clone(),
        filing_lock_days: args.lock_days,
        filing_limits,
        ..CentralOptions::default()
    };
    let central = match Central::open_seeded(seed, Arc::new(SystemClock), options) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("kiosk-central: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    for path in &args.region_profile {
        let name = path.display().to_string();
        let published = std::fs::read_to_string(path)
            .map_err(|e| format!("{name}: {e}"))
            .and_then(|text| {
                let profile = kiosk_core::region::RegionProfile::parse(&name, &text)
                    .map_err(|e| e.to_string())?;
                central
                    .publish_region_profile(profile.id(), profile.version(), &text)
                    .map_err(|e| e.to_string())?;
                Ok((profile.id().to_string(), profile.version()))
            });
        match published {
            Ok((id, version)) => {
                println!("kiosk-central: region profile {id} version {version} published")
            }
            Err(e) => {
                eprintln!("kiosk-central: {e}");
                return std::process::ExitCode::FAILURE;
            }
        }
    }
    let people = central.data().people.len();
    match CentralServer::start(args.listen, Arc::new(central)) {
        Ok(server) => {
            println!(
                "kiosk-central: {people} demo people, listening on {}",
                server.url()
            );
            loop {
                std::thread::park();
            }
        }
        Err(e) => {
            eprintln!("kiosk-central: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

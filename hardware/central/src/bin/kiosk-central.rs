//! `kiosk-central`: the reference central service on its own.
//!
//! ```text
//! kiosk-central --listen 127.0.0.1:8080 [--seed data/demo/people.toml]
//! ```

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use clap::Parser;

use kiosk_central::{CentralServer, DemoData};
use kiosk_sync::clock::SystemClock;

/// Reference central service for medical-insurance kiosks (demo data only).
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Demo data file (default: the built-in demo people).
    #[arg(long)]
    seed: Option<PathBuf>,
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let data = match &args.seed {
        Some(path) => std::fs::read_to_string(path)
            .map_err(|e| format!("{}: {e}", path.display()))
            .and_then(|text| {
                DemoData::parse(&path.display().to_string(), &text).map_err(|e| e.to_string())
            }),
        None => DemoData::builtin().map_err(|e| e.to_string()),
    };
    let data = match data {
        Ok(d) => d,
        Err(e) => {
            eprintln!("kiosk-central: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let people = data.people.len();
    match CentralServer::spawn(args.listen, data, Arc::new(SystemClock)) {
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

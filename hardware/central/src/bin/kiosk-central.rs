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
//!
//! As a province's platform would run it (TLS, mutual TLS, SM2 envelope
//! signatures of registered terminals, gateway headers):
//!
//! ```text
//! kiosk-central --listen 127.0.0.1:8443 --tls-cert server.pem --tls-key server.key \
//!               --client-ca terminals-ca.pem \
//!               --terminal-key K2201-A001=terminal-sm2.pub.pem --require-signatures \
//!               --gateway-service-id svc-220100 --gateway-secret-file gateway.secret --gateway-digest sm3
//! ```

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
    /// Serve TLS with this certificate chain (PEM); needs --tls-key.
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The key of --tls-cert (PEM).
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Require client certificates signed by this CA (mutual TLS).
    #[arg(long, requires = "tls_cert")]
    client_ca: Option<PathBuf>,
    /// A registered terminal's SM2 public key: DEV_NO=FILE (repeatable).
    #[arg(long)]
    terminal_key: Vec<String>,
    /// Refuse envelopes not signed by a registered terminal.
    #[arg(long)]
    require_signatures: bool,
    /// Require gateway headers with this service id.
    #[arg(long, requires = "gateway_secret_file")]
    gateway_service_id: Option<String>,
    /// The gateway's shared secret (first line of the file).
    #[arg(long, requires = "gateway_service_id")]
    gateway_secret_file: Option<PathBuf>,
    /// The gateway signature's digest: sha256 or sm3.
    #[arg(long, default_value = "sha256")]
    gateway_digest: String,
    /// The console's staff accounts (TOML: `[[staff]]` name, role
    /// `admin`|`hall`, hall, password_hash); see docs/console.md.
    #[arg(long)]
    staff_file: Option<PathBuf>,
    /// Read a password from standard input, print its Argon2id hash for
    /// the staff file, and exit.
    #[arg(long)]
    hash_password: bool,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct StaffFile {
    staff: Vec<StaffEntry>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct StaffEntry {
    name: String,
    role: String,
    #[serde(default)]
    hall: String,
    password_hash: String,
}

/// Loads the console's staff accounts into the centre.
fn load_staff(central: &Central, file: &PathBuf) -> Result<usize, String> {
    let name = file.display().to_string();
    let text = std::fs::read_to_string(file).map_err(|e| format!("{name}: {e}"))?;
    let parsed: StaffFile = toml::from_str(&text).map_err(|e| format!("{name}: {e}"))?;
    for s in &parsed.staff {
        let role = kiosk_central::console::auth::Role::parse(&s.role)
            .ok_or_else(|| format!("{name}: staff {}: role must be admin or hall", s.name))?;
        if role == kiosk_central::console::auth::Role::Hall && s.hall.is_empty() {
            return Err(format!(
                "{name}: staff {}: a hall account needs its hall",
                s.name
            ));
        }
        central
            .add_staff_hashed(&s.name, &s.password_hash, role, &s.hall)
            .map_err(|e| format!("{name}: {e}"))?;
    }
    Ok(parsed.staff.len())
}

/// The link options of the command line: registered terminal keys, the
/// gateway check, the TLS configuration.
fn link_options(
    args: &Args,
    options: &mut CentralOptions,
) -> Result<Option<Arc<rustls::ServerConfig>>, String> {
    for entry in &args.terminal_key {
        let (dev_no, file) = entry
            .split_once('=')
            .ok_or_else(|| format!("--terminal-key {entry}: expected DEV_NO=FILE"))?;
        let pem = std::fs::read_to_string(file).map_err(|e| format!("{file}: {e}"))?;
        let verifier =
            kiosk_sync::signing::Sm2Verifier::from_pem(&pem).map_err(|e| format!("{file}: {e}"))?;
        println!(
            "kiosk-central: terminal {dev_no} registered, key id {}",
            verifier.key_id()
        );
        options.terminal_keys.insert(dev_no.to_string(), verifier);
    }
    options.require_signatures = args.require_signatures;
    if let (Some(service_id), Some(file)) = (&args.gateway_service_id, &args.gateway_secret_file) {
        let digest = kiosk_sync::gateway::GatewayDigest::parse(&args.gateway_digest)
            .ok_or_else(|| format!("--gateway-digest {}: sha256 or sm3", args.gateway_digest))?;
        let secret =
            std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
        let signer = kiosk_sync::gateway::GatewaySigner::new(
            service_id,
            secret.trim().as_bytes(),
            digest,
            kiosk_sync::gateway::GatewayHeaders::default(),
        );
        options.gateway = Some(Arc::new(kiosk_sync::gateway::GatewayCheck::new(
            signer, 300,
        )));
    }
    match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => {
            let read = |p: &PathBuf| std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()));
            let client_ca = args.client_ca.as_ref().map(read).transpose()?;
            let config =
                kiosk_central::tls_server_config(&read(cert)?, &read(key)?, client_ca.as_deref())
                    .map_err(|e| e.to_string())?;
            Ok(Some(Arc::new(config)))
        }
        _ => Ok(None),
    }
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    if args.hash_password {
        let mut line = String::new();
        if std::io::stdin().read_line(&mut line).is_err() {
            eprintln!("kiosk-central: no password on standard input");
            return std::process::ExitCode::FAILURE;
        }
        return match kiosk_central::console::auth::hash_password(
            line.trim_end_matches(['\r', '\n']),
        ) {
            Ok(hash) => {
                println!("{hash}");
                std::process::ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("kiosk-central: {e}");
                std::process::ExitCode::FAILURE
            }
        };
    }
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
                    .with_chronic(profile.chronic_rules())
            }
            Err(e) => {
                eprintln!("kiosk-central: {name}: {e}");
                return std::process::ExitCode::FAILURE;
            }
        }
    }
    let mut options = CentralOptions {
        db: args.db.clone(),
        filing_lock_days: args.lock_days,
        filing_limits,
        ..CentralOptions::default()
    };
    let tls = match link_options(&args, &mut options) {
        Ok(tls) => tls,
        Err(e) => {
            eprintln!("kiosk-central: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let central = match Central::open_seeded(seed, Arc::new(SystemClock), options) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("kiosk-central: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    if let Some(file) = &args.staff_file {
        match load_staff(&central, file) {
            Ok(n) => println!("kiosk-central: console: {n} staff accounts"),
            Err(e) => {
                eprintln!("kiosk-central: {e}");
                return std::process::ExitCode::FAILURE;
            }
        }
    }
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
    let started = match tls {
        Some(tls) => CentralServer::start_tls(args.listen, Arc::new(central), tls),
        None => CentralServer::start(args.listen, Arc::new(central)),
    };
    match started {
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

//! `kiosk`: the medical-insurance self-service kiosk.
//!
//! With no configuration it runs in simulation mode: simulated ID card
//! reader and printer, the built-in reference central service with demo
//! people, and the automation API on 127.0.0.1. With a configuration file
//! it runs in production mode (see `kiosk::startup`).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

use kiosk::app::{self, RunOptions};
use kiosk::config::Config;
use kiosk::{synccmd, tools};

/// Medical-insurance (医保) self-service kiosk.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// Configuration file (default: kiosk.toml if present, else simulation mode).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
    /// Run headless even when a display is available.
    #[arg(long)]
    headless: bool,
    /// Port of the automation API on 127.0.0.1 (0: a free port).
    #[arg(long)]
    automation_port: Option<u16>,
    /// Printer URI, e.g. tcp://127.0.0.1:9100 (default: from config, else simulated).
    #[arg(long)]
    printer: Option<String>,
    /// Where the simulated printer writes receipt PNGs and texts.
    #[arg(long)]
    receipts_dir: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// List the service guides (办事指南) of a region, or print one.
    Guides(tools::GuidesArgs),
    /// Read one ID card from a GA 467 reader and print it.
    ReadId(tools::ReadIdArgs),
    /// Read one social security card (USB CCID reader, or a card image) and print it.
    ReadCard(tools::ReadCardArgs),
    /// Print each code the QR scanner sends, with the e-voucher verdict.
    Scan(tools::ScanArgs),
    /// Print the technicians' test page (ruler, alignment, Chinese, QR, cut).
    PrintTest(tools::PrintTestArgs),
    /// The outbox and the reference data: `sync status`, `sync now`.
    Sync(synccmd::SyncArgs),
    /// Synthesize the voice prompts (one WAV per prompt) with espeak-ng.
    VoicePack {
        /// Output folder (default: the configured `[ui] voice_dir`).
        #[arg(long)]
        out: Option<PathBuf>,
        /// The speech synthesizer.
        #[arg(long, default_value = "espeak-ng")]
        engine: String,
    },
    /// Write a new SM2 terminal key pair for envelope signatures: the
    /// private key (0600) and the public key to register with the province.
    Keygen {
        /// Folder for `terminal-sm2.key` and `terminal-sm2.pub.pem`.
        #[arg(long, default_value = ".")]
        out: PathBuf,
    },
    /// Check every configured device once and report its state.
    Doctor {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    init_logs();
    kiosk_sync::link::install_crypto_provider();
    let cli = Cli::parse();
    let config_file;
    let config = match load_config(cli.config.as_ref()) {
        Ok((c, file)) => {
            config_file = file;
            c
        }
        Err(e) => {
            eprintln!("kiosk: {e}");
            return ExitCode::FAILURE;
        }
    };
    let tool = match &cli.command {
        Some(Command::ReadId(args)) => Some((tools::read_id(args), args.json)),
        Some(Command::ReadCard(args)) => Some((tools::read_card(args), args.json)),
        Some(Command::Scan(args)) => {
            let rule = kiosk_drivers::scanner::TokenRule {
                prefixes: config.devices.evoucher_prefixes.clone(),
                ..kiosk_drivers::scanner::TokenRule::default()
            };
            Some((tools::scan(args, rule), false))
        }
        Some(Command::PrintTest(args)) => Some((tools::print_test(&config, args), false)),
        Some(Command::Sync(args)) => {
            return match synccmd::run(&config, args) {
                Ok(true) => ExitCode::SUCCESS,
                // The cycle ran but the centre could not be reached.
                Ok(false) => ExitCode::from(2),
                Err(e) => {
                    eprintln!("kiosk: {e}");
                    ExitCode::FAILURE
                }
            };
        }
        Some(Command::Doctor { json }) => {
            return if tools::doctor(&config, *json) {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            };
        }
        _ => None,
    };
    if let Some((result, json)) = tool {
        return match result {
            Ok(()) => ExitCode::SUCCESS,
            Err(failure) => {
                failure.report(json);
                ExitCode::FAILURE
            }
        };
    }
    if let Some(Command::Keygen { out }) = &cli.command {
        return match kiosk::centrallink::keygen(out) {
            Ok((private, public, key_id)) => {
                println!("kiosk keygen: SM2 terminal key, key id {key_id}");
                println!(
                    "  private key (keep on this kiosk, 0600): {}",
                    private.display()
                );
                println!(
                    "  public key (register with the province's platform): {}",
                    public.display()
                );
                println!(
                    "  in kiosk.toml: [central] signer = \"sm2\", key_file = \"{}\"",
                    private.display()
                );
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("kiosk keygen: {e}");
                ExitCode::FAILURE
            }
        };
    }
    if let Some(Command::VoicePack { out, engine }) = &cli.command {
        let dir = out.clone().unwrap_or_else(|| config.ui.voice_dir.clone());
        return match kiosk::voice::synthesize(&dir, engine) {
            Ok(n) => {
                println!("{n} voice prompts written to {}", dir.display());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("kiosk voice-pack: {e}");
                ExitCode::FAILURE
            }
        };
    }
    if cli.command.is_none()
        && let Some(mut command) = kiosk::display::rotation_exec(&config)
    {
        // linuxkms reads its rotation from the environment: start again
        // with it set (same process id, so systemd still supervises it).
        let error = std::os::unix::process::CommandExt::exec(&mut command);
        eprintln!(
            "kiosk: cannot restart with {}: {error}",
            kiosk::display::ROTATION_ENV
        );
        return ExitCode::FAILURE;
    }
    let result = match cli.command {
        Some(Command::Guides(args)) => tools::guides(&config, &args),
        Some(_) => Ok(()),
        None => app::run(
            config,
            RunOptions {
                headless: cli.headless,
                automation_port: cli.automation_port,
                printer: cli.printer,
                receipts_dir: cli.receipts_dir,
                config_file,
            },
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(kiosk::Error::CentralLink(problems)) => {
            for p in &problems {
                eprintln!("kiosk: 配置错误: {p}");
            }
            eprintln!(
                "kiosk: the central service link is not usable ({} problem(s)); journeys not started. `kiosk doctor` shows the same.",
                problems.len()
            );
            // EX_CONFIG, as every other refused start-up: systemd does not
            // restart a kiosk whose files must be fixed first.
            ExitCode::from(78)
        }
        Err(e) => {
            eprintln!("kiosk: {e}");
            match e {
                // EX_CONFIG: the unit's RestartPreventExitStatus= keeps
                // systemd from restarting a kiosk that cannot start as
                // configured.
                kiosk::Error::Refused(_)
                | kiosk::Error::Config { .. }
                | kiosk::Error::NoSimulators(_) => ExitCode::from(78),
                _ => ExitCode::FAILURE,
            }
        }
    }
}

/// Logs: to the journal when systemd connected the kiosk's output to it
/// (`JOURNAL_STREAM`, the packaged service), with each event's fields as
/// journal fields (the session's screen as the span field `journey`);
/// else to stderr. Level from `KIOSK_LOG` (default `info`). Neither ever
/// carries personal data.
fn init_logs() {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let filter = || EnvFilter::try_from_env("KIOSK_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let journald = std::env::var_os("JOURNAL_STREAM")
        .and_then(|_| tracing_journald::layer().ok())
        .map(|layer| layer.with_syslog_identifier("kiosk".into()));
    match journald {
        Some(layer) => tracing_subscriber::registry()
            .with(filter())
            .with(layer)
            .init(),
        None => tracing_subscriber::fmt()
            .with_env_filter(filter())
            .with_writer(std::io::stderr)
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .with_target(false)
            .init(),
    }
}

/// The configuration and the file it came from (`None`: no file, the
/// defaults: simulation mode).
fn load_config(path: Option<&PathBuf>) -> Result<(Config, Option<PathBuf>), kiosk::Error> {
    match path {
        Some(p) => Ok((Config::load(p)?, Some(p.clone()))),
        None => {
            let default = PathBuf::from("kiosk.toml");
            if default.exists() {
                Ok((Config::load(&default)?, Some(default)))
            } else {
                Ok((Config::default(), None))
            }
        }
    }
}

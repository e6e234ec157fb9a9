//! `kiosk-sim`: run a device simulator on its own, for technicians and demos.
//!
//! ```text
//! kiosk-sim idcard --card card.json --link /tmp/idreader   # GA 467 reader on a pty
//! kiosk-sim scanner --link /tmp/qr-scanner                # QR scanner on a pty, codes from stdin
//! kiosk-sim printer --listen 127.0.0.1:9100 --out receipts  # ESC/POS printer on TCP
//! ```

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Device simulators that speak the kiosk's real wire protocols.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    device: Device,
}

#[derive(Subcommand)]
enum Device {
    /// Resident ID card reader (GA 467 SAM protocol) on a pseudo-terminal.
    Idcard(kiosk_sim::idcard::IdcardArgs),
    /// E-voucher QR scanner on a pseudo-terminal: each line typed is scanned.
    Scanner(kiosk_sim::scanner::ScannerArgs),
    /// ESC/POS thermal printer on TCP, rendering each receipt to PNG.
    Printer(kiosk_sim::printer::PrinterArgs),
}

fn main() -> ExitCode {
    let result = match Cli::parse().device {
        Device::Idcard(args) => kiosk_sim::idcard::cli(args),
        Device::Scanner(args) => kiosk_sim::scanner::cli(args),
        Device::Printer(args) => kiosk_sim::printer::cli(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kiosk-sim: {e}");
            ExitCode::FAILURE
        }
    }
}

//! The e-voucher scanner loop: reads the scanner's serial port, turns
//! each accepted code into `CredentialPresented(EVoucher)` and each
//! refused one into `CredentialReadFailed` with the reason in Chinese. The
//! port's own read timeout (500 ms) paces the loop. Opening, reopening an
//! unplugged scanner with a backoff, and stopping are
//! [`device_loop`](crate::device_loop)'s.

use std::time::{Duration, Instant};

use crossbeam_channel::Sender;
use serialport::SerialPort;

use kiosk_core::identity::Credential;
use kiosk_core::session::Event;
use kiosk_drivers::Error as DriverError;
use kiosk_drivers::scanner::{self, ScanOutcome, Scanner, TokenRule};

use crate::device_loop::{self, Device, DeviceHealth, Step, Stop};

/// Loop settings.
#[derive(Debug, Clone)]
pub struct ScannerSettings {
    /// Serial port path.
    pub path: String,
    /// Baud rate.
    pub baud: u32,
    /// Duplicate window.
    pub debounce: Duration,
    /// Token rule.
    pub rule: TokenRule,
}

/// The event for one scan outcome.
pub fn event_for(outcome: ScanOutcome) -> Event {
    match outcome {
        ScanOutcome::Voucher(token) => Event::CredentialPresented(Credential::EVoucher { token }),
        ScanOutcome::Rejected(reason) => Event::CredentialReadFailed {
            message: reason.user_message().to_string(),
        },
    }
}

struct QrScanner(ScannerSettings);

impl Device for QrScanner {
    type Link = Scanner<Box<dyn SerialPort>>;
    const NAME: &'static str = "QR scanner";
    const KEY: &'static str = "qr_scanner";

    fn open(&mut self) -> Result<Self::Link, DriverError> {
        let port = scanner::open_serial(&self.0.path, self.0.baud)?;
        Ok(Scanner::new(port, self.0.rule.clone(), self.0.debounce))
    }

    fn poll(&mut self, scanner: &mut Self::Link, events: &Sender<Event>) -> Step {
        // Blocks up to the port's read timeout: no pause needed after it.
        match scanner.poll(Instant::now()) {
            Ok(outcomes) => {
                for outcome in outcomes {
                    match &outcome {
                        ScanOutcome::Voucher(_) => tracing::info!("e-voucher scanned"),
                        ScanOutcome::Rejected(r) => tracing::info!("scan rejected: {r}"),
                    }
                    if events.send(event_for(outcome)).is_err() {
                        return Step::Quit;
                    }
                }
                Step::Again(Duration::ZERO)
            }
            Err(e) => Step::Lost(e),
        }
    }

    /// A scanner holds nothing of the citizen's between scans, and a scan
    /// that never arrives cannot be told apart from no scan: a lost
    /// scanner is logged and shown in the health table only.
    fn lost(&mut self, _error: &DriverError) -> Vec<Event> {
        Vec::new()
    }
}

/// Runs until `stop` is given.
pub fn run(settings: ScannerSettings, events: Sender<Event>, stop: Stop, health: DeviceHealth) {
    device_loop::run(QrScanner(settings), events, stop, health);
}

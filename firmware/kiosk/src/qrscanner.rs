//! The e-voucher scanner loop: reads the scanner's serial port, turns
//! each accepted code into `CredentialPresented(EVoucher)` and each
//! refused one into `CredentialReadFailed` with the reason in Chinese. A
//! port that fails is reopened after a pause. The port's own read timeout
//! (100 ms) paces the loop; stopping is checked every round.

use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, TryRecvError};

use kiosk_core::identity::Credential;
use kiosk_core::session::Event;
use kiosk_drivers::scanner::{self, ScanOutcome, Scanner, TokenRule};

/// Pause before reopening a port that failed.
const REOPEN_AFTER: Duration = Duration::from_secs(1);

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
    /// Where the loop reports the scanner's state (health reports).
    pub health: crate::health::DeviceSlot,
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

/// Runs until `stop` receives a message or is disconnected.
pub fn run(settings: ScannerSettings, events: Sender<Event>, stop: Receiver<()>) {
    let mut reported_open_failure = false;
    loop {
        let port = match scanner::open_serial(&settings.path, settings.baud) {
            Ok(port) => {
                tracing::info!("QR scanner opened");
                settings.health.ok("opened");
                reported_open_failure = false;
                port
            }
            Err(e) => {
                if !reported_open_failure {
                    settings.health.down(format!("cannot be opened: {e}"));
                    tracing::warn!("QR scanner cannot be opened: {e}");
                    reported_open_failure = true;
                }
                if !matches!(
                    stop.recv_timeout(REOPEN_AFTER),
                    Err(RecvTimeoutError::Timeout)
                ) {
                    return;
                }
                continue;
            }
        };
        let mut scanner = Scanner::new(port, settings.rule.clone(), settings.debounce);
        loop {
            match stop.try_recv() {
                Err(TryRecvError::Empty) => {}
                _ => return,
            }
            match scanner.poll(Instant::now()) {
                Ok(outcomes) => {
                    for outcome in outcomes {
                        match &outcome {
                            ScanOutcome::Voucher(_) => tracing::info!("e-voucher scanned"),
                            ScanOutcome::Rejected(r) => tracing::info!("scan rejected: {r}"),
                        }
                        if events.send(event_for(outcome)).is_err() {
                            return;
                        }
                    }
                }
                Err(e) => {
                    tracing::warn!("QR scanner lost: {e}");
                    settings.health.down(format!("lost: {e}"));
                    break;
                }
            }
        }
        if !matches!(
            stop.recv_timeout(REOPEN_AFTER),
            Err(RecvTimeoutError::Timeout)
        ) {
            return;
        }
    }
}

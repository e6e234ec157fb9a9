//! The ID card reader loop: asks the reader every poll interval whether a
//! card is present, reads it once when one arrives, and reports its
//! removal. A reader that disappears (unplugged) is reopened on the next
//! round. Waiting is a bounded `recv_timeout` on the stop channel: no busy
//! loop, and stopping is immediate.

use std::time::Duration;

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};

use kiosk_core::identity::Credential;
use kiosk_core::session::Event;
use kiosk_drivers::Error as DriverError;
use kiosk_drivers::idcard::open_serial;

/// Per-command deadline of the reader.
const COMMAND_TIMEOUT: Duration = Duration::from_millis(1500);
/// Pause before reopening a reader that failed to open.
const REOPEN_AFTER: Duration = Duration::from_secs(1);
/// How many "no card" answers in a row mean the card was taken away
/// (one miss can be a card shifted on the reader).
const MISSES_FOR_REMOVAL: u32 = 2;
/// Failed polls in a row after which the port is closed and reopened
/// (a USB-serial reader that was unplugged and plugged in again).
const ERRORS_FOR_REOPEN: u32 = 3;

/// Reader settings.
#[derive(Debug, Clone)]
pub struct ReaderSettings {
    /// Serial port path.
    pub path: String,
    /// Baud rate.
    pub baud: u32,
    /// Poll interval.
    pub poll: Duration,
    /// Where the loop reports the reader's state (health reports).
    pub health: crate::health::DeviceSlot,
}

/// Runs until `stop` receives a message or is disconnected.
pub fn run(settings: ReaderSettings, events: Sender<Event>, stop: Receiver<()>) {
    let mut reader = None;
    let mut present = false;
    let mut misses = 0;
    let mut reported_open_failure = false;
    let mut errors_in_a_row = 0;
    loop {
        let pause = match reader.as_mut() {
            None => match open_serial(&settings.path, settings.baud, COMMAND_TIMEOUT) {
                Ok(r) => {
                    tracing::info!("ID card reader opened");
                    settings.health.ok("opened");
                    reported_open_failure = false;
                    reader = Some(r);
                    Duration::ZERO
                }
                Err(e) => {
                    if !reported_open_failure {
                        settings.health.down(format!("cannot be opened: {e}"));
                        tracing::warn!("ID card reader cannot be opened: {e}");
                        reported_open_failure = true;
                    }
                    REOPEN_AFTER
                }
            },
            Some(r) => {
                let polled = r.find_card();
                errors_in_a_row = if polled.is_err() {
                    errors_in_a_row + 1
                } else {
                    0
                };
                match polled {
                    Ok(true) if !present => {
                        present = true;
                        misses = 0;
                        let event = match r.read_document() {
                            Ok(Some(doc)) => Event::CredentialPresented(Credential::IdDocument {
                                kind: doc.kind,
                                number: doc.number,
                                name: doc.name,
                            }),
                            // Lifted between the two commands: try again next round.
                            Ok(None) => {
                                present = false;
                                Event::Tick
                            }
                            Err(e) => {
                                tracing::warn!("ID card read failed: {e}");
                                Event::CredentialReadFailed {
                                    message: e.user_message(),
                                }
                            }
                        };
                        if events.send(event).is_err() {
                            return;
                        }
                    }
                    Ok(true) => misses = 0,
                    Ok(false) => {
                        if present {
                            misses += 1;
                            if misses >= MISSES_FOR_REMOVAL {
                                present = false;
                                misses = 0;
                                if events.send(Event::CredentialRemoved).is_err() {
                                    return;
                                }
                            }
                        }
                    }
                    Err(e) if link_lost(&e) || errors_in_a_row >= ERRORS_FOR_REOPEN => {
                        tracing::warn!("ID card reader lost: {e}");
                        settings.health.down(format!("lost: {e}"));
                        reader = None;
                        errors_in_a_row = 0;
                        if present {
                            present = false;
                            let _ = events.send(Event::CredentialRemoved);
                        }
                    }
                    Err(e) => tracing::debug!("ID card reader poll: {e}"),
                }
                settings.poll
            }
        };
        if !continue_later(&stop, pause) {
            return;
        }
    }
}

/// Waits `pause` unless stopped; false when the loop must end.
fn continue_later(stop: &Receiver<()>, pause: Duration) -> bool {
    matches!(stop.recv_timeout(pause), Err(RecvTimeoutError::Timeout))
}

fn link_lost(error: &DriverError) -> bool {
    matches!(error, DriverError::Io(_) | DriverError::SerialOpen { .. })
}

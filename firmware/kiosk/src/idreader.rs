//! The ID card reader loop: asks the reader every poll interval whether a
//! card is present, reads it once when one arrives, and reports its
//! removal. Opening, reopening an unplugged reader with a backoff, and
//! stopping are [`device_loop`](crate::device_loop)'s.

use std::time::Duration;

use crossbeam_channel::Sender;
use serialport::SerialPort;

use kiosk_core::identity::Credential;
use kiosk_core::session::Event;
use kiosk_drivers::Error as DriverError;
use kiosk_drivers::idcard::{IdCardReader, open_serial};

use crate::device_loop::{self, Device, DeviceHealth, Step, Stop};

/// Per-command deadline of the reader.
const COMMAND_TIMEOUT: Duration = Duration::from_millis(1500);
/// How many "no card" answers in a row mean the card was taken away
/// (one miss can be a card shifted on the reader).
const MISSES_FOR_REMOVAL: u32 = 2;
/// Failed polls in a row after which the port is closed and reopened
/// (a reader that stopped answering without its port going away).
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
}

/// The reader and what the loop remembers about the card on it.
struct IdReader {
    settings: ReaderSettings,
    present: bool,
    misses: u32,
    errors_in_a_row: u32,
}

impl Device for IdReader {
    type Link = IdCardReader<Box<dyn SerialPort>>;
    const NAME: &'static str = "ID card reader";
    const KEY: &'static str = "id_card_reader";

    fn open(&mut self) -> Result<Self::Link, DriverError> {
        open_serial(&self.settings.path, self.settings.baud, COMMAND_TIMEOUT)
    }

    fn poll(&mut self, reader: &mut Self::Link, events: &Sender<Event>) -> Step {
        let polled = reader.find_card();
        self.errors_in_a_row = if polled.is_err() {
            self.errors_in_a_row + 1
        } else {
            0
        };
        match polled {
            Ok(true) if !self.present => {
                self.present = true;
                self.misses = 0;
                let event = match reader.read_document() {
                    Ok(Some(doc)) => Event::CredentialPresented(Credential::IdDocument {
                        kind: doc.kind,
                        number: doc.number,
                        name: doc.name,
                    }),
                    // Lifted between the two commands: try again next round.
                    Ok(None) => {
                        self.present = false;
                        Event::Tick
                    }
                    // Unplugged in the middle of the read: the citizen is
                    // told through `lost`.
                    Err(e) if e.is_link_lost() => return Step::Lost(e),
                    Err(e) => {
                        tracing::warn!("ID card read failed: {e}");
                        Event::CredentialReadFailed {
                            message: e.user_message(),
                        }
                    }
                };
                if events.send(event).is_err() {
                    return Step::Quit;
                }
            }
            Ok(true) => self.misses = 0,
            Ok(false) => {
                if self.present {
                    self.misses += 1;
                    if self.misses >= MISSES_FOR_REMOVAL {
                        self.present = false;
                        self.misses = 0;
                        if events.send(Event::CredentialRemoved).is_err() {
                            return Step::Quit;
                        }
                    }
                }
            }
            Err(e) if e.is_link_lost() || self.errors_in_a_row >= ERRORS_FOR_REOPEN => {
                return Step::Lost(e);
            }
            Err(e) => tracing::debug!("ID card reader poll: {e}"),
        }
        Step::Again(self.settings.poll)
    }

    fn lost(&mut self, error: &DriverError) -> Vec<Event> {
        self.misses = 0;
        self.errors_in_a_row = 0;
        device_loop::lost_events(std::mem::take(&mut self.present), error)
    }
}

/// Runs until `stop` is given.
pub fn run(settings: ReaderSettings, events: Sender<Event>, stop: Stop, health: DeviceHealth) {
    let reader = IdReader {
        settings,
        present: false,
        misses: 0,
        errors_in_a_row: 0,
    };
    device_loop::run(reader, events, stop, health);
}

//! The social security card loop: polls the CCID slot every interval,
//! reads a card once when one is inserted, reports its removal. Opening,
//! reopening an unplugged reader with a backoff, and stopping are
//! [`device_loop`](crate::device_loop)'s.
//!
//! Also home of [`SimPipe`], the adapter that puts the simulated reader of
//! `kiosk-sim` behind the driver's [`BulkPipe`] trait.

#[cfg(feature = "simulators")]
use std::collections::VecDeque;
use std::time::Duration;

use crossbeam_channel::Sender;

use kiosk_core::session::Event;
use kiosk_drivers::Error as DriverError;
#[cfg(feature = "simulators")]
use kiosk_drivers::error::Device;
use kiosk_drivers::sscard::{BulkPipe, SsCardReader};
#[cfg(feature = "simulators")]
use kiosk_sim::sscard::SimCcidReader;

use crate::device_loop::{self, DeviceHealth, Step, Stop};

/// Per-command deadline of the CCID reader (time extensions included).
pub const COMMAND_TIMEOUT: Duration = Duration::from_millis(3000);
/// Failed polls in a row after which the reader is closed and reopened.
const ERRORS_FOR_REOPEN: u32 = 3;

/// The driver's pipe over the simulated CCID reader.
#[cfg(feature = "simulators")]
pub struct SimPipe {
    sim: SimCcidReader,
    pending: VecDeque<Vec<u8>>,
}

#[cfg(feature = "simulators")]
impl SimPipe {
    /// A pipe to `sim`.
    pub fn new(sim: SimCcidReader) -> SimPipe {
        SimPipe {
            sim,
            pending: VecDeque::new(),
        }
    }
}

/// What a USB pipe reports when its reader was pulled out (libusb
/// `NoDevice`).
#[cfg(feature = "simulators")]
fn unplugged() -> DriverError {
    DriverError::Disconnected {
        device: Device::SsCardReader,
        source: std::io::ErrorKind::NotConnected.into(),
    }
}

#[cfg(feature = "simulators")]
impl BulkPipe for SimPipe {
    fn write_bulk(&mut self, data: &[u8], _timeout: Duration) -> Result<(), DriverError> {
        if self.sim.is_unplugged() {
            return Err(unplugged());
        }
        // A new command: replies still queued belong to an abandoned one.
        self.pending.clear();
        self.pending.extend(self.sim.handle_bulk_out(data));
        Ok(())
    }

    fn read_bulk(&mut self, buf: &mut [u8], _timeout: Duration) -> Result<usize, DriverError> {
        if self.sim.is_unplugged() {
            return Err(unplugged());
        }
        // The simulator answers at once: nothing queued is a silent reader.
        let message = self.pending.pop_front().ok_or(DriverError::Timeout {
            device: Device::SsCardReader,
        })?;
        let n = message.len().min(buf.len());
        buf[..n].copy_from_slice(&message[..n]);
        Ok(n)
    }

    fn read_interrupt(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, DriverError> {
        Ok(match self.sim.wait_interrupt(timeout) {
            Some(m) => {
                let n = m.len().min(buf.len());
                buf[..n].copy_from_slice(&m[..n]);
                n
            }
            None => 0,
        })
    }
}

/// Where the reader is.
#[derive(Clone)]
pub enum ReaderSource {
    /// The simulated reader.
    #[cfg(feature = "simulators")]
    Sim(SimCcidReader),
    /// A USB CCID reader: `None` the first class-0B reader, else VID:PID.
    Usb(Option<(u16, u16)>),
}

impl std::fmt::Debug for ReaderSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            #[cfg(feature = "simulators")]
            ReaderSource::Sim(_) => write!(f, "simulated"),
            ReaderSource::Usb(None) => write!(f, "usb"),
            ReaderSource::Usb(Some((v, p))) => write!(f, "usb:{v:04x}:{p:04x}"),
        }
    }
}

impl ReaderSource {
    /// Parses the `ss_card_reader` setting: `usb` or `usb:VID:PID`.
    pub fn parse(setting: &str) -> Option<ReaderSource> {
        let setting = setting.trim();
        if setting == "usb" {
            return Some(ReaderSource::Usb(None));
        }
        let ids = setting.strip_prefix("usb:")?;
        parse_vid_pid(ids).map(|ids| ReaderSource::Usb(Some(ids)))
    }

    /// Opens the pipe.
    pub fn open(&self) -> Result<Box<dyn BulkPipe + Send>, DriverError> {
        match self {
            #[cfg(feature = "simulators")]
            ReaderSource::Sim(sim) => {
                if sim.is_unplugged() {
                    return Err(DriverError::UsbReaderNotFound {
                        what: "simulated reader unplugged".into(),
                    });
                }
                Ok(Box::new(SimPipe::new(sim.clone())))
            }
            ReaderSource::Usb(ids) => open_usb(*ids),
        }
    }
}

/// Parses `VID:PID` in hex.
pub fn parse_vid_pid(text: &str) -> Option<(u16, u16)> {
    let (v, p) = text.split_once(':')?;
    Some((
        u16::from_str_radix(v.trim(), 16).ok()?,
        u16::from_str_radix(p.trim(), 16).ok()?,
    ))
}

#[cfg(feature = "usb")]
fn open_usb(ids: Option<(u16, u16)>) -> Result<Box<dyn BulkPipe + Send>, DriverError> {
    use kiosk_drivers::sscard::usb::{ReaderSelector, UsbPipe};
    let selector = match ids {
        None => ReaderSelector::AnyCcid,
        Some((v, p)) => ReaderSelector::VidPid(v, p),
    };
    Ok(Box::new(UsbPipe::open(selector)?))
}

#[cfg(not(feature = "usb"))]
fn open_usb(_ids: Option<(u16, u16)>) -> Result<Box<dyn BulkPipe + Send>, DriverError> {
    Err(DriverError::Usb(
        "this kiosk binary was built without the `usb` feature".into(),
    ))
}

/// Loop settings.
#[derive(Debug, Clone)]
pub struct SsCardSettings {
    /// The reader.
    pub source: ReaderSource,
    /// Poll interval.
    pub poll: Duration,
}

struct SsReader {
    settings: SsCardSettings,
    present: bool,
    errors_in_a_row: u32,
    /// The reader has shown that it sends slot-change notifications.
    notifies: bool,
}

/// How often a reader that sends slot-change notifications is still
/// asked for its slot status (a missed notification costs at most this).
const NOTIFYING_FALLBACK: Duration = Duration::from_secs(2);

impl device_loop::Device for SsReader {
    type Link = SsCardReader<Box<dyn BulkPipe + Send>>;
    const NAME: &'static str = "social security card reader";
    const KEY: &'static str = "ss_card_reader";

    fn open(&mut self) -> Result<Self::Link, DriverError> {
        let pipe = self.settings.source.open()?;
        Ok(SsCardReader::new(pipe, COMMAND_TIMEOUT))
    }

    fn poll(&mut self, reader: &mut Self::Link, events: &Sender<Event>) -> Step {
        let polled = reader.card_present();
        self.errors_in_a_row = if polled.is_err() {
            self.errors_in_a_row + 1
        } else {
            0
        };
        match polled {
            Ok(true) if !self.present => {
                self.present = true;
                let event = match reader.read_card() {
                    Ok(Some(record)) => {
                        tracing::info!(
                            psam_fields_unread = record.needs_psam.len(),
                            "social security card read"
                        );
                        Some(Event::CredentialPresented(record.credential()))
                    }
                    // Pulled between the two commands: next round.
                    Ok(None) => {
                        self.present = false;
                        None
                    }
                    // Unplugged in the middle of the read: the citizen is
                    // told through `lost`.
                    Err(e) if e.is_link_lost() => return Step::Lost(e),
                    Err(e) => {
                        tracing::warn!("social security card read failed: {e}");
                        if matches!(e, DriverError::SsCardAbsent) {
                            // Pulled out mid-read: no removal to wait for.
                            self.present = false;
                        }
                        Some(Event::CredentialReadFailed {
                            message: e.user_message(),
                        })
                    }
                };
                if let Some(event) = event
                    && events.send(event).is_err()
                {
                    return Step::Quit;
                }
            }
            Ok(true) => {}
            Ok(false) => {
                if self.present {
                    self.present = false;
                    tracing::info!("social security card removed");
                    if events.send(Event::CredentialRemoved).is_err() {
                        return Step::Quit;
                    }
                }
            }
            Err(e) if e.is_link_lost() || self.errors_in_a_row >= ERRORS_FOR_REOPEN => {
                return Step::Lost(e);
            }
            Err(e) => tracing::debug!("social security card reader poll: {e}"),
        }
        // Wait for the reader's slot-change notification (interrupt IN):
        // an inserted or pulled card is seen at once. A reader that has
        // shown it notifies (a notification came, or a wait ran its whole
        // course) is looked at by status poll only every
        // NOTIFYING_FALLBACK; one whose endpoint answers at once is polled
        // every interval — never a busy loop either way.
        let timeout = if self.notifies {
            self.settings.poll.max(NOTIFYING_FALLBACK)
        } else {
            self.settings.poll
        };
        let started = std::time::Instant::now();
        match reader.wait_slot_change(timeout) {
            // A card came or went: look at once.
            Ok(Some(_)) => {
                self.notifies = true;
                Step::Again(Duration::ZERO)
            }
            Ok(None) => {
                let waited = started.elapsed();
                self.notifies = waited >= timeout.mul_f32(0.9);
                Step::Again(self.settings.poll.saturating_sub(waited))
            }
            Err(e) if e.is_link_lost() => Step::Lost(e),
            Err(e) => {
                tracing::debug!("social security card slot notification: {e}");
                self.notifies = false;
                Step::Again(self.settings.poll)
            }
        }
    }

    fn lost(&mut self, error: &DriverError) -> Vec<Event> {
        self.errors_in_a_row = 0;
        self.notifies = false;
        device_loop::lost_events(std::mem::take(&mut self.present), error)
    }
}

/// Runs until `stop` is given.
pub fn run(settings: SsCardSettings, events: Sender<Event>, stop: Stop, health: DeviceHealth) {
    let reader = SsReader {
        settings,
        present: false,
        errors_in_a_row: 0,
        notifies: false,
    };
    device_loop::run(reader, events, stop, health);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_parse() {
        assert!(matches!(
            ReaderSource::parse("usb"),
            Some(ReaderSource::Usb(None))
        ));
        assert!(matches!(
            ReaderSource::parse("usb:076b:3031"),
            Some(ReaderSource::Usb(Some((0x076B, 0x3031))))
        ));
        assert!(ReaderSource::parse("serial:/dev/ttyS0").is_none());
        assert!(ReaderSource::parse("usb:xx").is_none());
    }
}

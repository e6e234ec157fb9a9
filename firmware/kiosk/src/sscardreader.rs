//! The social security card loop: polls the CCID slot every interval,
//! reads a card once when one is inserted, reports its removal. A reader
//! that disappears (unplugged) is reopened on a later round. Waiting is a
//! bounded `recv_timeout` on the stop channel: no busy loop.
//!
//! Also home of [`SimPipe`], the adapter that puts the simulated reader of
//! `kiosk-sim` behind the driver's [`BulkPipe`] trait.

use std::collections::VecDeque;
use std::time::Duration;

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};

use kiosk_core::session::Event;
use kiosk_drivers::Error as DriverError;
use kiosk_drivers::error::Device;
use kiosk_drivers::sscard::{BulkPipe, SsCardReader};
use kiosk_sim::sscard::SimCcidReader;

/// Per-command deadline of the CCID reader (time extensions included).
pub const COMMAND_TIMEOUT: Duration = Duration::from_millis(3000);
/// Pause before reopening a reader that failed to open.
const REOPEN_AFTER: Duration = Duration::from_secs(1);
/// Failed polls in a row after which the reader is closed and reopened.
const ERRORS_FOR_REOPEN: u32 = 3;

/// The driver's pipe over the simulated CCID reader.
pub struct SimPipe {
    sim: SimCcidReader,
    pending: VecDeque<Vec<u8>>,
}

impl SimPipe {
    /// A pipe to `sim`.
    pub fn new(sim: SimCcidReader) -> SimPipe {
        SimPipe {
            sim,
            pending: VecDeque::new(),
        }
    }
}

impl BulkPipe for SimPipe {
    fn write_bulk(&mut self, data: &[u8], _timeout: Duration) -> Result<(), DriverError> {
        if self.sim.is_unplugged() {
            return Err(DriverError::Io(std::io::ErrorKind::BrokenPipe.into()));
        }
        // A new command: replies still queued belong to an abandoned one.
        self.pending.clear();
        self.pending.extend(self.sim.handle_bulk_out(data));
        Ok(())
    }

    fn read_bulk(&mut self, buf: &mut [u8], _timeout: Duration) -> Result<usize, DriverError> {
        if self.sim.is_unplugged() {
            return Err(DriverError::Io(std::io::ErrorKind::BrokenPipe.into()));
        }
        // The simulator answers at once: nothing queued is a silent reader.
        let message = self.pending.pop_front().ok_or(DriverError::Timeout {
            device: Device::SsCardReader,
        })?;
        let n = message.len().min(buf.len());
        buf[..n].copy_from_slice(&message[..n]);
        Ok(n)
    }

    fn read_interrupt(&mut self, buf: &mut [u8], _timeout: Duration) -> Result<usize, DriverError> {
        Ok(match self.sim.poll_interrupt() {
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
    Sim(SimCcidReader),
    /// A USB CCID reader: `None` the first class-0B reader, else VID:PID.
    Usb(Option<(u16, u16)>),
}

impl std::fmt::Debug for ReaderSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
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
    /// Where the loop reports the reader's state (health reports).
    pub health: crate::health::DeviceSlot,
}

/// Runs until `stop` receives a message or is disconnected.
pub fn run(settings: SsCardSettings, events: Sender<Event>, stop: Receiver<()>) {
    let mut reader: Option<SsCardReader<Box<dyn BulkPipe + Send>>> = None;
    let mut present = false;
    let mut reported_open_failure = false;
    let mut errors_in_a_row = 0;
    loop {
        let pause = match reader.as_mut() {
            None => match settings.source.open() {
                Ok(pipe) => {
                    tracing::info!("social security card reader opened");
                    settings.health.ok("opened");
                    reported_open_failure = false;
                    reader = Some(SsCardReader::new(pipe, COMMAND_TIMEOUT));
                    Duration::ZERO
                }
                Err(e) => {
                    if !reported_open_failure {
                        settings.health.down(format!("cannot be opened: {e}"));
                        tracing::warn!("social security card reader cannot be opened: {e}");
                        reported_open_failure = true;
                    }
                    REOPEN_AFTER
                }
            },
            Some(r) => {
                let polled = r.card_present();
                errors_in_a_row = if polled.is_err() {
                    errors_in_a_row + 1
                } else {
                    0
                };
                match polled {
                    Ok(true) if !present => {
                        present = true;
                        let event = match r.read_card() {
                            Ok(Some(record)) => {
                                tracing::info!(
                                    psam_fields_unread = record.needs_psam.len(),
                                    "social security card read"
                                );
                                Some(Event::CredentialPresented(record.credential()))
                            }
                            // Pulled between the two commands: next round.
                            Ok(None) => {
                                present = false;
                                None
                            }
                            Err(e) => {
                                tracing::warn!("social security card read failed: {e}");
                                if matches!(e, DriverError::SsCardAbsent) {
                                    // Pulled out mid-read: no removal to wait for.
                                    present = false;
                                }
                                Some(Event::CredentialReadFailed {
                                    message: e.user_message(),
                                })
                            }
                        };
                        if let Some(event) = event
                            && events.send(event).is_err()
                        {
                            return;
                        }
                    }
                    Ok(true) => {}
                    Ok(false) => {
                        if present {
                            present = false;
                            tracing::info!("social security card removed");
                            if events.send(Event::CredentialRemoved).is_err() {
                                return;
                            }
                        }
                    }
                    Err(e) if link_lost(&e) || errors_in_a_row >= ERRORS_FOR_REOPEN => {
                        tracing::warn!("social security card reader lost: {e}");
                        settings.health.down(format!("lost: {e}"));
                        reader = None;
                        errors_in_a_row = 0;
                        if present {
                            present = false;
                            let _ = events.send(Event::CredentialRemoved);
                        }
                    }
                    Err(e) => tracing::debug!("social security card reader poll: {e}"),
                }
                settings.poll
            }
        };
        if !matches!(stop.recv_timeout(pause), Err(RecvTimeoutError::Timeout)) {
            return;
        }
    }
}

fn link_lost(error: &DriverError) -> bool {
    matches!(
        error,
        DriverError::Io(_) | DriverError::Usb(_) | DriverError::UsbReaderNotFound { .. }
    )
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

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
use kiosk_drivers::sscard::psam::PsamScheme;
use kiosk_drivers::sscard::{
    ApduPsam, BulkPipe, CardSlot, CcidReader, Psam, SharedPipe, SsCardReader,
};
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

/// Where the reader is (`[devices] ss_card_reader`).
#[derive(Clone)]
pub enum ReaderSource {
    /// The simulated CCID reader (with a simulated PSAM in its slot 1).
    #[cfg(feature = "simulators")]
    Sim(SimCcidReader),
    /// Our own CCID driver on libusb: `None` the first class-0B reader,
    /// else VID:PID (`ccid`, `usb`, `ccid:VID:PID`, `usb:VID:PID`).
    Ccid(Option<(u16, u16)>),
    /// A reader of `pcscd` whose name contains this (`pcsc`: the first
    /// reader; `pcsc:NAME`).
    Pcsc(String),
    /// `auto`: PC/SC when a pcscd answers, else our CCID driver.
    Auto,
}

impl std::fmt::Debug for ReaderSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            #[cfg(feature = "simulators")]
            ReaderSource::Sim(_) => write!(f, "simulated"),
            ReaderSource::Ccid(None) => write!(f, "ccid (first USB CCID reader)"),
            ReaderSource::Ccid(Some((v, p))) => write!(f, "ccid {v:04x}:{p:04x}"),
            ReaderSource::Pcsc(name) if name.is_empty() => write!(f, "pcsc (first reader)"),
            ReaderSource::Pcsc(name) => write!(f, "pcsc {name:?}"),
            ReaderSource::Auto => write!(f, "auto (pcsc when pcscd answers, else ccid)"),
        }
    }
}

/// Where the reader's PSAM is (`[devices] ss_card_psam`): a slot of the
/// CCID reader (`slot:1`), or a reader of `pcscd` (`pcsc:NAME`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PsamSetting {
    /// Slot `n` of the same CCID reader (bSlot).
    CcidSlot(u8),
    /// The pcscd reader whose name contains this.
    Pcsc(String),
}

impl PsamSetting {
    /// Parses `slot:N` or `pcsc:NAME`.
    pub fn parse(setting: &str) -> Option<PsamSetting> {
        let setting = setting.trim();
        if let Some(n) = setting.strip_prefix("slot:") {
            return n
                .trim()
                .parse()
                .ok()
                .filter(|n| *n > 0)
                .map(PsamSetting::CcidSlot);
        }
        let name = setting.strip_prefix("pcsc:")?.trim();
        (!name.is_empty()).then(|| PsamSetting::Pcsc(name.to_string()))
    }
}

/// The reader the loop drives: a card slot of either backend, with the
/// PSAM when one is configured.
pub type Reader = SsCardReader<Box<dyn CardSlot + Send>>;

impl ReaderSource {
    /// Parses the `ss_card_reader` setting.
    pub fn parse(setting: &str) -> Option<ReaderSource> {
        let setting = setting.trim();
        match setting {
            "usb" | "ccid" => return Some(ReaderSource::Ccid(None)),
            "pcsc" => return Some(ReaderSource::Pcsc(String::new())),
            "auto" => return Some(ReaderSource::Auto),
            _ => {}
        }
        if let Some(name) = setting.strip_prefix("pcsc:") {
            return Some(ReaderSource::Pcsc(name.trim().to_string()));
        }
        let ids = setting
            .strip_prefix("usb:")
            .or_else(|| setting.strip_prefix("ccid:"))?;
        parse_vid_pid(ids).map(|ids| ReaderSource::Ccid(Some(ids)))
    }

    /// The backend `auto` stands for on this machine now.
    pub fn resolved(&self) -> ReaderSource {
        match self {
            ReaderSource::Auto if pcscd_answers() => ReaderSource::Pcsc(String::new()),
            ReaderSource::Auto => ReaderSource::Ccid(None),
            other => other.clone(),
        }
    }

    /// Opens the reader, and its PSAM when `psam` is given (the PSAM's
    /// application is selected now, so a missing PSAM fails here).
    pub fn open(&self, psam: Option<&PsamSetting>) -> Result<Reader, DriverError> {
        match self.resolved() {
            #[cfg(feature = "simulators")]
            ReaderSource::Sim(sim) => {
                if sim.is_unplugged() {
                    return Err(DriverError::UsbReaderNotFound {
                        what: "simulated reader unplugged".into(),
                    });
                }
                ccid_reader(Box::new(SimPipe::new(sim)), psam)
            }
            ReaderSource::Ccid(ids) => ccid_reader(open_usb(ids)?, psam),
            ReaderSource::Pcsc(name) => open_pcsc(&name, psam),
            ReaderSource::Auto => Err(DriverError::Pcsc("auto did not resolve".into())),
        }
    }
}

/// Whether a pcscd answers here.
pub fn pcscd_answers() -> bool {
    #[cfg(feature = "pcsc")]
    {
        kiosk_drivers::sscard::pcsc::pcscd_answers()
    }
    #[cfg(not(feature = "pcsc"))]
    {
        false
    }
}

/// The card in slot 0 of a CCID reader on `pipe`, the PSAM in another
/// slot of the same reader.
fn ccid_reader(
    pipe: Box<dyn BulkPipe + Send>,
    psam: Option<&PsamSetting>,
) -> Result<Reader, DriverError> {
    let pipe = SharedPipe::new(pipe);
    let card: Box<dyn CardSlot + Send> = Box::new(CcidReader::new(pipe.clone(), COMMAND_TIMEOUT));
    let reader = SsCardReader::new(card);
    match psam {
        None => Ok(reader),
        Some(PsamSetting::CcidSlot(n)) => {
            let slot = CcidReader::new(pipe, COMMAND_TIMEOUT).with_slot(*n);
            with_psam(reader, slot)
        }
        Some(PsamSetting::Pcsc(_)) => Err(DriverError::PsamUnavailable {
            what: "ss_card_psam = \"pcsc:…\" needs ss_card_reader = \"pcsc\"".into(),
        }),
    }
}

/// Selects the PSAM's application (so a missing PSAM fails at open) and
/// plugs it in.
fn with_psam<S: CardSlot + Send + 'static>(reader: Reader, slot: S) -> Result<Reader, DriverError> {
    let mut psam = ApduPsam::new(slot, PsamScheme::default());
    psam.select_application()?;
    Ok(reader.with_psam(Box::new(psam)))
}

#[cfg(feature = "pcsc")]
fn open_pcsc(name: &str, psam: Option<&PsamSetting>) -> Result<Reader, DriverError> {
    use kiosk_drivers::sscard::pcsc::{PcscSlot, ReaderPattern};
    let psam_name = match psam {
        Some(PsamSetting::Pcsc(n)) => Some(n.as_str()),
        _ => None,
    };
    let card = PcscSlot::open(&ReaderPattern::new(name).excluding(psam_name))?;
    tracing::info!(reader = card.reader_name(), "PC/SC reader opened");
    let card: Box<dyn CardSlot + Send> = Box::new(card);
    let reader = SsCardReader::new(card);
    match psam {
        None => Ok(reader),
        Some(PsamSetting::Pcsc(n)) => with_psam(reader, PcscSlot::open(&ReaderPattern::new(n))?),
        Some(PsamSetting::CcidSlot(_)) => Err(DriverError::PsamUnavailable {
            what:
                "ss_card_psam = \"slot:N\" needs a CCID ss_card_reader; with pcsc use \"pcsc:NAME\""
                    .into(),
        }),
    }
}

#[cfg(not(feature = "pcsc"))]
fn open_pcsc(_name: &str, _psam: Option<&PsamSetting>) -> Result<Reader, DriverError> {
    Err(DriverError::PcscUnavailable {
        what: "this kiosk binary was built without the `pcsc` feature".into(),
    })
}

/// Explains a reader that would not open, for the start-up report and
/// `kiosk doctor`: what is wrong and what to do, reader conflicts
/// (pcscd holding the reader our CCID driver wants, or the reverse)
/// spelled out.
pub fn explain(setting: &str, error: &DriverError) -> (String, String) {
    match error {
        DriverError::ReaderHeld {
            device,
            pcscd_running: true,
        } => (
            format!("USB card reader {device} is held by pcscd (ss_card_reader = {setting:?} uses the kiosk's own CCID driver)"),
            "set ss_card_reader = \"pcsc\" to use the reader through pcscd (recommended), \
             or stop pcscd: systemctl disable --now pcscd.socket pcscd.service"
                .to_string(),
        ),
        DriverError::ReaderHeld { device, .. } => (
            format!("USB card reader {device} is held by another program"),
            format!("find it with `lsof /dev/bus/usb/*/*` and stop it, or set ss_card_reader = \"pcsc\" if a pcscd should own the reader ({setting:?} now)"),
        ),
        DriverError::PcscUnavailable { what } => (
            format!("pcscd is not running ({what})"),
            "install and start it (apt install pcscd libccid; systemctl enable --now pcscd.socket), \
             or set ss_card_reader = \"ccid\" to use the kiosk's own CCID driver"
                .to_string(),
        ),
        DriverError::PcscReaderNotFound { pattern, seen } => {
            let usb = usb_ccid_readers();
            let todo = if usb.is_empty() {
                format!("plug the reader in and check its name with `pcsc_scan -r` (pcscd lists: {seen})")
            } else {
                format!(
                    "USB shows a CCID reader ({}) that pcscd does not list: another program holds it \
                     (a kiosk or service with ss_card_reader = \"ccid\"?) or libccid does not know it; \
                     stop the other program, or set ss_card_reader = \"ccid\" (pcscd lists: {seen})",
                    usb.join(", ")
                )
            };
            (format!("no PC/SC reader matches {pattern:?}"), todo)
        }
        DriverError::PsamUnavailable { what } => (
            format!("PSAM: {what}"),
            "put the PSAM in the reader's SAM slot and check ss_card_psam (\"slot:1\" for a CCID reader, \"pcsc:NAME\" for a pcscd reader)".to_string(),
        ),
        DriverError::PsamStatus { .. } => (
            error.to_string(),
            "the PSAM refused a step: check that it is this province's social-security PSAM".to_string(),
        ),
        other => (
            other.to_string(),
            "check the cable and the setting; the kiosk keeps trying".to_string(),
        ),
    }
}

/// The USB CCID readers libusb sees (VID:PID), for explanations.
fn usb_ccid_readers() -> Vec<String> {
    #[cfg(feature = "usb")]
    {
        use kiosk_drivers::sscard::usb::{ReaderSelector, list_readers};
        list_readers(ReaderSelector::AnyCcid)
            .map(|found| {
                found
                    .iter()
                    .map(|r| format!("{:04x}:{:04x}", r.vid, r.pid))
                    .collect()
            })
            .unwrap_or_default()
    }
    #[cfg(not(feature = "usb"))]
    {
        Vec::new()
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
    /// Its PSAM, when one is configured.
    pub psam: Option<PsamSetting>,
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
    type Link = Reader;
    const NAME: &'static str = "social security card reader";
    const KEY: &'static str = "ss_card_reader";

    fn open(&mut self) -> Result<Self::Link, DriverError> {
        self.settings.source.open(self.settings.psam.as_ref())
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
            Some(ReaderSource::Ccid(None))
        ));
        assert!(matches!(
            ReaderSource::parse("ccid"),
            Some(ReaderSource::Ccid(None))
        ));
        assert!(matches!(
            ReaderSource::parse("usb:076b:3031"),
            Some(ReaderSource::Ccid(Some((0x076B, 0x3031))))
        ));
        assert!(matches!(
            ReaderSource::parse("ccid:072f:b100"),
            Some(ReaderSource::Ccid(Some((0x072F, 0xB100))))
        ));
        assert!(matches!(ReaderSource::parse("pcsc"), Some(ReaderSource::Pcsc(n)) if n.is_empty()));
        assert!(
            matches!(ReaderSource::parse("pcsc: ACS ACR39U"), Some(ReaderSource::Pcsc(n)) if n == "ACS ACR39U")
        );
        assert!(matches!(
            ReaderSource::parse("auto"),
            Some(ReaderSource::Auto)
        ));
        assert!(ReaderSource::parse("serial:/dev/ttyS0").is_none());
        assert!(ReaderSource::parse("usb:xx").is_none());
        assert_eq!(PsamSetting::parse("slot:1"), Some(PsamSetting::CcidSlot(1)));
        assert_eq!(PsamSetting::parse("slot:0"), None);
        assert_eq!(
            PsamSetting::parse("pcsc:SAM"),
            Some(PsamSetting::Pcsc("SAM".into()))
        );
        assert_eq!(PsamSetting::parse("pcsc:"), None);
        assert_eq!(PsamSetting::parse("yes"), None);
    }

    #[test]
    fn reader_conflicts_are_explained_with_the_fix() {
        let (what, todo) = explain(
            "ccid",
            &DriverError::ReaderHeld {
                device: "076b:3031".into(),
                pcscd_running: true,
            },
        );
        assert!(what.contains("held by pcscd"), "{what}");
        assert!(
            todo.contains("ss_card_reader = \"pcsc\"")
                && todo.contains("systemctl disable --now pcscd")
        );
        let (what, todo) = explain(
            "pcsc",
            &DriverError::PcscUnavailable {
                what: "Service not available".into(),
            },
        );
        assert!(what.contains("pcscd is not running"));
        assert!(todo.contains("ss_card_reader = \"ccid\""));
        let (what, todo) = explain(
            "pcsc:ACR39",
            &DriverError::PcscReaderNotFound {
                pattern: "ACR39".into(),
                seen: "Virtual PCD 00 00".into(),
            },
        );
        assert!(what.contains("ACR39"));
        assert!(todo.contains("Virtual PCD 00 00"));
        let (what, todo) = explain(
            "ccid",
            &DriverError::PsamUnavailable {
                what: "no PSAM in its slot".into(),
            },
        );
        assert!(what.starts_with("PSAM"));
        assert!(todo.contains("ss_card_psam"));
    }
}

//! The PC/SC backend: a reader of `pcscd` (pcsc-lite with libccid, which
//! knows the quirks of hundreds of readers, negotiates T=0/T=1 and
//! extended APDUs). Insert and remove are waited for with
//! `SCardGetStatusChange` (the daemon's notification, no polling); the
//! card is held exclusively while it is read, so no other program's
//! commands can interleave with a PSAM authentication.
//!
//! `61 xx` / `6C xx` are left to [`super::apdu::transmit`], the same code
//! the CCID backend uses.

use std::ffi::CString;
use std::fmt;
use std::time::Duration;

use pcsc::{
    Card, Context, Disposition, MAX_BUFFER_SIZE_EXTENDED, Protocols, ReaderState, Scope, ShareMode,
    State,
};

use super::CardSlot;
use super::apdu::CardChannel;
use crate::Error;
use crate::error::Device;

/// Longest wait given to one `SCardGetStatusChange` (the caller's timeout
/// is cut into pieces no longer than this, so a stop is seen in time).
const MAX_STATUS_WAIT: Duration = Duration::from_secs(5);

/// Which reader of `pcscd` to use: the first whose name contains the
/// pattern, ignoring case (empty: the first reader), skipping any whose
/// name contains `exclude` (the PSAM's reader).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReaderPattern {
    /// Part of the reader name, e.g. `"ACS ACR39U"` or `"00 00"`.
    pub contains: String,
    /// Readers to skip (part of their name).
    pub exclude: Option<String>,
}

impl ReaderPattern {
    /// Readers whose name contains `contains`.
    pub fn new(contains: &str) -> ReaderPattern {
        ReaderPattern {
            contains: contains.trim().to_string(),
            exclude: None,
        }
    }

    /// Also skips readers whose name contains `exclude`.
    pub fn excluding(mut self, exclude: Option<&str>) -> ReaderPattern {
        self.exclude = exclude
            .map(|e| e.trim().to_string())
            .filter(|e| !e.is_empty());
        self
    }

    /// Whether `name` is a reader this pattern picks.
    pub fn matches(&self, name: &str) -> bool {
        let name = name.to_lowercase();
        name.contains(&self.contains.to_lowercase())
            && self
                .exclude
                .as_ref()
                .is_none_or(|x| !name.contains(&x.to_lowercase()))
    }
}

/// Maps a PC/SC error to the driver's error.
pub fn pcsc_error(e: pcsc::Error, reader: &str) -> Error {
    use pcsc::Error as E;
    match e {
        E::NoService | E::ServiceStopped | E::NoReadersAvailable | E::CommError => {
            Error::PcscUnavailable {
                what: e.to_string(),
            }
        }
        // The reader was unplugged: reopen until it is back.
        E::UnknownReader | E::ReaderUnavailable => Error::Disconnected {
            device: Device::SsCardReader,
            source: std::io::Error::new(std::io::ErrorKind::NotConnected, e),
        },
        // NotTransacted: pcscd's answer when the card left in the middle
        // of an exchange (the reader driver lost it).
        E::NoSmartcard
        | E::RemovedCard
        | E::UnresponsiveCard
        | E::UnpoweredCard
        | E::NotTransacted => Error::SsCardAbsent,
        E::SharingViolation => Error::PcscSharingViolation {
            reader: reader.to_string(),
        },
        E::Timeout => Error::Timeout {
            device: Device::SsCardReader,
        },
        other => Error::Pcsc(other.to_string()),
    }
}

/// Whether a `pcscd` answers on this machine (a context can be
/// established). Used to explain reader conflicts.
pub fn pcscd_answers() -> bool {
    Context::establish(Scope::User).is_ok_and(|ctx| ctx.is_valid().is_ok())
}

/// The names of the readers `pcscd` lists.
pub fn list_readers() -> Result<Vec<String>, Error> {
    let ctx = Context::establish(Scope::User).map_err(|e| pcsc_error(e, ""))?;
    reader_names(&ctx)
}

fn reader_names(ctx: &Context) -> Result<Vec<String>, Error> {
    match ctx.list_readers_owned() {
        Ok(names) => Ok(names
            .iter()
            .map(|n| n.to_string_lossy().into_owned())
            .collect()),
        Err(pcsc::Error::NoReadersAvailable) => Ok(Vec::new()),
        Err(e) => Err(pcsc_error(e, "")),
    }
}

/// One reader of `pcscd`, as a [`CardSlot`].
pub struct PcscSlot {
    ctx: Context,
    reader: CString,
    name: String,
    card: Option<Card>,
    /// The reader state last seen (`SCARD_STATE_*` with the event count).
    known: State,
}

impl PcscSlot {
    /// Connects to `pcscd` and picks the first reader `pattern` matches.
    pub fn open(pattern: &ReaderPattern) -> Result<PcscSlot, Error> {
        let ctx = Context::establish(Scope::User).map_err(|e| pcsc_error(e, ""))?;
        let names = reader_names(&ctx)?;
        let Some(name) = names.iter().find(|n| pattern.matches(n)).cloned() else {
            return Err(Error::PcscReaderNotFound {
                pattern: pattern.contains.clone(),
                seen: if names.is_empty() {
                    "none".to_string()
                } else {
                    names.join(", ")
                },
            });
        };
        let reader = CString::new(name.clone()).map_err(|e| Error::Pcsc(e.to_string()))?;
        let mut slot = PcscSlot {
            ctx,
            reader,
            name,
            card: None,
            known: State::UNAWARE,
        };
        // Learn the current state (and fail now if the reader is gone).
        slot.status(Duration::ZERO)?;
        Ok(slot)
    }

    /// The reader's name as `pcscd` gives it.
    pub fn reader_name(&self) -> &str {
        &self.name
    }

    /// One `SCardGetStatusChange` from the known state: the new state, or
    /// `None` when nothing changed within `timeout`.
    fn status(&mut self, timeout: Duration) -> Result<Option<State>, Error> {
        let mut states = [ReaderState::new(self.reader.as_c_str(), self.known)];
        match self.ctx.get_status_change(timeout, &mut states) {
            Ok(()) => {}
            Err(pcsc::Error::Timeout) => return Ok(None),
            Err(e) => return Err(pcsc_error(e, &self.name)),
        }
        let event = states[0].event_state();
        if event.intersects(State::UNKNOWN | State::UNAVAILABLE) {
            return Err(Error::Disconnected {
                device: Device::SsCardReader,
                source: std::io::Error::new(
                    std::io::ErrorKind::NotConnected,
                    "the PC/SC reader is gone",
                ),
            });
        }
        self.known = event - State::CHANGED;
        Ok(Some(event))
    }

    fn present(state: State) -> bool {
        state.contains(State::PRESENT)
    }
}

impl CardChannel for PcscSlot {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, Error> {
        let Some(card) = self.card.as_ref() else {
            return Err(Error::SsCardAbsent);
        };
        let mut buf = vec![0u8; MAX_BUFFER_SIZE_EXTENDED];
        match card.transmit(apdu, &mut buf) {
            Ok(response) if response.len() >= 2 => Ok(response.to_vec()),
            // No status word: the card went mute in the middle of the
            // exchange (vpcd reports a card pulled this way; CCID calls
            // it "ICC mute"), which is what the citizen must be told.
            Ok(_) => {
                self.card = None;
                Err(Error::SsCardAbsent)
            }
            Err(e) => {
                let error = pcsc_error(e, &self.name);
                if matches!(error, Error::SsCardAbsent) {
                    self.card = None;
                }
                Err(error)
            }
        }
    }
}

impl CardSlot for PcscSlot {
    fn card_present(&mut self) -> Result<bool, Error> {
        // From UNAWARE the daemon answers at once with the current state.
        self.known = State::UNAWARE;
        Ok(self.status(Duration::ZERO)?.is_some_and(Self::present))
    }

    fn power_on(&mut self) -> Result<Vec<u8>, Error> {
        self.card = None;
        let card = self
            .ctx
            .connect(self.reader.as_c_str(), ShareMode::Exclusive, Protocols::ANY)
            .map_err(|e| pcsc_error(e, &self.name))?;
        // SCardStatus, not the ATR attribute: every reader driver gives
        // it (vpcd has no attribute support).
        let atr = card
            .status2_owned()
            .map_err(|e| pcsc_error(e, &self.name))?
            .atr()
            .to_vec();
        if atr.is_empty() {
            return Err(Error::Pcsc("the card gave no ATR".into()));
        }
        self.card = Some(card);
        Ok(atr)
    }

    fn power_off(&mut self) -> Result<(), Error> {
        if let Some(card) = self.card.take() {
            // A card already pulled out cannot be unpowered: not an error.
            let _ = card.disconnect(Disposition::UnpowerCard);
        }
        Ok(())
    }

    fn wait_slot_change(&mut self, timeout: Duration) -> Result<Option<bool>, Error> {
        let deadline = std::time::Instant::now() + timeout;
        // Bounded: each round waits at most MAX_STATUS_WAIT, the rounds
        // end at the deadline. Any change the daemon reports (also a card
        // swapped between two looks, which moves only its event count) is
        // reported with what is in the slot now.
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if let Some(state) = self.status(left.min(MAX_STATUS_WAIT))? {
                return Ok(Some(Self::present(state)));
            }
            if left.is_zero() || std::time::Instant::now() >= deadline {
                return Ok(None);
            }
        }
    }
}

impl fmt::Debug for PcscSlot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PcscSlot")
            .field("reader", &self.name)
            .field("connected", &self.card.is_some())
            .finish()
    }
}

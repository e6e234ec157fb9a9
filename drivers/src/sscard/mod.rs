//! Social security card (社会保障卡): ISO 7816-4 CPU card in a reader
//! driven either by our own CCID driver or by pcsc-lite.
//!
//! - [`CardSlot`]: what the SSSE read needs of a reader slot (card
//!   presence, power on with the ATR, APDU exchange, power off, a bounded
//!   wait for insert/remove). Two backends implement it:
//!   - [`ccid`]: the CCID message layer over a [`BulkPipe`] (bSeq checking,
//!     time extensions, slot status, power on/off, XfrBlock), on libusb
//!     ([`usb`], cargo feature `usb`) or a simulated reader;
//!   - [`pcsc`] (cargo feature `pcsc`): a reader of `pcscd` (libccid and
//!     its quirks database, T=0/T=1 negotiation, `SCardGetStatusChange`).
//! - [`apdu`]: command APDUs, status words, `61 xx` / `6C xx` handling —
//!   the one place both backends' responses go through.
//! - [`ssse`]: the social security application: SELECT, READ RECORD of
//!   EF05/EF06, TLV and field decoding.
//! - [`psam`]: terminal authentication with the reader's PSAM (the
//!   sequence is in `docs/psam.md`).
//! - [`SsCardReader`]: the whole read (status → power on → [PSAM] → read →
//!   power off).

pub mod apdu;
pub mod ccid;
#[cfg(feature = "pcsc")]
pub mod pcsc;
pub mod psam;
pub mod ssse;
#[cfg(feature = "usb")]
pub mod usb;

use std::fmt;
use std::time::Duration;

pub use apdu::CardChannel;
pub use ccid::{BulkPipe, CcidReader, IccStatus, SharedPipe};
pub use psam::{ApduPsam, Psam};
pub use ssse::SsCardRecord;

use crate::Error;

/// One card slot of a reader, as the SSSE read uses it. Implemented by
/// [`CcidReader`] and, with the `pcsc` feature, [`pcsc::PcscSlot`]; the
/// same conformance tests run against both.
pub trait CardSlot: CardChannel {
    /// Whether a card is in the slot.
    fn card_present(&mut self) -> Result<bool, Error>;

    /// Powers the card (or connects to it) and returns its ATR; an empty
    /// slot is [`Error::SsCardAbsent`].
    fn power_on(&mut self) -> Result<Vec<u8>, Error>;

    /// Powers the card off. A card already gone is not an error.
    fn power_off(&mut self) -> Result<(), Error>;

    /// Waits up to `timeout` for a card to be inserted or removed:
    /// `Some(present)` when one was, `None` when the time ran out. Never
    /// a busy loop: the reader's notification (CCID interrupt IN, PC/SC
    /// `SCardGetStatusChange`) ends the wait.
    fn wait_slot_change(&mut self, timeout: Duration) -> Result<Option<bool>, Error>;
}

impl<S: CardSlot + ?Sized> CardSlot for Box<S> {
    fn card_present(&mut self) -> Result<bool, Error> {
        (**self).card_present()
    }
    fn power_on(&mut self) -> Result<Vec<u8>, Error> {
        (**self).power_on()
    }
    fn power_off(&mut self) -> Result<(), Error> {
        (**self).power_off()
    }
    fn wait_slot_change(&mut self, timeout: Duration) -> Result<Option<bool>, Error> {
        (**self).wait_slot_change(timeout)
    }
}

impl<C: CardChannel + ?Sized> CardChannel for Box<C> {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, Error> {
        (**self).transmit(apdu)
    }
}

impl<P: BulkPipe> CardSlot for CcidReader<P> {
    fn card_present(&mut self) -> Result<bool, Error> {
        Ok(self.slot_status()?.card_present())
    }
    fn power_on(&mut self) -> Result<Vec<u8>, Error> {
        CcidReader::power_on(self)
    }
    fn power_off(&mut self) -> Result<(), Error> {
        CcidReader::power_off(self).map(|_| ())
    }
    fn wait_slot_change(&mut self, timeout: Duration) -> Result<Option<bool>, Error> {
        CcidReader::wait_slot_change(self, timeout)
    }
}

/// A social security card reader: one card slot plus, when configured,
/// the PSAM that authenticates the terminal to the card.
pub struct SsCardReader<S: CardSlot> {
    slot: S,
    psam: Option<Box<dyn Psam + Send>>,
}

impl<P: BulkPipe> SsCardReader<CcidReader<P>> {
    /// Slot 0 of the CCID reader on `pipe`, without a PSAM; `timeout`
    /// bounds each CCID command.
    pub fn ccid(pipe: P, timeout: Duration) -> SsCardReader<CcidReader<P>> {
        SsCardReader::new(CcidReader::new(pipe, timeout))
    }
}

impl<S: CardSlot> SsCardReader<S> {
    /// A reader on `slot`, without a PSAM.
    pub fn new(slot: S) -> SsCardReader<S> {
        SsCardReader { slot, psam: None }
    }

    /// Plugs in the reader's PSAM: from now on a card is only read after
    /// terminal authentication with it succeeds.
    pub fn with_psam(mut self, psam: Box<dyn Psam + Send>) -> SsCardReader<S> {
        self.psam = Some(psam);
        self
    }

    /// Whether a PSAM is configured.
    pub fn has_psam(&self) -> bool {
        self.psam.is_some()
    }

    /// The card slot.
    pub fn slot(&mut self) -> &mut S {
        &mut self.slot
    }

    /// Whether a card is in the slot.
    pub fn card_present(&mut self) -> Result<bool, Error> {
        self.slot.card_present()
    }

    /// Waits up to `timeout` for a card to come or go: `Some(present)`
    /// when one did.
    pub fn wait_slot_change(&mut self, timeout: Duration) -> Result<Option<bool>, Error> {
        self.slot.wait_slot_change(timeout)
    }

    /// Reads the card: `Ok(None)` when the slot is empty. The card is
    /// powered off afterwards (also after a failed read, best effort).
    /// With a PSAM, nothing is returned unless terminal authentication
    /// succeeded: a failure gives no partial record.
    pub fn read_card(&mut self) -> Result<Option<SsCardRecord>, Error> {
        if !self.slot.card_present()? {
            return Ok(None);
        }
        let atr = match self.slot.power_on() {
            Ok(atr) => atr,
            Err(Error::SsCardAbsent) => return Ok(None),
            Err(e) => return Err(e),
        };
        let psam = self.psam.as_deref_mut().map(|p| p as &mut dyn Psam);
        let result = ssse::read_card(&mut self.slot, &atr, psam);
        let _ = self.slot.power_off();
        result.map(Some)
    }

    /// Gives the slot back.
    pub fn into_inner(self) -> S {
        self.slot
    }
}

impl<S: CardSlot + fmt::Debug> fmt::Debug for SsCardReader<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SsCardReader")
            .field("slot", &self.slot)
            .field("psam", &self.psam.is_some())
            .finish()
    }
}

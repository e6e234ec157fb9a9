//! Social security card (社会保障卡): ISO 7816-4 CPU card in a USB CCID
//! reader.
//!
//! - [`ccid`]: the CCID message layer over a [`BulkPipe`] (bSeq checking,
//!   time extensions, slot status, power on/off, XfrBlock).
//! - [`apdu`]: command APDUs, status words, `61 xx` / `6C xx` handling.
//! - [`ssse`]: the social security application: SELECT, READ RECORD of
//!   EF05/EF06, TLV and field decoding, the PSAM step behind a trait.
//! - [`SsCardReader`]: the whole read (status → power on → read → power off).
//! - `usb` (cargo feature `usb`, on by default): the real pipe on libusb.

pub mod apdu;
pub mod ccid;
pub mod ssse;
#[cfg(feature = "usb")]
pub mod usb;

use std::fmt;
use std::time::Duration;

pub use apdu::CardChannel;
pub use ccid::{BulkPipe, CcidReader, IccStatus};
pub use ssse::{NoPsam, PsamAuthenticator, SsCardRecord};

use crate::Error;

/// A social security card reader: one CCID slot plus the PSAM step.
pub struct SsCardReader<P: BulkPipe> {
    ccid: CcidReader<P>,
    psam: Box<dyn PsamAuthenticator + Send>,
}

impl<P: BulkPipe> SsCardReader<P> {
    /// A reader on `pipe` without a PSAM; `timeout` bounds each CCID command.
    pub fn new(pipe: P, timeout: Duration) -> SsCardReader<P> {
        SsCardReader {
            ccid: CcidReader::new(pipe, timeout),
            psam: Box::new(NoPsam),
        }
    }

    /// Plugs in the reader's PSAM.
    pub fn with_psam(mut self, psam: Box<dyn PsamAuthenticator + Send>) -> SsCardReader<P> {
        self.psam = psam;
        self
    }

    /// The CCID layer.
    pub fn ccid(&mut self) -> &mut CcidReader<P> {
        &mut self.ccid
    }

    /// Whether a card is in the slot.
    pub fn card_present(&mut self) -> Result<bool, Error> {
        Ok(self.ccid.slot_status()?.card_present())
    }

    /// Waits up to `timeout` for a slot change notification (interrupt IN):
    /// `Some(present)` when one came.
    pub fn wait_slot_change(&mut self, timeout: Duration) -> Result<Option<bool>, Error> {
        self.ccid.wait_slot_change(timeout)
    }

    /// Reads the card: `Ok(None)` when the slot is empty. The card is
    /// powered off afterwards (also after a failed read, best effort).
    pub fn read_card(&mut self) -> Result<Option<SsCardRecord>, Error> {
        if !self.card_present()? {
            return Ok(None);
        }
        let atr = match self.ccid.power_on() {
            Ok(atr) => atr,
            Err(Error::SsCardAbsent) => return Ok(None),
            Err(e) => return Err(e),
        };
        let result = ssse::read_card(&mut self.ccid, &atr, self.psam.as_mut());
        let _ = self.ccid.power_off();
        result.map(Some)
    }

    /// Gives the pipe back.
    pub fn into_inner(self) -> P {
        self.ccid.into_inner()
    }
}

impl<P: BulkPipe> fmt::Debug for SsCardReader<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SsCardReader")
            .field("ccid", &self.ccid)
            .finish_non_exhaustive()
    }
}

//! Simulated social security card reader (USB CCID) with a card image.
//!
//! A USB device cannot be conjured up the way a pty can, so the simulator
//! is a plain object: [`SimCcidReader::handle_bulk_out`] takes one bulk OUT
//! message and returns the bulk IN messages a reader would send,
//! [`SimCcidReader::poll_interrupt`] plays the interrupt endpoint. The
//! kiosk wraps it in the driver's `BulkPipe` trait (a ten-line adapter),
//! so the driver runs unchanged against it.
//!
//! The card is an [`SsCardImage`]: ATR plus the raw TLV bytes of every
//! record of EF05 and EF06, built from fields or given byte for byte (JSON,
//! see [`SsCardImage::from_json`]). [`SsSimFaults`] injects wrong bSeq,
//! time extensions, a card pulled mid-read, short headers and silence.
//!
//! A PSAM can sit in slot 1 of the simulated reader
//! ([`SimCcidReader::with_psam`]); every card built here carries keys
//! issued under [`MasterKeys::TEST`] for terminal authentication
//! ([`applet`]).
//!
//! For the PC/SC path, [`VirtualCard`] and [`VirtualPsam`] are virtual
//! smart cards for vsmartcard's `vpcd` (a reader driver of `pcscd`): they
//! connect to its TCP port and answer what `pcscd` sends, with the same
//! applets.
//!
//! Written from the protocol notes, not from `kiosk-drivers`.

mod applet;
mod card;
mod reader;
mod vicc;

pub use applet::{
    CardApplet, CardKeys, EXTERNAL_KEY, INTERNAL_KEY, MasterKeys, PSAM_ATR, PsamApplet,
    SSSE_DF_NAME,
};
pub use card::{DEFAULT_ATR, SsCardFields, SsCardImage, SsCardRaw};
pub use reader::{SimCcidReader, SsCardSlot, SsSimFaults};
pub use vicc::{VirtualCard, VirtualPsam};

//! Device simulators that speak the real wire protocols, so that the
//! kiosk's drivers run unchanged against them: the ID card reader and the
//! QR scanner on pseudo-terminals, the social security card reader as a
//! CCID message handler behind the driver's bulk-pipe trait, and the
//! ESC/POS printer on TCP (rendering its paper roll to PNG).
//!
//! The simulators are written independently of `kiosk-drivers` (no shared
//! framing code), so a test that passes checks both sides against the
//! protocol rather than against each other.

pub mod error;
pub mod idcard;
pub mod printer;
mod pty;
pub mod scanner;
pub mod sscard;

pub use error::Error;

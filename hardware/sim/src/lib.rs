//! Device simulators that speak the real wire protocols, so that the
//! kiosk's drivers run unchanged against them: the ID card reader on a
//! pseudo-terminal and the ESC/POS printer on TCP (rendering its paper roll
//! to PNG).
//!
//! The simulators are written independently of `kiosk-drivers` (no shared
//! framing code), so a test that passes checks both sides against the
//! protocol rather than against each other.

pub mod error;
pub mod idcard;
pub mod printer;

pub use error::Error;

//! Device drivers of the kiosk. Each driver is generic over a small
//! transport (`Read + Write` for serial and TCP), owns its framing,
//! checksums and timeouts, and returns typed values or a typed [`Error`].

pub mod error;
#[doc(hidden)]
pub mod fuzzing;
pub mod idcard;
pub mod printer;
pub mod scanner;
pub mod sscard;

pub use error::Error;

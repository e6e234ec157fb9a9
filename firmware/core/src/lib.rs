//! Pure domain of the medical-insurance (医保) self-service kiosk.
//!
//! No I/O and no clock live here: devices, the network, the store and time
//! come in as values. See ARCHITECTURE.md for the map.

pub mod clock;
pub mod documents;
pub mod enrollment;
pub mod error;
pub mod identity;
pub mod institutions;
pub mod ledger;
pub mod letter;
pub mod money;
pub mod print_job;
pub mod raster;
pub mod records;
pub mod region;
pub mod session;
pub mod texts;
pub mod view;

pub use error::Error;

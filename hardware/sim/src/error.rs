//! The one error enum of `kiosk-sim`.

use thiserror::Error;

/// Errors of the simulators.
#[derive(Debug, Error)]
pub enum Error {
    /// Operating-system I/O failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
}

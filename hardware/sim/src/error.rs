//! The one error enum of `kiosk-sim`.

use thiserror::Error;

/// Errors of the simulators.
#[derive(Debug, Error)]
pub enum Error {
    /// Operating-system I/O failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),

    /// No font able to print Chinese was found on the system.
    #[error(
        "no CJK font found for the printer simulator (looked for the family \"Noto Sans CJK SC\", then any face covering 中): install the Debian package fonts-noto-cjk"
    )]
    CjkFontMissing,

    /// A font file was found but could not be parsed.
    #[error("font could not be loaded: {0}")]
    Font(String),

    /// Encoding a rendered receipt as PNG failed.
    #[error("PNG encoding failed: {0}")]
    Png(#[from] png::EncodingError),
}

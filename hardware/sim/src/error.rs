//! The one error enum of `kiosk-sim`.

use thiserror::Error;

/// Errors of the simulators.
#[derive(Debug, Error)]
pub enum Error {
    /// Operating-system I/O failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),

    /// A pseudo-terminal call failed (openpty, termios, poll).
    #[error("pseudo-terminal error: {0}")]
    Pty(nix::errno::Errno),

    /// A field of a simulated ID card does not fit its slot in the text block.
    #[error("ID card field {field}: {reason}")]
    IdCardField {
        /// The field name.
        field: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },

    /// A hex string of a simulated ID card could not be used.
    #[error("ID card {what}: {reason}")]
    IdCardHex {
        /// Which hex field ("text_hex", "photo_hex", ...).
        what: &'static str,
        /// Why it was refused.
        reason: String,
    },

    /// An ID card file (`--card FILE`) could not be parsed.
    #[error("ID card file {}: {reason}", path.display())]
    IdCardFile {
        /// The file.
        path: std::path::PathBuf,
        /// The parser's complaint.
        reason: String,
    },

    /// A simulated social security card could not be built (JSON, hex or
    /// a field that does not fit its record).
    #[error("social security card image: {0}")]
    SsCardImage(String),

    /// A social security card file could not be used.
    #[error("social security card file {}: {reason}", path.display())]
    SsCardFile {
        /// The file.
        path: std::path::PathBuf,
        /// What is wrong.
        reason: String,
    },

    /// The path for a simulator's pty symlink exists and is not a symlink.
    #[error("{} exists and is not a symlink; refusing to replace it", .0.display())]
    LinkOccupied(std::path::PathBuf),

    /// The simulated device is unplugged (see `unplug`/`replug` on the
    /// ID card reader and scanner handles): nothing can be sent on it.
    #[error("the simulated {0} is unplugged")]
    Unplugged(&'static str),

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

    /// A print preview could not be rendered.
    #[error("print preview: {0}")]
    Preview(String),
}

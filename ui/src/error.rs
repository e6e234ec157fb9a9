//! The one error enum of `kiosk-ui`.

use thiserror::Error;

/// UI failures.
#[derive(Debug, Error)]
pub enum Error {
    /// The platform (window system, renderer) failed.
    #[error("UI platform: {0}")]
    Platform(String),
    /// The UI thread did not answer in time, or has stopped.
    #[error("UI thread not answering")]
    NotAnswering,
    /// No visible element has this accessible label.
    #[error("no visible element labelled {0:?}")]
    NoSuchElement(String),
    /// The element exists but is disabled.
    #[error("element {0:?} is disabled")]
    Disabled(String),
    /// The element lies outside the content area (under the footer, or
    /// clipped): a finger cannot reach it.
    #[error("element {0:?} is off screen (outside the content area)")]
    OffScreen(String),
    /// The screenshot could not be encoded.
    #[error("screenshot encoding: {0}")]
    Encoding(String),
    /// A screen language that is not bundled.
    #[error("language: {0}")]
    Language(String),
}

impl From<slint::PlatformError> for Error {
    fn from(e: slint::PlatformError) -> Self {
        Error::Platform(e.to_string())
    }
}

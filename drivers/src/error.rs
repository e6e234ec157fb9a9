//! The one error enum of `kiosk-drivers`.

use thiserror::Error;

/// Everything a device can do wrong. Variants never carry personal data.
#[derive(Debug, Error)]
pub enum Error {
    /// The link itself failed (port gone, connection refused, write error).
    #[error("device link error: {0}")]
    Io(#[from] std::io::Error),
}

impl Error {
    /// The message shown to the citizen: what happened and what to do next.
    pub fn user_message(&self) -> String {
        match self {
            Error::Io(_) => "设备连接中断，请稍候重试；如仍无法使用，请联系工作人员。".to_string(),
        }
    }
}

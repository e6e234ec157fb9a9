//! The one error enum of `kiosk-central`.

use std::net::SocketAddr;

use thiserror::Error;

/// Errors starting the reference central service.
#[derive(Debug, Error)]
pub enum Error {
    /// The demo data file is broken.
    #[error("{file} line {line}: {reason}")]
    DemoData {
        /// File name.
        file: String,
        /// 1-based line (0 when the fault is not tied to a line).
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The centre's database failed.
    #[error("database: {0}")]
    Database(String),
    /// The TLS certificates or key are unusable.
    #[error("TLS: {0}")]
    Tls(String),
    /// Other I/O.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
}

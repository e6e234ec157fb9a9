//! The one error enum of `kiosk-central`.

use std::net::SocketAddr;

use thiserror::Error;

/// Errors of the reference central service: starting it, its database,
/// and simulated payments.
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
    /// A simulated payment named an order the centre does not hold.
    #[error("no payment order {0}")]
    NoSuchOrder(String),
    /// A simulated payment for an order that is not open (paid, failed,
    /// expired, cancelled): the order as it stands.
    #[error("payment order {} is {}, not open", .0.order_no, .0.state)]
    OrderNotOpen(Box<kiosk_sync::wire::PremiumOrderOutput>),
    /// A console login, session or form was refused.
    #[error("console: {0}")]
    Console(String),
    /// Other I/O.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
}

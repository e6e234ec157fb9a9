//! Talking to the central service: the national envelope
//! ([`envelope`]), the one table of transactions ([`transactions`]), the
//! wire payloads ([`wire`]), their mapping to domain types ([`mapping`]) and
//! the blocking HTTP client ([`client`]).

pub mod client;
pub mod clock;
pub mod envelope;
pub mod error;
pub mod mapping;
pub mod transactions;
pub mod wire;

pub use client::{CentralClient, ClientConfig};
pub use error::Error;

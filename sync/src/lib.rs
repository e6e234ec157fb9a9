//! Talking to the central service and keeping what must survive: the
//! national envelope ([`envelope`]), the one table of transactions
//! ([`transactions`]), the wire payloads ([`wire`]), their mapping to domain
//! types ([`mapping`]), the hardened blocking HTTP client ([`client`]), the
//! local SQLite store ([`store`]) and the outbox with its background sync
//! engine ([`outbox`]). Randomness, sleeping and monotonic time come in
//! through the traits of [`platform`].

pub mod client;
pub mod clock;
pub mod envelope;
pub mod error;
#[doc(hidden)]
pub mod fuzzing;
pub mod gateway;
pub mod link;
pub mod mapping;
pub mod outbox;
pub mod platform;
pub mod premium;
pub mod records;
pub mod signing;
pub mod store;
pub mod transactions;
pub mod wire;

pub use client::{CentralClient, ClientConfig};
pub use error::Error;
pub use outbox::{Outbox, Receipt, SubmissionKind, SyncEngine, SyncEngineHandle};
pub use store::{Store, StoreKey};

//! Central-service protocol (national envelope), client, and (later) the local store.

//! Reference central service: the national envelope over HTTP, backed by demo data.

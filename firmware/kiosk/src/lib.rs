//! The kiosk program: composition root ([`app`]), configuration
//! ([`config`]), the session loop ([`controller`]) with the filing and
//! rating edges ([`filings`]) and voice prompts ([`voice`]), the device
//! loops ([`idreader`], [`sscardreader`], [`qrscanner`]) on their shared
//! skeleton ([`device_loop`]), the store, outbox and sync engine
//! ([`backend`]), health reports ([`health`]), region profiles pushed by the
//! centre ([`profiles`]), the automation API ([`automation`]), `kiosk sync`
//! ([`synccmd`]) and the technicians' command-line tools ([`tools`]).

pub mod app;
pub mod automation;
pub mod backend;
pub mod config;
pub mod controller;
pub mod device_loop;
pub mod error;
pub mod filings;
pub mod health;
pub mod idreader;
pub mod profiles;
pub mod qrscanner;
pub mod records;
pub mod spooler;
pub mod sscardreader;
pub mod synccmd;
pub mod tools;
pub mod voice;

pub use error::Error;

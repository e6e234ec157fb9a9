//! The kiosk program: composition root ([`app`]), configuration
//! ([`config`]), the session loop ([`controller`]), the device loops
//! ([`idreader`], [`sscardreader`], [`qrscanner`]) on their shared skeleton
//! ([`device_loop`]), the automation API ([`automation`]) and the
//! technicians' command-line tools ([`tools`]).

pub mod app;
pub mod automation;
pub mod config;
pub mod controller;
pub mod device_loop;
pub mod error;
pub mod idreader;
pub mod qrscanner;
pub mod sscardreader;
pub mod tools;

pub use error::Error;

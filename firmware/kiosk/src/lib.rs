//! The kiosk program: composition root ([`app`]), configuration
//! ([`config`]), the session loop ([`controller`]), the ID card reader loop
//! ([`idreader`]), the automation API ([`automation`]) and the technicians'
//! command-line tools ([`tools`]).

pub mod app;
pub mod automation;
pub mod config;
pub mod controller;
pub mod error;
pub mod idreader;
pub mod qrscanner;
pub mod sscardreader;
pub mod tools;
pub mod voice;

pub use error::Error;

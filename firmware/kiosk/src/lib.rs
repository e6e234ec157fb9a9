//! The kiosk program: composition root ([`app`]), configuration
//! ([`config`]), the session loop ([`controller`]) with the filing and
//! rating edges ([`filings`]) and voice prompts ([`voice`]), the device
//! loops ([`idreader`], [`sscardreader`], [`qrscanner`]) on their shared
//! skeleton ([`device_loop`]), the store, outbox and sync engine
//! ([`backend`]), the secured link to a configured centre
//! ([`centrallink`]), health reports ([`health`]), region profiles pushed by the
//! centre ([`profiles`]), the printer's profile and glyph source
//! ([`printglyphs`]), the automation API ([`automation`]), `kiosk sync`
//! ([`synccmd`]) and the technicians' command-line tools ([`tools`]);
//! production mode and its start-up report ([`startup`]), the simulators
//! of simulation mode ([`simulation`], feature `simulators`), the demo
//! badge and out-of-service notices ([`status`]), systemd supervision
//! ([`supervision`]) and clean shutdown on SIGTERM ([`shutdown`]).

pub mod app;
pub mod automation;
pub mod backend;
pub mod camera;
pub mod centrallink;
pub mod chronic;
pub mod config;
pub mod controller;
pub mod device_loop;
pub mod display;
pub mod error;
pub mod filings;
#[doc(hidden)]
pub mod fuzzing;
pub mod health;
pub mod idreader;
pub mod metrics;
pub mod premium;
pub mod printglyphs;
pub mod profiles;
pub mod qrscanner;
pub mod records;
pub mod remoteconfig;
pub mod shutdown;
pub mod simulation;
pub mod spooler;
pub mod sscardreader;
pub mod startup;
pub mod status;
pub mod supervision;
pub mod synccmd;
pub mod tools;
pub mod voice;

pub use error::Error;

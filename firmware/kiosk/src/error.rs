//! The one error enum of the `kiosk` binary crate: what can stop start-up
//! or a field tool.

use thiserror::Error;

/// Start-up and tool failures.
#[derive(Debug, Error)]
pub enum Error {
    /// The configuration file is unreadable or malformed.
    #[error("configuration {file}: {reason}")]
    Config {
        /// The file.
        file: String,
        /// What is wrong.
        reason: String,
    },
    /// The region profile is broken.
    #[error("region profile: {0}")]
    Region(#[source] kiosk_core::Error),
    /// The UI could not start.
    #[error("UI: {0}")]
    Ui(#[from] kiosk_ui::Error),
    /// A simulator could not start.
    #[error("simulator: {0}")]
    Sim(#[from] kiosk_sim::Error),
    /// The built-in central service could not start.
    #[cfg(feature = "simulators")]
    #[error("built-in central service: {0}")]
    Central(#[from] kiosk_central::Error),
    /// Simulation was asked of a build without the simulators (the
    /// packaged binary).
    #[error("{0}")]
    NoSimulators(String),
    /// Production start-up refused: the report printed above says why.
    #[error("start-up refused: {0} problem(s) must be fixed first (listed above)")]
    Refused(usize),
    /// The display could not be used (what to do is in the text).
    #[error("display: {0}")]
    Display(String),
    /// A signal handler could not be installed.
    #[error("signals: {0}")]
    Signals(String),
    /// The central-service client could not be built.
    #[error("central service client: {0}")]
    Sync(#[from] kiosk_sync::Error),
    /// The local store (database or outbox key) cannot be used: start-up
    /// stops, naming the file.
    #[error("local store {file}: {reason}")]
    Store {
        /// The database or key file.
        file: String,
        /// What is wrong and what to do.
        reason: String,
    },
    /// The link to the configured central service cannot work: one line
    /// per problem (what, which file, what to do). The kiosk does not
    /// start its journeys.
    #[error("central service link: {} problem(s):\n{}", .0.len(), .0.join("\n"))]
    CentralLink(Vec<String>),
    /// A device failed.
    #[error("device: {0}")]
    Device(#[from] kiosk_drivers::Error),
    /// The automation API could not start.
    #[error("automation API: {0}")]
    Automation(String),
    /// Other I/O.
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
}

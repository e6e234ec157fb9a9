//! Simulation mode: the simulators started for every device or service
//! that is not configured, and the built-in demo centre. Compiled only
//! with the cargo feature `simulators` (on by default for development, off
//! in the Debian package); without it [`Simulation`] refuses every part
//! and the packaged binary carries no simulator code (checked by
//! `packaging/check-no-simulators.sh`).

#[cfg(not(feature = "simulators"))]
use {
    crate::error::Error, crate::sscardreader::ReaderSource, kiosk_core::clock::Clock,
    kiosk_drivers::printer::Paper, std::path::PathBuf, std::sync::Arc,
};

#[cfg(feature = "simulators")]
pub use enabled::*;

#[cfg(feature = "simulators")]
mod enabled {
    use std::path::{Path, PathBuf};
    use std::sync::Arc;

    use kiosk_central::{CentralServer, DemoData};
    use kiosk_core::clock::Clock;
    use kiosk_drivers::printer::Paper;
    use kiosk_sim::idcard::{CardSlot, IdReaderSim, IdReaderSimHandle};
    use kiosk_sim::printer::{PaperWidth, PrinterSim, PrinterSimConfig, PrinterSimHandle};
    use kiosk_sim::scanner::{ScannerSim, ScannerSimHandle};
    use kiosk_sim::sscard::{MasterKeys, SimCcidReader, SsCardSlot};

    use crate::error::Error;
    use crate::sscardreader::ReaderSource;

    /// Simulators started because their device or service is not
    /// configured. They live as long as the kiosk.
    #[derive(Default)]
    pub struct Simulation {
        /// The simulated ID card reader.
        pub id_reader: Option<Arc<IdReaderSimHandle>>,
        /// Its card slot.
        pub id_card_slot: Option<CardSlot>,
        /// The simulated printer.
        pub printer: Option<Arc<PrinterSimHandle>>,
        central: Option<CentralServer>,
        /// The simulated social security card reader.
        pub ss_card_reader: Option<SimCcidReader>,
        /// The simulated QR scanner.
        pub scanner: Option<Arc<ScannerSimHandle>>,
        /// Last, so that it goes after the simulators that link into it.
        links: Option<SimLinks>,
    }

    impl Simulation {
        /// No simulator yet: each starts when its part is found missing.
        pub fn new() -> Simulation {
            Simulation::default()
        }

        /// Stops every simulator (the kiosk is exiting).
        pub fn stop(self) {
            drop(self);
        }

        /// The directory of stable names for simulated serial devices,
        /// made on first use.
        fn links(&mut self) -> Result<PathBuf, Error> {
            if let Some(links) = &self.links {
                return Ok(links.0.clone());
            }
            let links = SimLinks::create()?;
            let dir = links.0.clone();
            self.links = Some(links);
            Ok(dir)
        }

        /// Starts the simulated ID card reader; returns the path to open.
        pub fn id_reader(&mut self) -> Result<String, Error> {
            let slot = CardSlot::new();
            let link = self.links()?.join("id-card-reader");
            let handle = IdReaderSim::spawn(slot.clone(), Some(&link))?;
            let path = link.display().to_string();
            println!(
                "kiosk: ID card reader: simulated on {path} -> {}",
                handle.path().display()
            );
            self.id_card_slot = Some(slot);
            self.id_reader = Some(Arc::new(handle));
            Ok(path)
        }

        /// Starts the simulated social security card reader.
        pub fn ss_card_reader(&mut self) -> Result<ReaderSource, Error> {
            // Like the hall's readers: a PSAM (with the simulator's test
            // keys) in slot 1, used when `ss_card_psam = "slot:1"`.
            let reader = SimCcidReader::with_psam(SsCardSlot::new(), MasterKeys::TEST);
            println!("kiosk: social security card reader: simulated (CCID, PSAM in slot 1)");
            self.ss_card_reader = Some(reader.clone());
            Ok(ReaderSource::Sim(reader))
        }

        /// Starts the simulated QR scanner; returns the path to open.
        pub fn scanner(&mut self) -> Result<String, Error> {
            let link = self.links()?.join("qr-scanner");
            let handle = ScannerSim::spawn(Some(&link))?;
            let path = link.display().to_string();
            println!(
                "kiosk: QR scanner: simulated on {path} -> {}",
                handle.path().display()
            );
            self.scanner = Some(Arc::new(handle));
            Ok(path)
        }

        /// Starts the simulated printer; returns its URI.
        pub fn printer(
            &mut self,
            paper: Paper,
            receipts: Option<PathBuf>,
        ) -> Result<String, Error> {
            let out_dir = receipts.unwrap_or_else(|| std::env::temp_dir().join("kiosk-receipts"));
            std::fs::create_dir_all(&out_dir)?;
            let handle = PrinterSim::start(PrinterSimConfig {
                listen: ([127, 0, 0, 1], 0).into(),
                out_dir: Some(out_dir.clone()),
                paper: match paper {
                    Paper::Mm58 => PaperWidth::Mm58,
                    Paper::Mm80 => PaperWidth::Mm80,
                },
            })?;
            let uri = format!("tcp://{}", handle.local_addr());
            println!(
                "kiosk: printer: simulated on {uri}, receipts in {}",
                out_dir.display()
            );
            self.printer = Some(Arc::new(handle));
            Ok(uri)
        }

        /// The built-in reference central service, when it runs.
        pub fn central_service(&self) -> Option<Arc<kiosk_central::Central>> {
            self.central.as_ref().map(|s| Arc::clone(s.central()))
        }

        /// Starts the built-in reference central service with the demo
        /// people and this kiosk's region's filing limits; returns its URL.
        pub fn central(
            &mut self,
            clock: Arc<dyn Clock>,
            rules: &kiosk_core::region::FilingRules,
            chronic: Option<&kiosk_core::region::ChronicRules>,
        ) -> Result<String, Error> {
            let server = CentralServer::spawn_with_limits(
                ([127, 0, 0, 1], 0).into(),
                DemoData::builtin()?,
                clock,
                kiosk_central::FilingLimits::from_rules(rules).with_chronic(chronic),
            )?;
            let url = server.url();
            println!("kiosk: central service: built-in reference service on {url}");
            self.central = Some(server);
            Ok(url)
        }
    }

    /// A directory of symlinks, one per simulated serial device
    /// (`$TMPDIR/kiosk-sim-<pid>/id-card-reader` → `/dev/pts/N`): the stable
    /// path the device loop opens, as `/dev/serial/by-id/…` is for a real
    /// reader. Unplugging a simulator removes its link and re-plugging
    /// points it at a new pty, so the loop finds the device again without
    /// being told. Removed when the kiosk exits; directories of kiosks that
    /// were killed are swept at the next start.
    struct SimLinks(PathBuf);

    const SIM_LINKS_PREFIX: &str = "kiosk-sim-";

    impl SimLinks {
        fn create() -> Result<SimLinks, Error> {
            let base = std::env::temp_dir();
            sweep_stale_sim_links(&base);
            let dir = base.join(format!("{SIM_LINKS_PREFIX}{}", std::process::id()));
            std::fs::create_dir_all(&dir)?;
            Ok(SimLinks(dir))
        }
    }

    impl Drop for SimLinks {
        fn drop(&mut self) {
            // Only symlinks in there; `remove_dir_all` does not follow them.
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    /// Removes `kiosk-sim-<pid>` directories whose process is gone.
    fn sweep_stale_sim_links(base: &Path) {
        let Ok(entries) = std::fs::read_dir(base) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(pid) = name
                .to_str()
                .and_then(|n| n.strip_prefix(SIM_LINKS_PREFIX))
                .filter(|pid| !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()))
            else {
                continue;
            };
            let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
            if is_dir && !Path::new("/proc").join(pid).exists() {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
}

/// A build without simulators: every part refuses (start-up never gets
/// here, it stops at the mode check first).
#[cfg(not(feature = "simulators"))]
#[derive(Default)]
pub struct Simulation;

#[cfg(not(feature = "simulators"))]
impl Simulation {
    /// Nothing to start.
    pub fn new() -> Simulation {
        Simulation
    }

    /// Nothing to stop.
    pub fn stop(self) {}

    fn refuse<T>(part: &str) -> Result<T, Error> {
        Err(Error::NoSimulators(format!(
            "{part} is not configured and this build has no simulators"
        )))
    }

    /// Refused.
    pub fn id_reader(&mut self) -> Result<String, Error> {
        Simulation::refuse("the ID card reader")
    }

    /// Refused.
    pub fn ss_card_reader(&mut self) -> Result<ReaderSource, Error> {
        Simulation::refuse("the social security card reader")
    }

    /// Refused.
    pub fn scanner(&mut self) -> Result<String, Error> {
        Simulation::refuse("the QR scanner")
    }

    /// Refused.
    pub fn printer(&mut self, _paper: Paper, _receipts: Option<PathBuf>) -> Result<String, Error> {
        Simulation::refuse("the printer")
    }

    /// Refused.
    pub fn central(
        &mut self,
        _clock: Arc<dyn Clock>,
        _rules: &kiosk_core::region::FilingRules,
        _chronic: Option<&kiosk_core::region::ChronicRules>,
    ) -> Result<String, Error> {
        Simulation::refuse("the central service")
    }
}

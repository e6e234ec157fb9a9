//! The composition root: reads the configuration, starts a simulator for
//! every device or service that is not configured, wires devices, the
//! central-service client, the session loop, the automation API and the
//! UI, and runs the UI event loop on the main thread.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use kiosk_central::{CentralServer, DemoData};
use kiosk_core::clock::Clock;
use kiosk_core::region::RegionProfile;
use kiosk_core::session::{Action, Event, Session, SessionConfig, TerminalInfo};
use kiosk_drivers::printer::Paper;
use kiosk_sim::idcard::{CardSlot, IdReaderSim, IdReaderSimHandle};
use kiosk_sim::printer::{PaperWidth, PrinterSim, PrinterSimConfig, PrinterSimHandle};
use kiosk_sim::scanner::{ScannerSim, ScannerSimHandle};
use kiosk_sim::sscard::{SimCcidReader, SsCardSlot};
use kiosk_sync::CentralClient;
use kiosk_sync::clock::SystemClock;
use kiosk_ui::{Chrome, KioskWindow, Orientation, UiHandle};
use slint::ComponentHandle;

use crate::automation::{ApiState, AutomationServer};
use crate::backend::{self, Backend, StorePaths};
use crate::config::Config;
use crate::controller::Controller;
use crate::device_loop::{DeviceHealth, Stop};
use crate::error::Error;
use crate::health::{self, DeviceBoard, HealthSettings};
use crate::idreader::{self, ReaderSettings};
use crate::profiles::{self, Pushed};
use crate::qrscanner::{self, ScannerSettings};
use crate::sscardreader::{self, ReaderSource, SsCardSettings};

/// How the kiosk was asked to run.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Force headless even when a display is present.
    pub headless: bool,
    /// Override the automation port.
    pub automation_port: Option<u16>,
    /// Override the printer URI.
    pub printer: Option<String>,
    /// Directory for the simulated printer's receipts.
    pub receipts_dir: Option<PathBuf>,
}

/// The built-in region profiles, so the kiosk starts with no files around it.
pub fn builtin_region(id: &str) -> Option<(&'static str, &'static str)> {
    match id {
        "jilin" => Some((
            "data/regions/jilin.toml",
            include_str!("../../../data/regions/jilin.toml"),
        )),
        "linkou" => Some((
            "data/regions/linkou.toml",
            include_str!("../../../data/regions/linkou.toml"),
        )),
        "yunnan" => Some((
            "data/regions/yunnan.toml",
            include_str!("../../../data/regions/yunnan.toml"),
        )),
        _ => None,
    }
}

/// Loads the configured region profile (a file, or a built-in one).
pub fn load_region(config: &Config) -> Result<RegionProfile, Error> {
    match &config.terminal.region_file {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| Error::Config {
                file: path.display().to_string(),
                reason: e.to_string(),
            })?;
            RegionProfile::parse(&path.display().to_string(), &text).map_err(Error::Region)
        }
        None => {
            let (name, text) =
                builtin_region(&config.terminal.region).ok_or_else(|| Error::Config {
                    file: "kiosk.toml".into(),
                    reason: format!(
                        "unknown region {:?} (jilin, linkou, yunnan, or set region_file)",
                        config.terminal.region
                    ),
                })?;
            RegionProfile::parse(name, text).map_err(Error::Region)
        }
    }
}

/// Simulators started because their device or service is not configured.
/// They live as long as the kiosk.
struct Simulation {
    id_reader: Option<Arc<IdReaderSimHandle>>,
    id_card_slot: Option<CardSlot>,
    printer: Option<Arc<PrinterSimHandle>>,
    central: Option<CentralServer>,
    ss_card_reader: Option<SimCcidReader>,
    scanner: Option<Arc<ScannerSimHandle>>,
    /// Last, so that it goes after the simulators that link into it.
    links: Option<SimLinks>,
}

impl Simulation {
    /// The directory of stable names for simulated serial devices, made
    /// on first use.
    fn links(&mut self) -> Result<PathBuf, Error> {
        if let Some(links) = &self.links {
            return Ok(links.0.clone());
        }
        let links = SimLinks::create()?;
        let dir = links.0.clone();
        self.links = Some(links);
        Ok(dir)
    }
}

/// A directory of symlinks, one per simulated serial device
/// (`$TMPDIR/kiosk-sim-<pid>/id-card-reader` → `/dev/pts/N`): the stable
/// path the device loop opens, as `/dev/serial/by-id/…` is for a real
/// reader. Unplugging a simulator removes its link and re-plugging points
/// it at a new pty, so the loop finds the device again without being told.
/// Removed when the kiosk exits; directories of kiosks that were killed are
/// swept at the next start.
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

/// Runs the kiosk until the window is closed or the process is stopped.
pub fn run(config: Config, options: RunOptions) -> Result<(), Error> {
    let started = Instant::now();
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    // The local store first: a broken or undecryptable store stops start-up
    // here, naming the file, before anything is shown to a citizen.
    let paths = StorePaths::resolve(&config.store)?;
    if let Some(warning) = &paths.warning {
        println!("kiosk: warning: {warning}");
        tracing::warn!("{warning}");
    }
    let store = backend::open_store(&paths)?;
    println!(
        "kiosk: store: {} (outbox key {})",
        paths.db.display(),
        paths.key_file.display()
    );
    let (region, pushed) = profiles::with_pushed(&store, load_region(&config)?);
    let mut sim = Simulation {
        id_reader: None,
        id_card_slot: None,
        printer: None,
        central: None,
        ss_card_reader: None,
        scanner: None,
        links: None,
    };
    let simulated = config.simulates_anything();
    if simulated {
        println!("kiosk: simulation mode for every device or service not configured");
    }
    println!(
        "kiosk: region {} ({}), profile version {}{}",
        region.name(),
        region.id(),
        region.version(),
        match &pushed {
            Pushed::Used(_) => " (pushed by the centre)",
            Pushed::Broken(_) => " (a broken profile pushed by the centre was ignored)",
            Pushed::None | Pushed::NotNewer(_) => "",
        }
    );
    let board = DeviceBoard::new();

    // ID card reader.
    let reader_path = match &config.devices.id_reader {
        Some(path) => path.clone(),
        None => {
            let slot = CardSlot::new();
            let link = sim.links()?.join("id-card-reader");
            let handle = IdReaderSim::spawn(slot.clone(), Some(&link))?;
            let path = link.display().to_string();
            println!(
                "kiosk: ID card reader: simulated on {path} -> {}",
                handle.path().display()
            );
            sim.id_card_slot = Some(slot);
            sim.id_reader = Some(Arc::new(handle));
            path
        }
    };

    // Social security card reader.
    let ss_card_source = match &config.devices.ss_card_reader {
        Some(setting) => {
            let source = ReaderSource::parse(setting).ok_or_else(|| Error::Config {
                file: "kiosk.toml".into(),
                reason: format!(
                    "devices.ss_card_reader {setting:?}: use \"usb\" or \"usb:VID:PID\" (hex)"
                ),
            })?;
            println!("kiosk: social security card reader: {source:?}");
            source
        }
        None => {
            let reader = SimCcidReader::new(SsCardSlot::new());
            println!("kiosk: social security card reader: simulated (CCID)");
            sim.ss_card_reader = Some(reader.clone());
            ReaderSource::Sim(reader)
        }
    };

    // QR scanner.
    let scanner_path = match &config.devices.scanner {
        Some(path) => {
            println!("kiosk: QR scanner: {path}");
            path.clone()
        }
        None => {
            let link = sim.links()?.join("qr-scanner");
            let handle = ScannerSim::spawn(Some(&link))?;
            let path = link.display().to_string();
            println!(
                "kiosk: QR scanner: simulated on {path} -> {}",
                handle.path().display()
            );
            sim.scanner = Some(Arc::new(handle));
            path
        }
    };

    // Printer.
    let paper = if config.devices.paper_mm == 80 {
        Paper::Mm80
    } else {
        Paper::Mm58
    };
    let printer_uri = match options.printer.clone().or(config.devices.printer.clone()) {
        Some(uri) => {
            println!("kiosk: printer: {uri}");
            uri
        }
        None => {
            let out_dir = options
                .receipts_dir
                .clone()
                .unwrap_or_else(|| std::env::temp_dir().join("kiosk-receipts"));
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
            sim.printer = Some(Arc::new(handle));
            uri
        }
    };

    // Central service.
    let central_url = match &config.central.url {
        Some(url) => {
            println!("kiosk: central service: {url}");
            url.clone()
        }
        None => {
            // The built-in centre applies this kiosk's region's filing limits.
            let server = CentralServer::spawn_with_limits(
                ([127, 0, 0, 1], 0).into(),
                DemoData::builtin()?,
                Arc::clone(&clock),
                kiosk_central::FilingLimits::from_rules(region.filing_rules()),
            )?;
            let url = server.url();
            println!("kiosk: central service: built-in reference service on {url}");
            sim.central = Some(server);
            url
        }
    };
    let client = Arc::new(CentralClient::new(
        backend::client_config(&config, central_url),
        Arc::clone(&clock),
    )?);

    // Outbox and sync engine on the same client (one circuit breaker for
    // the centre): reference data is pulled at once and on the schedule.
    let backend = Arc::new(Backend::new(
        paths,
        store,
        Arc::clone(&client),
        Arc::clone(&clock),
        backend::engine_config(&config.store),
    ));
    backend.start()?;
    println!(
        "kiosk: sync engine started (reference data every {} s)",
        config.store.sync_interval_s
    );

    // UI.
    let orientation = if config.ui.orientation == "landscape" {
        Orientation::Landscape
    } else {
        Orientation::Portrait
    };
    let has_display =
        std::env::var_os("DISPLAY").is_some() || std::env::var_os("WAYLAND_DISPLAY").is_some();
    if options.headless || !has_display {
        kiosk_ui::headless::install(orientation.size()).map_err(kiosk_ui::Error::from)?;
        println!(
            "kiosk: display: headless (software renderer, screenshots via the automation API)"
        );
    } else {
        slint::BackendSelector::new()
            .backend_name("winit".into())
            .renderer_name("software".into())
            .select()
            .map_err(kiosk_ui::Error::from)?;
        println!("kiosk: display: window");
    }
    let window = KioskWindow::new().map_err(kiosk_ui::Error::from)?;
    window.window().set_size(orientation.size());
    window
        .global::<kiosk_ui::Theme>()
        .set_landscape(orientation == Orientation::Landscape);
    if let Err(e) = kiosk_ui::select_language(&window, &config.ui.language) {
        // The kiosk stays usable: in Chinese, and the operator is told.
        tracing::warn!("screen language {:?} not used: {e}", config.ui.language);
        println!("kiosk: {e}; the screens stay in Chinese");
    }
    kiosk_ui::apply_chrome(
        &window,
        &Chrome {
            hall_name: config.terminal.hall_name.clone(),
            terminal_id: config.terminal.id.clone(),
            hotline: region
                .hotlines()
                .first()
                .map(|h| h.number.clone())
                .unwrap_or_default(),
        },
    );
    let ui = UiHandle::new(&window);

    // Session loop.
    let (events_tx, events_rx) = crossbeam_channel::unbounded::<Event>();
    {
        let tx = events_tx.clone();
        let weak = window.as_weak();
        window.on_action(move |id| {
            if let Some(window) = weak.upgrade()
                && kiosk_ui::handle_presentation_action(&window, id.as_str())
            {
                let _ = tx.send(Event::Touched);
                return;
            }
            if let Some(action) = Action::from_id(id.as_str()) {
                let _ = tx.send(Event::Action(action));
            }
        });
    }
    let region = Arc::new(region);
    let voice = if config.ui.voice {
        crate::voice::Voice::new(Some(config.ui.voice_dir.clone()), &config.ui.voice_player)
    } else {
        crate::voice::Voice::off()
    };
    // Printer spooler: the print journal in the store, and the printer.
    let (spooler_tx, spooler_rx) = crossbeam_channel::unbounded::<crate::spooler::Request>();
    {
        let journal = kiosk_core::print_job::PrintJournal::new(
            kiosk_sync::store::journal::StoreJournal::new(Arc::clone(backend.store())),
        );
        let call_staff = {
            let board = board.clone();
            let backend = Arc::clone(&backend);
            let clock = Arc::clone(&clock);
            let terminal_id = config.terminal.id.clone();
            Box::new(move |cause: kiosk_core::print_job::FailCause| {
                health::call_staff_for_printer(
                    &terminal_id,
                    started,
                    &board,
                    &backend,
                    clock.as_ref(),
                    cause.code(),
                )
            })
        };
        let settings = crate::spooler::Settings {
            uri: printer_uri.clone(),
            timeout: Duration::from_secs(5),
            call_staff,
        };
        let clock = Arc::clone(&clock);
        let events = events_tx.clone();
        std::thread::Builder::new()
            .name("spooler".into())
            .spawn(move || crate::spooler::run(journal, settings, clock, spooler_rx, events))?;
    }
    let controller = Controller {
        session: Session::new(
            SessionConfig {
                idle_after: Duration::from_secs(config.ui.idle_timeout_s.max(3)),
                countdown: Duration::from_secs(
                    config.ui.countdown_s.min(config.ui.idle_timeout_s.max(3)),
                ),
                ..SessionConfig::default()
            },
            TerminalInfo {
                terminal_id: config.terminal.id.clone(),
                hall_name: config.terminal.hall_name.clone(),
            },
            Arc::clone(&region),
            Instant::now(),
        ),
        region: Arc::clone(&region),
        voice,
        ui: ui.clone(),
        client: Arc::clone(&client),
        desk: Arc::clone(&backend) as Arc<dyn crate::filings::Desk>,
        spooler: spooler_tx,
        paper,
        clock: Arc::clone(&clock),
        events: events_tx.clone(),
        language: kiosk_core::texts::selected(),
    };
    std::thread::Builder::new()
        .name("session".into())
        .spawn(move || controller.run(events_rx))?;

    // Sign in once at start, in the background: the first query does not wait.
    {
        let client = Arc::clone(&client);
        std::thread::Builder::new()
            .name("sign-in".into())
            .spawn(move || match client.sign_in() {
                Ok(_) => tracing::info!("signed in to the central service"),
                Err(e) => tracing::warn!("sign-in failed, will retry on first query: {e}"),
            })?;
    }

    // Device loops, and the health table they keep (also the board the
    // health reports read).
    let health = DeviceHealth::reporting_to(board.clone());
    // ID card reader loop.
    let (reader_stop_tx, reader_stop_rx) = Stop::new();
    {
        board.slot(
            "id_card_reader",
            &describe(&config.devices.id_reader, &reader_path),
        );
        let settings = ReaderSettings {
            path: reader_path,
            baud: config.devices.id_reader_baud,
            poll: Duration::from_millis(config.devices.id_reader_poll_ms.max(50)),
        };
        let tx = events_tx.clone();
        std::thread::Builder::new()
            .name("id-reader".into())
            .spawn({
                let health = health.clone();
                move || idreader::run(settings, tx, reader_stop_rx, health)
            })?;
    }
    // Social security card loop.
    let (ss_stop_tx, ss_stop_rx) = Stop::new();
    {
        board.slot(
            "ss_card_reader",
            config
                .devices
                .ss_card_reader
                .as_deref()
                .unwrap_or("simulated"),
        );
        let settings = SsCardSettings {
            source: ss_card_source,
            poll: Duration::from_millis(config.devices.ss_card_poll_ms.max(50)),
        };
        let tx = events_tx.clone();
        std::thread::Builder::new().name("ss-card".into()).spawn({
            let health = health.clone();
            move || sscardreader::run(settings, tx, ss_stop_rx, health)
        })?;
    }

    // QR scanner loop.
    let (scanner_stop_tx, scanner_stop_rx) = Stop::new();
    {
        board.slot(
            "qr_scanner",
            &describe(&config.devices.scanner, &scanner_path),
        );
        let settings = ScannerSettings {
            path: scanner_path,
            baud: config.devices.scanner_baud,
            debounce: Duration::from_millis(config.devices.scanner_debounce_ms),
            rule: kiosk_drivers::scanner::TokenRule {
                prefixes: config.devices.evoucher_prefixes.clone(),
                ..kiosk_drivers::scanner::TokenRule::default()
            },
        };
        let tx = events_tx.clone();
        std::thread::Builder::new()
            .name("qr-scanner".into())
            .spawn({
                let health = health.clone();
                move || qrscanner::run(settings, tx, scanner_stop_rx, health)
            })?;
    }
    drop(events_tx);

    // Health reports: once now, then on the schedule.
    let (health_stop_tx, health_stop_rx) = crossbeam_channel::bounded::<()>(1);
    {
        let uri = printer_uri.clone();
        health::spawn(
            HealthSettings {
                interval: Duration::from_secs(config.store.health_interval_s),
                terminal_id: config.terminal.id.clone(),
                started,
                probe_printer: Box::new(move || health::probe_printer(&uri)),
            },
            board,
            Arc::clone(&backend),
            Arc::clone(&clock),
            health_stop_rx,
        )?;
    }

    // Automation API.
    let _automation = if config.automation_enabled() {
        let server = AutomationServer::start(
            options.automation_port.unwrap_or(config.automation.port),
            ApiState {
                ui: ui.clone(),
                token: config.automation.token.clone(),
                id_card_slot: sim.id_card_slot.clone(),
                id_reader: sim.id_reader.clone(),
                printer: sim.printer.clone(),
                ss_card_reader: sim.ss_card_reader.clone(),
                scanner: sim.scanner.clone(),
                backend: Some(Arc::clone(&backend)),
                health: health.clone(),
            },
        )?;
        println!("kiosk: automation API: http://{}", server.addr());
        Some(server)
    } else {
        None
    };

    window.show().map_err(kiosk_ui::Error::from)?;
    println!(
        "kiosk: home screen ready in {} ms",
        started.elapsed().as_millis()
    );
    let result = slint::run_event_loop_until_quit().map_err(kiosk_ui::Error::from);
    reader_stop_tx.stop();
    ss_stop_tx.stop();
    scanner_stop_tx.stop();
    let _ = health_stop_tx.send(());
    // Stop the engine after its current cycle; pending records stay in
    // the store for the next start.
    backend.stop();
    drop(sim);
    result.map_err(Error::from)
}

/// Where a device is, for health reports: its configured port, or the
/// simulator's.
fn describe(configured: &Option<String>, path: &str) -> String {
    match configured {
        Some(p) => p.clone(),
        None => format!("simulated on {path}"),
    }
}

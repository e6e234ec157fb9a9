//! The composition root: reads the configuration, starts a simulator for
//! every device or service that is not configured, wires devices, the
//! central-service client, the session loop, the automation API and the
//! UI, and runs the UI event loop on the main thread.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use kiosk_core::clock::Clock;
use kiosk_core::region::RegionProfile;
use kiosk_core::session::{Action, Event, Session, SessionConfig, TerminalInfo};
use kiosk_drivers::printer::Paper;
use kiosk_sync::CentralClient;
use kiosk_sync::clock::SystemClock;
use kiosk_ui::{Chrome, KioskWindow, Orientation, UiHandle};
use slint::ComponentHandle;

use crate::automation::{ApiState, AutomationServer};
use crate::backend::{self, Backend, StorePaths};
use crate::centrallink;
use crate::config::Config;
use crate::controller::Controller;
use crate::device_loop::DeviceHealth;
use crate::error::Error;
use crate::health::{self, DeviceBoard, HealthSettings};
use crate::idreader::{self, ReaderSettings};
use crate::profiles::{self, Pushed};
use crate::qrscanner::{self, ScannerSettings};
use crate::shutdown::DeviceLoops;
use crate::simulation::Simulation;
use crate::sscardreader::{self, PsamSetting, ReaderSource, SsCardSettings};
use crate::startup::{self, Mode, StartupReport};
use crate::supervision::{self, Supervisor};

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
    /// The configuration file the kiosk was started with (`None`: none,
    /// simulation mode).
    pub config_file: Option<PathBuf>,
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

/// Runs the kiosk until the window is closed or the process is stopped.
pub fn run(config: Config, options: RunOptions) -> Result<(), Error> {
    let started = Instant::now();
    // Production or simulation, and what production finds missing: before
    // anything starts, so a refused start-up touches nothing.
    let mode = Mode::of(&config, options.config_file.as_deref());
    let report = match (mode, &options.config_file) {
        (Mode::Production, Some(file)) => startup::check_production(&config, file),
        _ if !startup::HAS_SIMULATORS => {
            return Err(Error::NoSimulators(
                "this build has no simulators: start it with --config FILE (production mode, \
                 every device and the centre configured; see /etc/kiosk/kiosk.toml)"
                    .into(),
            ));
        }
        _ => StartupReport::default(),
    };
    match mode {
        Mode::Production => println!("kiosk: production mode"),
        Mode::Simulation => {
            println!("kiosk: simulation mode for every device or service not configured")
        }
    }
    report.print();
    if report.is_fatal() {
        return Err(Error::Refused(report.problems().len()));
    }
    let out_of_service = report.out_of_service();
    let simulating = mode == Mode::Simulation;
    let supervisor = Supervisor::from_env();
    supervisor.status(&report.status());
    // The display next: a kiosk that cannot draw stops here, saying why.
    crate::display::check_rotation(&config)?;
    let orientation = if config.ui.orientation == "landscape" {
        Orientation::Landscape
    } else {
        Orientation::Portrait
    };
    let display = crate::display::install(&config, options.headless, orientation.size())?;
    println!("kiosk: display: {display}");
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    // A configured centre's link first: certificates, keys and URL that
    // cannot work stop start-up before any journey or device starts.
    let security = match &config.central.url {
        Some(url) => Some(
            centrallink::security(&config.central, url)
                .map_err(|p| Error::CentralLink(p.iter().map(ToString::to_string).collect()))?,
        ),
        None => None,
    };
    // The local store first: a broken or undecryptable store stops start-up
    // here, naming the file, before anything is shown to a citizen.
    let paths = StorePaths::resolve(&config.store)?;
    if let Some(warning) = &paths.warning {
        println!("kiosk: warning: {warning}");
        tracing::warn!("{warning}");
    }
    let (store, recovery) = backend::open_store(&paths, clock.now())?;
    println!(
        "kiosk: store: {} (outbox key {})",
        paths.db.display(),
        paths.key_file.display()
    );
    if let Some(recovery) = &recovery {
        println!("kiosk: warning: {}", recovery.summary());
    }
    let (region, pushed) = profiles::with_pushed(&store, load_region(&config)?);
    let mut sim = Simulation::new();
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
    // A damaged store set aside at start is on the board until the next
    // start: /v1/health (degraded), the metrics and every health report.
    if let Some(recovery) = &recovery {
        board.update_quietly("store", health::DEGRADED, &recovery.summary());
    }
    // A full disk (a write failed with SQLITE_FULL) is on the board until
    // a probe finds space again: /v1/health 503, and a health report
    // straight to the centre (the outbox cannot hold it).
    {
        let board = board.clone();
        let recovered = recovery.as_ref().map(backend::Recovery::summary);
        store.watch_space(Box::new(move |full| match (full, &recovered) {
            (Some(reason), _) => board.update(
                crate::metrics::STORE,
                health::DOWN,
                Some(format!("full: {reason}")),
            ),
            (None, Some(summary)) => board.update(
                crate::metrics::STORE,
                health::DEGRADED,
                Some(summary.clone()),
            ),
            (None, None) => board.update(
                crate::metrics::STORE,
                health::OK,
                Some("writable again".into()),
            ),
        }));
    }

    // ID card reader.
    // In production a part that is not configured is out of service
    // (`None`): never simulated.
    let reader_path = match &config.devices.id_reader {
        Some(path) => Some(path.clone()),
        None if simulating => Some(sim.id_reader()?),
        None => None,
    };

    // Social security card reader.
    let ss_card_source = match &config.devices.ss_card_reader {
        Some(setting) => {
            let source = ReaderSource::parse(setting).ok_or_else(|| Error::Config {
                file: "kiosk.toml".into(),
                reason: format!(
                    "devices.ss_card_reader {setting:?}: use \"pcsc\", \"pcsc:NAME\", \"ccid\", \
                     \"ccid:VID:PID\" (hex) or \"auto\""
                ),
            })?;
            println!("kiosk: social security card reader: {source:?}");
            Some(source)
        }
        None if simulating => Some(sim.ss_card_reader()?),
        None => None,
    };

    let ss_card_psam = match &config.devices.ss_card_psam {
        None => None,
        Some(setting) => Some(PsamSetting::parse(setting).ok_or_else(|| Error::Config {
            file: "kiosk.toml".into(),
            reason: format!(
                "devices.ss_card_psam {setting:?}: use \"slot:N\" (a slot of the CCID reader) \
                 or \"pcsc:NAME\" (a pcscd reader)"
            ),
        })?),
    };
    // Production: a reader that does not open now is a start-up line
    // saying why (reader conflicts spelled out); the loop keeps trying.
    if mode == Mode::Production
        && let (Some(source), Some(setting)) = (&ss_card_source, &config.devices.ss_card_reader)
        && let Err(e) = source.open(ss_card_psam.as_ref())
    {
        let (what, todo) = sscardreader::explain(setting, &e);
        let problem = startup::Problem::degraded(
            startup::Part::SsCardReader,
            what,
            format!("[devices] ss_card_reader = {setting:?}"),
            todo,
        );
        println!("kiosk: {problem}");
        tracing::warn!(%problem, "social security card reader");
    }

    // QR scanner.
    let scanner_path = match &config.devices.scanner {
        Some(path) => {
            println!("kiosk: QR scanner: {path}");
            Some(path.clone())
        }
        None if simulating => Some(sim.scanner()?),
        None => None,
    };

    // Printer.
    let paper = if config.devices.paper_mm == 80 {
        Paper::Mm80
    } else {
        Paper::Mm58
    };
    let charset =
        crate::printglyphs::parse_charset(&config.devices.printer_charset).ok_or_else(|| {
            Error::Config {
                file: "kiosk.toml".into(),
                reason: format!(
                    "devices.printer_charset {:?}: use \"gb18030\" or \"gbk\"",
                    config.devices.printer_charset
                ),
            }
        })?;
    // The device loops' health table (also the board the health reports
    // read); the printer's glyph entry is its first.
    let health = DeviceHealth::reporting_to(board.clone());
    let print = crate::printglyphs::PrintGlyphs::new(
        kiosk_drivers::printer::PrinterProfile {
            paper,
            charset,
            glyphs: None,
            raster_qr: config.devices.printer_raster_qr,
        },
        health.clone(),
    );
    println!(
        "kiosk: printer glyphs for rare characters: {}",
        print.fonts()
    );
    let printer_uri = match options.printer.clone().or(config.devices.printer.clone()) {
        Some(uri) => {
            println!("kiosk: printer: {uri}");
            Some(uri)
        }
        None if simulating => Some(sim.printer(paper, options.receipts_dir.clone())?),
        None => None,
    };

    // Central service.
    let central_url = match &config.central.url {
        Some(url) => {
            println!("kiosk: central service: {url}");
            url.clone()
        }
        // Production start-up was refused above without a URL. The
        // built-in centre applies this kiosk's region's filing limits.
        None => sim.central(
            Arc::clone(&clock),
            region.filing_rules(),
            region.chronic_rules(),
        )?,
    };
    let client = Arc::new(CentralClient::with_options(
        backend::client_config(&config, central_url),
        Arc::clone(&clock),
        kiosk_sync::client::ClientOptions {
            security: security.unwrap_or_default(),
            ..kiosk_sync::client::ClientOptions::default()
        },
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

    // Fleet telemetry (metrics.rs): this start counted on the store (a
    // start after an unclean end is a crash), the configuration's hash.
    let (starts, crashes) = crate::metrics::count_start(backend.store())?;
    if crashes > 0 {
        tracing::info!(starts, crashes, "runs counted on this store");
    }
    let config_text = match &options.config_file {
        Some(file) => std::fs::read(file).unwrap_or_default(),
        None => Vec::new(),
    };
    let telemetry = Arc::new(crate::metrics::Telemetry::new(
        crate::metrics::RunFacts {
            terminal_id: config.terminal.id.clone(),
            hall_name: config.terminal.hall_name.clone(),
            config_hash: crate::metrics::config_hash(&config_text),
            starts,
            crashes,
        },
        crate::metrics::Sources {
            backend: Some(Arc::clone(&backend)),
            board: board.clone(),
            glyph_substitutions: print.substitutions(),
        },
        started,
    ));

    // UI.
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
    // Without a printer (production, not configured) there is none: a
    // print request then tells the citizen to go to the counter, and
    // unfinished jobs stay in the journal for a kiosk that has one.
    let (spooler_tx, spooler_rx) = crossbeam_channel::unbounded::<crate::spooler::Request>();
    let spooler = match &printer_uri {
        Some(uri) => {
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
            let on_status = {
                let board = board.clone();
                let telemetry = Arc::clone(&telemetry);
                // Paper out or near end, then ready: a roll was changed.
                let paper_short = std::sync::atomic::AtomicBool::new(false);
                Box::new(
                    move |status: Result<
                        kiosk_drivers::printer::PrinterState,
                        kiosk_drivers::Error,
                    >| {
                        use kiosk_drivers::printer::PrinterState;
                        match &status {
                            Ok(PrinterState::PaperOut | PrinterState::PaperNearEnd) => {
                                paper_short.store(true, std::sync::atomic::Ordering::Relaxed)
                            }
                            Ok(PrinterState::Ready)
                                if paper_short
                                    .swap(false, std::sync::atomic::Ordering::Relaxed) =>
                            {
                                telemetry.record_paper_change();
                            }
                            _ => {}
                        }
                        let h = health::printer_health(status);
                        board.update(health::PRINTER, &h.state, Some(h.detail));
                    },
                )
            };
            let settings = crate::spooler::Settings {
                uri: uri.clone(),
                timeout: Duration::from_secs(5),
                call_staff,
                on_status,
                status_every: PRINTER_STATUS_EVERY,
            };
            let clock = Arc::clone(&clock);
            let events = events_tx.clone();
            Some(
                std::thread::Builder::new()
                    .name("spooler".into())
                    .spawn(move || {
                        crate::spooler::run(journal, settings, clock, spooler_rx, events)
                    })?,
            )
        }
        None => {
            // Print requests then fail at once (PrintFailed, go to the counter).
            drop(spooler_rx);
            None
        }
    };
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
        )
        .with_document_camera(config.devices.document_camera.is_some()),
        camera: crate::camera::configured(config.devices.document_camera.as_deref()),
        region: Arc::clone(&region),
        voice,
        ui: ui.clone(),
        client: Arc::clone(&client),
        desk: Arc::clone(&backend) as Arc<dyn crate::filings::Desk>,
        spooler: spooler_tx.clone(),
        print,
        clock: Arc::clone(&clock),
        events: events_tx.clone(),
        language: kiosk_core::texts::selected(),
        telemetry: Some(Arc::clone(&telemetry)),
        elderly_default: false,
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

    // Device loops, and the health table they keep (created with the
    // printer's glyph entry above; also the heartbeats the watchdog
    // reads). A device that is out of service has no loop.
    let mut loops = DeviceLoops::default();
    // ID card reader loop.
    if let Some(reader_path) = reader_path {
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
        let health = health.clone();
        loops.spawn("id-reader", move |stop| {
            idreader::run(settings, tx, stop, health)
        })?;
    }
    // Social security card loop.
    if let Some(source) = ss_card_source {
        board.slot(
            "ss_card_reader",
            config
                .devices
                .ss_card_reader
                .as_deref()
                .unwrap_or("simulated"),
        );
        let settings = SsCardSettings {
            source,
            psam: ss_card_psam.clone(),
            poll: Duration::from_millis(config.devices.ss_card_poll_ms.max(50)),
        };
        let tx = events_tx.clone();
        let health = health.clone();
        loops.spawn("ss-card", move |stop| {
            sscardreader::run(settings, tx, stop, health)
        })?;
    }
    // QR scanner loop.
    if let Some(scanner_path) = scanner_path {
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
        let health = health.clone();
        loops.spawn("qr-scanner", move |stop| {
            qrscanner::run(settings, tx, stop, health)
        })?;
    }
    // Remote configuration (KS33): applied by the session loop.
    let remote = Arc::new(crate::remoteconfig::RemoteConfig::default());
    let (remote_stop_tx, remote_stop_rx) = crossbeam_channel::bounded::<()>(1);
    if config.store.config_interval_s > 0 {
        let events = events_tx.clone();
        crate::remoteconfig::spawn(
            Arc::clone(&client),
            config.terminal.id.clone(),
            Duration::from_secs(config.store.config_interval_s),
            Arc::clone(&remote),
            Box::new(move |settings| {
                let _ = events.send(kiosk_core::session::Event::Settings(Box::new(settings)));
            }),
            board.clone(),
            remote_stop_rx,
        )?;
    }
    drop(events_tx);

    // Health reports: once now, then on the schedule.
    let (health_stop_tx, health_stop_rx) = crossbeam_channel::bounded::<()>(1);
    {
        // With a printer the spooler keeps its board entry (it owns the
        // printer); without one the board says so (and /v1/health).
        if printer_uri.is_none() {
            board.update_quietly(health::PRINTER, health::DOWN, "not configured");
        }
        let probe_printer = None;
        let extras: health::Extras = {
            let telemetry = Arc::clone(&telemetry);
            let remote = Arc::clone(&remote);
            Arc::new(move |report: &mut kiosk_sync::wire::HealthReportInput| {
                telemetry.fill_report(report);
                remote.fill_report(report);
            })
        };
        health::spawn(
            HealthSettings {
                interval: Duration::from_secs(config.store.health_interval_s),
                terminal_id: config.terminal.id.clone(),
                started,
                probe_printer,
                extras,
            },
            board,
            Arc::clone(&backend),
            Arc::clone(&clock),
            health_stop_rx,
        )?;
    }

    // Automation API: in production only when configured, with a token
    // (checked above), on loopback; the simulators' endpoints answer 404
    // there (nothing is simulated).
    let automation_on = match mode {
        Mode::Production => config.automation.enabled == Some(true),
        Mode::Simulation => config.automation.enabled.unwrap_or(true),
    };
    let _automation = if automation_on {
        let server = AutomationServer::start(
            options.automation_port.unwrap_or(config.automation.port),
            ApiState {
                ui: ui.clone(),
                token: config.automation.token.clone(),
                #[cfg(feature = "simulators")]
                id_card_slot: sim.id_card_slot.clone(),
                #[cfg(feature = "simulators")]
                id_reader: sim.id_reader.clone(),
                #[cfg(feature = "simulators")]
                printer: sim.printer.clone(),
                #[cfg(feature = "simulators")]
                ss_card_reader: sim.ss_card_reader.clone(),
                #[cfg(feature = "simulators")]
                scanner: sim.scanner.clone(),
                #[cfg(feature = "simulators")]
                central: sim.central_service(),
                #[cfg(feature = "simulators")]
                store_faults: simulating,
                backend: Some(Arc::clone(&backend)),
                health: health.clone(),
                telemetry: Some(Arc::clone(&telemetry)),
            },
        )?;
        println!("kiosk: automation API: http://{}", server.addr());
        Some(server)
    } else {
        None
    };

    // What the screen says about the kiosk itself: the demo badge in
    // simulation, the parts out of service on the home screen.
    crate::status::apply(&window, simulating, &out_of_service.notices());
    // SIGTERM / SIGINT: the maintenance screen, then the event loop ends
    // and the shutdown below runs (bounded).
    let signals = crate::shutdown::on_signals(ui.clone(), supervisor.clone())?;

    window.show().map_err(kiosk_ui::Error::from)?;
    println!(
        "kiosk: home screen ready in {} ms",
        started.elapsed().as_millis()
    );
    supervisor.ready(&report.status());
    let _watchdog =
        supervision::spawn_watchdog(supervisor.clone(), health.clone(), report.status())?;
    let result = slint::run_event_loop_until_quit().map_err(kiosk_ui::Error::from);
    // Shutdown: devices closed, the spooler records its job in flight,
    // the engine stops after its current cycle (every store write is one
    // SQLite transaction: committed or rolled back, never half), then exit.
    crate::shutdown::finish(crate::shutdown::Parts {
        loops,
        spooler: spooler.map(|thread| (spooler_tx, thread)),
        backend: Arc::clone(&backend),
        signalled: signals.signalled(),
    });
    let _ = health_stop_tx.send(());
    let _ = remote_stop_tx.send(());
    if let Err(e) = crate::metrics::mark_clean_stop(backend.store()) {
        tracing::warn!("clean stop not recorded: {e}");
    }
    sim.stop();
    result.map_err(Error::from)
}

/// How often an idle printer is asked for its status (paper near end, out,
/// cover open): a change reaches the health board, and the reporter,
/// within this.
const PRINTER_STATUS_EVERY: Duration = Duration::from_secs(10);

/// Where a device is, for health reports: its configured port, or the
/// simulator's.
fn describe(configured: &Option<String>, path: &str) -> String {
    match configured {
        Some(p) => p.clone(),
        None => format!("simulated on {path}"),
    }
}

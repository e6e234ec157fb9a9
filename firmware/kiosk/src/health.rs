//! Terminal health reports (KS31): once at start and every
//! `[store] health_interval_s`, the kiosk writes a report to the outbox
//! with the state of each device — the ID card reader, the social security
//! card reader and the QR scanner as their loops last saw them (a
//! [`DeviceBoard`]), the printer by its real-time status (DLE EOT →
//! `PrinterState`). Device names, states and driver error texts only: a
//! report never carries personal data.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};

use kiosk_core::clock::Clock;
use kiosk_drivers::printer::{PrinterLink, PrinterState};
use kiosk_sync::wire::{DeviceHealth, HealthReportInput};

use crate::backend::Backend;

/// Device state: working.
pub const OK: &str = "ok";
/// Device state: working with a warning (paper near end, ...).
pub const DEGRADED: &str = "degraded";
/// Device state: not usable.
pub const DOWN: &str = "down";
/// Device state: not checked yet (just started).
pub const UNKNOWN: &str = "unknown";

/// The last known state of each device, written by the device loops and
/// the spooler (the printer). A change of a device's *state* (not of its
/// detail) wakes the health reporter, which reports it within seconds.
#[derive(Debug, Clone)]
pub struct DeviceBoard {
    devices: Arc<Mutex<BTreeMap<&'static str, (String, String)>>>,
    changed: (Sender<&'static str>, Receiver<&'static str>),
}

impl Default for DeviceBoard {
    fn default() -> DeviceBoard {
        DeviceBoard {
            devices: Arc::default(),
            // One pending wake-up is enough: the reporter reads the whole
            // board.
            changed: crossbeam_channel::bounded(1),
        }
    }
}

impl DeviceBoard {
    /// An empty board.
    pub fn new() -> DeviceBoard {
        DeviceBoard::default()
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<&'static str, (String, String)>> {
        match self.devices.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    /// A handle for one device's loop; the device starts as `unknown`
    /// with `detail` (where it is: a port, "simulated").
    pub fn slot(&self, device: &'static str, detail: &str) -> DeviceSlot {
        self.lock()
            .insert(device, (UNKNOWN.to_string(), detail.to_string()));
        DeviceSlot {
            board: self.clone(),
            device,
        }
    }

    /// Sets `device`'s state; `detail` replaces the detail when given
    /// (an error), else the one it has (its port) stays.
    pub fn update(&self, device: &'static str, state: &str, detail: Option<String>) {
        let changed = {
            let mut devices = self.lock();
            let entry = devices
                .entry(device)
                .or_insert_with(|| (UNKNOWN.to_string(), String::new()));
            let changed = entry.0 != state;
            entry.0 = state.to_string();
            if let Some(detail) = detail {
                entry.1 = detail;
            }
            changed
        };
        if changed {
            self.notify();
        }
    }

    /// Sets `device`'s state and detail without waking the reporter (the
    /// caller reports it itself).
    pub fn update_quietly(&self, device: &'static str, state: &str, detail: &str) {
        self.lock()
            .insert(device, (state.to_string(), detail.to_string()));
    }

    fn notify(&self) {
        self.wake(trigger::DEVICE_CHANGE);
    }

    /// Wakes the reporter for a report now (`why`: its trigger).
    pub fn wake(&self, why: &'static str) {
        // Full: a wake-up is already pending.
        let _ = self.changed.0.try_send(why);
    }

    /// Woken when a device changes state (or [`DeviceBoard::wake`]).
    pub fn changes(&self) -> Receiver<&'static str> {
        self.changed.1.clone()
    }

    /// One device's state, if it is on the board.
    pub fn state_of(&self, device: &str) -> Option<String> {
        self.lock().get(device).map(|(state, _)| state.clone())
    }

    /// Every device's state, by name.
    pub fn snapshot(&self) -> Vec<DeviceHealth> {
        self.lock()
            .iter()
            .map(|(device, (state, detail))| DeviceHealth {
                device: device.to_string(),
                state: state.clone(),
                detail: detail.clone(),
            })
            .collect()
    }
}

/// One device's entry on the [`DeviceBoard`]. Details must not carry
/// personal data (driver errors and port names do not).
#[derive(Debug, Clone)]
pub struct DeviceSlot {
    board: DeviceBoard,
    device: &'static str,
}

impl DeviceSlot {
    /// A slot on a board of its own (tools, tests).
    pub fn detached(device: &'static str) -> DeviceSlot {
        DeviceBoard::new().slot(device, "")
    }

    /// Sets the state and detail.
    pub fn set(&self, state: &str, detail: impl Into<String>) {
        let before = self
            .board
            .lock()
            .insert(self.device, (state.to_string(), detail.into()));
        if before.is_none_or(|(s, _)| s != state) {
            self.board.notify();
        }
    }

    /// The device works.
    pub fn ok(&self, detail: impl Into<String>) {
        self.set(OK, detail);
    }

    /// The device cannot be used.
    pub fn down(&self, detail: impl Into<String>) {
        self.set(DOWN, detail);
    }
}

/// Asks the printer for its real-time status (DLE EOT 1-4) on a link of
/// its own, with a short deadline.
pub fn probe_printer(uri: &str) -> DeviceHealth {
    printer_health(PrinterLink::open(uri, Duration::from_secs(2)).and_then(|mut link| link.state()))
}

/// The printer's health entry from its real-time status: `ok` when ready,
/// `degraded` when it prints with a warning (paper near end), else `down`
/// (paper out, cover open, cutter jam, offline, unreachable).
pub fn printer_health(status: Result<PrinterState, kiosk_drivers::Error>) -> DeviceHealth {
    let (state, detail) = match status {
        Ok(PrinterState::Ready) => (OK, PrinterState::Ready.label().to_string()),
        Ok(s) if s.can_print() => (DEGRADED, format!("{} ({s:?})", s.label())),
        Ok(s) => (DOWN, format!("{} ({s:?})", s.label())),
        Err(e) => (DOWN, e.to_string()),
    };
    DeviceHealth {
        device: PRINTER.into(),
        state: state.into(),
        detail,
    }
}

/// The printer's name on the board and in reports.
pub const PRINTER: &str = "printer";

/// Why a report was sent.
pub mod trigger {
    /// The first report after start.
    pub const START: &str = "start";
    /// The schedule (`[store] health_interval_s`).
    pub const SCHEDULE: &str = "schedule";
    /// A device changed state.
    pub const DEVICE_CHANGE: &str = "device_change";
    /// A print job stopped (paper out, cover open …): staff are called.
    pub const PRINTER_STOPPED: &str = "printer_stopped";
    /// A remote configuration was applied or refused.
    pub const CONFIG_CHANGE: &str = "config_change";
}

/// How often the reporter checks whether a full store has space again.
pub const SPACE_CHECK: Duration = Duration::from_secs(5);

/// How long the reporter waits after a device changes state before it
/// reports, so that a burst of changes (a cable pulled: several devices)
/// makes one report.
pub const SETTLE: Duration = Duration::from_secs(2);

/// A health report from what is known now.
pub fn build_report(
    terminal_id: &str,
    clock: &dyn Clock,
    uptime: Duration,
    outbox_pending: u64,
    devices: Vec<DeviceHealth>,
) -> HealthReportInput {
    HealthReportInput {
        terminal_id: terminal_id.to_string(),
        reported_at: clock.now().format("%Y-%m-%d %H:%M:%S").to_string(),
        uptime_s: uptime.as_secs(),
        app_version: env!("CARGO_PKG_VERSION").to_string(),
        outbox_pending,
        devices,
        ..HealthReportInput::default()
    }
}

/// Fills in what a report says beyond the devices (the kiosk's
/// telemetry: metrics.rs), e.g. the journey counters since the last one.
pub type Extras = Arc<dyn Fn(&mut HealthReportInput) + Send + Sync>;

/// The health reporter's settings.
pub struct HealthSettings {
    /// Between two reports (zero: one report at start only).
    pub interval: Duration,
    /// Terminal id.
    pub terminal_id: String,
    /// When the kiosk started.
    pub started: Instant,
    /// The printer's probe, when the board does not already keep the
    /// printer's state (no spooler watches it).
    pub probe_printer: Option<Box<dyn Fn() -> DeviceHealth + Send>>,
    /// The rest of the report.
    pub extras: Extras,
}

/// The central link as a health entry: `down` with the fault's name when
/// the last exchange met a misconfigured link (certificate, pin, client
/// certificate, signature, gateway), `down` with how it failed when the
/// centre did not answer usably (`unreachable`, `timeout`, `http_503`,
/// `malformed_answer` …), `degraded` when the kiosk's clock is more than
/// 5 minutes off the centre's, else `ok` (or `unknown` before the first
/// answer). The report is queued like every other, so a fault reaches the
/// centre once the link works again.
pub fn link_health(client: &kiosk_sync::CentralClient) -> DeviceHealth {
    let skew = client.clock_skew_s();
    let (state, detail) = match (client.link_fault(), client.centre_failure(), skew) {
        (Some(fault), _, _) => ("down", fault.as_str().to_string()),
        (None, Some(failure), _) => ("down", failure.to_string()),
        (None, None, Some(s)) if s.abs() > kiosk_sync::client::MAX_CLOCK_SKEW_S => {
            ("degraded", format!("clock_skew_s={s}"))
        }
        (None, None, Some(s)) => ("ok", format!("clock_skew_s={s}")),
        (None, None, None) => ("unknown", String::new()),
    };
    DeviceHealth {
        device: "central_link".into(),
        state: state.into(),
        detail,
    }
}

/// Writes one report to the outbox now.
pub fn report_once(
    settings: &HealthSettings,
    board: &DeviceBoard,
    backend: &Backend,
    clock: &dyn Clock,
    trigger: &str,
) -> Result<String, kiosk_sync::Error> {
    let mut devices = board.snapshot();
    if let Some(probe) = &settings.probe_printer {
        devices.push(probe());
    }
    devices.push(link_health(backend.client()));
    let pending = backend.store().outbox_stats()?.pending;
    let mut report = build_report(
        &settings.terminal_id,
        clock,
        settings.started.elapsed(),
        pending,
        devices,
    );
    (settings.extras)(&mut report);
    report.trigger = trigger.to_string();
    let states: Vec<String> = report
        .devices
        .iter()
        .map(|d| format!("{}={}", d.device, d.state))
        .collect();
    let receipt = match backend.submit_health(&report) {
        Ok(receipt) => receipt,
        Err(kiosk_sync::Error::StoreFull(reason)) => {
            send_directly(backend, &report, trigger);
            return Err(kiosk_sync::Error::StoreFull(reason));
        }
        Err(e) => return Err(e),
    };
    if trigger != trigger::SCHEDULE {
        // Prompt reports go now, not with the next cycle.
        backend.sync_now();
    }
    tracing::info!(
        devices = states.join(" ").as_str(),
        trigger,
        "health report queued"
    );
    Ok(receipt.tracking_no)
}

/// A report the outbox cannot hold (the store is full) goes straight to
/// the centre, once (not retried), so that staff learn that the kiosk
/// cannot save anything; if the centre does not take it, it is lost (a
/// later report says how the kiosk is then). The only submission not
/// written first.
fn send_directly(backend: &Backend, report: &HealthReportInput, trigger: &str) {
    let client = backend.client();
    let sent = serde_json::to_vec(report)
        .map_err(|e| kiosk_sync::Error::Config(e.to_string()))
        .and_then(|body| {
            client.submit(
                kiosk_sync::transactions::Transaction::HealthReport,
                &client.next_msgid(),
                &body,
            )
        });
    match sent {
        Ok(_) => tracing::warn!(
            trigger,
            "staff called: store full (health report sent directly)"
        ),
        Err(e) => tracing::warn!(
            trigger,
            "store full; the health report could not be sent either: {e}"
        ),
    }
}

/// Starts the reporter: a report at once, then every `interval`, and
/// [`SETTLE`] after any device changes state, until `stop` receives or
/// is dropped.
pub fn spawn(
    settings: HealthSettings,
    board: DeviceBoard,
    backend: Arc<Backend>,
    clock: Arc<dyn Clock>,
    stop: Receiver<()>,
) -> std::io::Result<JoinHandle<()>> {
    std::thread::Builder::new()
        .name("health".into())
        .spawn(move || {
            let changes = board.changes();
            // Changes before the first report are in it.
            while changes.try_recv().is_ok() {}
            let mut trigger = Some(trigger::START);
            let mut next = Instant::now();
            loop {
                if let Some(why) = trigger.take() {
                    if let Err(e) = report_once(&settings, &board, &backend, &*clock, why) {
                        tracing::warn!("health report not written: {e}");
                    }
                    if why == trigger::START || why == trigger::SCHEDULE {
                        next = Instant::now() + settings.interval;
                    }
                }
                let mut wait = if settings.interval.is_zero() {
                    Duration::from_secs(3600)
                } else {
                    next.saturating_duration_since(Instant::now())
                };
                // A full store is checked every few seconds: when the
                // space is back its board entry turns ok (a report follows).
                if backend.store().is_full() {
                    let _ = backend.store().probe_space();
                    if backend.store().is_full() {
                        wait = wait.min(SPACE_CHECK);
                    }
                }
                crossbeam_channel::select! {
                    recv(stop) -> _ => return,
                    recv(changes) -> why => {
                        // Let a burst of changes settle into one report.
                        match stop.recv_timeout(SETTLE) {
                            Err(RecvTimeoutError::Timeout) => {}
                            _ => return,
                        }
                        while changes.try_recv().is_ok() {}
                        trigger = Some(why.unwrap_or(trigger::DEVICE_CHANGE));
                    }
                    default(wait) => {
                        // Woken early to check a full store: not yet due.
                        if !settings.interval.is_zero() && Instant::now() >= next {
                            trigger = Some(trigger::SCHEDULE);
                        }
                    }
                }
            }
        })
}

/// Calls staff at once when the printer stops mid-job: a health report with
/// the printer down and why (paper out, cover open …), queued and sent now,
/// besides the schedule. No personal data.
pub fn call_staff_for_printer(
    terminal_id: &str,
    started: std::time::Instant,
    board: &DeviceBoard,
    backend: &Backend,
    clock: &dyn Clock,
    cause: &str,
) {
    // The board's printer entry says it too; without a wake-up (this
    // report says it already).
    board.update_quietly(PRINTER, DOWN, cause);
    let devices = board.snapshot();
    let pending = backend
        .store()
        .outbox_stats()
        .map(|s| s.pending)
        .unwrap_or(0);
    let mut report = build_report(terminal_id, clock, started.elapsed(), pending, devices);
    report.trigger = trigger::PRINTER_STOPPED.to_string();
    match backend.submit_health(&report) {
        Ok(_) => {
            backend.sync_now();
            tracing::info!(cause, "staff called: printer down");
        }
        Err(e) => tracing::warn!("staff call for the printer not queued: {e}"),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use kiosk_core::clock::FixedClock;

    #[test]
    fn the_board_keeps_the_last_state_of_each_device() {
        let board = DeviceBoard::new();
        let reader = board.slot("id_card_reader", "/dev/ttyUSB0");
        let scanner = board.slot("qr_scanner", "simulated");
        reader.ok("opened");
        scanner.down("cannot open /dev/ttyACM0");
        let snap = board.snapshot();
        assert_eq!(snap.len(), 2);
        assert_eq!(snap[0].device, "id_card_reader");
        assert_eq!(snap[0].state, OK);
        assert_eq!(snap[1].state, DOWN);
    }

    #[test]
    fn a_report_carries_device_states_and_no_person() {
        let clock = FixedClock(
            chrono::NaiveDate::from_ymd_opt(2026, 11, 22)
                .unwrap()
                .and_hms_opt(9, 30, 0)
                .unwrap(),
        );
        let board = DeviceBoard::new();
        board.slot("ss_card_reader", "simulated").ok("opened");
        let report = build_report(
            "K2201-A001",
            &clock,
            Duration::from_secs(61),
            3,
            board.snapshot(),
        );
        assert_eq!(report.reported_at, "2026-11-22 09:30:00");
        assert_eq!(report.uptime_s, 61);
        assert_eq!(report.outbox_pending, 3);
        let json = serde_json::to_string(&report).unwrap();
        assert!(json.contains("ss_card_reader"));
        assert!(!json.contains("psn"), "{json}");
    }

    #[test]
    fn an_unreachable_printer_is_down() {
        // A port nobody listens on: bind, note it, close.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let health = probe_printer(&format!("tcp://127.0.0.1:{port}"));
        assert_eq!(health.device, "printer");
        assert_eq!(health.state, DOWN);
    }

    #[test]
    fn a_centre_that_does_not_answer_is_down_on_the_board_with_how() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let now = chrono::NaiveDate::from_ymd_opt(2026, 11, 22)
            .unwrap()
            .and_hms_opt(9, 30, 0)
            .unwrap();
        let client = kiosk_sync::CentralClient::new(
            kiosk_central::test_terminal(
                &format!("http://127.0.0.1:{port}"),
                Duration::from_millis(500),
            ),
            Arc::new(FixedClock(now)),
        )
        .unwrap();
        assert!(client.sign_in().is_err());
        let entry = link_health(&client);
        assert_eq!(
            (entry.state.as_str(), entry.detail.as_str()),
            (DOWN, "unreachable")
        );
    }

    /// A client of a TLS reference centre, its clock `offset_s` off.
    fn link_client(
        url: &str,
        pki: &kiosk_central::test_pki::TestPki,
        pin: Option<String>,
        offset_s: i64,
    ) -> kiosk_sync::CentralClient {
        let tls = kiosk_sync::link::TlsSettings {
            ca_file: Some(pki.ca.clone()),
            client_cert: Some(pki.client_cert.clone()),
            client_key: Some(pki.client_key.clone()),
            pin_sha256: pin.into_iter().collect(),
        };
        let now = chrono::NaiveDate::from_ymd_opt(2026, 11, 22)
            .unwrap()
            .and_hms_opt(9, 30, 0)
            .unwrap();
        kiosk_sync::CentralClient::with_options(
            kiosk_central::test_terminal(url, Duration::from_secs(5)),
            Arc::new(FixedClock(now + chrono::Duration::seconds(offset_s))),
            kiosk_sync::client::ClientOptions {
                security: kiosk_sync::client::LinkSecurity {
                    tls: Some(tls.load().unwrap()),
                    ..Default::default()
                },
                ..Default::default()
            },
        )
        .unwrap()
    }

    #[test]
    fn the_central_link_entry_names_the_fault_or_the_clock_skew() {
        use kiosk_central::test_pki::{ServerCert, TestPki};
        kiosk_sync::link::install_crypto_provider();
        let dir = tempfile::tempdir().unwrap();
        let pki = TestPki::create(dir.path(), ServerCert::Good).unwrap();
        let now = chrono::NaiveDate::from_ymd_opt(2026, 11, 22)
            .unwrap()
            .and_hms_opt(9, 30, 0)
            .unwrap();
        let central = kiosk_central::Central::open_seeded(
            None,
            Arc::new(FixedClock(now)),
            kiosk_central::CentralOptions::default(),
        )
        .unwrap();
        let server = kiosk_central::CentralServer::start_tls(
            "127.0.0.1:0".parse().unwrap(),
            Arc::new(central),
            Arc::new(pki.server_config(true).unwrap()),
        )
        .unwrap();

        let fresh = link_client(&server.url(), &pki, None, 0);
        assert_eq!(link_health(&fresh).state, "unknown");
        fresh.sign_in().unwrap();
        let ok = link_health(&fresh);
        assert_eq!(
            (ok.device.as_str(), ok.state.as_str()),
            ("central_link", OK)
        );
        assert_eq!(ok.detail, "clock_skew_s=0");

        let slow = link_client(&server.url(), &pki, None, -420);
        slow.sign_in().unwrap();
        let skewed = link_health(&slow);
        assert_eq!(skewed.state, "degraded");
        assert_eq!(skewed.detail, "clock_skew_s=420");

        let pin = "sha256/AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=".to_string();
        let pinned = link_client(&server.url(), &pki, Some(pin), 0);
        assert!(pinned.sign_in().is_err());
        let down = link_health(&pinned);
        assert_eq!(
            (down.state.as_str(), down.detail.as_str()),
            (DOWN, "pin_mismatch")
        );
    }
}

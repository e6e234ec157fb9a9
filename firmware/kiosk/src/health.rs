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

use crossbeam_channel::{Receiver, RecvTimeoutError};

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

/// The last known state of each device, written by the device loops.
#[derive(Debug, Clone, Default)]
pub struct DeviceBoard {
    devices: Arc<Mutex<BTreeMap<&'static str, (String, String)>>>,
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
        let mut devices = self.lock();
        let entry = devices
            .entry(device)
            .or_insert_with(|| (UNKNOWN.to_string(), String::new()));
        entry.0 = state.to_string();
        if let Some(detail) = detail {
            entry.1 = detail;
        }
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
        self.board
            .lock()
            .insert(self.device, (state.to_string(), detail.into()));
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
    let (state, detail) =
        match PrinterLink::open(uri, Duration::from_secs(2)).and_then(|mut link| link.state()) {
            Ok(PrinterState::Ready) => (OK, PrinterState::Ready.label().to_string()),
            Ok(s) if s.can_print() => (DEGRADED, format!("{} ({s:?})", s.label())),
            Ok(s) => (DOWN, format!("{} ({s:?})", s.label())),
            Err(e) => (DOWN, e.to_string()),
        };
    DeviceHealth {
        device: "printer".into(),
        state: state.into(),
        detail,
    }
}

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
    }
}

/// The health reporter's settings.
pub struct HealthSettings {
    /// Between two reports (zero: one report at start only).
    pub interval: Duration,
    /// Terminal id.
    pub terminal_id: String,
    /// When the kiosk started.
    pub started: Instant,
    /// The printer's probe.
    pub probe_printer: Box<dyn Fn() -> DeviceHealth + Send>,
}

/// The central link as a health entry: `down` with the fault's name when
/// the last exchange met a misconfigured link (certificate, pin, client
/// certificate, signature, gateway), `degraded` when the kiosk's clock is
/// more than 5 minutes off the centre's, else `ok` (or `unknown` before
/// the first answer). The report is queued like every other, so a fault
/// reaches the centre once the link works again.
pub fn link_health(client: &kiosk_sync::CentralClient) -> DeviceHealth {
    let skew = client.clock_skew_s();
    let (state, detail) = match (client.link_fault(), skew) {
        (Some(fault), _) => ("down", fault.as_str().to_string()),
        (None, Some(s)) if s.abs() > kiosk_sync::client::MAX_CLOCK_SKEW_S => {
            ("degraded", format!("clock_skew_s={s}"))
        }
        (None, Some(s)) => ("ok", format!("clock_skew_s={s}")),
        (None, None) => ("unknown", String::new()),
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
) -> Result<String, kiosk_sync::Error> {
    let mut devices = board.snapshot();
    devices.push((settings.probe_printer)());
    devices.push(link_health(backend.client()));
    let pending = backend.store().outbox_stats()?.pending;
    let report = build_report(
        &settings.terminal_id,
        clock,
        settings.started.elapsed(),
        pending,
        devices,
    );
    let states: Vec<String> = report
        .devices
        .iter()
        .map(|d| format!("{}={}", d.device, d.state))
        .collect();
    let receipt = backend.submit_health(&report)?;
    tracing::info!(devices = states.join(" ").as_str(), "health report queued");
    Ok(receipt.tracking_no)
}

/// Starts the reporter: a report at once, then every `interval` until
/// `stop` receives or is dropped.
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
            loop {
                if let Err(e) = report_once(&settings, &board, &backend, &*clock) {
                    tracing::warn!("health report not written: {e}");
                }
                if settings.interval.is_zero() {
                    return;
                }
                match stop.recv_timeout(settings.interval) {
                    Err(RecvTimeoutError::Timeout) => {}
                    _ => return,
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
    let mut devices = board.snapshot();
    devices.push(DeviceHealth {
        device: "printer".into(),
        state: DOWN.into(),
        detail: cause.to_string(),
    });
    let pending = backend
        .store()
        .outbox_stats()
        .map(|s| s.pending)
        .unwrap_or(0);
    let report = build_report(terminal_id, clock, started.elapsed(), pending, devices);
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

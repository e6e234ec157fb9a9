//! Fleet telemetry (issue 18): the kiosk's counters and gauges, one
//! source for three readers —
//!
//! - `GET /metrics` on the automation API: the Prometheus text format
//!   (OpenMetrics) from `prometheus-client`;
//! - the KS31 health reports: the same facts, with the journey counters
//!   since the previous report ([`Telemetry::fill_report`]);
//! - `GET /v1/health`: 503 with the reasons when a journey-critical part
//!   is down ([`Telemetry::health`]).
//!
//! Journeys come from the session's outcomes (`kiosk_core::session::journey`),
//! devices from the health board, the queue and the link from the backend.
//! Names of journeys, outcomes, error kinds and devices only: never
//! personal data.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::Registry;
use serde::Serialize;

use kiosk_core::session::journey::{JourneyOutcome, Outcome};
use kiosk_sync::wire::{HealthReportInput, JourneyCount};

use crate::backend::Backend;
use crate::health::{self, DeviceBoard};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct JourneyLabels {
    journey: String,
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FailureLabels {
    journey: String,
    kind: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DeviceLabels {
    device: String,
    state: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PrintLabels {
    outcome: String,
}

/// What the kiosk knows about itself from start: fixed for the run.
#[derive(Debug, Clone, Default)]
pub struct RunFacts {
    /// Terminal id.
    pub terminal_id: String,
    /// The service hall (`[terminal] hall_name`).
    pub hall_name: String,
    /// SHA-256 (hex) of the configuration in effect.
    pub config_hash: String,
    /// Starts of the program on this store, this one included.
    pub starts: u64,
    /// Of which after an unclean end.
    pub crashes: u64,
}

/// Where the gauges are read from when asked.
#[derive(Clone)]
pub struct Sources {
    /// Store, outbox, sync engine, central client.
    pub backend: Option<Arc<Backend>>,
    /// The devices' states.
    pub board: DeviceBoard,
    /// Characters printed as 〓 since start.
    pub glyph_substitutions: Arc<AtomicU64>,
}

/// How the kiosk is, for `GET /v1/health`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Health {
    /// `ok`, `degraded` (a part is down but every journey-critical part
    /// works) or `unavailable` (503).
    pub status: &'static str,
    /// What is wrong, one line each (no personal data).
    pub reasons: Vec<String>,
}

/// Health status: every part works.
pub const OK: &str = "ok";
/// Health status: a part is down, citizens can still be served.
pub const DEGRADED: &str = "degraded";
/// Health status: a journey-critical part is down (HTTP 503).
pub const UNAVAILABLE: &str = "unavailable";

/// The devices that identify a citizen: one of them must work.
const IDENTIFIERS: [&str; 3] = ["id_card_reader", "ss_card_reader", "qr_scanner"];
/// The store's entry on the board (a damaged store set aside at start:
/// degraded; full: down).
pub const STORE: &str = "store";

/// The kiosk's counters and gauges.
pub struct Telemetry {
    registry: Registry,
    journeys: Family<JourneyLabels, Counter>,
    failures: Family<FailureLabels, Counter>,
    prints: Family<PrintLabels, Counter>,
    devices: Family<DeviceLabels, Gauge>,
    uptime: Gauge,
    outbox_pending: Gauge,
    outbox_oldest_age: Gauge,
    last_contact_age: Gauge,
    clock_skew: Gauge,
    store_bytes: Gauge,
    glyphs: Gauge,
    premium_unsettled: Gauge,
    since_report: Mutex<BTreeMap<(String, String, String), u64>>,
    prints_since: AtomicU64,
    paper_changes_since: AtomicU64,
    paper_changes: Counter,
    facts: RunFacts,
    sources: Sources,
    started: Instant,
}

impl std::fmt::Debug for Telemetry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Telemetry")
            .field("terminal_id", &self.facts.terminal_id)
            .finish_non_exhaustive()
    }
}

impl Telemetry {
    /// Counters at zero, gauges read from `sources`.
    pub fn new(facts: RunFacts, sources: Sources, started: Instant) -> Telemetry {
        let mut registry = Registry::with_prefix("kiosk");
        let journeys = Family::<JourneyLabels, Counter>::default();
        registry.register(
            "journeys",
            "Citizen journeys by outcome (started, completed, abandoned, failed)",
            journeys.clone(),
        );
        let failures = Family::<FailureLabels, Counter>::default();
        registry.register(
            "journey_failures",
            "Failed journeys by the kind of error",
            failures.clone(),
        );
        let prints = Family::<PrintLabels, Counter>::default();
        registry.register(
            "print_jobs",
            "Print jobs by outcome (printed, pending, failed)",
            prints.clone(),
        );
        let paper_changes = Counter::default();
        registry.register(
            "paper_changes",
            "Paper rolls changed (paper out or near end, then ready)",
            paper_changes.clone(),
        );
        let devices = Family::<DeviceLabels, Gauge>::default();
        registry.register(
            "device_state",
            "1 for each device's current state (ok, degraded, down, unknown)",
            devices.clone(),
        );
        let gauge = |registry: &mut Registry, name: &str, help: &str| {
            let g = Gauge::default();
            registry.register(name, help, g.clone());
            g
        };
        let uptime = gauge(&mut registry, "uptime_seconds", "Seconds since start");
        let outbox_pending = gauge(&mut registry, "outbox_pending", "Outbox records waiting");
        let outbox_oldest_age = gauge(
            &mut registry,
            "outbox_oldest_age_seconds",
            "Age of the oldest waiting outbox record (0 when none)",
        );
        let last_contact_age = gauge(
            &mut registry,
            "central_last_contact_age_seconds",
            "Seconds since the centre last answered (-1 never)",
        );
        let clock_skew = gauge(
            &mut registry,
            "central_clock_skew_seconds",
            "The kiosk's clock minus the centre's",
        );
        let store_bytes = gauge(
            &mut registry,
            "store_bytes",
            "The store on disk (database and WAL)",
        );
        let glyphs = gauge(
            &mut registry,
            "glyph_substitutions",
            "Characters printed as 〓 since start",
        );
        let premium_unsettled = gauge(
            &mut registry,
            "premium_orders_unsettled",
            "Premium payment orders not settled with the centre",
        );
        let starts = gauge(
            &mut registry,
            "starts",
            "Program starts on this store, this one included",
        );
        starts.set(i64::try_from(facts.starts).unwrap_or(i64::MAX));
        let crashes = gauge(
            &mut registry,
            "crashes",
            "Starts after an unclean end (crash, kill, power cut)",
        );
        crashes.set(i64::try_from(facts.crashes).unwrap_or(i64::MAX));
        registry.register(
            "build",
            "Version and configuration",
            Info::new(vec![
                ("version", env!("CARGO_PKG_VERSION").to_string()),
                ("terminal", facts.terminal_id.clone()),
                ("config_hash", facts.config_hash.clone()),
            ]),
        );
        Telemetry {
            registry,
            journeys,
            failures,
            prints,
            devices,
            uptime,
            outbox_pending,
            outbox_oldest_age,
            last_contact_age,
            clock_skew,
            store_bytes,
            glyphs,
            premium_unsettled,
            since_report: Mutex::default(),
            prints_since: AtomicU64::new(0),
            paper_changes_since: AtomicU64::new(0),
            paper_changes,
            facts,
            sources,
            started,
        }
    }

    /// Counts the session's journey outcomes.
    pub fn record_journeys(&self, outcomes: &[JourneyOutcome]) {
        if outcomes.is_empty() {
            return;
        }
        let mut since = self
            .since_report
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        for o in outcomes {
            let journey = o.journey.id().to_string();
            self.journeys
                .get_or_create(&JourneyLabels {
                    journey: journey.clone(),
                    outcome: o.outcome.id().to_string(),
                })
                .inc();
            let kind = match o.outcome {
                Outcome::Failed(kind) => {
                    self.failures
                        .get_or_create(&FailureLabels {
                            journey: journey.clone(),
                            kind: kind.to_string(),
                        })
                        .inc();
                    kind.to_string()
                }
                _ => String::new(),
            };
            *since
                .entry((journey, o.outcome.id().to_string(), kind))
                .or_default() += 1;
        }
    }

    /// Counts a paper roll changed.
    pub fn record_paper_change(&self) {
        self.paper_changes.inc();
        self.paper_changes_since.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a print job's outcome (`printed`, `pending`, `failed`).
    pub fn record_print(&self, outcome: &str) {
        if outcome == "printed" {
            self.prints_since.fetch_add(1, Ordering::Relaxed);
        }
        self.prints
            .get_or_create(&PrintLabels {
                outcome: outcome.to_string(),
            })
            .inc();
    }

    /// The journey counters since the last call (for a health report).
    pub fn take_report_counts(&self) -> Vec<JourneyCount> {
        let since = std::mem::take(
            &mut *self
                .since_report
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        );
        since
            .into_iter()
            .map(|((journey, outcome, kind), count)| JourneyCount {
                journey,
                outcome,
                kind,
                count,
            })
            .collect()
    }

    /// A health report's facts beyond the devices, and the journey
    /// counters since the previous report.
    pub fn fill_report(&self, report: &mut HealthReportInput) {
        report.config_hash = self.facts.config_hash.clone();
        report.hall_name = self.facts.hall_name.clone();
        report.starts = self.facts.starts;
        report.crashes = self.facts.crashes;
        report.glyph_substitutions = self.sources.glyph_substitutions.load(Ordering::Relaxed);
        if let Some(backend) = &self.sources.backend {
            if let Ok(status) = backend.status() {
                report.outbox_oldest_age_s = status.oldest_pending.map(|o| o.age_s);
                report.last_contact_at = status.last_contact_at.unwrap_or_default();
            }
            report.clock_skew_s = backend.client().clock_skew_s();
            report.store_bytes = store_bytes(backend);
        }
        report.journeys = self.take_report_counts();
        report.print_jobs = self.prints_since.swap(0, Ordering::Relaxed);
        report.paper_changes = self.paper_changes_since.swap(0, Ordering::Relaxed);
    }

    /// The metrics in the Prometheus text format, gauges read now.
    pub fn render(&self) -> String {
        self.refresh();
        let mut out = String::new();
        if let Err(e) = prometheus_client::encoding::text::encode(&mut out, &self.registry) {
            tracing::warn!("metrics not encoded: {e}");
        }
        out
    }

    fn refresh(&self) {
        let secs = |d: u64| i64::try_from(d).unwrap_or(i64::MAX);
        self.uptime.set(secs(self.started.elapsed().as_secs()));
        self.glyphs.set(secs(
            self.sources.glyph_substitutions.load(Ordering::Relaxed),
        ));
        for d in self.sources.board.snapshot() {
            for state in [health::OK, health::DEGRADED, health::DOWN, health::UNKNOWN] {
                self.devices
                    .get_or_create(&DeviceLabels {
                        device: d.device.clone(),
                        state: state.to_string(),
                    })
                    .set(i64::from(d.state == state));
            }
        }
        let Some(backend) = &self.sources.backend else {
            return;
        };
        if let Ok(status) = backend.status() {
            self.outbox_pending.set(secs(status.pending));
            self.outbox_oldest_age
                .set(status.oldest_pending.map(|o| o.age_s).unwrap_or(0));
            self.premium_unsettled
                .set(secs(status.premium_orders_unsettled));
            let age = status
                .last_contact_at
                .and_then(|at| chrono::NaiveDateTime::parse_from_str(&at, "%Y-%m-%d %H:%M:%S").ok())
                .map(|at| (backend.now() - at).num_seconds().max(0))
                .unwrap_or(-1);
            self.last_contact_age.set(age);
        }
        self.clock_skew
            .set(backend.client().clock_skew_s().unwrap_or(0));
        self.store_bytes.set(secs(store_bytes(backend)));
    }

    /// Whether the kiosk can serve citizens: `unavailable` when no
    /// identification device works, the printer is down (paper out, cover
    /// open, jam, offline) or the store is missing or full (`store` down
    /// on the board: nothing can be written first); `degraded` when any
    /// other part is down or warns (a second reader, the central link:
    /// the kiosk works offline); else `ok`.
    pub fn health(&self) -> Health {
        // A full store is checked again whenever someone asks: the board's
        // `store` entry turns ok as soon as there is space.
        if let Some(backend) = &self.sources.backend
            && backend.store().is_full()
        {
            let _ = backend.store().probe_space();
        }
        let devices = self.sources.board.snapshot();
        let mut reasons = Vec::new();
        let identifiers: Vec<_> = devices
            .iter()
            .filter(|d| IDENTIFIERS.contains(&d.device.as_str()))
            .collect();
        if !identifiers
            .iter()
            .any(|d| d.state == health::OK || d.state == health::DEGRADED)
            && identifiers.iter().all(|d| d.state != health::UNKNOWN)
        {
            reasons
                .push("no identification device works (ID card, social security card, QR)".into());
        }
        if let Some(p) = devices.iter().find(|d| d.device == health::PRINTER)
            && p.state == health::DOWN
        {
            reasons.push(format!("printer down: {}", p.detail));
        }
        if self.sources.backend.is_none() {
            reasons.push("store unavailable".into());
        }
        // A store that cannot be written takes no filing and no print job
        // (each is written first).
        if let Some(store) = devices.iter().find(|d| d.device == STORE)
            && store.state == health::DOWN
        {
            reasons.push(format!("store down: {}", store.detail));
        }
        if !reasons.is_empty() {
            return Health {
                status: UNAVAILABLE,
                reasons,
            };
        }
        let mut warnings: Vec<String> = devices
            .iter()
            .filter(|d| d.state == health::DOWN || d.state == health::DEGRADED)
            .map(|d| format!("{} {}: {}", d.device, d.state, d.detail))
            .collect();
        if let Some(backend) = &self.sources.backend {
            let link = health::link_health(backend.client());
            if link.state == health::DOWN || link.state == health::DEGRADED {
                warnings.push(format!("central_link {}: {}", link.state, link.detail));
            }
        }
        Health {
            status: if warnings.is_empty() { OK } else { DEGRADED },
            reasons: warnings,
        }
    }
}

/// The store's database and WAL files, bytes.
fn store_bytes(backend: &Backend) -> u64 {
    let db = &backend.paths().db;
    let mut wal = db.clone().into_os_string();
    wal.push("-wal");
    [db.clone(), wal.into()]
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum()
}

/// SHA-256 (hex) of a configuration file's text (of nothing without one).
pub fn config_hash(text: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(text))
}

/// Counts this start on `store`: returns (starts, crashes). A start finding
/// the previous run not marked as ended cleanly counts a crash.
pub fn count_start(store: &kiosk_sync::store::Store) -> Result<(u64, u64), kiosk_sync::Error> {
    let read = |key: &str| -> Result<u64, kiosk_sync::Error> {
        Ok(store
            .sync_state(key)?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0))
    };
    let starts = read("starts")? + 1;
    let unclean = store.sync_state("running")?.as_deref() == Some("1");
    let crashes = read("crashes")? + u64::from(unclean);
    store.set_sync_state("starts", &starts.to_string())?;
    store.set_sync_state("crashes", &crashes.to_string())?;
    store.set_sync_state("running", "1")?;
    Ok((starts, crashes))
}

/// Marks the run as ended cleanly (after shutdown).
pub fn mark_clean_stop(store: &kiosk_sync::store::Store) -> Result<(), kiosk_sync::Error> {
    store.set_sync_state("running", "0")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use kiosk_core::session::journey::Journey;

    fn telemetry(board: DeviceBoard) -> Telemetry {
        Telemetry::new(
            RunFacts {
                terminal_id: "K2201-A001".into(),
                hall_name: "长春市医疗保障服务大厅".into(),
                config_hash: config_hash(b""),
                starts: 3,
                crashes: 1,
            },
            Sources {
                backend: None,
                board,
                glyph_substitutions: Arc::new(AtomicU64::new(2)),
            },
            Instant::now(),
        )
    }

    fn outcome(journey: Journey, outcome: Outcome) -> JourneyOutcome {
        JourneyOutcome { journey, outcome }
    }

    #[test]
    fn journeys_are_counted_for_metrics_and_once_for_the_next_report() {
        let t = telemetry(DeviceBoard::new());
        t.record_journeys(&[
            outcome(Journey::Certificate, Outcome::Started),
            outcome(Journey::Certificate, Outcome::Completed),
            outcome(Journey::Premium, Outcome::Started),
            outcome(Journey::Premium, Outcome::Failed("premium_answer")),
        ]);
        t.record_print("printed");
        let text = t.render();
        for line in [
            "kiosk_journeys_total{journey=\"certificate\",outcome=\"completed\"} 1",
            "kiosk_journeys_total{journey=\"premium\",outcome=\"failed\"} 1",
            "kiosk_journey_failures_total{journey=\"premium\",kind=\"premium_answer\"} 1",
            "kiosk_print_jobs_total{outcome=\"printed\"} 1",
            "kiosk_starts 3",
            "kiosk_crashes 1",
            "kiosk_glyph_substitutions 2",
        ] {
            assert!(text.contains(line), "{line} missing:\n{text}");
        }
        assert!(text.contains("kiosk_build_info{version="), "{text}");
        let counts = t.take_report_counts();
        assert_eq!(counts.len(), 4);
        assert!(counts.iter().any(|c| c.journey == "premium"
            && c.outcome == "failed"
            && c.kind == "premium_answer"
            && c.count == 1));
        // Taken: the next report starts from zero; the metrics do not.
        assert!(t.take_report_counts().is_empty());
        assert!(
            t.render()
                .contains("kiosk_journeys_total{journey=\"certificate\",outcome=\"completed\"} 1")
        );
    }

    #[test]
    fn device_states_are_a_state_set() {
        let board = DeviceBoard::new();
        board.slot("id_card_reader", "simulated").ok("opened");
        board.update(
            health::PRINTER,
            health::DEGRADED,
            Some("paper near end".into()),
        );
        let text = telemetry(board).render();
        assert!(
            text.contains("kiosk_device_state{device=\"id_card_reader\",state=\"ok\"} 1"),
            "{text}"
        );
        assert!(text.contains("kiosk_device_state{device=\"id_card_reader\",state=\"down\"} 0"));
        assert!(text.contains("kiosk_device_state{device=\"printer\",state=\"degraded\"} 1"));
    }

    #[test]
    fn health_is_unavailable_without_a_printer_or_any_reader() {
        let board = DeviceBoard::new();
        let id = board.slot("id_card_reader", "simulated");
        let qr = board.slot("qr_scanner", "simulated");
        id.ok("opened");
        qr.ok("opened");
        board.update(health::PRINTER, health::OK, Some("ready".into()));
        let t = telemetry(board.clone());
        // No store in this test: that alone makes it unavailable.
        assert_eq!(t.health().status, UNAVAILABLE);
        assert_eq!(t.health().reasons, vec!["store unavailable".to_string()]);
        qr.down("unplugged");
        board.update(health::PRINTER, health::DOWN, Some("paper out".into()));
        let h = t.health();
        assert!(
            h.reasons.iter().any(|r| r == "printer down: paper out"),
            "{h:?}"
        );
        id.down("unplugged");
        let h = t.health();
        assert!(
            h.reasons
                .iter()
                .any(|r| r.starts_with("no identification device")),
            "{h:?}"
        );
        // A full store: nothing can be written first.
        board.update(STORE, health::DOWN, Some("full".into()));
        let h = t.health();
        assert!(h.reasons.iter().any(|r| r == "store down: full"), "{h:?}");
    }

    #[test]
    fn starts_and_crashes_are_counted_on_the_store() {
        let dir = tempfile::tempdir().unwrap();
        let store = kiosk_sync::store::Store::open(
            &dir.path().join("k.db"),
            kiosk_sync::store::StoreKey::from_bytes([7; 32]),
        )
        .unwrap();
        assert_eq!(count_start(&store).unwrap(), (1, 0));
        mark_clean_stop(&store).unwrap();
        assert_eq!(count_start(&store).unwrap(), (2, 0));
        // Not marked: killed.
        assert_eq!(count_start(&store).unwrap(), (3, 1));
    }
}

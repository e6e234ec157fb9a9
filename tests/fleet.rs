//! Fleet operations, kiosk side (issue 18) through the real `kiosk` binary
//! in simulation mode: the Prometheus metrics with the journey counters
//! of a real journey, `/v1/health` turning 503 with the reason when the
//! printer runs out of paper (and 200 again when paper is loaded), and the
//! health report of the change reaching the centre within 30 s with the
//! richer facts (config hash, starts, journey counters). No personal data
//! in any of it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::{Kiosk, li_xiulan_card};

const TERMINAL: &str = "K2201-A001";

fn metrics(kiosk: &Kiosk) -> String {
    String::from_utf8(kiosk.get_bytes("/metrics")).unwrap()
}

fn health(kiosk: &Kiosk) -> (u16, Value) {
    kiosk.get_with_status("/v1/health")
}

fn reports(kiosk: &Kiosk) -> Vec<Value> {
    kiosk
        .get(&format!("/v1/sim/central/health/{TERMINAL}"))
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// Waits (bounded by `limit`) until `done`; returns how long it took.
fn wait_for(what: &str, limit: Duration, done: impl Fn() -> bool) -> Duration {
    let start = Instant::now();
    loop {
        if done() {
            return start.elapsed();
        }
        assert!(start.elapsed() < limit, "{what} not within {limit:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn metrics_count_a_journey_and_health_follows_the_printer() {
    let kiosk = Kiosk::start("");
    kiosk.wait_for_screen("home");
    let (code, body) = health(&kiosk);
    assert_eq!(code, 200, "{body}");
    assert!(
        body["status"] == "ok" || body["status"] == "degraded",
        "{body}"
    );

    // A journey: the enrollment query, its slip printed, the card taken.
    kiosk.place_id_card(li_xiulan_card());
    kiosk.wait_for_screen("enrollment");
    kiosk.tap("打印业务办理单");
    kiosk.wait_for_screen("printed");
    kiosk.remove_id_card_and_wait();
    kiosk.wait_for_screen("home");
    let text = metrics(&kiosk);
    for line in [
        "kiosk_journeys_total{journey=\"enrollment_query\",outcome=\"started\"} 1",
        "kiosk_journeys_total{journey=\"enrollment_query\",outcome=\"completed\"} 1",
        "kiosk_print_jobs_total{outcome=\"printed\"} 1",
        "kiosk_device_state{device=\"id_card_reader\",state=\"ok\"} 1",
        "kiosk_starts 1",
        "kiosk_crashes 0",
        "# EOF",
    ] {
        assert!(text.contains(line), "{line:?} missing:\n{text}");
    }
    assert!(text.contains("kiosk_uptime_seconds "), "{text}");
    // The cost of a scrape (a figure for BENCHMARKS.md, not a check).
    let mut took: Vec<Duration> = (0..100)
        .map(|_| {
            let start = Instant::now();
            metrics(&kiosk);
            start.elapsed()
        })
        .collect();
    took.sort();
    eprintln!(
        "GET /metrics: median {} µs, p95 {} µs, {} bytes",
        took[50].as_micros(),
        took[95].as_micros(),
        text.len()
    );

    // The printer runs out of paper: unavailable, with the reason, and
    // the centre hears of it within 30 s.
    let reports_before = reports(&kiosk).len();
    assert!(reports_before >= 1, "the report at start");
    let (status, _) = kiosk.post("/v1/sim/printer/fault", json!({ "paper_out": true }));
    assert_eq!(status, 200);
    let took = wait_for("503 for the printer", Duration::from_secs(30), || {
        health(&kiosk).0 == 503
    });
    let (_, body) = health(&kiosk);
    assert_eq!(body["status"], "unavailable", "{body}");
    assert!(
        body["reasons"][0]
            .as_str()
            .unwrap()
            .starts_with("printer down"),
        "{body}"
    );
    eprintln!("paper out → /v1/health 503: {} ms", took.as_millis());
    let printer_down = |r: &Value| {
        r["trigger"] == "device_change"
            && r["devices"].as_array().is_some_and(|d| {
                d.iter()
                    .any(|d| d["device"] == "printer" && d["state"] == "down")
            })
    };
    let took = wait_for("the device-change report", Duration::from_secs(30), || {
        reports(&kiosk)
            .iter()
            .skip(reports_before)
            .any(printer_down)
    });
    eprintln!(
        "/v1/health 503 → report at the centre: {} ms",
        took.as_millis()
    );
    let all = reports(&kiosk);
    let change = all
        .iter()
        .skip(reports_before)
        .find(|r| printer_down(r))
        .unwrap();
    assert_eq!(
        change["config_hash"].as_str().unwrap().len(),
        64,
        "{change}"
    );
    assert_eq!(change["starts"], 1, "{change}");
    // The journey counters arrive once, in the first report after them.
    let counted: u64 = all
        .iter()
        .flat_map(|r| r["journeys"].as_array().cloned().unwrap_or_default())
        .filter(|j| j["journey"] == "enrollment_query" && j["outcome"] == "completed")
        .map(|j| j["count"].as_u64().unwrap())
        .sum();
    assert_eq!(counted, 1, "{all:?}");

    // Paper loaded: available again, without a restart.
    kiosk.post("/v1/sim/printer/fault", json!({}));
    wait_for("200 again", Duration::from_secs(30), || {
        health(&kiosk).0 == 200
    });
    // A roll changed: counted, and in a report.
    assert!(
        metrics(&kiosk).contains("kiosk_paper_changes_total 1"),
        "{}",
        metrics(&kiosk)
    );
    wait_for("the report of the roll", Duration::from_secs(30), || {
        reports(&kiosk).iter().any(|r| r["paper_changes"] == 1)
    });

    // Nothing personal in the metrics, the reports or the logs.
    let everything = format!("{}{:?}{}", metrics(&kiosk), reports(&kiosk), kiosk.logs());
    for secret in ["李秀兰", "220203198508232046", "220203********2046"] {
        assert!(!everything.contains(secret), "{secret:?} leaked");
    }
}

fn set_config(kiosk: &Kiosk, settings: Value) -> i64 {
    let (status, answer) = kiosk.post(
        &format!("/v1/sim/central/config/{TERMINAL}"),
        json!({ "settings": settings }),
    );
    assert_eq!(status, 200, "{answer}");
    answer["version"].as_i64().unwrap()
}

/// Waits for the centre's first report (after `from`) that says `what`.
fn report_where(kiosk: &Kiosk, from: usize, what: impl Fn(&Value) -> bool) -> Value {
    wait_for("the report", Duration::from_secs(30), || {
        reports(kiosk).iter().skip(from).any(&what)
    });
    reports(kiosk)
        .into_iter()
        .skip(from)
        .find(|r| what(r))
        .unwrap()
}

#[test]
fn staff_settings_apply_without_a_restart_and_an_invalid_set_is_refused() {
    let kiosk = Kiosk::start("[store]\nconfig_interval_s = 1\n");
    kiosk.wait_for_screen("home");

    // A notice, and the premium payment switched off.
    let v1 = set_config(
        &kiosk,
        json!({ "notice": "今日16:00后暂停办理异地就医备案", "disabled_journeys": ["premium"],
                "voice_volume": 40 }),
    );
    kiosk.wait_until("the notice on the home screen", |s| {
        support::texts(s).contains("今日16:00后暂停办理异地就医备案")
    });
    let shots =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    std::fs::write(
        shots.join("home-notice.png"),
        kiosk.get_bytes("/v1/screenshot"),
    )
    .unwrap();
    let applied = report_where(&kiosk, 0, |r| r["remote_config_version"] == v1);
    assert_eq!(
        applied["remote_config_hash"].as_str().unwrap().len(),
        64,
        "{applied}"
    );
    kiosk.place_id_card(support::zhang_defu_card());
    kiosk.wait_for_screen("enrollment");
    kiosk.tap("更多查询与办理");
    let panel = kiosk.screen();
    assert!(
        !support::actions(&panel).iter().any(|a| a == "居民医保缴费"),
        "{panel}"
    );
    kiosk.remove_id_card_and_wait();
    kiosk.wait_for_screen("home");

    // Maintenance: the screen says so and a card does nothing.
    let v2 = set_config(&kiosk, json!({ "maintenance": true }));
    kiosk.wait_until("the maintenance screen", |s| {
        support::texts(s).contains("终端维护中")
    });
    std::fs::write(
        shots.join("maintenance-remote.png"),
        kiosk.get_bytes("/v1/screenshot"),
    )
    .unwrap();
    // The reader still reads the card (the log says so); the session
    // ignores it.
    let read = || kiosk.logs().matches("credential presented").count();
    let before = read();
    kiosk.place_id_card(support::li_xiulan_card());
    wait_for("the card read", Duration::from_secs(20), || read() > before);
    assert_eq!(kiosk.screen()["screen"], "home", "devices idle");
    kiosk.remove_id_card_and_wait();
    let from = reports(&kiosk).len();
    report_where(&kiosk, 0, |r| r["remote_config_version"] == v2);

    // An invalid set is refused: maintenance stays, the centre is told.
    let v3 = set_config(&kiosk, json!({ "idle_timeout_s": 5 }));
    let refused = report_where(&kiosk, from, |r| {
        r["remote_config_refused"]
            .as_str()
            .is_some_and(|s| s.starts_with(&format!("version {v3}:")))
    });
    assert_eq!(refused["remote_config_version"], v2, "{refused}");
    assert!(support::texts(&kiosk.screen()).contains("终端维护中"));

    // Lifted: a card works again, without a restart.
    set_config(&kiosk, json!({}));
    kiosk.wait_until("maintenance lifted", |s| {
        !support::texts(s).contains("终端维护中")
    });
    kiosk.place_id_card(support::li_xiulan_card());
    kiosk.wait_for_screen("enrollment");
}

/// Offline, the kiosk's reports wait in the outbox; back online, the
/// centre gets the whole history: the reader unplugged, then back.
#[test]
fn an_offline_kiosks_reports_arrive_later_with_their_history() {
    let kiosk = Kiosk::start("");
    kiosk.wait_for_screen("home");
    wait_for("the start report", Duration::from_secs(20), || {
        !reports(&kiosk).is_empty()
    });
    let from = reports(&kiosk).len();
    kiosk.post("/v1/sim/central/fault", json!({ "unreachable": true }));
    kiosk.post("/v1/sim/idcard/fault", json!({ "unplugged": true }));
    kiosk.wait_for_device("id_card_reader", "disconnected");
    // The report of the change is written (queued) while the centre is
    // out of reach.
    wait_for("the report queued", Duration::from_secs(20), || {
        kiosk.get("/v1/sync/status")["pending"]
            .as_u64()
            .unwrap_or(0)
            > 0
    });
    kiosk.post("/v1/sim/idcard/fault", json!({ "unplugged": false }));
    kiosk.wait_for_device("id_card_reader", "ok");
    wait_for("the second report queued", Duration::from_secs(20), || {
        kiosk.get("/v1/sync/status")["pending"]
            .as_u64()
            .unwrap_or(0)
            > 1
    });
    assert_eq!(reports(&kiosk).len(), from, "nothing reached the centre");
    kiosk.post("/v1/sim/central/fault", json!({ "unreachable": false }));
    // Up to the circuit breaker's 30 s cool-down, then the drain.
    wait_for("the history at the centre", Duration::from_secs(60), || {
        kiosk.post("/v1/sync/now", json!({}));
        kiosk.get("/v1/sync/status")["pending"] == 0
    });
    let mut history: Vec<Value> = reports(&kiosk).into_iter().skip(from).collect();
    history.sort_by_key(|r| r["reported_at"].as_str().unwrap_or_default().to_string());
    let reader: Vec<String> = history
        .iter()
        .filter(|r| r["trigger"] == "device_change")
        .filter_map(|r| {
            r["devices"]
                .as_array()?
                .iter()
                .find(|d| d["device"] == "id_card_reader")
                .map(|d| d["state"].as_str().unwrap_or_default().to_string())
        })
        .collect();
    assert_eq!(
        reader,
        vec!["down".to_string(), "ok".to_string()],
        "{history:?}"
    );
}

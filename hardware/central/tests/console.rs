//! The fleet console (issue 18) over HTTP against a running reference
//! centre: 50 kiosks reporting through the real KS31 path, staff logging
//! in, the grid by hall, a kiosk going paper-out, alerts acknowledged with
//! the CSRF token, hall staff kept to their hall, remote configuration
//! stored as KS33 versions, offline after 10 minutes, the audit log, and no
//! personal data on any page.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use kiosk_central::console::auth::Role;
use kiosk_central::{Central, CentralOptions, CentralServer, DemoData};
use kiosk_core::clock::Clock;
use kiosk_sync::CentralClient;
use kiosk_sync::transactions::Transaction;
use kiosk_sync::wire::{DeviceHealth, HealthReportInput, JourneyCount, TerminalConfigInput};

mod fleet_common;

use fleet_common::{HALL_A, HALL_B, TestClock, hall_of, terminal};

struct Setup {
    clock: Arc<TestClock>,
    central: Arc<Central>,
    server: CentralServer,
    client: CentralClient,
    http: reqwest::blocking::Client,
}

fn setup() -> Setup {
    let clock = Arc::new(TestClock::new());
    let central = Arc::new(
        Central::open(
            DemoData::builtin().unwrap(),
            "test",
            None,
            clock.clone(),
            CentralOptions::default(),
        )
        .unwrap(),
    );
    central
        .add_staff("admin", "admin-pass-1", Role::Admin, "")
        .unwrap();
    central
        .add_staff("hall-a", "hall-pass-1", Role::Hall, HALL_A)
        .unwrap();
    let server = CentralServer::start("127.0.0.1:0".parse().unwrap(), central.clone()).unwrap();
    let client = CentralClient::new(
        kiosk_central::test_terminal(&server.url(), Duration::from_secs(5)),
        clock.clone(),
    )
    .unwrap();
    let http = reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    Setup {
        clock,
        central,
        server,
        client,
        http,
    }
}

fn report(s: &Setup, i: usize, printer: (&str, &str)) {
    let input = HealthReportInput {
        terminal_id: terminal(i),
        reported_at: s.clock.now().format("%Y-%m-%d %H:%M:%S").to_string(),
        uptime_s: 60,
        app_version: "0.1.0".into(),
        outbox_pending: i as u64 % 3,
        devices: vec![
            DeviceHealth {
                device: "id_card_reader".into(),
                state: "ok".into(),
                detail: "/dev/ttyUSB0".into(),
            },
            DeviceHealth {
                device: "printer".into(),
                state: printer.0.into(),
                detail: printer.1.into(),
            },
        ],
        hall_name: hall_of(i).into(),
        trigger: "schedule".into(),
        config_hash: "ab".repeat(32),
        journeys: vec![JourneyCount {
            journey: "certificate".into(),
            outcome: "started".into(),
            kind: String::new(),
            count: 2,
        }],
        ..HealthReportInput::default()
    };
    let json = serde_json::to_vec(&input).unwrap();
    let answer = s
        .client
        .submit(Transaction::HealthReport, &s.client.next_msgid(), &json)
        .unwrap();
    assert!(
        matches!(answer, kiosk_sync::client::Submitted::Accepted(_)),
        "{answer:?}"
    );
}

fn form(pairs: &[(&str, &str)]) -> String {
    let enc = |t: &str| {
        t.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// A logged-in browser-less session: the cookie.
struct Login {
    cookie: String,
}

fn login(s: &Setup, name: &str, password: &str) -> Option<Login> {
    let r = s
        .http
        .post(format!("{}/console/login", s.server.url()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[("name", name), ("password", password)]))
        .send()
        .unwrap();
    if r.status() != 303 {
        return None;
    }
    let set = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(
        set.contains("HttpOnly") && set.contains("Secure") && set.contains("SameSite=Strict"),
        "{set}"
    );
    Some(Login {
        cookie: set.split(';').next().unwrap().to_string(),
    })
}

fn get(s: &Setup, login: Option<&Login>, path: &str) -> (u16, String) {
    let mut r = s.http.get(format!("{}{path}", s.server.url()));
    if let Some(l) = login {
        r = r.header("cookie", &l.cookie);
    }
    let r = r.send().unwrap();
    (r.status().as_u16(), r.text().unwrap())
}

fn post(s: &Setup, login: &Login, path: &str, pairs: &[(&str, &str)]) -> (u16, String) {
    let r = s
        .http
        .post(format!("{}{path}", s.server.url()))
        .header("cookie", &login.cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(pairs))
        .send()
        .unwrap();
    (r.status().as_u16(), r.text().unwrap())
}

fn csrf(page: &str) -> String {
    let at = page
        .find("name=\"csrf\" value=\"")
        .expect("a form with the CSRF token")
        + 19;
    page[at..at + 32].to_string()
}

#[test]
fn staff_log_in_see_the_fleet_and_act_on_its_alerts() {
    let s = setup();
    for i in 0..50 {
        report(&s, i, ("ok", "正常"));
    }

    // Nothing without a login.
    let (status, _) = get(&s, None, "/console");
    assert_eq!(status, 303);
    assert_eq!(get(&s, None, "/console/api/grid").0, 401);
    assert!(login(&s, "admin", "wrong").is_none());
    assert!(login(&s, "nobody", "admin-pass-1").is_none());

    let admin = login(&s, "admin", "admin-pass-1").unwrap();
    let (status, page) = get(&s, Some(&admin), "/console");
    assert_eq!(status, 200);
    assert!(
        page.contains(HALL_A) && page.contains(HALL_B),
        "grouped by hall"
    );
    assert_eq!(page.matches("class=\"kiosk ok\"").count(), 50, "{page}");

    // Kiosk 7 runs out of paper.
    report(&s, 7, ("down", "缺纸 (PaperOut)"));
    let (_, grid) = get(&s, Some(&admin), "/console/api/grid");
    let grid: serde_json::Value = serde_json::from_str(&grid).unwrap();
    let k7 = grid
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["terminal"] == terminal(7))
        .unwrap();
    assert_eq!(
        (k7["state"].as_str(), k7["paper"].as_str()),
        (Some("down"), Some("out"))
    );
    let (_, alerts) = get(&s, Some(&admin), "/console/alerts");
    assert!(alerts.contains("打印机缺纸"), "{alerts}");
    // The kiosk's page lists it among its recent problems.
    let (_, page) = get(&s, Some(&admin), &format!("/console/kiosk/{}", terminal(7)));
    assert!(
        page.contains("近期问题") && page.contains("缺纸 (PaperOut)"),
        "{page}"
    );
    assert!(page.contains("每天打印张数") && page.contains("换纸次数"));
    assert!(alerts.contains(&terminal(7)));

    // Acknowledging needs the session's CSRF token.
    let since = "2026-12-07 10:00:00";
    let t7 = terminal(7);
    let ack = |token: &str| -> (u16, String) {
        post(
            &s,
            &admin,
            "/console/alerts/ack",
            &[
                ("csrf", token),
                ("terminal", &t7),
                ("kind", "paper_out"),
                ("since", since),
            ],
        )
    };
    assert_eq!(ack(&"0".repeat(32)).0, 403);
    assert_eq!(ack(&csrf(&alerts)).0, 303);
    let (_, alerts) = get(&s, Some(&admin), "/console/alerts");
    assert!(alerts.contains("已确认（admin）"), "{alerts}");
    let (_, audit) = get(&s, Some(&admin), "/console/audit");
    assert!(
        audit.contains("acknowledge") && audit.contains(&terminal(7)),
        "{audit}"
    );

    // Remote configuration: stored as a KS33 version the kiosk will get;
    // an invalid one is refused with the reason.
    let (_, page) = get(&s, Some(&admin), &format!("/console/kiosk/{}", terminal(7)));
    let token = csrf(&page);
    let path = format!("/console/kiosk/{}/config", terminal(7));
    let (status, page) = post(
        &s,
        &admin,
        &path,
        &[("csrf", &token), ("idle_timeout_s", "5")],
    );
    assert_eq!(status, 422);
    assert!(page.contains("30到600秒"), "{page}");
    let (status, _) = post(
        &s,
        &admin,
        &path,
        &[
            ("csrf", &token),
            ("idle_timeout_s", "120"),
            ("notice", "今日16:00后暂停办理"),
            ("off_premium", "on"),
        ],
    );
    assert_eq!(status, 303);
    let config = s
        .client
        .terminal_config(&TerminalConfigInput {
            terminal_id: terminal(7),
            applied_version: 0,
        })
        .unwrap();
    assert!(config.version > 0);
    assert_eq!(config.settings["idle_timeout_s"], 120);
    assert_eq!(config.settings["disabled_journeys"][0], "premium");
    assert_eq!(config.settings["maintenance"], false);

    // Hall staff: their hall only, and only maintenance.
    let hall = login(&s, "hall-a", "hall-pass-1").unwrap();
    let (_, page) = get(&s, Some(&hall), "/console");
    assert_eq!(page.matches("class=\"kiosk ").count(), 25, "hall A only");
    assert!(!page.contains(HALL_B));
    assert_eq!(
        get(&s, Some(&hall), &format!("/console/kiosk/{}", terminal(7))).0,
        404
    );
    assert_eq!(get(&s, Some(&hall), "/console/audit").0, 403);
    let (_, page) = get(&s, Some(&hall), &format!("/console/kiosk/{}", terminal(4)));
    let token = csrf(&page);
    let (status, _) = post(
        &s,
        &hall,
        &format!(
            "/console/hall/{}/config",
            kiosk_central::console::pages::urlencode(HALL_B)
        ),
        &[("csrf", &token), ("maintenance", "on")],
    );
    assert_eq!(status, 403);
    let (status, _) = post(
        &s,
        &hall,
        &format!("/console/kiosk/{}/config", terminal(4)),
        &[
            ("csrf", &token),
            ("maintenance", "on"),
            ("idle_timeout_s", "45"),
        ],
    );
    assert_eq!(status, 303);
    let config = s
        .client
        .terminal_config(&TerminalConfigInput {
            terminal_id: terminal(4),
            applied_version: 0,
        })
        .unwrap();
    assert_eq!(config.settings["maintenance"], true);
    assert!(
        config.settings.get("idle_timeout_s").is_none(),
        "{}",
        config.settings
    );

    // Eleven minutes without a report: offline.
    s.clock.advance(chrono::Duration::minutes(11));
    report(&s, 0, ("ok", "正常"));
    let (_, page) = get(&s, Some(&admin), "/console");
    assert_eq!(page.matches("class=\"kiosk offline\"").count(), 49);
    let (_, alerts) = get(&s, Some(&admin), "/console/alerts");
    assert!(alerts.contains("终端离线"));

    // Logging out ends the session.
    let (_, page) = get(&s, Some(&admin), "/console");
    let token = csrf(&page);
    assert_eq!(
        post(&s, &admin, "/console/logout", &[("csrf", &token)]).0,
        303
    );
    assert_eq!(get(&s, Some(&admin), "/console").0, 303);

    // No personal data on any page or answer.
    let admin = login(&s, "admin", "admin-pass-1").unwrap();
    let mut everything = String::new();
    for path in [
        "/console".to_string(),
        "/console/api/grid".into(),
        "/console/alerts".into(),
        "/console/audit".into(),
        format!("/console/kiosk/{}", terminal(7)),
    ] {
        everything += &get(&s, Some(&admin), &path).1;
    }
    for secret in [
        "张德福",
        "李秀兰",
        "王建国",
        "220104195203110010",
        "220203198508232046",
    ] {
        assert!(!everything.contains(secret), "{secret}");
    }
    let _ = &s.central;
}

/// Figures for BENCHMARKS.md (printed, not asserted): the grid with 1,000
/// kiosks, and the centre's ingest rate of health reports.
#[test]
fn grid_of_a_thousand_kiosks_figures() {
    let s = setup();
    let start = Instant::now();
    for i in 0..1000 {
        report(&s, i, ("ok", "正常"));
    }
    let ingest = start.elapsed();
    let admin = login(&s, "admin", "admin-pass-1").unwrap();
    let mut times = Vec::new();
    let mut size = 0;
    for _ in 0..5 {
        let t = Instant::now();
        let (status, page) = get(&s, Some(&admin), "/console");
        times.push(t.elapsed());
        assert_eq!(status, 200);
        size = page.len();
    }
    times.sort();
    eprintln!(
        "1,000 kiosks: {:.0} reports/s ingested (one client, sequential); grid page {} ms median, {} bytes",
        1000.0 / ingest.as_secs_f64(),
        times[2].as_millis(),
        size
    );
}

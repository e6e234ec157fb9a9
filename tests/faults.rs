//! The fault matrix (issue 17, part 2): one test per fault a service hall
//! meets, each driving the real `kiosk` binary through a journey while the
//! fault strikes, and checking four things —
//!
//! 1. the citizen: a clear Chinese message saying what to do next (screen
//!    id and text);
//! 2. staff: the health board (`GET /v1/health`), a staff-call log line,
//!    or the health report the centre received;
//! 3. nothing lost: the filing or print job is still there and completes
//!    once the fault clears, never applied twice (the centre's own tables,
//!    `Central::query_db`, for the centres these tests run in-process);
//! 4. recovery without a restart: the same process completes the journey
//!    after the fault clears.
//!
//! | fault | test |
//! |---|---|
//! | centre down | `centre_down_…` |
//! | centre HTTP 5xx | `centre_answering_http_500_…` |
//! | centre 30 s slow | `a_slow_centre_…` |
//! | answer cut mid-body | `an_answer_cut_mid_body_…` |
//! | invalid JSON answer | `an_answer_that_is_not_json_…` |
//! | success infcode, output fields missing | `a_success_answer_without_its_fields_…` |
//! | TLS: certificate not trusted, at run time | `an_untrusted_centre_certificate_…` |
//! | printer paper out, mid-session | tests/printing.rs `paper_out_keeps_the_job_…` |
//! | printer cover open before a job (and a kill -9) | tests/printing.rs `a_job_interrupted_by_a_kill_…` |
//! | printer cover opened mid-job | `the_printer_cover_opened_mid_job_…` |
//! | printer cutter jam | `a_cutter_jam_…` |
//! | printer cable pulled mid-job | tests/printing.rs `a_link_dropped_mid_job_is_reprinted_whole` |
//! | ID card pulled during the read | `an_id_card_pulled_during_the_read_…` |
//! | social security card pulled during the read | tests/credentials.rs `social_security_card_faults_are_explained_and_recovered` |
//! | ID reader / QR scanner unplugged and replugged | tests/replug.rs |
//! | QR scanner sending garbage | `a_qr_scanner_sending_garbage_…` |
//! | disk full during a filing | `disk_full_during_a_filing_…` |
//! | disk full during a print-journal write | `disk_full_during_a_print_journal_write_…` |
//! | store file damaged at start | firmware/kiosk/src/backend.rs `open_store` tests |
//!
//! `cargo test -p kiosk --test faults -- --ignored` also writes the
//! citizen's screen for the five most common faults to
//! `docs/screenshots/fault-*.png`.
//!
//! Loopback only, free ports, bounded waits. The centre runs in this test
//! process (a `CentralServer` on a port of its own), stopped and started
//! again on the same port where the fault is "the centre is down".

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use kiosk_central::test_pki::{ServerCert, TestPki};
use kiosk_central::{Central, CentralOptions, CentralServer, DemoData, Faults};
use kiosk_sync::clock::SystemClock;
use serde_json::{Value, json};
use support::{Kiosk, li_xiulan_card, texts};

/// The kiosk's terminal id (no `[terminal]` in these configurations).
const TERMINAL: &str = "K2201-A001";
/// 王建国's demo e-voucher (data/demo/people.toml).
const WANG_TOKEN: &str = "ECV1-7Q2M4K9T3W8R5Y1B6N0P2D4F";
/// Longest wait for the centre to be used again after a fault: the
/// client's circuit breaker stays open for 30 s after five failures in a
/// row (sync/src/client.rs `BreakerPolicy`), then lets one probe through.
const RECOVERY: Duration = Duration::from_secs(75);

/// What to do with a citizen's screen worth a picture (the writer test
/// saves it; the tests themselves do nothing).
type Shot<'a> = &'a dyn Fn(&Kiosk, &str);

fn no_shot(_: &Kiosk, _: &str) {}

// ---- the centre -------------------------------------------------------

/// The reference centre in this process, on a port of its own, that can
/// be stopped (the centre is down: connections are refused) and started
/// again on the same port with the same database.
struct Centre {
    server: Option<CentralServer>,
    central: Arc<Central>,
    addr: SocketAddr,
}

impl Centre {
    fn start() -> Centre {
        let server = CentralServer::spawn(
            ([127, 0, 0, 1], 0).into(),
            DemoData::builtin().unwrap(),
            Arc::new(SystemClock),
        )
        .unwrap();
        Centre {
            central: Arc::clone(server.central()),
            addr: server.addr(),
            server: Some(server),
        }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn faults(&self) -> &Faults {
        self.central.faults()
    }

    /// The centre goes down: its port refuses connections.
    fn stop(&mut self) {
        if let Some(server) = self.server.take() {
            server.stop();
        }
    }

    /// The centre comes back on the same port, with what it stored.
    fn restart(&mut self) {
        self.server = Some(CentralServer::start(self.addr, Arc::clone(&self.central)).unwrap());
    }

    /// `SELECT COUNT(*) …` on the centre's own database.
    fn count(&self, sql: &str) -> i64 {
        self.central
            .query_db(|db| db.query_row(sql, [], |r| r.get(0)))
            .unwrap()
    }

    /// Remote-care filings that came from a terminal (the seed's own
    /// filings have no message id).
    fn filings(&self) -> i64 {
        self.count("SELECT COUNT(*) FROM filing WHERE msgid IS NOT NULL")
    }

    /// KS11 messages the centre applied (one per msgid).
    fn filing_messages(&self) -> i64 {
        self.count("SELECT COUNT(*) FROM message WHERE infno = 'KS11'")
    }

    /// The devices of every health report the centre stored from the
    /// kiosk, as `device=state:detail`.
    /// A health report the centre received says `entry`
    /// (`device=state:detail`).
    fn assert_reported(&self, entry: &str) {
        let reported = self.reported_devices();
        assert!(reported.iter().any(|r| r == entry), "{entry}: {reported:?}");
    }

    fn reported_devices(&self) -> Vec<String> {
        self.central
            .health_reports(TERMINAL)
            .unwrap()
            .iter()
            .flat_map(|r| {
                r.devices
                    .iter()
                    .map(|d| format!("{}={}:{}", d.device, d.state, d.detail))
                    .collect::<Vec<_>>()
            })
            .collect()
    }
}

/// A kiosk (devices simulated) talking to the centre at `url`: a health
/// report every 2 s, so that one is queued while a fault lasts and the
/// centre receives it afterwards (what staff see at the centre).
fn config_for(url: &str, timeout_ms: u64) -> String {
    format!(
        "[central]\nurl = \"{url}\"\ntimeout_ms = {timeout_ms}\n\n\
         [store]\nhealth_interval_s = 2\n\n\
         [automation]\nenabled = true\nport = 0\n"
    )
}

/// A kiosk on `centre`, at home with the reference data the filing form
/// needs.
fn kiosk_on(centre: &Centre, timeout_ms: u64) -> Kiosk {
    let kiosk = Kiosk::start(&config_for(&centre.url(), timeout_ms));
    kiosk.wait_for_screen("home");
    kiosk.wait_for_dataset("area_codes");
    kiosk.wait_for_dataset("institutions");
    kiosk
}

// ---- waits --------------------------------------------------------------

/// Waits (bounded by `limit`) until `done` holds.
fn wait_for(what: &str, limit: Duration, done: impl Fn() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(Instant::now() < deadline, "{what} did not happen");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Runs sync cycles until the outbox is empty (bounded by [`RECOVERY`]:
/// the circuit breaker may be open when the fault clears).
fn wait_until_drained(kiosk: &Kiosk) {
    wait_for("the outbox drained", RECOVERY, || {
        let (code, cycle) = kiosk.post("/v1/sync/now", json!({}));
        code == 200 && cycle["still_pending"] == 0
    });
}

/// Waits (bounded by [`RECOVERY`]) until a sync cycle reaches the centre
/// and the circuit breaker is closed again.
fn wait_for_the_centre(kiosk: &Kiosk) {
    wait_for("the centre answering again", RECOVERY, || {
        let (code, cycle) = kiosk.post("/v1/sync/now", json!({}));
        code == 200
            && cycle["unreachable"] == false
            && kiosk.get("/v1/sync/status")["breaker"] == "closed"
    });
}

/// Waits (bounded) until a health report saying the central link is down
/// was queued (the reporter runs every 2 s here): the centre receives it
/// once the fault clears.
fn wait_for_a_report_of_the_fault(kiosk: &Kiosk) {
    kiosk.wait_for_log("central_link=down", 1);
}

/// The kiosk's health board.
fn health(kiosk: &Kiosk) -> (u16, Value) {
    kiosk.get_with_status("/v1/health")
}

/// Waits (bounded) until the health board's reasons include `needle`;
/// returns the board.
fn wait_for_reason(kiosk: &Kiosk, needle: &str) -> (u16, Value) {
    let deadline = Instant::now() + support::WAIT;
    loop {
        let (code, board) = health(kiosk);
        let found = board["reasons"].as_array().is_some_and(|r| {
            r.iter()
                .any(|x| x.as_str().is_some_and(|s| s.contains(needle)))
        });
        if found {
            return (code, board);
        }
        assert!(
            Instant::now() < deadline,
            "{needle:?} not on the health board: {code} {board}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Waits (bounded by [`RECOVERY`]) until no reason on the health board
/// contains `needle`.
fn wait_for_reason_gone(kiosk: &Kiosk, needle: &str) -> (u16, Value) {
    let deadline = Instant::now() + RECOVERY;
    loop {
        let (code, board) = health(kiosk);
        let there = board["reasons"].as_array().is_some_and(|r| {
            r.iter()
                .any(|x| x.as_str().is_some_and(|s| s.contains(needle)))
        });
        if !there {
            return (code, board);
        }
        assert!(
            Instant::now() < deadline,
            "{needle:?} stays on the health board: {code} {board}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Waits (bounded) until the screen is one of `ids`; returns it.
fn wait_for_one_of(kiosk: &Kiosk, ids: &[&str]) -> Value {
    kiosk.wait_until(&format!("one of {ids:?}"), |s| {
        ids.iter().any(|id| s["screen"] == *id)
    })
}

// ---- journeys -------------------------------------------------------------

/// The citizen takes the card and leaves: the kiosk is at home again
/// (a rating offered after a transaction is skipped).
fn leave(kiosk: &Kiosk) {
    kiosk.remove_id_card_and_wait();
    let screen = wait_for_one_of(kiosk, &["home", "rate"]);
    if screen["screen"] == "rate" {
        kiosk.tap("跳过");
        kiosk.wait_for_screen("home");
    }
}

/// 李秀兰 places her ID card and sees her enrollment.
fn identify(kiosk: &Kiosk) {
    kiosk.place_id_card(li_xiulan_card());
    let enrollment = kiosk.wait_for_screen("enrollment");
    assert!(texts(&enrollment).contains("李秀兰"), "{enrollment}");
}

/// From the enrollment screen to the filing categories.
fn open_filing(kiosk: &Kiosk) {
    kiosk.tap("更多查询与办理");
    kiosk.tap("异地就医备案");
    kiosk.wait_for_screen("filing-category");
}

/// The error screen tells the citizen each of `says` (what happened and
/// what to do next), and not her name.
fn assert_told(screen: &Value, says: &[&str]) {
    assert_eq!(screen["screen"], "error", "{screen}");
    let shown = texts(screen);
    for needle in says {
        assert!(shown.contains(needle), "{needle:?} not in {shown}");
    }
    assert!(!shown.contains("李秀兰"), "{shown}");
}

/// The citizen sees that the centre cannot be reached and what to do.
fn assert_centre_unavailable_message(screen: &Value) {
    assert_told(screen, &["暂时无法连接医保中心", "稍后再试", "人工窗口"]);
}

/// After a query failed: the citizen places the card again (as the
/// message says) once the centre answers, and sees the enrollment — the
/// same kiosk process, no restart.
fn identify_again(kiosk: &Kiosk) {
    kiosk.remove_id_card_and_wait();
    kiosk.wait_for_screen("home");
    wait_for_the_centre(kiosk);
    identify(kiosk);
}

/// A long-term filing submitted while the centre cannot answer: the
/// receipt prints with the kiosk's tracking number (outbox first), the
/// record is pending.
fn file_while_the_centre_cannot_answer(kiosk: &Kiosk) {
    let receipt = file(kiosk);
    assert!(
        receipt.contains("受理编号") && receipt.contains("备案已提交"),
        "the receipt carries the kiosk's tracking number: {receipt}"
    );
    let status = kiosk.get("/v1/sync/status");
    assert!(status["pending"].as_u64().unwrap() >= 1, "{status}");
}

/// A long-term filing from the filing categories to the printed receipt;
/// the receipt's text.
fn file(kiosk: &Kiosk) -> String {
    open_filing(kiosk);
    let printed_before = kiosk.get("/v1/sim/receipts").as_array().unwrap().len();
    support::submit_long_term_filing(kiosk);
    kiosk.wait_for_screen("printed");
    let receipts = kiosk.wait_for_receipts(printed_before + 1);
    let receipt = receipts[printed_before]["text"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(receipt.contains("异地就医备案回执"), "{receipt}");
    receipt
}

/// Once the fault has cleared: the filing reaches the centre, exactly
/// once (one filing, one KS11 message), and the outbox is empty.
fn assert_filed_once(kiosk: &Kiosk, centre: &Centre) {
    wait_until_drained(kiosk);
    assert_eq!(centre.filings(), 1, "one filing at the centre");
    assert_eq!(centre.filing_messages(), 1, "one KS11 message applied");
    assert_eq!(kiosk.get("/v1/sync/status")["pending"], 0);
}

/// The log names no person.
fn assert_no_personal_data_logged(kiosk: &Kiosk) {
    let logs = kiosk.logs();
    for secret in [
        "李秀兰",
        "220203198508232046",
        "13812345678",
        "遵义东路",
        "王建国",
        WANG_TOKEN,
    ] {
        assert!(!logs.contains(secret), "{secret:?} leaked:\n{logs}");
    }
}

// ---- the centre's faults --------------------------------------------------

fn centre_down(shot: Shot) {
    let mut centre = Centre::start();
    let kiosk = kiosk_on(&centre, 2000);
    centre.stop();

    // The citizen: the query cannot be made, and what to do instead.
    kiosk.place_id_card(li_xiulan_card());
    let error = kiosk.wait_for_screen("error");
    assert_centre_unavailable_message(&error);
    shot(&kiosk, "centre-down");
    // Staff: the health board says the centre does not answer, and how.
    let (code, board) = wait_for_reason(&kiosk, "central_link down: unreachable");
    assert_eq!(code, 200, "queries fail, the kiosk still serves: {board}");
    assert_eq!(board["status"], "degraded", "{board}");
    kiosk.wait_for_log("central service not answering usably", 1);
    wait_for_a_report_of_the_fault(&kiosk);

    // Back: the same kiosk identifies her.
    centre.restart();
    identify_again(&kiosk);
    // The centre goes down while she files: the filing is kept.
    centre.stop();
    file_while_the_centre_cannot_answer(&kiosk);
    assert_eq!(centre.filings(), 0);
    // The centre comes back: the filing reaches it once; the health
    // report queued meanwhile tells the centre what the kiosk met.
    centre.restart();
    assert_filed_once(&kiosk, &centre);
    centre.assert_reported("central_link=down:unreachable");
    let (_, board) = wait_for_reason_gone(&kiosk, "central_link");
    assert_ne!(board["status"], "unavailable", "{board}");
    kiosk.wait_for_log("central service answering again", 1);
    assert_no_personal_data_logged(&kiosk);
}

#[test]
fn centre_down_the_citizen_is_told_staff_see_it_and_a_filing_waits_then_reaches_the_centre_once() {
    centre_down(&no_shot);
}

#[test]
fn centre_answering_http_500_is_shown_as_unavailable_and_the_filing_is_applied_once_afterwards() {
    let centre = Centre::start();
    let kiosk = kiosk_on(&centre, 2000);
    // Every message answered HTTP 500, nothing applied, until cleared.
    centre.faults().fail_next(u32::MAX);
    kiosk.place_id_card(li_xiulan_card());
    let error = kiosk.wait_for_screen("error");
    assert_centre_unavailable_message(&error);
    wait_for_reason(&kiosk, "central_link down: http_500");
    wait_for_a_report_of_the_fault(&kiosk);

    centre.faults().clear();
    identify_again(&kiosk);
    centre.faults().fail_next(u32::MAX);
    file_while_the_centre_cannot_answer(&kiosk);
    assert_eq!(centre.filings(), 0, "an HTTP 500 applies nothing");
    centre.faults().clear();
    assert_filed_once(&kiosk, &centre);
    centre.assert_reported("central_link=down:http_500");
    wait_for_reason_gone(&kiosk, "central_link");
    assert_no_personal_data_logged(&kiosk);
}

fn slow_centre(shot: Shot) {
    let centre = Centre::start();
    // The kiosk gives up on an answer after 1 s (`[central] timeout_ms`);
    // the centre answers after 2.5 s. That is what a centre 30 s slow
    // looks like to the kiosk (any latency above its timeout), without
    // this test waiting 30 s.
    let kiosk = kiosk_on(&centre, 1000);
    centre.faults().set_latency(Duration::from_millis(2500));
    kiosk.place_id_card(li_xiulan_card());
    let error = kiosk.wait_for_screen("error");
    assert_centre_unavailable_message(&error);
    shot(&kiosk, "centre-slow");
    wait_for_reason(&kiosk, "central_link down: timeout");
    wait_for_a_report_of_the_fault(&kiosk);

    centre.faults().set_latency(Duration::ZERO);
    identify_again(&kiosk);
    // Slow while she files: the kiosk stops waiting, the centre applies
    // the filing late; the resend with the same msgid is answered from
    // what the centre stored, not applied again.
    centre.faults().set_latency(Duration::from_millis(2500));
    file_while_the_centre_cannot_answer(&kiosk);
    centre.faults().set_latency(Duration::ZERO);
    assert_filed_once(&kiosk, &centre);
    centre.assert_reported("central_link=down:timeout");
    wait_for_reason_gone(&kiosk, "central_link");
    assert_no_personal_data_logged(&kiosk);
}

#[test]
fn a_slow_centre_times_out_with_a_clear_message_and_a_late_filing_is_not_applied_twice() {
    slow_centre(&no_shot);
}

#[test]
fn an_answer_cut_mid_body_is_retried_for_queries_and_a_cut_filing_answer_is_not_applied_twice() {
    let centre = Centre::start();
    let kiosk = kiosk_on(&centre, 2000);
    // One query answer cut in half: the client's retry gets the next one;
    // the citizen sees nothing of it.
    centre.faults().cut_next(1, Some("1101"));
    identify(&kiosk);
    kiosk.remove_id_card_and_wait();
    wait_for_one_of(&kiosk, &["home", "rate"]);
    leave_rating(&kiosk);
    // Every answer cut: the query gives up with the message.
    centre.faults().cut_next(u32::MAX, None);
    kiosk.place_id_card(li_xiulan_card());
    let error = kiosk.wait_for_screen("error");
    assert_centre_unavailable_message(&error);
    wait_for_reason(&kiosk, "central_link down: unreachable");
    centre.faults().clear();
    identify_again(&kiosk);

    // The filing's answer is cut after the centre stored it: the kiosk
    // cannot know, keeps the record and resends it with the same msgid;
    // the centre answers from what it stored.
    let repeats = centre.central.repeats_answered();
    centre.faults().cut_next(1, Some("KS11"));
    // The receipt: the kiosk's tracking number, or the centre's filing
    // number when the resend was answered within the few seconds the
    // citizen waits (the engine resends at its next cycle).
    let receipt = file(&kiosk);
    assert!(receipt.contains("备案编号"), "{receipt}");
    assert_eq!(centre.filings(), 1, "applied before the answer was cut");
    assert_filed_once(&kiosk, &centre);
    assert!(
        centre.central.repeats_answered() > repeats,
        "the resend was answered from the stored answer"
    );
    assert_no_personal_data_logged(&kiosk);
}

/// After a query on the rating screen: skipped.
fn leave_rating(kiosk: &Kiosk) {
    if kiosk.screen()["screen"] == "rate" {
        kiosk.tap("跳过");
    }
    kiosk.wait_for_screen("home");
}

/// The citizen sees that the centre's answer was wrong and what to do.
fn assert_wrong_answer_message(screen: &Value) {
    assert_told(
        screen,
        &["医保中心返回的信息有误", "稍后再试", "联系工作人员"],
    );
}

#[test]
fn an_answer_that_is_not_json_is_refused_with_a_clear_message_and_nothing_is_lost() {
    let centre = Centre::start();
    let kiosk = kiosk_on(&centre, 2000);
    let reports_before = centre.central.health_reports(TERMINAL).unwrap().len();
    // A proxy in front of the centre answers an HTML page with HTTP 200.
    centre.faults().garbage_next(u32::MAX);
    kiosk.place_id_card(li_xiulan_card());
    let error = kiosk.wait_for_screen("error");
    assert_wrong_answer_message(&error);
    wait_for_reason(&kiosk, "central_link down: malformed_answer");
    // Reports queued meanwhile stay in the outbox (nothing was applied).
    wait_for_a_report_of_the_fault(&kiosk);
    assert!(
        kiosk.get("/v1/sync/status")["pending"]
            .as_u64()
            .unwrap_or(0)
            >= 1
    );
    centre.faults().clear();
    wait_until_drained(&kiosk);
    let reports = centre.central.health_reports(TERMINAL).unwrap();
    assert!(reports.len() > reports_before, "the queued reports arrived");
    centre.assert_reported("central_link=down:malformed_answer");
    identify_again(&kiosk);
    wait_for_reason_gone(&kiosk, "central_link");
    assert_no_personal_data_logged(&kiosk);
}

#[test]
fn a_success_answer_without_its_fields_is_refused_never_shown_as_an_empty_enrollment() {
    let centre = Centre::start();
    let kiosk = kiosk_on(&centre, 2000);
    // infcode 0, `"output": {}`: every field of the person missing.
    centre.faults().hollow_next(u32::MAX);
    kiosk.place_id_card(li_xiulan_card());
    let error = wait_for_one_of(&kiosk, &["error", "enrollment"]);
    assert_wrong_answer_message(&error);
    wait_for_reason(&kiosk, "central_link down: malformed_answer");
    wait_for_a_report_of_the_fault(&kiosk);
    centre.faults().clear();
    identify_again(&kiosk);
    let enrollment = kiosk.screen();
    for expected in ["李秀兰", "职工基本医疗保险", "¥3,521.40"] {
        assert!(
            texts(&enrollment).contains(expected),
            "{expected}: {enrollment}"
        );
    }
    wait_until_drained(&kiosk);
    centre.assert_reported("central_link=down:malformed_answer");
    wait_for_reason_gone(&kiosk, "central_link");
    assert_no_personal_data_logged(&kiosk);
}

/// `kiosk keygen` into `dir` (a link over https needs SM2 signatures).
fn keygen(dir: &Path) {
    std::fs::write(dir.join("kiosk.toml"), "").unwrap();
    let out = support::run_cli(dir, &["keygen", "--out", &dir.display().to_string()]);
    assert_eq!(out.code, Some(0), "{out:?}");
}

#[test]
fn an_untrusted_centre_certificate_at_run_time_is_explained_and_the_fixed_link_is_used_without_a_restart()
 {
    // The kiosk trusts the province's CA (`ca_file`); the centre first
    // serves a certificate of another CA (a wrong certificate installed
    // there), then the right one, on the same port (staff fixed it). The
    // other TLS faults (pin, expiry, host name, client certificate) are
    // in tests/central_link.rs and sync/tests/central_link.rs.
    let dir = tempfile::tempdir().unwrap();
    let trusted = TestPki::create(&mkdir(dir.path(), "trusted"), ServerCert::Good).unwrap();
    let stranger = TestPki::create(&mkdir(dir.path(), "stranger"), ServerCert::Good).unwrap();
    keygen(dir.path());
    let central = Arc::new(
        Central::open_seeded(
            None,
            Arc::new(SystemClock),
            CentralOptions {
                worker_threads: 1,
                ..CentralOptions::default()
            },
        )
        .unwrap(),
    );
    let wrong = CentralServer::start_tls(
        ([127, 0, 0, 1], 0).into(),
        Arc::clone(&central),
        Arc::new(stranger.server_config(false).unwrap()),
    )
    .unwrap();
    let addr = wrong.addr();
    let config = format!(
        "[central]\nurl = \"{}\"\ntimeout_ms = 3000\nca_file = \"{}\"\nsigner = \"sm2\"\nkey_file = \"{}\"\n\n\
         [store]\nhealth_interval_s = 2\n\n[automation]\nenabled = true\nport = 0\n",
        wrong.url(),
        trusted.ca.display(),
        dir.path().join("terminal-sm2.key").display(),
    );
    let kiosk = Kiosk::start_in(dir, &config);
    kiosk.wait_for_screen("home");
    kiosk.place_id_card(li_xiulan_card());
    let error = kiosk.wait_for_text("请联系大厅工作人员");
    assert_eq!(error["screen"], "error", "{error}");
    let shown = texts(&error);
    assert!(shown.contains("无法与医保中心安全连接"), "{shown}");
    assert!(shown.contains("人工窗口"), "{shown}");
    assert!(
        !shown.contains("暂时无法连接医保中心"),
        "not an outage: {shown}"
    );
    // Staff: the health board and the log name the fault.
    wait_for_reason(&kiosk, "central_link down: untrusted_certificate");
    kiosk.wait_for_log("central link misconfigured", 1);
    assert!(
        kiosk.logs().contains("untrusted_certificate"),
        "{}",
        kiosk.logs()
    );
    // A report is queued while the link is wrong.
    wait_for_a_report_of_the_fault(&kiosk);

    // The centre's certificate is fixed: the next journey works.
    wrong.stop();
    let _right = CentralServer::start_tls(
        addr,
        Arc::clone(&central),
        Arc::new(trusted.server_config(false).unwrap()),
    )
    .unwrap();
    kiosk.remove_id_card_and_wait();
    kiosk.wait_for_screen("home");
    identify(&kiosk);
    kiosk.wait_for_log("central link working again", 1);
    // What was queued meanwhile reaches the centre, the fault in it.
    wait_until_drained(&kiosk);
    let reported: Vec<String> = central
        .health_reports(TERMINAL)
        .unwrap()
        .iter()
        .flat_map(|r| {
            r.devices
                .iter()
                .map(|d| format!("{}={}:{}", d.device, d.state, d.detail))
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(
        reported.contains(&"central_link=down:untrusted_certificate".to_string()),
        "{reported:?}\n{}",
        kiosk.logs()
    );
    wait_for_reason_gone(&kiosk, "central_link");
    assert_no_personal_data_logged(&kiosk);
}

fn mkdir(parent: &Path, name: &str) -> PathBuf {
    let dir = parent.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

// ---- the printer ------------------------------------------------------------

fn printer_fault(kiosk: &Kiosk, fault: Value) {
    let (status, body) = kiosk.post("/v1/sim/printer/fault", fault);
    assert_eq!(status, 200, "{body}");
}

/// The business slips that came out whole (title to balance) and cut.
fn whole_cut_slips(kiosk: &Kiosk) -> usize {
    kiosk
        .get("/v1/sim/receipts")
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| {
            let text = r["text"].as_str().unwrap_or("");
            r["cut"] == true && text.contains("医疗保障业务办理单") && text.contains("个人账户余额")
        })
        .count()
}

/// A printer fault met while the business slip prints: the citizen is
/// told what happened and that it will print whole; staff are called with
/// the cause; the job waits in the journal and prints whole, once, when
/// the fault is cleared.
fn printer_stops_mid_session(fault: Value, says: &str, cause: &str) {
    let kiosk = Kiosk::start("");
    kiosk.wait_for_screen("home");
    kiosk.wait_for_device("printer_glyphs", "ok");
    printer_fault(&kiosk, fault);
    identify(&kiosk);
    kiosk.tap("打印业务办理单");
    let pending = kiosk.wait_for_screen("print-pending");
    let shown = texts(&pending);
    assert!(shown.contains(says), "{shown}");
    assert!(shown.contains("重新完整打印"), "{shown}");
    // Staff: called at once, with the cause; the board says it.
    kiosk.wait_for_log("staff called: printer down", 1);
    assert!(
        kiosk.logs().contains(&format!("cause=\"{cause}\"")),
        "{}",
        kiosk.logs()
    );
    let (code, board) = wait_for_reason(&kiosk, &format!("printer down: {cause}"));
    assert_eq!(code, 503, "{board}");
    // No slip came out whole and cut (a torn-off part, or an uncut one
    // stuck at the blade, is what a citizen would hold now).
    assert_eq!(
        whole_cut_slips(&kiosk),
        0,
        "{}",
        kiosk.get("/v1/sim/receipts")
    );
    // Cleared: the same job prints whole, once; the kiosk serves again.
    printer_fault(&kiosk, json!({}));
    kiosk.wait_for_screen("printed");
    kiosk.wait_for_log("pending job reprinted whole", 1);
    wait_for("the slip reprinted whole", support::WAIT, || {
        whole_cut_slips(&kiosk) >= 1
    });
    assert_eq!(
        whole_cut_slips(&kiosk),
        1,
        "{}",
        kiosk.get("/v1/sim/receipts")
    );
    let (code, board) = wait_for_reason_gone(&kiosk, "printer down");
    assert_eq!(code, 200, "{board}");
    assert_no_personal_data_logged(&kiosk);
}

#[test]
fn the_printer_cover_opened_mid_job_holds_the_job_and_prints_it_whole_once_closed() {
    // Cover open before the job, and paper out, are in tests/printing.rs.
    printer_stops_mid_session(
        json!({ "cover_open_after_bytes": 300 }),
        "打印机盖未关好",
        "cover_open",
    );
}

#[test]
fn a_cutter_jam_holds_the_job_and_prints_it_whole_once_cleared() {
    printer_stops_mid_session(
        json!({ "cutter_jam_at_next_cut": true }),
        "切纸故障",
        "cutter_error",
    );
}

// ---- cards and codes ------------------------------------------------------------

fn card_pulled(shot: Shot) {
    let kiosk = Kiosk::start("");
    kiosk.wait_for_screen("home");
    kiosk.wait_for_device("id_card_reader", "ok");
    // The card leaves the reader's field in the middle of the read: the
    // reader's answer to the read command breaks off.
    let (status, body) = kiosk.post(
        "/v1/sim/idcard/fault",
        json!({ "truncate": 40, "only_command": 48, "once": true }),
    );
    assert_eq!(status, 200, "{body}");
    kiosk.place_id_card(li_xiulan_card());
    let error = kiosk.wait_for_screen("error");
    let shown = texts(&error);
    assert!(shown.contains("身份证"), "{shown}");
    assert!(
        shown.contains("重新放") || shown.contains("重新读"),
        "says what to do: {shown}"
    );
    assert!(!shown.contains("李秀兰"), "{shown}");
    shot(&kiosk, "card-pulled");
    // Staff: the reader is fine (not a device fault), nothing lost.
    let reader = kiosk.wait_for_device("id_card_reader", "ok");
    assert_eq!(reader["losses"], 0, "{reader}");
    kiosk.wait_for_log("ID card read failed", 1);
    // She places it again: read whole.
    kiosk.remove_id_card_and_wait();
    kiosk.wait_for_screen("home");
    identify(&kiosk);
    assert_no_personal_data_logged(&kiosk);
}

#[test]
fn an_id_card_pulled_during_the_read_is_explained_and_read_whole_when_placed_again() {
    card_pulled(&no_shot);
}

fn scan(kiosk: &Kiosk, request: Value) {
    let (status, body) = kiosk.post("/v1/sim/scan", request);
    assert_eq!(status, 200, "{body}");
}

#[test]
fn a_qr_scanner_sending_garbage_is_refused_clearly_and_the_next_clean_scan_works() {
    let kiosk = Kiosk::start("");
    kiosk.wait_for_screen("home");
    kiosk.wait_for_device("qr_scanner", "ok");
    // Crafted strings are in tests/hostile.rs, codes that are not
    // vouchers and partial reads in tests/credentials.rs. Here: bytes that
    // are not text at all, a line of them, then line noise glued to a
    // real code (a corrupted read).
    for noise in ["fffe00c328a0e2828ff09f98800d", "00ff1b5b3f"] {
        scan(
            &kiosk,
            json!({ "text": if noise.ends_with("0d") { "" } else { WANG_TOKEN }, "noise_hex": noise,
                    "terminator": if noise.ends_with("0d") { "none" } else { "cr" } }),
        );
        let error = kiosk.wait_for_screen("error");
        let shown = texts(&error);
        assert!(shown.contains("无法识别该二维码"), "{noise}: {shown}");
        assert!(shown.contains("重新扫码"), "{noise}: {shown}");
        kiosk.tap("返回首页");
        kiosk.wait_for_screen("home");
    }
    // Staff: the scanner is fine, each refusal is logged, no query began.
    let scanner = kiosk.wait_for_device("qr_scanner", "ok");
    assert_eq!(scanner["losses"], 0, "{scanner}");
    kiosk.wait_for_log("scan rejected: code is not printable text", 2);
    let metrics = String::from_utf8(kiosk.get_bytes("/metrics")).unwrap();
    assert!(
        !metrics.contains("journey=\"enrollment_query\""),
        "{metrics}"
    );
    // The next clean scan: the same scanner, no replug.
    scan(&kiosk, json!({ "text": WANG_TOKEN }));
    let enrollment = kiosk.wait_for_screen("enrollment");
    assert!(texts(&enrollment).contains("王建国"), "{enrollment}");
    assert!(
        !kiosk.logs().contains("QR scanner lost"),
        "{}",
        kiosk.logs()
    );
    assert_no_personal_data_logged(&kiosk);
}

// ---- disk full ------------------------------------------------------------
//
// The seam: `POST /v1/sim/store/fault {"full": true}` (simulation mode
// only; 404 on a production kiosk) calls `Store::limit_growth` on the
// kiosk's own store: SQLite's `max_page_count` is set to the file's
// present size (after a VACUUM), so that any write needing a page fails
// with SQLITE_FULL inside SQLite, on the real file; and because a small
// record can still fit in a page with room (a print job is under 1 KB),
// which on a disk that is really full fails once the WAL must grow, the
// store's writes of new records meet that same SQLITE_FULL error before
// SQLite. From there on it is the path of a real full disk: the typed
// error, the store's full state, the health board, the messages. Chosen
// over RLIMIT_FSIZE on the child (SQLite reports EFBIG as an I/O error,
// not SQLITE_FULL, and the limit would also stop the kiosk's log and the
// printer simulator's receipts) and over a small tmpfs (needs root).

fn store_full(kiosk: &Kiosk, full: bool) {
    let (status, body) = kiosk.post("/v1/sim/store/fault", json!({ "full": full }));
    assert_eq!(status, 200, "{body}");
}

/// Staff: the board says the store is full (503: nothing can be written
/// first), the log says it, and a health report went straight to the
/// centre (the outbox cannot hold it).
fn assert_staff_see_a_full_store(kiosk: &Kiosk) {
    let (code, board) = wait_for_reason(kiosk, "store down: full");
    assert_eq!(code, 503, "{board}");
    assert_eq!(board["status"], "unavailable", "{board}");
    kiosk.wait_for_log("local store full", 1);
    kiosk.wait_for_log("staff called: store full", 1);
}

/// Space again: the board turns back without a restart.
fn assert_space_is_back(kiosk: &Kiosk) {
    let (code, board) = wait_for_reason_gone(kiosk, "store down");
    assert_eq!(code, 200, "{board}");
    kiosk.wait_for_log("local store writable again", 1);
}

fn disk_full_filing(shot: Shot) {
    let centre = Centre::start();
    let kiosk = kiosk_on(&centre, 5000);
    let before = kiosk.get("/v1/sync/status");
    identify(&kiosk);
    open_filing(&kiosk);
    // The disk fills up while she fills in the form.
    store_full(&kiosk, true);
    support::submit_long_term_filing(&kiosk);
    // Back on her signed letter, told why: nothing she entered is lost.
    let letter = kiosk.wait_until("the letter again, with the reason", |screen| {
        screen["screen"] == "filing-letter" && texts(screen).contains("未能保存")
    });
    let shown = texts(&letter);
    assert!(shown.contains("本机存储空间不足"), "{shown}");
    assert!(shown.contains("未能保存"), "{shown}");
    assert!(
        shown.contains("联系大厅工作人员") && shown.contains("人工窗口"),
        "{shown}"
    );
    shot(&kiosk, "disk-full");
    assert_staff_see_a_full_store(&kiosk);
    // Nothing half-written: no filing reached the centre, none is queued.
    assert_eq!(centre.filings(), 0);
    let reported = centre.reported_devices();
    assert!(
        reported.iter().any(|d| d.starts_with("store=down:full")),
        "the report sent directly: {reported:?}"
    );
    // Space again: one more tap submits the same signed filing (the form
    // and the signature were kept); once at the centre.
    store_full(&kiosk, false);
    assert_space_is_back(&kiosk);
    kiosk.wait_for_action("提交备案");
    kiosk.tap("提交备案");
    kiosk.wait_for_screen("printed");
    assert_filed_once(&kiosk, &centre);
    // What the store held before is all there: the reference data (the
    // form's pick lists worked), the answered records.
    let after = kiosk.get("/v1/sync/status");
    for dataset in before["datasets"].as_array().unwrap() {
        assert!(
            after["datasets"].as_array().unwrap().contains(dataset),
            "{dataset} lost: {after}"
        );
    }
    assert!(after["accepted"].as_u64() >= before["accepted"].as_u64());
    assert_no_personal_data_logged(&kiosk);
}

#[test]
fn disk_full_during_a_filing_tells_the_citizen_and_staff_keeps_what_was_stored_and_files_once_space_is_back()
 {
    disk_full_filing(&no_shot);
}

#[test]
fn disk_full_during_a_print_journal_write_prints_nothing_unjournaled_and_prints_again_once_space_is_back()
 {
    let kiosk = Kiosk::start("");
    kiosk.wait_for_screen("home");
    kiosk.wait_for_device("printer_glyphs", "ok");
    identify(&kiosk);
    // One slip printed before: its journal entry is kept.
    kiosk.tap("打印业务办理单");
    kiosk.wait_for_screen("printed");
    kiosk.wait_for_receipts(1);
    kiosk.wait_for_log("printed job=", 1);
    leave(&kiosk);
    identify(&kiosk);
    store_full(&kiosk, true);
    kiosk.tap("打印业务办理单");
    let error = wait_for_one_of(&kiosk, &["error", "print-failed", "printed"]);
    let shown = texts(&error);
    assert!(shown.contains("本机存储空间不足"), "{error}");
    assert!(shown.contains("暂时无法打印"), "{shown}");
    assert!(
        shown.contains("联系大厅工作人员") && shown.contains("人工窗口"),
        "{shown}"
    );
    assert_staff_see_a_full_store(&kiosk);
    // Written before sent: a job that could not be written is not printed.
    assert_eq!(kiosk.get("/v1/sim/receipts").as_array().unwrap().len(), 1);
    store_full(&kiosk, false);
    assert_space_is_back(&kiosk);
    leave(&kiosk);
    identify(&kiosk);
    kiosk.tap("打印业务办理单");
    kiosk.wait_for_screen("printed");
    assert_eq!(kiosk.wait_for_receipts(2).len(), 2);
    kiosk.wait_for_log("printed job=", 2);
    assert_no_personal_data_logged(&kiosk);
}

#[test]
fn the_store_fault_route_is_refused_in_production() {
    let centre = Centre::start();
    let config = format!(
        "[simulation]\nenabled = false\n[terminal]\nid = \"K2201-T200\"\nhall_name = \"长春市医疗保障服务大厅\"\n\
         [central]\nurl = \"{}\"\n[automation]\nenabled = true\ntoken = \"{TOKEN}\"\nport = 0\n",
        centre.url()
    );
    let kiosk = Kiosk::start_with(tempfile::tempdir().unwrap(), &config, &[], Some(TOKEN));
    kiosk.wait_for_screen("home");
    let (status, _) = kiosk.post("/v1/sim/store/fault", json!({ "full": true }));
    assert_eq!(status, 404);
}

const TOKEN: &str = "faults-test-token-0123456789";

// ---- screenshots ------------------------------------------------------------

fn paper_out(shot: Shot) {
    // The full paper-out test is tests/printing.rs; this is its screen.
    let kiosk = Kiosk::start("");
    kiosk.wait_for_screen("home");
    printer_fault(&kiosk, json!({ "paper_out": true }));
    identify(&kiosk);
    kiosk.tap("打印业务办理单");
    let pending = kiosk.wait_for_screen("print-pending");
    assert!(texts(&pending).contains("缺纸"), "{pending}");
    shot(&kiosk, "paper-out");
}

#[test]
#[ignore = "writes docs/screenshots/fault-*.png; run on demand"]
fn write_fault_screenshots() {
    let docs = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/screenshots");
    std::fs::create_dir_all(&docs).unwrap();
    let shot = |kiosk: &Kiosk, name: &str| {
        std::fs::write(
            docs.join(format!("fault-{name}.png")),
            kiosk.get_bytes("/v1/screenshot"),
        )
        .unwrap();
    };
    centre_down(&shot);
    slow_centre(&shot);
    paper_out(&shot);
    card_pulled(&shot);
    disk_full_filing(&shot);
}

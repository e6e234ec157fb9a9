//! Deploying on a kiosk, end to end through the real `kiosk` binary.
//! Production mode: a
//! configuration file means nothing is simulated; what is missing is a
//! start-up report line (what, where, what to do) and either refuses
//! start-up (the centre, the terminal's identity, an automation API without
//! a token) or takes its part out of service while the rest runs; the demo
//! badge shows in simulation only. Also: SIGTERM ends the kiosk cleanly
//! within 5 s and the print job in flight is offered again at the next
//! start; systemd's notify socket gets READY=1, STATUS= and WATCHDOG=1;
//! linuxkms without /dev/dri stops with a clear message; the in-app
//! pinyin keyboard fills the address field by taps alone; with
//! JOURNAL_STREAM set (the packaged service) the logs go to the journal,
//! as fields, without personal data.
//!
//! The devices and the centre a production kiosk talks to here are
//! started by the test (the same simulators and reference centre, on a
//! pty and on loopback), as a real reader and a real centre would be.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::os::unix::net::UnixDatagram;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use kiosk_central::{CentralServer, DemoData};
use kiosk_sim::idcard::{CardSlot, IdReaderSim, IdReaderSimHandle, SimCard};
use kiosk_sync::clock::SystemClock;
use serde_json::json;
use support::{Kiosk, WAIT, li_xiulan_card, texts};

const TOKEN: &str = "test-token-0123456789abcdef";
const BADGE: &str = "演示模式";

fn centre() -> CentralServer {
    CentralServer::spawn(
        ([127, 0, 0, 1], 0).into(),
        DemoData::builtin().unwrap(),
        Arc::new(SystemClock),
    )
    .unwrap()
}

/// A production configuration: the given `[devices]` lines, the centre at
/// `url` (none: no `[central]`), the automation API with the token.
fn production(devices: &str, url: Option<&str>) -> String {
    let central = url
        .map(|u| format!("[central]\nurl = \"{u}\"\ntimeout_ms = 2000\n"))
        .unwrap_or_default();
    format!(
        "[simulation]\nenabled = false\n\
         [terminal]\nid = \"K2201-T100\"\nhall_name = \"长春市医疗保障服务大厅\"\n\
         [devices]\n{devices}\n{central}\
         [automation]\nenabled = true\ntoken = \"{TOKEN}\"\nport = 0\n"
    )
}

/// Runs `kiosk --config FILE --headless` to its end (bounded): exit code
/// and stdout.
fn run_to_exit(config: &str) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kiosk.toml");
    std::fs::write(&path, config).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_kiosk"))
        .arg("--config")
        .arg(&path)
        .arg("--headless")
        .env("XDG_DATA_HOME", dir.path().join("data"))
        .current_dir(dir.path())
        .stdout(std::fs::File::create(dir.path().join("out")).unwrap())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let code = wait_bounded(child);
    (
        code,
        std::fs::read_to_string(dir.path().join("out")).unwrap(),
    )
}

/// Waits (bounded) for `child` to exit; its exit code.
fn wait_bounded(mut child: std::process::Child) -> Option<i32> {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code();
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the kiosk did not stop by itself");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A simulated ID card reader started by the test, as a real one on a
/// serial port.
fn id_reader(dir: &std::path::Path) -> (CardSlot, IdReaderSimHandle, String) {
    let slot = CardSlot::new();
    let link = dir.join("id-reader");
    let handle = IdReaderSim::spawn(slot.clone(), Some(&link)).unwrap();
    (slot, handle, link.display().to_string())
}

#[test]
fn production_without_a_centre_refuses_to_start_with_one_line_saying_what_to_do() {
    let (code, out) = run_to_exit(&production(
        "id_reader = \"/dev/null\"\nprinter = \"tcp://127.0.0.1:9\"\nscanner = \"/dev/null\"\nss_card_reader = \"usb\"",
        None,
    ));
    assert_eq!(code, Some(78), "{out}");
    let line = out
        .lines()
        .find(|l| l.contains("central service not configured"))
        .unwrap_or_else(|| panic!("no report line: {out}"));
    assert!(line.contains("[central] url in "), "{line}");
    assert!(line.contains("set url = "), "{line}");
    assert!(!out.contains("simulated"), "{out}");
    assert!(!out.contains("built-in reference service"), "{out}");
}

#[test]
fn production_with_the_automation_api_and_no_token_refuses_to_start() {
    let config =
        production("", Some("http://127.0.0.1:9")).replace(&format!("token = \"{TOKEN}\"\n"), "");
    let (code, out) = run_to_exit(&config);
    assert_eq!(code, Some(78), "{out}");
    assert!(
        out.contains("automation API enabled without a token"),
        "{out}"
    );
    let config = production("", Some("http://127.0.0.1:9")).replace(TOKEN, "short");
    let (code, out) = run_to_exit(&config);
    assert_eq!(code, Some(78), "{out}");
    assert!(out.contains("automation API token too short"), "{out}");
}

#[test]
fn production_with_the_demo_identity_refuses_to_start() {
    let config = production("", Some("http://127.0.0.1:9")).replace("id = \"K2201-T100\"\n", "");
    let (code, out) = run_to_exit(&config);
    assert_eq!(code, Some(78), "{out}");
    assert!(out.contains("terminal identity not configured"), "{out}");
}

#[test]
fn production_without_a_printer_runs_the_queries_and_tells_the_citizen_to_go_to_the_counter() {
    let centre = centre();
    let dir = tempfile::tempdir().unwrap();
    let (slot, _reader, reader_path) = id_reader(dir.path());
    // No printer, no scanner; the card reader and the centre are there.
    let config = production(
        &format!("id_reader = \"{reader_path}\"\nss_card_reader = \"usb:ffff:fffe\""),
        Some(&centre.url()),
    );
    let kiosk = Kiosk::start_with(dir, &config, &[], Some(TOKEN));
    let out = kiosk.stdout.join("\n");
    assert!(out.contains("kiosk: production mode"), "{out}");
    assert!(!out.contains("simulat"), "{out}");
    for part in ["printer", "QR scanner"] {
        let line = out
            .lines()
            .find(|l| l.contains(&format!("{part} not configured")))
            .unwrap_or_else(|| panic!("no line for {part}: {out}"));
        assert!(line.contains("[devices] "), "{line}");
        assert!(line.contains("set "), "{line}");
    }
    // The home screen says what is out of service; no demo badge.
    let home = kiosk.wait_for_screen("home");
    let shown = texts(&home);
    assert!(
        shown.contains("打印机暂停服务，请到窗口办理打印"),
        "{shown}"
    );
    assert!(shown.contains("扫码器暂停服务"), "{shown}");
    assert!(!shown.contains(BADGE), "{shown}");
    // Nothing is simulated: the simulators' endpoints are not there.
    let (status, _) = kiosk.post("/v1/sim/idcard", li_xiulan_card());
    assert_eq!(status, 404);
    let (status, _) = kiosk.post("/v1/sim/printer/fault", json!({}));
    assert_eq!(status, 404);
    // A supervisor sees it from the status code alone.
    let (status, health) = kiosk.get_with_status("/v1/health");
    assert_eq!(status, 503, "{health}");
    assert_eq!(
        health["reasons"][0], "printer down: not configured",
        "{health}"
    );
    // The enrollment query works (a card on the real reader, the centre).
    slot.place(SimCard::from_json(&li_xiulan_card().to_string()).unwrap());
    kiosk.wait_for_screen("enrollment");
    // Printing is out of service: the citizen is sent to the counter.
    kiosk.tap("打印业务办理单");
    let error = kiosk.wait_for_screen("error");
    assert!(texts(&error).contains("人工窗口"), "{}", texts(&error));
    // Without the token the API refuses.
    let anonymous = reqwest::blocking::get(format!("{}/v1/screen", kiosk.api)).unwrap();
    assert_eq!(anonymous.status().as_u16(), 401);
    assert!(kiosk.api.starts_with("127.0.0.1:") || kiosk.api.contains("127.0.0.1"));
}

#[test]
fn simulation_mode_shows_the_demo_badge_on_every_screen() {
    let kiosk = Kiosk::start("");
    assert!(texts(&kiosk.wait_for_screen("home")).contains(BADGE));
    kiosk.place_id_card(li_xiulan_card());
    assert!(texts(&kiosk.wait_for_screen("enrollment")).contains(BADGE));
}

#[test]
fn sigterm_stops_the_kiosk_within_5_s_and_the_job_in_flight_is_offered_again() {
    let kiosk = Kiosk::start("");
    kiosk.wait_for_screen("home");
    kiosk.post("/v1/sim/printer/fault", json!({ "paper_out": true }));
    kiosk.place_id_card(li_xiulan_card());
    kiosk.wait_for_screen("enrollment");
    kiosk.tap("打印业务办理单");
    kiosk.wait_for_screen("print-pending");
    let (code, took, dir) = kiosk.terminate();
    assert_eq!(code, Some(0));
    assert!(took < Duration::from_secs(5), "took {took:?}");
    let log = std::fs::read_to_string(dir.path().join("stderr.log")).unwrap();
    assert!(log.contains("print job interrupted"), "{log}");
    assert!(log.contains("shutdown complete"), "{log}");

    let kiosk = Kiosk::start_in(dir, "");
    let offered = kiosk.wait_for_screen("recover-prints");
    assert!(
        texts(&offered).contains("业务办理单"),
        "{}",
        texts(&offered)
    );
}

#[test]
fn systemd_gets_ready_status_and_watchdog_pings_on_its_socket() {
    let dir = tempfile::tempdir().unwrap();
    let socket_path = dir.path().join("notify.sock");
    let socket = UnixDatagram::bind(&socket_path).unwrap();
    socket.set_read_timeout(Some(WAIT)).unwrap();
    let socket_env = socket_path.display().to_string();
    let kiosk = Kiosk::start_with(
        dir,
        "",
        &[("NOTIFY_SOCKET", &socket_env), ("WATCHDOG_USEC", "300000")],
        None,
    );
    kiosk.wait_for_screen("home");
    let mut messages = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = Instant::now() + WAIT;
    while messages
        .iter()
        .filter(|m: &&String| m.contains("WATCHDOG=1"))
        .count()
        < 3
    {
        assert!(Instant::now() < deadline, "{messages:?}");
        let n = socket.recv(&mut buf).unwrap();
        messages.push(String::from_utf8_lossy(&buf[..n]).to_string());
    }
    let ready = messages.iter().position(|m| m.contains("READY=1")).unwrap();
    let first_ping = messages
        .iter()
        .position(|m| m.contains("WATCHDOG=1"))
        .unwrap();
    assert!(ready < first_ping, "{messages:?}");
    assert!(messages[ready].contains("STATUS=ready"), "{messages:?}");
    let (code, _, _) = kiosk.terminate();
    assert_eq!(code, Some(0));
    // STOPPING=1 was sent before the exit.
    let mut stopping = false;
    while let Ok(n) = socket.recv(&mut buf) {
        if String::from_utf8_lossy(&buf[..n]).contains("STOPPING=1") {
            stopping = true;
            break;
        }
    }
    assert!(stopping);
}

#[test]
fn linuxkms_without_a_drm_device_stops_at_once_with_a_clear_message() {
    if std::path::Path::new("/dev/dri").exists() {
        eprintln!("this machine has /dev/dri: the no-DRM start-up cannot be checked here");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let child = Command::new(env!("CARGO_BIN_EXE_kiosk"))
        .env("SLINT_BACKEND", "linuxkms")
        .env("XDG_DATA_HOME", dir.path().join("data"))
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(dir.path().join("out")).unwrap())
        .stderr(std::fs::File::create(dir.path().join("err")).unwrap())
        .spawn()
        .unwrap();
    let code = wait_bounded(child);
    assert!(started.elapsed() < WAIT);
    assert_ne!(code, Some(0));
    let stderr = std::fs::read_to_string(dir.path().join("err")).unwrap();
    assert!(
        stderr.contains("linuxkms: no DRM/KMS device in /dev/dri"),
        "{stderr}"
    );
    // Nothing was started before the display check.
    let stdout = std::fs::read_to_string(dir.path().join("out")).unwrap();
    assert!(!stdout.contains("automation API"), "{stdout}");
}

/// From the home screen to the filing form of 李秀兰 (simulation).
fn open_filing_form(kiosk: &Kiosk) {
    kiosk.wait_for_screen("home");
    kiosk.place_id_card(li_xiulan_card());
    kiosk.wait_for_screen("enrollment");
    kiosk.tap("更多查询与办理");
    kiosk.tap("异地就医备案");
    kiosk.wait_for_screen("filing-category");
    kiosk.tap("异地长期居住人员");
    kiosk.wait_for_screen("filing-form");
}

#[test]
fn the_address_is_typed_on_the_in_app_pinyin_keyboard_by_taps_alone() {
    let kiosk = Kiosk::start("");
    open_filing_form(&kiosk);
    kiosk.tap("键盘输入");
    kiosk.wait_for_text("拼音输入：点字母拼写，再点选汉字");
    // 海 (hai) from the candidates, then 口 (kou), then typed characters.
    for letter in ["h", "a", "i"] {
        kiosk.tap(letter);
    }
    kiosk.wait_for_text("hai");
    kiosk.tap("海");
    for letter in ["k", "o", "u"] {
        kiosk.tap(letter);
    }
    kiosk.wait_for_text("kou");
    kiosk.tap("口");
    for key in ["市", "1", "号"] {
        kiosk.tap(key);
    }
    kiosk.wait_for_text("海口市1号");
    // 退格 removes the last character.
    kiosk.tap("退格");
    kiosk.wait_for_text("海口市1");
    kiosk.tap("号");
    kiosk.tap("完成输入");
    // Back on the form: the session holds the address.
    let form = kiosk.wait_for_action("键盘输入");
    assert_eq!(form["screen"], "filing-form");
    let shown = texts(&kiosk.wait_for_text("海口市1号"));
    assert!(!shown.contains("拼音输入"), "the keyboard closed: {shown}");
    // Opened again, it starts from the address, and 取消输入 keeps it.
    kiosk.tap("键盘输入");
    kiosk.wait_for_text("拼音输入");
    kiosk.tap("清空");
    kiosk.tap("取消输入");
    kiosk.wait_for_action("键盘输入");
    kiosk.wait_for_text("海口市1号");
}

#[test]
#[ignore = "writes docs/screenshots/{demo-badge,keyboard,out-of-service}.png; run on demand"]
fn deploy_screenshots() {
    let docs = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/screenshots");
    let kiosk = Kiosk::start("");
    kiosk.wait_for_screen("home");
    kiosk.place_id_card(li_xiulan_card());
    kiosk.wait_for_screen("enrollment");
    std::fs::write(
        docs.join("demo-badge.png"),
        kiosk.get_bytes("/v1/screenshot"),
    )
    .unwrap();
    kiosk.remove_id_card_and_wait();
    open_filing_form(&kiosk);
    kiosk.tap("键盘输入");
    for letter in ["h", "a", "i"] {
        kiosk.tap(letter);
    }
    kiosk.tap("海");
    for letter in ["k", "o", "u"] {
        kiosk.tap(letter);
    }
    kiosk.tap("口");
    kiosk.tap("市");
    for letter in ["m", "e", "i"] {
        kiosk.tap(letter);
    }
    kiosk.wait_for_text("mei");
    std::fs::write(docs.join("keyboard.png"), kiosk.get_bytes("/v1/screenshot")).unwrap();
    drop(kiosk);

    let centre = centre();
    let dir = tempfile::tempdir().unwrap();
    let (_slot, _reader, reader_path) = id_reader(dir.path());
    let config = production(
        &format!("id_reader = \"{reader_path}\"\nss_card_reader = \"usb:ffff:fffe\""),
        Some(&centre.url()),
    );
    let kiosk = Kiosk::start_with(dir, &config, &[], Some(TOKEN));
    kiosk.wait_for_text("打印机暂停服务");
    std::fs::write(
        docs.join("out-of-service.png"),
        kiosk.get_bytes("/v1/screenshot"),
    )
    .unwrap();
}

/// Removes the journal socket the test bound, even when the test fails.
struct JournalSocket(std::path::PathBuf);

impl Drop for JournalSocket {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[test]
fn logs_go_to_the_journal_with_the_journey_and_never_personal_data() {
    // tracing-journald writes to the journal's fixed socket. The test plays
    // journald there, so it needs that path free (no journald running)
    // and writable (root); otherwise it says so and does not run.
    let path = std::path::Path::new("/run/systemd/journal/socket");
    if path.exists() {
        eprintln!(
            "SKIPPED: a journald owns {} on this machine",
            path.display()
        );
        return;
    }
    if std::fs::create_dir_all(path.parent().unwrap()).is_err() {
        eprintln!("SKIPPED: cannot create {} (not root)", path.display());
        return;
    }
    let journal = UnixDatagram::bind(path).unwrap();
    let _guard = JournalSocket(path.to_path_buf());
    journal
        .set_read_timeout(Some(Duration::from_millis(50)))
        .unwrap();
    // Read as journald does, all along: a full socket would block the
    // kiosk's logging.
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || {
            let mut records: Vec<Vec<(String, String)>> = Vec::new();
            let mut buf = vec![0u8; 256 * 1024];
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                if let Ok(n) = journal.recv(&mut buf) {
                    records.push(journal_fields(&buf[..n]));
                }
            }
            while let Ok(n) = journal.recv(&mut buf) {
                records.push(journal_fields(&buf[..n]));
            }
            records
        })
    };

    // JOURNAL_STREAM is what systemd sets for a service whose output is
    // the journal: the packaged kiosk then logs there instead of stderr.
    let kiosk = Kiosk::start_with(
        tempfile::tempdir().unwrap(),
        "",
        &[("JOURNAL_STREAM", "8:4711"), ("KIOSK_LOG", "debug")],
        None,
    );
    kiosk.wait_for_screen("home");
    kiosk.place_id_card(li_xiulan_card());
    let enrollment = kiosk.wait_for_screen("enrollment");
    assert!(texts(&enrollment).contains("李秀兰"), "{enrollment}");
    kiosk.tap("返回首页");
    kiosk.wait_for_screen("rate");
    kiosk.tap("跳过");
    kiosk.wait_for_screen("take-card");
    kiosk.remove_id_card();
    kiosk.wait_for_screen("home");
    drop(kiosk.stop());
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let records = reader.join().unwrap();
    let all: String = records
        .iter()
        .map(|r| {
            r.iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        records.len() > 5,
        "too few journal records ({}):\n{all}",
        records.len()
    );
    let has = |key: &str, value: &str| {
        records
            .iter()
            .any(|r| r.iter().any(|(k, v)| k == key && v.contains(value)))
    };
    assert!(has("SYSLOG_IDENTIFIER", "kiosk"), "{all}");
    assert!(has("MESSAGE", "credential presented"), "{all}");
    // Fields, not text: the journey of the session a record was logged
    // in (a span field) and the credential's kind.
    assert!(
        records.iter().any(|r| r
            .iter()
            .any(|(k, v)| k.ends_with("JOURNEY") && !v.is_empty())),
        "{all}"
    );
    assert!(has("F_KIND", ""), "{all}");
    for secret in ["李秀兰", "220203198508232046", "遵义东路", "龙潭分局"] {
        assert!(!all.contains(secret), "{secret:?} in the journal:\n{all}");
    }
}

/// The fields of one record in the journal's native protocol: `KEY=value`
/// lines, or `KEY`, a little-endian u64 length and the value's bytes.
fn journal_fields(mut data: &[u8]) -> Vec<(String, String)> {
    let mut fields = Vec::new();
    while !data.is_empty() {
        let Some(end) = data.iter().position(|&b| b == b'\n') else {
            break;
        };
        let line = &data[..end];
        if let Some(eq) = line.iter().position(|&b| b == b'=') {
            fields.push((
                String::from_utf8_lossy(&line[..eq]).into_owned(),
                String::from_utf8_lossy(&line[eq + 1..]).into_owned(),
            ));
            data = &data[end + 1..];
        } else {
            let key = String::from_utf8_lossy(line).into_owned();
            let rest = &data[end + 1..];
            if rest.len() < 8 {
                break;
            }
            let len = u64::from_le_bytes(rest[..8].try_into().unwrap()) as usize;
            let value = &rest[8..8 + len.min(rest.len() - 8)];
            fields.push((key, String::from_utf8_lossy(value).into_owned()));
            data = rest.get(8 + len + 1..).unwrap_or_default();
        }
    }
    fields
}

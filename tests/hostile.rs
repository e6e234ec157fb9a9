//! Hostile input at the kiosk's edges (issue 17, part 3), through the real
//! `kiosk` binary in simulation mode: the automation API without or with a
//! wrong token, oversized bodies, path tricks, absurd labels; e-voucher
//! strings that are overlong or carry control and bidi characters. Each
//! is refused clearly, nothing panics, and the kiosk goes on serving.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use serde_json::json;
use support::{Kiosk, texts};

const TOKEN: &str = "hostile-test-token-0123456789";

#[test]
fn the_automation_api_refuses_requests_without_the_token() {
    let kiosk = Kiosk::start_with(
        tempfile::tempdir().unwrap(),
        &format!("[automation]\ntoken = \"{TOKEN}\"\n"),
        &[],
        Some(TOKEN),
    );
    kiosk.wait_for_screen("home");
    let raw = reqwest::blocking::Client::new();
    for path in [
        "/v1/screen",
        "/v1/screenshot",
        "/metrics",
        "/v1/health",
        "/v1/sim/receipts",
    ] {
        for auth in [None, Some("Bearer wrong-token"), Some(TOKEN)] {
            let mut request = raw.get(format!("{}{path}", kiosk.api));
            if let Some(a) = auth {
                request = request.header("authorization", a);
            }
            let status = request.send().unwrap().status().as_u16();
            assert_eq!(status, 401, "{path} with {auth:?}");
        }
    }
    // With the token it answers.
    assert_eq!(kiosk.get("/v1/screen")["screen"], "home");
}

#[test]
fn oversized_bodies_path_tricks_and_absurd_labels_are_refused() {
    let kiosk = Kiosk::start("");
    kiosk.wait_for_screen("home");
    let raw = reqwest::blocking::Client::new();
    // 3 MB of JSON: over the API's body limit.
    let big = format!("{{\"label\":\"{}\"}}", "a".repeat(3 * 1024 * 1024));
    let status = raw
        .post(format!("{}/v1/tap", kiosk.api))
        .header("content-type", "application/json")
        .body(big)
        .send()
        .unwrap()
        .status()
        .as_u16();
    assert_eq!(status, 413);
    // A label nobody has, 100 KB long: a clear refusal.
    let (status, body) = kiosk.post("/v1/tap", json!({ "label": "按钮".repeat(50_000) }));
    assert!((400..500).contains(&status), "{status} {body}");
    // Not JSON at all.
    let status = raw
        .post(format!("{}/v1/tap", kiosk.api))
        .header("content-type", "application/json")
        .body("{\"label\": \u{0}")
        .send()
        .unwrap()
        .status()
        .as_u16();
    assert!((400..500).contains(&status), "{status}");
    // Path tricks on the receipts: only numbers name a receipt.
    for path in [
        "/v1/sim/receipts/..%2F..%2F..%2Fetc%2Fpasswd/png",
        "/v1/sim/receipts/-1/png",
        "/v1/sim/receipts/99999999999999999999999/png",
        "/v1/sim/receipts/1%00/png",
    ] {
        let response = raw.get(format!("{}{path}", kiosk.api)).send().unwrap();
        let status = response.status().as_u16();
        let body = response.bytes().unwrap();
        assert!((400..500).contains(&status), "{path}: {status}");
        assert!(!body.windows(5).any(|w| w == b"root:"), "{path}");
    }
    // An ID card whose fields are nonsense: refused by the simulator's
    // card builder, not by a panic.
    let (status, _) = kiosk.post(
        "/v1/sim/idcard",
        json!({ "kind": "resident", "name": "\u{202e}X", "birth": "99999999",
                "id_number": "12345", "valid_from": "x", "valid_to": "y" }),
    );
    assert!(status < 500, "{status}");
    raw.delete(format!("{}/v1/sim/idcard", kiosk.api))
        .send()
        .unwrap();
    // Still serving, nothing panicked.
    kiosk.wait_for_screen("home");
    assert!(!kiosk.logs().contains("panicked"), "{}", kiosk.logs());
}

#[test]
fn crafted_e_voucher_strings_are_refused_and_never_reach_the_centre() {
    let kiosk = Kiosk::start("");
    kiosk.wait_for_screen("home");
    for code in [
        format!("ECV1-{}", "7".repeat(10_000)),
        "ECV1-7Q2M4K9T3W8R5Y1B6N0P2D4F\u{202e}".to_string(),
        "ECV1-7Q2M4K9\u{0007}T3W8R5Y1B6N0P2D4F".to_string(),
        "ECV1-7Q2M4K9T3W8R5Y1B6N0P2D4F'; DROP TABLE outbox;--".to_string(),
        "\u{feff}ECV1-7Q2M4K9T3W8R5Y1B6N0P2D4F".to_string(),
    ] {
        let (status, body) = kiosk.post("/v1/sim/scan", json!({ "text": code }));
        assert_eq!(status, 200, "{body}");
        // Refused with what to do (not a voucher, or a scan cut short).
        let error = kiosk.wait_for_screen("error");
        let said = texts(&error);
        assert!(
            said.contains("不是医保电子凭证") || said.contains("重新扫码"),
            "{:?}: {said}",
            code.chars().take(40).collect::<String>(),
        );
        kiosk.tap("返回首页");
        kiosk.wait_for_screen("home");
    }
    assert!(!kiosk.logs().contains("panicked"), "{}", kiosk.logs());
    // None of them became a credential: no enrollment query began.
    let metrics = String::from_utf8(kiosk.get_bytes("/metrics")).unwrap();
    assert!(
        !metrics.contains("journey=\"enrollment_query\""),
        "{metrics}"
    );
}

/// A resident ID card of 李秀兰 with `changes` applied to its fields.
fn forged_id_card(changes: serde_json::Value) -> serde_json::Value {
    let mut card = support::li_xiulan_card();
    for (k, v) in changes.as_object().unwrap() {
        card[k] = v.clone();
    }
    card
}

/// Places `card` (or a raw text block) and expects a refusal: the kiosk
/// neither shows an enrollment nor panics, tells the citizen what to do,
/// and serves the next citizen. Returns what the citizen was told, or
/// `None` when the simulator itself would not build such a card.
fn refused_id_card(kiosk: &Kiosk, card: serde_json::Value) -> Option<String> {
    let (status, _) = kiosk.post("/v1/sim/idcard", card);
    if status != 200 {
        return None;
    }
    let screen = kiosk.wait_until("a refusal of the forged card", |s| {
        s["screen"] == "error" || s["screen"] == "enrollment"
    });
    let said = texts(&screen);
    if screen["screen"] != "error" {
        kiosk.tap("返回首页");
        kiosk.remove_id_card_and_wait();
        kiosk.wait_for_screen("home");
        return Some(format!("ACCEPTED: {said}"));
    }
    kiosk.tap("返回首页");
    kiosk.remove_id_card_and_wait();
    kiosk.wait_for_screen("home");
    Some(said)
}

/// GA 467 frames and ID data that no genuine card carries: impossible
/// dates, a wrong GB 11643 check character, a number that does not match
/// the birth date, validity ending before it began, control characters in
/// the name, a kind flag no card has, and text blocks of noise. Every one
/// is refused with a message saying what to do; no panic; the same
/// kiosk then reads a genuine card.
#[test]
fn forged_id_cards_and_frames_are_refused() {
    let kiosk = Kiosk::start("");
    kiosk.wait_for_screen("home");
    let mut tried = 0;
    let mut refused = 0;
    let mut accepted = Vec::new();
    let forged = [
        json!({ "birth": "19851399" }),
        json!({ "birth": "20991231" }),
        json!({ "id_number": "220203198508232047" }),
        json!({ "id_number": "22020319850823204X" }),
        json!({ "id_number": "2202031985082320" }),
        json!({ "id_number": "220203198513232046" }),
        json!({ "valid_from": "20390311", "valid_to": "20190311" }),
        json!({ "valid_from": "20190231" }),
        json!({ "name": "李\u{0007}秀兰" }),
        json!({ "name": "李秀兰\u{202e}" }),
        json!({ "name": "" }),
        json!({ "sex": "9" }),
        json!({ "nation": 99 }),
    ];
    for changes in forged {
        tried += 1;
        let card = forged_id_card(changes.clone());
        match refused_id_card(&kiosk, card) {
            Some(said) => {
                refused += 1;
                if said.starts_with("ACCEPTED") {
                    accepted.push(changes.to_string());
                    continue;
                }
                assert!(
                    said.contains("身份证") || said.contains("证件") || said.contains("人工窗口"),
                    "{changes}: {said}"
                );
            }
            None => println!("not built by the simulator: {changes}"),
        }
    }
    // Raw 256-byte text blocks: noise, all 0xFF, a kind flag no card has.
    let mut kind_z = vec![0x20u8; 256];
    kind_z[248] = b'Z';
    kind_z[249] = 0;
    for text in [vec![0xFFu8; 256], (0..=255u8).collect::<Vec<u8>>(), kind_z] {
        tried += 1;
        let card = json!({ "text_hex": hex_of(&text) });
        if refused_id_card(&kiosk, card).is_some() {
            refused += 1;
        }
    }
    // Frames: line noise before the reply, a wrong checksum, a reply cut
    // short, no reply at all.
    for fault in [
        json!({ "noise_hex": "AAAAAA96690000FF", "only_command": 0x30, "once": true }),
        json!({ "corrupt_checksum": true, "only_command": 0x30, "once": true }),
        json!({ "truncate": 12, "only_command": 0x30, "once": true }),
        json!({ "no_reply": true, "only_command": 0x30, "once": true }),
    ] {
        tried += 1;
        let (status, _) = kiosk.post("/v1/sim/idcard/fault", fault.clone());
        assert_eq!(status, 200);
        let (status, _) = kiosk.post("/v1/sim/idcard", support::li_xiulan_card());
        assert_eq!(status, 200);
        let screen = kiosk.wait_until("the faulty read ends", |s| {
            s["screen"] == "error" || s["screen"] == "enrollment"
        });
        // Noise before a good reply may be skipped by the decoder (it
        // looks for the preamble): then the read is right, which is fine.
        if screen["screen"] == "error" {
            refused += 1;
            kiosk.tap("返回首页");
        }
        kiosk.remove_id_card_and_wait();
        kiosk.wait_for_screen("home");
    }
    assert!(accepted.is_empty(), "forged cards accepted: {accepted:#?}");
    println!("forged ID cards and frames: {tried} tried, {refused} refused, 0 panics");
    assert!(refused >= tried - 2, "{refused} of {tried} refused");
    assert!(!kiosk.logs().contains("panicked"), "{}", kiosk.logs());
    // The same kiosk reads a genuine card.
    kiosk.place_id_card(support::li_xiulan_card());
    kiosk.wait_for_screen("enrollment");
    assert!(!kiosk.logs().contains("李秀兰"), "{}", kiosk.logs());
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

/// TLV record `tag` holding `value` with the declared length `len`.
fn record(tag: u8, len: u8, value: &[u8]) -> String {
    let mut bytes = vec![tag, len];
    bytes.extend_from_slice(value);
    hex_of(&bytes)
}

/// A raw social security card: ATR, EF05 and EF06 records (hex).
fn raw_ss_card(ef05: &[(&str, String)], ef06: &[(&str, String)]) -> serde_json::Value {
    let map = |records: &[(&str, String)]| {
        records
            .iter()
            .map(|(k, v)| (k.to_string(), serde_json::Value::String(v.clone())))
            .collect::<serde_json::Map<_, _>>()
    };
    json!({
        "atr_hex": "3B6C00008065088601011506 01".replace(' ', ""),
        "ef05": map(ef05),
        "ef06": map(ef06),
    })
}

/// SSSE answers with wrong lengths and contents: a record shorter or
/// longer than its declared length, an empty identification code, a name
/// that is not GBK, a social security number of letters, an ATR of one
/// byte. Each read ends in a message to insert the card again or go to
/// the counter; no panic; the kiosk then reads the demo card.
#[test]
fn social_security_cards_with_wrong_lengths_are_refused() {
    let kiosk = Kiosk::start("");
    kiosk.wait_for_screen("home");
    let sn = record(0x01, 0x10, b"K22010000012345A");
    let number = record(0x07, 0x09, b"A00000001");
    let ss = record(0x08, 0x12, b"220203198508232046");
    // 李秀兰 in GBK, space padded to 30 bytes.
    let mut name = vec![0xC0, 0xEE, 0xD0, 0xE3, 0xC0, 0xBC];
    name.resize(30, b' ');
    let name_ok = record(0x09, 0x1E, &name);
    let cards = [
        // The number declared 18 bytes long, 5 there.
        raw_ss_card(
            &[("01", sn.clone()), ("07", number.clone())],
            &[
                ("08", record(0x08, 0x12, b"22020")),
                ("09", name_ok.clone()),
            ],
        ),
        // 48 bytes where 18 belong.
        raw_ss_card(
            &[("01", sn.clone()), ("07", number.clone())],
            &[
                ("08", record(0x08, 0x30, &[b'9'; 48])),
                ("09", name_ok.clone()),
            ],
        ),
        // An empty identification code.
        raw_ss_card(
            &[("01", record(0x01, 0, b"")), ("07", number.clone())],
            &[("08", ss.clone()), ("09", name_ok.clone())],
        ),
        // A name that is not GBK text.
        raw_ss_card(
            &[("01", sn.clone()), ("07", number.clone())],
            &[("08", ss.clone()), ("09", record(0x09, 0x1E, &[0xFF; 30]))],
        ),
        // Letters for the social security number; sex and nation absurd.
        raw_ss_card(
            &[("01", sn.clone()), ("07", number.clone())],
            &[
                ("08", record(0x08, 0x12, b"ABCDEFGHIJKLMNOPQR")),
                ("09", name_ok.clone()),
                ("0A", record(0x0A, 0x01, b"Z")),
                ("0B", record(0x0B, 0x01, &[0xFF])),
            ],
        ),
        // Records missing altogether.
        raw_ss_card(&[], &[]),
    ];
    let mut tried = 0;
    for card in cards {
        tried += 1;
        let (status, body) = kiosk.post("/v1/sim/sscard", card);
        assert_eq!(status, 200, "{body}");
        let screen = kiosk.wait_until("the forged card's read ends", |s| {
            s["screen"] == "error" || s["screen"] == "enrollment"
        });
        assert_eq!(screen["screen"], "error", "accepted: {screen}");
        let said = texts(&screen);
        assert!(
            said.contains("社保卡") || said.contains("卡片") || said.contains("人工窗口"),
            "{said}"
        );
        kiosk.tap("返回首页");
        kiosk.delete("/v1/sim/sscard");
        kiosk.wait_for_screen("home");
    }
    // Wrong lengths at the CCID level: a reply of a header only.
    let (status, _) = kiosk.post(
        "/v1/sim/sscard/fault",
        json!({ "short_header": true, "only_message": 0x6F, "once": true }),
    );
    assert_eq!(status, 200);
    tried += 1;
    let (status, _) = kiosk.post("/v1/sim/sscard", json!({}));
    assert_eq!(status, 200);
    let screen = kiosk.wait_until("the short reply's read ends", |s| {
        s["screen"] == "error" || s["screen"] == "enrollment"
    });
    if screen["screen"] == "error" {
        kiosk.tap("返回首页");
    }
    kiosk.delete("/v1/sim/sscard");
    kiosk.wait_for_screen("home");
    println!("forged social security cards: {tried} tried, 0 panics");
    assert!(!kiosk.logs().contains("panicked"), "{}", kiosk.logs());
    // The demo card of 王建国 still reads.
    let (status, _) = kiosk.post("/v1/sim/sscard", json!({}));
    assert_eq!(status, 200);
    kiosk.wait_for_screen("enrollment");
}

/// Configuration files with hostile values: absurd numbers, wrong types,
/// a 4 MB file, control characters, paths that climb out, a URL with no
/// host. The kiosk refuses to start with a line saying what is wrong (exit
/// code non-zero), never panics, and writes no store.
#[test]
fn hostile_configuration_files_are_refused_at_start() {
    let cases = [
        "[central]\ntimeout_ms = -5\n",
        "[central]\ntimeout_ms = 99999999999999999999\n",
        "[central]\nurl = \"http://\"\n",
        "[central]\nurl = \"file:///etc/passwd\"\n",
        "[terminal]\nid = \"K2201\\u0007A001\"\n",
        "[terminal]\nid = 42\n",
        "[store]\nconfig_interval_s = \"soon\"\n",
        "[devices]\nprinter = \"tcp://999.1.1.1:99999\"\n",
        "[[[[\n",
        "\u{0}\u{0}\u{0}",
    ];
    let mut tried = 0;
    let mut accepted = Vec::new();
    for case in cases.iter().map(|c| c.to_string()).chain([format!(
        "[terminal]\nhall_name = \"{}\"\n",
        "大".repeat(1_400_000)
    )]) {
        tried += 1;
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("kiosk.toml"),
            format!("{case}\n[simulation]\nenabled = true\n"),
        )
        .unwrap();
        let out = support::run_cli(dir.path(), &["doctor"]);
        let said = format!("{}{}", out.stdout, out.stderr);
        assert!(!said.contains("panicked"), "{case:.80}: {said}");
        if out.code == Some(0) {
            accepted.push(case.chars().take(80).collect::<String>());
        }
        assert!(!said.trim().is_empty(), "{case:.80}: nothing said");
    }
    assert!(
        accepted.is_empty(),
        "hostile configurations accepted: {accepted:#?}"
    );
    println!("hostile configuration files: {tried} tried, all refused, 0 panics");
}

//! The journey with each of the three credentials, end to end through the
//! real `kiosk` binary in simulation mode: the social security card in the
//! simulated CCID reader, e-voucher QR codes on the simulated scanner (a
//! pty), and the ID card (see journey.rs); plus device faults, recovery
//! without a restart, and the technicians' field tools.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::process::Command;

use serde_json::{Value, json};
use support::{Kiosk, texts};

const WANG_TOKEN: &str = "ECV1-7Q2M4K9T3W8R5Y1B6N0P2D4F";
const ZHANG_EXPIRED_TOKEN: &str = "ECV1-EXPIRED-3B7N1Q5W9E2R6T";

fn insert_ss_card(kiosk: &Kiosk, card: Value) {
    let (status, body) = kiosk.post("/v1/sim/sscard", card);
    assert_eq!(status, 200, "insert card: {body}");
}

fn pull_ss_card(kiosk: &Kiosk) {
    kiosk.delete("/v1/sim/sscard");
}

fn ss_fault(kiosk: &Kiosk, fault: Value) {
    let (status, body) = kiosk.post("/v1/sim/sscard/fault", fault);
    assert_eq!(status, 200, "fault: {body}");
}

fn scan(kiosk: &Kiosk, text: &str) {
    let (status, body) = kiosk.post("/v1/sim/scan", json!({ "text": text }));
    assert_eq!(status, 200, "scan: {body}");
}

/// 王建国's card as fields (data/demo/people.toml).
fn wang_card() -> Value {
    json!({
        "card_number": "220100001", "card_sn": "220100D156000005",
        "ss_number": "220102196205141234", "name": "王建国", "sex": "1",
        "birth_date": "19620514", "issue_date": "20150601", "expiry_date": "20350601"
    })
}

fn assert_wang_enrollment(screen: &Value) {
    let shown = texts(screen);
    for expected in [
        "王建国",
        "职工基本医疗保险",
        "正常参保",
        "长春市",
        "¥12,680.50",
    ] {
        assert!(
            shown.contains(expected),
            "{expected:?} not on screen:\n{shown}"
        );
    }
    assert!(!shown.contains("220102196205141234"));
}

fn assert_no_personal_data_logged(kiosk: &Kiosk) {
    let logs = kiosk.logs();
    for secret in [
        "王建国",
        "220102196205141234",
        "220100001",
        "220100D156000005",
        WANG_TOKEN,
        ZHANG_EXPIRED_TOKEN,
        "张德福",
    ] {
        assert!(
            !logs.contains(secret),
            "{secret:?} leaked into the log:\n{logs}"
        );
    }
}

#[test]
fn social_security_card_to_enrollment_slip_and_removal() {
    let kiosk = Kiosk::start("");
    kiosk.wait_for_screen("home");
    insert_ss_card(&kiosk, wang_card());
    let enrollment = kiosk.wait_for_screen("enrollment");
    assert_wang_enrollment(&enrollment);

    kiosk.tap("打印业务办理单");
    kiosk.wait_for_screen("printed");
    let receipts = kiosk.wait_for_receipts(1);
    assert!(receipts[0]["text"].as_str().unwrap().contains("王建国"));

    // Pulling the card ends the session and clears the screen.
    pull_ss_card(&kiosk);
    let home = kiosk.wait_for_screen("home");
    assert!(!texts(&home).contains("王建国"));

    // The demo card (empty body) is the same person, given byte for byte.
    insert_ss_card(&kiosk, Value::Null);
    kiosk.wait_for_screen("enrollment");
    pull_ss_card(&kiosk);
    kiosk.wait_for_screen("home");

    // A card given at byte level: ATR + raw TLV records.
    // 王建国 in GBK: CD F5 BD A8 B9 FA, space padded to 30 bytes.
    let mut name_value = vec![0xCD, 0xF5, 0xBD, 0xA8, 0xB9, 0xFA];
    name_value.resize(30, b' ');
    let raw = json!({
        "atr_hex": "3B6C0000806508860101150601",
        "ef05": {
            "01": format!("0110{}", hex::encode("220100D156000005")),
            "07": format!("0709{}", hex::encode("220100001")),
        },
        "ef06": {
            "08": format!("0812{}", hex::encode("220102196205141234")),
            "09": format!("091E{}", hex::encode(&name_value)),
        },
    });
    insert_ss_card(&kiosk, raw);
    kiosk.wait_for_screen("enrollment");
    pull_ss_card(&kiosk);
    kiosk.wait_for_screen("home");

    let logs = kiosk.logs();
    assert!(logs.contains("social security card read"), "{logs}");
    assert!(logs.contains("social security card removed"), "{logs}");
    assert_no_personal_data_logged(&kiosk);
}

#[test]
fn e_voucher_valid_expired_and_not_a_voucher() {
    let kiosk = Kiosk::start("");
    kiosk.wait_for_screen("home");

    scan(&kiosk, WANG_TOKEN);
    let enrollment = kiosk.wait_for_screen("enrollment");
    assert_wang_enrollment(&enrollment);
    kiosk.tap("返回首页");
    // The query was a transaction: it is rated first (skippable).
    kiosk.wait_for_screen("rate");
    kiosk.tap("跳过");
    kiosk.wait_for_screen("home");

    // 张德福's e-voucher has expired: the citizen is told to refresh it.
    scan(&kiosk, ZHANG_EXPIRED_TOKEN);
    let error = kiosk.wait_for_screen("error");
    let message = texts(&error);
    assert!(message.contains("过期"), "{message}");
    assert!(message.contains("刷新"), "{message}");
    kiosk.tap("返回首页");
    kiosk.wait_for_screen("home");

    // Codes that are not e-vouchers never reach the central service.
    for (code, expected) in [
        ("https://example.com/pay?order=42", "网址"),
        ("6901234567892", "商品条码"),
        ("HELLO-THIS-IS-NOT-A-VOUCHER", "不是医保电子凭证"),
    ] {
        scan(&kiosk, code);
        let error = kiosk.wait_for_screen("error");
        assert!(
            texts(&error).contains(expected),
            "{code}: {}",
            texts(&error)
        );
        kiosk.tap("返回首页");
        kiosk.wait_for_screen("home");
    }

    // A partial read (no terminator, the rest never comes) is reported.
    let (status, _) = kiosk.post(
        "/v1/sim/scan",
        json!({ "text": "ECV1-7Q2M", "terminator": "none" }),
    );
    assert_eq!(status, 200);
    let error = kiosk.wait_for_screen("error");
    assert!(texts(&error).contains("扫码不完整"), "{}", texts(&error));
    kiosk.tap("返回首页");
    kiosk.wait_for_screen("home");

    // A scanner that repeats the code while the phone is held, with CR LF:
    // one query only.
    let before = kiosk.logs().matches("e-voucher scanned").count();
    let (status, _) = kiosk.post(
        "/v1/sim/scan",
        json!({ "text": "ECV1-5H8J2L6V9C3X7Z1A4S0G8K2M", "terminator": "crlf", "repeats": 3 }),
    );
    assert_eq!(status, 200);
    let enrollment = kiosk.wait_for_screen("enrollment");
    assert!(texts(&enrollment).contains("李秀兰"));
    kiosk.wait_for_log("person query answered", 2);
    assert_eq!(
        kiosk.logs().matches("e-voucher scanned").count(),
        before + 1,
        "repeats were debounced"
    );
    assert_no_personal_data_logged(&kiosk);
    assert!(!kiosk.logs().contains("ECV1-5H8J2L6V9C3X7Z1A4S0G8K2M"));
}

#[test]
fn social_security_card_faults_are_explained_and_recovered() {
    let kiosk = Kiosk::start("");
    kiosk.wait_for_screen("home");

    // Protocol faults on a read: a clear message, then re-insert works.
    for fault in [
        json!({ "wrong_seq": true, "only_message": 0x6F, "once": true }),
        json!({ "short_header": true, "only_message": 0x6F, "once": true }),
        json!({ "time_extensions": 200, "only_message": 0x6F, "once": true }),
    ] {
        ss_fault(&kiosk, fault.clone());
        insert_ss_card(&kiosk, wang_card());
        let error = kiosk.wait_for_screen("error");
        assert!(
            texts(&error).contains("重新插入"),
            "{fault}: {}",
            texts(&error)
        );
        pull_ss_card(&kiosk);
        kiosk.wait_for_screen("home");
    }

    // Card pulled in the middle of the read.
    ss_fault(
        &kiosk,
        json!({ "pull_card_after_apdus": 3, "only_message": 0x6F, "once": true }),
    );
    insert_ss_card(&kiosk, wang_card());
    let error = kiosk.wait_for_screen("error");
    assert!(
        texts(&error).contains("读取完成前不要拔出"),
        "{}",
        texts(&error)
    );
    kiosk.tap("返回首页");
    kiosk.wait_for_screen("home");

    // A card whose name needs the reader's PSAM.
    let mut card = wang_card();
    card["psam_protected"] = json!(["09"]);
    insert_ss_card(&kiosk, card);
    let error = kiosk.wait_for_screen("error");
    assert!(texts(&error).contains("安全模块"), "{}", texts(&error));
    pull_ss_card(&kiosk);
    kiosk.wait_for_screen("home");

    // Reader unplugged, card inserted meanwhile, reader plugged back in:
    // picked up without restarting the kiosk.
    ss_fault(&kiosk, json!({ "unplugged": true }));
    kiosk.wait_for_log("social security card reader lost", 1);
    insert_ss_card(&kiosk, wang_card());
    ss_fault(&kiosk, json!({ "unplugged": false }));
    let enrollment = kiosk.wait_for_screen("enrollment");
    assert_wang_enrollment(&enrollment);
    pull_ss_card(&kiosk);
    kiosk.wait_for_screen("home");
    assert_no_personal_data_logged(&kiosk);
}

fn kiosk_tool(args: &[&str], config: Option<&std::path::Path>) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kiosk"));
    if let Some(config) = config {
        cmd.arg("--config").arg(config);
    }
    cmd.args(args).env("KIOSK_LOG", "warn");
    cmd.output().expect("run kiosk")
}

#[test]
fn field_tools_read_card_read_id_scan_and_doctor() {
    let dir = tempfile::tempdir().unwrap();

    // read-card on a card image file.
    let image = dir.path().join("card.json");
    std::fs::write(&image, wang_card().to_string()).unwrap();
    let out = kiosk_tool(
        &[
            "read-card",
            "--sim-image",
            image.to_str().unwrap(),
            "--json",
        ],
        None,
    );
    assert!(out.status.success(), "{out:?}");
    let record: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(record["card_number"], "220100001");
    assert_eq!(record["card_sn"], "220100D156000005");
    assert_eq!(record["name"], "王建国");
    assert_eq!(record["birth_date"], "1962-05-14");

    // A broken image: a clear error and a non-zero exit.
    std::fs::write(&image, "{\"card_number\": 1}").unwrap();
    let out = kiosk_tool(
        &[
            "read-card",
            "--sim-image",
            image.to_str().unwrap(),
            "--json",
        ],
        None,
    );
    assert!(!out.status.success());
    let failure: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(failure["ok"], false);

    // read-id against the ID card reader simulator on a pty.
    let slot = kiosk_sim::idcard::CardSlot::with_card(kiosk_sim::idcard::SimCard::demo());
    let sim = kiosk_sim::idcard::IdReaderSim::spawn(slot.clone(), None).unwrap();
    let port = sim.path().display().to_string();
    let out = kiosk_tool(&["read-id", "--port", &port, "--json"], None);
    assert!(out.status.success(), "{out:?}");
    let record: Value = serde_json::from_slice(&out.stdout).unwrap();
    for field in [
        "kind",
        "name",
        "sex",
        "nation",
        "birth",
        "address",
        "id_number",
        "issuer",
        "valid_from",
        "valid_to",
    ] {
        assert!(record.get(field).is_some(), "{field} missing: {record}");
    }
    slot.remove();
    let out = kiosk_tool(&["read-id", "--port", &port, "--wait", "1", "--json"], None);
    assert!(!out.status.success());
    let failure: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(failure["message"].as_str().unwrap().contains("未检测到"));

    // scan against the scanner simulator.
    let scanner = kiosk_sim::scanner::ScannerSim::spawn(None).unwrap();
    scanner.scan(WANG_TOKEN).unwrap();
    scanner.scan("https://example.com/").unwrap();
    let port = scanner.path().display().to_string();
    let out = kiosk_tool(
        &["scan", "--port", &port, "--count", "2", "--seconds", "10"],
        None,
    );
    assert!(out.status.success(), "{out:?}");
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(
        printed.contains(&format!("e-voucher\t{WANG_TOKEN}")),
        "{printed}"
    );
    assert!(printed.contains("rejected (code is a URL)"), "{printed}");

    // doctor: everything simulated is fine; a configured port that is not
    // there fails with a non-zero exit.
    let out = kiosk_tool(&["doctor", "--json"], None);
    assert!(out.status.success(), "{out:?}");
    let config = dir.path().join("kiosk.toml");
    std::fs::write(
        &config,
        "[devices]\nscanner = \"/dev/does-not-exist-scanner\"\n",
    )
    .unwrap();
    let out = kiosk_tool(&["doctor", "--json"], Some(&config));
    assert!(!out.status.success());
    let reports: Value = serde_json::from_slice(&out.stdout).unwrap();
    let scanner_report = reports
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["device"] == "qr_scanner")
        .unwrap();
    assert_eq!(scanner_report["state"], "failed");
}

/// With the reader's PSAM configured (`ss_card_psam = "slot:1"`; the
/// simulated reader has a PSAM with the test keys in slot 1), a card is
/// only read after terminal authentication (docs/psam.md): a genuine card
/// with protected records is shown; a forged card, a card pulled during
/// the authentication and a missing PSAM each give their own message and
/// never a person.
#[test]
fn social_security_card_with_the_readers_psam() {
    let kiosk = Kiosk::start("[devices]\nss_card_psam = \"slot:1\"\n");
    kiosk.wait_for_screen("home");

    // Genuine card, the number and the name protected: read after
    // authentication.
    let mut card = wang_card();
    card["psam_protected"] = json!(["08", "09"]);
    insert_ss_card(&kiosk, card.clone());
    assert_wang_enrollment(&kiosk.wait_for_screen("enrollment"));
    pull_ss_card(&kiosk);
    kiosk.wait_for_screen("home");

    // A forged card (keys of another issuer): refused, nobody shown.
    let mut forged = wang_card();
    forged["foreign_keys"] = json!(true);
    insert_ss_card(&kiosk, forged);
    let error = kiosk.wait_for_screen("error");
    let shown = texts(&error);
    assert!(shown.contains("未通过安全校验"), "{shown}");
    assert!(!shown.contains("王建国"), "{shown}");
    pull_ss_card(&kiosk);
    kiosk.wait_for_screen("home");

    // Pulled during the authentication (after SELECT and the
    // identification code).
    ss_fault(
        &kiosk,
        json!({ "pull_card_after_apdus": 3, "only_message": 0x6F, "once": true }),
    );
    insert_ss_card(&kiosk, card.clone());
    let error = kiosk.wait_for_screen("error");
    let shown = texts(&error);
    assert!(shown.contains("读取完成前不要拔出"), "{shown}");
    assert!(!shown.contains("王建国"), "{shown}");
    kiosk.tap("返回首页");
    kiosk.wait_for_screen("home");

    // The PSAM taken out of its slot: the reader's security module is
    // named, nobody shown; put back, cards read again.
    ss_fault(&kiosk, json!({ "psam_present": false }));
    insert_ss_card(&kiosk, card.clone());
    let error = kiosk.wait_for_screen("error");
    let shown = texts(&error);
    assert!(shown.contains("安全模块"), "{shown}");
    assert!(!shown.contains("王建国"), "{shown}");
    pull_ss_card(&kiosk);
    kiosk.wait_for_screen("home");
    ss_fault(&kiosk, json!({ "psam_present": true }));
    insert_ss_card(&kiosk, card);
    assert_wang_enrollment(&kiosk.wait_for_screen("enrollment"));
    pull_ss_card(&kiosk);
    kiosk.wait_for_screen("home");
    assert_no_personal_data_logged(&kiosk);
}

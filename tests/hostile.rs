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

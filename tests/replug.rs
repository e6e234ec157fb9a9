//! Issue 3, "recovery without restarting the kiosk": the simulated ID card
//! reader and QR scanner are unplugged through the automation API (their
//! serial port disappears) and plugged back in (a new pty behind the same
//! path); the running `kiosk` binary notices, says so once in its log and
//! health table, and picks the device up again by itself.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use serde_json::json;
use support::{Kiosk, li_xiulan_card, texts};

/// 王建国's demo e-voucher (data/demo/people.toml).
const WANG_TOKEN: &str = "ECV1-7Q2M4K9T3W8R5Y1B6N0P2D4F";

fn id_reader_plugged(kiosk: &Kiosk, plugged: bool) {
    let (status, body) = kiosk.post("/v1/sim/idcard/fault", json!({ "unplugged": !plugged }));
    assert_eq!(status, 200, "id reader plugged={plugged}: {body}");
}

fn scanner_plugged(kiosk: &Kiosk, plugged: bool) {
    let (status, body) = kiosk.post("/v1/sim/scanner/fault", json!({ "unplugged": !plugged }));
    assert_eq!(status, 200, "scanner plugged={plugged}: {body}");
}

fn assert_no_personal_data_logged(kiosk: &Kiosk) {
    let logs = kiosk.logs();
    for secret in [
        "李秀兰",
        "220203198508232046",
        "220203********2046",
        "遵义东路",
        "王建国",
        WANG_TOKEN,
    ] {
        assert!(
            !logs.contains(secret),
            "{secret:?} leaked into the log:\n{logs}"
        );
    }
}

#[test]
fn id_card_reader_unplugged_and_replugged_is_picked_up_without_restart() {
    let kiosk = Kiosk::start("");
    kiosk.wait_for_screen("home");
    kiosk.wait_for_device("id_card_reader", "ok");

    // Unplugged while nobody is at the kiosk: logged and in the health
    // table, but the home screen is left alone.
    id_reader_plugged(&kiosk, false);
    let entry = kiosk.wait_for_device("id_card_reader", "disconnected");
    assert!(
        entry["detail"].as_str().unwrap().contains("disconnected"),
        "{entry}"
    );
    kiosk.wait_for_log("ID card reader lost", 1);
    assert_eq!(kiosk.screen()["screen"], "home");

    // Plugged back in: the same configured path works again.
    id_reader_plugged(&kiosk, true);
    let entry = kiosk.wait_for_device("id_card_reader", "ok");
    assert_eq!(entry["losses"], 1, "{entry}");
    kiosk.place_id_card(li_xiulan_card());
    let enrollment = kiosk.wait_for_screen("enrollment");
    assert!(texts(&enrollment).contains("李秀兰"));

    // Unplugged while the citizen is using it: they are told once what
    // happened and what to do, and their data leaves the screen.
    id_reader_plugged(&kiosk, false);
    let error = kiosk.wait_for_screen("error");
    let message = texts(&error);
    assert!(message.contains("身份证读卡器连接中断"), "{message}");
    assert!(message.contains("社保卡或医保电子凭证"), "{message}");
    assert!(!message.contains("李秀兰"), "{message}");
    // The card is still on the reader: plugging it back in reads it again.
    id_reader_plugged(&kiosk, true);
    let enrollment = kiosk.wait_for_screen("enrollment");
    assert!(texts(&enrollment).contains("李秀兰"));
    kiosk.remove_id_card();
    kiosk.wait_for_screen("home");

    // Each loss is logged once; the reopen attempts in between are not.
    let logs = kiosk.logs();
    assert_eq!(logs.matches("ID card reader lost").count(), 2, "{logs}");
    assert!(!logs.contains("ID card reader cannot be opened"), "{logs}");
    assert_no_personal_data_logged(&kiosk);
}

#[test]
fn qr_scanner_unplugged_and_replugged_is_picked_up_without_restart() {
    let kiosk = Kiosk::start("");
    kiosk.wait_for_screen("home");
    kiosk.wait_for_device("qr_scanner", "ok");

    scanner_plugged(&kiosk, false);
    kiosk.wait_for_device("qr_scanner", "disconnected");
    kiosk.wait_for_log("QR scanner lost", 1);
    assert_eq!(kiosk.screen()["screen"], "home");
    // Nothing reaches an unplugged scanner.
    let (status, body) = kiosk.post("/v1/sim/scan", json!({ "text": WANG_TOKEN }));
    assert_eq!(status, 503, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("unplugged"),
        "{body}"
    );

    scanner_plugged(&kiosk, true);
    let entry = kiosk.wait_for_device("qr_scanner", "ok");
    assert_eq!(entry["losses"], 1, "{entry}");
    let (status, body) = kiosk.post("/v1/sim/scan", json!({ "text": WANG_TOKEN }));
    assert_eq!(status, 200, "{body}");
    let enrollment = kiosk.wait_for_screen("enrollment");
    assert!(texts(&enrollment).contains("王建国"));

    let logs = kiosk.logs();
    assert_eq!(logs.matches("QR scanner lost").count(), 1, "{logs}");
    assert!(!logs.contains("QR scanner cannot be opened"), "{logs}");
    assert_no_personal_data_logged(&kiosk);
}

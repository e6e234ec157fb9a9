//! The walking skeleton's journey, end to end, through the real `kiosk`
//! binary in simulation mode: an ID card placed on the simulated GA 467
//! reader (a pty), the session querying the built-in central service (9001,
//! 1101, KS01 over HTTP on loopback), the enrollment on screen, the business
//! slip printed on the simulated ESC/POS printer (TCP), the card removed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use serde_json::json;
use support::{Kiosk, li_xiulan_card, stranger_card, texts};

#[test]
fn id_card_to_enrollment_to_slip_and_back_home() {
    let kiosk = Kiosk::start("");
    let home = kiosk.wait_for_screen("home");
    assert!(texts(&home).contains("请出示以下任一凭证"));

    kiosk.place_id_card(li_xiulan_card());
    let enrollment = kiosk.wait_for_screen("enrollment");
    let shown = texts(&enrollment);
    for expected in [
        "李秀兰",
        "220203********2046",
        "职工基本医疗保险",
        "正常参保",
        "吉林市",
        "吉林市松江化工有限公司",
        "¥3,521.40",
        "219 个月",
        "生育保险",
    ] {
        assert!(
            shown.contains(expected),
            "{expected:?} not on screen:\n{shown}"
        );
    }
    assert!(
        !shown.contains("220203198508232046"),
        "the full ID number must be masked by default"
    );

    // The screenshot is a real PNG of the portrait screen.
    let png = kiosk.get_bytes("/v1/screenshot");
    let decoder = png::Decoder::new(std::io::Cursor::new(png));
    let reader = decoder.read_info().unwrap();
    assert_eq!((reader.info().width, reader.info().height), (1080, 1920));

    kiosk.tap("打印业务办理单");
    let printed = kiosk.wait_for_screen("printed");
    assert!(texts(&printed).contains("请取回您的身份证件"));
    let receipts = kiosk.wait_for_receipts(1);
    let slip = receipts[0]["text"].as_str().unwrap();
    for expected in [
        "医疗保障业务办理单",
        "参保信息查询",
        "李秀兰",
        "220203********2046",
        "职工基本医疗保险",
        "正常参保",
        "2008-07-01",
        "3,521.40元",
        "219个月",
    ] {
        assert!(
            slip.contains(expected),
            "{expected:?} not on the slip:\n{slip}"
        );
    }
    assert!(!slip.contains("220203198508232046"));
    let paper = kiosk.get_bytes(receipts[0]["png"].as_str().unwrap());
    let reader = png::Decoder::new(std::io::Cursor::new(paper))
        .read_info()
        .unwrap();
    assert_eq!(reader.info().width, 384, "58 mm paper is 384 dots wide");

    kiosk.remove_id_card();
    let home = kiosk.wait_for_screen("home");
    let after = texts(&home);
    assert!(!after.contains("李秀兰") && !after.contains("2046"));

    // No personal data in the log of the whole journey.
    let logs = kiosk.logs();
    assert!(
        logs.contains("person query answered"),
        "journey not logged:\n{logs}"
    );
    for secret in [
        "李秀兰",
        "220203198508232046",
        "220203********2046",
        "遵义东路",
        "吉林市松江化工",
    ] {
        assert!(
            !logs.contains(secret),
            "{secret:?} leaked into the log:\n{logs}"
        );
    }
}

#[test]
fn bad_input_on_the_path_gives_a_clear_chinese_message() {
    let kiosk = Kiosk::start("");
    kiosk.wait_for_screen("home");

    // An ID number whose check digit is wrong.
    let mut card = li_xiulan_card();
    card["id_number"] = json!("220203198508232047");
    kiosk.place_id_card(card);
    let error = kiosk.wait_for_screen("error");
    assert!(texts(&error).contains("校验不通过"), "{}", texts(&error));
    kiosk.remove_id_card_and_wait();
    kiosk.wait_for_screen("home");

    // A person the central service does not know.
    kiosk.place_id_card(stranger_card());
    let error = kiosk.wait_for_screen("error");
    assert!(
        texts(&error).contains("未查询到您的参保信息"),
        "{}",
        texts(&error)
    );
    // Ending the session with the card still on the reader asks to take it.
    kiosk.tap("返回首页");
    kiosk.wait_for_screen("take-card");
    kiosk.remove_id_card_and_wait();
    kiosk.wait_for_screen("home");

    // A read answered with a wrong checksum, then with a truncated frame.
    for fault in [
        json!({ "corrupt_checksum": true, "only_command": 0x30, "once": true }),
        json!({ "truncate": 40, "only_command": 0x30, "once": true }),
    ] {
        let (status, _) = kiosk.post("/v1/sim/idcard/fault", fault);
        assert_eq!(status, 200);
        kiosk.place_id_card(li_xiulan_card());
        let error = kiosk.wait_for_screen("error");
        assert!(
            texts(&error).contains("重新放"),
            "the message says to place the card again: {}",
            texts(&error)
        );
        kiosk.remove_id_card_and_wait();
        kiosk.wait_for_screen("home");
    }

    // After the faults, the same card reads fine.
    kiosk.place_id_card(li_xiulan_card());
    kiosk.wait_for_screen("enrollment");
}

#[test]
fn central_service_down_is_explained() {
    // Nothing listens on port 9 of loopback (discard, never served here).
    let kiosk = Kiosk::start("[central]\nurl = \"http://127.0.0.1:9\"\ntimeout_ms = 2000\n");
    kiosk.wait_for_screen("home");
    kiosk.place_id_card(li_xiulan_card());
    let error = kiosk.wait_for_screen("error");
    let message = texts(&error);
    assert!(message.contains("暂时无法连接医保中心"), "{message}");
    assert!(message.contains("人工窗口"), "{message}");
}

#[test]
fn automation_api_requires_the_configured_token() {
    let kiosk = Kiosk::start("[automation]\ntoken = \"s3cret\"\n");
    kiosk_sync::link::install_crypto_provider();
    let http = reqwest::blocking::Client::new();
    let url = format!("{}/v1/screen", kiosk.api);
    let without = http.get(&url).send().unwrap();
    assert_eq!(without.status().as_u16(), 401);
    let wrong = http.get(&url).bearer_auth("guess").send().unwrap();
    assert_eq!(wrong.status().as_u16(), 401);
    let with = http.get(&url).bearer_auth("s3cret").send().unwrap();
    assert_eq!(with.status().as_u16(), 200);
}

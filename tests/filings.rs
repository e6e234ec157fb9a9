//! Remote-care filing rules of the seed catalogues (issue 19), end to end
//! through the real `kiosk` binary in simulation mode: the temporary trip
//! with its own dates, dated filings that ended by themselves, referral
//! filings shown read-only and printed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use serde_json::{Value, json};
use support::{Kiosk, actions, li_xiulan_card, texts};

/// The resident ID card of 张德福 (data/demo/people.toml): a hospital's
/// referral filing and a temporary trip that ended on 2026-08-31.
fn zhang_defu_card() -> Value {
    json!({
        "kind": "resident", "name": "张德福", "sex": "1", "nation": 10,
        "birth": "19520311", "address": "吉林省长春市朝阳区西安大路808号",
        "id_number": "220104195203110010", "issuer": "长春市公安局朝阳分局",
        "valid_from": "20100120", "valid_to": "长期"
    })
}

/// From the enrollment screen to 我的备案; the list screen.
fn open_my_filings(kiosk: &Kiosk) -> Value {
    kiosk.tap("更多查询与办理");
    kiosk.tap("异地就医备案");
    kiosk.wait_for_screen("filing-category");
    kiosk.tap("我的备案");
    kiosk.wait_for_screen("filings")
}

/// Seed 000 E2–E4 8.1 (a dated filing not extended ends by itself) and
/// seed 001 #15 / 000b E1 (referral filings: query and print only).
#[test]
fn seed_000_8_1_expired_and_001_15_referral_filings_are_shown_read_only_and_printed() {
    let kiosk = Kiosk::start("");
    kiosk.wait_for_screen("home");
    kiosk.place_id_card(zhang_defu_card());
    kiosk.wait_for_screen("enrollment");
    let list = open_my_filings(&kiosk);
    let shown = texts(&list);
    for expected in [
        "BA20261115000005",
        "异地转诊人员",
        "由办理转诊的定点医疗机构备案，本机只能查看和打印。",
        "BA20260301000006",
        "跨省临时外出就医人员",
        "至 2026-08-31",
        "已到期终止",
    ] {
        assert!(shown.contains(expected), "{expected:?} not in:\n{shown}");
    }
    // Neither can be changed, extended or cancelled; both can be printed.
    let labels = actions(&list);
    for absent in ["变更", "延期", "取消备案"] {
        assert!(!labels.contains(&absent.to_string()), "{labels:?}");
    }
    assert_eq!(
        labels.iter().filter(|l| *l == "打印备案信息").count(),
        2,
        "{labels:?}"
    );
    // The first card is the referral (newest first).
    kiosk.tap("打印备案信息");
    kiosk.wait_for_screen("printed");
    let receipts = kiosk.wait_for_receipts(1);
    let paper = receipts[0]["text"].as_str().unwrap();
    for expected in [
        "异地就医备案信息单",
        "BA20261115000005",
        "异地转诊人员",
        "北京市",
        "备案状态：有效",
        "220104********0010",
    ] {
        assert!(
            paper.contains(expected),
            "{expected:?} not printed:\n{paper}"
        );
    }
    assert!(!paper.contains("220104195203110010"), "{paper}");
}

/// Issue 19 item 1, national rule 医保发〔2022〕22号 (at least 6 months) from
/// the Jilin profile, which the built-in centre applies too: 李秀兰 files a
/// temporary trip; the receipt carries its own end date and the centre
/// keeps it.
#[test]
fn national_rule_temporary_trip_is_filed_at_the_kiosk_with_its_own_dates() {
    let kiosk = Kiosk::start("");
    kiosk.wait_for_screen("home");
    kiosk.place_id_card(li_xiulan_card());
    kiosk.wait_for_screen("enrollment");
    kiosk.tap("更多查询与办理");
    kiosk.tap("异地就医备案");
    let categories = kiosk.wait_for_screen("filing-category");
    let trip = categories["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["label"] == "跨省临时外出就医人员")
        .expect("the temporary trip is offered");
    assert_eq!(trip["enabled"], true);
    kiosk.tap("跨省临时外出就医人员");
    let form = kiosk.wait_for_screen("filing-form");
    let today = chrono::Local::now().date_naive();
    let end = today
        .checked_add_months(chrono::Months::new(6))
        .unwrap()
        .format("%Y-%m-%d")
        .to_string();
    let dates = format!("（有效期 {} 至 {end}）", today.format("%Y-%m-%d"));
    assert!(texts(&form).contains(&dates), "{dates} not in {form}");
    support::fill_filing_form_and_sign(&kiosk);
    kiosk.wait_for_screen("printed");
    let receipts = kiosk.wait_for_receipts(2);
    let receipt = receipts[0]["text"].as_str().unwrap();
    assert!(receipt.contains("跨省临时外出就医人员"), "{receipt}");
    assert!(receipt.contains(&format!("至 {end}")), "{receipt}");

    // The centre holds it with that end date: it is in 我的备案.
    kiosk.tap("返回首页");
    // The card is still on the reader: the take-card reminder, then home.
    kiosk.wait_for_screen("take-card");
    kiosk.remove_id_card_and_wait();
    kiosk.wait_for_screen("home");
    kiosk.place_id_card(li_xiulan_card());
    kiosk.wait_for_screen("enrollment");
    let list = open_my_filings(&kiosk);
    let shown = texts(&list);
    assert!(shown.contains("跨省临时外出就医人员"), "{shown}");
    assert!(shown.contains(&format!("至 {end}")), "{shown}");
}

/// Issue 19 item 8: the 2023 foreigner's permanent residence card (kind
/// flag `Y`, number 9…, seed 001 “外国人永久居留证” as a valid ID) is read
/// and accepted like the 2017 `I` card, and the Hong Kong resident 陈家豪
/// with his residence permit (`J`) is served as before.
#[test]
fn seed_001_foreigner_card_2023_and_residence_permit_holders_are_served() {
    let kiosk = Kiosk::start("");
    kiosk.wait_for_screen("home");
    kiosk.place_id_card(json!({
        "kind": "foreigner_2023", "name": "史安娜", "sex": "2", "renewals": 0,
        "birth": "19880512", "name_en": "SMITH, ANNA",
        "id_number": "922826198805120029", "nationality": "GBR",
        "valid_from": "20230901", "valid_to": "20330831"
    }));
    let person = kiosk.wait_for_screen("enrollment");
    let shown = texts(&person);
    for expected in [
        "外国人永久居留身份证",
        "922826********0029",
        "职工基本医疗保险",
    ] {
        assert!(shown.contains(expected), "{expected:?} not in:\n{shown}");
    }
    assert!(!shown.contains("922826198805120029"), "{shown}");
    kiosk.remove_id_card_and_wait();
    kiosk.wait_for_screen("home");

    kiosk.place_id_card(json!({
        "kind": "permit", "name": "陈家豪", "sex": "1", "birth": "19900101",
        "address": "吉林省长春市朝阳区湖西路300号", "id_number": "810000199001010019",
        "issuer": "长春市公安局", "valid_from": "20210701", "valid_to": "20310701",
        "pass_number": "H12345678", "issue_count": 1
    }));
    let person = kiosk.wait_for_screen("enrollment");
    let shown = texts(&person);
    for expected in ["港澳台居民居住证", "810000********0019", "职工基本医疗保险"] {
        assert!(shown.contains(expected), "{expected:?} not in:\n{shown}");
    }
    // Neither number reaches the log.
    let logs = kiosk.logs();
    for secret in [
        "922826198805120029",
        "810000199001010019",
        "史安娜",
        "陈家豪",
    ] {
        assert!(!logs.contains(secret), "{secret:?} leaked:\n{logs}");
    }
}

//! The journeys after the enrollment query, end to end through the real
//! `kiosk` binary in simulation mode: the enrollment certificate (preview,
//! layouts, the region's issuance rule), the satisfaction rating, the
//! service guides, and the session rules (idle timeout with countdown,
//! card-left-behind reminder, personal data cleared).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::{
    Kiosk, actions, duan_zhiming_card, li_xiulan_card, liu_haiyan_card, texts, yang_lihua_card,
};

#[test]
fn certificate_preview_layouts_print_and_rating_in_jilin() {
    let kiosk = Kiosk::start("");
    kiosk.wait_for_screen("home");
    kiosk.place_id_card(li_xiulan_card());
    kiosk.wait_for_screen("enrollment");
    kiosk.tap("开具参保凭证");
    let preview = kiosk.wait_for_screen("certificate");
    let labels = actions(&preview);
    // Jilin (seed 000) allows both personal layouts.
    assert!(labels.contains(&"简易版".to_string()), "{labels:?}");
    assert!(labels.contains(&"转移接续版".to_string()), "{labels:?}");

    // The simple one is numbered in machine form on screen; the transfer
    // one shows its printed number.
    assert!(
        texts(&preview).contains("参保凭证 220200-2026-0001"),
        "{preview}"
    );
    kiosk.tap("转移接续版");
    kiosk.wait_for_text("（吉林省）（吉林市）（2026）（第0002号）");
    kiosk.tap("打印参保凭证");
    let printed = kiosk.wait_for_screen("printed");
    let shown = texts(&printed);
    assert!(shown.contains("请从出纸口取走参保凭证"), "{shown}");
    assert!(shown.contains("请取回您的身份证件"), "{shown}");

    let receipts = kiosk.wait_for_receipts(1);
    let paper = receipts[0]["text"].as_str().unwrap();
    for expected in [
        "基本医疗保险参保凭证",
        "（吉林省）（吉林市）（2026）",
        "（第0002号）",
        "李秀兰",
        "220203198508232046",
        "职工基本医疗保险",
        "叁仟伍佰贰拾壹元肆角",
        "吉林市医疗保险经办中心（演示）",
        "注意事项",
    ] {
        assert!(
            paper.contains(expected),
            "{expected:?} not on the certificate:\n{paper}"
        );
    }

    // Rating: a low level asks an optional reason, then thanks.
    kiosk.tap("不满意");
    kiosk.wait_for_text("请选择不满意的原因");
    kiosk.tap("不填写原因");
    let thanked = kiosk.wait_for_text("感谢您的评价");
    assert!(!actions(&thanked).contains(&"满意".to_string()));

    // Ending with the card still on the reader asks to take it.
    kiosk.tap("返回首页");
    let reminder = kiosk.wait_for_screen("take-card");
    let shown = texts(&reminder);
    assert!(shown.contains("请取走您的身份证件"), "{shown}");
    assert!(!shown.contains("李秀兰"));
    kiosk.remove_id_card();
    kiosk.wait_for_screen("home");

    let logs = kiosk.logs();
    assert!(logs.contains("certificate issued"), "{logs}");
    for secret in ["李秀兰", "220203198508232046", "遵义东路"] {
        assert!(!logs.contains(secret), "{secret:?} leaked:\n{logs}");
    }
}

/// One journey under two regions: the same person asks for the
/// certificate; Jilin issues it on request, Yunnan (seed 003) only from the
/// month after coverage is suspended, and only the transfer layout.
#[test]
fn the_certificate_rule_comes_from_the_region_profile() {
    let yunnan = Kiosk::start("[terminal]\nregion = \"yunnan\"\n");
    yunnan.wait_for_screen("home");
    yunnan.place_id_card(li_xiulan_card());
    yunnan.wait_for_screen("enrollment");
    yunnan.tap("开具参保凭证");
    let refused = yunnan.wait_for_screen("certificate-refused");
    let shown = texts(&refused);
    assert!(shown.contains("暂不能出具《参保凭证》"), "{shown}");
    assert!(shown.contains("停保"), "{shown}");
    yunnan.tap("返回");
    yunnan.wait_for_screen("enrollment");
    yunnan.remove_id_card_and_wait();
    yunnan.wait_for_screen("home");

    // 杨丽华: suspended since September, so December's rule allows it.
    yunnan.place_id_card(yang_lihua_card());
    yunnan.wait_for_screen("enrollment");
    yunnan.tap("开具参保凭证");
    let preview = yunnan.wait_for_screen("certificate");
    let labels = actions(&preview);
    assert!(
        !labels.contains(&"简易版".to_string()),
        "Yunnan offers the transfer layout only: {labels:?}"
    );

    let jilin = Kiosk::start("[terminal]\nregion = \"jilin\"\n");
    jilin.wait_for_screen("home");
    jilin.place_id_card(li_xiulan_card());
    jilin.wait_for_screen("enrollment");
    jilin.tap("开具参保凭证");
    jilin.wait_for_screen("certificate");
}

#[test]
fn service_guides_browse_search_and_open_offline_from_the_profile() {
    // No centre needed: point the kiosk at a closed port.
    let kiosk = Kiosk::start("[central]\nurl = \"http://127.0.0.1:9\"\ntimeout_ms = 300\n");
    kiosk.wait_for_screen("home");
    kiosk.tap("办事指南");
    let all = kiosk.wait_for_screen("guides");
    assert!(texts(&all).contains("共 59 项"), "{}", texts(&all));
    kiosk.tap("异地");
    let found = kiosk.wait_for_text("“异地” 相关事项");
    let labels = actions(&found);
    assert!(
        labels.contains(&"异地长期居住人员备案".to_string()),
        "{labels:?}"
    );
    kiosk.tap("异地长期居住人员备案");
    let guide = kiosk.wait_for_screen("guide");
    // The guide is longer than the screen: read it a screenful at a time.
    let mut shown = texts(&guide);
    for _ in 0..12 {
        let screen = kiosk.screen();
        let can_scroll = screen["actions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["label"] == "下一屏" && a["enabled"] == true);
        if !can_scroll {
            break;
        }
        kiosk.tap("下一屏");
        shown.push_str(&texts(&kiosk.screen()));
    }
    for expected in ["申请材料", "居住证或居住证明", "办理地点", "办公时间"] {
        assert!(shown.contains(expected), "{expected:?} not in:\n{shown}");
    }
    kiosk.tap("返回列表");
    kiosk.wait_for_screen("guides");
    kiosk.tap("返回首页");
    // Reading the guides was a transaction: it is rated first (skippable).
    kiosk.wait_for_screen("rate");
    kiosk.tap("跳过");
    kiosk.wait_for_screen("home");
}

#[test]
fn idle_session_counts_down_then_clears_and_asks_to_take_the_card() {
    let kiosk = Kiosk::start("[ui]\nidle_timeout_s = 4\ncountdown_s = 3\n");
    kiosk.wait_for_screen("home");
    kiosk.place_id_card(li_xiulan_card());
    kiosk.wait_for_screen("enrollment");
    // The countdown appears and 继续办理 keeps the session.
    let countdown = kiosk.wait_for_text("秒后将返回首页");
    assert_eq!(countdown["screen"], "enrollment");
    kiosk.tap("继续办理");
    let kept = kiosk.screen();
    assert_eq!(kept["screen"], "enrollment");
    assert!(texts(&kept).contains("李秀兰"));
    // Nobody touches again: the session ends, the data leaves the screen.
    let reminder = kiosk.wait_for_screen("take-card");
    let shown = texts(&reminder);
    assert!(
        !shown.contains("李秀兰") && !shown.contains("2046"),
        "{shown}"
    );
    kiosk.remove_id_card();
    kiosk.wait_for_screen("home");
}

#[test]
fn proxy_path_asks_for_the_proxys_id_after_the_insured_persons_credential() {
    let kiosk = Kiosk::start("");
    kiosk.wait_for_screen("home");
    kiosk.tap("代他人办理");
    kiosk.wait_for_screen("proxy-start");
    // The insured person shows the e-voucher; then the proxy's own ID card.
    let (status, _) = kiosk.post(
        "/v1/sim/scan",
        serde_json::json!({ "text": "ECV1-7Q2M4K9T3W8R5Y1B6N0P2D4F" }),
    );
    assert_eq!(status, 200);
    let step2 = kiosk.wait_for_screen("proxy-id");
    assert!(
        texts(&step2).contains("被代办人：王**"),
        "{}",
        texts(&step2)
    );
    kiosk.place_id_card(li_xiulan_card());
    // Issue 19 item 7: the written authorisation, checked by staff (no
    // document camera configured), before anything is done.
    let step3 = kiosk.wait_for_screen("proxy-authorisation");
    let shown = texts(&step3);
    assert!(shown.contains("书面委托"), "{shown}");
    assert!(shown.contains("依据：000:L5455"), "{shown}");
    assert!(
        !support::actions(&step3).contains(&"拍摄委托书".to_string()),
        "no camera, no photo button"
    );
    kiosk.tap("确认，继续办理");
    kiosk.wait_for_text("勾选“已核验”再确认");
    kiosk.tap("☐ 工作人员已核验书面委托");
    kiosk.wait_for_action("☑ 工作人员已核验书面委托");
    kiosk.tap("确认，继续办理");
    let enrollment = kiosk.wait_for_screen("enrollment");
    let shown = texts(&enrollment);
    assert!(shown.contains("王建国"), "{shown}");
    assert!(
        shown.contains("代办人：李**（220203********2046）"),
        "{shown}"
    );
    kiosk.tap("打印业务办理单");
    kiosk.wait_for_screen("printed");
    let slip = kiosk.wait_for_receipts(1)[0]["text"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(slip.contains("王建国") && slip.contains("代办人"), "{slip}");
    assert!(slip.contains("李**（220203********2046）"), "{slip}");
    // The proxy's card leaving ends the session.
    kiosk.remove_id_card();
    kiosk.wait_for_screen("home");
    let logs = kiosk.logs();
    assert!(
        logs.contains("proxy recorded") && logs.contains("staff_confirmed"),
        "{logs}"
    );
    for secret in [
        "王建国",
        "220102196205141234",
        "李秀兰",
        "220203198508232046",
    ] {
        assert!(!logs.contains(secret), "{secret:?} leaked");
    }
}

#[test]
fn remote_care_filing_with_commitment_letter_signature_and_receipt() {
    let kiosk = Kiosk::start("");
    kiosk.wait_for_screen("home");
    kiosk.place_id_card(li_xiulan_card());
    kiosk.wait_for_screen("enrollment");
    kiosk.tap("更多查询与办理");
    kiosk.tap("异地就医备案");
    let categories = kiosk.wait_for_screen("filing-category");
    let labels = actions(&categories);
    assert!(
        labels.contains(&"异地长期居住人员".to_string()),
        "{labels:?}"
    );
    // Referral is shown (explained) but cannot be chosen here.
    let referral = categories["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["label"] == "异地转诊人员")
        .expect("referral listed");
    assert_eq!(referral["enabled"], false);

    support::submit_long_term_filing(&kiosk);
    kiosk.wait_for_screen("printed");
    let receipts = kiosk.wait_for_receipts(2);
    let all: String = receipts
        .iter()
        .map(|r| r["text"].as_str().unwrap().to_string())
        .collect();
    for expected in [
        "异地就医备案回执",
        "异地长期居住人员",
        "海南省海口市",
        "海南省人民医院",
        "个人承诺书",
        "本人签字",
        "[IMAGE 240x90]",
        "138****5678",
    ] {
        assert!(all.contains(expected), "{expected:?} not printed:\n{all}");
    }
    assert!(!all.contains("13812345678"), "the phone is masked on paper");
    let logs = kiosk.logs();
    assert!(logs.contains("filing queued"), "{logs}");
    for secret in ["13812345678", "李秀兰", "美兰区演示路"] {
        assert!(!logs.contains(secret), "{secret:?} leaked:\n{logs}");
    }
}

#[test]
fn my_filings_lists_the_centres_records_and_applies_the_lock_period() {
    let kiosk = Kiosk::start("");
    kiosk.wait_for_screen("home");
    // 王建国's e-voucher; he filed a resettled-retiree filing on 2026-09-01.
    let (status, _) = kiosk.post(
        "/v1/sim/scan",
        serde_json::json!({ "text": "ECV1-7Q2M4K9T3W8R5Y1B6N0P2D4F" }),
    );
    assert_eq!(status, 200);
    kiosk.wait_for_screen("enrollment");
    let list = open_my_filings(&kiosk);
    let shown = texts(&list);
    for expected in [
        "BA20260901000001",
        "异地安置退休人员",
        "海口市",
        "有效",
        "长期有效",
    ] {
        assert!(shown.contains(expected), "{expected:?} not in:\n{shown}");
    }
    // Jilin locks change and cancel for 6 months after filing.
    kiosk.tap("取消备案");
    let refused = kiosk.wait_for_text("个月内不能变更或取消");
    assert!(
        texts(&refused).contains("2027-03-01"),
        "{}",
        texts(&refused)
    );
    kiosk.tap("延期");
    kiosk.wait_for_text("无需延期");
    kiosk.tap("返回");
    kiosk.wait_for_screen("enrollment");
}

#[test]
fn a_filing_is_changed_in_place_and_the_centre_holds_the_new_area() {
    let kiosk = Kiosk::start("");
    kiosk.wait_for_screen("home");
    // 段志明 filed a long-term filing (Shenzhen) on 2025-03-01: unlocked.
    kiosk.place_id_card(duan_zhiming_card());
    kiosk.wait_for_screen("enrollment");
    let list = open_my_filings(&kiosk);
    assert!(texts(&list).contains("BA20250301000002"), "{list}");

    kiosk.tap("变更");
    let change = kiosk.wait_for_screen("filing-change");
    assert!(texts(&change).contains("BA20250301000002"), "{change}");
    kiosk.tap("新的就医地");
    kiosk.wait_for_screen("filing-province");
    kiosk.tap("海南省");
    kiosk.wait_for_action("海口市");
    kiosk.tap("海口市");
    kiosk.wait_for_screen("filing-change");
    kiosk.tap("新的联系电话");
    kiosk.wait_for_screen("filing-phone");
    for d in "13912345678".chars() {
        kiosk.tap(&d.to_string());
    }
    kiosk.tap("确定");
    let change = kiosk.wait_for_screen("filing-change");
    let shown = texts(&change);
    assert!(shown.contains("海南省海口市"), "{shown}");
    assert!(shown.contains("13912345678"), "{shown}");

    kiosk.tap("提交变更");
    // The proof prints: the filing slip as the centre now holds it, with
    // the outcome on it.
    let printed = kiosk.wait_for_screen("printed");
    assert!(texts(&printed).contains("备案信息单"), "{printed}");
    let receipts = kiosk.wait_for_receipts(1);
    let slip = receipts[0]["text"].as_str().unwrap();
    assert!(slip.contains("BA20250301000002"), "{slip}");
    assert!(slip.contains("已变更"), "{slip}");
    assert!(slip.contains("海口市"), "{slip}");
    assert!(!slip.contains("深圳"), "{slip}");
    // The list is the centre's again: the filing now points at Haikou.
    kiosk.tap("继续办理");
    kiosk.wait_for_screen("enrollment");
    let list = open_my_filings(&kiosk);
    let shown = texts(&list);
    assert!(shown.contains("就医地：海口市"), "{shown}");
    assert!(!shown.contains("深圳"), "{shown}");
    // The phone number is not in the kiosk's log.
    assert!(!kiosk.logs().contains("13912345678"));
}

#[test]
fn a_temporary_trip_filing_is_extended_from_its_end_date() {
    let kiosk = Kiosk::start("");
    kiosk.wait_for_screen("home");
    // 刘海燕's temporary-trip filing ends on 2027-03-31 (data/demo/people.toml).
    kiosk.place_id_card(liu_haiyan_card());
    kiosk.wait_for_screen("enrollment");
    let list = open_my_filings(&kiosk);
    assert!(texts(&list).contains("至 2027-03-31"), "{list}");
    kiosk.tap("延期");
    let extend = kiosk.wait_for_screen("filing-extend");
    let labels = actions(&extend);
    for expected in [
        "延长 3 个月\n至 2027-06-30",
        "延长 6 个月\n至 2027-09-30",
        "延长 12 个月\n至 2028-03-31",
    ] {
        assert!(labels.contains(&expected.to_string()), "{labels:?}");
    }
    kiosk.tap("延长 6 个月\n至 2027-09-30");
    // The proof prints: the slip with the new end date.
    kiosk.wait_for_screen("printed");
    let receipts = kiosk.wait_for_receipts(1);
    let slip = receipts[0]["text"].as_str().unwrap();
    assert!(slip.contains("2027-09-30"), "{slip}");
    kiosk.tap("继续办理");
    kiosk.wait_for_screen("enrollment");
    let list = open_my_filings(&kiosk);
    let shown = texts(&list);
    assert!(shown.contains("至 2027-09-30"), "{shown}");
    assert!(!shown.contains("至 2027-03-31"), "{shown}");
}

/// From the enrollment screen to 我的备案; the list screen.
fn open_my_filings(kiosk: &Kiosk) -> serde_json::Value {
    kiosk.tap("更多查询与办理");
    kiosk.tap("异地就医备案");
    kiosk.wait_for_screen("filing-category");
    kiosk.tap("我的备案");
    kiosk.wait_for_screen("filings")
}

/// The English of a catalogue text, from the bundled translation.
fn en(zh: &str) -> String {
    let (_, po) = kiosk_core::texts::BUNDLED
        .iter()
        .find(|(language, _)| *language == "en")
        .expect("English is bundled");
    let catalogue = kiosk_core::texts::Catalogue::parse("en", po).unwrap();
    catalogue
        .get(zh)
        .unwrap_or_else(|| panic!("{zh} is not translated"))
        .to_string()
}

#[test]
fn a_citizen_switches_to_english_and_the_next_one_starts_in_chinese() {
    let kiosk = Kiosk::start("");
    let home = kiosk.wait_for_screen("home");
    assert!(texts(&home).contains("请出示以下任一凭证"), "{home}");
    assert!(actions(&home).contains(&"English".to_string()), "{home}");

    kiosk.tap("English");
    let home = kiosk.wait_for_text(&en("请出示以下任一凭证"));
    let shown = texts(&home);
    assert!(!shown.contains("请出示以下任一凭证"), "{shown}");
    assert!(shown.contains(&en("社会保障卡")), "{shown}");
    assert!(actions(&home).contains(&"中文".to_string()), "{home}");

    // The person's screen: the Rust-written texts (status, insurance type)
    // and the screen's own labels are English; data stays as it is.
    kiosk.place_id_card(li_xiulan_card());
    let person = kiosk.wait_for_screen("enrollment");
    let shown = texts(&person);
    for text in ["职工基本医疗保险", "正常参保", "居民身份证"] {
        let english = en(text);
        assert!(shown.contains(&english), "{english} missing: {shown}");
    }
    assert!(
        shown.contains("李*兰") || shown.contains("李秀兰"),
        "{shown}"
    );
    assert!(!shown.contains("正常参保"), "{shown}");

    // Printed documents stay Chinese (official layouts).
    kiosk.tap(&en("打印业务办理单"));
    let printed = kiosk.wait_for_screen("printed");
    assert!(
        texts(&printed).contains(&en("请取回您的{}").replace("{}", &en("身份证件"))),
        "{printed}"
    );
    let receipts = kiosk.wait_for_receipts(1);
    let slip = receipts[0]["text"].as_str().unwrap();
    assert!(slip.contains("医疗保障业务办理单"), "{slip}");
    assert!(slip.contains("正常参保"), "{slip}");

    // The session ends: the next citizen starts in Chinese.
    kiosk.remove_id_card();
    let home = kiosk.wait_for_text("请出示以下任一凭证");
    assert!(actions(&home).contains(&"English".to_string()), "{home}");
}

//! The account statement 个人账户明细 and the settlement records 就医结算
//! 记录 (issue 15 journeys 3 and 4) end to end through the real `kiosk`
//! binary in simulation mode, against the reference centre: from the
//! enrollment screen's services panel to the answer, ranges and pages, a
//! settlement's detail, both printed documents, and the resident who has
//! no personal account.
//!
//! `cargo test -p kiosk --test ledger -- --ignored` also writes the
//! screenshots (portrait standard / elderly, landscape, English) and the
//! printed papers to target/screenshots/ and docs/screenshots/.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::PathBuf;
use std::time::Instant;

use serde_json::{Value, json};
use support::{Kiosk, actions, li_xiulan_card, texts};

/// 张德福: resident scheme only (data/demo/people.toml), no personal account.
fn zhang_defu_card() -> Value {
    json!({
        "kind": "resident", "name": "张德福", "sex": "1", "nation": 10,
        "birth": "19520311", "address": "吉林省长春市朝阳区西安大路808号",
        "id_number": "220104195203110010", "issuer": "长春市公安局朝阳分局",
        "valid_from": "20100120", "valid_to": "长期"
    })
}

/// The accessible label of the first settlement in the list (`date
/// institution`).
fn first_settlement(screen: &Value) -> String {
    actions(screen)
        .into_iter()
        .find(|a| a.len() > 11 && a.as_bytes()[4] == b'-' && a.as_bytes()[10] == b' ')
        .unwrap_or_else(|| panic!("no settlement row: {screen}"))
}

#[test]
fn account_statement_ranges_and_the_printed_statement() {
    let kiosk = Kiosk::start("");
    kiosk.wait_for_screen("home");
    kiosk.place_id_card(li_xiulan_card());
    kiosk.wait_for_screen("enrollment");

    let tapped = Instant::now();
    kiosk.tap("更多查询与办理");
    kiosk.tap("个人账户明细");
    let shown = kiosk.wait_for_screen("account");
    eprintln!(
        "tap to answer (个人账户明细): {} ms",
        tapped.elapsed().as_millis()
    );
    let text = texts(&shown);
    // The balance is the one the enrollment screen showed, and the last
    // three months end at it.
    assert!(text.contains("账户余额　¥3,521.40"), "{text}");
    assert!(text.contains("期末¥3,521.40"), "{text}");
    assert!(text.contains("划入"), "{text}");
    assert!(!text.contains("220203198508232046"));

    // The year's answer replaces the three months: its summary line (from
    // month, credits, debits) differs and still ends at the balance.
    let summary = |screen: &Value| {
        texts(screen)
            .lines()
            .find(|l| l.contains("期末"))
            .map(str::to_string)
    };
    let three = summary(&shown);
    kiosk.tap("近1年");
    let year = kiosk.wait_until("the year's statement", |screen| {
        screen["screen"] == "account" && summary(screen).is_some() && summary(screen) != three
    });
    let text = texts(&year);
    assert!(text.contains("期末¥3,521.40"), "{text}");

    kiosk.tap("打印明细");
    kiosk.wait_for_screen("printed");
    let receipts = kiosk.wait_for_receipts(1);
    let paper = receipts[0]["text"].as_str().unwrap();
    for expected in [
        "个人账户明细",
        "李秀兰",
        "220203********2046",
        "期初余额",
        "本期划入",
        "本期支出",
        "期末余额",
        "叁仟伍佰贰拾壹元肆角",
    ] {
        assert!(
            paper.contains(expected),
            "{expected:?} not printed:\n{paper}"
        );
    }
    assert!(!paper.contains("220203198508232046"), "masked on paper");

    kiosk.tap("返回首页");
    kiosk.wait_for_screen("take-card");
    kiosk.remove_id_card_and_wait();
    kiosk.wait_for_screen("home");
    let logs = kiosk.logs();
    assert!(logs.contains("account statement answered"), "{logs}");
    for secret in ["李秀兰", "220203198508232046", "3521.40", "3,521.40"] {
        assert!(!logs.contains(secret), "{secret:?} leaked:\n{logs}");
    }
}

#[test]
fn settlements_list_detail_and_the_printed_slip() {
    let kiosk = Kiosk::start("");
    kiosk.wait_for_screen("home");
    kiosk.place_id_card(li_xiulan_card());
    kiosk.wait_for_screen("enrollment");

    let tapped = Instant::now();
    kiosk.tap("更多查询与办理");
    kiosk.tap("就医结算记录");
    let shown = kiosk.wait_for_screen("settlements");
    eprintln!(
        "tap to answer (就医结算记录): {} ms",
        tapped.elapsed().as_millis()
    );
    // Rows are buttons labelled by date and institution (their amounts
    // are read on the detail screen).
    let row = first_settlement(&shown);

    kiosk.tap(&row);
    let detail = kiosk.wait_for_screen("settlement");
    let text = texts(&detail);
    for label in [
        "医疗费总额",
        "医保基金支付",
        "个人账户支付",
        "个人现金支付",
        "结算状态",
    ] {
        assert!(text.contains(label), "{label}: {text}");
    }

    kiosk.tap("打印结算记录单");
    kiosk.wait_for_screen("printed");
    let receipts = kiosk.wait_for_receipts(1);
    let paper = receipts[0]["text"].as_str().unwrap();
    for expected in [
        "就医结算记录单",
        "220203********2046",
        "结算流水号",
        "（大写）总额",
    ] {
        assert!(
            paper.contains(expected),
            "{expected:?} not printed:\n{paper}"
        );
    }

    kiosk.tap("返回首页");
    kiosk.wait_for_screen("take-card");
    kiosk.remove_id_card_and_wait();
    kiosk.wait_for_screen("home");
    let logs = kiosk.logs();
    assert!(logs.contains("settlements answered"), "{logs}");
    for secret in ["李秀兰", "220203198508232046", row.as_str()] {
        assert!(!logs.contains(secret), "{secret:?} leaked:\n{logs}");
    }
}

#[test]
fn a_resident_has_no_personal_account_but_has_settlements() {
    let kiosk = Kiosk::start("");
    kiosk.wait_for_screen("home");
    kiosk.place_id_card(zhang_defu_card());
    kiosk.wait_for_screen("enrollment");
    kiosk.tap("更多查询与办理");
    kiosk.tap("个人账户明细");
    let refused = kiosk.wait_for_screen("error");
    let text = texts(&refused);
    assert!(text.contains("没有个人账户"), "{text}");
    assert!(text.contains("职工基本医疗保险"), "{text}");
}

fn shots_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
#[ignore = "writes files into target/screenshots and docs/screenshots; run on demand"]
fn write_ledger_screenshots() {
    let dir = shots_dir();
    let docs = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/screenshots");
    std::fs::create_dir_all(&docs).unwrap();
    for (language, suffix) in [("zh-CN", ""), ("en", "-en")] {
        let catalogue = kiosk_core::texts::BUNDLED
            .iter()
            .find(|(l, _)| *l == language)
            .map(|(l, po)| kiosk_core::texts::Catalogue::parse(l, po).unwrap());
        let t = |zh: &str| match &catalogue {
            None => zh.to_string(),
            Some(c) => c.get(zh).unwrap_or(zh).to_string(),
        };
        for orientation in ["portrait", "landscape"] {
            let kiosk = Kiosk::start(&format!(
                "[ui]\norientation = \"{orientation}\"\nlanguage = \"{language}\"\n"
            ));
            for (mode, elderly) in [("standard", false), ("elderly", true)] {
                kiosk.wait_for_screen("home");
                if elderly {
                    kiosk.tap(&t("长辈模式"));
                }
                kiosk.place_id_card(li_xiulan_card());
                kiosk.wait_for_screen("enrollment");
                let name = format!("{orientation}-{mode}{suffix}");
                let shot = |what: &str| {
                    std::fs::write(
                        dir.join(format!("{name}-{what}.png")),
                        kiosk.get_bytes("/v1/screenshot"),
                    )
                    .unwrap()
                };
                shot("enrollment");
                kiosk.tap(&t("更多查询与办理"));
                shot("services");
                kiosk.tap(&t("个人账户明细"));
                let three = kiosk.wait_for_screen("account");
                shot("account");
                // A full page: the year.
                kiosk.tap(&t("近1年"));
                kiosk.wait_until("the year's statement", |s| {
                    s["screen"] == "account" && s["texts"] != three["texts"]
                });
                shot("account-year");
                kiosk.tap(&t("返回"));
                kiosk.wait_for_screen("enrollment");
                kiosk.tap(&t("更多查询与办理"));
                kiosk.tap(&t("就医结算记录"));
                let list = kiosk.wait_for_screen("settlements");
                shot("settlements");
                kiosk.tap(&first_settlement(&list));
                kiosk.wait_for_screen("settlement");
                shot("settlement");
                if suffix.is_empty() && orientation == "portrait" && !elderly {
                    kiosk.tap(&t("打印结算记录单"));
                    kiosk.wait_for_screen("printed");
                    let receipts = kiosk.wait_for_receipts(1);
                    std::fs::write(
                        docs.join("print-settlement-slip.png"),
                        kiosk.get_bytes(receipts[0]["png"].as_str().unwrap()),
                    )
                    .unwrap();
                    kiosk.tap(&t("继续办理"));
                    kiosk.wait_for_screen("enrollment");
                    kiosk.tap(&t("更多查询与办理"));
                    kiosk.tap(&t("个人账户明细"));
                    kiosk.wait_for_screen("account");
                    kiosk.tap(&t("打印明细"));
                    kiosk.wait_for_screen("printed");
                    let receipts = kiosk.wait_for_receipts(2);
                    std::fs::write(
                        docs.join("print-account-statement.png"),
                        kiosk.get_bytes(receipts[1]["png"].as_str().unwrap()),
                    )
                    .unwrap();
                }
                kiosk.remove_id_card_and_wait();
                kiosk.wait_for_screen("home");
            }
        }
    }
    for (from, to) in [
        ("portrait-elderly-enrollment.png", "enrollment-elderly.png"),
        ("portrait-standard-enrollment.png", "enrollment.png"),
        ("portrait-standard-services.png", "services.png"),
        ("portrait-elderly-services.png", "services-elderly.png"),
        (
            "landscape-elderly-services.png",
            "services-landscape-elderly.png",
        ),
        ("portrait-standard-account.png", "account.png"),
        ("portrait-elderly-account.png", "account-elderly.png"),
        ("landscape-standard-account.png", "account-landscape.png"),
        ("portrait-standard-en-account.png", "account-en.png"),
        ("portrait-standard-settlements.png", "settlements.png"),
        (
            "portrait-elderly-settlements.png",
            "settlements-elderly.png",
        ),
        ("portrait-standard-settlement.png", "settlement.png"),
        ("portrait-elderly-settlement.png", "settlement-elderly.png"),
        ("portrait-standard-en-settlements.png", "settlements-en.png"),
        (
            "landscape-standard-settlements.png",
            "settlements-landscape.png",
        ),
    ] {
        std::fs::copy(dir.join(from), docs.join(to)).unwrap();
    }
}

//! The records journeys (issue 15) end to end through the real `kiosk`
//! binary in simulation mode, against the reference centre: the
//! contribution history 缴费明细 (one tap from the enrollment screen, year
//! chips, a gap and what it means) and its printed, centre-signed record.
//!
//! `cargo test -p kiosk --test records -- --ignored` also writes the
//! screenshots of these screens (portrait and landscape, standard and
//! elderly, Chinese and English) to target/screenshots/ and docs/screenshots/.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::PathBuf;
use std::time::Instant;

use support::{Kiosk, li_xiulan_card, texts};

#[test]
fn contribution_history_with_a_gap_and_the_printed_record() {
    let kiosk = Kiosk::start("");
    kiosk.wait_for_screen("home");
    kiosk.place_id_card(li_xiulan_card());
    kiosk.wait_for_screen("enrollment");

    // One tap from the enrollment screen to the answer.
    let tapped = Instant::now();
    kiosk.tap("更多查询与办理");
    kiosk.tap("缴费明细");
    let shown = kiosk.wait_for_screen("contributions");
    eprintln!(
        "tap to answer (缴费明细): {} ms",
        tapped.elapsed().as_millis()
    );
    let text = texts(&shown);
    // Ten calendar years at most, newest first; the demo person's months
    // run from 2017.
    assert!(text.contains("职工基本医疗保险　2026年"), "{text}");
    assert!(text.contains("2026年合计：已缴10个月"), "{text}");
    assert!(text.contains("累计缴费月数：219个月"), "{text}");
    for year in ["2017", "2021", "2026"] {
        assert!(
            support::actions(&shown).contains(&year.to_string()),
            "no chip {year}"
        );
    }
    // The name is on the enrollment screen, never needed here.
    assert!(!text.contains("220203198508232046"));

    // The year with the job change: two months not assessed, closed by
    // payment within the Jilin profile's 3-month window.
    kiosk.tap("2024");
    let year = kiosk.wait_for_text("2024-09 至 2024-10 断缴2个月");
    let text = texts(&year);
    assert!(text.contains("中断期间的待遇可追溯享受"), "{text}");
    assert!(
        text.contains("2024年合计：已缴10个月，个人缴纳¥960.00"),
        "{text}"
    );

    kiosk.tap("打印本年明细");
    kiosk.wait_for_screen("printed");
    let receipts = kiosk.wait_for_receipts(1);
    let paper = receipts[0]["text"].as_str().unwrap();
    for expected in [
        "参保缴费明细",
        "220200-2026-J0001",
        "李秀兰",
        "220203********2046",
        "职工基本医疗保险",
        "2024-01至2024-12",
        "未核定",
        "本期已缴月数",
        "960.00",
        "断缴说明",
        "扫码核验 220200-2026-J0001",
    ] {
        assert!(
            paper.contains(expected),
            "{expected:?} not printed:\n{paper}"
        );
    }
    assert!(
        !paper.contains("220203198508232046"),
        "the record masks the number"
    );

    kiosk.tap("返回首页");
    kiosk.wait_for_screen("take-card");
    kiosk.remove_id_card_and_wait();
    kiosk.wait_for_screen("home");
    let logs = kiosk.logs();
    assert!(logs.contains("contribution history answered"), "{logs}");
    assert!(logs.contains("contribution record signed"), "{logs}");
    for secret in [
        "李秀兰",
        "220203198508232046",
        "220203********2046",
        "遵义东路",
    ] {
        assert!(!logs.contains(secret), "{secret:?} leaked:\n{logs}");
    }
}

#[test]
fn designated_institutions_from_home_by_initials_and_filters() {
    let kiosk = Kiosk::start("");
    kiosk.wait_for_screen("home");
    // Reference data: no card needed, once the kiosk holds the list.
    kiosk.wait_for_dataset("institutions");
    let tapped = Instant::now();
    kiosk.tap("定点医药机构");
    let shown = kiosk.wait_for_screen("institutions");
    eprintln!(
        "tap to answer (定点医药机构): {} ms",
        tapped.elapsed().as_millis()
    );
    let text = texts(&shown);
    assert!(text.contains("共 "), "{text}");
    for key in ["B", "J", "X", "H"] {
        kiosk.tap(key);
    }
    let found = kiosk.wait_for_text("北京协和医院");
    assert!(texts(&found).contains("共 1 家"), "{}", texts(&found));
    kiosk.tap("清空");
    kiosk.tap("海南省");
    kiosk.wait_for_text("海口市");
    kiosk.tap("药店");
    let pharmacies = kiosk.wait_for_text("药店 · ");
    assert!(!texts(&pharmacies).contains("海南省人民医院"));
    kiosk.tap("只看开通跨省直接结算");
    kiosk.wait_for_text("可跨省直接结算");
    kiosk.tap("打印名单");
    // Nobody is identified: after printing, the kiosk is home again.
    kiosk.wait_for_screen("home");
    let receipts = kiosk.wait_for_receipts(1);
    let paper = receipts[0]["text"].as_str().unwrap();
    for expected in [
        "定点医药机构名单",
        "海南省",
        "药店",
        "可跨省直接结算",
        "电话：0898-",
        "名单版本",
    ] {
        assert!(
            paper.contains(expected),
            "{expected:?} not printed:\n{paper}"
        );
    }
}

fn shots_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
#[ignore = "writes files into target/screenshots and docs/screenshots; run on demand"]
fn write_records_screenshots() {
    let dir = shots_dir();
    let docs = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/screenshots");
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
                std::fs::write(
                    dir.join(format!("{name}-enrollment-records.png")),
                    kiosk.get_bytes("/v1/screenshot"),
                )
                .unwrap();
                kiosk.tap(&t("更多查询与办理"));
                kiosk.tap(&t("缴费明细"));
                kiosk.wait_for_screen("contributions");
                kiosk.tap("2024");
                kiosk.wait_for_text("2024-09");
                std::fs::write(
                    dir.join(format!("{name}-contributions.png")),
                    kiosk.get_bytes("/v1/screenshot"),
                )
                .unwrap();
                if suffix.is_empty() && orientation == "portrait" && !elderly {
                    kiosk.tap(&t("打印本年明细"));
                    kiosk.wait_for_screen("printed");
                    let receipts = kiosk.wait_for_receipts(1);
                    std::fs::write(
                        dir.join("paper-contribution-record.png"),
                        kiosk.get_bytes(receipts[0]["png"].as_str().unwrap()),
                    )
                    .unwrap();
                }
                // Taking the card away ends the session from any screen.
                kiosk.remove_id_card_and_wait();
                kiosk.wait_for_screen("home");
            }
        }
    }
    std::fs::create_dir_all(&docs).unwrap();
    for (from, to) in [
        ("portrait-standard-contributions.png", "contributions.png"),
        (
            "portrait-elderly-contributions.png",
            "contributions-elderly.png",
        ),
        (
            "landscape-standard-contributions.png",
            "contributions-landscape.png",
        ),
        (
            "portrait-standard-en-contributions.png",
            "contributions-en.png",
        ),
        ("paper-contribution-record.png", "contribution-record.png"),
    ] {
        std::fs::copy(dir.join(from), docs.join(to)).unwrap();
    }
}

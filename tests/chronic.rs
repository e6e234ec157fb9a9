//! The chronic / special-disease designated-institution change (issue 19
//! item 10, seed 000 A6 门诊特殊疾病病种待遇变更 L10951, A7 门诊慢性病病种
//! 待遇变更 L11007) end to end through the real `kiosk` binary in
//! simulation mode, against the reference centre: the registered diseases
//! of 王建国, the pick list under the Jilin profile's rules (a special
//! disease at 二级 hospitals or above, 000:L11002), the change (KS18) and
//! the printed 业务办理单, then the rating.
//!
//! `cargo test -p kiosk --test chronic -- --ignored` also writes the
//! screenshots of these screens (portrait, standard and elderly) to
//! target/screenshots/ and docs/screenshots/.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::PathBuf;

use support::{Kiosk, texts};

/// 王建国's e-voucher (data/demo/people.toml).
fn present_wang(kiosk: &Kiosk) {
    let (status, _) = kiosk.post(
        "/v1/sim/scan",
        serde_json::json!({ "text": "ECV1-7Q2M4K9T3W8R5Y1B6N0P2D4F" }),
    );
    assert_eq!(status, 200);
}

#[test]
fn special_disease_hospital_change_000b_a6_prints_the_slip_and_rates() {
    let kiosk = Kiosk::start("");
    kiosk.wait_for_screen("home");
    kiosk.wait_for_dataset("institutions");
    present_wang(&kiosk);
    kiosk.wait_for_screen("enrollment");
    kiosk.tap("更多查询与办理");
    kiosk.tap("慢特病定点变更");
    let listed = kiosk.wait_for_screen("chronic");
    let text = texts(&listed);
    assert!(
        text.contains("门诊特殊疾病：慢性肾功能衰竭（透析治疗）"),
        "{text}"
    );
    assert!(text.contains("门诊慢性病：高血压病（高危）"), "{text}");
    assert!(
        text.contains("定点药店：长春大药房（人民大街店）"),
        "{text}"
    );
    assert!(text.contains("诊疗方案变更需重新办理"), "{text}");
    // The special disease is listed first (newest certification).
    kiosk.tap("变更定点医院");
    let pick = kiosk.wait_for_screen("chronic-pick");
    let text = texts(&pick);
    assert!(text.contains("请选择新的定点医院"), "{text}");
    let actions = support::actions(&pick);
    // 000:L11002: no 一级 hospital for a special disease; not the current one.
    assert!(
        !actions.iter().any(|a| a.contains("桃源社区医院")),
        "{actions:?}"
    );
    assert!(
        !actions.iter().any(|a| a == "吉林大学第一医院"),
        "{actions:?}"
    );
    let mut page = pick;
    while !support::actions(&page).contains(&"长春市中医院".to_string()) {
        // The pager enables once the synced list is loaded.
        kiosk.wait_for_action("下一页");
        kiosk.tap("下一页");
        page = kiosk.wait_for_screen("chronic-pick");
        assert!(texts(&page).contains("页"));
    }
    kiosk.tap("长春市中医院");
    let confirm = kiosk.wait_for_screen("chronic-confirm");
    assert!(texts(&confirm).contains("新的定点医院：长春市中医院"));
    kiosk.tap("确认变更");
    kiosk.wait_for_screen("printed");
    let paper = kiosk.wait_for_receipts(1)[0]["text"]
        .as_str()
        .unwrap()
        .to_string();
    for expected in [
        "门诊特殊疾病定点医药机构变更",
        "原定点医疗机构：吉林大学第一医院",
        "新定点医疗机构：长春市中医院",
        "办理单号：MT",
        "即时生效",
        "220102********1234",
    ] {
        assert!(
            paper.contains(expected),
            "{expected:?} not printed:\n{paper}"
        );
    }
    assert!(!paper.contains("220102196205141234"), "masked on paper");
    // The rating after the change, like any transaction.
    kiosk.tap("非常满意");
    kiosk.wait_for_log("rating queued", 1);
    let logs = kiosk.logs();
    assert!(logs.contains("chronic change answered"), "{logs}");
    assert!(
        logs.contains("transaction=\"chronic_change\"") || logs.contains("chronic_change"),
        "{logs}"
    );
    for secret in ["王建国", "220102196205141234", "慢性肾功能衰竭"] {
        assert!(!logs.contains(secret), "{secret:?} leaked");
    }
}

fn shots_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
#[ignore = "writes files into target/screenshots and docs/screenshots; run on demand"]
fn write_chronic_and_proxy_screenshots() {
    let dir = shots_dir();
    let docs = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/screenshots");
    std::fs::create_dir_all(&docs).unwrap();
    for (mode, elderly) in [("", false), ("-elderly", true)] {
        // A kiosk per mode: the scanner drops the same e-voucher scanned
        // again within its debounce window.
        let kiosk = Kiosk::start("");
        kiosk.wait_for_dataset("institutions");
        kiosk.wait_for_screen("home");
        if elderly {
            kiosk.tap("长辈模式");
        }
        present_wang(&kiosk);
        kiosk.wait_for_screen("enrollment");
        kiosk.tap("更多查询与办理");
        kiosk.tap("慢特病定点变更");
        kiosk.wait_for_screen("chronic");
        std::fs::write(
            dir.join(format!("chronic{mode}.png")),
            kiosk.get_bytes("/v1/screenshot"),
        )
        .unwrap();
        kiosk.tap("变更定点药店");
        kiosk.wait_for_screen("chronic-pick");
        std::fs::write(
            dir.join(format!("chronic-pick{mode}.png")),
            kiosk.get_bytes("/v1/screenshot"),
        )
        .unwrap();
        let pick = kiosk.screen();
        let first = support::actions(&pick)
            .into_iter()
            .find(|a| a.contains("药房") || a.contains("药店"))
            .unwrap();
        kiosk.tap(&first);
        kiosk.wait_for_screen("chronic-confirm");
        std::fs::write(
            dir.join(format!("chronic-confirm{mode}.png")),
            kiosk.get_bytes("/v1/screenshot"),
        )
        .unwrap();
        kiosk.tap("返回修改");
        kiosk.wait_for_screen("chronic-pick");
        kiosk.tap("返回");
        kiosk.wait_for_screen("chronic");
        kiosk.tap("返回首页");
        // The rating first (a look at the list is a transaction).
        kiosk.wait_for_screen("rate");
        kiosk.tap("跳过");
        kiosk.wait_for_screen("home");
        // The proxy's written authorisation step.
        if elderly {
            kiosk.tap("长辈模式");
        }
        kiosk.tap("代他人办理");
        kiosk.wait_for_screen("proxy-start");
        // The insured person's ID card, then the proxy's (a scan of the
        // same e-voucher within the scanner's debounce would be dropped).
        kiosk.place_id_card(support::li_xiulan_card());
        kiosk.wait_for_screen("proxy-id");
        kiosk.remove_id_card_and_wait();
        kiosk.place_id_card(support::yang_lihua_card());
        kiosk.wait_for_screen("proxy-authorisation");
        kiosk.tap("☐ 工作人员已核验书面委托");
        kiosk.wait_for_action("☑ 工作人员已核验书面委托");
        std::fs::write(
            dir.join(format!("proxy-authorisation{mode}.png")),
            kiosk.get_bytes("/v1/screenshot"),
        )
        .unwrap();
        kiosk.tap("取消");
        kiosk.wait_for_screen("take-card");
        kiosk.remove_id_card_and_wait();
        kiosk.wait_for_screen("home");
    }
    for name in [
        "chronic",
        "chronic-pick",
        "chronic-confirm",
        "proxy-authorisation",
        "chronic-elderly",
        "chronic-pick-elderly",
        "chronic-confirm-elderly",
        "proxy-authorisation-elderly",
    ] {
        std::fs::copy(
            dir.join(format!("{name}.png")),
            docs.join(format!("{name}.png")),
        )
        .unwrap();
    }
}

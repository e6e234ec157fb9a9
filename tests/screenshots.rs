//! Screenshots of every screen of the kiosk, in portrait and landscape, in
//! standard and elderly mode, plus the printed papers, written by one
//! command:
//!
//! ```text
//! cargo test -p kiosk --test screenshots -- --ignored
//! ```
//!
//! Everything goes to `target/screenshots/` (named
//! `<orientation>-<mode>-<screen>.png`); the few the README shows are also
//! copied to `docs/screenshots/`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::{Path, PathBuf};

use support::{Kiosk, li_xiulan_card, stranger_card};

fn out_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn docs_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/screenshots")
}

/// The screens the README links, by file name in `target/screenshots`.
const README: [(&str, &str); 9] = [
    ("portrait-standard-home.png", "home.png"),
    ("portrait-elderly-home.png", "home-elderly.png"),
    ("portrait-standard-enrollment.png", "enrollment.png"),
    ("portrait-elderly-enrollment.png", "enrollment-elderly.png"),
    ("portrait-standard-certificate.png", "certificate.png"),
    ("portrait-standard-guides.png", "guides.png"),
    (
        "landscape-standard-enrollment.png",
        "landscape-enrollment.png",
    ),
    ("portrait-standard-error.png", "error-unknown-person.png"),
    ("portrait-standard-printed.png", "printed.png"),
];

fn journey(kiosk: &Kiosk, dir: &Path, prefix: &str, papers: bool) {
    let shot = |name: &str| {
        std::fs::write(
            dir.join(format!("{prefix}-{name}.png")),
            kiosk.get_bytes("/v1/screenshot"),
        )
        .unwrap();
    };
    kiosk.wait_for_screen("home");
    shot("home");

    kiosk.place_id_card(li_xiulan_card());
    kiosk.wait_for_screen("enrollment");
    shot("enrollment");
    kiosk.tap("开具参保凭证");
    kiosk.wait_for_screen("certificate");
    shot("certificate");
    kiosk.tap("转移接续版");
    kiosk.wait_for_text("（第");
    shot("certificate-transfer");
    kiosk.tap("打印参保凭证");
    kiosk.wait_for_screen("printed");
    shot("printed");
    kiosk.tap("不满意");
    kiosk.wait_for_text("请选择不满意的原因");
    shot("printed-reason");
    kiosk.tap("信息有误");
    kiosk.wait_for_text("感谢您的评价");
    shot("printed-rated");
    kiosk.tap("继续办理");
    kiosk.wait_for_screen("enrollment");
    kiosk.tap("打印业务办理单");
    kiosk.wait_for_screen("printed");
    if papers {
        let receipts = kiosk.wait_for_receipts(2);
        for (receipt, name) in receipts
            .iter()
            .zip(["certificate-transfer", "business-slip"])
        {
            std::fs::write(
                dir.join(format!("paper-{name}.png")),
                kiosk.get_bytes(receipt["png"].as_str().unwrap()),
            )
            .unwrap();
        }
    }
    kiosk.tap("继续办理");
    kiosk.wait_for_screen("enrollment");
    filing(kiosk, &shot);
    kiosk.tap("返回首页");
    kiosk.wait_for_screen("take-card");
    shot("take-card");
    kiosk.remove_id_card_and_wait();
    kiosk.wait_for_screen("home");

    kiosk.place_id_card(stranger_card());
    kiosk.wait_for_screen("error");
    shot("error");
    kiosk.remove_id_card_and_wait();
    kiosk.wait_for_screen("home");

    kiosk.tap("办事指南");
    kiosk.wait_for_screen("guides");
    shot("guides");
    kiosk.tap("异地");
    kiosk.wait_for_text("“异地” 相关事项");
    kiosk.tap("异地转诊人员备案");
    kiosk.wait_for_screen("guide");
    shot("guide");
    kiosk.tap("返回首页");
    kiosk.wait_for_screen("home");
}

/// Taps `label`, paging down with 下一屏 until it is on the screen.
fn tap_scrolling(kiosk: &Kiosk, label: &str) {
    for _ in 0..8 {
        let screen = kiosk.screen();
        let visible = screen["actions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["label"] == label);
        if visible {
            kiosk.tap(label);
            return;
        }
        kiosk.tap("下一屏");
    }
    panic!("{label:?} not found on any page");
}

/// The filing journey up to the signed letter (not submitted).
fn filing(kiosk: &Kiosk, shot: &dyn Fn(&str)) {
    kiosk.tap("异地就医备案");
    kiosk.wait_for_screen("filing-category");
    shot("filing-category");
    kiosk.tap("异地长期居住人员");
    kiosk.wait_for_screen("filing-form");
    kiosk.tap("就医地");
    kiosk.wait_for_screen("filing-province");
    shot("filing-province");
    tap_scrolling(kiosk, "海南省");
    kiosk.wait_for_action("海口市");
    shot("filing-city");
    kiosk.tap("海口市");
    kiosk.wait_for_screen("filing-form");
    kiosk.tap("就医机构");
    kiosk.wait_for_action("海南省人民医院");
    kiosk.tap("海南省人民医院");
    kiosk.tap("完成");
    kiosk.wait_for_screen("filing-form");
    kiosk.wait_for_text("海南省人民医院");
    kiosk.tap("就医机构");
    kiosk.wait_for_text("三级甲等");
    shot("filing-institutions");
    kiosk.tap("完成");
    kiosk.wait_for_screen("filing-form");
    kiosk.tap("联系电话1");
    kiosk.wait_for_screen("filing-phone");
    for d in "1381234".chars() {
        kiosk.tap(&d.to_string());
    }
    kiosk.wait_for_text("1381234");
    shot("filing-phone");
    for d in "5678".chars() {
        kiosk.tap(&d.to_string());
    }
    kiosk.wait_for_text("13812345678");
    kiosk.tap("确定");
    kiosk.wait_for_screen("filing-form");
    kiosk.wait_for_text("13812345678");
    shot("filing-form");
    kiosk.tap("下一步：阅读承诺书");
    kiosk.wait_for_screen("filing-letter");
    kiosk.tap("☐ 本人已阅读并承诺以上内容");
    kiosk.wait_for_action("☑ 本人已阅读并承诺以上内容");
    let (status, _) = kiosk.post(
        "/v1/draw",
        serde_json::json!({
            "label": "签名框",
            "points": [[120, 220], [180, 120], [240, 250], [300, 110], [380, 240],
                       [460, 130], [520, 200], [600, 150], [700, 210]]
        }),
    );
    assert_eq!(status, 200);
    kiosk.wait_for_action("提交备案");
    shot("filing-letter");
    // Back out without submitting: this journey only takes pictures.
    kiosk.tap("返回修改");
    kiosk.wait_for_screen("filing-form");
    kiosk.tap("返回");
    kiosk.wait_for_screen("filing-category");
    kiosk.tap("返回");
    kiosk.wait_for_screen("enrollment");
}

fn countdown(kiosk: &Kiosk, dir: &Path, prefix: &str) {
    kiosk.place_id_card(li_xiulan_card());
    kiosk.wait_for_screen("enrollment");
    kiosk.wait_for_text("秒后将返回首页");
    std::fs::write(
        dir.join(format!("{prefix}-idle-countdown.png")),
        kiosk.get_bytes("/v1/screenshot"),
    )
    .unwrap();
    kiosk.tap("继续办理");
    kiosk.remove_id_card_and_wait();
    kiosk.wait_for_screen("home");
}

fn refused(kiosk: &Kiosk, dir: &Path, prefix: &str) {
    kiosk.wait_for_screen("home");
    kiosk.place_id_card(li_xiulan_card());
    kiosk.wait_for_screen("enrollment");
    kiosk.tap("开具参保凭证");
    kiosk.wait_for_screen("certificate-refused");
    std::fs::write(
        dir.join(format!("{prefix}-certificate-refused.png")),
        kiosk.get_bytes("/v1/screenshot"),
    )
    .unwrap();
    kiosk.remove_id_card_and_wait();
    kiosk.wait_for_screen("home");
}

#[test]
#[ignore = "writes files into target/screenshots and docs/screenshots; run on demand"]
fn write_screenshots() {
    let dir = out_dir();
    for orientation in ["portrait", "landscape"] {
        let ui = format!("[ui]\norientation = \"{orientation}\"\n");
        let kiosk = Kiosk::start(&ui);
        for (mode, toggle) in [("standard", None), ("elderly", Some("长辈模式"))] {
            if let Some(label) = toggle {
                kiosk.wait_for_screen("home");
                kiosk.tap(label);
            }
            let prefix = format!("{orientation}-{mode}");
            journey(
                &kiosk,
                &dir,
                &prefix,
                orientation == "portrait" && mode == "standard",
            );
        }
        drop(kiosk);

        // Yunnan's certificate rule refuses a person whose coverage is normal.
        let kiosk = Kiosk::start(&format!("{ui}[terminal]\nregion = \"yunnan\"\n"));
        refused(&kiosk, &dir, &format!("{orientation}-standard"));
        kiosk.tap("长辈模式");
        refused(&kiosk, &dir, &format!("{orientation}-elderly"));
        drop(kiosk);

        // The idle countdown (shown after 1 s without a touch).
        let kiosk = Kiosk::start(&format!("{ui}idle_timeout_s = 30\ncountdown_s = 29\n"));
        kiosk.wait_for_screen("home");
        countdown(&kiosk, &dir, &format!("{orientation}-standard"));
        kiosk.tap("长辈模式");
        countdown(&kiosk, &dir, &format!("{orientation}-elderly"));
    }
    let docs = docs_dir();
    std::fs::create_dir_all(&docs).unwrap();
    for (from, to) in README {
        std::fs::copy(dir.join(from), docs.join(to)).unwrap();
    }
    std::fs::copy(
        dir.join("paper-business-slip.png"),
        docs.join("business-slip.png"),
    )
    .unwrap();
}

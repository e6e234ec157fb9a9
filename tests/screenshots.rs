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

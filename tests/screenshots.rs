//! Screenshots of every screen of the kiosk, in portrait and landscape, in
//! standard and elderly mode, in Chinese and in the bundled English, plus
//! the printed papers, written by one command:
//!
//! ```text
//! cargo test -p kiosk --test screenshots -- --ignored
//! ```
//!
//! Everything goes to `target/screenshots/` (named
//! `<orientation>-<mode>[-en]-<screen>.png`); the few the README shows are also
//! copied to `docs/screenshots/`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::{Path, PathBuf};

use support::{
    Kiosk, duan_zhiming_card, li_xiulan_card, liu_haiyan_card, ouyang_card, stranger_card,
};

fn out_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn docs_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/screenshots")
}

/// The screens the README links, by file name in `target/screenshots`.
const README: [(&str, &str); 10] = [
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
    ("portrait-standard-en-enrollment.png", "enrollment-en.png"),
];

/// Writes the screen as `<prefix>-<name>.png`.
fn save(kiosk: &Kiosk, dir: &Path, prefix: &str, name: &str) {
    std::fs::write(
        dir.join(format!("{prefix}-{name}.png")),
        kiosk.get_bytes("/v1/screenshot"),
    )
    .unwrap();
}

/// From the enrollment screen to 我的备案.
fn open_my_filings(kiosk: &Kiosk, lang: &Lang) {
    kiosk.tap(&lang.t("更多查询与办理"));
    kiosk.tap(&lang.t("异地就医备案"));
    kiosk.wait_for_screen("filing-category");
    kiosk.tap(&lang.t("我的备案"));
    kiosk.wait_for_screen("filings");
}

fn journey(kiosk: &Kiosk, lang: &Lang, dir: &Path, prefix: &str, papers: bool) {
    let shot = |name: &str| save(kiosk, dir, prefix, name);
    kiosk.wait_for_screen("home");
    shot("home");

    kiosk.place_id_card(li_xiulan_card());
    kiosk.wait_for_screen("enrollment");
    shot("enrollment");
    kiosk.tap(&lang.t("开具参保凭证"));
    kiosk.wait_for_screen("certificate");
    shot("certificate");
    kiosk.tap(&lang.t("转移接续版"));
    kiosk.wait_for_text("（第");
    shot("certificate-transfer");
    kiosk.tap(&lang.t("打印参保凭证"));
    kiosk.wait_for_screen("printed");
    shot("printed");
    kiosk.tap(&lang.t("不满意"));
    kiosk.wait_for_text(&lang.frag("请选择不满意的原因（可不选）"));
    shot("printed-reason");
    kiosk.tap(&lang.t("信息有误"));
    kiosk.wait_for_text(&lang.frag("感谢您的评价！"));
    shot("printed-rated");
    kiosk.tap(&lang.t("继续办理"));
    kiosk.wait_for_screen("enrollment");
    kiosk.tap(&lang.t("打印业务办理单"));
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
    kiosk.tap(&lang.t("继续办理"));
    kiosk.wait_for_screen("enrollment");
    filing(kiosk, lang, &shot);
    kiosk.tap(&lang.t("返回首页"));
    kiosk.wait_for_screen("take-card");
    shot("take-card");
    kiosk.remove_id_card_and_wait();
    kiosk.wait_for_screen("home");

    kiosk.place_id_card(stranger_card());
    kiosk.wait_for_screen("error");
    shot("error");
    kiosk.remove_id_card_and_wait();
    kiosk.wait_for_screen("home");

    kiosk.tap(&lang.t("办事指南"));
    kiosk.wait_for_screen("guides");
    shot("guides");
    kiosk.tap(&lang.t("异地"));
    kiosk.wait_for_text(&lang.frag("“{}” 相关事项 {} 项"));
    kiosk.tap("异地转诊人员备案");
    kiosk.wait_for_screen("guide");
    shot("guide");
    kiosk.tap(&lang.t("返回首页"));
    // A guide is a service too: the rating comes after it (003 好差评).
    kiosk.wait_for_screen("rate");
    shot("rate");
    kiosk.tap(&lang.t("跳过"));
    kiosk.wait_for_screen("home");
}

/// Taps `label`, paging down with 下一屏 until it is on the screen (the
/// kiosk answers 409 for an element scrolled out of view, as a finger
/// could not reach it either).
fn tap_scrolling(kiosk: &Kiosk, lang: &Lang, label: &str) {
    for _ in 0..8 {
        let (status, body) = kiosk.post("/v1/tap", serde_json::json!({ "label": label }));
        match status {
            200 => return,
            404 | 409 => kiosk.tap(&lang.t("下一屏")),
            _ => panic!("tap {label:?}: {status} {body}"),
        }
    }
    panic!("{label:?} not found on any page");
}

/// The filing journey up to the signed letter (not submitted).
fn filing(kiosk: &Kiosk, lang: &Lang, shot: &dyn Fn(&str)) {
    kiosk.tap(&lang.t("更多查询与办理"));
    kiosk.tap(&lang.t("异地就医备案"));
    kiosk.wait_for_screen("filing-category");
    shot("filing-category");
    tap_scrolling(kiosk, lang, "异地长期居住人员");
    kiosk.wait_for_screen("filing-form");
    kiosk.tap(&lang.t("就医地"));
    kiosk.wait_for_screen("filing-province");
    shot("filing-province");
    tap_scrolling(kiosk, lang, "海南省");
    kiosk.wait_for_action("海口市");
    shot("filing-city");
    kiosk.tap("海口市");
    kiosk.wait_for_screen("filing-form");
    kiosk.tap(&lang.t("就医机构"));
    kiosk.wait_for_action("海南省人民医院");
    kiosk.tap("海南省人民医院");
    kiosk.tap(&lang.t("完成"));
    kiosk.wait_for_screen("filing-form");
    kiosk.wait_for_text("海南省人民医院");
    kiosk.tap(&lang.t("就医机构"));
    kiosk.wait_for_text("三级甲等");
    shot("filing-institutions");
    kiosk.tap(&lang.t("完成"));
    kiosk.wait_for_screen("filing-form");
    kiosk.tap(&lang.t("联系电话1"));
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
    kiosk.tap(&lang.t("确定"));
    kiosk.wait_for_screen("filing-form");
    kiosk.wait_for_text("13812345678");
    shot("filing-form");
    kiosk.tap(&lang.t("下一步：阅读承诺书"));
    kiosk.wait_for_screen("filing-letter");
    kiosk.tap(&lang.t("☐ 本人已阅读并承诺以上内容"));
    kiosk.wait_for_action(&lang.t("☑ 本人已阅读并承诺以上内容"));
    let (status, _) = kiosk.post(
        "/v1/draw",
        serde_json::json!({
            "label": lang.t("签名框"),
            "points": [[120, 220], [180, 120], [240, 250], [300, 110], [380, 240],
                       [460, 130], [520, 200], [600, 150], [700, 210]]
        }),
    );
    assert_eq!(status, 200);
    kiosk.wait_for_action(&lang.t("提交备案"));
    shot("filing-letter");
    // Back out without submitting: this journey only takes pictures.
    kiosk.tap(&lang.t("返回修改"));
    kiosk.wait_for_screen("filing-form");
    kiosk.tap(&lang.t("返回"));
    kiosk.wait_for_screen("filing-category");
    kiosk.tap(&lang.t("返回"));
    kiosk.wait_for_screen("enrollment");
}

/// My filings of 段志明 (an unlocked filing) and its change screen; the
/// extension screen of 刘海燕's temporary trip.
fn my_filings(kiosk: &Kiosk, lang: &Lang, dir: &Path, prefix: &str) {
    let shot = |name: &str| save(kiosk, dir, prefix, name);
    kiosk.wait_for_screen("home");
    kiosk.place_id_card(duan_zhiming_card());
    kiosk.wait_for_screen("enrollment");
    open_my_filings(kiosk, lang);
    shot("filings");
    kiosk.tap(&lang.t("变更"));
    kiosk.wait_for_screen("filing-change");
    shot("filing-change");
    kiosk.tap(&lang.t("返回"));
    kiosk.wait_for_screen("filings");
    kiosk.remove_id_card_and_wait();
    kiosk.wait_for_screen("home");
    // 刘海燕's temporary trip can be extended.
    kiosk.place_id_card(liu_haiyan_card());
    kiosk.wait_for_screen("enrollment");
    open_my_filings(kiosk, lang);
    kiosk.tap(&lang.t("延期"));
    kiosk.wait_for_screen("filing-extend");
    shot("filing-extend");
    kiosk.tap(&lang.t("返回"));
    kiosk.wait_for_screen("filings");
    kiosk.remove_id_card_and_wait();
    kiosk.wait_for_screen("home");
}

fn countdown(kiosk: &Kiosk, lang: &Lang, dir: &Path, prefix: &str) {
    kiosk.place_id_card(li_xiulan_card());
    kiosk.wait_for_screen("enrollment");
    kiosk.wait_for_text(&lang.frag("{} 秒后将返回首页，您的信息将从屏幕清除"));
    save(kiosk, dir, prefix, "idle-countdown");
    kiosk.tap(&lang.t("继续办理"));
    kiosk.remove_id_card_and_wait();
    kiosk.wait_for_screen("home");
}

fn refused(kiosk: &Kiosk, lang: &Lang, dir: &Path, prefix: &str) {
    kiosk.wait_for_screen("home");
    kiosk.place_id_card(li_xiulan_card());
    kiosk.wait_for_screen("enrollment");
    kiosk.tap(&lang.t("开具参保凭证"));
    kiosk.wait_for_screen("certificate-refused");
    save(kiosk, dir, prefix, "certificate-refused");
    kiosk.remove_id_card_and_wait();
    kiosk.wait_for_screen("home");
}

/// The screen language of a run: labels to tap and texts to wait for are
/// written in Chinese here and looked up in the bundled translation.
struct Lang {
    name: &'static str,
    catalogue: Option<kiosk_core::texts::Catalogue>,
}

impl Lang {
    fn new(name: &'static str) -> Lang {
        let catalogue = kiosk_core::texts::BUNDLED
            .iter()
            .find(|(language, _)| *language == name)
            .map(|(language, po)| kiosk_core::texts::Catalogue::parse(language, po).unwrap());
        Lang { name, catalogue }
    }

    /// A catalogue text in this language.
    fn t(&self, zh: &str) -> String {
        match &self.catalogue {
            None => zh.to_string(),
            Some(c) => c
                .get(zh)
                .unwrap_or_else(|| panic!("{zh} is not translated"))
                .to_string(),
        }
    }

    /// The longest part of a text with placeholders that has none (what
    /// a screen showing it surely contains).
    fn frag(&self, zh: &str) -> String {
        let text = self.t(zh);
        text.split(['{', '}'])
            .enumerate()
            .filter(|(i, _)| i % 2 == 0)
            .map(|(_, part)| part.trim().to_string())
            .max_by_key(|part| part.chars().count())
            .unwrap_or_default()
    }
}

#[test]
#[ignore = "writes files into target/screenshots and docs/screenshots; run on demand"]
fn write_screenshots() {
    let dir = out_dir();
    for (language, suffix) in [("zh-CN", ""), ("en", "-en")] {
        let lang = Lang::new(language);
        for orientation in ["portrait", "landscape"] {
            let ui = format!(
                "[ui]\norientation = \"{orientation}\"\nlanguage = \"{}\"\n",
                lang.name
            );
            let kiosk = Kiosk::start(&ui);
            for (mode, elderly) in [("standard", false), ("elderly", true)] {
                if elderly {
                    kiosk.wait_for_screen("home");
                    kiosk.tap(&lang.t("长辈模式"));
                }
                let prefix = format!("{orientation}-{mode}{suffix}");
                journey(
                    &kiosk,
                    &lang,
                    &dir,
                    &prefix,
                    suffix.is_empty() && orientation == "portrait" && mode == "standard",
                );
            }
            drop(kiosk);

            // Yunnan's certificate rule refuses a person whose coverage is normal.
            let kiosk = Kiosk::start(&format!("{ui}[terminal]\nregion = \"yunnan\"\n"));
            refused(
                &kiosk,
                &lang,
                &dir,
                &format!("{orientation}-standard{suffix}"),
            );
            kiosk.tap(&lang.t("长辈模式"));
            refused(
                &kiosk,
                &lang,
                &dir,
                &format!("{orientation}-elderly{suffix}"),
            );
            drop(kiosk);

            // My filings and the change screen.
            let kiosk = Kiosk::start(&ui);
            my_filings(
                &kiosk,
                &lang,
                &dir,
                &format!("{orientation}-standard{suffix}"),
            );
            kiosk.tap(&lang.t("长辈模式"));
            my_filings(
                &kiosk,
                &lang,
                &dir,
                &format!("{orientation}-elderly{suffix}"),
            );
            drop(kiosk);

            // The idle countdown (shown after 1 s without a touch).
            let kiosk = Kiosk::start(&format!("{ui}idle_timeout_s = 30\ncountdown_s = 29\n"));
            kiosk.wait_for_screen("home");
            countdown(
                &kiosk,
                &lang,
                &dir,
                &format!("{orientation}-standard{suffix}"),
            );
            kiosk.tap(&lang.t("长辈模式"));
            countdown(
                &kiosk,
                &lang,
                &dir,
                &format!("{orientation}-elderly{suffix}"),
            );
        }
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

/// A name with a rare character (𡒄, CJK Extension B, outside GBK and
/// Noto Sans CJK) on the enrollment screen and on the certificate preview
/// of a GBK-only printer: `target/screenshots/portrait-standard-rare-name-*.png`,
/// the enrollment also as `docs/screenshots/enrollment-rare-name.png`.
#[test]
#[ignore = "writes files into target/screenshots and docs/screenshots; run on demand"]
fn write_rare_name_screenshots() {
    let dir = out_dir();
    let kiosk = Kiosk::start("[devices]\nprinter_charset = \"gbk\"\n");
    kiosk.wait_for_screen("home");
    kiosk.place_id_card(ouyang_card());
    kiosk.wait_for_screen("enrollment");
    save(&kiosk, &dir, "portrait-standard-rare-name", "enrollment");
    kiosk.tap("开具参保凭证");
    kiosk.wait_for_screen("certificate");
    save(&kiosk, &dir, "portrait-standard-rare-name", "certificate");
    std::fs::copy(
        dir.join("portrait-standard-rare-name-enrollment.png"),
        docs_dir().join("enrollment-rare-name.png"),
    )
    .unwrap();
}

//! The resident premium payment 城乡居民医保缴费 (issue 15 journey 5) end
//! to end through the real `kiosk` binary in simulation mode, against the
//! reference centre: the year's amount due with the government subsidy,
//! the payment order and its QR code, the phone's payment (the centre's
//! automation endpoint, reached through `/v1/sim/central/premium/…`), the
//! receipt printed once the centre confirms; a cancelled order; and an
//! order whose result is lost with the network, never shown as paid,
//! reconciled by the sync engine and found paid when the citizen returns.
//!
//! `cargo test -p kiosk --test premium -- --ignored` also writes the
//! screenshots (portrait standard / elderly, landscape, English) and the
//! printed receipt to target/screenshots/ and docs/screenshots/.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::PathBuf;
use std::time::Instant;

use serde_json::{Value, json};
use support::{Kiosk, texts, zhang_defu_card};

/// The order number the payment screen shows (the kiosk's own: the
/// terminal id of the default configuration, `P`, the date, a serial).
fn order_no(screen: &Value) -> String {
    texts(screen)
        .split(|c: char| c.is_whitespace() || c == '：' || c == ':')
        .find(|w| w.starts_with("K2201-A001P") && w.len() == "K2201-A001P".len() + 14)
        .map(str::to_string)
        .unwrap_or_else(|| panic!("no order number: {screen}"))
}

fn to_due_screen(kiosk: &Kiosk) -> Value {
    kiosk.place_id_card(zhang_defu_card());
    kiosk.wait_for_screen("enrollment");
    kiosk.tap("更多查询与办理");
    kiosk.tap("居民医保缴费");
    kiosk.wait_for_screen("premium")
}

fn pay(kiosk: &Kiosk, order: &str, body: Value) -> (u16, Value) {
    kiosk.post(&format!("/v1/sim/central/premium/{order}"), body)
}

#[test]
fn a_resident_pays_by_qr_code_and_the_receipt_prints_once_the_centre_confirms() {
    let kiosk = Kiosk::start("");
    kiosk.wait_for_screen("home");
    kiosk.place_id_card(zhang_defu_card());
    kiosk.wait_for_screen("enrollment");
    let tapped = Instant::now();
    kiosk.tap("更多查询与办理");
    kiosk.tap("居民医保缴费");
    let due = kiosk.wait_for_screen("premium");
    eprintln!(
        "tap to answer (居民医保缴费, two taps from the enrollment screen, KS51): {} ms",
        tapped.elapsed().as_millis()
    );
    let text = texts(&due);
    for expected in [
        "2027 年度城乡居民基本医疗保险",
        "待缴费",
        "¥400.00",
        "低收入家庭60周岁以上老年人",
        "¥200.00",
        "集中缴费期",
    ] {
        assert!(text.contains(expected), "{expected:?}: {text}");
    }
    let tapped = Instant::now();
    kiosk.tap("生成缴费二维码（¥200.00）");
    let paying = kiosk.wait_for_screen("premium-pay");
    eprintln!(
        "tap to QR code (store write + KS52): {} ms",
        tapped.elapsed().as_millis()
    );
    let text = texts(&paying);
    assert!(text.contains("应缴金额 ¥200.00"), "{text}");
    assert!(
        paying.to_string().contains("缴费二维码"),
        "the QR code is on screen: {paying}"
    );
    let order = order_no(&paying);
    assert!(
        texts(&paying).contains(&format!("订单号：{order}")),
        "{paying}"
    );
    // What the citizen's phone scans: the order's payment link.
    let codes = qr_codes_on_screen(&kiosk.get_bytes("/v1/screenshot"));
    assert_eq!(
        codes,
        vec![format!("https://pay.demo.invalid/resident-premium/{order}")]
    );

    // The phone pays: the centre marks the order paid; the kiosk's poll
    // finds it and prints the receipt.
    let (status, answer) = pay(
        &kiosk,
        &order,
        json!({"result": "paid", "channel": "微信支付"}),
    );
    assert_eq!(status, 200, "{answer}");
    let paid = Instant::now();
    kiosk.wait_for_screen("printed");
    // Bounded by the poll interval (3 s): the figure is mostly the wait
    // for the next KS53.
    eprintln!(
        "paid at the centre to receipt printed: {} ms",
        paid.elapsed().as_millis()
    );
    let receipts = kiosk.wait_for_receipts(1);
    let paper = receipts[0]["text"].as_str().unwrap();
    let flat = squash(paper);
    for expected in [
        "城乡居民基本医疗保险缴费凭证",
        "张德福",
        "220104********0010",
        "缴费年度2027年度",
        "政府资助¥200.00",
        "资助类别低收入家庭60周岁以上老年人",
        "实缴金额¥200.00",
        "金额大写贰佰元整",
        "支付方式微信支付",
        "票据号220100-2027-R",
        &format!("订单号{order}"),
    ] {
        assert!(
            flat.contains(expected),
            "{expected:?} not printed:\n{paper}"
        );
    }
    assert!(!paper.contains("220104195203110010"), "masked on paper");

    // Asked again, the year is paid and the receipt can be printed again.
    kiosk.tap("继续办理");
    kiosk.wait_for_screen("enrollment");
    kiosk.tap("更多查询与办理");
    kiosk.tap("居民医保缴费");
    let again = kiosk.wait_for_screen("premium");
    let text = texts(&again);
    assert!(text.contains("已缴费"), "{text}");
    assert!(!text.contains("生成缴费二维码"), "{text}");
    assert!(text.contains("打印缴费凭证"), "{text}");

    // Leaving after a payment asks for a rating of the service first.
    kiosk.tap("返回首页");
    kiosk.wait_for_screen("rate");
    kiosk.tap("满意");
    kiosk.wait_for_action("返回首页");
    kiosk.tap("返回首页");
    kiosk.wait_for_screen("take-card");
    kiosk.remove_id_card_and_wait();
    kiosk.wait_for_screen("home");
    let logs = kiosk.logs();
    assert!(logs.contains("premium order answered"), "{logs}");
    for secret in ["张德福", "220104195203110010", "22010000000003"] {
        assert!(!logs.contains(secret), "{secret:?} leaked:\n{logs}");
    }
}

#[test]
fn a_cancelled_order_charges_nothing_and_cannot_be_paid_afterwards() {
    let kiosk = Kiosk::start("");
    kiosk.wait_for_screen("home");
    to_due_screen(&kiosk);
    kiosk.tap("生成缴费二维码（¥200.00）");
    let order = order_no(&kiosk.wait_for_screen("premium-pay"));
    kiosk.tap("取消缴费");
    let back = kiosk.wait_for_screen("premium");
    assert!(texts(&back).contains("订单已取消，未扣款。"), "{back}");
    // The phone is too late: the centre refuses to take the money.
    let (status, answer) = pay(
        &kiosk,
        &order,
        json!({"result": "paid", "channel": "微信支付"}),
    );
    assert_eq!(status, 409, "{answer}");
    // A new order gets a new number.
    kiosk.tap("生成缴费二维码（¥200.00）");
    let second = order_no(&kiosk.wait_for_screen("premium-pay"));
    assert_ne!(second, order);
    // The card leaves while the QR code shows: the order is cancelled for
    // the citizen, nobody can pay it behind their back.
    kiosk.remove_id_card_and_wait();
    kiosk.wait_for_screen("home");
    kiosk.wait_until("the abandoned order cancelled", |_| {
        pay(&kiosk, &second, json!({"result": "paid"})).0 == 409
    });
}

#[test]
fn an_order_lost_with_the_network_is_never_shown_paid_and_is_reconciled_later() {
    let kiosk = Kiosk::start("");
    kiosk.wait_for_screen("home");
    to_due_screen(&kiosk);
    kiosk.tap("生成缴费二维码（¥200.00）");
    let order = order_no(&kiosk.wait_for_screen("premium-pay"));

    // The hall's network goes down; the citizen pays on their phone
    // meanwhile (the phone's own network), then gives up at the kiosk.
    let (status, _) = kiosk.post("/v1/sim/central/fault", json!({"unreachable": true}));
    assert_eq!(status, 200);
    let (status, answer) = pay(
        &kiosk,
        &order,
        json!({"result": "paid", "channel": "支付宝"}),
    );
    assert_eq!(status, 200, "{answer}");
    kiosk.tap("取消缴费");
    let unknown = kiosk.wait_for_screen("error");
    let text = texts(&unknown);
    assert!(text.contains("缴费结果待确认"), "{text}");
    assert!(text.contains(&order), "{text}");
    assert!(text.contains("请不要重复支付"), "{text}");
    assert!(!text.contains("已缴费"), "{text}");
    assert!(kiosk.get("/v1/sim/receipts").as_array().unwrap().is_empty());
    let status = kiosk.get("/v1/sync/status");
    assert_eq!(status["premium_orders_unsettled"], 1, "{status}");
    kiosk.remove_id_card_and_wait();
    kiosk.wait_for_screen("home");

    // The network is back: the sync engine asks the centre and records
    // the payment.
    let (status, _) = kiosk.post("/v1/sim/central/fault", json!({"unreachable": false}));
    assert_eq!(status, 200);
    kiosk.wait_until("the order reconciled", |_| {
        kiosk.post("/v1/sync/now", json!({}));
        kiosk.get("/v1/sync/status")["premium_orders_unsettled"] == 0
    });
    let logs = kiosk.logs();
    assert!(logs.contains("premium order reconciled"), "{logs}");

    // The citizen comes back: the year is paid, once, and the receipt prints.
    let again = to_due_screen(&kiosk);
    assert!(texts(&again).contains("已缴费"), "{again}");
    kiosk.tap("打印缴费凭证");
    kiosk.wait_for_screen("printed");
    let receipts = kiosk.wait_for_receipts(1);
    let paper = receipts[0]["text"].as_str().unwrap();
    let flat = squash(paper);
    assert!(flat.contains("支付方式支付宝"), "{paper}");
    assert!(flat.contains(&format!("订单号{order}")), "{paper}");
}

/// The QR codes found on a screenshot, decoded.
fn qr_codes_on_screen(png_bytes: &[u8]) -> Vec<String> {
    let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    let (w, h) = (info.width as usize, info.height as usize);
    let mut prepared =
        rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| buf[(y * w + x) * channels]);
    prepared
        .detect_grids()
        .iter()
        .filter_map(|g| g.decode().ok().map(|(_, content)| content))
        .collect()
}

/// The paper roll's text without spaces and line breaks: a pair is found
/// whether it printed on one line or with the value wrapped below.
fn squash(paper: &str) -> String {
    paper.chars().filter(|c| !c.is_whitespace()).collect()
}

fn shots_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
#[ignore = "writes files into target/screenshots and docs/screenshots; run on demand"]
fn write_premium_screenshots() {
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
            for (mode, elderly) in [("standard", false), ("elderly", true)] {
                // A kiosk (and centre) of its own: the year is still due.
                let kiosk = Kiosk::start(&format!(
                    "[ui]\norientation = \"{orientation}\"\nlanguage = \"{language}\"\n"
                ));
                kiosk.wait_for_screen("home");
                if elderly {
                    kiosk.tap(&t("长辈模式"));
                }
                kiosk.place_id_card(zhang_defu_card());
                kiosk.wait_for_screen("enrollment");
                let name = format!("{orientation}-{mode}{suffix}");
                let shot = |what: &str| {
                    std::fs::write(
                        dir.join(format!("{name}-{what}.png")),
                        kiosk.get_bytes("/v1/screenshot"),
                    )
                    .unwrap()
                };
                kiosk.tap(&t("更多查询与办理"));
                kiosk.tap(&t("居民医保缴费"));
                let due = kiosk.wait_for_screen("premium");
                shot("premium");
                let pay_label = support::actions(&due)
                    .into_iter()
                    .find(|a| a.contains(&t("生成缴费二维码")) || a.contains("QR"))
                    .unwrap_or_else(|| panic!("no pay button: {due}"));
                kiosk.tap(&pay_label);
                let paying = kiosk.wait_for_screen("premium-pay");
                shot("premium-pay");
                let order = order_no(&paying);
                pay(
                    &kiosk,
                    &order,
                    json!({"result": "paid", "channel": "微信支付"}),
                );
                kiosk.wait_for_screen("printed");
                if suffix.is_empty() && orientation == "portrait" && !elderly {
                    let receipts = kiosk.wait_for_receipts(1);
                    std::fs::write(
                        docs.join("print-premium-receipt.png"),
                        kiosk.get_bytes(receipts[0]["png"].as_str().unwrap()),
                    )
                    .unwrap();
                }
                kiosk.tap(&t("继续办理"));
                kiosk.wait_for_screen("enrollment");
                kiosk.tap(&t("更多查询与办理"));
                kiosk.tap(&t("居民医保缴费"));
                kiosk.wait_for_screen("premium");
                shot("premium-paid");
                kiosk.remove_id_card_and_wait();
                kiosk.wait_for_screen("home");
            }
        }
    }
    for (from, to) in [
        ("portrait-standard-premium.png", "premium.png"),
        ("portrait-elderly-premium.png", "premium-elderly.png"),
        ("landscape-standard-premium.png", "premium-landscape.png"),
        ("portrait-standard-en-premium.png", "premium-en.png"),
        ("portrait-standard-premium-pay.png", "premium-pay.png"),
        (
            "portrait-elderly-premium-pay.png",
            "premium-pay-elderly.png",
        ),
        (
            "landscape-standard-premium-pay.png",
            "premium-pay-landscape.png",
        ),
        ("portrait-standard-premium-paid.png", "premium-paid.png"),
    ] {
        std::fs::copy(dir.join(from), docs.join(to)).unwrap();
    }
}

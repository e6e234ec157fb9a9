//! Writes screenshots of the kiosk's screens and the printed slip to
//! `docs/screenshots/` (one command, used for the README and for review):
//!
//! ```text
//! cargo test -p kiosk --test screenshots -- --ignored
//! ```

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::PathBuf;

use support::{Kiosk, li_xiulan_card, stranger_card};

fn out_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
#[ignore = "writes files into docs/screenshots; run on demand"]
fn write_screenshots() {
    let dir = out_dir();
    let kiosk = Kiosk::start("");
    let shot = |name: &str| {
        std::fs::write(
            dir.join(format!("{name}.png")),
            kiosk.get_bytes("/v1/screenshot"),
        )
        .unwrap();
    };
    kiosk.wait_for_screen("home");
    shot("home");
    kiosk.tap("长辈模式");
    shot("home-elderly");
    kiosk.tap("标准模式");

    kiosk.place_id_card(li_xiulan_card());
    kiosk.wait_for_screen("enrollment");
    shot("enrollment");
    kiosk.tap("长辈模式");
    shot("enrollment-elderly");
    kiosk.tap("标准模式");
    kiosk.tap("打印业务办理单");
    kiosk.wait_for_screen("printed");
    shot("printed");
    let receipts = kiosk.wait_for_receipts(1);
    std::fs::write(
        dir.join("business-slip.png"),
        kiosk.get_bytes(receipts[0]["png"].as_str().unwrap()),
    )
    .unwrap();
    kiosk.remove_id_card_and_wait();
    kiosk.wait_for_screen("home");

    kiosk.place_id_card(stranger_card());
    kiosk.wait_for_screen("error");
    shot("error-unknown-person");
}

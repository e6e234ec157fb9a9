//! Security properties of the deployed kiosk (issue 17, part 6), through
//! the real `kiosk` binary:
//!
//! - the store, its WAL and shared-memory files and the outbox key are
//!   owner-only (0600) and the store's directory is 0700, when created and
//!   when an earlier store was left readable by others;
//! - in production mode (a configuration with `[simulation] enabled =
//!   false`) nothing writes receipt images: the slip and the certificate
//!   are printed on the hall's printer (here the ESC/POS simulator in the
//!   test process, as a real printer on TCP), `--receipts-dir` is ignored,
//!   and no PNG appears in the kiosk's directory or its temporary one.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use kiosk_sim::idcard::{CardSlot, IdReaderSim, SimCard};
use kiosk_sim::printer::{PaperWidth, PrinterSim, PrinterSimConfig};
use support::{Kiosk, li_xiulan_card};

const TOKEN: &str = "security-test-token-0123456789";

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .permissions()
        .mode()
        & 0o777
}

fn with_suffix(p: &Path, suffix: &str) -> PathBuf {
    let mut s = p.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// The umask this test runs under (from /proc), for the failure message.
fn umask() -> String {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("Umask:"))
        .map(|l| l.trim_start_matches("Umask:").trim().to_string())
        .unwrap_or_else(|| "unknown".into())
}

fn assert_owner_only(kiosk: &Kiosk) {
    let db = kiosk.store_path();
    let dir = db.parent().unwrap();
    let key = dir.join("outbox.key");
    let umask = umask();
    assert_eq!(mode(dir), 0o700, "{} (umask {umask})", dir.display());
    assert_eq!(mode(&db), 0o600, "{} (umask {umask})", db.display());
    assert_eq!(mode(&key), 0o600, "{} (umask {umask})", key.display());
    for side in ["-wal", "-shm"] {
        let file = with_suffix(&db, side);
        if file.exists() {
            assert_eq!(mode(&file), 0o600, "{} (umask {umask})", file.display());
        }
    }
}

#[test]
fn the_store_its_key_and_their_directory_are_owner_only() {
    let kiosk = Kiosk::start("");
    kiosk.wait_for_screen("home");
    assert!(with_suffix(&kiosk.store_path(), "-wal").exists());
    assert_owner_only(&kiosk);
    // Created by the kiosk on the way to its store: owner-only too.
    assert_eq!(mode(&kiosk.dir().join("data")), 0o700);

    // A store an earlier version left readable by others is tightened at
    // the next start (the key file is refused instead: see
    // centrallink's and the store's key checks).
    let db = kiosk.store_path();
    let dir = kiosk.stop();
    for file in [
        db.clone(),
        with_suffix(&db, "-wal"),
        with_suffix(&db, "-shm"),
    ] {
        if file.exists() {
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
    }
    let kiosk = Kiosk::start_in(dir, "");
    kiosk.wait_for_screen("home");
    assert_owner_only(&kiosk);
}

/// Every file under `dir` whose name ends in `.png` (no symlinks followed).
fn pngs_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                todo.push(path);
            } else if path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("png"))
            {
                found.push(path);
            }
        }
    }
    found
}

#[test]
fn production_mode_prints_on_the_printer_and_writes_no_receipt_image() {
    let centre = kiosk_central::CentralServer::spawn(
        ([127, 0, 0, 1], 0).into(),
        kiosk_central::DemoData::builtin().unwrap(),
        std::sync::Arc::new(kiosk_sync::clock::SystemClock),
    )
    .unwrap();
    // The hall's printer: the ESC/POS simulator in this process, keeping
    // what it prints in memory only.
    let printer = PrinterSim::start(PrinterSimConfig {
        listen: ([127, 0, 0, 1], 0).into(),
        out_dir: None,
        paper: PaperWidth::Mm58,
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let slot = CardSlot::new();
    let link = dir.path().join("id-reader");
    let _reader = IdReaderSim::spawn(slot.clone(), Some(&link)).unwrap();
    // The kiosk's temporary directory, where a simulated printer would
    // put its receipts when no --receipts-dir is given.
    let tmp = dir.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let config = format!(
        "[simulation]\nenabled = false\n\
         [terminal]\nid = \"K2201-T100\"\nhall_name = \"长春市医疗保障服务大厅\"\n\
         [devices]\nid_reader = \"{}\"\nprinter = \"tcp://{}\"\nss_card_reader = \"usb:ffff:fffe\"\n\
         [central]\nurl = \"{}\"\ntimeout_ms = 2000\n\
         [automation]\nenabled = true\ntoken = \"{TOKEN}\"\nport = 0\n",
        link.display(),
        printer.local_addr(),
        centre.url()
    );
    let kiosk = Kiosk::start_with(
        dir,
        &config,
        &[("TMPDIR", tmp.to_str().unwrap())],
        Some(TOKEN),
    );
    let out = kiosk.stdout.join("\n");
    assert!(out.contains("kiosk: production mode"), "{out}");
    assert!(!out.contains("simulated"), "{out}");
    kiosk.wait_for_screen("home");

    // The business slip, then the certificate (its preview is rendered
    // from the job's bytes, in memory).
    slot.place(SimCard::from_json(&li_xiulan_card().to_string()).unwrap());
    kiosk.wait_for_screen("enrollment");
    kiosk.tap("打印业务办理单");
    kiosk.wait_for_screen("printed");
    assert!(printer.wait_for_receipts(1, Duration::from_secs(20)));
    slot.remove();
    kiosk.wait_for_screen("home");
    slot.place(SimCard::from_json(&li_xiulan_card().to_string()).unwrap());
    kiosk.wait_for_screen("enrollment");
    kiosk.tap("开具参保凭证");
    kiosk.wait_for_screen("certificate");
    kiosk.tap("打印参保凭证");
    kiosk.wait_for_screen("printed");
    assert!(printer.wait_for_receipts(2, Duration::from_secs(20)));
    let receipts = printer.receipts();
    assert!(receipts[0].text.contains("医疗保障业务办理单"));
    assert!(receipts.iter().all(|r| r.png_path.is_none()));
    slot.remove();
    kiosk.wait_for_screen("home");

    // Nothing wrote an image: not --receipts-dir (which the test support
    // passes), not the temporary directory, not beside the store.
    assert!(
        !kiosk.dir().join("receipts").exists(),
        "--receipts-dir used in production"
    );
    assert!(!tmp.join("kiosk-receipts").exists());
    let images = pngs_under(kiosk.dir());
    assert!(images.is_empty(), "receipt images written: {images:?}");
}

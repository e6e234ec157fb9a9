//! The `kiosk-central` binary: `--listen`, `--db`, `--seed`, `--lock-days`.
//! Started on a free loopback port, asked over HTTP, stopped with a kill.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use kiosk_sync::clock::SystemClock;
use kiosk_sync::{CentralClient, ClientConfig};

/// The running binary; killed when dropped, also when a test fails.
struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(args: &[&str]) -> (Running, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kiosk-central"))
        .args(["--listen", "127.0.0.1:0"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .rsplit(' ')
        .next()
        .unwrap_or_default()
        .to_string();
    let running = Running(child);
    assert!(url.starts_with("http://127.0.0.1:"), "{line}");
    (running, url)
}

fn client(url: &str) -> CentralClient {
    CentralClient::new(
        ClientConfig {
            base_url: url.to_string(),
            terminal_id: "K220100001".into(),
            terminal_name: "cli".into(),
            area_code: "220100".into(),
            institution_code: "H1".into(),
            institution_name: "大厅".into(),
            timeout: Duration::from_secs(5),
        },
        Arc::new(SystemClock),
    )
    .unwrap()
}

#[test]
fn serves_from_its_database_and_remembers_the_seed() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("central.db");
    let seed = dir.path().join("people.toml");
    // A seed with one more institution than the built-in one.
    let text = format!(
        "{}\n[[institutions]]\ncode = \"H99\"\nname = \"测试医院\"\narea = \"460100\"\n",
        kiosk_central::data::BUILTIN_TEXT
    );
    std::fs::write(&seed, text).unwrap();
    let (child, url) = start(&[
        "--db",
        db.to_str().unwrap(),
        "--seed",
        seed.to_str().unwrap(),
        "--lock-days",
        "30",
    ]);
    // The built-in institutions (with the generated sample) plus H99.
    let builtin = kiosk_central::DemoData::builtin()
        .unwrap()
        .institutions
        .len();
    let first = client(&url).reference_data("institutions", "").unwrap();
    assert_eq!(first.items.len(), builtin + 1);
    drop(child);
    // Without --seed: the seed stored in the database.
    let (child, url) = start(&["--db", db.to_str().unwrap()]);
    let again = client(&url).reference_data("institutions", "").unwrap();
    assert_eq!(again.items.len(), builtin + 1);
    assert_eq!(
        again.version, first.version,
        "nothing changed, no new version"
    );
    drop(child);
}

#[test]
fn a_broken_seed_stops_start_up_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let seed = dir.path().join("bad.toml");
    std::fs::write(&seed, "version = 1\npeople = [\n  { name = }\n]").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_kiosk-central"))
        .args(["--listen", "127.0.0.1:0", "--seed", seed.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.toml") && err.contains("line 3"), "{err}");
}

//! The local store and the sync engine in the real `kiosk` binary: each
//! test kiosk has its own store; `kiosk sync status` and `kiosk sync now`
//! through a running kiosk's automation API and on the store file alone;
//! a region profile pushed by the centre used after a restart, a broken one
//! ignored. Loopback only, free ports, bounded waits.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::Arc;

use kiosk_central::{CentralServer, DemoData};
use kiosk_sync::clock::SystemClock;
use serde_json::{Value, json};
use support::Kiosk;

fn centre() -> CentralServer {
    CentralServer::spawn(
        ([127, 0, 0, 1], 0).into(),
        DemoData::builtin().unwrap(),
        Arc::new(SystemClock),
    )
    .unwrap()
}

fn config_for(url: &str) -> String {
    format!(
        "[central]\nurl = \"{url}\"\ntimeout_ms = 1000\n\n[automation]\nenabled = true\nport = 0\n"
    )
}

#[test]
fn sync_status_and_sync_now_through_the_running_kiosk() {
    let kiosk = Kiosk::start("");
    let store = kiosk.store_path();
    assert!(
        kiosk
            .stdout
            .iter()
            .any(|l| l.starts_with("kiosk: store: ") && l.contains(&*store.to_string_lossy())),
        "{:?}",
        kiosk.stdout
    );

    // A cycle on the kiosk's engine: the health report queued at start is
    // settled once it is done.
    kiosk.wait_for_log("health report queued", 1);
    let now = kiosk.cli(&["sync", "now", "--api", &kiosk.api]);
    assert_eq!(now.code, Some(0), "{now:?}");
    assert!(now.stdout.contains("sync cycle: "), "{now:?}");
    assert!(now.stdout.contains(" 0 still pending"), "{now:?}");

    let status = kiosk.cli(&["sync", "status", "--json", "--api", &kiosk.api]);
    assert_eq!(status.code, Some(0), "{status:?}");
    let view: Value = serde_json::from_str(&status.stdout).unwrap();
    assert_eq!(view["running"], true, "{view}");
    assert_eq!(view["store"], store.to_string_lossy().as_ref());
    assert_eq!(view["pending"], 0, "{view}");
    assert!(
        view["accepted"].as_u64().unwrap() >= 1,
        "health report: {view}"
    );
    assert!(view["last_contact_at"].is_string(), "{view}");
    let datasets: Vec<&str> = view["datasets"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["name"].as_str())
        .collect();
    for name in ["institutions", "service_guides", "region_profiles"] {
        assert!(datasets.contains(&name), "{name} not pulled: {view}");
    }

    let text = kiosk.cli(&["sync", "status", "--api", &kiosk.api]);
    assert_eq!(text.code, Some(0), "{text:?}");
    for expected in [
        "queue: 0 pending",
        "oldest pending: none",
        "last successful contact: 20",
        "dataset institutions: version ",
    ] {
        assert!(text.stdout.contains(expected), "{expected:?}: {text:?}");
    }

    // The same through the automation API directly.
    let (code, body) = kiosk.post("/v1/sync/now", json!({}));
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["still_pending"], 0);
    assert_eq!(kiosk.get("/v1/sync/status")["pending"], 0);

    // No personal data and no key in the log of a kiosk that synced.
    let key = std::fs::read_to_string(store.with_file_name("outbox.key")).unwrap();
    assert!(!kiosk.logs().contains(key.trim()));
}

#[test]
fn without_a_running_kiosk_status_reads_the_store_and_sync_now_sends_itself() {
    // A kiosk whose centre is down: its start-up health report stays pending.
    let down = format!("http://127.0.0.1:{}", support::dead_port());
    let kiosk = Kiosk::start(&config_for(&down));
    kiosk.wait_for_log("health report queued", 1);
    let dir = kiosk.stop();

    let status = support::run_cli(dir.path(), &["sync", "status", "--json"]);
    assert_eq!(status.code, Some(0), "{status:?}");
    let view: Value = serde_json::from_str(&status.stdout).unwrap();
    assert_eq!(view["running"], false, "{view}");
    assert!(view["pending"].as_u64().unwrap() >= 1, "{view}");
    assert_eq!(view["oldest_pending"]["kind"], "health", "{view}");
    assert!(view["oldest_pending"]["age_s"].as_i64().unwrap() >= 0);
    assert!(view["last_contact_at"].is_null(), "{view}");

    // The centre still down: the cycle runs, nothing is lost, exit 2.
    let now = support::run_cli(dir.path(), &["sync", "now"]);
    assert_eq!(now.code, Some(2), "{now:?}");
    assert!(now.stdout.contains("centre unreachable"), "{now:?}");

    // The centre up: one cycle here sends what the kiosk left.
    let centre = centre();
    std::fs::write(dir.path().join("kiosk.toml"), config_for(&centre.url())).unwrap();
    let now = support::run_cli(dir.path(), &["sync", "now", "--json"]);
    assert_eq!(now.code, Some(0), "{now:?}");
    let cycle: Value = serde_json::from_str(&now.stdout).unwrap();
    assert!(cycle["accepted"].as_u64().unwrap() >= 1, "{cycle}");
    assert_eq!(cycle["still_pending"], 0, "{cycle}");

    let status = support::run_cli(dir.path(), &["sync", "status"]);
    assert!(status.stdout.contains("queue: 0 pending"), "{status:?}");
    assert!(!status.stdout.contains("last successful contact: never"));
}

#[test]
fn each_test_kiosk_has_its_own_store() {
    let a = Kiosk::start("");
    let b = Kiosk::start("");
    assert_ne!(a.store_path(), b.store_path());
    assert!(a.store_path().exists() && b.store_path().exists());
}

#[test]
fn a_region_profile_pushed_by_the_centre_is_used_after_a_restart_and_a_broken_one_ignored() {
    let jilin = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../data/regions/jilin.toml"
    ))
    .unwrap();
    let v2 = jilin.replacen("\nversion = 1\n", "\nversion = 2\n", 1);
    assert_ne!(v2, jilin);
    let centre = centre();
    centre
        .central()
        .publish_region_profile("jilin", 2, &v2)
        .unwrap();
    let config = config_for(&centre.url());

    let kiosk = Kiosk::start(&config);
    let region = |k: &Kiosk| {
        k.stdout
            .iter()
            .find(|l| l.starts_with("kiosk: region "))
            .cloned()
            .unwrap()
    };
    assert!(
        region(&kiosk).contains("profile version 1"),
        "{}",
        region(&kiosk)
    );
    let (code, body) = kiosk.post("/v1/sync/now", json!({}));
    assert_eq!(code, 200, "{body}");
    let dir = kiosk.stop();

    let kiosk = Kiosk::start_in(dir, &config);
    let line = region(&kiosk);
    assert!(
        line.contains("profile version 2 (pushed by the centre)"),
        "{line}"
    );

    // A broken version 3: pulled, ignored at the next start with a warning.
    let broken = jilin
        .replacen("\nversion = 1\n", "\nversion = 3\n", 1)
        .replacen("[region]", "[regio]", 1);
    centre
        .central()
        .publish_region_profile("jilin", 3, &broken)
        .unwrap();
    let (code, body) = kiosk.post("/v1/sync/now", json!({}));
    assert_eq!(code, 200, "{body}");
    let dir = kiosk.stop();
    let kiosk = Kiosk::start_in(dir, &config);
    let line = region(&kiosk);
    assert!(line.contains("profile version 1"), "{line}");
    assert!(line.contains("ignored"), "{line}");
    kiosk.wait_for_log("pushed region profile ignored", 1);
}

//! The fleet console in a real browser (issue 18): Debian's headless
//! Chromium driven through chromedriver (both started by this test on free
//! loopback ports, no network), against the reference centre with 50
//! simulated kiosks reporting through KS31. Staff log in, see the grid, a
//! kiosk going paper-out turns red on the open page without a reload
//! (the page polls every 5 s), the alert is acknowledged by a click, and
//! the idle timeout of one hall is changed: every kiosk of the hall gets a
//! new KS33 version, applies it and reports it, which its page shows.
//! Screenshots of the grid and a kiosk page go to docs/screenshots/.
//!
//! Needs `/usr/bin/chromium` and `/usr/bin/chromedriver` (packages
//! chromium, chromium-driver; .ci/run installs them).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use kiosk_central::console::auth::Role;
use kiosk_central::{Central, CentralOptions, CentralServer, DemoData};
use kiosk_core::clock::Clock;
use kiosk_sync::CentralClient;
use kiosk_sync::transactions::Transaction;
use kiosk_sync::wire::{DeviceHealth, HealthReportInput, TerminalConfigInput};

mod fleet_common;

use fleet_common::{HALL_A, TestClock, hall_of, terminal};

/// A simulated kiosk's report: `paper_out` or not, `config` the remote
/// configuration version it applied.
fn report(client: &CentralClient, clock: &TestClock, i: usize, paper_out: bool, config: i64) {
    let (state, detail) = if paper_out {
        ("down", "缺纸 (PaperOut)")
    } else {
        ("ok", "正常")
    };
    let input = HealthReportInput {
        terminal_id: terminal(i),
        reported_at: clock.now().format("%Y-%m-%d %H:%M:%S").to_string(),
        uptime_s: 600,
        app_version: "0.1.0".into(),
        outbox_pending: (i % 4) as u64,
        devices: vec![
            DeviceHealth {
                device: "id_card_reader".into(),
                state: "ok".into(),
                detail: "/dev/ttyUSB0".into(),
            },
            DeviceHealth {
                device: "printer".into(),
                state: state.into(),
                detail: detail.into(),
            },
        ],
        hall_name: hall_of(i).into(),
        trigger: "schedule".into(),
        config_hash: "cd".repeat(32),
        remote_config_version: config,
        print_jobs: (i % 3) as u64,
        paper_changes: u64::from(i == 0 && config > 0),
        journeys: vec![kiosk_sync::wire::JourneyCount {
            journey: "certificate".into(),
            outcome: "started".into(),
            kind: String::new(),
            count: 1 + (i % 5) as u64,
        }],
        ..HealthReportInput::default()
    };
    let json = serde_json::to_vec(&input).unwrap();
    client
        .submit(Transaction::HealthReport, &client.next_msgid(), &json)
        .unwrap();
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// chromedriver on a free port, stopped when dropped.
struct Driver {
    child: Child,
    url: String,
}

impl Driver {
    fn start() -> Driver {
        let port = free_port();
        let child = Command::new("/usr/bin/chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver (Debian package chromium-driver) must be installed");
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not listen");
            std::thread::sleep(Duration::from_millis(50));
        }
        Driver {
            child,
            url: format!("http://127.0.0.1:{port}"),
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn browser(driver: &Driver) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": "/usr/bin/chromium",
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                     "--disable-dev-shm-usage", "--window-size=1400,1000",
                     "--lang=zh-CN"]
        }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("a Chromium session")
}

/// Waits (bounded) until `script` returns true in the page.
async fn until(c: &Client, what: &str, limit: Duration, script: &str) -> Duration {
    let start = Instant::now();
    loop {
        let v = c.execute(script, vec![]).await.unwrap();
        if v.as_bool() == Some(true) {
            return start.elapsed();
        }
        assert!(start.elapsed() < limit, "{what} not within {limit:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn docs() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn staff_work_the_console_in_a_real_browser() {
    let clock = Arc::new(TestClock::new());
    let central = Arc::new(
        Central::open(
            DemoData::builtin().unwrap(),
            "test",
            None,
            clock.clone(),
            CentralOptions::default(),
        )
        .unwrap(),
    );
    central
        .add_staff("admin", "admin-pass-1", Role::Admin, "")
        .unwrap();
    let server = CentralServer::start("127.0.0.1:0".parse().unwrap(), central.clone()).unwrap();
    let client = CentralClient::new(
        kiosk_central::test_terminal(&server.url(), Duration::from_secs(5)),
        clock.clone(),
    )
    .unwrap();
    for i in 0..50 {
        report(&client, &clock, i, false, 0);
    }
    let base = server.url();
    let driver = Driver::start();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();

    // Log in and see the grid.
    let c = rt.block_on(async {
        let c = browser(&driver).await;
        c.goto(&format!("{base}/console")).await.unwrap();
        assert!(
            c.current_url()
                .await
                .unwrap()
                .path()
                .ends_with("/console/login")
        );
        c.find(Locator::Css("input[name=name]"))
            .await
            .unwrap()
            .send_keys("admin")
            .await
            .unwrap();
        c.find(Locator::Css("input[name=password]"))
            .await
            .unwrap()
            .send_keys("admin-pass-1")
            .await
            .unwrap();
        c.find(Locator::Css("button[type=submit]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        c.wait()
            .at_most(Duration::from_secs(20))
            .for_element(Locator::Id("fleet"))
            .await
            .unwrap();
        let tiles = c.find_all(Locator::Css("a.kiosk")).await.unwrap();
        assert_eq!(tiles.len(), 50);
        c
    });

    // Kiosk 7 runs out of paper: the open page turns its tile red.
    report(&client, &clock, 7, true, 0);
    let took = rt.block_on(until(
        &c,
        "the tile turning red (out of service)",
        Duration::from_secs(30),
        &format!(
            "return document.getElementById('k-{}').classList.contains('down');",
            terminal(7)
        ),
    ));
    eprintln!(
        "paper out → tile red in the open page: {} ms",
        took.as_millis()
    );
    rt.block_on(async {
        std::fs::write(
            docs().join("console-grid.png"),
            c.screenshot().await.unwrap(),
        )
        .unwrap();
        // Acknowledge the alert with a click.
        c.goto(&format!("{base}/console/alerts")).await.unwrap();
        let label = format!("确认 {} 打印机缺纸", terminal(7));
        c.execute("window.__before_submit = true; return true;", vec![])
            .await
            .unwrap();
        c.find(Locator::Css(&format!("button[aria-label='{label}']")))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        c.wait()
            .at_most(Duration::from_secs(20))
            .for_element(Locator::XPath("//td[contains(., '已确认（admin）')]"))
            .await
            .unwrap();
    });

    // The idle timeout of hall A: the form on the alerts page.
    rt.block_on(async {
        let forms = c
            .find_all(Locator::Css("form[action^='/console/hall/']"))
            .await
            .unwrap();
        assert_eq!(forms.len(), 2, "one form per hall");
        let mut hall_a = None;
        for f in forms {
            let action = f.attr("action").await.unwrap().unwrap_or_default();
            if action.contains(&kiosk_central::console::pages::urlencode(HALL_A)) {
                hall_a = Some(f);
            }
        }
        let form = hall_a.expect("hall A's form");
        form.find(Locator::Css("input[name=idle_timeout_s]"))
            .await
            .unwrap()
            .send_keys("120")
            .await
            .unwrap();
        // Mark this document: the answer to the POST is a new one.
        c.execute("window.__before_submit = true; return true;", vec![])
            .await
            .unwrap();
        form.find(Locator::Css("button[type=submit]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        until(
            &c,
            "the page after saving",
            Duration::from_secs(20),
            "return window.__before_submit === undefined && document.readyState === 'complete';",
        )
        .await;
    });
    // Every kiosk of hall A has a new version; they apply and report it.
    let mut applied = 0;
    for i in (0..50usize).step_by(2) {
        let config = client
            .terminal_config(&TerminalConfigInput {
                terminal_id: terminal(i),
                applied_version: 0,
            })
            .unwrap();
        assert_eq!(config.settings["idle_timeout_s"], 120, "{}", terminal(i));
        report(&client, &clock, i, i == 7, config.version);
        if i == 0 {
            applied = config.version;
        }
    }
    let untouched = client
        .terminal_config(&TerminalConfigInput {
            terminal_id: terminal(1),
            applied_version: 0,
        })
        .unwrap();
    assert_eq!(untouched.version, 0, "hall B unchanged");
    rt.block_on(async {
        c.goto(&format!("{base}/console/kiosk/{}", terminal(0)))
            .await
            .unwrap();
        let page = c.source().await.unwrap();
        assert!(
            page.contains(&format!("<td>{applied}</td>")),
            "remote config version shown"
        );
        std::fs::write(
            docs().join("console-kiosk.png"),
            c.screenshot().await.unwrap(),
        )
        .unwrap();
        // The audit log has every change.
        c.goto(&format!("{base}/console/audit")).await.unwrap();
        let page = c.source().await.unwrap();
        for action in ["login", "acknowledge", "config"] {
            assert!(page.contains(action), "{action}");
        }
        c.close().await.unwrap();
    });
}

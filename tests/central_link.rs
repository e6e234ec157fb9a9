//! The real `kiosk` binary on a production link: a reference centre
//! serving TLS with certificates made by the test, requiring the kiosk's
//! client certificate, SM2 envelope signatures of the key `kiosk keygen`
//! wrote, and gateway headers. A whole journey over it; every link set up
//! wrong refused at start with one line per problem (and by `kiosk
//! doctor`); a wrong pin met at run time shown to the citizen as the
//! service being unavailable here, to staff as exactly what is wrong.
//! Loopback only; the centre is stopped with its test.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::Path;
use std::sync::Arc;

use kiosk_central::test_pki::{ServerCert, TestPki};
use kiosk_central::{Central, CentralOptions, CentralServer};
use kiosk_sync::clock::SystemClock;
use kiosk_sync::gateway::{GatewayCheck, GatewayDigest, GatewayHeaders, GatewaySigner};
use kiosk_sync::signing::Sm2Verifier;
use support::{Kiosk, li_xiulan_card, run_cli, texts};

const TERMINAL: &str = "K2201-A001";
const SECRET: &str = "gateway-secret-for-tests-220100";

fn private(path: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

/// `kiosk keygen` into `dir`: the public key the province registers.
fn keygen(dir: &Path) -> Sm2Verifier {
    std::fs::write(dir.join("kiosk.toml"), "").unwrap();
    let out = run_cli(dir, &["keygen", "--out", &dir.display().to_string()]);
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(out.stdout.contains("key id"), "{out:?}");
    let pem = std::fs::read_to_string(dir.join("terminal-sm2.pub.pem")).unwrap();
    Sm2Verifier::from_pem(&pem).unwrap()
}

fn centre(pki: &TestPki, terminal: Sm2Verifier) -> CentralServer {
    let mut keys = std::collections::HashMap::new();
    keys.insert(TERMINAL.to_string(), terminal);
    let central = Central::open_seeded(
        None,
        Arc::new(SystemClock),
        CentralOptions {
            worker_threads: 1,
            terminal_keys: keys,
            require_signatures: true,
            gateway: Some(Arc::new(GatewayCheck::new(
                GatewaySigner::new(
                    "svc-220100",
                    SECRET.as_bytes(),
                    GatewayDigest::Sha256,
                    GatewayHeaders::default(),
                ),
                300,
            ))),
            ..CentralOptions::default()
        },
    )
    .unwrap();
    CentralServer::start_tls(
        ([127, 0, 0, 1], 0).into(),
        Arc::new(central),
        Arc::new(pki.server_config(true).unwrap()),
    )
    .unwrap()
}

fn link_config(url: &str, pki: &TestPki, dir: &Path, extra: &str) -> String {
    format!(
        r#"[central]
url = "{url}"
timeout_ms = 3000
ca_file = "{ca}"
client_cert = "{cert}"
client_key = "{key}"
signer = "sm2"
key_file = "{sm2}"
{extra}
[central.gateway]
service_id = "svc-220100"
secret_file = "{secret}"

[automation]
enabled = true
port = 0
"#,
        ca = pki.ca.display(),
        cert = pki.client_cert.display(),
        key = pki.client_key.display(),
        sm2 = dir.join("terminal-sm2.key").display(),
        secret = dir.join("gateway.secret").display(),
    )
}

#[test]
fn a_whole_journey_over_mutual_tls_with_sm2_signatures() {
    let dir = tempfile::tempdir().unwrap();
    let pki = TestPki::create(dir.path(), ServerCert::Good).unwrap();
    let server = centre(&pki, keygen(dir.path()));
    private(&dir.path().join("gateway.secret"), SECRET);
    let config = link_config(&server.url(), &pki, dir.path(), "");
    let kiosk = Kiosk::start_in(dir, &config);
    kiosk.wait_for_screen("home");
    kiosk.place_id_card(li_xiulan_card());
    kiosk.wait_for_screen("enrollment");
    kiosk.tap("开具参保凭证");
    kiosk.wait_for_screen("certificate");
    kiosk.tap("打印参保凭证");
    kiosk.wait_for_screen("printed");
    let receipts = kiosk.wait_for_receipts(1);
    assert!(
        receipts[0]["text"]
            .as_str()
            .unwrap()
            .contains("基本医疗保险参保凭证")
    );
    kiosk.remove_id_card_and_wait();
    kiosk.place_id_card(li_xiulan_card());
    kiosk.wait_for_screen("enrollment");
    kiosk.tap("更多查询与办理");
    kiosk.tap("异地就医备案");
    kiosk.wait_for_screen("filing-category");
    support::submit_long_term_filing(&kiosk);
    kiosk.wait_for_screen("printed");
    // The outbox drains over the same link (the filing, the health
    // reports): nothing pending once the engine has run.
    assert!(kiosk.drain_outbox(100), "outbox not drained over TLS");
    let filings: i64 = server
        .central()
        .query_db(|db| {
            db.query_row(
                "SELECT COUNT(*) FROM filing WHERE msgid LIKE ?1",
                [format!("{TERMINAL}%")],
                |r| r.get(0),
            )
        })
        .unwrap();
    assert!(filings >= 1, "the centre holds the filing");
    assert_eq!(server.central().signature_refusals(), 0);
    assert_eq!(server.central().gateway_refusals(), 0);
    assert_eq!(server.tls_handshakes().1, 0, "no failed handshake");
    let logs = kiosk.logs();
    for secret in ["李秀兰", "220203198508232046", "13812345678"] {
        assert!(!logs.contains(secret), "{secret:?} leaked:\n{logs}");
    }
}

/// `kiosk` with `config` (devices simulated) in a fresh folder: exit code
/// and stderr lines that report a problem.
fn refused(dir: &Path, config: &str) -> (Option<i32>, Vec<String>) {
    std::fs::write(
        dir.join("kiosk.toml"),
        format!("{config}\n[simulation]\nenabled = true\n"),
    )
    .unwrap();
    let out = run_cli(dir, &["--headless", "--automation-port", "0"]);
    let lines = out
        .stderr
        .lines()
        .filter(|l| l.starts_with("kiosk: 配置错误: "))
        .map(str::to_string)
        .collect();
    (out.code, lines)
}

#[test]
fn a_link_that_cannot_work_is_refused_at_start_one_line_per_problem() {
    let dir = tempfile::tempdir().unwrap();
    let pki = TestPki::create(dir.path(), ServerCert::Good).unwrap();
    let _ = keygen(dir.path());
    private(&dir.path().join("gateway.secret"), SECRET);
    let url = "https://localhost:1";

    // Every file right: starts (a dead centre is not a configuration
    // problem); checked by `kiosk doctor` instead of starting.
    let good = link_config(url, &pki, dir.path(), "");
    std::fs::write(dir.path().join("kiosk.toml"), &good).unwrap();
    let doctor = run_cli(dir.path(), &["doctor"]);
    assert!(
        doctor.stdout.contains("central_link") && !doctor.stdout.contains("配置错误"),
        "{doctor:?}"
    );

    // A missing CA file.
    let missing_ca = good.replace(
        &pki.ca.display().to_string(),
        &dir.path().join("nope.pem").display().to_string(),
    );
    let (code, lines) = refused(dir.path(), &missing_ca);
    assert_eq!(code, Some(78), "{lines:?}");
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].contains("[central] ca_file") && lines[0].contains("文件不存在"));

    // A CA file that is not a certificate.
    let junk = dir.path().join("junk.pem");
    std::fs::write(&junk, "not a certificate").unwrap();
    let (code, lines) = refused(
        dir.path(),
        &good.replace(&pki.ca.display().to_string(), &junk.display().to_string()),
    );
    assert_eq!((code, lines.len()), (Some(78), 1), "{lines:?}");
    assert!(lines[0].contains("ca_file"), "{lines:?}");

    // A client key that does not match its certificate (the server's key).
    let wrong_key = dir.path().join("wrong.key");
    private(
        &wrong_key,
        &std::fs::read_to_string(&pki.server_key).unwrap(),
    );
    let (code, lines) = refused(
        dir.path(),
        &good.replace(
            &pki.client_key.display().to_string(),
            &wrong_key.display().to_string(),
        ),
    );
    assert_eq!((code, lines.len()), (Some(78), 1), "{lines:?}");
    assert!(lines[0].contains("私钥与证书不匹配"), "{lines:?}");

    // A key file others can read.
    use std::os::unix::fs::PermissionsExt;
    let open_key = dir.path().join("open.key");
    std::fs::copy(dir.path().join("terminal-sm2.key"), &open_key).unwrap();
    std::fs::set_permissions(&open_key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let (code, lines) = refused(
        dir.path(),
        &good.replace(
            &dir.path().join("terminal-sm2.key").display().to_string(),
            &open_key.display().to_string(),
        ),
    );
    assert_eq!((code, lines.len()), (Some(78), 1), "{lines:?}");
    assert!(
        lines[0].contains("[central] key_file") && lines[0].contains("chmod 600"),
        "{lines:?}"
    );

    // A certificate without its key, and plain http to another host with
    // no signer: one line each.
    let (code, lines) = refused(
        dir.path(),
        "[central]\nurl = \"http://192.0.2.10:8080\"\nsigner = \"none\"\nclient_cert = \"/x.pem\"\n",
    );
    assert_eq!(code, Some(78));
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert!(
        lines.iter().any(|l| l.contains("未加密的 http://")),
        "{lines:?}"
    );
    assert!(
        lines.iter().any(|l| l.contains("[central] signer")),
        "{lines:?}"
    );
    assert!(lines.iter().any(|l| l.contains("http://")), "{lines:?}");

    // `kiosk doctor` reports the same without starting.
    std::fs::write(dir.path().join("kiosk.toml"), &missing_ca).unwrap();
    let doctor = run_cli(dir.path(), &["doctor"]);
    assert_ne!(doctor.code, Some(0));
    assert!(
        doctor.stdout.contains("[central] ca_file") && doctor.stdout.contains("failed"),
        "{doctor:?}"
    );
}

#[test]
fn a_wrong_pin_at_run_time_is_shown_as_unavailable_here_and_explained_to_staff() {
    let dir = tempfile::tempdir().unwrap();
    let pki = TestPki::create(dir.path(), ServerCert::Good).unwrap();
    let server = centre(&pki, keygen(dir.path()));
    private(&dir.path().join("gateway.secret"), SECRET);
    let pin = "sha256/AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=";
    let config = link_config(
        &server.url(),
        &pki,
        dir.path(),
        &format!("pin_sha256 = [\"{pin}\"]\n"),
    );
    std::fs::write(dir.path().join("kiosk.toml"), &config).unwrap();
    let doctor = run_cli(dir.path(), &["doctor"]);
    assert!(
        doctor.stdout.contains("pin_mismatch") && doctor.stdout.contains("pin_sha256"),
        "{doctor:?}"
    );
    let kiosk = Kiosk::start_in(dir, &config);
    kiosk.wait_for_screen("home");
    kiosk.place_id_card(li_xiulan_card());
    let screen = kiosk.wait_for_text("请联系大厅工作人员");
    assert!(!texts(&screen).contains("暂时无法连接"), "{screen}");
    kiosk.wait_for_log("central link misconfigured", 1);
    let logs = kiosk.logs();
    assert!(logs.contains("pin_mismatch"), "{logs}");
    assert!(!logs.contains("李秀兰"), "{logs}");
    drop(server);
}

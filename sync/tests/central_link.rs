//! The production link: the kiosk's client against the reference centre
//! serving TLS with certificates made by each test (mutual TLS), SM2
//! envelope signatures checked against the registered terminal key and
//! gateway headers checked for signature, age and replay. Every failure a
//! misconfigured kiosk meets has its own error kind, its citizen message,
//! no retry storm, and loses nothing from the outbox. Loopback only; every
//! server is stopped when its test ends.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::NaiveDate;
use kiosk_central::test_pki::{ServerCert, TestPki};
use kiosk_central::{Central, CentralOptions, CentralServer};
use kiosk_core::clock::{Clock, FixedClock};
use kiosk_core::identity::{Credential, IdDocumentKind};
use kiosk_sync::client::{ClientOptions, LinkSecurity, RetryPolicy};
use kiosk_sync::gateway::{GatewayCheck, GatewayDigest, GatewayHeaders, GatewaySigner};
use kiosk_sync::link::{LinkFault, TlsSettings, spki_pin};
use kiosk_sync::outbox::EngineConfig;
use kiosk_sync::platform::Random;
use kiosk_sync::signing::{Signer, Sm2Signer, Sm2Verifier};
use kiosk_sync::wire::RatingInput;
use kiosk_sync::{CentralClient, ClientConfig, Error, Outbox, Store, StoreKey, SyncEngine};

const TERMINAL: &str = "K220100001";
const GATEWAY_SECRET: &[u8] = b"gateway-shared-secret-220100";

fn now() -> chrono::NaiveDateTime {
    // The centre and the kiosk share this clock unless a test skews one.
    NaiveDate::from_ymd_opt(2026, 11, 22)
        .unwrap()
        .and_hms_opt(9, 30, 0)
        .unwrap()
}

fn clock_at(offset_s: i64) -> Arc<dyn Clock> {
    Arc::new(FixedClock(now() + chrono::Duration::seconds(offset_s)))
}

fn terminal_key() -> sm2::SecretKey {
    sm2::SecretKey::from_slice(&[0x42; 32]).unwrap()
}

fn gateway_signer(secret: &[u8]) -> GatewaySigner {
    GatewaySigner::new(
        "svc-kiosk-220100",
        secret,
        GatewayDigest::Sm3,
        GatewayHeaders::default(),
    )
}

/// A centre over mutual TLS that requires SM2 signatures of the registered
/// terminal key and gateway headers.
fn centre(pki: &TestPki) -> CentralServer {
    let mut keys = std::collections::HashMap::new();
    keys.insert(
        TERMINAL.to_string(),
        Sm2Verifier::new(terminal_key().public_key()).unwrap(),
    );
    let central = Central::open_seeded(
        None,
        clock_at(0),
        CentralOptions {
            worker_threads: 1,
            terminal_keys: keys,
            require_signatures: true,
            gateway: Some(Arc::new(GatewayCheck::new(
                gateway_signer(GATEWAY_SECRET),
                300,
            ))),
            ..CentralOptions::default()
        },
    )
    .unwrap();
    let loopback: SocketAddr = "127.0.0.1:0".parse().unwrap();
    CentralServer::start_tls(
        loopback,
        Arc::new(central),
        Arc::new(pki.server_config(true).unwrap()),
    )
    .unwrap()
}

fn good_tls(pki: &TestPki) -> TlsSettings {
    TlsSettings {
        ca_file: Some(pki.ca.clone()),
        client_cert: Some(pki.client_cert.clone()),
        client_key: Some(pki.client_key.clone()),
        pin_sha256: Vec::new(),
    }
}

struct Link {
    tls: TlsSettings,
    signer: Arc<dyn Signer>,
    gateway: GatewaySigner,
    clock: Arc<dyn Clock>,
    random: Option<Arc<dyn Random>>,
}

impl Link {
    fn good(pki: &TestPki) -> Link {
        Link {
            tls: good_tls(pki),
            signer: Arc::new(Sm2Signer::new(&terminal_key()).unwrap()),
            gateway: gateway_signer(GATEWAY_SECRET),
            clock: clock_at(0),
            random: None,
        }
    }

    fn client(&self, url: &str) -> CentralClient {
        let mut options = ClientOptions {
            retry: RetryPolicy {
                max_attempts: 3,
                base_delay: Duration::from_millis(1),
                ..RetryPolicy::default()
            },
            security: LinkSecurity {
                tls: Some(self.tls.load().unwrap()),
                signer: Arc::clone(&self.signer),
                gateway: Some(self.gateway.clone()),
                device_safe_info: None,
            },
            ..ClientOptions::default()
        };
        if let Some(random) = &self.random {
            options.random = Arc::clone(random);
        }
        CentralClient::with_options(
            ClientConfig {
                base_url: url.to_string(),
                terminal_id: TERMINAL.into(),
                terminal_name: "测试终端".into(),
                area_code: "220100".into(),
                institution_code: "H22010000001".into(),
                institution_name: "长春市医保服务大厅".into(),
                timeout: Duration::from_secs(5),
            },
            Arc::clone(&self.clock),
            options,
        )
        .unwrap()
    }
}

fn li_xiulan() -> Credential {
    Credential::IdDocument {
        kind: IdDocumentKind::ResidentIdCard,
        number: "220203198508232046".into(),
        name: "李秀兰".into(),
    }
}

fn rating(id: &str) -> RatingInput {
    RatingInput {
        rating_id: id.into(),
        service: "enrollment_query".into(),
        score: 5,
        tags: vec!["快捷".into()],
        comment: String::new(),
        rated_at: "2026-11-22 09:30:00".into(),
    }
}

fn outbox(dir: &Path) -> Arc<Outbox> {
    let store =
        Arc::new(Store::open(&dir.join("kiosk.db"), StoreKey::from_bytes([5; 32])).unwrap());
    Arc::new(Outbox::new(store, clock_at(0), TERMINAL))
}

fn engine(outbox: &Arc<Outbox>, client: CentralClient) -> SyncEngine {
    SyncEngine::new(
        Arc::clone(outbox),
        Arc::new(client),
        EngineConfig {
            datasets: Vec::new(),
            ..EngineConfig::default()
        },
    )
}

fn link_fault(result: Result<impl std::fmt::Debug, Error>) -> (LinkFault, Error) {
    match result {
        Err(e) => match e.link_fault() {
            Some(f) => (f, e),
            None => panic!("expected a link fault, got {e:?}"),
        },
        Ok(v) => panic!("expected a link fault, got {v:?}"),
    }
}

/// A misconfigured kiosk: its error kind, one exchange only (no retries
/// of a query, no breaker counting), the citizen's message, and a queued
/// rating that stays pending and drains once the kiosk is fixed.
fn assert_misconfigured(pki: &TestPki, server: &CentralServer, bad: &Link, expected: LinkFault) {
    assert_misconfigured_then_fixed(server, bad, expected, &Link::good(pki), server);
}

/// Every exchange that reached the centre: handshakes (done, failed or
/// abandoned), envelopes handled, requests the gateway refused.
fn exchanges(server: &CentralServer) -> (u64, u64, u64, u64) {
    let (done, failed) = server.tls_handshakes();
    let central = server.central();
    (
        done,
        failed + server.abandoned_tls_handshakes(),
        central.received(),
        central.gateway_refusals(),
    )
}

/// Exchanges refused or handled since `before`, once the centre has counted
/// at least one: the client returns on the alert it sends, the centre
/// counts the failed handshake when it reads that alert (bounded: 5 s).
fn attempts_since(server: &CentralServer, before: (u64, u64, u64, u64)) -> u64 {
    let count = |after: (u64, u64, u64, u64)| {
        (after.1 - before.1) + (after.2 - before.2) + (after.3 - before.3)
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let n = count(exchanges(server));
        if n > 0 || std::time::Instant::now() >= deadline {
            return n;
        }
        std::thread::yield_now();
    }
}

/// As [`assert_misconfigured`], where fixing the kiosk means pointing it at
/// another centre (the first one's certificate is what is wrong).
fn assert_misconfigured_then_fixed(
    server: &CentralServer,
    bad: &Link,
    expected: LinkFault,
    fixed: &Link,
    fixed_server: &CentralServer,
) {
    let dir = tempfile::tempdir().unwrap();
    let before = exchanges(server);
    let client = bad.client(&server.url());
    let (fault, error) = link_fault(client.query_person(&li_xiulan()));
    assert_eq!(fault, expected, "{error}");
    assert_eq!(client.link_fault(), Some(expected));
    assert!(
        error.user_message().contains("请联系大厅工作人员"),
        "{}",
        error.user_message()
    );
    assert!(!error.user_message().contains("暂时无法连接"));
    // One attempt: sign-in is the first exchange and it failed; a query
    // is normally retried three times on a transport failure.
    let attempts = attempts_since(server, before);
    let after = exchanges(server);
    assert!(
        (1..=2).contains(&attempts),
        "{attempts} attempts for one query ({before:?} -> {after:?})"
    );
    assert!(after.0 - before.0 <= 1, "{before:?} -> {after:?}");

    let outbox = outbox(dir.path());
    let receipt = outbox.submit_rating(&rating("R-1")).unwrap();
    let before = exchanges(server);
    let report = engine(&outbox, client).run_cycle(false).unwrap();
    assert_eq!(report.link_fault, Some(expected));
    assert_eq!((report.accepted, report.rejected), (0, 0));
    let attempts = attempts_since(server, before);
    assert!(attempts <= 2, "{attempts} attempts in one sync cycle");
    assert_eq!(outbox.store().outbox_stats().unwrap().pending, 1);
    let status = outbox.status(&receipt.tracking_no).unwrap().unwrap();
    assert!(format!("{status:?}").contains("Pending"), "{status:?}");

    // Fixed: the same record drains, once.
    let report = engine(&outbox, fixed.client(&fixed_server.url()))
        .run_cycle(false)
        .unwrap();
    assert_eq!(report.accepted, 1, "{report:?}");
    assert_eq!(outbox.store().outbox_stats().unwrap().pending, 0);
}

/// A centre with a good certificate, for the tests whose first centre's
/// certificate is what is wrong.
fn good_centre() -> (tempfile::TempDir, TestPki, CentralServer) {
    let dir = tempfile::tempdir().unwrap();
    let pki = TestPki::create(dir.path(), ServerCert::Good).unwrap();
    let server = centre(&pki);
    (dir, pki, server)
}

#[test]
fn a_journey_over_mutual_tls_with_sm2_signatures_and_gateway_headers() {
    let dir = tempfile::tempdir().unwrap();
    let pki = TestPki::create(dir.path(), ServerCert::Good).unwrap();
    let server = centre(&pki);
    assert!(server.url().starts_with("https://localhost:"));
    let client = Link::good(&pki).client(&server.url());
    let person = client.fetch_insured_person(&li_xiulan()).unwrap();
    assert_eq!(person.name, "李秀兰");
    assert_eq!(client.clock_skew_s(), Some(0));
    let outbox = outbox(dir.path());
    for i in 0..5 {
        outbox.submit_rating(&rating(&format!("R-{i}"))).unwrap();
    }
    let report = engine(&outbox, client).run_cycle(false).unwrap();
    assert_eq!(report.accepted, 5, "{report:?}");
    assert_eq!(server.central().signature_refusals(), 0);
    assert_eq!(server.central().gateway_refusals(), 0);
    // Sign-in, 1101, KS01 and five ratings, every one verified; the
    // connection is reused (far fewer handshakes than requests).
    assert_eq!(server.central().received(), 8);
    let (done, failed) = server.tls_handshakes();
    // A TLS error is a fault; a pooled connection the client opened for
    // a parallel sender and then dropped unused is not.
    assert_eq!(failed, 0);
    assert!(done <= 5, "{done} handshakes for 8 requests");
}

#[test]
fn a_pinned_centre_is_accepted_and_a_wrong_pin_is_its_own_fault() {
    let dir = tempfile::tempdir().unwrap();
    let pki = TestPki::create(dir.path(), ServerCert::Good).unwrap();
    let server = centre(&pki);
    let pem = std::fs::read(&pki.server_cert).unwrap();
    let cert = {
        use rustls::pki_types::CertificateDer;
        use rustls::pki_types::pem::PemObject;
        CertificateDer::from_pem_slice(&pem).unwrap()
    };
    let pin = spki_pin(&cert).unwrap();
    let mut pinned = Link::good(&pki);
    pinned.tls.pin_sha256 = vec![format!("sha256/{pin}")];
    pinned
        .client(&server.url())
        .fetch_insured_person(&li_xiulan())
        .unwrap();

    let mut wrong = Link::good(&pki);
    wrong.tls.pin_sha256 = vec![kiosk_sync_pin_of_other()];
    assert_misconfigured(&pki, &server, &wrong, LinkFault::PinMismatch);
}

fn kiosk_sync_pin_of_other() -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode([1u8; 32])
}

#[test]
fn a_centre_certificate_from_another_ca_is_untrusted() {
    let dir = tempfile::tempdir().unwrap();
    let pki = TestPki::create(dir.path(), ServerCert::Good).unwrap();
    let server = centre(&pki);
    let mut bad = Link::good(&pki);
    bad.tls.ca_file = Some(pki.other_ca.clone());
    assert_misconfigured(&pki, &server, &bad, LinkFault::UntrustedCertificate);
}

/// A centre serving a certificate of `kind`: the kiosk names the fault
/// `expected`, and drains once pointed at a centre with a good one.
fn assert_bad_centre_certificate(kind: ServerCert, expected: LinkFault) -> LinkFault {
    let dir = tempfile::tempdir().unwrap();
    let pki = TestPki::create(dir.path(), kind).unwrap();
    let server = centre(&pki);
    let (_keep, good, fixed) = good_centre();
    assert_misconfigured_then_fixed(
        &server,
        &Link::good(&pki),
        expected,
        &Link::good(&good),
        &fixed,
    );
    expected
}

#[test]
fn an_expired_centre_certificate_is_its_own_fault() {
    let fault = assert_bad_centre_certificate(ServerCert::Expired, LinkFault::CertificateExpired);
    assert!(fault.explain().contains("过期"), "{}", fault.explain());
}

#[test]
fn a_centre_certificate_not_yet_valid_points_at_the_clock() {
    let fault =
        assert_bad_centre_certificate(ServerCert::NotYetValid, LinkFault::CertificateNotYetValid);
    assert!(fault.explain().contains("时钟"), "{}", fault.explain());
}

#[test]
fn a_centre_certificate_for_another_host_is_a_name_mismatch() {
    assert_bad_centre_certificate(ServerCert::OtherName, LinkFault::NameMismatch);
}

#[test]
fn no_client_certificate_is_refused_by_the_centre() {
    let dir = tempfile::tempdir().unwrap();
    let pki = TestPki::create(dir.path(), ServerCert::Good).unwrap();
    let server = centre(&pki);
    let mut bad = Link::good(&pki);
    bad.tls.client_cert = None;
    bad.tls.client_key = None;
    assert_misconfigured(&pki, &server, &bad, LinkFault::ClientCertificateRefused);
}

#[test]
fn an_envelope_signed_with_an_unregistered_key_is_rejected_and_kept() {
    let dir = tempfile::tempdir().unwrap();
    let pki = TestPki::create(dir.path(), ServerCert::Good).unwrap();
    let server = centre(&pki);
    let mut bad = Link::good(&pki);
    bad.signer =
        Arc::new(Sm2Signer::new(&sm2::SecretKey::from_slice(&[0x17; 32]).unwrap()).unwrap());
    assert_misconfigured(&pki, &server, &bad, LinkFault::SignatureRejected);
    assert!(server.central().signature_refusals() >= 1);
}

#[test]
fn an_unsigned_envelope_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let pki = TestPki::create(dir.path(), ServerCert::Good).unwrap();
    let server = centre(&pki);
    let mut bad = Link::good(&pki);
    bad.signer = Arc::new(kiosk_sync::signing::NoSigner);
    assert_misconfigured(&pki, &server, &bad, LinkFault::SignatureRejected);
}

#[test]
fn a_wrong_gateway_secret_is_refused_by_the_gateway() {
    let dir = tempfile::tempdir().unwrap();
    let pki = TestPki::create(dir.path(), ServerCert::Good).unwrap();
    let server = centre(&pki);
    let mut bad = Link::good(&pki);
    bad.gateway = gateway_signer(b"not-the-gateway-secret");
    assert_misconfigured(&pki, &server, &bad, LinkFault::GatewayRejected);
    let client = bad.client(&server.url());
    let e = client.sign_in().unwrap_err();
    assert!(e.to_string().contains("bad_signature"), "{e}");
}

#[test]
fn a_kiosk_clock_ten_minutes_slow_is_refused_as_stale() {
    let dir = tempfile::tempdir().unwrap();
    let pki = TestPki::create(dir.path(), ServerCert::Good).unwrap();
    let server = centre(&pki);
    let mut slow = Link::good(&pki);
    slow.clock = clock_at(-600);
    let client = slow.client(&server.url());
    let e = client.sign_in().unwrap_err();
    assert_eq!(e.link_fault(), Some(LinkFault::GatewayRejected));
    assert!(e.to_string().contains("stale_timestamp"), "{e}");
    assert_misconfigured(&pki, &server, &slow, LinkFault::GatewayRejected);
}

/// Randomness that repeats itself: every request gets the same nonce.
struct Stuck;

impl Random for Stuck {
    fn fill(&self, buf: &mut [u8]) {
        buf.fill(7);
    }
}

#[test]
fn a_replayed_nonce_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let pki = TestPki::create(dir.path(), ServerCert::Good).unwrap();
    let server = centre(&pki);
    let mut stuck = Link::good(&pki);
    stuck.random = Some(Arc::new(Stuck));
    let client = stuck.client(&server.url());
    client.sign_in().unwrap();
    let e = client.query_person(&li_xiulan()).unwrap_err();
    assert_eq!(e.link_fault(), Some(LinkFault::GatewayRejected));
    assert!(e.to_string().contains("replayed_nonce"), "{e}");
    // The nonce is spent: the next kiosk using it is refused at sign-in,
    // once, and its queued record drains once its randomness is fixed.
    assert_misconfigured(&pki, &server, &stuck, LinkFault::GatewayRejected);
}

#[test]
fn the_clock_skew_against_the_centre_is_measured() {
    let dir = tempfile::tempdir().unwrap();
    let pki = TestPki::create(dir.path(), ServerCert::Good).unwrap();
    let server = centre(&pki);
    let mut fast = Link::good(&pki);
    fast.clock = clock_at(120);
    let client = fast.client(&server.url());
    client.sign_in().unwrap();
    assert_eq!(client.clock_skew_s(), Some(-120));
}

#[test]
fn an_engine_on_a_misconfigured_link_backs_off_instead_of_retrying_at_once() {
    let config = EngineConfig::default();
    assert_eq!(config.misconfigured_wait(1), Duration::from_secs(60));
    assert_eq!(config.misconfigured_wait(2), Duration::from_secs(120));
    assert_eq!(config.misconfigured_wait(5), Duration::from_secs(900));
    assert_eq!(config.misconfigured_wait(40), Duration::from_secs(900));
    assert!(config.misconfigured_wait(1) > config.retry_interval * 10);
}

/// Collects what the tests log.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn no_personal_data_in_the_logs_of_the_tls_and_signing_paths() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .without_time()
        .finish();
    // Global: the centre logs on its own server thread.
    tracing::subscriber::set_global_default(subscriber).unwrap();
    {
        let dir = tempfile::tempdir().unwrap();
        let pki = TestPki::create(dir.path(), ServerCert::Good).unwrap();
        let server = centre(&pki);
        Link::good(&pki)
            .client(&server.url())
            .fetch_insured_person(&li_xiulan())
            .unwrap();
        let mut unsigned = Link::good(&pki);
        unsigned.signer = Arc::new(kiosk_sync::signing::NoSigner);
        let _ = unsigned.client(&server.url()).query_person(&li_xiulan());
        let mut wrong_ca = Link::good(&pki);
        wrong_ca.tls.ca_file = Some(pki.other_ca.clone());
        let _ = wrong_ca.client(&server.url()).query_person(&li_xiulan());
        let mut bad_gateway = Link::good(&pki);
        bad_gateway.gateway = gateway_signer(b"not-the-gateway-secret");
        let _ = bad_gateway.client(&server.url()).query_person(&li_xiulan());
    }
    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(log.contains("central link misconfigured"), "{log}");
    assert!(log.contains("envelope signature refused"), "{log}");
    for secret in ["李秀兰", "220203198508232046", "2202031985"] {
        assert!(!log.contains(secret), "{secret} in the log:\n{log}");
    }
}

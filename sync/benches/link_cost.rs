//! `cargo bench -p kiosk-sync --bench link_cost`: what the production link
//! costs. Person query (1101) round trips on loopback over plain HTTP, over
//! TLS with the connection reused, and over TLS with a new handshake each
//! time (mutual TLS, SM2-signed envelopes, gateway headers); SM2 sign +
//! verify per envelope; outbox drain rate over the whole secured link.
//! Prints figures; BENCHMARKS.md records them.
//!
//! Environment: `LINK_BENCH_QUERIES` (default 500), `LINK_BENCH_BACKLOG`
//! (default 5000).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use kiosk_central::test_pki::{ServerCert, TestPki};
use kiosk_central::{Central, CentralOptions, CentralServer};
use kiosk_core::identity::{Credential, IdDocumentKind};
use kiosk_sync::client::{ClientOptions, LinkSecurity};
use kiosk_sync::clock::SystemClock;
use kiosk_sync::gateway::{GatewayCheck, GatewayDigest, GatewayHeaders, GatewaySigner};
use kiosk_sync::link::TlsSettings;
use kiosk_sync::outbox::EngineConfig;
use kiosk_sync::signing::{Signer, Sm2Signer, Sm2Verifier, sign_envelope, verify_envelope};
use kiosk_sync::wire::RatingInput;
use kiosk_sync::{CentralClient, ClientConfig, Outbox, Store, StoreKey, SyncEngine};

const SECRET: &[u8] = b"bench-gateway-secret-0123456789";

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn key() -> sm2::SecretKey {
    sm2::SecretKey::from_slice(&[0x42; 32]).unwrap()
}

fn gateway() -> GatewaySigner {
    GatewaySigner::new(
        "svc-bench",
        SECRET,
        GatewayDigest::Sm3,
        GatewayHeaders::default(),
    )
}

fn centre(pki: Option<&TestPki>, db: &std::path::Path) -> CentralServer {
    let mut options = CentralOptions {
        db: Some(db.to_path_buf()),
        ..CentralOptions::default()
    };
    if pki.is_some() {
        options.terminal_keys.insert(
            "K220100001".into(),
            Sm2Verifier::new(key().public_key()).unwrap(),
        );
        options.require_signatures = true;
        options.gateway = Some(Arc::new(GatewayCheck::new(gateway(), 300)));
    }
    let central = Arc::new(Central::open_seeded(None, Arc::new(SystemClock), options).unwrap());
    let addr = "127.0.0.1:0".parse().unwrap();
    match pki {
        Some(pki) => {
            CentralServer::start_tls(addr, central, Arc::new(pki.server_config(true).unwrap()))
                .unwrap()
        }
        None => CentralServer::start(addr, central).unwrap(),
    }
}

fn client(url: &str, pki: Option<&TestPki>) -> CentralClient {
    let security = match pki {
        None => LinkSecurity::default(),
        Some(pki) => LinkSecurity {
            tls: Some(
                TlsSettings {
                    ca_file: Some(pki.ca.clone()),
                    client_cert: Some(pki.client_cert.clone()),
                    client_key: Some(pki.client_key.clone()),
                    pin_sha256: Vec::new(),
                }
                .load()
                .unwrap(),
            ),
            signer: Arc::new(Sm2Signer::new(&key()).unwrap()),
            gateway: Some(gateway()),
            device_safe_info: None,
        },
    };
    CentralClient::with_options(
        ClientConfig {
            base_url: url.to_string(),
            terminal_id: "K220100001".into(),
            terminal_name: "bench".into(),
            area_code: "220100".into(),
            institution_code: "H22010000001".into(),
            institution_name: "bench".into(),
            timeout: Duration::from_secs(10),
        },
        Arc::new(SystemClock),
        ClientOptions {
            security,
            ..ClientOptions::default()
        },
    )
    .unwrap()
}

fn credential() -> Credential {
    Credential::IdDocument {
        kind: IdDocumentKind::ResidentIdCard,
        number: "220203198508232046".into(),
        name: "李秀兰".into(),
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn round_trips(label: &str, n: usize, mut one: impl FnMut()) -> f64 {
    one(); // sign-in, first connection
    let mut ms = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        one();
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    ms.sort_by(f64::total_cmp);
    let median = percentile(&ms, 0.5);
    println!(
        "{label:<44} median {median:7.3} ms  p95 {:7.3} ms  ({n} queries)",
        percentile(&ms, 0.95)
    );
    median
}

fn main() {
    kiosk_sync::link::install_crypto_provider();
    let queries = env_usize("LINK_BENCH_QUERIES", 500);
    let backlog = env_usize("LINK_BENCH_BACKLOG", 5000);
    let dir = tempfile::tempdir().unwrap();
    let pki = TestPki::create(dir.path(), ServerCert::Good).unwrap();

    // SM2 sign + verify of one envelope (canonicalisation included).
    let signer = Sm2Signer::new(&key()).unwrap();
    let verifier = Sm2Verifier::new(key().public_key()).unwrap();
    let envelope = serde_json::json!({
        "infno": "1101", "msgid": "K22010000120261204120000000001", "mdtrtarea_admvs": "220100",
        "insuplc_admdvs": "", "recer_sys_code": "KIOSK", "dev_no": "K220100001",
        "dev_safe_info": signer.key_id(), "cainfo": "", "signtype": "SM2", "infver": "V1.0",
        "opter_type": "2", "opter": "K220100001", "opter_name": "bench",
        "inf_time": "2026-12-04 12:00:00", "fixmedins_code": "H22010000001",
        "fixmedins_name": "bench", "sign_no": "S1",
        "input": {"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": "220203198508232046",
                  "psn_cert_type": "01", "certno": "220203198508232046", "psn_name": "李秀兰"}}
    });
    let n = 2000;
    let t = Instant::now();
    for _ in 0..n {
        let mut e = envelope.clone();
        sign_envelope(&mut e, &signer).unwrap();
        std::hint::black_box(&e);
    }
    let sign_us = t.elapsed().as_secs_f64() * 1e6 / n as f64;
    let mut signed = envelope.clone();
    sign_envelope(&mut signed, &signer).unwrap();
    let t = Instant::now();
    for _ in 0..n {
        std::hint::black_box(verify_envelope(&signed, &verifier));
    }
    let verify_us = t.elapsed().as_secs_f64() * 1e6 / n as f64;
    println!("SM2 sign one envelope (canonical JSON + SM3 + SM2)   {sign_us:8.1} µs");
    println!("SM2 verify one envelope                              {verify_us:8.1} µs");

    // Round trips.
    let plain = centre(None, &dir.path().join("plain.db"));
    let tls = centre(Some(&pki), &dir.path().join("tls.db"));
    let c = client(&plain.url(), None);
    let p = round_trips("1101 over plain http (connection reused)", queries, || {
        c.query_person(&credential()).unwrap();
    });
    let c = client(&tls.url(), Some(&pki));
    let r = round_trips(
        "1101 over mutual TLS + SM2 + gateway (reused)",
        queries,
        || {
            c.query_person(&credential()).unwrap();
        },
    );
    let h = round_trips(
        "1101 over mutual TLS + SM2 + gateway (new TLS)",
        queries / 5,
        || {
            client(&tls.url(), Some(&pki))
                .query_person(&credential())
                .unwrap();
        },
    );
    println!(
        "TLS reused adds {:.3} ms over plain; a new handshake (with sign-in) adds {:.3} ms",
        r - p,
        h - p
    );

    // Outbox drain over the secured link.
    let store =
        Arc::new(Store::open(&dir.path().join("kiosk.db"), StoreKey::from_bytes([1; 32])).unwrap());
    let outbox = Arc::new(Outbox::new(store, Arc::new(SystemClock), "K220100001"));
    for i in 0..backlog {
        outbox
            .submit_rating(&RatingInput {
                rating_id: format!("B{i}"),
                service: "enrollment_query".into(),
                score: 5,
                tags: vec!["快捷".into()],
                comment: String::new(),
                rated_at: "2026-12-04 12:00:00".into(),
            })
            .unwrap();
    }
    let engine = SyncEngine::new(
        Arc::clone(&outbox),
        Arc::new(client(&tls.url(), Some(&pki))),
        EngineConfig {
            datasets: Vec::new(),
            ..EngineConfig::default()
        },
    );
    let t = Instant::now();
    let mut accepted = 0;
    for _ in 0..1000 {
        let report = engine.run_cycle(false).unwrap();
        accepted += report.accepted;
        if accepted >= backlog || report.accepted == 0 {
            break;
        }
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "outbox drain over mutual TLS + SM2 + gateway: {accepted} records in {secs:.2} s = {:.0}/s",
        accepted as f64 / secs
    );
}

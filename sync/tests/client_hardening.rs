//! The client against a scripted loopback server that answers badly on
//! purpose: bad JSON, huge bodies, wrong types, wrong references, dropped
//! connections, stalls, HTTP errors. Every case gives a typed error and no
//! panic; retries, the idempotency key and the circuit breaker are checked
//! with injected time and randomness (no real sleeping).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use chrono::NaiveDate;
use kiosk_core::clock::FixedClock;
use kiosk_sync::client::{BreakerPolicy, BreakerState, ClientOptions, RetryPolicy, Submitted};
use kiosk_sync::platform::{ManualTicker, SeededRandom};
use kiosk_sync::transactions::Transaction;
use kiosk_sync::{CentralClient, ClientConfig, Error};
use serde_json::{Value, json};

/// What the server does with the next non-sign-in request.
#[derive(Clone)]
enum Reply {
    /// A success envelope with this output, echoing the msgid.
    Output(Value),
    /// A failure envelope with this infcode.
    Code(i32, &'static str),
    /// These exact bytes as a 200 body (no msgid echo).
    Body(Vec<u8>),
    /// An envelope JSON built from the msgid.
    Envelope(fn(&str) -> Value),
    /// A 200 with a body of this many bytes, streamed without a length.
    Chunked(usize),
    /// This HTTP status with an empty body.
    Status(u16),
    /// Close the connection without answering.
    Drop,
    /// Read the request and answer nothing until the server stops.
    Stall,
}

struct Server {
    addr: SocketAddr,
    script: Arc<Mutex<VecDeque<Reply>>>,
    seen: Arc<Mutex<Vec<(String, String)>>>,
    stop: Arc<AtomicBool>,
    stall_release: Mutex<Option<mpsc::Sender<()>>>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    fn start(replies: Vec<Reply>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let script = Arc::new(Mutex::new(VecDeque::from(replies)));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let release_rx = Arc::new(Mutex::new(release_rx));
        let (s, sn, st) = (script.clone(), seen.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            let mut workers = Vec::new();
            for stream in listener.incoming() {
                if st.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let (s, sn, rx) = (s.clone(), sn.clone(), release_rx.clone());
                workers.push(std::thread::spawn(move || serve(stream, &s, &sn, &rx)));
            }
            for w in workers {
                let _ = w.join();
            }
        });
        Server {
            addr,
            script,
            seen,
            stop,
            stall_release: Mutex::new(Some(release_tx)),
            thread: Some(thread),
        }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// (infno, msgid) of every request, sign-ins included.
    fn seen(&self) -> Vec<(String, String)> {
        self.seen.lock().unwrap().clone()
    }

    fn business(&self) -> Vec<(String, String)> {
        self.seen()
            .into_iter()
            .filter(|(infno, _)| infno != "9001")
            .collect()
    }

    fn push(&self, reply: Reply) {
        self.script.lock().unwrap().push_back(reply);
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Releases stalled workers (dropping the sender ends their wait).
        self.stall_release.lock().unwrap().take();
        let _ = TcpStream::connect(self.addr);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve(
    stream: TcpStream,
    script: &Mutex<VecDeque<Reply>>,
    seen: &Mutex<Vec<(String, String)>>,
    release: &Mutex<mpsc::Receiver<()>>,
) {
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
        return;
    }
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        if line == "\r\n" {
            break;
        }
        let lower = line.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("content-length:") {
            length = v.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0u8; length];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let infno = request["infno"].as_str().unwrap_or("").to_string();
    let msgid = request["msgid"].as_str().unwrap_or("").to_string();
    seen.lock().unwrap().push((infno.clone(), msgid.clone()));
    let mut stream = stream;
    let reply = if infno == "9001" {
        Reply::Output(json!({"signinoutb": {"sign_time": "2026-11-22 09:30:00", "sign_no": "S1"}}))
    } else {
        script
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or(Reply::Status(599))
    };
    let respond = |stream: &mut TcpStream, status: u16, body: &[u8]| {
        let head = format!(
            "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        let _ = stream.write_all(head.as_bytes());
        let _ = stream.write_all(body);
    };
    let envelope = |code: i32, output: Value, err: &str| {
        json!({"infcode": code, "inf_refmsgid": msgid, "refmsg_time": "", "respond_time": "",
               "err_msg": if err.is_empty() { Value::Null } else { Value::from(err) }, "output": output})
    };
    match reply {
        Reply::Output(output) => respond(
            &mut stream,
            200,
            envelope(0, output, "").to_string().as_bytes(),
        ),
        Reply::Code(code, err) => respond(
            &mut stream,
            200,
            envelope(code, Value::Null, err).to_string().as_bytes(),
        ),
        Reply::Body(bytes) => respond(&mut stream, 200, &bytes),
        Reply::Envelope(build) => respond(&mut stream, 200, build(&msgid).to_string().as_bytes()),
        Reply::Status(code) => respond(&mut stream, code, b""),
        Reply::Chunked(n) => {
            let _ = stream.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
            );
            let chunk = vec![b' '; 64 * 1024];
            let mut sent = 0;
            while sent < n {
                let size = chunk.len().min(n - sent);
                if stream
                    .write_all(format!("{size:x}\r\n").as_bytes())
                    .and_then(|()| stream.write_all(&chunk[..size]))
                    .and_then(|()| stream.write_all(b"\r\n"))
                    .is_err()
                {
                    return;
                }
                sent += size;
            }
            let _ = stream.write_all(b"0\r\n\r\n");
        }
        Reply::Drop => {}
        Reply::Stall => {
            let _ = release
                .lock()
                .unwrap()
                .recv_timeout(Duration::from_secs(10));
        }
    }
}

struct Rig {
    client: CentralClient,
    ticker: Arc<ManualTicker>,
}

fn rig(server: &Server, retry: RetryPolicy, breaker: BreakerPolicy) -> Rig {
    let ticker = Arc::new(ManualTicker::new());
    let options = ClientOptions {
        retry,
        breaker,
        max_response_bytes: 64 * 1024,
        random: Arc::new(SeededRandom::new(11)),
        sleeper: ticker.clone(),
        ticker: ticker.clone(),
        ..ClientOptions::default()
    };
    let clock = Arc::new(FixedClock(
        NaiveDate::from_ymd_opt(2026, 11, 22)
            .unwrap()
            .and_hms_opt(9, 30, 0)
            .unwrap(),
    ));
    let config = ClientConfig {
        base_url: server.url(),
        terminal_id: "K220100001".into(),
        terminal_name: "测试终端".into(),
        area_code: "220100".into(),
        institution_code: "H1".into(),
        institution_name: "大厅".into(),
        timeout: Duration::from_millis(700),
    };
    Rig {
        client: CentralClient::with_options(config, clock, options).unwrap(),
        ticker,
    }
}

fn default_rig(server: &Server) -> Rig {
    rig(server, RetryPolicy::default(), BreakerPolicy::default())
}

#[test]
fn bad_json_is_a_typed_error() {
    let server = Server::start(vec![Reply::Body(
        b"{\"infcode\": 0, \"output\": [".to_vec(),
    )]);
    let r = default_rig(&server);
    let err = r.client.query_filings("P1").unwrap_err();
    assert!(matches!(err, Error::Malformed(_)), "{err:?}");
    assert!(err.user_message().contains("稍后再试"));
}

#[test]
fn a_huge_body_is_refused_with_and_without_a_length() {
    let server = Server::start(vec![
        Reply::Body(vec![b' '; 200 * 1024]),
        Reply::Chunked(3 * 1024 * 1024),
    ]);
    let r = default_rig(&server);
    let err = r.client.query_filings("P1").unwrap_err();
    assert!(matches!(err, Error::TooLarge { limit: 65536 }), "{err:?}");
    let err = r.client.query_filings("P1").unwrap_err();
    assert!(matches!(err, Error::TooLarge { .. }), "{err:?}");
}

#[test]
fn wrong_types_are_malformed_not_a_crash() {
    let server = Server::start(vec![
        Reply::Envelope(|m| json!({"infcode": "zero", "inf_refmsgid": m})),
        Reply::Envelope(
            |m| json!({"infcode": 0, "inf_refmsgid": m, "output": {"filings": [{"filing_no": 5}]}}),
        ),
        Reply::Envelope(|m| json!({"infcode": 0, "inf_refmsgid": m, "output": null})),
        Reply::Envelope(|m| json!([m])),
    ]);
    let r = default_rig(&server);
    for _ in 0..4 {
        let err = r.client.query_filings("P1").unwrap_err();
        assert!(matches!(err, Error::Malformed(_)), "{err:?}");
        // The error text never quotes the offending value.
        assert!(!err.to_string().contains("zero"));
    }
}

#[test]
fn an_answer_to_another_message_is_refused() {
    let server = Server::start(vec![Reply::Envelope(
        |_| json!({"infcode": 0, "inf_refmsgid": "K1-other", "output": {"filings": []}}),
    )]);
    let r = default_rig(&server);
    assert!(matches!(
        r.client.query_filings("P1"),
        Err(Error::WrongReference)
    ));
}

#[test]
fn queries_are_retried_with_backoff_and_jitter_under_one_msgid() {
    let server = Server::start(vec![
        Reply::Drop,
        Reply::Status(503),
        Reply::Output(json!({"filings": []})),
    ]);
    let r = default_rig(&server);
    let out = r.client.query_filings("P1").unwrap();
    assert!(out.filings.is_empty());
    let business = server.business();
    assert_eq!(business.len(), 3);
    assert!(
        business.iter().all(|(_, m)| *m == business[0].1),
        "{business:?}"
    );
    let sleeps = r.ticker.sleeps();
    assert_eq!(sleeps.len(), 2);
    assert!(sleeps[0] >= Duration::from_millis(50) && sleeps[0] <= Duration::from_millis(100));
    assert!(sleeps[1] >= Duration::from_millis(100) && sleeps[1] <= Duration::from_millis(200));
    // Deterministic: the same seed gives the same delays.
    let server2 = Server::start(vec![
        Reply::Drop,
        Reply::Status(503),
        Reply::Output(json!({"filings": []})),
    ]);
    let r2 = default_rig(&server2);
    r2.client.query_filings("P1").unwrap();
    assert_eq!(r2.ticker.sleeps(), sleeps);
}

#[test]
fn retries_are_bounded_and_http_errors_typed() {
    let server = Server::start(vec![
        Reply::Status(500),
        Reply::Status(500),
        Reply::Status(500),
    ]);
    let r = default_rig(&server);
    assert!(matches!(
        r.client.query_filings("P1"),
        Err(Error::HttpStatus(500))
    ));
    assert_eq!(server.business().len(), 3);
}

#[test]
fn retries_stop_when_the_budget_is_spent() {
    let server = Server::start(vec![Reply::Drop, Reply::Drop, Reply::Drop]);
    let r = rig(
        &server,
        RetryPolicy {
            max_attempts: 10,
            base_delay: Duration::from_millis(400),
            max_delay: Duration::from_secs(2),
            budget: Duration::from_millis(1000),
        },
        BreakerPolicy::default(),
    );
    assert!(matches!(
        r.client.query_filings("P1"),
        Err(Error::Unreachable(_))
    ));
    // 200-400 ms, then 400-800 ms; a third wait would pass the budget.
    let waited: Duration = r.ticker.sleeps().iter().sum();
    assert!(waited <= Duration::from_millis(1000), "{waited:?}");
    assert!(server.business().len() <= 3);
}

#[test]
fn commands_are_not_retried_by_the_client() {
    let server = Server::start(vec![Reply::Drop, Reply::Output(json!({"rating_no": "R1"}))]);
    let r = default_rig(&server);
    let err = r
        .client
        .submit(Transaction::RatingUpload, "K1MSG500001", b"{\"score\":5}")
        .unwrap_err();
    assert!(matches!(err, Error::Unreachable(_)), "{err:?}");
    assert_eq!(server.business().len(), 1);
    assert!(r.ticker.sleeps().is_empty());
    // The outbox sends it again with the same msgid; the centre answers.
    let ok = r
        .client
        .submit(Transaction::RatingUpload, "K1MSG500001", b"{\"score\":5}")
        .unwrap();
    assert_eq!(ok, Submitted::Accepted(json!({"rating_no": "R1"})));
    let business = server.business();
    assert_eq!(business[0].1, "K1MSG500001");
    assert_eq!(business[1].1, "K1MSG500001");
}

#[test]
fn a_rule_refusal_is_a_rejection_not_an_error() {
    let server = Server::start(vec![Reply::Code(-6, "备案锁定期内不能变更")]);
    let r = default_rig(&server);
    let answer = r
        .client
        .submit(Transaction::FilingChange, "K1MSG500002", b"{}")
        .unwrap();
    assert_eq!(
        answer,
        Submitted::Rejected {
            code: -6,
            reason: "备案锁定期内不能变更".into()
        }
    );
}

#[test]
fn a_stale_sign_number_is_renewed_and_the_msgid_kept() {
    let server = Server::start(vec![
        Reply::Code(-2, "签到编号无效"),
        Reply::Output(json!({"filings": []})),
    ]);
    let r = default_rig(&server);
    r.client.query_filings("P1").unwrap();
    let seen = server.seen();
    let infnos: Vec<&str> = seen.iter().map(|(i, _)| i.as_str()).collect();
    assert_eq!(infnos, ["9001", "KS12", "9001", "KS12"]);
    assert_eq!(seen[1].1, seen[3].1);
    assert_ne!(seen[0].1, seen[2].1);
}

#[test]
fn a_stalled_centre_times_out() {
    let server = Server::start(vec![Reply::Stall]);
    let r = rig(
        &server,
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        },
        BreakerPolicy::default(),
    );
    let err = r.client.query_filings("P1").unwrap_err();
    assert!(matches!(err, Error::Timeout), "{err:?}");
}

#[test]
fn the_breaker_opens_fails_fast_and_probes_after_the_cool_down() {
    let server = Server::start(vec![Reply::Drop, Reply::Drop, Reply::Drop]);
    let r = rig(
        &server,
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        },
        BreakerPolicy {
            failure_threshold: 3,
            cool_down: Duration::from_secs(10),
        },
    );
    for _ in 0..3 {
        assert!(matches!(
            r.client.query_filings("P1"),
            Err(Error::Unreachable(_))
        ));
    }
    let before = server.seen().len();
    let err = r.client.query_filings("P1").unwrap_err();
    assert!(
        matches!(
            err,
            Error::CircuitOpen {
                retry_in_ms: 10_000
            }
        ),
        "{err:?}"
    );
    assert!(err.user_message().contains("暂时无法连接"));
    assert_eq!(server.seen().len(), before, "no request while open");
    r.ticker.advance(Duration::from_secs(4));
    assert!(matches!(
        r.client.breaker_state(),
        BreakerState::Open { retry_in } if retry_in == Duration::from_secs(6)
    ));
    // After the cool-down one probe goes through; it fails: open again.
    r.ticker.advance(Duration::from_secs(6));
    server.push(Reply::Drop);
    assert!(matches!(
        r.client.query_filings("P1"),
        Err(Error::Unreachable(_))
    ));
    assert!(matches!(
        r.client.query_filings("P1"),
        Err(Error::CircuitOpen { .. })
    ));
    // Next probe succeeds: closed.
    r.ticker.advance(Duration::from_secs(10));
    server.push(Reply::Output(json!({"filings": []})));
    r.client.query_filings("P1").unwrap();
    assert_eq!(
        r.client.breaker_state(),
        BreakerState::Closed { failures: 0 }
    );
}

#[test]
fn msgids_are_unique_and_in_the_client_range() {
    let server = Server::start(vec![]);
    let r = default_rig(&server);
    let mut seen = std::collections::HashSet::new();
    for _ in 0..2000 {
        let m = r.client.next_msgid();
        assert_eq!(m.len(), "K220100001".len() + 14 + 6);
        let seq: u32 = m[m.len() - 6..].parse().unwrap();
        assert!(seq < 500_000);
        assert!(seen.insert(m));
    }
}

#[test]
fn the_last_centre_failure_is_kept_for_the_health_board_until_an_answer() {
    let server = Server::start(vec![
        Reply::Status(503),
        Reply::Body(b"<html>502</html>".to_vec()),
        Reply::Code(-3, "未查询到参保人员信息"),
        Reply::Output(json!({"filings": []})),
    ]);
    let r = rig(
        &server,
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        },
        BreakerPolicy::default(),
    );
    assert_eq!(r.client.centre_failure(), None);
    assert!(r.client.query_filings("P1").is_err());
    assert_eq!(r.client.centre_failure(), Some("http_503"));
    assert!(r.client.query_filings("P1").is_err());
    assert_eq!(r.client.centre_failure(), Some("malformed_answer"));
    // A refusal is an answer: the centre works.
    assert!(matches!(
        r.client.query_filings("P1"),
        Err(Error::PersonNotFound)
    ));
    assert_eq!(r.client.centre_failure(), None);
    r.client.query_filings("P1").unwrap();
    assert_eq!(r.client.centre_failure(), None);
    drop(server);
    assert!(r.client.query_filings("P1").is_err());
    assert_eq!(r.client.centre_failure(), Some("unreachable"));
}

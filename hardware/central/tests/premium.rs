//! The resident premium payment 城乡居民医保缴费 (KS51–KS54) against the
//! reference centre on loopback, through the kiosk's own client: the
//! year's amount due with the government subsidy, orders idempotent on the
//! kiosk's order number, the phone's payment through the centre's
//! automation route `POST /sim/premium/{order_no}`, cancellation, expiry
//! after 15 minutes on the centre's clock, numbers barred by an `unknown`
//! answer, and a lost KS52 answer retried into exactly one order.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{NaiveDate, NaiveDateTime};
use kiosk_central::{
    Central, CentralOptions, CentralServer, DEFAULT_PAY_BASE, DemoData, MSGID_CONFLICT,
    ORDER_VALID_MINUTES, RULE_REFUSED, SimulatedPayment,
};
use kiosk_core::clock::Clock;
use kiosk_sync::client::ClientOptions;
use kiosk_sync::platform::ManualTicker;
use kiosk_sync::wire::{PremiumDueInput, PremiumDueOutput, PremiumOrderInput, PremiumOrderOutput};
use kiosk_sync::{CentralClient, Error};
use rust_decimal::Decimal;
use serde_json::{Value, json};

/// 张德福: resident, 低收入家庭60周岁以上老年人 subsidy of 200.00, 2026 paid.
const ZHANG: &str = "22010000000003";
/// 陈思远: resident without subsidy, 2026 paid.
const CHEN: &str = "22010000000017";
/// 李秀兰: employee (310).
const LI: &str = "22020000000002";

/// The centre's and the client's clock, moved by the test.
struct TestClock(Mutex<NaiveDateTime>);

impl TestClock {
    fn at(y: i32, m: u32, d: u32, h: u32, min: u32, s: u32) -> Arc<TestClock> {
        Arc::new(TestClock(Mutex::new(
            NaiveDate::from_ymd_opt(y, m, d)
                .unwrap()
                .and_hms_opt(h, min, s)
                .unwrap(),
        )))
    }

    fn advance(&self, by: chrono::Duration) {
        let mut now = self.0.lock().unwrap();
        *now += by;
    }
}

impl Clock for TestClock {
    fn now(&self) -> NaiveDateTime {
        *self.0.lock().unwrap()
    }
}

/// 2026-12-07 09:30: within the 2027 collection period.
fn december() -> Arc<TestClock> {
    TestClock::at(2026, 12, 7, 9, 30, 0)
}

fn serve(data: DemoData, clock: Arc<TestClock>) -> CentralServer {
    let c = Central::open(data, "test", None, clock, CentralOptions::default()).unwrap();
    CentralServer::start("127.0.0.1:0".parse().unwrap(), Arc::new(c)).unwrap()
}

fn central(clock: Arc<TestClock>) -> CentralServer {
    serve(DemoData::builtin().unwrap(), clock)
}

fn client_with(url: &str, clock: Arc<TestClock>, options: ClientOptions) -> CentralClient {
    CentralClient::with_options(
        kiosk_central::test_terminal(url, Duration::from_secs(5)),
        clock,
        options,
    )
    .unwrap()
}

fn client(url: &str, clock: Arc<TestClock>) -> CentralClient {
    client_with(url, clock, ClientOptions::default())
}

fn money(text: &str) -> Decimal {
    text.parse().unwrap()
}

fn due(c: &CentralClient, psn_no: &str, year: i32) -> PremiumDueOutput {
    c.query_premium_due(&PremiumDueInput {
        psn_no: psn_no.into(),
        year,
    })
    .unwrap()
}

fn order_input(order_no: &str, psn_no: &str, year: i32, amount: &str) -> PremiumOrderInput {
    PremiumOrderInput {
        order_no: order_no.into(),
        psn_no: psn_no.into(),
        year,
        amount: money(amount),
        agnter: String::new(),
    }
}

fn order(
    c: &CentralClient,
    order_no: &str,
    psn_no: &str,
    year: i32,
    amount: &str,
) -> PremiumOrderOutput {
    c.create_premium_order(&order_input(order_no, psn_no, year, amount))
        .unwrap()
}

/// The refusal's code and message.
fn refused(result: Result<PremiumOrderOutput, Error>) -> (i32, String) {
    match result {
        Err(Error::Refused { infcode, message }) => (infcode, message),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn orders_in_db(server: &CentralServer) -> i64 {
    server
        .central()
        .query_db(|db| db.query_row("SELECT COUNT(*) FROM premium_order", [], |r| r.get(0)))
        .unwrap()
}

/// `POST {path}` with a JSON body to the centre: (status, JSON answer).
/// Plain HTTP/1.1 over a socket, bounded by read and write timeouts.
fn post(server: &CentralServer, path: &str, body: &Value) -> (u16, Value) {
    let url = server.url();
    let host = url.trim_start_matches("http://").trim_end_matches('/');
    let mut stream = TcpStream::connect(host).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    stream
        .set_write_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let body = body.to_string();
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).unwrap();
    let answer = String::from_utf8(answer).unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap();
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

fn pay(server: &CentralServer, order_no: &str, body: Value) -> (u16, Value) {
    post(server, &format!("/sim/premium/{order_no}"), &body)
}

#[test]
fn the_due_shows_the_subsidy_the_full_premium_employees_and_closed_years() {
    let clock = december();
    let server = central(clock.clone());
    let c = client(&server.url(), clock);

    // Year 0: the year being collected today.
    let zhang = due(&c, ZHANG, 0);
    assert_eq!(zhang.year, 2027);
    assert_eq!(zhang.state, "due");
    assert_eq!(zhang.insutype, "390");
    assert_eq!(zhang.admdvs, "220100");
    assert_eq!(zhang.standard, money("400.00"));
    assert_eq!(zhang.subsidy, money("200.00"));
    assert_eq!(zhang.subsidy_kind, "低收入家庭60周岁以上老年人");
    assert_eq!(zhang.due, money("200.00"));
    assert_eq!(zhang.due.to_string(), "200.00");
    assert_eq!(
        (zhang.period_begin.as_str(), zhang.period_end.as_str()),
        ("2026-09-01", "2027-02-28")
    );
    assert_eq!(zhang.paid, None);
    assert_eq!(due(&c, ZHANG, 2027), zhang, "year 0 is 2027 today");

    let chen = due(&c, CHEN, 0);
    assert_eq!((chen.year, chen.state.as_str()), (2027, "due"));
    assert_eq!(chen.standard, money("400.00"));
    assert_eq!(chen.subsidy, Decimal::ZERO);
    assert_eq!(chen.subsidy_kind, "");
    assert_eq!(chen.due.to_string(), "400.00");

    // 2026 is paid by the recorded contributions: paid wins over closed.
    let paid = due(&c, CHEN, 2026);
    assert_eq!(paid.state, "paid");
    let receipt = paid.paid.unwrap();
    assert_eq!(receipt.state, "paid");
    assert_eq!(receipt.year, 2026);
    assert_eq!(receipt.amount.to_string(), "380.00");
    assert_eq!(receipt.receipt_no, "220100-2026-C22010000000017");
    let zhang_2026 = due(&c, ZHANG, 2026);
    assert_eq!(zhang_2026.state, "paid");
    assert_eq!(zhang_2026.paid.unwrap().amount, money("399.96"));

    // An employee pays through the employer.
    let li = due(&c, LI, 0);
    assert_eq!((li.year, li.state.as_str()), (2027, "not_resident"));
    assert_eq!(
        (li.standard, li.subsidy, li.due),
        (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO)
    );
    assert!(li.paid.is_none());

    // 2028's period has not begun; 2035 is not even published.
    let next = due(&c, CHEN, 2028);
    assert_eq!(next.state, "closed");
    assert_eq!(next.standard, money("420.00"));
    assert_eq!(next.period_end, "2028-02-29");
    let far = due(&c, CHEN, 2035);
    assert_eq!(far.state, "closed");
    assert_eq!(far.standard, Decimal::ZERO);
    assert_eq!(far.due, Decimal::ZERO);
    assert_eq!(
        (far.period_begin.as_str(), far.period_end.as_str()),
        ("2034-09-01", "2035-02-28")
    );

    assert!(matches!(
        c.query_premium_due(&PremiumDueInput {
            psn_no: "22010099999999".into(),
            year: 0
        }),
        Err(Error::PersonNotFound)
    ));
}

#[test]
fn year_zero_is_the_period_of_today_else_the_next_one() {
    for ((m, d), year, state) in [
        ((1, 15), 2027, "due"),
        ((2, 28), 2027, "due"),
        ((3, 1), 2028, "closed"),
        ((8, 31), 2028, "closed"),
        ((9, 1), 2028, "due"),
    ] {
        let clock = TestClock::at(2027, m, d, 10, 0, 0);
        let server = central(clock.clone());
        let c = client(&server.url(), clock);
        let answer = due(&c, CHEN, 0);
        assert_eq!(
            (answer.year, answer.state.as_str()),
            (year, state),
            "2027-{m:02}-{d:02}"
        );
    }
}

#[test]
fn an_order_is_found_again_by_its_number_and_bars_a_second_one() {
    let clock = december();
    let server = central(clock.clone());
    let c = client(&server.url(), clock);
    let first = order(&c, "K2201-A001P20261207000001", ZHANG, 2027, "200.00");
    assert_eq!(first.state, "open");
    assert_eq!((first.year, first.insutype.as_str()), (2027, "390"));
    assert_eq!(first.amount.to_string(), "200.00");
    assert_eq!(
        first.pay_url,
        format!("{DEFAULT_PAY_BASE}/K2201-A001P20261207000001")
    );
    assert!(
        first.pay_url.contains(".invalid/"),
        "not a real payment page"
    );
    assert_eq!(ORDER_VALID_MINUTES, 15);
    assert_eq!(first.expires_at, "2026-12-07 09:45:00");
    assert!(first.receipt_no.is_empty() && first.paid_at.is_empty());

    // The same number again (a new message): the same order, not another.
    let again = order(&c, "K2201-A001P20261207000001", ZHANG, 2027, "200.00");
    assert_eq!(again, first);
    assert_eq!(orders_in_db(&server), 1);

    // Another number for the same person and year while it is open.
    let (code, message) = refused(c.create_premium_order(&order_input(
        "K2201-A001P20261207000002",
        ZHANG,
        2027,
        "200.00",
    )));
    assert_eq!(code, RULE_REFUSED);
    assert!(message.contains("K2201-A001P20261207000001"), "{message}");
    // The first number for anything else.
    let (code, message) = refused(c.create_premium_order(&order_input(
        "K2201-A001P20261207000001",
        CHEN,
        2027,
        "400.00",
    )));
    assert_eq!(
        (code, message.as_str()),
        (MSGID_CONFLICT, "订单号已用于另一笔缴费")
    );
    assert_eq!(orders_in_db(&server), 1);
    // Another person is not held up.
    assert_eq!(
        order(&c, "K2201-A001P20261207000003", CHEN, 2027, "400.00").state,
        "open"
    );
}

#[test]
fn a_payment_through_the_route_is_what_ks53_ks51_and_ks54_report() {
    let clock = december();
    let server = central(clock.clone());
    let c = client(&server.url(), clock.clone());
    let no = "K2201-A001P20261207000011";
    order(&c, no, ZHANG, 2027, "200.00");
    clock.advance(chrono::Duration::minutes(3));

    let (status, paid) = pay(
        &server,
        no,
        json!({"result": "paid", "channel": "微信支付"}),
    );
    assert_eq!(status, 200, "{paid}");
    assert_eq!(paid["state"], "paid");
    assert_eq!(paid["receipt_no"], "220100-2027-R000001");
    assert_eq!(paid["paid_at"], "2026-12-07 09:33:00");
    assert_eq!(paid["channel"], "微信支付");
    assert_eq!(paid["pay_url"], "", "no QR code once paid");

    let queried = c.query_premium_order(no).unwrap();
    assert_eq!(queried.state, "paid");
    assert_eq!(queried.receipt_no, "220100-2027-R000001");
    assert_eq!(queried.amount.to_string(), "200.00");
    assert_eq!(serde_json::to_value(&queried).unwrap(), paid);

    let year = due(&c, ZHANG, 2027);
    assert_eq!(year.state, "paid");
    assert_eq!(year.paid.as_ref(), Some(&queried));

    // Cancelling a paid order: it stays paid.
    assert_eq!(c.cancel_premium_order(no).unwrap(), queried);
    // A second payment of it is refused with the order as it stands; an
    // order the centre does not hold is not found; a bad body is refused.
    let (status, again) = pay(&server, no, json!({"result": "paid"}));
    assert_eq!((status, again["state"].as_str()), (409, Some("paid")));
    let (status, _) = pay(
        &server,
        "K2201-A001P20261207999999",
        json!({"result": "paid"}),
    );
    assert_eq!(status, 404);
    let (status, _) = pay(&server, no, json!({"result": "maybe"}));
    assert_eq!(status, 400);

    // The year is paid: no new order.
    let (code, message) = refused(c.create_premium_order(&order_input(
        "K2201-A001P20261207000012",
        ZHANG,
        2027,
        "200.00",
    )));
    assert_eq!(code, RULE_REFUSED);
    assert!(message.contains("已缴纳"), "{message}");

    // The receipt series counts on per area and year.
    order(&c, "K2201-A001P20261207000013", CHEN, 2027, "400.00");
    let second = server
        .central()
        .simulate_payment(
            "K2201-A001P20261207000013",
            &SimulatedPayment::Paid {
                channel: "支付宝".into(),
            },
        )
        .unwrap();
    assert_eq!(second.receipt_no, "220100-2027-R000002");
    assert_eq!(second.channel, "支付宝");
}

#[test]
fn a_cancelled_order_cannot_be_paid_and_a_new_one_can_be_made() {
    let clock = december();
    let server = central(clock.clone());
    let c = client(&server.url(), clock);
    let no = "K2201-A001P20261207000021";
    order(&c, no, CHEN, 2027, "400.00");
    let cancelled = c.cancel_premium_order(no).unwrap();
    assert_eq!(cancelled.state, "cancelled");
    assert_eq!(cancelled.pay_url, "");
    assert_eq!(c.query_premium_order(no).unwrap().state, "cancelled");
    // Cancelling again answers it as it is.
    assert_eq!(c.cancel_premium_order(no).unwrap(), cancelled);
    let (status, answer) = pay(
        &server,
        no,
        json!({"result": "paid", "channel": "微信支付"}),
    );
    assert_eq!((status, answer["state"].as_str()), (409, Some("cancelled")));
    assert_eq!(due(&c, CHEN, 2027).state, "due");
    assert_eq!(
        order(&c, "K2201-A001P20261207000022", CHEN, 2027, "400.00").state,
        "open"
    );
}

#[test]
fn an_open_order_expires_fifteen_minutes_after_it_was_made() {
    let clock = december();
    let server = central(clock.clone());
    let c = client(&server.url(), clock.clone());
    let no = "K2201-A001P20261207000031";
    order(&c, no, CHEN, 2027, "400.00");
    clock.advance(chrono::Duration::seconds(14 * 60 + 59));
    assert_eq!(c.query_premium_order(no).unwrap().state, "open");
    clock.advance(chrono::Duration::seconds(1));
    let expired = c.query_premium_order(no).unwrap();
    assert_eq!(expired.state, "expired");
    assert_eq!(expired.pay_url, "");
    assert_eq!(expired.expires_at, "2026-12-07 09:45:00");
    // Asked for by its number again, it is answered as it stands.
    assert_eq!(order(&c, no, CHEN, 2027, "400.00"), expired);
    assert_eq!(c.cancel_premium_order(no).unwrap(), expired);
    match server.central().simulate_payment(
        no,
        &SimulatedPayment::Paid {
            channel: "微信支付".into(),
        },
    ) {
        Err(kiosk_central::Error::OrderNotOpen(order)) => assert_eq!(order.state, "expired"),
        other => panic!("expected not open, got {other:?}"),
    }
    // It holds nothing up.
    let next = order(&c, "K2201-A001P20261207000032", CHEN, 2027, "400.00");
    assert_eq!(
        (next.state.as_str(), next.expires_at.as_str()),
        ("open", "2026-12-07 10:00:00")
    );
}

#[test]
fn a_number_found_unknown_can_never_become_an_order() {
    let clock = december();
    let server = central(clock.clone());
    let c = client(&server.url(), clock);
    let no = "K2201-A001P20261207000041";
    let unknown = c.query_premium_order(no).unwrap();
    assert_eq!(unknown.state, "unknown");
    assert_eq!(unknown.order_no, no);
    let (code, message) = refused(c.create_premium_order(&order_input(no, ZHANG, 2027, "200.00")));
    assert_eq!(code, RULE_REFUSED);
    assert!(message.contains("作废"), "{message}");
    // A cancel of a number the centre never saw bars it too.
    let other = "K2201-A001P20261207000042";
    assert_eq!(c.cancel_premium_order(other).unwrap().state, "unknown");
    let (code, _) = refused(c.create_premium_order(&order_input(other, ZHANG, 2027, "200.00")));
    assert_eq!(code, RULE_REFUSED);
    assert_eq!(orders_in_db(&server), 0);
    // Another number still works.
    assert_eq!(
        order(&c, "K2201-A001P20261207000043", ZHANG, 2027, "200.00").state,
        "open"
    );
}

#[test]
fn orders_are_refused_with_the_reason_the_citizen_reads() {
    let clock = december();
    let server = central(clock.clone());
    let c = client(&server.url(), clock);
    let try_order = |no: &str, psn: &str, year: i32, amount: &str| {
        let (code, message) = refused(c.create_premium_order(&order_input(no, psn, year, amount)));
        assert_eq!(code, RULE_REFUSED, "{message}");
        message
    };
    let m = try_order("K2201-A001P20261207000051", ZHANG, 2027, "400.00");
    assert!(m.contains("应缴200.00元"), "{m}");
    let m = try_order("K2201-A001P20261207000052", LI, 2027, "400.00");
    assert!(m.contains("未参加城乡居民基本医疗保险"), "{m}");
    let m = try_order("K2201-A001P20261207000053", CHEN, 2028, "420.00");
    assert!(
        m.contains("不在缴费期内") && m.contains("2027年9月1日"),
        "{m}"
    );
    let m = try_order("K2201-A001P20261207000054", CHEN, 2026, "380.00");
    assert!(m.contains("已缴纳"), "{m}");
    let m = try_order("K2201-A001P20261207000055", CHEN, 2035, "400.00");
    assert!(m.contains("尚未公布"), "{m}");
    assert!(matches!(
        c.create_premium_order(&order_input(
            "K2201-A001P20261207000056",
            "22010099999999",
            2027,
            "400.00"
        )),
        Err(Error::PersonNotFound)
    ));
    let (code, _) =
        refused(c.create_premium_order(&order_input("bad/number", CHEN, 2027, "400.00")));
    assert_eq!(code, kiosk_sync::envelope::infcode::BAD_REQUEST);
    assert_eq!(orders_in_db(&server), 0);
}

#[test]
fn a_fully_subsidised_year_is_due_at_zero_and_takes_no_order() {
    // The 2027 standard lowered to 张德福's subsidy.
    let text = kiosk_central::data::BUILTIN_TEXT.replace(
        "year = 2027\nstandard = \"400.00\"",
        "year = 2027\nstandard = \"200.00\"",
    );
    let clock = december();
    let server = serve(DemoData::parse("test.toml", &text).unwrap(), clock.clone());
    let c = client(&server.url(), clock);
    let zhang = due(&c, ZHANG, 0);
    assert_eq!(zhang.state, "due");
    assert_eq!(zhang.due.to_string(), "0.00");
    assert_eq!(zhang.subsidy, money("200.00"));
    let (code, message) = refused(c.create_premium_order(&order_input(
        "K2201-A001P20261207000061",
        ZHANG,
        2027,
        "0.00",
    )));
    assert_eq!(code, RULE_REFUSED);
    assert!(
        message.contains("全额资助") && message.contains("无需缴费"),
        "{message}"
    );
}

#[test]
fn a_failed_payment_leaves_the_year_due() {
    let clock = december();
    let server = central(clock.clone());
    let c = client(&server.url(), clock);
    let no = "K2201-A001P20261207000071";
    order(&c, no, CHEN, 2027, "400.00");
    let (status, failed) = pay(
        &server,
        no,
        json!({"result": "failed", "reason": "余额不足"}),
    );
    assert_eq!(status, 200, "{failed}");
    assert_eq!(
        (failed["state"].as_str(), failed["reason"].as_str()),
        (Some("failed"), Some("余额不足"))
    );
    let queried = c.query_premium_order(no).unwrap();
    assert_eq!(
        (queried.state.as_str(), queried.reason.as_str()),
        ("failed", "余额不足")
    );
    assert!(queried.receipt_no.is_empty());
    assert_eq!(c.cancel_premium_order(no).unwrap().state, "failed");
    assert_eq!(due(&c, CHEN, 2027).state, "due");
    assert_eq!(
        order(&c, "K2201-A001P20261207000072", CHEN, 2027, "400.00").state,
        "open"
    );
}

#[test]
fn a_lost_order_answer_is_retried_into_exactly_one_order() {
    let clock = december();
    let server = central(clock.clone());
    // Retries wait on a manual ticker: no real sleeping.
    let ticker = Arc::new(ManualTicker::new());
    let c = client_with(
        &server.url(),
        clock,
        ClientOptions {
            sleeper: ticker.clone(),
            ticker: ticker.clone(),
            ..ClientOptions::default()
        },
    );
    // Sign in first, so the fault hits KS52 itself.
    due(&c, ZHANG, 0);
    server.central().faults().drop_after_commit_next(1);
    let no = "K2201-A001P20261207000081";
    let answer = order(&c, no, ZHANG, 2027, "200.00");
    assert_eq!(answer.state, "open");
    assert_eq!(ticker.sleeps().len(), 1, "one retry");
    assert_eq!(
        server.central().repeats_answered(),
        1,
        "the repeat was answered from the stored answer"
    );
    assert_eq!(orders_in_db(&server), 1);
    // The order is the one open order of the person and year.
    let (code, message) = refused(c.create_premium_order(&order_input(
        "K2201-A001P20261207000082",
        ZHANG,
        2027,
        "200.00",
    )));
    assert_eq!(code, RULE_REFUSED);
    assert!(message.contains(no), "{message}");
    assert_eq!(c.query_premium_order(no).unwrap(), answer);
}

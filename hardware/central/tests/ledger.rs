//! The ledger queries (issue 15) against the reference centre on loopback:
//! KS06 personal account statement and KS07 settlement records, answered
//! from the demo data as of the centre's clock and checked by the kiosk's
//! own mapping (kiosk_sync::records).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use kiosk_central::{Central, CentralOptions, CentralServer};
use kiosk_core::clock::FixedClock;
use kiosk_core::ledger::{EntryKind, Scope, SettlementStatus};
use kiosk_core::money::Yuan;
use kiosk_core::records::YearMonth;
use kiosk_sync::client::ClientOptions;
use kiosk_sync::wire::{AccountStatementInput, SettlementQueryInput};
use kiosk_sync::{CentralClient, ClientConfig, Error};

const LI: &str = "22020000000002";
const ZHANG: &str = "22010000000003";

fn clock(y: i32, m: u32, d: u32) -> Arc<FixedClock> {
    Arc::new(FixedClock(
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(9, 30, 0)
            .unwrap(),
    ))
}

fn central(clock: Arc<FixedClock>) -> CentralServer {
    let c = Central::open_seeded(None, clock, CentralOptions::default()).unwrap();
    CentralServer::start("127.0.0.1:0".parse().unwrap(), Arc::new(c)).unwrap()
}

fn client(url: &str, clock: Arc<FixedClock>) -> CentralClient {
    CentralClient::with_options(
        ClientConfig {
            base_url: url.to_string(),
            terminal_id: "K220200001".into(),
            terminal_name: "测试终端".into(),
            area_code: "220200".into(),
            institution_code: "H22020000001".into(),
            institution_name: "吉林市医保服务大厅".into(),
            timeout: Duration::from_secs(5),
        },
        clock,
        ClientOptions::default(),
    )
    .unwrap()
}

fn ym(y: i32, m: u32) -> YearMonth {
    YearMonth::new(y, m).unwrap()
}

fn yuan(text: &str) -> Yuan {
    Yuan::new(text.parse().unwrap()).unwrap()
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

#[test]
fn the_statement_of_the_last_months_ends_at_the_enrollment_balance() {
    let clock = clock(2026, 12, 7);
    let server = central(clock.clone());
    let c = client(&server.url(), clock);
    let s = kiosk_sync::records::account_statement(&c, LI, ym(2026, 10), ym(2026, 12)).unwrap();
    assert_eq!(s.balance, yuan("3521.40"));
    assert_eq!(s.closing(), yuan("3521.40"));
    let kinds: Vec<_> = s.entries.iter().map(|e| (e.date, e.kind)).collect();
    assert_eq!(
        kinds,
        vec![
            (day(2026, 10, 15), EntryKind::Credit),
            (day(2026, 10, 28), EntryKind::Outpatient),
            (day(2026, 11, 3), EntryKind::Pharmacy),
            (day(2026, 11, 26), EntryKind::Outpatient),
        ]
    );
    assert_eq!(s.credits, yuan("112.00"));
    assert_eq!(s.debits, yuan("566.90"));
    // 3521.40 + 566.90 − 112.00
    assert_eq!(s.opening, yuan("3976.30"));
    assert_eq!(s.entries[0].detail, "202610");
    assert_eq!(s.entries[1].detail, "北京协和医院");
}

#[test]
fn a_year_holds_the_refund_and_the_mutual_aid_and_still_chains() {
    let clock = clock(2026, 12, 7);
    let server = central(clock.clone());
    let c = client(&server.url(), clock);
    let s = kiosk_sync::records::account_statement(&c, LI, ym(2026, 1), ym(2026, 12)).unwrap();
    assert_eq!(s.closing(), yuan("3521.40"));
    // Ten paid months of 2026.
    let credits = s
        .entries
        .iter()
        .filter(|e| e.kind == EntryKind::Credit)
        .count();
    assert_eq!(credits, 10);
    let aid = s
        .entries
        .iter()
        .find(|e| e.kind == EntryKind::MutualAid)
        .unwrap();
    assert_eq!(aid.relation, "母亲");
    assert_eq!(aid.amount, yuan("-150.00"));
    let refund = s
        .entries
        .iter()
        .position(|e| e.kind == EntryKind::Refund)
        .unwrap();
    assert_eq!(s.entries[refund - 1].amount, yuan("-45.60"));
    assert_eq!(s.entries[refund].amount, yuan("45.60"));
}

#[test]
fn a_past_clock_answers_the_balance_as_it_was_then_without_later_entries() {
    // The data's balance is the balance as of the centre's clock: on
    // 2026-11-10 the 26 November debit has not happened yet and is not
    // answered, and the chain still ends at the balance.
    let clock = clock(2026, 11, 10);
    let server = central(clock.clone());
    let c = client(&server.url(), clock);
    let s = kiosk_sync::records::account_statement(&c, LI, ym(2026, 10), ym(2026, 11)).unwrap();
    assert_eq!(s.entries.len(), 3);
    assert_eq!(s.closing(), yuan("3521.40"));
}

#[test]
fn archived_months_a_resident_and_bad_ranges_are_refused() {
    let clock = clock(2026, 12, 7);
    let server = central(clock.clone());
    let c = client(&server.url(), clock);
    let ask = |psn: &str, from: &str, to: &str| {
        c.query_account_statement(&AccountStatementInput {
            psn_no: psn.into(),
            begn_ym: from.into(),
            end_ym: to.into(),
        })
    };
    match ask(LI, "202412", "202502") {
        Err(Error::Refused { message, .. }) => {
            assert!(message.contains("2025年1月以前"), "{message}")
        }
        other => panic!("{other:?}"),
    }
    match ask(ZHANG, "202610", "202612") {
        Err(Error::Refused { message, .. }) => {
            assert!(message.contains("没有个人账户"), "{message}")
        }
        other => panic!("{other:?}"),
    }
    assert!(ask(LI, "202612", "202610").is_err(), "end before begin");
    assert!(ask(LI, "2026-10", "202612").is_err(), "not yyyyMM");
    assert!(matches!(
        ask("22999999999999", "202610", "202612"),
        Err(Error::PersonNotFound)
    ));
}

#[test]
fn settlements_of_a_year_are_newest_first_with_their_scope() {
    let clock = clock(2026, 12, 7);
    let server = central(clock.clone());
    let c = client(&server.url(), clock);
    let list =
        kiosk_sync::records::settlements(&c, LI, day(2025, 12, 8), day(2026, 12, 7)).unwrap();
    // The June 2025 one is older than a year.
    assert_eq!(list.items.len(), 6);
    assert!(list.items.windows(2).all(|w| w[0].at > w[1].at));
    let first = &list.items[0];
    assert_eq!(first.id, "JS2202002026112600031");
    assert_eq!(first.scope, Scope::Local);
    let beijing = list
        .items
        .iter()
        .find(|s| s.institution == "北京协和医院")
        .unwrap();
    assert_eq!(beijing.scope, Scope::Cross);
    assert_eq!(beijing.status, SettlementStatus::Clearing);
    assert_eq!(beijing.area, "110100");
    let changchun = list
        .items
        .iter()
        .find(|s| s.institution == "吉林大学第一医院")
        .unwrap();
    assert_eq!(changchun.scope, Scope::Province);
    assert_eq!(changchun.total, yuan("12860.00"));
}

#[test]
fn a_resident_pays_no_settlement_from_an_account_and_future_ones_are_not_answered() {
    let clock = clock(2026, 11, 1);
    let server = central(clock.clone());
    let c = client(&server.url(), clock);
    let list =
        kiosk_sync::records::settlements(&c, ZHANG, day(2025, 11, 2), day(2026, 12, 31)).unwrap();
    // The 20 November stay in Beijing has not happened on 1 November.
    assert_eq!(list.items.len(), 2);
    assert!(list.items.iter().all(|s| s.account == Yuan::ZERO));
    assert!(
        c.query_settlements(&SettlementQueryInput {
            psn_no: ZHANG.into(),
            begn_date: "2020-01-01".into(),
            end_date: "2026-12-31".into(),
        })
        .is_err(),
        "more than three years"
    );
}

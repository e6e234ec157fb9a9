//! The records transactions (issue 15) against the reference centre on
//! loopback: KS05 numbers and signs a contribution record over exactly the
//! months it returns; a repeated message is answered, never numbered twice.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use kiosk_central::{Central, CentralOptions, CentralServer, DEMO_CERTIFICATE_KEY};
use kiosk_core::clock::FixedClock;
use kiosk_core::enrollment::InsuranceType;
use kiosk_core::records::{YearMonth, record_signed_content, record_verify};
use kiosk_sync::client::{ClientOptions, Submitted};
use kiosk_sync::transactions::Transaction;
use kiosk_sync::wire::{ContributionRecordInput, ContributionRecordOutput};
use kiosk_sync::{CentralClient, ClientConfig, Error};

const LI: &str = "22020000000002";

fn clock() -> Arc<FixedClock> {
    Arc::new(FixedClock(
        NaiveDate::from_ymd_opt(2026, 11, 22)
            .unwrap()
            .and_hms_opt(9, 30, 0)
            .unwrap(),
    ))
}

fn central() -> CentralServer {
    let c = Central::open_seeded(None, clock(), CentralOptions::default()).unwrap();
    CentralServer::start("127.0.0.1:0".parse().unwrap(), Arc::new(c)).unwrap()
}

fn client(url: &str) -> CentralClient {
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
        clock(),
        ClientOptions::default(),
    )
    .unwrap()
}

fn input(from: &str, to: &str) -> ContributionRecordInput {
    ContributionRecordInput {
        psn_no: LI.into(),
        insutype: "310".into(),
        begn_ym: from.into(),
        end_ym: to.into(),
    }
}

#[test]
fn a_record_is_numbered_and_signed_over_every_month_of_the_year() {
    let server = central();
    let c = client(&server.url());
    let out = c
        .issue_contribution_record(&input("202401", "202412"))
        .unwrap();
    assert_eq!(out.record_no, "220200-2026-J0001");
    assert_eq!(out.items.len(), 12, "every month, not assessed ones too");
    let states: String = out.items.iter().map(|i| i.clct_stas.as_str()).collect();
    // The demo person's job change: September and October not assessed.
    assert_eq!(states, "11111111nn11");

    // The kiosk's mapping of the same answer verifies under the centre's key.
    let months: Vec<_> = out
        .items
        .iter()
        .filter_map(|i| kiosk_sync::records::contribution_month(i).unwrap())
        .collect();
    let content = record_signed_content(
        &out.record_no,
        LI,
        InsuranceType::EmployeeBasic,
        YearMonth::new(2024, 1).unwrap(),
        YearMonth::new(2024, 12).unwrap(),
        NaiveDate::from_ymd_opt(2026, 11, 22).unwrap(),
        &months,
    );
    let payload = format!("KCR1|{}|{}", out.record_no, out.verify_code);
    assert!(record_verify(
        DEMO_CERTIFICATE_KEY,
        &payload,
        &out.record_no,
        &content
    ));
    let altered = content.replacen(",p,", ",u,", 1);
    assert!(!record_verify(
        DEMO_CERTIFICATE_KEY,
        &payload,
        &out.record_no,
        &altered
    ));

    // The next one gets the next number of the series.
    let next = c
        .issue_contribution_record(&input("202501", "202512"))
        .unwrap();
    assert_eq!(next.record_no, "220200-2026-J0002");
}

#[test]
fn a_repeated_message_is_answered_not_numbered_again() {
    let server = central();
    let c = client(&server.url());
    let body = serde_json::to_vec(&input("202501", "202512")).unwrap();
    let answer = |a: Submitted| match a {
        Submitted::Accepted(v) => serde_json::from_value::<ContributionRecordOutput>(v).unwrap(),
        other => panic!("{other:?}"),
    };
    let first = answer(
        c.submit(
            Transaction::ContributionRecordIssue,
            "K220200001-000001",
            &body,
        )
        .unwrap(),
    );
    let again = answer(
        c.submit(
            Transaction::ContributionRecordIssue,
            "K220200001-000001",
            &body,
        )
        .unwrap(),
    );
    assert_eq!(first.record_no, again.record_no);
    assert_eq!(first.verify_code, again.verify_code);
}

#[test]
fn bad_ranges_and_unknown_people_are_refused() {
    let server = central();
    let c = client(&server.url());
    for (from, to) in [
        ("202401", "202501"),
        ("202412", "202401"),
        ("2024-1", "202412"),
    ] {
        let err = c.issue_contribution_record(&input(from, to)).unwrap_err();
        assert!(matches!(err, Error::Refused { .. }), "{from}-{to}: {err:?}");
    }
    let mut nobody = input("202401", "202412");
    nobody.psn_no = "99999999999999".into();
    assert!(c.issue_contribution_record(&nobody).is_err());
}

//! The sync client against the reference central service, on loopback.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use kiosk_central::{CentralServer, DemoData};
use kiosk_core::clock::FixedClock;
use kiosk_core::enrollment::{EnrollmentStatus, InsuranceType, PaymentStatus};
use kiosk_core::identity::{Credential, IdDocumentKind};
use kiosk_sync::{CentralClient, Error};

fn clock() -> Arc<FixedClock> {
    Arc::new(FixedClock(
        NaiveDate::from_ymd_opt(2026, 11, 22)
            .unwrap()
            .and_hms_opt(9, 30, 0)
            .unwrap(),
    ))
}

fn start() -> (CentralServer, CentralClient) {
    let loopback: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let server = CentralServer::spawn(loopback, DemoData::builtin().unwrap(), clock()).unwrap();
    let client = client_for(&server.url());
    (server, client)
}

fn client_for(url: &str) -> CentralClient {
    CentralClient::new(
        kiosk_central::test_terminal(url, Duration::from_secs(2)),
        clock(),
    )
    .unwrap()
}

fn id_card(number: &str) -> Credential {
    Credential::IdDocument {
        kind: IdDocumentKind::ResidentIdCard,
        number: number.into(),
        name: String::new(),
    }
}

#[test]
fn id_card_query_gives_the_whole_enrollment() {
    let (_server, client) = start();
    let person = client
        .fetch_insured_person(&id_card("220203198508232046"))
        .unwrap();
    assert_eq!(person.name, "李秀兰");
    assert_eq!(person.enrollments.len(), 2);
    let employee = person.enrollment(InsuranceType::EmployeeBasic).unwrap();
    assert_eq!(employee.status, EnrollmentStatus::Normal);
    assert_eq!(employee.payment, PaymentStatus::Paid);
    assert_eq!(employee.pooling_area, "吉林市");
    assert_eq!(employee.person_category, "在职");
    assert_eq!(employee.account_balance.plain(), "3521.40");
    assert_eq!(employee.paid_months, 219);
    assert!(client.is_signed_in());
}

#[test]
fn social_security_card_and_e_voucher_resolve() {
    let (_server, client) = start();
    let card = Credential::SocialSecurityCard {
        card_number: "220100001".into(),
        card_sn: "220100D156000005".into(),
        ss_number: "220102196205141234".into(),
        name: "王建国".into(),
    };
    assert_eq!(client.fetch_insured_person(&card).unwrap().name, "王建国");
    let voucher = Credential::EVoucher {
        token: "ECV1-5H8J2L6V9C3X7Z1A4S0G8K2M".into(),
    };
    assert_eq!(
        client.fetch_insured_person(&voucher).unwrap().name,
        "李秀兰"
    );
}

#[test]
fn expired_voucher_unknown_person_and_dead_centre_are_typed() {
    let (server, client) = start();
    let expired = Credential::EVoucher {
        token: "ECV1-EXPIRED-3B7N1Q5W9E2R6T".into(),
    };
    assert!(matches!(
        client.fetch_insured_person(&expired),
        Err(Error::EVoucherExpired)
    ));
    assert!(matches!(
        client.fetch_insured_person(&id_card("11010519491231002X")),
        Err(Error::PersonNotFound)
    ));
    let url = server.url();
    server.stop();
    let dead = client_for(&url);
    let err = dead
        .fetch_insured_person(&id_card("220203198508232046"))
        .unwrap_err();
    assert!(
        matches!(err, Error::Unreachable(_) | Error::Timeout),
        "{err:?}"
    );
    assert!(err.user_message().contains("人工窗口"));
}

#[test]
fn a_stale_sign_number_is_renewed_transparently() {
    let (server, client) = start();
    client.sign_in().unwrap();
    server.central().revoke_sign_numbers();
    let person = client
        .fetch_insured_person(&id_card("220203198508232046"))
        .unwrap();
    assert_eq!(person.name, "李秀兰");
}

//! Session tests of the account statement 个人账户明细 and the settlement
//! records 就医结算记录 (issue 15 journeys 3 and 4).

use super::*;
use crate::ledger::{
    AccountEntry, AccountStatement, CareKind, EntryKind, Scope, Settlement, SettlementStatus,
    Settlements,
};
use crate::records::YearMonth;
use crate::session::{RecordsCommand, RecordsEvent};
use crate::view::View;

fn y(fen: i64) -> Yuan {
    Yuan::from_fen(fen).unwrap()
}

fn ym(y: i32, m: u32) -> YearMonth {
    YearMonth::new(y, m).unwrap()
}

/// Nine entries over 2026-09 … 2026-11 ending at the enrollment's balance.
fn statement(from: YearMonth, to: YearMonth) -> AccountStatement {
    let day = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
    let moves: [(NaiveDate, EntryKind, i64, &str, &str); 9] = [
        (day(9, 15), EntryKind::Credit, 11_200, "202609", ""),
        (day(9, 22), EntryKind::Pharmacy, -2_550, "吉林大药房", ""),
        (
            day(10, 3),
            EntryKind::Outpatient,
            -4_000,
            "吉林大学第一医院",
            "",
        ),
        (day(10, 15), EntryKind::Credit, 11_200, "202610", ""),
        (
            day(10, 28),
            EntryKind::Outpatient,
            -8_640,
            "吉林大学第一医院",
            "",
        ),
        (
            day(10, 29),
            EntryKind::Refund,
            8_640,
            "吉林大学第一医院",
            "",
        ),
        (
            day(11, 6),
            EntryKind::MutualAid,
            -12_000,
            "长春市中医院",
            "母亲",
        ),
        (day(11, 9), EntryKind::Pharmacy, -1_860, "吉林大药房", ""),
        (day(11, 15), EntryKind::Credit, 11_200, "202611", ""),
    ];
    let sum: i64 = moves.iter().map(|m| m.2).sum();
    let opening = 352_140 - sum;
    let mut balance = opening;
    let entries = moves
        .iter()
        .map(|(date, kind, amount, detail, relation)| {
            balance += amount;
            AccountEntry {
                date: *date,
                kind: *kind,
                amount: y(*amount),
                balance: y(balance),
                detail: (*detail).into(),
                relation: (*relation).into(),
            }
        })
        .collect();
    AccountStatement::new(from, to, y(352_140), y(opening), entries).unwrap()
}

fn settlement(id: &str, day: u32, status: SettlementStatus, scope: Scope) -> Settlement {
    Settlement {
        id: id.into(),
        at: NaiveDate::from_ymd_opt(2026, 10, day)
            .unwrap()
            .and_hms_opt(9, 0, 0)
            .unwrap(),
        institution: if scope == Scope::Cross {
            "北京协和医院".into()
        } else {
            "吉林大学第一医院".into()
        },
        area: "220100".into(),
        care: CareKind::Outpatient,
        scope,
        total: y(30_000),
        fund: y(15_000),
        account: y(10_000),
        cash: y(5_000),
        status,
    }
}

/// The account statement opened: the query it sent.
fn account_opened(s: &mut Session, t: Instant) -> u64 {
    loaded(s, t);
    let cmds = tap(s, "account", t);
    let Some(Command::Records(RecordsCommand::QueryAccount {
        request,
        person_number,
        from,
        to,
    })) = cmds.first()
    else {
        panic!("expected a KS06 query, got {cmds:?}")
    };
    assert_eq!(person_number, "22020000000002");
    assert_eq!(
        (*from, *to),
        (ym(2026, 9), ym(2026, 11)),
        "the last 3 months"
    );
    assert_eq!(s.screen(), Screen::RecordsLoading);
    *request
}

#[test]
fn one_tap_to_the_account_newest_first_with_pages_and_ranges() {
    let t = Instant::now();
    let mut s = session_in("jilin", t);
    let request = account_opened(&mut s, t);
    let cmds = s.handle(
        Event::Records(RecordsEvent::AccountLoaded {
            request,
            statement: statement(ym(2026, 9), ym(2026, 11)),
        }),
        t,
        wall(),
    );
    assert!(
        cmds.iter()
            .any(|c| matches!(c, Command::Say(Prompt::Account)))
    );
    assert_eq!(s.screen(), Screen::Account);
    let v = View::of(&s, t).account.unwrap();
    assert_eq!(v.balance, "账户余额　¥3,521.40");
    assert_eq!(
        v.summary,
        "2026-09 至 2026-11：期初¥3,389.50，划入¥422.40，支出¥290.50，期末¥3,521.40"
    );
    assert_eq!(v.rows.len(), 4);
    assert_eq!(v.rows[0].date, "2026-11-15", "newest first");
    assert_eq!(v.rows[0].amount, "+112.00");
    assert_eq!(v.rows[0].detail, "2026-11月缴费划入");
    assert_eq!(v.rows[2].detail, "为母亲支付　长春市中医院");
    assert_eq!(v.rows[2].amount, "-120.00");
    assert_eq!((v.page_index, v.page_count), (0, 3));
    tap(&mut s, "acct-next", t);
    let v = View::of(&s, t).account.unwrap();
    assert_eq!((v.page_index, v.rows.len()), (1, 4));
    tap(&mut s, "acct-next", t);
    let v = View::of(&s, t).account.unwrap();
    assert_eq!((v.page_index, v.rows.len()), (2, 1));
    tap(&mut s, "acct-next", t);
    assert_eq!(View::of(&s, t).account.unwrap().page_index, 2, "no page 4");
    // Another range asks the centre again, for six months.
    let cmds = tap(&mut s, "acct-range:6", t);
    let Some(Command::Records(RecordsCommand::QueryAccount { from, to, .. })) = cmds.first() else {
        panic!("{cmds:?}")
    };
    assert_eq!((*from, *to), (ym(2026, 6), ym(2026, 11)));
    // A range that is not offered does nothing.
    assert!(tap(&mut s, "acct-range:5", t).is_empty());
}

#[test]
fn the_statement_prints_oldest_first_for_the_person_on_screen() {
    let t = Instant::now();
    let mut s = session_in("jilin", t);
    let request = account_opened(&mut s, t);
    s.handle(
        Event::Records(RecordsEvent::AccountLoaded {
            request,
            statement: statement(ym(2026, 9), ym(2026, 11)),
        }),
        t,
        wall(),
    );
    let cmds = tap(&mut s, "acct-print", t);
    let Some(Command::Print(doc)) = cmds.first() else {
        panic!("{cmds:?}")
    };
    let Document::AccountStatement(p) = doc.as_ref() else {
        panic!("{doc:?}")
    };
    assert_eq!(p.name, "李秀兰");
    assert_eq!(p.id_number_masked, "220203********2046");
    assert_eq!(p.statement.entries[0].date.to_string(), "2026-09-15");
    assert_eq!(doc.transaction(), "account_statement");
    assert_eq!(s.screen(), Screen::Printing);
}

#[test]
fn a_person_without_an_employee_enrollment_is_told_there_is_no_account() {
    let t = Instant::now();
    let mut s = session_in("jilin", t);
    let mut p = person(EnrollmentStatus::Normal, None);
    p.enrollments[0].insurance_type = InsuranceType::ResidentBasic;
    loaded_with(&mut s, t, p);
    let cmds = tap(&mut s, "account", t);
    assert!(only_speech(&cmds), "no query: {cmds:?}");
    assert_eq!(s.screen(), Screen::Error);
    let v = View::of(&s, t);
    assert_eq!(v.title, "没有个人账户");
    assert!(v.message.contains("职工基本医疗保险"), "{}", v.message);
}

#[test]
fn a_failed_or_late_account_answer() {
    let t = Instant::now();
    let mut s = session_in("jilin", t);
    let request = account_opened(&mut s, t);
    // An answer to an older request is dropped.
    s.handle(
        Event::Records(RecordsEvent::AccountLoaded {
            request: request - 1,
            statement: statement(ym(2026, 9), ym(2026, 11)),
        }),
        t,
        wall(),
    );
    assert_eq!(s.screen(), Screen::RecordsLoading);
    s.handle(
        Event::Records(RecordsEvent::Failed {
            request,
            message: "暂时无法连接医保中心，请稍后再试。".into(),
        }),
        t,
        wall(),
    );
    assert_eq!(s.screen(), Screen::Error);
    assert_eq!(
        View::of(&s, t).message,
        "暂时无法连接医保中心，请稍后再试。"
    );
}

fn settlements_opened(s: &mut Session, t: Instant) -> u64 {
    loaded(s, t);
    let cmds = tap(s, "settlements", t);
    let Some(Command::Records(RecordsCommand::QuerySettlements {
        request, from, to, ..
    })) = cmds.first()
    else {
        panic!("expected a KS07 query, got {cmds:?}")
    };
    assert_eq!(to.to_string(), "2026-11-22");
    assert_eq!(from.to_string(), "2025-11-23", "365 days");
    *request
}

#[test]
fn settlements_list_detail_print_and_back() {
    let t = Instant::now();
    let mut s = session_in("jilin", t);
    let request = settlements_opened(&mut s, t);
    let items = vec![
        settlement("S1", 2, SettlementStatus::Settled, Scope::Local),
        settlement("S2", 20, SettlementStatus::Clearing, Scope::Cross),
        settlement("S3", 9, SettlementStatus::Settled, Scope::Local),
        settlement("S4", 5, SettlementStatus::Reversed, Scope::Local),
        settlement("S5", 1, SettlementStatus::Settled, Scope::Province),
    ];
    let cmds = s.handle(
        Event::Records(RecordsEvent::SettlementsLoaded {
            request,
            settlements: Settlements::new(
                NaiveDate::from_ymd_opt(2025, 11, 23).unwrap(),
                NaiveDate::from_ymd_opt(2026, 11, 22).unwrap(),
                items,
            ),
        }),
        t,
        wall(),
    );
    assert!(
        cmds.iter()
            .any(|c| matches!(c, Command::Say(Prompt::Settlements)))
    );
    assert_eq!(s.screen(), Screen::Settlements);
    let v = View::of(&s, t).settlements.unwrap();
    assert_eq!(v.heading, "2025-11-23 至 2026-11-22，共5笔");
    assert_eq!(v.rows.len(), 4);
    assert_eq!(v.rows[0].institution, "北京协和医院", "newest first");
    assert_eq!(v.rows[0].status, "跨省清算中");
    assert_eq!(v.rows[0].kind, "普通门诊 · 跨省异地");
    assert_eq!(v.rows[0].amounts, "总额¥300.00　个人自付¥50.00");
    assert_eq!((v.page_index, v.page_count), (0, 2));
    tap(&mut s, "setl-next", t);
    let v = View::of(&s, t).settlements.unwrap();
    assert_eq!(v.rows.len(), 1);
    assert_eq!(v.rows[0].action, "setl:4");
    tap(&mut s, "setl-prev", t);
    // Open the cross-province one: what its status means.
    tap(&mut s, "setl:0", t);
    assert_eq!(s.screen(), Screen::Settlement);
    let v = View::of(&s, t).settlements.unwrap();
    assert!(v.meaning.contains("无需再办理报销"), "{}", v.meaning);
    assert!(
        v.detail
            .contains(&("个人账户支付".to_string(), "¥100.00".to_string()))
    );
    let cmds = tap(&mut s, "setl-print", t);
    let Some(Command::Print(doc)) = cmds.first() else {
        panic!("{cmds:?}")
    };
    let Document::SettlementSlip(slip) = doc.as_ref() else {
        panic!("{doc:?}")
    };
    assert_eq!(slip.settlement.id, "S2");
    assert_eq!(slip.id_number_masked, "220203********2046");
    // Back from the detail to the list, and from the list to the enrollment.
    let mut s2 = session_in("jilin", t);
    let request = settlements_opened(&mut s2, t);
    s2.handle(
        Event::Records(RecordsEvent::SettlementsLoaded {
            request,
            settlements: Settlements::new(
                NaiveDate::from_ymd_opt(2025, 11, 23).unwrap(),
                NaiveDate::from_ymd_opt(2026, 11, 22).unwrap(),
                vec![settlement("S1", 2, SettlementStatus::Settled, Scope::Local)],
            ),
        }),
        t,
        wall(),
    );
    assert!(tap(&mut s2, "setl:7", t).is_empty());
    assert_eq!(s2.screen(), Screen::Settlements, "no such row");
    tap(&mut s2, "setl:0", t);
    tap(&mut s2, "back", t);
    assert_eq!(s2.screen(), Screen::Settlements);
    tap(&mut s2, "back", t);
    assert_eq!(s2.screen(), Screen::Enrollment);
    // Home clears the answers.
    tap(&mut s2, "home", t);
    if s2.screen() == Screen::Rate {
        tap(&mut s2, "skip-rating", t);
    }
    assert!(matches!(s2.screen(), Screen::Home | Screen::TakeCard));
    assert!(s2.settlements().is_none());
}

#[test]
fn no_settlements_in_a_year_says_so() {
    let t = Instant::now();
    let mut s = session_in("jilin", t);
    let request = settlements_opened(&mut s, t);
    s.handle(
        Event::Records(RecordsEvent::SettlementsLoaded {
            request,
            settlements: Settlements::new(
                NaiveDate::from_ymd_opt(2025, 11, 23).unwrap(),
                NaiveDate::from_ymd_opt(2026, 11, 22).unwrap(),
                Vec::new(),
            ),
        }),
        t,
        wall(),
    );
    assert_eq!(s.screen(), Screen::Error);
    assert_eq!(View::of(&s, t).title, "没有结算记录");
}

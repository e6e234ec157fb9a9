//! Session tests of the records journeys (contribution history 缴费明细).

use super::*;
use crate::records::{ContributionHistory, ContributionMonth, MonthState, YearMonth};
use crate::session::{RecordsCommand, RecordsEvent};
use crate::view::View;

fn ym(y: i32, m: u32) -> YearMonth {
    YearMonth::new(y, m).unwrap()
}

/// 2024-07 … 2025-02 paid, 2025-03 … 2025-08 assessed and unpaid.
fn months() -> Vec<ContributionMonth> {
    let mut out = Vec::new();
    let mut at = ym(2024, 7);
    while at <= ym(2025, 8) {
        let paid = at <= ym(2025, 2);
        out.push(ContributionMonth {
            month: at,
            insurance_type: InsuranceType::EmployeeBasic,
            base: "4100.00".parse().unwrap(),
            personal: "410.00".parse().unwrap(),
            employer: Yuan::ZERO,
            account: if paid {
                "82.00".parse().unwrap()
            } else {
                Yuan::ZERO
            },
            state: if paid {
                MonthState::Paid
            } else {
                MonthState::AssessedUnpaid
            },
        });
        at = at.next();
    }
    out
}

/// Opens the history: the query it sends and the answer.
fn opened(s: &mut Session, t: Instant) -> u64 {
    loaded(s, t);
    let cmds = tap(s, "contributions", t);
    let Some(Command::Records(RecordsCommand::QueryContributions {
        request,
        from,
        to,
        person_number,
    })) = cmds.first()
    else {
        panic!("expected a KS02 query, got {cmds:?}")
    };
    assert_eq!(person_number, "22020000000002");
    assert_eq!(
        (*from, *to),
        (ym(2017, 1), ym(2026, 11)),
        "ten calendar years"
    );
    assert_eq!(s.screen(), Screen::RecordsLoading);
    assert!(
        s.countdown(t + Duration::from_secs(3600)).is_none(),
        "busy: no idle timeout"
    );
    let request = *request;
    s.handle(
        Event::Records(RecordsEvent::ContributionsLoaded {
            request,
            history: ContributionHistory::new(ym(2017, 1), ym(2026, 11), months()),
        }),
        t,
        wall(),
    );
    request
}

#[test]
fn one_tap_to_the_history_with_year_chips_and_the_gap_explained() {
    let t = Instant::now();
    let mut s = session_in("jilin", t);
    opened(&mut s, t);
    assert_eq!(s.screen(), Screen::Contributions);
    let v = View::of(&s, t).contributions.unwrap();
    let years: Vec<&str> = v.years.iter().map(|c| c.label.as_str()).collect();
    assert_eq!(years, ["2025", "2024"], "newest first");
    assert!(v.years[0].selected);
    assert_eq!(v.months.len(), 12);
    assert_eq!(v.months[0].state_id, "paid");
    assert_eq!(v.months[2].state_id, "unpaid");
    assert_eq!(v.months[9].state_id, "none");
    assert_eq!(v.months[9].personal, "—");
    assert!(v.totals.contains("已缴2个月"), "{}", v.totals);
    assert!(v.totals.contains("¥820.00"), "{}", v.totals);
    assert!(v.cumulative.contains("219"));
    // Six months unpaid: beyond the 3-month window of the Jilin profile,
    // with its waiting-period rule in its own words.
    assert_eq!(v.gaps.len(), 1);
    assert!(
        v.gaps[0].starts_with("2025-03 至 2025-08 断缴6个月"),
        "{}",
        v.gaps[0]
    );
    assert!(v.gaps[0].contains("超过3个月"));
    assert!(v.gaps[0].contains("待遇享受等待期"), "{}", v.gaps[0]);

    tap(&mut s, "contrib-year:2024", t);
    let v = View::of(&s, t).contributions.unwrap();
    assert!(v.years[1].selected);
    assert!(
        v.totals.starts_with("2024年合计：已缴6个月"),
        "{}",
        v.totals
    );
    assert!(v.gaps.is_empty(), "the gap is in 2025");
    // A year that is not in the history changes nothing.
    tap(&mut s, "contrib-year:1999", t);
    assert!(View::of(&s, t).contributions.unwrap().years[1].selected);

    tap(&mut s, "back", t);
    assert_eq!(s.screen(), Screen::Enrollment);
}

#[test]
fn a_late_or_failed_answer() {
    let t = Instant::now();
    let mut s = session_in("jilin", t);
    let request = opened(&mut s, t);
    // An answer to the earlier request (after a second query) is dropped.
    tap(&mut s, "back", t);
    tap(&mut s, "contributions", t);
    s.handle(
        Event::Records(RecordsEvent::ContributionsLoaded {
            request,
            history: ContributionHistory::new(ym(2017, 1), ym(2026, 11), months()),
        }),
        t,
        wall(),
    );
    assert_eq!(s.screen(), Screen::RecordsLoading);
    let cmds = s.handle(
        Event::Records(RecordsEvent::Failed {
            request: request + 1,
            message: "医保中心暂时无法连接，请稍后再试。".into(),
        }),
        t,
        wall(),
    );
    assert_eq!(s.screen(), Screen::Error);
    assert_eq!(s.message(), "医保中心暂时无法连接，请稍后再试。");
    assert!(matches!(cmds[..], [Command::Say(Prompt::Problem)]));
}

#[test]
fn no_months_says_so() {
    let t = Instant::now();
    let mut s = session_in("jilin", t);
    loaded(&mut s, t);
    tap(&mut s, "contributions", t);
    s.handle(
        Event::Records(RecordsEvent::ContributionsLoaded {
            request: 2,
            history: ContributionHistory::new(ym(2017, 1), ym(2026, 11), Vec::new()),
        }),
        t,
        wall(),
    );
    assert_eq!(s.screen(), Screen::Error);
    assert!(s.message().contains("近10年没有查到"));
}

#[test]
fn the_printed_record_is_the_centres_months_with_the_gap_in_chinese() {
    let t = Instant::now();
    let mut s = session_in("jilin", t);
    opened(&mut s, t);
    let cmds = tap(&mut s, "contrib-print", t);
    let Some(Command::Records(RecordsCommand::SignContributionRecord {
        request,
        insurance_type,
        from,
        to,
        ..
    })) = cmds.first()
    else {
        panic!("expected KS05, got {cmds:?}")
    };
    assert_eq!(*insurance_type, InsuranceType::EmployeeBasic);
    assert_eq!(
        (*from, *to),
        (ym(2025, 1), ym(2025, 12)),
        "the year on screen"
    );
    let request = *request;
    let signed: Vec<ContributionMonth> = months()
        .into_iter()
        .filter(|m| m.month.year == 2025)
        .collect();
    let cmds = s.handle(
        Event::Records(RecordsEvent::RecordSigned {
            request,
            number: "220200-2026-J0001".into(),
            issued_at: wall(),
            verification: "KCR1|220200-2026-J0001|sig".into(),
            months: signed,
        }),
        t,
        wall(),
    );
    let Some(Command::Print(doc)) = cmds.first() else {
        panic!("expected a print, got {cmds:?}")
    };
    let Document::ContributionRecord(r) = doc.as_ref() else {
        panic!("expected the contribution record")
    };
    assert_eq!(r.id_number_masked, "220203********2046");
    assert_eq!(r.number, "220200-2026-J0001");
    assert_eq!(r.months.len(), 8);
    assert_eq!(r.cumulative_months, 219);
    assert_eq!(r.insurance_type, "职工基本医疗保险");
    assert!(
        r.gaps[0].starts_with("2025-03至2025-08断缴6个月"),
        "{:?}",
        r.gaps
    );
    assert_eq!(s.screen(), Screen::Printing);
    s.handle(Event::PrintFinished, t, wall());
    assert_eq!(s.screen(), Screen::Printed);
    assert_eq!(View::of(&s, t).printed, "参保缴费明细");
}

#[test]
fn the_history_leaves_with_the_card() {
    let t = Instant::now();
    let mut s = session_in("jilin", t);
    opened(&mut s, t);
    assert!(s.contributions().is_some());
    s.handle(Event::CredentialRemoved, t, wall());
    assert_eq!(s.screen(), Screen::Home);
    assert!(s.contributions().is_none());
    assert!(View::of(&s, t).contributions.is_none());
    // A tap meant for the history does nothing at home.
    assert!(tap(&mut s, "contrib-print", t).is_empty());
    assert!(tap(&mut s, "contributions", t).is_empty());
}

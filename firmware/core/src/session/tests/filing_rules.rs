//! Session-level tests of the remote-care filing rules of issue 19, each
//! named after the seed rule it checks.

use super::*;
use crate::region::FilingKind;

fn record(number: &str, kind: FilingKind, end: &str) -> FiledRecord {
    FiledRecord {
        number: number.into(),
        kind: Some(kind),
        area: "海口市".into(),
        start: "2026-01-01".into(),
        end: end.into(),
        filed_on: NaiveDate::from_ymd_opt(2026, 1, 1),
        state: FiledState::Valid,
    }
}

/// My filings (Jilin, 2026-11-22) with `records` as the centre sent them.
fn listed(s: &mut Session, t: Instant, records: Vec<FiledRecord>) {
    loaded(s, t);
    let cmds = tap(s, "my-filings", t);
    let Some(Command::QueryFilings { request, .. }) = cmds.first() else {
        panic!("{cmds:?}")
    };
    s.handle(
        Event::FilingsLoaded {
            request: *request,
            records,
        },
        t,
        wall(),
    );
    assert_eq!(s.screen(), Screen::Filings);
}

fn filed_view(s: &Session, number: &str) -> crate::view::FiledView {
    crate::view::View::of(s, Instant::now())
        .filed
        .into_iter()
        .find(|f| f.number == number)
        .unwrap()
}

/// Seed 000 E2–E4 8.1 (“如到长期异地终止日期，未再继续申请延期的，异地就医待遇
/// 自动终止”): a dated filing past its end date shows as ended even when
/// the answer says valid, and cannot be extended after the fact; on its
/// last day it is still valid.
#[test]
fn seed_000_e2_8_1_a_dated_filing_past_its_end_date_ends_by_itself() {
    let t = Instant::now();
    let mut s = session_in("jilin", t);
    listed(
        &mut s,
        t,
        vec![
            record("BA-PAST", FilingKind::TemporaryTrip, "2026-11-21"),
            record("BA-LAST-DAY", FilingKind::TemporaryTrip, "2026-11-22"),
        ],
    );
    assert_eq!(s.filed()[0].state, FiledState::Expired);
    assert_eq!(s.filed()[1].state, FiledState::Valid);
    let past = filed_view(&s, "BA-PAST");
    assert_eq!(past.state, "已到期终止");
    assert!(!past.valid && !past.editable && past.printable);
    assert!(filed_view(&s, "BA-LAST-DAY").editable);

    // Refused, and said so.
    assert!(matches!(
        &tap(&mut s, "extend:BA-PAST", t)[..],
        [Command::Say(Prompt::Refused)]
    ));
    assert!(s.note().contains("2026-11-21 到期"), "{}", s.note());
    assert!(s.note().contains("不能补办延期"), "{}", s.note());
    assert_eq!(s.screen(), Screen::Filings);
    assert!(only_speech(&tap(&mut s, "change:BA-PAST", t)));
    assert!(only_speech(&tap(&mut s, "cancel:BA-PAST", t)));
    // The one still in force extends.
    tap(&mut s, "extend:BA-LAST-DAY", t);
    assert_eq!(s.screen(), Screen::FilingExtend);
}

/// Seed 001 #15 (“定点医疗机构直接办理备案”) and 000b E1 (query / print only):
/// a referral filing is shown and printed, never changed, extended or
/// cancelled at the kiosk.
#[test]
fn seed_001_15_referral_filings_are_read_only_and_printed() {
    let t = Instant::now();
    let mut s = session_in("jilin", t);
    listed(
        &mut s,
        t,
        vec![record("BA-REF", FilingKind::Referral, "2027-02-15")],
    );
    let view = filed_view(&s, "BA-REF");
    assert!(view.valid && !view.editable && view.printable);
    assert!(view.detail.contains("只能查看和打印"), "{}", view.detail);
    for verb in ["change", "extend", "cancel"] {
        assert!(only_speech(&tap(&mut s, &format!("{verb}:BA-REF"), t)));
        assert!(s.note().contains("定点医疗机构"), "{}", s.note());
        assert_eq!(s.screen(), Screen::Filings);
    }
    let cmds = tap(&mut s, "print-filing:BA-REF", t);
    let Some(Command::Print(doc)) = cmds.first() else {
        panic!("{cmds:?}")
    };
    let Document::FilingSlip(slip) = doc.as_ref() else {
        panic!("{doc:?}")
    };
    assert_eq!(slip.title, "异地就医备案信息单");
    assert_eq!(slip.filing_number, "BA-REF");
    assert_eq!(slip.category, "异地转诊人员");
    assert_eq!(slip.id_number_masked, "220203********2046");
    assert_eq!(slip.validity, "2026-01-01 至 2027-02-15");
    assert!(slip.notes.iter().any(|n| n == "备案状态：有效"));
    assert!(slip.notes.iter().any(|n| n.contains("定点医疗机构")));
    assert_eq!(s.screen(), Screen::Printing);
    s.handle(Event::PrintFinished, t, wall());
    assert_eq!(s.screen(), Screen::Printed);
}

/// Issue 19 item 1, national rule 医保发〔2022〕22号 (临时外出就医人员备案有效期
/// 原则上不少于6个月) as the Jilin profile states it: the temporary trip is
/// offered, shows its own dates on the form and is submitted with them.
#[test]
fn national_rule_temporary_trip_is_filed_with_its_own_dates() {
    let t = Instant::now();
    let mut s = session_in("jilin", t);
    loaded(&mut s, t);
    tap(&mut s, "filing", t);
    tap(&mut s, "category:temporary_trip", t);
    assert_eq!(s.screen(), Screen::FilingForm);
    let view = crate::view::View::of(&s, t);
    let form = view.filing.unwrap();
    assert!(
        form.category
            .contains("跨省临时外出就医人员（有效期 2026-11-22 至 2027-05-22）"),
        "{}",
        form.category
    );
    assert_eq!(
        s.filing_period(FilingKind::TemporaryTrip),
        (
            NaiveDate::from_ymd_opt(2026, 11, 22).unwrap(),
            NaiveDate::from_ymd_opt(2027, 5, 22)
        )
    );
    // Long-term categories run until changed.
    assert_eq!(s.filing_period(FilingKind::LongTermResident).1, None);
}

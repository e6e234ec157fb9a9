use super::*;
use crate::enrollment::{Enrollment, EnrollmentStatus, InsuranceType, PaymentStatus};
use crate::identity::{IdDocumentKind, Sex};
use crate::money::Yuan;
use chrono::NaiveDate;

fn wall() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 11, 22)
        .unwrap()
        .and_hms_opt(10, 0, 0)
        .unwrap()
}

fn region(id: &str) -> Arc<RegionProfile> {
    let text = match id {
        "jilin" => include_str!("../../../../data/regions/jilin.toml"),
        "yunnan" => include_str!("../../../../data/regions/yunnan.toml"),
        _ => include_str!("../../../../data/regions/linkou.toml"),
    };
    Arc::new(RegionProfile::parse(id, text).unwrap())
}

fn person(status: EnrollmentStatus, suspended: Option<NaiveDate>) -> InsuredPerson {
    InsuredPerson {
        person_number: "22020000000002".into(),
        id_kind: IdDocumentKind::ResidentIdCard,
        id_number: "220203198508232046".into(),
        name: "李秀兰".into(),
        sex: Sex::Female,
        birth_date: NaiveDate::from_ymd_opt(1985, 8, 23).unwrap(),
        enrollments: vec![Enrollment {
            insurance_type: InsuranceType::EmployeeBasic,
            person_category_code: "11".into(),
            person_category: "在职".into(),
            status,
            payment: PaymentStatus::Paid,
            enrolled_from: NaiveDate::from_ymd_opt(2008, 7, 1).unwrap(),
            suspended_from: suspended,
            pooling_area_code: "220200".into(),
            pooling_area: "吉林市".into(),
            employer: Some("吉林市松江化工有限公司".into()),
            account_balance: "3521.40".parse::<Yuan>().unwrap(),
            paid_months: 219,
        }],
    }
}

fn card() -> Credential {
    Credential::IdDocument {
        kind: IdDocumentKind::ResidentIdCard,
        number: "220203198508232046".into(),
        name: "李秀兰".into(),
    }
}

fn session_in(region_id: &str, t: Instant) -> Session {
    Session::new(
        SessionConfig::default(),
        TerminalInfo {
            terminal_id: "K1".into(),
            hall_name: "大厅".into(),
        },
        region(region_id),
        t,
    )
}

fn loaded_with(s: &mut Session, t: Instant, p: InsuredPerson) {
    let cmds = s.handle(Event::CredentialPresented(card()), t, wall());
    let Command::QueryPerson { request, .. } = &cmds[0] else {
        panic!("expected a query")
    };
    s.handle(
        Event::PersonLoaded {
            request: *request,
            person: Box::new(p),
        },
        t,
        wall(),
    );
}

fn loaded(s: &mut Session, t: Instant) {
    loaded_with(s, t, person(EnrollmentStatus::Normal, None));
}

/// Nothing but voice prompts: no request, no print (a refusal).
fn only_speech(cmds: &[Command]) -> bool {
    cmds.iter().all(|c| matches!(c, Command::Say(_)))
}

fn tap(s: &mut Session, id: &str, t: Instant) -> Vec<Command> {
    s.handle(Event::Action(Action::from_id(id).unwrap()), t, wall())
}

#[test]
fn card_query_print_and_removal() {
    let t = Instant::now();
    let mut s = session_in("jilin", t);
    loaded(&mut s, t);
    assert_eq!(s.screen(), Screen::Enrollment);
    let cmds = tap(&mut s, "print-slip", t);
    assert!(matches!(cmds.first(), Some(Command::Print(d)) if matches!(**d, Document::Slip(_))));
    assert_eq!(s.screen(), Screen::Printing);
    s.handle(Event::PrintFinished, t, wall());
    assert_eq!(s.screen(), Screen::Printed);
    s.handle(Event::CredentialRemoved, t, wall());
    assert_eq!(s.screen(), Screen::Home);
    assert!(s.person().is_none());
}

#[test]
fn a_late_answer_after_removal_is_dropped() {
    let t = Instant::now();
    let mut s = session_in("jilin", t);
    let cmds = s.handle(Event::CredentialPresented(card()), t, wall());
    let Command::QueryPerson { request, .. } = &cmds[0] else {
        panic!()
    };
    s.handle(Event::CredentialRemoved, t, wall());
    s.handle(
        Event::PersonLoaded {
            request: *request,
            person: Box::new(person(EnrollmentStatus::Normal, None)),
        },
        t,
        wall(),
    );
    assert_eq!(s.screen(), Screen::Home);
    assert!(s.person().is_none());
}

#[test]
fn reveal_lasts_five_seconds() {
    let t = Instant::now();
    let mut s = session_in("jilin", t);
    loaded(&mut s, t);
    assert!(!s.id_revealed(t));
    tap(&mut s, "reveal-id", t);
    assert!(s.id_revealed(t + Duration::from_secs(4)));
    assert!(!s.id_revealed(t + Duration::from_secs(5)));
    s.handle(Event::Tick, t + Duration::from_secs(6), wall());
    assert!(!s.id_revealed(t + Duration::from_secs(6)));
}

#[test]
fn failure_shows_the_message_and_home_clears_it() {
    let t = Instant::now();
    let mut s = session_in("jilin", t);
    s.handle(Event::CredentialPresented(card()), t, wall());
    s.handle(
        Event::PersonFailed {
            request: 1,
            message: "未查询到您的参保信息".into(),
        },
        t,
        wall(),
    );
    assert_eq!(s.screen(), Screen::Error);
    assert!(s.message().contains("未查询到"));
    // The ID card is still on the reader: ending asks to take it.
    tap(&mut s, "home", t);
    assert_eq!(s.screen(), Screen::TakeCard);
    assert!(s.message().is_empty());
    s.handle(Event::CredentialRemoved, t, wall());
    assert_eq!(s.screen(), Screen::Home);
}

#[test]
fn idle_countdown_then_timeout_clears_personal_data() {
    let t = Instant::now();
    let mut s = session_in("jilin", t);
    loaded(&mut s, t);
    // No countdown for the first 50 s; the next deadline is when it starts.
    assert_eq!(s.countdown(t + Duration::from_secs(49)), None);
    assert_eq!(s.next_deadline(t), Some(t + Duration::from_secs(50)));
    let cmds = s.handle(Event::Tick, t + Duration::from_secs(50), wall());
    assert!(
        cmds.iter()
            .any(|c| matches!(c, Command::Say(Prompt::IdleWarning)))
    );
    assert_eq!(s.countdown(t + Duration::from_secs(50)), Some(10));
    assert_eq!(s.countdown(t + Duration::from_millis(55_500)), Some(5));
    assert_eq!(
        s.next_deadline(t + Duration::from_millis(55_500)),
        Some(t + Duration::from_secs(56))
    );
    // Tapping 继续办理 restarts the 60 s.
    tap(&mut s, "continue", t + Duration::from_secs(55));
    assert_eq!(s.countdown(t + Duration::from_secs(60)), None);
    assert_eq!(s.screen(), Screen::Enrollment);
    // Then nobody touches: at 115 s the session ends; the card is still in.
    let cmds = s.handle(Event::Tick, t + Duration::from_secs(115), wall());
    assert_eq!(s.screen(), Screen::TakeCard);
    assert!(s.person().is_none());
    assert!(s.credential_kind().is_none());
    assert!(
        cmds.iter()
            .any(|c| matches!(c, Command::Say(Prompt::TakeCard)))
    );
    // The reminder repeats until the card is taken.
    let cmds = s.handle(Event::Tick, t + Duration::from_secs(130), wall());
    assert!(
        cmds.iter()
            .any(|c| matches!(c, Command::Say(Prompt::TakeCard)))
    );
    s.handle(
        Event::CredentialRemoved,
        t + Duration::from_secs(131),
        wall(),
    );
    assert_eq!(s.screen(), Screen::Home);
    assert_eq!(s.next_deadline(t + Duration::from_secs(131)), None);
}

#[test]
fn no_idle_timeout_while_the_kiosk_works() {
    let t = Instant::now();
    let mut s = session_in("jilin", t);
    s.handle(Event::CredentialPresented(card()), t, wall());
    assert_eq!(s.screen(), Screen::Querying);
    s.handle(Event::Tick, t + Duration::from_secs(120), wall());
    assert_eq!(s.screen(), Screen::Querying);
    assert_eq!(s.countdown(t + Duration::from_secs(120)), None);
}

#[test]
fn an_evoucher_session_ends_straight_home() {
    let t = Instant::now();
    let mut s = session_in("jilin", t);
    let cmds = s.handle(
        Event::CredentialPresented(Credential::EVoucher {
            token: "ECV1-ABC".into(),
        }),
        t,
        wall(),
    );
    let Command::QueryPerson { request, .. } = &cmds[0] else {
        panic!()
    };
    s.handle(
        Event::PersonLoaded {
            request: *request,
            person: Box::new(person(EnrollmentStatus::Normal, None)),
        },
        t,
        wall(),
    );
    s.handle(Event::Tick, t + Duration::from_secs(60), wall());
    assert_eq!(s.screen(), Screen::Home);
    assert!(s.person().is_none());
}

fn issued(s: &mut Session, cmds: &[Command], t: Instant) -> CertificateLayout {
    let Some(Command::IssueCertificate {
        request, layout, ..
    }) = cmds.first()
    else {
        panic!("expected an issue command, got {cmds:?}")
    };
    let cert = crate::documents::tests_support::certificate(*layout);
    s.handle(
        Event::CertificateIssued {
            request: *request,
            certificate: Box::new(cert),
            preview: Arc::new(vec![1, 2, 3]),
        },
        t,
        wall(),
    );
    *layout
}

#[test]
fn jilin_issues_both_layouts_on_request() {
    let t = Instant::now();
    let mut s = session_in("jilin", t);
    loaded(&mut s, t);
    let cmds = tap(&mut s, "certificate", t);
    assert_eq!(s.screen(), Screen::Issuing);
    assert_eq!(issued(&mut s, &cmds, t), CertificateLayout::Simple);
    assert_eq!(s.screen(), Screen::Certificate);
    let cmds = tap(&mut s, "layout:transfer", t);
    assert_eq!(issued(&mut s, &cmds, t), CertificateLayout::Transfer);
    // Back to the simple one: already issued, no second number.
    assert!(tap(&mut s, "layout:simple", t).is_empty());
    assert_eq!(s.certificate().unwrap().0.layout, CertificateLayout::Simple);
    let cmds = tap(&mut s, "print-certificate", t);
    assert!(
        matches!(cmds.first(), Some(Command::Print(d)) if matches!(**d, Document::Certificate(_)))
    );
}

#[test]
fn yunnan_refuses_a_certificate_while_coverage_is_normal() {
    let t = Instant::now();
    let mut s = session_in("yunnan", t);
    loaded(&mut s, t);
    let cmds = tap(&mut s, "certificate", t);
    assert!(
        !cmds
            .iter()
            .any(|c| matches!(c, Command::IssueCertificate { .. }))
    );
    assert_eq!(s.screen(), Screen::CertificateRefused);
    assert!(s.message().contains("停保"), "{}", s.message());
    assert!(!s.note().is_empty());
    tap(&mut s, "back", t);
    assert_eq!(s.screen(), Screen::Enrollment);
}

#[test]
fn yunnan_issues_the_transfer_layout_the_month_after_suspension() {
    let t = Instant::now();
    let mut s = session_in("yunnan", t);
    // Suspended this month: too early.
    loaded_with(
        &mut s,
        t,
        person(
            EnrollmentStatus::Suspended,
            NaiveDate::from_ymd_opt(2026, 11, 3),
        ),
    );
    tap(&mut s, "certificate", t);
    assert_eq!(s.screen(), Screen::CertificateRefused);
    assert!(s.message().contains("2026年12月01日"), "{}", s.message());
    // Suspended in September: issued, transfer layout only.
    tap(&mut s, "home", t);
    s.handle(Event::CredentialRemoved, t, wall());
    loaded_with(
        &mut s,
        t,
        person(
            EnrollmentStatus::Suspended,
            NaiveDate::from_ymd_opt(2026, 9, 1),
        ),
    );
    let cmds = tap(&mut s, "certificate", t);
    assert_eq!(issued(&mut s, &cmds, t), CertificateLayout::Transfer);
    assert!(tap(&mut s, "layout:simple", t).is_empty());
    assert_eq!(
        s.certificate().unwrap().0.layout,
        CertificateLayout::Transfer
    );
}

#[test]
fn rating_after_printing_is_queued_once() {
    let t = Instant::now();
    let mut s = session_in("jilin", t);
    loaded(&mut s, t);
    tap(&mut s, "print-slip", t);
    s.handle(Event::PrintFinished, t, wall());
    let cmds = tap(&mut s, "rate:0", t);
    let Some(Command::SubmitRating {
        level, transaction, ..
    }) = cmds.first()
    else {
        panic!("{cmds:?}")
    };
    assert_eq!(level, "非常满意");
    assert_eq!(*transaction, "enrollment_query");
    assert_eq!(s.rating(), RatingState::Done);
    assert!(tap(&mut s, "rate:1", t).is_empty());
}

#[test]
fn a_low_rating_asks_an_optional_reason() {
    let t = Instant::now();
    let mut s = session_in("jilin", t);
    loaded(&mut s, t);
    tap(&mut s, "print-slip", t);
    s.handle(Event::PrintFinished, t, wall());
    assert!(tap(&mut s, "rate:3", t).is_empty());
    assert_eq!(s.rating(), RatingState::AskReason(3));
    let cmds = tap(&mut s, "reason:0", t);
    let Some(Command::SubmitRating { level, reason, .. }) = cmds.first() else {
        panic!("{cmds:?}")
    };
    assert_eq!(level, "不满意");
    assert_eq!(reason.as_deref(), Some(RATING_REASONS[0]));
}

#[test]
fn guides_browse_search_and_open_without_a_credential() {
    let t = Instant::now();
    let mut s = session_in("jilin", t);
    tap(&mut s, "guides", t);
    assert_eq!(s.screen(), Screen::Guides);
    tap(&mut s, "search:异地", t);
    assert_eq!(s.guide_query(), "异地");
    let first = s.region().search("异地")[0].code.clone();
    tap(&mut s, &format!("guide:{first}"), t);
    assert_eq!(s.screen(), Screen::Guide);
    assert_eq!(s.guide_code(), Some(first.as_str()));
    assert!(tap(&mut s, "guide:NOPE", t).is_empty());
    assert_eq!(s.screen(), Screen::Guide);
    tap(&mut s, "back", t);
    assert_eq!(s.screen(), Screen::Guides);
    // Idle on the guides returns home.
    s.handle(Event::Tick, t + Duration::from_secs(61), wall());
    assert_eq!(s.screen(), Screen::Home);
}

#[test]
fn removing_the_card_while_printing_lets_the_job_finish_then_ends() {
    let t = Instant::now();
    let mut s = session_in("jilin", t);
    loaded(&mut s, t);
    tap(&mut s, "print-slip", t);
    s.handle(Event::CredentialRemoved, t, wall());
    assert_eq!(s.screen(), Screen::Printing);
    assert!(s.person().is_none());
    s.handle(Event::PrintFinished, t, wall());
    assert_eq!(s.screen(), Screen::Home);
}

#[test]
fn rating_levels_spread_over_the_centres_scale() {
    assert_eq!(
        (0..4).map(|i| score_of(i, 4)).collect::<Vec<_>>(),
        [5, 4, 2, 1]
    );
    assert_eq!(
        (0..5).map(|i| score_of(i, 5)).collect::<Vec<_>>(),
        [5, 4, 3, 2, 1]
    );
    assert_eq!(score_of(0, 1), 5);
}

#[test]
fn proxy_path_records_the_proxy_after_the_insured_persons_credential() {
    let t = Instant::now();
    let mut s = session_in("jilin", t);
    tap(&mut s, "proxy", t);
    assert_eq!(s.screen(), Screen::ProxyStart);
    loaded(&mut s, t);
    assert_eq!(s.screen(), Screen::ProxyId);
    // The insured person's card leaves the reader: the session goes on.
    s.handle(Event::CredentialRemoved, t, wall());
    assert_eq!(s.screen(), Screen::ProxyId);
    // Their own card again is refused with a hint.
    s.handle(Event::CredentialPresented(card()), t, wall());
    assert_eq!(s.screen(), Screen::ProxyId);
    assert!(s.note().contains("代办人"));
    s.handle(Event::CredentialRemoved, t, wall());
    let cmds = s.handle(
        Event::CredentialPresented(Credential::IdDocument {
            kind: IdDocumentKind::ResidentIdCard,
            number: "220102196205141234".into(),
            name: "王建国".into(),
        }),
        t,
        wall(),
    );
    // Issue 19 item 7: the written authorisation comes next; nothing is
    // recorded or done for the insured person before it.
    assert_eq!(s.screen(), Screen::ProxyAuthorisation);
    assert!(
        !cmds
            .iter()
            .any(|c| matches!(c, Command::RecordProxy { .. }))
    );
    let cmds = tap(&mut s, "proxy-auth-tick", t);
    assert!(s.proxy_ticked());
    let cmds = [cmds, tap(&mut s, "proxy-auth-confirm", t)].concat();
    assert_eq!(s.screen(), Screen::Enrollment);
    assert!(cmds.iter().any(|c| matches!(
        c,
        Command::RecordProxy { proxy, authorisation: Authorisation::StaffConfirmed { at }, .. }
            if proxy.name == "王建国" && *at == wall()
    )));
    let cmds = tap(&mut s, "print-slip", t);
    let Some(Command::Print(doc)) = cmds.first() else {
        panic!()
    };
    let Document::Slip(slip) = doc.as_ref() else {
        panic!()
    };
    assert_eq!(slip.proxy.as_deref(), Some("王**（220102********1234）"));
    // Removing the proxy's card ends the session as usual.
    s.handle(Event::PrintFinished, t, wall());
    s.handle(Event::CredentialRemoved, t, wall());
    assert_eq!(s.screen(), Screen::Home);
    assert!(s.proxy().is_none());
}

#[test]
fn remote_care_filing_from_category_to_printed_receipt() {
    let t = Instant::now();
    let mut s = session_in("jilin", t);
    loaded(&mut s, t);
    tap(&mut s, "filing", t);
    assert_eq!(s.screen(), Screen::FilingCategory);
    // Referrals are filed by the hospital: not offered for filing here.
    assert!(tap(&mut s, "category:referral", t).is_empty());
    assert_eq!(s.screen(), Screen::FilingCategory);
    tap(&mut s, "category:long_term_resident", t);
    assert_eq!(s.screen(), Screen::FilingForm);
    // Nothing filled in: no way to the letter.
    tap(&mut s, "filing-next", t);
    assert_eq!(s.screen(), Screen::FilingForm);
    assert_eq!(s.filing().unwrap().missing(), ["就医地", "联系电话1"]);

    tap(&mut s, "filing-area", t);
    let cmds = tap(&mut s, "province:46", t);
    assert!(matches!(&cmds[..], [Command::LoadCities { province }] if province == "46"));
    assert_eq!(s.screen(), Screen::FilingCity);
    s.handle(
        Event::CitiesLoaded {
            province: "46".into(),
            cities: vec![Place {
                code: "460100".into(),
                name: "海口市".into(),
            }],
        },
        t,
        wall(),
    );
    let cmds = tap(&mut s, "city:460100", t);
    assert!(matches!(&cmds[..], [Command::LoadInstitutions { area }] if area == "460100"));
    s.handle(
        Event::InstitutionsLoaded {
            area: "460100".into(),
            institutions: vec![Institution {
                code: "H46010000001".into(),
                name: "海南省人民医院".into(),
                level: "三级甲等".into(),
            }],
        },
        t,
        wall(),
    );
    tap(&mut s, "filing-institutions", t);
    tap(&mut s, "institution:H46010000001", t);
    tap(&mut s, "filing-institutions-done", t);
    tap(&mut s, "filing-phone1", t);
    for d in "13812345678".chars() {
        tap(&mut s, &format!("key:{d}"), t);
    }
    tap(&mut s, "key:ok", t);
    tap(&mut s, "address:海口市美兰区演示路1号", t);
    tap(&mut s, "filing-next", t);
    assert_eq!(s.screen(), Screen::FilingLetter);
    // Not ticked, not signed: nothing is submitted.
    assert!(tap(&mut s, "filing-submit", t).is_empty());
    tap(&mut s, "agree", t);
    assert!(tap(&mut s, "filing-submit", t).is_empty());
    assert!(s.note().contains("签名"));
    tap(&mut s, "stroke:100,100;300,200;500,120", t);
    let cmds = tap(&mut s, "filing-submit", t);
    let Some(Command::SubmitFiling(sub)) = cmds.first() else {
        panic!("{cmds:?}")
    };
    assert_eq!(sub.area.code, "460100");
    assert_eq!(sub.phone1, "13812345678");
    assert_eq!(sub.institutions.len(), 1);
    assert_eq!(sub.end, None, "long-term filings stay valid until changed");
    assert_eq!(s.screen(), Screen::FilingSubmitting);
    let first = sub.clone();
    // Not written (the store is full): back to the signed letter with the
    // message, the form and the signature kept; one tap tries again.
    let cmds = s.handle(
        Event::FilingNotSaved {
            message: "本机存储空间不足，备案未能保存。".into(),
        },
        t,
        wall(),
    );
    assert!(only_speech(&cmds), "{cmds:?}");
    assert_eq!(s.screen(), Screen::FilingLetter);
    assert!(s.note().contains("未能保存"), "{}", s.note());
    let cmds = tap(&mut s, "filing-submit", t);
    let Some(Command::SubmitFiling(again)) = cmds.first() else {
        panic!("{cmds:?}")
    };
    assert!(
        **again == *first,
        "the same signed filing, not a blank form"
    );
    assert_eq!(s.screen(), Screen::FilingSubmitting);
    assert!(s.note().is_empty());
    // Queued; the centre answered in time with its number.
    let cmds = s.handle(
        Event::FilingQueued {
            tracking_no: "T1".into(),
            filing_number: Some("BA2026112200001".into()),
        },
        t,
        wall(),
    );
    let Some(Command::Print(doc)) = cmds.first() else {
        panic!("{cmds:?}")
    };
    let Document::Filing { receipt, letter } = doc.as_ref() else {
        panic!()
    };
    assert_eq!(receipt.filing_number, "BA2026112200001");
    assert_eq!(receipt.area_of_care, "海南省海口市");
    assert_eq!(receipt.institutions, ["海南省人民医院"]);
    assert_eq!(letter.phone_masked, "138****5678");
    assert_eq!(letter.undertakings.len(), 4);
    s.handle(Event::PrintFinished, t, wall());
    assert_eq!(s.screen(), Screen::Printed);
}

#[test]
fn my_filings_cancel_respects_the_regions_lock_period() {
    let t = Instant::now();
    let mut s = session_in("jilin", t);
    loaded(&mut s, t);
    let cmds = tap(&mut s, "my-filings", t);
    let Some(Command::QueryFilings { request, .. }) = cmds.first() else {
        panic!("{cmds:?}")
    };
    let record = |number: &str, filed: (i32, u32, u32)| FiledRecord {
        number: number.into(),
        kind: Some(crate::region::FilingKind::LongTermResident),
        area: "海口市".into(),
        start: "2026-01-01".into(),
        end: String::new(),
        filed_on: NaiveDate::from_ymd_opt(filed.0, filed.1, filed.2),
        state: FiledState::Valid,
    };
    s.handle(
        Event::FilingsLoaded {
            request: *request,
            records: vec![
                record("BA-NEW", (2026, 9, 1)),
                record("BA-OLD", (2026, 1, 1)),
            ],
        },
        t,
        wall(),
    );
    assert_eq!(s.screen(), Screen::Filings);
    // Jilin: 6 months' lock (national default): filed in September, locked.
    assert!(only_speech(&tap(&mut s, "cancel:BA-NEW", t)));
    assert!(s.note().contains("2027-03-01"), "{}", s.note());
    tap(&mut s, "extend:BA-OLD", t);
    assert!(s.note().contains("无需延期"));
    let cmds = tap(&mut s, "cancel:BA-OLD", t);
    assert!(matches!(&cmds[..], [Command::CancelFiling { number, .. }] if number == "BA-OLD"));
    assert_eq!(s.screen(), Screen::FilingsLoading);
    let cmds = s.handle(
        Event::FilingUpdated {
            message: "已取消".into(),
        },
        t,
        wall(),
    );
    assert!(matches!(cmds.first(), Some(Command::QueryFilings { .. })));
    assert_eq!(s.note(), "已取消");
}

/// My filings with one unlocked long-term filing and one dated one.
fn filings_listed(s: &mut Session, t: Instant) {
    loaded(s, t);
    let cmds = tap(s, "my-filings", t);
    let Some(Command::QueryFilings { request, .. }) = cmds.first() else {
        panic!("{cmds:?}")
    };
    let record = |number: &str, kind, end: &str| FiledRecord {
        number: number.into(),
        kind: Some(kind),
        area: "海口市".into(),
        start: "2026-01-01".into(),
        end: end.into(),
        filed_on: NaiveDate::from_ymd_opt(2026, 1, 1),
        state: FiledState::Valid,
    };
    s.handle(
        Event::FilingsLoaded {
            request: *request,
            records: vec![
                record("BA-LONG", crate::region::FilingKind::LongTermResident, ""),
                record(
                    "BA-TRIP",
                    crate::region::FilingKind::TemporaryTrip,
                    "2026-12-31",
                ),
            ],
        },
        t,
        wall(),
    );
    assert_eq!(s.screen(), Screen::Filings);
}

#[test]
fn a_filing_is_changed_in_place_area_and_phone_through_ks13() {
    let t = Instant::now();
    let mut s = session_in("jilin", t);
    filings_listed(&mut s, t);
    tap(&mut s, "change:BA-LONG", t);
    assert_eq!(s.screen(), Screen::FilingChange);
    // Nothing changed yet: nothing is sent.
    assert!(tap(&mut s, "change-submit", t).is_empty());
    assert!(s.note().contains("新的就医地"), "{}", s.note());
    // The pickers and the keypad come back to the change screen.
    tap(&mut s, "filing-area", t);
    assert_eq!(s.screen(), Screen::FilingProvince);
    tap(&mut s, "province:44", t);
    s.handle(
        Event::CitiesLoaded {
            province: "44".into(),
            cities: vec![Place {
                code: "440300".into(),
                name: "深圳市".into(),
            }],
        },
        t,
        wall(),
    );
    let cmds = tap(&mut s, "city:440300", t);
    assert!(cmds.is_empty(), "no institutions to load: {cmds:?}");
    assert_eq!(s.screen(), Screen::FilingChange);
    tap(&mut s, "filing-phone1", t);
    for d in "1391234".chars() {
        tap(&mut s, &format!("key:{d}"), t);
    }
    tap(&mut s, "key:ok", t);
    assert_eq!(s.screen(), Screen::FilingChange);
    // An incomplete phone is refused with the reason.
    assert!(tap(&mut s, "change-submit", t).is_empty());
    assert!(s.note().contains("不完整"), "{}", s.note());
    tap(&mut s, "filing-phone1", t);
    for d in "5678".chars() {
        tap(&mut s, &format!("key:{d}"), t);
    }
    tap(&mut s, "key:ok", t);
    let cmds = tap(&mut s, "change-submit", t);
    match cmds.first() {
        Some(Command::ChangeFiling {
            number,
            area: Some(area),
            phone: Some(phone),
            end: None,
            ..
        }) => {
            assert_eq!(number, "BA-LONG");
            assert_eq!(area.code, "440300");
            assert_eq!(phone, "13912345678");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(s.screen(), Screen::FilingsLoading);
    let cmds = s.handle(
        Event::FilingUpdated {
            message: "备案 BA-LONG 已变更，即时生效。".into(),
        },
        t,
        wall(),
    );
    assert!(matches!(cmds.first(), Some(Command::QueryFilings { .. })));
    assert!(s.filing().is_none(), "the change draft is gone");
}

#[test]
fn a_dated_filing_is_extended_from_its_end_date_and_back_leaves_it() {
    let t = Instant::now();
    let mut s = session_in("jilin", t);
    filings_listed(&mut s, t);
    // Long-term filings need no extension.
    tap(&mut s, "extend:BA-LONG", t);
    assert_eq!(s.screen(), Screen::Filings);
    assert!(s.note().contains("无需延期"));
    tap(&mut s, "extend:BA-TRIP", t);
    assert_eq!(s.screen(), Screen::FilingExtend);
    // The region's rule on extensions is on the screen.
    assert!(s.note().contains("延期"), "{}", s.note());
    // Back: nothing sent, the list again.
    tap(&mut s, "back", t);
    assert_eq!(s.screen(), Screen::Filings);
    assert!(s.filing().is_none());
    tap(&mut s, "extend:BA-TRIP", t);
    // Only the offered lengths.
    assert!(tap(&mut s, "extend-by:7", t).is_empty());
    let cmds = tap(&mut s, "extend-by:6", t);
    match cmds.first() {
        Some(Command::ChangeFiling {
            number,
            area: None,
            phone: None,
            end: Some(end),
            ..
        }) => {
            assert_eq!(number, "BA-TRIP");
            assert_eq!(*end, NaiveDate::from_ymd_opt(2027, 6, 30).unwrap());
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(s.screen(), Screen::FilingsLoading);
}

/// A person on screen, the slip asked for, and the printer out of paper.
fn slip_pending(s: &mut Session, t: Instant) {
    loaded(s, t);
    tap(s, "print-slip", t);
    s.handle(
        Event::PrintPending {
            message: "打印机缺纸".into(),
        },
        t,
        wall(),
    );
}

#[test]
fn paper_out_keeps_the_job_pending_until_the_printer_is_back() {
    let t = Instant::now();
    let mut s = session_in("jilin", t);
    slip_pending(&mut s, t);
    assert_eq!(s.screen(), Screen::PrintPending);
    assert!(s.message().contains("缺纸"));
    // Staff change the paper: the spooler reprints it whole.
    s.handle(Event::PrintFinished, t, wall());
    assert_eq!(s.screen(), Screen::Printed);
}

#[test]
fn leaving_while_the_job_is_pending_gives_it_up() {
    let t = Instant::now();
    let mut s = session_in("jilin", t);
    slip_pending(&mut s, t);
    let cmds = s.handle(Event::CredentialRemoved, t, wall());
    assert!(
        cmds.iter().any(|c| matches!(c, Command::AbandonPrint)),
        "{cmds:?}"
    );
    assert_eq!(s.screen(), Screen::Home);
    // Idle on the pending screen ends it the same way.
    slip_pending(&mut s, t);
    let cmds = s.handle(Event::Tick, t + Duration::from_secs(61), wall());
    assert!(
        cmds.iter().any(|c| matches!(c, Command::AbandonPrint)),
        "{cmds:?}"
    );
}

#[test]
fn jobs_recovered_at_start_wait_for_staff() {
    let t = Instant::now();
    let mut s = session_in("jilin", t);
    s.handle(
        Event::PrintsRecovered {
            labels: vec!["参保凭证".into()],
        },
        t,
        wall(),
    );
    assert_eq!(s.screen(), Screen::RecoverPrints);
    assert!(s.message().contains("1 份"));
    let cmds = tap(&mut s, "recover-print", t);
    assert!(matches!(cmds.as_slice(), [Command::ResolvePrints(true)]));
    assert_eq!(s.screen(), Screen::Home);
}

// Issue 19: the filing rules of the seed catalogues.
mod filing_rules;

mod ledger;
mod records;

mod institutions;

mod chronic;

mod premium;

mod journey;

/// A proxy session up to the authorisation step (ProxyAuthorisation).
fn at_authorisation(s: &mut Session, t: Instant) {
    tap(s, "proxy", t);
    loaded(s, t);
    s.handle(Event::CredentialRemoved, t, wall());
    s.handle(
        Event::CredentialPresented(Credential::IdDocument {
            kind: IdDocumentKind::ResidentIdCard,
            number: "220102196205141234".into(),
            name: "王建国".into(),
        }),
        t,
        wall(),
    );
    assert_eq!(s.screen(), Screen::ProxyAuthorisation);
}

/// Issue 19 item 7, seed 000 L5455 (《社会保险个人权益记录管理办法》第十五条:
/// 被委托人需持书面委托材料): without the staff's tick the proxy cannot go
/// on; the step shows the region's own proxy rule.
#[test]
fn proxy_authorisation_000_l5455_needs_the_staff_tick() {
    let t = Instant::now();
    let mut s = session_in("jilin", t);
    at_authorisation(&mut s, t);
    let view = crate::view::View::of(&s, t);
    let auth = view.authorisation.expect("authorisation step");
    assert!(auth.rule.contains("书面委托"), "{}", auth.rule);
    assert!(auth.source.starts_with("000:L5455"), "{}", auth.source);
    assert!(!auth.camera && !auth.ticked);
    assert_eq!(view.principal, "李**");
    let cmds = tap(&mut s, "proxy-auth-confirm", t);
    assert_eq!(s.screen(), Screen::ProxyAuthorisation);
    assert!(s.note().contains("已核验"), "{}", s.note());
    assert!(
        cmds.iter()
            .all(|c| !matches!(c, Command::RecordProxy { .. }))
    );
    // No camera configured: the photo is not offered and does nothing.
    assert!(tap(&mut s, "proxy-auth-photo", t).is_empty());
    // The proxy's card going to staff does not end the session.
    s.handle(Event::CredentialRemoved, t, wall());
    assert_eq!(s.screen(), Screen::ProxyAuthorisation);
    tap(&mut s, "proxy-auth-tick", t);
    tap(&mut s, "proxy-auth-tick", t);
    assert!(!s.proxy_ticked(), "the tick toggles");
    tap(&mut s, "proxy-auth-tick", t);
    tap(&mut s, "proxy-auth-confirm", t);
    assert_eq!(s.screen(), Screen::Enrollment);
    assert_eq!(s.authorisation().map(|a| a.code()), Some("staff_confirmed"));
}

/// Issue 19 item 7: with a document camera configured the photo is
/// offered; a camera that cannot take it says so, and the staff's tick
/// still works. A photo that comes back is recorded with its SHA-256.
#[test]
fn proxy_authorisation_photo_or_the_staff_tick_when_the_camera_fails() {
    let t = Instant::now();
    let mut s = session_in("jilin", t).with_document_camera(true);
    at_authorisation(&mut s, t);
    assert!(
        crate::view::View::of(&s, t)
            .authorisation
            .is_some_and(|a| a.camera)
    );
    let cmds = tap(&mut s, "proxy-auth-photo", t);
    assert!(matches!(cmds.as_slice(), [Command::CaptureAuthorisation]));
    s.handle(
        Event::AuthorisationPhoto(Err("高拍仪暂不可用，请工作人员核验后勾选".into())),
        t,
        wall(),
    );
    assert_eq!(s.screen(), Screen::ProxyAuthorisation);
    assert!(s.note().contains("高拍仪"));
    assert!(s.authorisation().is_none());
    tap(&mut s, "proxy-auth-photo", t);
    let cmds = s.handle(
        Event::AuthorisationPhoto(Ok(Arc::new(b"abc".to_vec()))),
        t,
        wall(),
    );
    assert_eq!(s.screen(), Screen::Enrollment);
    let Some(Command::RecordProxy {
        authorisation: Authorisation::Photo { sha256, .. },
        ..
    }) = cmds.first()
    else {
        panic!("expected the proxy record with the photo: {cmds:?}")
    };
    assert_eq!(
        sha256,
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    assert!(
        s.authorisation()
            .is_some_and(|a| a.wire().starts_with("photo:ba7816bf"))
    );
}

/// Issue 19 item 7: the proxy's ID (masked) is on every printed document
/// of the session, not only the business slip.
#[test]
fn proxy_is_on_every_printed_document() {
    let t = Instant::now();
    let mut s = session_in("jilin", t);
    at_authorisation(&mut s, t);
    tap(&mut s, "proxy-auth-tick", t);
    tap(&mut s, "proxy-auth-confirm", t);
    let masked = "王**（220102********1234）";
    // The institutions list printed from the enrollment screen.
    let index_items = vec![crate::institutions::DesignatedInstitution {
        code: "H1".into(),
        name: "吉林大学第一医院".into(),
        area: "220100".into(),
        kind: crate::institutions::InstitutionKind::Hospital,
        level: "三级甲等".into(),
        address: String::new(),
        phone: String::new(),
        cross_province: true,
    }];
    let cmds = tap(&mut s, "institutions", t);
    let Some(Command::Records(RecordsCommand::LoadInstitutions { request })) = cmds.first() else {
        panic!("{cmds:?}")
    };
    s.handle(
        Event::Records(RecordsEvent::InstitutionsLoaded {
            request: *request,
            index: Arc::new(crate::institutions::InstitutionIndex::new(index_items)),
            version: Some("1".into()),
        }),
        t,
        wall(),
    );
    let cmds = tap(&mut s, "inst-print", t);
    let Some(Command::Print(doc)) = cmds.first() else {
        panic!("{cmds:?}")
    };
    let Document::InstitutionList(list) = doc.as_ref() else {
        panic!()
    };
    assert_eq!(list.proxy.as_deref(), Some(masked));
}

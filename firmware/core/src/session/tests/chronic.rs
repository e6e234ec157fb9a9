//! Session tests of the chronic / special-disease designated-institution
//! change (seed 000 A6 L10951, A7 L11007; session/chronic.rs).

use super::*;
use crate::institutions::{DesignatedInstitution, InstitutionIndex, InstitutionKind};
use crate::session::chronic::{
    ChangeAnswer, ChronicCommand, ChronicEvent, Condition, ConditionKind,
};

fn inst(
    code: &str,
    name: &str,
    area: &str,
    kind: InstitutionKind,
    level: &str,
) -> DesignatedInstitution {
    DesignatedInstitution {
        code: code.into(),
        name: name.into(),
        area: area.into(),
        kind,
        level: level.into(),
        address: String::new(),
        phone: String::new(),
        cross_province: false,
    }
}

fn index() -> Arc<InstitutionIndex> {
    Arc::new(InstitutionIndex::new(vec![
        inst(
            "H1",
            "吉林大学第一医院",
            "220102",
            InstitutionKind::Hospital,
            "三级甲等",
        ),
        inst(
            "H2",
            "长春市中医院",
            "220102",
            InstitutionKind::Hospital,
            "二级甲等",
        ),
        inst(
            "H3",
            "桃源社区医院",
            "220102",
            InstitutionKind::Hospital,
            "一级",
        ),
        inst(
            "H4",
            "海口市人民医院",
            "460100",
            InstitutionKind::Hospital,
            "三级甲等",
        ),
        inst("P1", "长春大药房", "220102", InstitutionKind::Pharmacy, ""),
        inst("P2", "益丰大药房", "220104", InstitutionKind::Pharmacy, ""),
    ]))
}

fn conditions() -> Vec<Condition> {
    vec![
        Condition {
            number: "MT1".into(),
            kind: ConditionKind::Special,
            disease: "慢性肾功能衰竭（透析治疗）".into(),
            area: "220100".into(),
            certified_on: "2025-06-30".into(),
            hospital: ("H1".into(), "吉林大学第一医院".into()),
            pharmacy: None,
        },
        Condition {
            number: "MT2".into(),
            kind: ConditionKind::Chronic,
            disease: "高血压病（高危）".into(),
            area: "220100".into(),
            certified_on: "2024-03-12".into(),
            hospital: ("H1".into(), "吉林大学第一医院".into()),
            pharmacy: Some(("P1".into(), "长春大药房".into())),
        },
        Condition {
            number: "MT3".into(),
            kind: ConditionKind::Chronic,
            disease: "糖尿病".into(),
            area: "460100".into(),
            certified_on: "2023-01-01".into(),
            hospital: ("H4".into(), "海口市人民医院".into()),
            pharmacy: None,
        },
    ]
}

fn listed(region: &str, t: Instant, conditions: Vec<Condition>) -> Session {
    let mut s = session_in(region, t);
    loaded(&mut s, t);
    let cmds = tap(&mut s, "chronic", t);
    let Some(Command::Chronic(ChronicCommand::Query { request, .. })) = cmds.first() else {
        panic!("{cmds:?}")
    };
    s.handle(
        Event::Chronic(ChronicEvent::Loaded {
            request: *request,
            conditions,
            index: index(),
        }),
        t,
        wall(),
    );
    s
}

fn codes(s: &Session) -> Vec<String> {
    s.chronic_candidates()
        .0
        .iter()
        .map(|i| i.code.clone())
        .collect()
}

/// 000:L11002: a special disease is treated at 二级 hospitals or above, so
/// the pick list offers no 一级 one; a chronic disease may go to any
/// designated hospital of the certification's city; never the current one.
#[test]
fn chronic_a6_special_disease_hospitals_are_grade_two_or_above_000_l11002() {
    let t = Instant::now();
    let mut s = listed("jilin", t, conditions());
    assert_eq!(s.screen(), Screen::Chronic);
    tap(&mut s, "chronic-change:0:hospital", t);
    assert_eq!(s.screen(), Screen::ChronicPick);
    assert_eq!(codes(&s), ["H2"]);
    tap(&mut s, "back", t);
    tap(&mut s, "chronic-change:1:hospital", t);
    assert_eq!(codes(&s), ["H2", "H3"]);
    tap(&mut s, "back", t);
    tap(&mut s, "chronic-change:1:pharmacy", t);
    assert_eq!(codes(&s), ["P2"], "same city, not the current pharmacy");
    // A code not on the list is ignored.
    tap(&mut s, "chronic-pick:H4", t);
    assert_eq!(s.screen(), Screen::ChronicPick);
}

/// A6/A7 5.1.1.2 (000:L10977): a person certified elsewhere applies at the
/// insured place's hall; the kiosk says so and changes nothing.
#[test]
fn chronic_a6_a7_remote_certification_is_refused_000_l10977() {
    let t = Instant::now();
    let mut s = listed("jilin", t, conditions());
    let cmds = tap(&mut s, "chronic-change:2:hospital", t);
    assert_eq!(s.screen(), Screen::Chronic);
    assert!(s.note().contains("参保地"), "{}", s.note());
    assert!(matches!(cmds.as_slice(), [Command::Say(Prompt::Refused)]));
}

/// A6/A7 1.3 服务对象: only persons with a registered disease; the others
/// are told where to get certified.
#[test]
fn chronic_a6_a7_without_a_registered_disease_000_l10958() {
    let t = Instant::now();
    let s = listed("jilin", t, Vec::new());
    assert_eq!(s.screen(), Screen::Error);
    assert!(s.message().contains("认定"), "{}", s.message());
}

/// Regions whose profile has no `[chronic]` (Linkou, Yunnan: their seeds
/// list no change at the kiosk) do not offer it.
#[test]
fn chronic_is_offered_only_where_the_region_profile_has_it() {
    let t = Instant::now();
    for region in ["linkou", "yunnan"] {
        let mut s = session_in(region, t);
        loaded(&mut s, t);
        assert!(!s.offers_chronic());
        assert!(tap(&mut s, "chronic", t).is_empty());
        assert_eq!(s.screen(), Screen::Enrollment);
    }
}

/// A7 5.1 定点医药机构变更 end to end in the session: pick, confirm, KS18,
/// the printed 业务办理单 with old and new institution and the
/// treatment-plan rule (5.2 需重新办理), then the rating on the printed
/// screen for `chronic_change`.
#[test]
fn chronic_a7_change_prints_the_proof_and_asks_for_a_rating() {
    let t = Instant::now();
    let mut s = listed("jilin", t, conditions());
    assert_eq!(s.unrated(), Some("chronic_query"));
    tap(&mut s, "chronic-change:1:pharmacy", t);
    tap(&mut s, "chronic-pick:P2", t);
    assert_eq!(s.screen(), Screen::ChronicConfirm);
    let cmds = tap(&mut s, "chronic-submit", t);
    let Some(Command::Chronic(ChronicCommand::Change {
        request,
        number,
        slot,
        code,
        proxy,
        ..
    })) = cmds.first()
    else {
        panic!("{cmds:?}")
    };
    assert_eq!(
        (number.as_str(), slot.code(), code.as_str()),
        ("MT2", "pharmacy", "P2")
    );
    assert!(proxy.is_none());
    let request = *request;
    assert_eq!(s.screen(), Screen::RecordsLoading);
    // An answer to an older request is dropped.
    s.handle(
        Event::Chronic(ChronicEvent::Changed {
            request: request - 1,
            result: Err("x".into()),
        }),
        t,
        wall(),
    );
    assert_eq!(s.screen(), Screen::RecordsLoading);
    let cmds = s.handle(
        Event::Chronic(ChronicEvent::Changed {
            request,
            result: Ok(ChangeAnswer {
                number: "MT20261122000001".into(),
                confirmed: true,
            }),
        }),
        t,
        wall(),
    );
    let Some(Command::Print(doc)) = cmds.first() else {
        panic!("{cmds:?}")
    };
    let Document::ChronicSlip(slip) = doc.as_ref() else {
        panic!()
    };
    let notes = slip.notes.join("\n");
    for expected in [
        "原定点零售药店：长春大药房",
        "新定点零售药店：益丰大药房",
        "办理单号：MT20261122000001",
        "即时生效",
        "诊疗方案变更需重新办理",
    ] {
        assert!(notes.contains(expected), "{expected}: {notes}");
    }
    assert_eq!(slip.business, "门诊慢性病定点医药机构变更");
    assert_eq!(slip.id_number_masked, "220203********2046");
    assert_eq!(
        s.chronic_conditions()[1]
            .pharmacy
            .as_ref()
            .map(|p| p.0.as_str()),
        Some("P2")
    );
    s.handle(Event::PrintFinished, t, wall());
    assert_eq!(s.screen(), Screen::Printed);
    let cmds = tap(&mut s, "rate:0", t);
    assert!(cmds.iter().any(|c| matches!(
        c,
        Command::SubmitRating {
            transaction: "chronic_change",
            ..
        }
    )));
}

/// A refusal of the centre comes back to the list with its reason.
#[test]
fn chronic_refusal_shows_the_centres_reason() {
    let t = Instant::now();
    let mut s = listed("jilin", t, conditions());
    tap(&mut s, "chronic-change:0:hospital", t);
    tap(&mut s, "chronic-pick:H2", t);
    let cmds = tap(&mut s, "chronic-submit", t);
    let Some(Command::Chronic(ChronicCommand::Change { request, .. })) = cmds.first() else {
        panic!()
    };
    s.handle(
        Event::Chronic(ChronicEvent::Changed {
            request: *request,
            result: Err("变更未通过：所选医院不符合。".into()),
        }),
        t,
        wall(),
    );
    assert_eq!(s.screen(), Screen::Chronic);
    assert!(s.note().contains("未通过"));
    // Leaving clears the diseases with the person.
    s.handle(Event::CredentialRemoved, t, wall());
    assert!(s.chronic_conditions().is_empty());
}

#[test]
fn hospital_grades_from_their_level() {
    use crate::session::chronic::grade;
    assert_eq!(grade("三级甲等"), 3);
    assert_eq!(grade("二级乙等"), 2);
    assert_eq!(grade("一级"), 1);
    assert_eq!(grade("未定级"), 0);
}

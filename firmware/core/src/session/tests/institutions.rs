//! Session tests of the designated-institutions lookup (定点医药机构查询).

use super::*;
use crate::institutions::{DesignatedInstitution, InstitutionIndex, InstitutionKind};
use crate::session::{RecordsCommand, RecordsEvent};
use crate::view::View;

fn inst(
    code: &str,
    name: &str,
    area: &str,
    kind: InstitutionKind,
    cross: bool,
) -> DesignatedInstitution {
    DesignatedInstitution {
        code: code.into(),
        name: name.into(),
        area: area.into(),
        kind,
        level: if kind == InstitutionKind::Hospital {
            "三级甲等".into()
        } else {
            String::new()
        },
        address: "某市某路1号".into(),
        phone: "0000-12345678".into(),
        cross_province: cross,
    }
}

fn index() -> Arc<InstitutionIndex> {
    let mut items = vec![
        inst(
            "H1",
            "北京协和医院",
            "110100",
            InstitutionKind::Hospital,
            true,
        ),
        inst(
            "H2",
            "海南省人民医院",
            "460100",
            InstitutionKind::Hospital,
            true,
        ),
        inst(
            "P1",
            "老百姓大药房（海秀店）",
            "460100",
            InstitutionKind::Pharmacy,
            true,
        ),
        inst(
            "C1",
            "滨海社区卫生服务中心",
            "460100",
            InstitutionKind::Clinic,
            false,
        ),
    ];
    for n in 0..10 {
        items.push(inst(
            &format!("H3{n}"),
            &format!("三亚市第{n}医院"),
            "460200",
            InstitutionKind::Hospital,
            n % 2 == 0,
        ));
    }
    Arc::new(InstitutionIndex::new(items).with_area_names(vec![
        ("460100".into(), "海口市".into()),
        ("460200".into(), "三亚市".into()),
    ]))
}

/// Opens the lookup from the current screen and answers with the index.
fn open(s: &mut Session, t: Instant) {
    let cmds = tap(s, "institutions", t);
    let Some(Command::Records(RecordsCommand::LoadInstitutions { request })) = cmds.first() else {
        panic!("expected the list to be loaded, got {cmds:?}")
    };
    assert_eq!(s.screen(), Screen::RecordsLoading);
    let request = *request;
    s.handle(
        Event::Records(RecordsEvent::InstitutionsLoaded {
            request,
            index: index(),
            version: Some("7".into()),
        }),
        t,
        wall(),
    );
}

fn names(s: &Session, t: Instant) -> Vec<String> {
    View::of(s, t)
        .institutions
        .unwrap()
        .rows
        .into_iter()
        .map(|r| r.name)
        .collect()
}

#[test]
fn from_home_without_a_card_search_by_initials_and_filters() {
    let t = Instant::now();
    let mut s = session_in("jilin", t);
    open(&mut s, t);
    assert_eq!(s.screen(), Screen::Institutions);
    let v = View::of(&s, t).institutions.unwrap();
    assert!(v.summary.starts_with("共 14 家"), "{}", v.summary);
    assert!(v.has_next && !v.has_prev);
    assert!(v.source.contains("版本 7"));

    for key in ["b", "j", "x", "h"] {
        tap(&mut s, &format!("inst-key:{key}"), t);
    }
    assert_eq!(View::of(&s, t).institutions.unwrap().query, "BJXH");
    assert_eq!(names(&s, t), ["北京协和医院"]);
    tap(&mut s, "inst-key:del", t);
    tap(&mut s, "inst-key:clear", t);
    // A key that is not a letter changes nothing.
    tap(&mut s, "inst-key:1", t);
    assert_eq!(View::of(&s, t).institutions.unwrap().query, "");

    tap(&mut s, "inst-province:46", t);
    let v = View::of(&s, t).institutions.unwrap();
    assert!(
        v.cities.iter().any(|c| c.label == "三亚市"),
        "{:?}",
        v.cities
    );
    tap(&mut s, "inst-city:4602", t);
    tap(&mut s, "inst-cross", t);
    assert_eq!(
        names(&s, t).len(),
        5,
        "even-numbered Sanya hospitals settle directly"
    );
    tap(&mut s, "inst-city:", t);
    tap(&mut s, "inst-cross", t);
    tap(&mut s, "inst-kind:pharmacy", t);
    assert_eq!(names(&s, t), ["老百姓大药房（海秀店）"]);
    tap(&mut s, "inst-kind:hospital", t);
    let v = View::of(&s, t).institutions.unwrap();
    assert!(v.levels.iter().any(|l| l.label == "三级甲等"));
    // A province that is not in the list is ignored.
    tap(&mut s, "inst-province:99", t);
    assert!(names(&s, t).iter().all(|n| n.contains("医院")));

    tap(&mut s, "back", t);
    assert_eq!(s.screen(), Screen::Home);
    assert!(View::of(&s, t).institutions.is_none());
}

#[test]
fn paging_and_the_printed_list() {
    let t = Instant::now();
    let mut s = session_in("jilin", t);
    loaded(&mut s, t);
    open(&mut s, t);
    tap(&mut s, "inst-next", t);
    let v = View::of(&s, t).institutions.unwrap();
    assert!(v.summary.contains("第 2/3 页"), "{}", v.summary);
    tap(&mut s, "inst-next", t);
    tap(&mut s, "inst-next", t);
    assert!(
        View::of(&s, t)
            .institutions
            .unwrap()
            .summary
            .contains("第 3/3 页")
    );
    // A new filter starts at the first page.
    tap(&mut s, "inst-province:46", t);
    assert!(
        View::of(&s, t)
            .institutions
            .unwrap()
            .summary
            .contains("第 1/3 页")
    );

    let cmds = tap(&mut s, "inst-print", t);
    let Some(Command::Print(doc)) = cmds.first() else {
        panic!("expected a print, got {cmds:?}")
    };
    let Document::InstitutionList(list) = doc.as_ref() else {
        panic!("expected the list")
    };
    assert_eq!(list.total, 13);
    assert_eq!(list.rows.len(), 12, "at most twelve on paper");
    assert_eq!(list.criteria, "海南省");
    assert_eq!(list.version, "7");
    s.handle(Event::PrintFinished, t, wall());
    assert_eq!(s.screen(), Screen::Printed);
    // From the enrollment screen, back returns there.
    tap(&mut s, "back", t);
    assert_eq!(s.screen(), Screen::Enrollment);
    open(&mut s, t);
    tap(&mut s, "back", t);
    assert_eq!(s.screen(), Screen::Enrollment);
}

#[test]
fn an_empty_list_says_the_kiosk_has_none_yet() {
    let t = Instant::now();
    let mut s = session_in("jilin", t);
    let cmds = tap(&mut s, "institutions", t);
    let Some(Command::Records(RecordsCommand::LoadInstitutions { request })) = cmds.first() else {
        panic!()
    };
    let request = *request;
    s.handle(
        Event::Records(RecordsEvent::InstitutionsLoaded {
            request,
            index: Arc::new(InstitutionIndex::default()),
            version: None,
        }),
        t,
        wall(),
    );
    assert_eq!(s.screen(), Screen::Error);
    assert!(s.message().contains("还没有从医保中心取得"));
}

//! The three region profiles load, have the seeds' item counts, and a
//! sample of items per region matches the seeds (names, codes, time
//! limits, materials). The rules the journeys apply differ by region.

mod region_support;

use std::collections::HashSet;

use chrono::{NaiveDate, NaiveTime, Weekday};
use kiosk_core::region::{
    CertificateApplicant, CertificateEligibility, CertificateLayout, CertificateRefusal,
    FilingKind, IssueTiming, KioskAction, ProcessingType, RegionProfile, Season, StatusDimension,
    ValidityKind,
};
use region_support::{PROFILES, load};

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_else(|| panic!("{y}-{m}-{d} is not a date"))
}

fn item<'a>(p: &'a RegionProfile, code: &str) -> &'a kiosk_core::region::ServiceItem {
    p.item(code)
        .unwrap_or_else(|| panic!("{} has no item {code}", p.id()))
}

#[test]
fn all_profiles_load_with_their_ids() {
    for (file, id) in PROFILES.iter().zip(["jilin", "linkou", "yunnan"]) {
        let p = load(file);
        assert_eq!(p.id(), id);
        assert!(p.version() >= 1);
        assert!(!p.name().is_empty());
    }
}

#[test]
fn item_counts_match_the_seeds() {
    // Jilin (seed 000): the table of contents lists 57 guides; guides 31
    // (门诊慢特病待遇认定) and 32 (门诊慢特病待遇变更) each hold two items
    // with their own name and code (特殊疾病 / 慢性病), so the 57 guides
    // give 59 items, counted as the 59 "1.1事项名称" blocks after the TOC.
    let jilin = load("jilin.toml");
    assert_eq!(jilin.items().len(), 59);
    let guides: HashSet<u16> = jilin.items().iter().filter_map(|i| i.guide).collect();
    assert_eq!(guides.len(), 57);
    assert_eq!(guides.iter().min(), Some(&1));
    assert_eq!(guides.iter().max(), Some(&57));
    assert_eq!(
        jilin.items().iter().filter(|i| i.guide == Some(31)).count(),
        2
    );
    assert_eq!(
        jilin.items().iter().filter(|i| i.guide == Some(32)).count(),
        2
    );

    // Linkou (seed 001): the table has one row per sub-item (子项), numbered
    // 1–29 in the 子项序号 column (lines 6–37, minus three empty separator
    // lines and the header on line 5): 29 items.
    let linkou = load("linkou.toml");
    assert_eq!(linkou.items().len(), 29);

    // Yunnan (seed 003): every item starts with a line "一、事项名称"; there
    // are 31 such lines (the form templates 附件1–9 are not items): 31 items.
    let yunnan = load("yunnan.toml");
    assert_eq!(yunnan.items().len(), 31);
}

#[test]
fn item_codes_are_the_seed_order() {
    let linkou = load("linkou.toml");
    for (i, item) in linkou.items().iter().enumerate() {
        assert_eq!(item.code, format!("LK{:02}", i + 1));
    }
    let yunnan = load("yunnan.toml");
    for (i, item) in yunnan.items().iter().enumerate() {
        assert_eq!(item.code, format!("YN{:02}", i + 1));
    }
}

#[test]
fn jilin_sample_items_match_seed_000() {
    let p = load("jilin.toml");

    let query = item(&p, "JL17");
    assert_eq!(query.name, "参保人员参保信息查询");
    assert_eq!(query.basic_code.as_deref(), Some("G002036002002"));
    assert_eq!(query.service_object, "自然人");
    assert_eq!(query.processing, Some(ProcessingType::Instant));
    assert_eq!(query.time_limit, "即时办理");
    assert_eq!(query.working_days, None);
    assert_eq!(query.materials, ["本人医保电子凭证或身份证或社保卡"]);
    assert_eq!(query.kiosk, [KioskAction::Query, KioskAction::Print]);
    assert_eq!(query.fees.as_deref(), Some("不收费"));

    let cert = item(&p, "JL18");
    assert_eq!(cert.name, "出具《参保凭证》");
    assert_eq!(cert.basic_code.as_deref(), Some("G002036003001"));
    assert_eq!(cert.material_cases[0].case, "职工");
    assert_eq!(
        cert.material_cases[0].materials,
        ["医保电子凭证或身份证或社保卡"]
    );
    assert_eq!(
        cert.material_cases[1].materials,
        ["经办人身份证", "参保单位介绍信"]
    );
    assert!(
        cert.outputs
            .contains(&"《基本医疗保险参保凭证》".to_string())
    );

    let unit = item(&p, "JL01");
    assert_eq!(unit.name, "单位参保登记");
    assert_eq!(unit.basic_code.as_deref(), Some("G002036001001"));
    assert_eq!(unit.processing, Some(ProcessingType::Promised));
    assert_eq!(unit.working_days, Some(5));
    assert_eq!(unit.materials[1], "法定代表人身份证");
    assert!(unit.materials[2].contains("《营业执照》（企业）"));
    assert_eq!(unit.process.len(), 5);
    assert_eq!(unit.process[0].step, "申请");

    let transfer = item(&p, "JL19");
    assert_eq!(transfer.time_limit, "转移：10个工作日；接续：10个工作日");
    assert_eq!(transfer.working_days, Some(10));

    let newborn = item(&p, "JL05");
    assert_eq!(newborn.basic_code.as_deref(), Some("J002036001001"));
    assert_eq!(newborn.materials[1], "新生儿户口本");

    let resident = item(&p, "JL57");
    assert_eq!(resident.name, "异地长期居住人员备案");
    assert_eq!(resident.basic_code.as_deref(), Some("G002036004002"));
    assert_eq!(resident.time_limit, "1个工作日");
    assert_eq!(resident.materials[1], "居住证或居住证明");
    assert!(resident.kiosk_can(KioskAction::File));

    let outpatient = item(&p, "JL33");
    assert_eq!(outpatient.working_days, Some(22));
    assert!(
        outpatient
            .materials
            .contains(&"医疗费报销申请表".to_string())
    );
    assert_eq!(
        outpatient.proxy.as_deref(),
        Some("由他人代办的，需提供代办人身份证。")
    );

    let ltc = item(&p, "JL45");
    assert_eq!(
        ltc.channels,
        ["委托长期护理保险定点养老机构（评估机构）开展"]
    );

    // Guide 12: §1.1 misprints 停保; the title and the TOC say 续保.
    assert_eq!(item(&p, "JL12").name, "职工续保变更");
    // Guides 40 and 43 are the same item printed twice.
    assert_eq!(item(&p, "JL40").name, item(&p, "JL43").name);
    assert_eq!(item(&p, "JL40").basic_code, item(&p, "JL43").basic_code);
    // Guides 31 and 32 hold two items each.
    assert_eq!(item(&p, "JL31A").name, "门诊特殊疾病病种待遇认定");
    assert_eq!(item(&p, "JL31B").name, "门诊慢性病病种待遇认定");
    assert_eq!(
        item(&p, "JL32B").basic_code.as_deref(),
        Some("G002036005000_01_003")
    );
}

#[test]
fn linkou_sample_items_match_seed_001() {
    let p = load("linkou.toml");

    let query = item(&p, "LK08");
    assert_eq!(query.name, "参保人员参保信息查询");
    assert_eq!(query.basic_code.as_deref(), Some("002036002002"));
    assert_eq!(query.time_limit, "即时办结");
    assert_eq!(query.materials, ["医保电子凭证或有效身份证件或社保卡"]);
    assert_eq!(query.phones, ["0453-3521766"]);
    assert_eq!(query.offices, ["lk-general"]);
    assert_eq!(query.effective_processing(), ProcessingType::Instant);
    assert_eq!(query.process.len(), 3, "申请—受理—办结");

    let withdrawal = item(&p, "LK09");
    assert_eq!(withdrawal.working_days, Some(15));
    assert!(withdrawal.materials[0].starts_with("死亡证明"));
    assert_eq!(withdrawal.effective_processing(), ProcessingType::Promised);

    let cert = item(&p, "LK10");
    assert_eq!(cert.name, "出具《参保凭证》");
    assert_eq!(cert.basic_code.as_deref(), Some("002036003001"));
    assert_eq!(cert.notes, ["由转出地经办机构受理"]);

    assert_eq!(item(&p, "LK11").working_days, Some(20));
    assert_eq!(item(&p, "LK24").working_days, Some(30));
    assert_eq!(
        item(&p, "LK25").time_limit,
        "30个工作日（特殊情况不能超3个月）"
    );

    let chronic = item(&p, "LK16");
    assert_eq!(chronic.offices, ["lk-hospital"]);
    assert_eq!(chronic.phones, ["0453-5938117"]);
    assert_eq!(chronic.materials.len(), 4);

    let stationed = item(&p, "LK14");
    assert_eq!(stationed.materials[2], "异地工作证明材料或个人承诺书");

    let base = item(&p, "LK29");
    assert_eq!(base.basic_code, None, "item 29 has no code in the seed");
    assert_eq!(base.working_days, Some(5));
}

#[test]
fn yunnan_sample_items_match_seed_003() {
    let p = load("yunnan.toml");

    let query = item(&p, "YN11");
    assert_eq!(query.name, "参保人员参保信息查询");
    assert_eq!(query.basic_code, None);
    assert_eq!(query.time_limit, "即时办结");
    assert!(
        query
            .channels
            .contains(&"自助查询：医疗保险自助查询终端".to_string())
    );
    assert_eq!(query.materials, ["医保电子凭证或有效身份证件或社保卡"]);
    assert!(query.kiosk_can(KioskAction::Query) && query.kiosk_can(KioskAction::Print));

    let cert = item(&p, "YN13");
    assert_eq!(cert.name, "出具《参保凭证》");
    assert_eq!(
        cert.proxy.as_deref(),
        Some("如代办理需提供代办人身份证原件。")
    );

    assert_eq!(item(&p, "YN02").time_limit, "每月1-15日受理,即时办结");
    assert_eq!(item(&p, "YN14").working_days, Some(20));
    let chronic = item(&p, "YN19");
    assert_eq!(
        chronic.time_limit,
        "特殊病病种5个工作日办结，慢性病病种10个工作日办结"
    );
    assert_eq!(chronic.working_days, Some(10));

    let retiree = item(&p, "YN15");
    assert_eq!(
        retiree.service_object,
        "参加城镇职工基本医疗保险异地安置退休人员"
    );
    assert!(retiree.materials[2].starts_with("异地安置认定材料"));

    let maternity = item(&p, "YN23");
    assert_eq!(maternity.material_cases.len(), 2);
    assert_eq!(
        maternity.material_cases[1].case,
        "男职工未就业配偶生育医疗费用报销"
    );
}

#[test]
fn lookup_by_code_and_by_unique_basic_code() {
    let p = load("jilin.toml");
    assert_eq!(p.item("jl18").map(|i| i.code.as_str()), Some("JL18"));
    assert_eq!(
        p.item("G002036002002").map(|i| i.code.as_str()),
        Some("JL17")
    );
    // Used by guides 2, 3 and 27: ambiguous, finds nothing.
    assert!(p.item("G002036001002").is_none());
    assert!(p.item("JL99").is_none());
}

#[test]
fn search_finds_names_and_materials() {
    let p = load("jilin.toml");
    let codes = |q: &str| {
        p.search(q)
            .iter()
            .map(|i| i.code.clone())
            .collect::<Vec<_>>()
    };
    assert!(codes("参保凭证").contains(&"JL18".to_string()));
    // In JL19's materials only.
    assert!(codes("参保凭证").contains(&"JL19".to_string()));
    assert_eq!(codes("参保 凭证"), codes("参保凭证"));
    assert_eq!(codes("居住证或居住证明"), ["JL15", "JL57"]);
    assert!(codes("").is_empty());
    assert!(codes("不存在的事项").is_empty());

    let y = load("yunnan.toml");
    assert!(
        y.search("异地就医登记备案表")
            .iter()
            .any(|i| i.code == "YN16")
    );
}

#[test]
fn certificate_rule_differs_between_jilin_and_yunnan() {
    let jilin = load("jilin.toml");
    let yunnan = load("yunnan.toml");
    let jr = jilin.certificate_rule();
    let yr = yunnan.certificate_rule();

    assert_eq!(jr.item, "JL18");
    assert_eq!(jr.eligible.value, CertificateEligibility::AllInsured);
    assert_eq!(jr.timing.value, IssueTiming::OnRequest);
    assert!(jr.allows_layout(CertificateLayout::Simple));
    assert!(jr.allows_layout(CertificateLayout::Transfer));

    assert_eq!(yr.item, "YN13");
    assert_eq!(yr.eligible.value, CertificateEligibility::Employees);
    assert_eq!(yr.timing.value, IssueTiming::MonthAfterSuspension);
    assert!(!yr.allows_layout(CertificateLayout::Simple));
    assert!(yr.explanation.text.contains("次月"));

    let resident = CertificateApplicant {
        employee: false,
        suspended_on: None,
    };
    let today = date(2024, 3, 20);
    assert_eq!(jr.check(&resident, today), Ok(()));
    assert_eq!(
        yr.check(&resident, today),
        Err(CertificateRefusal::EmployeesOnly)
    );

    let insured_employee = CertificateApplicant {
        employee: true,
        suspended_on: None,
    };
    assert_eq!(jr.check(&insured_employee, today), Ok(()));
    assert_eq!(
        yr.check(&insured_employee, today),
        Err(CertificateRefusal::NotSuspended)
    );

    let suspended = CertificateApplicant {
        employee: true,
        suspended_on: Some(date(2024, 3, 10)),
    };
    assert_eq!(
        yr.check(&suspended, today),
        Err(CertificateRefusal::TooEarly {
            earliest: date(2024, 4, 1)
        })
    );
    assert_eq!(yr.check(&suspended, date(2024, 4, 1)), Ok(()));
    let december = CertificateApplicant {
        employee: true,
        suspended_on: Some(date(2024, 12, 31)),
    };
    assert!(yr.check(&december, date(2024, 12, 31)).is_err());
    assert_eq!(yr.check(&december, date(2025, 1, 1)), Ok(()));

    let message = CertificateRefusal::TooEarly {
        earliest: date(2024, 4, 1),
    }
    .user_message();
    assert!(message.contains("2024年04月01日"));

    // Both print the transfer layout with the four notes.
    for p in [&jilin, &yunnan] {
        let texts = p
            .documents()
            .certificate(CertificateLayout::Transfer)
            .unwrap();
        assert_eq!(texts.notes.len(), 4);
        assert!(texts.notes[2].contains("3个月内"));
    }
}

#[test]
fn filing_rules_carry_seed_values_and_national_defaults() {
    let jilin = load("jilin.toml");
    let f = jilin.filing_rules();
    let offered: Vec<FilingKind> = f.offered().map(|c| c.kind).collect();
    assert_eq!(
        offered,
        [
            FilingKind::ResettledRetiree,
            FilingKind::LongTermResident,
            FilingKind::StationedWorker,
            FilingKind::Referral,
            FilingKind::TemporaryTrip
        ]
    );
    // Issue 19 item 1: the temporary trip (the commitment letter's
    // category, 000:L18176) is filed at the kiosk, at least 6 months.
    let temporary = f.category(FilingKind::TemporaryTrip).unwrap();
    assert!(temporary.offered && temporary.kiosk_can_file);
    assert_eq!(temporary.validity.kind, ValidityKind::AtLeastMonths);
    assert_eq!(temporary.validity.months, Some(6));
    assert!(temporary.validity.source.is_national_default());

    let resident = f.category(FilingKind::LongTermResident).unwrap();
    assert_eq!(resident.validity.kind, ValidityKind::UntilChanged);
    assert!(resident.validity.source.is_national_default());
    assert!(resident.kiosk_can_file);
    assert_eq!(resident.materials[1], "居住证或居住证明");

    // Jilin's referral validity comes from the seed, not the default.
    let referral = f.category(FilingKind::Referral).unwrap();
    assert_eq!(referral.validity.kind, ValidityKind::EndOfStay);
    assert_eq!(referral.validity.source.seed_line(), Some(("000", 13626)));
    assert!(!referral.kiosk_can_file);

    assert_eq!(f.lock_period_months.value, 6);
    assert!(f.lock_period_months.source.is_national_default());
    assert!(!f.may_change(date(2024, 1, 15), date(2024, 7, 14)));
    assert!(f.may_change(date(2024, 1, 15), date(2024, 7, 15)));
    assert!(f.extension.text.contains("事前核准延期"));
    assert!(
        f.self_service_effect
            .as_ref()
            .unwrap()
            .text
            .contains("即时生效")
    );

    // Linkou: change needs only the credential; Yunnan: retirees must be employees.
    let linkou = load("linkou.toml");
    assert!(
        linkou
            .filing_rules()
            .change_materials
            .as_ref()
            .unwrap()
            .text
            .contains("只需医保电子凭证或有效身份证件")
    );
    let yunnan = load("yunnan.toml");
    let retiree = yunnan
        .filing_rules()
        .category(FilingKind::ResettledRetiree)
        .unwrap();
    assert!(retiree.eligible.as_ref().unwrap().text.contains("城镇职工"));
    assert_eq!(
        yunnan
            .filing_rules()
            .category(FilingKind::Referral)
            .unwrap()
            .validity
            .kind,
        ValidityKind::AtLeastMonths
    );
}

#[test]
fn claim_deadline_is_31_march_of_next_year_in_jilin_only() {
    let jilin = load("jilin.toml");
    let deadline = jilin.claim_deadline().unwrap();
    assert_eq!(deadline.for_year(2024), Some(date(2025, 3, 31)));
    assert_eq!(deadline.source.seed_line(), Some(("000", 17933)));
    assert!(load("linkou.toml").claim_deadline().is_none());
    assert!(load("yunnan.toml").claim_deadline().is_none());
}

#[test]
fn jilin_explains_the_enrollment_rules_of_seed_002() {
    let jilin = load("jilin.toml");
    let e = jilin.enrollment_rules().unwrap();
    for dimension in [StatusDimension::Enrollment, StatusDimension::Benefit] {
        for state in ["normal", "suspended", "terminated"] {
            let text = e.state(dimension, state).unwrap();
            assert_eq!(text.source.seed_line().map(|(s, _)| s), Some("002"));
        }
    }
    for state in ["assessed", "paid", "interrupted"] {
        assert!(e.state(StatusDimension::Payment, state).is_some());
    }
    assert_eq!(
        e.state(StatusDimension::Enrollment, "suspended")
            .unwrap()
            .label,
        "暂停（中止）参保"
    );
    assert_eq!(e.duplicate_checks.len(), 3);
    assert_eq!(e.duplicate_outcomes.len(), 7);
    assert!(
        e.waiting_period.days.is_none(),
        "seed 002 gives no number of days"
    );
    assert!(e.waiting_period.text.contains("缴费成功次日"));
    assert!(e.waiting_period_triggers.len() >= 5);
    assert_eq!(e.back_payment_window_months.value, 3);
    assert!(load("yunnan.toml").enrollment_rules().is_none());
}

#[test]
fn offices_and_hours() {
    let jilin = load("jilin.toml");
    assert_eq!(jilin.offices().len(), 20);
    assert!(jilin.hotlines().iter().any(|h| h.number == "12393"));
    let noon = NaiveTime::from_hms_opt(12, 0, 0).unwrap();
    let shengzhi = jilin.office("shengzhi").unwrap();
    let hours = shengzhi.hours.as_ref().unwrap();
    assert!(hours.is_open(Weekday::Mon, noon, Season::Summer));
    assert!(!hours.is_open(Weekday::Sat, noon, Season::Summer));
    assert_eq!(
        shengzhi.online_hall.as_deref(),
        Some("http://ybfw.ybj.jl.gov.cn/")
    );

    let liaoyuan = jilin.office("liaoyuan").unwrap().hours.as_ref().unwrap();
    assert!(liaoyuan.is_seasonal());
    assert!(
        !liaoyuan.is_open(Weekday::Tue, noon, Season::Winter),
        "lunch break"
    );
    let ten_to_five = NaiveTime::from_hms_opt(16, 50, 0).unwrap();
    assert!(liaoyuan.is_open(Weekday::Tue, ten_to_five, Season::Summer));
    assert!(!liaoyuan.is_open(Weekday::Tue, ten_to_five, Season::Winter));

    // Items that name no office are handled by every office.
    let query = jilin.item("JL17").unwrap();
    assert_eq!(jilin.offices_for(query).len(), 20);

    let linkou = load("linkou.toml");
    let cert = linkou.item("LK10").unwrap();
    let windows: Vec<&str> = linkou
        .offices_for(cert)
        .iter()
        .flat_map(|o| o.windows.iter().map(String::as_str))
        .collect();
    assert_eq!(windows, ["15", "16", "17", "19", "20", "21", "22"]);

    assert!(
        load("yunnan.toml").offices().is_empty(),
        "seed 003 leaves addresses blank"
    );
}

#[test]
fn kiosk_capable_items_per_region() {
    let codes = |file: &str| {
        load(file)
            .kiosk_items()
            .map(|i| i.code.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        codes("jilin.toml"),
        ["JL17", "JL18", "JL36", "JL55", "JL56", "JL57"]
    );
    assert_eq!(
        codes("linkou.toml"),
        ["LK08", "LK10", "LK12", "LK13", "LK14", "LK15"]
    );
    assert_eq!(
        codes("yunnan.toml"),
        ["YN11", "YN13", "YN15", "YN16", "YN17", "YN18"]
    );
}

#[test]
fn documents_have_the_printed_texts() {
    let jilin = load("jilin.toml");
    let d = jilin.documents();
    assert_eq!(d.agency_name.text, "吉林省社会医疗保险管理局");
    let simple = d.certificate(CertificateLayout::Simple).unwrap();
    assert!(simple.fields.contains(&"统筹区".to_string()));
    assert!(simple.notes.is_empty());
    let transfer = d.certificate(CertificateLayout::Transfer).unwrap();
    assert_eq!(
        transfer.number_format.as_deref(),
        Some("（省份）（统筹区）（年份）（第XXXX号）")
    );
    assert!(
        transfer
            .agency_block
            .contains(&"机构名称（盖章）".to_string())
    );
    let letter = d.commitment_letter.as_ref().unwrap();
    assert_eq!(letter.undertakings.len(), 4);
    assert!(letter.archive_note.contains("两年内不得销毁"));

    let yunnan = load("yunnan.toml");
    let levels = &yunnan.documents().rating_levels.as_ref().unwrap().value;
    assert_eq!(levels, &["非常满意", "满意", "一般", "不满意"]);
    assert!(
        yunnan.documents().forms[0]
            .fields
            .iter()
            .any(|f| f.contains("取消备案"))
    );
}

#[test]
fn profiles_round_trip_through_serde() {
    for file in PROFILES {
        let p = load(file);
        let text = toml::to_string(&p).unwrap();
        let again = RegionProfile::parse(file, &text).unwrap();
        assert_eq!(p, again, "{file}");
        // The JSON form is what `kiosk guides --json` prints.
        let json = serde_json::to_string(p.items()).unwrap();
        assert!(json.contains("\"code\""));
    }
}

#[test]
fn a_newer_version_supersedes_the_current_profile() {
    let text = region_support::profile_text("jilin.toml");
    let current = RegionProfile::parse("jilin.toml", &text).unwrap();
    let pushed = RegionProfile::parse(
        "jilin.toml",
        &text.replacen("version = 1\n", "version = 2\n", 1),
    )
    .unwrap();
    assert!(pushed.supersedes(&current));
    assert!(!current.supersedes(&pushed));
    assert!(!current.supersedes(&current));
    assert!(!load("yunnan.toml").supersedes(&current), "another region");
}

//! The kiosk's own transactions against the reference centre on loopback:
//! contribution history, certificates, remote-care filing rules with the
//! lock period, ratings, reference data increments, idempotency on msgid,
//! persistence in the database file and per-province codes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use kiosk_central::{Central, CentralOptions, CentralServer, MSGID_CONFLICT, RULE_REFUSED};
use kiosk_core::clock::FixedClock;
use kiosk_sync::client::{ClientOptions, Submitted};
use kiosk_sync::transactions::{InfnoMap, Transaction};
use kiosk_sync::wire::{
    CertificateIssueInput, CertificateVerifyInput, ContributionHistoryInput, FilingSubmitInput,
};
use kiosk_sync::{CentralClient, Error};
use serde_json::json;

fn clock() -> Arc<FixedClock> {
    Arc::new(FixedClock(
        NaiveDate::from_ymd_opt(2026, 11, 22)
            .unwrap()
            .and_hms_opt(9, 30, 0)
            .unwrap(),
    ))
}

fn central(options: CentralOptions) -> CentralServer {
    let c = Central::open_seeded(None, clock(), options).unwrap();
    CentralServer::start("127.0.0.1:0".parse().unwrap(), Arc::new(c)).unwrap()
}

fn client(url: &str, infno: InfnoMap) -> CentralClient {
    CentralClient::with_options(
        kiosk_central::test_terminal(url, Duration::from_secs(5)),
        clock(),
        ClientOptions {
            infno,
            ..ClientOptions::default()
        },
    )
    .unwrap()
}

fn filing(psn_no: &str, certno: &str, ftype: &str, dest: &str, end: &str) -> Vec<u8> {
    serde_json::to_vec(&FilingSubmitInput {
        psn_no: psn_no.into(),
        certno: certno.into(),
        psn_name: String::new(),
        tel: "13800000000".into(),
        filing_type: ftype.into(),
        insuplc_admdvs: String::new(),
        mdtrtarea_admdvs: dest.into(),
        begndate: "2026-12-01".into(),
        enddate: end.into(),
        fixmedins_code: String::new(),
        commitment: true,
        tel2: String::new(),
        mdtrt_addr: String::new(),
        fixmedins_codes: Vec::new(),
        agnter: String::new(),
        agnt_authz: String::new(),
        letter: None,
    })
    .unwrap()
}

fn rejected_reason(answer: Submitted) -> String {
    match answer {
        Submitted::Rejected { code, reason } => {
            assert_eq!(code, RULE_REFUSED, "{reason}");
            reason
        }
        other => panic!("expected a rejection, got {other:?}"),
    }
}

const LI: (&str, &str) = ("22020000000002", "220203198508232046");
const WANG: &str = "22010000000001";
const DUAN: &str = "53010000000008";

#[test]
fn contribution_history_expands_months_and_shows_unpaid_ones() {
    let server = central(CentralOptions::default());
    let c = client(&server.url(), InfnoMap::defaults());
    let out = c
        .query_contribution_history(&ContributionHistoryInput {
            psn_no: LI.0.into(),
            insutype: "310".into(),
            begn_ym: "202512".into(),
            end_ym: "202602".into(),
        })
        .unwrap();
    let months: Vec<&str> = out.items.iter().map(|i| i.ym.as_str()).collect();
    assert_eq!(months, ["202512", "202601", "202602"]);
    assert_eq!(out.items[0].psn_amt.to_string(), "104.00");
    assert_eq!(out.items[1].clct_base.to_string(), "5600.00");
    let zhao = c
        .query_contribution_history(&ContributionHistoryInput {
            psn_no: "22240000000004".into(),
            insutype: String::new(),
            begn_ym: "202501".into(),
            end_ym: "202512".into(),
        })
        .unwrap();
    assert_eq!(zhao.items.len(), 8);
    assert!(zhao.items.iter().filter(|i| i.clct_stas == "0").count() == 6);
    let err = c
        .query_contribution_history(&ContributionHistoryInput {
            psn_no: LI.0.into(),
            insutype: String::new(),
            begn_ym: "2025-1".into(),
            end_ym: "202602".into(),
        })
        .unwrap_err();
    assert!(matches!(err, Error::Refused { .. }), "{err:?}");
}

#[test]
fn certificates_are_numbered_per_area_signed_and_verify() {
    use kiosk_core::region::CertificateLayout;
    let server = central(CentralOptions::default());
    let c = client(&server.url(), InfnoMap::defaults());
    let issue = |layout: &str| {
        c.issue_certificate(&CertificateIssueInput {
            psn_no: WANG.into(),
            cert_kind: "enrollment".into(),
            insutype: String::new(),
            layout: layout.into(),
        })
        .unwrap()
    };
    let cert = issue("simple");
    assert_eq!(cert.cert_no, "220100-2026-0001");
    assert_eq!(cert.valid_until, "2027-02-20");
    let facts = kiosk_sync::mapping::certificate_facts(cert.facts.as_ref().unwrap()).unwrap();
    assert_eq!(
        facts.number.printed(),
        "（吉林省）（长春市）（2026）（第0001号）"
    );
    assert_eq!(facts.insurance_type, "职工基本医疗保险");
    assert_eq!(facts.hukou_type, "非农业户口");
    // The signature covers the content: anyone holding the key can check it.
    let payload = format!("KCV1|{}|{}", cert.cert_no, cert.verify_code);
    let key = kiosk_central::DEMO_CERTIFICATE_KEY;
    assert!(kiosk_core::documents::verify(
        key,
        &payload,
        &cert.cert_no,
        &facts.signed_content(CertificateLayout::Simple)
    ));
    assert!(!kiosk_core::documents::verify(
        key,
        &payload,
        &cert.cert_no,
        &facts.signed_content(CertificateLayout::Transfer)
    ));
    // The transfer layout carries the agency block; the next serial.
    let transfer = issue("transfer");
    assert_eq!(transfer.cert_no, "220100-2026-0002");
    let tf = transfer.facts.as_ref().unwrap();
    assert!(tf.agency.as_ref().unwrap().name.contains("长春"));
    // Verification by number and the QR payload (or its signature part).
    let verified = c
        .verify_certificate(&CertificateVerifyInput {
            cert_no: cert.cert_no.clone(),
            verify_code: payload.clone(),
        })
        .unwrap();
    assert_eq!(verified.status, "valid");
    assert_eq!(verified.psn_name_masked, "王**");
    let forged = c
        .verify_certificate(&CertificateVerifyInput {
            cert_no: cert.cert_no.clone(),
            verify_code: transfer.verify_code.clone(),
        })
        .unwrap();
    assert_eq!(forged.status, "unknown");
    assert!(forged.psn_name_masked.is_empty());
    let unknown_layout = c
        .issue_certificate(&CertificateIssueInput {
            psn_no: WANG.into(),
            cert_kind: "enrollment".into(),
            insutype: String::new(),
            layout: "poster".into(),
        })
        .unwrap_err();
    assert!(
        matches!(unknown_layout, Error::Refused { .. }),
        "{unknown_layout:?}"
    );
}

#[test]
fn filing_rules_and_the_lock_period() {
    let server = central(CentralOptions {
        filing_lock_days: 180,
        ..CentralOptions::default()
    });
    let c = client(&server.url(), InfnoMap::defaults());
    let submit =
        |msgid: &str, body: Vec<u8>| c.submit(Transaction::FilingSubmit, msgid, &body).unwrap();
    // Same area as the insured area.
    let r = rejected_reason(submit("M1", filing(LI.0, LI.1, "2", "220200", "")));
    assert!(r.contains("相同"), "{r}");
    // Suspended person (赵晓燕).
    let r = rejected_reason(submit(
        "M2",
        filing("22240000000004", "222401199011021563", "2", "460100", ""),
    ));
    assert!(r.contains("参保状态"), "{r}");
    // Temporary trip without an end date, and shorter than the region
    // profile's minimum (Jilin: at least 6 months, 医保发〔2022〕22号; issue 19
    // item 1: no 180-day cap).
    let r = rejected_reason(submit("M3", filing(LI.0, LI.1, "4", "460100", "")));
    assert!(r.contains("结束日期"), "{r}");
    let r = rejected_reason(submit(
        "M4",
        filing(LI.0, LI.1, "4", "460100", "2027-05-30"),
    ));
    assert!(r.contains("不少于6个月") && r.contains("2027-05-31"), "{r}");
    // Wrong document number.
    let r = rejected_reason(submit(
        "M5",
        filing(LI.0, "220102196205141234", "2", "460100", ""),
    ));
    assert!(r.contains("证件"), "{r}");
    // Accepted; then a second long-term filing is refused.
    let Submitted::Accepted(out) = submit("M6", filing(LI.0, LI.1, "2", "460100", "")) else {
        panic!()
    };
    let filing_no = out["filing_no"].as_str().unwrap().to_string();
    assert_eq!(out["lock_until"], "2027-05-21");
    let r = rejected_reason(submit("M7", filing(LI.0, LI.1, "3", "110100", "")));
    assert!(r.contains("已有有效"), "{r}");
    // A temporary trip alongside is fine, longer than 180 days too.
    assert!(matches!(
        submit("M8", filing(LI.0, LI.1, "4", "110100", "2027-11-30")),
        Submitted::Accepted(_)
    ));
    // Change and cancel inside the lock period are refused, with the date.
    let change = serde_json::to_vec(
        &json!({"psn_no": LI.0, "filing_no": filing_no, "mdtrtarea_admdvs": "440300"}),
    )
    .unwrap();
    let r = rejected_reason(c.submit(Transaction::FilingChange, "M9", &change).unwrap());
    assert!(
        r.contains("180天内不能变更") && r.contains("2027-05-21"),
        "{r}"
    );
    // 王建国's seeded filing (2026-09-01) is locked; 段志明's (2025-03-01) is not.
    let cancel = |psn: &str, no: &str, msgid: &str| {
        let body = serde_json::to_vec(&json!({"psn_no": psn, "filing_no": no, "reason": "回原籍"}))
            .unwrap();
        c.submit(Transaction::FilingCancel, msgid, &body).unwrap()
    };
    let r = rejected_reason(cancel(WANG, "BA20260901000001", "M10"));
    assert!(r.contains("不能取消"), "{r}");
    // Somebody else's filing is not found.
    let r = rejected_reason(cancel(WANG, "BA20250301000002", "M11"));
    assert!(r.contains("未找到"), "{r}");
    let change = serde_json::to_vec(
        &json!({"psn_no": DUAN, "filing_no": "BA20250301000002", "mdtrtarea_admdvs": "460100"}),
    )
    .unwrap();
    let Submitted::Accepted(changed) = c.submit(Transaction::FilingChange, "M12", &change).unwrap()
    else {
        panic!()
    };
    assert_eq!(changed["status"], "1");
    let Submitted::Accepted(cancelled) = cancel(DUAN, "BA20250301000002", "M13") else {
        panic!()
    };
    assert_eq!(cancelled["status"], "3");
    let r = rejected_reason(cancel(DUAN, "BA20250301000002", "M14"));
    assert!(r.contains("已取消"), "{r}");
    // The query shows all of it.
    let filings = c.query_filings(DUAN).unwrap().filings;
    assert_eq!(filings.len(), 1);
    assert_eq!(filings[0].status, "3");
    assert_eq!(filings[0].mdtrtarea_admdvs, "460100");
    let li = c.query_filings(LI.0).unwrap().filings;
    assert_eq!(li.len(), 2);
    assert!(li.iter().any(|f| f.lock_until == "2027-05-21"));
}

#[test]
fn commands_are_idempotent_on_msgid() {
    let server = central(CentralOptions::default());
    let c = client(&server.url(), InfnoMap::defaults());
    let rating = serde_json::to_vec(&json!({"rating_id": "R-1", "service": "certificate", "score": 5, "rated_at": "2026-11-22 09:30:00"})).unwrap();
    let first = c
        .submit(Transaction::RatingUpload, "K1X500001", &rating)
        .unwrap();
    let again = c
        .submit(Transaction::RatingUpload, "K1X500001", &rating)
        .unwrap();
    assert_eq!(first, again);
    // The answer is lost after the centre applied it: the repeat gets it.
    server.central().faults().drop_after_commit_next(1);
    let rating2 = serde_json::to_vec(&json!({"rating_id": "R-2", "service": "filing", "score": 3, "rated_at": "2026-11-22 09:31:00"})).unwrap();
    assert!(matches!(
        c.submit(Transaction::RatingUpload, "K1X500002", &rating2),
        Err(Error::Unreachable(_))
    ));
    assert!(matches!(
        c.submit(Transaction::RatingUpload, "K1X500002", &rating2)
            .unwrap(),
        Submitted::Accepted(_)
    ));
    let rows: i64 = server
        .central()
        .query_db(|db| db.query_row("SELECT COUNT(*) FROM rating", [], |r| r.get(0)))
        .unwrap();
    assert_eq!(rows, 2);
    // A msgid reused for another input is refused, not answered with the
    // first message's answer.
    let other = serde_json::to_vec(&json!({"rating_id": "R-3", "service": "filing", "score": 1, "rated_at": "2026-11-22 09:32:00"})).unwrap();
    assert_eq!(
        c.submit(Transaction::RatingUpload, "K1X500001", &other)
            .unwrap(),
        Submitted::Rejected {
            code: MSGID_CONFLICT,
            reason: "报文编号已用于另一笔业务".into()
        }
    );
}

#[test]
fn reference_data_is_served_incrementally() {
    let server = central(CentralOptions::default());
    let c = client(&server.url(), InfnoMap::defaults());
    let first = c.reference_data("institutions", "").unwrap();
    // Every built-in institution, the generated sample included.
    assert_eq!(
        first.items.len(),
        kiosk_central::DemoData::builtin()
            .unwrap()
            .institutions
            .len()
    );
    assert!(!first.more);
    let v1 = first.version.clone();
    assert!(
        c.reference_data("institutions", &v1)
            .unwrap()
            .items
            .is_empty()
    );
    server
        .central()
        .publish_reference(
            "institutions",
            "H46010000009",
            "460100",
            &json!({"name": "新医院"}),
        )
        .unwrap();
    server
        .central()
        .retract_reference("institutions", "H11010000001")
        .unwrap();
    let delta = c.reference_data("institutions", &v1).unwrap();
    assert_eq!(delta.items.len(), 1);
    assert_eq!(delta.items[0].key, "H46010000009");
    assert_eq!(delta.deleted, ["H11010000001"]);
    let types = c.reference_data("insurance_types", "").unwrap();
    assert_eq!(types.items.len(), 7);
    assert!(matches!(
        c.reference_data("institutions", "x"),
        Err(Error::Refused { .. })
    ));
}

#[test]
fn state_survives_a_restart_of_the_centre_from_its_database() {
    let dir = tempfile::tempdir().unwrap();
    let options = CentralOptions {
        db: Some(dir.path().join("central.db")),
        ..CentralOptions::default()
    };
    let filing_no = {
        let server = central(options.clone());
        let c = client(&server.url(), InfnoMap::defaults());
        let Submitted::Accepted(out) = c
            .submit(
                Transaction::FilingSubmit,
                "P1",
                &filing(LI.0, LI.1, "2", "460100", ""),
            )
            .unwrap()
        else {
            panic!()
        };
        out["filing_no"].as_str().unwrap().to_string()
    };
    let server = central(options);
    let c = client(&server.url(), InfnoMap::defaults());
    let filings = c.query_filings(LI.0).unwrap().filings;
    assert_eq!(filings.len(), 1);
    assert_eq!(filings[0].filing_no, filing_no);
    // The repeat of the old message is still recognised.
    let again = c
        .submit(
            Transaction::FilingSubmit,
            "P1",
            &filing(LI.0, LI.1, "2", "460100", ""),
        )
        .unwrap();
    assert!(matches!(again, Submitted::Accepted(v) if v["filing_no"] == filing_no.as_str()));
    // The seed's filings were not duplicated by re-seeding.
    assert_eq!(c.query_filings(WANG).unwrap().filings.len(), 1);
}

#[test]
fn a_province_code_map_is_honoured_at_both_ends() {
    let mut cfg = BTreeMap::new();
    cfg.insert("filing_query".to_string(), "2562".to_string());
    let map = InfnoMap::from_config(&cfg).unwrap();
    let server = central(CentralOptions {
        infno: map.clone(),
        ..CentralOptions::default()
    });
    let c = client(&server.url(), map);
    assert_eq!(c.query_filings(WANG).unwrap().filings.len(), 1);
    // A kiosk with the default codes is refused by that centre.
    let plain = client(&server.url(), InfnoMap::defaults());
    assert!(matches!(
        plain.query_filings(WANG),
        Err(Error::Refused { infcode: -5, .. })
    ));
}

#[test]
fn refused_sign_numbers_and_http_errors_are_typed() {
    let server = central(CentralOptions::default());
    let c = client(&server.url(), InfnoMap::defaults());
    server.central().faults().set_refuse_sign_numbers(true);
    assert!(matches!(c.query_filings(WANG), Err(Error::SignIn(_))));
    server.central().faults().clear();
    server.central().faults().fail_next(1);
    assert_eq!(c.query_filings(WANG).unwrap().filings.len(), 1);
}

#[test]
fn region_profiles_are_published_once_per_change() {
    let server = central(CentralOptions::default());
    let c = client(&server.url(), InfnoMap::defaults());
    let empty = c.reference_data("region_profiles", "").unwrap();
    assert!(empty.items.is_empty());
    let text = "version = 2\n# a profile\n";
    let v = server
        .central()
        .publish_region_profile("jilin", 2, text)
        .unwrap();
    assert!(v.is_some());
    // The same text again: no new version.
    assert_eq!(
        server
            .central()
            .publish_region_profile("jilin", 2, text)
            .unwrap(),
        None
    );
    let page = c.reference_data("region_profiles", "").unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].key, "jilin");
    assert_eq!(page.items[0].data["version"], 2);
    assert_eq!(page.items[0].data["text"], text);
    assert!(
        c.reference_data("region_profiles", &page.version)
            .unwrap()
            .items
            .is_empty()
    );
}

fn chronic_change(cert: &str, slot: &str, code: &str, agnter: &str) -> Vec<u8> {
    serde_json::to_vec(&kiosk_sync::wire::ChronicChangeInput {
        psn_no: WANG.into(),
        cert_no: cert.into(),
        slot: slot.into(),
        fixmedins_code: code.into(),
        agnter: agnter.into(),
        agnt_authz: String::new(),
    })
    .unwrap()
}

/// Seed 000 A6 门诊特殊疾病病种待遇变更 / A7 门诊慢性病病种待遇变更 (L10951,
/// L11007) at the centre: KS17 lists the registered diseases with their
/// designated institutions; KS18 changes one at once (即办件) when the new
/// one is of the right kind, in the certification's city, at least 二级
/// for a special disease (000:L11002), and a proxy brings the written
/// authorisation.
#[test]
fn chronic_institution_change_000b_a6_a7_rules() {
    let server = central(CentralOptions::default());
    let c = client(&server.url(), InfnoMap::defaults());
    let listed = c
        .query_chronic(&kiosk_sync::wire::ChronicQueryInput {
            psn_no: WANG.into(),
        })
        .unwrap();
    assert_eq!(listed.conditions.len(), 2);
    let special = &listed.conditions[0];
    assert_eq!(special.kind, "special");
    assert_eq!(special.hosp_name, "吉林大学第一医院");
    let chronic = &listed.conditions[1];
    assert_eq!(chronic.phar_name, "长春大药房（人民大街店）");
    let submit =
        |msgid: &str, body: Vec<u8>| c.submit(Transaction::ChronicChange, msgid, &body).unwrap();
    // A 一级 hospital is refused for a special disease, accepted for a chronic one.
    let r = rejected_reason(submit(
        "C1",
        chronic_change(&special.cert_no, "hospital", "H22010000004", ""),
    ));
    assert!(r.contains("二级及以上"), "{r}");
    // A pharmacy in the hospital slot, a hospital of another city, the same one.
    let r = rejected_reason(submit(
        "C2",
        chronic_change(&special.cert_no, "hospital", "P22010000001", ""),
    ));
    assert!(r.contains("请选择医院"), "{r}");
    let r = rejected_reason(submit(
        "C3",
        chronic_change(&special.cert_no, "hospital", "H46010000001", ""),
    ));
    assert!(r.contains("统筹区"), "{r}");
    let r = rejected_reason(submit(
        "C4",
        chronic_change(&special.cert_no, "hospital", "H22010000002", ""),
    ));
    assert!(r.contains("相同"), "{r}");
    // A proxy without the written authorisation.
    let r = rejected_reason(submit(
        "C5",
        chronic_change(&special.cert_no, "hospital", "H22010000003", "王**"),
    ));
    assert!(r.contains("书面委托"), "{r}");
    let Submitted::Accepted(out) = submit(
        "C6",
        chronic_change(&special.cert_no, "hospital", "H22010000003", ""),
    ) else {
        panic!()
    };
    assert!(out["change_no"].as_str().unwrap().starts_with("MT20261122"));
    assert_eq!(out["condition"]["hosp_name"], "长春市中医院");
    let Submitted::Accepted(_) = submit(
        "C7",
        chronic_change(&chronic.cert_no, "hospital", "H22010000004", ""),
    ) else {
        panic!("a chronic disease may go to a 一级 hospital")
    };
    let listed = c
        .query_chronic(&kiosk_sync::wire::ChronicQueryInput {
            psn_no: WANG.into(),
        })
        .unwrap();
    assert_eq!(listed.conditions[0].hosp_code, "H22010000003");
    assert_eq!(listed.conditions[1].hosp_code, "H22010000004");
}

#[test]
fn answers_cut_mid_body_not_json_or_without_output_are_typed_and_a_cut_command_is_applied_once() {
    let server = central(CentralOptions::default());
    let c = client(&server.url(), InfnoMap::defaults());
    c.sign_in().unwrap();
    // Half an envelope, then the connection closes: the command is applied,
    // the answer lost; the repeat with the same msgid gets the stored one.
    let rating = serde_json::to_vec(&json!({"rating_id": "R-9", "service": "filing", "score": 4, "rated_at": "2026-11-22 09:30:00"})).unwrap();
    server.central().faults().cut_next(1, Some("KS21"));
    assert!(matches!(
        c.submit(Transaction::RatingUpload, "K1X500009", &rating),
        Err(Error::Unreachable(_))
    ));
    let repeats = server.central().repeats_answered();
    assert!(matches!(
        c.submit(Transaction::RatingUpload, "K1X500009", &rating)
            .unwrap(),
        Submitted::Accepted(_)
    ));
    assert_eq!(server.central().repeats_answered(), repeats + 1);
    let rows: i64 = server
        .central()
        .query_db(|db| db.query_row("SELECT COUNT(*) FROM rating", [], |r| r.get(0)))
        .unwrap();
    assert_eq!(rows, 1);
    // The filter: another transaction's answer is not cut.
    server.central().faults().cut_next(1, Some("KS11"));
    assert_eq!(c.query_filings(WANG).unwrap().filings.len(), 1);
    server.central().faults().clear();

    // A proxy's HTML page with HTTP 200: malformed, not retried.
    server.central().faults().garbage_next(1);
    assert!(matches!(c.query_filings(WANG), Err(Error::Malformed(_))));
    assert_eq!(c.query_filings(WANG).unwrap().filings.len(), 1);

    // infcode 0 without the output's fields: malformed, never a person
    // with empty fields.
    server.central().faults().hollow_next(1);
    let person = kiosk_core::identity::Credential::EVoucher {
        token: "ECV1-7Q2M4K9T3W8R5Y1B6N0P2D4F".into(),
    };
    assert!(matches!(
        c.fetch_insured_person(&person),
        Err(Error::Malformed(_))
    ));
    assert!(c.fetch_insured_person(&person).is_ok());
}

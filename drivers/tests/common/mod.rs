//! Sample documents (synthetic people) for the printer tests, the PNG
//! renders and the print benchmark.

#![allow(dead_code, clippy::expect_used, clippy::unwrap_used)]

use chrono::{NaiveDate, NaiveDateTime};
use kiosk_core::documents::{
    AgencyBlock, Bitmap, BusinessSlip, CertificateFacts, CertificateNumber, CommitmentLetterCopy,
    EnrollmentCertificate, FilingReceipt, SlipEnrollment,
};
use kiosk_core::money::Yuan;
use kiosk_core::region::{CertificateLayout, FilingKind, RegionProfile};

/// The demo certificate key (the real one comes from the centre).
pub const KEY: &[u8] = b"demo-kiosk-certificate-key-0001";

pub fn jilin() -> RegionProfile {
    RegionProfile::parse(
        "jilin.toml",
        include_str!("../../../data/regions/jilin.toml"),
    )
    .expect("jilin profile")
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

fn at(h: u32, min: u32) -> NaiveDateTime {
    date(2026, 11, 22).and_hms_opt(h, min, 0).expect("time")
}

pub fn facts(layout: CertificateLayout) -> CertificateFacts {
    let transfer = layout == CertificateLayout::Transfer;
    CertificateFacts {
        number: CertificateNumber {
            province: "吉林省".into(),
            pooling_area: "长春市".into(),
            pooling_area_code: "220100".into(),
            year: 2026,
            serial: 42,
        },
        generated_on: date(2026, 11, 22),
        name: "李秀兰".into(),
        id_number: "220203198508232046".into(),
        hukou_place: "吉林省吉林市龙潭区遵义东路56号".into(),
        hukou_type: "非农业户口".into(),
        insurance_type: "职工基本医疗保险".into(),
        area: "长春市".into(),
        from: date(2012, 7, 1),
        to: if transfer {
            Some(date(2026, 10, 1))
        } else {
            None
        },
        paid_months: 172,
        balance: "16800.32".parse::<Yuan>().expect("amount"),
        agency: transfer.then(|| AgencyBlock {
            name: "长春市社会医疗保险管理局".into(),
            address: "长春市南关区人民大街2088号".into(),
            area_code: "220100".into(),
            postcode: "130022".into(),
            contact: "关系转移接续窗口".into(),
            phone: "0431-12393".into(),
        }),
    }
}

pub fn certificate(layout: CertificateLayout) -> EnrollmentCertificate {
    certificate_for(layout, "李秀兰")
}

/// The certificate of a person called `name` (numbered and signed as
/// the centre would).
pub fn certificate_for(layout: CertificateLayout, name: &str) -> EnrollmentCertificate {
    let mut facts = facts(layout);
    facts.name = name.into();
    let profile = jilin();
    let texts = profile
        .documents()
        .certificate(layout)
        .expect("layout in profile");
    EnrollmentCertificate::issue(texts, &profile.documents().agency_name.text, facts, KEY)
        .expect("certificate")
}

pub fn slip() -> BusinessSlip {
    BusinessSlip {
        title: "吉林省医疗保险业务办理单".into(),
        business: "参保信息查询".into(),
        serial: "K220100001-26112209300101".into(),
        printed_at: at(9, 30),
        terminal_id: "K220100001".into(),
        hall_name: "长春市医疗保障服务大厅".into(),
        name: "李秀兰".into(),
        id_number_masked: "220203********2046".into(),
        proxy: None,
        enrollments: vec![SlipEnrollment {
            insurance_type: "职工基本医疗保险".into(),
            status: "正常参保".into(),
            payment: "实缴".into(),
            enrolled_from: "2012-07-01".into(),
            suspended_from: None,
            pooling_area: "长春市".into(),
            person_category: "在职".into(),
            employer: Some("长春市示例科技有限公司".into()),
            paid_months: 172,
            balance: "16800.32".parse().expect("amount"),
        }],
        facts: Vec::new(),
        notes: vec![
            "本单据仅记录本次查询结果，以医保经办机构记录为准。".into(),
            "缴费信息以税务部门确认为准。".into(),
        ],
    }
}

pub fn filing_receipt() -> FilingReceipt {
    let profile = jilin();
    let category = profile
        .filing_rules()
        .category(FilingKind::LongTermResident)
        .expect("category");
    FilingReceipt {
        title: "异地就医备案回执".into(),
        filing_number: "BA2201002026112200017".into(),
        filed_at: at(9, 41),
        terminal_id: "K220100001".into(),
        hall_name: "长春市医疗保障服务大厅".into(),
        name: "李秀兰".into(),
        id_number_masked: "220203********2046".into(),
        insured_area: "吉林省长春市".into(),
        category: category.label.clone(),
        area_of_care: "海南省三亚市".into(),
        effective_on: date(2026, 11, 22),
        validity: category.validity.text.clone(),
        institutions: vec![
            "三亚市人民医院".into(),
            "海南省第三人民医院".into(),
            "三亚中心医院（海南省第三人民医院）".into(),
        ],
        notes: vec![
            profile
                .filing_rules()
                .self_service_effect
                .as_ref()
                .map(|t| t.text.clone())
                .unwrap_or_default(),
            profile.filing_rules().notes[0].text.clone(),
        ],
    }
}

/// A synthetic signature: a few strokes, polylines three dots wide drawn
/// with embedded-graphics into a 320×96 bitmap.
pub fn signature() -> Bitmap {
    use embedded_graphics::pixelcolor::BinaryColor;
    use embedded_graphics::prelude::*;
    use embedded_graphics::primitives::{Polyline, PrimitiveStyle};
    let mut b = Bitmap::blank(320, 96).expect("bitmap");
    let mut stroke = |f: &dyn Fn(f64) -> (f64, f64)| {
        let points: Vec<Point> = (0..=120)
            .map(|i| f(f64::from(i) / 120.0))
            .map(|(x, y)| Point::new(x as i32, y as i32))
            .collect();
        Polyline::new(&points)
            .into_styled(PrimitiveStyle::with_stroke(BinaryColor::On, 3))
            .draw(&mut b)
            .expect("drawn");
    };
    // 李: a slanted flourish; 秀兰: loops and a long tail.
    stroke(&|t| (20.0 + 80.0 * t, 70.0 - 50.0 * t + 10.0 * (t * 12.0).sin()));
    stroke(&|t| {
        (
            60.0 + 20.0 * (t * std::f64::consts::TAU).cos() + 40.0 * t,
            45.0 + 25.0 * (t * std::f64::consts::TAU).sin(),
        )
    });
    stroke(&|t| (120.0 + 90.0 * t, 50.0 + 20.0 * (t * 18.0).sin() * (1.0 - t)));
    stroke(&|t| (200.0 + 100.0 * t, 60.0 + 15.0 * (t * 9.0).cos() - 20.0 * t));
    stroke(&|t| (30.0 + 260.0 * t, 85.0 - 4.0 * t));
    b
}

pub fn commitment_letter() -> CommitmentLetterCopy {
    commitment_letter_for("李秀兰")
}

/// The commitment letter copy signed by `name`.
pub fn commitment_letter_for(name: &str) -> CommitmentLetterCopy {
    let profile = jilin();
    let letter = profile
        .documents()
        .commitment_letter
        .as_ref()
        .expect("letter");
    CommitmentLetterCopy::new(
        letter,
        name,
        "女",
        "13904310123",
        "220203198508232046",
        "吉林省长春市",
        "海南省三亚市",
        "跨省异地长期居住人员",
        signature(),
        date(2026, 11, 22),
        "BA2201002026112200017",
    )
}

//! The demo data file: synthetic insured people the reference central
//! service answers for. Format documented in docs/demo-data.md.

use std::collections::{BTreeMap, HashSet};

use chrono::{NaiveDate, NaiveDateTime};
use rust_decimal::Decimal;
use serde::Deserialize;

use kiosk_core::enrollment::{EnrollmentStatus, InsuranceType};
use kiosk_core::identity::{IdNumber, parse_yyyymmdd};

use crate::Error;

/// Name of the built-in demo data file.
pub const BUILTIN_NAME: &str = "data/demo/people.toml";
/// Text of the built-in demo data file.
pub const BUILTIN_TEXT: &str = include_str!("../../../data/demo/people.toml");

/// The whole file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoData {
    /// Format version (1).
    pub version: u32,
    /// Pooling-area code → name.
    #[serde(default)]
    pub areas: BTreeMap<String, String>,
    /// Person category code → name.
    #[serde(default)]
    pub person_categories: BTreeMap<String, String>,
    /// The people.
    pub people: Vec<DemoPerson>,
    /// Designated institutions (定点医药机构) accepting remote-care
    /// settlement, per area: the `institutions` reference dataset.
    #[serde(default)]
    pub institutions: Vec<DemoInstitution>,
    /// Service guides (办事指南): the `service_guides` reference dataset.
    #[serde(default)]
    pub guides: Vec<DemoGuide>,
    /// Announcements (公告): the `announcements` reference dataset.
    #[serde(default)]
    pub announcements: Vec<DemoAnnouncement>,
    /// Pooling-area code → the agency (经办机构) that issues transfer
    /// certificates there.
    #[serde(default)]
    pub agencies: BTreeMap<String, DemoAgency>,
    /// The generated sample of designated institutions, appended to
    /// `institutions` when the file is parsed (hardware/central/src/sample.rs).
    #[serde(default)]
    pub institution_sample: Option<crate::sample::InstitutionSample>,
    /// The resident premium years (城乡居民医保个人缴费标准 and collection
    /// periods) of KS51–KS54.
    #[serde(default)]
    pub premium_years: Vec<PremiumYear>,
}

/// One year of the resident scheme's individual premium.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PremiumYear {
    /// The year paid for (the insurance year).
    pub year: i32,
    /// The individual premium 个人缴费标准 (> 0, 2 decimals at most).
    pub standard: Decimal,
    /// First day of the collection period 集中缴费期.
    pub period_begin: NaiveDate,
    /// Last day of the collection period (inclusive).
    pub period_end: NaiveDate,
}

impl PremiumYear {
    /// Whether `day` is within the collection period.
    pub fn is_open_on(&self, day: NaiveDate) -> bool {
        self.period_begin <= day && day <= self.period_end
    }
}

/// The kinds of government subsidy of the resident premium (资助, Social
/// Insurance Law art. 25; 医疗救助资助参保).
pub const SUBSIDY_KINDS: [&str; 5] = [
    "低保对象",
    "特困人员",
    "丧失劳动能力的残疾人",
    "低收入家庭60周岁以上老年人",
    "未成年人",
];

/// A person's government subsidy of the resident premium: paid for them
/// every year, the person pays `standard - amount`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PremiumSubsidy {
    /// One of [`SUBSIDY_KINDS`].
    pub kind: String,
    /// Paid by the subsidy (> 0, at most every year's standard).
    pub amount: Decimal,
}

/// A medical-insurance agency (经办机构): the issuing block of the transfer
/// certificate.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoAgency {
    /// 机构名称.
    pub name: String,
    /// 地址.
    pub address: String,
    /// 邮政编码.
    pub postcode: String,
    /// 联系人 (a desk, not a private person).
    pub contact: String,
    /// 联系电话.
    pub phone: String,
}

/// A designated institution.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoInstitution {
    /// Institution code (fixmedins_code), unique.
    pub code: String,
    /// Name.
    pub name: String,
    /// Area code (must be in `[areas]`).
    pub area: String,
    /// Hospital level (三级甲等, ...).
    #[serde(default)]
    pub level: String,
    /// Accepts direct settlement of remote care (default true).
    #[serde(default = "yes")]
    pub remote_settlement: bool,
    /// `hospital`, `pharmacy` or `clinic` (default hospital).
    #[serde(default = "hospital")]
    pub kind: String,
    /// Address (may be empty).
    #[serde(default)]
    pub address: String,
    /// Telephone (may be empty).
    #[serde(default)]
    pub phone: String,
}

fn hospital() -> String {
    "hospital".to_string()
}

/// A service guide.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoGuide {
    /// Guide id, unique.
    pub id: String,
    /// Title.
    pub title: String,
    /// Text.
    pub body: String,
}

/// An announcement.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoAnnouncement {
    /// Announcement id, unique.
    pub id: String,
    /// Title.
    pub title: String,
    /// Text.
    pub body: String,
    /// Date published.
    pub published_on: NaiveDate,
}

/// An existing remote-care filing (异地就医备案) of a person.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoFiling {
    /// Filing number, unique in the file.
    pub filing_no: String,
    /// Filing type: 1 resettled retiree, 2 long-term resident, 3 stationed
    /// worker, 4 temporary trip, 5 referral.
    pub filing_type: String,
    /// Area of care (must be in `[areas]`).
    pub destination: String,
    /// Start date.
    pub start: NaiveDate,
    /// End date (none for open-ended long-term filings).
    #[serde(default)]
    pub end: Option<NaiveDate>,
    /// Date the centre accepted it (the lock period counts from here).
    pub filed_on: NaiveDate,
    /// 1 valid, 3 cancelled (default 1).
    #[serde(default = "valid")]
    pub status: String,
}

/// A run of months with the same contribution (缴费), expanded month by
/// month by the KS02 contribution history.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoContribution {
    /// First month, `YYYY-MM`.
    pub from: String,
    /// Last month, `YYYY-MM`.
    pub to: String,
    /// Contribution base.
    pub base: Decimal,
    /// Paid by the person each month.
    pub personal: Decimal,
    /// Paid by the employer each month (default 0).
    #[serde(default)]
    pub employer: Decimal,
    /// Credited to the personal account each month (default 0).
    #[serde(default)]
    pub account: Decimal,
    /// The months are due and not paid (interrupted payment).
    #[serde(default)]
    pub unpaid: bool,
}

impl DemoContribution {
    /// The months of the run as `(year, month)`, oldest first (bounded to 600).
    pub fn months(&self) -> Vec<(i32, u32)> {
        let (Some(from), Some(to)) = (year_month(&self.from), year_month(&self.to)) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let (mut y, mut m) = from;
        while (y, m) <= to && out.len() < 600 {
            out.push((y, m));
            m += 1;
            if m > 12 {
                m = 1;
                y += 1;
            }
        }
        out
    }
}

/// Parses `YYYY-MM`.
pub fn year_month(text: &str) -> Option<(i32, u32)> {
    let (y, m) = text.split_once('-')?;
    let y: i32 = y.parse().ok()?;
    let m: u32 = m.parse().ok()?;
    ((1900..=2200).contains(&y) && (1..=12).contains(&m)).then_some((y, m))
}

fn yes() -> bool {
    true
}

fn valid() -> String {
    "1".to_string()
}

/// One synthetic insured person.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoPerson {
    /// 人员编号.
    pub person_number: String,
    /// 姓名.
    pub name: String,
    /// Sex code (1 male, 2 female).
    pub sex: String,
    /// GB 3304 ethnic group code, two digits (empty for non-residents).
    #[serde(default)]
    pub nation: String,
    /// Birth date.
    pub birth_date: NaiveDate,
    /// Document kind (`psn_cert_type`): 01 resident ID card, 17 residence permit, ...
    pub id_kind: String,
    /// Document number.
    pub id_number: String,
    /// Address on the ID card.
    #[serde(default)]
    pub address: String,
    /// Issuing authority of the ID card.
    #[serde(default)]
    pub issuer: String,
    /// 户籍所在地 (default: the ID card address).
    #[serde(default)]
    pub hukou_place: Option<String>,
    /// 户籍类型 (居民户口, 农业户口, …).
    #[serde(default)]
    pub hukou_type: String,
    /// ID card valid from (`YYYY-MM-DD`).
    #[serde(default)]
    pub id_valid_from: Option<NaiveDate>,
    /// ID card valid to (`YYYY-MM-DD` or 长期).
    #[serde(default)]
    pub id_valid_to: Option<String>,
    /// The social security card, if the person has one.
    #[serde(default)]
    pub card: Option<DemoCard>,
    /// E-voucher tokens that resolve to this person.
    #[serde(default)]
    pub evouchers: Vec<DemoEVoucher>,
    /// One record per insurance type.
    #[serde(default)]
    pub insurance: Vec<DemoInsurance>,
    /// Existing remote-care filings.
    #[serde(default)]
    pub filings: Vec<DemoFiling>,
    /// Registered outpatient chronic and special diseases (门诊慢特病).
    #[serde(default)]
    pub chronic: Vec<DemoChronic>,
    /// Settlements (结算) of the person's care: KS07 answers them, and
    /// their personal-account parts are debits of KS06.
    #[serde(default)]
    pub settlements: Vec<DemoSettlement>,
    /// Family mutual aid (家庭共济) paid from the person's personal
    /// account for a family member: debits of KS06.
    #[serde(default)]
    pub mutual_aid: Vec<DemoMutualAid>,
    /// Government subsidy of the resident premium (resident scheme 390
    /// only).
    #[serde(default)]
    pub premium_subsidy: Option<PremiumSubsidy>,
}

/// One settlement of care at a designated institution.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoSettlement {
    /// Settlement id 结算流水号, unique in the file.
    pub id: String,
    /// When it was settled.
    pub at: NaiveDateTime,
    /// Institution code (an institution of the data, sample ones too).
    pub institution: String,
    /// `11` outpatient, `14` chronic outpatient, `21` inpatient, `41`
    /// pharmacy.
    pub med_type: String,
    /// Total medical cost.
    pub total: Decimal,
    /// Paid by the funds.
    pub fund: Decimal,
    /// Paid from the personal account (employee basic insurance only).
    #[serde(default)]
    pub account: Decimal,
    /// Paid in cash.
    pub cash: Decimal,
    /// `settled`, `clearing`, `cleared` or `reversed` (default settled). A
    /// reversed settlement's account part is refunded the same day.
    #[serde(default = "settled")]
    pub status: String,
}

fn settled() -> String {
    "settled".to_string()
}

/// One family mutual aid payment.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoMutualAid {
    /// When it was paid.
    pub date: NaiveDate,
    /// Amount paid from the account (positive).
    pub amount: Decimal,
    /// The family member's relation (母亲, 子女, ...); never a name.
    pub relation: String,
    /// Institution code where the family member was treated.
    pub institution: String,
}

/// A registered outpatient chronic or special disease and its
/// designated institutions.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoChronic {
    /// Certification number, unique.
    pub cert_no: String,
    /// `chronic` or `special`.
    pub kind: String,
    /// Disease name.
    pub disease: String,
    /// Pooling area of the certification (in `[areas]`).
    pub area: String,
    /// Certified on.
    pub certified_on: chrono::NaiveDate,
    /// Designated hospital (an institution code of the data).
    pub hospital: String,
    /// Designated pharmacy (an institution code), if any.
    #[serde(default)]
    pub pharmacy: String,
}

impl std::fmt::Debug for DemoPerson {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DemoPerson")
            .field("person_number", &self.person_number)
            .finish_non_exhaustive()
    }
}

/// A social security card.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoCard {
    /// 卡号 (9 characters).
    pub card_number: String,
    /// 卡识别码.
    pub card_sn: String,
}

/// An e-voucher token with its expiry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoEVoucher {
    /// The token the QR code carries.
    pub token: String,
    /// When it stops resolving.
    pub expires_at: NaiveDateTime,
}

/// One insurance type of a person.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoInsurance {
    /// Insurance type code (310, 390, ...).
    pub insutype: String,
    /// Person category code.
    pub psn_type: String,
    /// Enrollment status code (1 normal, 2 suspended, 4 terminated).
    pub status: String,
    /// Payment status code (1 assessed, 2 paid, 3 interrupted); default 2.
    #[serde(default = "paid")]
    pub payment: String,
    /// Enrolled since.
    pub enrolled_from: NaiveDate,
    /// Suspended or terminated since.
    #[serde(default)]
    pub suspended_from: Option<NaiveDate>,
    /// Pooling-area code.
    pub pooling_area: String,
    /// Employer name.
    #[serde(default)]
    pub employer: String,
    /// Personal account balance.
    pub balance: Decimal,
    /// Cumulative paid months.
    pub paid_months: u32,
    /// Contribution history, as runs of equal months.
    #[serde(default)]
    pub contributions: Vec<DemoContribution>,
    /// First month (`YYYY-MM`) of the personal account statement the
    /// centre answers (KS06); older months are archived and the centre
    /// refers the person to the counter. Absent: every month of the data.
    #[serde(default)]
    pub account_since: Option<String>,
}

fn paid() -> String {
    "2".to_string()
}

impl DemoData {
    /// Parses and checks a demo data file. `file_name` only names the file in errors.
    pub fn parse(file_name: &str, text: &str) -> Result<DemoData, Error> {
        let mut data: DemoData = toml::from_str(text).map_err(|e| Error::DemoData {
            file: file_name.to_string(),
            line: e.span().map(|s| line_of(text, s.start)).unwrap_or_default(),
            reason: e.message().to_string(),
        })?;
        if let Some(sample) = &data.institution_sample {
            data.institutions.extend(crate::sample::generate(sample));
        }
        data.check(file_name)?;
        Ok(data)
    }

    /// The institution with this code, if the data has it.
    pub fn institution(&self, code: &str) -> Option<&DemoInstitution> {
        self.institutions.iter().find(|i| i.code == code)
    }

    /// The demo people shipped with the kiosk (data/demo/people.toml).
    pub fn builtin() -> Result<DemoData, Error> {
        DemoData::parse(BUILTIN_NAME, BUILTIN_TEXT)
    }

    fn check(&self, file: &str) -> Result<(), Error> {
        let fail = |who: &str, reason: String| Error::DemoData {
            file: file.to_string(),
            line: 0,
            reason: format!("person {who}: {reason}"),
        };
        if self.version != 1 {
            return Err(Error::DemoData {
                file: file.to_string(),
                line: 0,
                reason: format!("unsupported version {}", self.version),
            });
        }
        let mut numbers = HashSet::new();
        let mut documents = HashSet::new();
        let mut tokens = HashSet::new();
        let mut filing_numbers = HashSet::new();
        for p in &self.people {
            let who = p.person_number.as_str();
            if !numbers.insert(p.person_number.clone()) {
                return Err(fail(who, "person_number appears twice".into()));
            }
            if !documents.insert(p.id_number.clone()) {
                return Err(fail(who, "id_number appears twice".into()));
            }
            if matches!(p.id_kind.as_str(), "01" | "17") {
                let id = IdNumber::parse(&p.id_number)
                    .map_err(|e| fail(who, format!("id_number invalid: {e}")))?;
                if id.birth_date() != p.birth_date {
                    return Err(fail(who, "birth_date differs from id_number".into()));
                }
            }
            if !matches!(p.sex.as_str(), "1" | "2") {
                return Err(fail(who, format!("sex must be 1 or 2, not {}", p.sex)));
            }
            if let Some(valid_to) = &p.id_valid_to
                && valid_to != "长期"
                && NaiveDate::parse_from_str(valid_to, "%Y-%m-%d").is_err()
            {
                return Err(fail(who, "id_valid_to must be YYYY-MM-DD or 长期".into()));
            }
            for v in &p.evouchers {
                if !tokens.insert(v.token.clone()) {
                    return Err(fail(who, "e-voucher token appears twice".into()));
                }
            }
            for i in &p.insurance {
                if InsuranceType::from_code(&i.insutype).is_none() {
                    return Err(fail(who, format!("unknown insutype {}", i.insutype)));
                }
                if EnrollmentStatus::from_wire(&i.status).is_none() {
                    return Err(fail(who, format!("unknown status {}", i.status)));
                }
                if !self.areas.contains_key(&i.pooling_area) {
                    return Err(fail(
                        who,
                        format!("pooling_area {} not in [areas]", i.pooling_area),
                    ));
                }
                if i.balance.scale() > 2 {
                    return Err(fail(who, "balance has more than 2 decimals".into()));
                }
                for c in &i.contributions {
                    match (year_month(&c.from), year_month(&c.to)) {
                        (Some(from), Some(to)) if from <= to => {}
                        _ => {
                            return Err(fail(
                                who,
                                "contribution from/to must be YYYY-MM, from <= to".into(),
                            ));
                        }
                    }
                }
            }
            for f in &p.filings {
                if !filing_numbers.insert(f.filing_no.clone()) {
                    return Err(fail(who, format!("filing {} appears twice", f.filing_no)));
                }
                if !matches!(f.filing_type.as_str(), "1" | "2" | "3" | "4" | "5") {
                    return Err(fail(who, "filing_type must be 1-5".into()));
                }
                if !matches!(f.status.as_str(), "1" | "3") {
                    return Err(fail(who, "filing status must be 1 or 3".into()));
                }
                if !self.areas.contains_key(&f.destination) {
                    return Err(fail(
                        who,
                        format!("destination {} not in [areas]", f.destination),
                    ));
                }
            }
        }
        let mut codes = HashSet::new();
        for i in &self.institutions {
            if !codes.insert(i.code.clone()) || !self.areas.contains_key(&i.area) {
                return Err(Error::DemoData {
                    file: file.to_string(),
                    line: 0,
                    reason: format!(
                        "institution {}: duplicate code or area not in [areas]",
                        i.code
                    ),
                });
            }
        }
        let mut certs = HashSet::new();
        for p in &self.people {
            for c in &p.chronic {
                let known = |code: &str, kind: &str| {
                    self.institutions
                        .iter()
                        .any(|i| i.code == code && i.kind == kind)
                };
                let ok = certs.insert(c.cert_no.clone())
                    && matches!(c.kind.as_str(), "chronic" | "special")
                    && self.areas.contains_key(&c.area)
                    && known(&c.hospital, "hospital")
                    && (c.pharmacy.is_empty() || known(&c.pharmacy, "pharmacy"));
                if !ok {
                    return Err(Error::DemoData {
                        file: file.to_string(),
                        line: 0,
                        reason: format!(
                            "chronic {}: duplicate number, kind not chronic/special, area not in [areas], or an institution that is not a listed hospital / pharmacy",
                            c.cert_no
                        ),
                    });
                }
            }
        }
        self.check_ledgers(file)?;
        self.check_premiums(file)
    }

    /// Premium years: unique, a period that begins before it ends, periods
    /// that do not overlap, a standard > 0; subsidies of a known kind, for
    /// resident-scheme members only, > 0 and at most every year's standard.
    fn check_premiums(&self, file: &str) -> Result<(), Error> {
        let fail = |reason: String| Error::DemoData {
            file: file.to_string(),
            line: 0,
            reason,
        };
        let money = |d: &Decimal| !d.is_sign_negative() && !d.is_zero() && d.scale() <= 2;
        let mut years: Vec<&PremiumYear> = self.premium_years.iter().collect();
        years.sort_by_key(|y| y.period_begin);
        let mut seen = HashSet::new();
        for (i, y) in years.iter().enumerate() {
            if !seen.insert(y.year) {
                return Err(fail(format!("premium year {} appears twice", y.year)));
            }
            if y.period_begin > y.period_end {
                return Err(fail(format!(
                    "premium year {}: period_begin after period_end",
                    y.year
                )));
            }
            if !money(&y.standard) {
                return Err(fail(format!(
                    "premium year {}: standard must be > 0 with at most 2 decimals",
                    y.year
                )));
            }
            if let Some(next) = years.get(i + 1)
                && next.period_begin <= y.period_end
            {
                return Err(fail(format!(
                    "premium years {} and {}: collection periods overlap",
                    y.year, next.year
                )));
            }
        }
        for p in &self.people {
            let Some(s) = &p.premium_subsidy else {
                continue;
            };
            let who = p.person_number.as_str();
            if !SUBSIDY_KINDS.contains(&s.kind.as_str()) {
                return Err(fail(format!(
                    "person {who}: premium_subsidy kind must be one of {}",
                    SUBSIDY_KINDS.join(", ")
                )));
            }
            if !p.insurance.iter().any(|i| i.insutype == "390") {
                return Err(fail(format!(
                    "person {who}: premium_subsidy without resident insurance (390)"
                )));
            }
            if !money(&s.amount) {
                return Err(fail(format!(
                    "person {who}: premium_subsidy amount must be > 0 with at most 2 decimals"
                )));
            }
            if let Some(y) = self.premium_years.iter().find(|y| s.amount > y.standard) {
                return Err(fail(format!(
                    "person {who}: premium_subsidy amount above the {} standard {}",
                    y.year, y.standard
                )));
            }
        }
        Ok(())
    }

    /// The premium year `year`, if the data has it.
    pub fn premium_year(&self, year: i32) -> Option<&PremiumYear> {
        self.premium_years.iter().find(|y| y.year == year)
    }

    /// Settlements add up, name known institutions and codes, and a
    /// person's account parts exist only with a personal account whose
    /// balance the entries reach without going below zero.
    fn check_ledgers(&self, file: &str) -> Result<(), Error> {
        let fail = |who: &str, reason: String| Error::DemoData {
            file: file.to_string(),
            line: 0,
            reason: format!("person {who}: {reason}"),
        };
        let known = |code: &str| self.institution(code).is_some();
        let money = |d: &Decimal| !d.is_sign_negative() && d.scale() <= 2;
        let mut ids = HashSet::new();
        for p in &self.people {
            let who = p.person_number.as_str();
            let account = crate::ledger::account_of(p);
            for s in &p.settlements {
                let what = format!("settlement {}", s.id);
                if !ids.insert(s.id.clone()) {
                    return Err(fail(who, format!("{what} appears twice")));
                }
                if !known(&s.institution) {
                    return Err(fail(
                        who,
                        format!("{what}: unknown institution {}", s.institution),
                    ));
                }
                if !matches!(s.med_type.as_str(), "11" | "14" | "21" | "41")
                    || !matches!(
                        s.status.as_str(),
                        "settled" | "clearing" | "cleared" | "reversed"
                    )
                {
                    return Err(fail(
                        who,
                        format!(
                            "{what}: med_type must be 11/14/21/41, status settled/clearing/cleared/reversed"
                        ),
                    ));
                }
                if ![s.total, s.fund, s.account, s.cash].iter().all(money)
                    || s.fund + s.account + s.cash != s.total
                {
                    return Err(fail(
                        who,
                        format!(
                            "{what}: amounts must be >= 0 with 2 decimals and fund + account + cash = total"
                        ),
                    ));
                }
                if !s.account.is_zero() && account.is_none() {
                    return Err(fail(
                        who,
                        format!("{what}: an account part without employee basic insurance (310)"),
                    ));
                }
            }
            for a in &p.mutual_aid {
                if account.is_none()
                    || !known(&a.institution)
                    || a.relation.is_empty()
                    || !money(&a.amount)
                    || a.amount.is_zero()
                {
                    return Err(fail(
                        who,
                        format!(
                            "mutual aid of {}: needs employee basic insurance (310), a known institution, a relation and an amount > 0",
                            a.date
                        ),
                    ));
                }
            }
            if let Some(ins) = account {
                if ins
                    .account_since
                    .as_deref()
                    .is_some_and(|m| year_month(m).is_none())
                {
                    return Err(fail(who, "account_since must be YYYY-MM".into()));
                }
                let all = crate::ledger::entries(self, p, NaiveDate::MAX);
                if crate::ledger::lowest(ins.balance, &all).is_sign_negative() {
                    return Err(fail(
                        who,
                        "the personal account would go below zero before reaching balance: raise balance or account_since".into(),
                    ));
                }
            }
        }
        Ok(())
    }

    /// The ID card fields of a person as `YYYYMMDD` strings, for simulators.
    pub fn id_valid_to_compact(person: &DemoPerson) -> String {
        match person.id_valid_to.as_deref() {
            Some("长期") | None => "长期".to_string(),
            Some(date) => date.replace('-', ""),
        }
    }

    /// Finds a person by document number.
    pub fn by_id_number(&self, number: &str) -> Option<&DemoPerson> {
        self.people.iter().find(|p| p.id_number == number)
    }
}

/// Checks a `YYYYMMDD` text (used by tests of the demo data).
pub fn is_compact_date(text: &str) -> bool {
    parse_yyyymmdd(text).is_some()
}

fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset)
        .map(|prefix| prefix.matches('\n').count() + 1)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_data_loads_and_covers_the_needed_cases() {
        let data = DemoData::builtin().unwrap();
        assert!(data.people.len() >= 8);
        let statuses: HashSet<&str> = data
            .people
            .iter()
            .flat_map(|p| p.insurance.iter().map(|i| i.status.as_str()))
            .collect();
        assert!(statuses.contains("1") && statuses.contains("2") && statuses.contains("4"));
        assert!(data.people.iter().any(|p| p.card.is_some()));
        assert!(data.people.iter().any(|p| !p.evouchers.is_empty()));
    }

    #[test]
    fn builtin_data_has_contributions_filings_and_reference_data() {
        let data = DemoData::builtin().unwrap();
        let contributions: Vec<&DemoContribution> = data
            .people
            .iter()
            .flat_map(|p| p.insurance.iter().flat_map(|i| i.contributions.iter()))
            .collect();
        assert!(contributions.iter().any(|c| c.unpaid));
        assert_eq!(contributions[0].months().len(), 12);
        let filings: Vec<&DemoFiling> = data.people.iter().flat_map(|p| p.filings.iter()).collect();
        assert!(filings.len() >= 2);
        assert!(!data.institutions.is_empty() && !data.guides.is_empty());
        assert!(!data.announcements.is_empty());
    }

    #[test]
    fn bad_filings_and_contributions_are_refused() {
        let text = BUILTIN_TEXT.replace("destination = \"460100\"", "destination = \"999999\"");
        let err = DemoData::parse("x.toml", &text).unwrap_err().to_string();
        assert!(err.contains("destination 999999"), "{err}");
        let text = BUILTIN_TEXT.replace("from = \"2025-01\"", "from = \"2025-13\"");
        let err = DemoData::parse("x.toml", &text).unwrap_err().to_string();
        assert!(err.contains("YYYY-MM"), "{err}");
        assert_eq!(year_month("2026-02"), Some((2026, 2)));
        assert_eq!(year_month("2026-2x"), None);
    }

    #[test]
    fn premium_years_and_subsidies_are_checked() {
        let data = DemoData::builtin().unwrap();
        assert_eq!(
            data.premium_year(2027).unwrap().standard.to_string(),
            "400.00"
        );
        let zhang = data.people.iter().find(|p| p.name == "张德福").unwrap();
        assert_eq!(
            zhang.premium_subsidy.as_ref().unwrap().amount.to_string(),
            "200.00"
        );
        let refused = |from: &str, to: &str, expected: &str| {
            assert!(BUILTIN_TEXT.contains(from), "{from}");
            let text = BUILTIN_TEXT.replace(from, to);
            let err = DemoData::parse("x.toml", &text).unwrap_err().to_string();
            assert!(err.contains(expected), "{err}");
        };
        refused(
            "period_begin = \"2026-09-01\"",
            "period_begin = \"2026-02-01\"",
            "overlap",
        );
        refused(
            "period_end = \"2027-02-28\"",
            "period_end = \"2026-08-31\"",
            "period_begin after period_end",
        );
        refused(
            "standard = \"420.00\"",
            "standard = \"0.00\"",
            "standard must be > 0",
        );
        refused("year = 2028", "year = 2027", "appears twice");
        refused(
            "amount = \"200.00\" }",
            "amount = \"390.00\" }",
            "above the 2026 standard",
        );
        refused(
            "kind = \"低收入家庭60周岁以上老年人\"",
            "kind = \"其他\"",
            "kind must be one of",
        );
        // A subsidy needs the resident scheme.
        refused(
            "hukou_type = \"农业户口\"\nissuer = \"四平市公安局铁西分局\"",
            "hukou_type = \"农业户口\"\nissuer = \"四平市公安局铁西分局\"\npremium_subsidy = { kind = \"低保对象\", amount = \"10.00\" }",
            "without resident insurance",
        );
    }

    #[test]
    fn a_bad_id_number_names_the_person() {
        let text = include_str!("../../../data/demo/people.toml")
            .replace("220102196205141234", "220102196205141235");
        let err = DemoData::parse("x.toml", &text).unwrap_err().to_string();
        assert!(err.contains("22010000000001"), "{err}");
    }

    #[test]
    fn a_syntax_error_names_the_line() {
        let err = DemoData::parse("x.toml", "version = 1\npeople = [\n  { name = }\n]")
            .unwrap_err()
            .to_string();
        assert!(err.contains("x.toml") && err.contains("line 3"), "{err}");
    }
}

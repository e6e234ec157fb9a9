//! The data of a region profile, as it is written in `data/regions/*.toml`.
//!
//! Keys are English (see the glossary); values shown to citizens are the
//! seeds' own Chinese wording. Every struct rejects unknown keys so that a
//! typo in a profile stops the load instead of being ignored.

use chrono::{NaiveTime, Weekday};
use serde::{Deserialize, Serialize};

use super::source::Source;
use crate::{tr, tr_mark};

/// A value together with the document it comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Param<T> {
    /// The value.
    pub value: T,
    /// Where the value comes from (seed line or national default).
    pub source: Source,
}

/// A text shown or printed by the kiosk, with its source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourcedText {
    /// The text, in the seed's wording.
    pub text: String,
    /// Where the text comes from.
    pub source: Source,
}

/// A keyed rule text (used for explanation texts).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleText {
    /// Stable key the code refers to (unique within its list).
    pub key: String,
    /// Short Chinese label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// The text, in the seed's wording.
    pub text: String,
    /// Where the text comes from.
    pub source: Source,
}

/// The identity of the region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionInfo {
    /// Identifier used in the kiosk configuration (`jilin`, `linkou`, …).
    pub id: String,
    /// Chinese name of the region.
    pub name: String,
    /// GB/T 2260 administrative codes the region covers.
    pub area_codes: Vec<String>,
    /// Where the area codes come from.
    pub area_codes_source: Source,
    /// The identity credentials accepted for personal items.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials: Option<SourcedText>,
    /// What counts as a valid identity document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_documents: Option<SourcedText>,
    /// The general proxy (代办) rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy_rule: Option<SourcedText>,
    /// Operator notes about the profile (not shown to citizens).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// A seed document the profile was extracted from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Seed {
    /// Short id used in sources (`000`, `001`, …).
    pub id: String,
    /// File name of the seed text.
    pub file: String,
    /// Title of the document.
    pub title: String,
    /// Issuing body, when the document names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// Date or period of the document as printed (may be approximate).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
}

/// A telephone line of the region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hotline {
    /// The number as printed (`12393`, `0453-3536066`).
    pub number: String,
    /// What the line is for.
    pub label: String,
    /// Where it comes from.
    pub source: Source,
}

/// A pooling area (统筹区).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoolingArea {
    /// Identifier used by offices of the profile.
    pub id: String,
    /// GB/T 2260 code, when the area is an administrative division.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Chinese name.
    pub name: String,
    /// Where the area (and its code) comes from.
    pub source: Source,
}

/// Kind of a telephone line of an office.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PhoneKind {
    /// 咨询电话
    Consult,
    /// 监督电话
    Supervision,
}

/// A telephone line of an office.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Phone {
    /// The number as printed.
    pub number: String,
    /// Consultation or supervision.
    pub kind: PhoneKind,
    /// What the line is for, when the seed says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

/// Which part of the year a set of opening hours applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Season {
    /// The whole year.
    All,
    /// 夏季 (the seeds do not say when summer hours start).
    Summer,
    /// 冬季.
    Winter,
}

/// One opening period (e.g. the morning session).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpeningPeriod {
    /// Season the period applies to.
    pub season: Season,
    /// Opening time, `HH:MM`.
    #[serde(with = "hhmm")]
    pub open: NaiveTime,
    /// Closing time, `HH:MM`.
    #[serde(with = "hhmm")]
    pub close: NaiveTime,
}

/// Opening hours of an office.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpeningHours {
    /// The seed's wording, shown as is.
    pub text: String,
    /// Days the office is open.
    pub days: Vec<Weekday>,
    /// Opening periods; several per season when there is a lunch break.
    pub periods: Vec<OpeningPeriod>,
}

impl OpeningHours {
    /// Whether the office is open at `time` on `day` in `season`
    /// (periods marked [`Season::All`] apply in every season).
    pub fn is_open(&self, day: Weekday, time: NaiveTime, season: Season) -> bool {
        self.days.contains(&day)
            && self.periods.iter().any(|p| {
                (p.season == Season::All || p.season == season) && p.open <= time && time < p.close
            })
    }

    /// Whether summer and winter hours differ.
    pub fn is_seasonal(&self) -> bool {
        self.periods.iter().any(|p| p.season != Season::All)
    }
}

/// An agency office or service window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Office {
    /// Identifier referenced by service items.
    pub id: String,
    /// The area column of the seed (`省直`, `长春`, …).
    pub area: String,
    /// Pooling area id, when the office belongs to one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pooling_area: Option<String>,
    /// Agency name, when the seed gives it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agency: Option<String>,
    /// Address of the window.
    pub address: String,
    /// Window numbers (seed 001).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub windows: Vec<String>,
    /// Opening hours, when the seed gives them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours: Option<OpeningHours>,
    /// Address of the online hall (网上大厅).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub online_hall: Option<String>,
    /// WeChat official account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wechat: Option<String>,
    /// Telephone lines.
    #[serde(default)]
    pub phones: Vec<Phone>,
    /// Operator notes (OCR doubts and the like).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Where the office comes from.
    pub source: Source,
}

/// 办件类型.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProcessingType {
    /// 即办件: completed on the spot.
    Instant,
    /// 承诺件: completed within a promised number of working days.
    Promised,
}

impl ProcessingType {
    /// The Chinese term.
    pub fn label(self) -> &'static str {
        match self {
            ProcessingType::Instant => tr_mark!("即办件"),
            ProcessingType::Promised => tr_mark!("承诺件"),
        }
    }
}

/// What the kiosk can do for an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KioskAction {
    /// Look something up for the citizen (status, records).
    Query,
    /// Print a document (slip, certificate).
    Print,
    /// File the application on the kiosk.
    File,
    /// Only show the service guide.
    Guide,
}

/// Materials that apply to one case of an item (e.g. 续保 / 停保).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MaterialCase {
    /// The case, in the seed's words.
    pub case: String,
    /// Materials of the case.
    pub materials: Vec<String>,
}

/// One step of the process (办理流程).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProcessStep {
    /// Branch of the process (`本地`, `异地`, `普通疾病转诊转院`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    /// Step name (`申请`, `受理`, …).
    pub step: String,
    /// What happens, in the seed's words (seed 001 names the steps only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// A service item (办事事项) and its guide.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceItem {
    /// Unique key within the profile (`JL18`, `LK10`, `YN13`).
    pub code: String,
    /// Number of the guide in the seed's table of contents (seed 000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guide: Option<u16>,
    /// The main item (主项) the item belongs to, when the seed groups items.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Name of the item.
    pub name: String,
    /// The seed's basic code (基本编码 / 子项编码); not unique in seed 000.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basic_code: Option<String>,
    /// Seed line of the item's name.
    pub source: Source,
    /// 服务对象.
    pub service_object: String,
    /// 办件类型, when the seed states it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub processing: Option<ProcessingType>,
    /// 办理时限, in the seed's words.
    pub time_limit: String,
    /// The longest stated limit in working days, when the limit is counted so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub working_days: Option<u16>,
    /// 办理形式 / 办理方式.
    #[serde(default)]
    pub channels: Vec<String>,
    /// Offices handling the item; empty means every office of the profile.
    #[serde(default)]
    pub offices: Vec<String>,
    /// Item-specific telephone lines (seed 001).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub phones: Vec<String>,
    /// What the kiosk can do.
    pub kiosk: Vec<KioskAction>,
    /// 申请条件.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditions: Option<String>,
    /// 申报材料 that apply in every case.
    #[serde(default)]
    pub materials: Vec<String>,
    /// Materials that depend on the case.
    #[serde(default)]
    pub material_cases: Vec<MaterialCase>,
    /// The proxy (代办) rule of the item, when the seed states one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy: Option<String>,
    /// 办理流程.
    #[serde(default)]
    pub process: Vec<ProcessStep>,
    /// 收费标准, when the seed states it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fees: Option<String>,
    /// 设定依据: the cited documents (full texts stay in the seed).
    #[serde(default)]
    pub legal_basis: Vec<String>,
    /// 其他事项 / 备注.
    #[serde(default)]
    pub notes: Vec<String>,
    /// Documents printed or issued when the item is completed.
    #[serde(default)]
    pub outputs: Vec<String>,
}

impl ServiceItem {
    /// Whether the kiosk can do `action` for this item.
    pub fn kiosk_can(&self, action: KioskAction) -> bool {
        self.kiosk.contains(&action)
    }

    /// The processing type as stated, or derived from the time limit when
    /// the seed does not state it (`即时办结` means 即办件).
    pub fn effective_processing(&self) -> ProcessingType {
        self.processing.unwrap_or(
            if self.working_days.is_none() && self.time_limit.contains("即时") {
                ProcessingType::Instant
            } else {
                ProcessingType::Promised
            },
        )
    }

    /// Every material of the item: general ones, then each case's.
    pub fn all_materials(&self) -> impl Iterator<Item = &str> {
        self.materials.iter().map(String::as_str).chain(
            self.material_cases
                .iter()
                .flat_map(|c| c.materials.iter().map(String::as_str)),
        )
    }
}

/// A layout of the personal enrollment certificate (参保凭证).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CertificateLayout {
    /// Simple personal layout: no number, no seal block, no notes.
    Simple,
    /// Transfer layout: certificate number, transfer-out agency block with
    /// seal, and the printed notes.
    Transfer,
}

/// Who may obtain the certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CertificateEligibility {
    /// Every insured person.
    AllInsured,
    /// Only people insured as employees (职工).
    Employees,
}

/// When the certificate may be issued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IssueTiming {
    /// On request, on the spot.
    OnRequest,
    /// Only after coverage is suspended (停保), from the following month.
    MonthAfterSuspension,
}

/// The certificate issuance rule of the region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertificateRule {
    /// Code of the service item 出具《参保凭证》.
    pub item: String,
    /// Layouts the kiosk may print.
    pub layouts: Param<Vec<CertificateLayout>>,
    /// Who may obtain it.
    pub eligible: Param<CertificateEligibility>,
    /// When it may be issued.
    pub timing: Param<IssueTiming>,
    /// Whether an electronic certificate is allowed.
    pub electronic: Param<bool>,
    /// Which agency issues it, when the seed says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issued_by: Option<SourcedText>,
    /// The rule as the kiosk explains it (seed wording).
    pub explanation: SourcedText,
}

/// What the kiosk knows about a person asking for a certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CertificateApplicant {
    /// Insured as an employee (职工, including flexible employment).
    pub employee: bool,
    /// Date the coverage was suspended (停保), if it is suspended.
    pub suspended_on: Option<chrono::NaiveDate>,
}

/// Why the certificate cannot be issued now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertificateRefusal {
    /// The region issues it to employees only.
    EmployeesOnly,
    /// The region issues it only after coverage is suspended.
    NotSuspended,
    /// Suspended this month; it can be issued from `earliest`.
    TooEarly {
        /// First day it can be issued.
        earliest: chrono::NaiveDate,
    },
}

impl CertificateRefusal {
    /// The message shown to the citizen.
    pub fn user_message(&self) -> String {
        match self {
            CertificateRefusal::EmployeesOnly => {
                tr!("本地区《参保凭证》只为参加职工医保的人员出具。如有疑问，请到人工窗口咨询。")
                    .to_string()
            }
            CertificateRefusal::NotSuspended => tr!(
                "本地区须先在原参保地办理停保，次月起才能出具《参保凭证》。请先到人工窗口办理停保。"
            )
            .to_string(),
            CertificateRefusal::TooEarly { earliest } => tr!(
                "您本月刚办理停保，《参保凭证》须从次月起出具，请于 {} 以后再来办理。",
                earliest.format(tr!("%Y年%m月%d日"))
            ),
        }
    }
}

impl CertificateRule {
    /// Whether the certificate may be issued to `applicant` on `today`.
    pub fn check(
        &self,
        applicant: &CertificateApplicant,
        today: chrono::NaiveDate,
    ) -> Result<(), CertificateRefusal> {
        if self.eligible.value == CertificateEligibility::Employees && !applicant.employee {
            return Err(CertificateRefusal::EmployeesOnly);
        }
        match self.timing.value {
            IssueTiming::OnRequest => Ok(()),
            IssueTiming::MonthAfterSuspension => {
                let suspended = applicant
                    .suspended_on
                    .ok_or(CertificateRefusal::NotSuspended)?;
                let earliest = first_of_next_month(suspended);
                if today < earliest {
                    Err(CertificateRefusal::TooEarly { earliest })
                } else {
                    Ok(())
                }
            }
        }
    }

    /// Whether `layout` may be printed.
    pub fn allows_layout(&self, layout: CertificateLayout) -> bool {
        self.layouts.value.contains(&layout)
    }
}

fn first_of_next_month(date: chrono::NaiveDate) -> chrono::NaiveDate {
    use chrono::Datelike;
    let (year, month) = if date.month() == 12 {
        (date.year() + 1, 1)
    } else {
        (date.year(), date.month() + 1)
    };
    chrono::NaiveDate::from_ymd_opt(year, month, 1).unwrap_or(chrono::NaiveDate::MAX)
}

/// Category of remote-care filing (异地就医备案).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FilingKind {
    /// 异地安置退休人员
    ResettledRetiree,
    /// 异地长期居住人员
    LongTermResident,
    /// 常驻异地工作人员
    StationedWorker,
    /// 临时外出就医人员
    TemporaryTrip,
    /// 异地转诊人员 (filed by the referring hospital)
    Referral,
}

/// How long a filing stays valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValidityKind {
    /// Until the person changes or cancels it.
    UntilChanged,
    /// At least `months` months.
    AtLeastMonths,
    /// Until the end of the hospital stay it was filed for.
    EndOfStay,
}

/// Validity of a filing category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Validity {
    /// Kind of validity.
    pub kind: ValidityKind,
    /// Months, for [`ValidityKind::AtLeastMonths`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub months: Option<u8>,
    /// The rule as explained to the citizen.
    pub text: String,
    /// Where it comes from.
    pub source: Source,
}

/// One filing category the region offers (or explicitly does not offer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilingCategory {
    /// The category.
    pub kind: FilingKind,
    /// Chinese name as the seed writes it.
    pub label: String,
    /// Whether the region offers the category.
    pub offered: bool,
    /// Service item of the category, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<String>,
    /// Whether a citizen can file it on the kiosk.
    pub kiosk_can_file: bool,
    /// Who may file it, when the seed restricts it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eligible: Option<SourcedText>,
    /// Materials for the category.
    #[serde(default)]
    pub materials: Vec<String>,
    /// Where the materials come from.
    pub materials_source: Source,
    /// How long the filing stays valid.
    pub validity: Validity,
}

/// The change of designated institution for a registered outpatient
/// chronic or special disease 门诊慢特病定点医药机构变更 (seed 000 A6 门诊特殊
/// 疾病病种待遇变更, A7 门诊慢性病病种待遇变更): identity only, an immediate
/// case (即办件). Absent: the kiosk does not offer it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChronicRules {
    /// The guide item of the special-disease change (A6).
    pub special_item: String,
    /// The guide item of the chronic-disease change (A7).
    pub chronic_item: String,
    /// A special disease is treated at hospitals of at least this grade
    /// (二级 = 2): the new hospital must have it.
    pub special_min_grade: Param<u8>,
    /// Where a person insured elsewhere applies (the kiosk serves its own
    /// pooling areas only).
    pub remote: SourcedText,
    /// A change of treatment plan is not a change: it is applied for again.
    pub plan_change: SourcedText,
}

/// Remote-care filing rules of the region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilingRules {
    /// Months after filing during which change or cancellation is refused
    /// (national cap: 6).
    pub lock_period_months: Param<u8>,
    /// How a filing is extended (or why it need not be).
    pub extension: SourcedText,
    /// When a self-service filing takes effect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_service_effect: Option<SourcedText>,
    /// When the personal commitment letter is required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commitment_letter: Option<SourcedText>,
    /// What is needed to change, suspend, resume or end a filing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change_materials: Option<SourcedText>,
    /// Whether (and how) a filing in force can be suspended and resumed
    /// at the kiosk; absent: not offered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspension: Option<SourcedText>,
    /// Further rules the kiosk explains.
    #[serde(default)]
    pub notes: Vec<RuleText>,
    /// The categories.
    pub categories: Vec<FilingCategory>,
}

impl FilingRules {
    /// The category of `kind`, if the profile lists it.
    pub fn category(&self, kind: FilingKind) -> Option<&FilingCategory> {
        self.categories.iter().find(|c| c.kind == kind)
    }

    /// Categories the region offers.
    pub fn offered(&self) -> impl Iterator<Item = &FilingCategory> {
        self.categories.iter().filter(|c| c.offered)
    }

    /// Whether a filing made on `filed_on` may be changed or cancelled on
    /// `today` (the lock period has passed).
    pub fn may_change(&self, filed_on: chrono::NaiveDate, today: chrono::NaiveDate) -> bool {
        let months = u32::from(self.lock_period_months.value);
        match filed_on.checked_add_months(chrono::Months::new(months)) {
            Some(unlocked) => today >= unlocked,
            None => false,
        }
    }
}

/// The deadline for claiming costs that were not settled directly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimDeadline {
    /// Month of the deadline (1–12).
    pub month: u32,
    /// Day of the deadline.
    pub day: u32,
    /// Years after the year the costs arose (1 = next year).
    pub years_after: i32,
    /// The rule as printed.
    pub text: String,
    /// Where it comes from.
    pub source: Source,
}

impl ClaimDeadline {
    /// Last day to claim costs that arose in `year`.
    pub fn for_year(&self, year: i32) -> Option<chrono::NaiveDate> {
        chrono::NaiveDate::from_ymd_opt(year + self.years_after, self.month, self.day)
    }
}

/// Claim (手工报销) rules of the region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimRules {
    /// Deadline for claims, when the seed gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<ClaimDeadline>,
    /// Further rules (bank card, authorisation, materials not returned).
    #[serde(default)]
    pub notes: Vec<RuleText>,
}

/// A dimension of the enrollment state (seed 002 第八–十条).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatusDimension {
    /// 参保登记状态
    Enrollment,
    /// 缴费状态
    Payment,
    /// 待遇状态
    Benefit,
}

/// The explanation of one state of one dimension.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusText {
    /// The dimension.
    pub dimension: StatusDimension,
    /// The state: `normal`/`suspended`/`terminated` (enrollment and benefit)
    /// or `assessed`/`paid`/`interrupted` (payment).
    pub state: String,
    /// Chinese name of the state.
    pub label: String,
    /// The definition, in the seed's words.
    pub text: String,
    /// Where it comes from.
    pub source: Source,
}

/// What happens to the other record when a duplicate is cleaned up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DuplicateAction {
    /// The other record is terminated (终止).
    Terminate,
    /// The other record is suspended (暂停).
    Suspend,
}

/// One outcome rule of duplicate enrollment (重复参保).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DuplicateOutcome {
    /// Stable key.
    pub key: String,
    /// What happens to the record that is not kept.
    pub action: DuplicateAction,
    /// The rule, in the seed's words.
    pub text: String,
    /// Where it comes from.
    pub source: Source,
}

/// The waiting period (待遇享受等待期).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WaitingPeriod {
    /// Length in days, when a document gives it (seed 002 does not).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days: Option<u16>,
    /// How it is counted, in the seed's words.
    pub text: String,
    /// Where it comes from.
    pub source: Source,
}

/// The enrollment rules the kiosk explains (seed 002 for Jilin).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnrollmentRules {
    /// Definitions of the states of the three dimensions.
    pub states: Vec<StatusText>,
    /// Checks made when a person enrolls (第二十条, 第三十六条).
    #[serde(default)]
    pub enrollment_checks: Vec<RuleText>,
    /// How duplicates are detected (第五十一条).
    #[serde(default)]
    pub duplicate_checks: Vec<RuleText>,
    /// Which record is kept (第五十二条).
    #[serde(default)]
    pub duplicate_outcomes: Vec<DuplicateOutcome>,
    /// The waiting period.
    pub waiting_period: WaitingPeriod,
    /// Situations that start a waiting period.
    #[serde(default)]
    pub waiting_period_triggers: Vec<RuleText>,
    /// Situations without a waiting period.
    #[serde(default)]
    pub waiting_period_exemptions: Vec<RuleText>,
    /// Months within which a gap can be back-paid with benefits restored.
    pub back_payment_window_months: Param<u8>,
}

impl EnrollmentRules {
    /// The explanation of `state` in `dimension`.
    pub fn state(&self, dimension: StatusDimension, state: &str) -> Option<&StatusText> {
        self.states
            .iter()
            .find(|s| s.dimension == dimension && s.state == state)
    }
}

/// Fields and notes of one certificate layout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertificateTexts {
    /// The layout.
    pub layout: CertificateLayout,
    /// Title printed at the top.
    pub title: String,
    /// Certificate number pattern, for the transfer layout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number_format: Option<String>,
    /// Field labels, in print order.
    pub fields: Vec<String>,
    /// Labels of the issuing-agency block (transfer layout).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub agency_block: Vec<String>,
    /// Notes printed at the bottom (注意事项).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Where the layout comes from.
    pub source: Source,
}

/// The personal commitment letter for self-service filing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommitmentLetter {
    /// Title.
    pub title: String,
    /// Fields to fill in.
    pub fields: Vec<String>,
    /// Person categories to tick, with their explanations.
    pub categories: Vec<String>,
    /// The undertakings (需承诺的事项).
    pub undertakings: Vec<String>,
    /// The archive note.
    pub archive_note: String,
    /// Where it comes from.
    pub source: Source,
}

/// A form printed or filled in on the kiosk (e.g. the filing form).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormTexts {
    /// Title of the form.
    pub title: String,
    /// Fields and check boxes, in print order.
    pub fields: Vec<String>,
    /// Notes printed on the form.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Where the form comes from.
    pub source: Source,
}

/// Texts printed on documents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentTexts {
    /// Agency name printed as issuer.
    pub agency_name: SourcedText,
    /// Title of the acceptance slip (受理单), when the seed names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acceptance_slip: Option<SourcedText>,
    /// Title of the business slip (业务办理单).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub business_slip: Option<SourcedText>,
    /// Notes printed on slips.
    #[serde(default)]
    pub slip_notes: Vec<SourcedText>,
    /// Certificate layouts.
    #[serde(default)]
    pub certificates: Vec<CertificateTexts>,
    /// The commitment letter, when the seed gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commitment_letter: Option<CommitmentLetter>,
    /// Other forms (filing form, …).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub forms: Vec<FormTexts>,
    /// Levels of the satisfaction rating (好差评), when the seed gives them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rating_levels: Option<Param<Vec<String>>>,
}

impl DocumentTexts {
    /// Texts of a certificate layout.
    pub fn certificate(&self, layout: CertificateLayout) -> Option<&CertificateTexts> {
        self.certificates.iter().find(|c| c.layout == layout)
    }
}

/// `HH:MM` (de)serialisation of opening times.
mod hhmm {
    use chrono::NaiveTime;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(time: &NaiveTime, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&time.format("%H:%M"))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<NaiveTime, D::Error> {
        let text = String::deserialize(deserializer)?;
        NaiveTime::parse_from_str(&text, "%H:%M").map_err(|_| {
            serde::de::Error::custom(format!("`{text}` is not a time of the form HH:MM"))
        })
    }
}

//! Insured person and enrollment: the three status dimensions of the Jilin
//! enrollment procedures (seed 002: 吉医保联〔2022〕11号《吉林省基本医疗保险
//! 参保管理经办规程》, 第八条–第十条).
//!
//! * 第八条 参保登记状态 → [`EnrollmentStatus`]: 正常参保 / 暂停（中止）参保 / 终止参保.
//! * 第九条 缴费状态 → [`PaymentStatus`]: 应缴 / 实缴 / 中断缴费.
//! * 第十条 待遇状态 → [`BenefitStatus`], derived from the other two by
//!   [`Enrollment::benefit_status`].
//!
//! The kiosk only reads these states; it never changes them. In particular it
//! never marks anything paid: the agency assesses the amount, the tax bureau
//! collects it and only then sends the payment back to the medical-insurance
//! side ("税务部门据实征收后，及时将缴费信息回传给医保部门进行个人权益记录",
//! 002 第三条、第十五条). A payment the citizen reports, or one started from
//! the kiosk, stays [`PaymentStatus::Assessed`] until the central service
//! says otherwise.
//!
//! The derived benefit status is for display (enrollment query, certificate).
//! Whether a given medical bill is covered is decided by the central service
//! at settlement time; this module does not know the paid-through period of
//! each month or year.

use std::fmt;

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::Error;
use crate::identity::{IdDocumentKind, Sex, mask_name, mask_number};
use crate::money::Yuan;
use crate::{tr, tr_mark};

/// Insurance type (险种类型) with the national `insutype` codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InsuranceType {
    /// 310 职工基本医疗保险
    EmployeeBasic,
    /// 320 公务员医疗补助
    CivilServantSubsidy,
    /// 330 大额医疗费用补助
    LargeExpenseSubsidy,
    /// 340 离休人员医疗保障
    RetiredCadreCare,
    /// 390 城乡居民基本医疗保险
    ResidentBasic,
    /// 392 城乡居民大病医疗保险
    ResidentCriticalIllness,
    /// 510 生育保险
    Maternity,
}

impl InsuranceType {
    /// Every insurance type, in code order.
    pub const ALL: [InsuranceType; 7] = [
        InsuranceType::EmployeeBasic,
        InsuranceType::CivilServantSubsidy,
        InsuranceType::LargeExpenseSubsidy,
        InsuranceType::RetiredCadreCare,
        InsuranceType::ResidentBasic,
        InsuranceType::ResidentCriticalIllness,
        InsuranceType::Maternity,
    ];

    /// The national `insutype` code.
    pub fn code(self) -> &'static str {
        match self {
            InsuranceType::EmployeeBasic => "310",
            InsuranceType::CivilServantSubsidy => "320",
            InsuranceType::LargeExpenseSubsidy => "330",
            InsuranceType::RetiredCadreCare => "340",
            InsuranceType::ResidentBasic => "390",
            InsuranceType::ResidentCriticalIllness => "392",
            InsuranceType::Maternity => "510",
        }
    }

    /// Decodes an `insutype` code; `None` for codes this kiosk does not know.
    pub fn from_code(code: &str) -> Option<InsuranceType> {
        InsuranceType::ALL.into_iter().find(|t| t.code() == code)
    }

    /// The Chinese name shown on screen and on paper.
    pub fn label(self) -> &'static str {
        match self {
            InsuranceType::EmployeeBasic => tr_mark!("职工基本医疗保险"),
            InsuranceType::CivilServantSubsidy => tr_mark!("公务员医疗补助"),
            InsuranceType::LargeExpenseSubsidy => tr_mark!("大额医疗费用补助"),
            InsuranceType::RetiredCadreCare => tr_mark!("离休人员医疗保障"),
            InsuranceType::ResidentBasic => tr_mark!("城乡居民基本医疗保险"),
            InsuranceType::ResidentCriticalIllness => tr_mark!("城乡居民大病医疗保险"),
            InsuranceType::Maternity => tr_mark!("生育保险"),
        }
    }

    /// Whether this is one of the two basic schemes (职工医保 310, 居民医保 390)
    /// that 002 governs directly (第二条). The supplementary insurances are
    /// joined together with the basic one (第五十九条).
    pub fn is_basic(self) -> bool {
        matches!(
            self,
            InsuranceType::EmployeeBasic | InsuranceType::ResidentBasic
        )
    }
}

/// Enrollment status (参保登记状态), 002 第八条:
///
/// > 本规程所称"参保登记状态"，是指参保人员在医保信息平台的人员参保信息状态，
/// > 包括"正常参保""暂停（中止）参保"和"终止参保"。
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EnrollmentStatus {
    /// 正常参保: enrolled (职工 or 居民) with no suspension or termination
    /// processed (第八条（一）).
    Normal,
    /// 暂停（中止）参保: suspended because of employment, migration, job
    /// transfer, resignation, a prison sentence and the like (第八条（二）).
    Suspended,
    /// 终止参保: terminated because of death, emigration and the like, and
    /// also after duplicate-enrollment clean-up or a transfer out
    /// (第八条（三）).
    Terminated,
}

impl EnrollmentStatus {
    /// The state name as 第八条 writes it.
    pub fn label(self) -> &'static str {
        match self {
            EnrollmentStatus::Normal => tr_mark!("正常参保"),
            EnrollmentStatus::Suspended => tr_mark!("暂停（中止）参保"),
            EnrollmentStatus::Terminated => tr_mark!("终止参保"),
        }
    }

    /// The `psn_insu_stas` wire code in this project's mapping:
    /// `"1"` normal, `"2"` suspended, `"4"` terminated.
    ///
    /// This is the mapping used by the national platform's 1101 output as far
    /// as the project knows; it is the project's mapping and may be remapped
    /// per province at the wire edge. Other codes (for example `"0"`,
    /// not enrolled) are not an enrollment status and decode to `None`.
    pub fn wire(self) -> &'static str {
        match self {
            EnrollmentStatus::Normal => "1",
            EnrollmentStatus::Suspended => "2",
            EnrollmentStatus::Terminated => "4",
        }
    }

    /// Decodes a `psn_insu_stas` code (see [`EnrollmentStatus::wire`]).
    pub fn from_wire(code: &str) -> Option<EnrollmentStatus> {
        match code {
            "1" => Some(EnrollmentStatus::Normal),
            "2" => Some(EnrollmentStatus::Suspended),
            "4" => Some(EnrollmentStatus::Terminated),
            _ => None,
        }
    }
}

/// Payment status (缴费状态), 002 第九条:
///
/// > 本规程所称"缴费状态"，是指参保人员在规定时限内，按照医保经办机构核定的
/// > 医保费金额缴纳医保费的情况，包括应缴状态、实缴状态及中断缴费。
///
/// Only the tax bureau's confirmation moves a period to [`PaymentStatus::Paid`];
/// the kiosk never does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    /// 应缴: the contribution has been assessed but not yet received
    /// (第九条（一）: "已核定应当缴纳的医保费，但尚未实收到账").
    Assessed,
    /// 实缴: the assessed contribution has been received
    /// (第九条（二）: "应当缴纳的医保费已实收到账").
    Paid,
    /// 中断缴费: not paid on time or in full, or the record is broken by a
    /// suspension or termination (第九条（三）).
    Interrupted,
}

impl PaymentStatus {
    /// The state name as 第九条 writes it.
    pub fn label(self) -> &'static str {
        match self {
            PaymentStatus::Assessed => tr_mark!("应缴"),
            PaymentStatus::Paid => tr_mark!("实缴"),
            PaymentStatus::Interrupted => tr_mark!("中断缴费"),
        }
    }

    /// The wire code in this project's own mapping: `"1"` assessed,
    /// `"2"` paid, `"3"` interrupted.
    ///
    /// The public 1101 output has no payment-status field, so this code is
    /// defined by the project for its own central-service messages and may be
    /// remapped per province at the wire edge.
    pub fn wire(self) -> &'static str {
        match self {
            PaymentStatus::Assessed => "1",
            PaymentStatus::Paid => "2",
            PaymentStatus::Interrupted => "3",
        }
    }

    /// Decodes the project's payment-status code (see [`PaymentStatus::wire`]).
    pub fn from_wire(code: &str) -> Option<PaymentStatus> {
        match code {
            "1" => Some(PaymentStatus::Assessed),
            "2" => Some(PaymentStatus::Paid),
            "3" => Some(PaymentStatus::Interrupted),
            _ => None,
        }
    }
}

/// Benefit status (待遇状态), derived from the enrollment and payment status.
/// 002 第十条 in full:
///
/// > 本规程所称"待遇状态"，是指医保经办机构根据参保人员的参保登记状态、缴费
/// > 状态及相关医保待遇规定，判断参保人员医保待遇资格。参保人员参保状态为
/// > "正常参保"且缴费期内应缴核定为实缴的，其缴费期内（待遇享受等待期外）可
/// > 按规定享受医保待遇；参保人员参保信息状态为"暂停（中止）参保"的，但在暂
/// > 停（中止）参保前已存在实缴记录的，仍可在其缴费期内（待遇享受等待期外）
/// > 按规定享受医保待遇，按规定发生的医疗费用通过医保信息平台直接结算；参保
/// > 人员参保信息状态为"终止参保"的，在其终止参保前（待遇享受等待期外）发生
/// > 的医疗费用按规定给予报销。
///
/// The article names three outcomes (entitled in the paid period; still
/// entitled in the paid period although suspended; only pre-termination costs
/// reimbursed). The other variants spell out what the article implies when
/// its conditions are not met: no 实缴 yet, 中断缴费, suspended with no 实缴
/// before the suspension, inside the waiting period, or before enrollment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum BenefitStatus {
    /// The query date is before the enrollment date: no benefits yet.
    NotYetEnrolled,
    /// 正常参保 and 实缴, outside the waiting period: "其缴费期内（待遇享受
    /// 等待期外）可按规定享受医保待遇" (第十条, first clause).
    Entitled,
    /// 正常参保 and 实缴, but still inside the waiting period (待遇享受等待期,
    /// 第十条; counted in days from the day after successful payment,
    /// 第十九条、第三十七条). Benefits start on `benefits_from`.
    WaitingPeriod {
        /// The first day outside the waiting period.
        benefits_from: NaiveDate,
    },
    /// 正常参保, assessed but not yet received (应缴): 第十条 requires that
    /// "应缴核定为实缴", so benefits wait for the tax bureau's confirmation.
    AwaitingPayment,
    /// 正常参保 with 中断缴费: benefits are paused from the interruption
    /// (第二十四条 for employers' arrears, 第三十一条 for flexible workers);
    /// paying in full within 3 months (含) restores them retroactively.
    PaymentInterrupted,
    /// 暂停（中止）参保 with 实缴 before the suspension: "仍可在其缴费期内
    /// （待遇享受等待期外）按规定享受医保待遇，按规定发生的医疗费用通过医保信息
    /// 平台直接结算" (第十条, second clause): only within the period already paid.
    SuspendedPaidPeriodOnly,
    /// 暂停（中止）参保 with no 实缴 record before the suspension: no benefits.
    Suspended,
    /// 终止参保: "在其终止参保前（待遇享受等待期外）发生的医疗费用按规定给予
    /// 报销" (第十条, third clause): only costs incurred before termination.
    Terminated,
}

impl BenefitStatus {
    /// A stable snake_case key (the serde tag), for looking up region texts.
    pub fn state_key(self) -> &'static str {
        match self {
            BenefitStatus::NotYetEnrolled => "not_yet_enrolled",
            BenefitStatus::Entitled => "entitled",
            BenefitStatus::WaitingPeriod { .. } => "waiting_period",
            BenefitStatus::AwaitingPayment => "awaiting_payment",
            BenefitStatus::PaymentInterrupted => "payment_interrupted",
            BenefitStatus::SuspendedPaidPeriodOnly => "suspended_paid_period_only",
            BenefitStatus::Suspended => "suspended",
            BenefitStatus::Terminated => "terminated",
        }
    }

    /// A short Chinese label for the status line.
    pub fn label(self) -> &'static str {
        match self {
            BenefitStatus::NotYetEnrolled => tr_mark!("参保尚未生效"),
            BenefitStatus::Entitled => tr_mark!("可享受待遇"),
            BenefitStatus::WaitingPeriod { .. } => tr_mark!("待遇享受等待期"),
            BenefitStatus::AwaitingPayment => tr_mark!("待缴费到账"),
            BenefitStatus::PaymentInterrupted => tr_mark!("中断缴费，待遇暂停"),
            BenefitStatus::SuspendedPaidPeriodOnly => tr_mark!("暂停参保，已缴费期内可享受待遇"),
            BenefitStatus::Suspended => tr_mark!("暂停参保，不享受待遇"),
            BenefitStatus::Terminated => tr_mark!("终止参保"),
        }
    }

    /// A sentence for the citizen: what the status means and, where there is
    /// one, what to do next.
    pub fn explanation(self) -> String {
        match self {
            BenefitStatus::NotYetEnrolled => {
                tr!("参保登记尚未生效，生效前不能享受医保待遇。").to_string()
            }
            BenefitStatus::Entitled => {
                tr!("参保正常且已缴费，在缴费期内可按规定享受医保待遇。").to_string()
            }
            BenefitStatus::WaitingPeriod { benefits_from } => tr!(
                "已缴费，目前处于待遇享受等待期，自{}起可按规定享受医保待遇。",
                benefits_from.format(tr!("%Y年%m月%d日"))
            ),
            BenefitStatus::AwaitingPayment => tr!("医保费已核定，尚未确认到账。税务部门确认到账后可按规定享受待遇；如已缴费，请稍后再查询。").to_string(),
            BenefitStatus::PaymentInterrupted => tr!("缴费已中断，医保待遇暂停。中断3个月内（含）足额补缴的，中断期间待遇可按规定追溯；详情请咨询经办机构。").to_string(),
            BenefitStatus::SuspendedPaidPeriodOnly => tr!("参保已暂停（中止）。暂停前已缴费的期间内（等待期外）仍可按规定享受待遇，医疗费用可直接结算。").to_string(),
            BenefitStatus::Suspended => tr!("参保已暂停（中止），暂停前没有实缴记录，不能享受医保待遇。如需续保，请到经办机构办理。").to_string(),
            BenefitStatus::Terminated => tr!("参保已终止。终止前（等待期外）发生的医疗费用可按规定报销。").to_string(),
        }
    }
}

/// The first day outside the waiting period (待遇享受等待期), given the day
/// the contribution was successfully paid and the length of the waiting
/// period in days.
///
/// 002 counts the waiting period in days from the day after successful
/// payment ("待遇享受等待期以天为单位，从缴费成功次日起计算", 第十九条、
/// 第三十七条、第四十七条). The number of days is not in 002 ("按照相关规定"):
/// it is a region parameter, never a constant here.
///
/// With `days` = N > 0 the waiting days are the N days following the payment
/// day, and benefits start on the day after them (payment day + N + 1).
/// With `days` = 0 there is no waiting period and benefits start on the
/// payment day itself (as in "补缴后不设待遇享受等待期，缴费当月即可……享受
/// 待遇", 第四十七条). `None` only when the date would leave chrono's range.
pub fn benefits_start_after_waiting(paid_on: NaiveDate, days: u32) -> Option<NaiveDate> {
    if days == 0 {
        return Some(paid_on);
    }
    paid_on.checked_add_days(Days::new(u64::from(days) + 1))
}

/// One enrollment of an insured person in one insurance type (one `insuinfo`
/// row of the central service's person query).
///
/// `Debug` omits the employer and the account balance.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enrollment {
    /// 险种类型.
    pub insurance_type: InsuranceType,
    /// 人员类别 code as sent by the central service (`psn_type`); see
    /// [`person_category_label`].
    pub person_category_code: String,
    /// 人员类别 label as sent by the central service (may be empty).
    pub person_category: String,
    /// 参保登记状态 (第八条).
    pub status: EnrollmentStatus,
    /// 缴费状态 (第九条). Set from the central service only; never by the kiosk.
    pub payment: PaymentStatus,
    /// 参保日期 (`psn_insu_date`).
    pub enrolled_from: NaiveDate,
    /// The date the suspension or termination took effect (`paus_insu_date`),
    /// when there is one.
    pub suspended_from: Option<NaiveDate>,
    /// 统筹区 code (`insuplc_admdvs`).
    pub pooling_area_code: String,
    /// 统筹区 name.
    pub pooling_area: String,
    /// 单位名称 (`emp_name`), for employee schemes.
    pub employer: Option<String>,
    /// 个人账户余额 (`balc`).
    pub account_balance: Yuan,
    /// Cumulative contribution months (累计缴费月数): fee-period months for
    /// employees, months enrolled for residents (第十三条).
    pub paid_months: u32,
}

impl Enrollment {
    /// The enrollment status in force on `on`: the recorded status, except
    /// that a suspension or termination whose `suspended_from` date lies after
    /// `on` has not taken effect yet, so the enrollment was still normal.
    ///
    /// The payment status is the current one; `on` only places the query date
    /// against the enrollment's own dates.
    pub fn status_on(&self, on: NaiveDate) -> EnrollmentStatus {
        let not_yet_in_force = self.suspended_from.is_some_and(|from| on < from);
        if not_yet_in_force {
            EnrollmentStatus::Normal
        } else {
            self.status
        }
    }

    /// The benefit status on `on` (002 第十条), when no waiting period is
    /// known. See [`Enrollment::benefit_status_with_waiting_period`].
    pub fn benefit_status(&self, on: NaiveDate) -> BenefitStatus {
        self.benefit_status_with_waiting_period(on, None)
    }

    /// The benefit status on `on` (002 第十条). `benefits_from` is the first
    /// day outside the waiting period when one applies (see
    /// [`benefits_start_after_waiting`]); `None` when there is none or it is
    /// not known.
    ///
    /// Rules, in order:
    /// 1. `on` before `enrolled_from` → [`BenefitStatus::NotYetEnrolled`].
    /// 2. 终止参保 (in force on `on`) → [`BenefitStatus::Terminated`]: only
    ///    costs before termination are reimbursed (第十条).
    /// 3. 暂停（中止）参保 → [`BenefitStatus::SuspendedPaidPeriodOnly`] if a
    ///    实缴 record exists before the suspension, else
    ///    [`BenefitStatus::Suspended`] (第十条). "A 实缴 record exists" is read
    ///    as: the payment status is 实缴 or `paid_months` > 0. This is an
    ///    inference: `paid_months` counts months of the whole history, so the
    ///    paid period it shows may already be over; the label therefore says
    ///    "已缴费期内".
    /// 4. 正常参保 and 实缴 → [`BenefitStatus::WaitingPeriod`] while `on` is
    ///    before `benefits_from`, else [`BenefitStatus::Entitled`] (第十条).
    /// 5. 正常参保 and 应缴 → [`BenefitStatus::AwaitingPayment`] (第九条（一）, 第十条).
    /// 6. 正常参保 and 中断缴费 → [`BenefitStatus::PaymentInterrupted`]
    ///    (第九条（三）, 第二十四条, 第三十一条).
    ///
    /// Not modelled: retirees who completed the required contribution years
    /// pay no more contributions and keep their benefits (第二十四条,
    /// 第二十七条). The central service is expected to report such an
    /// enrollment as 实缴; if a region reports it otherwise, the wire edge
    /// must map it.
    pub fn benefit_status_with_waiting_period(
        &self,
        on: NaiveDate,
        benefits_from: Option<NaiveDate>,
    ) -> BenefitStatus {
        if on < self.enrolled_from {
            return BenefitStatus::NotYetEnrolled;
        }
        match self.status_on(on) {
            EnrollmentStatus::Terminated => BenefitStatus::Terminated,
            EnrollmentStatus::Suspended => {
                if self.payment == PaymentStatus::Paid || self.paid_months > 0 {
                    BenefitStatus::SuspendedPaidPeriodOnly
                } else {
                    BenefitStatus::Suspended
                }
            }
            EnrollmentStatus::Normal => match self.payment {
                PaymentStatus::Paid => match benefits_from {
                    Some(from) if on < from => BenefitStatus::WaitingPeriod {
                        benefits_from: from,
                    },
                    _ => BenefitStatus::Entitled,
                },
                PaymentStatus::Assessed => BenefitStatus::AwaitingPayment,
                PaymentStatus::Interrupted => BenefitStatus::PaymentInterrupted,
            },
        }
    }

    /// The person category for display: the central service's label, else
    /// the dictionary label of [`person_category_label`], else the raw code.
    pub fn person_category_text(&self) -> &str {
        if !self.person_category.trim().is_empty() {
            return &self.person_category;
        }
        person_category_label(&self.person_category_code).unwrap_or(&self.person_category_code)
    }
}

impl fmt::Debug for Enrollment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Enrollment")
            .field("insurance_type", &self.insurance_type)
            .field("person_category_code", &self.person_category_code)
            .field("status", &self.status)
            .field("payment", &self.payment)
            .field("enrolled_from", &self.enrolled_from)
            .field("suspended_from", &self.suspended_from)
            .field("pooling_area_code", &self.pooling_area_code)
            .field("paid_months", &self.paid_months)
            .finish_non_exhaustive()
    }
}

/// A person category (人员类别, `psn_type`) label from this crate's small
/// dictionary, or `None` when the code is not in it.
///
/// Honest scope: the dictionary holds only the two codes the project is
/// confident of, in the two-digit style many provincial systems use:
/// `11` 在职 and `21` 退休. The national platform's `psn_type` values seen
/// in public samples are four digits (for example `1403`, `1501` on
/// 城乡居民 rows), and their labels are not confirmed here, so they return
/// `None`. The label the central service sends ([`Enrollment::person_category`])
/// always wins; region profiles may supply a fuller table.
pub fn person_category_label(code: &str) -> Option<&'static str> {
    match code {
        "11" => Some(tr_mark!("在职")),
        "21" => Some(tr_mark!("退休")),
        _ => None,
    }
}

/// An insured person (参保人员) with all enrollments, as the central service's
/// person query returns them.
///
/// `Debug` masks the name, the ID number and the person number, and leaves
/// out the birth date.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InsuredPerson {
    /// 人员编号 (`psn_no`).
    pub person_number: String,
    /// The kind of identity document the number belongs to.
    pub id_kind: IdDocumentKind,
    /// 证件号码 (`certno`): the 参保识别码 of 002 第七条.
    pub id_number: String,
    /// 姓名.
    pub name: String,
    /// 性别.
    pub sex: Sex,
    /// 出生日期.
    pub birth_date: NaiveDate,
    /// One entry per insurance type.
    pub enrollments: Vec<Enrollment>,
}

impl InsuredPerson {
    /// The enrollment in `insurance_type`, if any.
    pub fn enrollment(&self, insurance_type: InsuranceType) -> Option<&Enrollment> {
        self.enrollments
            .iter()
            .find(|e| e.insurance_type == insurance_type)
    }

    /// The sum of the account balances of all enrollments.
    ///
    /// Assumes each personal account is reported on one enrollment only (the
    /// wire edge must not copy the same balance onto several insurance-type
    /// rows). [`Error::AmountOutOfRange`] if the sum leaves the supported range.
    pub fn total_balance(&self) -> Result<Yuan, Error> {
        self.enrollments
            .iter()
            .try_fold(Yuan::ZERO, |sum, e| sum.checked_add(e.account_balance))
    }

    /// The name masked for status lines and logs (first character only).
    pub fn masked_name(&self) -> String {
        mask_name(&self.name)
    }

    /// The ID number masked (first 6 and last 4 visible).
    pub fn masked_id_number(&self) -> String {
        mask_number(&self.id_number)
    }
}

impl fmt::Debug for InsuredPerson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InsuredPerson")
            .field("person_number", &mask_number(&self.person_number))
            .field("id_kind", &self.id_kind)
            .field("id_number", &self.masked_id_number())
            .field("name", &self.masked_name())
            .field("sex", &self.sex)
            .field("enrollments", &self.enrollments)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn enrollment(status: EnrollmentStatus, payment: PaymentStatus) -> Enrollment {
        Enrollment {
            insurance_type: InsuranceType::EmployeeBasic,
            person_category_code: "11".into(),
            person_category: "在职".into(),
            status,
            payment,
            enrolled_from: date(2015, 7, 1),
            suspended_from: None,
            pooling_area_code: "220199".into(),
            pooling_area: "长春市".into(),
            employer: Some("某某有限公司".into()),
            account_balance: "1234.50".parse().unwrap(),
            paid_months: 96,
        }
    }

    fn person() -> InsuredPerson {
        let mut resident = enrollment(EnrollmentStatus::Terminated, PaymentStatus::Interrupted);
        resident.insurance_type = InsuranceType::ResidentBasic;
        resident.account_balance = "0.50".parse().unwrap();
        resident.employer = None;
        InsuredPerson {
            person_number: "22010000000000000012345678".into(),
            id_kind: IdDocumentKind::ResidentIdCard,
            id_number: "11010519491231002X".into(),
            name: "张三丰".into(),
            sex: Sex::Male,
            birth_date: date(1949, 12, 31),
            enrollments: vec![
                enrollment(EnrollmentStatus::Normal, PaymentStatus::Paid),
                resident,
            ],
        }
    }

    fn today() -> NaiveDate {
        date(2024, 5, 20)
    }

    #[test]
    fn insurance_type_codes_round_trip() {
        for t in InsuranceType::ALL {
            assert_eq!(InsuranceType::from_code(t.code()), Some(t));
            assert!(!t.label().is_empty());
        }
        assert_eq!(
            InsuranceType::from_code("310"),
            Some(InsuranceType::EmployeeBasic)
        );
        assert_eq!(
            InsuranceType::from_code("392").map(|t| t.label()),
            Some("城乡居民大病医疗保险")
        );
        assert_eq!(InsuranceType::from_code("999"), None);
        assert_eq!(InsuranceType::from_code(" 310"), None);
        assert!(InsuranceType::ResidentBasic.is_basic());
        assert!(!InsuranceType::Maternity.is_basic());
    }

    #[test]
    fn status_wire_codes_round_trip() {
        for s in [
            EnrollmentStatus::Normal,
            EnrollmentStatus::Suspended,
            EnrollmentStatus::Terminated,
        ] {
            assert_eq!(EnrollmentStatus::from_wire(s.wire()), Some(s));
        }
        assert_eq!(
            EnrollmentStatus::from_wire("1"),
            Some(EnrollmentStatus::Normal)
        );
        assert_eq!(
            EnrollmentStatus::from_wire("4"),
            Some(EnrollmentStatus::Terminated)
        );
        assert_eq!(EnrollmentStatus::from_wire("0"), None);
        assert_eq!(EnrollmentStatus::from_wire("3"), None);
        assert_eq!(EnrollmentStatus::Suspended.label(), "暂停（中止）参保");
        for p in [
            PaymentStatus::Assessed,
            PaymentStatus::Paid,
            PaymentStatus::Interrupted,
        ] {
            assert_eq!(PaymentStatus::from_wire(p.wire()), Some(p));
        }
        assert_eq!(PaymentStatus::from_wire("4"), None);
        assert_eq!(PaymentStatus::Paid.label(), "实缴");
    }

    #[test]
    fn serde_names_match_the_region_profile_state_keys() {
        // region profiles name the states normal/suspended/terminated and
        // assessed/paid/interrupted.
        assert_eq!(
            serde_json::to_string(&EnrollmentStatus::Suspended).unwrap(),
            "\"suspended\""
        );
        assert_eq!(
            serde_json::to_string(&PaymentStatus::Assessed).unwrap(),
            "\"assessed\""
        );
        assert_eq!(
            serde_json::to_string(&InsuranceType::ResidentBasic).unwrap(),
            "\"resident_basic\""
        );
        let waiting = BenefitStatus::WaitingPeriod {
            benefits_from: date(2024, 6, 1),
        };
        let json = serde_json::to_string(&waiting).unwrap();
        assert_eq!(
            json,
            r#"{"state":"waiting_period","benefits_from":"2024-06-01"}"#
        );
        assert_eq!(
            serde_json::from_str::<BenefitStatus>(&json).unwrap(),
            waiting
        );
        for b in [
            BenefitStatus::NotYetEnrolled,
            BenefitStatus::Entitled,
            waiting,
            BenefitStatus::AwaitingPayment,
            BenefitStatus::PaymentInterrupted,
            BenefitStatus::SuspendedPaidPeriodOnly,
            BenefitStatus::Suspended,
            BenefitStatus::Terminated,
        ] {
            let json = serde_json::to_value(b).unwrap();
            assert_eq!(json["state"], b.state_key());
            assert!(!b.label().is_empty());
            assert!(b.explanation().ends_with('。'));
        }
    }

    // ---- 第十条, first clause: 正常参保 + 实缴 → entitled (outside the waiting period).

    #[test]
    fn normal_and_paid_is_entitled() {
        let e = enrollment(EnrollmentStatus::Normal, PaymentStatus::Paid);
        assert_eq!(e.benefit_status(today()), BenefitStatus::Entitled);
    }

    #[test]
    fn normal_and_paid_inside_the_waiting_period() {
        let e = enrollment(EnrollmentStatus::Normal, PaymentStatus::Paid);
        let from = date(2024, 6, 1);
        assert_eq!(
            e.benefit_status_with_waiting_period(date(2024, 5, 31), Some(from)),
            BenefitStatus::WaitingPeriod {
                benefits_from: from
            }
        );
        // The first day outside the waiting period is entitled.
        assert_eq!(
            e.benefit_status_with_waiting_period(from, Some(from)),
            BenefitStatus::Entitled
        );
        assert_eq!(
            e.benefit_status_with_waiting_period(date(2024, 7, 1), Some(from)),
            BenefitStatus::Entitled
        );
    }

    #[test]
    fn waiting_period_counts_from_the_day_after_payment() {
        // Paid on 1 March, 30-day waiting period: waiting 2–31 March, benefits from 1 April.
        assert_eq!(
            benefits_start_after_waiting(date(2024, 3, 1), 30),
            Some(date(2024, 4, 1))
        );
        // A one-day waiting period: the day after payment is the waiting day.
        assert_eq!(
            benefits_start_after_waiting(date(2024, 2, 28), 1),
            Some(date(2024, 3, 1))
        );
        // No waiting period.
        assert_eq!(
            benefits_start_after_waiting(date(2024, 3, 1), 0),
            Some(date(2024, 3, 1))
        );
        assert_eq!(benefits_start_after_waiting(NaiveDate::MAX, 10), None);
    }

    // ---- 第九条（一） with 第十条: 应缴 not yet 实缴 → no benefits yet.

    #[test]
    fn normal_and_assessed_awaits_payment() {
        let e = enrollment(EnrollmentStatus::Normal, PaymentStatus::Assessed);
        assert_eq!(e.benefit_status(today()), BenefitStatus::AwaitingPayment);
        // A waiting period does not matter before payment is confirmed.
        assert_eq!(
            e.benefit_status_with_waiting_period(today(), Some(date(2030, 1, 1))),
            BenefitStatus::AwaitingPayment
        );
    }

    // ---- 第九条（三）, 第二十四条, 第三十一条: 中断缴费 → benefits paused.

    #[test]
    fn normal_and_interrupted_is_paused() {
        let e = enrollment(EnrollmentStatus::Normal, PaymentStatus::Interrupted);
        assert_eq!(e.benefit_status(today()), BenefitStatus::PaymentInterrupted);
    }

    // ---- 第十条, second clause: 暂停 with 实缴 before → only the paid period.

    #[test]
    fn suspended_with_paid_record_keeps_the_paid_period() {
        let mut e = enrollment(EnrollmentStatus::Suspended, PaymentStatus::Interrupted);
        e.suspended_from = Some(date(2024, 1, 1));
        assert_eq!(
            e.benefit_status(today()),
            BenefitStatus::SuspendedPaidPeriodOnly
        );
        e.paid_months = 0;
        e.payment = PaymentStatus::Paid;
        assert_eq!(
            e.benefit_status(today()),
            BenefitStatus::SuspendedPaidPeriodOnly
        );
    }

    #[test]
    fn suspended_without_paid_record_has_no_benefits() {
        let mut e = enrollment(EnrollmentStatus::Suspended, PaymentStatus::Interrupted);
        e.paid_months = 0;
        assert_eq!(e.benefit_status(today()), BenefitStatus::Suspended);
        e.payment = PaymentStatus::Assessed;
        assert_eq!(e.benefit_status(today()), BenefitStatus::Suspended);
    }

    // ---- 第十条, third clause: 终止 → only costs before termination.

    #[test]
    fn terminated_whatever_the_payment() {
        for p in [
            PaymentStatus::Assessed,
            PaymentStatus::Paid,
            PaymentStatus::Interrupted,
        ] {
            let e = enrollment(EnrollmentStatus::Terminated, p);
            assert_eq!(e.benefit_status(today()), BenefitStatus::Terminated);
        }
    }

    // ---- Dates of the enrollment itself.

    #[test]
    fn before_enrollment_nothing_applies() {
        let e = enrollment(EnrollmentStatus::Normal, PaymentStatus::Paid);
        assert_eq!(
            e.benefit_status(date(2015, 6, 30)),
            BenefitStatus::NotYetEnrolled
        );
        assert_eq!(e.benefit_status(date(2015, 7, 1)), BenefitStatus::Entitled);
    }

    #[test]
    fn a_suspension_takes_effect_on_its_date() {
        let mut e = enrollment(EnrollmentStatus::Suspended, PaymentStatus::Paid);
        e.suspended_from = Some(date(2024, 6, 1));
        assert_eq!(e.status_on(date(2024, 5, 31)), EnrollmentStatus::Normal);
        assert_eq!(e.benefit_status(date(2024, 5, 31)), BenefitStatus::Entitled);
        assert_eq!(e.status_on(date(2024, 6, 1)), EnrollmentStatus::Suspended);
        assert_eq!(
            e.benefit_status(date(2024, 6, 1)),
            BenefitStatus::SuspendedPaidPeriodOnly
        );

        let mut t = enrollment(EnrollmentStatus::Terminated, PaymentStatus::Interrupted);
        t.suspended_from = Some(date(2024, 6, 1));
        assert_eq!(
            t.benefit_status(date(2024, 5, 31)),
            BenefitStatus::PaymentInterrupted
        );
        assert_eq!(
            t.benefit_status(date(2024, 6, 1)),
            BenefitStatus::Terminated
        );
        // Without a date the recorded status applies.
        t.suspended_from = None;
        assert_eq!(t.status_on(date(2020, 1, 1)), EnrollmentStatus::Terminated);
    }

    #[test]
    fn person_category_display() {
        let mut e = enrollment(EnrollmentStatus::Normal, PaymentStatus::Paid);
        assert_eq!(e.person_category_text(), "在职");
        e.person_category = String::new();
        e.person_category_code = "21".into();
        assert_eq!(e.person_category_text(), "退休");
        e.person_category_code = "1501".into();
        assert_eq!(e.person_category_text(), "1501");
        assert_eq!(person_category_label("11"), Some("在职"));
        assert_eq!(person_category_label("99"), None);
    }

    #[test]
    fn debug_masks_personal_data() {
        let p = person();
        let text = format!("{p:?}");
        assert!(!text.contains("11010519491231002X"), "{text}");
        assert!(!text.contains("张三丰"), "{text}");
        assert!(!text.contains("22010000000000000012345678"), "{text}");
        assert!(!text.contains("1949"), "{text}");
        assert!(!text.contains("1234.50"), "{text}");
        assert!(!text.contains("某某有限公司"), "{text}");
        assert!(text.contains("110105********002X"), "{text}");
        assert!(text.contains("张**"), "{text}");
        assert!(text.contains("EmployeeBasic"), "{text}");
    }

    #[test]
    fn serde_round_trip_keeps_amounts_as_strings() {
        let p = person();
        let json = serde_json::to_value(&p).unwrap();
        assert_eq!(json["enrollments"][0]["account_balance"], "1234.50");
        assert_eq!(json["enrollments"][0]["status"], "normal");
        assert_eq!(json["enrollments"][0]["enrolled_from"], "2015-07-01");
        let back: InsuredPerson = serde_json::from_value(json).unwrap();
        assert_eq!(back, p);
    }

    #[test]
    fn lookups_and_totals() {
        let p = person();
        assert_eq!(
            p.enrollment(InsuranceType::ResidentBasic).map(|e| e.status),
            Some(EnrollmentStatus::Terminated)
        );
        assert!(p.enrollment(InsuranceType::Maternity).is_none());
        assert_eq!(p.total_balance().unwrap().plain(), "1235.00");
        let mut big = p.clone();
        for e in &mut big.enrollments {
            e.account_balance = Yuan::from_fen(crate::money::MAX_FEN).unwrap();
        }
        assert_eq!(big.total_balance(), Err(Error::AmountOutOfRange));
        assert_eq!(p.masked_name(), "张**");
        assert_eq!(p.masked_id_number(), "110105********002X");
    }
}

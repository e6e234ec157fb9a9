//! Documents the kiosk prints, as data. The printer driver's layout module
//! turns them into ESC/POS; tests check them without a printer. Dates,
//! money and masking are formatted here once, so paper and screen agree.

use std::fmt;

use chrono::NaiveDateTime;

use crate::enrollment::InsuredPerson;
use crate::identity::{mask_name, mask_number};
use crate::money::Yuan;
use crate::session::TerminalInfo;

/// 业务办理单 for an enrollment query: the details the citizen saw.
#[derive(Clone, PartialEq, Eq)]
pub struct BusinessSlip {
    /// Document title.
    pub title: String,
    /// The business done (参保信息查询).
    pub business: String,
    /// Slip serial number: terminal id, `yyMMddHHmmss` and a two-digit
    /// running number (fits one line of 58 mm paper).
    pub serial: String,
    /// When it was printed.
    pub printed_at: NaiveDateTime,
    /// Terminal id.
    pub terminal_id: String,
    /// Service hall.
    pub hall_name: String,
    /// The insured person's name.
    pub name: String,
    /// The ID number, masked as on screen.
    pub id_number_masked: String,
    /// One block per insurance type.
    pub enrollments: Vec<SlipEnrollment>,
    /// Notes printed at the bottom.
    pub notes: Vec<String>,
}

/// One insurance type on the slip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlipEnrollment {
    /// 险种.
    pub insurance_type: String,
    /// 参保状态.
    pub status: String,
    /// 缴费状态.
    pub payment: String,
    /// 参保日期 (YYYY-MM-DD).
    pub enrolled_from: String,
    /// 暂停/终止日期 (YYYY-MM-DD), if any.
    pub suspended_from: Option<String>,
    /// 统筹区.
    pub pooling_area: String,
    /// 人员类别.
    pub person_category: String,
    /// 单位.
    pub employer: Option<String>,
    /// 累计缴费月数.
    pub paid_months: u32,
    /// 个人账户余额.
    pub balance: Yuan,
}

/// Formats a date the way screen and paper show it.
pub fn format_date(date: chrono::NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

impl BusinessSlip {
    /// The slip for the enrollment query of `person`.
    pub fn enrollment_query(
        person: &InsuredPerson,
        terminal: &TerminalInfo,
        printed_at: NaiveDateTime,
        number: u64,
    ) -> BusinessSlip {
        BusinessSlip {
            title: "医疗保障业务办理单".into(),
            business: "参保信息查询".into(),
            serial: format!(
                "{}-{}{:02}",
                terminal.terminal_id,
                printed_at.format("%y%m%d%H%M%S"),
                number % 100
            ),
            printed_at,
            terminal_id: terminal.terminal_id.clone(),
            hall_name: terminal.hall_name.clone(),
            name: person.name.clone(),
            id_number_masked: mask_number(&person.id_number),
            enrollments: person
                .enrollments
                .iter()
                .map(|e| SlipEnrollment {
                    insurance_type: e.insurance_type.label().to_string(),
                    status: e.status.label().to_string(),
                    payment: e.payment.label().to_string(),
                    enrolled_from: format_date(e.enrolled_from),
                    suspended_from: e.suspended_from.map(format_date),
                    pooling_area: e.pooling_area.clone(),
                    person_category: e.person_category_text().to_string(),
                    employer: e.employer.clone(),
                    paid_months: e.paid_months,
                    balance: e.account_balance,
                })
                .collect(),
            notes: vec![
                "本单据仅记录本次查询结果，以医保经办机构记录为准。".into(),
                "缴费信息以税务部门确认为准。".into(),
            ],
        }
    }
}

impl fmt::Debug for BusinessSlip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BusinessSlip")
            .field("serial", &self.serial)
            .field("name", &mask_name(&self.name))
            .field("id_number", &self.id_number_masked)
            .field("enrollments", &self.enrollments.len())
            .finish_non_exhaustive()
    }
}

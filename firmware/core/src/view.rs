//! What the screen shows, derived from the session: plain strings ready for
//! the UI, with masking, dates and money formatted here (and in
//! [`crate::documents`]) so that screen and paper agree.

use std::time::Instant;

use crate::documents::format_date;
use crate::enrollment::{EnrollmentStatus, InsuredPerson};
use crate::identity::mask_number;
use crate::session::{Screen, Session};

/// The whole screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct View {
    /// Which screen.
    pub screen: Screen,
    /// Status or error message.
    pub message: String,
    /// The person on screen, if any.
    pub person: Option<PersonView>,
}

/// The person's identity and enrollments, formatted.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct PersonView {
    /// Name.
    pub name: String,
    /// ID number: masked unless revealed.
    pub id_number: String,
    /// Whether `id_number` is the full number.
    pub id_revealed: bool,
    /// Document kind.
    pub id_kind: String,
    /// Sex.
    pub sex: String,
    /// Birth date.
    pub birth_date: String,
    /// Sum of account balances, with currency sign.
    pub total_balance: String,
    /// One per insurance type.
    pub enrollments: Vec<EnrollmentView>,
}

impl std::fmt::Debug for PersonView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PersonView")
            .field("enrollments", &self.enrollments.len())
            .finish_non_exhaustive()
    }
}

/// One insurance type, formatted.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EnrollmentView {
    /// 险种.
    pub insurance_type: String,
    /// 参保状态 label.
    pub status: String,
    /// `normal`, `suspended` or `terminated` (drives the colour).
    pub status_kind: String,
    /// 缴费状态 label.
    pub payment: String,
    /// 参保日期.
    pub enrolled_from: String,
    /// 暂停/终止日期, empty when none.
    pub suspended_from: String,
    /// 统筹区.
    pub pooling_area: String,
    /// 人员类别.
    pub person_category: String,
    /// 单位, empty when none.
    pub employer: String,
    /// 累计缴费月数.
    pub paid_months: String,
    /// 个人账户余额 with currency sign.
    pub balance: String,
}

impl View {
    /// The view of `session` at `now`.
    pub fn of(session: &Session, now: Instant) -> View {
        View {
            screen: session.screen(),
            message: session.message().to_string(),
            person: session
                .person()
                .map(|p| PersonView::of(p, session.id_revealed(now))),
        }
    }
}

impl PersonView {
    /// Formats a person; `reveal` shows the full ID number.
    pub fn of(person: &InsuredPerson, reveal: bool) -> PersonView {
        PersonView {
            name: person.name.clone(),
            id_number: if reveal {
                person.id_number.clone()
            } else {
                mask_number(&person.id_number)
            },
            id_revealed: reveal,
            id_kind: person.id_kind.label().to_string(),
            sex: person.sex.label().to_string(),
            birth_date: format_date(person.birth_date),
            total_balance: person
                .total_balance()
                .map(|b| format!("¥{}", b.display_digits()))
                .unwrap_or_default(),
            enrollments: person
                .enrollments
                .iter()
                .map(|e| EnrollmentView {
                    insurance_type: e.insurance_type.label().to_string(),
                    status: e.status.label().to_string(),
                    status_kind: match e.status {
                        EnrollmentStatus::Normal => "normal",
                        EnrollmentStatus::Suspended => "suspended",
                        EnrollmentStatus::Terminated => "terminated",
                    }
                    .to_string(),
                    payment: e.payment.label().to_string(),
                    enrolled_from: format_date(e.enrolled_from),
                    suspended_from: e.suspended_from.map(format_date).unwrap_or_default(),
                    pooling_area: e.pooling_area.clone(),
                    person_category: e.person_category_text().to_string(),
                    employer: e.employer.clone().unwrap_or_default(),
                    paid_months: e.paid_months.to_string(),
                    balance: format!("¥{}", e.account_balance.display_digits()),
                })
                .collect(),
        }
    }
}

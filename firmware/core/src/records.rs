//! The person's records the kiosk looks up: the contribution history
//! 缴费明细 (month by month, with its gaps 断缴 and what they mean under the
//! region's rules) and the contribution record 参保缴费明细 the centre
//! numbers and signs for printing.
//!
//! Pure data and rules; amounts are [`Yuan`], never floats.

use std::fmt;

use chrono::NaiveDateTime;

use crate::documents::{MIN_KEY_LEN, sign};
use crate::enrollment::InsuranceType;
use crate::error::Error;
use crate::money::Yuan;
use crate::region::EnrollmentRules;
use crate::{texts, tr_mark};

/// A calendar month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct YearMonth {
    /// Year.
    pub year: i32,
    /// Month, 1–12.
    pub month: u32,
}

impl YearMonth {
    /// The month, if `month` is 1–12.
    pub fn new(year: i32, month: u32) -> Option<YearMonth> {
        (1..=12)
            .contains(&month)
            .then_some(YearMonth { year, month })
    }

    /// Parses the wire form `yyyyMM`.
    pub fn parse_compact(text: &str) -> Option<YearMonth> {
        if text.len() != 6 || !text.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        YearMonth::new(text.get(..4)?.parse().ok()?, text.get(4..)?.parse().ok()?)
    }

    /// The wire form `yyyyMM`.
    pub fn compact(self) -> String {
        format!("{:04}{:02}", self.year, self.month)
    }

    /// `yyyy-MM`, as screens and papers show it.
    pub fn dashed(self) -> String {
        format!("{:04}-{:02}", self.year, self.month)
    }

    /// The month after.
    pub fn next(self) -> YearMonth {
        if self.month == 12 {
            YearMonth {
                year: self.year + 1,
                month: 1,
            }
        } else {
            YearMonth {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    /// The month before.
    pub fn previous(self) -> YearMonth {
        if self.month == 1 {
            YearMonth {
                year: self.year - 1,
                month: 12,
            }
        } else {
            YearMonth {
                year: self.year,
                month: self.month - 1,
            }
        }
    }

    /// The month of `date`.
    pub fn of(date: chrono::NaiveDate) -> YearMonth {
        use chrono::Datelike;
        YearMonth {
            year: date.year(),
            month: date.month(),
        }
    }

    /// Months from `self` to `later`, both included (0 when `later` is earlier).
    pub fn months_to(self, later: YearMonth) -> u32 {
        let a = self.year * 12 + self.month as i32;
        let b = later.year * 12 + later.month as i32;
        u32::try_from(b - a + 1).unwrap_or(0)
    }
}

/// What happened to one month's contribution (002 第九条).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MonthState {
    /// 实缴: assessed and received.
    Paid,
    /// 应缴未缴: assessed, not received.
    AssessedUnpaid,
    /// 未核定: no contribution was assessed for the month.
    NotAssessed,
}

impl MonthState {
    /// The short label (screens translate it, papers keep it).
    pub fn label(self) -> &'static str {
        match self {
            MonthState::Paid => tr_mark!("已缴"),
            MonthState::AssessedUnpaid => tr_mark!("应缴未缴"),
            MonthState::NotAssessed => tr_mark!("未核定"),
        }
    }

    /// Stable id (drives the colour on screen).
    pub fn id(self) -> &'static str {
        match self {
            MonthState::Paid => "paid",
            MonthState::AssessedUnpaid => "unpaid",
            MonthState::NotAssessed => "none",
        }
    }
}

/// One month of one insurance type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContributionMonth {
    /// The fee month (费款所属期).
    pub month: YearMonth,
    /// The insurance type.
    pub insurance_type: InsuranceType,
    /// 缴费基数.
    pub base: Yuan,
    /// 个人缴纳.
    pub personal: Yuan,
    /// 单位缴纳.
    pub employer: Yuan,
    /// 划入个人账户.
    pub account: Yuan,
    /// Paid, assessed-unpaid or not assessed.
    pub state: MonthState,
}

impl ContributionMonth {
    /// A month with nothing assessed.
    pub fn not_assessed(month: YearMonth, insurance_type: InsuranceType) -> ContributionMonth {
        ContributionMonth {
            month,
            insurance_type,
            base: Yuan::ZERO,
            personal: Yuan::ZERO,
            employer: Yuan::ZERO,
            account: Yuan::ZERO,
            state: MonthState::NotAssessed,
        }
    }
}

/// Totals of one insurance type and year (paid months only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct YearTotals {
    /// Paid months.
    pub paid_months: u32,
    /// Assessed, unpaid months.
    pub unpaid_months: u32,
    /// Paid by the person.
    pub personal: Yuan,
    /// Paid by the employer.
    pub employer: Yuan,
    /// Credited to the personal account.
    pub account: Yuan,
}

/// A run of months without payment (断缴) after payments began.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gap {
    /// First month of the gap.
    pub from: YearMonth,
    /// Last month of the gap.
    pub to: YearMonth,
    /// Whether payment resumed after it (a closed gap) or it runs to the
    /// last month of the history (still open).
    pub resumed: bool,
}

impl Gap {
    /// Its length in months.
    pub fn months(&self) -> u32 {
        self.from.months_to(self.to)
    }
}

/// The contribution history of a person over a range of months.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContributionHistory {
    /// First month asked for.
    pub from: YearMonth,
    /// Last month asked for.
    pub to: YearMonth,
    /// The centre's months, oldest first.
    months: Vec<ContributionMonth>,
}

impl ContributionHistory {
    /// The history of `months` (any order) between `from` and `to`; months
    /// outside the range are dropped, a repeated month keeps the first.
    pub fn new(
        from: YearMonth,
        to: YearMonth,
        mut months: Vec<ContributionMonth>,
    ) -> ContributionHistory {
        months.retain(|m| m.month >= from && m.month <= to);
        months.sort_by_key(|m| (m.insurance_type.code(), m.month));
        months.dedup_by_key(|m| (m.insurance_type, m.month));
        ContributionHistory { from, to, months }
    }

    /// The insurance types with at least one month, basic insurance first.
    pub fn types(&self) -> Vec<InsuranceType> {
        let mut types: Vec<InsuranceType> = Vec::new();
        for m in &self.months {
            if !types.contains(&m.insurance_type) {
                types.push(m.insurance_type);
            }
        }
        types
    }

    /// The years with at least one month of `t`, newest first.
    pub fn years(&self, t: InsuranceType) -> Vec<i32> {
        let mut years: Vec<i32> = self
            .months
            .iter()
            .filter(|m| m.insurance_type == t)
            .map(|m| m.month.year)
            .collect();
        years.dedup();
        years.reverse();
        years
    }

    /// The twelve months of `year` for `t` within the range: the centre's
    /// records, and "not assessed" where it has none.
    pub fn year(&self, t: InsuranceType, year: i32) -> Vec<ContributionMonth> {
        (1..=12)
            .filter_map(|m| YearMonth::new(year, m))
            .filter(|ym| *ym >= self.from && *ym <= self.to)
            .map(|ym| {
                self.months
                    .iter()
                    .find(|m| m.insurance_type == t && m.month == ym)
                    .cloned()
                    .unwrap_or_else(|| ContributionMonth::not_assessed(ym, t))
            })
            .collect()
    }

    /// Totals of `year` for `t`.
    pub fn totals(&self, t: InsuranceType, year: i32) -> Result<YearTotals, Error> {
        totals(&self.year(t, year))
    }

    /// The gaps (断缴) of `t`: runs of months without payment that follow a
    /// paid month and either end with payment resuming or contain an
    /// assessed, unpaid month. Months simply not assessed at the end of
    /// the history (not yet due, or a suspended enrollment) are not a gap.
    pub fn gaps(&self, t: InsuranceType) -> Vec<Gap> {
        let of_type: Vec<&ContributionMonth> = self
            .months
            .iter()
            .filter(|m| m.insurance_type == t)
            .collect();
        let Some(first_paid) = of_type
            .iter()
            .find(|m| m.state == MonthState::Paid)
            .map(|m| m.month)
        else {
            return Vec::new();
        };
        let Some(last) = of_type.last().map(|m| m.month) else {
            return Vec::new();
        };
        let state = |ym: YearMonth| {
            of_type
                .iter()
                .find(|m| m.month == ym)
                .map(|m| m.state)
                .unwrap_or(MonthState::NotAssessed)
        };
        let mut gaps = Vec::new();
        let mut run: Option<(YearMonth, YearMonth, bool)> = None;
        let mut ym = first_paid;
        // At most 12 × the years of the range: bounded.
        while ym <= last {
            match state(ym) {
                MonthState::Paid => {
                    if let Some((from, to, _)) = run.take() {
                        gaps.push(Gap {
                            from,
                            to,
                            resumed: true,
                        });
                    }
                }
                s => {
                    let unpaid = s == MonthState::AssessedUnpaid;
                    run = Some(match run {
                        Some((from, _, u)) => (from, ym, u || unpaid),
                        None => (ym, ym, unpaid),
                    });
                }
            }
            ym = ym.next();
        }
        if let Some((from, to, true)) = run {
            gaps.push(Gap {
                from,
                to,
                resumed: false,
            });
        }
        gaps
    }
}

/// Totals of `months` (paid months only for the amounts).
pub fn totals(months: &[ContributionMonth]) -> Result<YearTotals, Error> {
    let mut t = YearTotals {
        paid_months: 0,
        unpaid_months: 0,
        personal: Yuan::ZERO,
        employer: Yuan::ZERO,
        account: Yuan::ZERO,
    };
    for m in months {
        match m.state {
            MonthState::Paid => {
                t.paid_months += 1;
                t.personal = t.personal.checked_add(m.personal)?;
                t.employer = t.employer.checked_add(m.employer)?;
                t.account = t.account.checked_add(m.account)?;
            }
            MonthState::AssessedUnpaid => t.unpaid_months += 1,
            MonthState::NotAssessed => {}
        }
    }
    Ok(t)
}

/// What a gap means for benefits under the region's rules: the back-payment
/// window (002 第二十四条、第三十一条) and, beyond it, the waiting period
/// (第十九条) in the region profile's own words. `printed` keeps the text
/// in Chinese (papers); otherwise it is in the screen's language.
pub fn gap_meaning(gap: &Gap, rules: Option<&EnrollmentRules>, printed: bool) -> String {
    let lang = |template: &'static str| {
        if printed {
            template
        } else {
            texts::tr_str(template)
        }
    };
    let Some(rules) = rules else {
        return lang(tr_mark!("断缴期间的待遇请到人工窗口咨询。")).to_string();
    };
    let window = u32::from(rules.back_payment_window_months.value);
    let months = gap.months();
    if months <= window {
        if gap.resumed {
            texts::format_text(
                lang(tr_mark!(
                    "中断{}个月，未超过{}个月：在{}个月内（含）足额补缴的，中断期间的待遇可追溯享受；如未补缴，请到人工窗口咨询。"
                )),
                &[&months, &window, &window],
            )
        } else {
            texts::format_text(
                lang(tr_mark!(
                    "已中断{}个月：请在中断后{}个月内（含）足额补缴，中断期间的待遇可追溯享受。"
                )),
                &[&months, &window],
            )
        }
    } else {
        // The region's own wording of the waiting period (kept as written).
        let waiting = rules
            .waiting_period_triggers
            .iter()
            .find(|r| r.key == "employee_first_or_gap")
            .map(|r| r.text.clone())
            .unwrap_or_else(|| rules.waiting_period.text.clone());
        texts::format_text(
            lang(tr_mark!(
                "中断{}个月，超过{}个月：中断期间的待遇不能追溯。{}"
            )),
            &[&months, &window, &waiting],
        )
    }
}

/// Version tag of the contribution record's verification payload.
pub const RECORD_TAG: &str = "KCR1";

/// The content the centre signs for a contribution record, one field per
/// line (UTF-8, `\n`, no trailing newline): `KCR1`, record number, 人员编号,
/// insurance type code, first and last month `yyyyMM`, issue date
/// `YYYY-MM-DD`, then one line per month
/// `yyyyMM,<state p|u|n>,<base fen>,<personal fen>,<employer fen>,<account fen>`.
/// The kiosk prints the months the centre signed; a verifier rebuilds the
/// content from its own record and compares (see
/// [`crate::documents::verify`], which takes any tag-less content).
pub fn record_signed_content(
    number: &str,
    person_number: &str,
    insurance_type: InsuranceType,
    from: YearMonth,
    to: YearMonth,
    issued_on: chrono::NaiveDate,
    months: &[ContributionMonth],
) -> String {
    let mut lines = vec![
        RECORD_TAG.to_string(),
        number.to_string(),
        person_number.to_string(),
        insurance_type.code().to_string(),
        from.compact(),
        to.compact(),
        issued_on.format("%Y-%m-%d").to_string(),
    ];
    for m in months {
        let state = match m.state {
            MonthState::Paid => "p",
            MonthState::AssessedUnpaid => "u",
            MonthState::NotAssessed => "n",
        };
        lines.push(format!(
            "{},{state},{},{},{},{}",
            m.month.compact(),
            m.base.fen(),
            m.personal.fen(),
            m.employer.fen(),
            m.account.fen()
        ));
    }
    lines.join("\n")
}

/// The verification payload `KCR1|<number>|<signature>` (what the centre
/// prints in the QR code), signed with `key` (≥ [`MIN_KEY_LEN`] bytes).
pub fn record_verification(number: &str, content: &str, key: &[u8]) -> Result<String, Error> {
    if key.len() < MIN_KEY_LEN {
        return Err(Error::SigningKey);
    }
    Ok(format!("{RECORD_TAG}|{number}|{}", sign(key, content)?))
}

/// Checks a `KCR1|number|signature` payload against `content`.
pub fn record_verify(key: &[u8], payload: &str, number: &str, content: &str) -> bool {
    match payload.strip_prefix(RECORD_TAG) {
        Some(rest) => crate::documents::verify(
            key,
            &format!("{}{rest}", crate::documents::VERIFICATION_TAG),
            number,
            content,
        ),
        None => false,
    }
}

/// The contribution record 参保缴费明细 of one insurance type and year,
/// numbered and signed by the centre, ready to print.
#[derive(Clone, PartialEq, Eq)]
pub struct ContributionRecord {
    /// Title (参保缴费明细).
    pub title: String,
    /// The centre's number, `<pooling area>-<year>-J<serial>`.
    pub number: String,
    /// When the centre issued it.
    pub issued_at: NaiveDateTime,
    /// 姓名.
    pub name: String,
    /// 身份证件号码, masked (6 + 4): a record of payments, not an identity
    /// document.
    pub id_number_masked: String,
    /// Insurance type label.
    pub insurance_type: String,
    /// 参保地 (pooling area name).
    pub pooling_area: String,
    /// The months printed (one year), oldest first.
    pub months: Vec<ContributionMonth>,
    /// 累计缴费月数 (the centre's figure).
    pub cumulative_months: u32,
    /// Gap lines: period and meaning.
    pub gaps: Vec<String>,
    /// Terminal id.
    pub terminal_id: String,
    /// Issuer printed at the bottom.
    pub issuer: String,
    /// The verification QR payload (`KCR1|…|…`).
    pub verification: String,
    /// The proxy (代办人) who asked for it, masked.
    pub proxy: Option<String>,
}

impl ContributionRecord {
    /// Totals of the months printed.
    pub fn totals(&self) -> Result<YearTotals, Error> {
        totals(&self.months)
    }
}

impl fmt::Debug for ContributionRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ContributionRecord")
            .field("number", &self.number)
            .field("months", &self.months.len())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ym(y: i32, m: u32) -> YearMonth {
        YearMonth::new(y, m).unwrap()
    }

    fn month(y: i32, m: u32, state: MonthState) -> ContributionMonth {
        ContributionMonth {
            month: ym(y, m),
            insurance_type: InsuranceType::EmployeeBasic,
            base: Yuan::from_fen(520_000).unwrap(),
            personal: Yuan::from_fen(10_400).unwrap(),
            employer: Yuan::from_fen(41_600).unwrap(),
            account: Yuan::from_fen(10_400).unwrap(),
            state,
        }
    }

    #[test]
    fn year_month_parses_and_counts() {
        assert_eq!(YearMonth::parse_compact("202503"), Some(ym(2025, 3)));
        assert_eq!(YearMonth::parse_compact("202513"), None);
        assert_eq!(YearMonth::parse_compact("2025-3"), None);
        assert_eq!(ym(2024, 11).months_to(ym(2025, 2)), 4);
        assert_eq!(ym(2025, 2).months_to(ym(2024, 11)), 0);
        assert_eq!(ym(2024, 12).next(), ym(2025, 1));
    }

    #[test]
    fn years_fill_missing_months_and_total_paid_ones() {
        let h = ContributionHistory::new(
            ym(2024, 1),
            ym(2025, 6),
            vec![
                month(2025, 1, MonthState::Paid),
                month(2025, 2, MonthState::AssessedUnpaid),
                month(2024, 12, MonthState::Paid),
            ],
        );
        assert_eq!(h.years(InsuranceType::EmployeeBasic), vec![2025, 2024]);
        let y = h.year(InsuranceType::EmployeeBasic, 2025);
        assert_eq!(y.len(), 6, "the range ends in June");
        assert_eq!(y[2].state, MonthState::NotAssessed);
        let t = h.totals(InsuranceType::EmployeeBasic, 2025).unwrap();
        assert_eq!(t.paid_months, 1);
        assert_eq!(t.unpaid_months, 1);
        assert_eq!(t.personal.plain(), "104.00");
        assert_eq!(t.employer.plain(), "416.00");
    }

    #[test]
    fn gaps_are_runs_after_payment_that_resume_or_are_assessed() {
        let mut months = vec![month(2024, 1, MonthState::Paid)];
        // Feb–Apr not assessed, May paid: a closed 3-month gap.
        months.push(month(2024, 5, MonthState::Paid));
        // Jun–Jul assessed unpaid, nothing after: an open gap.
        months.push(month(2024, 6, MonthState::AssessedUnpaid));
        months.push(month(2024, 7, MonthState::AssessedUnpaid));
        let h = ContributionHistory::new(ym(2023, 1), ym(2024, 12), months);
        let gaps = h.gaps(InsuranceType::EmployeeBasic);
        assert_eq!(
            gaps,
            vec![
                Gap {
                    from: ym(2024, 2),
                    to: ym(2024, 4),
                    resumed: true
                },
                Gap {
                    from: ym(2024, 6),
                    to: ym(2024, 7),
                    resumed: false
                },
            ]
        );
        // Months not assessed at the end (not yet due) are no gap.
        let h = ContributionHistory::new(
            ym(2024, 1),
            ym(2024, 12),
            vec![month(2024, 1, MonthState::Paid)],
        );
        assert!(h.gaps(InsuranceType::EmployeeBasic).is_empty());
    }

    #[test]
    fn signed_content_covers_every_month_and_verifies() {
        let months = vec![
            month(2025, 1, MonthState::Paid),
            month(2025, 2, MonthState::AssessedUnpaid),
        ];
        let content = record_signed_content(
            "220200-2026-J0001",
            "22020000000002",
            InsuranceType::EmployeeBasic,
            ym(2025, 1),
            ym(2025, 2),
            chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
            &months,
        );
        assert!(content.ends_with("202502,u,520000,10400,41600,10400"));
        let key = b"0123456789abcdef-centre";
        let payload = record_verification("220200-2026-J0001", &content, key).unwrap();
        assert!(payload.starts_with("KCR1|220200-2026-J0001|"));
        assert!(record_verify(key, &payload, "220200-2026-J0001", &content));
        let tampered = content.replace(",u,", ",p,");
        assert!(!record_verify(
            key,
            &payload,
            "220200-2026-J0001",
            &tampered
        ));
        assert!(record_verification("n", &content, b"short").is_err());
    }
}

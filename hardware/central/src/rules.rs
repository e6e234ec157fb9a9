//! The centre's remote-care filing limits, taken from the region profile
//! of the pooling area it serves (never written into the service): how
//! long a dated filing (temporary trip, referral) must or may run. The
//! national rule (医保发〔2022〕22号) gives temporary trips at least 6 months;
//! a profile states it as `validity = { kind = "at_least_months", months = 6 }`.

use chrono::{Months, NaiveDate};
use kiosk_core::region::{FilingKind, FilingRules, RegionProfile, ValidityKind};
use kiosk_sync::wire::filing_type;

/// The built-in profile the centre applies when it is given none (the
/// demo data's pooling areas are in Jilin).
const BUILTIN_PROFILE: &str = include_str!("../../../data/regions/jilin.toml");

/// How long a dated filing must run, per filing type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilingLimits {
    dated: Vec<DatedLimit>,
    suspension: bool,
    /// The chronic / special-disease institution change (KS18), when the
    /// region offers it: the lowest hospital grade for a special disease.
    special_min_grade: Option<u8>,
}

/// The limit of one dated category.
#[derive(Debug, Clone, PartialEq, Eq)]
struct DatedLimit {
    /// Wire filing type (`4`, `5`).
    filing_type: &'static str,
    /// The region's name of the category.
    label: String,
    /// At least this many months, start and end day included.
    min_months: Option<u32>,
}

impl FilingLimits {
    /// The limits of a region's filing rules.
    pub fn from_rules(rules: &FilingRules) -> FilingLimits {
        let dated = [
            (FilingKind::TemporaryTrip, filing_type::TEMPORARY_TRIP),
            (FilingKind::Referral, filing_type::REFERRAL),
        ]
        .into_iter()
        .map(|(kind, code)| {
            let category = rules.category(kind);
            DatedLimit {
                filing_type: code,
                label: category.map(|c| c.label.clone()).unwrap_or_default(),
                min_months: category
                    .filter(|c| c.validity.kind == ValidityKind::AtLeastMonths)
                    .and_then(|c| c.validity.months)
                    .map(u32::from),
            }
        })
        .collect();
        FilingLimits {
            dated,
            suspension: rules.suspension.is_some(),
            special_min_grade: None,
        }
    }

    /// The same limits with the region's chronic / special-disease rules
    /// (seed 000 A6/A7); `None`: the change is not offered.
    pub fn with_chronic(
        mut self,
        rules: Option<&kiosk_core::region::ChronicRules>,
    ) -> FilingLimits {
        self.special_min_grade = rules.map(|r| r.special_min_grade.value);
        self
    }

    /// Whether the region offers the institution change of a registered
    /// chronic / special disease, and the lowest hospital grade of a
    /// special disease.
    pub fn chronic(&self) -> Option<u8> {
        self.special_min_grade
    }

    /// Whether the region offers suspend / resume (KS16).
    pub fn suspension(&self) -> bool {
        self.suspension
    }

    /// The limits of the built-in Jilin profile.
    pub fn builtin() -> FilingLimits {
        match RegionProfile::parse("jilin.toml", BUILTIN_PROFILE) {
            Ok(profile) => FilingLimits::from_rules(profile.filing_rules())
                .with_chronic(profile.chronic_rules()),
            // The file is part of the source tree and checked by the
            // region-profile tests; without it no minimum applies.
            Err(e) => {
                tracing::error!("built-in region profile does not parse: {e}");
                FilingLimits {
                    dated: Vec::new(),
                    suspension: false,
                    special_min_grade: None,
                }
            }
        }
    }

    /// Checks the dates of a dated filing (`4` temporary trip, `5`
    /// referral); `Err` is the refusal for the citizen. Long-term types
    /// pass.
    pub fn check(
        &self,
        filing_type_code: &str,
        begin: NaiveDate,
        end: Option<NaiveDate>,
    ) -> Result<(), String> {
        if filing_type::is_long_term(filing_type_code) {
            return Ok(());
        }
        let Some(end) = end else {
            return Err("临时外出就医和转诊备案须填写结束日期".into());
        };
        let Some(limit) = self
            .dated
            .iter()
            .find(|l| l.filing_type == filing_type_code)
        else {
            return Ok(());
        };
        if let Some(months) = limit.min_months {
            // “不少于6个月”: from 03-01 the last day is at least 08-31.
            let shortest = begin
                .checked_add_months(Months::new(months))
                .and_then(|d| d.pred_opt());
            if shortest.is_some_and(|shortest| end < shortest) {
                return Err(format!(
                    "{}备案有效期不少于{months}个月，结束日期最早为{}",
                    limit.label,
                    shortest
                        .map(|d| d.format("%Y-%m-%d").to_string())
                        .unwrap_or_default()
                ));
            }
        }
        Ok(())
    }
}

impl Default for FilingLimits {
    fn default() -> Self {
        FilingLimits::builtin()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    /// Issue 19 item 1, national rule 医保发〔2022〕22号 as the Jilin profile
    /// states it: a temporary trip runs at least 6 months, with no 180-day
    /// cap (a 12-month trip is accepted).
    #[test]
    fn trip_limits_come_from_the_region_profile_national_six_months() {
        let limits = FilingLimits::builtin();
        let begin = d(2026, 3, 1);
        assert!(limits.check("4", begin, Some(d(2026, 8, 31))).is_ok());
        assert!(limits.check("4", begin, Some(d(2027, 2, 28))).is_ok());
        let short = limits.check("4", begin, Some(d(2026, 8, 30))).unwrap_err();
        assert!(
            short.contains("不少于6个月") && short.contains("2026-08-31"),
            "{short}"
        );
        assert!(short.contains("跨省临时外出就医人员"), "{short}");
        assert!(
            limits
                .check("4", begin, None)
                .unwrap_err()
                .contains("结束日期")
        );
        // Jilin's referral lasts to the end of the stay (000:L13626): no minimum.
        assert!(limits.check("5", begin, Some(d(2026, 3, 20))).is_ok());
        // Long-term filings have no end date.
        assert!(limits.check("2", begin, None).is_ok());
    }

    /// Linkou (seed 001) states 6 months for referrals too (national default).
    #[test]
    fn another_profile_gives_other_limits() {
        let text = include_str!("../../../data/regions/linkou.toml");
        let linkou = RegionProfile::parse("linkou.toml", text).unwrap();
        let limits = FilingLimits::from_rules(linkou.filing_rules());
        let begin = d(2026, 3, 1);
        assert!(limits.check("5", begin, Some(d(2026, 3, 20))).is_err());
        assert!(limits.check("5", begin, Some(d(2026, 8, 31))).is_ok());
    }
}

//! What the records screens show (contribution history 缴费明细), already
//! formatted: amounts with two decimals, months `yyyy-MM`, labels in the
//! screen's language.

use crate::records::{MonthState, gap_meaning};
use crate::session::Session;
use crate::texts;
use crate::tr;

use super::Choice;

/// The contribution history screen.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ContributionsView {
    /// Insurance type chips (`contrib-type:<code>`).
    pub types: Vec<Choice>,
    /// Year chips (`contrib-year:<year>`), newest first.
    pub years: Vec<Choice>,
    /// The heading: insurance type and year.
    pub heading: String,
    /// The months of the year chosen, oldest first.
    pub months: Vec<MonthRow>,
    /// The year's totals, one line.
    pub totals: String,
    /// 累计缴费月数 (the centre's figure), one line.
    pub cumulative: String,
    /// The gaps of the insurance type that touch the year: period and
    /// what it means under the region's rules.
    pub gaps: Vec<String>,
}

/// One month on screen.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MonthRow {
    /// `yyyy-MM`.
    pub month: String,
    /// 已缴 / 应缴未缴 / 未核定.
    pub state: String,
    /// `paid`, `unpaid` or `none` (the colour).
    pub state_id: String,
    /// 缴费基数.
    pub base: String,
    /// 个人缴纳.
    pub personal: String,
    /// 单位缴纳.
    pub employer: String,
    /// 划入个人账户.
    pub account: String,
}

impl ContributionsView {
    /// The screen for the history in `session`, if any.
    pub fn of(session: &Session) -> Option<ContributionsView> {
        let (history, t, year) = session.contributions()?;
        let types = history
            .types()
            .into_iter()
            .map(|k| Choice {
                action: format!("contrib-type:{}", k.code()),
                label: texts::tr_str(k.label()).to_string(),
                detail: String::new(),
                enabled: true,
                selected: k == t,
            })
            .collect();
        let years = history
            .years(t)
            .into_iter()
            .map(|y| Choice {
                action: format!("contrib-year:{y}"),
                label: y.to_string(),
                detail: String::new(),
                enabled: true,
                selected: y == year,
            })
            .collect();
        let months = history.year(t, year);
        let money = |y: crate::money::Yuan, state: MonthState| {
            if state == MonthState::NotAssessed {
                String::from("—")
            } else {
                y.display_digits()
            }
        };
        let rows = months
            .iter()
            .map(|m| MonthRow {
                month: m.month.dashed(),
                state: texts::tr_str(m.state.label()).to_string(),
                state_id: m.state.id().to_string(),
                base: money(m.base, m.state),
                personal: money(m.personal, m.state),
                employer: money(m.employer, m.state),
                account: money(m.account, m.state),
            })
            .collect();
        let totals = match crate::records::totals(&months) {
            Ok(s) => tr!(
                "{}年合计：已缴{}个月，个人缴纳¥{}，单位缴纳¥{}，划入个人账户¥{}",
                year,
                s.paid_months,
                s.personal.display_digits(),
                s.employer.display_digits(),
                s.account.display_digits()
            ),
            Err(e) => e.user_message(),
        };
        let cumulative = session
            .person()
            .and_then(|p| p.enrollment(t))
            .map(|e| tr!("累计缴费月数：{}个月（医保中心记录）", e.paid_months))
            .unwrap_or_default();
        let rules = session.region().enrollment_rules();
        let gaps = history
            .gaps(t)
            .iter()
            .filter(|g| g.from.year <= year && g.to.year >= year)
            .map(|g| {
                tr!(
                    "{} 至 {} 断缴{}个月。{}",
                    g.from.dashed(),
                    g.to.dashed(),
                    g.months(),
                    gap_meaning(g, rules, false)
                )
            })
            .collect();
        Some(ContributionsView {
            types,
            years,
            heading: tr!("{}　{}年", texts::tr_str(t.label()), year),
            months: rows,
            totals,
            cumulative,
            gaps,
        })
    }
}

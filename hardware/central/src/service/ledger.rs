//! The reference centre's ledger queries (issue 15): KS06 personal account
//! statement 个人账户明细 and KS07 settlement records 就医结算记录, both
//! answered from the demo data as of the centre's clock (hardware/central/src/ledger.rs).

use chrono::{Months, NaiveDate};
use serde_json::Value;

use kiosk_core::records::YearMonth;
use kiosk_sync::wire::{
    AccountEntryItem, AccountStatementInput, AccountStatementOutput, SettlementItem,
    SettlementQueryInput, SettlementQueryOutput,
};

use super::{Answer, Central, bad, not_found, ok, parse, rule};
use crate::ledger;

/// The longest statement range (the kiosk offers 3, 6 and 12 months).
const MAX_MONTHS: u32 = 24;

/// The longest settlement range, in days.
const MAX_DAYS: i64 = 3 * 366;

impl Central {
    /// KS06: the balance now, the balance before the range and the entries
    /// of the range with the balance after each.
    pub(super) fn account_statement(&self, input: &Value) -> Answer {
        let Some(q) = parse::<AccountStatementInput>(input) else {
            return bad("KS06 输入格式错误");
        };
        let (Some(from), Some(to)) = (
            YearMonth::parse_compact(&q.begn_ym),
            YearMonth::parse_compact(&q.end_ym),
        ) else {
            return bad("起止年月应为yyyyMM");
        };
        let months = from.months_to(to);
        if months == 0 || months > MAX_MONTHS {
            return bad("账户明细一次最多查询24个月");
        }
        let Some(p) = self.person(&q.psn_no) else {
            return not_found();
        };
        let Some(ins) = ledger::account_of(p) else {
            return rule("未参加职工基本医疗保险，没有个人账户");
        };
        let (Some(first), Some(after)) = (
            NaiveDate::from_ymd_opt(from.year, from.month, 1),
            NaiveDate::from_ymd_opt(to.year, to.month, 1)
                .and_then(|d| d.checked_add_months(Months::new(1))),
        ) else {
            return bad("起止年月应为yyyyMM");
        };
        if let Some(since) = ledger::since(ins)
            && first < since
        {
            return rule(&format!(
                "{}以前的账户明细已归档，请到医保经办窗口查询",
                since.format("%Y年%-m月")
            ));
        }
        let entries = ledger::entries(&self.data, p, self.clock.today());
        let opening = ledger::balance_before(ins.balance, &entries, first);
        let mut running = opening;
        let items = entries
            .into_iter()
            .filter(|e| e.date >= first && e.date < after)
            .map(|e| {
                running += e.amount;
                AccountEntryItem {
                    date: e.date.format("%Y-%m-%d").to_string(),
                    kind: e.kind.to_string(),
                    amt: e.amount,
                    balc: running,
                    detail: e.detail,
                    relation: e.relation,
                }
            })
            .collect();
        ok(AccountStatementOutput {
            acct_balc: ins.balance,
            begn_balc: opening,
            items,
        })
    }

    /// KS07: the settlements of a range of days up to today, newest first,
    /// with the scope seen from the person's pooling area.
    pub(super) fn settlement_query(&self, input: &Value) -> Answer {
        let Some(q) = parse::<SettlementQueryInput>(input) else {
            return bad("KS07 输入格式错误");
        };
        let day = |t: &str| NaiveDate::parse_from_str(t, "%Y-%m-%d").ok();
        let (Some(from), Some(to)) = (day(&q.begn_date), day(&q.end_date)) else {
            return bad("起止日期应为yyyy-MM-dd");
        };
        if to < from || (to - from).num_days() > MAX_DAYS {
            return bad("结算记录一次最多查询3年");
        }
        let Some(p) = self.person(&q.psn_no) else {
            return not_found();
        };
        let home = ledger::account_of(p)
            .or_else(|| p.insurance.first())
            .map(|i| i.pooling_area.clone())
            .unwrap_or_default();
        let today = self.clock.today();
        let mut found: Vec<_> = p
            .settlements
            .iter()
            .filter(|s| {
                let d = s.at.date();
                d >= from && d <= to && d <= today
            })
            .collect();
        found.sort_by_key(|s| std::cmp::Reverse(s.at));
        let items = found
            .into_iter()
            .map(|s| {
                let area = self
                    .data
                    .institution(&s.institution)
                    .map(|i| i.area.clone())
                    .unwrap_or_default();
                let scope = if area == home {
                    "local"
                } else if area.get(..2) == home.get(..2) {
                    "province"
                } else {
                    "cross"
                };
                SettlementItem {
                    setl_id: s.id.clone(),
                    setl_time: s.at.format("%Y-%m-%d %H:%M:%S").to_string(),
                    fixmedins_name: ledger::institution_name(&self.data, &s.institution),
                    fixmedins_admdvs: area,
                    med_type: s.med_type.clone(),
                    scope: scope.into(),
                    medfee_sumamt: s.total,
                    fund_pay_sumamt: s.fund,
                    acct_pay: s.account,
                    psn_cash_pay: s.cash,
                    stas: s.status.clone(),
                }
            })
            .collect();
        ok(SettlementQueryOutput { items })
    }
}

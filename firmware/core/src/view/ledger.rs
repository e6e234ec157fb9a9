//! What the account statement 个人账户明细 and settlement records 就医结算
//! 记录 screens show, already formatted: amounts with two decimals and a
//! sign, dates `yyyy-MM-dd`, labels in the screen's language.

use crate::ledger::{EntryKind, SettlementStatus};
use crate::session::Session;
use crate::session::ledger::{ACCOUNT_RANGES, ENTRIES_PER_PAGE, SETTLEMENTS_PER_PAGE, page_count};
use crate::texts;
use crate::tr;

use super::Choice;

/// The account statement screen.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AccountView {
    /// Range chips (`acct-range:<months>`).
    pub ranges: Vec<Choice>,
    /// 账户余额 now.
    pub balance: String,
    /// The range and its sums, one line.
    pub summary: String,
    /// A page of entries, newest first.
    pub rows: Vec<EntryRow>,
    /// Zero-based page.
    pub page_index: usize,
    /// Pages.
    pub page_count: usize,
}

/// One entry on screen.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EntryRow {
    /// `yyyy-MM-dd`.
    pub date: String,
    /// 划入 / 购药 / 家庭共济 …
    pub kind: String,
    /// The institution, the month credited, or the family member.
    pub detail: String,
    /// `+112.00` / `-25.50`.
    pub amount: String,
    /// Balance after.
    pub balance: String,
    /// Money came in (the colour).
    pub credit: bool,
}

impl AccountView {
    /// The screen for the statement in `session`, if any.
    pub fn of(session: &Session) -> Option<AccountView> {
        let (s, months, page) = session.account_statement()?;
        let ranges = ACCOUNT_RANGES
            .iter()
            .map(|&m| Choice {
                action: format!("acct-range:{m}"),
                label: match m {
                    3 => tr!("近3个月").to_string(),
                    6 => tr!("近半年").to_string(),
                    _ => tr!("近1年").to_string(),
                },
                detail: String::new(),
                enabled: true,
                selected: m == months,
            })
            .collect();
        let rows = s
            .entries
            .iter()
            .rev()
            .skip(page * ENTRIES_PER_PAGE)
            .take(ENTRIES_PER_PAGE)
            .map(|e| EntryRow {
                date: e.date.format("%Y-%m-%d").to_string(),
                kind: texts::tr_str(e.kind.label()).to_string(),
                detail: match e.kind {
                    EntryKind::Credit => {
                        match crate::records::YearMonth::parse_compact(&e.detail) {
                            Some(m) => tr!("{}月缴费划入", m.dashed()),
                            None => e.detail.clone(),
                        }
                    }
                    EntryKind::MutualAid if !e.relation.is_empty() => {
                        tr!("为{}支付　{}", e.relation, e.detail)
                    }
                    _ => e.detail.clone(),
                },
                amount: if e.amount.is_negative() {
                    e.amount.display_digits()
                } else {
                    format!("+{}", e.amount.display_digits())
                },
                balance: e.balance.display_digits(),
                credit: !e.amount.is_negative(),
            })
            .collect();
        Some(AccountView {
            ranges,
            balance: tr!("账户余额　¥{}", s.balance.display_digits()),
            summary: tr!(
                "{} 至 {}：期初¥{}，划入¥{}，支出¥{}，期末¥{}",
                s.from.dashed(),
                s.to.dashed(),
                s.opening.display_digits(),
                s.credits.display_digits(),
                s.debits.display_digits(),
                s.closing().display_digits()
            ),
            rows,
            page_index: page,
            page_count: page_count(s.entries.len(), ENTRIES_PER_PAGE),
        })
    }
}

/// The settlement records screen (list, and one settlement when opened).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SettlementsView {
    /// The period, one line.
    pub heading: String,
    /// A page of settlements, newest first.
    pub rows: Vec<SettlementRow>,
    /// Zero-based page.
    pub page_index: usize,
    /// Pages.
    pub page_count: usize,
    /// The settlement opened (`setl:<i>`), label/value lines.
    pub detail: Vec<(String, String)>,
    /// What its status means, in a sentence.
    pub meaning: String,
}

/// One settlement in the list.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SettlementRow {
    /// `setl:<i>`.
    pub action: String,
    /// `yyyy-MM-dd`.
    pub date: String,
    /// The institution.
    pub institution: String,
    /// 普通门诊 · 跨省异地.
    pub kind: String,
    /// 总额 ¥… 自付 ¥…
    pub amounts: String,
    /// 已结算 / 跨省清算中 …
    pub status: String,
    /// `settled`, `clearing`, `cleared`, `reversed` (the colour).
    pub status_id: String,
}

fn status_id(s: SettlementStatus) -> &'static str {
    match s {
        SettlementStatus::Settled => "settled",
        SettlementStatus::Clearing => "clearing",
        SettlementStatus::Cleared => "cleared",
        SettlementStatus::Reversed => "reversed",
    }
}

impl SettlementsView {
    /// The screen for the settlements in `session`, if any.
    pub fn of(session: &Session) -> Option<SettlementsView> {
        let (list, page, selected) = session.settlements()?;
        let rows = list
            .items
            .iter()
            .enumerate()
            .skip(page * SETTLEMENTS_PER_PAGE)
            .take(SETTLEMENTS_PER_PAGE)
            .map(|(i, s)| SettlementRow {
                action: format!("setl:{i}"),
                date: s.at.format("%Y-%m-%d").to_string(),
                institution: s.institution.clone(),
                kind: format!(
                    "{} · {}",
                    texts::tr_str(s.care.label()),
                    texts::tr_str(s.scope.label())
                ),
                amounts: tr!(
                    "总额¥{}　个人自付¥{}",
                    s.total.display_digits(),
                    s.cash.display_digits()
                ),
                status: texts::tr_str(s.status.label()).to_string(),
                status_id: status_id(s.status).to_string(),
            })
            .collect();
        let opened = selected.and_then(|i| list.items.get(i));
        let detail = opened
            .map(|s| {
                let money = |y: crate::money::Yuan| format!("¥{}", y.display_digits());
                vec![
                    (
                        tr!("结算时间").to_string(),
                        s.at.format("%Y-%m-%d %H:%M").to_string(),
                    ),
                    (tr!("医药机构").to_string(), s.institution.clone()),
                    (
                        tr!("医疗类别").to_string(),
                        texts::tr_str(s.care.label()).to_string(),
                    ),
                    (
                        tr!("就医地").to_string(),
                        texts::tr_str(s.scope.label()).to_string(),
                    ),
                    (tr!("医疗费总额").to_string(), money(s.total)),
                    (tr!("医保基金支付").to_string(), money(s.fund)),
                    (tr!("个人账户支付").to_string(), money(s.account)),
                    (tr!("个人现金支付").to_string(), money(s.cash)),
                    (
                        tr!("结算状态").to_string(),
                        texts::tr_str(s.status.label()).to_string(),
                    ),
                    (tr!("结算流水号").to_string(), s.id.clone()),
                ]
            })
            .unwrap_or_default();
        Some(SettlementsView {
            heading: tr!(
                "{} 至 {}，共{}笔",
                list.from.format("%Y-%m-%d"),
                list.to.format("%Y-%m-%d"),
                list.items.len()
            ),
            rows,
            page_index: page,
            page_count: page_count(list.items.len(), SETTLEMENTS_PER_PAGE),
            detail,
            meaning: opened
                .map(|s| texts::tr_str(s.status.meaning()).to_string())
                .unwrap_or_default(),
        })
    }
}

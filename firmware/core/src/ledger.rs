//! The personal account statement 个人账户明细 and the settlement records
//! 就医结算记录 (issue 15 journeys 3 and 4): what the centre answers to
//! KS06 and KS07, checked so that what the screen and the paper show adds
//! up, and the two printed documents.
//!
//! Invariants: amounts are [`Yuan`] (whole fen, never floats); a statement
//! whose balances do not chain (`opening + Σ amounts ≠ each balance after`)
//! or a settlement whose parts do not add up to its total is refused
//! ([`Error::Inconsistent`]), never shown.

use std::fmt;

use chrono::{NaiveDate, NaiveDateTime};

use crate::Error;
use crate::money::Yuan;
use crate::records::YearMonth;
use crate::tr_mark;

/// What moved money in or out of the personal account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntryKind {
    /// 划入: the monthly credit from contributions.
    Credit,
    /// 门诊: outpatient care paid from the account.
    Outpatient,
    /// 购药: a purchase at a designated pharmacy.
    Pharmacy,
    /// 住院: the account part of an inpatient bill.
    Inpatient,
    /// 家庭共济: paid for a family member.
    MutualAid,
    /// 退回: a reversed settlement's account part paid back.
    Refund,
}

impl EntryKind {
    /// From the wire code (`credit`, `outpatient`, …).
    pub fn from_code(code: &str) -> Option<EntryKind> {
        Some(match code {
            "credit" => EntryKind::Credit,
            "outpatient" => EntryKind::Outpatient,
            "pharmacy" => EntryKind::Pharmacy,
            "inpatient" => EntryKind::Inpatient,
            "mutual_aid" => EntryKind::MutualAid,
            "refund" => EntryKind::Refund,
            _ => return None,
        })
    }

    /// The Chinese name (shown through `tr_str`, printed as it is).
    pub fn label(self) -> &'static str {
        match self {
            EntryKind::Credit => tr_mark!("划入"),
            EntryKind::Outpatient => tr_mark!("门诊"),
            EntryKind::Pharmacy => tr_mark!("购药"),
            EntryKind::Inpatient => tr_mark!("住院"),
            EntryKind::MutualAid => tr_mark!("家庭共济"),
            EntryKind::Refund => tr_mark!("退回"),
        }
    }

    /// Whether money comes in.
    pub fn is_credit(self) -> bool {
        matches!(self, EntryKind::Credit | EntryKind::Refund)
    }
}

/// One credit or debit of the personal account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountEntry {
    /// When.
    pub date: NaiveDate,
    /// What.
    pub kind: EntryKind,
    /// Signed: credits positive, debits negative.
    pub amount: Yuan,
    /// Balance after the entry.
    pub balance: Yuan,
    /// The institution (debits) or the month credited (credits).
    pub detail: String,
    /// Family mutual aid: the member's relation (母亲); never a name.
    pub relation: String,
}

/// The statement of a range of months, checked.
#[derive(Clone, PartialEq, Eq)]
pub struct AccountStatement {
    /// First month.
    pub from: YearMonth,
    /// Last month.
    pub to: YearMonth,
    /// Balance now.
    pub balance: Yuan,
    /// Balance before the first entry of the range.
    pub opening: Yuan,
    /// Entries, oldest first.
    pub entries: Vec<AccountEntry>,
    /// Σ credits of the range.
    pub credits: Yuan,
    /// Σ debits of the range (a positive amount).
    pub debits: Yuan,
}

impl fmt::Debug for AccountStatement {
    /// Counts only: amounts and institutions are the person's business.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccountStatement")
            .field("from", &self.from.compact())
            .field("to", &self.to.compact())
            .field("entries", &self.entries.len())
            .finish_non_exhaustive()
    }
}

impl AccountStatement {
    /// Checks the chain of balances and sums the range. Entries are sorted
    /// oldest first (a stable sort keeps the centre's order within a day).
    pub fn new(
        from: YearMonth,
        to: YearMonth,
        balance: Yuan,
        opening: Yuan,
        mut entries: Vec<AccountEntry>,
    ) -> Result<AccountStatement, Error> {
        entries.sort_by_key(|e| e.date);
        let mut running = opening;
        let (mut credits, mut debits) = (Yuan::ZERO, Yuan::ZERO);
        for e in &entries {
            if e.kind.is_credit() == e.amount.is_negative() && !e.amount.is_zero() {
                return Err(Error::Inconsistent("credit or debit with the wrong sign"));
            }
            running = running.checked_add(e.amount)?;
            if running != e.balance {
                return Err(Error::Inconsistent("balances do not chain"));
            }
            if e.amount.is_negative() {
                debits = debits.checked_add(e.amount.abs())?;
            } else {
                credits = credits.checked_add(e.amount)?;
            }
        }
        Ok(AccountStatement {
            from,
            to,
            balance,
            opening,
            entries,
            credits,
            debits,
        })
    }

    /// Balance after the range's last entry (the opening one when empty).
    pub fn closing(&self) -> Yuan {
        self.entries
            .last()
            .map(|e| e.balance)
            .unwrap_or(self.opening)
    }
}

/// Where the care was, seen from the insured's pooling area.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// 本地.
    Local,
    /// 省内异地.
    Province,
    /// 跨省异地.
    Cross,
}

impl Scope {
    /// From the wire code.
    pub fn from_code(code: &str) -> Option<Scope> {
        Some(match code {
            "local" => Scope::Local,
            "province" => Scope::Province,
            "cross" => Scope::Cross,
            _ => return None,
        })
    }

    /// The Chinese name.
    pub fn label(self) -> &'static str {
        match self {
            Scope::Local => tr_mark!("本地"),
            Scope::Province => tr_mark!("省内异地"),
            Scope::Cross => tr_mark!("跨省异地"),
        }
    }
}

/// The kind of care settled (医疗类别).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CareKind {
    /// 11 普通门诊.
    Outpatient,
    /// 14 门诊慢特病.
    Chronic,
    /// 21 住院.
    Inpatient,
    /// 41 定点药店购药.
    Pharmacy,
}

impl CareKind {
    /// From the national 医疗类别 code.
    pub fn from_code(code: &str) -> Option<CareKind> {
        Some(match code {
            "11" => CareKind::Outpatient,
            "14" => CareKind::Chronic,
            "21" => CareKind::Inpatient,
            "41" => CareKind::Pharmacy,
            _ => return None,
        })
    }

    /// The Chinese name.
    pub fn label(self) -> &'static str {
        match self {
            CareKind::Outpatient => tr_mark!("普通门诊"),
            CareKind::Chronic => tr_mark!("门诊慢特病"),
            CareKind::Inpatient => tr_mark!("住院"),
            CareKind::Pharmacy => tr_mark!("药店购药"),
        }
    }
}

/// Where a settlement stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SettlementStatus {
    /// 已结算: settled at the institution (local or within the province).
    Settled,
    /// 跨省清算中: settled at the institution; the funds between the
    /// provinces are still being cleared (nothing more to pay).
    Clearing,
    /// 已清算: cleared between the provinces.
    Cleared,
    /// 已冲销: reversed (the bill was cancelled and paid back).
    Reversed,
}

impl SettlementStatus {
    /// From the wire code.
    pub fn from_code(code: &str) -> Option<SettlementStatus> {
        Some(match code {
            "settled" => SettlementStatus::Settled,
            "clearing" => SettlementStatus::Clearing,
            "cleared" => SettlementStatus::Cleared,
            "reversed" => SettlementStatus::Reversed,
            _ => return None,
        })
    }

    /// The Chinese name.
    pub fn label(self) -> &'static str {
        match self {
            SettlementStatus::Settled => tr_mark!("已结算"),
            SettlementStatus::Clearing => tr_mark!("跨省清算中"),
            SettlementStatus::Cleared => tr_mark!("已清算"),
            SettlementStatus::Reversed => tr_mark!("已冲销"),
        }
    }

    /// What it means for the citizen, in a sentence.
    pub fn meaning(self) -> &'static str {
        match self {
            SettlementStatus::Settled => tr_mark!("已在医疗机构直接结算，无需再办理报销。"),
            SettlementStatus::Clearing => {
                tr_mark!("已在就医地直接结算，您无需再办理报销；两地医保部门之间的资金正在清算。")
            }
            SettlementStatus::Cleared => {
                tr_mark!("已在就医地直接结算，两地医保部门之间的资金已清算完毕。")
            }
            SettlementStatus::Reversed => {
                tr_mark!("这笔结算已冲销（退费），个人账户支付部分已退回。")
            }
        }
    }
}

/// One settlement 结算, checked.
#[derive(Clone, PartialEq, Eq)]
pub struct Settlement {
    /// 结算流水号.
    pub id: String,
    /// When.
    pub at: NaiveDateTime,
    /// The institution.
    pub institution: String,
    /// Its area code.
    pub area: String,
    /// 医疗类别.
    pub care: CareKind,
    /// Local, within the province, or cross-province.
    pub scope: Scope,
    /// 医疗费总额.
    pub total: Yuan,
    /// 基金支付.
    pub fund: Yuan,
    /// 个人账户支付.
    pub account: Yuan,
    /// 个人现金支付.
    pub cash: Yuan,
    /// Where it stands.
    pub status: SettlementStatus,
}

impl fmt::Debug for Settlement {
    /// The id and kind only.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settlement")
            .field("id", &self.id)
            .field("care", &self.care)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

impl Settlement {
    /// Checks that the parts add up to the total and none is negative.
    pub fn check(self) -> Result<Settlement, Error> {
        let parts = [self.fund, self.account, self.cash];
        if parts.iter().chain([&self.total]).any(|a| a.is_negative()) {
            return Err(Error::Inconsistent("negative settlement amount"));
        }
        let sum = parts
            .iter()
            .try_fold(Yuan::ZERO, |s, a| s.checked_add(*a))?;
        if sum != self.total {
            return Err(Error::Inconsistent("settlement parts do not add up"));
        }
        Ok(self)
    }
}

/// The settlements of a date range, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settlements {
    /// First day.
    pub from: NaiveDate,
    /// Last day.
    pub to: NaiveDate,
    /// Newest first.
    pub items: Vec<Settlement>,
}

impl Settlements {
    /// Sorts newest first.
    pub fn new(from: NaiveDate, to: NaiveDate, mut items: Vec<Settlement>) -> Settlements {
        items.sort_by_key(|s| std::cmp::Reverse(s.at));
        Settlements { from, to, items }
    }
}

/// The printed 个人账户明细.
#[derive(Clone, PartialEq, Eq)]
pub struct StatementPrint {
    /// The statement.
    pub statement: AccountStatement,
    /// Holder's name.
    pub name: String,
    /// Holder's ID number, masked.
    pub id_number_masked: String,
    /// When printed.
    pub printed_at: NaiveDateTime,
    /// Terminal id.
    pub terminal_id: String,
    /// Issuer printed at the bottom.
    pub issuer: String,
    /// The proxy (代办人) of the session, masked.
    pub proxy: Option<String>,
}

impl fmt::Debug for StatementPrint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StatementPrint")
            .field("statement", &self.statement)
            .finish_non_exhaustive()
    }
}

/// The printed settlement slip 结算记录单 of one settlement.
#[derive(Clone, PartialEq, Eq)]
pub struct SettlementSlip {
    /// The settlement.
    pub settlement: Settlement,
    /// Holder's name.
    pub name: String,
    /// Holder's ID number, masked.
    pub id_number_masked: String,
    /// When printed.
    pub printed_at: NaiveDateTime,
    /// Terminal id.
    pub terminal_id: String,
    /// Issuer printed at the bottom.
    pub issuer: String,
    /// The proxy (代办人) of the session, masked.
    pub proxy: Option<String>,
}

impl fmt::Debug for SettlementSlip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SettlementSlip")
            .field("settlement", &self.settlement)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn y(fen: i64) -> Yuan {
        Yuan::from_fen(fen).unwrap()
    }

    fn entry(day: u32, kind: EntryKind, amount: i64, balance: i64) -> AccountEntry {
        AccountEntry {
            date: NaiveDate::from_ymd_opt(2026, 10, day).unwrap(),
            kind,
            amount: y(amount),
            balance: y(balance),
            detail: String::new(),
            relation: String::new(),
        }
    }

    fn range() -> (YearMonth, YearMonth) {
        (
            YearMonth::new(2026, 10).unwrap(),
            YearMonth::new(2026, 10).unwrap(),
        )
    }

    #[test]
    fn a_statement_whose_balances_chain_is_summed() {
        let (from, to) = range();
        let s = AccountStatement::new(
            from,
            to,
            y(10_000),
            y(10_000),
            vec![
                entry(20, EntryKind::Pharmacy, -2_550, 18_650),
                entry(15, EntryKind::Credit, 11_200, 21_200),
            ],
        )
        .unwrap();
        assert_eq!(s.entries[0].kind, EntryKind::Credit, "oldest first");
        assert_eq!(
            (s.credits, s.debits, s.closing()),
            (y(11_200), y(2_550), y(18_650))
        );
    }

    #[test]
    fn a_broken_chain_or_a_wrong_sign_is_refused() {
        let (from, to) = range();
        let broken = vec![entry(15, EntryKind::Credit, 11_200, 21_201)];
        assert_eq!(
            AccountStatement::new(from, to, y(0), y(10_000), broken),
            Err(Error::Inconsistent("balances do not chain"))
        );
        let sign = vec![entry(15, EntryKind::Pharmacy, 100, 10_100)];
        assert!(AccountStatement::new(from, to, y(0), y(10_000), sign).is_err());
    }

    #[test]
    fn settlement_parts_must_add_up() {
        let at = NaiveDate::from_ymd_opt(2026, 9, 1)
            .unwrap()
            .and_hms_opt(10, 0, 0)
            .unwrap();
        let s = Settlement {
            id: "S1".into(),
            at,
            institution: "长春市中医院".into(),
            area: "220100".into(),
            care: CareKind::Outpatient,
            scope: Scope::Local,
            total: y(30_000),
            fund: y(15_000),
            account: y(10_000),
            cash: y(5_000),
            status: SettlementStatus::Settled,
        };
        assert!(s.clone().check().is_ok());
        let off = Settlement {
            cash: y(4_999),
            ..s.clone()
        };
        assert!(off.check().is_err());
        let negative = Settlement {
            fund: y(-1),
            cash: y(5_001),
            ..s
        };
        assert!(negative.check().is_err());
    }
}

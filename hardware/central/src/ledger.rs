//! The personal account (个人账户) of a demo person as a list of entries,
//! derived from the data: a credit (划入) on the 15th of every paid month
//! of employee basic insurance, a debit for the account part of every
//! settlement (a reversed one is refunded the same day), and a debit for
//! every family mutual aid payment. The data's `balance` is the balance
//! now; balances before it are found by walking the entries backwards, so
//! the chain always ends at the balance the enrollment shows.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::data::{DemoData, DemoInsurance, DemoPerson, DemoSettlement, year_month};

/// The insurance type that has a personal account.
pub const ACCOUNT_INSUTYPE: &str = "310";

/// One entry of the personal account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Day of the entry.
    pub date: NaiveDate,
    /// Wire kind: `credit`, `outpatient`, `pharmacy`, `inpatient`,
    /// `mutual_aid`, `refund`.
    pub kind: &'static str,
    /// Signed amount.
    pub amount: Decimal,
    /// Institution name (debits, refunds) or the credited month `yyyyMM`.
    pub detail: String,
    /// Family member's relation (mutual aid).
    pub relation: String,
}

/// The person's account insurance record, if they have one.
pub fn account_of(p: &DemoPerson) -> Option<&DemoInsurance> {
    p.insurance.iter().find(|i| i.insutype == ACCOUNT_INSUTYPE)
}

/// The first day the statement covers (`account_since`), if limited.
pub fn since(ins: &DemoInsurance) -> Option<NaiveDate> {
    let (y, m) = year_month(ins.account_since.as_deref()?)?;
    NaiveDate::from_ymd_opt(y, m, 1)
}

/// The entry kind of a settlement's account debit.
pub fn debit_kind(med_type: &str) -> &'static str {
    match med_type {
        "21" => "inpatient",
        "41" => "pharmacy",
        _ => "outpatient",
    }
}

/// Name of an institution code of the data (the code when unknown).
pub fn institution_name(data: &DemoData, code: &str) -> String {
    data.institution(code)
        .map(|i| i.name.clone())
        .unwrap_or_else(|| code.to_string())
}

/// Every entry of the person's account up to and including `until`,
/// oldest first; within a day credits come first, then settlements in
/// time order, then mutual aid.
pub fn entries(data: &DemoData, p: &DemoPerson, until: NaiveDate) -> Vec<Entry> {
    let Some(ins) = account_of(p) else {
        return Vec::new();
    };
    let from = since(ins).unwrap_or(NaiveDate::MIN);
    let mut out = Vec::new();
    for c in ins.contributions.iter().filter(|c| !c.unpaid) {
        if c.account.is_zero() {
            continue;
        }
        for (y, m) in c.months() {
            let Some(date) = NaiveDate::from_ymd_opt(y, m, 15) else {
                continue;
            };
            out.push((
                date,
                0,
                Entry {
                    date,
                    kind: "credit",
                    amount: c.account,
                    detail: format!("{y:04}{m:02}"),
                    relation: String::new(),
                },
            ));
        }
    }
    let mut settlements: Vec<&DemoSettlement> = p.settlements.iter().collect();
    settlements.sort_by_key(|s| s.at);
    for s in settlements.into_iter().filter(|s| !s.account.is_zero()) {
        let date = s.at.date();
        let name = institution_name(data, &s.institution);
        out.push((
            date,
            1,
            Entry {
                date,
                kind: debit_kind(&s.med_type),
                amount: -s.account,
                detail: name.clone(),
                relation: String::new(),
            },
        ));
        if s.status == "reversed" {
            out.push((
                date,
                1,
                Entry {
                    date,
                    kind: "refund",
                    amount: s.account,
                    detail: name,
                    relation: String::new(),
                },
            ));
        }
    }
    for a in &p.mutual_aid {
        out.push((
            a.date,
            2,
            Entry {
                date: a.date,
                kind: "mutual_aid",
                amount: -a.amount,
                detail: institution_name(data, &a.institution),
                relation: a.relation.clone(),
            },
        ));
    }
    // Stable: keeps the time order of settlements and the refund after
    // its debit.
    out.sort_by_key(|(date, order, _)| (*date, *order));
    out.into_iter()
        .map(|(_, _, e)| e)
        .filter(|e| e.date >= from && e.date <= until)
        .collect()
}

/// The balance before the first entry on or after `day`, given the
/// balance now after `entries`.
pub fn balance_before(balance: Decimal, entries: &[Entry], day: NaiveDate) -> Decimal {
    entries
        .iter()
        .filter(|e| e.date >= day)
        .fold(balance, |b, e| b - e.amount)
}

/// The lowest balance the account reaches over `entries` ending at
/// `balance` (the opening balance included): negative means the data
/// does not add up.
pub fn lowest(balance: Decimal, entries: &[Entry]) -> Decimal {
    let opening = entries.iter().fold(balance, |b, e| b - e.amount);
    let mut running = opening;
    let mut low = opening;
    for e in entries {
        running += e.amount;
        low = low.min(running);
    }
    low
}

#[cfg(test)]
mod tests {
    use super::*;

    fn builtin() -> DemoData {
        match DemoData::builtin() {
            Ok(d) => d,
            Err(e) => panic!("{e}"),
        }
    }

    fn person<'a>(data: &'a DemoData, number: &str) -> &'a DemoPerson {
        match data.people.iter().find(|p| p.person_number == number) {
            Some(p) => p,
            None => panic!("{number} not in the demo data"),
        }
    }

    fn day(text: &str) -> NaiveDate {
        match NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            Ok(d) => d,
            Err(e) => panic!("{text}: {e}"),
        }
    }

    #[test]
    fn credits_fall_on_the_15th_of_paid_months_and_debits_follow_settlements() {
        let data = builtin();
        let p = person(&data, "22020000000002");
        let all = entries(&data, p, day("2026-12-07"));
        let credit = all
            .iter()
            .find(|e| e.detail == "202610")
            .map(|e| (e.date, e.kind, e.amount));
        assert_eq!(
            credit,
            Some((day("2026-10-15"), "credit", Decimal::new(11200, 2)))
        );
        // Archived months are not answered.
        assert!(all.iter().all(|e| e.date >= day("2025-01-01")));
        // A reversed settlement is a debit and a refund of the same day.
        let refund = all.iter().position(|e| e.kind == "refund");
        let Some(i) = refund else {
            panic!("no refund: {all:?}")
        };
        assert_eq!(all[i - 1].amount, -all[i].amount);
        assert_eq!(all[i - 1].date, all[i].date);
        // Mutual aid names the relation, never the family member.
        assert!(all.iter().any(|e| e.kind == "mutual_aid"
            && e.relation == "母亲"
            && e.amount.is_sign_negative()));
    }

    #[test]
    fn the_chain_ends_at_the_balance_and_never_goes_negative() {
        let data = builtin();
        for p in &data.people {
            let Some(ins) = account_of(p) else {
                continue;
            };
            let all = entries(&data, p, NaiveDate::MAX);
            assert!(lowest(ins.balance, &all) >= Decimal::ZERO, "{p:?}");
            let opening = balance_before(ins.balance, &all, NaiveDate::MIN);
            let closing = all.iter().fold(opening, |b, e| b + e.amount);
            assert_eq!(closing, ins.balance);
        }
    }

    #[test]
    fn later_entries_are_left_out_until_their_day() {
        let data = builtin();
        let p = person(&data, "22020000000002");
        let before = entries(&data, p, day("2026-10-14"));
        let after = entries(&data, p, day("2026-10-15"));
        assert_eq!(after.len(), before.len() + 1);
    }

    #[test]
    fn a_resident_has_no_account_entries() {
        let data = builtin();
        let p = person(&data, "22010000000003");
        assert!(account_of(p).is_none());
        assert!(entries(&data, p, NaiveDate::MAX).is_empty());
        assert!(!p.settlements.is_empty());
    }
}

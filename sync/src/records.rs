//! The records journeys at the edge (issue 15): wire records of KS02 and
//! KS05 to the core's contribution months, and the client calls the
//! kiosk's records worker makes.

use chrono::NaiveDateTime;

use kiosk_core::enrollment::InsuranceType;
use kiosk_core::money::Yuan;
use kiosk_core::records::{
    ContributionHistory, ContributionMonth, MonthState, RECORD_TAG, YearMonth,
};

use crate::client::CentralClient;
use crate::error::Error;
use crate::wire::{ContributionHistoryInput, ContributionItem, ContributionRecordInput};

fn amount(field: &str, value: rust_decimal::Decimal) -> Result<Yuan, Error> {
    Yuan::new(value).map_err(|_| Error::Malformed(format!("{field} is not an amount in fen")))
}

/// One KS02/KS05 record as a contribution month. Insurance types the kiosk
/// does not know are `Ok(None)` (skipped, never guessed).
pub fn contribution_month(item: &ContributionItem) -> Result<Option<ContributionMonth>, Error> {
    let Some(insurance_type) = InsuranceType::from_code(&item.insutype) else {
        return Ok(None);
    };
    let month = YearMonth::parse_compact(&item.ym)
        .ok_or_else(|| Error::Malformed("ym is not yyyyMM".into()))?;
    let state = match item.clct_stas.as_str() {
        "1" => MonthState::Paid,
        "0" => MonthState::AssessedUnpaid,
        "n" => MonthState::NotAssessed,
        _ => return Err(Error::Malformed("unknown clct_stas".into())),
    };
    Ok(Some(ContributionMonth {
        month,
        insurance_type,
        base: amount("clct_base", item.clct_base)?,
        personal: amount("psn_amt", item.psn_amt)?,
        employer: amount("emp_amt", item.emp_amt)?,
        account: amount("acct_amt", item.acct_amt)?,
        state,
    }))
}

fn months(items: &[ContributionItem]) -> Result<Vec<ContributionMonth>, Error> {
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        out.extend(contribution_month(item)?);
    }
    Ok(out)
}

/// KS02: the person's contribution history between two months.
pub fn contribution_history(
    client: &CentralClient,
    person_number: &str,
    from: YearMonth,
    to: YearMonth,
) -> Result<ContributionHistory, Error> {
    let out = client.query_contribution_history(&ContributionHistoryInput {
        psn_no: person_number.to_string(),
        insutype: String::new(),
        begn_ym: from.compact(),
        end_ym: to.compact(),
    })?;
    Ok(ContributionHistory::new(from, to, months(&out.items)?))
}

/// A contribution record as the centre numbered and signed it.
#[derive(Debug, Clone)]
pub struct SignedRecord {
    /// The centre's number.
    pub number: String,
    /// When the centre issued it.
    pub issued_at: NaiveDateTime,
    /// `KCR1|<number>|<signature>`.
    pub verification: String,
    /// The months signed, oldest first.
    pub months: Vec<ContributionMonth>,
}

/// KS05: the centre numbers and signs the months of one insurance type.
pub fn sign_contribution_record(
    client: &CentralClient,
    person_number: &str,
    insurance_type: InsuranceType,
    from: YearMonth,
    to: YearMonth,
) -> Result<SignedRecord, Error> {
    let out = client.issue_contribution_record(&ContributionRecordInput {
        psn_no: person_number.to_string(),
        insutype: insurance_type.code().to_string(),
        begn_ym: from.compact(),
        end_ym: to.compact(),
    })?;
    if out.record_no.is_empty() || out.verify_code.is_empty() {
        return Err(Error::Malformed("record_no or verify_code missing".into()));
    }
    let issued_at = NaiveDateTime::parse_from_str(&out.issued_at, "%Y-%m-%d %H:%M:%S")
        .map_err(|_| Error::Malformed("issued_at is not a time".into()))?;
    let months: Vec<ContributionMonth> = months(&out.items)?
        .into_iter()
        .filter(|m| m.insurance_type == insurance_type)
        .collect();
    if months.is_empty() {
        return Err(Error::Malformed("the record has no months".into()));
    }
    Ok(SignedRecord {
        verification: format!("{RECORD_TAG}|{}|{}", out.record_no, out.verify_code),
        number: out.record_no,
        issued_at,
        months,
    })
}

/// KS06: the personal account statement of a range of months, checked
/// (the balances chain). Entries of a kind the kiosk does not know are
/// refused as malformed, never guessed: the balances would not add up.
pub fn account_statement(
    client: &CentralClient,
    person_number: &str,
    from: YearMonth,
    to: YearMonth,
) -> Result<kiosk_core::ledger::AccountStatement, Error> {
    let out = client.query_account_statement(&crate::wire::AccountStatementInput {
        psn_no: person_number.to_string(),
        begn_ym: from.compact(),
        end_ym: to.compact(),
    })?;
    statement_of(from, to, &out)
}

/// The KS06 answer as a checked statement.
pub fn statement_of(
    from: YearMonth,
    to: YearMonth,
    out: &crate::wire::AccountStatementOutput,
) -> Result<kiosk_core::ledger::AccountStatement, Error> {
    use kiosk_core::ledger::{AccountEntry, AccountStatement, EntryKind};
    let mut entries = Vec::with_capacity(out.items.len());
    for item in &out.items {
        let kind = EntryKind::from_code(&item.kind)
            .ok_or_else(|| Error::Malformed("unknown account entry kind".into()))?;
        let date = chrono::NaiveDate::parse_from_str(&item.date, "%Y-%m-%d")
            .map_err(|_| Error::Malformed("entry date is not yyyy-MM-dd".into()))?;
        entries.push(AccountEntry {
            date,
            kind,
            amount: amount("amt", item.amt)?,
            balance: amount("balc", item.balc)?,
            detail: item.detail.clone(),
            relation: item.relation.clone(),
        });
    }
    AccountStatement::new(
        from,
        to,
        amount("acct_balc", out.acct_balc)?,
        amount("begn_balc", out.begn_balc)?,
        entries,
    )
    .map_err(|e| Error::Malformed(e.to_string()))
}

/// KS07: the person's settlements of a range of days, checked (every one
/// adds up), newest first.
pub fn settlements(
    client: &CentralClient,
    person_number: &str,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
) -> Result<kiosk_core::ledger::Settlements, Error> {
    let out = client.query_settlements(&crate::wire::SettlementQueryInput {
        psn_no: person_number.to_string(),
        begn_date: from.format("%Y-%m-%d").to_string(),
        end_date: to.format("%Y-%m-%d").to_string(),
    })?;
    settlements_of(from, to, &out)
}

/// The KS07 answer as checked settlements.
pub fn settlements_of(
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
    out: &crate::wire::SettlementQueryOutput,
) -> Result<kiosk_core::ledger::Settlements, Error> {
    use kiosk_core::ledger::{CareKind, Scope, Settlement, SettlementStatus, Settlements};
    let mut items = Vec::with_capacity(out.items.len());
    for i in &out.items {
        let bad = |what: &str| Error::Malformed(format!("settlement {what}"));
        let settlement = Settlement {
            id: i.setl_id.clone(),
            at: NaiveDateTime::parse_from_str(&i.setl_time, "%Y-%m-%d %H:%M:%S")
                .map_err(|_| bad("time is not yyyy-MM-dd HH:mm:ss"))?,
            institution: i.fixmedins_name.clone(),
            area: i.fixmedins_admdvs.clone(),
            care: CareKind::from_code(&i.med_type).ok_or_else(|| bad("med_type unknown"))?,
            scope: Scope::from_code(&i.scope).ok_or_else(|| bad("scope unknown"))?,
            total: amount("medfee_sumamt", i.medfee_sumamt)?,
            fund: amount("fund_pay_sumamt", i.fund_pay_sumamt)?,
            account: amount("acct_pay", i.acct_pay)?,
            cash: amount("psn_cash_pay", i.psn_cash_pay)?,
            status: SettlementStatus::from_code(&i.stas).ok_or_else(|| bad("stas unknown"))?,
        }
        .check()
        .map_err(|e| Error::Malformed(e.to_string()))?;
        items.push(settlement);
    }
    Ok(Settlements::new(from, to, items))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{
        AccountEntryItem, AccountStatementOutput, SettlementItem, SettlementQueryOutput,
    };
    use rust_decimal::Decimal;

    fn d(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    fn statement(kind: &str, balc: &str) -> AccountStatementOutput {
        AccountStatementOutput {
            acct_balc: d("212.00"),
            begn_balc: d("100.00"),
            items: vec![AccountEntryItem {
                date: "2026-11-15".into(),
                kind: kind.into(),
                amt: d("112.00"),
                balc: d(balc),
                detail: "202611".into(),
                relation: String::new(),
            }],
        }
    }

    fn months() -> (YearMonth, YearMonth) {
        (
            YearMonth::new(2026, 9).unwrap(),
            YearMonth::new(2026, 11).unwrap(),
        )
    }

    #[test]
    fn a_statement_that_chains_is_taken_and_one_that_does_not_is_malformed() {
        let (from, to) = months();
        let s = statement_of(from, to, &statement("credit", "212.00")).unwrap();
        assert_eq!(s.closing().plain(), "212.00");
        assert!(matches!(
            statement_of(from, to, &statement("credit", "212.01")),
            Err(Error::Malformed(_))
        ));
        assert!(matches!(
            statement_of(from, to, &statement("lottery", "212.00")),
            Err(Error::Malformed(_))
        ));
    }

    #[test]
    fn a_settlement_whose_parts_do_not_make_the_total_is_malformed() {
        let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
        let item = |cash: &str| SettlementQueryOutput {
            items: vec![SettlementItem {
                setl_id: "S1".into(),
                setl_time: "2026-10-15 10:42:00".into(),
                fixmedins_name: "北京协和医院".into(),
                fixmedins_admdvs: "110101".into(),
                med_type: "21".into(),
                scope: "cross".into(),
                medfee_sumamt: d("100.00"),
                fund_pay_sumamt: d("60.00"),
                acct_pay: d("10.00"),
                psn_cash_pay: d(cash),
                stas: "clearing".into(),
            }],
        };
        let ok = settlements_of(day, day, &item("30.00")).unwrap();
        assert_eq!(ok.items[0].status.label(), "跨省清算中");
        assert!(matches!(
            settlements_of(day, day, &item("29.99")),
            Err(Error::Malformed(_))
        ));
    }
}

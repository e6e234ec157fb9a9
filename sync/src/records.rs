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

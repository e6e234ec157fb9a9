//! The reference centre's records transactions (issue 15): KS05
//! contribution record 参保缴费明细, numbered per pooling area and year and
//! signed with the centre's certificate key over exactly the months it
//! returns.

use chrono::Datelike;
use rusqlite::{Connection, params};
use serde_json::json;

use kiosk_core::enrollment::InsuranceType;
use kiosk_core::money::Yuan;
use kiosk_core::records::{
    ContributionMonth, MonthState, YearMonth, record_signed_content, record_verification,
};
use kiosk_sync::envelope::Request;
use kiosk_sync::wire::{
    ContributionHistoryOutput, ContributionItem, ContributionRecordInput, ContributionRecordOutput,
};
use serde_json::Value;

use super::{Central, Handled, bad, not_found, ok, parse};
use crate::db::db_error;

/// The longest range one record covers (one printed page).
const MAX_MONTHS: u32 = 12;

impl Central {
    /// KS05: numbers and signs the contribution record of one insurance
    /// type over at most a year of months; every month of the range is
    /// returned (not assessed ones too), exactly as signed.
    pub(super) fn contribution_record_issue(
        &self,
        tx: &Connection,
        request: &Request<Value>,
    ) -> Handled {
        let Some(q) = parse::<ContributionRecordInput>(&request.input) else {
            return Ok(bad("KS05 输入格式错误"));
        };
        let (Some(from), Some(to)) = (
            YearMonth::parse_compact(&q.begn_ym),
            YearMonth::parse_compact(&q.end_ym),
        ) else {
            return Ok(bad("起止年月应为yyyyMM"));
        };
        let months = from.months_to(to);
        if months == 0 || months > MAX_MONTHS {
            return Ok(bad("一份缴费明细最多12个月"));
        }
        let Some(insurance_type) = InsuranceType::from_code(&q.insutype) else {
            return Ok(bad("险种类型不正确"));
        };
        let Some(p) = self.person(&q.psn_no) else {
            return Ok(not_found());
        };
        let Some(ins) = p.insurance.iter().find(|i| i.insutype == q.insutype) else {
            return Ok(bad("无该险种参保记录"));
        };
        // The same months KS02 answers.
        let (_, history, _) = self.contribution_history(&json!({
            "psn_no": q.psn_no, "insutype": q.insutype,
            "begn_ym": q.begn_ym, "end_ym": q.end_ym,
        }));
        let Some(history) = history.and_then(|v| parse::<ContributionHistoryOutput>(&v)) else {
            return Ok(bad("缴费记录读取失败"));
        };
        let mut items = Vec::new();
        let mut signed = Vec::new();
        let mut ym = from;
        while ym <= to {
            let item = history
                .items
                .iter()
                .find(|i| i.ym == ym.compact())
                .cloned()
                .unwrap_or_else(|| ContributionItem {
                    ym: ym.compact(),
                    insutype: q.insutype.clone(),
                    clct_base: Default::default(),
                    psn_amt: Default::default(),
                    emp_amt: Default::default(),
                    acct_amt: Default::default(),
                    clct_stas: "n".into(),
                });
            let amount = |d| Yuan::new(d).ok();
            let (Some(base), Some(personal), Some(employer), Some(account)) = (
                amount(item.clct_base),
                amount(item.psn_amt),
                amount(item.emp_amt),
                amount(item.acct_amt),
            ) else {
                return Ok(bad("缴费金额超出范围"));
            };
            signed.push(ContributionMonth {
                month: ym,
                insurance_type,
                base,
                personal,
                employer,
                account,
                state: match item.clct_stas.as_str() {
                    "1" => MonthState::Paid,
                    "0" => MonthState::AssessedUnpaid,
                    _ => MonthState::NotAssessed,
                },
            });
            items.push(item);
            ym = ym.next();
        }
        let today = self.clock.today();
        let prefix = format!("{}-{}-J", ins.pooling_area, today.year());
        let count: i64 = tx
            .query_row(
                "SELECT COUNT(*) FROM contribution_record WHERE record_no LIKE ?1 || '%'",
                [&prefix],
                |r| r.get(0),
            )
            .map_err(db_error)?;
        let record_no = format!("{prefix}{:04}", count + 1);
        let content = record_signed_content(
            &record_no,
            &p.person_number,
            insurance_type,
            from,
            to,
            today,
            &signed,
        );
        let Ok(payload) = record_verification(&record_no, &content, &self.options.certificate_key)
        else {
            return Ok(bad("证书签名密钥无效"));
        };
        let verify_code = payload.rsplit('|').next().unwrap_or_default().to_string();
        let issued_at = self.now_text();
        tx.execute(
            "INSERT INTO contribution_record (record_no, verify_code, psn_no, insutype, begn_ym, end_ym, content, issued_at, msgid)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![record_no, verify_code, p.person_number, q.insutype, q.begn_ym, q.end_ym, content, issued_at, request.msgid],
        )
        .map_err(db_error)?;
        Ok(ok(ContributionRecordOutput {
            record_no,
            verify_code,
            issued_at,
            items,
        }))
    }
}

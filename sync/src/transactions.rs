//! The one table of transactions the kiosk exchanges with the central service.
//!
//! | code | key | name | kind | retried by the client | source |
//! |------|-----|------|------|-----------------------|--------|
//! | 9001 | `sign_in` | sign-in 签到 | query | yes | national platform |
//! | 9002 | `sign_out` | sign-out 签退 | command | no | national platform |
//! | 1101 | `person_query` | person information 人员信息获取 | query | yes | national platform |
//! | KS01 | `enrollment_detail` | enrollment detail 参保明细 (payment status, paid months per insurance type) | query | yes | project |
//! | KS02 | `contribution_history` | contribution history 缴费明细 (month by month) | query | yes | project |
//! | KS03 | `certificate_issue` | certificate issue 参保凭证开具 (number + verification code) | command | no | project |
//! | KS04 | `certificate_verify` | certificate verification 参保凭证核验 | query | yes | project |
//! | KS05 | `contribution_record_issue` | contribution record 参保缴费明细开具 (number + signature over the months) | command | no | project |
//! | KS06 | `account_statement` | personal account statement 个人账户明细 (balance, credits 划入, debits) | query | yes | project |
//! | KS07 | `settlement_query` | settlement records 就医结算记录 (local and cross-province, with clearing status) | query | yes | project |
//! | KS11 | `filing_submit` | remote-care filing submit 异地就医备案 | command (outbox) | no | project |
//! | KS12 | `filing_query` | remote-care filing query 备案查询 | query | yes | project |
//! | KS13 | `filing_change` | remote-care filing change 备案变更 | command (outbox) | no | project |
//! | KS14 | `filing_cancel` | remote-care filing cancel 备案取消 | command (outbox) | no | project |
//! | KS15 | `filing_letter` | archived commitment letter 承诺书存档调阅 (for a reprint) | query | yes | project |
//! | KS16 | `filing_suspend` | remote-care filing suspend / resume 备案暂停、恢复 | command (outbox) | no | project |
//! | KS17 | `chronic_query` | registered outpatient chronic / special diseases 门诊慢特病认定查询 (with designated institutions) | query | yes | project |
//! | KS18 | `chronic_change` | designated-institution change of a chronic / special disease 慢特病定点医药机构变更 | command (outbox) | no | project |
//! | KS51 | `premium_due` | resident premium due 城乡居民医保应缴查询 (the year's standard, subsidy and amount due) | query | yes | project |
//! | KS52 | `premium_order` | resident premium payment order 缴费订单创建 (idempotent on the kiosk's order number; the payment QR code) | command | yes (idempotent on `order_no`) | project |
//! | KS53 | `premium_order_query` | payment order status 缴费订单查询 (open, paid with the receipt, failed, expired, cancelled) | query | yes | project |
//! | KS54 | `premium_order_cancel` | payment order cancel 缴费订单取消 (answers paid when the payment came first) | command | yes (idempotent on `order_no`) | project |
//! | KS21 | `rating_upload` | satisfaction rating 好差评上传 | command (outbox) | no | project |
//! | KS31 | `health_report` | terminal health report 终端状态上报 | command (outbox) | no | project |
//! | KS32 | `audit_upload` | audit log upload 审计日志上传 | command (outbox) | no | project |
//! | KS41 | `reference_data` | reference data increment 基础数据增量下载 | query | yes | project |
//!
//! Commands are idempotent at the centre on `msgid`: the centre stores the
//! answer to every command message and answers a repeat with it, so the
//! outbox may resend a message whose answer was lost. The client itself
//! retries only queries.
//!
//! A province deployment maps any transaction to its own code through
//! configuration ([`InfnoMap`], keyed by the `key` column), never through
//! code changes. The same table is in docs/transactions.md.

use std::collections::{BTreeMap, HashMap};

use crate::error::Error;

/// A transaction the kiosk sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Transaction {
    /// 9001 sign-in: returns the sign number used by every later message.
    SignIn,
    /// 9002 sign-out.
    SignOut,
    /// 1101 person information: identity, insurance and identity-category records.
    PersonQuery,
    /// KS01 enrollment detail: payment status and paid months per insurance
    /// type, which 1101 does not carry.
    EnrollmentDetail,
    /// KS02 contribution history, month by month.
    ContributionHistory,
    /// KS03 certificate issue: the centre numbers an enrollment certificate.
    CertificateIssue,
    /// KS04 certificate verification by number and verification code.
    CertificateVerify,
    /// KS05 contribution record issue: the centre numbers and signs the
    /// months it prints.
    ContributionRecordIssue,
    /// KS06 personal account statement: balance, credits and debits over a
    /// range of months.
    AccountStatement,
    /// KS07 the person's medical settlements over a range of dates.
    SettlementQuery,
    /// KS11 remote-care filing submit.
    FilingSubmit,
    /// KS12 remote-care filing query.
    FilingQuery,
    /// KS13 remote-care filing change.
    FilingChange,
    /// KS14 remote-care filing cancel.
    FilingCancel,
    /// KS15 the archived commitment letter of a filing (for a reprint).
    FilingLetter,
    /// KS16 remote-care filing suspend or resume.
    FilingSuspend,
    /// KS17 the person's registered outpatient chronic and special
    /// diseases with their designated institutions.
    ChronicQuery,
    /// KS18 change of the designated hospital or pharmacy of one of them.
    ChronicChange,
    /// KS51 the resident premium a person owes for a year.
    PremiumDue,
    /// KS52 create (or find again) a premium payment order.
    PremiumOrder,
    /// KS53 a payment order's state.
    PremiumOrderQuery,
    /// KS54 cancel a payment order.
    PremiumOrderCancel,
    /// KS21 satisfaction rating upload.
    RatingUpload,
    /// KS31 terminal health report.
    HealthReport,
    /// KS32 audit log upload.
    AuditUpload,
    /// KS33 the terminal's remote configuration (whitelisted settings set
    /// by staff at the console).
    TerminalConfig,
    /// KS41 reference data increment.
    ReferenceData,
}

impl Transaction {
    /// Every transaction, in table order.
    pub const ALL: [Transaction; 27] = [
        Transaction::SignIn,
        Transaction::SignOut,
        Transaction::PersonQuery,
        Transaction::EnrollmentDetail,
        Transaction::ContributionHistory,
        Transaction::CertificateIssue,
        Transaction::CertificateVerify,
        Transaction::ContributionRecordIssue,
        Transaction::AccountStatement,
        Transaction::SettlementQuery,
        Transaction::FilingSubmit,
        Transaction::FilingQuery,
        Transaction::FilingChange,
        Transaction::FilingCancel,
        Transaction::FilingLetter,
        Transaction::FilingSuspend,
        Transaction::ChronicQuery,
        Transaction::ChronicChange,
        Transaction::PremiumDue,
        Transaction::PremiumOrder,
        Transaction::PremiumOrderQuery,
        Transaction::PremiumOrderCancel,
        Transaction::RatingUpload,
        Transaction::HealthReport,
        Transaction::AuditUpload,
        Transaction::TerminalConfig,
        Transaction::ReferenceData,
    ];

    /// The default `infno` on the wire.
    pub fn infno(self) -> &'static str {
        match self {
            Transaction::SignIn => "9001",
            Transaction::SignOut => "9002",
            Transaction::PersonQuery => "1101",
            Transaction::EnrollmentDetail => "KS01",
            Transaction::ContributionHistory => "KS02",
            Transaction::CertificateIssue => "KS03",
            Transaction::CertificateVerify => "KS04",
            Transaction::ContributionRecordIssue => "KS05",
            Transaction::AccountStatement => "KS06",
            Transaction::SettlementQuery => "KS07",
            Transaction::FilingSubmit => "KS11",
            Transaction::FilingQuery => "KS12",
            Transaction::FilingChange => "KS13",
            Transaction::FilingCancel => "KS14",
            Transaction::FilingLetter => "KS15",
            Transaction::FilingSuspend => "KS16",
            Transaction::ChronicQuery => "KS17",
            Transaction::ChronicChange => "KS18",
            Transaction::PremiumDue => "KS51",
            Transaction::PremiumOrder => "KS52",
            Transaction::PremiumOrderQuery => "KS53",
            Transaction::PremiumOrderCancel => "KS54",
            Transaction::RatingUpload => "KS21",
            Transaction::HealthReport => "KS31",
            Transaction::AuditUpload => "KS32",
            Transaction::TerminalConfig => "KS33",
            Transaction::ReferenceData => "KS41",
        }
    }

    /// The configuration key of the transaction (the `key` column).
    pub fn key(self) -> &'static str {
        match self {
            Transaction::SignIn => "sign_in",
            Transaction::SignOut => "sign_out",
            Transaction::PersonQuery => "person_query",
            Transaction::EnrollmentDetail => "enrollment_detail",
            Transaction::ContributionHistory => "contribution_history",
            Transaction::CertificateIssue => "certificate_issue",
            Transaction::CertificateVerify => "certificate_verify",
            Transaction::ContributionRecordIssue => "contribution_record_issue",
            Transaction::AccountStatement => "account_statement",
            Transaction::SettlementQuery => "settlement_query",
            Transaction::FilingSubmit => "filing_submit",
            Transaction::FilingQuery => "filing_query",
            Transaction::FilingChange => "filing_change",
            Transaction::FilingCancel => "filing_cancel",
            Transaction::FilingLetter => "filing_letter",
            Transaction::FilingSuspend => "filing_suspend",
            Transaction::ChronicQuery => "chronic_query",
            Transaction::ChronicChange => "chronic_change",
            Transaction::PremiumDue => "premium_due",
            Transaction::PremiumOrder => "premium_order",
            Transaction::PremiumOrderQuery => "premium_order_query",
            Transaction::PremiumOrderCancel => "premium_order_cancel",
            Transaction::RatingUpload => "rating_upload",
            Transaction::HealthReport => "health_report",
            Transaction::AuditUpload => "audit_upload",
            Transaction::TerminalConfig => "terminal_config",
            Transaction::ReferenceData => "reference_data",
        }
    }

    /// Looks a transaction up by its default `infno`.
    pub fn from_infno(infno: &str) -> Option<Transaction> {
        Transaction::ALL.into_iter().find(|t| t.infno() == infno)
    }

    /// Looks a transaction up by its configuration key.
    pub fn from_key(key: &str) -> Option<Transaction> {
        Transaction::ALL.into_iter().find(|t| t.key() == key)
    }

    /// Whether repeating the message cannot change anything at the centre, so
    /// a client may retry it freely.
    pub fn is_idempotent_query(self) -> bool {
        match self {
            Transaction::SignIn
            | Transaction::PersonQuery
            | Transaction::EnrollmentDetail
            | Transaction::ContributionHistory
            | Transaction::AccountStatement
            | Transaction::SettlementQuery
            | Transaction::CertificateVerify
            | Transaction::FilingQuery
            | Transaction::FilingLetter
            | Transaction::ChronicQuery
            | Transaction::PremiumDue
            | Transaction::PremiumOrderQuery
            | Transaction::TerminalConfig
            | Transaction::ReferenceData => true,
            Transaction::SignOut
            | Transaction::CertificateIssue
            | Transaction::ContributionRecordIssue
            | Transaction::FilingSubmit
            | Transaction::FilingChange
            | Transaction::FilingCancel
            | Transaction::FilingSuspend
            | Transaction::ChronicChange
            | Transaction::PremiumOrder
            | Transaction::PremiumOrderCancel
            | Transaction::RatingUpload
            | Transaction::HealthReport
            | Transaction::AuditUpload => false,
        }
    }
}

impl Transaction {
    /// Whether the client may send the message again when its answer is
    /// lost: every idempotent query, and the two commands keyed on the
    /// kiosk's own order number (KS52, KS54), whose repeat finds the same
    /// order at the centre and never creates or charges a second one.
    pub fn is_retryable(self) -> bool {
        self.is_idempotent_query()
            || matches!(
                self,
                Transaction::PremiumOrder | Transaction::PremiumOrderCancel
            )
    }
}

/// The `infno` of every transaction for one deployment: the defaults of
/// the table, with a province's overrides.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InfnoMap {
    overrides: HashMap<Transaction, String>,
}

impl InfnoMap {
    /// The defaults of the table.
    pub fn defaults() -> InfnoMap {
        InfnoMap::default()
    }

    /// Overrides from configuration: transaction key → the province's code,
    /// e.g. `filing_submit = "2561"`. Unknown keys, codes that are not
    /// 4 ASCII alphanumerics and two transactions on one code are refused.
    pub fn from_config(overrides: &BTreeMap<String, String>) -> Result<InfnoMap, Error> {
        let mut map = InfnoMap::default();
        for (key, code) in overrides {
            let transaction = Transaction::from_key(key)
                .ok_or_else(|| Error::Config(format!("unknown transaction key {key}")))?;
            if code.len() != 4 || !code.chars().all(|c| c.is_ascii_alphanumeric()) {
                return Err(Error::Config(format!(
                    "infno for {key} must be 4 letters or digits"
                )));
            }
            map.overrides.insert(transaction, code.clone());
        }
        let mut seen = HashMap::new();
        for t in Transaction::ALL {
            if let Some(other) = seen.insert(map.infno(t).to_string(), t) {
                return Err(Error::Config(format!(
                    "{} and {} share infno {}",
                    other.key(),
                    t.key(),
                    map.infno(t)
                )));
            }
        }
        Ok(map)
    }

    /// The code sent for `transaction`.
    pub fn infno(&self, transaction: Transaction) -> &str {
        self.overrides
            .get(&transaction)
            .map(String::as_str)
            .unwrap_or(transaction.infno())
    }

    /// The transaction a code on the wire stands for.
    pub fn resolve(&self, infno: &str) -> Option<Transaction> {
        Transaction::ALL
            .into_iter()
            .find(|t| self.infno(*t) == infno)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn codes_and_keys_are_unique_and_round_trip() {
        let mut codes = std::collections::HashSet::new();
        let mut keys = std::collections::HashSet::new();
        for t in Transaction::ALL {
            assert!(codes.insert(t.infno()));
            assert!(keys.insert(t.key()));
            assert_eq!(Transaction::from_infno(t.infno()), Some(t));
            assert_eq!(Transaction::from_key(t.key()), Some(t));
        }
    }

    #[test]
    fn the_docs_table_lists_every_transaction() {
        let doc = include_str!("../../docs/transactions.md");
        for t in Transaction::ALL {
            let row = format!("| {} | `{}` |", t.infno(), t.key());
            assert!(doc.contains(&row), "docs/transactions.md lacks {row}");
        }
    }

    #[test]
    fn a_province_map_overrides_and_resolves() {
        let mut cfg = BTreeMap::new();
        cfg.insert("filing_submit".to_string(), "2561".to_string());
        let map = InfnoMap::from_config(&cfg).unwrap();
        assert_eq!(map.infno(Transaction::FilingSubmit), "2561");
        assert_eq!(map.infno(Transaction::PersonQuery), "1101");
        assert_eq!(map.resolve("2561"), Some(Transaction::FilingSubmit));
        assert_eq!(map.resolve("KS11"), None);
        cfg.insert("filing_query".to_string(), "2561".to_string());
        assert!(InfnoMap::from_config(&cfg).is_err());
        let mut bad = BTreeMap::new();
        bad.insert("nope".to_string(), "1234".to_string());
        assert!(InfnoMap::from_config(&bad).is_err());
        let mut bad = BTreeMap::new();
        bad.insert("sign_in".to_string(), "12345".to_string());
        assert!(InfnoMap::from_config(&bad).is_err());
    }
}

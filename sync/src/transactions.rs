//! The one table of transactions the kiosk exchanges with the central service.
//!
//! | code | name | direction | idempotent | source |
//! |------|------|-----------|------------|--------|
//! | 9001 | sign-in 签到 | query | yes | national platform |
//! | 9002 | sign-out 签退 | command | yes | national platform |
//! | 1101 | person information 人员信息获取 | query | yes | national platform |
//! | KS01 | enrollment detail 参保明细 (payment status, paid months per insurance type) | query | yes | project |
//!
//! Transactions the public national spec does not cover (enrollment detail,
//! certificates, remote-care filing, rating, health) get project codes when
//! they are built; a province deployment maps each to its own code through
//! configuration, never through code changes.

/// A transaction the kiosk sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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
}

impl Transaction {
    /// Every transaction, in table order.
    pub const ALL: [Transaction; 4] = [
        Transaction::SignIn,
        Transaction::SignOut,
        Transaction::PersonQuery,
        Transaction::EnrollmentDetail,
    ];

    /// The default `infno` on the wire.
    pub fn infno(self) -> &'static str {
        match self {
            Transaction::SignIn => "9001",
            Transaction::SignOut => "9002",
            Transaction::PersonQuery => "1101",
            Transaction::EnrollmentDetail => "KS01",
        }
    }

    /// Looks a transaction up by its default `infno`.
    pub fn from_infno(infno: &str) -> Option<Transaction> {
        Transaction::ALL.into_iter().find(|t| t.infno() == infno)
    }

    /// Whether repeating the message cannot change anything at the centre, so
    /// a client may retry it freely.
    pub fn is_idempotent_query(self) -> bool {
        match self {
            Transaction::SignIn | Transaction::PersonQuery | Transaction::EnrollmentDetail => true,
            Transaction::SignOut => false,
        }
    }
}

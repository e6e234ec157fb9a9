//! The one error enum of `kiosk-sync`.

use kiosk_core::tr;
use thiserror::Error;

/// What can go wrong talking to the central service. Variants never carry
/// personal data: the centre's `err_msg` is kept only for codes that are
/// not about a person.
#[derive(Debug, Error)]
pub enum Error {
    /// The centre could not be reached (connection refused, DNS, reset).
    #[error("central service unreachable: {0}")]
    Unreachable(String),
    /// The centre did not answer within the timeout.
    #[error("central service timed out")]
    Timeout,
    /// The centre answered with an HTTP error status.
    #[error("central service answered HTTP {0}")]
    HttpStatus(u16),
    /// The answer was larger than the client accepts.
    #[error("central service answer exceeds {limit} bytes")]
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The answer was not a well-formed envelope of the expected shape.
    #[error("malformed answer from central service: {0}")]
    Malformed(String),
    /// The answer's `inf_refmsgid` is not the request's `msgid`.
    #[error("answer refers to another message")]
    WrongReference,
    /// Sign-in failed or the sign number was refused twice.
    #[error("sign-in refused: {0}")]
    SignIn(String),
    /// No insured person matches the credential.
    #[error("no insured person matches the credential")]
    PersonNotFound,
    /// The e-voucher token has expired.
    #[error("e-voucher token expired")]
    EVoucherExpired,
    /// The centre refused the transaction.
    #[error("central service refused (infcode {infcode}): {message}")]
    Refused {
        /// The centre's code.
        infcode: i32,
        /// The centre's message.
        message: String,
    },
    /// The secure link is set up wrong: a certificate the CA does not sign,
    /// expired or not yet valid, another host's, a pin mismatch, a refused
    /// client certificate, a refused envelope or gateway signature. Not a
    /// network outage: retrying soon cannot help, staff must act.
    #[error("central link misconfigured ({fault}): {detail}")]
    Link {
        /// What kind of fault.
        fault: crate::link::LinkFault,
        /// The reason (from TLS or the centre; never personal data).
        detail: String,
    },
    /// The client's own configuration is unusable (bad URL).
    #[error("central service configuration: {0}")]
    Config(String),
    /// The circuit breaker is open: the centre failed repeatedly and the
    /// client does not try again until the cool-down has passed.
    #[error("central service marked unavailable for {retry_in_ms} ms more")]
    CircuitOpen {
        /// Time until the next probe is allowed, in milliseconds.
        retry_in_ms: u64,
    },
    /// The local database failed (I/O, corruption, constraint).
    #[error("local store: {0}")]
    Store(String),
    /// The local database cannot grow: the disk is full (SQLITE_FULL).
    /// Nothing of the write was kept; what was committed before is intact.
    #[error("local store full: {0}")]
    StoreFull(String),
    /// The local database was written by a newer program.
    #[error("local store schema version {found} is newer than this program's {supported}")]
    SchemaTooNew {
        /// Version found in the file.
        found: u32,
        /// Latest version this program knows.
        supported: u32,
    },
    /// The outbox key is missing or unusable.
    #[error("outbox key: {0}")]
    Key(String),
    /// A sealed outbox record could not be opened (wrong key or tampered).
    #[error("outbox record {0} cannot be decrypted")]
    Decrypt(i64),
    /// The background sync engine is not running.
    #[error("sync engine stopped")]
    EngineStopped,
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Error {
        // SQLite messages name tables and columns, never row values.
        if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DiskFull) {
            return Error::StoreFull(e.to_string());
        }
        Error::Store(e.to_string())
    }
}

impl Error {
    /// The link fault behind this error, if it is one.
    pub fn link_fault(&self) -> Option<crate::link::LinkFault> {
        match self {
            Error::Link { fault, .. } => Some(*fault),
            _ => None,
        }
    }

    /// The message shown to the citizen: what happened and what to do next.
    pub fn user_message(&self) -> String {
        match self {
            Error::Unreachable(_)
            | Error::Timeout
            | Error::HttpStatus(_)
            | Error::CircuitOpen { .. } => {
                tr!("暂时无法连接医保中心，查询暂不可用。您可以先查看办事指南，稍后再试，或到人工窗口办理。")
                    .to_string()
            }
            Error::TooLarge { .. } | Error::Malformed(_) | Error::WrongReference => {
                tr!("医保中心返回的信息有误，请稍后再试；如多次出现，请联系工作人员。").to_string()
            }
            Error::Link { .. } => {
                tr!("本终端暂时无法与医保中心安全连接，医保业务暂停办理。请联系大厅工作人员，或到人工窗口办理。")
                    .to_string()
            }
            Error::SignIn(_) | Error::Config(_) => {
                tr!("本终端暂时无法登录医保中心，请联系工作人员，或到人工窗口办理。").to_string()
            }
            Error::PersonNotFound => {
                tr!("未查询到您的参保信息。请核对证件，或到人工窗口咨询参保登记。").to_string()
            }
            Error::EVoucherExpired => {
                tr!("医保电子凭证二维码已过期。请在医保App或微信/支付宝中刷新二维码后重新扫码。")
                    .to_string()
            }
            Error::Refused { message, .. } => {
                tr!("医保中心未能办理：{}。请到人工窗口咨询。", message)
            }
            Error::StoreFull(_) => {
                tr!("本机存储空间不足，您的业务未能保存。请联系大厅工作人员处理后再试，或到人工窗口办理。")
                    .to_string()
            }
            Error::Store(_) | Error::SchemaTooNew { .. } | Error::Decrypt(_) => {
                tr!("本终端的本地数据暂时无法读写，请联系工作人员，或到人工窗口办理。").to_string()
            }
            Error::Key(_) | Error::EngineStopped => {
                tr!("本终端暂时无法保存您提交的业务，请到人工窗口办理。").to_string()
            }
        }
    }
}

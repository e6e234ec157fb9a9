//! The one error enum of `kiosk-core`. Every variant carries a Chinese
//! message for the citizen (what happened, what to do next) through
//! [`Error::user_message`]. Variants never carry personal data.

use thiserror::Error;

use crate::tr;

/// Everything that can go wrong in the pure domain.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Error {
    /// The ID number does not have 18 characters.
    #[error("ID number has {found} characters, expected 18")]
    IdNumberLength {
        /// How many characters were given.
        found: usize,
    },
    /// A character that is not allowed at this position (1-based).
    #[error("ID number has an invalid character at position {position}")]
    IdNumberCharacter {
        /// 1-based position.
        position: usize,
    },
    /// The first two digits are not a GB/T 2260 province code.
    #[error("ID number region code starts with unknown province {province}")]
    IdNumberRegion {
        /// The two-digit province code found.
        province: String,
    },
    /// Positions 7-14 are not a real calendar date from 1900 on.
    #[error("ID number birth date is not a valid date")]
    IdNumberBirthDate,
    /// The 18th character does not match the GB 11643 check.
    #[error("ID number check character does not match")]
    IdNumberCheckDigit,
    /// An amount has a non-zero digit beyond the second decimal place (below
    /// one fen). Amounts are never rounded silently.
    #[error("amount has more than 2 decimal places")]
    AmountPrecision,
    /// An amount is beyond ±999,999,999,999.99 yuan, or a sum left that range.
    #[error("amount is outside ±999,999,999,999.99 yuan")]
    AmountOutOfRange,
    /// A text is not an amount of the form `-?digits(.digits)?`.
    #[error("amount is not a plain decimal number")]
    AmountSyntax,
    /// A region profile (`data/regions/*.toml`) could not be loaded: TOML
    /// syntax, schema or a semantic check. Start-up stops; the operator
    /// fixes the file named here.
    #[error("region profile {file}, line {line}, field `{field}`: {reason}")]
    RegionProfile {
        /// File name as given to the loader.
        file: String,
        /// 1-based line of the offending key or value.
        line: usize,
        /// Dotted path of the field (`items[3].code`; indices are 0-based).
        field: String,
        /// What is wrong (English, for the operator).
        reason: String,
    },
    /// A document cannot be made: a field its layout needs is missing
    /// (e.g. the transfer certificate without its issuing agency block).
    #[error("document {document} lacks {field}")]
    DocumentIncomplete {
        /// The document (English name).
        document: &'static str,
        /// The missing field (English name, never its content).
        field: &'static str,
    },
    /// The key that signs verification QR codes is missing or too short
    /// (at least 16 bytes).
    #[error("certificate signing key missing or shorter than 16 bytes")]
    SigningKey,
    /// A print job event that its state does not allow (a bug in the
    /// caller, or a journal written by a different program version).
    #[error("print job {job}: {event} is not allowed in state {state}")]
    PrintJobTransition {
        /// Job id.
        job: u64,
        /// State name.
        state: &'static str,
        /// Event name.
        event: &'static str,
    },
    /// The print journal store failed (reason from the store, no personal data).
    #[error("print journal: {0}")]
    PrintJournal(String),
    /// The print journal cannot be written: the kiosk's storage is full.
    /// Nothing is printed (every job is written before it is sent).
    #[error("print journal: storage full")]
    StorageFull,
    /// A text catalogue (`.po`) or a translated text in the sources that
    /// cannot be read.
    #[error("text catalogue, line {line}: {what}")]
    Catalogue {
        /// 1-based line.
        line: usize,
        /// What is wrong.
        what: &'static str,
    },
    /// Figures from the centre that do not add up (an account statement
    /// whose balances do not chain, a settlement whose parts do not make
    /// its total): never shown.
    #[error("inconsistent figures from the centre: {0}")]
    Inconsistent(&'static str),
    /// A screen language that is not bundled.
    #[error("language {language} is not bundled (available: {available})")]
    UnknownLanguage {
        /// The language asked for.
        language: String,
        /// The bundled ones.
        available: String,
    },
}

impl Error {
    /// The message shown to the citizen: what happened and what to do next.
    pub fn user_message(&self) -> String {
        match self {
            Error::IdNumberLength { found } => tr!(
                "证件号码位数不对（读到 {} 位，应为 18 位）。请核对证件后重新输入，或到人工窗口办理。",
                found
            ),
            Error::IdNumberCharacter { position } => tr!(
                "证件号码第 {} 位不是有效字符。请核对证件后重新输入，或到人工窗口办理。",
                position
            ),
            Error::IdNumberRegion { .. } => {
                tr!("证件号码的地区代码无效。请核对证件，或到人工窗口办理。").to_string()
            }
            Error::IdNumberBirthDate => {
                tr!("证件号码中的出生日期无效。请核对证件，或到人工窗口办理。").to_string()
            }
            Error::IdNumberCheckDigit => {
                tr!("证件号码校验不通过，可能读错或输错了一位。请重新放置证件或核对后重试。")
                    .to_string()
            }
            Error::AmountPrecision => {
                tr!("金额精确到分，不能超过两位小数，系统未作处理。请稍后重试，或到人工窗口办理。")
                    .to_string()
            }
            Error::AmountOutOfRange => {
                tr!("金额超出本机可处理的范围，系统未作处理。请到人工窗口办理。").to_string()
            }
            Error::AmountSyntax => {
                tr!("金额格式不正确，系统未作处理。请稍后重试，或到人工窗口办理。").to_string()
            }
            Error::RegionProfile {
                file, line, field, ..
            } => tr!(
                "本机区域配置有误（文件 {} 第 {} 行，字段 {}），暂时无法提供服务。请到人工窗口办理，或联系运维人员。",
                file,
                line,
                field
            ),
            Error::DocumentIncomplete { .. } => {
                tr!("凭证所需信息不完整，暂时无法打印。请到人工窗口办理。").to_string()
            }
            Error::SigningKey => {
                tr!("本机凭证签名配置有误，暂时无法出具凭证。请到人工窗口办理，或联系工作人员。")
                    .to_string()
            }
            Error::StorageFull => tr!(
                "本机存储空间不足，暂时无法打印。请联系大厅工作人员处理后再试，或到人工窗口打印。"
            )
            .to_string(),
            Error::PrintJobTransition { .. } | Error::PrintJournal(_) => {
                tr!("打印记录出错，本次打印未完成。请联系工作人员，或到人工窗口打印。").to_string()
            }
            Error::Inconsistent(_) => {
                tr!("医保中心返回的金额核对不一致，本机不予显示。请稍后再查询，或到人工窗口咨询。")
                    .to_string()
            }
            Error::Catalogue { .. } | Error::UnknownLanguage { .. } => {
                tr!("本机语言设置有误，暂时只能显示中文。请联系工作人员。").to_string()
            }
        }
    }
}

//! The one error enum of `kiosk-drivers`.

use thiserror::Error;

/// Everything a device can do wrong. Variants never carry personal data.
#[derive(Debug, Error)]
pub enum Error {
    /// The link itself failed (port gone, connection refused, write error).
    #[error("device link error: {0}")]
    Io(#[from] std::io::Error),

    /// The printer URI is not one the kiosk understands.
    #[error("printer URI not understood: {0}")]
    PrinterUri(String),

    /// The printer could not be reached.
    #[error("printer unreachable: {0}")]
    PrinterUnreachable(#[source] std::io::Error),

    /// A serial port could not be opened (absent, busy, no permission).
    #[error("cannot open serial port {path}: {source}")]
    SerialOpen {
        /// The device path (not personal data).
        path: String,
        /// What the serial port library reported.
        #[source]
        source: serialport::Error,
    },

    /// The device did not answer within the command's deadline.
    #[error("{device:?} did not answer in time")]
    Timeout {
        /// Which device was silent.
        device: Device,
    },

    /// ID card reader: a response frame failed its XOR checksum.
    #[error(
        "ID card reader frame checksum mismatch: computed {computed:#04x}, received {received:#04x}"
    )]
    IdCardChecksum {
        /// The XOR over LEN..DATA as computed here.
        computed: u8,
        /// The CHK byte that arrived.
        received: u8,
    },

    /// ID card reader: a response frame announced an impossible length.
    #[error("ID card reader frame length {len} out of range")]
    IdCardFrameLength {
        /// The LEN field as received.
        len: usize,
    },

    /// ID card reader: the SAM answered a status code that means failure
    /// (the code is kept; see `kiosk_drivers::idcard::status_description`).
    #[error("ID card reader status {sw3:#04x}: {}", crate::idcard::status_description(*.sw3))]
    IdCardStatus {
        /// The SW3 byte.
        sw3: u8,
    },

    /// ID card reader: no card on the reader where one was needed (SW3 80),
    /// e.g. the card was taken away between finding and reading it.
    #[error("ID card reader: no card found")]
    IdCardNoCard,

    /// ID card reader: the card could not be selected (SW3 81).
    #[error("ID card reader: select card failed")]
    IdCardSelectFailed,

    /// ID card reader: reading the card failed (SW3 41).
    #[error("ID card reader: read card failed")]
    IdCardReadFailed,

    /// ID card reader: a well-formed frame whose content does not fit the
    /// command (wrong data length, inconsistent TLEN/PLEN).
    #[error("ID card reader: unexpected response: {what}")]
    IdCardUnexpectedResponse {
        /// What was wrong, in words (no card data).
        what: &'static str,
    },

    /// ID card reader: the card kind flag at byte 248 of the text block is
    /// not one this driver knows (newer card versions use other letters).
    #[error("unsupported identity card kind flag {flag:?}")]
    IdCardUnknownKind {
        /// The flag character (or U+FFFD when it was not a valid UCS-2 unit).
        flag: char,
    },

    /// ID card reader: a field of the text block could not be decoded.
    #[error("ID card text field {field} is malformed")]
    IdCardBadField {
        /// The field name (e.g. "birth", "sex"); never its content.
        field: &'static str,
    },

    /// ID card reader: the document number fails GB 11643 validation.
    #[error("ID card number invalid: {0}")]
    IdCardBadNumber(#[source] kiosk_core::Error),
}

impl Error {
    /// The message shown to the citizen: what happened and what to do next.
    pub fn user_message(&self) -> String {
        match self {
            Error::Io(_) => "设备连接中断，请稍候重试；如仍无法使用，请联系工作人员。".to_string(),
            Error::SerialOpen { .. } => {
                "设备未连接或被占用，暂时无法使用，请联系工作人员。".to_string()
            }
            Error::PrinterUri(_)
            | Error::PrinterUnreachable(_)
            | Error::Timeout {
                device: Device::Printer,
            } => "打印机暂时无法使用，已通知工作人员。您可以先查看信息，或到人工窗口打印。"
                .to_string(),
            Error::Timeout {
                device: Device::IdCardReader,
            }
            | Error::IdCardChecksum { .. }
            | Error::IdCardFrameLength { .. }
            | Error::IdCardUnexpectedResponse { .. }
            | Error::IdCardReadFailed
            | Error::IdCardSelectFailed => {
                "身份证读取失败，请将身份证重新放在读卡区，保持不动。".to_string()
            }
            Error::IdCardNoCard => {
                "未检测到身份证，请将身份证平放在读卡区，读取完成前不要移开。".to_string()
            }
            Error::IdCardStatus { .. } => {
                "身份证读卡器暂时无法读卡，请稍候重试；如仍无法使用，请改用社保卡或医保电子凭证，或联系工作人员。"
                    .to_string()
            }
            Error::IdCardUnknownKind { .. } => {
                "暂不支持此类证件，请改用社保卡或医保电子凭证，或到人工窗口办理。".to_string()
            }
            Error::IdCardBadNumber(e) => e.user_message(),
            Error::IdCardBadField { .. } => {
                "证件信息无法识别，请重新放置证件重试；如仍不行，请改用社保卡或医保电子凭证，或到人工窗口办理。"
                    .to_string()
            }
        }
    }
}

/// Which device an error is about, where the variant is shared by devices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Device {
    /// The resident ID card reader (GA 467 SAM).
    IdCardReader,
    /// The receipt printer.
    Printer,
}

//! The one error enum of `kiosk-drivers`.

use kiosk_core::tr;
use thiserror::Error;

/// Everything a device can do wrong. Variants never carry personal data.
#[derive(Debug, Error)]
pub enum Error {
    /// The link itself failed (port gone, connection refused, write error).
    #[error("device link error: {0}")]
    Io(#[from] std::io::Error),

    /// A device that was open went away: the port hung up or stopped
    /// existing (a reader or scanner unplugged, its cable pulled, its
    /// USB-serial adapter reset). The kiosk closes it and opens it again
    /// until it is back.
    #[error("{device:?} disconnected: {source}")]
    Disconnected {
        /// Which device.
        device: Device,
        /// What the link reported.
        #[source]
        source: std::io::Error,
    },

    /// The printer URI is not one the kiosk understands.
    #[error("printer URI not understood: {0}")]
    PrinterUri(String),

    /// No CJK font for the printer's user-defined characters (rare
    /// characters in names): names with them print as 〓.
    #[error("glyph fonts: {0}")]
    GlyphFonts(String),

    /// The printer could not be reached.
    #[error("printer unreachable: {0}")]
    PrinterUnreachable(#[source] std::io::Error),

    /// The printer reports a state it cannot print in (paper out, cover
    /// open, cutter error, offline).
    #[error("printer not ready: {0:?}")]
    PrinterNotReady(crate::printer::PrinterState),

    /// The link to the printer broke (connection dropped, cable pulled).
    #[error("printer link lost")]
    PrinterLinkLost,

    /// The printer answered a status query with bytes that are not status
    /// replies (wrong device on the port, or a confused printer).
    #[error("printer status replies {bytes:02X?} lack the fixed bits")]
    PrinterBadStatus {
        /// The four replies to DLE EOT 1-4.
        bytes: [u8; 4],
    },

    /// USB printer: not found, no printer-class interface, or a libusb error.
    #[error("USB printer: {0}")]
    PrinterUsb(String),

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

    /// CCID: a reply that breaks the message layer (short header, wrong
    /// message type, wrong slot, length field not matching the bytes).
    #[error("CCID protocol error: {what}")]
    CcidProtocol {
        /// What was wrong, in words (no card data).
        what: &'static str,
    },

    /// CCID: the reply's bSeq is not the one of the request (a stale reply
    /// of an earlier command, or a confused reader).
    #[error("CCID reply sequence {received} does not match request sequence {expected}")]
    CcidSequence {
        /// bSeq sent.
        expected: u8,
        /// bSeq received.
        received: u8,
    },

    /// CCID: the reader reported a failed command (bStatus bits 6-7 = 1)
    /// with this bError (see `kiosk_drivers::sscard::ccid::error_description`).
    #[error("CCID command failed: bError {error:#04x} ({})", crate::sscard::ccid::error_description(*.error))]
    CcidCommandFailed {
        /// bError.
        error: u8,
    },

    /// CCID: the reader kept asking for more time beyond the driver's bound.
    #[error("CCID reader requested time extensions {count} times; giving up")]
    CcidTimeExtensionLimit {
        /// How many time-extension replies arrived.
        count: u32,
    },

    /// Social security card: no card in the reader (slot empty, or the card
    /// was pulled out in the middle of a read).
    #[error("no social security card in the reader")]
    SsCardAbsent,

    /// Social security card: the card answered a status word that means
    /// failure (see `kiosk_drivers::sscard::apdu::sw_description`).
    #[error("card status word {sw1:02X}{sw2:02X} ({})", crate::sscard::apdu::sw_description(*.sw1, *.sw2))]
    SsCardStatus {
        /// SW1.
        sw1: u8,
        /// SW2.
        sw2: u8,
    },

    /// Social security card: the social security application (SSSE) is not
    /// on the card (SELECT answered 6A 82): it is some other chip card.
    #[error("the card has no social security application (SELECT answered 6A82)")]
    SsCardNotSocialSecurity,

    /// Social security card: a field needs the reader's PSAM to authenticate
    /// to the card first (69 82), and no PSAM (or a failing one) is there.
    #[error("card field {field} needs PSAM authentication, which this reader did not provide")]
    SsCardNeedsPsam {
        /// The field (e.g. "name"); never its content.
        field: &'static str,
    },

    /// Social security card: a record could not be decoded (TLV structure,
    /// wrong tag, length, BCD date or text).
    /// Terminal authentication with the PSAM failed: the card is not
    /// genuine, or it refused the PSAM's keys. Nothing of the card is used.
    #[error("social security card authentication failed: {what}")]
    SsCardAuthFailed {
        /// Which step, in English.
        what: &'static str,
    },

    /// The reader's PSAM is missing or does not answer.
    #[error("PSAM unavailable: {what}")]
    PsamUnavailable {
        /// What happened, in English.
        what: String,
    },

    /// The PSAM answered a step with an error status.
    #[error("PSAM {step} answered {sw1:02X}{sw2:02X} ({})", crate::sscard::apdu::sw_description(*.sw1, *.sw2))]
    PsamStatus {
        /// The step.
        step: &'static str,
        /// SW1.
        sw1: u8,
        /// SW2.
        sw2: u8,
    },

    /// pcsc-lite: `pcscd` is not running or not reachable.
    #[error("pcscd is not running or not reachable: {what}")]
    PcscUnavailable {
        /// What the PC/SC layer said.
        what: String,
    },

    /// pcsc-lite: no reader whose name matches.
    #[error("no PC/SC reader matches {pattern:?} (readers: {seen})")]
    PcscReaderNotFound {
        /// The configured name pattern.
        pattern: String,
        /// The readers pcscd lists.
        seen: String,
    },

    /// pcsc-lite: another program holds the card exclusively.
    #[error("another program holds the card in reader {reader:?} (PC/SC sharing violation)")]
    PcscSharingViolation {
        /// The reader.
        reader: String,
    },

    /// pcsc-lite: any other failure.
    #[error("PC/SC: {0}")]
    Pcsc(String),

    /// The USB reader is held by another driver: `pcscd` (with libccid)
    /// while the kiosk is configured for its own CCID driver.
    #[error("the USB card reader {device} is held by another program{}", if *.pcscd_running { " (pcscd is running and holds it)" } else { "" })]
    ReaderHeld {
        /// VID:PID of the reader.
        device: String,
        /// Whether a pcscd answers on this machine.
        pcscd_running: bool,
    },

    #[error("card field {field} is malformed: {what}")]
    SsCardBadField {
        /// The field name; never its content.
        field: &'static str,
        /// What was wrong.
        what: &'static str,
    },

    /// Social security card reader: no USB CCID reader found.
    #[error("no USB smart-card reader found ({what})")]
    UsbReaderNotFound {
        /// What was looked for (class 0B or a VID:PID).
        what: String,
    },

    /// Social security card reader: a USB call failed (libusb error text).
    #[error("USB error: {0}")]
    Usb(String),

    /// QR scanner: a scanned code was refused as an e-voucher.
    #[error("scanned code rejected: {0}")]
    ScanRejected(crate::scanner::Rejection),
}

impl Error {
    /// The message shown to the citizen: what happened and what to do next.
    pub fn user_message(&self) -> String {
        match self {
            Error::Io(_) => tr!("设备连接中断，请稍候重试；如仍无法使用，请联系工作人员。").to_string(),
            Error::SerialOpen { .. } => {
                tr!("设备未连接或被占用，暂时无法使用，请联系工作人员。").to_string()
            }
            Error::Disconnected { device, .. } => match device {
                Device::IdCardReader => {
                    tr!("身份证读卡器连接中断，暂时无法读卡。请改用社保卡或医保电子凭证，或联系工作人员；读卡器恢复后可重新放置身份证。")
                }
                Device::SsCardReader => {
                    tr!("社保卡读卡器连接中断，暂时无法读卡。请取回社保卡，改用身份证或医保电子凭证，或联系工作人员。")
                }
                Device::Scanner => {
                    tr!("扫码器连接中断，暂时无法扫码。请改用身份证或社保卡，或联系工作人员。")
                }
                Device::Printer => {
                    tr!("打印机连接中断，已通知工作人员。恢复后将重新完整打印，您也可以到人工窗口打印。")
                }
            }
            .to_string(),
            Error::PrinterUri(_)
            | Error::GlyphFonts(_)
            | Error::PrinterUnreachable(_)
            | Error::Timeout {
                device: Device::Printer,
            } => tr!("打印机暂时无法使用，已通知工作人员。您可以先查看信息，或到人工窗口打印。")
                .to_string(),
            // What happened and what to do; whether the job is printed
            // again automatically is the print journal's message
            // (`kiosk_core::print_job::FailCause::user_message`).
            Error::PrinterNotReady(state) => {
                use crate::printer::PrinterState as S;
                match state {
                    S::PaperOut => tr!("打印机缺纸，本次未能打印完整。请联系工作人员换纸后重新打印，或到人工窗口打印。"),
                    S::CoverOpen => tr!("打印机机盖未关好，本次未能打印完整。请联系工作人员处理后重新打印。"),
                    S::CutterError => tr!("打印机切纸故障，本次未能打印完整。请联系工作人员处理，或到人工窗口打印。"),
                    S::Offline | S::Ready | S::PaperNearEnd => {
                        tr!("打印机暂时无法使用，已通知工作人员。您可以先查看信息，或到人工窗口打印。")
                    }
                }
                .to_string()
            }
            Error::PrinterUsb(_) => {
                tr!("打印机未连接或无法识别，已通知工作人员。您可以先查看信息，或到人工窗口打印。")
                    .to_string()
            }
            Error::PrinterLinkLost | Error::PrinterBadStatus { .. } => {
                tr!("打印机连接中断，已通知工作人员。恢复后将重新完整打印，您也可以到人工窗口打印。")
                    .to_string()
            }
            Error::Timeout {
                device: Device::IdCardReader,
            }
            | Error::IdCardChecksum { .. }
            | Error::IdCardFrameLength { .. }
            | Error::IdCardUnexpectedResponse { .. }
            | Error::IdCardReadFailed
            | Error::IdCardSelectFailed => {
                tr!("身份证读取失败，请将身份证重新放在读卡区，保持不动。").to_string()
            }
            Error::IdCardNoCard => {
                tr!("未检测到身份证，请将身份证平放在读卡区，读取完成前不要移开。").to_string()
            }
            Error::IdCardStatus { .. } => {
                tr!("身份证读卡器暂时无法读卡，请稍候重试；如仍无法使用，请改用社保卡或医保电子凭证，或联系工作人员。")
                    .to_string()
            }
            Error::IdCardUnknownKind { .. } => {
                tr!("暂不支持此类证件，请改用社保卡或医保电子凭证，或到人工窗口办理。").to_string()
            }
            Error::IdCardBadNumber(e) => e.user_message(),
            Error::Timeout {
                device: Device::SsCardReader,
            }
            | Error::CcidProtocol { .. }
            | Error::CcidSequence { .. }
            | Error::CcidCommandFailed { .. }
            | Error::CcidTimeExtensionLimit { .. }
            | Error::SsCardStatus { .. } => {
                tr!("社保卡读取失败，请取出社保卡后重新插入（芯片朝上、向内插到底），读取完成前不要拔出。")
                    .to_string()
            }
            Error::SsCardAbsent => {
                tr!("未检测到社保卡，请将社保卡芯片朝上插入读卡口，读取完成前不要拔出。").to_string()
            }
            Error::SsCardNotSocialSecurity => {
                tr!("这张卡不是社会保障卡（或卡内没有社保应用），请插入社保卡，或改用身份证、医保电子凭证。")
                    .to_string()
            }
            Error::SsCardNeedsPsam { .. } => {
                tr!("本机读卡器暂不能读取这张社保卡的信息（需要读卡器安全模块认证），请改用身份证或医保电子凭证，或联系工作人员。")
                    .to_string()
            }
            Error::SsCardAuthFailed { .. } => {
                tr!("这张社保卡未通过安全校验，暂时不能在本机使用。请改用身份证或医保电子凭证，或到人工窗口核验社保卡。")
                    .to_string()
            }
            Error::PsamUnavailable { .. } | Error::PsamStatus { .. } => {
                tr!("读卡器安全模块暂时无法使用，本机暂不能读取社保卡。请改用身份证或医保电子凭证，并联系工作人员。")
                    .to_string()
            }
            Error::PcscUnavailable { .. }
            | Error::PcscReaderNotFound { .. }
            | Error::Pcsc(_)
            | Error::ReaderHeld { .. } => {
                tr!("社保卡读卡器暂时无法使用，请改用身份证或医保电子凭证，并联系工作人员。").to_string()
            }
            Error::PcscSharingViolation { .. } => {
                tr!("社保卡读卡器正被其他程序占用，请稍候重新插卡；如仍不行，请改用身份证或医保电子凭证，并联系工作人员。")
                    .to_string()
            }
            Error::SsCardBadField { .. } => {
                tr!("社保卡信息无法识别，请重新插卡重试；如仍不行，请改用身份证或医保电子凭证，或到人工窗口办理。")
                    .to_string()
            }
            Error::UsbReaderNotFound { .. } | Error::Usb(_) => {
                tr!("社保卡读卡器暂时无法使用，请改用身份证或医保电子凭证，并联系工作人员。").to_string()
            }
            Error::Timeout {
                device: Device::Scanner,
            } => tr!("扫码器暂时无法使用，请改用身份证或社保卡，并联系工作人员。").to_string(),
            Error::ScanRejected(rejection) => rejection.user_message().to_string(),
            Error::IdCardBadField { .. } => {
                tr!("证件信息无法识别，请重新放置证件重试；如仍不行，请改用社保卡或医保电子凭证，或到人工窗口办理。")
                    .to_string()
            }
        }
    }
}

impl Error {
    /// The error for an I/O failure on `device`'s open link: timeouts and
    /// "no data yet" are the caller's business; anything else on a serial
    /// port means the device went away ([`Error::Disconnected`]).
    pub fn link(device: Device, source: std::io::Error) -> Error {
        Error::Disconnected { device, source }
    }

    /// Whether this error means the link to the device is gone, so the
    /// device should be closed and opened again (unplugged, port missing,
    /// USB failure), rather than a fault of one exchange.
    pub fn is_link_lost(&self) -> bool {
        matches!(
            self,
            Error::Disconnected { .. }
                | Error::Io(_)
                | Error::SerialOpen { .. }
                | Error::Usb(_)
                | Error::UsbReaderNotFound { .. }
                | Error::PcscUnavailable { .. }
                | Error::PcscReaderNotFound { .. }
                | Error::ReaderHeld { .. }
        )
    }
}

/// Which device an error is about, where the variant is shared by devices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Device {
    /// The resident ID card reader (GA 467 SAM).
    IdCardReader,
    /// The receipt printer.
    Printer,
    /// The social security card reader (CCID).
    SsCardReader,
    /// The QR code scanner.
    Scanner,
}

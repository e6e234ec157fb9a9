//! Resident ID card reader: GA 467 SAM protocol over a serial link.
//!
//! - [`frame`]: command encoding and a streaming response decoder.
//! - [`text`]: decoding of the 256-byte UCS-2LE text block into an
//!   [`IdDocument`](kiosk_core::identity::IdDocument).
//! - [`IdCardReader`]: the command sequence (find → select → read) over any
//!   `Read + Write` transport, with a deadline on every command; see
//!   [`open_serial`] for a real serial port.

pub mod frame;
mod reader;
pub mod text;

pub use frame::{Response, ResponseDecoder, encode_command};
pub use reader::{IdCardReader, open_serial};
pub use text::decode_text_block;

/// SW3: success.
pub const SW3_OK: u8 = 0x90;
/// SW3: find card succeeded (寻找居民身份证成功).
pub const SW3_CARD_FOUND: u8 = 0x9F;
/// SW3: no card found (寻找居民身份证失败).
pub const SW3_NO_CARD: u8 = 0x80;
/// SW3: select card failed (选取居民身份证失败).
pub const SW3_SELECT_FAILED: u8 = 0x81;
/// SW3: read card failed (读居民身份证操作失败).
pub const SW3_READ_FAILED: u8 = 0x41;
/// SW3: nothing to return (no fingerprint, no appended address).
pub const SW3_NO_CONTENT: u8 = 0x91;

/// A short English description of a SW3 status code, for logs and error
/// messages. Unknown codes are described as such (and are errors).
pub fn status_description(sw3: u8) -> &'static str {
    match sw3 {
        0x90 => "success",
        0x91 => "the card holds nothing for this item",
        0x9F => "card found",
        0x10 => "checksum error in the command received",
        0x11 => "length error in the command received",
        0x21 => "command error (invalid values or combination)",
        0x23 => "operation not permitted",
        0x24 => "unrecognised error",
        0x31 => "card failed to authenticate the SAM",
        0x32 => "SAM failed to authenticate the card",
        0x33 => "information verification error",
        0x40 => "unrecognised card type",
        0x41 => "read card failed",
        0x47 => "get random number failed",
        0x60 => "SAM self-check failed, cannot accept commands",
        0x66 => "SAM not authorised",
        0x80 => "no card found",
        0x81 => "select card failed",
        _ => "unknown status code",
    }
}

/// Maps a failure SW3 to its typed error: 80, 81 and 41 have their own
/// variants, every other code is kept in [`Error::IdCardStatus`](crate::Error::IdCardStatus).
pub fn status_error(sw3: u8) -> crate::Error {
    match sw3 {
        SW3_NO_CARD => crate::Error::IdCardNoCard,
        SW3_SELECT_FAILED => crate::Error::IdCardSelectFailed,
        SW3_READ_FAILED => crate::Error::IdCardReadFailed,
        code => crate::Error::IdCardStatus { sw3: code },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;

    #[test]
    fn every_listed_code_has_a_description_and_keeps_its_value() {
        for code in [
            0x10u8, 0x11, 0x21, 0x23, 0x24, 0x31, 0x32, 0x33, 0x40, 0x47, 0x60, 0x66,
        ] {
            assert_ne!(status_description(code), "unknown status code");
            let err = status_error(code);
            assert!(matches!(err, Error::IdCardStatus { sw3 } if sw3 == code));
            assert!(err.to_string().contains(status_description(code)));
            assert!(!err.user_message().is_empty());
        }
        assert!(matches!(status_error(0x80), Error::IdCardNoCard));
        assert!(matches!(status_error(0x81), Error::IdCardSelectFailed));
        assert!(matches!(status_error(0x41), Error::IdCardReadFailed));
        assert!(matches!(
            status_error(0x5A),
            Error::IdCardStatus { sw3: 0x5A }
        ));
        assert_eq!(status_description(0x5A), "unknown status code");
    }
}

//! The social security application (SSSE, 社会保障应用) on the card:
//! SELECT by DF name, READ RECORD of EF05 (card data) and EF06 (holder
//! data), each record one TLV (tag 1 byte, length 1 byte, value).
//!
//! With a PSAM configured ([`super::psam`]), the card identification code
//! is read first and terminal authentication runs before anything else:
//! the card number and the person are only read, and trusted, from a card
//! that proved itself genuine. Without one, fields the card only gives
//! after authentication (status `69 82`) are either left out (optional
//! fields, listed in [`SsCardRecord::needs_psam`]) or the read fails with
//! [`Error::SsCardNeedsPsam`] (fields the credential needs).

use std::fmt;

use chrono::NaiveDate;
use kiosk_core::identity::{Credential, Sex, mask_number};
use serde::Serialize;

use super::apdu::{CardChannel, Command, Response, transmit};
use super::psam::{self, Psam};
use crate::Error;

/// DF name of the application: "sx1.sh.社会保障" in GBK.
pub const SSSE_DF_NAME: [u8; 15] = [
    0x73, 0x78, 0x31, 0x2E, 0x73, 0x68, 0x2E, 0xC9, 0xE7, 0xBB, 0xE1, 0xB1, 0xA3, 0xD5, 0xCF,
];

/// SFI of EF05, card data.
pub const SFI_CARD: u8 = 5;
/// SFI of EF06, holder data.
pub const SFI_HOLDER: u8 = 6;

/// One field of the application: where it is and how long its value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldSpec {
    /// Name used in errors and logs.
    pub name: &'static str,
    /// The EF's short identifier.
    pub sfi: u8,
    /// The tag (also the record number READ RECORD asks for).
    pub tag: u8,
    /// The value length the specification gives.
    pub len: u8,
    /// Whether a credential cannot be formed without it.
    pub required: bool,
}

const fn field(name: &'static str, sfi: u8, tag: u8, len: u8, required: bool) -> FieldSpec {
    FieldSpec {
        name,
        sfi,
        tag,
        len,
        required,
    }
}

/// 卡识别码.
pub const CARD_SN: FieldSpec = field("card_sn", SFI_CARD, 0x01, 16, true);
/// 规范版本.
pub const SPEC_VERSION: FieldSpec = field("spec_version", SFI_CARD, 0x03, 4, false);
/// 发卡机构代码.
pub const ISSUER_CODE: FieldSpec = field("issuer_code", SFI_CARD, 0x04, 12, false);
/// 发卡日期.
pub const ISSUE_DATE: FieldSpec = field("issue_date", SFI_CARD, 0x05, 4, false);
/// 卡有效期.
pub const EXPIRY_DATE: FieldSpec = field("expiry_date", SFI_CARD, 0x06, 4, false);
/// 卡号.
pub const CARD_NUMBER: FieldSpec = field("card_number", SFI_CARD, 0x07, 9, true);
/// 社会保障号码.
pub const SS_NUMBER: FieldSpec = field("ss_number", SFI_HOLDER, 0x08, 18, true);
/// 姓名.
pub const NAME: FieldSpec = field("name", SFI_HOLDER, 0x09, 30, true);
/// 性别.
pub const SEX: FieldSpec = field("sex", SFI_HOLDER, 0x0A, 1, false);
/// 民族.
pub const NATION: FieldSpec = field("nation", SFI_HOLDER, 0x0B, 1, false);
/// 出生地.
pub const BIRTHPLACE: FieldSpec = field("birthplace", SFI_HOLDER, 0x0C, 3, false);
/// 出生日期.
pub const BIRTH_DATE: FieldSpec = field("birth_date", SFI_HOLDER, 0x0D, 4, false);

/// Every field the driver reads, in reading order.
pub const FIELDS: [FieldSpec; 12] = [
    CARD_SN,
    SPEC_VERSION,
    ISSUER_CODE,
    ISSUE_DATE,
    EXPIRY_DATE,
    CARD_NUMBER,
    SS_NUMBER,
    NAME,
    SEX,
    NATION,
    BIRTHPLACE,
    BIRTH_DATE,
];

/// Everything read from a social security card. `Debug` masks personal data.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct SsCardRecord {
    /// The card's answer to reset, in hex.
    pub atr: String,
    /// 卡识别码 (as ASCII when printable, else upper-case hex).
    pub card_sn: String,
    /// 规范版本.
    pub spec_version: Option<String>,
    /// 发卡机构代码.
    pub issuer_code: Option<String>,
    /// 发卡日期.
    pub issue_date: Option<NaiveDate>,
    /// 卡有效期.
    pub expiry_date: Option<NaiveDate>,
    /// 卡号.
    pub card_number: String,
    /// 社会保障号码.
    pub ss_number: String,
    /// 姓名.
    pub name: String,
    /// 性别.
    pub sex: Option<Sex>,
    /// 民族 (GB 3304 code).
    pub nation: Option<u8>,
    /// 出生地 (6-digit region code).
    pub birthplace: Option<String>,
    /// 出生日期.
    pub birth_date: Option<NaiveDate>,
    /// Optional fields left unread because they need the reader's PSAM.
    pub needs_psam: Vec<&'static str>,
}

impl SsCardRecord {
    /// The credential the central service resolves (type 03).
    pub fn credential(&self) -> Credential {
        Credential::SocialSecurityCard {
            card_number: self.card_number.clone(),
            card_sn: self.card_sn.clone(),
            ss_number: self.ss_number.clone(),
            name: self.name.clone(),
        }
    }
}

impl fmt::Debug for SsCardRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SsCardRecord")
            .field("card_number", &mask_number(&self.card_number))
            .field("expiry_date", &self.expiry_date)
            .field("needs_psam", &self.needs_psam)
            .finish_non_exhaustive()
    }
}

/// Splits a record into its TLV fields (tag 1 byte, length 1 byte, value).
/// Trailing `00`/`FF` padding after the last field is ignored; a length
/// running past the end is an error.
pub fn parse_tlv(bytes: &[u8]) -> Result<Vec<(u8, &[u8])>, Error> {
    let mut fields = Vec::new();
    let mut rest = bytes;
    while let [tag, tail @ ..] = rest {
        if matches!(tag, 0x00 | 0xFF) && tail.iter().all(|b| *b == *tag) {
            break;
        }
        let [len, tail @ ..] = tail else {
            return Err(Error::SsCardBadField {
                field: "record",
                what: "TLV tag without a length",
            });
        };
        let len = usize::from(*len);
        if tail.len() < len {
            return Err(Error::SsCardBadField {
                field: "record",
                what: "TLV length runs past the end of the record",
            });
        }
        fields.push((*tag, &tail[..len]));
        rest = &tail[len..];
    }
    Ok(fields)
}

/// The value of `spec`'s tag in a record; the first TLV must carry it.
pub fn field_value<'a>(spec: &FieldSpec, record: &'a [u8]) -> Result<&'a [u8], Error> {
    let fields = parse_tlv(record)?;
    match fields.first() {
        Some((tag, value)) if *tag == spec.tag => Ok(value),
        Some(_) => Err(Error::SsCardBadField {
            field: spec.name,
            what: "record carries another tag",
        }),
        None => Err(Error::SsCardBadField {
            field: spec.name,
            what: "empty record",
        }),
    }
}

/// Decodes a 4-byte BCD date YYYYMMDD. An all-zero or all-FF value means
/// "not set" (None).
pub fn decode_bcd_date(spec: &FieldSpec, value: &[u8]) -> Result<Option<NaiveDate>, Error> {
    if value.iter().all(|b| *b == 0) || value.iter().all(|b| *b == 0xFF) {
        return Ok(None);
    }
    let bad = |what| Error::SsCardBadField {
        field: spec.name,
        what,
    };
    if value.len() != 4 {
        return Err(bad("BCD date is not 4 bytes"));
    }
    let digits = decode_bcd_digits(spec, value)?;
    let number = |range: std::ops::Range<usize>| -> Result<u32, Error> {
        digits
            .get(range)
            .and_then(|s| s.parse().ok())
            .ok_or(bad("BCD date digits"))
    };
    let year = i32::try_from(number(0..4)?).map_err(|_| bad("BCD date year"))?;
    NaiveDate::from_ymd_opt(year, number(4..6)?, number(6..8)?)
        .map(Some)
        .ok_or(bad("BCD date is not a calendar date"))
}

/// Decodes packed BCD into its digits; nibbles above 9 are an error.
pub fn decode_bcd_digits(spec: &FieldSpec, value: &[u8]) -> Result<String, Error> {
    let mut out = String::with_capacity(value.len() * 2);
    for b in value {
        for nibble in [b >> 4, b & 0x0F] {
            let c = char::from_digit(u32::from(nibble), 10).ok_or(Error::SsCardBadField {
                field: spec.name,
                what: "BCD nibble above 9",
            })?;
            out.push(c);
        }
    }
    Ok(out)
}

/// Decodes a GBK text field: trailing spaces and `00`/`FF` padding removed;
/// invalid GBK is an error (never replaced by U+FFFD).
pub fn decode_gbk(spec: &FieldSpec, value: &[u8]) -> Result<String, Error> {
    let end = value
        .iter()
        .rposition(|b| !matches!(b, 0x00 | 0x20 | 0xFF))
        .map_or(0, |i| i + 1);
    let (text, had_errors) = encoding_rs::GBK.decode_without_bom_handling(&value[..end]);
    if had_errors {
        return Err(Error::SsCardBadField {
            field: spec.name,
            what: "not valid GBK",
        });
    }
    if text.chars().any(char::is_control) {
        return Err(Error::SsCardBadField {
            field: spec.name,
            what: "control character in text",
        });
    }
    Ok(text.trim().to_string())
}

/// Decodes a printable-ASCII field (padding removed).
pub fn decode_ascii(spec: &FieldSpec, value: &[u8]) -> Result<String, Error> {
    let end = value
        .iter()
        .rposition(|b| !matches!(b, 0x00 | 0x20 | 0xFF))
        .map_or(0, |i| i + 1);
    let value = &value[..end];
    if value.iter().all(|b| b.is_ascii_graphic()) {
        Ok(value.iter().map(|b| char::from(*b)).collect())
    } else {
        Err(Error::SsCardBadField {
            field: spec.name,
            what: "not printable ASCII",
        })
    }
}

/// The card identification code: ASCII when printable, else hex.
fn decode_card_sn(value: &[u8]) -> String {
    match decode_ascii(&CARD_SN, value) {
        Ok(text) if !text.is_empty() => text,
        _ => value.iter().map(|b| format!("{b:02X}")).collect(),
    }
}

/// What reading one record gave.
enum Read {
    Value(Vec<u8>),
    Missing,
    NeedsPsam,
}

/// Reads a social security card on `channel` (powered, ATR already read):
/// selects the application, authenticates the terminal with `psam` when
/// one is given (before reading anything but the identification code it
/// needs), reads every field of [`FIELDS`], decodes them. With a PSAM a
/// failed authentication is an error and nothing of the card is returned.
pub fn read_card(
    channel: &mut dyn CardChannel,
    atr: &[u8],
    psam: Option<&mut dyn Psam>,
) -> Result<SsCardRecord, Error> {
    select_application(channel)?;
    let mut values: Vec<(FieldSpec, Option<Vec<u8>>)> = Vec::with_capacity(FIELDS.len());
    let mut needs_psam = Vec::new();
    let mut card_sn_record = None;
    if let Some(psam) = psam {
        let record = match read_field(channel, &CARD_SN)? {
            Read::Value(record) => record,
            Read::Missing | Read::NeedsPsam => {
                return Err(Error::SsCardBadField {
                    field: CARD_SN.name,
                    what: "identification code not readable before authentication",
                });
            }
        };
        let card_sn = field_value(&CARD_SN, &record)?.to_vec();
        psam::authenticate(channel, psam, &card_sn)?;
        card_sn_record = Some(record);
    }
    for spec in FIELDS {
        let read = match (spec == CARD_SN, card_sn_record.take()) {
            (true, Some(record)) => Read::Value(record),
            _ => read_field(channel, &spec)?,
        };
        // Still refused (after authentication, or with no PSAM): the field
        // is one this terminal has no right to.
        match read {
            Read::Value(record) => values.push((spec, Some(record))),
            Read::Missing if spec.required => {
                return Err(Error::SsCardBadField {
                    field: spec.name,
                    what: "record not on the card",
                });
            }
            Read::Missing => values.push((spec, None)),
            Read::NeedsPsam if spec.required => {
                return Err(Error::SsCardNeedsPsam { field: spec.name });
            }
            Read::NeedsPsam => {
                needs_psam.push(spec.name);
                values.push((spec, None));
            }
        }
    }
    decode_fields(atr, &values, needs_psam)
}

/// SELECT by DF name; `6A 82` means the card has no such application.
pub fn select_application(channel: &mut dyn CardChannel) -> Result<(), Error> {
    let response = transmit(channel, &Command::select_df_name(&SSSE_DF_NAME))?;
    match (response.sw1, response.sw2) {
        (0x90, 0x00) => Ok(()),
        (0x6A, 0x82) => Err(Error::SsCardNotSocialSecurity),
        (sw1, sw2) => Err(super::apdu::sw_error(sw1, sw2)),
    }
}

fn read_field(channel: &mut dyn CardChannel, spec: &FieldSpec) -> Result<Read, Error> {
    // Le = the whole TLV (tag + length + value); 6C xx corrects it.
    let le = spec.len.saturating_add(2);
    let response: Response = transmit(channel, &Command::read_record(spec.tag, spec.sfi, le))?;
    match (response.sw1, response.sw2) {
        (0x90, 0x00) | (0x62, 0x82) => Ok(Read::Value(response.data)),
        (0x6A, 0x83) | (0x6A, 0x82) => Ok(Read::Missing),
        (0x69, 0x82) => Ok(Read::NeedsPsam),
        (sw1, sw2) => Err(super::apdu::sw_error(sw1, sw2)),
    }
}

/// Decodes the raw records of [`FIELDS`] (in that order; `None` for a field
/// not read) into a record. Public so that parsers can be tested and
/// fuzzed without a card.
pub fn decode_fields(
    atr: &[u8],
    values: &[(FieldSpec, Option<Vec<u8>>)],
    needs_psam: Vec<&'static str>,
) -> Result<SsCardRecord, Error> {
    let get = |spec: &FieldSpec| -> Result<Option<&[u8]>, Error> {
        match values.iter().find(|(s, _)| s.tag == spec.tag) {
            Some((_, Some(record))) => field_value(spec, record).map(Some),
            _ => Ok(None),
        }
    };
    let required = |spec: &FieldSpec| -> Result<&[u8], Error> {
        get(spec)?.ok_or(Error::SsCardBadField {
            field: spec.name,
            what: "record not on the card",
        })
    };
    let card_sn = decode_card_sn(required(&CARD_SN)?);
    let card_number = decode_ascii(&CARD_NUMBER, required(&CARD_NUMBER)?)?;
    if card_number.is_empty() {
        return Err(Error::SsCardBadField {
            field: CARD_NUMBER.name,
            what: "empty",
        });
    }
    let ss_number = decode_ascii(&SS_NUMBER, required(&SS_NUMBER)?)?;
    if ss_number.is_empty() {
        return Err(Error::SsCardBadField {
            field: SS_NUMBER.name,
            what: "empty",
        });
    }
    let name = decode_gbk(&NAME, required(&NAME)?)?;
    if name.is_empty() {
        return Err(Error::SsCardBadField {
            field: NAME.name,
            what: "empty",
        });
    }
    let opt_ascii = |spec: &FieldSpec| -> Result<Option<String>, Error> {
        get(spec)?.map(|v| decode_ascii(spec, v)).transpose()
    };
    let opt_date = |spec: &FieldSpec| -> Result<Option<NaiveDate>, Error> {
        Ok(get(spec)?
            .map(|v| decode_bcd_date(spec, v))
            .transpose()?
            .flatten())
    };
    let sex = match get(&SEX)? {
        Some([code]) => Some(
            Sex::from_code(char::from(*code)).ok_or(Error::SsCardBadField {
                field: SEX.name,
                what: "unknown sex code",
            })?,
        ),
        Some(_) => {
            return Err(Error::SsCardBadField {
                field: SEX.name,
                what: "not 1 byte",
            });
        }
        None => None,
    };
    let nation = match get(&NATION)? {
        Some([code]) => Some(*code),
        Some(_) => {
            return Err(Error::SsCardBadField {
                field: NATION.name,
                what: "not 1 byte",
            });
        }
        None => None,
    };
    let birthplace = get(&BIRTHPLACE)?
        .map(|v| decode_bcd_digits(&BIRTHPLACE, v))
        .transpose()?;
    Ok(SsCardRecord {
        atr: atr.iter().map(|b| format!("{b:02X}")).collect(),
        card_sn,
        spec_version: opt_ascii(&SPEC_VERSION)?,
        issuer_code: opt_ascii(&ISSUER_CODE)?,
        issue_date: opt_date(&ISSUE_DATE)?,
        expiry_date: opt_date(&EXPIRY_DATE)?,
        card_number,
        ss_number,
        name,
        sex,
        nation,
        birthplace,
        birth_date: opt_date(&BIRTH_DATE)?,
        needs_psam,
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use proptest::prelude::*;

    use super::*;

    /// A card as a map (sfi, record) → TLV bytes, answering like a T=0 card:
    /// SELECT with 61 xx, READ RECORD with 6C xx for a wrong Le.
    struct FakeCard {
        records: BTreeMap<(u8, u8), Vec<u8>>,
        protected: Vec<u8>,
        selected: bool,
        authenticated: bool,
        pending: Vec<u8>,
        sent: usize,
    }

    fn tlv(tag: u8, value: &[u8]) -> Vec<u8> {
        let mut v = vec![tag, u8::try_from(value.len()).unwrap()];
        v.extend_from_slice(value);
        v
    }

    fn padded(text: &[u8], len: usize) -> Vec<u8> {
        let mut v = text.to_vec();
        v.resize(len, b' ');
        v
    }

    fn demo_card() -> FakeCard {
        let (name, _, _) = encoding_rs::GBK.encode("王建国");
        let mut records = BTreeMap::new();
        records.insert((5, 0x01), tlv(0x01, b"220100D156000005"));
        records.insert((5, 0x03), tlv(0x03, b"3.00"));
        records.insert((5, 0x04), tlv(0x04, b"220100000000"));
        records.insert((5, 0x05), tlv(0x05, &[0x20, 0x15, 0x06, 0x01]));
        records.insert((5, 0x06), tlv(0x06, &[0x20, 0x25, 0x06, 0x01]));
        records.insert((5, 0x07), tlv(0x07, b"220100001"));
        records.insert((6, 0x08), tlv(0x08, b"220102196205141234"));
        records.insert((6, 0x09), tlv(0x09, &padded(&name, 30)));
        records.insert((6, 0x0A), tlv(0x0A, b"1"));
        records.insert((6, 0x0B), tlv(0x0B, &[1]));
        records.insert((6, 0x0C), tlv(0x0C, &[0x22, 0x01, 0x02]));
        records.insert((6, 0x0D), tlv(0x0D, &[0x19, 0x62, 0x05, 0x14]));
        FakeCard {
            records,
            protected: Vec::new(),
            selected: false,
            authenticated: false,
            pending: Vec::new(),
            sent: 0,
        }
    }

    impl CardChannel for FakeCard {
        fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, Error> {
            self.sent += 1;
            let sw = |data: &[u8], sw1: u8, sw2: u8| {
                let mut v = data.to_vec();
                v.extend_from_slice(&[sw1, sw2]);
                v
            };
            Ok(match apdu {
                [0x00, 0xA4, 0x04, 0x00, 0x0F, name @ ..] if name == SSSE_DF_NAME => {
                    self.selected = true;
                    self.pending = vec![0x6F, 0x02, 0x84, 0x00];
                    vec![0x61, 0x04]
                }
                [0x00, 0xA4, ..] => vec![0x6A, 0x82],
                [0x00, 0xC0, 0x00, 0x00, le] => {
                    let data = std::mem::take(&mut self.pending);
                    if usize::from(*le) == data.len() {
                        sw(&data, 0x90, 0x00)
                    } else {
                        vec![0x67, 0x00]
                    }
                }
                [0x00, 0xB2, record, p2, le] if self.selected => {
                    let sfi = p2 >> 3;
                    match self.records.get(&(sfi, *record)) {
                        Some(_) if self.protected.contains(record) && !self.authenticated => {
                            vec![0x69, 0x82]
                        }
                        Some(data) if usize::from(*le) == data.len() => sw(data, 0x90, 0x00),
                        Some(data) => vec![0x6C, u8::try_from(data.len()).unwrap()],
                        None => vec![0x6A, 0x83],
                    }
                }
                [0x00, 0xB2, ..] => vec![0x69, 0x86],
                _ => vec![0x6D, 0x00],
            })
        }
    }

    #[test]
    fn reads_and_decodes_every_field() {
        let mut card = demo_card();
        let record = read_card(&mut card, &[0x3B, 0x6C], None).unwrap();
        assert_eq!(record.card_number, "220100001");
        assert_eq!(record.card_sn, "220100D156000005");
        assert_eq!(record.ss_number, "220102196205141234");
        assert_eq!(record.name, "王建国");
        assert_eq!(record.sex, Some(Sex::Male));
        assert_eq!(record.nation, Some(1));
        assert_eq!(record.birthplace.as_deref(), Some("220102"));
        assert_eq!(record.birth_date, NaiveDate::from_ymd_opt(1962, 5, 14));
        assert_eq!(record.issue_date, NaiveDate::from_ymd_opt(2015, 6, 1));
        assert_eq!(record.expiry_date, NaiveDate::from_ymd_opt(2025, 6, 1));
        assert_eq!(record.spec_version.as_deref(), Some("3.00"));
        assert_eq!(record.atr, "3B6C");
        assert!(record.needs_psam.is_empty());
        let debug = format!("{record:?}");
        assert!(!debug.contains("王建国") && !debug.contains("220102196205141234"));
        assert!(!debug.contains("220100001"));
        assert!(matches!(
            record.credential(),
            Credential::SocialSecurityCard { .. }
        ));
    }

    #[test]
    fn another_card_is_not_a_social_security_card() {
        struct Other;
        impl CardChannel for Other {
            fn transmit(&mut self, _: &[u8]) -> Result<Vec<u8>, Error> {
                Ok(vec![0x6A, 0x82])
            }
        }
        let err = read_card(&mut Other, &[], None).unwrap_err();
        assert!(matches!(err, Error::SsCardNotSocialSecurity));
        assert!(err.user_message().contains("不是社会保障卡"));
    }

    #[test]
    fn psam_protected_fields() {
        // Optional field protected: left out and listed.
        let mut card = demo_card();
        card.protected = vec![0x0C, 0x0D];
        let record = read_card(&mut card, &[], None).unwrap();
        assert_eq!(record.needs_psam, ["birthplace", "birth_date"]);
        assert_eq!(record.birth_date, None);
        // Required field protected, no PSAM: a clear error.
        let mut card = demo_card();
        card.protected = vec![0x09];
        let err = read_card(&mut card, &[], None).unwrap_err();
        assert!(matches!(err, Error::SsCardNeedsPsam { field: "name" }));
        assert!(err.user_message().contains("安全模块"));
        // With a PSAM the protected records are read once the card has
        // authenticated (tests/psam.rs and the simulator tests run the
        // whole sequence).
    }

    #[test]
    fn missing_required_record_is_an_error_and_optional_is_none() {
        let mut card = demo_card();
        card.records.remove(&(5, 0x07));
        assert!(matches!(
            read_card(&mut card, &[], None),
            Err(Error::SsCardBadField {
                field: "card_number",
                ..
            })
        ));
        let mut card = demo_card();
        card.records.remove(&(6, 0x0A));
        assert_eq!(read_card(&mut card, &[], None).unwrap().sex, None);
    }

    #[test]
    fn tlv_and_field_decoders() {
        assert_eq!(
            parse_tlv(&[0x07, 0x02, b'1', b'2', 0x08, 0x00, 0x00, 0x00]).unwrap(),
            vec![(0x07, &b"12"[..]), (0x08, &[][..])]
        );
        assert!(parse_tlv(&[0x07]).is_err());
        assert!(parse_tlv(&[0x07, 0x05, 1]).is_err());
        assert!(field_value(&CARD_NUMBER, &[0x08, 0x01, 0x31]).is_err());
        assert_eq!(decode_bcd_date(&ISSUE_DATE, &[0; 4]).unwrap(), None);
        assert!(decode_bcd_date(&ISSUE_DATE, &[0x20, 0x15, 0x13, 0x01]).is_err());
        assert!(decode_bcd_date(&ISSUE_DATE, &[0x20, 0x1A, 0x01, 0x01]).is_err());
        assert!(decode_bcd_date(&ISSUE_DATE, &[0x20, 0x15, 0x01]).is_err());
        assert!(decode_gbk(&NAME, &[0xFF, 0x30, 0x81]).is_err());
        assert_eq!(decode_gbk(&NAME, &[0xD5, 0xC5, 0x20, 0x00]).unwrap(), "张");
        assert_eq!(decode_card_sn(&[0x01, 0xAB]), "01AB");
    }

    proptest! {
        #[test]
        fn tlv_parser_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = parse_tlv(&bytes);
            for spec in FIELDS {
                let _ = field_value(&spec, &bytes);
                let _ = decode_bcd_date(&spec, &bytes);
                let _ = decode_gbk(&spec, &bytes);
            }
        }

        #[test]
        fn tlv_round_trip(fields in proptest::collection::vec((1u8..0xFE, proptest::collection::vec(any::<u8>(), 0..40)), 0..6)) {
            let bytes: Vec<u8> = fields.iter().flat_map(|(t, v)| tlv(*t, v)).collect();
            let parsed = parse_tlv(&bytes).unwrap();
            prop_assert_eq!(parsed.len(), fields.len());
            for ((t, v), (pt, pv)) in fields.iter().zip(parsed) {
                prop_assert_eq!(*t, pt);
                prop_assert_eq!(&v[..], pv);
            }
        }

        #[test]
        fn valid_bcd_dates_round_trip(y in 1900i32..2100, m in 1u32..13, d in 1u32..29) {
            let digits = format!("{y:04}{m:02}{d:02}");
            let bytes: Vec<u8> = digits.as_bytes().chunks(2).map(|p| ((p[0] - b'0') << 4) | (p[1] - b'0')).collect();
            prop_assert_eq!(decode_bcd_date(&ISSUE_DATE, &bytes).unwrap(), NaiveDate::from_ymd_opt(y, m, d));
        }

        #[test]
        fn random_records_on_a_fake_card_never_panic(
            records in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..40), 12),
        ) {
            let values: Vec<(FieldSpec, Option<Vec<u8>>)> =
                FIELDS.iter().copied().zip(records.into_iter().map(Some)).collect();
            let _ = decode_fields(&[], &values, Vec::new());
        }
    }
}

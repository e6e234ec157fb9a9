//! Decoding of the 256-byte UCS-2LE text block into an [`IdDocument`].
//!
//! The card kind flag is the UCS-2 character at byte offset 248: a space for
//! the resident ID card, `I` for the foreigner's permanent residence card
//! (2017 layout), `Y` for the same card in its 2023 layout and `J` for the
//! Hong Kong / Macao / Taiwan residents' residence permit. Any other flag
//! is refused with
//! [`Error::IdCardUnknownKind`] rather than guessed at.
//!
//! Field offsets (bytes) are those of GA 467 as collected in the project's
//! device notes; every text field is space (or NUL) padded.

use std::ops::Range;

use chrono::NaiveDate;
use kiosk_core::identity::{
    Expiry, IdDocument, IdDocumentKind, IdNumber, Sex, nation_name, parse_yyyymmdd,
};

use crate::Error;

/// Length of the text block.
pub const TEXT_LEN: usize = 256;

/// Byte range of the card kind flag.
const KIND: Range<usize> = 248..250;

/// Resident ID card (flag space).
mod resident {
    use std::ops::Range;
    pub const NAME: Range<usize> = 0..30;
    pub const SEX: Range<usize> = 30..32;
    pub const NATION: Range<usize> = 32..36;
    pub const BIRTH: Range<usize> = 36..52;
    pub const ADDRESS: Range<usize> = 52..122;
    pub const NUMBER: Range<usize> = 122..158;
    pub const ISSUER: Range<usize> = 158..188;
    pub const VALID_FROM: Range<usize> = 188..204;
    pub const VALID_TO: Range<usize> = 204..220;
}

/// HK / Macao / Taiwan residence permit (flag `J`): the resident layout with
/// the nation field reserved, plus pass number and issue count.
mod permit {
    use std::ops::Range;
    pub const PASS_NUMBER: Range<usize> = 220..238;
    pub const ISSUE_COUNT: Range<usize> = 238..242;
}

/// Foreigner's permanent residence card, 2017 layout (flag `I`).
mod foreigner {
    use std::ops::Range;
    pub const NAME_EN: Range<usize> = 0..120;
    pub const SEX: Range<usize> = 120..122;
    pub const NUMBER: Range<usize> = 122..152;
    pub const NATIONALITY: Range<usize> = 152..158;
    pub const NAME: Range<usize> = 158..188;
    pub const VALID_FROM: Range<usize> = 188..204;
    pub const VALID_TO: Range<usize> = 204..220;
    pub const BIRTH: Range<usize> = 220..236;
    pub const AUTHORITY: Range<usize> = 240..248;
}

/// Foreigner's permanent residence card, 2023 layout (flag `Y`). The 2023
/// card was laid out like the resident ID card so that existing readers
/// decode it: Chinese name, sex, 换证次数 where the nation is, birth, the
/// English name where the address is, the 18-character number (`9`, the
/// province of application, the ISO 3166 numeric nationality, birth date,
/// sequence, GB 11643 check character) where the ID number is, the alpha-3
/// nationality where the issuer is, the validity, and the rest of a long
/// English name in the reserved slot. Taken from the National Immigration
/// Administration's adaptation notes for the 2023 card as the project
/// understands them; check against a real card before a deployment relies
/// on the less common fields (换证次数, the English name's continuation).
mod foreigner_2023 {
    use std::ops::Range;
    pub const NAME: Range<usize> = 0..30;
    pub const SEX: Range<usize> = 30..32;
    pub const RENEWALS: Range<usize> = 32..36;
    pub const BIRTH: Range<usize> = 36..52;
    pub const NAME_EN: Range<usize> = 52..122;
    pub const NUMBER: Range<usize> = 122..158;
    pub const NATIONALITY: Range<usize> = 158..164;
    pub const VALID_FROM: Range<usize> = 188..204;
    pub const VALID_TO: Range<usize> = 204..220;
    pub const NAME_EN_MORE: Range<usize> = 220..248;
}

/// The valid-to text meaning "no expiry".
const LONG_TERM: &str = "长期";

/// Decodes a text block and the raw photo into an identity document.
///
/// The photo is carried as received (WLT, a licensed compression); it is
/// never decoded here. Resident cards and residence permits must carry a
/// valid GB 11643 number, else [`Error::IdCardBadNumber`].
pub fn decode_text_block(text: &[u8], photo: &[u8]) -> Result<IdDocument, Error> {
    if text.len() != TEXT_LEN {
        return Err(Error::IdCardUnexpectedResponse {
            what: "text block is not 256 bytes",
        });
    }
    let flag = kind_flag(text);
    let document = match flag {
        ' ' => decode_resident(text, photo),
        'J' => decode_permit(text, photo),
        'I' => decode_foreigner(text, photo),
        'Y' => decode_foreigner_2023(text, photo),
        other => Err(Error::IdCardUnknownKind { flag: other }),
    }?;
    consistent(document)
}

/// What a genuine card never carries, refused as a malformed field (the
/// crash campaign's hostile cards, tests/hostile.rs): an empty name or one
/// with control or bidirectional-formatting characters (they would reorder
/// or hide text on screen and paper); validity ending before it began;
/// and, on a resident ID card or a residence permit, whose GB 11643
/// number carries the birth date (characters 7–14) and the sex (the 17th:
/// odd male, even female), a birth date or sex that disagrees with it.
fn consistent(document: IdDocument) -> Result<IdDocument, Error> {
    let hostile = |c: char| {
        c.is_control()
            || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
    };
    if document.name.is_empty() || document.name.chars().any(hostile) {
        return Err(Error::IdCardBadField { field: "name" });
    }
    for (value, field) in [
        (document.name_en.as_deref(), "name_en"),
        (document.address.as_deref(), "address"),
        (Some(document.issuer.as_str()), "issuer"),
    ] {
        if value.is_some_and(|v| v.chars().any(hostile)) {
            return Err(Error::IdCardBadField { field });
        }
    }
    if let Expiry::Until(until) = document.valid_to
        && until < document.valid_from
    {
        return Err(Error::IdCardBadField { field: "valid_to" });
    }
    let numbered = matches!(
        document.kind,
        IdDocumentKind::ResidentIdCard | IdDocumentKind::HkMacaoTaiwanResidencePermit
    );
    if numbered && document.number.len() == 18 {
        let birth = document.birth_date.format("%Y%m%d").to_string();
        if document.number.get(6..14) != Some(birth.as_str()) {
            return Err(Error::IdCardBadField { field: "birth" });
        }
        let odd = document
            .number
            .as_bytes()
            .get(16)
            .is_some_and(|d| (d - b'0') % 2 == 1);
        let agrees = match document.sex {
            Sex::Male => odd,
            Sex::Female => !odd,
            Sex::Unknown | Sex::Unspecified => false,
        };
        if !agrees {
            return Err(Error::IdCardBadField { field: "sex" });
        }
    }
    Ok(document)
}

/// The kind flag character (U+FFFD when it is not a valid UCS-2 unit; NUL,
/// as some readers deliver for old cards, counts as a space).
fn kind_flag(text: &[u8]) -> char {
    let unit = u16::from_le_bytes([text[KIND.start], text[KIND.start + 1]]);
    match char::from_u32(u32::from(unit)) {
        Some('\0') => ' ',
        Some(c) => c,
        None => char::REPLACEMENT_CHARACTER,
    }
}

fn decode_resident(text: &[u8], photo: &[u8]) -> Result<IdDocument, Error> {
    use resident::*;
    let nation_text = field(text, NATION, "nation")?;
    let nation = nation_text
        .parse::<u8>()
        .ok()
        .filter(|code| nation_text.len() == 2 && nation_name(*code).is_some())
        .ok_or(Error::IdCardBadField { field: "nation" })?;
    Ok(IdDocument {
        kind: IdDocumentKind::ResidentIdCard,
        name: field(text, NAME, "name")?,
        name_en: None,
        sex: sex(text, SEX)?,
        nation: Some(nation),
        nationality: None,
        birth_date: date(text, BIRTH, "birth")?,
        address: Some(field(text, ADDRESS, "address")?),
        number: gb11643(text, NUMBER)?,
        issuer: field(text, ISSUER, "issuer")?,
        valid_from: date(text, VALID_FROM, "valid_from")?,
        valid_to: expiry(text, VALID_TO)?,
        pass_number: None,
        issue_count: None,
        photo_wlt: photo.to_vec(),
    })
}

fn decode_permit(text: &[u8], photo: &[u8]) -> Result<IdDocument, Error> {
    use resident::*;
    let count_text = field(text, permit::ISSUE_COUNT, "issue_count")?;
    let issue_count = if count_text.is_empty() {
        None
    } else {
        Some(
            count_text
                .parse::<u8>()
                .map_err(|_| Error::IdCardBadField {
                    field: "issue_count",
                })?,
        )
    };
    let pass_number = field(text, permit::PASS_NUMBER, "pass_number")?;
    Ok(IdDocument {
        kind: IdDocumentKind::HkMacaoTaiwanResidencePermit,
        name: field(text, NAME, "name")?,
        name_en: None,
        sex: sex(text, SEX)?,
        nation: None,
        nationality: None,
        birth_date: date(text, BIRTH, "birth")?,
        address: Some(field(text, ADDRESS, "address")?),
        number: gb11643(text, NUMBER)?,
        issuer: field(text, ISSUER, "issuer")?,
        valid_from: date(text, VALID_FROM, "valid_from")?,
        valid_to: expiry(text, VALID_TO)?,
        pass_number: (!pass_number.is_empty()).then_some(pass_number),
        issue_count,
        photo_wlt: photo.to_vec(),
    })
}

fn decode_foreigner(text: &[u8], photo: &[u8]) -> Result<IdDocument, Error> {
    use foreigner::*;
    let number = field(text, NUMBER, "number")?;
    // 15 characters, no GB 11643 check digit: only the shape is checked.
    if number.chars().count() != 15 || !number.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(Error::IdCardBadField { field: "number" });
    }
    let nationality = field(text, NATIONALITY, "nationality")?;
    if nationality.len() != 3 || !nationality.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(Error::IdCardBadField {
            field: "nationality",
        });
    }
    let name_en = field(text, NAME_EN, "name_en")?;
    Ok(IdDocument {
        kind: IdDocumentKind::ForeignPermanentResidenceCard,
        name: field(text, NAME, "name")?,
        name_en: (!name_en.is_empty()).then_some(name_en),
        sex: sex(text, SEX)?,
        nation: None,
        nationality: Some(nationality),
        birth_date: date(text, BIRTH, "birth")?,
        address: None,
        number,
        // The card holds an authority code, not a name; it is passed on as is.
        issuer: field(text, AUTHORITY, "issuer")?,
        valid_from: date(text, VALID_FROM, "valid_from")?,
        valid_to: expiry(text, VALID_TO)?,
        pass_number: None,
        issue_count: None,
        photo_wlt: photo.to_vec(),
    })
}

/// The 2023 foreigner's card (flag `Y`): accepted like the 2017 one; its
/// 18-character number carries a GB 11643 check character, which is
/// verified (the 2017 number has none).
fn decode_foreigner_2023(text: &[u8], photo: &[u8]) -> Result<IdDocument, Error> {
    use foreigner_2023::*;
    let number = field(text, NUMBER, "number")?.to_ascii_uppercase();
    // ASCII first: 18 bytes of other characters are not 18 characters,
    // and `number[..17]` would cut one (found by the idcard_text target).
    let well_formed = number.len() == 18
        && number.is_ascii()
        && number.starts_with('9')
        && kiosk_core::identity::check_character(&number[..17])
            .is_some_and(|check| number.ends_with(check));
    if !well_formed {
        return Err(Error::IdCardBadField { field: "number" });
    }
    let nationality = field(text, NATIONALITY, "nationality")?;
    if nationality.len() != 3 || !nationality.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(Error::IdCardBadField {
            field: "nationality",
        });
    }
    let renewals = field(text, RENEWALS, "issue_count")?;
    let issue_count = if renewals.is_empty() {
        None
    } else {
        Some(renewals.parse::<u8>().map_err(|_| Error::IdCardBadField {
            field: "issue_count",
        })?)
    };
    // A long English name goes on in the reserved slot.
    let name_en = format!(
        "{}{}",
        raw_field(text, NAME_EN, "name_en")?,
        raw_field(text, NAME_EN_MORE, "name_en")?
    );
    let name_en = trim_padding(&name_en).to_string();
    Ok(IdDocument {
        kind: IdDocumentKind::ForeignPermanentResidenceCard,
        name: field(text, NAME, "name")?,
        name_en: (!name_en.is_empty()).then_some(name_en),
        sex: sex(text, SEX)?,
        nation: None,
        nationality: Some(nationality),
        birth_date: date(text, BIRTH, "birth")?,
        address: None,
        number,
        // The 2023 card holds no issuing authority in its text block.
        issuer: String::new(),
        valid_from: date(text, VALID_FROM, "valid_from")?,
        valid_to: expiry(text, VALID_TO)?,
        pass_number: None,
        issue_count,
        photo_wlt: photo.to_vec(),
    })
}

/// Decodes one UCS-2LE field and trims its space / NUL padding.
fn field(text: &[u8], range: Range<usize>, name: &'static str) -> Result<String, Error> {
    Ok(trim_padding(&raw_field(text, range, name)?).to_string())
}

/// One UCS-2LE field as it is, padding included.
fn raw_field(text: &[u8], range: Range<usize>, name: &'static str) -> Result<String, Error> {
    let units = text[range]
        .chunks_exact(2)
        .map(|pair| u16::from_le_bytes([pair[0], pair[1]]));
    char::decode_utf16(units)
        .collect::<Result<_, _>>()
        .map_err(|_| Error::IdCardBadField { field: name })
}

fn trim_padding(text: &str) -> &str {
    text.trim_matches(|c: char| c == ' ' || c == '\0' || c == '\u{3000}')
}

fn sex(text: &[u8], range: Range<usize>) -> Result<Sex, Error> {
    let code = field(text, range, "sex")?;
    let mut chars = code.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) => Sex::from_code(c),
        _ => None,
    }
    .ok_or(Error::IdCardBadField { field: "sex" })
}

fn date(text: &[u8], range: Range<usize>, name: &'static str) -> Result<NaiveDate, Error> {
    parse_yyyymmdd(&field(text, range, name)?).ok_or(Error::IdCardBadField { field: name })
}

fn expiry(text: &[u8], range: Range<usize>) -> Result<Expiry, Error> {
    let value = field(text, range, "valid_to")?;
    if value == LONG_TERM {
        return Ok(Expiry::LongTerm);
    }
    parse_yyyymmdd(&value)
        .map(Expiry::Until)
        .ok_or(Error::IdCardBadField { field: "valid_to" })
}

fn gb11643(text: &[u8], range: Range<usize>) -> Result<String, Error> {
    let raw = field(text, range, "number")?;
    IdNumber::parse(&raw)
        .map(|id| id.as_str().to_string())
        .map_err(Error::IdCardBadNumber)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds a block: each (offset, width, value) written as UCS-2LE,
    /// space padded; the kind flag at 248.
    fn block(fields: &[(usize, usize, &str)], flag: char) -> Vec<u8> {
        let mut out = Vec::with_capacity(TEXT_LEN);
        for _ in 0..TEXT_LEN / 2 {
            out.extend_from_slice(&0x20u16.to_le_bytes());
        }
        for (offset, width, value) in fields {
            let units: Vec<u16> = value.encode_utf16().collect();
            assert!(units.len() * 2 <= *width, "test field too long");
            for (i, u) in units.iter().enumerate() {
                out[offset + 2 * i..offset + 2 * i + 2].copy_from_slice(&u.to_le_bytes());
            }
        }
        let mut buf = [0u16; 1];
        flag.encode_utf16(&mut buf);
        out[248..250].copy_from_slice(&buf[0].to_le_bytes());
        out
    }

    fn resident_block(number: &str, valid_to: &str) -> Vec<u8> {
        block(
            &[
                (0, 30, "张三"),
                (30, 2, "2"),
                (32, 4, "01"),
                (36, 16, "19491231"),
                (52, 70, "北京市西城区某某胡同1号"),
                (122, 36, number),
                (158, 30, "北京市公安局西城分局"),
                (188, 16, "20100101"),
                (204, 16, valid_to),
            ],
            ' ',
        )
    }

    #[test]
    fn resident_card() {
        let photo = vec![0x57u8; 1024];
        let doc =
            decode_text_block(&resident_block("11010519491231002x", "20300101"), &photo).unwrap();
        assert_eq!(doc.kind, IdDocumentKind::ResidentIdCard);
        assert_eq!(doc.name, "张三");
        // The 17th character of 11010519491231002X is even: female.
        assert_eq!(doc.sex, Sex::Female);
        assert_eq!(doc.nation, Some(1));
        assert_eq!(
            doc.birth_date,
            NaiveDate::from_ymd_opt(1949, 12, 31).unwrap()
        );
        assert_eq!(doc.address.as_deref(), Some("北京市西城区某某胡同1号"));
        assert_eq!(doc.number, "11010519491231002X");
        assert_eq!(doc.issuer, "北京市公安局西城分局");
        assert_eq!(doc.valid_from, NaiveDate::from_ymd_opt(2010, 1, 1).unwrap());
        assert_eq!(
            doc.valid_to,
            Expiry::Until(NaiveDate::from_ymd_opt(2030, 1, 1).unwrap())
        );
        assert_eq!(doc.photo_wlt, photo);
        assert_eq!(doc.name_en, None);
        assert_eq!(doc.pass_number, None);
    }

    #[test]
    fn long_term_expiry_and_nul_padding() {
        let mut text = resident_block("11010519491231002X", "长期");
        // NUL instead of space padding after the name.
        for b in &mut text[4..30] {
            *b = 0;
        }
        let doc = decode_text_block(&text, &[]).unwrap();
        assert_eq!(doc.valid_to, Expiry::LongTerm);
        assert_eq!(doc.name, "张三");
    }

    /// Hostile cards (tests/hostile.rs): fields that disagree with the
    /// number or with each other, and text that would reorder or hide
    /// characters, are refused as malformed fields (never echoed).
    #[test]
    fn fields_that_disagree_or_hide_text_are_refused() {
        let genuine = resident_block("11010519491231002X", "20300101");
        assert!(decode_text_block(&genuine, &[]).is_ok());
        let with = |offset: usize, width: usize, value: &str| {
            let mut text = genuine.clone();
            let units: Vec<u16> = value.encode_utf16().collect();
            for i in 0..width / 2 {
                let unit = units.get(i).copied().unwrap_or(0x20);
                text[offset + 2 * i..offset + 2 * i + 2].copy_from_slice(&unit.to_le_bytes());
            }
            decode_text_block(&text, &[])
        };
        for (offset, width, value, field) in [
            (36, 16, "19500101", "birth"),
            (30, 2, "1", "sex"),
            (30, 2, "9", "sex"),
            (204, 16, "20090101", "valid_to"),
            (0, 30, "张\u{7}三", "name"),
            (0, 30, "张三\u{202e}", "name"),
            (0, 30, "", "name"),
            (52, 70, "北京市\u{2066}西城区", "address"),
        ] {
            match with(offset, width, value) {
                Err(Error::IdCardBadField { field: f }) => assert_eq!(f, field, "{value:?}"),
                other => panic!("{value:?} at {offset}: {other:?}"),
            }
        }
    }

    #[test]
    fn bad_number_is_a_typed_error() {
        let err =
            decode_text_block(&resident_block("110105194912310021", "长期"), &[]).unwrap_err();
        assert!(matches!(
            err,
            Error::IdCardBadNumber(kiosk_core::Error::IdNumberCheckDigit)
        ));
    }

    #[test]
    fn unknown_kind_names_the_flag() {
        let mut text = resident_block("11010519491231002X", "长期");
        text[248..250].copy_from_slice(&(u16::from(b'Z')).to_le_bytes());
        let err = decode_text_block(&text, &[]).unwrap_err();
        assert!(matches!(err, Error::IdCardUnknownKind { flag: 'Z' }));
        assert!(err.to_string().contains("'Z'"));
    }

    #[test]
    fn bad_fields_are_named_without_content() {
        let text = block(
            &[
                (0, 30, "张三"),
                (30, 2, "5"),
                (32, 4, "01"),
                (36, 16, "19491231"),
                (122, 36, "11010519491231002X"),
                (188, 16, "20100101"),
                (204, 16, "长期"),
            ],
            ' ',
        );
        let err = decode_text_block(&text, &[]).unwrap_err();
        assert!(matches!(err, Error::IdCardBadField { field: "sex" }));

        let mut text = resident_block("11010519491231002X", "2030");
        assert!(matches!(
            decode_text_block(&text, &[]),
            Err(Error::IdCardBadField { field: "valid_to" })
        ));
        // An unpaired surrogate in the name.
        text[0..2].copy_from_slice(&0xD800u16.to_le_bytes());
        text[2..4].copy_from_slice(&0x0041u16.to_le_bytes());
        assert!(matches!(
            decode_text_block(&text, &[]),
            Err(Error::IdCardBadField { field: "name" })
        ));
        assert!(decode_text_block(&text[..255], &[]).is_err());
    }

    #[test]
    fn residence_permit() {
        // A Hong Kong resident's permit number: 810000 + birth + seq + check.
        let first17 = "81000019900101123";
        let check = kiosk_core::identity::check_character(first17).unwrap();
        let number = format!("{first17}{check}");
        let text = block(
            &[
                (0, 30, "陈大文"),
                (30, 2, "1"),
                (36, 16, "19900101"),
                (52, 70, "广东省深圳市福田区某路1号"),
                (122, 36, &number),
                (158, 30, "深圳市公安局"),
                (188, 16, "20200101"),
                (204, 16, "20250101"),
                (220, 18, "H12345678"),
                (238, 4, "01"),
            ],
            'J',
        );
        let doc = decode_text_block(&text, &[1, 2, 3]).unwrap();
        assert_eq!(doc.kind, IdDocumentKind::HkMacaoTaiwanResidencePermit);
        assert_eq!(doc.name, "陈大文");
        assert_eq!(doc.number, number);
        assert_eq!(doc.nation, None);
        assert_eq!(doc.pass_number.as_deref(), Some("H12345678"));
        assert_eq!(doc.issue_count, Some(1));
        assert_eq!(doc.photo_wlt, vec![1, 2, 3]);
    }

    #[test]
    fn foreigner_card() {
        let text = block(
            &[
                (0, 120, "SMITH, JOHN"),
                (120, 2, "2"),
                (122, 30, "USA110019800101"),
                (152, 6, "USA"),
                (158, 30, "史密斯"),
                (188, 16, "20180101"),
                (204, 16, "20280101"),
                (220, 16, "19800101"),
                (236, 4, "01"),
                (240, 8, "1500"),
            ],
            'I',
        );
        let doc = decode_text_block(&text, &[]).unwrap();
        assert_eq!(doc.kind, IdDocumentKind::ForeignPermanentResidenceCard);
        assert_eq!(doc.name_en.as_deref(), Some("SMITH, JOHN"));
        assert_eq!(doc.name, "史密斯");
        assert_eq!(doc.sex, Sex::Female);
        assert_eq!(doc.number, "USA110019800101");
        assert_eq!(doc.nationality.as_deref(), Some("USA"));
        assert_eq!(doc.birth_date, NaiveDate::from_ymd_opt(1980, 1, 1).unwrap());
        assert_eq!(doc.issuer, "1500");
        assert_eq!(doc.address, None);
    }

    /// Issue 19 item 8: the 2023 foreigner's permanent residence card (flag
    /// `Y`) is read like the 2017 one. The number is the National
    /// Immigration Administration's published sample (a Saudi man who
    /// applied in Jiangsu), with its GB 11643 check character.
    #[test]
    fn foreigner_card_2023_layout() {
        let fields = |number: &str| {
            block(
                &[
                    (0, 30, "阿卜杜拉"),
                    (30, 2, "1"),
                    (32, 4, "00"),
                    (36, 16, "19850101"),
                    (52, 70, "ABDULLAH, MOHAMMED SALEH AL-QAHTANI"),
                    (122, 36, number),
                    (158, 6, "SAU"),
                    (188, 16, "20230808"),
                    (204, 16, "20330807"),
                    (220, 28, " JR"),
                ],
                'Y',
            )
        };
        let doc = decode_text_block(&fields("932682198501010017"), &[]).unwrap();
        assert_eq!(doc.kind, IdDocumentKind::ForeignPermanentResidenceCard);
        assert_eq!(doc.number, "932682198501010017");
        assert_eq!(doc.name, "阿卜杜拉");
        assert_eq!(
            doc.name_en.as_deref(),
            Some("ABDULLAH, MOHAMMED SALEH AL-QAHTANI JR")
        );
        assert_eq!(doc.sex, Sex::Male);
        assert_eq!(doc.nationality.as_deref(), Some("SAU"));
        assert_eq!(doc.birth_date, NaiveDate::from_ymd_opt(1985, 1, 1).unwrap());
        assert_eq!(doc.issue_count, Some(0));
        assert_eq!(doc.address, None);
        // A wrong check character, or a number not starting with 9, is
        // refused; so is one of 18 bytes that are not 18 ASCII characters
        // (it used to panic cutting a character in two; found by the
        // idcard_text fuzz target, fuzz/regressions/idcard_text/).
        for bad in [
            "932682198501010018",
            "132682198501010017",
            "USA110019800101",
            "932682198501010䀀",
            "93268219850101\u{e9}\u{e9}",
        ] {
            assert!(
                matches!(
                    decode_text_block(&fields(bad), &[]),
                    Err(Error::IdCardBadField { field: "number" })
                ),
                "{bad}"
            );
        }
    }
}

//! Simulated identity cards: the 256-byte UCS-2LE text block, the photo,
//! an optional fingerprint and an optional appended address, built from
//! plain fields or given byte for byte.
//!
//! The builders write exactly what they are given (space padded) and check
//! only that each value fits its slot, so a test can also build a card with
//! a wrong check digit or a bad date on purpose.

use std::fmt;
use std::path::Path;

use serde::Deserialize;

use crate::Error;

/// Length of the text block.
pub const TEXT_LEN: usize = 256;

/// Length of the photo block on real cards.
pub const PHOTO_LEN: usize = 1024;

/// Byte offset of the card kind flag in the text block.
const KIND_OFFSET: usize = 248;

/// Longest appended address (追加住址) the reader returns, in bytes.
pub const APPENDED_ADDRESS_MAX: usize = 70;

/// Marker at the start of [`placeholder_photo`].
const PLACEHOLDER_MARKER: &[u8] = b"KIOSK-SIM PLACEHOLDER, NOT A WLT IMAGE\0";

/// The photo used when a card is built without one: 1024 deterministic
/// bytes that are **not** a WLT image (real photos use a licensed
/// compression that nothing in this project decodes). It starts with the
/// ASCII marker `KIOSK-SIM PLACEHOLDER, NOT A WLT IMAGE` and a NUL, followed
/// by the byte sequence `(i * 37 + 11) mod 256`. The driver carries the photo
/// raw, so a test can compare it byte for byte.
pub fn placeholder_photo() -> Vec<u8> {
    (0..PHOTO_LEN)
        .map(|i| {
            PLACEHOLDER_MARKER
                .get(i)
                .copied()
                .unwrap_or(((i * 37 + 11) % 256) as u8)
        })
        .collect()
}

/// A card as the reader's SAM sees it.
#[derive(Clone, PartialEq, Eq)]
pub struct SimCard {
    /// The text block, UCS-2 little endian, space padded.
    pub text: [u8; TEXT_LEN],
    /// The photo (WLT on a real card; see [`placeholder_photo`]).
    pub photo: Vec<u8>,
    /// Fingerprint data (read with command 30 10), if the card has one.
    pub fingerprint: Option<Vec<u8>>,
    /// Appended address (追加住址, read with 30 03), UCS-2LE, at most 70 bytes.
    pub appended_address: Option<Vec<u8>>,
}

impl fmt::Debug for SimCard {
    /// Shows the kind flag and sizes only, never card content.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimCard")
            .field("kind_flag", &self.kind_flag())
            .field("photo_len", &self.photo.len())
            .field("fingerprint_len", &self.fingerprint.as_ref().map(Vec::len))
            .field("has_appended_address", &self.appended_address.is_some())
            .finish()
    }
}

/// Fields of a resident ID card (居民身份证). Dates are `YYYYMMDD` text.
#[derive(Debug, Clone, Deserialize)]
pub struct ResidentFields {
    /// 姓名, up to 15 characters.
    pub name: String,
    /// 性别 code: '1' male, '2' female, '0' unknown, '9' unspecified.
    pub sex: char,
    /// 民族 code (GB 3304), written as two digits.
    pub nation: u8,
    /// 出生, `YYYYMMDD`.
    pub birth: String,
    /// 住址, up to 35 characters.
    pub address: String,
    /// 公民身份号码, 18 characters.
    pub id_number: String,
    /// 签发机关, up to 15 characters.
    pub issuer: String,
    /// 有效期起始, `YYYYMMDD`.
    pub valid_from: String,
    /// 有效期截止, `YYYYMMDD` or `长期`.
    pub valid_to: String,
}

/// Fields of a Hong Kong / Macao / Taiwan residents' residence permit
/// (港澳台居民居住证, kind flag `J`).
#[derive(Debug, Clone, Deserialize)]
pub struct PermitFields {
    /// 姓名.
    pub name: String,
    /// 性别 code.
    pub sex: char,
    /// 出生, `YYYYMMDD`.
    pub birth: String,
    /// 住址.
    pub address: String,
    /// 公民身份号码 (810000…, 820000…, 830000…).
    pub id_number: String,
    /// 签发机关.
    pub issuer: String,
    /// 有效期起始.
    pub valid_from: String,
    /// 有效期截止.
    pub valid_to: String,
    /// 通行证号码, up to 9 characters.
    pub pass_number: String,
    /// 签发次数, written as two digits.
    pub issue_count: u8,
}

/// Fields of a foreigner's permanent residence card, 2017 layout
/// (外国人永久居留身份证, kind flag `I`).
#[derive(Debug, Clone, Deserialize)]
pub struct ForeignerFields {
    /// English name, up to 60 characters.
    pub name_en: String,
    /// 性别 code.
    pub sex: char,
    /// 永久居留证号码, 15 characters.
    pub permit_number: String,
    /// Nationality, ISO 3166 alpha-3.
    pub nationality: String,
    /// Chinese name, up to 15 characters (may be empty).
    #[serde(default)]
    pub name: String,
    /// 有效期起始.
    pub valid_from: String,
    /// 有效期截止.
    pub valid_to: String,
    /// 出生, `YYYYMMDD`.
    pub birth: String,
    /// Card version, 2 characters.
    #[serde(default = "default_card_version")]
    pub card_version: String,
    /// Issuing authority code, 4 characters.
    #[serde(default = "default_authority")]
    pub authority_code: String,
}

/// Fields of a foreigner's permanent residence card, 2023 layout (kind
/// flag `Y`): laid out like the resident card (see the driver's notes).
#[derive(Debug, Clone, Deserialize)]
pub struct Foreigner2023Fields {
    /// Chinese name, up to 15 characters (may be empty).
    #[serde(default)]
    pub name: String,
    /// 性别 code.
    pub sex: char,
    /// 换证次数, written as two digits.
    #[serde(default)]
    pub renewals: u8,
    /// 出生, `YYYYMMDD`.
    pub birth: String,
    /// English name; past 35 characters it goes on in the reserved slot
    /// (up to 49 in all).
    pub name_en: String,
    /// 证件号码, 18 characters (`9`…, GB 11643 check character).
    pub id_number: String,
    /// Nationality, ISO 3166 alpha-3.
    pub nationality: String,
    /// 有效期起始.
    pub valid_from: String,
    /// 有效期截止.
    pub valid_to: String,
}

fn default_card_version() -> String {
    "01".to_string()
}

fn default_authority() -> String {
    "1500".to_string()
}

/// A text block being filled in: all spaces to start with.
struct TextBlock([u8; TEXT_LEN]);

impl TextBlock {
    fn new() -> TextBlock {
        let mut text = [0u8; TEXT_LEN];
        for pair in text.chunks_exact_mut(2) {
            pair.copy_from_slice(&0x0020u16.to_le_bytes());
        }
        TextBlock(text)
    }

    /// Writes `value` as UCS-2LE at `offset`, checking it fits in `width` bytes.
    fn put(
        &mut self,
        field: &'static str,
        offset: usize,
        width: usize,
        value: &str,
    ) -> Result<&mut TextBlock, Error> {
        let encoded = ucs2le(value);
        if encoded.len() > width {
            return Err(Error::IdCardField {
                field,
                reason: "too long for its slot in the text block",
            });
        }
        self.0[offset..offset + encoded.len()].copy_from_slice(&encoded);
        Ok(self)
    }

    fn kind(&mut self, flag: char) -> Result<&mut TextBlock, Error> {
        self.put("kind", KIND_OFFSET, 2, &flag.to_string())
    }
}

/// UTF-16LE bytes of a string (UCS-2 for the BMP).
fn ucs2le(value: &str) -> Vec<u8> {
    value.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

impl SimCard {
    /// A card with this text block, the placeholder photo, no fingerprint
    /// and no appended address.
    pub fn from_text(text: [u8; TEXT_LEN]) -> SimCard {
        SimCard {
            text,
            photo: placeholder_photo(),
            fingerprint: None,
            appended_address: None,
        }
    }

    /// A resident ID card (kind flag space) from plain fields.
    pub fn resident(f: &ResidentFields) -> Result<SimCard, Error> {
        let mut t = TextBlock::new();
        t.put("name", 0, 30, &f.name)?
            .put("sex", 30, 2, &f.sex.to_string())?
            .put("nation", 32, 4, &format!("{:02}", f.nation))?
            .put("birth", 36, 16, &f.birth)?
            .put("address", 52, 70, &f.address)?
            .put("id_number", 122, 36, &f.id_number)?
            .put("issuer", 158, 30, &f.issuer)?
            .put("valid_from", 188, 16, &f.valid_from)?
            .put("valid_to", 204, 16, &f.valid_to)?
            .kind(' ')?;
        Ok(SimCard::from_text(t.0))
    }

    /// A residence permit for Hong Kong / Macao / Taiwan residents (flag `J`).
    pub fn permit(f: &PermitFields) -> Result<SimCard, Error> {
        let mut t = TextBlock::new();
        t.put("name", 0, 30, &f.name)?
            .put("sex", 30, 2, &f.sex.to_string())?
            .put("birth", 36, 16, &f.birth)?
            .put("address", 52, 70, &f.address)?
            .put("id_number", 122, 36, &f.id_number)?
            .put("issuer", 158, 30, &f.issuer)?
            .put("valid_from", 188, 16, &f.valid_from)?
            .put("valid_to", 204, 16, &f.valid_to)?
            .put("pass_number", 220, 18, &f.pass_number)?
            .put("issue_count", 238, 4, &format!("{:02}", f.issue_count))?
            .kind('J')?;
        Ok(SimCard::from_text(t.0))
    }

    /// A foreigner's permanent residence card, 2017 layout (flag `I`).
    pub fn foreigner(f: &ForeignerFields) -> Result<SimCard, Error> {
        let mut t = TextBlock::new();
        t.put("name_en", 0, 120, &f.name_en)?
            .put("sex", 120, 2, &f.sex.to_string())?
            .put("permit_number", 122, 30, &f.permit_number)?
            .put("nationality", 152, 6, &f.nationality)?
            .put("name", 158, 30, &f.name)?
            .put("valid_from", 188, 16, &f.valid_from)?
            .put("valid_to", 204, 16, &f.valid_to)?
            .put("birth", 220, 16, &f.birth)?
            .put("card_version", 236, 4, &f.card_version)?
            .put("authority_code", 240, 8, &f.authority_code)?
            .kind('I')?;
        Ok(SimCard::from_text(t.0))
    }

    /// A foreigner's permanent residence card, 2023 layout (flag `Y`).
    pub fn foreigner_2023(f: &Foreigner2023Fields) -> Result<SimCard, Error> {
        let chars: Vec<char> = f.name_en.chars().collect();
        let split = chars.len().min(35);
        let first: String = chars[..split].iter().collect();
        let more: String = chars[split..].iter().collect();
        let mut t = TextBlock::new();
        t.put("name", 0, 30, &f.name)?
            .put("sex", 30, 2, &f.sex.to_string())?
            .put("renewals", 32, 4, &format!("{:02}", f.renewals))?
            .put("birth", 36, 16, &f.birth)?
            .put("name_en", 52, 70, &first)?
            .put("id_number", 122, 36, &f.id_number)?
            .put("nationality", 158, 6, &f.nationality)?
            .put("valid_from", 188, 16, &f.valid_from)?
            .put("valid_to", 204, 16, &f.valid_to)?
            .put("name_en", 220, 28, &more)?
            .kind('Y')?;
        Ok(SimCard::from_text(t.0))
    }

    /// A card given byte for byte: `text_hex` must be exactly 256 bytes;
    /// without `photo_hex` the [`placeholder_photo`] is used.
    pub fn from_hex(text_hex: &str, photo_hex: Option<&str>) -> Result<SimCard, Error> {
        let text = decode_hex("text_hex", text_hex)?;
        let text: [u8; TEXT_LEN] = text.try_into().map_err(|bytes: Vec<u8>| Error::IdCardHex {
            what: "text_hex",
            reason: format!("{} bytes, expected {TEXT_LEN}", bytes.len()),
        })?;
        let mut card = SimCard::from_text(text);
        if let Some(photo_hex) = photo_hex {
            card.photo = decode_hex("photo_hex", photo_hex)?;
        }
        Ok(card)
    }

    /// Replaces the photo.
    pub fn with_photo(mut self, photo: Vec<u8>) -> SimCard {
        self.photo = photo;
        self
    }

    /// Gives the card fingerprint data (returned by command 30 10).
    pub fn with_fingerprint(mut self, fingerprint: Vec<u8>) -> SimCard {
        self.fingerprint = Some(fingerprint);
        self
    }

    /// Gives the card an appended address (追加住址, returned by 30 03).
    pub fn with_appended_address(mut self, address: &str) -> Result<SimCard, Error> {
        let bytes = ucs2le(address);
        if bytes.len() > APPENDED_ADDRESS_MAX {
            return Err(Error::IdCardField {
                field: "appended_address",
                reason: "longer than 35 characters",
            });
        }
        self.appended_address = Some(bytes);
        Ok(self)
    }

    /// The kind flag character at byte 248 (U+FFFD if not a valid unit).
    pub fn kind_flag(&self) -> char {
        let unit = u16::from_le_bytes([self.text[KIND_OFFSET], self.text[KIND_OFFSET + 1]]);
        char::from_u32(u32::from(unit)).unwrap_or(char::REPLACEMENT_CHARACTER)
    }

    /// The card serial the reader reports on select: 8 bytes derived from
    /// the text block (FNV-1a), so the same card always has the same serial.
    pub fn serial(&self) -> [u8; 8] {
        let hash = self.text.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
        });
        hash.to_be_bytes()
    }

    /// A fictional resident card for demos (the GB 11643 standard's worked
    /// example number, a made-up name and address).
    pub fn demo() -> SimCard {
        let fields = ResidentFields {
            name: "测试样例".to_string(),
            sex: '2',
            nation: 1,
            birth: "19491231".to_string(),
            address: "北京市西城区演示路1号".to_string(),
            id_number: "11010519491231002X".to_string(),
            issuer: "北京市公安局西城分局".to_string(),
            valid_from: "20200101".to_string(),
            valid_to: "长期".to_string(),
        };
        // The fields above fit their slots; the fallback keeps this total.
        SimCard::resident(&fields).unwrap_or_else(|_| SimCard::from_text([0x20; TEXT_LEN]))
    }

    /// Loads a card file (the JSON of `--card FILE`); see [`CardFile`].
    pub fn load(path: &Path) -> Result<SimCard, Error> {
        let text = std::fs::read_to_string(path)?;
        SimCard::from_json(&text).map_err(|e| match e {
            Error::IdCardFile { reason, .. } => Error::IdCardFile {
                path: path.to_path_buf(),
                reason,
            },
            other => other,
        })
    }

    /// Parses a card file's JSON; see [`CardFile`].
    pub fn from_json(json: &str) -> Result<SimCard, Error> {
        let file: CardFile = serde_json::from_str(json).map_err(|e| Error::IdCardFile {
            path: "<json>".into(),
            reason: e.to_string(),
        })?;
        file.into_card()
    }
}

/// The card file format of `kiosk-sim idcard --card FILE` (JSON).
///
/// Either byte level:
///
/// ```json
/// { "text_hex": "<512 hex digits>", "photo_hex": "<optional>" }
/// ```
///
/// or fields, tagged by `kind` (`resident`, `permit`, `foreigner`,
/// `foreigner_2023`) with the fields of [`ResidentFields`], [`PermitFields`],
/// [`ForeignerFields`] or [`Foreigner2023Fields`]:
///
/// ```json
/// { "kind": "resident", "name": "张三", "sex": "1", "nation": 1,
///   "birth": "19800101", "address": "…", "id_number": "…",
///   "issuer": "…", "valid_from": "20200101", "valid_to": "长期" }
/// ```
///
/// Both forms also accept `photo_hex`, `fingerprint_hex` and
/// `appended_address` (text).
#[derive(Debug, Clone)]
pub enum CardFile {
    /// Byte-level card.
    Raw {
        /// The 256-byte text block in hex.
        text_hex: String,
        /// Extras.
        extras: CardExtras,
    },
    /// Card from fields.
    Fields {
        /// The fields, tagged by `kind`.
        fields: CardFields,
        /// Extras.
        extras: CardExtras,
    },
}

impl<'de> Deserialize<'de> for CardFile {
    /// Chooses the form by the presence of `text_hex`, so that a mistake in
    /// either form gets the parser's precise message.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<CardFile, D::Error> {
        use serde::de::Error as _;

        #[derive(Deserialize)]
        struct Raw {
            text_hex: String,
            #[serde(flatten)]
            extras: CardExtras,
        }
        #[derive(Deserialize)]
        struct Fields {
            #[serde(flatten)]
            fields: CardFields,
            #[serde(flatten)]
            extras: CardExtras,
        }

        let value = serde_json::Value::deserialize(d)?;
        if value.get("text_hex").is_some() {
            let raw: Raw = serde_json::from_value(value).map_err(D::Error::custom)?;
            Ok(CardFile::Raw {
                text_hex: raw.text_hex,
                extras: raw.extras,
            })
        } else {
            let f: Fields = serde_json::from_value(value).map_err(D::Error::custom)?;
            Ok(CardFile::Fields {
                fields: f.fields,
                extras: f.extras,
            })
        }
    }
}

/// The fields of a card file, by kind.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CardFields {
    /// 居民身份证.
    Resident(ResidentFields),
    /// 港澳台居民居住证.
    Permit(PermitFields),
    /// 外国人永久居留身份证.
    Foreigner(ForeignerFields),
    /// 外国人永久居留身份证, 2023 layout (`kind: "foreigner_2023"`).
    #[serde(rename = "foreigner_2023")]
    Foreigner2023(Foreigner2023Fields),
}

/// Optional parts of a card file.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CardExtras {
    /// The photo in hex (default: [`placeholder_photo`]).
    #[serde(default)]
    pub photo_hex: Option<String>,
    /// Fingerprint data in hex.
    #[serde(default)]
    pub fingerprint_hex: Option<String>,
    /// Appended address text.
    #[serde(default)]
    pub appended_address: Option<String>,
}

impl CardFile {
    /// Builds the card.
    pub fn into_card(self) -> Result<SimCard, Error> {
        let (card, extras) = match self {
            CardFile::Raw { text_hex, extras } => (SimCard::from_hex(&text_hex, None)?, extras),
            CardFile::Fields { fields, extras } => {
                let card = match fields {
                    CardFields::Resident(f) => SimCard::resident(&f)?,
                    CardFields::Permit(f) => SimCard::permit(&f)?,
                    CardFields::Foreigner(f) => SimCard::foreigner(&f)?,
                    CardFields::Foreigner2023(f) => SimCard::foreigner_2023(&f)?,
                };
                (card, extras)
            }
        };
        let mut card = card;
        if let Some(photo_hex) = extras.photo_hex {
            card.photo = decode_hex("photo_hex", &photo_hex)?;
        }
        if let Some(fp) = extras.fingerprint_hex {
            card.fingerprint = Some(decode_hex("fingerprint_hex", &fp)?);
        }
        if let Some(address) = extras.appended_address {
            card = card.with_appended_address(&address)?;
        }
        Ok(card)
    }
}

fn decode_hex(what: &'static str, text: &str) -> Result<Vec<u8>, Error> {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    hex::decode(compact).map_err(|e| Error::IdCardHex {
        what,
        reason: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resident() -> ResidentFields {
        ResidentFields {
            name: "张三".into(),
            sex: '1',
            nation: 1,
            birth: "19491231".into(),
            address: "北京市".into(),
            id_number: "11010519491231002X".into(),
            issuer: "北京市公安局".into(),
            valid_from: "20100101".into(),
            valid_to: "长期".into(),
        }
    }

    #[test]
    fn resident_layout_by_hand() {
        let card = SimCard::resident(&resident()).unwrap();
        // 张 U+5F20, 三 U+4E09, then spaces.
        assert_eq!(&card.text[0..6], &[0x20, 0x5F, 0x09, 0x4E, 0x20, 0x00]);
        assert_eq!(&card.text[30..32], &[b'1', 0]);
        assert_eq!(&card.text[32..36], &[b'0', 0, b'1', 0]);
        assert_eq!(&card.text[122..124], &[b'1', 0]);
        // 长 U+957F, 期 U+671F.
        assert_eq!(&card.text[204..208], &[0x7F, 0x95, 0x1F, 0x67]);
        assert_eq!(&card.text[248..250], &[0x20, 0x00]);
        assert_eq!(card.kind_flag(), ' ');
        assert_eq!(card.photo, placeholder_photo());
        assert!(card.photo.starts_with(b"KIOSK-SIM PLACEHOLDER"));
        assert_eq!(card.photo.len(), 1024);
    }

    #[test]
    fn too_long_fields_are_refused() {
        let mut f = resident();
        f.name = "一二三四五六七八九十一二三四五六".into();
        assert!(matches!(
            SimCard::resident(&f),
            Err(Error::IdCardField { field: "name", .. })
        ));
    }

    #[test]
    fn hex_round_trip() {
        let card = SimCard::resident(&resident()).unwrap();
        let again = SimCard::from_hex(&hex::encode(card.text), Some("0102")).unwrap();
        assert_eq!(again.text, card.text);
        assert_eq!(again.photo, vec![1, 2]);
        assert!(SimCard::from_hex("00", None).is_err());
        assert!(SimCard::from_hex("zz", None).is_err());
    }

    #[test]
    fn card_files_of_every_form() {
        let resident = SimCard::from_json(
            r#"{"kind":"resident","name":"张三","sex":"1","nation":1,"birth":"19491231",
                "address":"北京市","id_number":"11010519491231002X","issuer":"北京市公安局",
                "valid_from":"20100101","valid_to":"长期","appended_address":"新地址",
                "fingerprint_hex":"aabb"}"#,
        )
        .unwrap();
        assert_eq!(
            resident.text,
            SimCard::resident(&self::resident()).unwrap().text
        );
        assert_eq!(resident.fingerprint, Some(vec![0xAA, 0xBB]));
        assert_eq!(resident.appended_address, Some(ucs2le("新地址")));

        let permit = SimCard::from_json(
            r#"{"kind":"permit","name":"陈大文","sex":"1","birth":"19900101","address":"深圳",
                "id_number":"810000199001011234","issuer":"深圳市公安局","valid_from":"20200101",
                "valid_to":"20250101","pass_number":"H12345678","issue_count":1}"#,
        )
        .unwrap();
        assert_eq!(permit.kind_flag(), 'J');

        let foreigner = SimCard::from_json(
            r#"{"kind":"foreigner","name_en":"SMITH, JOHN","sex":"2",
                "permit_number":"USA110019800101","nationality":"USA","valid_from":"20180101",
                "valid_to":"20280101","birth":"19800101"}"#,
        )
        .unwrap();
        assert_eq!(foreigner.kind_flag(), 'I');
        assert_eq!(&foreigner.text[240..248], &ucs2le("1500")[..]);

        let raw = SimCard::from_json(&format!(
            r#"{{"text_hex":"{}","photo_hex":"00ff"}}"#,
            hex::encode(resident.text)
        ))
        .unwrap();
        assert_eq!(raw.text, resident.text);
        assert_eq!(raw.photo, vec![0, 0xFF]);

        assert!(matches!(
            SimCard::from_json(r#"{"kind":"passport"}"#),
            Err(Error::IdCardFile { .. })
        ));
    }

    #[test]
    fn debug_shows_no_card_content() {
        let text = format!("{:?}", SimCard::resident(&resident()).unwrap());
        assert!(!text.contains("张"));
        assert!(!text.contains("1101"));
    }

    #[test]
    fn serial_is_stable_and_depends_on_the_card() {
        let a = SimCard::resident(&resident()).unwrap();
        let mut f = resident();
        f.name = "李四".into();
        let b = SimCard::resident(&f).unwrap();
        assert_eq!(a.serial(), a.clone().serial());
        assert_ne!(a.serial(), b.serial());
    }
}

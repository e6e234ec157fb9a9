//! Identity: resident ID numbers (GB 11643), identity documents, and the
//! three credential kinds a citizen can present (e-voucher, ID document,
//! social security card).
//!
//! Personal data never leaves this module through `Debug`: every type that
//! holds a name or a number prints a masked form only, so a stray `{:?}` in a
//! log line cannot leak it.

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::Error;
use crate::tr_mark;

/// GB 11643 weights for positions 1..=17.
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// Check character for `sum mod 11`.
const CHECK_CHARS: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

/// Computes the GB 11643 check character for the first 17 digits.
///
/// Returns `None` when `first17` is not exactly 17 ASCII digits.
pub fn check_character(first17: &str) -> Option<char> {
    if first17.len() != 17 || !first17.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let sum: u32 = first17
        .bytes()
        .zip(WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    CHECK_CHARS.get((sum % 11) as usize).copied()
}

/// Sex as coded on identity documents (GB/T 2261.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    /// 0 未知的性别
    Unknown,
    /// 1 男
    Male,
    /// 2 女
    Female,
    /// 9 未说明的性别
    Unspecified,
}

impl Sex {
    /// Decodes the one-character code used on ID cards and by the central service.
    pub fn from_code(code: char) -> Option<Sex> {
        match code {
            '0' => Some(Sex::Unknown),
            '1' => Some(Sex::Male),
            '2' => Some(Sex::Female),
            '9' => Some(Sex::Unspecified),
            _ => None,
        }
    }

    /// The one-character code.
    pub fn code(self) -> char {
        match self {
            Sex::Unknown => '0',
            Sex::Male => '1',
            Sex::Female => '2',
            Sex::Unspecified => '9',
        }
    }

    /// The Chinese word shown on screen and on paper.
    pub fn label(self) -> &'static str {
        match self {
            Sex::Male => tr_mark!("男"),
            Sex::Female => tr_mark!("女"),
            Sex::Unknown | Sex::Unspecified => tr_mark!("未说明"),
        }
    }
}

/// Province-level codes of GB/T 2260 (the first two digits of an ID number),
/// plus 83 used by Taiwan residents' residence permits (830000).
pub const PROVINCES: &[(&str, &str)] = &[
    ("11", "北京市"),
    ("12", "天津市"),
    ("13", "河北省"),
    ("14", "山西省"),
    ("15", "内蒙古自治区"),
    ("21", "辽宁省"),
    ("22", "吉林省"),
    ("23", "黑龙江省"),
    ("31", "上海市"),
    ("32", "江苏省"),
    ("33", "浙江省"),
    ("34", "安徽省"),
    ("35", "福建省"),
    ("36", "江西省"),
    ("37", "山东省"),
    ("41", "河南省"),
    ("42", "湖北省"),
    ("43", "湖南省"),
    ("44", "广东省"),
    ("45", "广西壮族自治区"),
    ("46", "海南省"),
    ("50", "重庆市"),
    ("51", "四川省"),
    ("52", "贵州省"),
    ("53", "云南省"),
    ("54", "西藏自治区"),
    ("61", "陕西省"),
    ("62", "甘肃省"),
    ("63", "青海省"),
    ("64", "宁夏回族自治区"),
    ("65", "新疆维吾尔自治区"),
    ("71", "台湾省"),
    ("81", "香港特别行政区"),
    ("82", "澳门特别行政区"),
    ("83", "台湾省"),
];

/// The province name for a two-digit GB/T 2260 code.
pub fn province_name(code: &str) -> Option<&'static str> {
    PROVINCES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, name)| *name)
}

/// A validated 18-character resident ID number (公民身份号码, GB 11643).
///
/// Holding an `IdNumber` means: 17 digits and a matching check character,
/// a known province code and a real calendar birth date. `Debug` prints the
/// masked form only.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct IdNumber(String);

impl IdNumber {
    /// Parses and validates an ID number. A lower-case `x` is accepted and
    /// normalised to `X`; surrounding white space is ignored.
    pub fn parse(text: &str) -> Result<IdNumber, Error> {
        let text = text.trim();
        let count = text.chars().count();
        if count != 18 {
            return Err(Error::IdNumberLength { found: count });
        }
        let mut normalised = String::with_capacity(18);
        for (index, c) in text.chars().enumerate() {
            let ok = if index < 17 {
                c.is_ascii_digit()
            } else {
                c.is_ascii_digit() || c == 'X' || c == 'x'
            };
            if !ok {
                return Err(Error::IdNumberCharacter {
                    position: index + 1,
                });
            }
            normalised.push(c.to_ascii_uppercase());
        }
        let province = &normalised[0..2];
        if province_name(province).is_none() {
            return Err(Error::IdNumberRegion {
                province: province.to_string(),
            });
        }
        if parse_yyyymmdd(&normalised[6..14]).is_none() {
            return Err(Error::IdNumberBirthDate);
        }
        let expected =
            check_character(&normalised[0..17]).ok_or(Error::IdNumberCharacter { position: 1 })?;
        let found = normalised.chars().nth(17).unwrap_or(' ');
        if expected != found {
            return Err(Error::IdNumberCheckDigit);
        }
        Ok(IdNumber(normalised))
    }

    /// The full number. Use only where the full number is needed (the wire,
    /// the printed certificate); never in a log line.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The six-digit administrative region code (GB/T 2260).
    pub fn region_code(&self) -> &str {
        &self.0[0..6]
    }

    /// The province name of the region code.
    pub fn province(&self) -> &'static str {
        province_name(&self.0[0..2]).unwrap_or("")
    }

    /// The birth date encoded in positions 7–14.
    pub fn birth_date(&self) -> NaiveDate {
        // Validated in `parse`; the fallback is unreachable for a parsed number.
        parse_yyyymmdd(&self.0[6..14]).unwrap_or(NaiveDate::MIN)
    }

    /// Sex from the 17th digit: odd is male, even is female.
    pub fn sex(&self) -> Sex {
        match self.0.as_bytes()[16] % 2 {
            1 => Sex::Male,
            _ => Sex::Female,
        }
    }

    /// First 6 and last 4 characters visible, the rest `*`.
    pub fn masked(&self) -> String {
        mask_number(&self.0)
    }
}

impl fmt::Debug for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdNumber({})", self.masked())
    }
}

/// Masks any document number for display: the first 6 and last 4 characters
/// stay visible and everything between becomes `*`. Numbers of 10 characters
/// or fewer keep only their last 4 (or, when shorter, are fully starred) so
/// that masking never reveals a whole short number.
pub fn mask_number(number: &str) -> String {
    let chars: Vec<char> = number.chars().collect();
    let n = chars.len();
    if n > 10 {
        chars
            .iter()
            .enumerate()
            .map(|(i, c)| if i < 6 || i >= n - 4 { *c } else { '*' })
            .collect()
    } else if n > 4 {
        chars
            .iter()
            .enumerate()
            .map(|(i, c)| if i >= n - 4 { *c } else { '*' })
            .collect()
    } else {
        "*".repeat(n)
    }
}

/// Masks a name for logs and status lines: the first character stays.
pub fn mask_name(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => {
            let rest = chars.count();
            format!("{first}{}", "*".repeat(rest))
        }
        None => String::new(),
    }
}

/// Parses `YYYYMMDD` into a date from 1900 on.
pub fn parse_yyyymmdd(text: &str) -> Option<NaiveDate> {
    if text.len() != 8 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let year: i32 = text[0..4].parse().ok()?;
    let month: u32 = text[4..6].parse().ok()?;
    let day: u32 = text[6..8].parse().ok()?;
    if year < 1900 {
        return None;
    }
    NaiveDate::from_ymd_opt(year, month, day)
}

/// Ethnic group codes of GB 3304 (民族), as carried on the resident ID card.
pub fn nation_name(code: u8) -> Option<&'static str> {
    const NAMES: [&str; 56] = [
        "汉族",
        "蒙古族",
        "回族",
        "藏族",
        "维吾尔族",
        "苗族",
        "彝族",
        "壮族",
        "布依族",
        "朝鲜族",
        "满族",
        "侗族",
        "瑶族",
        "白族",
        "土家族",
        "哈尼族",
        "哈萨克族",
        "傣族",
        "黎族",
        "傈僳族",
        "佤族",
        "畲族",
        "高山族",
        "拉祜族",
        "水族",
        "东乡族",
        "纳西族",
        "景颇族",
        "柯尔克孜族",
        "土族",
        "达斡尔族",
        "仫佬族",
        "羌族",
        "布朗族",
        "撒拉族",
        "毛南族",
        "仡佬族",
        "锡伯族",
        "阿昌族",
        "普米族",
        "塔吉克族",
        "怒族",
        "乌孜别克族",
        "俄罗斯族",
        "鄂温克族",
        "德昂族",
        "保安族",
        "裕固族",
        "京族",
        "塔塔尔族",
        "独龙族",
        "鄂伦春族",
        "赫哲族",
        "门巴族",
        "珞巴族",
        "基诺族",
    ];
    match code {
        1..=56 => NAMES.get(usize::from(code) - 1).copied(),
        97 => Some("其他"),
        98 => Some("外国血统中国籍人士"),
        _ => None,
    }
}

/// Kinds of identity document (有效身份证件) the seeds accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdDocumentKind {
    /// 居民身份证
    ResidentIdCard,
    /// 外国人永久居留身份证
    ForeignPermanentResidenceCard,
    /// 港澳台居民居住证
    HkMacaoTaiwanResidencePermit,
    /// 户口簿
    HouseholdRegister,
    /// 护照
    Passport,
    /// 港澳居民来往内地通行证
    HkMacaoPass,
}

impl IdDocumentKind {
    /// The Chinese name shown on screen.
    pub fn label(self) -> &'static str {
        match self {
            IdDocumentKind::ResidentIdCard => tr_mark!("居民身份证"),
            IdDocumentKind::ForeignPermanentResidenceCard => tr_mark!("外国人永久居留身份证"),
            IdDocumentKind::HkMacaoTaiwanResidencePermit => tr_mark!("港澳台居民居住证"),
            IdDocumentKind::HouseholdRegister => tr_mark!("户口簿"),
            IdDocumentKind::Passport => tr_mark!("护照"),
            IdDocumentKind::HkMacaoPass => tr_mark!("港澳居民来往内地通行证"),
        }
    }

    /// Whether the document number is an 18-character GB 11643 number.
    pub fn uses_gb11643_number(self) -> bool {
        matches!(
            self,
            IdDocumentKind::ResidentIdCard
                | IdDocumentKind::HkMacaoTaiwanResidencePermit
                | IdDocumentKind::HouseholdRegister
        )
    }
}

/// End of a document's validity: a date, or 长期 (no expiry).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Expiry {
    /// Valid up to and including this date.
    Until(NaiveDate),
    /// 长期
    LongTerm,
}

impl Expiry {
    /// Whether the document is still valid on `today`.
    pub fn is_valid_on(self, today: NaiveDate) -> bool {
        match self {
            Expiry::Until(date) => today <= date,
            Expiry::LongTerm => true,
        }
    }
}

/// What an ID card reader decoded from a card. `Debug` masks personal data.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdDocument {
    /// Which document this is.
    pub kind: IdDocumentKind,
    /// Name in Chinese (for the foreigner's card: the Chinese name, possibly empty).
    pub name: String,
    /// English name (foreigner's permanent residence card only).
    pub name_en: Option<String>,
    /// Sex.
    pub sex: Sex,
    /// GB 3304 ethnic group code (resident ID card only).
    pub nation: Option<u8>,
    /// ISO 3166 alpha-3 nationality (foreigner's card only).
    pub nationality: Option<String>,
    /// Birth date.
    pub birth_date: NaiveDate,
    /// Address (resident ID card and residence permit).
    pub address: Option<String>,
    /// The document number: the ID number, or the 15-character permit number.
    pub number: String,
    /// Issuing authority (签发机关).
    pub issuer: String,
    /// Start of validity.
    pub valid_from: NaiveDate,
    /// End of validity.
    pub valid_to: Expiry,
    /// 通行证号码 (residence permit only).
    pub pass_number: Option<String>,
    /// 签发次数 (residence permit only).
    pub issue_count: Option<u8>,
    /// The photo exactly as the card holds it (WLT, licensed compression). Never decoded here.
    #[serde(with = "hex_bytes")]
    pub photo_wlt: Vec<u8>,
}

impl IdDocument {
    /// The validated GB 11643 number, for documents that carry one.
    pub fn id_number(&self) -> Option<IdNumber> {
        if self.kind.uses_gb11643_number() {
            IdNumber::parse(&self.number).ok()
        } else {
            None
        }
    }
}

impl fmt::Debug for IdDocument {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdDocument")
            .field("kind", &self.kind)
            .field("number", &mask_number(&self.number))
            .field("photo_len", &self.photo_wlt.len())
            .finish_non_exhaustive()
    }
}

mod hex_bytes {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        let mut out = String::with_capacity(bytes.len() * 2);
        for b in bytes {
            out.push_str(&format!("{b:02x}"));
        }
        s.serialize_str(&out)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        if text.len() % 2 != 0 {
            return Err(serde::de::Error::custom("odd number of hex digits"));
        }
        (0..text.len())
            .step_by(2)
            .map(|i| {
                u8::from_str_radix(text.get(i..i + 2).unwrap_or(""), 16)
                    .map_err(serde::de::Error::custom)
            })
            .collect()
    }
}

/// The credential kinds of the national platform (就诊凭证类型, `mdtrt_cert_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CredentialKind {
    /// 医保电子凭证 (01)
    EVoucher,
    /// 有效身份证件 (02)
    IdDocument,
    /// 社会保障卡 (03)
    SocialSecurityCard,
}

impl CredentialKind {
    /// The `mdtrt_cert_type` code on the wire.
    pub fn wire_code(self) -> &'static str {
        match self {
            CredentialKind::EVoucher => "01",
            CredentialKind::IdDocument => "02",
            CredentialKind::SocialSecurityCard => "03",
        }
    }

    /// Decodes a `mdtrt_cert_type` code.
    pub fn from_wire_code(code: &str) -> Option<CredentialKind> {
        match code {
            "01" => Some(CredentialKind::EVoucher),
            "02" => Some(CredentialKind::IdDocument),
            "03" => Some(CredentialKind::SocialSecurityCard),
            _ => None,
        }
    }

    /// The Chinese name.
    pub fn label(self) -> &'static str {
        match self {
            CredentialKind::EVoucher => tr_mark!("医保电子凭证"),
            CredentialKind::IdDocument => tr_mark!("有效身份证件"),
            CredentialKind::SocialSecurityCard => tr_mark!("社会保障卡"),
        }
    }
}

/// A credential presented at the kiosk, ready to be sent to the central
/// service. `Debug` masks the number.
#[derive(Clone, PartialEq, Eq)]
pub enum Credential {
    /// The opaque, short-lived e-voucher token from the QR code.
    EVoucher {
        /// The token text as scanned.
        token: String,
    },
    /// An identity document read by the ID card reader (or typed by staff).
    IdDocument {
        /// Which document.
        kind: IdDocumentKind,
        /// Its number.
        number: String,
        /// The holder's name as printed on the document.
        name: String,
    },
    /// A social security card: card number plus card identification code.
    SocialSecurityCard {
        /// 卡号.
        card_number: String,
        /// 卡识别码.
        card_sn: String,
        /// 社会保障号码 (equals the ID number).
        ss_number: String,
        /// Holder name.
        name: String,
    },
}

impl Credential {
    /// The platform credential kind.
    pub fn kind(&self) -> CredentialKind {
        match self {
            Credential::EVoucher { .. } => CredentialKind::EVoucher,
            Credential::IdDocument { .. } => CredentialKind::IdDocument,
            Credential::SocialSecurityCard { .. } => CredentialKind::SocialSecurityCard,
        }
    }
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credential::EVoucher { token } => {
                write!(f, "EVoucher({} chars)", token.chars().count())
            }
            Credential::IdDocument { kind, number, .. } => {
                write!(f, "IdDocument({kind:?}, {})", mask_number(number))
            }
            Credential::SocialSecurityCard { card_number, .. } => {
                write!(f, "SocialSecurityCard({})", mask_number(card_number))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds a valid number from 17 digits by appending the check character.
    fn with_check(first17: &str) -> String {
        format!("{first17}{}", check_character(first17).unwrap())
    }

    #[test]
    fn accepts_the_standard_example() {
        // The worked example of GB 11643-1999 appendix: 11010519491231002X.
        let id = IdNumber::parse("11010519491231002X").unwrap();
        assert_eq!(id.region_code(), "110105");
        assert_eq!(
            id.birth_date(),
            NaiveDate::from_ymd_opt(1949, 12, 31).unwrap()
        );
        assert_eq!(id.sex(), Sex::Female);
        assert_eq!(id.province(), "北京市");
        assert_eq!(id.masked(), "110105********002X");
    }

    #[test]
    fn lower_case_x_is_normalised() {
        let id = IdNumber::parse(" 11010519491231002x ").unwrap();
        assert_eq!(id.as_str(), "11010519491231002X");
    }

    #[test]
    fn each_fault_has_its_own_error() {
        assert_eq!(
            IdNumber::parse("1101051949123100"),
            Err(Error::IdNumberLength { found: 16 })
        );
        assert_eq!(
            IdNumber::parse("1101051949123A002X"),
            Err(Error::IdNumberCharacter { position: 14 })
        );
        assert_eq!(
            IdNumber::parse(&with_check("99010519491231002")),
            Err(Error::IdNumberRegion {
                province: "99".into()
            })
        );
        assert_eq!(
            IdNumber::parse(&with_check("22010519490231002")),
            Err(Error::IdNumberBirthDate)
        );
        assert_eq!(
            IdNumber::parse("110105194912310021"),
            Err(Error::IdNumberCheckDigit)
        );
    }

    #[test]
    fn debug_never_shows_the_whole_number() {
        let id = IdNumber::parse("11010519491231002X").unwrap();
        let text = format!("{id:?}");
        assert!(!text.contains("11010519491231002X"));
    }

    #[test]
    fn masking_rules() {
        assert_eq!(mask_number("220102198001011234"), "220102********1234");
        assert_eq!(mask_number("A1234567"), "****4567");
        assert_eq!(mask_number("123"), "***");
        assert_eq!(mask_name("张三丰"), "张**");
    }

    #[test]
    fn nation_codes() {
        assert_eq!(nation_name(1), Some("汉族"));
        assert_eq!(nation_name(10), Some("朝鲜族"));
        assert_eq!(nation_name(56), Some("基诺族"));
        assert_eq!(nation_name(0), None);
        assert_eq!(nation_name(57), None);
    }

    proptest::proptest! {
        #[test]
        fn every_generated_number_round_trips(
            province in proptest::sample::select(PROVINCES.iter().map(|p| p.0).collect::<Vec<_>>()),
            rest in "[0-9]{4}",
            year in 1900i32..2030, month in 1u32..=12, day in 1u32..=28,
            seq in "[0-9]{3}",
        ) {
            let first17 = format!("{province}{rest}{year:04}{month:02}{day:02}{seq}");
            let id = IdNumber::parse(&with_check(&first17)).unwrap();
            proptest::prop_assert_eq!(id.birth_date(), NaiveDate::from_ymd_opt(year, month, day).unwrap());
        }

        #[test]
        fn a_single_changed_digit_is_always_caught(
            first17 in "22010519[5-9][0-9]0[1-9]1[0-9][0-9]{3}",
            pos in 0usize..17, delta in 1u8..10,
        ) {
            let valid = with_check(&first17);
            let mut bytes = valid.clone().into_bytes();
            bytes[pos] = b'0' + (bytes[pos] - b'0' + delta) % 10;
            let changed = String::from_utf8(bytes).unwrap();
            proptest::prop_assert!(IdNumber::parse(&changed).is_err());
        }
    }
}

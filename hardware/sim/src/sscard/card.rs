//! Simulated social security cards: an ATR and the raw TLV bytes of each
//! record of EF05 and EF06, built from plain fields or given byte for byte.
//!
//! Written from the protocol notes (SSSE: tag 1 byte, length 1 byte,
//! value; READ RECORD number = tag), independently of `kiosk-drivers`.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use serde::Deserialize;

use super::applet::{CardKeys, MasterKeys};
use crate::Error;

/// A plausible ATR of a T=0 CPU card (used when none is given).
pub const DEFAULT_ATR: [u8; 13] = [
    0x3B, 0x6C, 0x00, 0x00, 0x80, 0x65, 0x08, 0x86, 0x01, 0x01, 0x15, 0x06, 0x01,
];

/// A card as the CCID reader sees it.
#[derive(Clone, PartialEq, Eq)]
pub struct SsCardImage {
    /// Answer to reset.
    pub atr: Vec<u8>,
    /// EF05 (card data): record number → raw record bytes (normally one TLV).
    pub ef05: BTreeMap<u8, Vec<u8>>,
    /// EF06 (holder data): record number → raw record bytes.
    pub ef06: BTreeMap<u8, Vec<u8>>,
    /// Record numbers (of either EF) that answer `69 82` (need the PSAM).
    pub psam_protected: Vec<u8>,
    /// Whether the card carries the social security application at all
    /// (false: SELECT answers `6A 82`, like a bank card).
    pub has_application: bool,
    /// The card's authentication keys (`None`: a card without terminal
    /// authentication, which answers `6D 00`). Cards built here are issued
    /// under [`MasterKeys::TEST`] with their identification code.
    pub keys: Option<CardKeys>,
}

impl fmt::Debug for SsCardImage {
    /// Sizes only, never card content.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SsCardImage")
            .field("atr_len", &self.atr.len())
            .field("ef05_records", &self.ef05.len())
            .field("ef06_records", &self.ef06.len())
            .field("psam_protected", &self.psam_protected)
            .field("keys", &self.keys.is_some())
            .finish()
    }
}

/// Fields of a social security card. Dates are `YYYYMMDD` text.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SsCardFields {
    /// 卡号, 9 ASCII characters.
    pub card_number: String,
    /// 卡识别码, 16 ASCII characters.
    pub card_sn: String,
    /// 社会保障号码, 18 characters.
    pub ss_number: String,
    /// 姓名 (written in GBK, space padded to 30 bytes).
    pub name: String,
    /// 性别 code '1' / '2'.
    #[serde(default = "default_sex")]
    pub sex: char,
    /// 民族 code.
    #[serde(default = "default_nation")]
    pub nation: u8,
    /// 出生日期.
    #[serde(default)]
    pub birth_date: Option<String>,
    /// 出生地 (6 digits).
    #[serde(default)]
    pub birthplace: Option<String>,
    /// 发卡日期.
    #[serde(default)]
    pub issue_date: Option<String>,
    /// 卡有效期.
    #[serde(default)]
    pub expiry_date: Option<String>,
    /// 发卡机构代码 (12 characters).
    #[serde(default)]
    pub issuer_code: Option<String>,
    /// 规范版本 (4 characters).
    #[serde(default)]
    pub spec_version: Option<String>,
    /// ATR in hex.
    #[serde(default)]
    pub atr_hex: Option<String>,
    /// Keys of another issuer ([`MasterKeys::OTHER`]): a forged card, which
    /// fails terminal authentication with the kiosk's PSAM.
    #[serde(default)]
    pub foreign_keys: bool,
    /// Tags (hex, e.g. "09") that need the PSAM.
    #[serde(default)]
    pub psam_protected: Vec<String>,
}

fn default_sex() -> char {
    '1'
}
fn default_nation() -> u8 {
    1
}

/// The byte-level card file form.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SsCardRaw {
    /// ATR in hex.
    pub atr_hex: String,
    /// EF05: record number (hex, e.g. "07") → record bytes in hex.
    #[serde(default)]
    pub ef05: BTreeMap<String, String>,
    /// EF06: record number (hex) → record bytes in hex.
    #[serde(default)]
    pub ef06: BTreeMap<String, String>,
    /// Record numbers (hex) that answer `69 82`.
    #[serde(default)]
    pub psam_protected: Vec<String>,
    /// false: a chip card without the social security application.
    #[serde(default = "yes")]
    pub has_application: bool,
}

fn yes() -> bool {
    true
}

fn tlv(tag: u8, value: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(value.len() + 2);
    v.push(tag);
    v.push(u8::try_from(value.len()).unwrap_or(u8::MAX));
    v.extend_from_slice(&value[..value.len().min(255)]);
    v
}

fn fixed_ascii(field: &'static str, text: &str, len: usize) -> Result<Vec<u8>, Error> {
    if !text.is_ascii() || text.len() > len {
        return Err(Error::SsCardImage(format!(
            "{field}: at most {len} ASCII characters"
        )));
    }
    let mut v = text.as_bytes().to_vec();
    v.resize(len, b' ');
    Ok(v)
}

fn bcd(field: &'static str, digits: &str, len: usize) -> Result<Vec<u8>, Error> {
    if digits.len() != len * 2 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::SsCardImage(format!(
            "{field}: exactly {} digits",
            len * 2
        )));
    }
    Ok(digits
        .as_bytes()
        .chunks(2)
        .map(|p| ((p[0] - b'0') << 4) | (p[1] - b'0'))
        .collect())
}

fn hex_bytes(field: &str, text: &str) -> Result<Vec<u8>, Error> {
    hex::decode(text.trim()).map_err(|e| Error::SsCardImage(format!("{field}: {e}")))
}

fn hex_tag(field: &str, text: &str) -> Result<u8, Error> {
    u8::from_str_radix(text.trim(), 16)
        .map_err(|e| Error::SsCardImage(format!("{field} {text:?}: {e}")))
}

impl SsCardImage {
    /// Builds a card from fields (each value checked only for fitting its slot).
    pub fn from_fields(f: &SsCardFields) -> Result<SsCardImage, Error> {
        let (name, _, unmappable) = encoding_rs::GBK.encode(&f.name);
        if unmappable || name.len() > 30 {
            return Err(Error::SsCardImage(
                "name: at most 30 bytes of GBK text".into(),
            ));
        }
        let mut name = name.into_owned();
        name.resize(30, b' ');
        let mut ef05 = BTreeMap::new();
        ef05.insert(0x01, tlv(0x01, &fixed_ascii("card_sn", &f.card_sn, 16)?));
        if let Some(v) = &f.spec_version {
            ef05.insert(0x03, tlv(0x03, &fixed_ascii("spec_version", v, 4)?));
        }
        if let Some(v) = &f.issuer_code {
            ef05.insert(0x04, tlv(0x04, &fixed_ascii("issuer_code", v, 12)?));
        }
        if let Some(v) = &f.issue_date {
            ef05.insert(0x05, tlv(0x05, &bcd("issue_date", v, 4)?));
        }
        if let Some(v) = &f.expiry_date {
            ef05.insert(0x06, tlv(0x06, &bcd("expiry_date", v, 4)?));
        }
        ef05.insert(
            0x07,
            tlv(0x07, &fixed_ascii("card_number", &f.card_number, 9)?),
        );
        let mut ef06 = BTreeMap::new();
        ef06.insert(
            0x08,
            tlv(0x08, &fixed_ascii("ss_number", &f.ss_number, 18)?),
        );
        ef06.insert(0x09, tlv(0x09, &name));
        if !f.sex.is_ascii() {
            return Err(Error::SsCardImage("sex: one ASCII character".into()));
        }
        ef06.insert(0x0A, tlv(0x0A, &[f.sex as u8]));
        ef06.insert(0x0B, tlv(0x0B, &[f.nation]));
        if let Some(v) = &f.birthplace {
            ef06.insert(0x0C, tlv(0x0C, &bcd("birthplace", v, 3)?));
        }
        if let Some(v) = &f.birth_date {
            ef06.insert(0x0D, tlv(0x0D, &bcd("birth_date", v, 4)?));
        }
        Ok(SsCardImage {
            atr: match &f.atr_hex {
                Some(h) => hex_bytes("atr_hex", h)?,
                None => DEFAULT_ATR.to_vec(),
            },
            ef05,
            ef06,
            psam_protected: f
                .psam_protected
                .iter()
                .map(|t| hex_tag("psam_protected", t))
                .collect::<Result<_, _>>()?,
            has_application: true,
            keys: Some(CardKeys::issue(
                if f.foreign_keys {
                    &MasterKeys::OTHER
                } else {
                    &MasterKeys::TEST
                },
                f.card_sn.as_bytes(),
            )),
        })
    }

    /// Builds a card from its byte-level form.
    pub fn from_raw(raw: &SsCardRaw) -> Result<SsCardImage, Error> {
        let records = |ef: &BTreeMap<String, String>, name: &str| {
            ef.iter()
                .map(|(k, v)| Ok((hex_tag(name, k)?, hex_bytes(name, v)?)))
                .collect::<Result<BTreeMap<u8, Vec<u8>>, Error>>()
        };
        let atr = hex_bytes("atr_hex", &raw.atr_hex)?;
        if atr.is_empty() || atr.len() > 33 {
            return Err(Error::SsCardImage("atr_hex: 1 to 33 bytes".into()));
        }
        let ef05 = records(&raw.ef05, "ef05")?;
        // The identification code's value (after tag and length) is the
        // key diversification input.
        let keys = ef05
            .get(&0x01)
            .and_then(|r| r.get(2..))
            .map(|sn| CardKeys::issue(&MasterKeys::TEST, sn));
        Ok(SsCardImage {
            atr,
            ef05,
            ef06: records(&raw.ef06, "ef06")?,
            psam_protected: raw
                .psam_protected
                .iter()
                .map(|t| hex_tag("psam_protected", t))
                .collect::<Result<_, _>>()?,
            has_application: raw.has_application,
            keys,
        })
    }

    /// The byte-level form of this card (what `--card` files may hold).
    pub fn to_raw(&self) -> SsCardRaw {
        let records = |ef: &BTreeMap<u8, Vec<u8>>| {
            ef.iter()
                .map(|(k, v)| (format!("{k:02X}"), hex::encode_upper(v)))
                .collect()
        };
        SsCardRaw {
            atr_hex: hex::encode_upper(&self.atr),
            ef05: records(&self.ef05),
            ef06: records(&self.ef06),
            psam_protected: self
                .psam_protected
                .iter()
                .map(|t| format!("{t:02X}"))
                .collect(),
            has_application: self.has_application,
        }
    }

    /// Parses a card file's JSON: the byte-level form when `atr_hex` and
    /// `ef05`/`ef06` are there, else fields.
    ///
    /// ```json
    /// { "atr_hex": "3B6C…", "ef05": { "07": "0709323230313030303031" }, "ef06": { … } }
    /// { "card_number": "220100001", "card_sn": "220100D156000005",
    ///   "ss_number": "220102196205141234", "name": "王建国" }
    /// ```
    pub fn from_json(json: &str) -> Result<SsCardImage, Error> {
        let value: serde_json::Value =
            serde_json::from_str(json).map_err(|e| Error::SsCardImage(e.to_string()))?;
        if value.get("ef05").is_some() || value.get("ef06").is_some() {
            let raw: SsCardRaw =
                serde_json::from_value(value).map_err(|e| Error::SsCardImage(e.to_string()))?;
            SsCardImage::from_raw(&raw)
        } else {
            let fields: SsCardFields =
                serde_json::from_value(value).map_err(|e| Error::SsCardImage(e.to_string()))?;
            SsCardImage::from_fields(&fields)
        }
    }

    /// Loads a card file.
    pub fn load(path: &Path) -> Result<SsCardImage, Error> {
        let text = std::fs::read_to_string(path)?;
        SsCardImage::from_json(&text).map_err(|e| match e {
            Error::SsCardImage(reason) => Error::SsCardFile {
                path: path.to_path_buf(),
                reason,
            },
            other => other,
        })
    }

    /// The card of demo person 王建国 (data/demo/people.toml): card number
    /// 220100001, card identification code 220100D156000005.
    pub fn demo() -> SsCardImage {
        let fields = SsCardFields {
            card_number: "220100001".into(),
            card_sn: "220100D156000005".into(),
            ss_number: "220102196205141234".into(),
            name: "王建国".into(),
            sex: '1',
            nation: 1,
            birth_date: Some("19620514".into()),
            birthplace: Some("220102".into()),
            issue_date: Some("20150601".into()),
            expiry_date: Some("20350601".into()),
            issuer_code: Some("220100000000".into()),
            spec_version: Some("3.00".into()),
            atr_hex: None,
            psam_protected: Vec::new(),
            foreign_keys: false,
        };
        // The fields above fit their slots; the fallback keeps this total.
        SsCardImage::from_fields(&fields).unwrap_or_else(|_| SsCardImage {
            atr: DEFAULT_ATR.to_vec(),
            ef05: BTreeMap::new(),
            ef06: BTreeMap::new(),
            psam_protected: Vec::new(),
            has_application: true,
            keys: None,
        })
    }

    /// The same card with keys issued under `master` instead: a card the
    /// kiosk's PSAM does not know (forged, or of another issuer).
    pub fn issued_under(mut self, master: &MasterKeys) -> SsCardImage {
        let sn = self.record(5, 0x01).and_then(|r| r.get(2..)).unwrap_or(&[]);
        self.keys = Some(CardKeys::issue(master, sn));
        self
    }

    /// The record of EF `sfi` number `record`.
    pub fn record(&self, sfi: u8, record: u8) -> Option<&[u8]> {
        match sfi {
            5 => self.ef05.get(&record).map(Vec::as_slice),
            6 => self.ef06.get(&record).map(Vec::as_slice),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_card_bytes_by_hand() {
        let card = SsCardImage::demo();
        // 07 09 "220100001"
        assert_eq!(
            card.record(5, 7).unwrap(),
            [
                0x07, 0x09, b'2', b'2', b'0', b'1', b'0', b'0', b'0', b'0', b'1'
            ]
        );
        assert_eq!(
            card.record(5, 5).unwrap(),
            [0x05, 0x04, 0x20, 0x15, 0x06, 0x01]
        );
        // 王建国 in GBK: CD F5 BD A8 B9 FA, then spaces to 30 bytes.
        let name = card.record(6, 9).unwrap();
        assert_eq!(&name[..8], [0x09, 0x1E, 0xCD, 0xF5, 0xBD, 0xA8, 0xB9, 0xFA]);
        assert_eq!(name.len(), 32);
        assert!(format!("{card:?}").find("王").is_none());
    }

    #[test]
    fn raw_round_trip_and_json_forms() {
        let card = SsCardImage::demo();
        let json = serde_json::to_string(&serde_json::json!({
            "atr_hex": card.to_raw().atr_hex,
            "ef05": card.to_raw().ef05,
            "ef06": card.to_raw().ef06,
        }))
        .unwrap();
        assert_eq!(SsCardImage::from_json(&json).unwrap(), card);
        let fields = r#"{"card_number":"220200002","card_sn":"220200D156000017",
            "ss_number":"220203198508232046","name":"李秀兰","sex":"2","psam_protected":["0D"]}"#;
        let c = SsCardImage::from_json(fields).unwrap();
        assert_eq!(c.psam_protected, [0x0D]);
        assert!(SsCardImage::from_json(r#"{"card_number":"1"}"#).is_err());
        assert!(SsCardImage::from_json(r#"{"atr_hex":"zz","ef05":{}}"#).is_err());
        assert!(
            SsCardImage::from_json(
                r#"{"card_number":"1234567890","card_sn":"x","ss_number":"x","name":"x"}"#
            )
            .is_err()
        );
    }
}

//! The signed personal commitment letter (个人承诺书) as the agency archives
//! it. Seed 000 附件2: “本表由参保人填写，由医保经办部门存档，两年内不得销毁”.
//! The kiosk sends, with the filing (KS11), the letter exactly as the
//! citizen signed it — its text version, its text, the signature as a
//! compact vector (the strokes drawn on the pad) and a SHA-256 over all of
//! it; the centre checks the hash, keeps the letter for the retention
//! period and can give it back for a reprint. The kiosk keeps nothing once
//! the centre has answered (the outbox erases the payload).
//!
//! The archived text carries the identity as the citizen saw it on the
//! letter copy (ID and phone masked 6 + 4 and 3 + 4); the filing number
//! and the person number tie it to the full record at the agency.

use std::fmt;

use chrono::NaiveDate;
use sha2::{Digest, Sha256};

use crate::documents::{Bitmap, mask_phone};
use crate::identity::{mask_name, mask_number};
use crate::region::CommitmentLetter;
use crate::session::filing::{parse_stroke, signature_bitmap};

/// How the signature is encoded: strokes of `x,y` points in pad
/// coordinates (960×360), points separated by `;`, strokes by `|`.
pub const SIGNATURE_FORMAT: &str = "strokes/960x360";

/// How long the agency keeps the letter (附件2 说明: 两年内不得销毁).
pub const RETENTION_MONTHS: u32 = 24;

/// The answers printed on the letter.
#[derive(Clone, PartialEq, Eq)]
pub struct LetterFields<'a> {
    /// 姓名.
    pub name: &'a str,
    /// 性别.
    pub sex: &'a str,
    /// 联系电话 (masked in the text).
    pub phone: &'a str,
    /// 身份证号 (masked in the text).
    pub id_number: &'a str,
    /// 参保地.
    pub insured_area: &'a str,
    /// 就医地.
    pub area_of_care: &'a str,
    /// 人员类别: the category filed (the region's label).
    pub category: &'a str,
}

/// A signed commitment letter, ready for the archive.
#[derive(Clone, PartialEq, Eq)]
pub struct SignedLetter {
    /// Version of the letter text: region, profile version and a digest of
    /// the region's letter template (`jilin-v3-1a2b3c4d5e6f`).
    pub version: String,
    /// The letter as signed, one line per paragraph.
    pub text: String,
    /// The signature, in [`SIGNATURE_FORMAT`].
    pub signature: String,
    /// [`SIGNATURE_FORMAT`].
    pub signature_format: String,
    /// Date signed.
    pub signed_on: NaiveDate,
    /// Lower-case hex SHA-256 over version, text, format and signature
    /// ([`SignedLetter::digest`]).
    pub sha256: String,
}

impl fmt::Debug for SignedLetter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignedLetter")
            .field("version", &self.version)
            .field("signed_on", &self.signed_on)
            .field("sha256", &self.sha256)
            .finish_non_exhaustive()
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The version of a region's letter template.
pub fn template_version(
    region_id: &str,
    profile_version: u32,
    letter: &CommitmentLetter,
) -> String {
    let template = [
        letter.title.as_str(),
        &letter.categories.join("\n"),
        &letter.undertakings.join("\n"),
        &letter.archive_note,
    ]
    .join("\n");
    let digest = hex(&Sha256::digest(template.as_bytes()));
    format!("{region_id}-v{profile_version}-{}", &digest[..12])
}

impl SignedLetter {
    /// The letter `letter` of version `version`, filled with `fields` and
    /// signed with `strokes` on `signed_on`.
    pub fn sign(
        version: String,
        letter: &CommitmentLetter,
        fields: &LetterFields<'_>,
        strokes: &[Vec<(u16, u16)>],
        signed_on: NaiveDate,
    ) -> SignedLetter {
        // Printed wording: stays Chinese.
        let mut lines = vec![
            letter.title.clone(),
            format!("姓名：{}", fields.name),
            format!("性别：{}", fields.sex),
            format!("联系电话：{}", mask_phone(fields.phone)),
            format!("身份证号：{}", mask_number(fields.id_number)),
            format!("参保地：{}", fields.insured_area),
            format!("就医地：{}", fields.area_of_care),
            format!("人员类别：{}", fields.category),
            "需承诺的事项：".to_string(),
        ];
        lines.extend(
            letter
                .undertakings
                .iter()
                .enumerate()
                .map(|(i, u)| format!("{}.{u}", i + 1)),
        );
        lines.push(format!("签字日期：{}", signed_on.format("%Y-%m-%d")));
        lines.push(letter.archive_note.clone());
        let text = lines.join("\n");
        let signature = strokes
            .iter()
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.iter()
                    .map(|(x, y)| format!("{x},{y}"))
                    .collect::<Vec<_>>()
                    .join(";")
            })
            .collect::<Vec<_>>()
            .join("|");
        let sha256 = SignedLetter::digest(&version, &text, SIGNATURE_FORMAT, &signature);
        SignedLetter {
            version,
            text,
            signature,
            signature_format: SIGNATURE_FORMAT.to_string(),
            signed_on,
            sha256,
        }
    }

    /// The SHA-256 (lower-case hex) the kiosk sends and the centre checks.
    pub fn digest(version: &str, text: &str, format: &str, signature: &str) -> String {
        let mut hasher = Sha256::new();
        for part in [version, text, format, signature] {
            hasher.update(part.as_bytes());
            hasher.update(b"\n");
        }
        hex(&hasher.finalize())
    }

    /// Whether the hash matches the content (a letter changed on the way,
    /// or in the archive, does not).
    pub fn verify(&self) -> bool {
        self.signature_format == SIGNATURE_FORMAT
            && SignedLetter::digest(
                &self.version,
                &self.text,
                &self.signature_format,
                &self.signature,
            ) == self.sha256
    }

    /// The strokes of the signature (pad coordinates).
    pub fn strokes(&self) -> Vec<Vec<(u16, u16)>> {
        self.signature
            .split('|')
            .take(200)
            .map(parse_stroke)
            .filter(|s| !s.is_empty())
            .collect()
    }

    /// The signature as a 1-bit image for a reprint (as on the first copy).
    pub fn signature_bitmap(&self) -> Option<Bitmap> {
        signature_bitmap(&self.strokes())
    }

    /// The last day the agency must keep it.
    pub fn keep_until(&self) -> NaiveDate {
        self.signed_on
            .checked_add_months(chrono::Months::new(RETENTION_MONTHS))
            .unwrap_or(NaiveDate::MAX)
    }

    /// The name on the letter, masked, for logs.
    pub fn masked_name(&self) -> String {
        self.text
            .lines()
            .find_map(|l| l.strip_prefix("姓名："))
            .map(mask_name)
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::region::RegionProfile;

    fn letter() -> (String, CommitmentLetter) {
        let profile = RegionProfile::parse(
            "jilin.toml",
            include_str!("../../../data/regions/jilin.toml"),
        )
        .unwrap();
        let letter = profile.documents().commitment_letter.clone().unwrap();
        (
            template_version(profile.id(), profile.version(), &letter),
            letter,
        )
    }

    fn fields() -> LetterFields<'static> {
        LetterFields {
            name: "李秀兰",
            sex: "女",
            phone: "13812345678",
            id_number: "220203198508232046",
            insured_area: "吉林市",
            area_of_care: "海南省海口市",
            category: "异地长期居住人员",
        }
    }

    /// Seed 000 附件2 (archived by the agency, 两年内不得销毁): the letter
    /// as signed, its strokes and a hash the centre can check; two years'
    /// retention from the day it is signed.
    #[test]
    fn seed_000_annex_2_signed_letter_is_hashed_and_kept_two_years() {
        let (version, l) = letter();
        assert!(version.starts_with("jilin-v"), "{version}");
        let strokes = vec![
            vec![(10, 10), (200, 100)],
            vec![],
            vec![(300, 40), (959, 359)],
        ];
        let on = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
        let signed = SignedLetter::sign(version, &l, &fields(), &strokes, on);
        assert!(
            signed
                .text
                .starts_with("基本医疗保险异地就医备案个人承诺书\n姓名：李秀兰")
        );
        assert!(signed.text.contains("身份证号：220203********2046"));
        assert!(signed.text.contains("联系电话：138****5678"));
        assert!(signed.text.contains("4.对于自主开通服务后"));
        assert!(signed.text.ends_with("两年内不得销毁。"));
        assert!(!signed.text.contains("220203198508232046"));
        assert_eq!(signed.signature, "10,10;200,100|300,40;959,359");
        assert_eq!(signed.sha256.len(), 64);
        assert!(signed.verify());
        assert_eq!(
            signed.strokes(),
            vec![strokes[0].clone(), strokes[2].clone()]
        );
        assert!(signed.signature_bitmap().is_some());
        assert_eq!(
            signed.keep_until(),
            NaiveDate::from_ymd_opt(2028, 11, 22).unwrap()
        );
        // Any change is detected.
        let mut changed = signed.clone();
        changed.text = changed.text.replace("海口市", "三亚市");
        assert!(!changed.verify());
        let mut changed = signed.clone();
        changed.signature.push_str("|1,1;2,2");
        assert!(!changed.verify());
        // Debug shows no personal data.
        let debug = format!("{signed:?}");
        assert!(
            !debug.contains("李秀兰") && !debug.contains("海口"),
            "{debug}"
        );
        assert_eq!(signed.masked_name(), "李**");
    }
}

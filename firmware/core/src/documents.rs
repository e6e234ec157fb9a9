//! Documents the kiosk prints, as data. The printer driver's layout module
//! turns them into ESC/POS; tests check them without a printer. Dates,
//! money and masking are formatted here once, so paper and screen agree.

use std::fmt;

use chrono::NaiveDateTime;

use crate::Error;
use crate::enrollment::InsuredPerson;
use crate::identity::{mask_name, mask_number};
use crate::money::Yuan;
use crate::session::TerminalInfo;

/// 业务办理单 for an enrollment query: the details the citizen saw.
#[derive(Clone, PartialEq, Eq)]
pub struct BusinessSlip {
    /// Document title.
    pub title: String,
    /// The business done (参保信息查询).
    pub business: String,
    /// Slip serial number: terminal id, `yyMMddHHmmss` and a two-digit
    /// running number (fits one line of 58 mm paper).
    pub serial: String,
    /// When it was printed.
    pub printed_at: NaiveDateTime,
    /// Terminal id.
    pub terminal_id: String,
    /// Service hall.
    pub hall_name: String,
    /// The insured person's name.
    pub name: String,
    /// The ID number, masked as on screen.
    pub id_number_masked: String,
    /// The proxy (代办人) who did the business, masked: name and ID number.
    pub proxy: Option<String>,
    /// One block per insurance type.
    pub enrollments: Vec<SlipEnrollment>,
    /// Further facts of the business, label and value, printed as pairs
    /// (the premium receipt: 缴费年度, 实缴金额, 票据号 …).
    pub facts: Vec<(String, String)>,
    /// Notes printed at the bottom.
    pub notes: Vec<String>,
}

/// One insurance type on the slip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlipEnrollment {
    /// 险种.
    pub insurance_type: String,
    /// 参保状态.
    pub status: String,
    /// 缴费状态.
    pub payment: String,
    /// 参保日期 (YYYY-MM-DD).
    pub enrolled_from: String,
    /// 暂停/终止日期 (YYYY-MM-DD), if any.
    pub suspended_from: Option<String>,
    /// 统筹区.
    pub pooling_area: String,
    /// 人员类别.
    pub person_category: String,
    /// 单位.
    pub employer: Option<String>,
    /// 累计缴费月数.
    pub paid_months: u32,
    /// 个人账户余额.
    pub balance: Yuan,
}

/// Formats a date the way screen and paper show it.
pub fn format_date(date: chrono::NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

impl BusinessSlip {
    /// The slip for the enrollment query of `person`.
    pub fn enrollment_query(
        person: &InsuredPerson,
        terminal: &TerminalInfo,
        printed_at: NaiveDateTime,
        number: u64,
    ) -> BusinessSlip {
        BusinessSlip {
            title: "医疗保障业务办理单".into(),
            business: "参保信息查询".into(),
            serial: format!(
                "{}-{}{:02}",
                terminal.terminal_id,
                printed_at.format("%y%m%d%H%M%S"),
                number % 100
            ),
            printed_at,
            terminal_id: terminal.terminal_id.clone(),
            hall_name: terminal.hall_name.clone(),
            name: person.name.clone(),
            id_number_masked: mask_number(&person.id_number),
            proxy: None,
            enrollments: person
                .enrollments
                .iter()
                .map(|e| SlipEnrollment {
                    insurance_type: e.insurance_type.label().to_string(),
                    status: e.status.label().to_string(),
                    payment: e.payment.label().to_string(),
                    enrolled_from: format_date(e.enrolled_from),
                    suspended_from: e.suspended_from.map(format_date),
                    pooling_area: e.pooling_area.clone(),
                    person_category: e.person_category_text().to_string(),
                    employer: e.employer.clone(),
                    paid_months: e.paid_months,
                    balance: e.account_balance,
                })
                .collect(),
            facts: Vec::new(),
            notes: vec![
                "本单据仅记录本次查询结果，以医保经办机构记录为准。".into(),
                "缴费信息以税务部门确认为准。".into(),
            ],
        }
    }
}

impl fmt::Debug for BusinessSlip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BusinessSlip")
            .field("serial", &self.serial)
            .field("name", &mask_name(&self.name))
            .field("id_number", &self.id_number_masked)
            .field("enrollments", &self.enrollments.len())
            .finish_non_exhaustive()
    }
}

// ---------------------------------------------------------------------------
// Enrollment certificate (参保凭证), seed 000 §D.7.
// ---------------------------------------------------------------------------

pub use crate::region::CertificateLayout;
use crate::region::CertificateTexts;

/// Formats a month the way screen and paper show it (`YYYY-MM`).
pub fn format_month(date: chrono::NaiveDate) -> String {
    date.format("%Y-%m").to_string()
}

/// A phone number masked for paper: the first 3 and last 4 digits stay.
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    let n = chars.len();
    if n < 8 {
        return "*".repeat(n);
    }
    chars
        .iter()
        .enumerate()
        .map(|(i, c)| if i < 3 || i >= n - 4 { *c } else { '*' })
        .collect()
}

/// Certificate number 凭证号 in the seed's pattern
/// （省份）（统筹区）（年份）（第XXXX号）.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateNumber {
    /// 省份, e.g. 吉林省.
    pub province: String,
    /// 统筹区 name, e.g. 长春市.
    pub pooling_area: String,
    /// 统筹区 administrative code (6 digits), e.g. 220100.
    pub pooling_area_code: String,
    /// Year of issue.
    pub year: i32,
    /// Running number within the pooling area and year (issued by the
    /// central service).
    pub serial: u32,
}

impl CertificateNumber {
    /// The printed form: `（吉林省）（长春市）（2026）（第0042号）`.
    pub fn printed(&self) -> String {
        format!(
            "（{}）（{}）（{}）（第{:04}号）",
            self.province, self.pooling_area, self.year, self.serial
        )
    }

    /// The printed form split into its four bracketed parts (for wrapping
    /// at part boundaries on narrow paper).
    pub fn printed_parts(&self) -> [String; 4] {
        [
            format!("（{}）", self.province),
            format!("（{}）", self.pooling_area),
            format!("（{}）", self.year),
            format!("（第{:04}号）", self.serial),
        ]
    }

    /// The machine form used in the verification QR code:
    /// `<pooling area code>-<year>-<serial, 4+ digits>`, e.g. `220100-2026-0042`.
    pub fn machine(&self) -> String {
        format!(
            "{}-{}-{:04}",
            self.pooling_area_code, self.year, self.serial
        )
    }
}

/// The issuing (transfer-out) agency block of the transfer certificate
/// (转出地医疗保险经办机构信息).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgencyBlock {
    /// 机构名称 (the seal goes beside it).
    pub name: String,
    /// 地址.
    pub address: String,
    /// 行政区划代码.
    pub area_code: String,
    /// 邮政编码.
    pub postcode: String,
    /// 联系人 (a service desk or role, not a private person's data).
    pub contact: String,
    /// 联系电话.
    pub phone: String,
}

/// What the central service and the kiosk know for one certificate.
#[derive(Clone, PartialEq, Eq)]
pub struct CertificateFacts {
    /// 凭证号 (printed on the transfer layout; on both layouts it is the
    /// key of the verification QR code).
    pub number: CertificateNumber,
    /// 生成日期.
    pub generated_on: chrono::NaiveDate,
    /// 姓名.
    pub name: String,
    /// 身份证件号码, full: the certificate is the record the receiving
    /// agency checks, so it is printed unmasked (the citizen authenticated
    /// with the document itself); slips and receipts stay masked.
    pub id_number: String,
    /// 户籍所在地.
    pub hukou_place: String,
    /// 户籍类型.
    pub hukou_type: String,
    /// 基本医疗保险类型.
    pub insurance_type: String,
    /// 统筹区 (simple layout) or 转出地 (transfer layout).
    pub area: String,
    /// 参保时间 起 (month).
    pub from: chrono::NaiveDate,
    /// 参保时间 止 (month); `None` while enrolled (printed 至今).
    pub to: Option<chrono::NaiveDate>,
    /// 其中累计实际缴费月数.
    pub paid_months: u32,
    /// 个人账户余额.
    pub balance: Yuan,
    /// The transfer-out agency (required by the transfer layout).
    pub agency: Option<AgencyBlock>,
}

impl fmt::Debug for CertificateFacts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CertificateFacts")
            .field("number", &self.number.machine())
            .field("name", &mask_name(&self.name))
            .field("id_number", &mask_number(&self.id_number))
            .field("generated_on", &self.generated_on)
            .finish_non_exhaustive()
    }
}

impl CertificateFacts {
    /// The content the verification signature covers, for `layout` (see
    /// [`EnrollmentCertificate`]). The central service builds the same
    /// content from its own record when it signs or verifies.
    pub fn signed_content(&self, layout: CertificateLayout) -> String {
        let f = self;
        let layout = match layout {
            CertificateLayout::Simple => "simple",
            CertificateLayout::Transfer => "transfer",
        };
        [
            VERIFICATION_TAG.to_string(),
            f.number.machine(),
            layout.to_string(),
            format_date(f.generated_on),
            f.name.clone(),
            f.id_number.clone(),
            f.hukou_place.clone(),
            f.hukou_type.clone(),
            f.insurance_type.clone(),
            f.area.clone(),
            format_month(f.from),
            f.to.map(format_month).unwrap_or_default(),
            f.paid_months.to_string(),
            f.balance.fen().to_string(),
        ]
        .join("\n")
    }

    /// The verification payload `KCV1|<number>|<signature>` signed with
    /// `key` (what the central service does when it issues a number).
    pub fn verification(&self, layout: CertificateLayout, key: &[u8]) -> Result<String, Error> {
        let signature = sign(key, &self.signed_content(layout))?;
        Ok(format!(
            "{VERIFICATION_TAG}|{}|{signature}",
            self.number.machine()
        ))
    }
}

/// Version tag of the verification payload.
pub const VERIFICATION_TAG: &str = "KCV1";

/// Shortest accepted signing key.
pub const MIN_KEY_LEN: usize = 16;

/// The enrollment certificate 基本医疗保险参保凭证, ready to print.
///
/// # Verification QR code
///
/// The QR code holds `KCV1|<number>|<signature>`:
/// - `<number>` is [`CertificateNumber::machine`] (`220100-2026-0042`);
/// - `<signature>` is the unpadded base64url of HMAC-SHA256 over
///   [`EnrollmentCertificate::signed_content`] (43 characters), keyed with
///   the kiosk/centre certificate key (at least [`MIN_KEY_LEN`] bytes,
///   provisioned by the centre; the kiosk never prints or logs it).
///
/// The signed content is UTF-8, one field per line (`\n`, no trailing
/// newline): `KCV1`, number (machine form), layout (`simple`/`transfer`),
/// generation date `YYYY-MM-DD`, name, full ID number, 户籍所在地,
/// 户籍类型, insurance type, area (统筹区 or 转出地), from `YYYY-MM`,
/// to `YYYY-MM` or empty, paid months (decimal), balance in fen (decimal,
/// `-` for negative). A verifier (the central service's verification
/// transaction) looks the certificate up by number, rebuilds this content
/// from its own record, and compares signatures in constant time; a
/// scanner that does not hold the key learns only the number.
#[derive(Clone, PartialEq, Eq)]
pub struct EnrollmentCertificate {
    /// Which layout.
    pub layout: CertificateLayout,
    /// Title (from the region profile).
    pub title: String,
    /// Heading of the agency block (from the region profile).
    pub agency_heading: String,
    /// Notes 注意事项 (from the region profile; the transfer layout's four).
    pub notes: Vec<String>,
    /// The facts printed.
    pub facts: CertificateFacts,
    /// Issuer printed at the bottom (the region's agency name).
    pub issuer: String,
    /// The verification QR payload (`KCV1|…|…`).
    pub verification: String,
    /// The proxy (代办人) who asked for it, masked; printed below the
    /// signed content (it is not part of what the centre signed).
    pub proxy: Option<String>,
}

impl fmt::Debug for EnrollmentCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnrollmentCertificate")
            .field("layout", &self.layout)
            .field("facts", &self.facts)
            .finish_non_exhaustive()
    }
}

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

fn mac(key: &[u8], content: &str) -> Result<HmacSha256, Error> {
    use hmac::KeyInit;
    use hmac::Mac;
    if key.len() < MIN_KEY_LEN {
        return Err(Error::SigningKey);
    }
    let mut mac = HmacSha256::new_from_slice(key).map_err(|_| Error::SigningKey)?;
    mac.update(content.as_bytes());
    Ok(mac)
}

/// HMAC-SHA256 of `content` under `key`, as unpadded base64url.
pub fn sign(key: &[u8], content: &str) -> Result<String, Error> {
    use base64::Engine as _;
    use hmac::Mac;
    let tag = mac(key, content)?.finalize().into_bytes();
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(tag))
}

/// Checks a `KCV1|number|signature` payload against `content` (constant
/// time). What the central service's verification transaction does.
pub fn verify(key: &[u8], payload: &str, number: &str, content: &str) -> bool {
    use base64::Engine as _;
    use hmac::Mac;
    let mut parts = payload.split('|');
    let (Some(tag), Some(n), Some(sig), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    if tag != VERIFICATION_TAG || n != number {
        return false;
    }
    let Ok(sig) = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(sig) else {
        return false;
    };
    match mac(key, content) {
        Ok(m) => m.verify_slice(&sig).is_ok(),
        Err(_) => false,
    }
}

impl EnrollmentCertificate {
    /// Issues the certificate in the layout of `texts`, signing its
    /// verification QR code with `key`.
    ///
    /// Errors: [`Error::DocumentIncomplete`] when the transfer layout has
    /// no agency block; [`Error::SigningKey`] when the key is too short.
    pub fn issue(
        texts: &CertificateTexts,
        issuer: &str,
        facts: CertificateFacts,
        key: &[u8],
    ) -> Result<EnrollmentCertificate, Error> {
        if texts.layout == CertificateLayout::Transfer && facts.agency.is_none() {
            return Err(Error::DocumentIncomplete {
                document: "transfer certificate",
                field: "agency block",
            });
        }
        let verification = facts.verification(texts.layout, key)?;
        EnrollmentCertificate::assemble(texts, issuer, facts, verification)
    }

    /// The certificate in the layout of `texts`, with the verification
    /// payload the central service signed (the kiosk never holds the key).
    ///
    /// Errors: [`Error::DocumentIncomplete`] when the transfer layout has
    /// no agency block or the payload does not name this certificate.
    pub fn assemble(
        texts: &CertificateTexts,
        issuer: &str,
        facts: CertificateFacts,
        verification: String,
    ) -> Result<EnrollmentCertificate, Error> {
        if texts.layout == CertificateLayout::Transfer && facts.agency.is_none() {
            return Err(Error::DocumentIncomplete {
                document: "transfer certificate",
                field: "agency block",
            });
        }
        let expected = format!("{VERIFICATION_TAG}|{}|", facts.number.machine());
        if !verification.starts_with(&expected) || verification.len() <= expected.len() {
            return Err(Error::DocumentIncomplete {
                document: "certificate",
                field: "verification code",
            });
        }
        Ok(EnrollmentCertificate {
            layout: texts.layout,
            title: texts.title.clone(),
            agency_heading: texts
                .agency_block
                .first()
                .cloned()
                .unwrap_or_else(|| "转出地医疗保险经办机构信息".to_string()),
            notes: texts.notes.clone(),
            facts,
            issuer: issuer.to_string(),
            verification,
            proxy: None,
        })
    }

    /// The content the verification signature covers (see the type docs).
    pub fn signed_content(&self) -> String {
        self.facts.signed_content(self.layout)
    }

    /// 参保时间 起 as printed.
    pub fn from_text(&self) -> String {
        format_month(self.facts.from)
    }

    /// 参保时间 止 as printed (至今 while enrolled).
    pub fn to_text(&self) -> String {
        self.facts
            .to
            .map(format_month)
            .unwrap_or_else(|| "至今".to_string())
    }

    /// 个人账户余额 （大写）.
    pub fn balance_capital(&self) -> String {
        self.facts.balance.to_capital()
    }

    /// 个人账户余额 （小写）, with the ¥ sign as on screen.
    pub fn balance_digits(&self) -> String {
        format!("¥{}", self.facts.balance.display_digits())
    }
}

// ---------------------------------------------------------------------------
// Remote-care filing (异地就医备案): receipt and commitment letter copy.
// ---------------------------------------------------------------------------

/// A 1-bit image (e.g. the signature captured on the touch screen): rows
/// top to bottom, each `(width + 7) / 8` bytes, most significant bit
/// leftmost, 1 = black.
#[derive(Clone, PartialEq, Eq)]
pub struct Bitmap {
    width: u32,
    height: u32,
    bits: Vec<u8>,
}

impl fmt::Debug for Bitmap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Bitmap({}x{})", self.width, self.height)
    }
}

impl Bitmap {
    /// A bitmap from packed rows; `None` when `bits` does not hold exactly
    /// `height` rows of `(width + 7) / 8` bytes, or a side is 0 or above 4096.
    pub fn from_packed(width: u32, height: u32, bits: Vec<u8>) -> Option<Bitmap> {
        if width == 0 || height == 0 || width > 4096 || height > 4096 {
            return None;
        }
        let row = width.div_ceil(8) as usize;
        if bits.len() != row * height as usize {
            return None;
        }
        Some(Bitmap {
            width,
            height,
            bits,
        })
    }

    /// A blank (white) bitmap.
    pub fn blank(width: u32, height: u32) -> Option<Bitmap> {
        let row = width.div_ceil(8) as usize;
        Bitmap::from_packed(width, height, vec![0; row * height as usize])
    }

    /// Width in dots.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in dots.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// Bytes per row.
    pub fn row_bytes(&self) -> usize {
        self.width.div_ceil(8) as usize
    }

    /// The packed rows.
    pub fn bits(&self) -> &[u8] {
        &self.bits
    }

    /// Whether the dot at (x, y) is black (false outside).
    pub fn get(&self, x: u32, y: u32) -> bool {
        if x >= self.width || y >= self.height {
            return false;
        }
        let i = y as usize * self.row_bytes() + (x / 8) as usize;
        self.bits.get(i).is_some_and(|b| b & (0x80 >> (x % 8)) != 0)
    }

    /// Sets the dot at (x, y) (ignored outside).
    pub fn set(&mut self, x: u32, y: u32, black: bool) {
        if x >= self.width || y >= self.height {
            return;
        }
        let i = y as usize * self.row_bytes() + (x / 8) as usize;
        if let Some(b) = self.bits.get_mut(i) {
            let mask = 0x80 >> (x % 8);
            if black {
                *b |= mask;
            } else {
                *b &= !mask;
            }
        }
    }
}

/// 异地就医备案回执: what the citizen takes home after a self-service filing.
#[derive(Clone, PartialEq, Eq)]
pub struct FilingReceipt {
    /// Title.
    pub title: String,
    /// 备案编号 (from the central service).
    pub filing_number: String,
    /// When it was filed (printed time).
    pub filed_at: NaiveDateTime,
    /// Terminal id.
    pub terminal_id: String,
    /// Service hall.
    pub hall_name: String,
    /// 姓名.
    pub name: String,
    /// ID number, masked as on screen.
    pub id_number_masked: String,
    /// 参保地.
    pub insured_area: String,
    /// 备案类别 (the region's label, e.g. 异地长期居住人员).
    pub category: String,
    /// 就医地 (province and prefecture).
    pub area_of_care: String,
    /// 生效日期.
    pub effective_on: chrono::NaiveDate,
    /// 有效期 (the region's validity text for the category, or an end date).
    pub validity: String,
    /// 就医机构: the networked designated institutions chosen.
    pub institutions: Vec<String>,
    /// Notes printed at the bottom (region's filing notes).
    pub notes: Vec<String>,
}

impl fmt::Debug for FilingReceipt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FilingReceipt")
            .field("filing_number", &self.filing_number)
            .field("name", &mask_name(&self.name))
            .field("id_number", &self.id_number_masked)
            .field("institutions", &self.institutions.len())
            .finish_non_exhaustive()
    }
}

/// A copy of the signed personal commitment letter (个人承诺书) for the
/// citizen; the original is archived by the agency.
#[derive(Clone, PartialEq, Eq)]
pub struct CommitmentLetterCopy {
    /// Title (region profile).
    pub title: String,
    /// 姓名.
    pub name: String,
    /// 性别.
    pub sex: String,
    /// 联系电话, masked (first 3 and last 4).
    pub phone_masked: String,
    /// 身份证号, masked as on screen.
    pub id_number_masked: String,
    /// 参保地.
    pub insured_area: String,
    /// 就医地.
    pub area_of_care: String,
    /// 人员类别 (the ticked category).
    pub category: String,
    /// The undertakings 需承诺的事项 (region profile; four in Jilin).
    pub undertakings: Vec<String>,
    /// 本人签字: the signature as drawn on the touch screen.
    pub signature: Bitmap,
    /// Date signed.
    pub signed_on: chrono::NaiveDate,
    /// Archive note (region profile).
    pub archive_note: String,
    /// The filing it belongs to.
    pub filing_number: String,
    /// The proxy (代办人) who filed it, masked.
    pub proxy: Option<String>,
}

impl fmt::Debug for CommitmentLetterCopy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CommitmentLetterCopy")
            .field("filing_number", &self.filing_number)
            .field("name", &mask_name(&self.name))
            .field("signature", &self.signature)
            .finish_non_exhaustive()
    }
}

impl CommitmentLetterCopy {
    /// The copy from the region's letter texts and the person's answers.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        letter: &crate::region::CommitmentLetter,
        name: &str,
        sex: &str,
        phone: &str,
        id_number: &str,
        insured_area: &str,
        area_of_care: &str,
        category: &str,
        signature: Bitmap,
        signed_on: chrono::NaiveDate,
        filing_number: &str,
    ) -> CommitmentLetterCopy {
        CommitmentLetterCopy {
            title: letter.title.clone(),
            name: name.to_string(),
            sex: sex.to_string(),
            phone_masked: mask_phone(phone),
            id_number_masked: mask_number(id_number),
            insured_area: insured_area.to_string(),
            area_of_care: area_of_care.to_string(),
            category: category.to_string(),
            undertakings: letter.undertakings.clone(),
            signature,
            signed_on,
            archive_note: letter.archive_note.clone(),
            filing_number: filing_number.to_string(),
            proxy: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::region::RegionProfile;

    const KEY: &[u8] = b"0123456789abcdef-test-key";

    fn texts(layout: CertificateLayout) -> CertificateTexts {
        let profile = RegionProfile::parse(
            "jilin.toml",
            include_str!("../../../data/regions/jilin.toml"),
        )
        .unwrap();
        profile.documents().certificate(layout).unwrap().clone()
    }

    fn facts(agency: bool) -> CertificateFacts {
        let d = |y, m, day| chrono::NaiveDate::from_ymd_opt(y, m, day).unwrap();
        CertificateFacts {
            number: CertificateNumber {
                province: "吉林省".into(),
                pooling_area: "长春市".into(),
                pooling_area_code: "220100".into(),
                year: 2026,
                serial: 7,
            },
            generated_on: d(2026, 11, 22),
            name: "李秀兰".into(),
            id_number: "220203198508232046".into(),
            hukou_place: "吉林省吉林市".into(),
            hukou_type: "非农业户口".into(),
            insurance_type: "职工基本医疗保险".into(),
            area: "长春市".into(),
            from: d(2012, 7, 1),
            to: None,
            paid_months: 172,
            balance: "1680.32".parse().unwrap(),
            agency: agency.then(|| AgencyBlock {
                name: "长春市社会医疗保险管理局".into(),
                address: "长春市".into(),
                area_code: "220100".into(),
                postcode: "130022".into(),
                contact: "窗口".into(),
                phone: "0431-12393".into(),
            }),
        }
    }

    #[test]
    fn certificate_number_forms() {
        let n = facts(false).number;
        assert_eq!(n.printed(), "（吉林省）（长春市）（2026）（第0007号）");
        assert_eq!(n.machine(), "220100-2026-0007");
    }

    #[test]
    fn transfer_layout_needs_the_agency_block() {
        let err = EnrollmentCertificate::issue(
            &texts(CertificateLayout::Transfer),
            "吉林省社会医疗保险管理局",
            facts(false),
            KEY,
        )
        .unwrap_err();
        assert!(matches!(err, Error::DocumentIncomplete { .. }));
        assert!(!err.user_message().is_empty());
    }

    #[test]
    fn short_keys_are_refused() {
        let err = EnrollmentCertificate::issue(
            &texts(CertificateLayout::Simple),
            "x",
            facts(false),
            b"short",
        )
        .unwrap_err();
        assert_eq!(err, Error::SigningKey);
    }

    #[test]
    fn the_verification_payload_verifies_and_detects_tampering() {
        let cert = EnrollmentCertificate::issue(
            &texts(CertificateLayout::Transfer),
            "吉林省社会医疗保险管理局",
            facts(true),
            KEY,
        )
        .unwrap();
        assert_eq!(cert.notes.len(), 4);
        let payload = &cert.verification;
        assert!(payload.starts_with("KCV1|220100-2026-0007|"));
        assert_eq!(payload.len(), "KCV1|220100-2026-0007|".len() + 43);
        let content = cert.signed_content();
        assert!(verify(KEY, payload, "220100-2026-0007", &content));
        // Another balance, another number, another key: refused.
        let mut other = cert.clone();
        other.facts.balance = "1680.33".parse().unwrap();
        assert!(!verify(
            KEY,
            payload,
            "220100-2026-0007",
            &other.signed_content()
        ));
        assert!(!verify(KEY, payload, "220100-2026-0008", &content));
        assert!(!verify(
            b"another-key-0123456789",
            payload,
            "220100-2026-0007",
            &content
        ));
        assert!(!verify(
            KEY,
            "KCV1|220100-2026-0007|!!",
            "220100-2026-0007",
            &content
        ));
        // Money and dates as on screen; capital numerals.
        assert_eq!(cert.balance_digits(), "¥1,680.32");
        assert_eq!(cert.balance_capital(), "壹仟陆佰捌拾元零叁角贰分");
        assert_eq!(cert.from_text(), "2012-07");
        assert_eq!(cert.to_text(), "至今");
    }

    #[test]
    fn debug_output_masks_personal_data() {
        let cert =
            EnrollmentCertificate::issue(&texts(CertificateLayout::Simple), "x", facts(false), KEY)
                .unwrap();
        let debug = format!("{cert:?}");
        assert!(!debug.contains("李秀兰"));
        assert!(!debug.contains("220203198508232046"));
        assert!(!debug.contains(&cert.verification));
    }

    #[test]
    fn phones_and_bitmaps() {
        assert_eq!(mask_phone("13904310123"), "139****0123");
        assert_eq!(mask_phone("12393"), "*****");
        assert!(Bitmap::from_packed(9, 2, vec![0; 3]).is_none());
        let mut b = Bitmap::from_packed(9, 2, vec![0; 4]).unwrap();
        b.set(8, 1, true);
        assert!(b.get(8, 1));
        assert_eq!(b.bits()[3], 0x80);
        assert!(!b.get(9, 1));
    }
}

/// Certificates for the tests of other modules.
#[cfg(test)]
pub(crate) mod tests_support {
    use super::*;
    use crate::region::RegionProfile;

    /// A signed demo certificate in `layout` (Jilin's texts).
    pub(crate) fn certificate(layout: CertificateLayout) -> EnrollmentCertificate {
        let profile = RegionProfile::parse(
            "jilin.toml",
            include_str!("../../../data/regions/jilin.toml"),
        )
        .unwrap();
        let texts = profile.documents().certificate(layout).unwrap();
        let d = |y, m, day| chrono::NaiveDate::from_ymd_opt(y, m, day).unwrap();
        let facts = CertificateFacts {
            number: CertificateNumber {
                province: "吉林省".into(),
                pooling_area: "吉林市".into(),
                pooling_area_code: "220200".into(),
                year: 2026,
                serial: 1,
            },
            generated_on: d(2026, 11, 22),
            name: "李秀兰".into(),
            id_number: "220203198508232046".into(),
            hukou_place: "吉林省吉林市".into(),
            hukou_type: "居民户口".into(),
            insurance_type: "职工基本医疗保险".into(),
            area: "吉林市".into(),
            from: d(2008, 7, 1),
            to: None,
            paid_months: 219,
            balance: "3521.40".parse().unwrap(),
            agency: Some(AgencyBlock {
                name: "吉林市医疗保障事业管理中心".into(),
                address: "吉林市".into(),
                area_code: "220200".into(),
                postcode: "132000".into(),
                contact: "窗口".into(),
                phone: "12393".into(),
            }),
        };
        EnrollmentCertificate::issue(texts, "吉林市医疗保障局", facts, b"0123456789abcdef-test")
            .unwrap()
    }
}

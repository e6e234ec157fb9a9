//! Payloads of the national transactions, with their wire names. Mapping to
//! the domain names of the glossary happens in [`crate::mapping`], at the edge.
//!
//! Types that carry personal data implement `Debug` by hand and mask it.

use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use kiosk_core::identity::{mask_name, mask_number};

/// 9001 sign-in input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignInInput {
    /// The sign-in record.
    #[serde(rename = "signIn")]
    pub sign_in: SignInData,
}

/// 9001 sign-in record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignInData {
    /// Operator (terminal) number.
    pub opter_no: String,
    /// MAC address of the terminal.
    pub mac: String,
    /// IP address of the terminal.
    pub ip: String,
}

/// 9001 sign-in output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignInOutput {
    /// The sign-in result.
    pub signinoutb: SignInResult,
}

/// 9001 sign-in result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignInResult {
    /// When the centre signed the terminal in.
    pub sign_time: String,
    /// The sign number every later message carries.
    pub sign_no: String,
}

/// 1101 person information input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PersonQueryInput {
    /// The query.
    pub data: PersonQueryData,
}

/// 1101 query fields.
#[derive(Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct PersonQueryData {
    /// Credential kind: 01 e-voucher, 02 ID document, 03 social security card.
    pub mdtrt_cert_type: String,
    /// Credential number: the token, the document number or the card number.
    pub mdtrt_cert_no: String,
    /// Card identification code (required for 03).
    #[serde(default)]
    pub card_sn: String,
    /// Start time of the query period (unused by the kiosk).
    #[serde(default)]
    pub begntime: String,
    /// Document kind of `certno` (01 resident ID card).
    #[serde(default)]
    pub psn_cert_type: String,
    /// Document number.
    #[serde(default)]
    pub certno: String,
    /// Name as on the document.
    #[serde(default)]
    pub psn_name: String,
}

impl fmt::Debug for PersonQueryData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PersonQueryData")
            .field("mdtrt_cert_type", &self.mdtrt_cert_type)
            .field("mdtrt_cert_no", &mask_number(&self.mdtrt_cert_no))
            .finish_non_exhaustive()
    }
}

/// 1101 output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PersonQueryOutput {
    /// Identity of the person.
    pub baseinfo: BaseInfo,
    /// One record per insurance type.
    #[serde(default)]
    pub insuinfo: Vec<InsuInfo>,
    /// Identity categories (special groups).
    #[serde(default)]
    pub idetinfo: Vec<IdetInfo>,
}

/// 1101 `baseinfo`.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct BaseInfo {
    /// Person number.
    pub psn_no: String,
    /// Document kind.
    pub psn_cert_type: String,
    /// Document number.
    pub certno: String,
    /// Name.
    pub psn_name: String,
    /// Sex code.
    pub gend: String,
    /// Ethnic group code.
    #[serde(default)]
    pub naty: String,
    /// Birth date `yyyy-MM-dd`.
    pub brdy: String,
    /// Age in years.
    #[serde(default)]
    pub age: Decimal,
}

impl fmt::Debug for BaseInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BaseInfo")
            .field("certno", &mask_number(&self.certno))
            .field("psn_name", &mask_name(&self.psn_name))
            .finish_non_exhaustive()
    }
}

/// 1101 `insuinfo`: one insurance type of the person.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct InsuInfo {
    /// Personal account balance (decimal 16,2).
    pub balc: Decimal,
    /// Insurance type code.
    pub insutype: String,
    /// Person category code.
    pub psn_type: String,
    /// Enrollment status code.
    pub psn_insu_stas: String,
    /// Enrolled since `yyyy-MM-dd`.
    pub psn_insu_date: String,
    /// Suspended since `yyyy-MM-dd`, when suspended.
    #[serde(default)]
    pub paus_insu_date: Option<String>,
    /// Civil-servant flag.
    #[serde(default)]
    pub cvlserv_flag: String,
    /// Insured area (pooling area) code.
    pub insuplc_admdvs: String,
    /// Employer name.
    #[serde(default)]
    pub emp_name: String,
}

impl fmt::Debug for InsuInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InsuInfo")
            .field("insutype", &self.insutype)
            .field("psn_insu_stas", &self.psn_insu_stas)
            .finish_non_exhaustive()
    }
}

/// 1101 `idetinfo`: an identity category.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IdetInfo {
    /// Identity category code.
    pub psn_idet_type: String,
    /// Level within the category.
    #[serde(default)]
    pub psn_type_lv: String,
    /// Note.
    #[serde(default)]
    pub memo: String,
    /// Valid from.
    #[serde(default)]
    pub begntime: String,
    /// Valid until.
    #[serde(default)]
    pub endtime: String,
}

/// KS01 enrollment detail input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnrollmentDetailInput {
    /// Person number from 1101.
    pub psn_no: String,
}

/// KS01 enrollment detail output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnrollmentDetailOutput {
    /// One record per insurance type.
    pub items: Vec<EnrollmentDetailItem>,
}

/// KS01 record: what 1101 does not say about one insurance type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnrollmentDetailItem {
    /// Insurance type code.
    pub insutype: String,
    /// Payment status (project code: 1 assessed, 2 paid, 3 interrupted).
    pub paym_stas: String,
    /// Cumulative paid months.
    pub acml_paid_mons: u32,
    /// Name of the person category (`psn_type`) in the centre's dictionary.
    #[serde(default)]
    pub psn_type_name: String,
    /// Name of the insured (pooling) area.
    #[serde(default)]
    pub insuplc_admdvs_name: String,
}

/// Masks a telephone number for `Debug`.
fn mask_tel(tel: &str) -> String {
    mask_number(tel)
}

/// KS02 contribution history input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContributionHistoryInput {
    /// Person number from 1101.
    pub psn_no: String,
    /// Only this insurance type ('' for all).
    #[serde(default)]
    pub insutype: String,
    /// First month, `yyyyMM`.
    pub begn_ym: String,
    /// Last month, `yyyyMM`.
    pub end_ym: String,
}

/// KS02 output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContributionHistoryOutput {
    /// One record per insurance type and month, oldest first.
    pub items: Vec<ContributionItem>,
}

/// KS02 record: one month of one insurance type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContributionItem {
    /// Month, `yyyyMM`.
    pub ym: String,
    /// Insurance type code.
    pub insutype: String,
    /// Contribution base (缴费基数).
    pub clct_base: Decimal,
    /// Paid by the person.
    pub psn_amt: Decimal,
    /// Paid by the employer (0 for residents and flexible workers).
    pub emp_amt: Decimal,
    /// Credited to the personal account.
    pub acct_amt: Decimal,
    /// 1 paid, 0 due and not paid.
    pub clct_stas: String,
}

/// KS06 personal account statement input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountStatementInput {
    /// Person number from 1101.
    pub psn_no: String,
    /// First month, `yyyyMM`.
    pub begn_ym: String,
    /// Last month, `yyyyMM`.
    pub end_ym: String,
}

/// KS06 output: the balance now and the entries of the range.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountStatementOutput {
    /// Balance now (账户余额).
    pub acct_balc: Decimal,
    /// Balance before the first entry of the range (期初余额).
    pub begn_balc: Decimal,
    /// The entries, oldest first.
    pub items: Vec<AccountEntryItem>,
}

/// KS06 record: one credit or debit of the personal account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountEntryItem {
    /// When, `yyyy-MM-dd`.
    pub date: String,
    /// `credit` 划入, `outpatient` 门诊, `pharmacy` 购药, `inpatient` 住院,
    /// `mutual_aid` 家庭共济, `refund` 退回.
    pub kind: String,
    /// Signed amount: credits positive, debits negative.
    pub amt: Decimal,
    /// Balance after the entry.
    pub balc: Decimal,
    /// The institution (debits), or the month credited (`yyyyMM`, credits).
    #[serde(default)]
    pub detail: String,
    /// Family mutual aid: the family member's relation (e.g. 母亲); never
    /// their name or number.
    #[serde(default)]
    pub relation: String,
}

/// KS07 settlement records input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SettlementQueryInput {
    /// Person number from 1101.
    pub psn_no: String,
    /// First day, `yyyy-MM-dd`.
    pub begn_date: String,
    /// Last day, `yyyy-MM-dd`.
    pub end_date: String,
}

/// KS07 output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SettlementQueryOutput {
    /// The settlements, newest first.
    pub items: Vec<SettlementItem>,
}

/// KS07 record: one settlement 结算.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SettlementItem {
    /// Settlement id 结算流水号.
    pub setl_id: String,
    /// Settlement time, `yyyy-MM-dd HH:mm:ss`.
    pub setl_time: String,
    /// Institution name.
    pub fixmedins_name: String,
    /// Institution's area code (6 digits).
    pub fixmedins_admdvs: String,
    /// `11` outpatient 普通门诊, `14` chronic outpatient 门诊慢特病, `21`
    /// inpatient 住院, `41` pharmacy 定点药店购药.
    pub med_type: String,
    /// `local` 本地, `province` 省内异地, `cross` 跨省异地.
    pub scope: String,
    /// Total medical cost 医疗费总额.
    pub medfee_sumamt: Decimal,
    /// Paid by the funds 基金支付.
    pub fund_pay_sumamt: Decimal,
    /// Paid from the personal account 个人账户支付.
    pub acct_pay: Decimal,
    /// Paid in cash by the person 个人现金支付.
    pub psn_cash_pay: Decimal,
    /// `settled` 已结算, `clearing` 已结算·跨省清算中, `cleared` 已清算,
    /// `reversed` 已冲销.
    pub stas: String,
}

/// KS03 certificate issue input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CertificateIssueInput {
    /// Person number from 1101.
    pub psn_no: String,
    /// Kind of certificate (`enrollment` 参保凭证).
    pub cert_kind: String,
    /// Insurance types the certificate covers ('' for all).
    #[serde(default)]
    pub insutype: String,
    /// Layout: `simple` or `transfer` (the signature covers it).
    #[serde(default = "simple_layout")]
    pub layout: String,
}

fn simple_layout() -> String {
    "simple".to_string()
}

/// KS03 output: the centre's number for the certificate, the facts it
/// stands behind, and its signature over them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CertificateIssueOutput {
    /// Certificate number, machine form `<area>-<year>-<serial>`.
    pub cert_no: String,
    /// The centre's signature over the certificate content (the third
    /// part of the `KCV1|number|signature` QR payload).
    pub verify_code: String,
    /// When issued, `yyyy-MM-dd HH:mm:ss`.
    pub issued_at: String,
    /// Valid until, `yyyy-MM-dd`.
    pub valid_until: String,
    /// What the certificate says (absent from centres that only number
    /// certificates: the kiosk then cannot print one).
    #[serde(default)]
    pub facts: Option<CertificateFactsWire>,
}

/// The printed facts of a certificate, as the centre signed them.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct CertificateFactsWire {
    /// 省份 of the number.
    pub prov_name: String,
    /// 统筹区 name of the number.
    pub poolarea_name: String,
    /// 统筹区 code.
    pub poolarea_code: String,
    /// Year of the number.
    pub year: i32,
    /// Running number within area and year.
    pub serial: u32,
    /// 生成日期 `yyyy-MM-dd`.
    pub gen_date: String,
    /// 姓名.
    pub psn_name: String,
    /// 身份证件号码.
    pub certno: String,
    /// 户籍所在地.
    #[serde(default)]
    pub hsreg_addr: String,
    /// 户籍类型.
    #[serde(default)]
    pub hsreg_type: String,
    /// 基本医疗保险类型 (name).
    pub insutype_name: String,
    /// 统筹区 / 转出地 name.
    pub area_name: String,
    /// 参保时间 起 `yyyy-MM`.
    pub begn_ym: String,
    /// 参保时间 止 `yyyy-MM`, empty while enrolled.
    #[serde(default)]
    pub end_ym: String,
    /// 累计实际缴费月数.
    pub paid_mons: u32,
    /// 个人账户余额.
    pub balc: Decimal,
    /// 转出地经办机构 (transfer layout).
    #[serde(default)]
    pub agency: Option<AgencyWire>,
}

impl fmt::Debug for CertificateFactsWire {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CertificateFactsWire")
            .field("poolarea_code", &self.poolarea_code)
            .field("year", &self.year)
            .field("serial", &self.serial)
            .field("certno", &mask_number(&self.certno))
            .field("psn_name", &mask_name(&self.psn_name))
            .finish_non_exhaustive()
    }
}

/// The issuing agency block of a transfer certificate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgencyWire {
    /// 机构名称.
    pub name: String,
    /// 地址.
    pub addr: String,
    /// 行政区划代码.
    pub admdvs: String,
    /// 邮政编码.
    pub poscode: String,
    /// 联系人.
    pub cont: String,
    /// 联系电话.
    pub tel: String,
}

/// KS04 certificate verification input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CertificateVerifyInput {
    /// Certificate number.
    pub cert_no: String,
    /// Verification code.
    pub verify_code: String,
}

/// KS04 output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CertificateVerifyOutput {
    /// `valid`, `expired` or `unknown` (number and code do not match).
    pub status: String,
    /// Kind of certificate.
    #[serde(default)]
    pub cert_kind: String,
    /// When issued.
    #[serde(default)]
    pub issued_at: String,
    /// Valid until.
    #[serde(default)]
    pub valid_until: String,
    /// The holder's name, masked by the centre (王*国).
    #[serde(default)]
    pub psn_name_masked: String,
}

/// Remote-care filing types (备案类型), project codes.
pub mod filing_type {
    /// 异地安置退休 resettled retiree (long-term).
    pub const RESETTLED_RETIREE: &str = "1";
    /// 异地长期居住 long-term resident (long-term).
    pub const LONG_TERM_RESIDENT: &str = "2";
    /// 常驻异地工作 stationed worker (long-term).
    pub const STATIONED_WORKER: &str = "3";
    /// 临时外出就医 temporary trip.
    pub const TEMPORARY_TRIP: &str = "4";
    /// 异地转诊 referral.
    pub const REFERRAL: &str = "5";

    /// Whether the type is a long-term filing (one at a time, lock period).
    pub fn is_long_term(code: &str) -> bool {
        matches!(
            code,
            RESETTLED_RETIREE | LONG_TERM_RESIDENT | STATIONED_WORKER
        )
    }
}

/// Status of a remote-care filing (KS12 `status`).
pub mod filing_status {
    /// 有效 in force.
    pub const VALID: &str = "1";
    /// 已暂停 suspended by the insured person (seed 001 备注2), resumable.
    pub const SUSPENDED: &str = "2";
    /// 已取消 cancelled.
    pub const CANCELLED: &str = "3";
    /// 已到期终止: a dated filing past its end date ended by itself
    /// (seed 000 E2–E4 8.1).
    pub const EXPIRED: &str = "4";
}

/// KS11 remote-care filing submit input.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct FilingSubmitInput {
    /// Person number.
    pub psn_no: String,
    /// Document number.
    pub certno: String,
    /// Name.
    pub psn_name: String,
    /// Contact telephone.
    pub tel: String,
    /// Filing type ([`filing_type`]).
    pub filing_type: String,
    /// Insured area code.
    pub insuplc_admdvs: String,
    /// Area of care (destination) code.
    pub mdtrtarea_admdvs: String,
    /// Start date `yyyy-MM-dd`.
    pub begndate: String,
    /// End date `yyyy-MM-dd` ('' for open-ended long-term filings).
    #[serde(default)]
    pub enddate: String,
    /// Designated institution (referrals).
    #[serde(default)]
    pub fixmedins_code: String,
    /// The citizen signed the commitment letter (个人承诺书).
    pub commitment: bool,
    /// Second contact telephone (003 附件7: 联系电话2).
    #[serde(default)]
    pub tel2: String,
    /// Address at the place of care (异地联系地址).
    #[serde(default)]
    pub mdtrt_addr: String,
    /// Designated institutions chosen for long-term filings.
    #[serde(default)]
    pub fixmedins_codes: Vec<String>,
    /// The proxy (代办人) who filed it, masked; empty when filed in person.
    #[serde(default)]
    pub agnter: String,
    /// How the proxy's written authorisation (书面委托) was captured:
    /// `staff_confirmed@<time>` or `photo:<sha256>@<time>`; empty when
    /// filed in person.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub agnt_authz: String,
    /// The signed commitment letter for the agency's archive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub letter: Option<CommitmentLetterWire>,
}

/// The signed commitment letter (个人承诺书) as the agency archives it
/// (seed 000 附件2); see `kiosk_core::letter::SignedLetter`.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct CommitmentLetterWire {
    /// Version of the letter text.
    pub letter_version: String,
    /// The letter as signed (ID and phone masked as on the copy).
    pub letter_text: String,
    /// Signature encoding (`strokes/960x360`).
    pub sign_format: String,
    /// The signature.
    pub sign_data: String,
    /// Date signed, `yyyy-MM-dd`.
    pub sign_date: String,
    /// Hex SHA-256 over version, text, format and signature.
    pub sha256: String,
}

impl fmt::Debug for CommitmentLetterWire {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CommitmentLetterWire")
            .field("letter_version", &self.letter_version)
            .field("sign_date", &self.sign_date)
            .field("sha256", &self.sha256)
            .finish_non_exhaustive()
    }
}

/// KS15 input: the archived letter of a filing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FilingLetterInput {
    /// Person number.
    pub psn_no: String,
    /// Filing number.
    pub filing_no: String,
}

/// KS15 output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FilingLetterOutput {
    /// Filing number.
    pub filing_no: String,
    /// Kept until (`yyyy-MM-dd`), then deleted.
    pub keep_until: String,
    /// The letter as stored.
    pub letter: CommitmentLetterWire,
}

/// KS17 input: the person's registered outpatient chronic and special
/// diseases (门诊慢特病).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChronicQueryInput {
    /// Person number.
    pub psn_no: String,
}

/// KS17 output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChronicQueryOutput {
    /// The registered diseases, newest certification first.
    #[serde(default)]
    pub conditions: Vec<ChronicCondition>,
}

/// One registered outpatient chronic or special disease with its
/// designated institutions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChronicCondition {
    /// Certification number 认定编号.
    pub cert_no: String,
    /// `chronic` (门诊慢性病) or `special` (门诊特殊疾病).
    pub kind: String,
    /// Disease name 病种.
    pub disease: String,
    /// Pooling area of the certification (6 digits).
    pub admdvs: String,
    /// Certified on `yyyy-MM-dd`.
    pub certified_on: String,
    /// Designated hospital code and name.
    pub hosp_code: String,
    /// Its name.
    pub hosp_name: String,
    /// Designated pharmacy code, empty when none.
    #[serde(default)]
    pub phar_code: String,
    /// Its name.
    #[serde(default)]
    pub phar_name: String,
}

/// KS18 input: change the designated hospital or pharmacy of a
/// registered chronic / special disease.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChronicChangeInput {
    /// Person number.
    pub psn_no: String,
    /// Certification number.
    pub cert_no: String,
    /// `hospital` or `pharmacy`.
    pub slot: String,
    /// The new institution (fixmedins_code).
    pub fixmedins_code: String,
    /// The proxy (代办人) who asked, masked; empty in person.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub agnter: String,
    /// How the proxy's written authorisation was captured.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub agnt_authz: String,
}

/// KS18 output: the change as recorded (即办件: at once).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChronicChangeOutput {
    /// The centre's number of the business 办理单号.
    pub change_no: String,
    /// The condition as it now stands.
    pub condition: ChronicCondition,
}

/// KS16 input: suspend or resume a filing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FilingSuspendInput {
    /// Person number.
    pub psn_no: String,
    /// Filing number.
    pub filing_no: String,
    /// `suspend` or `resume`.
    pub action: String,
}

impl fmt::Debug for FilingSubmitInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FilingSubmitInput")
            .field("certno", &mask_number(&self.certno))
            .field("psn_name", &mask_name(&self.psn_name))
            .field("tel", &mask_tel(&self.tel))
            .field("filing_type", &self.filing_type)
            .field("mdtrtarea_admdvs", &self.mdtrtarea_admdvs)
            .finish_non_exhaustive()
    }
}

/// KS11 / KS13 / KS14 output: the filing as the centre now holds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FilingOutput {
    /// The centre's filing number.
    pub filing_no: String,
    /// [`filing_status`]: 1 valid, 3 cancelled, 4 ended by its end date.
    pub status: String,
    /// Start date.
    pub begndate: String,
    /// End date ('' open-ended).
    #[serde(default)]
    pub enddate: String,
    /// Until when change and cancel are locked ('' when not locked).
    #[serde(default)]
    pub lock_until: String,
}

/// KS12 remote-care filing query input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FilingQueryInput {
    /// Person number.
    pub psn_no: String,
}

/// KS12 output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FilingQueryOutput {
    /// The person's filings, newest first.
    pub filings: Vec<FilingRecord>,
}

/// KS12 record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FilingRecord {
    /// Filing number.
    pub filing_no: String,
    /// Filing type.
    pub filing_type: String,
    /// Area of care.
    pub mdtrtarea_admdvs: String,
    /// Start date.
    pub begndate: String,
    /// End date.
    #[serde(default)]
    pub enddate: String,
    /// [`filing_status`]: 1 valid, 3 cancelled, 4 ended by its end date.
    pub status: String,
    /// When filed, `yyyy-MM-dd`.
    pub filed_on: String,
    /// Until when change and cancel are locked ('' when not locked).
    #[serde(default)]
    pub lock_until: String,
}

/// KS13 remote-care filing change input. Empty fields stay unchanged.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct FilingChangeInput {
    /// Person number.
    pub psn_no: String,
    /// Filing number.
    pub filing_no: String,
    /// New area of care.
    #[serde(default)]
    pub mdtrtarea_admdvs: String,
    /// New end date.
    #[serde(default)]
    pub enddate: String,
    /// New telephone.
    #[serde(default)]
    pub tel: String,
}

impl fmt::Debug for FilingChangeInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FilingChangeInput")
            .field("filing_no", &self.filing_no)
            .field("mdtrtarea_admdvs", &self.mdtrtarea_admdvs)
            .finish_non_exhaustive()
    }
}

/// KS14 remote-care filing cancel input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FilingCancelInput {
    /// Person number.
    pub psn_no: String,
    /// Filing number.
    pub filing_no: String,
    /// Reason given by the citizen.
    #[serde(default)]
    pub reason: String,
}

/// KS21 satisfaction rating input (no personal data).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RatingInput {
    /// The kiosk's id for the rating.
    pub rating_id: String,
    /// Business item rated (`enrollment_query`, `certificate`, `filing`).
    pub service: String,
    /// 1 (very poor) to 5 (very good).
    pub score: u8,
    /// Chosen tags.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Free text (kiosk keyboards: short).
    #[serde(default)]
    pub comment: String,
    /// When rated, `yyyy-MM-dd HH:mm:ss`.
    pub rated_at: String,
}

/// KS21 output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RatingOutput {
    /// The centre's number for the rating.
    pub rating_no: String,
}

/// KS31 terminal health report input.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HealthReportInput {
    /// Terminal id.
    pub terminal_id: String,
    /// When measured, `yyyy-MM-dd HH:mm:ss`.
    pub reported_at: String,
    /// Seconds since the kiosk started.
    pub uptime_s: u64,
    /// Program version.
    #[serde(default)]
    pub app_version: String,
    /// Outbox records waiting.
    #[serde(default)]
    pub outbox_pending: u64,
    /// One entry per device.
    #[serde(default)]
    pub devices: Vec<DeviceHealth>,
    /// The service hall the kiosk stands in (its `[terminal] hall_name`),
    /// for the console's grouping.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub hall_name: String,
    /// Why this report was sent: `start`, `schedule`, `device_change`
    /// (a device changed state), `printer_stopped` (a job stopped),
    /// `config_change` (a remote configuration applied or refused).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub trigger: String,
    /// SHA-256 (hex) of the configuration in effect.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub config_hash: String,
    /// Age of the oldest record waiting in the outbox, seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outbox_oldest_age_s: Option<i64>,
    /// Last time the centre answered (`yyyy-MM-dd HH:mm:ss`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub last_contact_at: String,
    /// The kiosk's clock minus the centre's, seconds, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock_skew_s: Option<i64>,
    /// The store's size on disk (database and its WAL), bytes.
    #[serde(default)]
    pub store_bytes: u64,
    /// Characters printed as 〓 since the kiosk started.
    #[serde(default)]
    pub glyph_substitutions: u64,
    /// How many times the kiosk program has started on this store.
    #[serde(default)]
    pub starts: u64,
    /// Of which after an unclean end (crash, kill, power cut).
    #[serde(default)]
    pub crashes: u64,
    /// Journey counters since the previous report.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub journeys: Vec<JourneyCount>,
    /// Print jobs printed since the previous report.
    #[serde(default)]
    pub print_jobs: u64,
    /// Paper rolls changed since the previous report (the printer went
    /// from paper out or near end back to ready).
    #[serde(default)]
    pub paper_changes: u64,
    /// The remote configuration (KS33) in effect: its version (0: none).
    #[serde(default)]
    pub remote_config_version: i64,
    /// SHA-256 (hex) of the remote settings in effect (empty: none).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub remote_config_hash: String,
    /// A remote configuration version the kiosk refused, and why.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub remote_config_refused: String,
}

/// KS33 input: the terminal asks for its remote configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TerminalConfigInput {
    /// Terminal id.
    pub terminal_id: String,
    /// The version the kiosk has applied (0: none yet).
    #[serde(default)]
    pub applied_version: i64,
}

/// KS33 output: the settings staff set for this terminal (or its hall).
/// Only whitelisted settings exist; the kiosk validates them before it
/// applies any, and refuses the whole version when one is invalid.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TerminalConfigOutput {
    /// The configuration's version (0: none set; the kiosk keeps its file's
    /// settings).
    pub version: i64,
    /// The settings, as staff wrote them.
    #[serde(default)]
    pub settings: serde_json::Value,
}

/// The whitelisted settings of a remote configuration (KS33 `settings`).
/// Unknown keys are refused.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemoteSettings {
    /// A session with no touch for this long ends (30–600 s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idle_timeout_s: Option<u64>,
    /// Elderly mode 长辈模式 for every new citizen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elderly_default: Option<bool>,
    /// A notice on the home screen (at most 120 characters, one line).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub notice: String,
    /// Maintenance mode: 终端维护中, devices idle, nothing can be done.
    #[serde(default)]
    pub maintenance: bool,
    /// Voice prompt volume, percent of the recording (0–100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voice_volume: Option<u8>,
    /// Journeys switched off on this kiosk (journey ids: `certificate`,
    /// `filing`, `premium` …).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub disabled_journeys: Vec<String>,
}

/// One journey counter of a health report: how often `journey` had
/// `outcome` (`started`, `completed`, `abandoned`, `failed`; `kind` names
/// the error kind of a failure) since the previous report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JourneyCount {
    /// Journey id (`certificate`, `filing`, `premium`, ...).
    pub journey: String,
    /// Outcome id.
    pub outcome: String,
    /// The failure's kind (empty unless `failed`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub kind: String,
    /// How many.
    pub count: u64,
}

/// One device's state in a health report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceHealth {
    /// Device name (`printer`, `id_reader`, ...).
    pub device: String,
    /// `ok`, `degraded`, `down`, or `unknown` (not checked yet).
    pub state: String,
    /// Detail (no personal data).
    #[serde(default)]
    pub detail: String,
}

/// Output of commands that only acknowledge (KS31, KS32).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AckOutput {
    /// Records the centre took.
    pub received: u64,
}

/// KS32 audit upload input (no personal data by construction).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditUploadInput {
    /// Terminal id.
    pub terminal_id: String,
    /// The entries.
    pub entries: Vec<crate::store::AuditEntry>,
}

/// KS41 reference data increment input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReferenceDataInput {
    /// Dataset name ([`crate::store::Dataset::name`]).
    pub dataset: String,
    /// The version the kiosk holds ('' for none): the centre sends what
    /// changed after it.
    #[serde(default)]
    pub since_version: String,
}

/// KS41 output: one page of changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReferenceDataOutput {
    /// The version the kiosk holds after applying this page.
    pub version: String,
    /// Items added or changed.
    #[serde(default)]
    pub items: Vec<ReferenceDataItem>,
    /// Keys removed.
    #[serde(default)]
    pub deleted: Vec<String>,
    /// Whether more pages follow (ask again with `version`).
    #[serde(default)]
    pub more: bool,
}

/// KS41 item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReferenceDataItem {
    /// Key within the dataset.
    pub key: String,
    /// Area code ('' when not per area).
    #[serde(default)]
    pub area: String,
    /// The item.
    pub data: serde_json::Value,
}

/// KS05 contribution record input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContributionRecordInput {
    /// Person number from 1101.
    pub psn_no: String,
    /// The insurance type (required).
    pub insutype: String,
    /// First month, `yyyyMM`.
    pub begn_ym: String,
    /// Last month, `yyyyMM` (at most 12 months after the first).
    pub end_ym: String,
}

/// KS05 output: the centre's number and signature, and the months it signed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContributionRecordOutput {
    /// Record number `<pooling area>-<year>-J<serial>`.
    pub record_no: String,
    /// The signature (third part of the `KCR1|number|signature` QR payload).
    pub verify_code: String,
    /// When issued, `yyyy-MM-dd HH:mm:ss`.
    pub issued_at: String,
    /// Every month of the range, oldest first (`clct_stas` `n`: not assessed).
    pub items: Vec<ContributionItem>,
}

// ---- KS51–KS54 resident premium payment 城乡居民医保缴费 -----------------

/// KS51 input: what a resident-scheme member owes for a year.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct PremiumDueInput {
    /// Person number.
    pub psn_no: String,
    /// The year paid for (the coming year during the collection period).
    pub year: i32,
}

/// KS51 output: the assessment of one year's resident premium.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PremiumDueOutput {
    /// The year paid for.
    pub year: i32,
    /// Insurance type (390 城乡居民基本医疗保险).
    pub insutype: String,
    /// Pooling area.
    pub admdvs: String,
    /// `due` 待缴, `paid` 已缴, `closed` outside the collection period,
    /// `not_resident` not in the resident scheme (employees pay through
    /// their employer).
    pub state: String,
    /// The individual premium of the year (个人缴费标准).
    pub standard: Decimal,
    /// Paid for the person by a government subsidy (资助).
    pub subsidy: Decimal,
    /// Why the subsidy, e.g. 低保对象 (empty when none).
    #[serde(default)]
    pub subsidy_kind: String,
    /// What the person pays: `standard - subsidy`, never below 0.
    pub due: Decimal,
    /// First day of the collection period 集中缴费期 (`yyyy-MM-dd`).
    pub period_begin: String,
    /// Last day of the collection period (`yyyy-MM-dd`).
    pub period_end: String,
    /// Paid already: the receipt (`state` = `paid`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paid: Option<PremiumOrderOutput>,
}

/// KS52 input: create (or find again) the payment order `order_no`.
/// Idempotent on `order_no`: the same number answers the same order.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct PremiumOrderInput {
    /// The kiosk's order number (terminal id + date + serial), kept in its
    /// store before the message leaves.
    pub order_no: String,
    /// Person number.
    pub psn_no: String,
    /// The year paid for.
    pub year: i32,
    /// The amount the kiosk showed; refused when it is not what is due.
    pub amount: Decimal,
    /// The proxy (代办人) who pays, masked; empty in person.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub agnter: String,
}

impl fmt::Debug for PremiumDueInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PremiumDueInput")
            .field("psn_no", &mask_number(&self.psn_no))
            .field("year", &self.year)
            .finish()
    }
}

impl fmt::Debug for PremiumOrderInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PremiumOrderInput")
            .field("order_no", &self.order_no)
            .field("psn_no", &mask_number(&self.psn_no))
            .field("year", &self.year)
            .field("amount", &self.amount)
            .field("by_proxy", &!self.agnter.is_empty())
            .finish()
    }
}

/// KS53 input (query an order) and KS54 input (cancel it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PremiumOrderRef {
    /// The kiosk's order number.
    pub order_no: String,
}

/// KS52/KS53/KS54 output: an order as the centre holds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PremiumOrderOutput {
    /// The kiosk's order number.
    pub order_no: String,
    /// `open` 待支付, `paid` 已缴费, `failed` 支付失败, `expired` 已过期,
    /// `cancelled` 已取消, `unknown` no such order (a KS53 for a number the
    /// centre never saw also bars that number from being created later).
    pub state: String,
    /// The year paid for.
    #[serde(default)]
    pub year: i32,
    /// Insurance type.
    #[serde(default)]
    pub insutype: String,
    /// The amount.
    #[serde(default)]
    pub amount: Decimal,
    /// What the payment QR code holds (the payment page), while open.
    #[serde(default)]
    pub pay_url: String,
    /// When an open order expires (`yyyy-MM-dd HH:mm:ss`).
    #[serde(default)]
    pub expires_at: String,
    /// When it was paid (`yyyy-MM-dd HH:mm:ss`).
    #[serde(default)]
    pub paid_at: String,
    /// The receipt number 缴费票据号 (paid).
    #[serde(default)]
    pub receipt_no: String,
    /// How it was paid, e.g. 微信支付 (paid).
    #[serde(default)]
    pub channel: String,
    /// Why it failed (failed).
    #[serde(default)]
    pub reason: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The premium inputs reach a log only through `Debug`: the person
    /// number masked, the proxy only as "by proxy".
    #[test]
    fn premium_inputs_debug_masks_the_person_and_the_proxy() {
        let due = PremiumDueInput {
            psn_no: "22010000000003".into(),
            year: 2027,
        };
        let order = PremiumOrderInput {
            order_no: "K2201-A001P20261207000001".into(),
            psn_no: "22010000000003".into(),
            year: 2027,
            amount: Decimal::new(20000, 2),
            agnter: "王**（220102********1234）".into(),
        };
        for text in [format!("{due:?}"), format!("{order:?}")] {
            assert!(!text.contains("22010000000003"), "{text}");
            assert!(!text.contains("王"), "{text}");
        }
        assert!(format!("{order:?}").contains("by_proxy: true"));
    }
}

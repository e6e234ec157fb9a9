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

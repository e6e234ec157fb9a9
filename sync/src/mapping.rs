//! Mapping between wire codes and domain types, at the edge.

use kiosk_core::identity::IdDocumentKind;

/// `psn_cert_type` for a document kind. Only 01 (resident ID card, also
/// household register) is fixed by the public spec the project has; the
/// other codes follow the national PSN_CERT_TYPE dictionary as the project
/// understands it and are to be confirmed against the province's table.
pub fn psn_cert_type(kind: IdDocumentKind) -> &'static str {
    match kind {
        IdDocumentKind::ResidentIdCard | IdDocumentKind::HouseholdRegister => "01",
        IdDocumentKind::HkMacaoPass => "04",
        IdDocumentKind::ForeignPermanentResidenceCard => "07",
        IdDocumentKind::Passport => "08",
        IdDocumentKind::HkMacaoTaiwanResidencePermit => "17",
    }
}

use chrono::NaiveDate;
use kiosk_core::enrollment::{
    Enrollment, EnrollmentStatus, InsuranceType, InsuredPerson, PaymentStatus,
    person_category_label,
};
use kiosk_core::identity::Sex;
use kiosk_core::money::Yuan;

use crate::error::Error;
use crate::wire::{CertificateFactsWire, EnrollmentDetailOutput, PersonQueryOutput};

/// The document kind for a `psn_cert_type` code (inverse of [`psn_cert_type`]).
pub fn document_kind(code: &str) -> Option<IdDocumentKind> {
    match code {
        "01" => Some(IdDocumentKind::ResidentIdCard),
        "04" => Some(IdDocumentKind::HkMacaoPass),
        "07" => Some(IdDocumentKind::ForeignPermanentResidenceCard),
        "08" => Some(IdDocumentKind::Passport),
        "17" => Some(IdDocumentKind::HkMacaoTaiwanResidencePermit),
        _ => None,
    }
}

fn date(field: &str, text: &str) -> Result<NaiveDate, Error> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(text.trim(), "%Y%m%d"))
        .map_err(|_| Error::Malformed(format!("{field} is not a date")))
}

/// Builds the domain's insured person from the 1101 answer and the KS01
/// detail. Insurance types the kiosk does not know are skipped (and said so
/// by the caller's log), never guessed.
pub fn insured_person(
    person: &PersonQueryOutput,
    detail: &EnrollmentDetailOutput,
) -> Result<InsuredPerson, Error> {
    let base = &person.baseinfo;
    let id_kind = document_kind(&base.psn_cert_type)
        .ok_or_else(|| Error::Malformed("unknown psn_cert_type".into()))?;
    let sex = base
        .gend
        .chars()
        .next()
        .and_then(Sex::from_code)
        .unwrap_or(Sex::Unspecified);
    let mut enrollments = Vec::new();
    for insu in &person.insuinfo {
        let Some(insurance_type) = InsuranceType::from_code(&insu.insutype) else {
            continue;
        };
        let status = EnrollmentStatus::from_wire(&insu.psn_insu_stas)
            .ok_or_else(|| Error::Malformed("unknown psn_insu_stas".into()))?;
        let item = detail.items.iter().find(|d| d.insutype == insu.insutype);
        let payment = match item {
            Some(d) => PaymentStatus::from_wire(&d.paym_stas)
                .ok_or_else(|| Error::Malformed("unknown paym_stas".into()))?,
            None => return Err(Error::Malformed("KS01 lacks an insurance type".into())),
        };
        let category_name = item.map(|d| d.psn_type_name.clone()).unwrap_or_default();
        let person_category = if category_name.is_empty() {
            person_category_label(&insu.psn_type)
                .unwrap_or_default()
                .to_string()
        } else {
            category_name
        };
        let pooling_area = item
            .map(|d| d.insuplc_admdvs_name.clone())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| insu.insuplc_admdvs.clone());
        enrollments.push(Enrollment {
            insurance_type,
            person_category_code: insu.psn_type.clone(),
            person_category,
            status,
            payment,
            enrolled_from: date("psn_insu_date", &insu.psn_insu_date)?,
            suspended_from: match insu.paus_insu_date.as_deref() {
                Some(text) if !text.trim().is_empty() => Some(date("paus_insu_date", text)?),
                _ => None,
            },
            pooling_area_code: insu.insuplc_admdvs.clone(),
            pooling_area,
            employer: Some(insu.emp_name.clone()).filter(|e| !e.is_empty()),
            account_balance: Yuan::new(insu.balc)
                .map_err(|_| Error::Malformed("balc out of range".into()))?,
            paid_months: item.map(|d| d.acml_paid_mons).unwrap_or(0),
        });
    }
    Ok(InsuredPerson {
        person_number: base.psn_no.clone(),
        id_kind,
        id_number: base.certno.clone(),
        name: base.psn_name.clone(),
        sex,
        birth_date: date("brdy", &base.brdy)?,
        enrollments,
    })
}

/// The certificate facts the centre signed, as the domain type.
pub fn certificate_facts(
    w: &CertificateFactsWire,
) -> Result<kiosk_core::documents::CertificateFacts, Error> {
    use kiosk_core::documents::{AgencyBlock, CertificateFacts, CertificateNumber};
    let month = |field: &str, text: &str| {
        NaiveDate::parse_from_str(&format!("{text}-01"), "%Y-%m-%d")
            .map_err(|_| Error::Malformed(format!("{field} is not a year-month")))
    };
    Ok(CertificateFacts {
        number: CertificateNumber {
            province: w.prov_name.clone(),
            pooling_area: w.poolarea_name.clone(),
            pooling_area_code: w.poolarea_code.clone(),
            year: w.year,
            serial: w.serial,
        },
        generated_on: NaiveDate::parse_from_str(&w.gen_date, "%Y-%m-%d")
            .map_err(|_| Error::Malformed("gen_date is not a date".into()))?,
        name: w.psn_name.clone(),
        id_number: w.certno.clone(),
        hukou_place: w.hsreg_addr.clone(),
        hukou_type: w.hsreg_type.clone(),
        insurance_type: w.insutype_name.clone(),
        area: w.area_name.clone(),
        from: month("begn_ym", &w.begn_ym)?,
        to: if w.end_ym.is_empty() {
            None
        } else {
            Some(month("end_ym", &w.end_ym)?)
        },
        paid_months: w.paid_mons,
        balance: Yuan::new(w.balc).map_err(|_| Error::Malformed("balc is out of range".into()))?,
        agency: w.agency.as_ref().map(|a| AgencyBlock {
            name: a.name.clone(),
            address: a.addr.clone(),
            area_code: a.admdvs.clone(),
            postcode: a.poscode.clone(),
            contact: a.cont.clone(),
            phone: a.tel.clone(),
        }),
    })
}

/// The wire form of a signed commitment letter (KS11, KS15).
pub fn letter_wire(letter: &kiosk_core::letter::SignedLetter) -> crate::wire::CommitmentLetterWire {
    crate::wire::CommitmentLetterWire {
        letter_version: letter.version.clone(),
        letter_text: letter.text.clone(),
        sign_format: letter.signature_format.clone(),
        sign_data: letter.signature.clone(),
        sign_date: letter.signed_on.format("%Y-%m-%d").to_string(),
        sha256: letter.sha256.clone(),
    }
}

/// The signed letter of its wire form; `None` when the date does not parse
/// or the hash does not match the content.
pub fn letter_of(
    wire: &crate::wire::CommitmentLetterWire,
) -> Option<kiosk_core::letter::SignedLetter> {
    let letter = kiosk_core::letter::SignedLetter {
        version: wire.letter_version.clone(),
        text: wire.letter_text.clone(),
        signature: wire.sign_data.clone(),
        signature_format: wire.sign_format.clone(),
        signed_on: chrono::NaiveDate::parse_from_str(&wire.sign_date, "%Y-%m-%d").ok()?,
        sha256: wire.sha256.clone(),
    };
    letter.verify().then_some(letter)
}

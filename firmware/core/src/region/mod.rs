//! Region profiles: the data that differs between regions (issue 5).
//!
//! One firmware serves every region; a deployment picks a region profile, a
//! human-readable TOML file under `data/regions/` (see
//! `docs/region-profiles.md`). A profile holds the region's identity (area
//! codes, pooling areas, hotlines), its service catalogue (every item of the
//! region's seed document with materials, process, time limit and what the
//! kiosk can do), its offices and opening hours, the rules the journeys apply
//! (certificate issuance, remote-care filing, claim deadline, enrollment
//! explanations) and the texts printed on documents. Every rule carries the
//! seed line or national notice it comes from.
//!
//! This module is pure: [`RegionProfile::parse`] takes the file name and
//! its text. Reading the file is the binary's job.
//!
//! ```
//! use kiosk_core::region::RegionProfile;
//!
//! let err = RegionProfile::parse("broken.toml", "version = \"one\"\n").unwrap_err();
//! assert!(matches!(err, kiosk_core::Error::RegionProfile { line: 1, .. }));
//! ```

mod source;
mod types;
mod validate;

use serde::{Deserialize, Serialize};

pub use source::{NATIONAL_DEFAULT, STANDARD, Source, SourceRef};
pub use types::{
    CertificateApplicant, CertificateEligibility, CertificateLayout, CertificateRefusal,
    CertificateRule, CertificateTexts, ChronicRules, ClaimDeadline, ClaimRules, CommitmentLetter,
    DocumentTexts, DuplicateAction, DuplicateOutcome, EnrollmentRules, FilingCategory, FilingKind,
    FilingRules, FormTexts, Hotline, IssueTiming, KioskAction, MaterialCase, Office, OpeningHours,
    OpeningPeriod, Param, Phone, PhoneKind, PoolingArea, ProcessStep, ProcessingType, RegionInfo,
    RuleText, Season, Seed, ServiceItem, SourcedText, StatusDimension, StatusText, Validity,
    ValidityKind, WaitingPeriod,
};

use crate::Error;

/// A loaded and checked region profile.
///
/// Obtained only through [`RegionProfile::parse`], so holding one means the
/// schema and the semantic checks passed: item codes are unique, every item
/// and rule has a well-formed source, every referenced office, item and seed
/// exists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionProfile {
    version: u32,
    region: RegionInfo,
    seeds: Vec<Seed>,
    #[serde(default)]
    hotlines: Vec<Hotline>,
    #[serde(default)]
    pooling_areas: Vec<PoolingArea>,
    #[serde(default)]
    offices: Vec<Office>,
    items: Vec<ServiceItem>,
    certificate: CertificateRule,
    filing: FilingRules,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    claims: Option<ClaimRules>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    enrollment: Option<EnrollmentRules>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    chronic: Option<ChronicRules>,
    documents: DocumentTexts,
}

impl RegionProfile {
    /// Parses and checks a profile. `file_name` is only used in error
    /// messages. A broken profile gives [`Error::RegionProfile`] naming the
    /// file, the 1-based line and the field.
    pub fn parse(file_name: &str, text: &str) -> Result<RegionProfile, Error> {
        validate::parse(file_name, text)
    }

    /// Profile version; the centre pushes a higher one to replace it.
    pub fn version(&self) -> u32 {
        self.version
    }

    /// Whether `self` should replace `current`: same region, higher version
    /// (the centre pushes newer profiles through the reference-data sync).
    pub fn supersedes(&self, current: &RegionProfile) -> bool {
        self.region.id == current.region.id && self.version > current.version
    }

    /// Identifier used in the kiosk configuration.
    pub fn id(&self) -> &str {
        &self.region.id
    }

    /// Chinese name of the region.
    pub fn name(&self) -> &str {
        &self.region.name
    }

    /// Identity of the region (area codes, credentials, proxy rule).
    pub fn region(&self) -> &RegionInfo {
        &self.region
    }

    /// Seed documents the profile was taken from.
    pub fn seeds(&self) -> &[Seed] {
        &self.seeds
    }

    /// The seed with id `id`.
    pub fn seed(&self, id: &str) -> Option<&Seed> {
        self.seeds.iter().find(|s| s.id == id)
    }

    /// Region-wide telephone lines.
    pub fn hotlines(&self) -> &[Hotline] {
        &self.hotlines
    }

    /// Pooling areas.
    pub fn pooling_areas(&self) -> &[PoolingArea] {
        &self.pooling_areas
    }

    /// Offices and windows.
    pub fn offices(&self) -> &[Office] {
        &self.offices
    }

    /// The office with id `id`.
    pub fn office(&self, id: &str) -> Option<&Office> {
        self.offices.iter().find(|o| o.id == id)
    }

    /// Offices that handle `item` (every office when the item names none).
    pub fn offices_for<'a>(&'a self, item: &'a ServiceItem) -> Vec<&'a Office> {
        if item.offices.is_empty() {
            self.offices.iter().collect()
        } else {
            item.offices
                .iter()
                .filter_map(|id| self.office(id))
                .collect()
        }
    }

    /// The service catalogue, in seed order.
    pub fn items(&self) -> &[ServiceItem] {
        &self.items
    }

    /// The item with profile code `code` (`JL18`); failing that, the only
    /// item whose seed basic code is `code` (basic codes are not unique in
    /// every seed, an ambiguous one finds nothing).
    pub fn item(&self, code: &str) -> Option<&ServiceItem> {
        let code = code.trim();
        if let Some(item) = self
            .items
            .iter()
            .find(|i| i.code.eq_ignore_ascii_case(code))
        {
            return Some(item);
        }
        let mut by_basic = self
            .items
            .iter()
            .filter(|i| i.basic_code.as_deref() == Some(code));
        match (by_basic.next(), by_basic.next()) {
            (Some(item), None) => Some(item),
            _ => None,
        }
    }

    /// Items whose name, materials or basic code contain `query` (white
    /// space in the query and the data is ignored). An empty query finds
    /// nothing.
    pub fn search(&self, query: &str) -> Vec<&ServiceItem> {
        let needle = squeeze(query);
        if needle.is_empty() {
            return Vec::new();
        }
        self.items
            .iter()
            .filter(|item| {
                squeeze(&item.name).contains(&needle)
                    || item
                        .basic_code
                        .as_deref()
                        .is_some_and(|c| c.contains(&needle))
                    || item.all_materials().any(|m| squeeze(m).contains(&needle))
            })
            .collect()
    }

    /// Items the kiosk can act on (`query`, `print` or `file`).
    pub fn kiosk_items(&self) -> impl Iterator<Item = &ServiceItem> {
        self.items
            .iter()
            .filter(|i| i.kiosk.iter().any(|a| *a != KioskAction::Guide))
    }

    /// The certificate issuance rule.
    pub fn certificate_rule(&self) -> &CertificateRule {
        &self.certificate
    }

    /// The remote-care filing rules.
    pub fn filing_rules(&self) -> &FilingRules {
        &self.filing
    }

    /// The chronic / special-disease institution change, when the region
    /// offers it at the kiosk.
    pub fn chronic_rules(&self) -> Option<&ChronicRules> {
        self.chronic.as_ref()
    }

    /// Claim rules, when the profile has any.
    pub fn claim_rules(&self) -> Option<&ClaimRules> {
        self.claims.as_ref()
    }

    /// The claim deadline, when the seed gives one.
    pub fn claim_deadline(&self) -> Option<&ClaimDeadline> {
        self.claims.as_ref()?.deadline.as_ref()
    }

    /// Enrollment explanation texts, when the region has them (Jilin).
    pub fn enrollment_rules(&self) -> Option<&EnrollmentRules> {
        self.enrollment.as_ref()
    }

    /// Texts printed on documents.
    pub fn documents(&self) -> &DocumentTexts {
        &self.documents
    }
}

/// Removes white space, so that `参保 凭证` finds `参保凭证`.
fn squeeze(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

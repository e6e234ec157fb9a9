//! The edges of the remote-care filing journey: pick lists from the synced
//! reference data (area codes, designated institutions) and the submission,
//! written to the outbox first, then sent by the engine with a short,
//! bounded wait for the centre's answer.

use std::time::Duration;

use kiosk_core::region::FilingKind;
use kiosk_core::session::{FiledRecord, FiledState, FilingSubmission, Institution, Place};
use kiosk_core::{texts, tr};
use kiosk_sync::Store;
use kiosk_sync::store::{Dataset, SubmissionState};
use kiosk_sync::wire::{FilingSubmitInput, filing_status, filing_type};

use crate::backend::Backend;

/// How long the citizen waits for the centre's answer before the receipt
/// prints with the kiosk's tracking number instead.
pub const ANSWER_WAIT: Duration = Duration::from_secs(3);

/// The cities of `province` (two digits) in the synced area codes.
pub fn cities(store: &Store, province: &str) -> Vec<Place> {
    let items = match store.reference_items(Dataset::AreaCodes, None) {
        Ok(items) => items,
        Err(e) => {
            tracing::warn!("area codes unavailable: {e}");
            return Vec::new();
        }
    };
    items
        .into_iter()
        .filter(|i| i.key.len() == 6 && i.key.starts_with(province) && !i.key.ends_with("0000"))
        .filter_map(|i| {
            let v: serde_json::Value = serde_json::from_str(&i.payload).ok()?;
            Some(Place {
                code: i.key,
                name: v["name"].as_str()?.to_string(),
            })
        })
        .collect()
}

/// The designated institutions of `area` that settle remote care directly.
pub fn institutions(store: &Store, area: &str) -> Vec<Institution> {
    let items = match store.reference_items(Dataset::Institutions, Some(area)) {
        Ok(items) => items,
        Err(e) => {
            tracing::warn!("institutions unavailable: {e}");
            return Vec::new();
        }
    };
    items
        .into_iter()
        .filter_map(|i| {
            let v: serde_json::Value = serde_json::from_str(&i.payload).ok()?;
            if v["remote_settlement"].as_bool() == Some(false) || v["kind"] == "pharmacy" {
                return None;
            }
            Some(Institution {
                code: i.key,
                name: v["name"].as_str()?.to_string(),
                level: v["level"].as_str().unwrap_or_default().to_string(),
            })
        })
        .collect()
}

/// The wire form of a filing.
pub fn input(s: &FilingSubmission) -> FilingSubmitInput {
    FilingSubmitInput {
        psn_no: s.person_number.clone(),
        certno: s.id_number.clone(),
        psn_name: s.name.clone(),
        tel: s.phone1.clone(),
        filing_type: match s.kind {
            FilingKind::ResettledRetiree => filing_type::RESETTLED_RETIREE,
            FilingKind::LongTermResident => filing_type::LONG_TERM_RESIDENT,
            FilingKind::StationedWorker => filing_type::STATIONED_WORKER,
            FilingKind::TemporaryTrip => filing_type::TEMPORARY_TRIP,
            FilingKind::Referral => filing_type::REFERRAL,
        }
        .to_string(),
        insuplc_admdvs: s.insured_area.code.clone(),
        mdtrtarea_admdvs: s.area.code.clone(),
        begndate: s.start.format("%Y-%m-%d").to_string(),
        enddate: s
            .end
            .map(|d| d.format("%Y-%m-%d").to_string())
            .unwrap_or_default(),
        fixmedins_code: String::new(),
        commitment: true,
        tel2: s.phone2.clone(),
        mdtrt_addr: s.address.clone(),
        fixmedins_codes: s.institutions.iter().map(|i| i.code.clone()).collect(),
        agnter: s.proxy.clone().unwrap_or_default(),
        agnt_authz: s.proxy_authorisation.clone().unwrap_or_default(),
        letter: s.letter.as_ref().map(kiosk_sync::mapping::letter_wire),
    }
}

/// What became of a submission within [`ANSWER_WAIT`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// In the outbox; the centre's number when it already accepted.
    Queued {
        /// The kiosk's tracking number.
        tracking_no: String,
        /// The centre's filing number.
        filing_number: Option<String>,
    },
    /// The centre refused it (the message says why and what to do).
    Refused(String),
}

/// Writes the filing to the outbox (the citizen's submission is safe from
/// here on), asks the engine for a cycle and waits at most `wait` for the
/// centre's answer.
pub fn submit(
    backend: &Backend,
    submission: &FilingSubmission,
    wait: Duration,
) -> Result<Outcome, String> {
    let receipt = backend.submit_filing(&input(submission)).map_err(|e| {
        tracing::error!("filing not written to the outbox: {e}");
        not_saved(&e, tr!("备案暂时无法保存，请稍后再试或到人工窗口办理。"))
    })?;
    if let Err(e) = backend.sync_now_and_wait(wait) {
        tracing::warn!("sync after filing: {e}");
    }
    let status = backend.submission(&receipt.tracking_no).ok().flatten();
    match status {
        Some(s) if s.state == SubmissionState::Rejected => Ok(Outcome::Refused(tr!(
            "备案未通过：{}。如有疑问，请到人工窗口咨询。",
            s.reason
                .as_deref()
                .map_or(tr!("不符合备案条件"), texts::tr_str)
        ))),
        Some(s) if s.state == SubmissionState::Accepted => Ok(Outcome::Queued {
            tracking_no: receipt.tracking_no,
            filing_number: s.reference,
        }),
        _ => Ok(Outcome::Queued {
            tracking_no: receipt.tracking_no,
            filing_number: None,
        }),
    }
}

/// The citizen's message when a submission could not be written first: a
/// full store says so and what to do (staff see it on the health board),
/// any other failure `otherwise`.
fn not_saved(e: &kiosk_sync::Error, otherwise: &str) -> String {
    match e {
        kiosk_sync::Error::StoreFull(_) => e.user_message(),
        _ => otherwise.to_string(),
    }
}

/// What the session loop needs from the store and the engine for filings
/// and ratings (implemented by the kiosk's backend; a seam for tests).
pub trait Desk: Send + Sync {
    /// Cities of a province.
    fn cities(&self, province: &str) -> Vec<Place>;
    /// Institutions of an area.
    fn institutions(&self, area: &str) -> Vec<Institution>;
    /// Submit a filing (outbox first).
    fn submit_filing(&self, submission: &FilingSubmission) -> Result<Outcome, String>;
    /// The person's filings: the centre's records and this kiosk's
    /// submissions it has not confirmed (or refused).
    fn filings_of(&self, person_number: &str) -> Result<Vec<FiledRecord>, String>;
    /// Cancel a filing (outbox first); the message for the citizen.
    fn cancel_filing(&self, person_number: &str, number: &str) -> Result<String, String>;
    /// Change a filing: area of care, phone or end date (outbox first,
    /// KS13); the message for the citizen.
    fn change_filing(&self, input: &kiosk_sync::wire::FilingChangeInput) -> Result<String, String>;
    /// The archived commitment letter of a filing (KS15), checked against
    /// its hash; the message for the citizen when there is none.
    fn filing_letter(
        &self,
        person_number: &str,
        number: &str,
    ) -> Result<kiosk_core::letter::SignedLetter, String>;
    /// Suspend or resume a filing (outbox first, KS16); the message for
    /// the citizen.
    fn suspend_filing(
        &self,
        person_number: &str,
        number: &str,
        resume: bool,
    ) -> Result<String, String>;
    /// Queue a satisfaction rating.
    fn submit_rating(&self, input: &kiosk_sync::wire::RatingInput) -> Result<String, String>;
    /// Record that a proxy acts for the insured person: both identities,
    /// sealed in the outbox as an audit upload (never in the plain audit log).
    fn record_proxy(
        &self,
        person_number: &str,
        proxy_name: &str,
        proxy_id: &str,
        authorisation: &kiosk_core::session::Authorisation,
    ) -> Result<(), String>;
    /// Change the designated institution of a registered chronic /
    /// special disease (outbox first, KS18); `Err` is the message for the
    /// citizen.
    fn change_chronic(
        &self,
        input: &kiosk_sync::wire::ChronicChangeInput,
    ) -> Result<kiosk_core::session::chronic::ChangeAnswer, String>;
    /// The synced designated institutions, indexed, and the dataset
    /// version (firmware/kiosk/src/records.rs); empty by default.
    fn designated_institutions(
        &self,
    ) -> (kiosk_core::institutions::InstitutionIndex, Option<String>) {
        (Default::default(), None)
    }
    /// The store-backed payment desk for resident premium orders
    /// (firmware/kiosk/src/premium.rs); none by default.
    fn payment_desk(&self) -> Option<std::sync::Arc<kiosk_sync::premium::PaymentDesk>> {
        None
    }
}

/// Sends what is queued now and waits (at most [`ANSWER_WAIT`]) for the
/// centre's answer to `tracking_no`: `None` when it has not answered.
fn centre_answer(
    backend: &Backend,
    tracking_no: &str,
) -> Option<kiosk_sync::store::SubmissionStatus> {
    if let Err(e) = backend.sync_now_and_wait(ANSWER_WAIT) {
        tracing::warn!("sync after a filing change or cancellation: {e}");
    }
    backend.submission(tracking_no).ok().flatten()
}

/// The name of an area code in the synced area codes (the code when unknown).
pub fn area_name(store: &Store, code: &str) -> String {
    store
        .reference_items(Dataset::AreaCodes, None)
        .ok()
        .and_then(|items| items.into_iter().find(|i| i.key == code))
        .and_then(|i| serde_json::from_str::<serde_json::Value>(&i.payload).ok())
        .and_then(|v| v["name"].as_str().map(str::to_string))
        .unwrap_or_else(|| code.to_string())
}

fn kind_of(code: &str) -> Option<FilingKind> {
    Some(match code {
        filing_type::RESETTLED_RETIREE => FilingKind::ResettledRetiree,
        filing_type::LONG_TERM_RESIDENT => FilingKind::LongTermResident,
        filing_type::STATIONED_WORKER => FilingKind::StationedWorker,
        filing_type::TEMPORARY_TRIP => FilingKind::TemporaryTrip,
        filing_type::REFERRAL => FilingKind::Referral,
        _ => return None,
    })
}

impl Desk for Backend {
    fn cities(&self, province: &str) -> Vec<Place> {
        cities(self.store(), province)
    }

    fn designated_institutions(
        &self,
    ) -> (kiosk_core::institutions::InstitutionIndex, Option<String>) {
        crate::records::designated_institutions(self.store())
    }

    fn institutions(&self, area: &str) -> Vec<Institution> {
        institutions(self.store(), area)
    }

    fn submit_filing(&self, submission: &FilingSubmission) -> Result<Outcome, String> {
        submit(self, submission, ANSWER_WAIT)
    }

    fn filings_of(&self, person_number: &str) -> Result<Vec<FiledRecord>, String> {
        let answer = self.client().query_filings(person_number).map_err(|e| {
            tracing::warn!("filing query failed: {e}");
            e.user_message()
        })?;
        let mut records: Vec<FiledRecord> = Vec::new();
        // This kiosk's filings the centre has not confirmed yet, or refused.
        if let Ok(local) = self.submissions_of(person_number) {
            for s in local.into_iter().filter(|s| s.kind == "filing_submit") {
                let state = match s.state {
                    SubmissionState::Pending => FiledState::Pending,
                    SubmissionState::Rejected => {
                        FiledState::Rejected(s.reason.clone().unwrap_or_default())
                    }
                    SubmissionState::Accepted => continue,
                };
                records.push(FiledRecord {
                    number: s.tracking_no.clone(),
                    kind: None,
                    area: String::new(),
                    start: s
                        .created_at
                        .map(|d| d.format("%Y-%m-%d").to_string())
                        .unwrap_or_default(),
                    end: String::new(),
                    filed_on: s.created_at.map(|d| d.date()),
                    state,
                });
            }
        }
        for f in answer.filings {
            records.push(FiledRecord {
                area: area_name(self.store(), &f.mdtrtarea_admdvs),
                kind: kind_of(&f.filing_type),
                start: f.begndate.clone(),
                end: f.enddate.clone(),
                filed_on: chrono::NaiveDate::parse_from_str(&f.filed_on, "%Y-%m-%d").ok(),
                state: match f.status.as_str() {
                    filing_status::VALID => FiledState::Valid,
                    filing_status::SUSPENDED => FiledState::Suspended,
                    filing_status::EXPIRED => FiledState::Expired,
                    _ => FiledState::Ended,
                },
                number: f.filing_no,
            });
        }
        Ok(records)
    }

    fn cancel_filing(&self, person_number: &str, number: &str) -> Result<String, String> {
        let receipt = self
            .submit_filing_cancel(&kiosk_sync::wire::FilingCancelInput {
                psn_no: person_number.to_string(),
                filing_no: number.to_string(),
                reason: "参保人在自助终端申请取消".into(),
            })
            .map_err(|e| {
                tracing::error!("cancellation not written to the outbox: {e}");
                not_saved(
                    &e,
                    tr!("取消申请暂时无法保存，请稍后再试或到人工窗口办理。"),
                )
            })?;
        Ok(match centre_answer(self, &receipt.tracking_no) {
            Some(s) if s.state == SubmissionState::Accepted => {
                tr!("备案 {} 已取消。", number)
            }
            Some(s) if s.state == SubmissionState::Rejected => tr!(
                "取消未通过：{}。如有疑问，请到人工窗口咨询。",
                texts::tr_str(s.reason.as_deref().unwrap_or_default())
            ),
            _ => tr!(
                "取消申请已提交（受理编号 {}），医保中心确认后生效，可稍后在此查看。",
                receipt.tracking_no
            ),
        })
    }

    fn change_filing(&self, input: &kiosk_sync::wire::FilingChangeInput) -> Result<String, String> {
        let receipt = self.submit_filing_change(input).map_err(|e| {
            tracing::error!("filing change not written to the outbox: {e}");
            not_saved(
                &e,
                tr!("变更申请暂时无法保存，请稍后再试或到人工窗口办理。"),
            )
        })?;
        Ok(match centre_answer(self, &receipt.tracking_no) {
            Some(s) if s.state == SubmissionState::Accepted => {
                tr!("备案 {} 已变更，即时生效。", input.filing_no)
            }
            Some(s) if s.state == SubmissionState::Rejected => tr!(
                "变更未通过：{}。如有疑问，请到人工窗口咨询。",
                texts::tr_str(s.reason.as_deref().unwrap_or_default())
            ),
            _ => tr!(
                "变更申请已提交（受理编号 {}），医保中心确认后生效，可稍后在此查看。",
                receipt.tracking_no
            ),
        })
    }

    fn filing_letter(
        &self,
        person_number: &str,
        number: &str,
    ) -> Result<kiosk_core::letter::SignedLetter, String> {
        let answer = self
            .client()
            .query_filing_letter(&kiosk_sync::wire::FilingLetterInput {
                psn_no: person_number.to_string(),
                filing_no: number.to_string(),
            })
            .map_err(|e| {
                tracing::warn!("archived letter query failed: {e}");
                match e {
                    kiosk_sync::Error::Refused { .. } => {
                        tr!("没有找到这条备案的个人承诺书存档（存档保留两年），如需证明请到人工窗口咨询。")
                            .to_string()
                    }
                    other => other.user_message(),
                }
            })?;
        kiosk_sync::mapping::letter_of(&answer.letter).ok_or_else(|| {
            tracing::error!("archived letter does not match its hash");
            tr!("个人承诺书存档校验不一致，暂不能打印，请到人工窗口咨询。").to_string()
        })
    }

    fn suspend_filing(
        &self,
        person_number: &str,
        number: &str,
        resume: bool,
    ) -> Result<String, String> {
        let receipt = self
            .submit_filing_suspend(&kiosk_sync::wire::FilingSuspendInput {
                psn_no: person_number.to_string(),
                filing_no: number.to_string(),
                action: if resume { "resume" } else { "suspend" }.into(),
            })
            .map_err(|e| {
                tracing::error!("filing suspension not written to the outbox: {e}");
                not_saved(&e, tr!("申请暂时无法保存，请稍后再试或到人工窗口办理。"))
            })?;
        Ok(match centre_answer(self, &receipt.tracking_no) {
            Some(s) if s.state == SubmissionState::Accepted && resume => {
                tr!("备案 {} 已恢复，即时生效。", number)
            }
            Some(s) if s.state == SubmissionState::Accepted => {
                tr!("备案 {} 已暂停。需要时可在此恢复。", number)
            }
            Some(s) if s.state == SubmissionState::Rejected => tr!(
                "申请未通过：{}。如有疑问，请到人工窗口咨询。",
                texts::tr_str(s.reason.as_deref().unwrap_or_default())
            ),
            _ => tr!(
                "申请已提交（受理编号 {}），医保中心确认后生效，可稍后在此查看。",
                receipt.tracking_no
            ),
        })
    }

    fn change_chronic(
        &self,
        input: &kiosk_sync::wire::ChronicChangeInput,
    ) -> Result<kiosk_core::session::chronic::ChangeAnswer, String> {
        crate::chronic::change(self, input)
    }

    fn payment_desk(&self) -> Option<std::sync::Arc<kiosk_sync::premium::PaymentDesk>> {
        Some(Backend::payment_desk(self))
    }

    fn submit_rating(&self, input: &kiosk_sync::wire::RatingInput) -> Result<String, String> {
        Backend::submit_rating(self, input)
            .map(|r| r.tracking_no)
            .map_err(|e| e.to_string())
    }

    fn record_proxy(
        &self,
        person_number: &str,
        proxy_name: &str,
        proxy_id: &str,
        authorisation: &kiosk_core::session::Authorisation,
    ) -> Result<(), String> {
        use base64::Engine as _;
        let mut detail = serde_json::json!({
            "psn_no": person_number,
            "agnt_certno": proxy_id,
            "agnt_name": proxy_name,
            // The written authorisation (书面委托): how it was captured.
            "authorisation": authorisation.code(),
            "authorised_at": authorisation.at().format("%Y-%m-%d %H:%M:%S").to_string(),
        });
        if let kiosk_core::session::Authorisation::Photo { image, sha256, .. } = authorisation {
            detail["photo_sha256"] = sha256.clone().into();
            detail["photo"] = base64::engine::general_purpose::STANDARD
                .encode(image.as_slice())
                .into();
        }
        let detail = detail.to_string();
        let input = kiosk_sync::wire::AuditUploadInput {
            terminal_id: self.client().config().terminal_id.clone(),
            entries: vec![kiosk_sync::store::AuditEntry {
                id: 0,
                at: String::new(),
                event: "session.proxy".into(),
                detail,
            }],
        };
        self.outbox()
            .submit_for(
                kiosk_sync::SubmissionKind::Audit,
                &input,
                Some(person_number),
            )
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

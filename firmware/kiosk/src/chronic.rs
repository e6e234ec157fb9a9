//! The edges of the chronic / special-disease institution change
//! (session/chronic.rs, seed 000 A6/A7): KS17 with the synced designated
//! institutions for the pick list, and KS18 written to the outbox first,
//! then sent with a short, bounded wait for the centre's answer (an
//! immediate case: the slip prints the centre's number when it answered,
//! the kiosk's tracking number otherwise). Logs name requests only.

use std::sync::Arc;
use std::time::Instant;

use crossbeam_channel::Sender;

use kiosk_core::session::Event;
use kiosk_core::session::chronic::{
    ChangeAnswer, ChronicCommand, ChronicEvent, Condition, ConditionKind,
};
use kiosk_core::{texts, tr};
use kiosk_sync::CentralClient;
use kiosk_sync::store::SubmissionState;
use kiosk_sync::wire::{ChronicChangeInput, ChronicCondition, ChronicQueryInput};

use crate::backend::Backend;
use crate::filings::{ANSWER_WAIT, Desk};

/// A wire condition as the session knows it (`None`: an unknown kind).
pub fn condition(c: &ChronicCondition) -> Option<Condition> {
    Some(Condition {
        number: c.cert_no.clone(),
        kind: ConditionKind::from_code(&c.kind)?,
        disease: c.disease.clone(),
        area: c.admdvs.clone(),
        certified_on: c.certified_on.clone(),
        hospital: (c.hosp_code.clone(), c.hosp_name.clone()),
        pharmacy: (!c.phar_code.is_empty()).then(|| (c.phar_code.clone(), c.phar_name.clone())),
    })
}

/// Writes the change to the outbox and waits at most [`ANSWER_WAIT`] for
/// the centre; `Err` is the message for the citizen.
pub fn change(backend: &Backend, input: &ChronicChangeInput) -> Result<ChangeAnswer, String> {
    let receipt = backend.outbox().submit_chronic_change(input).map_err(|e| {
        tracing::error!("chronic change not written to the outbox: {e}");
        tr!("变更申请暂时无法保存，请稍后再试或到人工窗口办理。").to_string()
    })?;
    if let Err(e) = backend.sync_now_and_wait(ANSWER_WAIT) {
        tracing::warn!("sync after a chronic change: {e}");
    }
    match backend.submission(&receipt.tracking_no).ok().flatten() {
        Some(s) if s.state == SubmissionState::Rejected => Err(tr!(
            "变更未通过：{}。如有疑问，请到人工窗口咨询。",
            texts::tr_str(s.reason.as_deref().unwrap_or_default())
        )),
        Some(s) if s.state == SubmissionState::Accepted => Ok(ChangeAnswer {
            number: s.reference.unwrap_or(receipt.tracking_no),
            confirmed: true,
        }),
        _ => Ok(ChangeAnswer {
            number: receipt.tracking_no,
            confirmed: false,
        }),
    }
}

/// Carries out a command of the chronic journey on a worker thread.
pub fn execute(
    command: ChronicCommand,
    client: Arc<CentralClient>,
    desk: Arc<dyn Desk>,
    events: Sender<Event>,
) {
    let work = move || {
        let started = Instant::now();
        let event = match command {
            ChronicCommand::Query {
                request,
                person_number,
            } => match client.query_chronic(&ChronicQueryInput {
                psn_no: person_number,
            }) {
                Ok(answer) => {
                    let (index, _) = desk.designated_institutions();
                    let conditions: Vec<Condition> =
                        answer.conditions.iter().filter_map(condition).collect();
                    tracing::info!(
                        request,
                        n = conditions.len(),
                        ms = started.elapsed().as_millis() as u64,
                        "chronic conditions answered"
                    );
                    ChronicEvent::Loaded {
                        request,
                        conditions,
                        index: Arc::new(index),
                    }
                }
                Err(e) => {
                    tracing::warn!(request, "chronic query failed: {e}");
                    ChronicEvent::Failed {
                        request,
                        message: e.user_message(),
                    }
                }
            },
            ChronicCommand::Change {
                request,
                person_number,
                number,
                slot,
                code,
                proxy,
            } => {
                let (agnter, agnt_authz) = proxy.unwrap_or_default();
                let result = desk.change_chronic(&ChronicChangeInput {
                    psn_no: person_number,
                    cert_no: number,
                    slot: slot.code().into(),
                    fixmedins_code: code,
                    agnter,
                    agnt_authz,
                });
                tracing::info!(request, changed = result.is_ok(), "chronic change answered");
                ChronicEvent::Changed { request, result }
            }
        };
        let _ = events.send(Event::Chronic(event));
    };
    if let Err(e) = std::thread::Builder::new()
        .name("chronic".into())
        .spawn(work)
    {
        tracing::error!("cannot start the chronic worker: {e}");
    }
}

//! The records journeys' worker (issue 15): carries out the session's
//! [`RecordsCommand`]s against the centre on a worker thread and posts the
//! answer back as an [`Event::Records`]. Logs name the transaction and the
//! request number only.

use std::sync::Arc;
use std::time::Instant;

use crossbeam_channel::Sender;

use kiosk_core::institutions::{DesignatedInstitution, InstitutionIndex, InstitutionKind};
use kiosk_core::session::{Event, RecordsCommand, RecordsEvent};
use kiosk_sync::CentralClient;
use kiosk_sync::Store;
use kiosk_sync::store::Dataset;

use crate::filings::Desk;

/// The synced designated institutions (KS41 dataset `institutions`),
/// indexed with the synced area names, and the dataset version. Items the
/// kiosk cannot read are skipped (and counted in the log), never guessed.
pub fn designated_institutions(store: &Store) -> (InstitutionIndex, Option<String>) {
    let items = match store.reference_items(Dataset::Institutions, None) {
        Ok(items) => items,
        Err(e) => {
            tracing::warn!("institutions unavailable: {e}");
            return (InstitutionIndex::default(), None);
        }
    };
    let mut skipped = 0usize;
    let list: Vec<DesignatedInstitution> = items
        .into_iter()
        .filter_map(|i| {
            let v: serde_json::Value = match serde_json::from_str(&i.payload) {
                Ok(v) => v,
                Err(_) => {
                    skipped += 1;
                    return None;
                }
            };
            let text = |k: &str| v[k].as_str().unwrap_or_default().to_string();
            let name = text("name");
            if name.is_empty() {
                skipped += 1;
                return None;
            }
            Some(DesignatedInstitution {
                code: i.key,
                name,
                area: i.area,
                kind: InstitutionKind::from_code(v["kind"].as_str().unwrap_or("hospital"))
                    .unwrap_or(InstitutionKind::Hospital),
                level: text("level"),
                address: text("address"),
                phone: text("phone"),
                cross_province: v["remote_settlement"].as_bool().unwrap_or(true),
            })
        })
        .collect();
    if skipped > 0 {
        tracing::warn!(skipped, "unreadable institution items skipped");
    }
    let areas = store
        .reference_items(Dataset::AreaCodes, None)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|i| {
            let v: serde_json::Value = serde_json::from_str(&i.payload).ok()?;
            Some((i.key, v["name"].as_str()?.to_string()))
        })
        .collect();
    let version = store.dataset_version(Dataset::Institutions).ok().flatten();
    (InstitutionIndex::new(list).with_area_names(areas), version)
}

/// Runs `command` on its own thread; the answer comes back on `events`.
pub fn execute(
    command: RecordsCommand,
    client: Arc<CentralClient>,
    desk: Arc<dyn Desk>,
    events: Sender<Event>,
) {
    let work = move || {
        let started = Instant::now();
        let event = match command {
            RecordsCommand::LoadInstitutions { request } => {
                let (index, version) = desk.designated_institutions();
                tracing::info!(
                    request,
                    n = index.len(),
                    ms = started.elapsed().as_millis() as u64,
                    "institutions indexed"
                );
                RecordsEvent::InstitutionsLoaded {
                    request,
                    index: Arc::new(index),
                    version,
                }
            }
            RecordsCommand::QueryContributions {
                request,
                person_number,
                from,
                to,
            } => match kiosk_sync::records::contribution_history(&client, &person_number, from, to)
            {
                Ok(history) => {
                    tracing::info!(
                        request,
                        ms = started.elapsed().as_millis() as u64,
                        "contribution history answered"
                    );
                    RecordsEvent::ContributionsLoaded { request, history }
                }
                Err(e) => {
                    tracing::warn!(request, "contribution history failed: {e}");
                    RecordsEvent::Failed {
                        request,
                        message: e.user_message(),
                    }
                }
            },
            RecordsCommand::QueryAccount {
                request,
                person_number,
                from,
                to,
            } => match kiosk_sync::records::account_statement(&client, &person_number, from, to) {
                Ok(statement) => {
                    tracing::info!(
                        request,
                        ms = started.elapsed().as_millis() as u64,
                        "account statement answered"
                    );
                    RecordsEvent::AccountLoaded { request, statement }
                }
                Err(e) => {
                    tracing::warn!(request, "account statement failed: {e}");
                    RecordsEvent::Failed {
                        request,
                        message: e.user_message(),
                    }
                }
            },
            RecordsCommand::QuerySettlements {
                request,
                person_number,
                from,
                to,
            } => match kiosk_sync::records::settlements(&client, &person_number, from, to) {
                Ok(settlements) => {
                    tracing::info!(
                        request,
                        n = settlements.items.len(),
                        ms = started.elapsed().as_millis() as u64,
                        "settlements answered"
                    );
                    RecordsEvent::SettlementsLoaded {
                        request,
                        settlements,
                    }
                }
                Err(e) => {
                    tracing::warn!(request, "settlements failed: {e}");
                    RecordsEvent::Failed {
                        request,
                        message: e.user_message(),
                    }
                }
            },
            RecordsCommand::SignContributionRecord {
                request,
                person_number,
                insurance_type,
                from,
                to,
            } => match kiosk_sync::records::sign_contribution_record(
                &client,
                &person_number,
                insurance_type,
                from,
                to,
            ) {
                Ok(signed) => {
                    tracing::info!(
                        request,
                        ms = started.elapsed().as_millis() as u64,
                        "contribution record signed"
                    );
                    RecordsEvent::RecordSigned {
                        request,
                        number: signed.number,
                        issued_at: signed.issued_at,
                        verification: signed.verification,
                        months: signed.months,
                    }
                }
                Err(e) => {
                    tracing::warn!(request, "contribution record failed: {e}");
                    RecordsEvent::Failed {
                        request,
                        message: e.user_message(),
                    }
                }
            },
        };
        let _ = events.send(Event::Records(event));
    };
    if let Err(e) = std::thread::Builder::new()
        .name("records".into())
        .spawn(work)
    {
        tracing::error!("cannot start the records worker: {e}");
    }
}

//! The session loop: one thread owns the [`Session`] state machine, feeds
//! it events (devices, taps, answers), carries out its commands on worker
//! threads, and shows the resulting view. Logs name events by kind and
//! request number only: never a name or a number.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};

use kiosk_core::clock::Clock;
use kiosk_core::documents::{EnrollmentCertificate, VERIFICATION_TAG};
use kiosk_core::print_job::DocumentKind;
use kiosk_core::region::{CertificateLayout, RegionProfile};
use kiosk_core::session::{Action, Command, Document, Event, Screen, Session};
use kiosk_core::tr;
use kiosk_core::view::View;
use kiosk_drivers::printer::{Paper, layout};
use kiosk_sim::printer::PaperWidth;
use kiosk_sync::CentralClient;
use kiosk_sync::wire::CertificateIssueInput;
use kiosk_ui::UiHandle;

use crate::filings::{Desk, Outcome};
use crate::printglyphs::PrintGlyphs;
use crate::spooler::Request;
use crate::voice::Voice;

/// How long the loop waits for an event when no timeout is pending; the
/// clock on the screen (footer) is refreshed at this pace.
const IDLE_WAKE: Duration = Duration::from_secs(15);

/// What the loop needs from the outside.
pub struct Controller {
    /// The state machine.
    pub session: Session,
    /// The screen.
    pub ui: UiHandle,
    /// The central service.
    pub client: Arc<CentralClient>,
    /// The printer spooler (print journal + printer).
    pub spooler: Sender<Request>,
    /// The printer's profile (paper, charset, glyphs for rare characters)
    /// and the health entry for characters printed as 〓.
    pub print: PrintGlyphs,
    /// Wall clock (for documents and the header).
    pub clock: Arc<dyn Clock>,
    /// Where worker threads post their results.
    pub events: Sender<Event>,
    /// The region profile (document texts).
    pub region: Arc<RegionProfile>,
    /// Voice prompts.
    pub voice: Voice,
    /// Store, outbox (filings, ratings, audit: write first, receipt at
    /// once) and sync engine: the kiosk's `Backend`.
    pub desk: Arc<dyn Desk>,
    /// The kiosk's screen language; a citizen's choice lasts until their
    /// session ends.
    pub language: &'static str,
    /// The document camera for a proxy's written authorisation, when one
    /// is configured (camera.rs).
    pub camera: Option<Arc<dyn crate::camera::DocumentCamera>>,
    /// The fleet counters (metrics.rs): journeys and print jobs.
    pub telemetry: Option<Arc<crate::metrics::Telemetry>>,
    /// Every citizen starts in elderly mode (remote settings, KS33).
    pub elderly_default: bool,
}

impl Controller {
    /// Runs until every sender of `inbox` is gone.
    pub fn run(mut self, inbox: Receiver<Event>) {
        self.refresh_clock();
        self.show(Instant::now());
        loop {
            let now = Instant::now();
            let wait = self
                .session
                .next_deadline(now)
                .map(|d| d.saturating_duration_since(now))
                .unwrap_or(IDLE_WAKE)
                .min(IDLE_WAKE);
            let event = match inbox.recv_timeout(wait) {
                Ok(event) => event,
                Err(RecvTimeoutError::Timeout) => {
                    self.refresh_clock();
                    Event::Tick
                }
                Err(RecvTimeoutError::Disconnected) => return,
            };
            // Every log line of this round names the screen the session
            // was on (a journal field under systemd).
            let _journey =
                tracing::info_span!("session", journey = self.session.screen().id()).entered();
            log_event(&event);
            let now = Instant::now();
            let touched = matches!(event, Event::Touched);
            if let Event::Settings(settings) = &event {
                self.voice.set_volume(settings.voice_volume.unwrap_or(100));
            }
            if let Event::Settings(settings) = &event
                && settings.elderly_default != self.elderly_default
            {
                self.elderly_default = settings.elderly_default;
                if self.session.screen() == Screen::Home {
                    self.reset_elderly_mode();
                }
            }
            let printed = match &event {
                Event::PrintFinished => Some("printed"),
                Event::PrintPending { .. } => Some("pending"),
                Event::PrintFailed { .. } => Some("failed"),
                _ => None,
            };
            let was_home = self.session.screen() == Screen::Home;
            let commands = self.session.handle(event, now, self.clock.now());
            let outcomes = self.session.take_journey_outcomes();
            if let Some(telemetry) = &self.telemetry {
                telemetry.record_journeys(&outcomes);
                if let Some(outcome) = printed {
                    telemetry.record_print(outcome);
                }
            }
            if !was_home && self.session.screen() == Screen::Home {
                self.reset_language();
                self.reset_elderly_mode();
            }
            if touched {
                // The language may have changed (the clock's format).
                self.refresh_clock();
            }
            self.show(now);
            for command in commands {
                self.execute(command);
            }
        }
    }

    fn show(&self, now: Instant) {
        if let Err(e) = self.ui.show(View::of(&self.session, now)) {
            tracing::warn!("screen update failed: {e}");
        }
    }

    /// The next citizen starts in the kiosk's language.
    fn reset_language(&self) {
        if kiosk_core::texts::selected() != self.language
            && let Err(e) = self.ui.select_language(self.language)
        {
            tracing::warn!("screen language not reset: {e}");
        }
    }

    /// The next citizen starts in standard mode, as with the language
    /// (issue 19 item 9): elderly mode (长辈模式) is one citizen's choice
    /// — unless staff made it the kiosk's default (remote settings).
    fn reset_elderly_mode(&self) {
        if let Err(e) = self.ui.set_elderly(self.elderly_default) {
            tracing::warn!("elderly mode not reset: {e}");
        }
    }

    fn refresh_clock(&self) {
        let text = self
            .clock
            .now()
            .format(tr!("%Y年%m月%d日 %H:%M"))
            .to_string();
        if let Err(e) = self.ui.set_clock(text) {
            tracing::warn!("clock update failed: {e}");
        }
    }

    fn execute(&self, command: Command) {
        let events = self.events.clone();
        match command {
            Command::QueryPerson {
                request,
                credential,
            } => {
                let client = Arc::clone(&self.client);
                spawn_worker("person-query", move || {
                    let started = Instant::now();
                    let event = match client.fetch_insured_person(&credential) {
                        Ok(person) => {
                            tracing::info!(
                                request,
                                ms = started.elapsed().as_millis() as u64,
                                enrollments = person.enrollments.len(),
                                "person query answered"
                            );
                            Event::PersonLoaded {
                                request,
                                person: Box::new(person),
                            }
                        }
                        Err(e) => {
                            tracing::warn!(request, "person query failed: {e}");
                            Event::PersonFailed {
                                request,
                                message: e.user_message(),
                            }
                        }
                    };
                    let _ = events.send(event);
                });
            }
            Command::IssueCertificate {
                request,
                person_number,
                insurance_type,
                layout,
            } => {
                let client = Arc::clone(&self.client);
                let region = Arc::clone(&self.region);
                let print = self.print.clone();
                spawn_worker("certificate", move || {
                    let event = match issue_certificate(
                        &client,
                        &region,
                        &print,
                        &person_number,
                        insurance_type.code(),
                        layout,
                    ) {
                        Ok((certificate, preview)) => {
                            tracing::info!(request, "certificate issued");
                            Event::CertificateIssued {
                                request,
                                certificate: Box::new(certificate),
                                preview: Arc::new(preview),
                            }
                        }
                        Err(message) => Event::CertificateFailed { request, message },
                    };
                    let _ = events.send(event);
                });
            }
            Command::Print(document) => {
                let profile = &self.print.profile;
                let (kind, job) = match document.as_ref() {
                    Document::Slip(slip)
                    | Document::ChronicSlip(slip)
                    | Document::PremiumReceipt(slip) => (
                        DocumentKind::BusinessSlip,
                        layout::business_slip_job(slip, profile),
                    ),
                    Document::Certificate(cert) => (
                        match cert.layout {
                            CertificateLayout::Simple => DocumentKind::CertificateSimple,
                            CertificateLayout::Transfer => DocumentKind::CertificateTransfer,
                        },
                        layout::certificate(cert, profile),
                    ),
                    Document::Filing { receipt, letter } => {
                        // One job: the receipt, cut, then the letter copy.
                        let mut job = layout::filing_receipt(receipt, profile);
                        let copy = layout::commitment_letter(letter, profile);
                        job.bytes.extend(copy.bytes);
                        job.substitutions.extend(copy.substitutions);
                        (DocumentKind::FilingReceipt, job)
                    }
                    Document::FilingSlip(slip) => (
                        DocumentKind::FilingReceipt,
                        layout::filing_receipt(slip, profile),
                    ),
                    Document::ArchivedLetter {
                        filing_number,
                        letter,
                        proxy,
                    } => (
                        DocumentKind::FilingReceipt,
                        layout::archived_letter(filing_number, letter, proxy.as_deref(), profile),
                    ),
                    Document::ContributionRecord(record) => (
                        DocumentKind::ContributionRecord,
                        layout::contribution_record(record, profile),
                    ),
                    Document::InstitutionList(list) => (
                        DocumentKind::InstitutionList,
                        layout::institution_list(list, profile),
                    ),
                    Document::AccountStatement(doc) => (
                        DocumentKind::AccountStatement,
                        layout::account_statement(doc, profile),
                    ),
                    Document::SettlementSlip(doc) => (
                        DocumentKind::SettlementSlip,
                        layout::settlement_slip(doc, profile),
                    ),
                };
                self.print.record(&job);
                let payload = job.bytes;
                // The spooler writes the job to the journal before the
                // first byte goes out, and answers with PrintFinished,
                // PrintPending or PrintFailed.
                if self.spooler.send(Request::Print { kind, payload }).is_err() {
                    tracing::error!("the printer spooler is not running");
                    let _ = events.send(Event::PrintFailed {
                        message: tr!("本机暂时无法打印，请到人工窗口打印。").into(),
                    });
                }
            }
            Command::AbandonPrint => {
                let _ = self.spooler.send(Request::Abandon);
            }
            Command::ResolvePrints(print) => {
                let _ = self.spooler.send(Request::Resolve(print));
            }
            Command::SubmitRating {
                transaction,
                score,
                reason,
                ..
            } => {
                let desk = Arc::clone(&self.desk);
                let input = kiosk_sync::wire::RatingInput {
                    rating_id: String::new(),
                    service: transaction.to_string(),
                    score,
                    tags: reason.into_iter().collect(),
                    comment: String::new(),
                    rated_at: self.clock.now().format("%Y-%m-%d %H:%M:%S").to_string(),
                };
                spawn_worker("rating", move || match desk.submit_rating(&input) {
                    Ok(tracking) => tracing::info!(transaction, score, tracking, "rating queued"),
                    Err(e) => tracing::warn!("rating not queued: {e}"),
                });
            }
            Command::LoadCities { province } => {
                let desk = Arc::clone(&self.desk);
                spawn_worker("areas", move || {
                    let cities = desk.cities(&province);
                    let _ = events.send(Event::CitiesLoaded { province, cities });
                });
            }
            Command::LoadInstitutions { area } => {
                let desk = Arc::clone(&self.desk);
                spawn_worker("institutions", move || {
                    let institutions = desk.institutions(&area);
                    let _ = events.send(Event::InstitutionsLoaded { area, institutions });
                });
            }
            Command::QueryFilings {
                request,
                person_number,
            } => {
                let desk = Arc::clone(&self.desk);
                spawn_worker("filings", move || {
                    let event = match desk.filings_of(&person_number) {
                        Ok(records) => Event::FilingsLoaded { request, records },
                        Err(message) => Event::FilingsFailed { request, message },
                    };
                    let _ = events.send(event);
                });
            }
            Command::LoadLetter {
                request,
                person_number,
                number,
            } => {
                let desk = Arc::clone(&self.desk);
                spawn_worker("filing-letter", move || {
                    let letter = desk.filing_letter(&person_number, &number).map(Box::new);
                    let _ = events.send(Event::LetterLoaded {
                        request,
                        number,
                        letter,
                    });
                });
            }
            Command::CancelFiling {
                person_number,
                number,
            } => {
                let desk = Arc::clone(&self.desk);
                spawn_worker("filing-cancel", move || {
                    let message = match desk.cancel_filing(&person_number, &number) {
                        Ok(m) | Err(m) => m,
                    };
                    tracing::info!("filing cancellation handled");
                    let _ = events.send(Event::FilingUpdated { message });
                });
            }
            Command::SuspendFiling {
                person_number,
                number,
                resume,
            } => {
                let desk = Arc::clone(&self.desk);
                spawn_worker("filing-suspend", move || {
                    let message = match desk.suspend_filing(&person_number, &number, resume) {
                        Ok(m) | Err(m) => m,
                    };
                    tracing::info!("filing suspension handled");
                    let _ = events.send(Event::FilingUpdated { message });
                });
            }
            Command::ChangeFiling {
                person_number,
                number,
                area,
                phone,
                end,
            } => {
                let desk = Arc::clone(&self.desk);
                let input = kiosk_sync::wire::FilingChangeInput {
                    psn_no: person_number,
                    filing_no: number,
                    mdtrtarea_admdvs: area.map(|a| a.code).unwrap_or_default(),
                    enddate: end.map(|d| d.to_string()).unwrap_or_default(),
                    tel: phone.unwrap_or_default(),
                };
                spawn_worker("filing-change", move || {
                    let message = match desk.change_filing(&input) {
                        Ok(m) | Err(m) => m,
                    };
                    tracing::info!("filing change handled");
                    let _ = events.send(Event::FilingUpdated { message });
                });
            }
            Command::SubmitFiling(submission) => {
                let desk = Arc::clone(&self.desk);
                spawn_worker("filing", move || {
                    let event = match desk.submit_filing(&submission) {
                        Ok(Outcome::Queued {
                            tracking_no,
                            filing_number,
                        }) => {
                            tracing::info!(
                                tracking_no,
                                answered = filing_number.is_some(),
                                "filing queued"
                            );
                            Event::FilingQueued {
                                tracking_no,
                                filing_number,
                            }
                        }
                        Ok(Outcome::Refused(message)) => {
                            tracing::info!("filing refused by the centre");
                            Event::FilingFailed { message }
                        }
                        Err(message) => Event::FilingNotSaved { message },
                    };
                    let _ = events.send(event);
                });
            }
            Command::Say(prompt) => self.voice.say(prompt),
            Command::Premium(command) => crate::premium::execute(
                command,
                Arc::clone(&self.client),
                self.desk.payment_desk(),
                events,
            ),
            Command::Chronic(command) => crate::chronic::execute(
                command,
                Arc::clone(&self.client),
                Arc::clone(&self.desk),
                events,
            ),
            Command::Records(command) => crate::records::execute(
                command,
                Arc::clone(&self.client),
                Arc::clone(&self.desk),
                events,
            ),
            Command::RecordProxy {
                person_number,
                proxy,
                authorisation,
            } => {
                // Both identities and the written authorisation go into
                // the sealed outbox; the log says only that it happened.
                let desk = Arc::clone(&self.desk);
                spawn_worker("audit", move || {
                    match desk.record_proxy(
                        &person_number,
                        &proxy.name,
                        &proxy.id_number,
                        &authorisation,
                    ) {
                        Ok(()) => tracing::info!(
                            authorisation = authorisation.code(),
                            "proxy recorded for this session"
                        ),
                        Err(e) => tracing::warn!("proxy record not written: {e}"),
                    }
                });
            }
            Command::CaptureAuthorisation => {
                let camera = self.camera.clone();
                spawn_worker("camera", move || {
                    let result = match camera {
                        Some(camera) => camera.capture().map(Arc::new),
                        None => Err(tr!(
                            "本机没有配置文件拍摄仪（高拍仪）。请工作人员核验书面委托原件后，勾选“已核验”再确认。"
                        )
                        .to_string()),
                    };
                    let _ = events.send(Event::AuthorisationPhoto(result));
                });
            }
        }
    }
}

/// Asks the centre for the certificate (number, facts, signature), builds
/// it with the region's texts and renders its preview from the very bytes
/// the printer will get. Errors are the citizen's message.
fn issue_certificate(
    client: &CentralClient,
    region: &RegionProfile,
    print: &PrintGlyphs,
    person_number: &str,
    insutype: &str,
    layout: CertificateLayout,
) -> Result<(EnrollmentCertificate, Vec<u8>), String> {
    let answer = client
        .issue_certificate(&CertificateIssueInput {
            psn_no: person_number.to_string(),
            cert_kind: "enrollment".into(),
            insutype: insutype.to_string(),
            layout: match layout {
                CertificateLayout::Simple => "simple",
                CertificateLayout::Transfer => "transfer",
            }
            .into(),
        })
        .map_err(|e| {
            tracing::warn!("certificate issue failed: {e}");
            e.user_message()
        })?;
    let cannot_print = || tr!("参保凭证暂时无法生成，请稍后再试或到人工窗口办理。").to_string();
    let facts = answer
        .facts
        .as_ref()
        .ok_or_else(|| {
            tracing::warn!("the centre issued a certificate number without its facts");
            cannot_print()
        })
        .and_then(|w| {
            kiosk_sync::mapping::certificate_facts(w).map_err(|e| {
                tracing::warn!("certificate facts unusable: {e}");
                cannot_print()
            })
        })?;
    let texts = region
        .documents()
        .certificate(layout)
        .ok_or_else(cannot_print)?;
    let certificate = EnrollmentCertificate::assemble(
        texts,
        &region.documents().agency_name.text,
        facts,
        format!(
            "{VERIFICATION_TAG}|{}|{}",
            answer.cert_no, answer.verify_code
        ),
    )
    .map_err(|e| {
        tracing::warn!("certificate incomplete: {e}");
        cannot_print()
    })?;
    let job = layout::certificate(&certificate, &print.profile);
    let preview = kiosk_sim::printer::render_preview(
        &job.bytes,
        match print.profile.paper {
            Paper::Mm58 => PaperWidth::Mm58,
            Paper::Mm80 => PaperWidth::Mm80,
        },
    )
    .map_err(|e| {
        tracing::warn!("certificate preview failed: {e}");
        cannot_print()
    })?;
    Ok((certificate, preview))
}

fn spawn_worker(name: &str, work: impl FnOnce() + Send + 'static) {
    if let Err(e) = std::thread::Builder::new()
        .name(name.to_string())
        .spawn(work)
    {
        tracing::error!("cannot start worker {name}: {e}");
    }
}

fn log_event(event: &Event) {
    match event {
        Event::CredentialPresented(c) => {
            tracing::info!(kind = c.kind().wire_code(), "credential presented")
        }
        Event::CredentialReadFailed { .. } => tracing::info!("credential read failed"),
        Event::CredentialRemoved => tracing::info!("credential removed"),
        Event::PersonLoaded { request, .. } => tracing::debug!(request, "person loaded"),
        Event::PersonFailed { request, .. } => tracing::debug!(request, "person failed"),
        // Filing steps carry what the citizen types (address, phone
        // digits): only the step's kind is logged.
        Event::Action(Action::Filed(step)) => {
            let kind = step.split(':').next().unwrap_or_default();
            tracing::info!(step = kind, "tap (my filings)")
        }
        Event::Action(Action::FilingStep(step)) => {
            let kind = step.split(':').next().unwrap_or_default();
            tracing::info!(step = kind, "tap (filing)")
        }
        Event::Action(a) => tracing::info!(action = ?a, "tap"),
        Event::PrintFinished => tracing::debug!("print finished"),
        Event::PrintFailed { .. } => tracing::debug!("print failed"),
        Event::PrintPending { .. } => tracing::debug!("print pending"),
        Event::PrintsRecovered { labels } => tracing::debug!(n = labels.len(), "prints recovered"),
        Event::PrintsResolved => tracing::debug!("prints resolved"),
        Event::CertificateIssued { request, .. } => tracing::debug!(request, "certificate ready"),
        Event::CertificateFailed { request, .. } => {
            tracing::debug!(request, "certificate failed")
        }
        Event::Touched => {}
        Event::CitiesLoaded { cities, .. } => tracing::debug!(n = cities.len(), "cities"),
        Event::InstitutionsLoaded { institutions, .. } => {
            tracing::debug!(n = institutions.len(), "institutions")
        }
        Event::FilingQueued { .. } => tracing::debug!("filing queued"),
        Event::FilingsLoaded { records, .. } => tracing::debug!(n = records.len(), "filings"),
        Event::FilingsFailed { .. } => tracing::debug!("filings failed"),
        Event::FilingUpdated { .. } => tracing::debug!("filing changed or cancelled"),
        Event::LetterLoaded { letter, .. } => {
            tracing::debug!(found = letter.is_ok(), "archived letter")
        }
        Event::FilingFailed { .. } => tracing::debug!("filing refused"),
        Event::FilingNotSaved { .. } => tracing::debug!("filing not saved"),
        Event::AuthorisationPhoto(result) => {
            tracing::info!(taken = result.is_ok(), "document camera answered")
        }
        Event::Tick => {}
        Event::Records(_) => tracing::debug!("records answer"),
        Event::Chronic(_) => tracing::debug!("chronic answer"),
        Event::Premium(_) => tracing::debug!("premium answer"),
        Event::Settings(s) => tracing::info!(
            maintenance = s.maintenance,
            disabled = s.disabled.len(),
            "remote settings applied"
        ),
    }
}

//! The session state machine: the one place that decides what the kiosk
//! does next. Device events, answers from the central service and taps come
//! in as [`Event`]s; the machine changes its state and returns
//! [`Command`]s for the edges to carry out (query the centre, issue a
//! certificate, print, queue a rating, play a voice prompt). It never
//! performs I/O and never reads a clock: time comes in with every call.
//!
//! Invariants:
//! - Personal data lives only in `Session::person`, `Session::credential`
//!   and `Session::certificates`; all are cleared whenever the session ends
//!   (home, card removed, idle timeout), and answers to an earlier request
//!   (a slow centre after the card was removed) are dropped by request
//!   number.
//! - The region's rules come from the [`RegionProfile`] given at start;
//!   nothing here names a region.
//! - The session ends by itself after [`SessionConfig::idle_after`] without
//!   a touch, with a visible countdown of [`SessionConfig::countdown`]
//!   first; it never ends while the kiosk is working for the citizen
//!   (querying, issuing, printing).

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;

use crate::documents::{BusinessSlip, CommitmentLetterCopy, EnrollmentCertificate, FilingReceipt};
use crate::enrollment::{Enrollment, EnrollmentStatus, InsuranceType, InsuredPerson};
use crate::identity::{Credential, CredentialKind};
use crate::region::{CertificateApplicant, CertificateLayout, RegionProfile};
use crate::tr;

pub mod chronic;
pub mod filing;
pub mod institutions;
pub mod journey;
pub mod ledger;
pub mod premium;
mod proxy;
pub mod rating;
pub mod records;
pub mod settings;
mod vocabulary;
pub use filing::{
    FiledRecord, FiledState, FilingDraft, FilingSubmission, Institution, Keypad, Place,
};
pub use records::{Records, RecordsCommand, RecordsEvent};
pub use vocabulary::{
    Action, Authorisation, Command, DEFAULT_RATING_LEVELS, Document, Event, Prompt, Proxy,
    RATING_REASONS, Screen,
};

/// Timings of a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionConfig {
    /// How long the full ID number stays visible after a tap.
    pub reveal_for: Duration,
    /// A session with no touch for this long ends.
    pub idle_after: Duration,
    /// The last part of `idle_after` shows a countdown with a button to continue.
    pub countdown: Duration,
    /// How often the take-card reminder repeats its sound.
    pub take_card_repeat: Duration,
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            reveal_for: Duration::from_secs(5),
            idle_after: Duration::from_secs(60),
            countdown: Duration::from_secs(10),
            take_card_repeat: Duration::from_secs(15),
        }
    }
}

/// Who the kiosk is, for documents it prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TerminalInfo {
    /// Terminal id.
    pub terminal_id: String,
    /// Service hall name.
    pub hall_name: String,
}

/// A rating in progress or given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RatingState {
    /// Not rated yet.
    Open,
    /// A level was chosen that asks for an optional reason.
    AskReason(usize),
    /// Rated: thank the citizen.
    Done,
}

/// The session.
#[derive(Debug)]
pub struct Session {
    config: SessionConfig,
    terminal: TerminalInfo,
    region: Arc<RegionProfile>,
    screen: Screen,
    credential: Option<Credential>,
    card_inserted: Option<CredentialKind>,
    person: Option<InsuredPerson>,
    certificates: Vec<(EnrollmentCertificate, Arc<Vec<u8>>)>,
    layout: Option<CertificateLayout>,
    last_document: Option<Document>,
    rating: RatingState,
    title: String,
    message: String,
    note: String,
    request: u64,
    reveal_until: Option<Instant>,
    last_touch: Instant,
    warned: bool,
    take_card_next: Option<Instant>,
    guide_query: String,
    guide_code: Option<String>,
    proxy_mode: bool,
    proxy: Option<Proxy>,
    document_camera: bool,
    proxy_ticked: bool,
    authorisation: Option<Authorisation>,
    filing: Option<FilingDraft>,
    filing_cities: Vec<Place>,
    filing_institutions: Vec<Institution>,
    filing_submitted: Option<Box<FilingSubmission>>,
    filed: Vec<FiledRecord>,
    keypad: Option<Keypad>,
    print_pending: bool,
    today: chrono::NaiveDate,
    slips_printed: u64,
    unrated: Option<&'static str>,
    proof_for: Option<String>,
    records: Records,
    chronic: chronic::Chronic,
    premium: premium::Premium,
    /// The payment order the session watches: not personal data, it
    /// outlives the session's state to be handed to the edges.
    premium_watch: Option<String>,
    /// The journey the citizen is in (journey.rs), and the outcomes not
    /// yet taken by the edges.
    journey: Option<journey::OpenJourney>,
    journey_outcomes: Vec<journey::JourneyOutcome>,
    /// Remote settings in effect (settings.rs), and the file's timings
    /// they fall back to.
    settings: settings::Settings,
    file_idle_after: Duration,
    file_countdown: Duration,
}

impl Session {
    /// A session on the home screen at `now`.
    pub fn new(
        config: SessionConfig,
        terminal: TerminalInfo,
        region: Arc<RegionProfile>,
        now: Instant,
    ) -> Session {
        Session {
            config,
            terminal,
            region,
            screen: Screen::Home,
            credential: None,
            card_inserted: None,
            person: None,
            certificates: Vec::new(),
            layout: None,
            last_document: None,
            rating: RatingState::Open,
            title: String::new(),
            message: String::new(),
            note: String::new(),
            request: 0,
            reveal_until: None,
            last_touch: now,
            warned: false,
            take_card_next: None,
            guide_query: String::new(),
            guide_code: None,
            proxy_mode: false,
            proxy: None,
            document_camera: false,
            proxy_ticked: false,
            authorisation: None,
            filing: None,
            filing_cities: Vec::new(),
            filing_institutions: Vec::new(),
            filing_submitted: None,
            filed: Vec::new(),
            keypad: None,
            print_pending: false,
            today: chrono::NaiveDate::MIN,
            slips_printed: 0,
            unrated: None,
            proof_for: None,
            records: Records::default(),
            chronic: chronic::Chronic::default(),
            premium: premium::Premium::default(),
            premium_watch: None,
            journey: None,
            journey_outcomes: Vec::new(),
            settings: settings::Settings::default(),
            file_idle_after: config.idle_after,
            file_countdown: config.countdown,
        }
    }

    /// The same session with a document camera configured for the
    /// proxy's written authorisation (the photo is offered besides the
    /// staff's tick).
    pub fn with_document_camera(mut self, configured: bool) -> Session {
        self.document_camera = configured;
        self
    }

    /// The screen showing.
    pub fn screen(&self) -> Screen {
        self.screen
    }

    /// The region profile.
    pub fn region(&self) -> &RegionProfile {
        &self.region
    }

    /// The person on screen, if any.
    pub fn person(&self) -> Option<&InsuredPerson> {
        self.person.as_ref()
    }

    /// The title of the error (or refusal) screen.
    pub fn title(&self) -> &str {
        &self.title
    }

    /// The message of the error (or status) screen.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// A note under the message (e.g. the region rule's own wording).
    pub fn note(&self) -> &str {
        &self.note
    }

    /// Whether the full ID number is showing at `now`.
    pub fn id_revealed(&self, now: Instant) -> bool {
        self.reveal_until.is_some_and(|until| now < until)
    }

    /// The physical card (ID card, social security card) in a reader, if any.
    pub fn card_inserted(&self) -> Option<CredentialKind> {
        self.card_inserted
    }

    /// The kind of the credential of this session, if any.
    pub fn credential_kind(&self) -> Option<CredentialKind> {
        self.credential.as_ref().map(Credential::kind)
    }

    /// The certificate on screen and its preview PNG.
    pub fn certificate(&self) -> Option<(&EnrollmentCertificate, &Arc<Vec<u8>>)> {
        let layout = self.layout?;
        self.certificates
            .iter()
            .find(|(c, _)| c.layout == layout)
            .map(|(c, p)| (c, p))
    }

    /// The last printed document.
    pub fn last_document(&self) -> Option<&Document> {
        self.last_document.as_ref()
    }

    /// The rating state of the printed screen.
    pub fn rating(&self) -> RatingState {
        self.rating
    }

    /// The rating levels (region profile, else the national four).
    pub fn rating_levels(&self) -> Vec<String> {
        self.region
            .documents()
            .rating_levels
            .as_ref()
            .map(|p| p.value.clone())
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| {
                DEFAULT_RATING_LEVELS
                    .iter()
                    .map(|s| s.to_string())
                    .collect()
            })
    }

    /// The proxy acting in this session, if any.
    pub fn proxy(&self) -> Option<&Proxy> {
        self.proxy.as_ref()
    }

    /// The guide search text.
    pub fn guide_query(&self) -> &str {
        &self.guide_query
    }

    /// The guide on screen.
    pub fn guide_code(&self) -> Option<&str> {
        self.guide_code.as_deref()
    }

    /// Seconds left on the idle countdown at `now`, when it is showing.
    pub fn countdown(&self, now: Instant) -> Option<u64> {
        if !self.idle_applies() {
            return None;
        }
        let end = self.last_touch + self.config.idle_after;
        let warn = end.checked_sub(self.config.countdown)?;
        if now < warn {
            return None;
        }
        let left = end.saturating_duration_since(now);
        Some(left.as_millis().div_ceil(1000) as u64)
    }

    /// When the next [`Event::Tick`] matters (a timeout runs out, the
    /// countdown changes), if ever.
    pub fn next_deadline(&self, now: Instant) -> Option<Instant> {
        let mut deadlines = Vec::with_capacity(4);
        deadlines.extend(self.reveal_until);
        deadlines.extend(self.premium_deadline(now));
        deadlines.extend(self.take_card_next);
        if self.idle_applies() {
            let end = self.last_touch + self.config.idle_after;
            let warn = end
                .checked_sub(self.config.countdown)
                .unwrap_or(self.last_touch);
            if now < warn {
                deadlines.push(warn);
            } else {
                // The countdown changes every whole second before `end`.
                let left = end.saturating_duration_since(now);
                let frac = Duration::from_nanos((left.as_nanos() % 1_000_000_000) as u64);
                let step = if frac.is_zero() {
                    Duration::from_secs(1)
                } else {
                    frac
                };
                deadlines.push((now + step).min(end));
            }
        }
        deadlines.into_iter().min()
    }

    fn idle_applies(&self) -> bool {
        !matches!(self.screen, Screen::Home | Screen::TakeCard) && !self.screen.busy()
    }

    /// Handles one event at `now` (monotonic) and `wall` (local time, for
    /// documents and rules). Returns what the edges must do.
    pub fn handle(&mut self, event: Event, now: Instant, wall: NaiveDateTime) -> Vec<Command> {
        self.today = wall.date();
        if self.ignored_in_maintenance(&event) {
            return Vec::new();
        }
        if let Event::Action(action) = &event
            && let Some(refused) = self.refuse_disabled(action)
        {
            return refused;
        }
        let before = self.meter_before(&event);
        let mut commands = self.handle_event(event, now, wall);
        self.meter_after(before);
        // The session ended while its job waited for the printer.
        if self.print_pending && !matches!(self.screen, Screen::PrintPending | Screen::Printing) {
            self.print_pending = false;
            commands.push(Command::AbandonPrint);
        }
        // The session ended while a payment order was open: the edges
        // cancel and reconcile it.
        if self.premium.order.is_none()
            && let Some(order_no) = self.premium_watch.take()
        {
            commands.push(Command::Premium(premium::PremiumCommand::GiveUp {
                order_no,
            }));
        }
        commands
    }

    fn handle_event(&mut self, event: Event, now: Instant, wall: NaiveDateTime) -> Vec<Command> {
        match event {
            Event::PrintPending { message } => {
                if matches!(self.screen, Screen::Printing | Screen::PrintPending) {
                    self.print_pending = true;
                    if self.person.is_none() {
                        // The card left during printing: nobody waits.
                        self.go_home();
                        return Vec::new();
                    }
                    self.touch(now);
                    self.title = tr!("打印暂停").into();
                    self.message = message;
                    self.note = tr!("问题排除后将自动重新打印完整的单据，请稍候。").into();
                    self.screen = Screen::PrintPending;
                    return vec![Command::Say(Prompt::Problem)];
                }
                Vec::new()
            }
            Event::PrintsRecovered { labels } => {
                if self.screen == Screen::Home {
                    self.title = tr!("有未打印完成的单据").into();
                    self.message = tr!(
                        "本机上次停止运行时，有 {} 份单据未打印完成：{}。",
                        labels.len(),
                        labels.join(tr!("、"))
                    );
                    self.note = tr!("请工作人员确认：重新打印完整的单据，或不打印。").into();
                    self.screen = Screen::RecoverPrints;
                }
                Vec::new()
            }
            Event::PrintsResolved => Vec::new(),
            Event::CitiesLoaded { province, cities } => {
                if self
                    .filing
                    .as_ref()
                    .and_then(|f| f.province.as_ref())
                    .map(|p| &p.code)
                    == Some(&province)
                {
                    self.filing_cities = cities;
                }
                Vec::new()
            }
            Event::InstitutionsLoaded { area, institutions } => {
                if self
                    .filing
                    .as_ref()
                    .and_then(|f| f.area.as_ref())
                    .map(|a| &a.code)
                    == Some(&area)
                {
                    self.filing_institutions = institutions;
                }
                Vec::new()
            }
            Event::FilingQueued {
                tracking_no,
                filing_number,
            } => {
                if self.screen != Screen::FilingSubmitting {
                    return Vec::new();
                }
                self.touch(now);
                match self.filing_documents(&tracking_no, filing_number, wall) {
                    Some(document) => self.print(document),
                    None => Vec::new(),
                }
            }
            Event::FilingsLoaded { request, records } => {
                if request == self.request && self.screen == Screen::FilingsLoading {
                    self.touch(now);
                    let today = self.today;
                    self.filed = records.into_iter().map(|r| r.as_of(today)).collect();
                    self.screen = Screen::Filings;
                    if let Some(commands) = self.print_proof(wall) {
                        return commands;
                    }
                    if self.note.is_empty() {
                        return vec![Command::Say(Prompt::Filings)];
                    }
                }
                Vec::new()
            }
            Event::FilingsFailed { request, message } => {
                if request == self.request && self.screen == Screen::FilingsLoading {
                    self.touch(now);
                    self.show_error(message);
                    return vec![Command::Say(Prompt::Problem)];
                }
                Vec::new()
            }
            Event::LetterLoaded {
                request,
                number,
                letter,
            } => {
                self.touch(now);
                self.letter_loaded(request, number, letter)
            }
            Event::FilingUpdated { message } => {
                if self.screen != Screen::FilingsLoading {
                    return Vec::new();
                }
                self.touch(now);
                self.transaction_done(rating::transaction::FILING_CHANGE);
                // Reload the list; the message stays above it.
                let mut commands = self.reload_filings();
                self.note = message;
                commands.push(Command::Say(Prompt::ChooseService));
                commands
            }
            Event::FilingFailed { message } => {
                if self.screen == Screen::FilingSubmitting {
                    self.touch(now);
                    self.show_error(message);
                    return vec![Command::Say(Prompt::Problem)];
                }
                Vec::new()
            }
            Event::FilingNotSaved { message } => {
                if self.screen == Screen::FilingSubmitting && self.filing.is_some() {
                    // Back to the signed letter, form and signature kept:
                    // once staff free space, one tap submits it again.
                    self.touch(now);
                    self.filing_submitted = None;
                    self.note = message;
                    self.screen = Screen::FilingLetter;
                    return vec![Command::Say(Prompt::Problem)];
                }
                Vec::new()
            }
            Event::CredentialPresented(credential) => {
                if self.screen.busy() {
                    return Vec::new();
                }
                self.touch(now);
                if self.screen == Screen::ProxyId {
                    return self.proxy_presented(credential);
                }
                if self.screen == Screen::ProxyAuthorisation {
                    // Both people are known; the step waits for staff.
                    return Vec::new();
                }
                let proxy_mode = self.screen == Screen::ProxyStart;
                self.clear_personal_data();
                self.proxy_mode = proxy_mode;
                self.request += 1;
                let kind = credential.kind();
                if kind != CredentialKind::EVoucher {
                    self.card_inserted = Some(kind);
                }
                self.take_card_next = None;
                self.credential = Some(credential.clone());
                self.screen = Screen::Querying;
                vec![
                    Command::QueryPerson {
                        request: self.request,
                        credential,
                    },
                    Command::Say(Prompt::Querying),
                ]
            }
            Event::CredentialReadFailed { message } => {
                if matches!(self.screen, Screen::Home | Screen::Error | Screen::Guides) {
                    self.touch(now);
                    self.show_error(message);
                    return vec![Command::Say(Prompt::Problem)];
                }
                Vec::new()
            }
            Event::CredentialRemoved => {
                self.card_inserted = None;
                if matches!(self.screen, Screen::ProxyId | Screen::ProxyAuthorisation) {
                    // The insured person's card leaves to make room for the
                    // proxy's, or the proxy's goes to staff with the
                    // written authorisation: the session goes on.
                    return Vec::new();
                }
                if self.screen == Screen::Printing {
                    // The job finishes; the session ends when it does.
                    self.clear_personal_data();
                    return Vec::new();
                }
                let was_home = self.screen == Screen::Home;
                self.go_home();
                if was_home {
                    Vec::new()
                } else {
                    vec![Command::Say(Prompt::PresentCredential)]
                }
            }
            Event::PersonLoaded { request, person } => {
                if request == self.request && self.screen == Screen::Querying {
                    self.touch(now);
                    self.person = Some(*person);
                    if self.proxy_mode {
                        self.screen = Screen::ProxyId;
                        return vec![Command::Say(Prompt::ProxyId)];
                    }
                    self.screen = Screen::Enrollment;
                    self.transaction_done(rating::transaction::ENROLLMENT_QUERY);
                    return vec![Command::Say(Prompt::ChooseService)];
                }
                Vec::new()
            }
            Event::PersonFailed { request, message } => {
                if request == self.request && self.screen == Screen::Querying {
                    self.touch(now);
                    self.credential = None;
                    self.show_error(message);
                    return vec![Command::Say(Prompt::Problem)];
                }
                Vec::new()
            }
            Event::CertificateIssued {
                request,
                certificate,
                preview,
            } => {
                if request == self.request && self.screen == Screen::Issuing {
                    self.touch(now);
                    self.layout = Some(certificate.layout);
                    self.certificates
                        .retain(|(c, _)| c.layout != certificate.layout);
                    self.certificates.push((*certificate, preview));
                    self.screen = Screen::Certificate;
                }
                Vec::new()
            }
            Event::CertificateFailed { request, message } => {
                if request == self.request && self.screen == Screen::Issuing {
                    self.touch(now);
                    self.show_error(message);
                    return vec![Command::Say(Prompt::Problem)];
                }
                Vec::new()
            }
            Event::Action(action) => {
                self.touch(now);
                self.act(action, now, wall)
            }
            Event::Touched => {
                self.touch(now);
                Vec::new()
            }
            Event::PrintFinished => {
                if !matches!(self.screen, Screen::Printing | Screen::PrintPending) {
                    return Vec::new();
                }
                self.print_pending = false;
                self.title.clear();
                self.message.clear();
                self.note.clear();
                if self.person.is_none() {
                    // The card was taken during printing: the session is over.
                    self.go_home();
                    return vec![Command::Say(Prompt::TakeDocument)];
                }
                self.touch(now);
                self.screen = Screen::Printed;
                self.rating = RatingState::Open;
                // The printed screen asks for the rating itself.
                self.unrated = None;
                let mut commands = vec![Command::Say(Prompt::TakeDocument)];
                if self.card_inserted.is_some() {
                    commands.push(Command::Say(Prompt::TakeCard));
                }
                commands
            }
            Event::PrintFailed { message } => {
                if matches!(self.screen, Screen::Printing | Screen::PrintPending) {
                    self.print_pending = false;
                    self.touch(now);
                    self.show_error(message);
                    return vec![Command::Say(Prompt::Problem)];
                }
                Vec::new()
            }
            Event::AuthorisationPhoto(result) => {
                self.touch(now);
                self.authorisation_photo(result, wall)
            }
            Event::Tick => self.tick(now),
            Event::Settings(settings) => self.apply_settings(*settings),
            Event::Records(event) => {
                self.touch(now);
                self.records_event(event, wall)
            }
            Event::Chronic(event) => {
                self.touch(now);
                self.chronic_event(event, wall)
            }
            Event::Premium(event) => self.premium_event(event, now, wall),
        }
    }

    fn act(&mut self, action: Action, now: Instant, wall: NaiveDateTime) -> Vec<Command> {
        match action {
            Action::Home => self
                .rate_before_leaving()
                .unwrap_or_else(|| self.end_session(now)),
            Action::SkipRating if self.screen == Screen::Rate => self.end_session(now),
            Action::SkipRating => Vec::new(),
            Action::Continue => Vec::new(),
            Action::Filing => self.start_filing(),
            Action::MyFilings => self.my_filings(),
            Action::Records(id) => self.records_action(&id, wall),
            Action::Chronic(id) => self.chronic_action(&id, wall),
            Action::Premium(id) => self.premium_action(&id, wall),
            Action::Filed(id) => {
                if self.screen == Screen::Filings {
                    self.filed_action(&id, wall)
                } else {
                    Vec::new()
                }
            }
            Action::FilingStep(id) => {
                let is_filing_screen = matches!(
                    self.screen,
                    Screen::FilingCategory
                        | Screen::FilingForm
                        | Screen::FilingProvince
                        | Screen::FilingCity
                        | Screen::FilingPhone
                        | Screen::FilingInstitutions
                        | Screen::FilingLetter
                        | Screen::FilingChange
                        | Screen::FilingExtend
                );
                if is_filing_screen {
                    self.filing_action(&id)
                } else {
                    Vec::new()
                }
            }
            Action::ResolvePrints(print) => {
                if self.screen != Screen::RecoverPrints {
                    return Vec::new();
                }
                self.go_home();
                vec![Command::ResolvePrints(print)]
            }
            Action::Proxy => {
                if self.screen == Screen::Home {
                    self.screen = Screen::ProxyStart;
                }
                Vec::new()
            }
            Action::ProxyAuthorisation(id) => self.authorisation_action(&id, wall),
            Action::RevealIdNumber => {
                if self.person.is_some() {
                    self.reveal_until = Some(now + self.config.reveal_for);
                }
                Vec::new()
            }
            Action::PrintSlip => match (&self.person, self.screen) {
                (Some(person), Screen::Enrollment | Screen::Printed) => {
                    self.slips_printed += 1;
                    let slip = BusinessSlip::enrollment_query(
                        person,
                        &self.terminal,
                        wall,
                        self.slips_printed,
                    );
                    self.print(Document::Slip(Box::new(slip)))
                }
                _ => Vec::new(),
            },
            Action::Certificate => {
                if self.screen != Screen::Enrollment {
                    return Vec::new();
                }
                self.ask_certificate(wall)
            }
            Action::ChooseLayout(layout) => {
                if self.screen != Screen::Certificate
                    || !self.region.certificate_rule().allows_layout(layout)
                {
                    return Vec::new();
                }
                if self.certificates.iter().any(|(c, _)| c.layout == layout) {
                    self.layout = Some(layout);
                    return Vec::new();
                }
                self.issue(layout)
            }
            Action::PrintCertificate => match (self.screen, self.certificate()) {
                (Screen::Certificate, Some((cert, _))) => {
                    let cert = cert.clone();
                    self.print(Document::Certificate(Box::new(cert)))
                }
                _ => Vec::new(),
            },
            Action::Reprint => match (self.screen, self.last_document.clone()) {
                (Screen::Printed, Some(doc)) => self.print(doc),
                _ => Vec::new(),
            },
            Action::Back => {
                if self.filing_back()
                    || self.records_back()
                    || self.chronic_back()
                    || self.premium_back()
                {
                    return Vec::new();
                }
                match self.screen {
                    Screen::Filings if self.person.is_some() => {
                        self.note.clear();
                        self.screen = Screen::Enrollment;
                    }
                    Screen::Certificate | Screen::CertificateRefused | Screen::Printed
                        if self.person.is_some() =>
                    {
                        self.screen = Screen::Enrollment;
                    }
                    Screen::Guide => {
                        self.guide_code = None;
                        self.screen = Screen::Guides;
                    }
                    Screen::Guides | Screen::ProxyStart => self.screen = Screen::Home,
                    _ => {}
                }
                Vec::new()
            }
            Action::Guides => {
                if matches!(self.screen, Screen::Home | Screen::Error) {
                    self.message.clear();
                    self.guide_query.clear();
                    self.guide_code = None;
                    self.screen = Screen::Guides;
                }
                Vec::new()
            }
            Action::SearchGuides(query) => {
                if matches!(self.screen, Screen::Guides | Screen::Guide) {
                    self.guide_query = query.trim().chars().take(32).collect();
                    self.guide_code = None;
                    self.screen = Screen::Guides;
                }
                Vec::new()
            }
            Action::OpenGuide(code) => {
                if matches!(self.screen, Screen::Guides | Screen::Guide)
                    && self.region.item(&code).is_some()
                {
                    self.guide_code = Some(code);
                    self.screen = Screen::Guide;
                    if self.unrated.is_none() {
                        self.transaction_done(rating::transaction::GUIDES);
                    }
                }
                Vec::new()
            }
            Action::Rate(level) => {
                if !self.rating_on_screen() || self.rating != RatingState::Open {
                    return Vec::new();
                }
                let levels = self.rating_levels();
                if level >= levels.len() {
                    return Vec::new();
                }
                // The lower half of the scale asks why (optional).
                if level >= levels.len().div_ceil(2) {
                    self.rating = RatingState::AskReason(level);
                    return Vec::new();
                }
                self.submit_rating(level, None)
            }
            Action::RateReason(reason) => match self.rating {
                RatingState::AskReason(level) if self.rating_on_screen() => {
                    let reason = reason
                        .and_then(|i| RATING_REASONS.get(i))
                        .map(|s| s.to_string());
                    self.submit_rating(level, reason)
                }
                _ => Vec::new(),
            },
        }
    }

    fn ask_certificate(&mut self, wall: NaiveDateTime) -> Vec<Command> {
        let Some(person) = &self.person else {
            return Vec::new();
        };
        let rule = self.region.certificate_rule();
        let Some(enrollment) = certificate_enrollment(person) else {
            self.refuse(
                tr!(
                    "您没有基本医疗保险参保记录，无法出具《参保凭证》。如有疑问，请到人工窗口咨询。"
                )
                .to_string(),
            );
            return vec![Command::Say(Prompt::Problem)];
        };
        let applicant = CertificateApplicant {
            employee: person.enrollment(InsuranceType::EmployeeBasic).is_some(),
            suspended_on: match enrollment.status {
                EnrollmentStatus::Suspended => enrollment.suspended_from,
                _ => None,
            },
        };
        if let Err(refusal) = rule.check(&applicant, wall.date()) {
            self.refuse(refusal.user_message());
            return vec![Command::Say(Prompt::Problem)];
        }
        let layout = [CertificateLayout::Simple, CertificateLayout::Transfer]
            .into_iter()
            .find(|l| rule.allows_layout(*l) && self.region.documents().certificate(*l).is_some());
        match layout {
            Some(layout) => self.issue(layout),
            None => {
                self.refuse(tr!("本终端暂不能打印《参保凭证》，请到人工窗口办理。").to_string());
                vec![Command::Say(Prompt::Problem)]
            }
        }
    }

    /// A credential on the proxy step: it must be an identity document of
    /// someone other than the insured person.
    fn proxy_presented(&mut self, credential: Credential) -> Vec<Command> {
        let Some(person) = &self.person else {
            return Vec::new();
        };
        match credential {
            Credential::IdDocument { number, name, .. } if number != person.id_number => {
                self.card_inserted = Some(CredentialKind::IdDocument);
                self.proxy = Some(Proxy {
                    name,
                    id_number: number,
                });
                self.proxy_ticked = false;
                self.authorisation = None;
                self.note.clear();
                self.screen = Screen::ProxyAuthorisation;
                vec![Command::Say(Prompt::ProxyAuthorisation)]
            }
            Credential::IdDocument { .. } => {
                self.card_inserted = Some(CredentialKind::IdDocument);
                self.note = tr!("这是被代办人的身份证。请取走，再放置代办人本人的身份证。").into();
                vec![Command::Say(Prompt::ProxyId)]
            }
            _ => {
                self.note = tr!("代办人请使用本人的居民身份证，放在感应区。").into();
                vec![Command::Say(Prompt::ProxyId)]
            }
        }
    }

    /// The receipt and the letter copy of the submitted filing.
    fn filing_documents(
        &mut self,
        tracking_no: &str,
        filing_number: Option<String>,
        wall: NaiveDateTime,
    ) -> Option<Document> {
        let submission = self
            .filing
            .as_ref()
            .and_then(|_| self.pending_submission())?;
        let letter_texts = self.region.documents().commitment_letter.clone()?;
        let number = filing_number
            .clone()
            .unwrap_or_else(|| tracking_no.to_string());
        let area_of_care = if submission.area.name == submission.province.name {
            submission.province.name.clone()
        } else {
            format!("{}{}", submission.province.name, submission.area.name)
        };
        let rules = self.region.filing_rules();
        let mut notes = Vec::new();
        if filing_number.is_none() {
            notes.push(format!(
                "受理编号 {tracking_no}：备案已提交，审核结果可凭证件在本机“异地就医备案”中查看。" // printed: stays Chinese
            ));
        }
        if let Some(effect) = &rules.self_service_effect {
            notes.push(effect.text.clone());
        }
        if let Some(proxy) = &submission.proxy {
            notes.push(format!("代办人：{proxy}")); // printed: stays Chinese
        }
        let receipt = FilingReceipt {
            title: "异地就医备案回执".into(), // printed: stays Chinese
            filing_number: number.clone(),
            filed_at: wall,
            terminal_id: self.terminal.terminal_id.clone(),
            hall_name: self.terminal.hall_name.clone(),
            name: submission.name.clone(),
            id_number_masked: crate::identity::mask_number(&submission.id_number),
            insured_area: submission.insured_area.name.clone(),
            category: submission.category.clone(),
            area_of_care: area_of_care.clone(),
            effective_on: submission.start,
            validity: match submission.end {
                Some(end) => format!(
                    "至 {}（{}）", // printed: stays Chinese
                    crate::documents::format_date(end),
                    submission.validity
                ),
                None => submission.validity.clone(),
            },
            institutions: submission
                .institutions
                .iter()
                .map(|i| i.name.clone())
                .collect(),
            notes,
        };
        let letter = CommitmentLetterCopy::new(
            &letter_texts,
            &submission.name,
            &submission.sex,
            &submission.phone1,
            &submission.id_number,
            &submission.insured_area.name,
            &area_of_care,
            &submission.category,
            submission.signature.clone(),
            submission.start,
            &number,
        );
        Some(Document::Filing {
            receipt: Box::new(receipt),
            letter: Box::new(letter),
        })
    }

    fn reload_filings(&mut self) -> Vec<Command> {
        let Some(person) = &self.person else {
            return Vec::new();
        };
        self.request += 1;
        self.screen = Screen::FilingsLoading;
        vec![Command::QueryFilings {
            request: self.request,
            person_number: person.person_number.clone(),
        }]
    }

    fn pending_submission(&self) -> Option<&FilingSubmission> {
        self.filing_submitted.as_deref()
    }

    fn refuse(&mut self, message: String) {
        self.title = tr!("暂不能出具《参保凭证》").to_string();
        self.message = message;
        self.note = self.region.certificate_rule().explanation.text.clone();
        self.screen = Screen::CertificateRefused;
    }

    fn issue(&mut self, layout: CertificateLayout) -> Vec<Command> {
        let Some(person) = &self.person else {
            return Vec::new();
        };
        let Some(enrollment) = certificate_enrollment(person) else {
            return Vec::new();
        };
        self.request += 1;
        self.screen = Screen::Issuing;
        vec![Command::IssueCertificate {
            request: self.request,
            person_number: person.person_number.clone(),
            insurance_type: enrollment.insurance_type,
            layout,
        }]
    }

    fn print(&mut self, mut document: Document) -> Vec<Command> {
        if let Some(proxy) = &self.proxy {
            document.stamp_proxy(&proxy.masked());
        }
        self.last_document = Some(document.clone());
        self.screen = Screen::Printing;
        vec![
            Command::Print(Box::new(document)),
            Command::Say(Prompt::Printing),
        ]
    }

    fn submit_rating(&mut self, level: usize, reason: Option<String>) -> Vec<Command> {
        let levels = self.rating_levels();
        let Some(label) = levels.get(level) else {
            return Vec::new();
        };
        self.rating = RatingState::Done;
        let transaction = self.rated_transaction();
        self.unrated = None;
        vec![Command::SubmitRating {
            person_number: self
                .person
                .as_ref()
                .map(|p| p.person_number.clone())
                .unwrap_or_default(),
            transaction,
            level: label.clone(),
            score: score_of(level, levels.len()),
            reason,
        }]
    }

    fn tick(&mut self, now: Instant) -> Vec<Command> {
        let mut commands = self.premium_tick(now);
        if self.reveal_until.is_some_and(|until| now >= until) {
            self.reveal_until = None;
        }
        if self.screen == Screen::TakeCard
            && let Some(next) = self.take_card_next
            && now >= next
        {
            self.take_card_next = Some(now + self.config.take_card_repeat);
            commands.push(Command::Say(Prompt::TakeCard));
        }
        if self.idle_applies() {
            let end = self.last_touch + self.config.idle_after;
            if now >= end {
                commands.extend(self.end_session(now));
            } else if !self.warned && self.countdown(now).is_some() {
                self.warned = true;
                commands.push(Command::Say(Prompt::IdleWarning));
            }
        }
        commands
    }

    fn touch(&mut self, now: Instant) {
        self.last_touch = now;
        self.warned = false;
    }

    /// Ends the session: personal data leaves at once; with a card still in
    /// the reader the take-card reminder shows until it is removed.
    fn end_session(&mut self, now: Instant) -> Vec<Command> {
        let card = self.card_inserted.is_some();
        self.go_home();
        if card {
            self.screen = Screen::TakeCard;
            self.take_card_next = Some(now + self.config.take_card_repeat);
            vec![Command::Say(Prompt::TakeCard)]
        } else {
            Vec::new()
        }
    }

    fn show_error(&mut self, message: String) {
        self.title = tr!("暂时无法办理").to_string();
        self.message = message;
        self.note.clear();
        self.screen = Screen::Error;
    }

    fn go_home(&mut self) {
        self.clear_personal_data();
        self.title.clear();
        self.message.clear();
        self.note.clear();
        self.guide_query.clear();
        self.guide_code = None;
        self.take_card_next = None;
        self.screen = Screen::Home;
    }

    fn clear_personal_data(&mut self) {
        self.records.clear();
        self.chronic = chronic::Chronic::default();
        self.premium = premium::Premium::default();
        self.filing = None;
        self.filing_cities.clear();
        self.filing_institutions.clear();
        self.filing_submitted = None;
        self.filed.clear();
        self.keypad = None;
        self.proxy_mode = false;
        self.proxy = None;
        self.proxy_ticked = false;
        self.authorisation = None;
        self.person = None;
        self.credential = None;
        self.certificates.clear();
        self.layout = None;
        self.last_document = None;
        self.rating = RatingState::Open;
        self.reveal_until = None;
        self.unrated = None;
        self.proof_for = None;
    }
}

/// Level `index` of `count` (best first) on the centre's 5-to-1 scale,
/// spread evenly: of four levels 5, 4, 2, 1.
pub fn score_of(index: usize, count: usize) -> u8 {
    if count <= 1 {
        return 5;
    }
    let step = (index.min(count - 1) * 4 * 2 + (count - 1)) / (2 * (count - 1));
    5 - step as u8
}

/// The enrollment a certificate covers: the employee basic insurance when
/// there is one, else the resident basic insurance.
pub fn certificate_enrollment(person: &InsuredPerson) -> Option<&Enrollment> {
    person
        .enrollment(InsuranceType::EmployeeBasic)
        .or_else(|| person.enrollment(InsuranceType::ResidentBasic))
}

#[cfg(test)]
mod tests;

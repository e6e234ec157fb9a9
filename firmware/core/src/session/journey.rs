//! Journey outcomes for the fleet's counters (issue 18): what a citizen
//! started, and whether it ended completed, failed (and on what kind of
//! error) or abandoned. The session records them as it runs; the kiosk
//! drains them ([`Session::take_journey_outcomes`]) into its metrics and
//! its health reports. Kinds and journey ids only: never personal data.
//!
//! - **Started**: an entry tap that opened the journey's screen (a tap
//!   that changed nothing starts nothing), or a credential presented on
//!   the home screen (the enrollment query).
//! - **Completed**: the journey's business was done — its answer on
//!   screen (the enrollment, the contribution months, my filings …), its
//!   document printed (the printed screen: the certificate, a filing, a
//!   premium receipt), or a transaction recorded for the rating (a filing
//!   change).
//! - **Failed**: the error screen (or a refusal screen) while the journey
//!   was open, with the kind of event that led there.
//! - **Abandoned**: the session ended, or another journey began, while the
//!   journey was neither completed nor failed.
//!
//! Each journey has one outcome: the first one settles it.

use super::{Action, Event, Screen, Session};

/// A citizen journey, as the counters name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Journey {
    /// 参保信息查询: a credential on the reader, the enrollment shown.
    EnrollmentQuery,
    /// 参保凭证: the certificate asked for and printed.
    Certificate,
    /// 异地就医备案: a remote-care filing.
    Filing,
    /// 我的备案: my filings (look, change, extend, cancel).
    MyFilings,
    /// 办事指南: the service guides.
    Guides,
    /// 缴费明细: contribution history.
    Contributions,
    /// 定点医药机构查询.
    Institutions,
    /// 个人账户明细.
    Account,
    /// 就医结算记录.
    Settlements,
    /// 慢特病定点变更.
    Chronic,
    /// 城乡居民医保缴费.
    Premium,
}

impl Journey {
    /// Every journey, in a fixed order (metrics list them all).
    pub const ALL: [Journey; 11] = [
        Journey::EnrollmentQuery,
        Journey::Certificate,
        Journey::Filing,
        Journey::MyFilings,
        Journey::Guides,
        Journey::Contributions,
        Journey::Institutions,
        Journey::Account,
        Journey::Settlements,
        Journey::Chronic,
        Journey::Premium,
    ];

    /// The id in metrics and reports.
    pub fn id(self) -> &'static str {
        match self {
            Journey::EnrollmentQuery => "enrollment_query",
            Journey::Certificate => "certificate",
            Journey::Filing => "filing",
            Journey::MyFilings => "my_filings",
            Journey::Guides => "guides",
            Journey::Contributions => "contributions",
            Journey::Institutions => "institutions",
            Journey::Account => "account",
            Journey::Settlements => "settlements",
            Journey::Chronic => "chronic",
            Journey::Premium => "premium",
        }
    }

    /// Whether `screen` is this journey's answer: a query answered on
    /// screen, or the printed screen for the journeys that end on paper.
    pub fn answered_by(self, screen: Screen) -> bool {
        match self {
            Journey::EnrollmentQuery => screen == Screen::Enrollment,
            Journey::Contributions => screen == Screen::Contributions,
            Journey::Institutions => screen == Screen::Institutions,
            Journey::Account => screen == Screen::Account,
            Journey::Settlements => screen == Screen::Settlements,
            Journey::MyFilings => screen == Screen::Filings,
            Journey::Guides => screen == Screen::Guide,
            Journey::Chronic => screen == Screen::Chronic,
            Journey::Certificate | Journey::Filing | Journey::Premium => false,
        }
    }

    /// The journey a tap starts, if it is an entry tap.
    pub fn entered_by(action: &Action) -> Option<Journey> {
        Some(match action {
            Action::Proxy => Journey::EnrollmentQuery,
            Action::Certificate => Journey::Certificate,
            Action::Filing => Journey::Filing,
            Action::MyFilings => Journey::MyFilings,
            Action::Guides => Journey::Guides,
            Action::Records(id) => match id.as_str() {
                "contributions" => Journey::Contributions,
                "institutions" => Journey::Institutions,
                "account" => Journey::Account,
                "settlements" => Journey::Settlements,
                _ => return None,
            },
            Action::Chronic(id) if id == "chronic" => Journey::Chronic,
            Action::Premium(id) if id == "premium" => Journey::Premium,
            _ => return None,
        })
    }
}

/// How a journey ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Outcome {
    /// It began.
    Started,
    /// Its business was done.
    Completed,
    /// It met an error; the kind of event that led there.
    Failed(&'static str),
    /// The citizen left before it was done.
    Abandoned,
}

impl Outcome {
    /// The id in metrics and reports.
    pub fn id(self) -> &'static str {
        match self {
            Outcome::Started => "started",
            Outcome::Completed => "completed",
            Outcome::Failed(_) => "failed",
            Outcome::Abandoned => "abandoned",
        }
    }
}

/// One journey's step for the counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JourneyOutcome {
    /// Which journey.
    pub journey: Journey,
    /// What happened.
    pub outcome: Outcome,
}

/// The journey the session is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct OpenJourney {
    journey: Journey,
    settled: bool,
}

/// The kind of an event, as a failure names it.
pub fn event_kind(event: &Event) -> &'static str {
    match event {
        Event::CredentialPresented(_) => "credential",
        Event::CredentialReadFailed { .. } => "credential_read",
        Event::CredentialRemoved => "credential_removed",
        Event::PersonLoaded { .. } => "person",
        Event::PersonFailed { .. } => "person_query",
        Event::CertificateIssued { .. } => "certificate",
        Event::CertificateFailed { .. } => "certificate_issue",
        Event::CitiesLoaded { .. } => "cities",
        Event::InstitutionsLoaded { .. } => "institutions",
        Event::FilingQueued { .. } => "filing_queued",
        Event::FilingsLoaded { .. } => "filings",
        Event::FilingsFailed { .. } => "filings_query",
        Event::LetterLoaded { .. } => "letter",
        Event::FilingUpdated { .. } => "filing_updated",
        Event::FilingFailed { .. } | Event::FilingNotSaved { .. } => "filing_submit",
        Event::Action(_) => "refused",
        Event::Touched => "touch",
        Event::PrintFinished => "print",
        Event::PrintPending { .. } => "printer",
        Event::PrintsRecovered { .. } => "prints_recovered",
        Event::PrintsResolved => "prints_resolved",
        Event::PrintFailed { .. } => "print_failed",
        Event::AuthorisationPhoto(_) => "camera",
        Event::Tick => "timeout",
        Event::Records(_) => "records_answer",
        Event::Chronic(_) => "chronic_answer",
        Event::Premium(_) => "premium_answer",
        Event::Settings(_) => "settings",
    }
}

/// What the session looked like before an event, for [`Session::meter`].
#[derive(Debug, Clone, Copy)]
pub(super) struct Before {
    screen: Screen,
    unrated: Option<&'static str>,
    entered: Option<Journey>,
    credential_at_home: bool,
    kind: &'static str,
}

impl Session {
    /// Notes the state before `event` is handled.
    pub(super) fn meter_before(&self, event: &Event) -> Before {
        Before {
            screen: self.screen,
            unrated: self.unrated,
            entered: match event {
                Event::Action(a) => Journey::entered_by(a),
                _ => None,
            },
            credential_at_home: matches!(event, Event::CredentialPresented(_))
                && self.screen == Screen::Home,
            kind: event_kind(event),
        }
    }

    /// Records the journey outcomes `event` caused.
    pub(super) fn meter_after(&mut self, before: Before) {
        let changed = self.screen != before.screen;
        let started = match (before.entered, before.credential_at_home) {
            (Some(j), _) if changed && self.screen != Screen::Error => Some(j),
            (Some(j), _) if changed => {
                // Refused at once (an error on the first tap): started
                // and failed.
                self.journey_begin(j);
                self.journey_settle(Outcome::Failed(before.kind));
                None
            }
            (None, true) if changed => Some(Journey::EnrollmentQuery),
            _ => None,
        };
        if let Some(j) = started {
            self.journey_begin(j);
        }
        let Some(open) = self.journey else {
            return;
        };
        let done = (changed
            && (self.screen == Screen::Printed || open.journey.answered_by(self.screen)))
            || (self.unrated.is_some() && self.unrated != before.unrated);
        let failed = changed && matches!(self.screen, Screen::Error | Screen::CertificateRefused);
        if done {
            self.journey_settle(Outcome::Completed);
        } else if failed {
            self.journey_settle(Outcome::Failed(before.kind));
        }
        if self.screen == Screen::Home {
            self.journey_end();
        }
    }

    fn journey_begin(&mut self, journey: Journey) {
        self.journey_end();
        self.journey = Some(OpenJourney {
            journey,
            settled: false,
        });
        self.journey_outcomes.push(JourneyOutcome {
            journey,
            outcome: Outcome::Started,
        });
    }

    fn journey_settle(&mut self, outcome: Outcome) {
        if let Some(open) = &mut self.journey
            && !open.settled
        {
            open.settled = true;
            self.journey_outcomes.push(JourneyOutcome {
                journey: open.journey,
                outcome,
            });
        }
    }

    /// The open journey ends: abandoned unless settled.
    fn journey_end(&mut self) {
        self.journey_settle(Outcome::Abandoned);
        self.journey = None;
    }

    /// The journey outcomes recorded since the last call.
    pub fn take_journey_outcomes(&mut self) -> Vec<JourneyOutcome> {
        std::mem::take(&mut self.journey_outcomes)
    }

    /// The journey the citizen is in, if any.
    pub fn journey(&self) -> Option<Journey> {
        self.journey.map(|j| j.journey)
    }
}

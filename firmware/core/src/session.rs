//! The session state machine: the one place that decides what the kiosk
//! does next. Device events, answers from the central service and taps come
//! in as [`Event`]s; the machine changes its state and returns
//! [`Command`]s for the edges to carry out (query the centre, print).
//! It never performs I/O and never reads a clock: time comes in with every
//! call.
//!
//! Invariant: personal data lives only in `Session::person` and
//! `Session::credential`; both are cleared whenever the session returns to
//! the home screen, and answers to an earlier request (a slow centre after
//! the card was removed) are dropped by request number.

use std::time::{Duration, Instant};

use chrono::NaiveDateTime;

use crate::documents::BusinessSlip;
use crate::enrollment::InsuredPerson;
use crate::identity::Credential;

/// Which screen is showing. The id strings are what the UI and the
/// automation API use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    /// Invitation to present a credential.
    Home,
    /// A credential was presented; the centre is being asked.
    Querying,
    /// The person's enrollment.
    Enrollment,
    /// The business slip is being printed.
    Printing,
    /// The slip is printed: take it (and the card).
    Printed,
    /// Something went wrong: what happened and what to do next.
    Error,
}

impl Screen {
    /// The stable id of the screen.
    pub fn id(self) -> &'static str {
        match self {
            Screen::Home => "home",
            Screen::Querying => "querying",
            Screen::Enrollment => "enrollment",
            Screen::Printing => "printing",
            Screen::Printed => "printed",
            Screen::Error => "error",
        }
    }
}

/// A tap on an actionable element, by meaning rather than by label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Print the business slip of the enrollment on screen.
    PrintSlip,
    /// End the session and go back to the home screen.
    Home,
    /// Show the full ID number for a few seconds.
    RevealIdNumber,
}

impl Action {
    /// Decodes the action id the UI sends.
    pub fn from_id(id: &str) -> Option<Action> {
        match id {
            "print-slip" => Some(Action::PrintSlip),
            "home" => Some(Action::Home),
            "reveal-id" => Some(Action::RevealIdNumber),
            _ => None,
        }
    }
}

/// Something that happened.
#[derive(Debug, Clone)]
pub enum Event {
    /// A device read a credential.
    CredentialPresented(Credential),
    /// A device failed to read a credential; the message says what to do.
    CredentialReadFailed {
        /// Chinese message for the citizen.
        message: String,
    },
    /// The physical credential (ID card, social security card) was taken away.
    CredentialRemoved,
    /// The centre answered a person query.
    PersonLoaded {
        /// The request number from [`Command::QueryPerson`].
        request: u64,
        /// The person.
        person: Box<InsuredPerson>,
    },
    /// The person query failed.
    PersonFailed {
        /// The request number from [`Command::QueryPerson`].
        request: u64,
        /// Chinese message for the citizen.
        message: String,
    },
    /// The citizen tapped something.
    Action(Action),
    /// The print job finished.
    PrintFinished,
    /// The print job failed.
    PrintFailed {
        /// Chinese message for the citizen.
        message: String,
    },
    /// Time passed (drives timeouts).
    Tick,
}

/// Something the edges must do.
#[derive(Debug, Clone)]
pub enum Command {
    /// Ask the centre who this is.
    QueryPerson {
        /// Request number; the answer must carry it back.
        request: u64,
        /// The credential.
        credential: Credential,
    },
    /// Print a business slip.
    PrintSlip(Box<BusinessSlip>),
}

/// Timings of a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionConfig {
    /// How long the full ID number stays visible after a tap.
    pub reveal_for: Duration,
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            reveal_for: Duration::from_secs(5),
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

/// The session.
#[derive(Debug)]
pub struct Session {
    config: SessionConfig,
    terminal: TerminalInfo,
    screen: Screen,
    credential: Option<Credential>,
    person: Option<InsuredPerson>,
    message: String,
    request: u64,
    reveal_until: Option<Instant>,
    slips_printed: u64,
}

impl Session {
    /// A session on the home screen.
    pub fn new(config: SessionConfig, terminal: TerminalInfo) -> Session {
        Session {
            config,
            terminal,
            screen: Screen::Home,
            credential: None,
            person: None,
            message: String::new(),
            request: 0,
            reveal_until: None,
            slips_printed: 0,
        }
    }

    /// The screen showing.
    pub fn screen(&self) -> Screen {
        self.screen
    }

    /// The person on screen, if any.
    pub fn person(&self) -> Option<&InsuredPerson> {
        self.person.as_ref()
    }

    /// The message of the error (or status) screen.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Whether the full ID number is showing at `now`.
    pub fn id_revealed(&self, now: Instant) -> bool {
        self.reveal_until.is_some_and(|until| now < until)
    }

    /// When the next [`Event::Tick`] matters (a timeout runs out), if ever.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.reveal_until
    }

    /// Handles one event at `now` (monotonic) and `wall` (local time, for
    /// documents). Returns what the edges must do.
    pub fn handle(&mut self, event: Event, now: Instant, wall: NaiveDateTime) -> Vec<Command> {
        match event {
            Event::CredentialPresented(credential) => {
                if matches!(self.screen, Screen::Printing) {
                    return Vec::new();
                }
                self.clear_personal_data();
                self.request += 1;
                self.credential = Some(credential.clone());
                self.screen = Screen::Querying;
                vec![Command::QueryPerson {
                    request: self.request,
                    credential,
                }]
            }
            Event::CredentialReadFailed { message } => {
                if matches!(self.screen, Screen::Home | Screen::Error) {
                    self.show_error(message);
                }
                Vec::new()
            }
            Event::CredentialRemoved => {
                self.go_home();
                Vec::new()
            }
            Event::PersonLoaded { request, person } => {
                if request == self.request && self.screen == Screen::Querying {
                    self.person = Some(*person);
                    self.screen = Screen::Enrollment;
                }
                Vec::new()
            }
            Event::PersonFailed { request, message } => {
                if request == self.request && self.screen == Screen::Querying {
                    self.credential = None;
                    self.show_error(message);
                }
                Vec::new()
            }
            Event::Action(Action::Home) => {
                self.go_home();
                Vec::new()
            }
            Event::Action(Action::RevealIdNumber) => {
                if self.person.is_some() {
                    self.reveal_until = Some(now + self.config.reveal_for);
                }
                Vec::new()
            }
            Event::Action(Action::PrintSlip) => match (&self.person, self.screen) {
                (Some(person), Screen::Enrollment | Screen::Printed) => {
                    self.slips_printed += 1;
                    let slip = BusinessSlip::enrollment_query(
                        person,
                        &self.terminal,
                        wall,
                        self.slips_printed,
                    );
                    self.screen = Screen::Printing;
                    vec![Command::PrintSlip(Box::new(slip))]
                }
                _ => Vec::new(),
            },
            Event::PrintFinished => {
                if self.screen == Screen::Printing {
                    self.screen = Screen::Printed;
                }
                Vec::new()
            }
            Event::PrintFailed { message } => {
                if self.screen == Screen::Printing {
                    self.show_error(message);
                }
                Vec::new()
            }
            Event::Tick => {
                if self.reveal_until.is_some_and(|until| now >= until) {
                    self.reveal_until = None;
                }
                Vec::new()
            }
        }
    }

    fn show_error(&mut self, message: String) {
        self.message = message;
        self.screen = Screen::Error;
    }

    fn go_home(&mut self) {
        self.clear_personal_data();
        self.message.clear();
        self.screen = Screen::Home;
    }

    fn clear_personal_data(&mut self) {
        self.person = None;
        self.credential = None;
        self.reveal_until = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::enrollment::{Enrollment, EnrollmentStatus, InsuranceType, PaymentStatus};
    use crate::identity::{IdDocumentKind, Sex};
    use crate::money::Yuan;
    use chrono::NaiveDate;

    fn wall() -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 11, 22)
            .unwrap()
            .and_hms_opt(10, 0, 0)
            .unwrap()
    }

    fn person() -> InsuredPerson {
        InsuredPerson {
            person_number: "22020000000002".into(),
            id_kind: IdDocumentKind::ResidentIdCard,
            id_number: "220203198508232046".into(),
            name: "李秀兰".into(),
            sex: Sex::Female,
            birth_date: NaiveDate::from_ymd_opt(1985, 8, 23).unwrap(),
            enrollments: vec![Enrollment {
                insurance_type: InsuranceType::EmployeeBasic,
                person_category_code: "11".into(),
                person_category: "在职".into(),
                status: EnrollmentStatus::Normal,
                payment: PaymentStatus::Paid,
                enrolled_from: NaiveDate::from_ymd_opt(2008, 7, 1).unwrap(),
                suspended_from: None,
                pooling_area_code: "220200".into(),
                pooling_area: "吉林市".into(),
                employer: Some("吉林市松江化工有限公司".into()),
                account_balance: "3521.40".parse::<Yuan>().unwrap(),
                paid_months: 219,
            }],
        }
    }

    fn card() -> Credential {
        Credential::IdDocument {
            kind: IdDocumentKind::ResidentIdCard,
            number: "220203198508232046".into(),
            name: "李秀兰".into(),
        }
    }

    fn session() -> Session {
        Session::new(
            SessionConfig::default(),
            TerminalInfo {
                terminal_id: "K1".into(),
                hall_name: "大厅".into(),
            },
        )
    }

    fn loaded(s: &mut Session, t: Instant) {
        let cmds = s.handle(Event::CredentialPresented(card()), t, wall());
        let Command::QueryPerson { request, .. } = &cmds[0] else {
            panic!("expected a query")
        };
        s.handle(
            Event::PersonLoaded {
                request: *request,
                person: Box::new(person()),
            },
            t,
            wall(),
        );
    }

    #[test]
    fn card_query_print_and_removal() {
        let t = Instant::now();
        let mut s = session();
        loaded(&mut s, t);
        assert_eq!(s.screen(), Screen::Enrollment);
        let cmds = s.handle(Event::Action(Action::PrintSlip), t, wall());
        assert!(matches!(cmds.as_slice(), [Command::PrintSlip(_)]));
        assert_eq!(s.screen(), Screen::Printing);
        s.handle(Event::PrintFinished, t, wall());
        assert_eq!(s.screen(), Screen::Printed);
        s.handle(Event::CredentialRemoved, t, wall());
        assert_eq!(s.screen(), Screen::Home);
        assert!(s.person().is_none());
    }

    #[test]
    fn a_late_answer_after_removal_is_dropped() {
        let t = Instant::now();
        let mut s = session();
        let cmds = s.handle(Event::CredentialPresented(card()), t, wall());
        let Command::QueryPerson { request, .. } = &cmds[0] else {
            panic!()
        };
        s.handle(Event::CredentialRemoved, t, wall());
        s.handle(
            Event::PersonLoaded {
                request: *request,
                person: Box::new(person()),
            },
            t,
            wall(),
        );
        assert_eq!(s.screen(), Screen::Home);
        assert!(s.person().is_none());
    }

    #[test]
    fn reveal_lasts_five_seconds() {
        let t = Instant::now();
        let mut s = session();
        loaded(&mut s, t);
        assert!(!s.id_revealed(t));
        s.handle(Event::Action(Action::RevealIdNumber), t, wall());
        assert!(s.id_revealed(t + Duration::from_secs(4)));
        assert!(!s.id_revealed(t + Duration::from_secs(5)));
        s.handle(Event::Tick, t + Duration::from_secs(6), wall());
        assert_eq!(s.next_deadline(), None);
    }

    #[test]
    fn failure_shows_the_message_and_home_clears_it() {
        let t = Instant::now();
        let mut s = session();
        s.handle(Event::CredentialPresented(card()), t, wall());
        s.handle(
            Event::PersonFailed {
                request: 1,
                message: "未查询到您的参保信息".into(),
            },
            t,
            wall(),
        );
        assert_eq!(s.screen(), Screen::Error);
        assert!(s.message().contains("未查询到"));
        s.handle(Event::Action(Action::Home), t, wall());
        assert_eq!(s.screen(), Screen::Home);
        assert!(s.message().is_empty());
    }
}

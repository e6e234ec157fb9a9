//! The personal account statement 个人账户明细 and the settlement records
//! 就医结算记录 of the session (issue 15 journeys 3 and 4). From the
//! enrollment screen's services panel: one tap to the answer (the last 3
//! months of the account, the last 12 months of settlements); range chips,
//! pages, a settlement's detail, and a printed statement or settlement
//! slip.
//!
//! Invariants: the answers belong to the person on screen and leave with
//! them (they live in [`super::records::Records`], cleared with it); an
//! answer to an earlier request is dropped by request number; a person
//! without an employee-scheme enrollment is told there is no personal
//! account without asking the centre.

use chrono::{Duration, NaiveDate, NaiveDateTime};

use crate::enrollment::InsuranceType;
use crate::ledger::{AccountStatement, SettlementSlip, Settlements, StatementPrint};
use crate::records::YearMonth;
use crate::tr;

use super::records::{RecordsCommand, RecordsEvent};
use super::{Command, Document, Prompt, Screen, Session};

/// The month ranges offered for the account statement (the first is the
/// default).
pub const ACCOUNT_RANGES: [u32; 3] = [3, 6, 12];

/// How many days of settlements the list covers.
pub const SETTLEMENT_DAYS: i64 = 365;

/// Entries of the account statement per page: four cards fit above the
/// footer in elderly portrait, four lines of the table in landscape.
pub const ENTRIES_PER_PAGE: usize = 4;

/// Settlements per page.
pub const SETTLEMENTS_PER_PAGE: usize = 4;

/// The account and settlement answers of a session.
#[derive(Debug, Clone, Default)]
pub struct Ledger {
    statement: Option<AccountStatement>,
    months: u32,
    statement_page: usize,
    settlements: Option<Settlements>,
    settlement_page: usize,
    selected: Option<usize>,
}

impl Session {
    /// The account statement on screen, its month range and page.
    pub fn account_statement(&self) -> Option<(&AccountStatement, u32, usize)> {
        let l = &self.records.ledger;
        Some((l.statement.as_ref()?, l.months, l.statement_page))
    }

    /// The settlements on screen, the page and the one opened.
    pub fn settlements(&self) -> Option<(&Settlements, usize, Option<usize>)> {
        let l = &self.records.ledger;
        Some((l.settlements.as_ref()?, l.settlement_page, l.selected))
    }

    /// A tap of the account and settlement journeys (`account`,
    /// `acct-range:6`, `acct-next`, `acct-prev`, `acct-print`,
    /// `settlements`, `setl:<i>`, `setl-next`, `setl-prev`, `setl-print`).
    pub(super) fn ledger_action(&mut self, id: &str, wall: NaiveDateTime) -> Vec<Command> {
        match id {
            "account" if self.screen == Screen::Enrollment => {
                return self.query_account(ACCOUNT_RANGES[0], wall);
            }
            "settlements" if self.screen == Screen::Enrollment => {
                return self.query_settlements(wall);
            }
            _ => {}
        }
        if self.screen == Screen::Account {
            if let Some(months) = id.strip_prefix("acct-range:") {
                if let Ok(months) = months.parse::<u32>()
                    && ACCOUNT_RANGES.contains(&months)
                    && months != self.records.ledger.months
                {
                    return self.query_account(months, wall);
                }
                return Vec::new();
            }
            let pages = self
                .records
                .ledger
                .statement
                .as_ref()
                .map(|s| page_count(s.entries.len(), ENTRIES_PER_PAGE))
                .unwrap_or(1);
            let page = &mut self.records.ledger.statement_page;
            match id {
                "acct-next" if *page + 1 < pages => *page += 1,
                "acct-prev" if *page > 0 => *page -= 1,
                "acct-print" => return self.print_statement(wall),
                _ => {}
            }
            return Vec::new();
        }
        if self.screen == Screen::Settlements {
            let count = self
                .records
                .ledger
                .settlements
                .as_ref()
                .map(|s| s.items.len())
                .unwrap_or(0);
            if let Some(i) = id.strip_prefix("setl:") {
                if let Ok(i) = i.parse::<usize>()
                    && i < count
                {
                    self.records.ledger.selected = Some(i);
                    self.screen = Screen::Settlement;
                }
                return Vec::new();
            }
            let pages = page_count(count, SETTLEMENTS_PER_PAGE);
            let page = &mut self.records.ledger.settlement_page;
            match id {
                "setl-next" if *page + 1 < pages => *page += 1,
                "setl-prev" if *page > 0 => *page -= 1,
                _ => {}
            }
            return Vec::new();
        }
        if self.screen == Screen::Settlement && id == "setl-print" {
            return self.print_settlement(wall);
        }
        Vec::new()
    }

    /// Back from the account and settlement screens; `true` when handled.
    pub(super) fn ledger_back(&mut self) -> bool {
        match self.screen {
            Screen::Settlement => {
                self.records.ledger.selected = None;
                self.screen = Screen::Settlements;
                true
            }
            Screen::Account | Screen::Settlements if self.person.is_some() => {
                self.screen = Screen::Enrollment;
                true
            }
            _ => false,
        }
    }

    /// KS06 / KS07 answers; `None` when the event is not theirs.
    pub(super) fn ledger_event(&mut self, event: &RecordsEvent) -> Option<Vec<Command>> {
        match event {
            RecordsEvent::AccountLoaded { request, statement } => {
                if *request != self.request || self.screen != Screen::RecordsLoading {
                    return Some(Vec::new());
                }
                let l = &mut self.records.ledger;
                l.statement = Some(statement.clone());
                // The screen lists the newest first (page 0); the paper
                // keeps the statement's order.
                l.statement_page = 0;
                self.message.clear();
                self.screen = Screen::Account;
                Some(vec![Command::Say(Prompt::Account)])
            }
            RecordsEvent::SettlementsLoaded {
                request,
                settlements,
            } => {
                if *request != self.request || self.screen != Screen::RecordsLoading {
                    return Some(Vec::new());
                }
                self.message.clear();
                if settlements.items.is_empty() {
                    self.title = tr!("没有结算记录").into();
                    self.message = tr!(
                        "近一年没有查到您的就医结算记录。刚结算的费用可能要次日才能查到；如有疑问，请到人工窗口咨询。"
                    )
                    .into();
                    self.note.clear();
                    self.screen = Screen::Error;
                    return Some(vec![Command::Say(Prompt::Problem)]);
                }
                let l = &mut self.records.ledger;
                l.settlements = Some(settlements.clone());
                l.settlement_page = 0;
                l.selected = None;
                self.screen = Screen::Settlements;
                Some(vec![Command::Say(Prompt::Settlements)])
            }
            _ => None,
        }
    }

    fn query_account(&mut self, months: u32, wall: NaiveDateTime) -> Vec<Command> {
        let Some(person) = &self.person else {
            return Vec::new();
        };
        if person.enrollment(InsuranceType::EmployeeBasic).is_none() {
            self.title = tr!("没有个人账户").into();
            self.message = tr!(
                "个人账户属于职工基本医疗保险。您目前没有职工医保参保记录，所以没有个人账户明细可查。如有疑问，请到人工窗口咨询。"
            )
            .into();
            self.note.clear();
            self.screen = Screen::Error;
            return vec![Command::Say(Prompt::Problem)];
        }
        let to = YearMonth::of(wall.date());
        let from = (1..months).fold(to, |m, _| m.previous());
        let person_number = person.person_number.clone();
        self.request += 1;
        let l = &mut self.records.ledger;
        l.statement = None;
        l.months = months;
        l.statement_page = 0;
        self.message = tr!("正在查询个人账户明细，请稍候").into();
        self.screen = Screen::RecordsLoading;
        vec![
            Command::Records(RecordsCommand::QueryAccount {
                request: self.request,
                person_number,
                from,
                to,
            }),
            Command::Say(Prompt::Querying),
        ]
    }

    fn query_settlements(&mut self, wall: NaiveDateTime) -> Vec<Command> {
        let Some(person) = &self.person else {
            return Vec::new();
        };
        let to = wall.date();
        let from = settlements_from(to);
        let person_number = person.person_number.clone();
        self.request += 1;
        self.records.ledger.settlements = None;
        self.records.ledger.selected = None;
        self.message = tr!("正在查询就医结算记录，请稍候").into();
        self.screen = Screen::RecordsLoading;
        vec![
            Command::Records(RecordsCommand::QuerySettlements {
                request: self.request,
                person_number,
                from,
                to,
            }),
            Command::Say(Prompt::Querying),
        ]
    }

    fn print_statement(&mut self, wall: NaiveDateTime) -> Vec<Command> {
        let (Some(person), Some(statement)) = (&self.person, &self.records.ledger.statement) else {
            return Vec::new();
        };
        let doc = StatementPrint {
            statement: statement.clone(),
            name: person.name.clone(),
            id_number_masked: crate::identity::mask_number(&person.id_number),
            printed_at: wall,
            terminal_id: self.terminal.terminal_id.clone(),
            issuer: self.region.documents().agency_name.text.clone(),
            proxy: None,
        };
        self.print(Document::AccountStatement(Box::new(doc)))
    }

    fn print_settlement(&mut self, wall: NaiveDateTime) -> Vec<Command> {
        let l = &self.records.ledger;
        let (Some(person), Some(settlement)) = (
            &self.person,
            l.selected
                .and_then(|i| l.settlements.as_ref().and_then(|s| s.items.get(i))),
        ) else {
            return Vec::new();
        };
        let doc = SettlementSlip {
            settlement: settlement.clone(),
            name: person.name.clone(),
            id_number_masked: crate::identity::mask_number(&person.id_number),
            printed_at: wall,
            terminal_id: self.terminal.terminal_id.clone(),
            issuer: self.region.documents().agency_name.text.clone(),
            proxy: None,
        };
        self.print(Document::SettlementSlip(Box::new(doc)))
    }
}

/// Pages needed for `n` rows (at least one).
pub fn page_count(n: usize, per_page: usize) -> usize {
    n.div_ceil(per_page).max(1)
}

/// The first day of the settlement list for a query on `today`.
pub fn settlements_from(today: NaiveDate) -> NaiveDate {
    today - Duration::days(SETTLEMENT_DAYS - 1)
}

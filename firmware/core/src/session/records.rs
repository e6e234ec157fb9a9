//! The records journeys of the session: the contribution history 缴费明细
//! (from the enrollment screen: one tap to the answer, year chips, gaps
//! with their meaning) and its printed, centre-signed contribution record
//! 参保缴费明细.
//!
//! Invariants: the history belongs to the person on screen and leaves with
//! them ([`Records::clear`] from `clear_personal_data`); answers to an
//! earlier request are dropped by request number.

use std::sync::Arc;

use chrono::NaiveDateTime;

use crate::enrollment::InsuranceType;
use crate::institutions::InstitutionIndex;
use crate::records::{ContributionHistory, ContributionMonth, ContributionRecord, YearMonth};
use crate::tr;

use super::{Command, Document, Prompt, Screen, Session};

/// How many calendar years the contribution history covers.
pub const HISTORY_YEARS: i32 = 10;

/// Something the records journeys learnt from the centre.
#[derive(Debug, Clone)]
pub enum RecordsEvent {
    /// KS02 answered.
    ContributionsLoaded {
        /// The request number from [`RecordsCommand::QueryContributions`].
        request: u64,
        /// The months.
        history: ContributionHistory,
    },
    /// KS05 numbered and signed a contribution record.
    RecordSigned {
        /// The request number from [`RecordsCommand::SignContributionRecord`].
        request: u64,
        /// The centre's number.
        number: String,
        /// When the centre issued it.
        issued_at: NaiveDateTime,
        /// The verification payload `KCR1|…|…`.
        verification: String,
        /// The months the centre signed (these are printed).
        months: Vec<ContributionMonth>,
    },
    /// The synced list of designated institutions, indexed.
    InstitutionsLoaded {
        /// The request number from [`RecordsCommand::LoadInstitutions`].
        request: u64,
        /// The index.
        index: Arc<InstitutionIndex>,
        /// The dataset version (None: never synced).
        version: Option<String>,
    },
    /// KS06 answered (checked: the balances chain).
    AccountLoaded {
        /// The request number from [`RecordsCommand::QueryAccount`].
        request: u64,
        /// The statement.
        statement: crate::ledger::AccountStatement,
    },
    /// KS07 answered (checked: every settlement adds up).
    SettlementsLoaded {
        /// The request number from [`RecordsCommand::QuerySettlements`].
        request: u64,
        /// The settlements, newest first.
        settlements: crate::ledger::Settlements,
    },
    /// A records query or signature failed.
    Failed {
        /// The request number.
        request: u64,
        /// Chinese message for the citizen.
        message: String,
    },
}

/// What the records journeys ask the edges to do.
#[derive(Debug, Clone)]
pub enum RecordsCommand {
    /// Read the synced list of designated institutions (KS41 dataset
    /// `institutions`) from the store and index it.
    LoadInstitutions {
        /// Request number; the answer must carry it back.
        request: u64,
    },
    /// KS02 contribution history for a range of months.
    QueryContributions {
        /// Request number; the answer must carry it back.
        request: u64,
        /// 人员编号.
        person_number: String,
        /// First month.
        from: YearMonth,
        /// Last month.
        to: YearMonth,
    },
    /// KS06 personal account statement for a range of months.
    QueryAccount {
        /// Request number; the answer must carry it back.
        request: u64,
        /// 人员编号.
        person_number: String,
        /// First month.
        from: YearMonth,
        /// Last month.
        to: YearMonth,
    },
    /// KS07 settlements for a range of days.
    QuerySettlements {
        /// Request number; the answer must carry it back.
        request: u64,
        /// 人员编号.
        person_number: String,
        /// First day.
        from: chrono::NaiveDate,
        /// Last day.
        to: chrono::NaiveDate,
    },
    /// KS05: the centre numbers and signs the contribution record of one
    /// insurance type and range of months.
    SignContributionRecord {
        /// Request number; the answer must carry it back.
        request: u64,
        /// 人员编号.
        person_number: String,
        /// The insurance type.
        insurance_type: InsuranceType,
        /// First month.
        from: YearMonth,
        /// Last month.
        to: YearMonth,
    },
}

/// The records journeys' state in a session.
#[derive(Debug, Clone, Default)]
pub struct Records {
    history: Option<ContributionHistory>,
    insurance_type: Option<InsuranceType>,
    year: Option<i32>,
    pub(super) lookup: super::institutions::Lookup,
    pub(super) ledger: super::ledger::Ledger,
}

impl Records {
    /// Forgets everything (the person left).
    pub(super) fn clear(&mut self) {
        *self = Records::default();
    }
}

impl Session {
    /// The contribution history on screen, with the insurance type and
    /// year chosen.
    pub fn contributions(&self) -> Option<(&ContributionHistory, InsuranceType, i32)> {
        let r = &self.records;
        Some((r.history.as_ref()?, r.insurance_type?, r.year?))
    }

    /// A tap of the records journeys (`contributions`, `contrib-type:310`,
    /// `contrib-year:2025`, `contrib-print`).
    pub(super) fn records_action(&mut self, id: &str, wall: NaiveDateTime) -> Vec<Command> {
        if id == "institutions" {
            return self.open_lookup();
        }
        if matches!(id, "account" | "settlements")
            || id.starts_with("acct-")
            || id.starts_with("setl")
        {
            return self.ledger_action(id, wall);
        }
        if id.starts_with("inst-") {
            return self.lookup_action(id, wall);
        }
        if id == "contributions" {
            return match self.screen {
                Screen::Enrollment => self.query_contributions(wall),
                _ => Vec::new(),
            };
        }
        if self.screen != Screen::Contributions {
            return Vec::new();
        }
        let Some(history) = &self.records.history else {
            return Vec::new();
        };
        if let Some(code) = id.strip_prefix("contrib-type:") {
            if let Some(t) = InsuranceType::from_code(code).filter(|t| history.types().contains(t))
            {
                self.records.insurance_type = Some(t);
                self.records.year = history.years(t).first().copied();
            }
        } else if let Some(year) = id.strip_prefix("contrib-year:") {
            if let (Ok(year), Some(t)) = (year.parse::<i32>(), self.records.insurance_type)
                && history.years(t).contains(&year)
            {
                self.records.year = Some(year);
            }
        } else if id == "contrib-print" {
            return self.sign_record();
        }
        Vec::new()
    }

    /// Back from the records screens; `true` when handled.
    pub(super) fn records_back(&mut self) -> bool {
        if self.lookup_back() || self.ledger_back() {
            return true;
        }
        if self.screen == Screen::Contributions && self.person.is_some() {
            self.screen = Screen::Enrollment;
            return true;
        }
        false
    }

    /// An answer for the records journeys.
    pub(super) fn records_event(
        &mut self,
        event: RecordsEvent,
        wall: NaiveDateTime,
    ) -> Vec<Command> {
        if let Some(commands) = self.ledger_event(&event) {
            return commands;
        }
        match event {
            RecordsEvent::ContributionsLoaded { request, history } => {
                if request != self.request || self.screen != Screen::RecordsLoading {
                    return Vec::new();
                }
                let types = history.types();
                // Basic insurance first: what people ask about.
                let t = [InsuranceType::EmployeeBasic, InsuranceType::ResidentBasic]
                    .into_iter()
                    .find(|t| types.contains(t))
                    .or_else(|| types.first().copied());
                self.message.clear();
                match t {
                    None => {
                        self.title = tr!("没有缴费记录").into();
                        self.message = tr!(
                            "近{}年没有查到您的缴费记录。如您刚参保或刚缴费，请稍后再查询；如有疑问，请到人工窗口咨询。",
                            HISTORY_YEARS
                        );
                        self.note.clear();
                        self.screen = Screen::Error;
                        vec![Command::Say(Prompt::Problem)]
                    }
                    Some(t) => {
                        self.records.year = history.years(t).first().copied();
                        self.records.insurance_type = Some(t);
                        self.records.history = Some(history);
                        self.screen = Screen::Contributions;
                        vec![Command::Say(Prompt::Contributions)]
                    }
                }
            }
            RecordsEvent::RecordSigned {
                request,
                number,
                issued_at,
                verification,
                months,
            } => {
                if request != self.request || self.screen != Screen::RecordsLoading {
                    return Vec::new();
                }
                match self.contribution_record(number, issued_at, verification, months, wall) {
                    Some(record) => self.print(Document::ContributionRecord(Box::new(record))),
                    None => Vec::new(),
                }
            }
            RecordsEvent::InstitutionsLoaded {
                request,
                index,
                version,
            } => {
                if request != self.request || self.screen != Screen::RecordsLoading {
                    return Vec::new();
                }
                self.lookup_loaded(index, version)
            }
            // Answered by ledger_event above.
            RecordsEvent::AccountLoaded { .. } | RecordsEvent::SettlementsLoaded { .. } => {
                Vec::new()
            }
            RecordsEvent::Failed { request, message } => {
                if request != self.request || self.screen != Screen::RecordsLoading {
                    return Vec::new();
                }
                self.show_error(message);
                vec![Command::Say(Prompt::Problem)]
            }
        }
    }

    fn query_contributions(&mut self, wall: NaiveDateTime) -> Vec<Command> {
        let Some(person) = &self.person else {
            return Vec::new();
        };
        let to = YearMonth::of(wall.date());
        let Some(from) = YearMonth::new(to.year - (HISTORY_YEARS - 1), 1) else {
            return Vec::new();
        };
        self.request += 1;
        self.records.clear();
        self.message = tr!("正在查询缴费明细，请稍候").into();
        self.screen = Screen::RecordsLoading;
        vec![
            Command::Records(RecordsCommand::QueryContributions {
                request: self.request,
                person_number: person.person_number.clone(),
                from,
                to,
            }),
            Command::Say(Prompt::Querying),
        ]
    }

    /// Asks the centre to number and sign the year on screen.
    fn sign_record(&mut self) -> Vec<Command> {
        let (Some(person), Some(history), Some(t), Some(year)) = (
            &self.person,
            &self.records.history,
            self.records.insurance_type,
            self.records.year,
        ) else {
            return Vec::new();
        };
        let months = history.year(t, year);
        let (Some(from), Some(to)) = (months.first(), months.last()) else {
            return Vec::new();
        };
        let (from, to) = (from.month, to.month);
        self.request += 1;
        self.message = tr!("正在生成参保缴费明细，请稍候").into();
        self.screen = Screen::RecordsLoading;
        vec![Command::Records(RecordsCommand::SignContributionRecord {
            request: self.request,
            person_number: person.person_number.clone(),
            insurance_type: t,
            from,
            to,
        })]
    }

    fn contribution_record(
        &self,
        number: String,
        issued_at: NaiveDateTime,
        verification: String,
        months: Vec<ContributionMonth>,
        _wall: NaiveDateTime,
    ) -> Option<ContributionRecord> {
        let person = self.person.as_ref()?;
        let t = self.records.insurance_type?;
        let enrollment = person.enrollment(t);
        let rules = self.region.enrollment_rules();
        let history =
            ContributionHistory::new(months.first()?.month, months.last()?.month, months.clone());
        let gaps = history
            .gaps(t)
            .iter()
            .map(|g| {
                format!(
                    "{}至{}断缴{}个月：{}", // printed: stays Chinese
                    g.from.dashed(),
                    g.to.dashed(),
                    g.months(),
                    crate::records::gap_meaning(g, rules, true)
                )
            })
            .collect();
        Some(ContributionRecord {
            title: "参保缴费明细".into(), // printed: stays Chinese
            number,
            issued_at,
            name: person.name.clone(),
            id_number_masked: crate::identity::mask_number(&person.id_number),
            insurance_type: t.label().to_string(),
            pooling_area: enrollment
                .map(|e| e.pooling_area.clone())
                .unwrap_or_default(),
            months,
            cumulative_months: enrollment.map(|e| e.paid_months).unwrap_or(0),
            gaps,
            terminal_id: self.terminal.terminal_id.clone(),
            issuer: self.region.documents().agency_name.text.clone(),
            verification,
            proxy: None,
        })
    }
}

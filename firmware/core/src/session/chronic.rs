//! The designated-institution change of a registered outpatient chronic or
//! special disease 门诊慢特病定点医药机构变更 (seed 000 A6 门诊特殊疾病病种待遇
//! 变更 L10951, A7 门诊慢性病病种待遇变更 L11007; catalogue 000b: “a strong
//! candidate for kiosk self-service … select a new designated hospital or
//! pharmacy, then print the slip”). From the enrollment screen: the
//! person's registered diseases with their hospital and pharmacy (KS17),
//! a pick list of the designated institutions of the certification's city
//! (the synced list, so it needs no extra query), a confirmation, the
//! change (KS18, outbox first, 即办件) and the printed 业务办理单 as proof;
//! the rating follows like after any print.
//!
//! Rules (region profile `[chronic]`, absent: not offered):
//! - only persons with a registered disease (A6/A7 1.3 服务对象);
//! - a person certified outside the region applies at their insured
//!   place (`remote`);
//! - a special disease's hospital has at least the region's grade
//!   (`special_min_grade`, Jilin 二级: 000:L11002);
//! - a change of treatment plan is applied for again (`plan_change`).
//!
//! Invariant: the state is the person's and leaves with them
//! ([`Chronic::default`] from `clear_personal_data`).

use std::sync::Arc;

use chrono::NaiveDateTime;

use crate::documents::BusinessSlip;
use crate::institutions::{
    DesignatedInstitution, InstitutionFilter, InstitutionIndex, InstitutionKind,
};
use crate::tr;

use super::{Command, Document, Prompt, Screen, Session};

/// Rows per page of the pick list.
pub const PICK_ROWS: usize = 5;

/// 门诊慢性病 or 门诊特殊疾病.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConditionKind {
    /// 门诊慢性病 (A7).
    Chronic,
    /// 门诊特殊疾病 (A6).
    Special,
}

impl ConditionKind {
    /// From the wire code (`chronic`, `special`).
    pub fn from_code(code: &str) -> Option<ConditionKind> {
        match code {
            "chronic" => Some(ConditionKind::Chronic),
            "special" => Some(ConditionKind::Special),
            _ => None,
        }
    }

    /// What it is called (translated where shown).
    pub fn label(self) -> &'static str {
        match self {
            ConditionKind::Chronic => crate::tr_mark!("门诊慢性病"),
            ConditionKind::Special => crate::tr_mark!("门诊特殊疾病"),
        }
    }
}

/// Which designated institution of a disease changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    /// 定点医疗机构.
    Hospital,
    /// 定点零售药店.
    Pharmacy,
}

impl Slot {
    /// The wire code (`hospital`, `pharmacy`).
    pub fn code(self) -> &'static str {
        match self {
            Slot::Hospital => "hospital",
            Slot::Pharmacy => "pharmacy",
        }
    }

    fn from_code(code: &str) -> Option<Slot> {
        match code {
            "hospital" => Some(Slot::Hospital),
            "pharmacy" => Some(Slot::Pharmacy),
            _ => None,
        }
    }

    fn kind(self) -> InstitutionKind {
        match self {
            Slot::Hospital => InstitutionKind::Hospital,
            Slot::Pharmacy => InstitutionKind::Pharmacy,
        }
    }
}

/// A registered disease with its designated institutions (KS17).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    /// Certification number 认定编号.
    pub number: String,
    /// Chronic or special.
    pub kind: ConditionKind,
    /// Disease 病种.
    pub disease: String,
    /// Pooling area of the certification (6 digits).
    pub area: String,
    /// Certified on `YYYY-MM-DD`.
    pub certified_on: String,
    /// Designated hospital: code and name.
    pub hospital: (String, String),
    /// Designated pharmacy, if any.
    pub pharmacy: Option<(String, String)>,
}

impl Condition {
    fn current(&self, slot: Slot) -> Option<&(String, String)> {
        match slot {
            Slot::Hospital => Some(&self.hospital),
            Slot::Pharmacy => self.pharmacy.as_ref(),
        }
    }
}

/// What the change answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeAnswer {
    /// The centre's 办理单号, or the kiosk's tracking number while the
    /// centre has not answered.
    pub number: String,
    /// The centre confirmed it (else it is queued).
    pub confirmed: bool,
}

/// Answers for the chronic journey.
#[derive(Debug, Clone)]
pub enum ChronicEvent {
    /// KS17 answered; the synced designated institutions come with it.
    Loaded {
        /// The request number.
        request: u64,
        /// The registered diseases.
        conditions: Vec<Condition>,
        /// The synced list of designated institutions.
        index: Arc<InstitutionIndex>,
    },
    /// KS18: the change is recorded (or queued), or why not.
    Changed {
        /// The request number.
        request: u64,
        /// The answer, or the refusal for the citizen.
        result: Result<ChangeAnswer, String>,
    },
    /// The query failed (message for the citizen).
    Failed {
        /// The request number.
        request: u64,
        /// Chinese message.
        message: String,
    },
}

/// What the chronic journey asks the edges to do.
#[derive(Debug, Clone)]
pub enum ChronicCommand {
    /// KS17 and the synced designated institutions.
    Query {
        /// Request number.
        request: u64,
        /// 人员编号.
        person_number: String,
    },
    /// KS18 (outbox first).
    Change {
        /// Request number.
        request: u64,
        /// 人员编号.
        person_number: String,
        /// Certification number.
        number: String,
        /// Which institution changes.
        slot: Slot,
        /// The new institution's code.
        code: String,
        /// The proxy (masked) and how their authorisation was captured.
        proxy: Option<(String, String)>,
    },
}

/// The journey's state.
#[derive(Debug, Clone, Default)]
pub struct Chronic {
    pub(super) conditions: Vec<Condition>,
    pub(super) index: Option<Arc<InstitutionIndex>>,
    pub(super) editing: Option<(usize, Slot)>,
    pub(super) page: usize,
    pub(super) chosen: Option<DesignatedInstitution>,
}

/// The grade of a hospital level (三级甲等 → 3), 0 when it has none.
pub fn grade(level: &str) -> u8 {
    match level.chars().next() {
        Some('三') => 3,
        Some('二') => 2,
        Some('一') => 1,
        _ => 0,
    }
}

impl Session {
    /// The registered diseases on screen.
    pub fn chronic_conditions(&self) -> &[Condition] {
        &self.chronic.conditions
    }

    /// The disease and slot being changed, the institution chosen.
    pub fn chronic_editing(&self) -> Option<(&Condition, Slot, Option<&DesignatedInstitution>)> {
        let (i, slot) = self.chronic.editing?;
        Some((
            self.chronic.conditions.get(i)?,
            slot,
            self.chronic.chosen.as_ref(),
        ))
    }

    /// The pick list: this page's institutions, the page, the page count.
    pub fn chronic_candidates(&self) -> (Vec<&DesignatedInstitution>, usize, usize) {
        let all = self.candidates();
        let pages = all.len().div_ceil(PICK_ROWS).max(1);
        let page = self.chronic.page.min(pages - 1);
        let rows = all
            .into_iter()
            .skip(page * PICK_ROWS)
            .take(PICK_ROWS)
            .collect();
        (rows, page, pages)
    }

    /// Whether the region offers the change at the kiosk.
    pub fn offers_chronic(&self) -> bool {
        self.region.chronic_rules().is_some()
    }

    /// Every institution the disease on screen may change to, by the
    /// region's rules: designated, of the slot's kind, in the
    /// certification's city, not the current one, and for a special
    /// disease's hospital at least the region's grade.
    fn candidates(&self) -> Vec<&DesignatedInstitution> {
        let (Some(rules), Some(index), Some((condition, slot, _))) = (
            self.region.chronic_rules(),
            &self.chronic.index,
            self.chronic_editing(),
        ) else {
            return Vec::new();
        };
        let filter = InstitutionFilter {
            area: condition.area.get(..4).unwrap_or_default().to_string(),
            kind: Some(slot.kind()),
            ..InstitutionFilter::default()
        };
        let current = condition.current(slot).map(|c| c.0.as_str());
        let min = rules.special_min_grade.value;
        let mut found: Vec<&DesignatedInstitution> = index
            .search(&filter)
            .into_iter()
            .filter(|i| Some(i.code.as_str()) != current)
            .filter(|i| {
                slot != Slot::Hospital
                    || condition.kind != ConditionKind::Special
                    || grade(&i.level) >= min
            })
            .collect();
        // Higher grades first; within a grade the index's order (by area, name).
        found.sort_by_key(|i| std::cmp::Reverse(grade(&i.level)));
        found
    }

    /// A tap of the chronic journey.
    pub(super) fn chronic_action(&mut self, id: &str, wall: NaiveDateTime) -> Vec<Command> {
        if id == "chronic" {
            return self.query_chronic();
        }
        match self.screen {
            Screen::Chronic => {
                let Some(rest) = id.strip_prefix("chronic-change:") else {
                    return Vec::new();
                };
                let (i, slot) = rest.split_once(':').unwrap_or((rest, ""));
                let (Ok(i), Some(slot)) = (i.parse::<usize>(), Slot::from_code(slot)) else {
                    return Vec::new();
                };
                self.start_change(i, slot)
            }
            Screen::ChronicPick => {
                if let Some(code) = id.strip_prefix("chronic-pick:") {
                    let found = self
                        .candidates()
                        .into_iter()
                        .find(|i| i.code == code)
                        .cloned();
                    if let Some(institution) = found {
                        self.chronic.chosen = Some(institution);
                        self.screen = Screen::ChronicConfirm;
                    }
                } else if id == "chronic-next" {
                    let (_, page, pages) = self.chronic_candidates();
                    self.chronic.page = (page + 1).min(pages - 1);
                } else if id == "chronic-prev" {
                    self.chronic.page = self.chronic.page.saturating_sub(1);
                }
                Vec::new()
            }
            Screen::ChronicConfirm if id == "chronic-submit" => self.submit_chronic(wall),
            _ => Vec::new(),
        }
    }

    fn query_chronic(&mut self) -> Vec<Command> {
        let Some(person) = &self.person else {
            return Vec::new();
        };
        if self.screen != Screen::Enrollment || !self.offers_chronic() {
            return Vec::new();
        }
        self.request += 1;
        self.chronic = Chronic::default();
        self.message = tr!("正在查询您的门诊慢特病认定信息，请稍候").into();
        self.screen = Screen::RecordsLoading;
        vec![
            Command::Chronic(ChronicCommand::Query {
                request: self.request,
                person_number: person.person_number.clone(),
            }),
            Command::Say(Prompt::Querying),
        ]
    }

    fn start_change(&mut self, i: usize, slot: Slot) -> Vec<Command> {
        let Some(rules) = self.region.chronic_rules() else {
            return Vec::new();
        };
        let Some(condition) = self.chronic.conditions.get(i) else {
            return Vec::new();
        };
        // A6/A7 5.1.1.2: certified elsewhere, the insured place's hall.
        let ours = self
            .region
            .pooling_areas()
            .iter()
            .any(|a| a.code.as_deref() == Some(condition.area.as_str()));
        if !ours {
            self.note = tr!(
                "这项认定不在本地区，本机不能办理变更。{}",
                rules.remote.text
            );
            return vec![Command::Say(Prompt::Refused)];
        }
        self.note.clear();
        self.chronic.editing = Some((i, slot));
        self.chronic.page = 0;
        self.chronic.chosen = None;
        self.screen = Screen::ChronicPick;
        if self.candidates().is_empty() {
            self.chronic.editing = None;
            self.screen = Screen::Chronic;
            self.note = tr!(
                "本统筹区暂无可选的其他定点机构（名单可能尚未同步），请稍后再试或到人工窗口办理。"
            )
            .into();
            return vec![Command::Say(Prompt::Refused)];
        }
        vec![Command::Say(Prompt::ChronicPick)]
    }

    fn submit_chronic(&mut self, _wall: NaiveDateTime) -> Vec<Command> {
        let (Some(person), Some((condition, slot, Some(chosen)))) =
            (&self.person, self.chronic_editing())
        else {
            return Vec::new();
        };
        let command = ChronicCommand::Change {
            request: self.request + 1,
            person_number: person.person_number.clone(),
            number: condition.number.clone(),
            slot,
            code: chosen.code.clone(),
            proxy: self.proxy.as_ref().map(|p| {
                (
                    p.masked(),
                    self.authorisation
                        .as_ref()
                        .map(|a| a.wire())
                        .unwrap_or_default(),
                )
            }),
        };
        self.request += 1;
        self.message = tr!("正在提交变更，请稍候").into();
        self.screen = Screen::RecordsLoading;
        vec![Command::Chronic(command), Command::Say(Prompt::Querying)]
    }

    /// Back inside the chronic journey; `true` when handled.
    pub(super) fn chronic_back(&mut self) -> bool {
        match self.screen {
            Screen::ChronicConfirm => {
                self.chronic.chosen = None;
                self.screen = Screen::ChronicPick;
            }
            Screen::ChronicPick => {
                self.chronic.editing = None;
                self.screen = Screen::Chronic;
            }
            Screen::Chronic if self.person.is_some() => {
                self.note.clear();
                self.screen = Screen::Enrollment;
            }
            _ => return false,
        }
        true
    }

    /// An answer of the chronic journey.
    pub(super) fn chronic_event(
        &mut self,
        event: ChronicEvent,
        wall: NaiveDateTime,
    ) -> Vec<Command> {
        match event {
            ChronicEvent::Loaded {
                request,
                conditions,
                index,
            } => {
                if request != self.request || self.screen != Screen::RecordsLoading {
                    return Vec::new();
                }
                self.message.clear();
                if conditions.is_empty() {
                    // A6/A7 1.3: for persons with a registered disease.
                    self.title = tr!("没有门诊慢特病认定记录").into();
                    self.message = tr!(
                        "定点医药机构变更适用于已认定门诊慢性病或门诊特殊疾病的参保人员。如需认定，请到具备认定资格的定点医疗机构申请；如有疑问，请到人工窗口咨询。"
                    )
                    .into();
                    self.note.clear();
                    self.screen = Screen::Error;
                    return vec![Command::Say(Prompt::Problem)];
                }
                self.chronic.conditions = conditions;
                self.chronic.index = Some(index);
                self.note.clear();
                self.screen = Screen::Chronic;
                self.transaction_done(super::rating::transaction::CHRONIC_QUERY);
                vec![Command::Say(Prompt::Chronic)]
            }
            ChronicEvent::Failed { request, message } => {
                if request != self.request || self.screen != Screen::RecordsLoading {
                    return Vec::new();
                }
                self.show_error(message);
                vec![Command::Say(Prompt::Problem)]
            }
            ChronicEvent::Changed { request, result } => {
                if request != self.request || self.screen != Screen::RecordsLoading {
                    return Vec::new();
                }
                self.message.clear();
                match result {
                    Ok(answer) => match self.chronic_slip(&answer, wall) {
                        Some(slip) => {
                            self.apply_change();
                            self.print(Document::ChronicSlip(Box::new(slip)))
                        }
                        None => Vec::new(),
                    },
                    Err(message) => {
                        self.chronic.chosen = None;
                        self.chronic.editing = None;
                        self.note = message;
                        self.screen = Screen::Chronic;
                        vec![Command::Say(Prompt::Refused)]
                    }
                }
            }
        }
    }

    /// The list shows the new institution after a change.
    fn apply_change(&mut self) {
        let Some((i, slot)) = self.chronic.editing.take() else {
            return;
        };
        let Some(chosen) = self.chronic.chosen.take() else {
            return;
        };
        if let Some(c) = self.chronic.conditions.get_mut(i) {
            let new = (chosen.code, chosen.name);
            match slot {
                Slot::Hospital => c.hospital = new,
                Slot::Pharmacy => c.pharmacy = Some(new),
            }
        }
    }

    /// The proof 业务办理单 of the change (printed: stays Chinese).
    fn chronic_slip(&mut self, answer: &ChangeAnswer, wall: NaiveDateTime) -> Option<BusinessSlip> {
        self.slips_printed += 1;
        let rules = self.region.chronic_rules()?;
        let person = self.person.as_ref()?;
        let (condition, slot, chosen) = self.chronic_editing()?;
        let chosen = chosen?;
        let (what, verb) = match slot {
            Slot::Hospital => ("定点医疗机构", "医院"),
            Slot::Pharmacy => ("定点零售药店", "药店"),
        };
        let old = condition
            .current(slot)
            .map(|c| c.1.clone())
            .unwrap_or_else(|| "无".into());
        let mut notes = vec![
            format!("认定编号：{}", condition.number),
            format!("病种：{}（{}）", condition.disease, condition.kind.label()),
            format!("原{what}：{old}"),
            format!("新{what}：{}（{}）", chosen.name, verb),
        ];
        if answer.confirmed {
            notes.push(format!("办理单号：{}", answer.number));
            notes.push("办理结果：已变更，即时生效。".into());
        } else {
            notes.push(format!("受理编号：{}", answer.number));
            notes.push("办理结果：已提交，待医保中心确认后生效，可凭证件在本机查询。".into());
        }
        notes.push(rules.plan_change.text.clone());
        let serial = format!(
            "{}-{}{:02}",
            self.terminal.terminal_id,
            wall.format("%y%m%d%H%M%S"),
            self.slips_printed % 100
        );
        Some(BusinessSlip {
            title: "医疗保障业务办理单".into(),
            business: format!("{}定点医药机构变更", condition.kind.label()),
            serial,
            printed_at: wall,
            terminal_id: self.terminal.terminal_id.clone(),
            hall_name: self.terminal.hall_name.clone(),
            name: person.name.clone(),
            id_number_masked: crate::identity::mask_number(&person.id_number),
            proxy: None,
            enrollments: Vec::new(),
            facts: Vec::new(),
            notes,
        })
    }
}

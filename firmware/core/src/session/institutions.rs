//! The designated-institutions lookup 定点医药机构查询 in the session: open
//! from the home screen (no card needed: it is reference data, it works
//! offline) or from the enrollment screen; filter by province, city, kind,
//! level and cross-province direct settlement; search by name or by pinyin
//! initials typed on a small letter keypad; print a short list.

use std::sync::Arc;

use chrono::NaiveDateTime;

use crate::institutions::{InstitutionFilter, InstitutionIndex, InstitutionKind, InstitutionList};
use crate::tr;

use super::records::RecordsCommand;
use super::{Command, Document, Prompt, Screen, Session};

/// Rows per page of the result list.
pub const PAGE_ROWS: usize = 6;
/// At most this many rows go on a printed list.
pub const PRINT_ROWS: usize = 12;
/// The longest initials query.
const MAX_QUERY: usize = 12;

/// The lookup's state.
#[derive(Debug, Clone, Default)]
pub struct Lookup {
    /// The synced list (shared: it is reference data).
    pub(super) index: Option<Arc<InstitutionIndex>>,
    /// The dataset version it was built from.
    pub(super) version: Option<String>,
    /// What is filtered.
    pub(super) filter: InstitutionFilter,
    /// The page of results showing.
    pub(super) page: usize,
    /// The screen to go back to.
    pub(super) back_to: Option<Screen>,
}

impl Session {
    /// The lookup on screen: index, filter, page, dataset version.
    pub fn lookup(&self) -> Option<(&InstitutionIndex, &InstitutionFilter, usize, Option<&str>)> {
        let l = &self.records.lookup;
        Some((l.index.as_deref()?, &l.filter, l.page, l.version.as_deref()))
    }

    /// Opens the lookup (asks the edge for the synced list).
    pub(super) fn open_lookup(&mut self) -> Vec<Command> {
        if !matches!(self.screen, Screen::Home | Screen::Enrollment) {
            return Vec::new();
        }
        self.records.lookup = super::institutions::Lookup {
            back_to: Some(self.screen),
            ..Default::default()
        };
        self.request += 1;
        self.message = tr!("正在读取定点医药机构名单，请稍候").into();
        self.screen = Screen::RecordsLoading;
        vec![Command::Records(RecordsCommand::LoadInstitutions {
            request: self.request,
        })]
    }

    /// The synced list arrived.
    pub(super) fn lookup_loaded(
        &mut self,
        index: Arc<InstitutionIndex>,
        version: Option<String>,
    ) -> Vec<Command> {
        if index.is_empty() {
            self.title = tr!("暂无定点医药机构名单").into();
            self.message =
                tr!("本机还没有从医保中心取得定点医药机构名单，请稍后再试，或到人工窗口咨询。")
                    .into();
            self.note.clear();
            self.screen = Screen::Error;
            return vec![Command::Say(Prompt::Problem)];
        }
        self.records.lookup.index = Some(index);
        self.records.lookup.version = version;
        self.message.clear();
        self.screen = Screen::Institutions;
        vec![Command::Say(Prompt::InstitutionSearch)]
    }

    /// A tap on the lookup screen.
    pub(super) fn lookup_action(&mut self, id: &str, wall: NaiveDateTime) -> Vec<Command> {
        if self.screen != Screen::Institutions {
            return Vec::new();
        }
        let Some(index) = self.records.lookup.index.clone() else {
            return Vec::new();
        };
        let l = &mut self.records.lookup;
        let mut refilter = true;
        if let Some(p) = id.strip_prefix("inst-province:") {
            if p.is_empty() || index.provinces().iter().any(|x| x == p) {
                l.filter.area = p.to_string();
            }
        } else if let Some(c) = id.strip_prefix("inst-city:") {
            let province = l.filter.area.get(..2).unwrap_or_default().to_string();
            if c.is_empty() {
                l.filter.area = province;
            } else if index.cities(&province).iter().any(|x| x == c) {
                l.filter.area = c.to_string();
            }
        } else if let Some(k) = id.strip_prefix("inst-kind:") {
            l.filter.kind = InstitutionKind::from_code(k);
            if l.filter.kind != Some(InstitutionKind::Hospital) {
                l.filter.level = None;
            }
        } else if let Some(level) = id.strip_prefix("inst-level:") {
            l.filter.level = (!level.is_empty()).then(|| level.to_string());
        } else if id == "inst-cross" {
            l.filter.cross_province = !l.filter.cross_province;
        } else if let Some(key) = id.strip_prefix("inst-key:") {
            match key {
                "del" => {
                    l.filter.query.pop();
                }
                "clear" => l.filter.query.clear(),
                k if k.len() == 1
                    && k.bytes().all(|b| b.is_ascii_lowercase())
                    && l.filter.query.len() < MAX_QUERY =>
                {
                    l.filter.query.push_str(k)
                }
                _ => {}
            }
        } else if id == "inst-next" || id == "inst-prev" {
            refilter = false;
            let total = index.search(&l.filter).len();
            let pages = total.div_ceil(PAGE_ROWS).max(1);
            if id == "inst-next" && l.page + 1 < pages {
                l.page += 1;
            } else if id == "inst-prev" && l.page > 0 {
                l.page -= 1;
            }
        } else if id == "inst-print" {
            return self.print_institutions(&index, wall);
        } else {
            refilter = false;
        }
        if refilter {
            self.records.lookup.page = 0;
        }
        Vec::new()
    }

    /// Back from the lookup; `true` when handled.
    pub(super) fn lookup_back(&mut self) -> bool {
        if self.screen != Screen::Institutions {
            return false;
        }
        self.screen = match self.records.lookup.back_to {
            Some(Screen::Enrollment) if self.person.is_some() => Screen::Enrollment,
            _ => Screen::Home,
        };
        self.records.lookup = Lookup::default();
        true
    }

    fn print_institutions(
        &mut self,
        index: &InstitutionIndex,
        wall: NaiveDateTime,
    ) -> Vec<Command> {
        let filter = self.records.lookup.filter.clone();
        let found = index.search(&filter);
        if found.is_empty() {
            return Vec::new();
        }
        let list = InstitutionList {
            title: "定点医药机构名单".into(), // printed: stays Chinese
            criteria: filter_text(index, &filter),
            total: found.len(),
            rows: found
                .iter()
                .take(PRINT_ROWS)
                .map(|i| (*i).clone())
                .collect(),
            printed_at: wall,
            version: self.records.lookup.version.clone().unwrap_or_default(),
            terminal_id: self.terminal.terminal_id.clone(),
            issuer: self.region.documents().agency_name.text.clone(),
            proxy: None,
        };
        self.print(Document::InstitutionList(Box::new(list)))
    }
}

/// The filter in words, as printed (Chinese).
pub fn filter_text(index: &InstitutionIndex, f: &InstitutionFilter) -> String {
    let mut parts = Vec::new();
    if let Some(p) = f.area.get(..2).and_then(crate::identity::province_name) {
        parts.push(p.to_string());
    }
    if f.area.len() >= 4 {
        parts.push(index.area_name(&f.area));
    }
    if let Some(k) = f.kind {
        parts.push(k.label().to_string());
    }
    if let Some(l) = &f.level {
        parts.push(l.clone());
    }
    if f.cross_province {
        parts.push("开通跨省直接结算".into()); // printed: stays Chinese
    }
    if !f.query.is_empty() {
        parts.push(format!("检索“{}”", f.query)); // printed: stays Chinese
    }
    if parts.is_empty() {
        "全部".into() // printed: stays Chinese
    } else {
        parts.join("，")
    }
}

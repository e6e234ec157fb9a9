//! What the chronic / special-disease institution change shows
//! (session/chronic.rs): the registered diseases with their designated
//! institutions, the pick list, the confirmation.

use crate::session::chronic::Slot;
use crate::session::{Screen, Session};
use crate::texts;
use crate::tr;

use super::Choice;

/// The journey's screens.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ChronicView {
    /// One row per registered disease.
    pub rows: Vec<ChronicRow>,
    /// The region's treatment-plan rule (诊疗方案变更需重新办理).
    pub plan_change: String,
    /// Pick screen: what is being changed.
    pub pick_title: String,
    /// Pick screen and confirmation: the disease and the current institution.
    pub current: String,
    /// Pick screen: this page's institutions (`chronic-pick:<code>`).
    pub choices: Vec<Choice>,
    /// "第 i / n 页".
    pub page: String,
    /// A next page.
    pub has_next: bool,
    /// A previous page.
    pub has_prev: bool,
    /// Confirmation: the new institution.
    pub chosen: String,
}

/// One registered disease.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ChronicRow {
    /// Kind and disease.
    pub title: String,
    /// Number, date, hospital, pharmacy: one line each.
    pub detail: String,
    /// `chronic-change:<i>:hospital`.
    pub hospital_action: String,
    /// `chronic-change:<i>:pharmacy`.
    pub pharmacy_action: String,
}

impl ChronicView {
    /// The journey's view, while one of its screens shows.
    pub fn of(session: &Session) -> Option<ChronicView> {
        if !matches!(
            session.screen(),
            Screen::Chronic | Screen::ChronicPick | Screen::ChronicConfirm
        ) {
            return None;
        }
        let rules = session.region().chronic_rules()?;
        let rows = session
            .chronic_conditions()
            .iter()
            .enumerate()
            .map(|(i, c)| ChronicRow {
                title: format!("{}：{}", texts::tr_str(c.kind.label()), c.disease),
                detail: [
                    tr!("认定编号：{}（{} 认定）", c.number, c.certified_on),
                    tr!("定点医院：{}", c.hospital.1),
                    tr!(
                        "定点药店：{}",
                        c.pharmacy
                            .as_ref()
                            .map(|p| p.1.as_str())
                            .unwrap_or(tr!("未选择"))
                    ),
                ]
                .join("\n"),
                hospital_action: format!("chronic-change:{i}:hospital"),
                pharmacy_action: format!("chronic-change:{i}:pharmacy"),
            })
            .collect();
        let mut view = ChronicView {
            rows,
            plan_change: rules.plan_change.text.clone(),
            ..ChronicView::default()
        };
        if let Some((condition, slot, chosen)) = session.chronic_editing() {
            let (what, current) = match slot {
                Slot::Hospital => (tr!("定点医院"), Some(condition.hospital.1.as_str())),
                Slot::Pharmacy => (
                    tr!("定点药店"),
                    condition.pharmacy.as_ref().map(|p| p.1.as_str()),
                ),
            };
            view.pick_title = tr!("请选择新的{}", what);
            view.current = tr!(
                "{}：{}\n现在的{}：{}",
                texts::tr_str(condition.kind.label()),
                condition.disease,
                what,
                current.unwrap_or(tr!("未选择"))
            );
            let (rows, page, pages) = session.chronic_candidates();
            view.choices = rows
                .into_iter()
                .map(|i| Choice {
                    action: format!("chronic-pick:{}", i.code),
                    label: i.name.clone(),
                    detail: [i.level.as_str(), i.address.as_str()]
                        .into_iter()
                        .filter(|s| !s.is_empty())
                        .collect::<Vec<_>>()
                        .join(" · "),
                    enabled: true,
                    selected: false,
                })
                .collect();
            view.page = tr!("第 {} / {} 页", page + 1, pages);
            view.has_next = page + 1 < pages;
            view.has_prev = page > 0;
            view.chosen = chosen
                .map(|c| tr!("新的{}：{}", what, c.name))
                .unwrap_or_default();
        }
        Some(view)
    }
}

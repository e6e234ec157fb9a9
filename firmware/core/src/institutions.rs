//! Designated institutions 定点医药机构: the reference list the centre
//! publishes (KS41 dataset `institutions`, synced incrementally so that the
//! lookup works offline) and the search over it: by area, type, level, the
//! cross-province direct settlement flag, and by name or pinyin initials
//! (`bjxh` → 北京协和医院).
//!
//! The initials are computed once, when the index is built, with the
//! `pinyin` crate (its first reading of each character); a search is then a
//! scan of a few hundred short strings.

use pinyin::ToPinyin;

use crate::tr_mark;

/// What kind of institution (医院 / 药店 / 诊所).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InstitutionKind {
    /// 医院 (hospitals, incl. maternal and child health centres).
    Hospital,
    /// 定点零售药店.
    Pharmacy,
    /// 诊所、社区卫生服务中心、卫生院.
    Clinic,
}

impl InstitutionKind {
    /// Every kind, in display order.
    pub const ALL: [InstitutionKind; 3] = [
        InstitutionKind::Hospital,
        InstitutionKind::Pharmacy,
        InstitutionKind::Clinic,
    ];

    /// The code in the dataset.
    pub fn code(self) -> &'static str {
        match self {
            InstitutionKind::Hospital => "hospital",
            InstitutionKind::Pharmacy => "pharmacy",
            InstitutionKind::Clinic => "clinic",
        }
    }

    /// From [`InstitutionKind::code`].
    pub fn from_code(code: &str) -> Option<InstitutionKind> {
        InstitutionKind::ALL.into_iter().find(|k| k.code() == code)
    }

    /// What citizens call it (translated where shown).
    pub fn label(self) -> &'static str {
        match self {
            InstitutionKind::Hospital => tr_mark!("医院"),
            InstitutionKind::Pharmacy => tr_mark!("药店"),
            InstitutionKind::Clinic => tr_mark!("诊所"),
        }
    }
}

/// One designated institution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesignatedInstitution {
    /// Institution code (`fixmedins_code`).
    pub code: String,
    /// Name.
    pub name: String,
    /// Administrative area code (6 digits: province, city, county).
    pub area: String,
    /// Kind.
    pub kind: InstitutionKind,
    /// Level (三级甲等 …), empty for pharmacies and clinics without one.
    pub level: String,
    /// Address.
    pub address: String,
    /// Telephone.
    pub phone: String,
    /// 开通跨省直接结算.
    pub cross_province: bool,
}

/// The pinyin initials of `text`, lower case: Chinese characters by the
/// first letter of their first reading, ASCII letters and digits as they
/// are, everything else dropped. `北京协和医院` → `bjxhyy`.
pub fn initials(text: &str) -> String {
    let mut out = String::with_capacity(text.len() / 3 + 1);
    for (c, p) in text.chars().zip(text.to_pinyin()) {
        match p {
            Some(p) => out.push_str(p.first_letter()),
            None if c.is_ascii_alphanumeric() => out.push(c.to_ascii_lowercase()),
            None => {}
        }
    }
    out
}

/// What the citizen filters by.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InstitutionFilter {
    /// Area code prefix: 2 digits (province), 4 (city) or 6 (county).
    pub area: String,
    /// Only this kind.
    pub kind: Option<InstitutionKind>,
    /// Only this level (exact).
    pub level: Option<String>,
    /// Only those with cross-province direct settlement.
    pub cross_province: bool,
    /// Name fragment (Chinese) or pinyin initials (letters).
    pub query: String,
}

/// The list with its search keys, built once per dataset version.
#[derive(Debug, Clone, Default)]
pub struct InstitutionIndex {
    items: Vec<DesignatedInstitution>,
    keys: Vec<String>,
    area_names: Vec<(String, String)>,
}

impl InstitutionIndex {
    /// Indexes `items` (sorted by area, then name).
    pub fn new(mut items: Vec<DesignatedInstitution>) -> InstitutionIndex {
        items.sort_by(|a, b| (&a.area, &a.name).cmp(&(&b.area, &b.name)));
        let keys = items.iter().map(|i| initials(&i.name)).collect();
        InstitutionIndex {
            items,
            keys,
            area_names: Vec::new(),
        }
    }

    /// The same index with names for area codes (the synced area codes).
    pub fn with_area_names(mut self, names: Vec<(String, String)>) -> InstitutionIndex {
        self.area_names = names;
        self
    }

    /// The name of an area code of 2, 4 or 6 digits (the code when unknown).
    pub fn area_name(&self, code: &str) -> String {
        if code.len() == 2
            && let Some(p) = crate::identity::province_name(code)
        {
            return p.to_string();
        }
        let full = format!("{code:0<6}");
        self.area_names
            .iter()
            .find(|(c, _)| *c == full)
            .map(|(_, n)| n.clone())
            .unwrap_or_else(|| code.to_string())
    }

    /// How many institutions.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Every institution.
    pub fn items(&self) -> &[DesignatedInstitution] {
        &self.items
    }

    /// The institution with `code`.
    pub fn get(&self, code: &str) -> Option<&DesignatedInstitution> {
        self.items.iter().find(|i| i.code == code)
    }

    /// The two-digit province codes present, in code order.
    pub fn provinces(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .items
            .iter()
            .filter_map(|i| i.area.get(..2).map(str::to_string))
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// The four-digit city codes present in `province`, in code order.
    pub fn cities(&self, province: &str) -> Vec<String> {
        let mut out: Vec<String> = self
            .items
            .iter()
            .filter(|i| i.area.starts_with(province))
            .filter_map(|i| i.area.get(..4).map(str::to_string))
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// The levels present (for the level filter), most common first.
    pub fn levels(&self) -> Vec<String> {
        let mut counts: Vec<(String, usize)> = Vec::new();
        for i in self.items.iter().filter(|i| !i.level.is_empty()) {
            match counts.iter_mut().find(|(l, _)| *l == i.level) {
                Some((_, n)) => *n += 1,
                None => counts.push((i.level.clone(), 1)),
            }
        }
        counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        counts.into_iter().map(|(l, _)| l).collect()
    }

    /// The institutions matching `filter`, in index order. A query of
    /// ASCII letters matches the initials (prefix first, then anywhere);
    /// any other query matches the name.
    pub fn search(&self, filter: &InstitutionFilter) -> Vec<&DesignatedInstitution> {
        let query = filter.query.trim();
        let letters = !query.is_empty() && query.chars().all(|c| c.is_ascii_alphabetic());
        let query_lower = query.to_ascii_lowercase();
        let mut prefix = Vec::new();
        let mut inside = Vec::new();
        for (item, key) in self.items.iter().zip(&self.keys) {
            if !item.area.starts_with(&filter.area)
                || filter.kind.is_some_and(|k| k != item.kind)
                || filter.level.as_ref().is_some_and(|l| *l != item.level)
                || (filter.cross_province && !item.cross_province)
            {
                continue;
            }
            if query.is_empty() {
                prefix.push(item);
            } else if letters {
                if key.starts_with(&query_lower) {
                    prefix.push(item);
                } else if key.contains(&query_lower) {
                    inside.push(item);
                }
            } else if item.name.contains(query) {
                prefix.push(item);
            }
        }
        prefix.extend(inside);
        prefix
    }
}

/// A short printed list of institutions (定点医药机构名单).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstitutionList {
    /// Title.
    pub title: String,
    /// The filter in words.
    pub criteria: String,
    /// How many matched (the list may show fewer).
    pub total: usize,
    /// The institutions printed.
    pub rows: Vec<DesignatedInstitution>,
    /// When printed.
    pub printed_at: chrono::NaiveDateTime,
    /// The dataset version the list comes from.
    pub version: String,
    /// Terminal id.
    pub terminal_id: String,
    /// Issuer printed at the bottom.
    pub issuer: String,
    /// The proxy (代办人) of the session, masked, when one printed it.
    pub proxy: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inst(code: &str, name: &str, area: &str, kind: InstitutionKind) -> DesignatedInstitution {
        DesignatedInstitution {
            code: code.into(),
            name: name.into(),
            area: area.into(),
            kind,
            level: if kind == InstitutionKind::Hospital {
                "三级甲等".into()
            } else {
                String::new()
            },
            address: String::new(),
            phone: String::new(),
            cross_province: kind != InstitutionKind::Clinic,
        }
    }

    fn index() -> InstitutionIndex {
        InstitutionIndex::new(vec![
            inst("H1", "北京协和医院", "110101", InstitutionKind::Hospital),
            inst("H2", "海南省人民医院", "460105", InstitutionKind::Hospital),
            inst(
                "P1",
                "老百姓大药房（海秀店）",
                "460106",
                InstitutionKind::Pharmacy,
            ),
            inst(
                "C1",
                "滨海社区卫生服务中心",
                "460106",
                InstitutionKind::Clinic,
            ),
            inst(
                "H3",
                "吉林大学第一医院",
                "220102",
                InstitutionKind::Hospital,
            ),
        ])
    }

    #[test]
    fn initials_of_names() {
        assert_eq!(initials("北京协和医院"), "bjxhyy");
        assert_eq!(initials("老百姓大药房（海秀店）"), "lbxdyfhxd");
        assert_eq!(initials("第3人民医院"), "d3rmyy");
    }

    #[test]
    fn search_by_initials_name_and_filters() {
        let idx = index();
        let names = |f: &InstitutionFilter| -> Vec<String> {
            idx.search(f).iter().map(|i| i.name.clone()).collect()
        };
        let q = |s: &str| InstitutionFilter {
            query: s.into(),
            ..Default::default()
        };
        assert_eq!(names(&q("bjxh")), ["北京协和医院"]);
        assert_eq!(names(&q("BJXH")), ["北京协和医院"], "case does not matter");
        // Prefix matches first, then matches inside the initials.
        assert_eq!(names(&q("rmyy")), ["海南省人民医院"]);
        assert_eq!(names(&q("人民")), ["海南省人民医院"]);
        let hainan = InstitutionFilter {
            area: "46".into(),
            ..Default::default()
        };
        assert_eq!(names(&hainan).len(), 3);
        let pharmacies = InstitutionFilter {
            area: "46".into(),
            kind: Some(InstitutionKind::Pharmacy),
            ..Default::default()
        };
        assert_eq!(names(&pharmacies), ["老百姓大药房（海秀店）"]);
        let cross = InstitutionFilter {
            area: "4601".into(),
            cross_province: true,
            ..Default::default()
        };
        assert_eq!(
            names(&cross).len(),
            2,
            "the clinic has no direct settlement"
        );
        assert!(names(&q("zzzz")).is_empty());
        assert_eq!(idx.provinces(), ["11", "22", "46"]);
        assert_eq!(idx.cities("46"), ["4601"]);
        assert_eq!(idx.levels(), ["三级甲等"]);
    }
}

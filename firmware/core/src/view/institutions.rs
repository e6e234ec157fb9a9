//! What the designated-institutions lookup shows 定点医药机构查询: filter
//! chips, the letter keypad's query, one page of results, formatted.

use crate::identity::province_name;
use crate::institutions::InstitutionKind;
use crate::session::Session;
use crate::session::institutions::PAGE_ROWS;
use crate::texts;
use crate::tr;

use super::Choice;

/// The lookup screen.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct InstitutionsView {
    /// Province chips (`inst-province:<2 digits>`, first "全部").
    pub provinces: Vec<Choice>,
    /// City chips of the province chosen (`inst-city:<4 digits>`).
    pub cities: Vec<Choice>,
    /// Kind chips (`inst-kind:<code>`, first "全部").
    pub kinds: Vec<Choice>,
    /// Level chips, hospitals only (`inst-level:<level>`).
    pub levels: Vec<Choice>,
    /// 开通跨省直接结算 only.
    pub cross_province: bool,
    /// The initials typed (upper case, as on the keys).
    pub query: String,
    /// The results of this page.
    pub rows: Vec<InstitutionRow>,
    /// "共 N 家 第 i/n 页".
    pub summary: String,
    /// Whether there is a next / previous page.
    pub has_next: bool,
    /// Whether there is a previous page.
    pub has_prev: bool,
    /// Where the list comes from and how fresh it is.
    pub source: String,
}

/// One institution on screen.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct InstitutionRow {
    /// Name.
    pub name: String,
    /// Kind · level · 可跨省直接结算.
    pub detail: String,
    /// Address.
    pub address: String,
    /// Telephone.
    pub phone: String,
}

fn chip(action: String, label: String, selected: bool) -> Choice {
    Choice {
        action,
        label,
        detail: String::new(),
        enabled: true,
        selected,
    }
}

impl InstitutionsView {
    /// The lookup screen of `session`, if it is open.
    pub fn of(session: &Session) -> Option<InstitutionsView> {
        let (index, filter, page, version) = session.lookup()?;
        let province = filter.area.get(..2).unwrap_or_default();
        let mut provinces = vec![chip(
            "inst-province:".into(),
            tr!("全部地区").into(),
            filter.area.is_empty(),
        )];
        provinces.extend(index.provinces().into_iter().map(|p| {
            let label = province_name(&p).unwrap_or(p.as_str()).to_string();
            chip(format!("inst-province:{p}"), label, p == province)
        }));
        let cities = if province.is_empty() {
            Vec::new()
        } else {
            let mut c = vec![chip(
                "inst-city:".into(),
                tr!("全省").into(),
                filter.area.len() == 2,
            )];
            c.extend(index.cities(province).into_iter().map(|code| {
                let selected = filter.area.starts_with(&code);
                chip(
                    format!("inst-city:{code}"),
                    index.area_name(&code),
                    selected,
                )
            }));
            c
        };
        let mut kinds = vec![chip(
            "inst-kind:".into(),
            tr!("全部类型").into(),
            filter.kind.is_none(),
        )];
        kinds.extend(InstitutionKind::ALL.into_iter().map(|k| {
            chip(
                format!("inst-kind:{}", k.code()),
                texts::tr_str(k.label()).to_string(),
                filter.kind == Some(k),
            )
        }));
        let levels = if filter.kind == Some(InstitutionKind::Hospital) {
            let mut l = vec![chip(
                "inst-level:".into(),
                tr!("全部等级").into(),
                filter.level.is_none(),
            )];
            l.extend(index.levels().into_iter().take(5).map(|level| {
                let selected = filter.level.as_deref() == Some(level.as_str());
                chip(format!("inst-level:{level}"), level, selected)
            }));
            l
        } else {
            Vec::new()
        };
        let found = index.search(filter);
        let pages = found.len().div_ceil(PAGE_ROWS).max(1);
        let page = page.min(pages - 1);
        let rows = found
            .iter()
            .skip(page * PAGE_ROWS)
            .take(PAGE_ROWS)
            .map(|i| {
                let mut detail = vec![texts::tr_str(i.kind.label()).to_string()];
                if !i.level.is_empty() {
                    detail.push(i.level.clone());
                }
                detail.push(if i.cross_province {
                    tr!("可跨省直接结算").to_string()
                } else {
                    tr!("未开通跨省直接结算").to_string()
                });
                InstitutionRow {
                    name: i.name.clone(),
                    detail: detail.join(" · "),
                    address: i.address.clone(),
                    phone: i.phone.clone(),
                }
            })
            .collect();
        Some(InstitutionsView {
            provinces,
            cities,
            kinds,
            levels,
            cross_province: filter.cross_province,
            query: filter.query.to_ascii_uppercase(),
            rows,
            summary: if found.is_empty() {
                tr!("没有符合条件的机构，请减少筛选条件或修改检索字母。").into()
            } else {
                tr!("共 {} 家　第 {}/{} 页", found.len(), page + 1, pages)
            },
            has_next: page + 1 < pages,
            has_prev: page > 0,
            source: tr!(
                "名单来自医保中心（版本 {}），离线时也可查询。",
                version.unwrap_or("-")
            ),
        })
    }
}

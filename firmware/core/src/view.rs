//! What the screen shows, derived from the session: plain strings ready for
//! the UI, with masking, dates and money formatted here (and in
//! [`crate::documents`]) so that screen and paper agree.

use std::sync::Arc;
use std::time::Instant;

use crate::documents::format_date;
use crate::enrollment::{EnrollmentStatus, InsuredPerson};
use crate::identity::PROVINCES;
use crate::identity::{CredentialKind, mask_number};
use crate::region::{CertificateLayout, KioskAction, RegionProfile, ServiceItem};
use crate::session::filing::{EXTENSION_MONTHS, kind_id};
use crate::session::journey::Journey;
use crate::session::{
    FiledState, FilingDraft, Keypad, RATING_REASONS, RatingState, Screen, Session,
};
use crate::texts;
use crate::tr;

pub mod chronic;
pub mod institutions;
pub mod ledger;
pub mod premium;
pub mod records;
pub use chronic::{ChronicRow, ChronicView};
pub use institutions::{InstitutionRow, InstitutionsView};
pub use ledger::{AccountView, EntryRow, SettlementRow, SettlementsView};
pub use premium::PremiumView;
pub use records::{ContributionsView, MonthRow};

/// The whole screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct View {
    /// Which screen.
    pub screen: Screen,
    /// Title of the error or refusal screen.
    pub title: String,
    /// Status or error message.
    pub message: String,
    /// A note under the message (a rule's own wording).
    pub note: String,
    /// The person on screen, if any.
    pub person: Option<PersonView>,
    /// Seconds left before the session ends for lack of touches, while the
    /// countdown shows.
    pub countdown: Option<u64>,
    /// What to take out of the reader (社保卡 / 身份证件), empty when nothing.
    pub card_to_take: String,
    /// The certificate preview, on the certificate screen.
    pub certificate: Option<CertificateView>,
    /// The document just printed (业务办理单 / 参保凭证).
    pub printed: String,
    /// The satisfaction rating on the printed screen.
    pub rating: RatingView,
    /// Whether the region lets the kiosk print certificates at all.
    pub offers_certificate: bool,
    /// Whether the region lets citizens file remote care on the kiosk.
    pub offers_filing: bool,
    /// The filing journey, while it runs.
    pub filing: Option<FilingView>,
    /// My filings (我的备案).
    pub filed: Vec<FiledView>,
    /// The proxy (代办人) of the session, masked; empty when none.
    pub proxy: String,
    /// The insured person being served by a proxy, masked name (proxy step).
    pub principal: String,
    /// The written-authorisation step of the proxy path, while it shows.
    pub authorisation: Option<AuthorisationView>,
    /// The guide list (filtered by `guide_query`).
    pub guides: Vec<GuideRow>,
    /// The guide search text.
    pub guide_query: String,
    /// The guide on screen.
    pub guide: Option<GuideView>,
    /// The contribution history (view/records.rs).
    pub contributions: Option<ContributionsView>,
    /// The designated-institutions lookup (view/institutions.rs).
    pub institutions: Option<InstitutionsView>,
    /// Whether the region offers the chronic / special-disease institution change.
    pub offers_chronic: bool,
    /// The chronic / special-disease institution change (view/chronic.rs).
    pub chronic: Option<ChronicView>,
    /// The personal account statement (view/ledger.rs).
    pub account: Option<AccountView>,
    /// The settlement records (view/ledger.rs).
    pub settlements: Option<SettlementsView>,
    /// Whether the person may pay a resident premium here.
    pub offers_premium: bool,
    /// The resident premium payment (view/premium.rs).
    pub premium: Option<PremiumView>,
    /// Maintenance mode set by staff (终端维护中 over everything).
    pub maintenance: bool,
    /// The hall's notice on the home screen (empty: none).
    pub hall_notice: String,
}

/// The proxy path's written-authorisation step (代办 书面委托).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuthorisationView {
    /// The region's proxy rule, in its own wording.
    pub rule: String,
    /// Where the rule comes from.
    pub source: String,
    /// Staff ticked 已核验.
    pub ticked: bool,
    /// A document camera is configured: offer the photo.
    pub camera: bool,
}

/// The filing journey's screens.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FilingView {
    /// Categories with a plain explanation.
    pub categories: Vec<Choice>,
    /// The chosen category.
    pub category: String,
    /// Area of care as chosen (province + city), empty when not yet.
    pub area: String,
    /// Phone 1 as typed.
    pub phone1: String,
    /// Phone 2 as typed.
    pub phone2: String,
    /// Address as typed.
    pub address: String,
    /// Names of the institutions chosen, one per line.
    pub chosen_institutions: String,
    /// What is still missing ("" when the form is complete).
    pub missing: String,
    /// Province buttons.
    pub provinces: Vec<Choice>,
    /// City buttons of the province being picked.
    pub cities: Vec<Choice>,
    /// Institution toggles of the chosen area.
    pub institutions: Vec<Choice>,
    /// The keypad's field label and value.
    pub keypad_label: String,
    /// The keypad's value.
    pub keypad_value: String,
    /// The commitment letter: title.
    pub letter_title: String,
    /// The letter's text: categories and undertakings, numbered.
    pub letter_body: String,
    /// The letter's archive note.
    pub letter_note: String,
    /// Ticked.
    pub agreed: bool,
    /// Something is drawn in the signature box.
    pub signed: bool,
    /// The filing being changed or extended (my filings): its number and
    /// what it is now, empty for a new filing.
    pub changing: String,
    /// The choices of the extension screen (`extend-by:<months>`).
    pub extensions: Vec<Choice>,
}

/// One of my filings.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FiledView {
    /// Filing number (or tracking number while pending).
    pub number: String,
    /// Category label.
    pub title: String,
    /// Area, dates and validity, one line each.
    pub detail: String,
    /// State label (有效 / 已取消或终止 / 待医保中心确认 / 未通过：…).
    pub state: String,
    /// Whether it is in force.
    pub valid: bool,
    /// Whether change, extend and cancel are offered (in force, and not a
    /// hospital's referral filing).
    pub editable: bool,
    /// Whether its filing slip can be printed (a centre record).
    pub printable: bool,
    /// Whether 暂停备案 is offered (the region allows it).
    pub suspendable: bool,
    /// Whether 恢复备案 is offered.
    pub resumable: bool,
    /// Whether the archived commitment letter can be reprinted (a centre
    /// record the citizen filed: not a hospital's referral).
    pub letter: bool,
}

/// A button of a choice list.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Choice {
    /// Action id.
    pub action: String,
    /// Label.
    pub label: String,
    /// Explanation under the label.
    pub detail: String,
    /// Whether it can be chosen.
    pub enabled: bool,
    /// Whether it is chosen.
    pub selected: bool,
}

/// The certificate screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateView {
    /// Layouts the region allows, with the one showing marked.
    pub layouts: Vec<LayoutChoice>,
    /// PNG of the paper as the printer will print it.
    pub preview_png: Arc<Vec<u8>>,
    /// Certificate number as printed (transfer) or its machine form.
    pub number: String,
}

/// One layout button.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayoutChoice {
    /// Action id (`layout:simple`).
    pub action: String,
    /// Label (简易版 / 转移接续版).
    pub label: String,
    /// Whether it is the one showing.
    pub selected: bool,
}

/// The rating block.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RatingView {
    /// `open`, `reason` or `done`.
    pub state: String,
    /// The levels, best first.
    pub levels: Vec<String>,
    /// The optional reasons (shown in the `reason` state).
    pub reasons: Vec<String>,
}

/// One line of the guide list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuideRow {
    /// Item code (`JL18`).
    pub code: String,
    /// Item name.
    pub name: String,
    /// 即办件 / 承诺件 and the time limit.
    pub summary: String,
    /// What the kiosk can do for it ("可在本机办理"), empty when only the guide.
    pub kiosk: String,
}

/// One service guide, in sections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuideView {
    /// Item code.
    pub code: String,
    /// Item name.
    pub name: String,
    /// What the kiosk can do for it.
    pub kiosk: String,
    /// Sections (heading, body), in reading order; empty ones left out.
    pub sections: Vec<(String, String)>,
}

/// The person's identity and enrollments, formatted.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct PersonView {
    /// Name.
    pub name: String,
    /// ID number: masked unless revealed.
    pub id_number: String,
    /// Whether `id_number` is the full number.
    pub id_revealed: bool,
    /// Document kind.
    pub id_kind: String,
    /// Sex.
    pub sex: String,
    /// Birth date.
    pub birth_date: String,
    /// Sum of account balances, with currency sign.
    pub total_balance: String,
    /// One per insurance type.
    pub enrollments: Vec<EnrollmentView>,
}

impl std::fmt::Debug for PersonView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PersonView")
            .field("enrollments", &self.enrollments.len())
            .finish_non_exhaustive()
    }
}

/// One insurance type, formatted.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EnrollmentView {
    /// 险种.
    pub insurance_type: String,
    /// 参保状态 label.
    pub status: String,
    /// `normal`, `suspended` or `terminated` (drives the colour).
    pub status_kind: String,
    /// 缴费状态 label.
    pub payment: String,
    /// 参保日期.
    pub enrolled_from: String,
    /// 暂停/终止日期, empty when none.
    pub suspended_from: String,
    /// 统筹区.
    pub pooling_area: String,
    /// 人员类别.
    pub person_category: String,
    /// 单位, empty when none.
    pub employer: String,
    /// 累计缴费月数.
    pub paid_months: String,
    /// 个人账户余额 with currency sign.
    pub balance: String,
}

impl View {
    /// The view of `session` at `now`.
    pub fn of(session: &Session, now: Instant) -> View {
        let region = session.region();
        let rule = region.certificate_rule();
        let suspension = region.filing_rules().suspension.is_some();
        let screen = session.screen();
        View {
            screen,
            title: session.title().to_string(),
            message: session.message().to_string(),
            note: session.note().to_string(),
            person: session
                .person()
                .map(|p| PersonView::of(p, session.id_revealed(now))),
            countdown: session.countdown(now),
            card_to_take: match session.card_inserted() {
                Some(CredentialKind::SocialSecurityCard) => tr!("社会保障卡"),
                Some(_) => tr!("身份证件"),
                None => "",
            }
            .to_string(),
            certificate: session.certificate().map(|(cert, png)| CertificateView {
                layouts: [CertificateLayout::Simple, CertificateLayout::Transfer]
                    .into_iter()
                    .filter(|l| rule.allows_layout(*l))
                    .map(|l| LayoutChoice {
                        action: match l {
                            CertificateLayout::Simple => "layout:simple",
                            CertificateLayout::Transfer => "layout:transfer",
                        }
                        .to_string(),
                        label: layout_label(l).to_string(),
                        selected: l == cert.layout,
                    })
                    .collect(),
                preview_png: Arc::clone(png),
                number: match cert.layout {
                    CertificateLayout::Transfer => cert.facts.number.printed(),
                    CertificateLayout::Simple => cert.facts.number.machine(),
                },
            }),
            printed: session
                .last_document()
                .map(|d| d.label().to_string())
                .unwrap_or_default(),
            rating: RatingView {
                state: match session.rating() {
                    RatingState::Open => "open",
                    RatingState::AskReason(_) => "reason",
                    RatingState::Done => "done",
                }
                .to_string(),
                levels: session
                    .rating_levels()
                    .iter()
                    .map(|l| texts::tr_str(l).to_string())
                    .collect(),
                reasons: RATING_REASONS
                    .iter()
                    .map(|s| texts::tr_str(s).to_string())
                    .collect(),
            },
            offers_certificate: !rule.layouts.value.is_empty()
                && !session.journey_disabled(Journey::Certificate),
            offers_filing: region.filing_rules().offered().any(|c| c.kiosk_can_file)
                && !session.journey_disabled(Journey::Filing),
            filing: session.filing().map(|d| FilingView::of(session, d)),
            filed: session
                .filed()
                .iter()
                .map(|r| FiledView {
                    number: r.number.clone(),
                    title: r
                        .kind
                        .and_then(|k| region.filing_rules().category(k))
                        .map(|c| c.label.clone())
                        .unwrap_or_else(|| tr!("异地就医备案").into()),
                    detail: [
                        tr!("备案编号：{}", r.number),
                        tr!("就医地：{}", r.area),
                        tr!(
                            "有效期：{} 起，{}",
                            r.start,
                            if r.end.is_empty() {
                                tr!("长期有效").to_string()
                            } else {
                                tr!("至 {}", r.end)
                            }
                        ),
                    ]
                    .into_iter()
                    .chain(r.read_only().then(|| {
                        tr!("由办理转诊的定点医疗机构备案，本机只能查看和打印。").to_string()
                    }))
                    .collect::<Vec<_>>()
                    .join("\n"),
                    state: match &r.state {
                        FiledState::Valid => tr!("有效").into(),
                        FiledState::Ended => tr!("已取消或已终止").into(),
                        FiledState::Expired => tr!("已到期终止").into(),
                        FiledState::Suspended => tr!("已暂停").into(),
                        FiledState::Pending => tr!("已提交，待医保中心确认").into(),
                        FiledState::Rejected(reason) => tr!("未通过：{}", reason),
                    },
                    valid: r.state == FiledState::Valid,
                    editable: r.editable(),
                    printable: r.printable(),
                    suspendable: suspension && r.suspendable(),
                    resumable: suspension && r.resumable(),
                    letter: r.printable() && !r.read_only(),
                })
                .collect(),
            proxy: session.proxy().map(|p| p.masked()).unwrap_or_default(),
            authorisation: (screen == Screen::ProxyAuthorisation).then(|| {
                let rule = region.region().proxy_rule.as_ref();
                AuthorisationView {
                    rule: rule.map(|r| r.text.clone()).unwrap_or_else(|| {
                        tr!("代办须有参保人的书面委托，代办人须出示本人有效身份证件。").into()
                    }),
                    source: rule.map(|r| r.source.to_string()).unwrap_or_default(),
                    ticked: session.proxy_ticked(),
                    camera: session.document_camera(),
                }
            }),
            principal: if matches!(screen, Screen::ProxyId | Screen::ProxyAuthorisation) {
                session
                    .person()
                    .map(|p| p.masked_name())
                    .unwrap_or_default()
            } else {
                String::new()
            },
            guides: if matches!(screen, Screen::Guides | Screen::Guide) {
                guide_rows(region, session.guide_query())
            } else {
                Vec::new()
            },
            guide_query: session.guide_query().to_string(),
            guide: session
                .guide_code()
                .and_then(|code| region.item(code))
                .map(|item| GuideView::of(region, item)),
            contributions: ContributionsView::of(session),
            institutions: InstitutionsView::of(session),
            offers_chronic: session.offers_chronic() && !session.journey_disabled(Journey::Chronic),
            chronic: ChronicView::of(session),
            account: AccountView::of(session),
            settlements: SettlementsView::of(session),
            offers_premium: session.offers_premium() && !session.journey_disabled(Journey::Premium),
            premium: PremiumView::of(session, now),
            maintenance: session.maintenance(),
            hall_notice: session.hall_notice().to_string(),
        }
    }
}

/// What the citizen calls a certificate layout.
pub fn layout_label(layout: CertificateLayout) -> &'static str {
    match layout {
        CertificateLayout::Simple => tr!("简易版"),
        CertificateLayout::Transfer => tr!("转移接续版"),
    }
}

/// The guide list for `query` (every item when empty), kiosk items first.
pub fn guide_rows(region: &RegionProfile, query: &str) -> Vec<GuideRow> {
    let mut items: Vec<&ServiceItem> = if query.trim().is_empty() {
        region.items().iter().collect()
    } else {
        region.search(query)
    };
    // Stable: within each group the seed's order stays.
    items.sort_by_key(|i| kiosk_label(i).is_empty());
    items
        .into_iter()
        .map(|i| GuideRow {
            code: i.code.clone(),
            name: i.name.clone(),
            summary: format!(
                "{}　{}",
                texts::tr_str(i.effective_processing().label()),
                i.time_limit
            ),
            kiosk: kiosk_label(i).to_string(),
        })
        .collect()
}

fn kiosk_label(item: &ServiceItem) -> &'static str {
    if item.kiosk_can(KioskAction::File) {
        tr!("可在本机办理")
    } else if item.kiosk_can(KioskAction::Print) {
        tr!("可在本机打印")
    } else if item.kiosk_can(KioskAction::Query) {
        tr!("可在本机查询")
    } else {
        ""
    }
}

impl GuideView {
    /// The guide of `item`.
    pub fn of(region: &RegionProfile, item: &ServiceItem) -> GuideView {
        let mut sections: Vec<(String, String)> = Vec::new();
        let mut add = |heading: &str, body: String| {
            if !body.trim().is_empty() {
                sections.push((heading.to_string(), body));
            }
        };
        add(
            tr!("办件类型与时限"),
            tr!(
                "{}，{}",
                texts::tr_str(item.effective_processing().label()),
                item.time_limit
            ),
        );
        add(tr!("服务对象"), item.service_object.clone());
        add(tr!("办理条件"), item.conditions.clone().unwrap_or_default());
        let mut materials: Vec<String> = item
            .materials
            .iter()
            .enumerate()
            .map(|(n, m)| format!("{}. {m}", n + 1))
            .collect();
        for case in &item.material_cases {
            materials.push(format!("【{}】", case.case));
            materials.extend(
                case.materials
                    .iter()
                    .enumerate()
                    .map(|(n, m)| format!("{}. {m}", n + 1)),
            );
        }
        add(tr!("申请材料"), materials.join("\n"));
        add(tr!("代办"), item.proxy.clone().unwrap_or_default());
        add(tr!("办理渠道"), item.channels.join("、"));
        add(
            tr!("办理流程"),
            item.process
                .iter()
                .map(|p| match &p.text {
                    Some(text) => format!("{}：{text}", p.step),
                    None => p.step.clone(),
                })
                .collect::<Vec<_>>()
                .join("\n"),
        );
        add(tr!("收费"), item.fees.clone().unwrap_or_default());
        let offices = region
            .offices_for(item)
            .into_iter()
            .map(|o| {
                let mut lines = vec![format!(
                    "{}　{}",
                    o.agency.clone().unwrap_or_else(|| o.area.clone()),
                    o.address
                )];
                if let Some(h) = &o.hours {
                    lines.push(tr!("办公时间：{}", h.text));
                }
                if !o.phones.is_empty() {
                    lines.push(tr!(
                        "电话：{}",
                        o.phones
                            .iter()
                            .map(|p| p.number.as_str())
                            .collect::<Vec<_>>()
                            .join("，")
                    ));
                }
                lines.join("\n")
            })
            .collect::<Vec<_>>()
            .join("\n\n");
        add(tr!("办理地点"), offices);
        let phones = item.phones.join("，");
        add(tr!("咨询电话"), phones);
        add(tr!("设定依据"), item.legal_basis.join("\n"));
        add(tr!("说明"), item.notes.join("\n"));
        GuideView {
            code: item.code.clone(),
            name: item.name.clone(),
            kiosk: kiosk_label(item).to_string(),
            sections,
        }
    }
}

impl PersonView {
    /// Formats a person; `reveal` shows the full ID number.
    pub fn of(person: &InsuredPerson, reveal: bool) -> PersonView {
        PersonView {
            name: person.name.clone(),
            id_number: if reveal {
                person.id_number.clone()
            } else {
                mask_number(&person.id_number)
            },
            id_revealed: reveal,
            id_kind: texts::tr_str(person.id_kind.label()).to_string(),
            sex: texts::tr_str(person.sex.label()).to_string(),
            birth_date: format_date(person.birth_date),
            total_balance: person
                .total_balance()
                .map(|b| format!("¥{}", b.display_digits()))
                .unwrap_or_default(),
            enrollments: person
                .enrollments
                .iter()
                .map(|e| EnrollmentView {
                    insurance_type: texts::tr_str(e.insurance_type.label()).to_string(),
                    status: texts::tr_str(e.status.label()).to_string(),
                    status_kind: match e.status {
                        EnrollmentStatus::Normal => "normal",
                        EnrollmentStatus::Suspended => "suspended",
                        EnrollmentStatus::Terminated => "terminated",
                    }
                    .to_string(),
                    payment: texts::tr_str(e.payment.label()).to_string(),
                    enrolled_from: format_date(e.enrolled_from),
                    suspended_from: e.suspended_from.map(format_date).unwrap_or_default(),
                    pooling_area: e.pooling_area.clone(),
                    person_category: texts::tr_str(e.person_category_text()).to_string(),
                    employer: e.employer.clone().unwrap_or_default(),
                    paid_months: e.paid_months.to_string(),
                    balance: format!("¥{}", e.account_balance.display_digits()),
                })
                .collect(),
        }
    }
}

impl FilingView {
    /// The filing screens' contents for `draft`.
    pub fn of(session: &Session, draft: &FilingDraft) -> FilingView {
        let region = session.region();
        let rules = region.filing_rules();
        let categories = rules
            .offered()
            .map(|c| {
                let mut detail = Vec::new();
                if let Some(e) = &c.eligible {
                    detail.push(e.text.clone());
                }
                detail.push(c.validity.text.clone());
                if !c.kiosk_can_file {
                    detail.push(tr!("此类备案由就医医院或经办机构办理，本机可查询和打印。").into());
                }
                Choice {
                    action: format!("category:{}", kind_id(c.kind)),
                    label: c.label.clone(),
                    detail: detail.join(" "),
                    enabled: c.kiosk_can_file,
                    selected: draft.kind == Some(c.kind),
                }
            })
            .collect();
        let category = draft
            .kind
            .and_then(|k| rules.category(k).map(|c| (k, c)))
            .map(|(k, c)| match session.filing_period(k) {
                // A dated filing (temporary trip) shows its own dates.
                (start, Some(end)) => tr!(
                    "{}（有效期 {} 至 {}）",
                    c.label,
                    crate::documents::format_date(start),
                    crate::documents::format_date(end)
                ),
                _ => c.label.clone(),
            })
            .unwrap_or_default();
        let area = match (&draft.province, &draft.area) {
            (Some(p), Some(a)) if a.name != p.name => format!("{}{}", p.name, a.name),
            (Some(p), Some(_)) => p.name.clone(),
            _ => String::new(),
        };
        let provinces = PROVINCES
            .iter()
            .filter(|(code, _)| code.as_bytes()[0] <= b'6')
            .map(|(code, name)| Choice {
                action: format!("province:{code}"),
                label: name.to_string(),
                detail: String::new(),
                enabled: true,
                selected: draft.province.as_ref().is_some_and(|p| p.code == *code),
            })
            .collect();
        let mut cities: Vec<Choice> = session
            .filing_cities()
            .iter()
            .map(|c| Choice {
                action: format!("city:{}", c.code),
                label: c.name.clone(),
                detail: String::new(),
                enabled: true,
                selected: draft.area.as_ref().is_some_and(|a| a.code == c.code),
            })
            .collect();
        if let Some(p) = &draft.province {
            cities.push(Choice {
                action: format!("city:{}0000", p.code),
                label: tr!("{}（全省）", p.name),
                detail: String::new(),
                enabled: true,
                selected: draft
                    .area
                    .as_ref()
                    .is_some_and(|a| a.code == format!("{}0000", p.code)),
            });
        }
        let institutions = session
            .filing_institutions()
            .iter()
            .map(|i| Choice {
                action: format!("institution:{}", i.code),
                label: i.name.clone(),
                detail: i.level.clone(),
                enabled: true,
                selected: draft.institutions.iter().any(|c| c.code == i.code),
            })
            .collect();
        let (keypad_label, keypad_value) = match session.keypad() {
            Some(Keypad::Phone1) => (tr!("联系电话1"), draft.phone1.clone()),
            Some(Keypad::Phone2) => (tr!("联系电话2（可不填）"), draft.phone2.clone()),
            None => ("", String::new()),
        };
        let letter = region.documents().commitment_letter.as_ref();
        let letter_body = letter
            .map(|l| {
                let mut lines = vec![tr!("人员类别：").to_string()];
                lines.extend(l.categories.iter().map(|c| format!("□ {c}")));
                lines.push(String::new());
                lines.push(tr!("本人承诺：").into());
                lines.extend(
                    l.undertakings
                        .iter()
                        .enumerate()
                        .map(|(n, u)| format!("{}. {u}", n + 1)),
                );
                lines.join("\n")
            })
            .unwrap_or_default();
        FilingView {
            categories,
            category,
            area,
            phone1: draft.phone1.clone(),
            phone2: draft.phone2.clone(),
            address: draft.address.clone(),
            chosen_institutions: draft
                .institutions
                .iter()
                .map(|i| i.name.clone())
                .collect::<Vec<_>>()
                .join("\n"),
            missing: draft.missing().join(tr!("、")),
            provinces,
            cities,
            institutions,
            keypad_label: keypad_label.to_string(),
            keypad_value,
            letter_title: letter.map(|l| l.title.clone()).unwrap_or_default(),
            letter_body,
            letter_note: letter.map(|l| l.archive_note.clone()).unwrap_or_default(),
            agreed: draft.agreed,
            signed: draft.strokes.iter().any(|s| !s.is_empty()),
            changing: draft
                .changing
                .as_ref()
                .map(|r| {
                    let end = if r.end.is_empty() {
                        tr!("长期有效").to_string()
                    } else {
                        tr!("至 {}", r.end)
                    };
                    tr!("备案编号 {}：就医地 {}，{}", r.number, r.area, end)
                })
                .unwrap_or_default(),
            extensions: extension_choices(draft),
        }
    }
}

/// The extension screen's choices: the new end date for each offered
/// length, counted from the filing's current end date.
fn extension_choices(draft: &FilingDraft) -> Vec<Choice> {
    let Some(end) = draft
        .changing
        .as_ref()
        .and_then(|r| chrono::NaiveDate::parse_from_str(&r.end, "%Y-%m-%d").ok())
    else {
        return Vec::new();
    };
    EXTENSION_MONTHS
        .iter()
        .filter_map(|&m| {
            let to = end.checked_add_months(chrono::Months::new(m))?;
            Some(Choice {
                action: format!("extend-by:{m}"),
                label: tr!("延长 {} 个月\n至 {}", m, format_date(to)),
                detail: String::new(),
                enabled: true,
                selected: false,
            })
        })
        .collect()
}

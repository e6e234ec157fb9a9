//! The remote-care filing journey (异地就医备案) of the session: category
//! with a plain explanation, the form (area of care by province → city,
//! two phones on a keypad, the address, designated institutions from the
//! synced list), the commitment letter read in full, ticked and signed on
//! the screen, then submitted. Categories, validity and texts come from the
//! region profile.

use chrono::{NaiveDate, NaiveDateTime};

use super::{Command, Prompt, Screen, Session};
use crate::documents::{Bitmap, FilingReceipt};
use crate::region::{FilingKind, ValidityKind};
use crate::tr;

/// Width and height of the signature pad, in the UI's logical pixels; the
/// strokes arrive in these coordinates.
pub const SIGNATURE_PAD: (u32, u32) = (960, 360);

/// A place: code and name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    /// Area code (2 digits for a province, 6 for a city).
    pub code: String,
    /// Name.
    pub name: String,
}

/// A designated institution that settles remote care directly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Institution {
    /// Institution code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Level (三级甲等 …).
    pub level: String,
}

/// What the citizen has filled in so far.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct FilingDraft {
    /// The category.
    pub kind: Option<FilingKind>,
    /// Province of care.
    pub province: Option<Place>,
    /// City (prefecture) of care; the province itself when no city is listed.
    pub area: Option<Place>,
    /// Contact phone 1 (required).
    pub phone1: String,
    /// Contact phone 2 (optional).
    pub phone2: String,
    /// Address at the place of care (typed with the system keyboard).
    pub address: String,
    /// Institutions chosen.
    pub institutions: Vec<Institution>,
    /// The commitment letter was ticked.
    pub agreed: bool,
    /// Signature strokes, pad coordinates.
    pub strokes: Vec<Vec<(u16, u16)>>,
    /// The filing being changed or extended (my filings), `None` for a
    /// new filing.
    pub changing: Option<FiledRecord>,
}

impl std::fmt::Debug for FilingDraft {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FilingDraft")
            .field("kind", &self.kind)
            .field("area", &self.area.as_ref().map(|a| &a.code))
            .field("institutions", &self.institutions.len())
            .field("agreed", &self.agreed)
            .field("strokes", &self.strokes.len())
            .finish_non_exhaustive()
    }
}

impl FilingDraft {
    /// Whether phone 1 is a mobile (11 digits from 1) or a landline (7–12 digits).
    pub fn phone_ok(phone: &str) -> bool {
        let digits = phone.chars().all(|c| c.is_ascii_digit());
        let n = phone.len();
        digits
            && ((n == 11 && phone.starts_with('1'))
                || (7..=12).contains(&n) && !phone.starts_with('1'))
    }

    /// What is still missing before the letter can be shown, in the
    /// citizen's words; empty when the form is complete.
    pub fn missing(&self) -> Vec<&'static str> {
        let mut missing = Vec::new();
        if self.area.is_none() {
            missing.push(tr!("就医地"));
        }
        if !FilingDraft::phone_ok(&self.phone1) {
            missing.push(tr!("联系电话1"));
        }
        if !self.phone2.is_empty() && !FilingDraft::phone_ok(&self.phone2) {
            missing.push(tr!("联系电话2（号码不完整）"));
        }
        missing
    }

    /// The signature as a 1-bit image for the printed letter copy: each
    /// stroke a polyline two dots wide (a tap a 2×2 dot), at a quarter of
    /// the pad (240×90 dots on paper), drawn with embedded-graphics.
    pub fn signature_bitmap(&self) -> Option<Bitmap> {
        signature_bitmap(&self.strokes)
    }
}

/// Signature strokes (pad coordinates) as a 1-bit image, a quarter of the
/// pad: 240×90 dots on paper, each stroke a polyline two dots wide (a tap
/// a 2×2 dot), drawn with embedded-graphics. `None` when nothing is drawn.
pub fn signature_bitmap(strokes: &[Vec<(u16, u16)>]) -> Option<Bitmap> {
    use embedded_graphics::pixelcolor::BinaryColor;
    use embedded_graphics::prelude::*;
    use embedded_graphics::primitives::{Polyline, PrimitiveStyle, Rectangle};
    if strokes.iter().all(|s| s.is_empty()) {
        return None;
    }
    let mut bitmap = Bitmap::blank(SIGNATURE_PAD.0 / 4, SIGNATURE_PAD.1 / 4)?;
    for stroke in strokes {
        let points: Vec<Point> = stroke
            .iter()
            .map(|&(x, y)| Point::new(i32::from(x) / 4, i32::from(y) / 4))
            .collect();
        // Drawing into a bitmap cannot fail (Infallible).
        let _ = match points.as_slice() {
            [] => Ok(()),
            [dot] => Rectangle::new(*dot, Size::new(2, 2))
                .into_styled(PrimitiveStyle::with_fill(BinaryColor::On))
                .draw(&mut bitmap),
            _ => Polyline::new(&points)
                .into_styled(PrimitiveStyle::with_stroke(BinaryColor::On, 2))
                .draw(&mut bitmap),
        };
    }
    Some(bitmap)
}

/// Parses a stroke sent by the UI: `x,y;x,y;…` in pad coordinates.
pub fn parse_stroke(text: &str) -> Vec<(u16, u16)> {
    text.split(';')
        .filter_map(|p| {
            let (x, y) = p.split_once(',')?;
            let x = x.trim().parse::<f32>().ok()?;
            let y = y.trim().parse::<f32>().ok()?;
            let clamp = |v: f32, max: u32| v.clamp(0.0, max as f32 - 1.0) as u16;
            Some((clamp(x, SIGNATURE_PAD.0), clamp(y, SIGNATURE_PAD.1)))
        })
        .take(4096)
        .collect()
}

/// What the filing form is waiting for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keypad {
    /// Contact phone 1.
    Phone1,
    /// Contact phone 2.
    Phone2,
}

/// The submission the edges carry out (outbox first, then the centre).
#[derive(Clone, PartialEq, Eq)]
pub struct FilingSubmission {
    /// 人员编号.
    pub person_number: String,
    /// ID number.
    pub id_number: String,
    /// Name.
    pub name: String,
    /// Sex label (for the letter copy).
    pub sex: String,
    /// Insured area code and name.
    pub insured_area: Place,
    /// Category.
    pub kind: FilingKind,
    /// Category label (region's wording).
    pub category: String,
    /// Area of care.
    pub area: Place,
    /// Province of care (for the printed area of care).
    pub province: Place,
    /// Phones.
    pub phone1: String,
    /// Optional second phone.
    pub phone2: String,
    /// Address at the place of care.
    pub address: String,
    /// Institutions chosen.
    pub institutions: Vec<Institution>,
    /// Effective date (self-service: at once).
    pub start: NaiveDate,
    /// End date for time-limited categories.
    pub end: Option<NaiveDate>,
    /// Validity as the region explains it.
    pub validity: String,
    /// The signature.
    pub signature: Bitmap,
    /// The proxy who filed it, masked, if any.
    pub proxy: Option<String>,
    /// How the proxy's written authorisation was captured
    /// ([`super::Authorisation::wire`]), when a proxy filed it.
    pub proxy_authorisation: Option<String>,
    /// The signed commitment letter for the agency's archive (seed 000
    /// 附件2), when the region has a letter.
    pub letter: Option<crate::letter::SignedLetter>,
}

impl std::fmt::Debug for FilingSubmission {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FilingSubmission")
            .field("kind", &self.kind)
            .field("area", &self.area.code)
            .finish_non_exhaustive()
    }
}

impl Session {
    /// The filing draft (while the journey runs).
    pub fn filing(&self) -> Option<&FilingDraft> {
        self.filing.as_ref()
    }

    /// Cities of the province being picked (from the synced area codes).
    pub fn filing_cities(&self) -> &[Place] {
        &self.filing_cities
    }

    /// Institutions of the chosen area (from the synced list).
    pub fn filing_institutions(&self) -> &[Institution] {
        &self.filing_institutions
    }

    /// Which phone the keypad is filling.
    pub fn keypad(&self) -> Option<Keypad> {
        self.keypad
    }

    /// The dates a new filing of `kind` gets: from today (a self-service
    /// filing takes effect at once), and for a dated category (temporary
    /// trip: at least 6 months, 医保发〔2022〕22号) the region's minimum
    /// period; `None` for the long-term categories.
    pub fn filing_period(&self, kind: FilingKind) -> (NaiveDate, Option<NaiveDate>) {
        let start = self.today;
        let end = self
            .region
            .filing_rules()
            .category(kind)
            .filter(|c| c.validity.kind == ValidityKind::AtLeastMonths)
            .and_then(|c| c.validity.months)
            .and_then(|m| start.checked_add_months(chrono::Months::new(u32::from(m))));
        (start, end)
    }

    pub(super) fn start_filing(&mut self) -> Vec<Command> {
        if self.screen != Screen::Enrollment || self.person.is_none() {
            return Vec::new();
        }
        self.filing = Some(FilingDraft::default());
        self.screen = Screen::FilingCategory;
        vec![Command::Say(Prompt::FilingCategory)]
    }

    pub(super) fn filing_action(&mut self, id: &str) -> Vec<Command> {
        let Some(draft) = self.filing.as_mut() else {
            return Vec::new();
        };
        if let Some(kind) = id.strip_prefix("category:") {
            let rules = self.region.filing_rules();
            let chosen = rules
                .offered()
                .find(|c| c.kiosk_can_file && kind_id(c.kind) == kind);
            if let Some(c) = chosen {
                draft.kind = Some(c.kind);
                self.screen = Screen::FilingForm;
                return vec![Command::Say(Prompt::FilingForm)];
            }
            return Vec::new();
        }
        if let Some(code) = id.strip_prefix("province:") {
            let Some(name) = crate::identity::province_name(code) else {
                return Vec::new();
            };
            draft.province = Some(Place {
                code: code.to_string(),
                name: name.to_string(),
            });
            draft.area = None;
            draft.institutions.clear();
            self.filing_cities.clear();
            self.screen = Screen::FilingCity;
            return vec![Command::LoadCities {
                province: code.to_string(),
            }];
        }
        if let Some(code) = id.strip_prefix("city:") {
            let place = if let Some(p) = self.filing_cities.iter().find(|p| p.code == code) {
                p.clone()
            } else if let Some(p) = draft
                .province
                .as_ref()
                .filter(|p| format!("{}0000", p.code) == code)
            {
                // The whole province, when no city is listed.
                Place {
                    code: code.to_string(),
                    name: p.name.clone(),
                }
            } else {
                return Vec::new();
            };
            draft.area = Some(place.clone());
            draft.institutions.clear();
            self.filing_institutions.clear();
            if draft.changing.is_some() {
                self.screen = Screen::FilingChange;
                return Vec::new();
            }
            self.screen = Screen::FilingForm;
            return vec![Command::LoadInstitutions { area: place.code }];
        }
        if let Some(code) = id.strip_prefix("institution:") {
            if let Some(pos) = draft.institutions.iter().position(|i| i.code == code) {
                draft.institutions.remove(pos);
            } else if let Some(i) = self.filing_institutions.iter().find(|i| i.code == code)
                && draft.institutions.len() < 5
            {
                draft.institutions.push(i.clone());
            }
            return Vec::new();
        }
        if let Some(key) = id.strip_prefix("key:") {
            let field = match self.keypad {
                Some(Keypad::Phone1) => &mut draft.phone1,
                Some(Keypad::Phone2) => &mut draft.phone2,
                None => return Vec::new(),
            };
            match key {
                "del" => {
                    field.pop();
                }
                "ok" => {
                    self.keypad = None;
                    self.screen = if draft.changing.is_some() {
                        Screen::FilingChange
                    } else {
                        Screen::FilingForm
                    };
                }
                digit
                    if digit.len() == 1
                        && digit.chars().all(|c| c.is_ascii_digit())
                        && field.len() < 12 =>
                {
                    field.push_str(digit);
                }
                _ => {}
            }
            return Vec::new();
        }
        if let Some(text) = id.strip_prefix("address:") {
            draft.address = text.chars().filter(|c| !c.is_control()).take(60).collect();
            return Vec::new();
        }
        if let Some(months) = id.strip_prefix("extend-by:") {
            return self.submit_extension(months);
        }
        if let Some(stroke) = id.strip_prefix("stroke:") {
            let points = parse_stroke(stroke);
            if !points.is_empty() && draft.strokes.len() < 200 {
                draft.strokes.push(points);
            }
            return Vec::new();
        }
        match id {
            "filing-area" => self.screen = Screen::FilingProvince,
            "filing-phone1" => {
                self.keypad = Some(Keypad::Phone1);
                self.screen = Screen::FilingPhone;
            }
            "filing-phone2" => {
                self.keypad = Some(Keypad::Phone2);
                self.screen = Screen::FilingPhone;
            }
            "filing-institutions" if draft.area.is_some() => {
                self.screen = Screen::FilingInstitutions;
            }
            "filing-institutions-done" => self.screen = Screen::FilingForm,
            "filing-next" if draft.missing().is_empty() && draft.kind.is_some() => {
                self.screen = Screen::FilingLetter;
                return vec![Command::Say(Prompt::FilingLetter)];
            }
            "agree" => draft.agreed = !draft.agreed,
            "sign-clear" => draft.strokes.clear(),
            "filing-submit" => return self.submit_filing(),
            "change-submit" => return self.submit_change(),
            _ => {}
        }
        Vec::new()
    }

    /// Back one step inside the filing journey; false when not in it.
    pub(super) fn filing_back(&mut self) -> bool {
        let changing = self.filing.as_ref().is_some_and(|d| d.changing.is_some());
        let to = match self.screen {
            Screen::FilingCategory => Screen::Enrollment,
            Screen::FilingForm => Screen::FilingCategory,
            Screen::FilingProvince | Screen::FilingPhone if changing => Screen::FilingChange,
            Screen::FilingProvince | Screen::FilingPhone | Screen::FilingInstitutions => {
                Screen::FilingForm
            }
            Screen::FilingCity => Screen::FilingProvince,
            Screen::FilingLetter => Screen::FilingForm,
            Screen::FilingChange | Screen::FilingExtend => Screen::Filings,
            _ => return false,
        };
        if matches!(to, Screen::Enrollment | Screen::Filings) {
            self.filing = None;
            self.note.clear();
        }
        self.keypad = None;
        self.screen = to;
        true
    }

    /// Sends the change (KS13): the new area of care and / or phone.
    fn submit_change(&mut self) -> Vec<Command> {
        let (Some(draft), Some(person)) = (&self.filing, &self.person) else {
            return Vec::new();
        };
        let Some(record) = &draft.changing else {
            return Vec::new();
        };
        if self.screen != Screen::FilingChange {
            return Vec::new();
        }
        let phone = (!draft.phone1.is_empty()).then(|| draft.phone1.clone());
        if phone.as_deref().is_some_and(|p| !FilingDraft::phone_ok(p)) {
            self.note = tr!("联系电话号码不完整，请重新输入。").into();
            return Vec::new();
        }
        if draft.area.is_none() && phone.is_none() {
            self.note = tr!("请先选择新的就医地，或输入新的联系电话。").into();
            return Vec::new();
        }
        let command = Command::ChangeFiling {
            person_number: person.person_number.clone(),
            number: record.number.clone(),
            area: draft.area.clone(),
            phone,
            end: None,
        };
        self.proof_for = Some(record.number.clone());
        self.filing = None;
        self.note.clear();
        self.screen = Screen::FilingsLoading;
        vec![command, Command::Say(Prompt::Querying)]
    }

    /// Sends an extension (KS13 with a new end date): `months` after the
    /// filing's current end date.
    fn submit_extension(&mut self, months: &str) -> Vec<Command> {
        let (Some(draft), Some(person)) = (&self.filing, &self.person) else {
            return Vec::new();
        };
        let Some(record) = &draft.changing else {
            return Vec::new();
        };
        let new_end = months
            .parse::<u32>()
            .ok()
            .filter(|m| EXTENSION_MONTHS.contains(m))
            .zip(NaiveDate::parse_from_str(&record.end, "%Y-%m-%d").ok())
            .and_then(|(m, end)| end.checked_add_months(chrono::Months::new(m)));
        let Some(end) = new_end.filter(|_| self.screen == Screen::FilingExtend) else {
            return Vec::new();
        };
        let command = Command::ChangeFiling {
            person_number: person.person_number.clone(),
            number: record.number.clone(),
            area: None,
            phone: None,
            end: Some(end),
        };
        self.proof_for = Some(record.number.clone());
        self.filing = None;
        self.note.clear();
        self.screen = Screen::FilingsLoading;
        vec![command, Command::Say(Prompt::Querying)]
    }

    fn submit_filing(&mut self) -> Vec<Command> {
        let (Some(draft), Some(person)) = (&self.filing, &self.person) else {
            return Vec::new();
        };
        if self.screen != Screen::FilingLetter || !draft.agreed {
            return Vec::new();
        }
        let Some(signature) = draft.signature_bitmap() else {
            self.note = tr!("请在签名框内签名。").into();
            return Vec::new();
        };
        let (Some(kind), Some(area), Some(province)) =
            (draft.kind, draft.area.clone(), draft.province.clone())
        else {
            return Vec::new();
        };
        let rules = self.region.filing_rules();
        let Some(category) = rules.category(kind) else {
            return Vec::new();
        };
        let (start, end) = self.filing_period(kind);
        let insured = super::certificate_enrollment(person).or(person.enrollments.first());
        let area_of_care = if area.name == province.name {
            province.name.clone()
        } else {
            format!("{}{}", province.name, area.name)
        };
        let letter = self.region.documents().commitment_letter.as_ref().map(|l| {
            crate::letter::SignedLetter::sign(
                crate::letter::template_version(self.region.id(), self.region.version(), l),
                l,
                &crate::letter::LetterFields {
                    name: &person.name,
                    sex: person.sex.label(),
                    phone: &draft.phone1,
                    id_number: &person.id_number,
                    insured_area: &insured.map(|e| e.pooling_area.clone()).unwrap_or_default(),
                    area_of_care: &area_of_care,
                    category: &category.label,
                },
                &draft.strokes,
                start,
            )
        });
        let submission = FilingSubmission {
            person_number: person.person_number.clone(),
            id_number: person.id_number.clone(),
            name: person.name.clone(),
            sex: person.sex.label().to_string(),
            insured_area: Place {
                code: insured
                    .map(|e| e.pooling_area_code.clone())
                    .unwrap_or_default(),
                name: insured.map(|e| e.pooling_area.clone()).unwrap_or_default(),
            },
            kind,
            category: category.label.clone(),
            area,
            province,
            phone1: draft.phone1.clone(),
            phone2: draft.phone2.clone(),
            address: draft.address.clone(),
            institutions: draft.institutions.clone(),
            start,
            end,
            validity: category.validity.text.clone(),
            signature,
            proxy: self.proxy.as_ref().map(|p| p.masked()),
            proxy_authorisation: self.authorisation.as_ref().map(|a| a.wire()),
            letter,
        };
        self.note.clear();
        self.screen = Screen::FilingSubmitting;
        self.filing_submitted = Some(Box::new(submission.clone()));
        vec![
            Command::SubmitFiling(Box::new(submission)),
            Command::Say(Prompt::Querying),
        ]
    }
}

/// How far an extension may reach, in months after the current end date
/// (the choices on the extension screen).
pub const EXTENSION_MONTHS: [u32; 3] = [3, 6, 12];

/// The id of a category in action ids (`category:long_term_resident`).
pub fn kind_id(kind: FilingKind) -> &'static str {
    match kind {
        FilingKind::ResettledRetiree => "resettled_retiree",
        FilingKind::LongTermResident => "long_term_resident",
        FilingKind::StationedWorker => "stationed_worker",
        FilingKind::TemporaryTrip => "temporary_trip",
        FilingKind::Referral => "referral",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones() {
        assert!(FilingDraft::phone_ok("13812345678"));
        assert!(FilingDraft::phone_ok("043188889999"));
        assert!(FilingDraft::phone_ok("88889999"));
        assert!(!FilingDraft::phone_ok("1381234567"));
        assert!(!FilingDraft::phone_ok("138123456789"));
        assert!(!FilingDraft::phone_ok("12345"));
        assert!(!FilingDraft::phone_ok(""));
    }

    #[test]
    fn strokes_become_a_signature_bitmap() {
        let stroke = parse_stroke("10,10;200,100;400,40;9999,-5;junk");
        assert_eq!(stroke.len(), 4);
        assert_eq!(stroke[3], (959, 0));
        let draft = FilingDraft {
            strokes: vec![stroke],
            ..FilingDraft::default()
        };
        let bitmap = draft.signature_bitmap().unwrap();
        assert_eq!((bitmap.width(), bitmap.height()), (240, 90));
        assert!(bitmap.get(2, 2) && bitmap.get(50, 25));
        assert!(!bitmap.get(200, 80));
        assert!(FilingDraft::default().signature_bitmap().is_none());
    }
}

/// A filing as the centre (or the kiosk's outbox) holds it, for 我的备案.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FiledRecord {
    /// The centre's filing number, or the kiosk's tracking number while
    /// the centre has not answered.
    pub number: String,
    /// Category, when known.
    pub kind: Option<FilingKind>,
    /// Area of care, by name when the synced area codes know it.
    pub area: String,
    /// Start date `YYYY-MM-DD`.
    pub start: String,
    /// End date, empty for long-term filings.
    pub end: String,
    /// Filed on (for the lock period).
    pub filed_on: Option<NaiveDate>,
    /// State.
    pub state: FiledState,
}

/// Where a filing stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FiledState {
    /// In force.
    Valid,
    /// Cancelled or ended.
    Ended,
    /// A dated filing past its end date: it ended by itself (000 E2–E4
    /// 8.1 “未再继续申请延期的，异地就医待遇自动终止”).
    Expired,
    /// Suspended by the person (seed 001 备注2), until resumed.
    Suspended,
    /// Written on this kiosk, not yet answered by the centre.
    Pending,
    /// The centre refused it.
    Rejected(String),
}

impl FiledRecord {
    /// The record as it stands on `today`: a filing the centre still calls
    /// valid whose end date has passed has ended by itself (seed 000 E2–E4
    /// 8.1). The kiosk applies the dates itself, so an answer computed
    /// before midnight, or a centre that does not expire records, still
    /// shows the truth. It is valid through its end date.
    pub fn as_of(mut self, today: NaiveDate) -> FiledRecord {
        let ended = NaiveDate::parse_from_str(&self.end, "%Y-%m-%d").is_ok_and(|end| end < today);
        let in_force = matches!(self.state, FiledState::Valid | FiledState::Suspended);
        if in_force && ended {
            self.state = FiledState::Expired;
        }
        self
    }

    /// Whether the citizen may only look at it and print it: referral
    /// filings are made by the referring hospital (seed 001 #15 “定点医疗机构
    /// 直接办理备案”, 000b E1 “Query / print only”).
    pub fn read_only(&self) -> bool {
        self.kind == Some(FilingKind::Referral)
    }

    /// Whether change, extension and cancellation are offered.
    pub fn editable(&self) -> bool {
        self.state == FiledState::Valid && !self.read_only()
    }

    /// Whether 暂停 is offered (the region allows it, checked by the caller).
    pub fn suspendable(&self) -> bool {
        self.editable()
    }

    /// Whether 恢复 is offered.
    pub fn resumable(&self) -> bool {
        self.state == FiledState::Suspended && !self.read_only()
    }

    /// Whether it is the centre's record (and so can be printed): not a
    /// submission the centre has not answered or refused.
    pub fn printable(&self) -> bool {
        matches!(
            self.state,
            FiledState::Valid | FiledState::Suspended | FiledState::Expired | FiledState::Ended
        )
    }
}

impl Session {
    /// The person's filings (我的备案), once loaded.
    pub fn filed(&self) -> &[FiledRecord] {
        &self.filed
    }

    pub(super) fn my_filings(&mut self) -> Vec<Command> {
        let Some(person) = &self.person else {
            return Vec::new();
        };
        if !matches!(
            self.screen,
            Screen::Enrollment | Screen::Filings | Screen::FilingCategory
        ) {
            return Vec::new();
        }
        self.request += 1;
        self.filed.clear();
        self.note.clear();
        self.screen = Screen::FilingsLoading;
        vec![Command::QueryFilings {
            request: self.request,
            person_number: person.person_number.clone(),
        }]
    }

    pub(super) fn filed_action(&mut self, id: &str, wall: NaiveDateTime) -> Vec<Command> {
        let commands = self.filed_verb(id, wall);
        if commands.is_empty() && self.screen == Screen::Filings && !self.note.is_empty() {
            // Refused by a rule: the reason is on the screen.
            return vec![Command::Say(Prompt::Refused)];
        }
        commands
    }

    fn filed_verb(&mut self, id: &str, wall: NaiveDateTime) -> Vec<Command> {
        let Some(person) = &self.person else {
            return Vec::new();
        };
        let (verb, number) = id.split_once(':').unwrap_or((id, ""));
        let Some(record) = self.filed.iter().find(|r| r.number == number).cloned() else {
            return Vec::new();
        };
        let rules = self.region.filing_rules();
        let lock_months = rules.lock_period_months.value;
        let locked_until = record.filed_on.and_then(|d| {
            (!rules.may_change(d, self.today))
                .then(|| d.checked_add_months(chrono::Months::new(u32::from(lock_months))))
                .flatten()
        });
        match verb {
            "print-filing" if record.printable() => {
                let slip = self.filed_slip(&record, wall, None);
                self.print(super::Document::FilingSlip(Box::new(slip)))
            }
            "print-letter" if record.printable() && !record.read_only() => {
                self.request += 1;
                self.note.clear();
                self.screen = Screen::FilingsLoading;
                vec![
                    Command::LoadLetter {
                        request: self.request,
                        person_number: person.person_number.clone(),
                        number: record.number,
                    },
                    Command::Say(Prompt::Querying),
                ]
            }
            "cancel" | "change" | "extend" | "suspend" | "resume" if record.read_only() => {
                self.note = tr!(
                    "转诊备案由办理转诊的定点医疗机构办理，本机只能查看和打印。如需变更、延期或取消，请联系该医疗机构或到人工窗口办理。"
                )
                .into();
                Vec::new()
            }
            "extend" if record.state == FiledState::Expired => {
                self.note = tr!(
                    "这条备案已于 {} 到期，异地就医待遇已自动终止，不能补办延期。如仍需异地就医，请重新办理备案。",
                    record.end
                );
                Vec::new()
            }
            "suspend" | "resume" if rules.suspension.is_none() => {
                self.note = tr!("本地区不办理备案暂停和恢复；如不再需要，可以取消备案。").into();
                Vec::new()
            }
            "suspend" if record.state != FiledState::Valid => {
                self.note = tr!("这条备案当前不在有效期内，无需暂停。").into();
                Vec::new()
            }
            "resume" if record.state != FiledState::Suspended => {
                self.note = tr!("这条备案没有暂停，无需恢复。").into();
                Vec::new()
            }
            "suspend" | "resume" => {
                self.note.clear();
                self.proof_for = Some(record.number.clone());
                self.screen = Screen::FilingsLoading;
                vec![
                    Command::SuspendFiling {
                        person_number: person.person_number.clone(),
                        number: record.number,
                        resume: verb == "resume",
                    },
                    Command::Say(Prompt::Querying),
                ]
            }
            "cancel" | "change" if record.state == FiledState::Suspended => {
                self.note = tr!("这条备案已暂停，请先恢复，再变更或取消。").into();
                Vec::new()
            }
            "cancel" | "change" if record.state != FiledState::Valid => {
                self.note = tr!("这条备案当前不在有效期内，无需变更或取消。").into();
                Vec::new()
            }
            "cancel" | "change" if locked_until.is_some() => {
                let until = locked_until
                    .map(crate::documents::format_date)
                    .unwrap_or_default();
                self.note = tr!(
                    "按本地区规定，备案后{}个月内不能变更或取消。这条备案自 {} 起可以变更或取消。",
                    lock_months,
                    until
                );
                Vec::new()
            }
            "cancel" => {
                self.note.clear();
                self.proof_for = Some(record.number.clone());
                self.screen = Screen::FilingsLoading;
                vec![Command::CancelFiling {
                    person_number: person.person_number.clone(),
                    number: record.number,
                }]
            }
            "change" => {
                // Identity is enough to change a filing (001): the area of
                // care and the phone, through KS13.
                self.note.clear();
                self.filing = Some(FilingDraft {
                    kind: record.kind,
                    changing: Some(record),
                    ..FilingDraft::default()
                });
                self.screen = Screen::FilingChange;
                Vec::new()
            }
            "extend" if record.end.is_empty() => {
                self.note = tr!("这条备案长期有效，变更或取消前一直有效，无需延期。").to_string();
                Vec::new()
            }
            "extend" if record.state != FiledState::Valid => {
                self.note = tr!("这条备案当前不在有效期内，无法延期，请重新办理备案。").into();
                Vec::new()
            }
            "extend" => {
                // The region's rule on extensions, shown on the screen.
                self.note = rules.extension.text.clone();
                self.filing = Some(FilingDraft {
                    kind: record.kind,
                    changing: Some(record),
                    ..FilingDraft::default()
                });
                self.screen = Screen::FilingExtend;
                Vec::new()
            }
            _ => Vec::new(),
        }
    }
}

/// Printed on the slip of a referral filing.
const REFERRAL_NOTE: &str =
    "转诊备案由办理转诊的定点医疗机构办理，变更、延期或取消请联系该医疗机构。"; // printed: stays Chinese

impl Session {
    /// The archived letter arrived (KS15): print it, or say why not.
    pub(super) fn letter_loaded(
        &mut self,
        request: u64,
        number: String,
        letter: Result<Box<crate::letter::SignedLetter>, String>,
    ) -> Vec<Command> {
        if request != self.request || self.screen != Screen::FilingsLoading {
            return Vec::new();
        }
        match letter {
            Ok(letter) => self.print(super::Document::ArchivedLetter {
                filing_number: number,
                letter,
                proxy: None,
            }),
            Err(message) => {
                self.note = message;
                self.screen = Screen::Filings;
                vec![Command::Say(Prompt::Refused)]
            }
        }
    }

    /// My filings are loaded after a change, extension, cancellation,
    /// suspension or resumption: the filing slip of that filing prints as
    /// the proof (issue 19 item 4), with the outcome on it.
    pub(super) fn print_proof(&mut self, wall: NaiveDateTime) -> Option<Vec<Command>> {
        let number = self.proof_for.take()?;
        let record = self.filed.iter().find(|r| r.number == number)?.clone();
        let outcome = self.note.clone();
        let slip = self.filed_slip(&record, wall, Some(&outcome));
        Some(self.print(super::Document::FilingSlip(Box::new(slip))))
    }

    /// The filing slip (备案信息单) of one of my filings, as the centre
    /// holds it now: the printed proof of a look-up, a change, an
    /// extension or a cancellation.
    pub(super) fn filed_slip(
        &self,
        record: &FiledRecord,
        wall: NaiveDateTime,
        outcome: Option<&str>,
    ) -> FilingReceipt {
        let rules = self.region.filing_rules();
        let category = record.kind.and_then(|k| rules.category(k));
        let person = self.person.as_ref();
        let insured =
            person.and_then(|p| super::certificate_enrollment(p).or(p.enrollments.first()));
        // Printed documents stay Chinese.
        let state = match &record.state {
            FiledState::Valid => "有效".to_string(), // printed: stays Chinese
            FiledState::Suspended => "已暂停".to_string(), // printed: stays Chinese
            FiledState::Expired => "已到期终止".to_string(), // printed: stays Chinese
            FiledState::Ended => "已取消或已终止".to_string(), // printed: stays Chinese
            FiledState::Pending => "待医保中心确认".to_string(), // printed: stays Chinese
            FiledState::Rejected(reason) => format!("未通过：{reason}"), // printed: stays Chinese
        };
        let validity = if record.end.is_empty() {
            category
                .map(|c| c.validity.text.clone())
                .unwrap_or_default()
        } else {
            format!("{} 至 {}", record.start, record.end) // printed: stays Chinese
        };
        let mut notes = vec![format!("备案状态：{state}")]; // printed: stays Chinese
        if let Some(outcome) = outcome {
            notes.push(format!("办理结果：{outcome}")); // printed: stays Chinese
        }
        if record.read_only() {
            notes.push(REFERRAL_NOTE.into());
        }
        if let Some(proxy) = &self.proxy {
            notes.push(format!("代办人：{}", proxy.masked())); // printed: stays Chinese
        }
        FilingReceipt {
            title: "异地就医备案信息单".into(), // printed: stays Chinese
            filing_number: record.number.clone(),
            filed_at: wall,
            terminal_id: self.terminal.terminal_id.clone(),
            hall_name: self.terminal.hall_name.clone(),
            name: person.map(|p| p.name.clone()).unwrap_or_default(),
            id_number_masked: person
                .map(|p| crate::identity::mask_number(&p.id_number))
                .unwrap_or_default(),
            insured_area: insured.map(|e| e.pooling_area.clone()).unwrap_or_default(),
            category: category
                .map(|c| c.label.clone())
                .unwrap_or_else(|| "异地就医备案".into()), // printed: stays Chinese
            area_of_care: record.area.clone(),
            effective_on: NaiveDate::parse_from_str(&record.start, "%Y-%m-%d")
                .or_else(|_| record.filed_on.ok_or(()))
                .unwrap_or(self.today),
            validity,
            institutions: Vec::new(),
            notes,
        }
    }
}

//! Loading a profile: TOML syntax, schema (serde, unknown keys rejected) and
//! semantic checks, each failure reported with file, line and field.

use std::collections::HashSet;
use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::RegionProfile;
use super::source::{Source, SourceRef};
use super::types::{KioskAction, StatusDimension, ValidityKind};
use crate::Error;

/// The national cap on the lock period (医保发〔2022〕22号: 原则上不超过6个月).
const MAX_LOCK_MONTHS: u8 = 6;

/// One segment of a path into the document.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seg {
    Key(String),
    Index(usize),
}

type Path = Vec<Seg>;

fn render(path: &[Seg]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Seg::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    if out.is_empty() {
        "(document)".to_string()
    } else {
        out
    }
}

/// 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

pub(super) fn parse(file: &str, text: &str) -> Result<RegionProfile, Error> {
    let doc = match DeTable::parse(text) {
        Ok(doc) => doc,
        Err(err) => {
            let offset = err.span().map_or(0, |s| s.start);
            return Err(Error::RegionProfile {
                file: file.to_string(),
                line: line_of(text, offset),
                field: "(syntax)".to_string(),
                reason: err.message().trim().to_string(),
            });
        }
    };
    let profile: RegionProfile = match toml::from_str(text) {
        Ok(profile) => profile,
        Err(err) => {
            let offset = err.span().map_or(0, |s| s.start);
            let mut path = path_at(doc.get_ref(), offset).unwrap_or_default();
            let message = err.message().trim().to_string();
            if let Some(missing) = missing_field(&message) {
                path.push(Seg::Key(missing.to_string()));
            }
            return Err(Error::RegionProfile {
                file: file.to_string(),
                line: line_of(text, offset),
                field: render(&path),
                reason: message,
            });
        }
    };
    let mut check = Checker::default();
    check.profile(&profile);
    match check.issues.into_iter().next() {
        None => Ok(profile),
        Some((path, reason)) => {
            let offset = span_of(doc.get_ref(), &path).map_or(0, |s| s.start);
            Err(Error::RegionProfile {
                file: file.to_string(),
                line: line_of(text, offset),
                field: render(&path),
                reason,
            })
        }
    }
}

fn missing_field(message: &str) -> Option<&str> {
    let rest = message.strip_prefix("missing field `")?;
    rest.split('`').next()
}

/// The path of the smallest key or value whose span contains `offset`.
fn path_at(table: &DeTable<'_>, offset: usize) -> Option<Path> {
    let mut best: Option<(usize, Path)> = None;
    visit_table(table, &mut Vec::new(), offset, &mut best);
    best.map(|(_, path)| path)
}

fn consider(span: Range<usize>, path: &Path, offset: usize, best: &mut Option<(usize, Path)>) {
    let contains = span.contains(&offset) || (span.is_empty() && span.start == offset);
    if !contains {
        return;
    }
    let len = span.end - span.start;
    let better = match best {
        None => true,
        Some((best_len, best_path)) => {
            len < *best_len || (len == *best_len && path.len() > best_path.len())
        }
    };
    if better {
        *best = Some((len, path.clone()));
    }
}

fn visit_table(
    table: &DeTable<'_>,
    path: &mut Path,
    offset: usize,
    best: &mut Option<(usize, Path)>,
) {
    for (key, value) in table.iter() {
        path.push(Seg::Key(key.get_ref().to_string()));
        consider(key.span(), path, offset, best);
        visit_value(value, path, offset, best);
        path.pop();
    }
}

fn visit_value(
    value: &Spanned<DeValue<'_>>,
    path: &mut Path,
    offset: usize,
    best: &mut Option<(usize, Path)>,
) {
    match value.get_ref() {
        DeValue::Table(table) => {
            consider(value.span(), path, offset, best);
            visit_table(table, path, offset, best);
        }
        DeValue::Array(array) => {
            consider(value.span(), path, offset, best);
            for (index, element) in array.iter().enumerate() {
                path.push(Seg::Index(index));
                visit_value(element, path, offset, best);
                path.pop();
            }
        }
        _ => consider(value.span(), path, offset, best),
    }
}

/// Span of `path`, or of its longest existing prefix.
fn span_of(table: &DeTable<'_>, path: &[Seg]) -> Option<Range<usize>> {
    let (first, rest) = path.split_first()?;
    let Seg::Key(key) = first else {
        return None;
    };
    let (found_key, value) = table.iter().find(|(k, _)| k.get_ref().as_ref() == key)?;
    if rest.is_empty() {
        return Some(key_or_value(found_key.span(), value));
    }
    span_in_value(value, rest).or_else(|| Some(key_or_value(found_key.span(), value)))
}

/// For a table element of an array of tables the key span is the `[[…]]`
/// header; for a scalar the key's own line is the natural place.
fn key_or_value(key: Range<usize>, value: &Spanned<DeValue<'_>>) -> Range<usize> {
    match value.get_ref() {
        DeValue::Table(_) | DeValue::Array(_) => {
            let span = value.span();
            if span.is_empty() { key } else { span }
        }
        _ => key,
    }
}

fn span_in_value(value: &Spanned<DeValue<'_>>, path: &[Seg]) -> Option<Range<usize>> {
    let Some((first, rest)) = path.split_first() else {
        return Some(value.span());
    };
    match (value.get_ref(), first) {
        (DeValue::Table(table), Seg::Key(_)) => span_of(table, path),
        (DeValue::Array(array), Seg::Index(index)) => {
            let element = array.get(*index)?;
            if rest.is_empty() {
                Some(element.span())
            } else {
                span_in_value(element, rest).or_else(|| Some(element.span()))
            }
        }
        _ => None,
    }
}

/// Collects semantic issues, each with the path of the offending field.
#[derive(Default)]
struct Checker {
    issues: Vec<(Path, String)>,
    seeds: HashSet<String>,
}

fn key(name: &str) -> Seg {
    Seg::Key(name.to_string())
}

fn at(parts: &[Seg]) -> Path {
    parts.to_vec()
}

impl Checker {
    fn issue(&mut self, path: Path, reason: impl Into<String>) {
        self.issues.push((path, reason.into()));
    }

    fn source(&mut self, path: Path, source: &Source) {
        match source.parsed() {
            None => self.issue(
                path,
                format!(
                    "source `{source}` is not `<seed>:L<line> [note]`, `national default: …` or `standard: …`"
                ),
            ),
            Some(SourceRef::Seed { seed, .. }) if !self.seeds.contains(seed) => {
                self.issue(path, format!("source names seed `{seed}`, which [[seeds]] does not declare"));
            }
            Some(_) => {}
        }
    }

    fn seed_source(&mut self, path: Path, source: &Source) {
        if source.seed_line().is_none() {
            self.issue(
                path,
                format!("source `{source}` must be a seed line `<seed>:L<line>`"),
            );
        } else {
            self.source(path, source);
        }
    }

    fn non_empty(&mut self, path: Path, text: &str) {
        if text.trim().is_empty() {
            self.issue(path, "must not be empty");
        }
    }

    fn profile(&mut self, p: &RegionProfile) {
        if p.version == 0 {
            self.issue(at(&[key("version")]), "version must be 1 or more");
        }
        self.seeds_list(p);
        self.region(p);
        self.places(p);
        let items: HashSet<String> = self.items(p);
        self.certificate(p, &items);
        self.filing(p, &items);
        self.claims(p);
        self.enrollment(p);
        self.chronic(p, &items);
        self.documents(p);
    }

    fn chronic(&mut self, p: &RegionProfile, items: &HashSet<String>) {
        let Some(c) = &p.chronic else {
            return;
        };
        let path = |name: &str| at(&[key("chronic"), key(name)]);
        self.item_ref(items, path("special_item"), &c.special_item);
        self.item_ref(items, path("chronic_item"), &c.chronic_item);
        if !(1..=3).contains(&c.special_min_grade.value) {
            self.issue(
                at(&[key("chronic"), key("special_min_grade"), key("value")]),
                "hospital grades are 1 to 3 (一级 to 三级)",
            );
        }
        self.source(
            at(&[key("chronic"), key("special_min_grade"), key("source")]),
            &c.special_min_grade.source,
        );
        self.source(
            at(&[key("chronic"), key("remote"), key("source")]),
            &c.remote.source,
        );
        self.source(
            at(&[key("chronic"), key("plan_change"), key("source")]),
            &c.plan_change.source,
        );
    }

    fn seeds_list(&mut self, p: &RegionProfile) {
        if p.seeds.is_empty() {
            self.issue(at(&[key("seeds")]), "at least one seed must be declared");
        }
        for (i, seed) in p.seeds.iter().enumerate() {
            let path = at(&[key("seeds"), Seg::Index(i), key("id")]);
            if seed.id.trim().is_empty() || seed.id.contains(char::is_whitespace) {
                self.issue(path, "seed id must be a non-empty word");
            } else if !self.seeds.insert(seed.id.clone()) {
                self.issue(path, format!("duplicate seed id `{}`", seed.id));
            }
        }
    }

    fn region(&mut self, p: &RegionProfile) {
        let r = &p.region;
        let ok_id = !r.id.is_empty()
            && r.id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
        if !ok_id {
            self.issue(
                at(&[key("region"), key("id")]),
                "region id must be lower-case ASCII letters, digits, `-` or `_`",
            );
        }
        self.non_empty(at(&[key("region"), key("name")]), &r.name);
        if r.area_codes.is_empty() {
            self.issue(
                at(&[key("region"), key("area_codes")]),
                "at least one area code",
            );
        }
        for (i, code) in r.area_codes.iter().enumerate() {
            if !is_area_code(code) {
                self.issue(
                    at(&[key("region"), key("area_codes"), Seg::Index(i)]),
                    format!("`{code}` is not a six-digit GB/T 2260 code"),
                );
            }
        }
        self.source(
            at(&[key("region"), key("area_codes_source")]),
            &r.area_codes_source,
        );
        for (name, text) in [
            ("credentials", &r.credentials),
            ("valid_documents", &r.valid_documents),
            ("proxy_rule", &r.proxy_rule),
        ] {
            if let Some(text) = text {
                self.non_empty(at(&[key("region"), key(name), key("text")]), &text.text);
                self.source(at(&[key("region"), key(name), key("source")]), &text.source);
            }
        }
        for (i, line) in p.hotlines.iter().enumerate() {
            self.non_empty(
                at(&[key("hotlines"), Seg::Index(i), key("number")]),
                &line.number,
            );
            self.source(
                at(&[key("hotlines"), Seg::Index(i), key("source")]),
                &line.source,
            );
        }
    }

    fn places(&mut self, p: &RegionProfile) {
        let mut areas = HashSet::new();
        for (i, area) in p.pooling_areas.iter().enumerate() {
            let base = [key("pooling_areas"), Seg::Index(i)];
            if !areas.insert(area.id.as_str()) {
                self.issue(
                    at(&[base[0].clone(), base[1].clone(), key("id")]),
                    format!("duplicate pooling area id `{}`", area.id),
                );
            }
            if let Some(code) = &area.code
                && !is_area_code(code)
            {
                self.issue(
                    at(&[base[0].clone(), base[1].clone(), key("code")]),
                    format!("`{code}` is not a six-digit GB/T 2260 code"),
                );
            }
            self.source(
                at(&[base[0].clone(), base[1].clone(), key("source")]),
                &area.source,
            );
        }
        let mut offices = HashSet::new();
        for (i, office) in p.offices.iter().enumerate() {
            let path = |name: &str| at(&[key("offices"), Seg::Index(i), key(name)]);
            if office.id.trim().is_empty() {
                self.issue(path("id"), "office id must not be empty");
            } else if !offices.insert(office.id.as_str()) {
                self.issue(path("id"), format!("duplicate office id `{}`", office.id));
            }
            if let Some(area) = &office.pooling_area
                && !areas.contains(area.as_str())
            {
                self.issue(
                    path("pooling_area"),
                    format!("pooling area `{area}` is not defined"),
                );
            }
            self.non_empty(path("address"), &office.address);
            if let Some(hours) = &office.hours {
                if hours.days.is_empty() {
                    self.issue(
                        at(&[key("offices"), Seg::Index(i), key("hours"), key("days")]),
                        "no opening day",
                    );
                }
                if hours.periods.is_empty() {
                    self.issue(
                        at(&[key("offices"), Seg::Index(i), key("hours"), key("periods")]),
                        "no opening period",
                    );
                }
                for (j, period) in hours.periods.iter().enumerate() {
                    if period.open >= period.close {
                        self.issue(
                            at(&[
                                key("offices"),
                                Seg::Index(i),
                                key("hours"),
                                key("periods"),
                                Seg::Index(j),
                                key("close"),
                            ]),
                            "closing time must be after opening time",
                        );
                    }
                }
            }
            self.source(path("source"), &office.source);
        }
    }

    fn items(&mut self, p: &RegionProfile) -> HashSet<String> {
        let offices: HashSet<&str> = p.offices.iter().map(|o| o.id.as_str()).collect();
        let mut codes = HashSet::new();
        if p.items.is_empty() {
            self.issue(at(&[key("items")]), "the service catalogue is empty");
        }
        for (i, item) in p.items.iter().enumerate() {
            let path = |name: &str| at(&[key("items"), Seg::Index(i), key(name)]);
            if item.code.trim().is_empty() {
                self.issue(path("code"), "item code must not be empty");
            } else if !codes.insert(item.code.clone()) {
                self.issue(path("code"), format!("duplicate item code `{}`", item.code));
            }
            self.non_empty(path("name"), &item.name);
            self.non_empty(path("service_object"), &item.service_object);
            self.non_empty(path("time_limit"), &item.time_limit);
            self.seed_source(path("source"), &item.source);
            if item.working_days == Some(0) {
                self.issue(
                    path("working_days"),
                    "working_days must be 1 or more (leave it out for instant items)",
                );
            }
            if item.kiosk.is_empty() {
                self.issue(
                    path("kiosk"),
                    "list what the kiosk can do (`guide` when it only shows the guide)",
                );
            }
            if item.kiosk.contains(&KioskAction::Guide) && item.kiosk.len() > 1 {
                self.issue(
                    path("kiosk"),
                    "`guide` means the kiosk only shows the guide; it cannot be combined",
                );
            }
            let unique: HashSet<_> = item.kiosk.iter().collect();
            if unique.len() != item.kiosk.len() {
                self.issue(path("kiosk"), "an action is listed twice");
            }
            for (j, office) in item.offices.iter().enumerate() {
                if !offices.contains(office.as_str()) {
                    self.issue(
                        at(&[key("items"), Seg::Index(i), key("offices"), Seg::Index(j)]),
                        format!("office `{office}` is not defined in [[offices]]"),
                    );
                }
            }
            for (j, case) in item.material_cases.iter().enumerate() {
                self.non_empty(
                    at(&[
                        key("items"),
                        Seg::Index(i),
                        key("material_cases"),
                        Seg::Index(j),
                        key("case"),
                    ]),
                    &case.case,
                );
            }
            for (j, step) in item.process.iter().enumerate() {
                let step_path = |name: &str| {
                    at(&[
                        key("items"),
                        Seg::Index(i),
                        key("process"),
                        Seg::Index(j),
                        key(name),
                    ])
                };
                self.non_empty(step_path("step"), &step.step);
                if let Some(text) = &step.text {
                    self.non_empty(step_path("text"), text);
                }
            }
        }
        codes
    }

    fn item_ref(&mut self, items: &HashSet<String>, path: Path, code: &str) {
        if !items.contains(code) {
            self.issue(
                path,
                format!("item `{code}` is not in the service catalogue"),
            );
        }
    }

    fn certificate(&mut self, p: &RegionProfile, items: &HashSet<String>) {
        let c = &p.certificate;
        let path = |name: &str| at(&[key("certificate"), key(name)]);
        self.item_ref(items, path("item"), &c.item);
        if c.layouts.value.is_empty() {
            self.issue(
                at(&[key("certificate"), key("layouts"), key("value")]),
                "at least one layout",
            );
        }
        for layout in &c.layouts.value {
            if p.documents.certificate(*layout).is_none() {
                self.issue(
                    at(&[key("certificate"), key("layouts"), key("value")]),
                    format!("layout {layout:?} has no [[documents.certificates]] texts"),
                );
            }
        }
        self.source(
            at(&[key("certificate"), key("layouts"), key("source")]),
            &c.layouts.source,
        );
        self.source(
            at(&[key("certificate"), key("eligible"), key("source")]),
            &c.eligible.source,
        );
        self.source(
            at(&[key("certificate"), key("timing"), key("source")]),
            &c.timing.source,
        );
        self.source(
            at(&[key("certificate"), key("electronic"), key("source")]),
            &c.electronic.source,
        );
        if let Some(issued_by) = &c.issued_by {
            self.source(
                at(&[key("certificate"), key("issued_by"), key("source")]),
                &issued_by.source,
            );
        }
        self.non_empty(
            at(&[key("certificate"), key("explanation"), key("text")]),
            &c.explanation.text,
        );
        self.source(
            at(&[key("certificate"), key("explanation"), key("source")]),
            &c.explanation.source,
        );
    }

    fn filing(&mut self, p: &RegionProfile, items: &HashSet<String>) {
        let f = &p.filing;
        if f.lock_period_months.value > MAX_LOCK_MONTHS {
            self.issue(
                at(&[key("filing"), key("lock_period_months"), key("value")]),
                format!("the national cap is {MAX_LOCK_MONTHS} months (医保发〔2022〕22号)"),
            );
        }
        self.source(
            at(&[key("filing"), key("lock_period_months"), key("source")]),
            &f.lock_period_months.source,
        );
        self.source(
            at(&[key("filing"), key("extension"), key("source")]),
            &f.extension.source,
        );
        for (name, text) in [
            ("self_service_effect", &f.self_service_effect),
            ("commitment_letter", &f.commitment_letter),
            ("change_materials", &f.change_materials),
            ("suspension", &f.suspension),
        ] {
            if let Some(text) = text {
                self.source(at(&[key("filing"), key(name), key("source")]), &text.source);
            }
        }
        self.rule_texts(&[key("filing"), key("notes")], &f.notes);
        let mut kinds = HashSet::new();
        for (i, cat) in f.categories.iter().enumerate() {
            let path =
                |name: &str| at(&[key("filing"), key("categories"), Seg::Index(i), key(name)]);
            if !kinds.insert(cat.kind) {
                self.issue(
                    path("kind"),
                    format!("category {:?} is listed twice", cat.kind),
                );
            }
            if let Some(item) = &cat.item {
                self.item_ref(items, path("item"), item);
            }
            if cat.kiosk_can_file && (!cat.offered || cat.item.is_none()) {
                self.issue(
                    path("kiosk_can_file"),
                    "the kiosk can only file an offered category that has an item",
                );
            }
            if let Some(eligible) = &cat.eligible {
                self.source(
                    at(&[
                        key("filing"),
                        key("categories"),
                        Seg::Index(i),
                        key("eligible"),
                        key("source"),
                    ]),
                    &eligible.source,
                );
            }
            self.source(path("materials_source"), &cat.materials_source);
            let validity = &cat.validity;
            let vpath = |name: &str| {
                at(&[
                    key("filing"),
                    key("categories"),
                    Seg::Index(i),
                    key("validity"),
                    key(name),
                ])
            };
            match (validity.kind, validity.months) {
                (ValidityKind::AtLeastMonths, None | Some(0)) => {
                    self.issue(
                        vpath("months"),
                        "`at_least_months` needs months = 1 or more",
                    );
                }
                (ValidityKind::UntilChanged | ValidityKind::EndOfStay, Some(_)) => {
                    self.issue(
                        vpath("months"),
                        "months only goes with kind = \"at_least_months\"",
                    );
                }
                _ => {}
            }
            self.source(vpath("source"), &validity.source);
        }
    }

    fn claims(&mut self, p: &RegionProfile) {
        let Some(claims) = &p.claims else {
            return;
        };
        if let Some(deadline) = &claims.deadline {
            // A non-leap year: 29 February would be refused.
            if chrono::NaiveDate::from_ymd_opt(2023, deadline.month, deadline.day).is_none() {
                self.issue(
                    at(&[key("claims"), key("deadline"), key("day")]),
                    "month and day do not form a date",
                );
            }
            if deadline.years_after < 0 {
                self.issue(
                    at(&[key("claims"), key("deadline"), key("years_after")]),
                    "years_after must not be negative",
                );
            }
            self.source(
                at(&[key("claims"), key("deadline"), key("source")]),
                &deadline.source,
            );
        }
        self.rule_texts(&[key("claims"), key("notes")], &claims.notes);
    }

    fn enrollment(&mut self, p: &RegionProfile) {
        let Some(e) = &p.enrollment else {
            return;
        };
        let mut seen = HashSet::new();
        for (i, state) in e.states.iter().enumerate() {
            let path =
                |name: &str| at(&[key("enrollment"), key("states"), Seg::Index(i), key(name)]);
            let allowed: &[&str] = match state.dimension {
                StatusDimension::Enrollment | StatusDimension::Benefit => {
                    &["normal", "suspended", "terminated"]
                }
                StatusDimension::Payment => &["assessed", "paid", "interrupted"],
            };
            if !allowed.contains(&state.state.as_str()) {
                self.issue(path("state"), format!("state must be one of {allowed:?}"));
            } else if !seen.insert((state.dimension, state.state.clone())) {
                self.issue(path("state"), "state is listed twice for this dimension");
            }
            self.source(path("source"), &state.source);
        }
        self.rule_texts(
            &[key("enrollment"), key("enrollment_checks")],
            &e.enrollment_checks,
        );
        self.rule_texts(
            &[key("enrollment"), key("duplicate_checks")],
            &e.duplicate_checks,
        );
        let mut keys = HashSet::new();
        for (i, outcome) in e.duplicate_outcomes.iter().enumerate() {
            let path = |name: &str| {
                at(&[
                    key("enrollment"),
                    key("duplicate_outcomes"),
                    Seg::Index(i),
                    key(name),
                ])
            };
            if !keys.insert(outcome.key.as_str()) {
                self.issue(path("key"), format!("duplicate key `{}`", outcome.key));
            }
            self.source(path("source"), &outcome.source);
        }
        self.source(
            at(&[key("enrollment"), key("waiting_period"), key("source")]),
            &e.waiting_period.source,
        );
        self.rule_texts(
            &[key("enrollment"), key("waiting_period_triggers")],
            &e.waiting_period_triggers,
        );
        self.rule_texts(
            &[key("enrollment"), key("waiting_period_exemptions")],
            &e.waiting_period_exemptions,
        );
        self.source(
            at(&[
                key("enrollment"),
                key("back_payment_window_months"),
                key("source"),
            ]),
            &e.back_payment_window_months.source,
        );
    }

    fn documents(&mut self, p: &RegionProfile) {
        let d = &p.documents;
        self.non_empty(
            at(&[key("documents"), key("agency_name"), key("text")]),
            &d.agency_name.text,
        );
        self.source(
            at(&[key("documents"), key("agency_name"), key("source")]),
            &d.agency_name.source,
        );
        for (name, text) in [
            ("acceptance_slip", &d.acceptance_slip),
            ("business_slip", &d.business_slip),
        ] {
            if let Some(text) = text {
                self.source(
                    at(&[key("documents"), key(name), key("source")]),
                    &text.source,
                );
            }
        }
        for (i, note) in d.slip_notes.iter().enumerate() {
            self.source(
                at(&[
                    key("documents"),
                    key("slip_notes"),
                    Seg::Index(i),
                    key("source"),
                ]),
                &note.source,
            );
        }
        let mut layouts = HashSet::new();
        for (i, cert) in d.certificates.iter().enumerate() {
            let path = |name: &str| {
                at(&[
                    key("documents"),
                    key("certificates"),
                    Seg::Index(i),
                    key(name),
                ])
            };
            if !layouts.insert(cert.layout) {
                self.issue(path("layout"), "layout is listed twice");
            }
            if cert.fields.is_empty() {
                self.issue(path("fields"), "a certificate layout needs its fields");
            }
            self.source(path("source"), &cert.source);
        }
        if let Some(letter) = &d.commitment_letter {
            self.source(
                at(&[key("documents"), key("commitment_letter"), key("source")]),
                &letter.source,
            );
        }
        for (i, form) in d.forms.iter().enumerate() {
            let path = |name: &str| at(&[key("documents"), key("forms"), Seg::Index(i), key(name)]);
            self.non_empty(path("title"), &form.title);
            self.source(path("source"), &form.source);
        }
        if let Some(levels) = &d.rating_levels {
            if levels.value.is_empty() {
                self.issue(
                    at(&[key("documents"), key("rating_levels"), key("value")]),
                    "no rating level",
                );
            }
            self.source(
                at(&[key("documents"), key("rating_levels"), key("source")]),
                &levels.source,
            );
        }
    }

    fn rule_texts(&mut self, base: &[Seg], list: &[super::types::RuleText]) {
        let mut keys = HashSet::new();
        for (i, rule) in list.iter().enumerate() {
            let mut path = base.to_vec();
            path.push(Seg::Index(i));
            let mut key_path = path.clone();
            key_path.push(key("key"));
            if rule.key.trim().is_empty() {
                self.issue(key_path, "key must not be empty");
            } else if !keys.insert(rule.key.as_str()) {
                self.issue(key_path, format!("duplicate key `{}`", rule.key));
            }
            let mut text_path = path.clone();
            text_path.push(key("text"));
            self.non_empty(text_path, &rule.text);
            path.push(key("source"));
            self.source(path, &rule.source);
        }
    }
}

fn is_area_code(code: &str) -> bool {
    code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_one_based() {
        assert_eq!(line_of("a\nb\nc", 0), 1);
        assert_eq!(line_of("a\nb\nc", 2), 2);
        assert_eq!(line_of("a\nb\nc", 99), 3);
    }

    #[test]
    fn renders_paths() {
        assert_eq!(
            render(&[key("items"), Seg::Index(3), key("code")]),
            "items[3].code"
        );
        assert_eq!(render(&[]), "(document)");
    }

    #[test]
    fn finds_the_path_of_an_offset() {
        let text = "a = 1\n[[items]]\ncode = \"X\"\n[[items]]\ncode = \"Y\"\n";
        let doc = DeTable::parse(text).unwrap();
        let offset = text.find("\"Y\"").unwrap();
        let path = path_at(doc.get_ref(), offset).unwrap();
        assert_eq!(render(&path), "items[1].code");
        let span = span_of(doc.get_ref(), &path).unwrap();
        assert_eq!(line_of(text, span.start), 5);
    }
}

//! Every item and rule names its source, and the seed lines named by the
//! items really contain the items' names.
//!
//! The seed documents live outside the repository (`../shared/seeds`, or
//! `$KIOSK_SEEDS_DIR`); when they are absent the seed comparisons are
//! skipped with a message, the structural checks still run.

mod region_support;

use kiosk_core::region::SourceRef;
use region_support::{PROFILES, load, normalise, seed_lines, seeds_dir};

#[test]
fn every_item_has_a_seed_line() {
    for file in PROFILES {
        let p = load(file);
        for item in p.items() {
            let (seed, line) = item
                .source
                .seed_line()
                .unwrap_or_else(|| panic!("{file} {}: source is not a seed line", item.code));
            assert!(p.seed(seed).is_some(), "{file} {}: seed {seed}", item.code);
            assert!(line > 0);
        }
    }
}

#[test]
fn every_rule_source_is_well_formed() {
    // The loader already refuses malformed sources; this checks that the
    // national defaults are marked as such and nothing claims a seed the
    // profile does not declare.
    for file in PROFILES {
        let p = load(file);
        let f = p.filing_rules();
        let mut sources = vec![&f.lock_period_months.source, &f.extension.source];
        for c in &f.categories {
            sources.push(&c.validity.source);
            sources.push(&c.materials_source);
        }
        let cert = p.certificate_rule();
        sources.extend([
            &cert.layouts.source,
            &cert.eligible.source,
            &cert.timing.source,
            &cert.electronic.source,
            &cert.explanation.source,
        ]);
        for source in sources {
            match source.parsed() {
                Some(SourceRef::Seed { seed, .. }) => {
                    assert!(p.seed(seed).is_some(), "{file}: {source}")
                }
                Some(SourceRef::NationalDefault(text)) => assert!(!text.is_empty()),
                Some(SourceRef::Standard(_)) => {}
                None => panic!("{file}: malformed source {source}"),
            }
        }
        // The lock period is a national default in every region (no seed gives it).
        assert!(f.lock_period_months.source.is_national_default(), "{file}");
    }
}

#[test]
fn item_source_lines_contain_the_item_names() {
    let Some(dir) = seeds_dir() else {
        eprintln!("seed documents not found; set KIOSK_SEEDS_DIR to check source lines");
        return;
    };
    for file in PROFILES {
        let p = load(file);
        for item in p.items() {
            let (seed, line) = item.source.seed_line().unwrap();
            let seed_file = &p.seed(seed).unwrap().file;
            let lines = seed_lines(&dir, seed_file);
            let text = lines
                .get(line - 1)
                .unwrap_or_else(|| panic!("{file} {}: {seed_file} has no line {line}", item.code));
            assert!(
                normalise(text).contains(&normalise(&item.name)),
                "{file} {}: line {line} of {seed_file} does not contain {:?}: {text:?}",
                item.code,
                item.name
            );
        }
    }
}

#[test]
fn seed_line_sources_point_inside_the_seed_files() {
    let Some(dir) = seeds_dir() else {
        eprintln!("seed documents not found; set KIOSK_SEEDS_DIR to check source lines");
        return;
    };
    for file in PROFILES {
        let p = load(file);
        // Every source string in the file, found through the serialised form.
        let json = serde_json::to_value(&p).unwrap();
        let mut strings = Vec::new();
        collect_strings(&json, &mut strings);
        for text in strings {
            let source = kiosk_core::region::Source::from(text.as_str());
            let Some((seed, line)) = source.seed_line() else {
                continue;
            };
            let Some(seed) = p.seed(seed) else {
                continue;
            };
            let lines = seed_lines(&dir, &seed.file);
            assert!(
                line <= lines.len() && !lines[line - 1].trim().is_empty(),
                "{file}: {text} points at an empty or missing line"
            );
        }
    }
}

fn collect_strings(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(a) => a.iter().for_each(|v| collect_strings(v, out)),
        serde_json::Value::Object(o) => o.values().for_each(|v| collect_strings(v, out)),
        _ => {}
    }
}

#[test]
fn item_counts_can_be_recounted_from_the_seeds() {
    let Some(dir) = seeds_dir() else {
        eprintln!("seed documents not found; set KIOSK_SEEDS_DIR to recount");
        return;
    };
    // 000: "1.1事项名称" blocks after the table of contents.
    let jilin = seed_lines(&dir, "000_e523603370e0a46b.txt");
    let blocks = jilin
        .iter()
        .enumerate()
        .filter(|(i, l)| *i > 70 && l.contains("事项名称"))
        .count();
    assert_eq!(blocks, load("jilin.toml").items().len());
    // 001: table rows with a 子项序号.
    let linkou = seed_lines(&dir, "001_f476ea1b6c201e29.txt");
    let rows = linkou
        .iter()
        .filter(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            cols.len() > 4 && cols[2].trim().parse::<u32>().is_ok()
        })
        .count();
    assert_eq!(rows, load("linkou.toml").items().len());
    // 003: lines "一、事项名称".
    let yunnan = seed_lines(&dir, "003_064aa0d9a171c7e4.txt");
    let items = yunnan.iter().filter(|l| l.trim() == "一、事项名称").count();
    assert_eq!(items, load("yunnan.toml").items().len());
}

#[test]
fn item_texts_are_seed_wording() {
    let Some(dir) = seeds_dir() else {
        eprintln!("seed documents not found; set KIOSK_SEEDS_DIR to check item texts");
        return;
    };
    // Each text of an item (its first 8 characters, normalised) appears in
    // the seed between the item's source line and the next item's.
    for file in PROFILES {
        let p = load(file);
        let mut missing = Vec::new();
        let items = p.items();
        for (i, item) in items.iter().enumerate() {
            let (seed, line) = item.source.seed_line().unwrap();
            let lines = seed_lines(&dir, &p.seed(seed).unwrap().file);
            let end = items
                .get(i + 1)
                .and_then(|next| next.source.seed_line())
                .map_or(lines.len(), |(_, next)| next.max(line + 1))
                .min(lines.len());
            let window: String = lines[line - 1..end].iter().map(|l| normalise(l)).collect();
            // Process texts: each paragraph, without the sub-step label the
            // profile puts in front (`录入：`, `本地：`, …).
            let paragraphs = item
                .process
                .iter()
                .filter_map(|s| s.text.as_deref())
                .flat_map(|t| t.split('\n'))
                .map(|p| match p.split_once('：') {
                    Some((label, rest)) if label.chars().count() <= 20 && !label.contains('，') => {
                        rest
                    }
                    _ => p,
                });
            let texts = item
                .all_materials()
                .chain(item.notes.iter().map(String::as_str))
                .chain(item.legal_basis.iter().map(String::as_str))
                .chain(paragraphs)
                .chain(item.proxy.as_deref())
                .chain(item.conditions.as_deref())
                .chain([item.service_object.as_str(), item.time_limit.as_str()]);
            for text in texts {
                let needle: String = normalise(text).chars().take(8).collect();
                if !window.contains(&needle) {
                    missing.push(format!("{}: {text:?}", item.code));
                }
            }
        }
        assert!(missing.is_empty(), "{file}:\n{}", missing.join("\n"));
    }
}

/// Texts composed from two places of a seed; each is explained in its
/// source string.
const COMPOSED: &[(&str, &str)] = &[("yunnan.toml", "云南省医疗保障局")];

/// Every `{ text, source }` pair whose source is a seed line: the start of
/// the text appears (normalised) on that line or the next few (the seeds
/// break long paragraphs over lines).
#[test]
fn sourced_texts_are_found_at_their_seed_lines() {
    let Some(dir) = seeds_dir() else {
        eprintln!("seed documents not found; set KIOSK_SEEDS_DIR to check texts");
        return;
    };
    for file in PROFILES {
        let p = load(file);
        let json = serde_json::to_value(&p).unwrap();
        let mut pairs = Vec::new();
        collect_text_sources(&json, &mut pairs);
        assert!(!pairs.is_empty());
        let mut missing = Vec::new();
        for (text, source) in pairs {
            let source = kiosk_core::region::Source::from(source.as_str());
            let Some((seed, line)) = source.seed_line() else {
                continue;
            };
            let lines = seed_lines(&dir, &p.seed(seed).unwrap().file);
            let window: String = lines[line - 1..(line + 3).min(lines.len())]
                .iter()
                .map(|l| normalise(l))
                .collect();
            let needle: String = normalise(&text).chars().take(10).collect();
            if !window.contains(&needle) && !COMPOSED.contains(&(file, text.as_str())) {
                missing.push(format!("{needle:?} not at {source}"));
            }
        }
        assert!(missing.is_empty(), "{file}:\n{}", missing.join("\n"));
    }
}

fn collect_text_sources(value: &serde_json::Value, out: &mut Vec<(String, String)>) {
    match value {
        serde_json::Value::Array(a) => a.iter().for_each(|v| collect_text_sources(v, out)),
        serde_json::Value::Object(o) => {
            if let (
                Some(serde_json::Value::String(text)),
                Some(serde_json::Value::String(source)),
            ) = (o.get("text"), o.get("source"))
            {
                out.push((text.clone(), source.clone()));
            }
            o.values().for_each(|v| collect_text_sources(v, out));
        }
        _ => {}
    }
}

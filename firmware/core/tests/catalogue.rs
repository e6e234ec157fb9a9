//! The text catalogue `i18n/kiosk-ui.pot` lists every text of the screens:
//! the `@tr` texts of the `.slint` files and the `tr!` / `tr_mark!` texts
//! of the Rust sources. This test extracts them again and compares; with
//! `UPDATE_CATALOGUE=1` it writes the catalogue instead.
//!
//! It also checks each bundled translation against the catalogue: a
//! translated text the catalogue no longer has is reported (a text was
//! reworded and its translation is stale).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use kiosk_core::texts::{self, Found};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The source folders whose texts a citizen can see.
const SOURCES: &[&str] = &[
    "ui/screens",
    "ui/src",
    "firmware/core/src",
    "firmware/kiosk/src",
    "drivers/src",
    "sync/src",
];

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            files(&path, out);
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("rs" | "slint")
        ) {
            out.push(path);
        }
    }
}

fn extract_all() -> Vec<Found> {
    let root = workspace();
    let mut paths = Vec::new();
    for dir in SOURCES {
        files(&root.join(dir), &mut paths);
    }
    let mut found = Vec::new();
    for path in paths {
        let name = path
            .strip_prefix(&root)
            .unwrap_or(&path)
            .display()
            .to_string();
        // The catalogue code itself (its docs and tests quote the macros).
        if name.ends_with("core/src/texts.rs") {
            continue;
        }
        let source = std::fs::read_to_string(&path).unwrap();
        let more = if name.ends_with(".slint") {
            texts::extract_slint(&name, &source)
        } else {
            texts::extract_rust(&name, &source)
        };
        found.extend(more.unwrap_or_else(|e| panic!("{name}: {e}")));
    }
    found
}

#[test]
fn catalogue_lists_every_text() {
    let found = extract_all();
    assert!(found.len() > 200, "only {} texts found", found.len());
    let written = texts::write_pot(&found);
    let path = workspace().join("i18n/kiosk-ui.pot");
    if std::env::var_os("UPDATE_CATALOGUE").is_some() {
        std::fs::write(&path, &written).unwrap();
        return;
    }
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    if current != written {
        let have: Vec<_> = texts::parse_po(&current)
            .unwrap_or_default()
            .into_iter()
            .map(|e| e.id)
            .collect();
        let missing: Vec<_> = found
            .iter()
            .filter(|f| !have.contains(&f.id))
            .map(|f| format!("{} ({})", f.id, f.file))
            .collect();
        panic!(
            "i18n/kiosk-ui.pot is out of date ({} texts not in it: {:?}). \
             Run `UPDATE_CATALOGUE=1 cargo test -p kiosk-core --test catalogue` \
             and update the translations.",
            missing.len(),
            missing.iter().take(10).collect::<Vec<_>>()
        );
    }
}

#[test]
fn bundled_translations_translate_only_texts_of_the_catalogue() {
    let ids: Vec<String> = extract_all().into_iter().map(|f| f.id).collect();
    let root = workspace().join("i18n");
    for (language, _) in texts::BUNDLED {
        let path = root.join(format!("{language}/LC_MESSAGES/{}.po", texts::DOMAIN));
        let po = std::fs::read_to_string(&path).unwrap();
        let entries = texts::parse_po(&po).unwrap();
        let stale: Vec<_> = entries
            .iter()
            .filter(|e| !e.id.is_empty() && !ids.contains(&e.id))
            .map(|e| e.id.clone())
            .collect();
        assert!(stale.is_empty(), "{language}: stale texts {stale:?}");
        let untranslated: Vec<_> = ids
            .iter()
            .filter(|id| {
                !entries
                    .iter()
                    .any(|e| &e.id == *id && !e.translation.is_empty() && !e.fuzzy)
            })
            .collect();
        assert!(
            untranslated.is_empty(),
            "{language}: {} texts untranslated, e.g. {:?}",
            untranslated.len(),
            untranslated.iter().take(5).collect::<Vec<_>>()
        );
    }
}

/// A Chinese text written straight into a screen, outside `@tr`, or into
/// the Rust code that builds screen texts, outside `tr!`, would escape the
/// catalogue. Test modules are skipped, and lines that build a printed
/// document or hold a lookup key say so (`// printed: stays Chinese`,
/// `// key: …`).
#[test]
fn screens_have_no_text_outside_the_catalogue() {
    let root = workspace();
    let mut paths = Vec::new();
    files(&root.join("ui/screens"), &mut paths);
    for file in [
        "firmware/core/src/view.rs",
        "firmware/core/src/session.rs",
        "firmware/core/src/session/filing.rs",
        "firmware/core/src/session/vocabulary.rs",
        "firmware/core/src/session/records.rs",
        "firmware/core/src/session/institutions.rs",
        "firmware/core/src/view/records.rs",
        "firmware/core/src/view/institutions.rs",
    ] {
        paths.push(root.join(file));
    }
    let mut escaped = Vec::new();
    for path in paths {
        let source = std::fs::read_to_string(&path).unwrap();
        for (n, line) in code_lines(&source) {
            if line.contains("// printed: stays Chinese") || line.contains("// key: ") {
                continue;
            }
            let code = line.split("//").next().unwrap_or_default();
            let mut rest = code;
            while let Some(start) = rest.find('"') {
                let after = &rest[start + 1..];
                let Some(end) = after.find('"') else { break };
                let literal = &after[..end];
                let before = rest[..start].trim_end();
                let marked = before.ends_with("@tr(")
                    || before.ends_with("tr!(")
                    || before.ends_with("tr_mark!(");
                if !marked
                    && literal
                        .chars()
                        .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
                {
                    escaped.push(format!("{}:{}: {literal}", path.display(), n));
                }
                rest = &after[end + 1..];
            }
        }
    }
    assert!(
        escaped.is_empty(),
        "texts outside the catalogue: {escaped:#?}"
    );
}

/// The lines of a source file (1-based numbers) outside `#[cfg(test)]`
/// modules; a multi-line call's literal sits on the line after `tr!(`,
/// so such a line is joined to the one before.
fn code_lines(source: &str) -> Vec<(usize, String)> {
    let mut out: Vec<(usize, String)> = Vec::new();
    let mut skip_depth: Option<i32> = None;
    let mut pending_test = false;
    for (i, line) in source.lines().enumerate() {
        let trimmed = line.trim();
        if let Some(depth) = skip_depth.as_mut() {
            *depth += line.matches('{').count() as i32 - line.matches('}').count() as i32;
            if *depth <= 0 {
                skip_depth = None;
            }
            continue;
        }
        if trimmed == "#[cfg(test)]" {
            pending_test = true;
            continue;
        }
        if pending_test {
            pending_test = false;
            if trimmed.starts_with("mod ") && trimmed.ends_with('{') {
                skip_depth = Some(1);
                continue;
            }
        }
        if trimmed.starts_with('"')
            && let Some(last) = out.last_mut()
            && last.1.trim_end().ends_with('(')
        {
            last.1.push_str(trimmed);
            continue;
        }
        out.push((i + 1, line.to_string()));
    }
    out
}

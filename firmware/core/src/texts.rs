//! The text catalogue: every text a citizen reads on the screen, whether
//! written in a `.slint` file (`@tr("…")`) or by Rust code (`tr!("…")`).
//!
//! The source language is zh-CN, and a text's Chinese wording is its key
//! (a gettext `msgid`, as Slint's `@tr` does). One catalogue lists them all:
//! `i18n/kiosk-ui.pot`, extracted from the sources by [`extract_slint`] and
//! [`extract_rust`]; the test `catalogue_lists_every_text`
//! (firmware/core/tests/catalogue.rs) fails when it is out of date and
//! rewrites it with `UPDATE_CATALOGUE=1`.
//!
//! A second language is one file, `i18n/<lang>/LC_MESSAGES/kiosk-ui.po`
//! (the catalogue, translated): Slint bundles it into the screens
//! (ui/build.rs) and [`BUNDLED`] bundles it here, so that a [`select`]ed
//! language changes both. An untranslated or fuzzy entry shows the Chinese
//! text. docs/translations.md says how to add a language.
//!
//! Not in the catalogue, by rule: the printed documents (the region's
//! official layouts, printed in Chinese whatever the screen shows), the
//! region profile's own texts (service guides, commitment letter: the
//! region's wording, translated with the profile if ever), and data tables
//! (nation names, capital-figure digits).

use std::collections::HashMap;
use std::fmt::{self, Display, Write as _};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::Error;

/// The catalogue's file name in every language folder (Slint's gettext
/// domain: the UI crate's name).
pub const DOMAIN: &str = "kiosk-ui";

/// The source language: the wording in the code.
pub const SOURCE_LANGUAGE: &str = "zh-CN";

/// The translations compiled into the firmware: (language, `.po` text).
/// Adding a language: its folder under `i18n/` and one line here.
pub const BUNDLED: &[(&str, &str)] = &[(
    "en",
    include_str!("../../../i18n/en/LC_MESSAGES/kiosk-ui.po"),
)];

/// A text looked up in the selected language (`&'static str`), or — with
/// arguments — formatted after lookup (`String`). Placeholders are `{}` in
/// order or `{0}`, `{1}` by position (a translation may reorder them), as
/// in Slint's `@tr`; `{{` and `}}` are braces.
///
/// ```
/// use kiosk_core::tr;
/// assert_eq!(tr!("正在查询，请稍候"), "正在查询，请稍候");
/// assert_eq!(tr!("第 {} 位", 7), "第 7 位");
/// ```
#[macro_export]
macro_rules! tr {
    ($id:literal $(,)?) => {
        $crate::texts::tr($id)
    };
    ($id:literal, $($arg:expr),+ $(,)?) => {
        $crate::texts::tr_format($id, &[$(&$arg as &dyn ::std::fmt::Display),+])
    };
}

/// Marks a text for the catalogue without translating it here (gettext's
/// `N_`): for texts kept in Chinese (recorded values such as rating
/// levels) and translated where shown, with [`tr_str`].
#[macro_export]
macro_rules! tr_mark {
    ($id:literal) => {
        $id
    };
}

/// One language's translations.
#[derive(Debug, Clone)]
pub struct Catalogue {
    language: String,
    entries: HashMap<String, String>,
}

impl Catalogue {
    /// Reads a `.po` file's text. Untranslated and fuzzy entries are left
    /// out (the source text shows).
    pub fn parse(language: &str, po: &str) -> Result<Catalogue, Error> {
        let entries = parse_po(po)?
            .into_iter()
            .filter(|e| !e.id.is_empty() && !e.translation.is_empty() && !e.fuzzy)
            .map(|e| (e.id, e.translation))
            .collect();
        Ok(Catalogue {
            language: language.to_string(),
            entries,
        })
    }

    /// The language's name (the folder under `i18n/`).
    pub fn language(&self) -> &str {
        &self.language
    }

    /// The translation of `id`, if there is one.
    pub fn get(&self, id: &str) -> Option<&str> {
        self.entries.get(id).map(String::as_str)
    }

    /// How many texts are translated.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is translated.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// The bundled catalogues, parsed once. A bundled file that does not parse
/// is left out (its language cannot be selected); the test
/// `every_bundled_catalogue_parses` keeps that from happening.
fn bundled() -> &'static [Catalogue] {
    static CATALOGUES: OnceLock<Vec<Catalogue>> = OnceLock::new();
    CATALOGUES.get_or_init(|| {
        BUNDLED
            .iter()
            .filter_map(|(language, po)| Catalogue::parse(language, po).ok())
            .collect()
    })
}

/// 0: the source language; n: `bundled()[n - 1]`.
static SELECTED: AtomicUsize = AtomicUsize::new(0);

/// The languages a citizen can choose: the source language first.
pub fn languages() -> Vec<&'static str> {
    std::iter::once(SOURCE_LANGUAGE)
        .chain(bundled().iter().map(|c| c.language.as_str()))
        .collect()
}

/// Selects the language of every text from now on (`zh-CN` or empty: the
/// source language).
pub fn select(language: &str) -> Result<(), Error> {
    if language.is_empty() || language == SOURCE_LANGUAGE {
        SELECTED.store(0, Ordering::Relaxed);
        return Ok(());
    }
    match bundled().iter().position(|c| c.language == language) {
        Some(i) => {
            SELECTED.store(i + 1, Ordering::Relaxed);
            Ok(())
        }
        None => Err(Error::UnknownLanguage {
            language: language.to_string(),
            available: languages().join(", "),
        }),
    }
}

/// A language's name in itself, for the language button.
pub fn native_name(language: &str) -> &str {
    match language {
        "zh-CN" => "中文",
        "en" => "English",
        other => other,
    }
}

/// The selected language.
pub fn selected() -> &'static str {
    match SELECTED.load(Ordering::Relaxed) {
        0 => SOURCE_LANGUAGE,
        n => bundled()
            .get(n - 1)
            .map_or(SOURCE_LANGUAGE, |c| c.language.as_str()),
    }
}

/// `id` in the selected language (`id` itself in the source language or
/// when untranslated). Use [`tr!`](crate::tr).
pub fn tr(id: &'static str) -> &'static str {
    match SELECTED.load(Ordering::Relaxed) {
        0 => id,
        n => bundled().get(n - 1).and_then(|c| c.get(id)).unwrap_or(id),
    }
}

/// A text known only at run time (a value marked with
/// [`tr_mark!`](crate::tr_mark), or from the region profile) in the
/// selected language when the catalogue has it, else as it is.
pub fn tr_str(text: &str) -> &str {
    match SELECTED.load(Ordering::Relaxed) {
        0 => text,
        n => bundled()
            .get(n - 1)
            .and_then(|c| c.get(text))
            .unwrap_or(text),
    }
}

/// `id` in the selected language with its placeholders filled. Use
/// [`tr!`](crate::tr).
pub fn tr_format(id: &'static str, args: &[&dyn Display]) -> String {
    format_text(tr(id), args)
}

/// Fills `{}` (in order) and `{0}`, `{1}` … (by position); `{{` and `}}`
/// are braces. A placeholder without an argument stays as written.
pub fn format_text(template: &str, args: &[&dyn Display]) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut next = 0;
    let mut chars = template.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '{' if chars.peek().map(|p| p.1) == Some('{') => {
                chars.next();
                out.push('{');
            }
            '}' if chars.peek().map(|p| p.1) == Some('}') => {
                chars.next();
                out.push('}');
            }
            '{' => {
                let rest = &template[i + 1..];
                let Some(close) = rest.find('}') else {
                    out.push(c);
                    continue;
                };
                let inside = &rest[..close];
                let index = if inside.is_empty() {
                    let n = next;
                    next += 1;
                    Some(n)
                } else {
                    inside.parse::<usize>().ok()
                };
                match index.and_then(|n| args.get(n)) {
                    Some(arg) => {
                        let _ = write!(out, "{arg}");
                        // Skip the placeholder's characters.
                        for _ in 0..=inside.chars().count() {
                            chars.next();
                        }
                    }
                    None => out.push(c),
                }
            }
            _ => out.push(c),
        }
    }
    out
}

/// One entry of a `.po` / `.pot` file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PoEntry {
    /// The source text (zh-CN).
    pub id: String,
    /// Its translation (empty: untranslated).
    pub translation: String,
    /// Where it is used (`#:` lines).
    pub references: Vec<String>,
    /// Marked `#, fuzzy` (a guess to review; not used).
    pub fuzzy: bool,
}

/// Reads the entries of a `.po` / `.pot` file (the header entry, with an
/// empty id, included). Plural forms and contexts are not used by the
/// kiosk and are refused.
pub fn parse_po(text: &str) -> Result<Vec<PoEntry>, Error> {
    #[derive(PartialEq)]
    enum Field {
        None,
        Id,
        Translation,
    }
    let mut entries = Vec::new();
    let mut entry = PoEntry::default();
    let mut started = false;
    let mut field = Field::None;
    let bad = |line: usize, what: &'static str| Error::Catalogue { line, what };
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        let number = n + 1;
        if line.is_empty() {
            continue;
        }
        if let Some(comment) = line.strip_prefix('#') {
            // A comment starts the next entry when one is complete.
            if started && field == Field::Translation {
                entries.push(std::mem::take(&mut entry));
                started = false;
                field = Field::None;
            }
            if let Some(refs) = comment.strip_prefix(':') {
                entry
                    .references
                    .extend(refs.split_whitespace().map(str::to_string));
            } else if let Some(flags) = comment.strip_prefix(',') {
                entry.fuzzy |= flags.split(',').any(|f| f.trim() == "fuzzy");
            }
            continue;
        }
        if line.starts_with("msgctxt") || line.starts_with("msgid_plural") {
            return Err(bad(number, "contexts and plural forms are not used"));
        }
        if let Some(rest) = line.strip_prefix("msgid ") {
            if started {
                if field != Field::Translation {
                    return Err(bad(number, "msgid without a msgstr before it"));
                }
                // The next entry, without comments of its own.
                entries.push(std::mem::take(&mut entry));
            }
            started = true;
            field = Field::Id;
            entry.id = unquote(rest).ok_or(bad(number, "msgid is not a quoted string"))?;
        } else if let Some(rest) = line.strip_prefix("msgstr ") {
            if field != Field::Id {
                return Err(bad(number, "msgstr without its msgid"));
            }
            field = Field::Translation;
            entry.translation =
                unquote(rest).ok_or(bad(number, "msgstr is not a quoted string"))?;
        } else if line.starts_with('"') {
            let more = unquote(line).ok_or(bad(number, "continuation is not a quoted string"))?;
            match field {
                Field::Id => entry.id.push_str(&more),
                Field::Translation => entry.translation.push_str(&more),
                Field::None => return Err(bad(number, "string outside an entry")),
            }
        } else {
            return Err(bad(number, "unknown line"));
        }
    }
    if started {
        if field != Field::Translation {
            return Err(bad(text.lines().count(), "last msgid has no msgstr"));
        }
        entries.push(entry);
    }
    Ok(entries)
}

/// A `.po` quoted string's content, escapes resolved.
fn unquote(s: &str) -> Option<String> {
    let inner = s.trim().strip_prefix('"')?.strip_suffix('"')?;
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next()? {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                'r' => out.push('\r'),
                '"' => out.push('"'),
                '\\' => out.push('\\'),
                _ => return None,
            },
            '"' => return None,
            c => out.push(c),
        }
    }
    Some(out)
}

/// `s` as a `.po` quoted string; multi-line texts are split after each
/// newline, gettext style.
fn quote(s: &str) -> String {
    let escape = |part: &str| {
        let mut out = String::with_capacity(part.len() + 2);
        out.push('"');
        for c in part.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\t' => out.push_str("\\t"),
                '\r' => out.push_str("\\r"),
                c => out.push(c),
            }
        }
        out.push('"');
        out
    };
    if !s.contains('\n') || s.ends_with('\n') && s.matches('\n').count() == 1 {
        return escape(s);
    }
    let mut out = String::from("\"\"");
    for part in s.split_inclusive('\n') {
        out.push('\n');
        out.push_str(&escape(part));
    }
    out
}

/// A text found in the sources, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The text.
    pub id: String,
    /// The file it is in (path relative to the workspace).
    pub file: String,
}

/// The `@tr("…")` texts of a `.slint` file.
pub fn extract_slint(file: &str, source: &str) -> Result<Vec<Found>, Error> {
    extract_after(file, source, "@tr(", Syntax::Slint)
}

/// The `tr!("…")` and `tr_mark!("…")` texts of a `.rs` file.
pub fn extract_rust(file: &str, source: &str) -> Result<Vec<Found>, Error> {
    let mut found = extract_after(file, source, "tr!(", Syntax::Rust)?;
    found.extend(extract_after(file, source, "tr_mark!(", Syntax::Rust)?);
    Ok(found)
}

#[derive(Clone, Copy, PartialEq)]
enum Syntax {
    Slint,
    Rust,
}

fn extract_after(
    file: &str,
    source: &str,
    marker: &str,
    syntax: Syntax,
) -> Result<Vec<Found>, Error> {
    let mut found = Vec::new();
    let mut rest = source;
    while let Some(at) = rest.find(marker) {
        let before = &rest[..at];
        let after = &rest[at + marker.len()..];
        let line = source.len() - rest.len() + at;
        let line = source[..line].lines().count().max(1);
        // `tr!(` inside an identifier (`attr!(`) is not the macro.
        let glued = syntax == Syntax::Rust
            && before
                .chars()
                .next_back()
                .is_some_and(|c| c.is_alphanumeric() || c == '_');
        rest = after;
        if glued {
            continue;
        }
        let literal = after.trim_start();
        let Some((id, _)) = parse_literal(literal, syntax) else {
            // The macro's own definition and doc examples pass other
            // tokens; a real use always starts with a literal.
            if literal.starts_with('$') {
                continue;
            }
            return Err(Error::Catalogue {
                line,
                what: "a translated text must be a plain string literal",
            });
        };
        found.push(Found {
            id,
            file: file.to_string(),
        });
    }
    Ok(found)
}

/// A string literal at the start of `s`: its value and the rest of `s`.
fn parse_literal(s: &str, syntax: Syntax) -> Option<(String, &str)> {
    let body = s.strip_prefix('"')?;
    let mut out = String::new();
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((out, &body[i + 1..])),
            '\\' => {
                let (_, e) = chars.next()?;
                match e {
                    'n' => out.push('\n'),
                    't' => out.push('\t'),
                    '"' => out.push('"'),
                    '\\' => out.push('\\'),
                    '{' if syntax == Syntax::Slint => out.push('{'),
                    'u' => {
                        let (_, open) = chars.next()?;
                        if open != '{' {
                            return None;
                        }
                        let mut hex = String::new();
                        for (_, h) in chars.by_ref() {
                            if h == '}' {
                                break;
                            }
                            hex.push(h);
                        }
                        out.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
                    }
                    // Rust line continuation: the newline and the next
                    // line's leading blanks are not part of the text.
                    '\n' if syntax == Syntax::Rust => {
                        while let Some((_, w)) = chars.clone().next() {
                            if !w.is_whitespace() {
                                break;
                            }
                            chars.next();
                        }
                    }
                    _ => return None,
                }
            }
            c => out.push(c),
        }
    }
    None
}

/// The catalogue file (`.pot`) for these texts: one entry per distinct
/// text, in order of first appearance, with the files that use it.
pub fn write_pot(found: &[Found]) -> String {
    let mut order: Vec<&str> = Vec::new();
    let mut files: HashMap<&str, Vec<&str>> = HashMap::new();
    for f in found {
        let refs = files.entry(f.id.as_str()).or_insert_with(|| {
            order.push(f.id.as_str());
            Vec::new()
        });
        if !refs.contains(&f.file.as_str()) {
            refs.push(f.file.as_str());
        }
    }
    let mut out = String::from(
        "# The kiosk's text catalogue: every text of the screens, zh-CN.\n\
         # Generated from the sources (@tr in .slint, tr! in Rust) by\n\
         # `UPDATE_CATALOGUE=1 cargo test -p kiosk-core --test catalogue`.\n\
         # Translate it as i18n/<lang>/LC_MESSAGES/kiosk-ui.po (docs/translations.md).\n\
         msgid \"\"\n\
         msgstr \"\"\n\
         \"Content-Type: text/plain; charset=UTF-8\\n\"\n\
         \"Language: zh_CN\\n\"\n",
    );
    for id in order {
        out.push('\n');
        let refs = files.get(id).map(Vec::as_slice).unwrap_or_default();
        let _ = writeln!(out, "#: {}", refs.join(" "));
        let _ = writeln!(out, "msgid {}", quote(id));
        out.push_str("msgstr \"\"\n");
    }
    out
}

impl Display for Catalogue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({} texts)", self.language, self.entries.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_in_order_by_position_and_escaped() {
        assert_eq!(
            format_text("第 {} 位，共 {} 位", &[&3, &18]),
            "第 3 位，共 18 位"
        );
        assert_eq!(format_text("{1} before {0}", &[&"a", &"b"]), "b before a");
        assert_eq!(format_text("{{literal}} {}", &[&1]), "{literal} 1");
        assert_eq!(format_text("no arg {}", &[]), "no arg {}");
        assert_eq!(format_text("中文{}字符", &[&"x"]), "中文x字符");
    }

    #[test]
    fn po_round_trip_with_references_fuzzy_and_multiline() {
        let found = vec![
            Found {
                id: "请取走您的卡".into(),
                file: "a.rs".into(),
            },
            Found {
                id: "两行\n文字".into(),
                file: "b.slint".into(),
            },
            Found {
                id: "请取走您的卡".into(),
                file: "c.rs".into(),
            },
            Found {
                id: "引号\"和\\".into(),
                file: "a.rs".into(),
            },
        ];
        let pot = write_pot(&found);
        let entries = parse_po(&pot).unwrap();
        assert_eq!(entries.len(), 4, "header + 3 distinct texts");
        assert_eq!(entries[1].id, "请取走您的卡");
        assert_eq!(entries[1].references, vec!["a.rs", "c.rs"]);
        assert_eq!(entries[2].id, "两行\n文字");
        assert_eq!(entries[3].id, "引号\"和\\");

        let po = "msgid \"\"\nmsgstr \"Language: en\\n\"\n\n#: a.rs\nmsgid \"请取走您的卡\"\nmsgstr \"Please take your card\"\n\n#, fuzzy\nmsgid \"正在打印\"\nmsgstr \"Printing\"\n\nmsgid \"未译\"\nmsgstr \"\"\n";
        let c = Catalogue::parse("en", po).unwrap();
        assert_eq!(c.get("请取走您的卡"), Some("Please take your card"));
        assert_eq!(c.get("正在打印"), None, "fuzzy is not used");
        assert_eq!(c.get("未译"), None);
        assert_eq!(c.len(), 1);
    }

    #[test]
    fn broken_po_files_are_refused_with_the_line() {
        for (po, line) in [
            ("msgid \"a\"\nmsgid \"b\"\nmsgstr \"\"\n", 2),
            ("msgstr \"x\"\n", 1),
            ("msgid \"a\nmsgstr \"\"\n", 1),
            ("msgctxt \"c\"\nmsgid \"a\"\nmsgstr \"\"\n", 1),
            ("msgid \"a\"\nmsgstr \"b\\q\"\n", 2),
            ("garbage\n", 1),
        ] {
            match parse_po(po) {
                Err(Error::Catalogue { line: l, .. }) => assert_eq!(l, line, "{po:?}"),
                other => panic!("{po:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn extraction_from_slint_and_rust() {
        let slint = r#"
            Text { text: @tr("请选择业务"); }
            Text { text: @tr("共 {} 条\n第 {} 页", n, p); }
        "#;
        let found = extract_slint("s.slint", slint).unwrap();
        let ids: Vec<_> = found.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(ids, vec!["请选择业务", "共 {} 条\n第 {} 页"]);

        let rust = "let a = tr!(\"正在查询\");\nlet b = kiosk_core::tr!(\n    \"第 {} 位，\\\n     共 {} 位\",\n    3, 18);\nlet c = attr!(\"not a text\");\n";
        let found = extract_rust("r.rs", rust).unwrap();
        let ids: Vec<_> = found.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(ids, vec!["正在查询", "第 {} 位，共 {} 位"]);

        assert!(matches!(
            extract_rust("r.rs", "let x = tr!(name);"),
            Err(Error::Catalogue { line: 1, .. })
        ));
    }

    #[test]
    fn every_bundled_catalogue_parses() {
        for (language, po) in BUNDLED {
            let c = Catalogue::parse(language, po).unwrap();
            assert!(!c.is_empty(), "{language} translates nothing");
        }
        assert_eq!(languages()[0], SOURCE_LANGUAGE);
        assert_eq!(languages().len(), BUNDLED.len() + 1);
    }

    #[test]
    fn an_unknown_language_is_refused_and_names_the_available_ones() {
        match select("fr") {
            Err(Error::UnknownLanguage { available, .. }) => {
                assert!(available.starts_with("zh-CN"))
            }
            other => panic!("{other:?}"),
        }
    }
}

//! Where a value of a region profile comes from.
//!
//! Every item, rule and parameter of a profile carries a `source` string so
//! that an operator (and a test) can check it against the document it was
//! taken from. Three forms are accepted:
//!
//! - `"000:L5743"` or `"000:L5743 第八条（一）"`: seed `000`, line 5743, with an
//!   optional free-text pointer (article, paragraph) after a space;
//! - `"national default: 医保发〔2022〕22号 …"`: the seed does not give the
//!   value, so the national rule applies until the region sets its own;
//! - `"standard: GB/T 2260 …"`: a national standard (administrative codes).

use std::fmt;

use serde::{Deserialize, Serialize};

/// Prefix of a source that is a national default.
pub const NATIONAL_DEFAULT: &str = "national default:";
/// Prefix of a source that is a national standard.
pub const STANDARD: &str = "standard:";

/// The `source` of a profile value, as written in the file.
///
/// The text is checked when the profile is loaded; use [`Source::parsed`]
/// for the structured form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Source(String);

/// The structured form of a [`Source`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceRef<'a> {
    /// A line of a seed document.
    Seed {
        /// The seed id declared in the profile's `[[seeds]]` (e.g. `000`).
        seed: &'a str,
        /// 1-based line number in the seed file.
        line: usize,
        /// Optional pointer inside the line (article, paragraph), may be empty.
        note: &'a str,
    },
    /// A default taken from a national rule because the seed is silent.
    NationalDefault(&'a str),
    /// A national standard (for example GB/T 2260 administrative codes).
    Standard(&'a str),
}

impl Source {
    /// The text as written in the profile.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The structured form, or `None` when the text has none of the accepted
    /// forms (a loaded profile never holds such a source).
    pub fn parsed(&self) -> Option<SourceRef<'_>> {
        let text = self.0.trim();
        if let Some(rest) = text.strip_prefix(NATIONAL_DEFAULT) {
            let rest = rest.trim();
            return (!rest.is_empty()).then_some(SourceRef::NationalDefault(rest));
        }
        if let Some(rest) = text.strip_prefix(STANDARD) {
            let rest = rest.trim();
            return (!rest.is_empty()).then_some(SourceRef::Standard(rest));
        }
        let (seed, rest) = text.split_once(":L")?;
        if seed.is_empty() || seed.contains(char::is_whitespace) {
            return None;
        }
        let digits_end = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        let line: usize = rest.get(..digits_end)?.parse().ok()?;
        let note = rest.get(digits_end..)?;
        if line == 0 || !(note.is_empty() || note.starts_with(' ')) {
            return None;
        }
        Some(SourceRef::Seed {
            seed,
            line,
            note: note.trim(),
        })
    }

    /// The seed id and line when the source is a seed line.
    pub fn seed_line(&self) -> Option<(&str, usize)> {
        match self.parsed()? {
            SourceRef::Seed { seed, line, .. } => Some((seed, line)),
            _ => None,
        }
    }

    /// Whether the value is a national default (the seed does not give it).
    pub fn is_national_default(&self) -> bool {
        matches!(self.parsed(), Some(SourceRef::NationalDefault(_)))
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for Source {
    fn from(text: &str) -> Source {
        Source(text.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_line_with_and_without_note() {
        let s = Source::from("000:L5743");
        assert_eq!(
            s.parsed(),
            Some(SourceRef::Seed {
                seed: "000",
                line: 5743,
                note: ""
            })
        );
        let s = Source::from("002:L88 第八条（一）");
        assert_eq!(s.seed_line(), Some(("002", 88)));
    }

    #[test]
    fn defaults_and_standards() {
        assert!(Source::from("national default: 医保发〔2022〕22号").is_national_default());
        assert_eq!(
            Source::from("standard: GB/T 2260").parsed(),
            Some(SourceRef::Standard("GB/T 2260"))
        );
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "",
            "000",
            "000:L",
            "000:L0",
            "000:L12x",
            ":L12",
            "national default:",
            "invented",
        ] {
            assert_eq!(Source::from(bad).parsed(), None, "{bad}");
        }
    }
}

//! The printer's built-in fonts, taken from a system CJK font found with
//! fontdb: "Noto Sans CJK SC" for full-width characters and, when present,
//! "Noto Sans Mono CJK SC" for half-width ASCII (its Latin letters are
//! exactly half an em wide, like a printer's 12×24 font).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::OnceLock;

use ab_glyph::{Font, FontRef};

use crate::Error;

/// The faces the renderer uses.
pub(crate) struct Fonts {
    /// Full-width characters (and fallback for everything else).
    pub main: FontRef<'static>,
    /// Half-width characters, when a half-width Latin face was found.
    pub half: Option<FontRef<'static>>,
    /// Which faces were chosen, for messages.
    pub description: String,
}

static FONTS: OnceLock<Result<Fonts, String>> = OnceLock::new();

/// The printer fonts, loaded once per process.
pub(crate) fn fonts() -> Result<&'static Fonts, Error> {
    match FONTS.get_or_init(load) {
        Ok(f) => Ok(f),
        Err(e) if e.is_empty() => Err(Error::CjkFontMissing),
        Err(e) => Err(Error::Font(e.clone())),
    }
}

fn source_key(source: &fontdb::Source) -> Option<PathBuf> {
    match source {
        fontdb::Source::File(p) => Some(p.clone()),
        fontdb::Source::SharedFile(p, _) => Some(p.clone()),
        fontdb::Source::Binary(_) => None,
    }
}

fn weight_distance(face: &fontdb::FaceInfo) -> u16 {
    face.weight.0.abs_diff(fontdb::Weight::NORMAL.0)
}

fn has_family(face: &fontdb::FaceInfo, name: &str) -> bool {
    face.families.iter().any(|(f, _)| f == name)
}

/// Font collection files copied into memory once and kept for the life of
/// the process (a CJK collection is ~20 MB; both faces share it).
struct Loader<'db> {
    db: &'db fontdb::Database,
    files: HashMap<Option<PathBuf>, &'static [u8]>,
}

impl Loader<'_> {
    fn face(&mut self, id: fontdb::ID) -> Result<FontRef<'static>, String> {
        let info = self
            .db
            .face(id)
            .ok_or_else(|| "font face vanished from the database".to_owned())?;
        let key = source_key(&info.source);
        let index = info.index;
        let data: &'static [u8] = match self.files.get(&key) {
            Some(d) if key.is_some() => d,
            _ => {
                let bytes = self
                    .db
                    .with_face_data(id, |data, _| data.to_vec())
                    .ok_or_else(|| format!("cannot read font data of {:?}", info.source))?;
                let leaked: &'static [u8] = Box::leak(bytes.into_boxed_slice());
                self.files.insert(key, leaked);
                leaked
            }
        };
        FontRef::try_from_slice_and_index(data, index)
            .map_err(|e| format!("{}: {e}", info.post_script_name))
    }
}

/// `Err("")` means no CJK font at all.
fn load() -> Result<Fonts, String> {
    let mut db = fontdb::Database::new();
    db.load_system_fonts();
    let mut loader = Loader {
        db: &db,
        files: HashMap::new(),
    };

    let best = |family: &str| {
        db.faces()
            .filter(|f| has_family(f, family) && f.style == fontdb::Style::Normal)
            .min_by_key(|f| weight_distance(f))
            .map(|f| (f.id, f.post_script_name.clone()))
    };

    let (main, main_name) = match best("Noto Sans CJK SC") {
        Some((id, name)) => (loader.face(id)?, name),
        None => {
            // Any face that covers 中, preferring regular weight.
            let mut candidates: Vec<&fontdb::FaceInfo> = db.faces().collect();
            candidates.sort_by_key(|f| weight_distance(f));
            let mut found = None;
            for f in candidates {
                let covers = db
                    .with_face_data(f.id, |data, index| {
                        FontRef::try_from_slice_and_index(data, index)
                            .map(|font| font.glyph_id('中').0 != 0)
                            .unwrap_or(false)
                    })
                    .unwrap_or(false);
                if covers {
                    found = Some((f.id, f.post_script_name.clone()));
                    break;
                }
            }
            match found {
                Some((id, name)) => (loader.face(id)?, name),
                None => return Err(String::new()),
            }
        }
    };

    let half = match best("Noto Sans Mono CJK SC") {
        Some((id, name)) => loader.face(id).ok().map(|f| (f, name)),
        None => None,
    };
    let description = match &half {
        Some((_, name)) => format!("{main_name} (full width), {name} (half width)"),
        None => format!("{main_name} (half-width glyphs condensed)"),
    };
    Ok(Fonts {
        main,
        half: half.map(|(f, _)| f),
        description,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_cjk_face() {
        let fonts = fonts().expect("fonts-noto-cjk is installed on this machine");
        assert_ne!(fonts.main.glyph_id('中').0, 0);
        assert!(fonts.description.contains("CJK"), "{}", fonts.description);
    }
}

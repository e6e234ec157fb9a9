//! The production [`GlyphSource`]: any character the installed CJK fonts
//! have, rasterised with `ab_glyph` into the 24×24 bitmap `FS 2` wants,
//! cached per character.
//!
//! Faces are tried in order (by default "Noto Sans CJK SC", whose sans
//! strokes match the printer's own font, then "BabelStone Han", which
//! covers every CJK Unified Ideograph through Extension H: Debian
//! `fonts-babelstone-han`). A face's file is read only when an earlier
//! face lacks a character, so a kiosk that never meets a rare name never
//! loads the 50 MB of BabelStone. A character no face has gets no glyph:
//! the builder prints `〓` and reports it ([`super::Job::substitutions`]).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock, PoisonError};

use ab_glyph::{Font, FontVec, PxScale, point};

use super::escpos::GlyphSource;
use crate::Error;

/// Font families tried in order when the configuration names none.
pub const DEFAULT_FAMILIES: &[&str] = &["Noto Sans CJK SC", "BabelStone Han"];

/// Size of an `FS 2` glyph in dots.
const DOTS: usize = 24;

/// Coverage at which a dot is inked. Below one half, so that the 1-dot
/// horizontal strokes of a Song (Ming) face are kept at 24 dots.
const INK: f32 = 0.4;

/// Where the baseline sits in the 24-dot em box: CJK faces put the
/// ideographic em box from −0.12 em to 0.88 em around the baseline.
const BASELINE: f32 = 0.88;

/// One face: where it is, and the font once read.
struct Face {
    family: String,
    path: PathBuf,
    index: u32,
    font: OnceLock<Option<FontVec>>,
}

impl Face {
    /// The font, read on first use; `None` when the file cannot be read
    /// or parsed (reported by [`FontGlyphs::check`]).
    fn font(&self) -> Option<&FontVec> {
        self.font
            .get_or_init(|| {
                let bytes = std::fs::read(&self.path).ok()?;
                FontVec::try_from_vec_and_index(bytes, self.index).ok()
            })
            .as_ref()
    }
}

/// Glyphs from the system's CJK fonts (see the module docs).
pub struct FontGlyphs {
    faces: Vec<Face>,
    missing_families: Vec<String>,
    cache: Mutex<HashMap<char, Option<[u8; 72]>>>,
}

impl std::fmt::Debug for FontGlyphs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FontGlyphs")
            .field("families", &self.families())
            .field("missing_families", &self.missing_families)
            .finish_non_exhaustive()
    }
}

static SYSTEM: OnceLock<Result<FontGlyphs, String>> = OnceLock::new();

impl FontGlyphs {
    /// The faces of `families` (in that order) among the system fonts;
    /// a family that is not installed is skipped and listed by
    /// [`FontGlyphs::missing_families`]. Fails when none is installed.
    pub fn from_system(families: &[&str]) -> Result<FontGlyphs, Error> {
        let mut db = fontdb::Database::new();
        db.load_system_fonts();
        FontGlyphs::from_database(&db, families)
    }

    /// As [`FontGlyphs::from_system`], from fonts already loaded into `db`.
    pub fn from_database(db: &fontdb::Database, families: &[&str]) -> Result<FontGlyphs, Error> {
        let mut faces = Vec::new();
        let mut missing_families = Vec::new();
        for family in families {
            let best = db
                .faces()
                .filter(|f| f.families.iter().any(|(name, _)| name == family))
                .filter(|f| f.style == fontdb::Style::Normal)
                .filter_map(|f| match &f.source {
                    fontdb::Source::File(path) | fontdb::Source::SharedFile(path, _) => {
                        Some((f.weight.0.abs_diff(fontdb::Weight::NORMAL.0), path, f.index))
                    }
                    fontdb::Source::Binary(_) => None,
                })
                .min_by_key(|(distance, _, _)| *distance);
            match best {
                Some((_, path, index)) => faces.push(Face {
                    family: (*family).to_string(),
                    path: path.clone(),
                    index,
                    font: OnceLock::new(),
                }),
                None => missing_families.push((*family).to_string()),
            }
        }
        if faces.is_empty() {
            return Err(Error::GlyphFonts(format!(
                "none of the fonts {} is installed (Debian: fonts-noto-cjk fonts-babelstone-han)",
                families.join(", ")
            )));
        }
        Ok(FontGlyphs {
            faces,
            missing_families,
            cache: Mutex::new(HashMap::new()),
        })
    }

    /// The process-wide source over [`DEFAULT_FAMILIES`], found once.
    pub fn system() -> Result<&'static FontGlyphs, Error> {
        match SYSTEM
            .get_or_init(|| FontGlyphs::from_system(DEFAULT_FAMILIES).map_err(|e| e.to_string()))
        {
            Ok(glyphs) => Ok(glyphs),
            Err(e) => Err(Error::GlyphFonts(e.clone())),
        }
    }

    /// The families found, in the order they are tried.
    pub fn families(&self) -> Vec<&str> {
        self.faces.iter().map(|f| f.family.as_str()).collect()
    }

    /// The families asked for that are not installed.
    pub fn missing_families(&self) -> &[String] {
        &self.missing_families
    }

    /// Reads every face now (start-up and `kiosk doctor`): the families
    /// whose file cannot be read or parsed.
    pub fn check(&self) -> Vec<&str> {
        self.faces
            .iter()
            .filter(|f| f.font().is_none())
            .map(|f| f.family.as_str())
            .collect()
    }

    /// How many characters are cached (with or without a glyph).
    pub fn cached(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<char, Option<[u8; 72]>>> {
        self.cache.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The glyph of `c` from the first face that has it, not cached.
    fn render(&self, c: char) -> Option<[u8; 72]> {
        self.faces
            .iter()
            .filter_map(Face::font)
            .find_map(|font| rasterise(font, c))
    }
}

impl GlyphSource for FontGlyphs {
    fn glyph(&self, c: char) -> Option<[u8; 72]> {
        if let Some(cached) = self.lock().get(&c) {
            return *cached;
        }
        // Rendered outside the lock: two threads meeting the same new
        // character render it twice, which is harmless.
        let glyph = self.render(c);
        self.lock().insert(c, glyph);
        glyph
    }
}

/// `c` in `font` as an `FS 2` glyph: 24 columns of 3 bytes, each column
/// top to bottom, most significant bit first. `None` when the font has no
/// glyph for `c` (or only an empty one).
pub fn rasterise(font: &impl Font, c: char) -> Option<[u8; 72]> {
    let id = font.glyph_id(c);
    if id.0 == 0 {
        return None;
    }
    let upem = font.units_per_em()?;
    // ab_glyph scales by the font's height (ascent − descent): this makes
    // one em 24 dots.
    let scale = PxScale::from(DOTS as f32 * font.height_unscaled() / upem);
    let em = DOTS as f32;
    let advance = font.h_advance_unscaled(id) * em / upem;
    let x0 = ((em - advance) / 2.0).max(0.0);
    let outline =
        font.outline_glyph(id.with_scale_and_position(scale, point(x0, em * BASELINE)))?;
    let bounds = outline.px_bounds();
    // A glyph reaching outside the em box is moved back in (never cut).
    let dx = shift_into(bounds.min.x, bounds.max.x);
    let dy = shift_into(bounds.min.y, bounds.max.y);
    let (bx, by) = (bounds.min.x as i64 + dx, bounds.min.y as i64 + dy);
    let mut glyph = [0u8; 72];
    let mut inked = false;
    outline.draw(|gx, gy, coverage| {
        let x = bx + i64::from(gx);
        let y = by + i64::from(gy);
        if coverage >= INK && (0..DOTS as i64).contains(&x) && (0..DOTS as i64).contains(&y) {
            let (x, y) = (x as usize, y as usize);
            glyph[x * 3 + y / 8] |= 0x80 >> (y % 8);
            inked = true;
        }
    });
    inked.then_some(glyph)
}

/// How far to move a span `min..max` (in dots) so that it lies within the
/// glyph box, when it fits at all.
fn shift_into(min: f32, max: f32) -> i64 {
    let (min, max) = (min.floor() as i64, max.ceil() as i64);
    if min < 0 {
        -min
    } else if max > DOTS as i64 {
        (DOTS as i64 - max).max(-min)
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dots(glyph: &[u8; 72]) -> usize {
        glyph.iter().map(|b| b.count_ones() as usize).sum()
    }

    /// The glyph as 24 text rows, for failure messages.
    fn picture(glyph: &[u8; 72]) -> String {
        (0..DOTS)
            .map(|y| {
                (0..DOTS)
                    .map(|x| {
                        if glyph[x * 3 + y / 8] & (0x80 >> (y % 8)) != 0 {
                            '#'
                        } else {
                            '.'
                        }
                    })
                    .collect::<String>()
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn renders_common_and_rare_characters_from_the_system_fonts() {
        let glyphs = FontGlyphs::system().expect("fonts-noto-cjk is installed here");
        // 一: one horizontal stroke across the middle rows.
        let one = glyphs.glyph('一').expect("一");
        let rows: Vec<usize> = (0..DOTS)
            .filter(|&y| (0..DOTS).any(|x| one[x * 3 + y / 8] & (0x80 >> (y % 8)) != 0))
            .collect();
        assert!(!rows.is_empty() && rows.len() <= 4, "{}", picture(&one));
        assert!((8..16).contains(&rows[0]), "{}", picture(&one));
        // 䶮 (Ext A) and 𠮷 (Ext B) are in Noto Sans CJK.
        for c in ['䶮', '𠮷', '国'] {
            let g = glyphs.glyph(c).unwrap_or_else(|| panic!("{c}"));
            assert!(dots(&g) > 40, "{c}:\n{}", picture(&g));
        }
        assert!(glyphs.glyph(' ').is_none(), "nothing to print for a space");
    }

    #[test]
    fn a_character_the_first_face_lacks_comes_from_the_next() {
        let Ok(noto) = FontGlyphs::from_system(&["Noto Sans CJK SC"]) else {
            panic!("fonts-noto-cjk is installed here")
        };
        // 𡒄 (U+21484, Ext B) is not in Noto Sans CJK.
        assert_eq!(noto.glyph('𡒄'), None);
        let both =
            FontGlyphs::from_system(DEFAULT_FAMILIES).expect("fonts-noto-cjk is installed here");
        assert!(
            both.missing_families().is_empty(),
            "fonts-babelstone-han is installed by .ci/run: {:?}",
            both.missing_families()
        );
        assert!(both.check().is_empty());
        let g = both.glyph('𡒄').expect("BabelStone Han has 𡒄");
        assert!(dots(&g) > 40, "{}", picture(&g));
    }

    #[test]
    fn glyphs_are_cached_with_their_absence() {
        let glyphs = FontGlyphs::from_system(&["Noto Sans CJK SC"]).expect("noto");
        assert_eq!(glyphs.cached(), 0);
        let first = glyphs.glyph('燊');
        assert!(first.is_some());
        assert_eq!(glyphs.glyph('燊'), first);
        assert_eq!(glyphs.glyph('𡒄'), None);
        assert_eq!(glyphs.glyph('𡒄'), None);
        assert_eq!(glyphs.cached(), 2);
    }

    #[test]
    fn no_installed_family_is_an_error_naming_the_packages() {
        let db = fontdb::Database::new();
        let err = FontGlyphs::from_database(&db, &["No Such Family"]).expect_err("no fonts");
        assert!(err.to_string().contains("fonts-babelstone-han"), "{err}");
    }

    #[test]
    fn shifting_keeps_a_span_inside_the_box() {
        assert_eq!(shift_into(2.0, 20.0), 0);
        assert_eq!(shift_into(-1.5, 20.0), 2);
        assert_eq!(shift_into(3.0, 25.2), -2);
    }
}

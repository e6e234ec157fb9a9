//! Shared helpers of the region profile tests: reading the profiles under
//! `data/regions/` and the seed documents (tests may do I/O).

#![allow(dead_code)]

use std::path::PathBuf;

use kiosk_core::region::RegionProfile;

/// `data/regions/` of the repository.
pub fn regions_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/regions")
}

/// The text of a profile file.
pub fn profile_text(file: &str) -> String {
    let path = regions_dir().join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Loads and checks a profile; a broken profile fails the test with the
/// loader's message.
pub fn load(file: &str) -> RegionProfile {
    match RegionProfile::parse(file, &profile_text(file)) {
        Ok(profile) => profile,
        Err(err) => panic!("{err}"),
    }
}

/// The three profiles of the repository.
pub const PROFILES: [&str; 3] = ["jilin.toml", "linkou.toml", "yunnan.toml"];

/// Where the seed documents live: `$KIOSK_SEEDS_DIR`, else `../shared/seeds`
/// next to the repository (issue 5). `None` when they are not there.
pub fn seeds_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("KIOSK_SEEDS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/seeds"));
    dir.is_dir().then_some(dir)
}

/// The lines of a seed file (index 0 is line 1).
pub fn seed_lines(dir: &std::path::Path, file: &str) -> Vec<String> {
    let path = dir.join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.split('\n').map(str::to_string).collect()
}

/// Normalised form used to compare profile text with OCR'd seed lines:
/// `[bookmark: …]` tags and all white space removed, half-width brackets
/// and punctuation mapped to full width, and the OCR variants the profiles
/// correct (`«` for `《`, `釆` for `采`, full-width digits) mapped to the
/// corrected form.
pub fn normalise(text: &str) -> String {
    let mut without_tags = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("[bookmark:") {
        without_tags.push_str(&rest[..start]);
        match rest[start..].find(']') {
            Some(end) => rest = &rest[start + end + 1..],
            None => {
                rest = "";
            }
        }
    }
    without_tags.push_str(rest);
    without_tags
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '(' => '（',
            ')' => '）',
            ',' => '，',
            ':' => '：',
            ';' => '；',
            '«' => '《',
            '»' => '》',
            '釆' => '采',
            // Full-width digits (seed 003 mixes them in: `１.`, `2５种`).
            c @ '０'..='９' => {
                char::from_u32(u32::from(c) - 0xFF10 + u32::from('0')).unwrap_or(c)
            }
            c => c,
        })
        .collect()
}

//! Rare-character glyphs for the printer (`FS 2` user-defined characters):
//! the cost of the production glyph source, cold (font discovery, then
//! the first rasterisation of each character) and cached.
//!
//! `cargo bench -p kiosk-drivers --bench glyphs` (needs fonts-noto-cjk and
//! fonts-babelstone-han, as the tests do). Prints the figures.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::time::{Duration, Instant};

use kiosk_drivers::printer::escpos::GlyphSource;
use kiosk_drivers::printer::glyphs::{DEFAULT_FAMILIES, FontGlyphs};

/// Characters of rare names (CJK Extension A–G and a few outside GBK).
const RARE: &str = "䶮𠇔𡒄堃喆燊昇𪚥𠀾𡘙𤭢𫚉𬀩𬱖";

fn fmt(d: Duration) -> String {
    if d < Duration::from_millis(1) {
        format!("{:.2} µs", d.as_secs_f64() * 1e6)
    } else {
        format!("{:.2} ms", d.as_secs_f64() * 1e3)
    }
}

fn main() {
    let started = Instant::now();
    let glyphs = FontGlyphs::from_system(DEFAULT_FAMILIES).expect("CJK fonts installed");
    let discovery = started.elapsed();
    println!("font discovery (fontdb, system fonts): {}", fmt(discovery));
    println!("families: {:?}", glyphs.families());

    let mut cold = Vec::new();
    let mut found = 0;
    for c in RARE.chars() {
        let t = Instant::now();
        let g = glyphs.glyph(c);
        cold.push(t.elapsed());
        found += usize::from(g.is_some());
    }
    cold.sort();
    println!(
        "cold, first rasterisation per character ({} characters, {found} found): median {}, max {}",
        cold.len(),
        fmt(cold[cold.len() / 2]),
        fmt(cold[cold.len() - 1])
    );

    let rounds = 10_000;
    let t = Instant::now();
    for _ in 0..rounds {
        for c in RARE.chars() {
            std::hint::black_box(glyphs.glyph(c));
        }
    }
    let per = t.elapsed() / (rounds * RARE.chars().count() as u32);
    println!(
        "cached: {} per glyph ({} lookups)",
        fmt(per),
        rounds as usize * RARE.chars().count()
    );
}

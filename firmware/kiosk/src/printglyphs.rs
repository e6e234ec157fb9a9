//! The printer's profile as configured (`[devices] paper_mm`,
//! `printer_charset`, `printer_raster_qr`) with the production glyph source for rare
//! characters in names ([`FontGlyphs`] over the system's CJK fonts), and
//! the health entry `printer_glyphs`: which fonts are in use, and how many
//! characters had no glyph and were printed as 〓 since the kiosk started.
//! The entry never names the characters (they are parts of names).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use kiosk_drivers::printer::escpos::GlyphSource;
use kiosk_drivers::printer::{Charset, FontGlyphs, Job, PrinterProfile};

use crate::device_loop::{DeviceHealth, DeviceState};

/// The health key.
pub const KEY: &str = "printer_glyphs";

/// `printer_charset`: `gb18030` (default) or `gbk`.
pub fn parse_charset(setting: &str) -> Option<Charset> {
    match setting.trim().to_ascii_lowercase().as_str() {
        "gb18030" => Some(Charset::Gb18030),
        "gbk" => Some(Charset::Gbk),
        _ => None,
    }
}

/// The printer's profile, and what happens to characters it lacks.
#[derive(Debug, Clone)]
pub struct PrintGlyphs {
    /// Paper, charset and glyph source: what every job is built for (the
    /// certificate preview too, so it shows what prints).
    pub profile: PrinterProfile,
    fonts: String,
    missing: Arc<AtomicU64>,
    health: DeviceHealth,
}

impl PrintGlyphs {
    /// `printer` (paper, charset, QR) with the system glyph source when a
    /// CJK font is installed (else rare characters print as 〓 and the
    /// health entry says why).
    pub fn new(printer: PrinterProfile, health: DeviceHealth) -> PrintGlyphs {
        let (glyphs, fonts) = match FontGlyphs::system() {
            Ok(g) => {
                let mut fonts = g.families().join(", ");
                if !g.missing_families().is_empty() {
                    fonts.push_str(&format!(
                        " (not installed: {})",
                        g.missing_families().join(", ")
                    ));
                }
                (Some(g), fonts)
            }
            Err(e) => (None, e.to_string()),
        };
        let print = PrintGlyphs {
            profile: PrinterProfile {
                glyphs: glyphs.map(|g| g as &'static dyn GlyphSource),
                ..printer
            },
            fonts,
            missing: Arc::default(),
            health,
        };
        print.publish();
        print
    }

    /// Which fonts give the glyphs, for the start-up report.
    pub fn fonts(&self) -> &str {
        &self.fonts
    }

    /// The count of characters printed as 〓 since start (shared).
    pub fn substitutions(&self) -> Arc<AtomicU64> {
        Arc::clone(&self.missing)
    }

    /// Notes a job's characters printed as 〓 (count only).
    pub fn record(&self, job: &Job) {
        if job.substitutions.is_empty() {
            return;
        }
        let n = job.substitutions.len() as u64;
        self.missing.fetch_add(n, Ordering::Relaxed);
        tracing::warn!(
            characters = n,
            "characters without a glyph in the installed fonts printed as 〓"
        );
        self.publish();
    }

    fn publish(&self) {
        let missing = self.missing.load(Ordering::Relaxed);
        let state = if self.profile.glyphs.is_none() {
            DeviceState::Degraded {
                detail: format!("no glyph source: {}", self.fonts),
            }
        } else if missing > 0 {
            DeviceState::Degraded {
                detail: format!(
                    "{missing} characters without a glyph printed as 〓 since start (fonts: {})",
                    self.fonts
                ),
            }
        } else {
            DeviceState::Ok
        };
        self.health.set(KEY, state);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::health::DeviceBoard;

    #[test]
    fn charsets_parse() {
        assert_eq!(parse_charset("GBK"), Some(Charset::Gbk));
        assert_eq!(parse_charset(" gb18030 "), Some(Charset::Gb18030));
        assert_eq!(parse_charset("utf8"), None);
    }

    #[test]
    fn a_missing_glyph_is_counted_in_health_without_the_character() {
        let board = DeviceBoard::new();
        let health = DeviceHealth::reporting_to(board.clone());
        let print = PrintGlyphs::new(
            PrinterProfile::gbk(kiosk_drivers::printer::Paper::Mm58),
            health.clone(),
        );
        assert!(
            print.fonts().contains("Noto Sans CJK SC"),
            "{}",
            print.fonts()
        );
        assert_eq!(health.snapshot()[KEY].state, DeviceState::Ok);
        // A name with a CJK Extension I character, which no installed
        // font has, on a GBK printer.
        let mut job = Job::default();
        job.substitutions.push('𮯰');
        print.record(&job);
        let DeviceState::Degraded { detail } = &health.snapshot()[KEY].state else {
            panic!("degraded")
        };
        assert!(detail.starts_with("1 characters"), "{detail}");
        assert!(!detail.contains('𮯰'));
        let reported = board.snapshot();
        let entry = reported
            .iter()
            .find(|d| d.device == KEY)
            .expect("on the board");
        assert_eq!(entry.state, crate::health::DEGRADED);
    }
}

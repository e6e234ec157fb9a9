//! ESC/POS job builder for Chinese thermal printers.
//!
//! Text is sent in Chinese mode (`FS &`, sent explicitly after every
//! `ESC @`; never assumed) and encoded as GB18030, or — on a printer
//! profile that says [`Charset::Gbk`] — as GBK only: no 4-byte GB18030
//! sequence and no single-byte `0x80` ever leaves the builder; symbols
//! outside GBK are replaced by a GBK form (`¥` → `￥`, `€` → `欧元`, …) or,
//! when there is none, by `〓` (the typesetter's mark for a missing glyph)
//! and reported in [`Job::substitutions`] — never a silent `?`.
//!
//! Widths are counted in printer cells: ASCII takes one 12-dot cell, any
//! other character two (a 24-dot full-width glyph).
//!
//! Command bytes come from the `escpos` crate where it has them right
//! (`ESC @`, `ESC a`, `ESC E`, `GS !`, `ESC d`, and the whole `GS ( k` QR
//! sequence through its `Printer`); Chinese mode, text encoding, raster
//! images and the cut are written here (see ARCHITECTURE.md, "Printing").

use std::cell::RefCell;
use std::rc::Rc;

use encoding_rs::{GB18030, GBK};
use escpos::utils as cmd;
use kiosk_core::documents::Bitmap;

/// Paper width.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Paper {
    /// 58 mm: 384 dots, 32 cells.
    #[default]
    Mm58,
    /// 80 mm: 576 dots, 48 cells.
    Mm80,
}

impl Paper {
    /// Cells per line at normal size.
    pub fn cells(self) -> usize {
        match self {
            Paper::Mm58 => 32,
            Paper::Mm80 => 48,
        }
    }

    /// Dots per line.
    pub fn dots(self) -> u32 {
        match self {
            Paper::Mm58 => 384,
            Paper::Mm80 => 576,
        }
    }

    /// `58` or `80` (a trailing `mm` is accepted).
    pub fn parse(text: &str) -> Option<Paper> {
        match text.trim().trim_end_matches("mm") {
            "58" => Some(Paper::Mm58),
            "80" => Some(Paper::Mm80),
            _ => None,
        }
    }
}

/// The character set the printer's Chinese mode understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Charset {
    /// GB18030 (2- and 4-byte sequences).
    #[default]
    Gb18030,
    /// GBK only: 2-byte sequences; everything else is replaced.
    Gbk,
}

/// Bitmaps for characters the printer cannot print (rare characters in
/// names, 生僻字): a 24×24 glyph as `FS 2` wants it, 24 columns of 3
/// bytes, top bit first. The kiosk's is [`super::glyphs::FontGlyphs`].
pub trait GlyphSource: Send + Sync {
    /// The glyph of `c`, if the source has one.
    fn glyph(&self, c: char) -> Option<[u8; 72]>;
}

/// What the kiosk knows about its printer (from the configuration).
#[derive(Clone, Copy, Default)]
pub struct PrinterProfile {
    /// Paper width.
    pub paper: Paper,
    /// Character set of Chinese mode.
    pub charset: Charset,
    /// Where to get bitmaps for characters the printer cannot print
    /// (outside GBK on a GBK printer; beyond the GB 18030 mandatory set,
    /// i.e. CJK Extensions B–H, on a GB18030 printer), sent as user-defined
    /// characters (`FS 2`, codes FE A1..FE FE, up to 94 per job) and
    /// printed in line with the text. A character the source lacks is
    /// printed as 〓 and reported in [`Job::substitutions`]. `None`: on
    /// GBK such characters are all 〓; on GB18030 they are sent as their
    /// 4-byte codes.
    pub glyphs: Option<&'static dyn GlyphSource>,
    /// The printer has no QR command (`GS ( k`): QR codes are drawn here
    /// and sent as a raster image.
    pub raster_qr: bool,
}

impl std::fmt::Debug for PrinterProfile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrinterProfile")
            .field("paper", &self.paper)
            .field("charset", &self.charset)
            .field("glyphs", &self.glyphs.is_some())
            .field("raster_qr", &self.raster_qr)
            .finish()
    }
}

impl PrinterProfile {
    /// A GB18030 profile on `paper`.
    pub fn new(paper: Paper) -> PrinterProfile {
        PrinterProfile {
            paper,
            charset: Charset::Gb18030,
            glyphs: None,
            raster_qr: false,
        }
    }

    /// A GBK-only profile on `paper`.
    pub fn gbk(paper: Paper) -> PrinterProfile {
        PrinterProfile {
            paper,
            charset: Charset::Gbk,
            glyphs: None,
            raster_qr: false,
        }
    }
}

/// Horizontal alignment (`ESC a n`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// 0
    Left,
    /// 1
    Centre,
    /// 2
    Right,
}

/// Width of a string in printer cells: 2 for anything outside ASCII.
pub fn cell_width(text: &str) -> usize {
    text.chars().map(char_cells).sum()
}

/// Cells of one character.
pub fn char_cells(c: char) -> usize {
    if c.is_ascii() { 1 } else { 2 }
}

/// The GBK stand-in for a character GBK printers cannot print, when there
/// is a conventional one.
fn gbk_replacement(c: char) -> Option<&'static str> {
    Some(match c {
        '¥' => "￥",
        '€' => "欧元",
        '£' => "英镑",
        '•' | '∙' => "·",
        '‐' | '‑' | '‒' | '−' => "-",
        '№' => "No.",
        '™' => "TM",
        '©' => "(C)",
        '®' => "(R)",
        '\u{00A0}' | '\u{3000}' => "  ",
        _ => return None,
    })
}

/// The mark printed for a character that has no GBK form.
pub const MISSING_GLYPH: char = '〓';

/// How one character leaves the builder.
#[derive(Debug, Clone, Copy)]
enum Form {
    /// In the printer's charset and font.
    Direct,
    /// A conventional GBK stand-in.
    Replaced(&'static str),
    /// A user-defined character (`FS 2`) from the glyph source.
    User,
    /// Printed as [`MISSING_GLYPH`] and reported.
    Missing,
}

/// Whether `c` is beyond the font of a GB18030 printer: thermal printers
/// implement the GB 18030 mandatory set (the 2-byte area and CJK Extension
/// A, all in the BMP), so the ideographs of the supplementary planes (CJK
/// Extensions B–H, compatibility supplement) are sent as user-defined
/// characters when a glyph source has them.
fn beyond_printer_font(c: char) -> bool {
    u32::from(c) >= 0x2_0000
}

/// A finished job: the bytes, the offsets where a real-time status query
/// may be inserted without splitting a command (after each line feed,
/// mode command, image band or QR code), and what was replaced.
///
/// `Debug` shows sizes only: the bytes hold personal data.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Job {
    /// The ESC/POS bytes.
    pub bytes: Vec<u8>,
    /// Offsets (ascending, each ≤ `bytes.len()`) at command boundaries.
    pub checkpoints: Vec<usize>,
    /// Characters that had no form in the printer's character set and font
    /// nor a glyph from the profile's source, and were printed as
    /// [`MISSING_GLYPH`] (a GB18030 profile without a glyph source sends
    /// every character as itself and reports none).
    pub substitutions: Vec<char>,
    /// Elements left out (e.g. a QR payload the printer cannot hold).
    pub omitted: Vec<&'static str>,
    /// Characters outside GBK sent as user-defined characters (`FS 2`),
    /// in code order from FE A1.
    pub user_glyphs: Vec<char>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job")
            .field("bytes", &self.bytes.len())
            .field("checkpoints", &self.checkpoints.len())
            .field("substitutions", &self.substitutions.len())
            .field("omitted", &self.omitted)
            .field("user_glyphs", &self.user_glyphs.len())
            .finish()
    }
}

/// An `escpos::driver::Driver` that keeps what the crate's `Printer`
/// writes, so the crate can generate command bytes for a job.
#[derive(Clone, Default)]
struct Capture(Rc<RefCell<Vec<u8>>>);

impl escpos::driver::Driver for Capture {
    fn name(&self) -> String {
        "capture".to_string()
    }
    fn write(&self, data: &[u8]) -> escpos::errors::Result<()> {
        self.0.borrow_mut().extend_from_slice(data);
        Ok(())
    }
    fn read(&self, _buf: &mut [u8]) -> escpos::errors::Result<usize> {
        Ok(0)
    }
    fn flush(&self) -> escpos::errors::Result<()> {
        Ok(())
    }
}

/// The `GS ( k` sequence (model 2, module size, level M, store, print) as
/// the `escpos` crate builds it; `None` when the crate refuses the data.
fn qr_commands(data: &str, module: u8) -> Option<Vec<u8>> {
    use escpos::utils::{QRCodeCorrectionLevel, QRCodeModel, QRCodeOption};
    let capture = Capture::default();
    let mut printer =
        escpos::printer::Printer::new(capture.clone(), escpos::utils::Protocol::default(), None);
    printer
        .qrcode_option(
            data,
            QRCodeOption::new(QRCodeModel::Model2, module, QRCodeCorrectionLevel::M),
        )
        .ok()?
        .print()
        .ok()?;
    Some(capture.0.take())
}

/// The QR code of `data` (model 2, level M) as a bitmap of `module`-dot
/// squares with the 4-module quiet zone; `None` when the data does not
/// fit a QR code.
fn qr_bitmap(data: &str, module: u8) -> Option<Bitmap> {
    use embedded_graphics::pixelcolor::BinaryColor;
    use embedded_graphics::prelude::*;
    use embedded_graphics::primitives::{PrimitiveStyle, Rectangle};
    const QUIET: u32 = 4;
    let code = qrcode::QrCode::with_error_correction_level(data, qrcode::EcLevel::M).ok()?;
    let n = u32::try_from(code.width()).ok()?;
    let m = u32::from(module);
    let mut image = Bitmap::blank((n + 2 * QUIET) * m, (n + 2 * QUIET) * m)?;
    let dark = PrimitiveStyle::with_fill(BinaryColor::On);
    for (i, colour) in code.to_colors().iter().enumerate() {
        if *colour == qrcode::Color::Dark {
            let i = i as u32;
            let at = |k: u32| ((k + QUIET) * m) as i32;
            // Drawing into a bitmap cannot fail (Infallible).
            let _ = Rectangle::new(Point::new(at(i % n), at(i / n)), Size::new(m, m))
                .into_styled(dark)
                .draw(&mut image);
        }
    }
    Some(image)
}

/// Builds a job byte by byte.
#[derive(Clone)]
pub struct EscPos {
    charset: Charset,
    glyphs: Option<&'static dyn GlyphSource>,
    raster_qr: bool,
    job: Job,
}

impl std::fmt::Debug for EscPos {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EscPos")
            .field("charset", &self.charset)
            .field("job", &self.job)
            .finish_non_exhaustive()
    }
}

impl Default for EscPos {
    fn default() -> Self {
        EscPos::new()
    }
}

impl EscPos {
    /// A GB18030 job that starts with `ESC @` and enters Chinese mode.
    pub fn new() -> EscPos {
        EscPos::with_charset(Charset::Gb18030)
    }

    /// A job for a printer with `charset`.
    pub fn with_charset(charset: Charset) -> EscPos {
        let mut job = EscPos {
            charset,
            glyphs: None,
            raster_qr: false,
            job: Job::default(),
        };
        job.init();
        job
    }

    /// A job for the printer of `profile` (charset and glyph source).
    pub fn for_profile(profile: &PrinterProfile) -> EscPos {
        let mut job = EscPos::with_charset(profile.charset);
        job.glyphs = profile.glyphs;
        job.raster_qr = profile.raster_qr;
        job
    }

    /// The user-defined code (FE A1 + n) for `c`, defining it with `FS 2`
    /// the first time; `None` when there is no glyph or no free code.
    fn user_code(&mut self, c: char) -> Option<[u8; 2]> {
        let code = |i: usize| [0xFE, 0xA1 + i as u8];
        if let Some(i) = self.job.user_glyphs.iter().position(|&u| u == c) {
            return Some(code(i));
        }
        let i = self.job.user_glyphs.len();
        if i >= 94 {
            return None;
        }
        let glyph = self.glyphs?.glyph(c)?;
        let [c1, c2] = code(i);
        self.job.bytes.extend_from_slice(&[0x1C, 0x32, c1, c2]);
        self.job.bytes.extend_from_slice(&glyph);
        self.job.user_glyphs.push(c);
        Some([c1, c2])
    }

    fn has_glyph(&self, c: char) -> bool {
        self.job.user_glyphs.contains(&c) || self.glyphs.is_some_and(|g| g.glyph(c).is_some())
    }

    fn checkpoint(&mut self) {
        let at = self.job.bytes.len();
        if self.job.checkpoints.last() != Some(&at) {
            self.job.checkpoints.push(at);
        }
    }

    fn command(&mut self, parts: &[&[u8]]) -> &mut Self {
        for p in parts {
            self.job.bytes.extend_from_slice(p);
        }
        self.checkpoint();
        self
    }

    /// `ESC @` then `FS &`: after every initialisation the printer leaves
    /// Chinese mode, so it is entered again explicitly.
    pub fn init(&mut self) -> &mut Self {
        self.command(&[cmd::ESC_HARDWARE_INIT, &[0x1C, 0x26]])
    }

    /// `ESC a n`.
    pub fn align(&mut self, align: Align) -> &mut Self {
        let c = match align {
            Align::Left => cmd::ESC_TEXT_JUSTIFY_LEFT,
            Align::Centre => cmd::ESC_TEXT_JUSTIFY_CENTER,
            Align::Right => cmd::ESC_TEXT_JUSTIFY_RIGHT,
        };
        self.command(&[c])
    }

    /// `ESC E n`.
    pub fn bold(&mut self, on: bool) -> &mut Self {
        let c = if on {
            cmd::ESC_TEXT_EMPHASIS_ON
        } else {
            cmd::ESC_TEXT_EMPHASIS_OFF
        };
        self.command(&[c])
    }

    /// `GS ! n`: width and height multipliers 1..=8.
    pub fn size(&mut self, width: u8, height: u8) -> &mut Self {
        let w = width.clamp(1, 8) - 1;
        let h = height.clamp(1, 8) - 1;
        self.command(&[cmd::GS_TEXT_SIZE_SELECT, &[(w << 4) | h]])
    }

    /// `ESC $ nL nH`: continue the line at `dots` from the left margin
    /// (4 bytes instead of a run of spaces).
    pub fn position(&mut self, dots: u16) -> &mut Self {
        self.command(&[&[0x1B, 0x24, (dots & 0xFF) as u8, (dots >> 8) as u8]])
    }

    /// How `c` (not a control character) leaves the builder on this
    /// printer.
    fn form(&self, c: char) -> Form {
        match self.charset {
            Charset::Gbk if gbk_encodes(c) => Form::Direct,
            Charset::Gbk => match gbk_replacement(c) {
                Some(rep) => Form::Replaced(rep),
                None if self.has_glyph(c) => Form::User,
                None => Form::Missing,
            },
            Charset::Gb18030 if self.glyphs.is_none() || !beyond_printer_font(c) => Form::Direct,
            Charset::Gb18030 if self.has_glyph(c) => Form::User,
            Charset::Gb18030 => Form::Missing,
        }
    }

    /// `text` as this printer will print it: control characters as spaces
    /// and characters the printer cannot print replaced (see the module
    /// docs). Use it to measure.
    pub fn printable(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        for c in text.chars() {
            if c.is_control() {
                out.push(' ');
                continue;
            }
            match self.form(c) {
                Form::Direct | Form::User => out.push(c),
                Form::Replaced(rep) => out.push_str(rep),
                Form::Missing => out.push(MISSING_GLYPH),
            }
        }
        out
    }

    /// `text` as this printer will print it ([`EscPos::printable`]), and
    /// the characters printed as [`MISSING_GLYPH`] recorded in
    /// [`Job::substitutions`]: for layouts that measure before they print.
    pub fn prepare(&mut self, text: &str) -> String {
        for c in text.chars() {
            if !c.is_control() && matches!(self.form(c), Form::Missing) {
                self.job.substitutions.push(c);
            }
        }
        self.printable(text)
    }

    /// How many characters were printed (or prepared) as
    /// [`MISSING_GLYPH`] so far.
    pub fn substitution_count(&self) -> usize {
        self.job.substitutions.len()
    }

    /// Text (no line feed), encoded for the printer's charset. Control
    /// characters (line feeds, ESC, …) in the text become spaces, so data
    /// from a card or the centre can never inject printer commands.
    pub fn text(&mut self, text: &str) -> &mut Self {
        let cleaned;
        let text = if text.chars().any(char::is_control) {
            cleaned = text
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect::<String>();
            cleaned.as_str()
        } else {
            text
        };
        if self.charset == Charset::Gb18030
            && (self.glyphs.is_none() || !text.chars().any(beyond_printer_font))
        {
            let (encoded, _, _) = GB18030.encode(text);
            self.job.bytes.extend_from_slice(&encoded);
            return self;
        }
        for c in text.chars() {
            match self.form(c) {
                Form::Direct => self.push_char(c),
                Form::Replaced(rep) => {
                    for r in rep.chars() {
                        push_gbk(&mut self.job.bytes, r);
                    }
                }
                Form::User => match self.user_code(c) {
                    Some(code) => self.job.bytes.extend_from_slice(&code),
                    None => self.push_missing(c),
                },
                Form::Missing => self.push_missing(c),
            }
        }
        self
    }

    /// One character in the printer's charset.
    fn push_char(&mut self, c: char) {
        let mut buf = [0u8; 4];
        let encoding = match self.charset {
            Charset::Gb18030 => GB18030,
            Charset::Gbk => GBK,
        };
        let (bytes, _, _) = encoding.encode(c.encode_utf8(&mut buf));
        self.job.bytes.extend_from_slice(&bytes);
    }

    /// [`MISSING_GLYPH`] for `c`, recorded.
    fn push_missing(&mut self, c: char) {
        self.job.substitutions.push(c);
        push_gbk(&mut self.job.bytes, MISSING_GLYPH);
    }

    /// Text and a line feed.
    pub fn line(&mut self, text: &str) -> &mut Self {
        self.text(text);
        self.job.bytes.push(0x0A);
        self.checkpoint();
        self
    }

    /// `ESC d n`: print and feed n lines.
    pub fn feed(&mut self, lines: u8) -> &mut Self {
        self.command(&[cmd::ESC_PAPER_FEED, &[lines]])
    }

    /// A QR code, model 2, error level M, `module` dots per module
    /// (1..=16): drawn by the printer (`GS ( k`: store, print), or on a
    /// profile with `raster_qr` drawn here and sent as a raster image
    /// (with the 4-module quiet zone), centred by the current alignment.
    pub fn qr(&mut self, data: &str, module: u8) -> &mut Self {
        if self.raster_qr {
            return match qr_bitmap(data, module.clamp(1, 16)) {
                Some(image) => self.raster(&image, 0),
                None => {
                    self.job.omitted.push("QR code");
                    self
                }
            };
        }
        match qr_commands(data, module.clamp(1, 16)) {
            Some(bytes) => self.command(&[&bytes]),
            None => {
                self.job.omitted.push("QR code");
                self
            }
        }
    }

    /// A 1-bit image as `GS v 0` raster bands of at most 256 rows,
    /// centred by the current alignment. Images wider than `max_dots` are
    /// scaled down (nearest neighbour) to fit.
    pub fn raster(&mut self, image: &Bitmap, max_dots: u32) -> &mut Self {
        let scaled;
        let image = if image.width() > max_dots && max_dots > 0 {
            scaled = scale_to_width(image, max_dots);
            &scaled
        } else {
            image
        };
        let row = image.row_bytes();
        let Ok(xb) = u16::try_from(row) else {
            self.job.omitted.push("image");
            return self;
        };
        let height = image.height() as usize;
        let mut y = 0;
        while y < height {
            let band = (height - y).min(256);
            // band <= 256 fits u16.
            let yb = band as u16;
            let header = [
                0x1D,
                0x76,
                0x30,
                0x00,
                (xb & 0xFF) as u8,
                (xb >> 8) as u8,
                (yb & 0xFF) as u8,
                (yb >> 8) as u8,
            ];
            let data = image
                .bits()
                .get(y * row..(y + band) * row)
                .unwrap_or_default();
            self.command(&[&header, data]);
            y += band;
        }
        self
    }

    /// `GS V B n`: feed to the cutter (n = 48 dots) and partial cut.
    pub fn cut(&mut self) -> &mut Self {
        self.command(&[&[0x1D, 0x56, 0x42, 0x30]])
    }

    /// The finished job.
    pub fn finish(mut self) -> Job {
        self.checkpoint();
        self.job
    }

    /// The finished job's bytes.
    pub fn into_bytes(self) -> Vec<u8> {
        self.job.bytes
    }

    /// The bytes so far.
    pub fn as_bytes(&self) -> &[u8] {
        &self.job.bytes
    }

    /// The character set.
    pub fn charset(&self) -> Charset {
        self.charset
    }
}

/// Whether `c` is ASCII or has a 2-byte GBK code (the `0x80` euro of
/// Windows code page 936 is not accepted: GBK printers lack it).
fn gbk_encodes(c: char) -> bool {
    if c.is_ascii() {
        return !c.is_ascii_control() || c == '\n';
    }
    let mut buf = [0u8; 4];
    let (out, _, unmappable) = GBK.encode(c.encode_utf8(&mut buf));
    !unmappable && out.len() == 2
}

fn push_gbk(out: &mut Vec<u8>, c: char) {
    let mut buf = [0u8; 4];
    let (bytes, _, _) = GBK.encode(c.encode_utf8(&mut buf));
    out.extend_from_slice(&bytes);
}

/// Nearest-neighbour scaling of a bitmap to `width` dots.
fn scale_to_width(image: &Bitmap, width: u32) -> Bitmap {
    let height = (u64::from(image.height()) * u64::from(width) / u64::from(image.width().max(1)))
        .max(1) as u32;
    let mut out = Bitmap::blank(width, height)
        .or_else(|| Bitmap::blank(1, 1))
        .unwrap_or_else(|| image.clone());
    for y in 0..out.height() {
        let sy = (u64::from(y) * u64::from(image.height()) / u64::from(out.height())) as u32;
        for x in 0..out.width() {
            let sx = (u64::from(x) * u64::from(image.width()) / u64::from(out.width())) as u32;
            if image.get(sx, sy) {
                out.set(x, y, true);
            }
        }
    }
    out
}

/// Length of the element starting at `bytes[i]`: a command the builder
/// emits (by its known length), a double-byte character, or one byte.
fn element_len(bytes: &[u8], i: usize) -> (usize, bool) {
    let at = |k: usize| usize::from(bytes.get(i + k).copied().unwrap_or(0));
    let (len, is_command) = match bytes[i] {
        0x1B => match bytes.get(i + 1) {
            Some(b'@') => (2, true),
            Some(b'a' | b'E' | b'd') => (3, true),
            Some(b'$') => (4, true),
            _ => (2, true),
        },
        0x1C => match bytes.get(i + 1) {
            Some(b'2') => (76, true),
            _ => (2, true),
        },
        0x10 => (3, true),
        0x1D => match bytes.get(i + 1) {
            Some(b'!') => (3, true),
            Some(b'V') => (4, true),
            Some(b'(') => (5 + at(3) + at(4) * 256, true),
            Some(b'v') => (8 + (at(4) + at(5) * 256) * (at(6) + at(7) * 256), true),
            _ => (2, true),
        },
        0x81..=0xFE => match bytes.get(i + 1) {
            Some(0x30..=0x39) => (4, false),
            _ => (2, false),
        },
        0x0A => (1, true),
        _ => (1, false),
    };
    (len.max(1), is_command)
}

/// Scans ESC/POS bytes for text runs and reports whether any 4-byte
/// GB18030 sequence (or single byte 0x80) occurs in them. Commands the
/// builder emits are skipped by their known lengths. For tests and for a
/// paranoid check before sending to a GBK printer.
pub fn has_non_gbk_text(bytes: &[u8]) -> bool {
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == 0x80 {
            return true;
        }
        let (len, is_command) = element_len(bytes, i);
        if !is_command && len == 4 {
            return true;
        }
        i += len;
    }
    false
}

/// The command boundaries of a job built by [`EscPos`] (after each command
/// and line feed), recovered from its bytes: what [`Job::checkpoints`]
/// held, for a job read back from the print journal.
pub fn checkpoints_of(bytes: &[u8]) -> Vec<usize> {
    let mut points = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let (len, is_command) = element_len(bytes, i);
        i = (i + len).min(bytes.len());
        if is_command {
            points.push(i);
        }
    }
    if points.last() != Some(&bytes.len()) {
        points.push(bytes.len());
    }
    points
}

impl Job {
    /// A job from bytes stored earlier (checkpoints recovered, nothing
    /// substituted or omitted on record).
    pub fn from_bytes(bytes: Vec<u8>) -> Job {
        Job {
            checkpoints: checkpoints_of(&bytes),
            bytes,
            ..Job::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_with_init_then_chinese_mode() {
        assert_eq!(EscPos::new().as_bytes(), &[0x1B, 0x40, 0x1C, 0x26]);
    }

    #[test]
    fn chinese_text_is_gb18030() {
        let mut job = EscPos::new();
        job.line("参保");
        // 参 = B2 CE, 保 = B1 A3 in GB18030/GBK.
        assert_eq!(&job.as_bytes()[4..], &[0xB2, 0xCE, 0xB1, 0xA3, 0x0A]);
    }

    #[test]
    fn yen_is_four_bytes_in_gb18030_and_fullwidth_in_gbk() {
        let mut job = EscPos::new();
        job.text("¥");
        assert_eq!(&job.as_bytes()[4..], &[0x81, 0x30, 0x84, 0x36]);
        assert!(has_non_gbk_text(job.as_bytes()));
        let mut job = EscPos::with_charset(Charset::Gbk);
        job.text("¥");
        assert_eq!(&job.as_bytes()[4..], &[0xA3, 0xA4]);
        assert!(!has_non_gbk_text(job.as_bytes()));
    }

    #[test]
    fn gbk_never_sends_four_byte_sequences_nor_question_marks() {
        let text = "余额¥1,234.56 €5 • 𠮷野家 䶮 ✓ 人民币";
        let mut job = EscPos::with_charset(Charset::Gbk);
        job.line(text);
        let bytes = job.as_bytes();
        assert!(!has_non_gbk_text(bytes));
        assert!(!bytes[4..].contains(&b'?'), "never a silent question mark");
        let (decoded, _, bad) = GBK.decode(&bytes[4..]);
        assert!(!bad);
        assert!(decoded.contains("￥1,234.56"));
        assert!(decoded.contains("欧元5"));
        assert!(decoded.contains("〓野家"));
        let job = job.finish();
        assert_eq!(job.substitutions, vec!['𠮷', '✓']);
    }

    #[test]
    fn control_characters_cannot_inject_commands() {
        for charset in [Charset::Gb18030, Charset::Gbk] {
            let mut job = EscPos::with_charset(charset);
            job.text("李\u{1b}@秀\n兰\u{1d}V\u{0}");
            let body = &job.as_bytes()[4..];
            assert!(!body.iter().any(|b| *b < 0x20), "{charset:?}: {body:02X?}");
            assert_eq!(job.printable("a\nb"), "a b");
        }
    }

    #[test]
    fn debug_shows_no_text() {
        let mut job = EscPos::new();
        job.line("李秀兰 220203198508232046");
        let debug = format!("{job:?} {:?}", job.clone().finish());
        assert!(!debug.contains("220203"), "{debug}");
        assert!(!debug.contains("178"), "no byte values: {debug}");
    }

    struct Boxes;

    impl GlyphSource for Boxes {
        fn glyph(&self, c: char) -> Option<[u8; 72]> {
            (c == '𠮷' || c == '𪚥').then_some([0xFF; 72])
        }
    }

    static BOXES: Boxes = Boxes;

    #[test]
    fn rare_characters_become_user_defined_characters_on_gbk() {
        let profile = PrinterProfile {
            glyphs: Some(&BOXES),
            ..PrinterProfile::gbk(Paper::Mm58)
        };
        let mut job = EscPos::for_profile(&profile);
        assert_eq!(job.printable("吉𠮷"), "吉𠮷");
        job.line("𠮷野 𪚥 𠮷 ✓");
        let job = job.finish();
        assert!(!has_non_gbk_text(&job.bytes));
        assert_eq!(job.user_glyphs, vec!['𠮷', '𪚥']);
        assert_eq!(job.substitutions, vec!['✓']);
        // Defined once each, used by code.
        let defs = job
            .bytes
            .windows(4)
            .filter(|w| w[..2] == [0x1C, 0x32])
            .count();
        assert_eq!(defs, 2);
        assert_eq!(&job.bytes[4..8], &[0x1C, 0x32, 0xFE, 0xA1]);
        assert_eq!(&job.bytes[80..82], &[0xFE, 0xA1]);
        assert!(checkpoints_of(&job.bytes).contains(&80));
    }

    #[test]
    fn rare_characters_beyond_the_mandatory_set_become_user_defined_on_gb18030() {
        let profile = PrinterProfile {
            glyphs: Some(&BOXES),
            ..PrinterProfile::new(Paper::Mm58)
        };
        let mut job = EscPos::for_profile(&profile);
        // 䶮 (Ext A) and ¥ are in the printer's GB18030 font; 𠮷 (Ext B)
        // comes from the glyph source; 𡒄 (Ext B) has no glyph: 〓.
        assert_eq!(job.printable("䶮𠮷𡒄"), "䶮𠮷〓");
        job.line("¥䶮𠮷𡒄");
        let job = job.finish();
        assert_eq!(job.user_glyphs, vec!['𠮷']);
        assert_eq!(job.substitutions, vec!['𡒄']);
        // The definition (FS 2 FE A1 + 72 bytes) comes where 𠮷 is first
        // met; without it the rest is GB18030 text.
        let at = job
            .bytes
            .windows(4)
            .position(|w| w == [0x1C, 0x32, 0xFE, 0xA1])
            .unwrap();
        let mut body = job.bytes[4..at].to_vec();
        body.extend_from_slice(&job.bytes[at + 76..]);
        let (text, _, bad) = GB18030.decode(&body);
        assert!(!bad);
        assert!(text.starts_with("¥䶮"), "{text}");
        assert!(body.windows(2).any(|w| w == [0xFE, 0xA1]));
        assert!(text.contains('〓'));
        // Without a source every character goes as itself.
        let mut plain = EscPos::new();
        plain.line("𠮷𡒄");
        let plain = plain.finish();
        assert!(plain.substitutions.is_empty() && plain.user_glyphs.is_empty());
        assert_eq!(GB18030.decode(&plain.bytes[4..]).0, "𠮷𡒄\n");
    }

    #[test]
    fn a_printer_without_qr_commands_gets_the_code_as_a_raster_image() {
        let profile = PrinterProfile {
            raster_qr: true,
            ..PrinterProfile::new(Paper::Mm58)
        };
        let mut job = EscPos::for_profile(&profile);
        job.qr("KCV1|220100-2026-0042|abc", 5);
        let b = job.as_bytes();
        assert!(!b.windows(3).any(|w| w == [0x1D, 0x28, 0x6B]), "no GS ( k");
        // Version 2 (25 modules) + 8 quiet modules, 5 dots each: 165 dots
        // square, 21 bytes per row; the top-left finder's first dark row.
        assert_eq!(&b[4..12], &[0x1D, 0x76, 0x30, 0, 21, 0, 165, 0]);
        let row = |y: usize| &b[12 + y * 21..12 + (y + 1) * 21];
        assert!(row(0).iter().all(|&x| x == 0), "quiet zone");
        // Row 20 = module row 0: modules 4..11 dark (the finder), i.e.
        // dots 20..55.
        let dot = |y: usize, x: usize| row(y)[x / 8] & (0x80 >> (x % 8)) != 0;
        assert!(!dot(20, 19) && dot(20, 20) && dot(20, 54) && !dot(20, 55));
    }

    #[test]
    fn every_replacement_is_gbk() {
        for c in ['¥', '€', '£', '•', '−', '№', '™', '©', '®', '\u{3000}'] {
            let rep = gbk_replacement(c).unwrap();
            assert!(rep.chars().all(gbk_encodes), "{c} -> {rep}");
        }
        assert!(gbk_encodes(MISSING_GLYPH));
    }

    #[test]
    fn gbk_characters_keep_their_bytes() {
        // Ordinary CJK, full-width punctuation and ASCII are GBK.
        let mut a = EscPos::new();
        a.line("参保凭证（第0042号）：长春市");
        let mut b = EscPos::with_charset(Charset::Gbk);
        b.line("参保凭证（第0042号）：长春市");
        assert_eq!(a.as_bytes(), b.as_bytes());
    }

    #[test]
    fn qr_length_counts_the_three_header_bytes() {
        let mut job = EscPos::new();
        job.qr("ABC", 6);
        let b = job.as_bytes();
        let store = b.windows(3).position(|w| w == [0x31, 0x50, 0x30]).unwrap();
        assert_eq!(b[store - 2], 6); // pL = 3 data + 3
        assert_eq!(&b[store + 3..store + 6], b"ABC");
        // Model 2, size 6, level M, print.
        assert!(
            b.windows(9)
                .any(|w| w == [0x1D, 0x28, 0x6B, 4, 0, 0x31, 0x41, 0x32, 0])
        );
        assert!(
            b.windows(8)
                .any(|w| w == [0x1D, 0x28, 0x6B, 3, 0, 0x31, 0x43, 6])
        );
        assert!(
            b.windows(8)
                .any(|w| w == [0x1D, 0x28, 0x6B, 3, 0, 0x31, 0x51, 0x30])
        );
    }

    #[test]
    fn raster_bands_and_scaling() {
        let mut img = Bitmap::blank(800, 300).unwrap();
        img.set(0, 0, true);
        let mut job = EscPos::new();
        job.raster(&img, 384);
        let b = job.as_bytes();
        // 384 dots = 48 bytes per row; 300 * 384/800 = 144 rows: one band.
        assert_eq!(&b[4..12], &[0x1D, 0x76, 0x30, 0, 48, 0, 144, 0]);
        assert_eq!(b.len(), 4 + 8 + 48 * 144);
        assert_eq!(b[12], 0x80);
    }

    #[test]
    fn checkpoints_are_at_command_boundaries() {
        let mut job = EscPos::new();
        job.line("一").qr("X", 4).line("二").cut();
        let job = job.finish();
        assert_eq!(job.checkpoints.first(), Some(&4));
        assert_eq!(job.checkpoints.last(), Some(&job.bytes.len()));
        assert!(job.checkpoints.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn checkpoints_survive_the_journal() {
        let mut job = EscPos::new();
        job.align(Align::Centre)
            .line("参保凭证¥")
            .qr("KCV1|220100-2026-0042|abc", 5)
            .raster(&Bitmap::blank(16, 4).unwrap(), 384)
            .feed(2)
            .cut();
        let job = job.finish();
        // Every boundary the builder knew is found again (the scan also
        // finds the finer ones inside, e.g. between the QR sub-commands).
        let recovered = checkpoints_of(&job.bytes);
        assert!(job.checkpoints.iter().all(|p| recovered.contains(p)));
    }

    #[test]
    fn widths_count_cjk_as_two_cells() {
        assert_eq!(cell_width("余额 12.50"), 10);
    }
}

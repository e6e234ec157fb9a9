//! ESC/POS interpreter: parses the byte stream of a kiosk printer job and
//! lays the paper out in printer dots.
//!
//! The interpreter is incremental: bytes can arrive in any chunking (a
//! command split across TCP segments is completed when the rest arrives) and
//! any byte sequence is safe (unknown or malformed commands are skipped and
//! recorded as warnings of the receipt).

use std::fmt::Write as _;

use qrcode::{EcLevel, QrCode, Version};

use super::PrinterFaults;

/// Width of a half-width (ASCII) character cell, in dots, at size 1.
pub(crate) const ASCII_CELL_W: u32 = 12;
/// Width of a full-width (CJK) character cell, in dots, at size 1.
pub(crate) const CJK_CELL_W: u32 = 24;
/// Height of a character cell, in dots, at size 1.
pub(crate) const CELL_H: u32 = 24;
/// Line spacing after `ESC @` or `ESC 2`, in dots (about 3.75 mm at 203 dpi).
pub(crate) const DEFAULT_LINE_SPACING: u32 = 30;
/// Horizontal tab stops are every 8 half-width cells (the Epson default).
const TAB_STOP: u32 = 8 * ASCII_CELL_W;
/// Largest command payload that is kept (a raster image of 4 MiB is a
/// 576-dot-wide image over 50 m long); larger payloads are skipped.
const MAX_PAYLOAD: usize = 4 << 20;
/// Warnings kept per receipt; further ones are only counted.
const MAX_WARNINGS: usize = 64;
/// Paper length (dots) of one receipt that is laid out and rendered
/// (about 5 m); text beyond it still reaches the decoded text.
pub(crate) const MAX_PAGE_DOTS: u32 = 40_000;

/// Horizontal alignment (`ESC a`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Align {
    Left,
    Center,
    Right,
}

/// Character print style.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Style {
    pub bold: bool,
    /// Underline thickness in dots (0, 1 or 2).
    pub underline: u8,
    /// White on black (`GS B`).
    pub reverse: bool,
    /// Width multiplier 1..=8.
    pub wmul: u8,
    /// Height multiplier 1..=8.
    pub hmul: u8,
}

impl Default for Style {
    fn default() -> Self {
        Style {
            bold: false,
            underline: 0,
            reverse: false,
            wmul: 1,
            hmul: 1,
        }
    }
}

/// One printed character cell.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Glyph {
    /// Left edge in dots from the left of the printable area.
    pub x: u32,
    pub ch: char,
    /// Full-width (24-dot) cell: every multi-byte code in Chinese mode.
    pub wide: bool,
    pub style: Style,
}

impl Glyph {
    pub(crate) fn width(&self) -> u32 {
        let base = if self.wide { CJK_CELL_W } else { ASCII_CELL_W };
        base * u32::from(self.style.wmul)
    }

    pub(crate) fn height(&self) -> u32 {
        CELL_H * u32::from(self.style.hmul)
    }
}

/// A 1-bit image, row-major, `true` = black dot.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Bitmap {
    pub width: u32,
    pub height: u32,
    pub pixels: Vec<bool>,
}

/// What a block of the paper holds.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum BlockKind {
    /// A text line: glyphs bottom-aligned in a band `height` dots tall.
    Text { glyphs: Vec<Glyph>, height: u32 },
    /// A raster image or QR symbol with its left edge at `x`.
    Image { x: u32, bitmap: Bitmap },
}

/// A block placed at `y` dots from the top of the receipt.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Block {
    pub y: u32,
    pub kind: BlockKind,
}

/// How the auto-cutter cut.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CutKind {
    Full,
    Partial,
}

/// How a receipt ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PageEnd {
    Cut(CutKind),
    /// The connection closed with content pending (the paper is torn off).
    Closed,
}

/// One finished receipt, laid out but not rendered.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Page {
    /// Printable width in dots.
    pub width: u32,
    pub blocks: Vec<Block>,
    /// Paper used, in dots (including feeds).
    pub height: u32,
    /// Decoded text, one entry per printed line.
    pub lines: Vec<String>,
    pub warnings: Vec<String>,
    /// Bytes of the stream that made this receipt.
    pub bytes: usize,
    pub end: PageEnd,
    /// User-defined Chinese characters (`FS 2`) in force, by the character
    /// their code decodes to: 24 columns of 3 bytes, top bit first.
    pub user_glyphs: std::collections::HashMap<char, Vec<u8>>,
}

impl Page {
    /// The decoded text: printed lines, then warnings as `[WARNING: ...]`.
    pub(crate) fn text(&self) -> String {
        let mut s = String::new();
        for line in &self.lines {
            s.push_str(line);
            s.push('\n');
        }
        for w in &self.warnings {
            s.push_str("[WARNING: ");
            s.push_str(w);
            s.push_str("]\n");
        }
        s
    }
}

/// Something the interpreter asks the link or its owner to do.
#[derive(Debug)]
pub(crate) enum Event {
    /// Send this status byte back on the link (`DLE EOT n`).
    Reply(u8),
    /// A receipt was cut.
    Page(Page),
    /// `GS a n` was received.
    AutoStatusBack(u8),
    /// The cutter jammed on a cut (`cutter_jam_at_next_cut`): from now on
    /// the printer reports a cutter error until the faults are set again.
    CutterJammed,
}

/// The state of the QR code symbol (`GS ( k`, cn = 49).
#[derive(Clone, Debug)]
struct QrState {
    /// 49 model 1, 50 model 2, 51 micro QR.
    model: u8,
    module: u8,
    ec: EcLevel,
    data: Vec<u8>,
}

impl Default for QrState {
    fn default() -> Self {
        QrState {
            model: 50,
            module: 3,
            ec: EcLevel::L,
            data: Vec::new(),
        }
    }
}

/// The ESC/POS interpreter of one printer (its state persists across
/// connections, like a real printer's).
pub(crate) struct Interpreter {
    width: u32,
    /// Bytes of an incomplete command.
    pending: Vec<u8>,
    /// `pending` must hold this many bytes before parsing is retried.
    need: usize,
    /// Payload bytes still to be discarded (oversized or ignored payloads).
    skip: u64,
    chinese: bool,
    align: Align,
    style: Style,
    spacing: u32,
    qr: QrState,
    // The line buffer.
    line: Vec<Glyph>,
    line_x: u32,
    line_align: Align,
    // The receipt being printed.
    blocks: Vec<Block>,
    y: u32,
    lines: Vec<String>,
    warnings: Vec<String>,
    suppressed: usize,
    bytes: usize,
    has_content: bool,
    overflow_warned: bool,
    offline_warned: bool,
    discarded: usize,
    /// `FS 2` definitions (kept across receipts, like the printer's RAM).
    user_glyphs: std::collections::HashMap<char, Vec<u8>>,
}

/// A parsed command, borrowing its payload from the input.
#[derive(Debug)]
enum Cmd<'a> {
    Char {
        ch: char,
        wide: bool,
        warn: Option<String>,
    },
    Lf,
    Ht,
    Init,
    ChineseMode(bool),
    Align(u8),
    Bold(u8),
    Underline(u8),
    Reverse(u8),
    PrintMode(u8),
    Size(u8),
    FeedLines(u8),
    FeedDots(u8),
    DefaultSpacing,
    Spacing(u8),
    AbsPos(u32),
    RelPos(i32),
    Qr {
        cn: u8,
        fun: u8,
        params: &'a [u8],
    },
    Raster {
        m: u8,
        wbytes: usize,
        height: usize,
        data: &'a [u8],
    },
    Cut {
        m: u8,
        n: u8,
    },
    Status(u8),
    Asb(u8),
    ClearBuffer,
    /// `FS 2 c1 c2 d1..d72`: a user-defined 24×24 Chinese character.
    UserChinese {
        c1: u8,
        c2: u8,
        data: &'a [u8],
    },
    /// Accepted, no visible effect.
    Silent,
    /// Skipped, with a warning.
    Warn(String),
    /// Header consumed; `remaining` payload bytes follow and are discarded.
    SkipPayload {
        warn: String,
        remaining: u64,
    },
}

#[derive(Debug)]
enum Parsed<'a> {
    /// At least this many bytes (from the command start) are needed.
    Need(usize),
    /// A command and its length in bytes.
    Cmd(Cmd<'a>, usize),
}

/// `Need(n)` unless `d` holds `n` bytes.
macro_rules! need {
    ($d:expr, $n:expr) => {
        if $d.len() < $n {
            return Parsed::Need($n);
        }
    };
}

fn hex_bytes(d: &[u8]) -> String {
    let mut s = String::new();
    for (i, b) in d.iter().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        let _ = write!(s, "{b:02X}");
    }
    s
}

fn le16(lo: u8, hi: u8) -> usize {
    usize::from(lo) | (usize::from(hi) << 8)
}

fn unknown(d: &[u8], len: usize, what: &str) -> Parsed<'static> {
    let shown = &d[..len.min(d.len())];
    Parsed::Cmd(
        Cmd::Warn(format!("{what} [{}] skipped", hex_bytes(shown))),
        len,
    )
}

fn skip_payload(header: usize, payload: u64, warn: String) -> Parsed<'static> {
    Parsed::Cmd(
        Cmd::SkipPayload {
            warn,
            remaining: payload,
        },
        header,
    )
}

/// Parses one command at the start of `d` (which is not empty).
fn parse(d: &[u8], chinese: bool) -> Parsed<'_> {
    let b = d[0];
    match b {
        0x0A => Parsed::Cmd(Cmd::Lf, 1),
        0x09 => Parsed::Cmd(Cmd::Ht, 1),
        // CR is ignored (auto line feed disabled), NUL padding, CAN and FF
        // in standard mode have no effect on a receipt printer.
        0x0D | 0x00 | 0x18 | 0x0C => Parsed::Cmd(Cmd::Silent, 1),
        0x10 => parse_dle(d),
        0x1B => parse_esc(d),
        0x1C => parse_fs(d),
        0x1D => parse_gs(d),
        0x01..=0x1F | 0x7F => unknown(d, 1, "control byte"),
        0x20..=0x7E => Parsed::Cmd(
            Cmd::Char {
                ch: char::from(b),
                wide: false,
                warn: None,
            },
            1,
        ),
        0x80..=0xFF => {
            if chinese {
                parse_gb18030(d)
            } else {
                Parsed::Cmd(
                    Cmd::Char {
                        ch: '?',
                        wide: false,
                        warn: Some(format!(
                            "byte {b:02X} outside Chinese mode printed as '?' (FS & not sent?)"
                        )),
                    },
                    1,
                )
            }
        }
    }
}

fn gb_char(bytes: &[u8]) -> Option<char> {
    let (text, had_errors) = encoding_rs::GB18030.decode_without_bom_handling(bytes);
    if had_errors {
        return None;
    }
    let mut chars = text.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) => Some(c),
        _ => None,
    }
}

fn bad_gb(d: &[u8], len: usize) -> Parsed<'static> {
    Parsed::Cmd(
        Cmd::Char {
            ch: '\u{FFFD}',
            wide: true,
            warn: Some(format!(
                "invalid GB18030 sequence [{}]",
                hex_bytes(&d[..len.min(d.len())])
            )),
        },
        1,
    )
}

/// A character in Chinese mode starting with a byte >= 0x80.
fn parse_gb18030(d: &[u8]) -> Parsed<'_> {
    let b1 = d[0];
    if !(0x81..=0xFE).contains(&b1) {
        // 0x80 decodes to the euro sign in GB18030, 0xFF is invalid.
        return match gb_char(&d[..1]) {
            Some(ch) => Parsed::Cmd(
                Cmd::Char {
                    ch,
                    wide: false,
                    warn: None,
                },
                1,
            ),
            None => bad_gb(d, 1),
        };
    }
    need!(d, 2);
    match d[1] {
        0x30..=0x39 => {
            need!(d, 4);
            if (0x81..=0xFE).contains(&d[2]) && (0x30..=0x39).contains(&d[3]) {
                match gb_char(&d[..4]) {
                    Some(ch) => Parsed::Cmd(
                        Cmd::Char {
                            ch,
                            wide: true,
                            warn: None,
                        },
                        4,
                    ),
                    None => Parsed::Cmd(
                        Cmd::Char {
                            ch: '\u{FFFD}',
                            wide: true,
                            warn: Some(format!(
                                "unmapped GB18030 sequence [{}]",
                                hex_bytes(&d[..4])
                            )),
                        },
                        4,
                    ),
                }
            } else {
                bad_gb(d, 4)
            }
        }
        0x40..=0x7E | 0x80..=0xFE => match gb_char(&d[..2]) {
            Some(ch) => Parsed::Cmd(
                Cmd::Char {
                    ch,
                    wide: true,
                    warn: None,
                },
                2,
            ),
            None => Parsed::Cmd(
                Cmd::Char {
                    ch: '\u{FFFD}',
                    wide: true,
                    warn: Some(format!(
                        "unmapped GB18030 sequence [{}]",
                        hex_bytes(&d[..2])
                    )),
                },
                2,
            ),
        },
        _ => bad_gb(d, 2),
    }
}

fn parse_dle(d: &[u8]) -> Parsed<'_> {
    need!(d, 2);
    match d[1] {
        0x04 => {
            need!(d, 3);
            match d[2] {
                n @ 1..=4 => Parsed::Cmd(Cmd::Status(n), 3),
                7 | 8 => {
                    need!(d, 4);
                    unknown(d, 4, "DLE EOT (ink/paper status) not supported:")
                }
                _ => unknown(d, 3, "DLE EOT with unknown n:"),
            }
        }
        0x05 => {
            need!(d, 3);
            Parsed::Cmd(Cmd::Silent, 3)
        }
        0x14 => {
            need!(d, 3);
            let len = match d[2] {
                8 => 10,
                7 => 4,
                _ => 5,
            };
            need!(d, len);
            if d[2] == 8 {
                Parsed::Cmd(Cmd::ClearBuffer, len)
            } else {
                Parsed::Cmd(Cmd::Silent, len)
            }
        }
        _ => unknown(d, 1, "stray DLE"),
    }
}

fn parse_esc(d: &[u8]) -> Parsed<'_> {
    need!(d, 2);
    let c = d[1];
    let one = |cmd: fn(u8) -> Cmd<'static>| -> Parsed<'static> {
        if d.len() < 3 {
            Parsed::Need(3)
        } else {
            Parsed::Cmd(cmd(d[2]), 3)
        }
    };
    match c {
        b'@' => Parsed::Cmd(Cmd::Init, 2),
        b'2' => Parsed::Cmd(Cmd::DefaultSpacing, 2),
        // Standard mode, ESC FF (page mode print): no effect here.
        b'S' | 0x0C => Parsed::Cmd(Cmd::Silent, 2),
        b'L' => unknown(d, 2, "page mode (ESC L) not supported:"),
        b'i' => Parsed::Cmd(Cmd::Cut { m: 0, n: 0 }, 2),
        b'm' => Parsed::Cmd(Cmd::Cut { m: 1, n: 0 }, 2),
        b'v' => unknown(d, 2, "ESC v (obsolete status) not answered:"),
        b'a' => one(Cmd::Align),
        b'E' | b'G' => one(Cmd::Bold),
        b'-' => one(Cmd::Underline),
        b'!' => one(Cmd::PrintMode),
        b'd' => one(Cmd::FeedLines),
        b'J' => one(Cmd::FeedDots),
        b'3' => one(Cmd::Spacing),
        // Code table, international set, font, peripheral, colour,
        // unidirectional: accepted without visible effect.
        b't' | b'R' | b'M' | b'=' | b'r' | b'U' => {
            need!(d, 3);
            Parsed::Cmd(Cmd::Silent, 3)
        }
        b' ' | b'%' | b'?' | b'u' | b'e' | b'K' | b'T' | b'V' | b'{' => {
            need!(d, 3);
            unknown(d, 3, "ESC command not supported:")
        }
        b'$' => {
            need!(d, 4);
            let pos = le16(d[2], d[3]);
            Parsed::Cmd(Cmd::AbsPos(u32::try_from(pos).unwrap_or(u32::MAX)), 4)
        }
        b'\\' => {
            need!(d, 4);
            let rel = i16::from_le_bytes([d[2], d[3]]);
            Parsed::Cmd(Cmd::RelPos(i32::from(rel)), 4)
        }
        b'c' => {
            need!(d, 4);
            Parsed::Cmd(Cmd::Silent, 4)
        }
        b'p' => {
            need!(d, 5);
            Parsed::Cmd(Cmd::Silent, 5)
        }
        b'W' => {
            need!(d, 10);
            unknown(d, 10, "page-mode print area (ESC W) not supported:")
        }
        b'D' => {
            // Tab positions n1..nk NUL, k <= 32.
            match d[2..].iter().take(33).position(|&x| x == 0) {
                Some(i) => Parsed::Cmd(Cmd::Silent, 2 + i + 1),
                None if d.len() >= 2 + 33 => unknown(d, 2, "ESC D without NUL terminator:"),
                None => Parsed::Need(d.len() + 1),
            }
        }
        b'*' => {
            need!(d, 5);
            let n = le16(d[3], d[4]);
            let k = match d[2] {
                0 | 1 => n,
                32 | 33 => 3 * n,
                _ => return unknown(d, 5, "ESC * with invalid mode:"),
            };
            skip_payload(
                5,
                k as u64,
                format!("ESC * column bit image ({n} columns) not rendered"),
            )
        }
        b'&' => parse_user_chars(d),
        _ => unknown(d, 2, "unknown ESC command"),
    }
}

/// `ESC & y c1 c2 [x d1 ... d(y*x)]...`: user-defined characters (ignored).
fn parse_user_chars(d: &[u8]) -> Parsed<'_> {
    need!(d, 5);
    let (y, c1, c2) = (usize::from(d[2]), d[3], d[4]);
    if y == 0 || y > 3 || c1 > c2 {
        return unknown(d, 5, "ESC & with invalid parameters:");
    }
    let mut pos = 5;
    for _ in c1..=c2 {
        need!(d, pos + 1);
        let x = usize::from(d[pos]);
        pos += 1 + y * x;
    }
    need!(d, pos);
    Parsed::Cmd(
        Cmd::Warn("user-defined characters (ESC &) ignored".to_owned()),
        pos,
    )
}

fn parse_fs(d: &[u8]) -> Parsed<'_> {
    need!(d, 2);
    match d[1] {
        b'&' => Parsed::Cmd(Cmd::ChineseMode(true), 2),
        b'.' => Parsed::Cmd(Cmd::ChineseMode(false), 2),
        b'-' => {
            need!(d, 3);
            Parsed::Cmd(Cmd::Underline(d[2]), 3)
        }
        b'C' => {
            need!(d, 3);
            Parsed::Cmd(Cmd::Silent, 3)
        }
        b'!' | b'W' => {
            need!(d, 3);
            unknown(d, 3, "FS character mode not supported (use GS !):")
        }
        b'S' => {
            need!(d, 4);
            Parsed::Cmd(Cmd::Silent, 4)
        }
        b'p' => {
            need!(d, 4);
            unknown(d, 4, "NV bit image print (FS p) not supported:")
        }
        b'2' => {
            need!(d, 76);
            Parsed::Cmd(
                Cmd::UserChinese {
                    c1: d[2],
                    c2: d[3],
                    data: &d[4..76],
                },
                76,
            )
        }
        b'(' => {
            need!(d, 5);
            let p = le16(d[3], d[4]);
            skip_payload(
                5,
                p as u64,
                format!("FS ( {} function ignored", printable(d[2])),
            )
        }
        _ => unknown(d, 2, "unknown FS command"),
    }
}

fn printable(b: u8) -> String {
    if b.is_ascii_graphic() {
        char::from(b).to_string()
    } else {
        format!("{b:02X}")
    }
}

fn parse_gs(d: &[u8]) -> Parsed<'_> {
    need!(d, 2);
    let c = d[1];
    match c {
        b'!' => {
            need!(d, 3);
            Parsed::Cmd(Cmd::Size(d[2]), 3)
        }
        b'B' => {
            need!(d, 3);
            Parsed::Cmd(Cmd::Reverse(d[2]), 3)
        }
        b'a' => {
            need!(d, 3);
            Parsed::Cmd(Cmd::Asb(d[2]), 3)
        }
        b'V' => {
            need!(d, 3);
            match d[2] {
                m @ (0 | 1 | 48 | 49) => Parsed::Cmd(Cmd::Cut { m, n: 0 }, 3),
                m @ (65 | 66 | 97 | 98 | 103 | 104) => {
                    need!(d, 4);
                    Parsed::Cmd(Cmd::Cut { m, n: d[3] }, 4)
                }
                _ => unknown(d, 3, "GS V with invalid mode:"),
            }
        }
        b'v' => {
            need!(d, 3);
            if d[2] != b'0' {
                return unknown(d, 3, "unknown GS v command");
            }
            need!(d, 8);
            let m = d[3];
            let wbytes = le16(d[4], d[5]);
            let height = le16(d[6], d[7]);
            let k = wbytes.saturating_mul(height);
            if k > MAX_PAYLOAD {
                return skip_payload(
                    8,
                    k as u64,
                    format!("raster image {wbytes}x{height} bytes too large: skipped"),
                );
            }
            need!(d, 8 + k);
            Parsed::Cmd(
                Cmd::Raster {
                    m,
                    wbytes,
                    height,
                    data: &d[8..8 + k],
                },
                8 + k,
            )
        }
        b'(' => {
            need!(d, 5);
            let p = le16(d[3], d[4]);
            if d[2] != b'k' {
                return skip_payload(
                    5,
                    p as u64,
                    format!("GS ( {} function ignored", printable(d[2])),
                );
            }
            need!(d, 5 + p);
            if p < 2 {
                return unknown(d, 5 + p, "GS ( k too short:");
            }
            Parsed::Cmd(
                Cmd::Qr {
                    cn: d[5],
                    fun: d[6],
                    params: &d[7..5 + p],
                },
                5 + p,
            )
        }
        b'8' => {
            need!(d, 7);
            let p = u32::from_le_bytes([d[3], d[4], d[5], d[6]]);
            skip_payload(
                7,
                u64::from(p),
                format!("GS 8 {} function ignored", printable(d[2])),
            )
        }
        b'k' => {
            need!(d, 3);
            let m = d[2];
            match m {
                0..=6 => match d[3..].iter().take(256).position(|&x| x == 0) {
                    Some(i) => Parsed::Cmd(
                        Cmd::Warn(format!("barcode (GS k {m}) not rendered")),
                        3 + i + 1,
                    ),
                    None if d.len() >= 3 + 256 => unknown(d, 3, "GS k without NUL terminator:"),
                    None => Parsed::Need(d.len() + 1),
                },
                65..=79 => {
                    need!(d, 4);
                    skip_payload(
                        4,
                        u64::from(d[3]),
                        format!("barcode (GS k {m}) not rendered"),
                    )
                }
                _ => unknown(d, 3, "GS k with invalid type:"),
            }
        }
        b'*' => {
            need!(d, 4);
            let k = usize::from(d[2]) * usize::from(d[3]) * 8;
            skip_payload(
                4,
                k as u64,
                "downloaded bit image (GS *) ignored".to_owned(),
            )
        }
        b'g' => {
            need!(d, 3);
            if d[2] == b'0' || d[2] == b'2' {
                need!(d, 6);
                unknown(d, 6, "maintenance counter (GS g) not supported:")
            } else {
                unknown(d, 3, "unknown GS g command")
            }
        }
        // HRI position and font, barcode height and width, smoothing,
        // rotation: accepted without visible effect.
        b'H' | b'f' | b'h' | b'w' | b'b' | b'T' => {
            need!(d, 3);
            Parsed::Cmd(Cmd::Silent, 3)
        }
        b'/' | b'I' | b'r' | b'E' => {
            need!(d, 3);
            unknown(d, 3, "GS command not supported:")
        }
        b'P' => {
            need!(d, 4);
            Parsed::Cmd(Cmd::Silent, 4)
        }
        b'L' | b'W' | b'$' | b'\\' => {
            need!(d, 4);
            unknown(d, 4, "GS margin/position command not supported:")
        }
        b'^' => {
            need!(d, 5);
            unknown(d, 5, "macro execution (GS ^) not supported:")
        }
        b':' | b'c' => Parsed::Cmd(Cmd::Silent, 2),
        _ => unknown(d, 2, "unknown GS command"),
    }
}

/// The status byte answering `DLE EOT n` (n in 1..=4) under `faults`.
///
/// Every reply has bits 1 and 4 set and bits 0 and 7 clear.
pub(crate) fn status_byte(n: u8, faults: &PrinterFaults) -> u8 {
    let offline = faults.offline();
    let bit = |on: bool, mask: u8| if on { mask } else { 0 };
    let variable = match n {
        // Printer status: bit 3 offline.
        1 => bit(offline, 0x08),
        // Offline cause: bit 2 cover open, bit 5 printing stopped by paper
        // end (bit 6, error occurred, stays clear).
        2 => {
            bit(faults.cover_open, 0x04)
                | bit(faults.paper_out, 0x20)
                | bit(faults.cutter_error, 0x40)
        }
        // Roll paper sensor: bits 2-3 near end, bits 5-6 paper end. An
        // empty roll also trips the near-end sensor.
        4 => bit(faults.paper_near_end || faults.paper_out, 0x0C) | bit(faults.paper_out, 0x60),
        // Error cause (n = 3): bit 3 cutter (the only error simulated),
        // bit 5 unrecoverable, bit 6 auto-recoverable.
        3 => bit(faults.cutter_error, 0x08),
        _ => 0,
    };
    0x12 | variable
}

fn qr_payload_text(data: &[u8]) -> String {
    let decoded = match std::str::from_utf8(data) {
        Ok(s) => s.to_owned(),
        Err(_) => encoding_rs::GB18030
            .decode_without_bom_handling(data)
            .0
            .into_owned(),
    };
    let mut out = String::with_capacity(decoded.len());
    for c in decoded.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

impl Interpreter {
    /// A printer with a printable width of `width` dots, as after power-on.
    pub(crate) fn new(width: u32) -> Self {
        Interpreter {
            width,
            pending: Vec::new(),
            need: 0,
            skip: 0,
            chinese: false,
            align: Align::Left,
            style: Style::default(),
            spacing: DEFAULT_LINE_SPACING,
            qr: QrState::default(),
            line: Vec::new(),
            line_x: 0,
            line_align: Align::Left,
            blocks: Vec::new(),
            y: 0,
            lines: Vec::new(),
            warnings: Vec::new(),
            suppressed: 0,
            bytes: 0,
            has_content: false,
            overflow_warned: false,
            offline_warned: false,
            discarded: 0,
            user_glyphs: std::collections::HashMap::new(),
        }
    }

    /// Bytes of print data discarded while offline since the last call.
    pub(crate) fn take_discarded(&mut self) -> usize {
        std::mem::take(&mut self.discarded)
    }

    /// Feeds received bytes; replies and finished receipts go to `out`.
    pub(crate) fn feed(&mut self, input: &[u8], faults: &PrinterFaults, out: &mut Vec<Event>) {
        // A jam on a cut changes the faults for the rest of this input.
        let mut faults = faults.clone();
        let faults = &mut faults;
        let mut input = input;
        if self.skip > 0 {
            let n = usize::try_from(self.skip)
                .unwrap_or(usize::MAX)
                .min(input.len());
            self.skip -= n as u64;
            self.bytes += n;
            input = &input[n..];
        }
        if input.is_empty() {
            return;
        }
        self.pending.extend_from_slice(input);
        if self.pending.len() < self.need {
            return;
        }
        self.need = 0;
        let data = std::mem::take(&mut self.pending);
        let mut pos = 0;
        while pos < data.len() {
            if self.skip > 0 {
                let n = usize::try_from(self.skip)
                    .unwrap_or(usize::MAX)
                    .min(data.len() - pos);
                self.skip -= n as u64;
                self.bytes += n;
                pos += n;
                continue;
            }
            match parse(&data[pos..], self.chinese) {
                Parsed::Need(n) => {
                    self.need = n;
                    break;
                }
                Parsed::Cmd(cmd, len) => {
                    self.bytes += len;
                    pos += len;
                    self.exec(cmd, len, faults, out);
                }
            }
        }
        let mut rest = data;
        rest.drain(..pos);
        self.pending = rest;
    }

    /// The connection closed: drops an incomplete command, prints an
    /// unterminated line, and returns the receipt if anything was printed.
    pub(crate) fn finish(&mut self) -> Option<Page> {
        if !self.pending.is_empty() {
            let shown = &self.pending[..self.pending.len().min(8)];
            self.warn(format!(
                "connection closed inside a command: {} byte(s) dropped [{}{}]",
                self.pending.len(),
                hex_bytes(shown),
                if self.pending.len() > 8 { " ..." } else { "" }
            ));
            self.bytes += self.pending.len();
            self.pending.clear();
        }
        if self.skip > 0 {
            self.warn(format!(
                "connection closed with {} payload byte(s) still expected",
                self.skip
            ));
        }
        self.skip = 0;
        self.need = 0;
        if !self.line.is_empty() {
            self.warn(
                "unterminated line printed at connection close (a real printer keeps it buffered until LF)"
                    .to_owned(),
            );
            self.flush_line(None);
        }
        if self.has_content {
            Some(self.take_page(PageEnd::Closed))
        } else {
            self.reset_page();
            None
        }
    }

    fn warn(&mut self, msg: String) {
        if self.warnings.len() < MAX_WARNINGS {
            self.warnings.push(msg);
        } else {
            self.suppressed += 1;
        }
    }

    fn reset_page(&mut self) {
        self.blocks.clear();
        self.lines.clear();
        self.warnings.clear();
        self.suppressed = 0;
        self.y = 0;
        self.bytes = 0;
        self.has_content = false;
        self.overflow_warned = false;
    }

    fn take_page(&mut self, end: PageEnd) -> Page {
        let mut warnings = std::mem::take(&mut self.warnings);
        if self.suppressed > 0 {
            warnings.push(format!("... and {} more warning(s)", self.suppressed));
        }
        let page = Page {
            width: self.width,
            blocks: std::mem::take(&mut self.blocks),
            height: self.y.min(MAX_PAGE_DOTS),
            lines: std::mem::take(&mut self.lines),
            warnings,
            bytes: self.bytes,
            end,
            user_glyphs: self.user_glyphs.clone(),
        };
        self.reset_page();
        page
    }

    /// Print data arrived while the printer is offline: it is discarded.
    fn discard(&mut self, len: usize, faults: &PrinterFaults) {
        self.discarded += len;
        if !self.offline_warned {
            self.offline_warned = true;
            let cause = match (faults.paper_out, faults.cover_open) {
                (true, true) => "paper out, cover open",
                (true, false) => "paper out",
                (false, true) => "cover open",
                (false, false) => "cutter error",
            };
            self.warn(format!(
                "printer offline ({cause}): print data received meanwhile was discarded"
            ));
        }
    }

    fn exec(&mut self, cmd: Cmd<'_>, len: usize, faults: &mut PrinterFaults, out: &mut Vec<Event>) {
        if let Cmd::Cut { .. } = cmd
            && faults.cutter_jam_at_next_cut
            && !faults.offline()
        {
            // The blade jams: the paper printed so far stays on the page,
            // uncut, and the printer goes offline with a cutter error.
            faults.cutter_jam_at_next_cut = false;
            faults.cutter_error = true;
            if !self.line.is_empty() {
                self.flush_line(None);
            }
            out.push(Event::CutterJammed);
            return;
        }
        let offline = faults.offline();
        if !offline {
            self.offline_warned = false;
        }
        let prints = matches!(
            cmd,
            Cmd::Char { .. }
                | Cmd::Lf
                | Cmd::Ht
                | Cmd::FeedLines(_)
                | Cmd::FeedDots(_)
                | Cmd::Raster { .. }
                | Cmd::Cut { .. }
                | Cmd::Qr { fun: 81, .. }
        );
        if offline && prints {
            self.discard(len, faults);
            if let Cmd::Cut { .. } = cmd {
                // The job that the cut ends is lost with it. If part of the
                // receipt was printed before the fault, the page stays: it
                // ends at the next cut after printing resumes.
                self.line.clear();
                self.line_x = 0;
                if !self.has_content {
                    self.reset_page();
                }
            }
            return;
        }
        match cmd {
            Cmd::Char { ch, wide, warn } => {
                if let Some(w) = warn {
                    self.warn(w);
                }
                self.put_char(ch, wide);
            }
            Cmd::Lf => self.flush_line(None),
            Cmd::Ht => {
                let next = (self.line_x / TAB_STOP + 1) * TAB_STOP;
                if next < self.width {
                    if self.line.is_empty() {
                        self.line_align = self.align;
                    }
                    self.line_x = next;
                }
            }
            Cmd::Init => {
                if !self.line.is_empty() {
                    self.warn("ESC @ cleared an unprinted line".to_owned());
                }
                self.line.clear();
                self.line_x = 0;
                self.chinese = false;
                self.align = Align::Left;
                self.style = Style::default();
                self.spacing = DEFAULT_LINE_SPACING;
                self.qr = QrState::default();
            }
            Cmd::ChineseMode(on) => self.chinese = on,
            Cmd::Align(n) => match n {
                0 | 48 => self.align = Align::Left,
                1 | 49 => self.align = Align::Center,
                2 | 50 => self.align = Align::Right,
                _ => self.warn(format!("ESC a {n}: invalid alignment ignored")),
            },
            Cmd::Bold(n) => self.style.bold = n & 1 == 1,
            Cmd::Underline(n) => match n {
                0 | 48 => self.style.underline = 0,
                1 | 49 => self.style.underline = 1,
                2 | 50 => self.style.underline = 2,
                _ => self.warn(format!("underline mode {n} ignored")),
            },
            Cmd::Reverse(n) => self.style.reverse = n & 1 == 1,
            Cmd::PrintMode(n) => {
                self.style.bold = n & 0x08 != 0;
                self.style.hmul = if n & 0x10 != 0 { 2 } else { 1 };
                self.style.wmul = if n & 0x20 != 0 { 2 } else { 1 };
                self.style.underline = u8::from(n & 0x80 != 0);
            }
            Cmd::Size(n) => {
                let w = (n >> 4) + 1;
                let h = (n & 0x0F) + 1;
                if w > 8 || h > 8 {
                    self.warn(format!("GS ! {n:02X}: size out of range ignored"));
                } else {
                    self.style.wmul = w;
                    self.style.hmul = h;
                }
            }
            Cmd::FeedLines(n) => {
                if n == 0 {
                    if !self.line.is_empty() {
                        self.flush_line(None);
                    }
                } else {
                    for _ in 0..n {
                        self.flush_line(None);
                    }
                }
            }
            Cmd::FeedDots(n) => self.flush_line(Some(u32::from(n))),
            Cmd::DefaultSpacing => self.spacing = DEFAULT_LINE_SPACING,
            Cmd::Spacing(n) => self.spacing = u32::from(n),
            Cmd::AbsPos(p) => {
                if p < self.width {
                    if self.line.is_empty() {
                        self.line_align = self.align;
                    }
                    self.line_x = p;
                }
            }
            Cmd::RelPos(d) => {
                let x = i64::from(self.line_x) + i64::from(d);
                if let Ok(x) = u32::try_from(x)
                    && x < self.width
                {
                    if self.line.is_empty() {
                        self.line_align = self.align;
                    }
                    self.line_x = x;
                }
            }
            Cmd::Qr { cn, fun, params } => self.exec_qr(cn, fun, params),
            Cmd::Raster {
                m,
                wbytes,
                height,
                data,
            } => self.exec_raster(m, wbytes, height, data),
            Cmd::Cut { m, n } => {
                if !self.line.is_empty() {
                    self.flush_line(None);
                }
                if matches!(m, 65 | 66 | 97 | 98 | 103 | 104) {
                    self.y = self.y.saturating_add(u32::from(n));
                }
                let kind = if matches!(m, 0 | 48 | 65 | 97 | 103) {
                    CutKind::Full
                } else {
                    CutKind::Partial
                };
                if self.has_content {
                    let page = self.take_page(PageEnd::Cut(kind));
                    out.push(Event::Page(page));
                } else {
                    // A cut with nothing printed since the last one: the
                    // blank stub is not recorded as a receipt.
                    self.reset_page();
                }
            }
            Cmd::Status(n) => out.push(Event::Reply(status_byte(n, faults))),
            Cmd::Asb(n) => out.push(Event::AutoStatusBack(n)),
            Cmd::ClearBuffer => {
                self.line.clear();
                self.line_x = 0;
            }
            Cmd::Silent => {}
            Cmd::UserChinese { c1, c2, data } => {
                // The user area FE A1..FE FE of the Chinese character set.
                match gb_char(&[c1, c2]) {
                    Some(ch) if c1 == 0xFE && (0xA1..=0xFE).contains(&c2) => {
                        self.user_glyphs.insert(ch, data.to_vec());
                    }
                    _ => self.warn(format!(
                        "FS 2 code {c1:02X} {c2:02X} outside the user area FE A1-FE FE ignored"
                    )),
                }
            }
            Cmd::Warn(w) => self.warn(w),
            Cmd::SkipPayload { warn, remaining } => {
                self.warn(warn);
                self.skip = remaining;
            }
        }
    }

    fn put_char(&mut self, ch: char, wide: bool) {
        let glyph = Glyph {
            x: 0,
            ch,
            wide,
            style: self.style,
        };
        let w = glyph.width();
        if self.line_x + w > self.width {
            // Like a real printer: the line is printed and the character
            // starts the next one (no word wrap).
            self.flush_line(None);
        }
        if self.line.is_empty() && self.line_x == 0 {
            self.line_align = self.align;
        }
        self.line.push(Glyph {
            x: self.line_x,
            ..glyph
        });
        self.line_x += w;
    }

    /// Prints the line buffer and advances the paper: by the line spacing
    /// (`feed` None) or by `feed` dots, at least the height of the line.
    fn flush_line(&mut self, feed: Option<u32>) {
        let line_h = self.line.iter().map(Glyph::height).max().unwrap_or(0);
        let advance = match feed {
            None => self.spacing.max(line_h),
            Some(n) => n.max(line_h),
        };
        let mut glyphs = std::mem::take(&mut self.line);
        if !glyphs.is_empty() {
            let used = glyphs.iter().map(|g| g.x + g.width()).max().unwrap_or(0);
            let free = self.width.saturating_sub(used);
            let offset = match self.line_align {
                Align::Left => 0,
                Align::Center => free / 2,
                Align::Right => free,
            };
            for g in &mut glyphs {
                g.x += offset;
            }
            self.lines.push(line_text(&glyphs));
            self.has_content = true;
            if self.y < MAX_PAGE_DOTS {
                self.blocks.push(Block {
                    y: self.y,
                    kind: BlockKind::Text {
                        glyphs,
                        height: line_h,
                    },
                });
            } else {
                self.overflow();
            }
        } else if feed.is_none() {
            self.lines.push(String::new());
        }
        self.y = self.y.saturating_add(advance);
        self.line_x = 0;
    }

    fn overflow(&mut self) {
        if !self.overflow_warned {
            self.overflow_warned = true;
            self.warn(format!(
                "receipt longer than {MAX_PAGE_DOTS} dots: the rest is in the text only"
            ));
        }
    }

    /// Places an image on its own band, aligned like text.
    fn place_image(&mut self, bitmap: Bitmap, label: String) {
        if !self.line.is_empty() {
            self.flush_line(None);
        }
        let free = self.width.saturating_sub(bitmap.width);
        let x = match self.align {
            Align::Left => 0,
            Align::Center => free / 2,
            Align::Right => free,
        };
        self.lines.push(label);
        self.has_content = true;
        let h = bitmap.height;
        if self.y < MAX_PAGE_DOTS {
            self.blocks.push(Block {
                y: self.y,
                kind: BlockKind::Image { x, bitmap },
            });
        } else {
            self.overflow();
        }
        self.y = self.y.saturating_add(h);
        self.line_x = 0;
    }

    fn exec_raster(&mut self, m: u8, wbytes: usize, height: usize, data: &[u8]) {
        let (sx, sy) = match m {
            0 | 48 => (1, 1),
            1 | 49 => (2, 1),
            2 | 50 => (1, 2),
            3 | 51 => (2, 2),
            _ => {
                self.warn(format!("GS v 0 with invalid mode {m}: image skipped"));
                return;
            }
        };
        if wbytes == 0 || height == 0 {
            self.warn("empty raster image skipped".to_owned());
            return;
        }
        let src_w = wbytes * 8;
        let full_w = src_w * sx;
        let width = full_w.min(self.width as usize);
        if full_w > width {
            self.warn(format!(
                "raster image {full_w} dots wide clipped to the paper width {width}"
            ));
        }
        let out_h = height * sy;
        let mut pixels = vec![false; width * out_h];
        for row in 0..height {
            for col in 0..src_w {
                let byte = data[row * wbytes + col / 8];
                if byte & (0x80 >> (col % 8)) == 0 {
                    continue;
                }
                for dy in 0..sy {
                    for dx in 0..sx {
                        let x = col * sx + dx;
                        if x < width {
                            pixels[(row * sy + dy) * width + x] = true;
                        }
                    }
                }
            }
        }
        let bitmap = Bitmap {
            width: width as u32,
            height: out_h as u32,
            pixels,
        };
        let label = format!("[IMAGE {}x{}]", full_w, out_h);
        self.place_image(bitmap, label);
    }

    fn exec_qr(&mut self, cn: u8, fun: u8, params: &[u8]) {
        if cn != 49 {
            self.warn(format!(
                "GS ( k symbol type cn={cn} not supported (only QR, cn=49)"
            ));
            return;
        }
        let first = params.first().copied();
        match (fun, first) {
            (65, Some(n @ (49..=51))) => self.qr.model = n,
            (67, Some(n @ 1..=16)) => self.qr.module = n,
            (69, Some(n @ 48..=51)) => {
                self.qr.ec = match n {
                    48 => EcLevel::L,
                    49 => EcLevel::M,
                    50 => EcLevel::Q,
                    _ => EcLevel::H,
                }
            }
            (80, Some(_)) => self.qr.data = params[1..].to_vec(),
            (81, _) => self.print_qr(),
            (82, _) => self.warn("QR size information (GS ( k fn 82) not answered".to_owned()),
            _ => self.warn(format!(
                "GS ( k fn {fun} with parameters [{}] ignored",
                hex_bytes(&params[..params.len().min(8)])
            )),
        }
    }

    fn print_qr(&mut self) {
        if self.qr.data.is_empty() {
            self.warn("QR print with no stored data".to_owned());
            return;
        }
        let data = self.qr.data.clone();
        let code = if self.qr.model == 51 {
            (1..=4)
                .find_map(|v| QrCode::with_version(&data, Version::Micro(v), self.qr.ec).ok())
                .ok_or_else(|| "data too long for micro QR".to_owned())
        } else {
            if self.qr.model == 49 {
                self.warn("QR model 1 requested: printed as model 2".to_owned());
            }
            QrCode::with_error_correction_level(&data, self.qr.ec).map_err(|e| e.to_string())
        };
        let code = match code {
            Ok(c) => c,
            Err(e) => {
                self.warn(format!("QR data cannot be encoded ({e}): nothing printed"));
                return;
            }
        };
        let modules = code.width();
        let unit = usize::from(self.qr.module);
        let size = modules * unit;
        if size > self.width as usize {
            self.warn(format!(
                "QR symbol {size} dots wide exceeds the paper width {}: not printed",
                self.width
            ));
            return;
        }
        let dark: Vec<bool> = code
            .to_colors()
            .into_iter()
            .map(|c| c == qrcode::Color::Dark)
            .collect();
        let mut pixels = vec![false; size * size];
        for (i, &d) in dark.iter().enumerate() {
            if !d {
                continue;
            }
            let (mx, my) = (i % modules, i / modules);
            for dy in 0..unit {
                let row = (my * unit + dy) * size;
                for dx in 0..unit {
                    pixels[row + mx * unit + dx] = true;
                }
            }
        }
        let bitmap = Bitmap {
            width: size as u32,
            height: size as u32,
            pixels,
        };
        let label = format!("[QR: {}]", qr_payload_text(&data));
        self.place_image(bitmap, label);
    }
}

/// The decoded text of a laid-out line: gaps (alignment, tabs, positions)
/// become one space per 12-dot cell.
fn line_text(glyphs: &[Glyph]) -> String {
    let mut s = String::new();
    let mut end = 0u32;
    for g in glyphs {
        if g.x > end {
            let spaces = (g.x - end + ASCII_CELL_W / 2) / ASCII_CELL_W;
            s.extend(std::iter::repeat_n(' ', spaces as usize));
        }
        s.push(g.ch);
        end = g.x + g.width();
    }
    s.truncate(s.trim_end().len());
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(width: u32, bytes: &[u8]) -> (Vec<Page>, Vec<u8>, Interpreter) {
        let mut it = Interpreter::new(width);
        let mut out = Vec::new();
        it.feed(bytes, &PrinterFaults::default(), &mut out);
        let mut pages = Vec::new();
        let mut replies = Vec::new();
        for e in out {
            match e {
                Event::Page(p) => pages.push(p),
                Event::Reply(b) => replies.push(b),
                Event::AutoStatusBack(_) | Event::CutterJammed => {}
            }
        }
        if let Some(p) = it.finish() {
            pages.push(p);
        }
        (pages, replies, it)
    }

    fn gb(s: &str) -> Vec<u8> {
        encoding_rs::GB18030.encode(s).0.into_owned()
    }

    #[test]
    fn a_cutter_jam_leaves_the_page_uncut_and_reports_a_cutter_error_at_once() {
        let mut it = Interpreter::new(384);
        let mut out = Vec::new();
        let faults = PrinterFaults {
            cutter_jam_at_next_cut: true,
            ..PrinterFaults::default()
        };
        // Text, the cut that jams, then the status the driver asks for.
        it.feed(b"\x1b@slip\n\x1dV\x00\x10\x04\x03", &faults, &mut out);
        assert!(matches!(out[0], Event::CutterJammed), "{}", out.len());
        assert!(!out.iter().any(|e| matches!(e, Event::Page(_))), "not cut");
        let Some(Event::Reply(status)) = out.last() else {
            panic!("no status reply");
        };
        assert_eq!(status & 0x08, 0x08, "cutter error: {status:#04x}");
        // The slip comes out torn off, uncut, when the link closes.
        let page = it.finish().expect("the printed slip");
        assert!(!matches!(page.end, PageEnd::Cut(_)));
    }

    #[test]
    fn chinese_text_decodes_and_takes_two_cells() {
        let mut job = b"\x1b@\x1c&".to_vec();
        job.extend(gb("医保AB"));
        job.extend(b"\n\x1dV\x00");
        let (pages, _, _) = run(384, &job);
        assert_eq!(pages.len(), 1);
        assert_eq!(pages[0].lines, vec!["医保AB"]);
        assert_eq!(pages[0].end, PageEnd::Cut(CutKind::Full));
        let BlockKind::Text { glyphs, height } = &pages[0].blocks[0].kind else {
            panic!("text block expected");
        };
        assert_eq!(*height, 24);
        let xs: Vec<u32> = glyphs.iter().map(|g| g.x).collect();
        assert_eq!(xs, vec![0, 24, 48, 60]);
        assert_eq!(pages[0].bytes, job.len());
    }

    #[test]
    fn gb18030_outside_chinese_mode_is_question_marks_with_warning() {
        let mut job = gb("医");
        job.push(b'\n');
        let (pages, _, _) = run(384, &job);
        assert_eq!(pages[0].lines, vec!["??"]);
        assert!(pages[0].warnings[0].contains("outside Chinese mode"));
    }

    #[test]
    fn four_byte_gb18030() {
        // U+20000 (𠀀) is 95 32 82 36 in GB18030.
        let mut job = b"\x1c&".to_vec();
        job.extend([0x95, 0x32, 0x82, 0x36, b'\n']);
        let (pages, _, _) = run(384, &job);
        assert_eq!(pages[0].lines, vec!["\u{20000}"]);
        assert!(pages[0].warnings.is_empty());
    }

    #[test]
    fn centre_alignment_and_double_size() {
        let mut job = b"\x1c&\x1ba\x01\x1d!\x11".to_vec();
        job.extend(gb("凭证"));
        job.extend(b"\n\x1d!\x00\x1ba\x02AB\n");
        let (pages, _, _) = run(384, &job);
        let p = &pages[0];
        let BlockKind::Text { glyphs, height } = &p.blocks[0].kind else {
            panic!("text");
        };
        assert_eq!(*height, 48);
        assert_eq!(glyphs[0].x, (384 - 96) / 2);
        assert_eq!(glyphs[1].x, (384 - 96) / 2 + 48);
        assert_eq!(p.blocks[1].y, 48);
        let BlockKind::Text { glyphs, .. } = &p.blocks[1].kind else {
            panic!("text");
        };
        assert_eq!(glyphs[0].x, 384 - 24);
        assert_eq!(p.lines[0], format!("{}凭证", " ".repeat(12)));
        assert_eq!(p.lines[1], format!("{}AB", " ".repeat(30)));
    }

    #[test]
    fn wraps_at_paper_width() {
        let job = [b"X".repeat(40), b"\n".to_vec()].concat();
        let (pages, _, _) = run(384, &job);
        assert_eq!(pages[0].lines, vec!["X".repeat(32), "X".repeat(8)]);
        let (pages, _, _) = run(576, &job);
        assert_eq!(pages[0].lines, vec!["X".repeat(40)]);
        let mut cjk = b"\x1c&".to_vec();
        cjk.extend(gb(&"汉".repeat(20)));
        let (pages, _, _) = run(384, &cjk);
        assert_eq!(pages[0].lines, vec!["汉".repeat(16), "汉".repeat(4)]);
    }

    #[test]
    fn feed_lines_and_spacing() {
        let (pages, _, _) = run(384, b"A\x1bd\x03B\x1b3\x40\nC\n\x1b2D\n");
        let p = &pages[0];
        assert_eq!(p.lines, vec!["A", "", "", "B", "C", "D"]);
        let ys: Vec<u32> = p.blocks.iter().map(|b| b.y).collect();
        assert_eq!(ys, vec![0, 90, 90 + 64, 90 + 128]);
    }

    #[test]
    fn qr_code_is_printed_with_payload() {
        let data = b"https://example.org/r?id=42";
        let mut job = b"\x1ba\x01".to_vec();
        job.extend([0x1d, b'(', b'k', 4, 0, 49, 65, 50, 0]);
        job.extend([0x1d, b'(', b'k', 3, 0, 49, 67, 4]);
        job.extend([0x1d, b'(', b'k', 3, 0, 49, 69, 49]);
        let p = data.len() + 3;
        job.extend([0x1d, b'(', b'k', p as u8, 0, 49, 80, 48]);
        job.extend(data);
        job.extend([0x1d, b'(', b'k', 3, 0, 49, 81, 48]);
        job.extend(b"\x1dVB\x00");
        let (pages, _, _) = run(384, &job);
        let page = &pages[0];
        assert_eq!(
            page.lines,
            vec![format!("[QR: {}]", "https://example.org/r?id=42")]
        );
        assert!(page.warnings.is_empty(), "{:?}", page.warnings);
        assert_eq!(page.end, PageEnd::Cut(CutKind::Partial));
        let BlockKind::Image { x, bitmap } = &page.blocks[0].kind else {
            panic!("image");
        };
        assert_eq!(bitmap.width % 4, 0);
        assert_eq!(*x, (384 - bitmap.width) / 2);
        // Finder pattern: top-left module dark.
        assert!(bitmap.pixels[0]);
    }

    #[test]
    fn raster_image_bits() {
        // 16x2 image: row 0 = 0xF0 0x01, row 1 = 0x00 0x80.
        let job = [0x1d, b'v', b'0', 0, 2, 0, 2, 0, 0xF0, 0x01, 0x00, 0x80];
        let (pages, _, _) = run(384, &job);
        let p = &pages[0];
        assert_eq!(p.lines, vec!["[IMAGE 16x2]"]);
        let BlockKind::Image { bitmap, .. } = &p.blocks[0].kind else {
            panic!("image");
        };
        let row0: Vec<bool> = bitmap.pixels[..16].to_vec();
        let mut expect = vec![true, true, true, true];
        expect.extend([false; 11]);
        expect.push(true);
        assert_eq!(row0, expect);
        assert!(bitmap.pixels[16 + 8]);
        assert_eq!(bitmap.pixels.iter().filter(|&&b| b).count(), 6);
    }

    #[test]
    fn status_bytes() {
        let ok = PrinterFaults::default();
        for n in 1..=4 {
            assert_eq!(status_byte(n, &ok), 0x12);
        }
        let paper_out = PrinterFaults {
            paper_out: true,
            ..Default::default()
        };
        assert_eq!(status_byte(1, &paper_out), 0x1A);
        assert_eq!(status_byte(2, &paper_out), 0x32);
        assert_eq!(status_byte(4, &paper_out), 0x7E);
        let near = PrinterFaults {
            paper_near_end: true,
            ..Default::default()
        };
        assert_eq!(status_byte(1, &near), 0x12);
        assert_eq!(status_byte(4, &near), 0x1E);
        let cover = PrinterFaults {
            cover_open: true,
            ..Default::default()
        };
        assert_eq!(status_byte(1, &cover), 0x1A);
        assert_eq!(status_byte(2, &cover), 0x16);
        assert_eq!(status_byte(3, &cover), 0x12);
        let cutter = PrinterFaults {
            cutter_error: true,
            ..Default::default()
        };
        assert_eq!(status_byte(1, &cutter), 0x1A);
        assert_eq!(status_byte(2, &cutter), 0x52);
        assert_eq!(status_byte(3, &cutter), 0x1A);
        assert_eq!(status_byte(4, &cutter), 0x12);
    }

    #[test]
    fn replies_in_stream_order() {
        let (pages, replies, _) = run(384, b"\x10\x04\x01\x10\x04\x04\x10\x04\x09");
        assert!(pages.is_empty());
        assert_eq!(replies, vec![0x12, 0x12]);
    }

    #[test]
    fn unknown_commands_warn_and_resync() {
        let (pages, _, _) = run(384, b"\x1b\xffA\x1d\x99B\x1b\x1bC\x01\n");
        let p = &pages[0];
        assert_eq!(p.lines, vec!["ABC"]);
        assert_eq!(p.warnings.len(), 4, "{:?}", p.warnings);
        assert!(
            p.text()
                .contains("[WARNING: unknown ESC command [1B FF] skipped]")
        );
    }

    #[test]
    fn split_feeding_matches_whole_feeding() {
        let mut job = b"\x1b@\x1c&\x1ba\x01\x1bE\x01".to_vec();
        job.extend(gb("医疗保障"));
        job.extend(b"\n\x1d(k\x05\x001P0abc\x1d(k\x03\x001Q0");
        job.extend([0x1d, b'v', b'0', 0, 1, 0, 3, 0, 1, 2, 3]);
        job.extend(b"\x1dVA\x10tail\n");
        let (whole, _, _) = run(384, &job);
        let mut it = Interpreter::new(384);
        let mut out = Vec::new();
        for b in &job {
            it.feed(std::slice::from_ref(b), &PrinterFaults::default(), &mut out);
        }
        let mut pages: Vec<Page> = out
            .into_iter()
            .filter_map(|e| match e {
                Event::Page(p) => Some(p),
                _ => None,
            })
            .collect();
        pages.extend(it.finish());
        assert_eq!(pages, whole);
        assert_eq!(pages.len(), 2);
        // Alignment persists across the cut.
        assert_eq!(pages[1].lines, vec![format!("{}tail", " ".repeat(14))]);
        assert_eq!(pages[0].bytes + pages[1].bytes, job.len());
    }

    #[test]
    fn oversized_payload_is_skipped_streaming() {
        // GS 8 L with a 100000-byte payload, then text.
        let mut job = vec![0x1d, b'8', b'L', 0xA0, 0x86, 0x01, 0x00];
        job.extend(vec![b'Z'; 100_000]);
        job.extend(b"ok\n");
        let mut it = Interpreter::new(384);
        let mut out = Vec::new();
        for chunk in job.chunks(777) {
            it.feed(chunk, &PrinterFaults::default(), &mut out);
            assert!(it.pending.len() < 16);
        }
        let page = it.finish().expect("page");
        assert_eq!(page.lines, vec!["ok"]);
        assert_eq!(page.bytes, job.len());
    }

    #[test]
    fn offline_data_is_discarded() {
        let mut it = Interpreter::new(384);
        let mut out = Vec::new();
        let open = PrinterFaults {
            cover_open: true,
            ..Default::default()
        };
        it.feed(b"\x1b@lost\n\x10\x04\x02\x1dV\x00", &open, &mut out);
        assert!(matches!(out.as_slice(), [Event::Reply(0x16)]));
        assert_eq!(it.take_discarded(), 4 + 1 + 3);
        out.clear();
        it.feed(b"kept\n\x1dV\x00", &PrinterFaults::default(), &mut out);
        let [Event::Page(p)] = out.as_slice() else {
            panic!("one page expected: {out:?}");
        };
        assert_eq!(p.lines, vec!["kept"]);
        assert!(p.warnings.is_empty());
    }

    #[test]
    fn page_without_content_is_not_a_receipt() {
        let (pages, _, _) = run(384, b"\x1b@\n\n\x1dV\x00\x1bd\x05");
        assert!(pages.is_empty());
    }

    #[test]
    fn unterminated_line_is_printed_at_close() {
        let (pages, _, _) = run(384, b"abc");
        assert_eq!(pages[0].lines, vec!["abc"]);
        assert_eq!(pages[0].end, PageEnd::Closed);
        assert!(pages[0].warnings[0].contains("unterminated"));
    }

    mod fuzz {
        use super::*;
        use proptest::prelude::*;

        fn fragment() -> impl Strategy<Value = Vec<u8>> {
            prop_oneof![
                proptest::collection::vec(any::<u8>(), 0..32),
                proptest::sample::select(vec![
                    b"\x1b@".to_vec(),
                    b"\x1c&".to_vec(),
                    b"\x1c.".to_vec(),
                    b"\x1d!".to_vec(),
                    b"\x1d(k".to_vec(),
                    b"\x1dv0".to_vec(),
                    b"\x1dV".to_vec(),
                    b"\x10\x04".to_vec(),
                    b"\x1bd".to_vec(),
                    b"\x1b3".to_vec(),
                    b"\n".to_vec(),
                    vec![0xD2, 0xBD],
                ]),
            ]
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]
            #[test]
            fn random_bytes_never_panic(
                parts in proptest::collection::vec(fragment(), 0..40),
                split in 1usize..64,
                paper_out in any::<bool>(),
            ) {
                let bytes: Vec<u8> = parts.concat();
                let faults = PrinterFaults { paper_out, ..Default::default() };
                let mut it = Interpreter::new(384);
                let mut out = Vec::new();
                for chunk in bytes.chunks(split) {
                    it.feed(chunk, &faults, &mut out);
                }
                for e in &out {
                    match e {
                        Event::Page(_) => {}
                        Event::Reply(b) => prop_assert_eq!(b & 0x93, 0x12),
                        Event::AutoStatusBack(_) | Event::CutterJammed => {}
                    }
                }
                let mut pages: Vec<Page> = out
                    .into_iter()
                    .filter_map(|e| match e {
                        Event::Page(p) => Some(p),
                        _ => None,
                    })
                    .collect();
                pages.extend(it.finish());
                for p in &pages {
                    // Everything laid out lies on the paper.
                    for b in &p.blocks {
                        match &b.kind {
                            BlockKind::Text { glyphs, .. } => {
                                for g in glyphs {
                                    prop_assert!(g.x + g.width() <= 384);
                                }
                            }
                            BlockKind::Image { x, bitmap } => {
                                prop_assert!(x + bitmap.width <= 384);
                            }
                        }
                    }
                    let fonts = crate::printer::font::fonts().expect("fonts");
                    let png = crate::printer::render::render_png(p, fonts).expect("png");
                    prop_assert!(!png.is_empty());
                }
                let total: usize = pages.iter().map(|p| p.bytes).sum();
                prop_assert!(total <= bytes.len());
            }
        }
    }
}

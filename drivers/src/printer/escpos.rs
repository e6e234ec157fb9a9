//! A small ESC/POS command builder for Chinese thermal printers.
//!
//! Text is sent in Chinese mode (`FS &`, sent explicitly after every
//! `ESC @`; never assumed) and encoded as GB18030. Widths are counted in
//! printer cells: ASCII takes one 12-dot cell, a CJK character two.

use encoding_rs::GB18030;

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
    text.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum()
}

/// Builds a job byte by byte.
#[derive(Debug, Default, Clone)]
pub struct EscPos {
    bytes: Vec<u8>,
}

impl EscPos {
    /// A job that starts with `ESC @` and enters Chinese mode.
    pub fn new() -> EscPos {
        let mut job = EscPos { bytes: Vec::new() };
        job.bytes.extend_from_slice(&[0x1B, 0x40, 0x1C, 0x26]);
        job
    }

    /// `ESC a n`.
    pub fn align(&mut self, align: Align) -> &mut Self {
        let n = match align {
            Align::Left => 0,
            Align::Centre => 1,
            Align::Right => 2,
        };
        self.bytes.extend_from_slice(&[0x1B, 0x61, n]);
        self
    }

    /// `ESC E n`.
    pub fn bold(&mut self, on: bool) -> &mut Self {
        self.bytes.extend_from_slice(&[0x1B, 0x45, u8::from(on)]);
        self
    }

    /// `GS ! n`: width and height multipliers 1..=8.
    pub fn size(&mut self, width: u8, height: u8) -> &mut Self {
        let w = width.clamp(1, 8) - 1;
        let h = height.clamp(1, 8) - 1;
        self.bytes.extend_from_slice(&[0x1D, 0x21, (w << 4) | h]);
        self
    }

    /// Text in GB18030 (no line feed).
    pub fn text(&mut self, text: &str) -> &mut Self {
        let (encoded, _, _) = GB18030.encode(text);
        self.bytes.extend_from_slice(&encoded);
        self
    }

    /// Text and a line feed.
    pub fn line(&mut self, text: &str) -> &mut Self {
        self.text(text);
        self.bytes.push(0x0A);
        self
    }

    /// `ESC d n`: print and feed n lines.
    pub fn feed(&mut self, lines: u8) -> &mut Self {
        self.bytes.extend_from_slice(&[0x1B, 0x64, lines]);
        self
    }

    /// A QR code drawn by the printer (`GS ( k`): model 2, module size,
    /// error level M, store, print.
    pub fn qr(&mut self, data: &str, module: u8) -> &mut Self {
        let payload = data.as_bytes();
        let len = payload.len() + 3;
        let (pl, ph) = ((len & 0xFF) as u8, ((len >> 8) & 0xFF) as u8);
        self.bytes
            .extend_from_slice(&[0x1D, 0x28, 0x6B, 0x04, 0x00, 0x31, 0x41, 0x32, 0x00]);
        self.bytes.extend_from_slice(&[
            0x1D,
            0x28,
            0x6B,
            0x03,
            0x00,
            0x31,
            0x43,
            module.clamp(1, 16),
        ]);
        self.bytes
            .extend_from_slice(&[0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x45, 0x31]);
        self.bytes
            .extend_from_slice(&[0x1D, 0x28, 0x6B, pl, ph, 0x31, 0x50, 0x30]);
        self.bytes.extend_from_slice(payload);
        self.bytes
            .extend_from_slice(&[0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x51, 0x30]);
        self
    }

    /// `GS V B n`: feed n dots and partial cut.
    pub fn cut(&mut self) -> &mut Self {
        self.bytes.extend_from_slice(&[0x1D, 0x56, 0x42, 0x30]);
        self
    }

    /// The finished job.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    /// The bytes so far.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
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
    fn qr_length_counts_the_three_header_bytes() {
        let mut job = EscPos::new();
        job.qr("ABC", 6);
        let b = job.as_bytes();
        let store = b.windows(3).position(|w| w == [0x31, 0x50, 0x30]).unwrap();
        assert_eq!(b[store - 2], 6); // pL = 3 data + 3
        assert_eq!(&b[store + 3..store + 6], b"ABC");
    }

    #[test]
    fn widths_count_cjk_as_two_cells() {
        assert_eq!(cell_width("余额 12.50"), 10);
    }
}

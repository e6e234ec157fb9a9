//! The reader's side of the GA 467 SAM protocol, written from the protocol
//! notes and independently of the driver: command frames in, response
//! frames out.
//!
//! ```text
//! command:  AA AA AA 96 69 | LEN(2, BE) | CMD PARA DATA... | CHK
//! response: AA AA AA 96 69 | LEN(2, BE) | SW1 SW2 SW3 DATA... | CHK
//! ```
//!
//! LEN counts everything after itself including CHK; CHK is the XOR of
//! LEN_HI through the last byte before it.

use super::card::SimCard;

/// Frame preamble.
pub const PREAMBLE: [u8; 5] = [0xAA, 0xAA, 0xAA, 0x96, 0x69];

/// Largest command LEN accepted. Commands carry at most a few data bytes;
/// a larger LEN is a corrupted frame and is answered with status 11.
const MAX_COMMAND_LEN: usize = 255;

/// The 16-byte SAM management number the simulator reports (12 FF).
pub const SAM_ID: [u8; 16] = *b"SIM-SAM-00000001";

/// Status bytes (SW3) the simulator sends.
pub mod sw3 {
    /// 操作成功.
    pub const OK: u8 = 0x90;
    /// 此项无内容 (GA 467 code for "the card holds nothing for this item";
    /// used for a missing fingerprint or appended address).
    pub const NO_CONTENT: u8 = 0x91;
    /// 寻找居民身份证成功.
    pub const CARD_FOUND: u8 = 0x9F;
    /// 接收业务终端数据的校验和错.
    pub const BAD_CHECKSUM: u8 = 0x10;
    /// 接收业务终端数据的长度错.
    pub const BAD_LENGTH: u8 = 0x11;
    /// 接收业务终端的命令错误.
    pub const BAD_COMMAND: u8 = 0x21;
    /// 读居民身份证操作失败.
    pub const READ_FAILED: u8 = 0x41;
    /// 寻找居民身份证失败.
    pub const NO_CARD: u8 = 0x80;
    /// 选取居民身份证失败.
    pub const SELECT_FAILED: u8 = 0x81;
}

/// A command frame as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Incoming {
    /// A well-formed command.
    Command {
        /// CMD.
        cmd: u8,
        /// PARA.
        para: u8,
        /// DATA.
        data: Vec<u8>,
    },
    /// A frame whose checksum did not match.
    BadChecksum,
    /// A frame with an impossible LEN.
    BadLength,
}

/// Collects command frames from the byte stream, skipping noise.
#[derive(Debug, Default)]
pub struct CommandDecoder {
    buf: Vec<u8>,
}

impl CommandDecoder {
    /// Adds received bytes.
    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// The next complete frame, if any.
    pub fn next_incoming(&mut self) -> Option<Incoming> {
        let start = self.buf.windows(5).position(|w| w == PREAMBLE);
        let Some(start) = start else {
            // Keep at most 4 bytes: they may begin the next preamble.
            let keep = self.buf.len().min(4);
            self.buf.drain(..self.buf.len() - keep);
            return None;
        };
        self.buf.drain(..start);
        if self.buf.len() < 7 {
            return None;
        }
        let len = usize::from(self.buf[5]) << 8 | usize::from(self.buf[6]);
        if !(3..=MAX_COMMAND_LEN).contains(&len) {
            self.buf.drain(..5);
            return Some(Incoming::BadLength);
        }
        if self.buf.len() < 7 + len {
            return None;
        }
        let frame: Vec<u8> = self.buf.drain(..7 + len).collect();
        let (body, chk) = frame.split_at(frame.len() - 1);
        let sum = body[5..].iter().fold(0u8, |a, b| a ^ b);
        if chk.first() != Some(&sum) {
            return Some(Incoming::BadChecksum);
        }
        Some(Incoming::Command {
            cmd: body[7],
            para: body[8],
            data: body[9..].to_vec(),
        })
    }
}

/// Builds a response frame with SW1 = SW2 = 00.
pub fn response(sw3: u8, data: &[u8]) -> Vec<u8> {
    let len = data.len() + 4;
    let mut out = PREAMBLE.to_vec();
    out.push((len >> 8) as u8);
    out.push((len & 0xFF) as u8);
    out.extend_from_slice(&[0x00, 0x00, sw3]);
    out.extend_from_slice(data);
    let chk = out[5..].iter().fold(0u8, |a, b| a ^ b);
    out.push(chk);
    out
}

/// Two-byte big-endian length.
fn be16(n: usize) -> [u8; 2] {
    [(n >> 8) as u8, (n & 0xFF) as u8]
}

/// The reader's answer to one incoming frame, given the card on it (if any).
pub fn answer(incoming: &Incoming, card: Option<&SimCard>) -> Vec<u8> {
    let (cmd, para) = match incoming {
        Incoming::BadChecksum => return response(sw3::BAD_CHECKSUM, &[]),
        Incoming::BadLength => return response(sw3::BAD_LENGTH, &[]),
        Incoming::Command { cmd, para, .. } => (*cmd, *para),
    };
    match (cmd, para, card) {
        (0x10 | 0x11, 0xFF, _) => response(sw3::OK, &[]),
        (0x12, 0xFF, _) => response(sw3::OK, &SAM_ID),
        (0x20, 0x01, Some(_)) => response(sw3::CARD_FOUND, &[0, 0, 0, 0]),
        (0x20, 0x01, None) => response(sw3::NO_CARD, &[]),
        (0x20, 0x02, Some(card)) => response(sw3::OK, &card.serial()),
        (0x20, 0x02, None) => response(sw3::SELECT_FAILED, &[]),
        (0x30, 0x01 | 0x10 | 0x03, None) => response(sw3::READ_FAILED, &[]),
        (0x30, 0x01, Some(card)) => {
            let mut data = Vec::with_capacity(4 + card.text.len() + card.photo.len());
            data.extend_from_slice(&be16(card.text.len()));
            data.extend_from_slice(&be16(card.photo.len()));
            data.extend_from_slice(&card.text);
            data.extend_from_slice(&card.photo);
            response(sw3::OK, &data)
        }
        (0x30, 0x10, Some(card)) => match &card.fingerprint {
            Some(fp) => {
                let mut data = Vec::new();
                data.extend_from_slice(&be16(card.text.len()));
                data.extend_from_slice(&be16(card.photo.len()));
                data.extend_from_slice(&be16(fp.len()));
                data.extend_from_slice(&card.text);
                data.extend_from_slice(&card.photo);
                data.extend_from_slice(fp);
                response(sw3::OK, &data)
            }
            None => response(sw3::NO_CONTENT, &[]),
        },
        (0x30, 0x03, Some(card)) => match &card.appended_address {
            Some(address) => response(sw3::OK, address),
            None => response(sw3::NO_CONTENT, &[]),
        },
        // Baud rates 00..=04 are acknowledged; a pty has no baud rate.
        (0x60, 0x00..=0x04, _) => response(sw3::OK, &[]),
        _ => response(sw3::BAD_COMMAND, &[]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn command(cmd: u8, para: u8) -> Incoming {
        Incoming::Command {
            cmd,
            para,
            data: vec![],
        }
    }

    #[test]
    fn decodes_the_find_command_written_by_hand() {
        let mut d = CommandDecoder::default();
        d.push(&[0x13, 0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x03, 0x20]);
        assert_eq!(d.next_incoming(), None);
        d.push(&[0x01, 0x22]);
        assert_eq!(d.next_incoming(), Some(command(0x20, 0x01)));
        assert_eq!(d.next_incoming(), None);
    }

    #[test]
    fn bad_checksum_and_length() {
        let mut d = CommandDecoder::default();
        d.push(&[0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x03, 0x20, 0x01, 0x23]);
        assert_eq!(d.next_incoming(), Some(Incoming::BadChecksum));
        d.push(&[0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x01, 0x20]);
        assert_eq!(d.next_incoming(), Some(Incoming::BadLength));
        d.push(&[0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x03, 0x11, 0xFF, 0xED]);
        assert_eq!(d.next_incoming(), Some(command(0x11, 0xFF)));
    }

    #[test]
    fn answers_by_hand() {
        let card = SimCard::demo();
        assert_eq!(
            answer(&command(0x20, 0x01), Some(&card)),
            [
                0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x08, 0x00, 0x00, 0x9F, 0, 0, 0, 0, 0x97
            ]
        );
        assert_eq!(
            answer(&command(0x20, 0x01), None),
            [
                0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x04, 0x00, 0x00, 0x80, 0x84
            ]
        );
        assert_eq!(
            answer(&Incoming::BadChecksum, None),
            [
                0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x04, 0x00, 0x00, 0x10, 0x14
            ]
        );
        assert_eq!(
            answer(&command(0x60, 0x04), None),
            [
                0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x04, 0x00, 0x00, 0x90, 0x94
            ]
        );
        assert_eq!(answer(&command(0x60, 0x05), None)[9], sw3::BAD_COMMAND);
        assert_eq!(answer(&command(0x77, 0x00), None)[9], sw3::BAD_COMMAND);
        assert_eq!(answer(&command(0x20, 0x02), None)[9], sw3::SELECT_FAILED);
        assert_eq!(answer(&command(0x30, 0x01), None)[9], sw3::READ_FAILED);
        let sam = answer(&command(0x12, 0xFF), None);
        assert_eq!(&sam[10..26], &SAM_ID);
    }

    #[test]
    fn read_text_photo_is_1295_bytes_on_the_wire() {
        let card = SimCard::demo();
        let frame = answer(&command(0x30, 0x01), Some(&card));
        assert_eq!(frame.len(), 1295);
        assert_eq!(&frame[5..7], &[0x05, 0x08]); // LEN 1288 = 3 + 4 + 256 + 1024 + 1
        assert_eq!(&frame[10..14], &[0x01, 0x00, 0x04, 0x00]);
        assert_eq!(&frame[14..270], &card.text);
    }

    #[test]
    fn fingerprint_and_appended_address() {
        let card = SimCard::demo();
        assert_eq!(
            answer(&command(0x30, 0x10), Some(&card))[9],
            sw3::NO_CONTENT
        );
        assert_eq!(
            answer(&command(0x30, 0x03), Some(&card))[9],
            sw3::NO_CONTENT
        );
        let card = card
            .with_fingerprint(vec![0x5A; 1024])
            .with_appended_address("新址")
            .unwrap();
        let frame = answer(&command(0x30, 0x10), Some(&card));
        assert_eq!(&frame[10..16], &[0x01, 0x00, 0x04, 0x00, 0x04, 0x00]);
        assert_eq!(frame.len(), 7 + 3 + 6 + 256 + 1024 + 1024 + 1);
        let frame = answer(&command(0x30, 0x03), Some(&card));
        assert_eq!(&frame[10..14], &[0xB0, 0x65, 0x40, 0x57]); // 新 U+65B0, 址 U+5740
    }
}

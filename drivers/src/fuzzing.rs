//! Fuzz harnesses of the parsers, shared by the cargo-fuzz targets in
//! `fuzz/` (nightly, libFuzzer) and the stable-Rust smoke test
//! `drivers/tests/parser_smoke.rs` (proptest, bounded random input).
//! Each function takes arbitrary bytes and panics only on a broken
//! invariant; see docs/fuzzing.md.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::Error;
use crate::error::Device;
use crate::idcard::{ResponseDecoder, decode_text_block};
use crate::scanner::{LineDecoder, ScanOutcome, Scanner, TokenRule};
use crate::sscard::apdu::{CardChannel, Response};
use crate::sscard::ccid::{parse_notify_slot_change, parse_reply};
use crate::sscard::ssse::{self, FIELDS};
use crate::sscard::{BulkPipe, SsCardReader};

/// GA 467 response frames: the streaming decoder fed the input in chunks
/// (size from the first byte) never panics and always advances.
pub fn idcard_frame(data: &[u8]) {
    let Some((&chunk, rest)) = data.split_first() else {
        return;
    };
    let chunk = usize::from(chunk).max(1);
    let mut decoder = ResponseDecoder::new();
    for part in rest.chunks(chunk) {
        decoder.push(part);
        let mut rounds = 0;
        while let Some(frame) = decoder.next_frame() {
            if let Ok(frame) = frame {
                assert!(frame.encode().len() <= rest.len());
            }
            rounds += 1;
            assert!(rounds <= rest.len() + 1, "decoder does not advance");
        }
    }
}

/// The 256-byte ID card text block (and photo), also with the kind flag
/// forced to each known letter.
pub fn idcard_text(data: &[u8]) {
    let split = data.len().min(256);
    let (text, photo) = data.split_at(split);
    let _ = decode_text_block(text, photo);
    if text.len() == 256 {
        for flag in [b' ', b'I', b'J', b'Y'] {
            let mut t = text.to_vec();
            t[248] = flag;
            t[249] = 0;
            let _ = decode_text_block(&t, photo);
        }
    }
}

struct Transfers(VecDeque<Vec<u8>>);

impl BulkPipe for Transfers {
    fn write_bulk(&mut self, _: &[u8], _: Duration) -> Result<(), Error> {
        Ok(())
    }
    fn read_bulk(&mut self, buf: &mut [u8], _: Duration) -> Result<usize, Error> {
        let m = self.0.pop_front().ok_or(Error::Timeout {
            device: Device::SsCardReader,
        })?;
        let n = m.len().min(buf.len());
        buf[..n].copy_from_slice(&m[..n]);
        Ok(n)
    }
    fn read_interrupt(&mut self, buf: &mut [u8], _: Duration) -> Result<usize, Error> {
        match self.0.pop_front() {
            Some(m) => {
                let n = m.len().min(buf.len());
                buf[..n].copy_from_slice(&m[..n]);
                Ok(n)
            }
            None => Ok(0),
        }
    }
}

/// CCID: the reply and slot-change parsers, then a whole card read over a
/// pipe whose bulk IN transfers are the input split at `FE FE`.
pub fn ccid(data: &[u8]) {
    let _ = parse_reply(data);
    let _ = parse_notify_slot_change(data);
    let _ = ccid_read(data);
}

/// The card read of [`ccid`]: the first transfer goes to the interrupt
/// endpoint, the rest answer slot status, power on, the APDUs and power off.
pub fn ccid_read(data: &[u8]) -> Result<Option<crate::sscard::SsCardRecord>, Error> {
    let mut transfers = VecDeque::new();
    let mut start = 0;
    let mut i = 0;
    while i + 1 < data.len() {
        if data[i] == 0xFE && data[i + 1] == 0xFE {
            transfers.push_back(data[start..i].to_vec());
            start = i + 2;
            i += 2;
        } else {
            i += 1;
        }
    }
    transfers.push_back(data[start.min(data.len())..].to_vec());
    let mut reader = SsCardReader::ccid(Transfers(transfers), Duration::from_secs(1));
    let _ = reader.wait_slot_change(Duration::ZERO);
    let read = reader.card_present().and_then(|_| reader.read_card());
    let _ = reader.card_present();
    read
}

struct Answers(VecDeque<Vec<u8>>);

impl CardChannel for Answers {
    fn transmit(&mut self, _: &[u8]) -> Result<Vec<u8>, Error> {
        Ok(self.0.pop_front().unwrap_or_else(|| vec![0x90, 0x00]))
    }
}

/// APDU responses and SSSE records: the splitter, TLV parser and field
/// decoders on the raw input, then a card read whose answers are the input
/// cut into length-prefixed pieces.
pub fn apdu_tlv(data: &[u8]) {
    let _ = Response::parse(data);
    let _ = ssse::parse_tlv(data);
    for spec in FIELDS {
        let _ = ssse::field_value(&spec, data);
        let _ = ssse::decode_bcd_date(&spec, data);
        let _ = ssse::decode_gbk(&spec, data);
        let _ = ssse::decode_ascii(&spec, data);
    }
    let mut answers = VecDeque::new();
    let mut rest = data;
    while let Some((&n, tail)) = rest.split_first() {
        let n = usize::from(n).min(tail.len());
        answers.push_back(tail[..n].to_vec());
        rest = &tail[n..];
    }
    let records: Vec<_> = FIELDS
        .iter()
        .copied()
        .zip(answers.iter().cloned().map(Some))
        .collect();
    let _ = ssse::decode_fields(&[], &records, Vec::new());
    let _ = ssse::read_card(&mut Answers(answers), &[0x3B], None);
}

/// Scanner lines: the input in chunks (size from the first byte) through
/// the line decoder, the token rule and the scanner with debouncing.
pub fn scanner_lines(data: &[u8]) {
    let Some((&chunk, rest)) = data.split_first() else {
        return;
    };
    let chunk = usize::from(chunk).max(1);
    let rule = TokenRule {
        max_len: 64,
        ..TokenRule::default()
    };
    let mut decoder = LineDecoder::new(rule.max_len);
    let t = Instant::now();
    let mut scanner = Scanner::new(std::io::empty(), rule.clone(), Duration::from_secs(1));
    for (i, part) in rest.chunks(chunk).enumerate() {
        decoder.push(part);
        while let Some(line) = decoder.next_line() {
            if let Ok(line) = line {
                assert!(line.len() <= rule.max_len);
                assert!(!line.contains(&b'\r') && !line.contains(&b'\n'));
                if let Ok(token) = rule.classify(&line) {
                    assert!(token.starts_with("ECV1-"));
                }
            }
        }
        let now = t + Duration::from_millis(u64::try_from(i).unwrap_or(0).saturating_mul(300));
        for outcome in scanner.feed(part, now) {
            if let ScanOutcome::Voucher(token) = outcome {
                assert!(token.len() <= rule.max_len);
            }
        }
    }
}

//! Fuzz harnesses of the parsers, shared by the cargo-fuzz targets in
//! `fuzz/` (nightly, libFuzzer) and the stable-Rust smoke test
//! `drivers/tests/parser_smoke.rs` (proptest, bounded random input).
//! Each function takes arbitrary bytes and panics only on a broken
//! invariant; see docs/fuzzing.md.

use std::collections::VecDeque;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use kiosk_core::identity::Credential;

use crate::Error;
use crate::error::Device;
use crate::idcard::{ResponseDecoder, decode_text_block};
use crate::printer::link::Transport;
use crate::printer::{EscPos, Job, PrinterLink, PrinterStatus};
use crate::scanner::{LineDecoder, Rejection, ScanOutcome, Scanner, TokenRule};
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
    let mut reader = SsCardReader::ccid(Transfers(split_fe_fe(data)), Duration::from_secs(1));
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

/// Splits `data` at every `FE FE` (the pieces may be empty).
fn split_fe_fe(data: &[u8]) -> VecDeque<Vec<u8>> {
    let mut pieces = VecDeque::new();
    let mut start = 0;
    let mut i = 0;
    while i + 1 < data.len() {
        if data[i] == 0xFE && data[i + 1] == 0xFE {
            pieces.push_back(data[start..i].to_vec());
            start = i + 2;
            i += 2;
        } else {
            i += 1;
        }
    }
    pieces.push_back(data[start.min(data.len())..].to_vec());
    pieces
}

/// A printer whose reads are the fuzzer's: each `read_some` gives the
/// next piece (an empty piece: nothing came), a piece longer than the
/// buffer is given over several reads; when the pieces run out the link
/// times out (so no read loop can wait on it).
struct PrinterReplies(VecDeque<Vec<u8>>);

impl Transport for PrinterReplies {
    fn write_all(&mut self, _: &[u8]) -> Result<(), Error> {
        Ok(())
    }
    fn read_some(&mut self, buf: &mut [u8], _: Duration) -> Result<usize, Error> {
        let Some(mut piece) = self.0.pop_front() else {
            return Err(Error::Timeout {
                device: Device::Printer,
            });
        };
        let n = piece.len().min(buf.len());
        buf[..n].copy_from_slice(&piece[..n]);
        if n < piece.len() {
            piece.drain(..n);
            self.0.push_front(piece);
        }
        Ok(n)
    }
    fn kind(&self) -> &'static str {
        "fuzz"
    }
}

/// A job long enough for a status check between its segments.
fn printer_job() -> &'static Job {
    static JOB: OnceLock<Job> = OnceLock::new();
    JOB.get_or_init(|| {
        let mut b = EscPos::new();
        for i in 0..120 {
            b.line(&format!("第{i}行 参保凭证"));
        }
        b.cut();
        b.finish()
    })
}

/// Printer status (`DLE EOT 1`..`4`): every 4 bytes of the input through
/// [`PrinterStatus::decode`], then the link's status read and a whole job
/// over a printer whose replies are the input split at `FE FE`. A reply
/// is accepted exactly when its fixed bits are right, a decoded status
/// re-encodes to replies that decode to it, only a state that can print
/// lets a job through, and a refused reply is one that does not decode.
pub fn printer_status(data: &[u8]) {
    for w in data.chunks_exact(4) {
        let replies = [w[0], w[1], w[2], w[3]];
        let decoded = PrinterStatus::decode(replies);
        assert_eq!(
            decoded.is_some(),
            replies.iter().all(|b| b & 0x93 == 0x12),
            "fixed bits of {replies:02x?}"
        );
        if let Some(status) = decoded {
            assert_eq!(PrinterStatus::decode(status.encode()), Some(status));
            let state = status.state();
            assert_eq!(state.can_print(), state.fail_cause().is_none());
            assert!(!state.label().is_empty());
        }
    }
    let check = |result: &Result<crate::printer::PrinterState, Error>| match result {
        Err(Error::PrinterBadStatus { bytes }) => {
            assert!(PrinterStatus::decode(*bytes).is_none());
        }
        Err(Error::PrinterNotReady(state)) => assert!(!state.can_print()),
        _ => {}
    };
    match printer_print(data) {
        Ok(report) => {
            assert!(report.state.can_print());
            assert!(report.status_checks >= 2);
            assert_eq!(report.bytes, printer_job().bytes.len());
        }
        Err(e) => check(&Err(e)),
    }
}

/// The link part of [`printer_status`]: one status read, then a whole job
/// (120 lines, so checked before, between segments and after) over a
/// printer whose replies are `data` split at `FE FE`.
pub fn printer_print(data: &[u8]) -> Result<crate::printer::link::PrintReport, Error> {
    let mut link = PrinterLink::from_transport(
        Box::new(PrinterReplies(split_fe_fe(data))),
        Duration::from_secs(10),
    );
    if let Err(Error::PrinterBadStatus { bytes }) = link.state() {
        assert!(PrinterStatus::decode(bytes).is_none());
    }
    link.print(printer_job())
}

/// Characters an accepted token may contain (the rule's own set).
fn token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':' | '=' | '+' | '/')
}

/// E-voucher codes: a scanned line through the token rule, the rule
/// itself configured from the input (as staff configure the prefixes):
/// byte 0 the shortest token, byte 1 the longest (× 2), byte 2 the
/// number of prefixes (0–3), then each prefix as a length byte and its
/// bytes, the rest the line.
///
/// An accepted token is the line without its surrounding blanks, within
/// the lengths, of the allowed characters, with a configured prefix, not
/// a URL or a product code; it is accepted again as itself; the
/// credential and the scan outcome never show it in `Debug`. A scanner fed
/// the line with a CR says the same, and nothing on a repeat within the
/// window.
pub fn evoucher(data: &[u8]) {
    let (head, mut rest) = data.split_at(data.len().min(3));
    let [min_len, max_len, prefixes] = match *head {
        [a, b, c] => [a, b, c],
        _ => return,
    };
    let mut rule = TokenRule {
        prefixes: Vec::new(),
        min_len: usize::from(min_len),
        max_len: usize::from(max_len) * 2,
    };
    for _ in 0..prefixes % 4 {
        let Some((&n, tail)) = rest.split_first() else {
            break;
        };
        let n = usize::from(n % 16).min(tail.len());
        rule.prefixes
            .push(String::from_utf8_lossy(&tail[..n]).into_owned());
        rest = &tail[n..];
    }
    let line = rest;
    let verdict = rule.classify(line);
    match &verdict {
        Ok(token) => {
            let text = std::str::from_utf8(line).unwrap_or_default();
            assert_eq!(token, text.trim_matches(|c: char| c == ' ' || c == '\t'));
            assert!(token.len() >= rule.min_len && token.len() <= rule.max_len);
            assert!(token.chars().all(token_char), "{token:?}");
            assert!(!token.chars().all(|c| c.is_ascii_digit()));
            let lower = token.to_ascii_lowercase();
            assert!(!lower.contains("://") && !lower.starts_with("www."));
            assert!(
                rule.prefixes.is_empty()
                    || rule.prefixes.iter().any(|p| token.starts_with(p.as_str()))
            );
            assert_eq!(rule.classify(token.as_bytes()).as_ref(), Ok(token));
            let credential = Credential::EVoucher {
                token: token.clone(),
            };
            let outcome = ScanOutcome::Voucher(token.clone());
            if token.len() > 8 {
                assert!(!format!("{credential:?}").contains(token.as_str()));
                assert!(!format!("{outcome:?}").contains(token.as_str()));
            }
        }
        Err(rejection) => {
            assert!(!rejection.user_message().is_empty());
            if let Rejection::TooLong { max } = rejection {
                assert_eq!(*max, rule.max_len);
            }
            if line.len() > rule.max_len {
                assert_eq!(*rejection, Rejection::TooLong { max: rule.max_len });
            }
        }
    }
    if line.is_empty() || line.contains(&b'\r') || line.contains(&b'\n') {
        return;
    }
    let window = Duration::from_secs(3);
    let mut scanner = Scanner::new(std::io::empty(), rule.clone(), window);
    let t = Instant::now();
    let mut framed = line.to_vec();
    framed.push(b'\r');
    let expected = vec![match verdict {
        Ok(token) => ScanOutcome::Voucher(token),
        // The decoder refuses an overlong line itself, with the same reason.
        Err(r) => ScanOutcome::Rejected(r),
    }];
    assert_eq!(scanner.feed(&framed, t), expected);
    assert_eq!(scanner.feed(&framed, t + Duration::from_secs(1)), vec![]);
    assert_eq!(scanner.feed(&framed, t + Duration::from_secs(5)), expected);
}

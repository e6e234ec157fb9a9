//! The e-voucher QR scanner (医保电子凭证扫码器): a 2D barcode scanner on a
//! serial port (RS-232 or USB CDC) that sends each decoded code followed by
//! CR (some models CR LF, some LF).
//!
//! - [`LineDecoder`]: bytes → lines, any of CR / LF / CRLF, bounded length.
//! - [`Debouncer`]: drops the same code seen again within a window (the
//!   scanner repeats while a phone is held in front of it). Time comes in
//!   as a parameter.
//! - [`TokenRule`]: the one place that decides whether a code is an
//!   e-voucher token. **Provisional**: the national e-voucher QR content is
//!   opaque and short-lived; the kiosk never decodes it and only refuses
//!   what is plainly something else (a URL, a product barcode, control
//!   characters, a cut-off read). The accepted prefixes are configurable;
//!   the default accepts the demo tokens (`ECV1-...`) of the reference
//!   central service. Set the prefixes of the province's real codes (or
//!   none: any opaque token) when the kiosk goes live.
//! - [`Scanner`]: all three over any `Read` transport.

use kiosk_core::tr;
use std::fmt;
use std::io::{self, Read};
use std::time::{Duration, Instant};

use serialport::{DataBits, FlowControl, Parity, SerialPort, StopBits};

use crate::Error;

/// Why a scanned code is not accepted as an e-voucher token. Carries no
/// part of the code (it may be personal).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// Nothing but whitespace.
    #[error("empty code")]
    Empty,
    /// Longer than the configured maximum (a runaway or concatenated read).
    #[error("code longer than {max} bytes")]
    TooLong {
        /// The maximum.
        max: usize,
    },
    /// Shorter than any token: a partial read.
    #[error("code too short, probably a partial read")]
    Incomplete,
    /// A web address (a payment or advertising QR code).
    #[error("code is a URL")]
    Url,
    /// Digits only, with the length of a product barcode (EAN-8/13, UPC-A, ITF-14).
    #[error("code is a product barcode")]
    ProductBarcode,
    /// Text that is not valid UTF-8 or contains control characters.
    #[error("code is not printable text")]
    Garbage,
    /// Printable, but not the shape of an e-voucher token.
    #[error("code is not an e-voucher token")]
    NotAVoucher,
}

impl Rejection {
    /// The message for the citizen: what happened and what to do next.
    pub fn user_message(self) -> &'static str {
        match self {
            Rejection::Empty | Rejection::Incomplete | Rejection::TooLong { .. } => {
                tr!("扫码不完整，请将医保电子凭证二维码对准扫码区，保持手机不动，重新扫码。")
            }
            Rejection::Url => {
                tr!(
                    "您扫的是网址二维码，不是医保电子凭证。请在医保App或微信/支付宝中打开“医保电子凭证”，出示二维码后重新扫码。"
                )
            }
            Rejection::ProductBarcode => {
                tr!(
                    "您扫的是商品条码，不是医保电子凭证。请出示医保电子凭证二维码（在医保App或微信/支付宝中打开）。"
                )
            }
            Rejection::Garbage | Rejection::NotAVoucher => {
                tr!(
                    "无法识别该二维码，它不是医保电子凭证。请在医保App或微信/支付宝中打开“医保电子凭证”，出示二维码后重新扫码。"
                )
            }
        }
    }
}

/// Splits the scanner's byte stream into lines.
#[derive(Debug, Clone)]
pub struct LineDecoder {
    buf: Vec<u8>,
    max_len: usize,
    overflow: bool,
    last_was_cr: bool,
    ready: std::collections::VecDeque<Result<Vec<u8>, Rejection>>,
}

impl LineDecoder {
    /// A decoder that refuses lines longer than `max_len` bytes.
    pub fn new(max_len: usize) -> LineDecoder {
        LineDecoder {
            buf: Vec::new(),
            max_len,
            overflow: false,
            last_was_cr: false,
            ready: Default::default(),
        }
    }

    /// Feeds bytes from the link.
    pub fn push(&mut self, bytes: &[u8]) {
        for &b in bytes {
            match b {
                b'\r' | b'\n' => {
                    let lf_after_cr = b == b'\n' && self.last_was_cr;
                    self.last_was_cr = b == b'\r';
                    if lf_after_cr {
                        continue;
                    }
                    if self.overflow {
                        self.ready
                            .push_back(Err(Rejection::TooLong { max: self.max_len }));
                    } else if !self.buf.is_empty() {
                        self.ready.push_back(Ok(std::mem::take(&mut self.buf)));
                    }
                    self.buf.clear();
                    self.overflow = false;
                }
                _ => {
                    self.last_was_cr = false;
                    if self.overflow {
                        continue;
                    }
                    if self.buf.len() >= self.max_len {
                        self.overflow = true;
                        self.buf.clear();
                    } else {
                        self.buf.push(b);
                    }
                }
            }
        }
    }

    /// The next complete line (raw bytes, without terminator), or the
    /// rejection of an overlong one; `None` until a terminator arrives.
    pub fn next_line(&mut self) -> Option<Result<Vec<u8>, Rejection>> {
        self.ready.pop_front()
    }

    /// Bytes of an unterminated line held back (a partial read if it stays).
    pub fn pending(&self) -> usize {
        self.buf.len()
    }

    /// Drops an unterminated line (e.g. after a long silence: the rest of
    /// that read is never coming).
    pub fn discard_pending(&mut self) -> bool {
        let had = !self.buf.is_empty() || self.overflow;
        self.buf.clear();
        self.overflow = false;
        had
    }
}

/// Drops a code seen again within `window` of its last sighting.
#[derive(Clone)]
pub struct Debouncer {
    window: Duration,
    last: Option<(String, Instant)>,
}

impl fmt::Debug for Debouncer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Debouncer")
            .field("window", &self.window)
            .finish_non_exhaustive()
    }
}

impl Debouncer {
    /// A debouncer with this window.
    pub fn new(window: Duration) -> Debouncer {
        Debouncer { window, last: None }
    }

    /// Whether `code`, seen at `now`, is new (true) or a repeat within the
    /// window (false). A repeat extends the window: a phone held in front
    /// of the scanner keeps being one scan.
    pub fn accept(&mut self, code: &str, now: Instant) -> bool {
        let repeat = self.last.as_ref().is_some_and(|(last, at)| {
            last == code && now.saturating_duration_since(*at) < self.window
        });
        self.last = Some((code.to_string(), now));
        !repeat
    }

    /// Forgets the last code (after a session ended, the same voucher may
    /// be scanned again at once).
    pub fn reset(&mut self) {
        self.last = None;
    }
}

/// The e-voucher token check (provisional; see the module documentation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRule {
    /// Accepted prefixes; empty: any token passing the other checks.
    pub prefixes: Vec<String>,
    /// Shortest accepted token.
    pub min_len: usize,
    /// Longest accepted token (and line).
    pub max_len: usize,
}

impl Default for TokenRule {
    fn default() -> Self {
        TokenRule {
            prefixes: vec!["ECV1-".to_string()],
            min_len: 16,
            max_len: 512,
        }
    }
}

/// Lengths of all-digit product codes: EAN-8, UPC-A, EAN-13, ITF-14/GTIN-14.
const PRODUCT_CODE_LENGTHS: [usize; 4] = [8, 12, 13, 14];

/// Characters an opaque token may contain (base64/base64url/base32 and separators).
fn token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':' | '=' | '+' | '/')
}

impl TokenRule {
    /// The token in a scanned line, or why it is refused.
    pub fn classify(&self, line: &[u8]) -> Result<String, Rejection> {
        if line.len() > self.max_len {
            return Err(Rejection::TooLong { max: self.max_len });
        }
        let text = std::str::from_utf8(line).map_err(|_| Rejection::Garbage)?;
        let code = text.trim_matches(|c: char| c == ' ' || c == '\t');
        if code.is_empty() {
            return Err(Rejection::Empty);
        }
        if code.chars().any(char::is_control) {
            return Err(Rejection::Garbage);
        }
        let lower = code.to_ascii_lowercase();
        if lower.contains("://") || lower.starts_with("www.") {
            return Err(Rejection::Url);
        }
        if code.chars().all(|c| c.is_ascii_digit()) {
            return Err(if PRODUCT_CODE_LENGTHS.contains(&code.len()) {
                Rejection::ProductBarcode
            } else {
                Rejection::NotAVoucher
            });
        }
        if !code.chars().all(token_char) {
            return Err(Rejection::NotAVoucher);
        }
        let prefix_ok =
            self.prefixes.is_empty() || self.prefixes.iter().any(|p| code.starts_with(p.as_str()));
        if !prefix_ok {
            // A cut-off read of a voucher ("ECV") is incomplete, not foreign.
            if self
                .prefixes
                .iter()
                .any(|p| p.starts_with(code) && code.len() < p.len())
            {
                return Err(Rejection::Incomplete);
            }
            return Err(Rejection::NotAVoucher);
        }
        if code.len() < self.min_len {
            return Err(Rejection::Incomplete);
        }
        Ok(code.to_string())
    }
}

/// What one scan came to.
#[derive(Clone, PartialEq, Eq)]
pub enum ScanOutcome {
    /// An e-voucher token.
    Voucher(String),
    /// Something that is not one.
    Rejected(Rejection),
}

impl fmt::Debug for ScanOutcome {
    /// Never shows the token.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScanOutcome::Voucher(t) => write!(f, "Voucher({} chars)", t.len()),
            ScanOutcome::Rejected(r) => write!(f, "Rejected({r:?})"),
        }
    }
}

/// A line whose terminator has not come after this long is a partial read.
pub const PARTIAL_AFTER: Duration = Duration::from_millis(500);

/// A scanner on any byte transport whose `read` returns within a short
/// time (data, `Ok(0)`, or `TimedOut`/`WouldBlock` for "nothing yet").
pub struct Scanner<P: Read> {
    port: P,
    decoder: LineDecoder,
    debouncer: Debouncer,
    rule: TokenRule,
    last_byte: Option<Instant>,
}

impl<P: Read> fmt::Debug for Scanner<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scanner")
            .field("rule", &self.rule)
            .field("debouncer", &self.debouncer)
            .finish_non_exhaustive()
    }
}

impl<P: Read> Scanner<P> {
    /// A scanner with this token rule and duplicate window.
    pub fn new(port: P, rule: TokenRule, debounce: Duration) -> Scanner<P> {
        Scanner {
            port,
            decoder: LineDecoder::new(rule.max_len),
            debouncer: Debouncer::new(debounce),
            rule,
            last_byte: None,
        }
    }

    /// Reads what the link has (one `read`), and returns the scans it
    /// completed, at `now`. Duplicates within the window are dropped; an
    /// unterminated line older than [`PARTIAL_AFTER`] is reported as
    /// incomplete.
    pub fn poll(&mut self, now: Instant) -> Result<Vec<ScanOutcome>, Error> {
        let mut buf = [0u8; 512];
        match self.port.read(&mut buf) {
            Ok(0) => {}
            Ok(n) => {
                self.decoder.push(&buf[..n]);
                self.last_byte = Some(now);
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock
                        | io::ErrorKind::TimedOut
                        | io::ErrorKind::Interrupted
                ) => {}
            Err(e) => return Err(Error::link(crate::error::Device::Scanner, e)),
        }
        let mut out = self.drain(now);
        if self.decoder.pending() > 0
            && self
                .last_byte
                .is_some_and(|at| now.saturating_duration_since(at) >= PARTIAL_AFTER)
            && self.decoder.discard_pending()
        {
            out.push(ScanOutcome::Rejected(Rejection::Incomplete));
        }
        Ok(out)
    }

    /// Feeds bytes directly (tests, fuzzing) and returns the scans completed.
    pub fn feed(&mut self, bytes: &[u8], now: Instant) -> Vec<ScanOutcome> {
        self.decoder.push(bytes);
        self.last_byte = Some(now);
        self.drain(now)
    }

    /// Forgets the last code (see [`Debouncer::reset`]).
    pub fn reset_debounce(&mut self) {
        self.debouncer.reset();
    }

    fn drain(&mut self, now: Instant) -> Vec<ScanOutcome> {
        let mut out = Vec::new();
        while let Some(line) = self.decoder.next_line() {
            let key = match &line {
                Ok(bytes) => String::from_utf8_lossy(bytes).into_owned(),
                Err(_) => String::from("\u{0}overlong"),
            };
            if !self.debouncer.accept(&key, now) {
                continue;
            }
            out.push(match line.and_then(|bytes| self.rule.classify(&bytes)) {
                Ok(token) => ScanOutcome::Voucher(token),
                Err(r) => ScanOutcome::Rejected(r),
            });
        }
        out
    }
}

/// Read timeout of the scanner's serial port: how long one `poll` blocks
/// when nothing is scanned. A scan wakes the read at once; the timeout
/// only paces an idle scanner (two wake-ups a second) and bounds how long
/// a stop waits.
pub const PORT_READ_TIMEOUT: Duration = Duration::from_millis(500);

/// Opens a scanner's serial port (8N1, no flow control; `baud` usually 9600
/// or 115200).
pub fn open_serial(path: &str, baud: u32) -> Result<Box<dyn SerialPort>, Error> {
    serialport::new(path, baud)
        .data_bits(DataBits::Eight)
        .parity(Parity::None)
        .stop_bits(StopBits::One)
        .flow_control(FlowControl::None)
        .timeout(PORT_READ_TIMEOUT)
        .open()
        .map_err(|source| Error::SerialOpen {
            path: path.to_string(),
            source,
        })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const TOKEN: &str = "ECV1-7Q2M4K9T3W8R5Y1B6N0P2D4F";

    fn lines(bytes: &[u8], max: usize) -> Vec<Result<Vec<u8>, Rejection>> {
        let mut d = LineDecoder::new(max);
        d.push(bytes);
        std::iter::from_fn(|| d.next_line()).collect()
    }

    /// A port that has hung up (its device unplugged).
    struct HungUp;

    impl Read for HungUp {
        fn read(&mut self, _buf: &mut [u8]) -> io::Result<usize> {
            Err(io::ErrorKind::BrokenPipe.into())
        }
    }

    #[test]
    fn a_hung_up_port_means_the_scanner_is_disconnected() {
        let mut scanner = Scanner::new(HungUp, TokenRule::default(), Duration::from_secs(2));
        let error = scanner.poll(Instant::now()).unwrap_err();
        assert!(matches!(
            error,
            Error::Disconnected {
                device: crate::error::Device::Scanner,
                ..
            }
        ));
        assert!(error.is_link_lost());
        assert!(error.user_message().contains("扫码器连接中断"));
    }

    #[test]
    fn cr_crlf_and_lf_terminate_lines() {
        assert_eq!(
            lines(b"AB\rCD\r\nEF\n\r\nGH", 64),
            vec![Ok(b"AB".to_vec()), Ok(b"CD".to_vec()), Ok(b"EF".to_vec())]
        );
        let mut d = LineDecoder::new(64);
        d.push(b"AB");
        assert!(d.next_line().is_none());
        assert_eq!(d.pending(), 2);
        d.push(b"C\r");
        assert_eq!(d.next_line(), Some(Ok(b"ABC".to_vec())));
    }

    #[test]
    fn overlong_lines_are_refused_and_the_next_line_is_fine() {
        let mut input = vec![b'A'; 100];
        input.extend_from_slice(b"\rOK\r");
        assert_eq!(
            lines(&input, 10),
            vec![Err(Rejection::TooLong { max: 10 }), Ok(b"OK".to_vec())]
        );
    }

    #[test]
    fn token_rule() {
        let rule = TokenRule::default();
        assert_eq!(rule.classify(TOKEN.as_bytes()), Ok(TOKEN.to_string()));
        assert_eq!(
            rule.classify(format!(" {TOKEN} ").as_bytes()),
            Ok(TOKEN.to_string())
        );
        for (code, why) in [
            ("https://example.com/pay?id=1", Rejection::Url),
            ("HTTP://QR.ALIPAY.COM/X", Rejection::Url),
            ("www.example.com", Rejection::Url),
            ("6901234567892", Rejection::ProductBarcode),
            ("12345678", Rejection::ProductBarcode),
            ("123456", Rejection::NotAVoucher),
            ("ECV1-7Q2M", Rejection::Incomplete),
            ("ECV", Rejection::Incomplete),
            ("HELLO-WORLD-1234567", Rejection::NotAVoucher),
            ("ECV1-有中文的内容000000", Rejection::NotAVoucher),
            ("   ", Rejection::Empty),
        ] {
            assert_eq!(rule.classify(code.as_bytes()), Err(why), "{code}");
        }
        assert_eq!(rule.classify(&[0xFF, 0xFE]), Err(Rejection::Garbage));
        assert_eq!(
            rule.classify(b"ECV1-\x07AAAAAAAAAAAAA"),
            Err(Rejection::Garbage)
        );
        let open = TokenRule {
            prefixes: Vec::new(),
            ..TokenRule::default()
        };
        assert!(open.classify(b"AbCdEf0123456789+/==").is_ok());
        for r in [
            Rejection::Empty,
            Rejection::Url,
            Rejection::ProductBarcode,
            Rejection::Garbage,
            Rejection::NotAVoucher,
            Rejection::Incomplete,
            Rejection::TooLong { max: 1 },
        ] {
            assert!(r.user_message().contains("扫码") || r.user_message().contains("二维码"));
            assert_eq!(Error::ScanRejected(r).user_message(), r.user_message());
        }
        assert!(Rejection::Url.user_message().contains("网址"));
    }

    #[test]
    fn debounce_uses_the_given_time() {
        let t = Instant::now();
        let mut d = Debouncer::new(Duration::from_secs(2));
        assert!(d.accept("A", t));
        assert!(!d.accept("A", t + Duration::from_secs(1)));
        // The repeat extended the window.
        assert!(!d.accept("A", t + Duration::from_millis(2900)));
        assert!(d.accept("A", t + Duration::from_secs(5)));
        assert!(d.accept("B", t + Duration::from_secs(5)));
        assert!(d.accept("A", t + Duration::from_secs(5)));
        d.reset();
        assert!(d.accept("A", t + Duration::from_secs(5)));
    }

    struct Chunks(std::collections::VecDeque<Vec<u8>>);
    impl Read for Chunks {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            match self.0.pop_front() {
                Some(c) => {
                    buf[..c.len()].copy_from_slice(&c);
                    Ok(c.len())
                }
                None => Err(io::ErrorKind::TimedOut.into()),
            }
        }
    }

    #[test]
    fn scanner_joins_split_reads_drops_duplicates_and_reports_partials() {
        let t = Instant::now();
        let port = Chunks(
            vec![
                b"ECV1-7Q2M4K".to_vec(),
                b"9T3W8R5Y1B6N0P2D4F\r\n".to_vec(),
                format!("{TOKEN}\r").into_bytes(),
                b"https://x.cn\r".to_vec(),
                b"ECV1-AB".to_vec(),
            ]
            .into(),
        );
        let mut s = Scanner::new(port, TokenRule::default(), Duration::from_secs(3));
        assert!(s.poll(t).unwrap().is_empty());
        assert_eq!(s.poll(t).unwrap(), vec![ScanOutcome::Voucher(TOKEN.into())]);
        assert!(s.poll(t + Duration::from_millis(300)).unwrap().is_empty());
        assert_eq!(
            s.poll(t).unwrap(),
            vec![ScanOutcome::Rejected(Rejection::Url)]
        );
        assert!(s.poll(t).unwrap().is_empty());
        assert!(s.poll(t + Duration::from_millis(100)).unwrap().is_empty());
        assert_eq!(
            s.poll(t + Duration::from_secs(1)).unwrap(),
            vec![ScanOutcome::Rejected(Rejection::Incomplete)]
        );
        assert_eq!(
            format!("{:?}", ScanOutcome::Voucher(TOKEN.into())),
            "Voucher(29 chars)"
        );
    }

    #[test]
    fn opening_a_missing_port_is_a_typed_error() {
        assert!(matches!(
            open_serial("/dev/does-not-exist-scanner", 9600),
            Err(Error::SerialOpen { .. })
        ));
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic_and_lines_stay_bounded(
            chunks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..80), 0..10),
            max in 1usize..64,
        ) {
            let mut d = LineDecoder::new(max);
            for c in &chunks {
                d.push(c);
                while let Some(line) = d.next_line() {
                    if let Ok(line) = line {
                        prop_assert!(line.len() <= max);
                        prop_assert!(!line.contains(&b'\r') && !line.contains(&b'\n'));
                        let _ = TokenRule::default().classify(&line);
                    }
                }
            }
        }

        #[test]
        fn splitting_does_not_change_the_lines(
            text in "[A-Z0-9\\-\r\n]{0,200}",
            cut in 0usize..200,
        ) {
            let bytes = text.as_bytes();
            let cut = cut.min(bytes.len());
            let whole = lines(bytes, 512);
            let mut d = LineDecoder::new(512);
            d.push(&bytes[..cut]);
            d.push(&bytes[cut..]);
            let split: Vec<_> = std::iter::from_fn(|| d.next_line()).collect();
            prop_assert_eq!(whole, split);
        }

        #[test]
        fn accepted_tokens_have_the_prefix_and_only_token_chars(code in "\\PC{0,80}") {
            if let Ok(token) = TokenRule::default().classify(code.as_bytes()) {
                prop_assert!(token.starts_with("ECV1-"));
                prop_assert!(token.chars().all(token_char));
            }
        }
    }
}

//! The ID card reader driver: one command, one response, one deadline.

use std::fmt;
use std::io::{self, Read, Write};
use std::thread;
use std::time::{Duration, Instant};

use kiosk_core::identity::IdDocument;
use serialport::{ClearBuffer, DataBits, FlowControl, Parity, SerialPort, StopBits};

use super::frame::{Response, ResponseDecoder, encode_command};
use super::text::decode_text_block;
use super::{SW3_CARD_FOUND, SW3_NO_CARD, SW3_NO_CONTENT, SW3_OK, status_error};
use crate::Error;
use crate::error::Device;

/// Read timeout of the serial port itself: how long one `read` may block.
/// The per-command deadline is separate and much longer.
const PORT_READ_TIMEOUT: Duration = Duration::from_millis(20);

/// Pause after a read that returned nothing without waiting (`WouldBlock`,
/// or `Ok(0)` from a transport with no data), so that polling never spins.
const IDLE_PAUSE: Duration = Duration::from_millis(2);

/// Upper bound on stale bytes drained before a command (a device that keeps
/// talking cannot hold the driver in the drain loop).
const MAX_DRAIN: usize = 64 * 1024;

/// How the reader throws away stale input before each command.
type DiscardInput<P> = fn(&mut P) -> io::Result<()>;

/// A GA 467 ID card reader on any byte transport.
///
/// The transport's `read` must return within a short time when no byte is
/// there: either with data, with `Ok(0)`, or with
/// [`io::ErrorKind::TimedOut`] / [`io::ErrorKind::WouldBlock`] (all of which
/// mean "no bytes yet"). A serial port opened by [`open_serial`] does this
/// with a 20 ms read timeout. Every command then has an overall deadline (the
/// `timeout` given to [`new`](Self::new)): a silent device yields
/// [`Error::Timeout`], never a hang.
pub struct IdCardReader<P: Read + Write> {
    port: P,
    timeout: Duration,
    decoder: ResponseDecoder,
    discard: DiscardInput<P>,
    /// Whether the link may hold stale bytes: at the start, and after an
    /// exchange that failed (a late answer may still come) or left bytes
    /// behind its frame. Only then is input discarded before a command —
    /// an idle reader is asked "card?" ten times a second, and each
    /// needless syscall there is idle CPU.
    maybe_stale: bool,
    /// Whether to `flush` after writing a command: needed for a buffered
    /// transport; for a serial port it would only wait for the UART.
    flush_writes: bool,
}

impl<P: Read + Write> IdCardReader<P> {
    /// A reader on `port`; `timeout` bounds each command (find, select,
    /// read). A full text + photo read takes about 112 ms on the wire at
    /// 115200 baud plus the card's own time: 2–3 s is a sensible value.
    ///
    /// Stale input is discarded before each command by reading until the
    /// transport reports no more bytes.
    pub fn new(port: P, timeout: Duration) -> IdCardReader<P> {
        IdCardReader::with_input_discard(port, timeout, drain_by_reading)
    }

    /// Like [`new`](Self::new), with a transport-specific way to discard
    /// stale input (for a serial port: flush the driver's input queue).
    pub fn with_input_discard(
        port: P,
        timeout: Duration,
        discard: fn(&mut P) -> io::Result<()>,
    ) -> IdCardReader<P> {
        IdCardReader {
            port,
            timeout,
            decoder: ResponseDecoder::new(),
            discard,
            maybe_stale: true,
            flush_writes: true,
        }
    }

    /// The per-command deadline.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Changes the per-command deadline.
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = timeout;
    }

    /// Gives the transport back.
    pub fn into_inner(self) -> P {
        self.port
    }

    /// SAM self-check (11 FF).
    pub fn sam_status(&mut self) -> Result<(), Error> {
        self.expect_ok(0x11, 0xFF).map(drop)
    }

    /// Resets the SAM (10 FF).
    pub fn reset_sam(&mut self) -> Result<(), Error> {
        self.expect_ok(0x10, 0xFF).map(drop)
    }

    /// Reads the SAM's 16-byte management number (12 FF).
    pub fn sam_id(&mut self) -> Result<[u8; 16], Error> {
        let data = self.expect_ok(0x12, 0xFF)?;
        <[u8; 16]>::try_from(data.as_slice()).map_err(|_| Error::IdCardUnexpectedResponse {
            what: "SAM id is not 16 bytes",
        })
    }

    /// Looks for a card (20 01): `true` when one is on the reader (SW3 9F),
    /// `false` when none is (SW3 80).
    pub fn find_card(&mut self) -> Result<bool, Error> {
        let response = self.command(0x20, 0x01, &[])?;
        match response.sw3 {
            SW3_CARD_FOUND => Ok(true),
            SW3_NO_CARD => Ok(false),
            code => Err(status_error(code)),
        }
    }

    /// Selects the card found (20 02) and returns its 8-byte serial.
    pub fn select_card(&mut self) -> Result<[u8; 8], Error> {
        let data = self.expect_ok(0x20, 0x02)?;
        <[u8; 8]>::try_from(data.as_slice()).map_err(|_| Error::IdCardUnexpectedResponse {
            what: "card serial is not 8 bytes",
        })
    }

    /// Reads the text block and the photo (30 01), both raw.
    pub fn read_text_photo(&mut self) -> Result<(Vec<u8>, Vec<u8>), Error> {
        let data = self.expect_ok(0x30, 0x01)?;
        if data.len() < 4 {
            return Err(Error::IdCardUnexpectedResponse {
                what: "read response shorter than its length fields",
            });
        }
        let text_len = usize::from(u16::from_be_bytes([data[0], data[1]]));
        let photo_len = usize::from(u16::from_be_bytes([data[2], data[3]]));
        if data.len() != 4 + text_len + photo_len {
            return Err(Error::IdCardUnexpectedResponse {
                what: "TLEN + PLEN do not match the response length",
            });
        }
        let text = data[4..4 + text_len].to_vec();
        let photo = data[4 + text_len..].to_vec();
        Ok((text, photo))
    }

    /// Reads text, photo and fingerprint (30 10), all raw. `Ok(None)`
    /// when the card holds no fingerprint (SW3 91).
    #[allow(clippy::type_complexity)]
    pub fn read_text_photo_fingerprint(
        &mut self,
    ) -> Result<Option<(Vec<u8>, Vec<u8>, Vec<u8>)>, Error> {
        let response = self.command(0x30, 0x10, &[])?;
        if response.sw3 == SW3_NO_CONTENT {
            return Ok(None);
        }
        if response.sw3 != SW3_OK {
            return Err(status_error(response.sw3));
        }
        let data = response.data;
        if data.len() < 6 {
            return Err(Error::IdCardUnexpectedResponse {
                what: "read response shorter than its length fields",
            });
        }
        let len = |i: usize| usize::from(u16::from_be_bytes([data[i], data[i + 1]]));
        let (t, p, f) = (len(0), len(2), len(4));
        if data.len() != 6 + t + p + f {
            return Err(Error::IdCardUnexpectedResponse {
                what: "TLEN + PLEN + FLEN do not match the response length",
            });
        }
        Ok(Some((
            data[6..6 + t].to_vec(),
            data[6 + t..6 + t + p].to_vec(),
            data[6 + t + p..].to_vec(),
        )))
    }

    /// Reads the appended address (追加住址, 30 03) written by the police
    /// after a move. `Ok(None)` when there is none (SW3 91).
    pub fn read_appended_address(&mut self) -> Result<Option<String>, Error> {
        let response = self.command(0x30, 0x03, &[])?;
        if response.sw3 == SW3_NO_CONTENT {
            return Ok(None);
        }
        if response.sw3 != SW3_OK {
            return Err(status_error(response.sw3));
        }
        if response.data.len() % 2 != 0 || response.data.len() > 70 {
            return Err(Error::IdCardUnexpectedResponse {
                what: "appended address is not UCS-2 of at most 70 bytes",
            });
        }
        let units = response
            .data
            .chunks_exact(2)
            .map(|pair| u16::from_le_bytes([pair[0], pair[1]]));
        let text: String = char::decode_utf16(units)
            .collect::<Result<_, _>>()
            .map_err(|_| Error::IdCardBadField {
                field: "appended address",
            })?;
        let text = text
            .trim_matches(|c: char| c == ' ' || c == '\0' || c == '\u{3000}')
            .to_string();
        Ok((!text.is_empty()).then_some(text))
    }

    /// Switches the reader's baud rate (60 xx): 115200, 57600, 38400, 19200
    /// or 9600. The port must be reopened at the new rate afterwards.
    pub fn set_baud_rate(&mut self, baud: u32) -> Result<(), Error> {
        let code = match baud {
            115_200 => 0x00,
            57_600 => 0x01,
            38_400 => 0x02,
            19_200 => 0x03,
            9_600 => 0x04,
            _ => {
                return Err(Error::IdCardUnexpectedResponse {
                    what: "unsupported baud rate (115200, 57600, 38400, 19200 or 9600)",
                });
            }
        };
        self.expect_ok(0x60, code).map(|_| ())
    }

    /// The whole sequence: find → select → read → decode. `Ok(None)` when
    /// no card is on the reader.
    pub fn read_document(&mut self) -> Result<Option<IdDocument>, Error> {
        if !self.find_card()? {
            return Ok(None);
        }
        self.select_card()?;
        let (text, photo) = self.read_text_photo()?;
        decode_text_block(&text, &photo).map(Some)
    }

    /// Sends one command and returns the response frame, whatever its
    /// status. Stale input is discarded first when there may be any (see
    /// `maybe_stale`); the whole exchange is bounded by the timeout.
    pub fn command(&mut self, cmd: u8, para: u8, data: &[u8]) -> Result<Response, Error> {
        if self.maybe_stale {
            (self.discard)(&mut self.port).map_err(|e| Error::link(Device::IdCardReader, e))?;
            self.maybe_stale = false;
        }
        self.decoder.clear();
        let result = self.exchange(&encode_command(cmd, para, data));
        self.maybe_stale = result.is_err() || self.decoder.buffered() > 0;
        result
    }

    /// Writes one command frame and reads its response frame before the
    /// deadline.
    fn exchange(&mut self, frame: &[u8]) -> Result<Response, Error> {
        let deadline = Instant::now() + self.timeout;
        self.write_frame(frame, deadline)?;
        let mut buf = [0u8; 512];
        loop {
            if let Some(result) = self.decoder.next_frame() {
                return result;
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(Error::Timeout {
                    device: Device::IdCardReader,
                });
            }
            match self.port.read(&mut buf) {
                Ok(0) => thread::sleep(IDLE_PAUSE.min(deadline - now)),
                Ok(n) => self.decoder.push(&buf[..n]),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    thread::sleep(IDLE_PAUSE.min(deadline - now));
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
                    ) => {}
                Err(e) => return Err(Error::link(Device::IdCardReader, e)),
            }
        }
    }

    /// Sends a command and returns its data when SW3 is 90; any other status
    /// becomes its typed error.
    fn expect_ok(&mut self, cmd: u8, para: u8) -> Result<Vec<u8>, Error> {
        let response = self.command(cmd, para, &[])?;
        if response.sw3 == SW3_OK {
            Ok(response.data)
        } else {
            Err(status_error(response.sw3))
        }
    }

    /// Writes a whole frame before the deadline, retrying on "not yet".
    fn write_frame(&mut self, frame: &[u8], deadline: Instant) -> Result<(), Error> {
        let mut written = 0;
        while written < frame.len() {
            let now = Instant::now();
            if now >= deadline {
                return Err(Error::Timeout {
                    device: Device::IdCardReader,
                });
            }
            match self.port.write(&frame[written..]) {
                Ok(0) => {
                    return Err(Error::link(
                        Device::IdCardReader,
                        io::ErrorKind::WriteZero.into(),
                    ));
                }
                Ok(n) => written += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    thread::sleep(IDLE_PAUSE.min(deadline - now));
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
                    ) => {}
                Err(e) => return Err(Error::link(Device::IdCardReader, e)),
            }
        }
        if !self.flush_writes {
            return Ok(());
        }
        match self.port.flush() {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::TimedOut => Err(Error::Timeout {
                device: Device::IdCardReader,
            }),
            Err(e) => Err(Error::link(Device::IdCardReader, e)),
        }
    }
}

impl<P: Read + Write> fmt::Debug for IdCardReader<P> {
    /// The settings only; the transport and any buffered bytes are not shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdCardReader")
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// Generic stale-input discard: read until the transport has nothing more
/// (bounded by [`MAX_DRAIN`] bytes).
fn drain_by_reading<P: Read>(port: &mut P) -> io::Result<()> {
    let mut buf = [0u8; 512];
    let mut drained = 0;
    while drained < MAX_DRAIN {
        match port.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => drained += n,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                return Ok(());
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Serial-port stale-input discard: flush the OS input queue.
fn clear_serial_input(port: &mut Box<dyn SerialPort>) -> io::Result<()> {
    port.clear(ClearBuffer::Input).map_err(io::Error::from)
}

/// Opens an ID card reader on a serial device (8N1, no flow control, 20 ms
/// port read timeout). `baud` is normally 115200 (some readers use 9600);
/// `timeout` is the per-command deadline.
pub fn open_serial(
    path: &str,
    baud: u32,
    timeout: Duration,
) -> Result<IdCardReader<Box<dyn SerialPort>>, Error> {
    let port = serialport::new(path, baud)
        .data_bits(DataBits::Eight)
        .parity(Parity::None)
        .stop_bits(StopBits::One)
        .flow_control(FlowControl::None)
        .timeout(PORT_READ_TIMEOUT)
        .open()
        .map_err(|source| Error::SerialOpen {
            path: path.to_string(),
            source,
        })?;
    let mut reader = IdCardReader::with_input_discard(port, timeout, clear_serial_input);
    // A serial port's write goes straight to the driver; a flush would
    // only wait (tcdrain) for bytes the response wait covers anyway.
    reader.flush_writes = false;
    Ok(reader)
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;

    use kiosk_core::identity::{IdDocumentKind, Sex};

    use super::*;

    /// An in-memory device: every written frame pops the next scripted
    /// reply, which is then readable in chunks of `chunk` bytes. With no
    /// bytes pending, `read` says `WouldBlock`.
    struct FakePort {
        replies: VecDeque<Vec<u8>>,
        pending: VecDeque<u8>,
        written: Vec<Vec<u8>>,
        chunk: usize,
        fail_reads: bool,
        discards: usize,
    }

    impl FakePort {
        fn new(replies: Vec<Vec<u8>>) -> FakePort {
            FakePort {
                replies: replies.into(),
                pending: VecDeque::new(),
                written: Vec::new(),
                chunk: 7,
                fail_reads: false,
                discards: 0,
            }
        }
    }

    impl Read for FakePort {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.fail_reads {
                return Err(io::ErrorKind::BrokenPipe.into());
            }
            if self.pending.is_empty() {
                return Err(io::ErrorKind::WouldBlock.into());
            }
            let n = buf.len().min(self.chunk).min(self.pending.len());
            for slot in buf.iter_mut().take(n) {
                *slot = self.pending.pop_front().unwrap_or(0);
            }
            Ok(n)
        }
    }

    impl Write for FakePort {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.written.push(buf.to_vec());
            if let Some(reply) = self.replies.pop_front() {
                self.pending.extend(reply);
            }
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn reply(sw3: u8, data: &[u8]) -> Vec<u8> {
        Response {
            sw1: 0,
            sw2: 0,
            sw3,
            data: data.to_vec(),
        }
        .encode()
    }

    fn resident_text() -> Vec<u8> {
        let mut text: Vec<u8> = std::iter::repeat_n([0x20, 0x00], 128).flatten().collect();
        let put = |text: &mut Vec<u8>, offset: usize, value: &str| {
            for (i, u) in value.encode_utf16().enumerate() {
                text[offset + 2 * i..offset + 2 * i + 2].copy_from_slice(&u.to_le_bytes());
            }
        };
        put(&mut text, 0, "李四");
        put(&mut text, 30, "2");
        put(&mut text, 32, "03");
        put(&mut text, 36, "19491231");
        put(&mut text, 52, "北京市西城区");
        put(&mut text, 122, "11010519491231002X");
        put(&mut text, 158, "北京市公安局西城分局");
        put(&mut text, 188, "20150601");
        put(&mut text, 204, "长期");
        text
    }

    fn read_reply(text: &[u8], photo: &[u8]) -> Vec<u8> {
        let mut data = Vec::new();
        data.extend_from_slice(&u16::try_from(text.len()).unwrap().to_be_bytes());
        data.extend_from_slice(&u16::try_from(photo.len()).unwrap().to_be_bytes());
        data.extend_from_slice(text);
        data.extend_from_slice(photo);
        reply(0x90, &data)
    }

    #[test]
    fn full_read_sends_the_spec_frames_and_decodes() {
        let photo: Vec<u8> = (0..1024u32).map(|i| (i % 251) as u8).collect();
        let port = FakePort::new(vec![
            reply(0x9F, &[0, 0, 0, 0]),
            reply(0x90, &[1, 2, 3, 4, 5, 6, 7, 8]),
            read_reply(&resident_text(), &photo),
        ]);
        let mut reader = IdCardReader::new(port, Duration::from_secs(1));
        let doc = reader.read_document().unwrap().unwrap();
        assert_eq!(doc.kind, IdDocumentKind::ResidentIdCard);
        assert_eq!(doc.name, "李四");
        assert_eq!(doc.sex, Sex::Female);
        assert_eq!(doc.nation, Some(3));
        assert_eq!(doc.photo_wlt, photo);
        let port = reader.into_inner();
        assert_eq!(
            port.written,
            vec![
                vec![0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x03, 0x20, 0x01, 0x22],
                vec![0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x03, 0x20, 0x02, 0x21],
                vec![0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x03, 0x30, 0x01, 0x32],
            ]
        );
    }

    #[test]
    fn no_card_is_none() {
        let port = FakePort::new(vec![reply(0x80, &[])]);
        let mut reader = IdCardReader::new(port, Duration::from_secs(1));
        assert!(reader.read_document().unwrap().is_none());
        assert_eq!(reader.into_inner().written.len(), 1);
    }

    #[test]
    fn statuses_become_typed_errors() {
        let port = FakePort::new(vec![
            reply(0x81, &[]),
            reply(0x41, &[]),
            reply(0x66, &[]),
            reply(0x90, &[1, 2, 3]),
            reply(0x90, &[0, 1, 0, 1, 9]),
        ]);
        let mut reader = IdCardReader::new(port, Duration::from_secs(1));
        assert!(matches!(
            reader.select_card(),
            Err(Error::IdCardSelectFailed)
        ));
        assert!(matches!(
            reader.read_text_photo(),
            Err(Error::IdCardReadFailed)
        ));
        assert!(matches!(
            reader.sam_status(),
            Err(Error::IdCardStatus { sw3: 0x66 })
        ));
        assert!(matches!(
            reader.select_card(),
            Err(Error::IdCardUnexpectedResponse { .. })
        ));
        assert!(matches!(
            reader.read_text_photo(),
            Err(Error::IdCardUnexpectedResponse { .. })
        ));
    }

    #[test]
    fn sam_commands() {
        let port = FakePort::new(vec![
            reply(0x90, &[]),
            reply(0x90, &[]),
            reply(0x90, &[7; 16]),
        ]);
        let mut reader = IdCardReader::new(port, Duration::from_secs(1));
        reader.sam_status().unwrap();
        reader.reset_sam().unwrap();
        assert_eq!(reader.sam_id().unwrap(), [7; 16]);
    }

    #[test]
    fn silent_device_times_out_within_the_deadline() {
        let port = FakePort::new(vec![]);
        let mut reader = IdCardReader::new(port, Duration::from_millis(50));
        let start = Instant::now();
        assert!(matches!(
            reader.find_card(),
            Err(Error::Timeout {
                device: Device::IdCardReader
            })
        ));
        let elapsed = start.elapsed();
        assert!(elapsed >= Duration::from_millis(50));
        assert!(elapsed < Duration::from_secs(2), "took {elapsed:?}");
    }

    #[test]
    fn half_a_frame_then_silence_times_out() {
        let full = reply(0x9F, &[0, 0, 0, 0]);
        let port = FakePort::new(vec![full[..9].to_vec()]);
        let mut reader = IdCardReader::new(port, Duration::from_millis(30));
        assert!(matches!(reader.find_card(), Err(Error::Timeout { .. })));
    }

    #[test]
    fn stale_input_is_discarded_before_a_command() {
        let mut port = FakePort::new(vec![reply(0x80, &[])]);
        // A stale "card found" left over from an earlier exchange.
        port.pending.extend(reply(0x9F, &[0, 0, 0, 0]));
        let mut reader = IdCardReader::new(port, Duration::from_secs(1));
        assert!(!reader.find_card().unwrap());
    }

    /// Input is thrown away only when it may be stale: at the start and
    /// after a failed exchange (a late answer to it must not be taken for
    /// the next command's), not before every poll.
    #[test]
    fn stale_input_is_discarded_only_after_a_failed_exchange() {
        fn discard_counting(port: &mut FakePort) -> io::Result<()> {
            port.discards += 1;
            port.pending.clear();
            Ok(())
        }
        let no_card = reply(0x80, &[]);
        let found = reply(0x9F, &[0, 0, 0, 0]);
        let half = found[..6].to_vec();
        let port = FakePort::new(vec![no_card.clone(), no_card.clone(), half, no_card]);
        let mut reader =
            IdCardReader::with_input_discard(port, Duration::from_millis(30), discard_counting);
        assert!(!reader.find_card().unwrap());
        assert!(!reader.find_card().unwrap());
        assert_eq!(reader.port.discards, 1, "only before the first command");
        // Half a frame, then silence: a timeout; the rest of that answer
        // arrives late, before the next command.
        assert!(matches!(reader.find_card(), Err(Error::Timeout { .. })));
        reader.port.pending.extend(found[6..].to_vec());
        assert!(
            !reader.find_card().unwrap(),
            "late answer taken as the reply"
        );
        assert_eq!(reader.port.discards, 2);
    }

    #[test]
    fn noise_and_corruption() {
        let mut noisy = vec![0x00, 0xAA, 0xAA, 0x13];
        noisy.extend(reply(0x9F, &[0, 0, 0, 0]));
        let mut corrupt = reply(0x9F, &[0, 0, 0, 0]);
        let last = corrupt.len() - 1;
        corrupt[last] ^= 0x01;
        let port = FakePort::new(vec![noisy, corrupt, reply(0x9F, &[0, 0, 0, 0])]);
        let mut reader = IdCardReader::new(port, Duration::from_secs(1));
        assert!(reader.find_card().unwrap());
        assert!(matches!(
            reader.find_card(),
            Err(Error::IdCardChecksum { .. })
        ));
        assert!(reader.find_card().unwrap());
    }

    #[test]
    fn link_errors_mean_the_reader_is_disconnected() {
        let mut port = FakePort::new(vec![]);
        port.fail_reads = true;
        let mut reader = IdCardReader::new(port, Duration::from_secs(1));
        let failed = reader.find_card();
        assert!(matches!(
            failed,
            Err(Error::Disconnected {
                device: Device::IdCardReader,
                ..
            })
        ));
        assert!(failed.is_err_and(|e| e.is_link_lost()));
    }

    #[test]
    fn unknown_kind_surfaces_from_read_document() {
        let mut text = resident_text();
        text[248..250].copy_from_slice(&u16::from(b'Z').to_le_bytes());
        let port = FakePort::new(vec![
            reply(0x9F, &[0, 0, 0, 0]),
            reply(0x90, &[0; 8]),
            read_reply(&text, &[]),
        ]);
        let mut reader = IdCardReader::new(port, Duration::from_secs(1));
        let err = reader.read_document().unwrap_err();
        assert!(matches!(err, Error::IdCardUnknownKind { flag: 'Z' }));
        assert!(err.user_message().contains("暂不支持此类证件"));
    }

    #[test]
    fn debug_shows_settings_only() {
        let reader = IdCardReader::new(FakePort::new(vec![]), Duration::from_millis(1500));
        assert_eq!(format!("{reader:?}"), "IdCardReader { timeout: 1.5s, .. }");
    }

    #[test]
    fn opening_a_missing_port_is_a_typed_error() {
        let err = open_serial(
            "/dev/does-not-exist-idcard",
            115_200,
            Duration::from_secs(1),
        )
        .err()
        .unwrap();
        assert!(matches!(err, Error::SerialOpen { .. }));
    }
}

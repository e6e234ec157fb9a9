//! The link to the printer. One URI picks it:
//!
//! | URI | link |
//! |---|---|
//! | `tcp://host:9100` | raw TCP (networked printers, the printer simulator); port defaults to 9100 |
//! | `serial:///dev/ttyUSB0?baud=115200` | serial port, 8N1, baud defaults to 115200 |
//! | `usb://0483:5720` | USB printer class (07): bulk OUT for the job, bulk IN for status (cargo feature `usb`, libusb) |
//!
//! Every write and every status read has a deadline (the `timeout` given
//! to [`PrinterLink::open`]). [`PrinterLink::print`] checks the real-time
//! status before a job, between segments of it (only at command
//! boundaries, see [`Job::checkpoints`]) and after it, so paper out, cover
//! open or a cutter jam is reported as [`Error::PrinterNotReady`] with a
//! typed [`PrinterState`] instead of printing into the void.

use std::io::{ErrorKind, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use super::escpos::Job;
use super::status::{PrinterState, PrinterStatus, request};
use crate::error::{Device, Error};

/// Bytes sent between two status checks during a job (rounded to the
/// next command boundary).
pub const SEGMENT_BYTES: usize = 1024;

/// Where the printer is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrinterUri {
    /// `tcp://host:port`.
    Tcp {
        /// Host name or address.
        host: String,
        /// Port (default 9100).
        port: u16,
    },
    /// `serial:///dev/ttyUSB0?baud=115200`.
    Serial {
        /// Device path.
        path: String,
        /// Baud rate.
        baud: u32,
    },
    /// `usb://VID:PID` (hexadecimal).
    Usb {
        /// Vendor id.
        vid: u16,
        /// Product id.
        pid: u16,
    },
}

impl PrinterUri {
    /// Parses a printer URI (see the module docs).
    pub fn parse(uri: &str) -> Result<PrinterUri, Error> {
        let bad = || Error::PrinterUri(uri.to_string());
        let uri_trimmed = uri.trim();
        if let Some(rest) = uri_trimmed.strip_prefix("tcp://") {
            let rest = rest.trim_end_matches('/');
            let (host, port) = match rest.rsplit_once(':') {
                Some((h, p)) => (h, p.parse::<u16>().map_err(|_| bad())?),
                None => (rest, 9100),
            };
            if host.is_empty() || port == 0 {
                return Err(bad());
            }
            return Ok(PrinterUri::Tcp {
                host: host
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .to_string(),
                port,
            });
        }
        if let Some(rest) = uri_trimmed.strip_prefix("serial://") {
            let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
            if !path.starts_with('/') || path.len() < 2 {
                return Err(bad());
            }
            let mut baud = 115_200;
            for pair in query.split('&').filter(|p| !p.is_empty()) {
                match pair.split_once('=') {
                    Some(("baud", v)) => baud = v.parse().map_err(|_| bad())?,
                    _ => return Err(bad()),
                }
            }
            if !(1200..=921_600).contains(&baud) {
                return Err(bad());
            }
            return Ok(PrinterUri::Serial {
                path: path.to_string(),
                baud,
            });
        }
        if let Some(rest) = uri_trimmed.strip_prefix("usb://") {
            let (v, p) = rest.trim_end_matches('/').split_once(':').ok_or_else(bad)?;
            let hex = |s: &str| {
                let s = s.trim_start_matches("0x").trim_start_matches("0X");
                if s.is_empty() || s.len() > 4 {
                    return None;
                }
                u16::from_str_radix(s, 16).ok()
            };
            return Ok(PrinterUri::Usb {
                vid: hex(v).ok_or_else(bad)?,
                pid: hex(p).ok_or_else(bad)?,
            });
        }
        Err(bad())
    }
}

/// A byte pipe to a printer with deadlines. Implemented for TCP, serial
/// and USB; tests may bring their own.
pub trait Transport: Send {
    /// Writes all of `data` (each underlying write bounded by the link's
    /// timeout).
    fn write_all(&mut self, data: &[u8]) -> Result<(), Error>;
    /// Reads what is available within `timeout`; `Ok(0)` when nothing came.
    fn read_some(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, Error>;
    /// Short name for logs (`tcp`, `serial`, `usb`).
    fn kind(&self) -> &'static str;
}

/// What a finished job reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrintReport {
    /// Bytes sent.
    pub bytes: usize,
    /// Status checks made (before, during and after).
    pub status_checks: usize,
    /// The state after the job (`Ready` or `PaperNearEnd`).
    pub state: PrinterState,
}

/// An open link to a printer.
pub struct PrinterLink {
    transport: Box<dyn Transport>,
    timeout: Duration,
}

impl std::fmt::Debug for PrinterLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrinterLink")
            .field("kind", &self.transport.kind())
            .field("timeout", &self.timeout)
            .finish()
    }
}

fn io_error(e: std::io::Error) -> Error {
    match e.kind() {
        ErrorKind::TimedOut | ErrorKind::WouldBlock => Error::Timeout {
            device: Device::Printer,
        },
        ErrorKind::BrokenPipe
        | ErrorKind::ConnectionReset
        | ErrorKind::ConnectionAborted
        | ErrorKind::UnexpectedEof
        | ErrorKind::WriteZero
        | ErrorKind::NotConnected => Error::PrinterLinkLost,
        _ => Error::Io(e),
    }
}

struct TcpTransport {
    stream: TcpStream,
}

impl Transport for TcpTransport {
    fn write_all(&mut self, data: &[u8]) -> Result<(), Error> {
        self.stream.write_all(data).map_err(io_error)?;
        self.stream.flush().map_err(io_error)
    }

    fn read_some(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, Error> {
        if timeout.is_zero() {
            self.stream.set_nonblocking(true)?;
            let r = self.stream.read(buf);
            self.stream.set_nonblocking(false)?;
            return match r {
                Ok(0) => Err(Error::PrinterLinkLost),
                Ok(n) => Ok(n),
                Err(e) if e.kind() == ErrorKind::WouldBlock => Ok(0),
                Err(e) => Err(io_error(e)),
            };
        }
        self.stream.set_read_timeout(Some(timeout))?;
        match self.stream.read(buf) {
            Ok(0) => Err(Error::PrinterLinkLost),
            Ok(n) => Ok(n),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => Ok(0),
            Err(e) => Err(io_error(e)),
        }
    }

    fn kind(&self) -> &'static str {
        "tcp"
    }
}

struct SerialTransport {
    port: Box<dyn serialport::SerialPort>,
}

impl Transport for SerialTransport {
    fn write_all(&mut self, data: &[u8]) -> Result<(), Error> {
        self.port.write_all(data).map_err(io_error)?;
        self.port.flush().map_err(io_error)
    }

    fn read_some(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, Error> {
        if timeout.is_zero() {
            let waiting = self.port.bytes_to_read().unwrap_or(0);
            if waiting == 0 {
                return Ok(0);
            }
        }
        self.port
            .set_timeout(timeout.max(Duration::from_millis(1)))
            .map_err(|e| Error::Io(std::io::Error::other(e.to_string())))?;
        match self.port.read(buf) {
            Ok(n) => Ok(n),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => Ok(0),
            Err(e) => Err(io_error(e)),
        }
    }

    fn kind(&self) -> &'static str {
        "serial"
    }
}

#[cfg(feature = "usb")]
mod usb {
    //! USB printer class (07) over libusb: the first interface of class 07
    //! with a bulk OUT endpoint; its bulk IN endpoint (bidirectional
    //! printers) carries the status replies.

    use std::time::Duration;

    use rusb::{Direction, TransferType, UsbContext};

    use super::Transport;
    use crate::error::{Device, Error};

    pub(super) struct UsbTransport {
        handle: rusb::DeviceHandle<rusb::Context>,
        interface: u8,
        out_ep: u8,
        in_ep: Option<u8>,
        timeout: Duration,
    }

    fn usb_err(e: rusb::Error) -> Error {
        match e {
            rusb::Error::Timeout => Error::Timeout {
                device: Device::Printer,
            },
            rusb::Error::NoDevice | rusb::Error::Pipe | rusb::Error::Io => Error::PrinterLinkLost,
            other => Error::PrinterUsb(other.to_string()),
        }
    }

    pub(super) fn open(vid: u16, pid: u16, timeout: Duration) -> Result<UsbTransport, Error> {
        let context = rusb::Context::new().map_err(usb_err)?;
        let devices = context.devices().map_err(usb_err)?;
        for device in devices.iter() {
            let Ok(desc) = device.device_descriptor() else {
                continue;
            };
            if desc.vendor_id() != vid || desc.product_id() != pid {
                continue;
            }
            let config = device.active_config_descriptor().map_err(usb_err)?;
            for interface in config.interfaces() {
                for alt in interface.descriptors() {
                    if alt.class_code() != 0x07 {
                        continue;
                    }
                    let mut out_ep = None;
                    let mut in_ep = None;
                    for ep in alt.endpoint_descriptors() {
                        if ep.transfer_type() != TransferType::Bulk {
                            continue;
                        }
                        match ep.direction() {
                            Direction::Out => out_ep = out_ep.or(Some(ep.address())),
                            Direction::In => in_ep = in_ep.or(Some(ep.address())),
                        }
                    }
                    let Some(out_ep) = out_ep else { continue };
                    let handle = device.open().map_err(usb_err)?;
                    // The kernel's usblp driver holds the interface; let
                    // libusb detach it (not supported everywhere: ignored).
                    let _ = handle.set_auto_detach_kernel_driver(true);
                    handle
                        .claim_interface(alt.interface_number())
                        .map_err(usb_err)?;
                    return Ok(UsbTransport {
                        handle,
                        interface: alt.interface_number(),
                        out_ep,
                        in_ep,
                        timeout,
                    });
                }
            }
        }
        Err(Error::PrinterUsb(format!(
            "no USB printer-class interface on {vid:04x}:{pid:04x}"
        )))
    }

    impl Transport for UsbTransport {
        fn write_all(&mut self, data: &[u8]) -> Result<(), Error> {
            let mut sent = 0;
            // Each round moves at least one byte or fails: bounded.
            while sent < data.len() {
                let end = (sent + 4096).min(data.len());
                let n = self
                    .handle
                    .write_bulk(self.out_ep, &data[sent..end], self.timeout)
                    .map_err(usb_err)?;
                if n == 0 {
                    return Err(Error::PrinterLinkLost);
                }
                sent += n;
            }
            Ok(())
        }

        fn read_some(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, Error> {
            let Some(ep) = self.in_ep else {
                return Err(Error::PrinterUsb(
                    "printer has no bulk IN endpoint: status cannot be read".to_string(),
                ));
            };
            match self
                .handle
                .read_bulk(ep, buf, timeout.max(Duration::from_millis(1)))
            {
                Ok(n) => Ok(n),
                Err(rusb::Error::Timeout) => Ok(0),
                Err(e) => Err(usb_err(e)),
            }
        }

        fn kind(&self) -> &'static str {
            "usb"
        }
    }

    impl Drop for UsbTransport {
        fn drop(&mut self) {
            let _ = self.handle.release_interface(self.interface);
        }
    }
}

impl PrinterLink {
    /// Opens the printer at `uri` with `timeout` for connecting, each
    /// write and each status read.
    pub fn open(uri: &str, timeout: Duration) -> Result<PrinterLink, Error> {
        let transport: Box<dyn Transport> = match PrinterUri::parse(uri)? {
            PrinterUri::Tcp { host, port } => {
                let addr = (host.as_str(), port)
                    .to_socket_addrs()
                    .map_err(|_| Error::PrinterUri(uri.to_string()))?
                    .next()
                    .ok_or_else(|| Error::PrinterUri(uri.to_string()))?;
                let stream = TcpStream::connect_timeout(&addr, timeout).map_err(|e| {
                    if e.kind() == ErrorKind::TimedOut {
                        Error::Timeout {
                            device: Device::Printer,
                        }
                    } else {
                        Error::PrinterUnreachable(e)
                    }
                })?;
                stream.set_write_timeout(Some(timeout))?;
                stream.set_read_timeout(Some(timeout))?;
                stream.set_nodelay(true)?;
                Box::new(TcpTransport { stream })
            }
            PrinterUri::Serial { path, baud } => {
                let port = serialport::new(&path, baud)
                    .timeout(timeout)
                    .open()
                    .map_err(|source| Error::SerialOpen { path, source })?;
                Box::new(SerialTransport { port })
            }
            #[cfg(feature = "usb")]
            PrinterUri::Usb { vid, pid } => Box::new(usb::open(vid, pid, timeout)?),
            #[cfg(not(feature = "usb"))]
            PrinterUri::Usb { .. } => {
                return Err(Error::PrinterUsb(
                    "this build has no USB support (cargo feature `usb`)".to_string(),
                ));
            }
        };
        Ok(PrinterLink { transport, timeout })
    }

    /// A link over a transport of the caller's (tests, other buses).
    pub fn from_transport(transport: Box<dyn Transport>, timeout: Duration) -> PrinterLink {
        PrinterLink { transport, timeout }
    }

    /// Sends bytes as they are (no status checks).
    pub fn send(&mut self, job: &[u8]) -> Result<(), Error> {
        self.transport.write_all(job)
    }

    /// Drops bytes that arrived unasked (automatic status back, late
    /// replies), at most 64 reads.
    fn drain(&mut self) -> Result<(), Error> {
        let mut buf = [0u8; 64];
        for _ in 0..64 {
            if self.transport.read_some(&mut buf, Duration::ZERO)? == 0 {
                break;
            }
        }
        Ok(())
    }

    /// Asks `DLE EOT 1`..`4` and decodes the four replies.
    pub fn read_status(&mut self) -> Result<PrinterStatus, Error> {
        self.drain()?;
        let mut ask = Vec::with_capacity(12);
        for n in 1..=4 {
            ask.extend_from_slice(&request(n));
        }
        self.transport.write_all(&ask)?;
        let mut replies = [0u8; 4];
        let mut got = 0;
        let deadline = Instant::now() + self.timeout;
        // Each round either reads a byte or waits out the remaining time.
        while got < 4 {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(Error::Timeout {
                    device: Device::Printer,
                });
            }
            let n = self.transport.read_some(&mut replies[got..], left)?;
            got += n;
        }
        PrinterStatus::decode(replies).ok_or(Error::PrinterBadStatus { bytes: replies })
    }

    /// The printer's state now.
    pub fn state(&mut self) -> Result<PrinterState, Error> {
        Ok(self.read_status()?.state())
    }

    /// Prints a whole job with status checks before, during (every
    /// [`SEGMENT_BYTES`], at command boundaries) and after it.
    ///
    /// [`Error::PrinterNotReady`] when the printer cannot print (before:
    /// nothing was sent; during or after: the job is incomplete and must be
    /// printed again whole); [`Error::PrinterLinkLost`] when the link broke.
    pub fn print(&mut self, job: &Job) -> Result<PrintReport, Error> {
        let mut checks = 0;
        let mut check = |link: &mut PrinterLink| -> Result<PrinterState, Error> {
            checks += 1;
            let state = link.state()?;
            if state.can_print() {
                Ok(state)
            } else {
                Err(Error::PrinterNotReady(state))
            }
        };
        check(self)?;
        let mut start = 0;
        let mut points = job
            .checkpoints
            .iter()
            .copied()
            .filter(|&p| p <= job.bytes.len())
            .chain(std::iter::once(job.bytes.len()))
            .peekable();
        while start < job.bytes.len() {
            // The first checkpoint at least SEGMENT_BYTES on, else the end.
            let mut end = job.bytes.len();
            while let Some(&p) = points.peek() {
                points.next();
                if p >= start + SEGMENT_BYTES {
                    end = p;
                    break;
                }
            }
            self.transport.write_all(&job.bytes[start..end])?;
            start = end;
            if start < job.bytes.len() {
                check(self)?;
            }
        }
        let state = check(self)?;
        Ok(PrintReport {
            bytes: job.bytes.len(),
            status_checks: checks,
            state,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_parse() {
        assert_eq!(
            PrinterUri::parse("tcp://192.168.1.50:9100").unwrap(),
            PrinterUri::Tcp {
                host: "192.168.1.50".into(),
                port: 9100
            }
        );
        assert_eq!(
            PrinterUri::parse("tcp://printer.local").unwrap(),
            PrinterUri::Tcp {
                host: "printer.local".into(),
                port: 9100
            }
        );
        assert_eq!(
            PrinterUri::parse("serial:///dev/ttyUSB0?baud=9600").unwrap(),
            PrinterUri::Serial {
                path: "/dev/ttyUSB0".into(),
                baud: 9600
            }
        );
        assert_eq!(
            PrinterUri::parse("serial:///dev/ttyS1").unwrap(),
            PrinterUri::Serial {
                path: "/dev/ttyS1".into(),
                baud: 115_200
            }
        );
        assert_eq!(
            PrinterUri::parse("usb://0483:5720").unwrap(),
            PrinterUri::Usb {
                vid: 0x0483,
                pid: 0x5720
            }
        );
        for bad in [
            "lpt://1",
            "tcp://:9100",
            "tcp://h:notaport",
            "serial://ttyUSB0",
            "serial:///dev/ttyUSB0?baud=12",
            "serial:///dev/ttyUSB0?parity=odd",
            "usb://0483",
            "usb://12345:1",
        ] {
            assert!(PrinterUri::parse(bad).is_err(), "{bad}");
        }
    }

    /// A scripted transport: answers every `DLE EOT n` from a queue of
    /// states and records what was written.
    struct Script {
        written: std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
        states: Vec<[u8; 4]>,
        pending: Vec<u8>,
    }

    impl Transport for Script {
        fn write_all(&mut self, data: &[u8]) -> Result<(), Error> {
            self.written.lock().unwrap().extend_from_slice(data);
            if data.starts_with(&[0x10, 0x04, 1]) {
                let s = if self.states.len() > 1 {
                    self.states.remove(0)
                } else {
                    self.states[0]
                };
                self.pending.extend_from_slice(&s);
            }
            Ok(())
        }
        fn read_some(&mut self, buf: &mut [u8], _t: Duration) -> Result<usize, Error> {
            let n = buf.len().min(self.pending.len());
            buf[..n].copy_from_slice(&self.pending[..n]);
            self.pending.drain(..n);
            Ok(n)
        }
        fn kind(&self) -> &'static str {
            "script"
        }
    }

    fn job(lines: usize) -> Job {
        let mut b = crate::printer::EscPos::new();
        for i in 0..lines {
            b.line(&format!("第{i}行 参保凭证测试文字"));
        }
        b.cut();
        b.finish()
    }

    #[test]
    fn a_job_is_checked_before_during_and_after() {
        let written = std::sync::Arc::default();
        let mut link = PrinterLink::from_transport(
            Box::new(Script {
                written: std::sync::Arc::clone(&written),
                states: vec![[0x12; 4]],
                pending: Vec::new(),
            }),
            Duration::from_secs(1),
        );
        let job = job(200);
        let report = link.print(&job).unwrap();
        assert!(report.status_checks >= 3, "{report:?}");
        let w = written.lock().unwrap();
        // The job's bytes, in order, with whole status queries between them.
        let stripped: Vec<u8> = {
            let mut out = Vec::new();
            let mut i = 0;
            while i < w.len() {
                if w[i..].starts_with(&[0x10, 0x04]) {
                    i += 3;
                } else {
                    out.push(w[i]);
                    i += 1;
                }
            }
            out
        };
        assert_eq!(stripped, job.bytes);
    }

    #[test]
    fn paper_out_before_the_job_sends_nothing() {
        let written: std::sync::Arc<std::sync::Mutex<Vec<u8>>> = std::sync::Arc::default();
        let mut link = PrinterLink::from_transport(
            Box::new(Script {
                written: std::sync::Arc::clone(&written),
                states: vec![[0x1A, 0x32, 0x12, 0x7E]],
                pending: Vec::new(),
            }),
            Duration::from_secs(1),
        );
        let err = link.print(&job(3)).unwrap_err();
        assert!(
            err.user_message().contains("缺纸"),
            "{}",
            err.user_message()
        );
        assert!(matches!(
            err,
            Error::PrinterNotReady(PrinterState::PaperOut)
        ));
        assert_eq!(written.lock().unwrap().len(), 12, "only the status queries");
    }

    #[test]
    fn cover_opened_mid_job_stops_it() {
        let mut link = PrinterLink::from_transport(
            Box::new(Script {
                written: std::sync::Arc::default(),
                states: vec![[0x12; 4], [0x1A, 0x16, 0x12, 0x12]],
                pending: Vec::new(),
            }),
            Duration::from_secs(1),
        );
        let err = link.print(&job(200)).unwrap_err();
        assert!(matches!(
            err,
            Error::PrinterNotReady(PrinterState::CoverOpen)
        ));
    }
}

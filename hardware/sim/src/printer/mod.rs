//! Simulated ESC/POS printer on TCP (or, with [`PrinterSim::start_pty`],
//! on a pseudo-terminal as a serial printer) that renders the paper roll
//! to PNG.
//!
//! [`PrinterSim::start`] listens like a network receipt printer on a raw
//! port (9100 on the real device), interprets the ESC/POS subset a kiosk
//! uses, and cuts the paper roll into [`Receipt`]s: each one a grey-scale
//! PNG of the thermal slip plus its decoded UTF-8 text.
//!
//! # Printer model
//!
//! - Paper: 58 mm (384 dots printable) or 80 mm (576 dots), 203 dpi.
//! - Fonts: half-width (ASCII) cells are 12×24 dots, full-width (every
//!   multi-byte GB18030 code in Chinese mode) 24×24, both scaled by `GS !`;
//!   a line holds 32 half-width cells on 58 mm paper and 48 on 80 mm, and
//!   wraps character by character like a real printer. Glyphs come from the
//!   system's Noto Sans CJK SC (Debian package `fonts-noto-cjk`).
//! - Commands: `ESC @`, `FS &`/`FS .`, `ESC a`, `ESC E`/`ESC G`, `ESC -`,
//!   `ESC !`, `GS !`, `GS B`, `ESC d`, `ESC J`, `LF`, `HT`, `ESC 2`/`ESC 3`,
//!   `FS 2` (user-defined 24×24 Chinese characters at FE A1..FE FE),
//!   `ESC $`/`ESC \`, `GS ( k` (QR: model, module size, error level, store,
//!   print), `GS v 0` (raster image), `GS V` (cut), `DLE EOT n` (real-time
//!   status, answered in stream order), `GS a` (automatic status back:
//!   recorded, no status is sent). Other commands are skipped by their
//!   known length where possible and reported as `[WARNING: ...]` lines at
//!   the end of the receipt's text; no byte sequence can panic it.
//! - `ESC @` resets the modes, leaves Chinese mode and clears an unprinted
//!   line: send `FS &` after it. Modes persist across connections (it is
//!   one printer), but each connection that closes with printed content
//!   pending ends a receipt (the slip is torn off); an unterminated last
//!   line is printed then, with a warning.
//! - A cut with nothing printed since the previous cut records no receipt.
//!
//! # Faults
//!
//! [`PrinterFaults`] set with [`PrinterSimHandle::set_faults`]:
//! - `paper_out` / `cover_open` make the printer go offline. `DLE EOT`
//!   still answers (offline bit, cause bits), every other command is still
//!   parsed (so the stream stays in sync and modes change), but nothing is
//!   printed: text, feeds, images, QR prints and cuts received while
//!   offline are discarded and never appear on paper. A real printer keeps
//!   receiving into its buffer while offline and prints nothing until the
//!   fault clears; because the kiosk must check status before printing and
//!   reprint afterwards, the simulator models the data as lost, so a driver
//!   that prints blind produces a missing receipt a test can see.
//!   [`PrinterSimHandle::discarded_bytes`] counts what was dropped.
//! - `cutter_error` (auto-cutter jam) also takes the printer offline:
//!   `DLE EOT 1` bit 3, `DLE EOT 2` bit 6, `DLE EOT 3` bit 3.
//! - `paper_near_end` only changes the roll sensor status; printing goes
//!   on. An empty roll (`paper_out`) also reports near-end.
//! - `drop_link_after_bytes: Some(n)` closes every connection after its
//!   first `n` bytes (later bytes of that read are not processed); what was
//!   printed so far becomes a receipt without a cut.
//! - `cutter_jam_at_next_cut` jams the blade on the next cut: that page is
//!   not cut (it ends as a receipt without a cut when the connection
//!   closes) and `cutter_error` is set from then on.
//! - `cover_open_after_bytes: Some(n)` opens the cover after the first `n`
//!   bytes of a connection (TCP only): the cover is open mid-job, and
//!   `cover_open` is set from then on.
//!
//! Status bytes (bits 1 and 4 always set, 0 and 7 clear): `DLE EOT 1`
//! bit 3 offline; `DLE EOT 2` bit 2 cover open, bit 5 stopped by paper end;
//! bit 6 error occurred (cutter); `DLE EOT 3` bit 3 cutter error (no
//! unrecoverable errors are simulated); `DLE EOT 4` bits 2-3 near end,
//! bits 5-6 paper end.

mod escpos;
mod font;
mod render;
mod server;

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::Error;

/// Width of the paper roll.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum PaperWidth {
    /// 58 mm roll, 384 printable dots (32 half-width cells per line).
    #[default]
    Mm58,
    /// 80 mm roll, 576 printable dots (48 half-width cells per line).
    Mm80,
}

impl PaperWidth {
    /// Printable width in dots (203 dpi).
    pub fn dots(self) -> u32 {
        match self {
            PaperWidth::Mm58 => 384,
            PaperWidth::Mm80 => 576,
        }
    }

    /// Half-width character cells per line at normal size.
    pub fn columns(self) -> u32 {
        self.dots() / escpos::ASCII_CELL_W
    }
}

impl fmt::Display for PaperWidth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PaperWidth::Mm58 => f.write_str("58"),
            PaperWidth::Mm80 => f.write_str("80"),
        }
    }
}

/// `"58"` or `"80"` (a trailing `mm` is accepted).
impl FromStr for PaperWidth {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().trim_end_matches("mm") {
            "58" => Ok(PaperWidth::Mm58),
            "80" => Ok(PaperWidth::Mm80),
            other => Err(format!("paper width must be 58 or 80 (mm), not {other:?}")),
        }
    }
}

/// Faults injected into the simulated printer (see the module docs).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PrinterFaults {
    /// The roll is empty: offline, nothing prints.
    pub paper_out: bool,
    /// The roll is nearly empty: status only.
    pub paper_near_end: bool,
    /// The cover is open: offline, nothing prints.
    pub cover_open: bool,
    /// Close each connection after this many bytes of it.
    pub drop_link_after_bytes: Option<usize>,
    /// The auto-cutter jammed: offline (like `cover_open`), `DLE EOT 2`
    /// bit 6 (error occurred) and `DLE EOT 3` bit 3 (cutter error).
    pub cutter_error: bool,
    /// The cutter jams on the next cut: that receipt stays uncut and the
    /// printer goes offline with `cutter_error` (set by the simulator)
    /// until the faults are set again.
    pub cutter_jam_at_next_cut: bool,
    /// The cover opens after this many bytes of a connection (TCP only):
    /// the rest of the job arrives with the printer offline, and the cover
    /// stays open (`cover_open` set by the simulator) until the faults are
    /// set again.
    pub cover_open_after_bytes: Option<usize>,
}

impl PrinterFaults {
    /// Whether the faults take the printer offline (nothing prints).
    pub fn offline(&self) -> bool {
        self.paper_out || self.cover_open || self.cutter_error
    }
}

/// How to run the simulator.
#[derive(Clone, Debug)]
pub struct PrinterSimConfig {
    /// Address to listen on (port 0 picks a free port).
    pub listen: SocketAddr,
    /// Where to write `receipt-0001.png` / `receipt-0001.txt` (created if
    /// missing; existing files of the same name are overwritten).
    pub out_dir: Option<PathBuf>,
    /// The paper roll.
    pub paper: PaperWidth,
}

/// One cut (or torn-off) receipt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Receipt {
    /// 1, 2, ... in printing order.
    pub id: u64,
    /// Decoded text: one line per printed line (alignment as leading
    /// spaces, one per 12-dot cell), `[QR: <data>]` for QR codes,
    /// `[IMAGE wxh]` for raster images (printed size in dots), then any
    /// `[WARNING: ...]` lines.
    pub text: String,
    /// The slip as an 8-bit grey-scale PNG, as wide as the paper.
    pub png: Vec<u8>,
    /// Where the PNG was written, if the simulator has an output folder.
    pub png_path: Option<PathBuf>,
    /// Where the text was written, if the simulator has an output folder.
    pub text_path: Option<PathBuf>,
    /// Bytes of the link that made this receipt (commands included).
    pub bytes_received: usize,
    /// The receipt ended at a cut (`GS V`); `false`: the link closed with
    /// content pending and the slip was torn off (a job cut short).
    pub cut: bool,
}

/// Starts simulated printers.
pub struct PrinterSim;

impl PrinterSim {
    /// Loads the fonts, binds `config.listen` and serves connections one at
    /// a time on a background thread until the handle is stopped or
    /// dropped.
    ///
    /// Fails if no CJK font is installed ([`Error::CjkFontMissing`]), the
    /// address cannot be bound or the output folder cannot be created.
    pub fn start(config: PrinterSimConfig) -> Result<PrinterSimHandle, Error> {
        let server = server::start(config)?;
        Ok(PrinterSimHandle {
            shared: server.shared,
            local_addr: server.local_addr,
            thread: Some(server.thread),
            pty: None,
        })
    }

    /// The same printer on a pseudo-terminal: a serial printer. Open
    /// [`PrinterSimHandle::pty_path`] (e.g. `serial://<path>?baud=115200`).
    /// Receipts end at cuts (a serial line does not close);
    /// `drop_link_after_bytes` does not apply. `local_addr` is unspecified.
    pub fn start_pty(
        paper: PaperWidth,
        out_dir: Option<PathBuf>,
    ) -> Result<PrinterSimHandle, Error> {
        let server = server::start_pty(paper.dots(), out_dir)?;
        Ok(PrinterSimHandle {
            shared: server.shared,
            local_addr: SocketAddr::from(([0, 0, 0, 0], 0)),
            thread: Some(server.thread),
            pty: Some((server.path, server.slave)),
        })
    }
}

/// A running simulated printer. Dropping it stops it.
pub struct PrinterSimHandle {
    shared: Arc<server::Shared>,
    local_addr: SocketAddr,
    thread: Option<JoinHandle<()>>,
    /// Serial mode: the pty slave path, and the slave kept open so the
    /// line stays up while drivers open and close it.
    pty: Option<(PathBuf, std::os::fd::OwnedFd)>,
}

impl PrinterSimHandle {
    /// The address the printer listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Serial mode: the pty path a driver opens.
    pub fn pty_path(&self) -> Option<&std::path::Path> {
        self.pty.as_ref().map(|(p, _)| p.as_path())
    }

    /// All receipts so far, oldest first.
    pub fn receipts(&self) -> Vec<Receipt> {
        self.shared.lock().receipts.clone()
    }

    /// How many receipts exist (cheaper than [`Self::receipts`]).
    pub fn receipt_count(&self) -> usize {
        self.shared.lock().receipts.len()
    }

    /// Waits until at least `n` receipts exist or `timeout` passes;
    /// returns whether they exist.
    pub fn wait_for_receipts(&self, n: usize, timeout: Duration) -> bool {
        let deadline = Instant::now().checked_add(timeout);
        let mut state = self.shared.lock();
        while state.receipts.len() < n {
            let left = match deadline {
                Some(d) => d.saturating_duration_since(Instant::now()),
                None => Duration::from_secs(3600),
            };
            if left.is_zero() {
                return false;
            }
            state = match self.shared.changed.wait_timeout(state, left) {
                Ok((s, _)) => s,
                Err(poisoned) => poisoned.into_inner().0,
            };
        }
        true
    }

    /// Replaces the injected faults; applies from the next bytes received.
    pub fn set_faults(&self, faults: PrinterFaults) {
        self.shared.lock().faults = faults;
    }

    /// The faults in force.
    pub fn faults(&self) -> PrinterFaults {
        self.shared.lock().faults.clone()
    }

    /// Bytes of print data discarded because the printer was offline.
    pub fn discarded_bytes(&self) -> usize {
        self.shared.lock().discarded
    }

    /// The last `GS a n` (automatic status back) setting received, if any.
    pub fn auto_status_back(&self) -> Option<u8> {
        self.shared.lock().asb
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> u64 {
        self.shared.lock().connections
    }

    /// Stops listening and closes the current connection (a receipt with
    /// pending content is finished first). Returns within about a tenth of
    /// a second plus the time to render that receipt.
    pub fn stop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        self.shared.changed.notify_all();
        // Wake the accept loop, which waits on the listener (not on a
        // tick) while no client is connected.
        if self.thread.is_some() && self.local_addr.port() != 0 {
            let mut wake = self.local_addr;
            if wake.ip().is_unspecified() {
                wake.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
            }
            let _ = std::net::TcpStream::connect_timeout(&wake, Duration::from_millis(200));
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for PrinterSimHandle {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Command-line arguments of `kiosk-sim printer`.
#[derive(Clone, Debug, clap::Args)]
pub struct PrinterArgs {
    /// Address to listen on.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:9100")]
    pub listen: SocketAddr,
    /// Folder for receipt-NNNN.png and .txt (created if missing).
    #[arg(long, value_name = "DIR", default_value = "receipts")]
    pub out: PathBuf,
    /// Paper roll width in mm: 58 (384 dots) or 80 (576 dots).
    #[arg(long, value_name = "58|80", default_value = "58")]
    pub paper: PaperWidth,
    /// Be a serial printer on a pseudo-terminal instead of listening on
    /// TCP (the pty path is printed; open it as serial://PATH?baud=115200).
    #[arg(long)]
    pub pty: bool,
}

/// Runs the printer until the process is killed, printing the path of
/// each receipt PNG as it is written (one line each, on stdout).
pub fn cli(args: PrinterArgs) -> Result<(), Error> {
    use std::io::Write as _;

    let handle = if args.pty {
        PrinterSim::start_pty(args.paper, Some(args.out.clone()))?
    } else {
        PrinterSim::start(PrinterSimConfig {
            listen: args.listen,
            out_dir: Some(args.out.clone()),
            paper: args.paper,
        })?
    };
    let at = match handle.pty_path() {
        Some(path) => format!("serial://{}", path.display()),
        None => format!("tcp://{}", handle.local_addr()),
    };
    eprintln!(
        "ESC/POS printer ({} mm, {} dots) on {at}, receipts in {}, font {}",
        args.paper,
        args.paper.dots(),
        args.out.display(),
        font::fonts()?.description
    );
    let mut seen = 0;
    loop {
        if !handle.wait_for_receipts(seen + 1, Duration::from_secs(3600)) {
            continue;
        }
        let receipts = handle.receipts();
        let mut out = std::io::stdout().lock();
        for r in receipts.iter().skip(seen) {
            match &r.png_path {
                Some(p) => writeln!(out, "{}", p.display())?,
                None => writeln!(out, "receipt {} (not written)", r.id)?,
            }
        }
        out.flush()?;
        seen = receipts.len();
    }
}

/// Renders the ESC/POS bytes of one job to a PNG of the paper, with the same
/// interpreter and renderer the simulated printer uses: what a screen
/// preview shows is what those bytes print. Only the first cut page is
/// rendered (a job is one document).
pub fn render_preview(job: &[u8], paper: PaperWidth) -> Result<Vec<u8>, Error> {
    let mut interpreter = escpos::Interpreter::new(paper.dots());
    let mut events = Vec::new();
    interpreter.feed(job, &PrinterFaults::default(), &mut events);
    let page = events
        .into_iter()
        .find_map(|e| match e {
            escpos::Event::Page(p) => Some(p),
            _ => None,
        })
        .or_else(|| interpreter.finish())
        .ok_or_else(|| Error::Preview("the job printed nothing".into()))?;
    render::render_png(&page, font::fonts()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_preview_is_the_paper_the_bytes_print() {
        // ESC @, FS & (Chinese mode), "参保" in GB18030, LF, GS V 0 (cut).
        let mut job = vec![0x1b, 0x40, 0x1c, 0x26];
        job.extend_from_slice(&[0xb2, 0xce, 0xb1, 0xa3, b'\n', 0x1d, 0x56, 0x00]);
        let png = render_preview(&job, PaperWidth::Mm80).unwrap();
        assert_eq!(&png[1..4], b"PNG");
        // IHDR width: the 80 mm paper plus the table beyond its edges.
        let width = u32::from_be_bytes([png[16], png[17], png[18], png[19]]);
        assert!(width >= 576, "{width}");
        assert!(render_preview(&[], PaperWidth::Mm58).is_err());
    }

    #[test]
    fn paper_width_parses() {
        assert_eq!("58".parse::<PaperWidth>(), Ok(PaperWidth::Mm58));
        assert_eq!("80mm".parse::<PaperWidth>(), Ok(PaperWidth::Mm80));
        assert!("72".parse::<PaperWidth>().is_err());
        assert_eq!(PaperWidth::Mm58.columns(), 32);
        assert_eq!(PaperWidth::Mm80.columns(), 48);
    }

    #[test]
    fn cli_args_parse() {
        use clap::Parser;
        #[derive(Parser)]
        struct Cmd {
            #[command(flatten)]
            args: PrinterArgs,
        }
        let c = Cmd::try_parse_from(["x", "--paper", "80", "--out", "/tmp/r"]).expect("parse");
        assert_eq!(c.args.paper, PaperWidth::Mm80);
        assert_eq!(c.args.listen.port(), 9100);
        assert!(Cmd::try_parse_from(["x", "--paper", "60"]).is_err());
    }
}

//! Simulated QR scanner on a pseudo-terminal: every [`ScannerSimHandle::scan`]
//! writes the code and its terminator (CR by default) to the pty, as a
//! serial 2D scanner does. The kiosk opens the pty slave path as the
//! scanner's serial port.

use std::fmt;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};

use crate::Error;
use crate::pty::{RawPty, make_link, remove_link_if_ours};

/// What ends a scanned code on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Terminator {
    /// `\r` (most scanners).
    #[default]
    Cr,
    /// `\r\n`.
    CrLf,
    /// `\n`.
    Lf,
    /// Nothing (a partial read).
    None,
}

impl Terminator {
    fn bytes(self) -> &'static [u8] {
        match self {
            Terminator::Cr => b"\r",
            Terminator::CrLf => b"\r\n",
            Terminator::Lf => b"\n",
            Terminator::None => b"",
        }
    }
}

/// Faults of one scan.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScanFaults {
    /// The terminator.
    pub terminator: Terminator,
    /// Send the code this many extra times (a scanner repeating while the
    /// phone is held in front of it).
    pub repeats: u32,
    /// Keep only the first this many bytes of the code (a partial read).
    pub truncate: Option<usize>,
    /// Bytes sent before the code (line noise).
    pub noise_before: Vec<u8>,
}

/// Starts simulated scanners.
#[derive(Debug)]
pub struct ScannerSim;

impl ScannerSim {
    /// Opens a raw pty; with `link`, a symlink there points to its slave
    /// (the scanner's stable name across [`unplug`](ScannerSimHandle::unplug)
    /// and [`replug`](ScannerSimHandle::replug)).
    pub fn spawn(link: Option<&Path>) -> Result<ScannerSimHandle, Error> {
        let pty = RawPty::open()?;
        if let Some(link) = link {
            make_link(&pty.path, link)?;
        }
        Ok(ScannerSimHandle {
            port: Mutex::new(Port {
                path: pty.path.clone(),
                pty: Some(pty),
            }),
            link: link.map(Path::to_path_buf),
        })
    }
}

/// A running simulated scanner. Dropping it closes the pty and removes the
/// symlink.
pub struct ScannerSimHandle {
    port: Mutex<Port>,
    link: Option<PathBuf>,
}

/// The scanner's pty while plugged in, and its last slave path.
struct Port {
    path: PathBuf,
    /// The slave side is held open so the master never sees EIO between
    /// driver sessions.
    pty: Option<RawPty>,
}

/// How long a scan waits for room in the pty buffer (nobody reading).
const WRITE_WAIT: Duration = Duration::from_secs(2);

impl ScannerSimHandle {
    /// The pty slave path the kiosk opens. It changes at each
    /// [`replug`](Self::replug); while unplugged it is the old path, which
    /// no longer exists.
    pub fn path(&self) -> PathBuf {
        self.lock_port().path.clone()
    }

    /// Whether the scanner is plugged in.
    pub fn is_plugged(&self) -> bool {
        self.lock_port().pty.is_some()
    }

    /// Unplugs the scanner: both sides of the pty close (the `/dev/pts`
    /// node disappears, a driver holding the port sees a hang-up) and the
    /// symlink is removed. Idempotent.
    pub fn unplug(&self) {
        let mut port = self.lock_port();
        if let Some(pty) = port.pty.take()
            && let Some(link) = &self.link
        {
            remove_link_if_ours(link, &pty.path);
        }
    }

    /// Plugs the scanner back in on a new pty, with the symlink pointing at
    /// it. Does nothing when it is plugged in already.
    pub fn replug(&self) -> Result<(), Error> {
        let mut port = self.lock_port();
        if port.pty.is_none() {
            let pty = RawPty::open()?;
            if let Some(link) = &self.link {
                make_link(&pty.path, link)?;
            }
            port.path = pty.path.clone();
            port.pty = Some(pty);
        }
        Ok(())
    }

    /// The symlink, if any.
    pub fn link(&self) -> Option<&Path> {
        self.link.as_deref()
    }

    /// "Scans" `text`: writes it with a CR.
    pub fn scan(&self, text: &str) -> Result<(), Error> {
        self.scan_with(text, &ScanFaults::default())
    }

    /// Scans with faults.
    pub fn scan_with(&self, text: &str, faults: &ScanFaults) -> Result<(), Error> {
        let mut code = text.as_bytes().to_vec();
        if let Some(keep) = faults.truncate {
            code.truncate(keep);
        }
        let mut wire = faults.noise_before.clone();
        for _ in 0..=faults.repeats {
            wire.extend_from_slice(&code);
            wire.extend_from_slice(faults.terminator.bytes());
        }
        self.send_raw(&wire)
    }

    /// Writes raw bytes to the line; an unplugged scanner refuses with
    /// [`Error::Unplugged`].
    pub fn send_raw(&self, mut bytes: &[u8]) -> Result<(), Error> {
        let port = self.lock_port();
        let Some(pty) = &port.pty else {
            return Err(Error::Unplugged("QR scanner"));
        };
        let master = &pty.master;
        while !bytes.is_empty() {
            match nix::unistd::write(master, bytes) {
                Ok(n) => bytes = &bytes[n..],
                Err(Errno::EINTR) => {}
                Err(Errno::EAGAIN) => {
                    let mut fds = [PollFd::new(
                        std::os::fd::AsFd::as_fd(master),
                        PollFlags::POLLOUT,
                    )];
                    let ms = u16::try_from(WRITE_WAIT.as_millis()).unwrap_or(u16::MAX);
                    if poll(&mut fds, PollTimeout::from(ms)).map_err(Error::Pty)? == 0 {
                        return Err(Error::Io(std::io::ErrorKind::TimedOut.into()));
                    }
                }
                Err(e) => return Err(Error::Pty(e)),
            }
        }
        Ok(())
    }

    fn lock_port(&self) -> MutexGuard<'_, Port> {
        self.port.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for ScannerSimHandle {
    fn drop(&mut self) {
        self.unplug();
    }
}

impl fmt::Debug for ScannerSimHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScannerSimHandle")
            .field("path", &self.path())
            .field("link", &self.link)
            .field("plugged", &self.is_plugged())
            .finish()
    }
}

/// Run the simulated QR scanner on a pseudo-terminal (`kiosk-sim scanner`).
#[derive(Debug, Clone, clap::Args)]
pub struct ScannerArgs {
    /// Create a symlink here pointing at the pty (e.g. /tmp/qr-scanner).
    #[arg(long, value_name = "PATH")]
    pub link: Option<PathBuf>,
    /// End each code with CR LF instead of CR.
    #[arg(long)]
    pub crlf: bool,
}

/// Each line typed on standard input is "scanned"; `unplug` pulls the
/// scanner's cable (the port disappears), `replug` plugs it back in (a new
/// pty behind the same `--link`), `quit` stops. When standard input closes
/// the simulator keeps the pty open until killed.
pub fn cli(args: ScannerArgs) -> Result<(), Error> {
    let sim = ScannerSim::spawn(args.link.as_deref())?;
    println!("QR scanner simulator on {}", sim.path().display());
    if let Some(link) = sim.link() {
        println!("symlink {} -> {}", link.display(), sim.path().display());
    }
    println!("type a code and Enter to scan it; `unplug`, `replug`, `quit`");
    let faults = ScanFaults {
        terminator: if args.crlf {
            Terminator::CrLf
        } else {
            Terminator::Cr
        },
        ..ScanFaults::default()
    };
    for line in std::io::stdin().lock().lines() {
        let line = line?;
        match line.trim() {
            "quit" => return Ok(()),
            "" => {}
            "unplug" => {
                sim.unplug();
                println!("scanner unplugged");
            }
            "replug" => {
                sim.replug()?;
                println!("scanner plugged in on {}", sim.path().display());
            }
            code => {
                sim.scan_with(code, &faults)?;
                println!("scanned {} characters", code.chars().count());
            }
        }
    }
    loop {
        std::thread::park();
    }
}

#[cfg(test)]
mod tests {
    use std::fs::OpenOptions;
    use std::io::Read;
    use std::os::fd::AsFd;
    use std::time::Instant;

    use super::*;

    fn read_n(port: &mut std::fs::File, n: usize) -> Vec<u8> {
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut out = Vec::new();
        let mut buf = [0u8; 256];
        while out.len() < n {
            assert!(Instant::now() < deadline, "timed out");
            let mut fds = [PollFd::new(port.as_fd(), PollFlags::POLLIN)];
            if poll(&mut fds, PollTimeout::from(100u16)).unwrap() == 0 {
                continue;
            }
            let got = port.read(&mut buf[..n - out.len()]).unwrap();
            out.extend_from_slice(&buf[..got]);
        }
        out
    }

    #[test]
    fn scans_arrive_on_the_pty_with_their_terminators() {
        let dir = tempfile::tempdir().unwrap();
        let link = dir.path().join("scanner");
        let sim = ScannerSim::spawn(Some(&link)).unwrap();
        let mut port = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&link)
            .unwrap();
        sim.scan("ECV1-ABC").unwrap();
        assert_eq!(read_n(&mut port, 9), b"ECV1-ABC\r");
        sim.scan_with(
            "ECV1-ABC",
            &ScanFaults {
                terminator: Terminator::CrLf,
                repeats: 1,
                truncate: Some(4),
                noise_before: vec![0x00],
            },
        )
        .unwrap();
        assert_eq!(read_n(&mut port, 13), b"\x00ECV1\r\nECV1\r\n");
        drop(sim);
        assert!(std::fs::symlink_metadata(&link).is_err());
    }

    #[test]
    fn unplug_hangs_up_and_replug_serves_behind_the_same_link() {
        let dir = tempfile::tempdir().unwrap();
        let link = dir.path().join("scanner");
        let sim = ScannerSim::spawn(Some(&link)).unwrap();
        let first = sim.path();
        let port = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&link)
            .unwrap();
        sim.unplug();
        assert!(!sim.is_plugged());
        assert!(std::fs::symlink_metadata(&link).is_err());
        assert!(!first.exists());
        let mut fds = [PollFd::new(port.as_fd(), PollFlags::POLLIN)];
        poll(&mut fds, PollTimeout::from(1000u16)).unwrap();
        assert!(fds[0].revents().unwrap().contains(PollFlags::POLLHUP));
        assert!(matches!(sim.scan("ECV1-ABC"), Err(Error::Unplugged(_))));

        sim.replug().unwrap();
        assert_eq!(std::fs::read_link(&link).unwrap(), sim.path());
        let mut port = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&link)
            .unwrap();
        sim.scan("ECV1-ABC").unwrap();
        assert_eq!(read_n(&mut port, 9), b"ECV1-ABC\r");
    }
}

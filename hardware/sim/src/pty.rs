//! What the pty-based simulators (ID card reader, QR scanner) share: a raw
//! pseudo-terminal with a non-blocking master, and the stable symlink a
//! kiosk is configured with.
//!
//! Unplugging a simulated serial device closes both sides of its pty: the
//! `/dev/pts/N` node disappears and a driver still holding the slave sees a
//! hang-up (reads report `POLLHUP`, writes fail), as with a USB-serial
//! adapter pulled out. Re-plugging opens a new pty, usually with another
//! number, and points the same symlink at it, as udev does with
//! `/dev/serial/by-id/…`.

use std::os::fd::{AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};

use nix::fcntl::{FcntlArg, FdFlag, OFlag, fcntl};
use nix::sys::termios::{SetArg, cfmakeraw, tcgetattr, tcsetattr};

use crate::Error;

/// An open raw pseudo-terminal.
pub(crate) struct RawPty {
    /// The simulator's side, non-blocking.
    pub master: OwnedFd,
    /// The driver's side, held open by the simulator so that the master
    /// never sees EIO/HUP between driver sessions.
    pub slave: OwnedFd,
    /// The slave's path (e.g. `/dev/pts/3`).
    pub path: PathBuf,
}

impl RawPty {
    /// Opens a pty, sets the slave raw and the master non-blocking. Both
    /// descriptors are close-on-exec, so that a child process (a field
    /// tool run by a test) cannot keep an unplugged pty alive.
    pub fn open() -> Result<RawPty, Error> {
        let pty = nix::pty::openpty(None, None).map_err(Error::Pty)?;
        for fd in [&pty.master, &pty.slave] {
            fcntl(fd, FcntlArg::F_SETFD(FdFlag::FD_CLOEXEC)).map_err(Error::Pty)?;
        }
        let mut termios = tcgetattr(&pty.slave).map_err(Error::Pty)?;
        cfmakeraw(&mut termios);
        tcsetattr(&pty.slave, SetArg::TCSANOW, &termios).map_err(Error::Pty)?;
        let path = match nix::unistd::ttyname(&pty.slave) {
            Ok(path) => path,
            Err(_) => std::fs::read_link(format!("/proc/self/fd/{}", pty.slave.as_raw_fd()))?,
        };
        let flags = fcntl(&pty.master, FcntlArg::F_GETFL).map_err(Error::Pty)?;
        let flags = OFlag::from_bits_truncate(flags) | OFlag::O_NONBLOCK;
        fcntl(&pty.master, FcntlArg::F_SETFL(flags)).map_err(Error::Pty)?;
        Ok(RawPty {
            master: pty.master,
            slave: pty.slave,
            path,
        })
    }
}

/// Creates `link` → `target`, replacing a stale symlink; any other file
/// there is left alone and is an error.
pub(crate) fn make_link(target: &Path, link: &Path) -> Result<(), Error> {
    match std::fs::symlink_metadata(link) {
        Ok(meta) if meta.file_type().is_symlink() => std::fs::remove_file(link)?,
        Ok(_) => return Err(Error::LinkOccupied(link.to_path_buf())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(Error::Io(e)),
    }
    std::os::unix::fs::symlink(target, link)?;
    Ok(())
}

/// Removes `link` if it still points at `target` (someone else may have
/// taken the name since).
pub(crate) fn remove_link_if_ours(link: &Path, target: &Path) {
    if std::fs::read_link(link).is_ok_and(|t| t == target) {
        let _ = std::fs::remove_file(link);
    }
}

//! The simulated reader on a pseudo-terminal: a background thread answers
//! command frames written to the pty's slave side (the path a driver opens).

use std::fmt;
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};

use super::card::SimCard;
use super::protocol::{CommandDecoder, Incoming, answer};
use crate::Error;
use crate::pty::{RawPty, make_link, remove_link_if_ours};

/// The card on the simulated reader: a cloneable shared handle, so a test
/// or the CLI can place and remove a card while the reader thread runs.
#[derive(Clone, Default)]
pub struct CardSlot(Arc<Mutex<Option<SimCard>>>);

impl CardSlot {
    /// An empty slot.
    pub fn new() -> CardSlot {
        CardSlot::default()
    }

    /// A slot with `card` already on it.
    pub fn with_card(card: SimCard) -> CardSlot {
        let slot = CardSlot::new();
        slot.place(card);
        slot
    }

    /// Puts a card on the reader (replacing any card there).
    pub fn place(&self, card: SimCard) {
        *self.lock() = Some(card);
    }

    /// Takes the card away, returning it.
    pub fn remove(&self) -> Option<SimCard> {
        self.lock().take()
    }

    /// Whether a card is on the reader.
    pub fn is_present(&self) -> bool {
        self.lock().is_some()
    }

    /// A copy of the card on the reader.
    pub fn current(&self) -> Option<SimCard> {
        self.lock().clone()
    }

    fn lock(&self) -> MutexGuard<'_, Option<SimCard>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl fmt::Debug for CardSlot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CardSlot")
            .field("present", &self.is_present())
            .finish()
    }
}

/// Faults the simulator can inject into its replies.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SimFaults {
    /// Bytes sent before the reply (line noise).
    pub noise_before_reply: Vec<u8>,
    /// Send the reply in chunks of this many bytes with this pause between
    /// them (a slow or fragmenting link).
    pub split_reply: Option<(usize, Duration)>,
    /// Flip the reply's checksum byte.
    pub corrupt_checksum: bool,
    /// Send nothing at all (the driver should time out).
    pub no_reply: bool,
    /// Send only the first this many bytes of the reply (a truncated frame).
    pub truncate_reply: Option<usize>,
    /// Apply these faults only to replies to this command byte (e.g. 0x30,
    /// read): a one-shot fault then waits for that command.
    pub only_command: Option<u8>,
}

impl SimFaults {
    fn applies_to(&self, cmd: Option<u8>) -> bool {
        match self.only_command {
            Some(wanted) => cmd == Some(wanted),
            None => true,
        }
    }
}

/// Persistent faults plus a one-shot override for the next reply.
#[derive(Debug, Default)]
struct FaultState {
    always: SimFaults,
    next: Option<SimFaults>,
}

/// Starts simulated readers.
#[derive(Debug)]
pub struct IdReaderSim;

impl IdReaderSim {
    /// Opens a pseudo-terminal, sets it raw and serves the reader protocol
    /// on it in a background thread, answering with the card in `slot`.
    ///
    /// The driver opens [`IdReaderSimHandle::path`] (the pty slave). With
    /// `link`, a symlink there points to that path (a stale symlink is
    /// replaced; any other file is left alone and is an error). The link is
    /// the reader's stable name: after [`unplug`](IdReaderSimHandle::unplug)
    /// and [`replug`](IdReaderSimHandle::replug) it points at the new pty.
    pub fn spawn(slot: CardSlot, link: Option<&Path>) -> Result<IdReaderSimHandle, Error> {
        let faults = Arc::new(Mutex::new(FaultState::default()));
        let plugged = Plugged::start(&slot, &faults, link)?;
        Ok(IdReaderSimHandle {
            link: link.map(Path::to_path_buf),
            slot,
            faults,
            port: Mutex::new(Port {
                path: plugged.path.clone(),
                plugged: Some(plugged),
            }),
        })
    }
}

/// The running simulator. Dropping it stops the thread and removes the
/// symlink, like [`stop`](Self::stop).
pub struct IdReaderSimHandle {
    link: Option<PathBuf>,
    slot: CardSlot,
    faults: Arc<Mutex<FaultState>>,
    port: Mutex<Port>,
}

/// The reader's pty: the last slave path, and the serving thread while
/// plugged in.
struct Port {
    path: PathBuf,
    plugged: Option<Plugged>,
}

/// A plugged-in reader: one pty and the thread answering on it.
struct Plugged {
    path: PathBuf,
    stop: OwnedFd,
    thread: JoinHandle<()>,
    /// Held open so the master never sees EIO/HUP between driver sessions.
    _slave: OwnedFd,
}

impl Plugged {
    /// Opens a pty, points `link` at it and starts the serving thread.
    fn start(
        slot: &CardSlot,
        faults: &Arc<Mutex<FaultState>>,
        link: Option<&Path>,
    ) -> Result<Plugged, Error> {
        let pty = RawPty::open()?;
        let (stop_rx, stop_tx) = nix::unistd::pipe().map_err(Error::Pty)?;
        if let Some(link) = link {
            make_link(&pty.path, link)?;
        }
        let server = Server {
            master: pty.master,
            stop: stop_rx,
            slot: slot.clone(),
            faults: Arc::clone(faults),
        };
        let thread = thread::Builder::new()
            .name("idcard-sim".into())
            .spawn(move || server.run());
        match thread {
            Ok(thread) => Ok(Plugged {
                path: pty.path,
                stop: stop_tx,
                thread,
                _slave: pty.slave,
            }),
            Err(e) => {
                if let Some(link) = link {
                    remove_link_if_ours(link, &pty.path);
                }
                Err(Error::Io(e))
            }
        }
    }

    /// Stops the thread (promptly: closing the pipe's write end wakes its
    /// poll with POLLHUP) and closes both sides of the pty.
    fn stop(self) {
        drop(self.stop);
        let _ = self.thread.join();
        // The thread owned the master and closed it on return; `_slave`
        // closes here.
    }
}

impl IdReaderSimHandle {
    /// The pty slave path (e.g. `/dev/pts/3`) a driver opens. It changes
    /// at each [`replug`](Self::replug); while unplugged it is the old
    /// path, which no longer exists. Open [`link`](Self::link) for a name
    /// that survives re-plugging.
    pub fn path(&self) -> PathBuf {
        self.lock_port().path.clone()
    }

    /// The symlink created at spawn, if any.
    pub fn link(&self) -> Option<&Path> {
        self.link.as_deref()
    }

    /// The card slot (shared with the reader thread).
    pub fn slot(&self) -> &CardSlot {
        &self.slot
    }

    /// Whether the reader is plugged in (spawned and not unplugged).
    pub fn is_plugged(&self) -> bool {
        self.lock_port().plugged.is_some()
    }

    /// Unplugs the reader: the serving thread stops, both sides of the pty
    /// are closed (the `/dev/pts` node disappears, a driver holding the
    /// port sees a hang-up) and the symlink is removed. Idempotent.
    pub fn unplug(&self) {
        let mut port = self.lock_port();
        if let Some(plugged) = port.plugged.take() {
            if let Some(link) = &self.link {
                remove_link_if_ours(link, &plugged.path);
            }
            plugged.stop();
        }
    }

    /// Plugs the reader back in: a new pty, served with the same card slot
    /// and faults, with the symlink pointing at it. Does nothing when it is
    /// plugged in already.
    pub fn replug(&self) -> Result<(), Error> {
        let mut port = self.lock_port();
        if port.plugged.is_none() {
            let plugged = Plugged::start(&self.slot, &self.faults, self.link.as_deref())?;
            port.path = plugged.path.clone();
            port.plugged = Some(plugged);
        }
        Ok(())
    }

    /// Sets faults applied to every reply from now on.
    pub fn set_faults(&self, faults: SimFaults) {
        self.lock_faults().always = faults;
    }

    /// Sets faults for the next reply only; later replies use the
    /// persistent faults again.
    pub fn fault_next_reply(&self, faults: SimFaults) {
        self.lock_faults().next = Some(faults);
    }

    /// The persistent faults.
    pub fn faults(&self) -> SimFaults {
        self.lock_faults().always.clone()
    }

    /// Stops the reader thread (promptly: it is woken through a pipe) and
    /// removes the symlink: [`unplug`](Self::unplug). Idempotent.
    pub fn stop(&mut self) {
        self.unplug();
    }

    fn lock_faults(&self) -> MutexGuard<'_, FaultState> {
        self.faults.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn lock_port(&self) -> MutexGuard<'_, Port> {
        self.port.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for IdReaderSimHandle {
    fn drop(&mut self) {
        self.unplug();
    }
}

impl fmt::Debug for IdReaderSimHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdReaderSimHandle")
            .field("path", &self.path())
            .field("link", &self.link)
            .field("slot", &self.slot)
            .field("plugged", &self.is_plugged())
            .finish()
    }
}

/// How long one poll waits at most; stopping does not depend on it (the
/// stop pipe wakes the poll), it only bounds a wait if something odd
/// happens to the pipe.
const POLL_INTERVAL: u16 = 1000;

/// Why the write of a reply ended early.
enum Interrupted {
    Stop,
    Failed,
}

struct Server {
    master: OwnedFd,
    stop: OwnedFd,
    slot: CardSlot,
    faults: Arc<Mutex<FaultState>>,
}

impl Server {
    fn run(self) {
        let mut decoder = CommandDecoder::default();
        let mut buf = [0u8; 1024];
        loop {
            let (master_ready, master_hup, stop) =
                match self.wait(PollFlags::POLLIN, PollTimeout::from(POLL_INTERVAL)) {
                    Ok(state) => state,
                    Err(_) => return,
                };
            if stop {
                return;
            }
            if master_ready {
                loop {
                    match nix::unistd::read(&self.master, &mut buf) {
                        Ok(0) => break,
                        Ok(n) => decoder.push(&buf[..n]),
                        Err(Errno::EAGAIN | Errno::EINTR) => break,
                        // EIO: no slave open. Cannot happen while the
                        // handle holds one; treat it like a hang-up.
                        Err(_) => break,
                    }
                }
            } else if master_hup {
                // Nothing to read but the line reports a hang-up: wait on the
                // stop pipe for a while instead of spinning.
                if self.pause(Duration::from_millis(50)) {
                    return;
                }
            }
            while let Some(incoming) = decoder.next_incoming() {
                let card = self.slot.current();
                let reply = answer(&incoming, card.as_ref());
                let cmd = match &incoming {
                    Incoming::Command { cmd, .. } => Some(*cmd),
                    _ => None,
                };
                let faults = self.take_faults(cmd);
                if let Err(Interrupted::Stop) = self.send(reply, &faults) {
                    return;
                }
            }
        }
    }

    /// Polls the master for `events` and the stop pipe; returns (master
    /// ready, master hung up, stop requested).
    fn wait(&self, events: PollFlags, timeout: PollTimeout) -> Result<(bool, bool, bool), Errno> {
        let mut fds = [
            PollFd::new(self.master.as_fd(), events),
            PollFd::new(self.stop.as_fd(), PollFlags::POLLIN),
        ];
        match poll(&mut fds, timeout) {
            Ok(_) => {}
            Err(Errno::EINTR) => return Ok((false, false, false)),
            Err(e) => return Err(e),
        }
        let master = fds[0].revents().unwrap_or(PollFlags::empty());
        let stop = fds[1].revents().unwrap_or(PollFlags::empty());
        Ok((
            master.intersects(events),
            master.intersects(PollFlags::POLLHUP | PollFlags::POLLERR),
            !stop.is_empty(),
        ))
    }

    /// Sleeps up to `duration`, returning early (true) when asked to stop.
    fn pause(&self, duration: Duration) -> bool {
        let mut fds = [PollFd::new(self.stop.as_fd(), PollFlags::POLLIN)];
        let millis = u16::try_from(duration.as_millis()).unwrap_or(u16::MAX);
        match poll(&mut fds, PollTimeout::from(millis)) {
            Ok(n) => n > 0,
            Err(_) => false,
        }
    }

    fn take_faults(&self, cmd: Option<u8>) -> SimFaults {
        let mut state = self.faults.lock().unwrap_or_else(PoisonError::into_inner);
        if state.next.as_ref().is_some_and(|once| once.applies_to(cmd))
            && let Some(once) = state.next.take()
        {
            return once;
        }
        if state.always.applies_to(cmd) {
            state.always.clone()
        } else {
            SimFaults::default()
        }
    }

    /// Sends a reply with the faults applied.
    fn send(&self, mut reply: Vec<u8>, faults: &SimFaults) -> Result<(), Interrupted> {
        if faults.no_reply {
            return Ok(());
        }
        if faults.corrupt_checksum
            && let Some(last) = reply.last_mut()
        {
            *last ^= 0xFF;
        }
        if let Some(keep) = faults.truncate_reply {
            reply.truncate(keep);
        }
        let mut wire = faults.noise_before_reply.clone();
        wire.append(&mut reply);
        match faults.split_reply {
            Some((chunk, pause)) if chunk > 0 => {
                for (i, part) in wire.chunks(chunk).enumerate() {
                    if i > 0 && self.pause(pause) {
                        return Err(Interrupted::Stop);
                    }
                    self.write_all(part)?;
                }
                Ok(())
            }
            _ => self.write_all(&wire),
        }
    }

    /// Writes everything to the non-blocking master, waiting for room
    /// (and for a stop request) when the pty buffer is full.
    fn write_all(&self, mut bytes: &[u8]) -> Result<(), Interrupted> {
        while !bytes.is_empty() {
            match nix::unistd::write(&self.master, bytes) {
                Ok(n) => bytes = &bytes[n..],
                Err(Errno::EINTR) => {}
                Err(Errno::EAGAIN) => {
                    match self.wait(PollFlags::POLLOUT, PollTimeout::from(POLL_INTERVAL)) {
                        Ok((_, _, true)) => return Err(Interrupted::Stop),
                        Ok(_) => {}
                        Err(_) => return Err(Interrupted::Failed),
                    }
                }
                Err(_) => return Err(Interrupted::Failed),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::fs::{File, OpenOptions};
    use std::io::{Read, Write};
    use std::time::Instant;

    use super::*;
    use crate::idcard::protocol::{response, sw3};

    const FIND: [u8; 10] = [0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x03, 0x20, 0x01, 0x22];

    fn open(path: &Path) -> File {
        OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .unwrap()
    }

    /// Reads exactly `n` bytes or panics after 5 s.
    fn read_n(port: &mut File, n: usize) -> Vec<u8> {
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut out = Vec::new();
        let mut buf = [0u8; 2048];
        while out.len() < n {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(!left.is_zero(), "timed out with {} of {n} bytes", out.len());
            let mut fds = [PollFd::new(port.as_fd(), PollFlags::POLLIN)];
            let ms = u16::try_from(left.as_millis()).unwrap_or(u16::MAX);
            if poll(&mut fds, PollTimeout::from(ms)).unwrap() == 0 {
                continue;
            }
            let got = port.read(&mut buf[..n - out.len()]).unwrap();
            out.extend_from_slice(&buf[..got]);
        }
        out
    }

    /// Whether any byte arrives within `wait`.
    fn silent_for(port: &File, wait: Duration) -> bool {
        let mut fds = [PollFd::new(port.as_fd(), PollFlags::POLLIN)];
        let ms = u16::try_from(wait.as_millis()).unwrap();
        poll(&mut fds, PollTimeout::from(ms)).unwrap() == 0
    }

    #[test]
    fn answers_on_the_pty_and_follows_the_slot() {
        let slot = CardSlot::new();
        let sim = IdReaderSim::spawn(slot.clone(), None).unwrap();
        let mut port = open(&sim.path());
        port.write_all(&FIND).unwrap();
        assert_eq!(read_n(&mut port, 11), response(sw3::NO_CARD, &[]));
        slot.place(SimCard::demo());
        assert!(sim.slot().is_present());
        port.write_all(&FIND).unwrap();
        assert_eq!(read_n(&mut port, 15), response(sw3::CARD_FOUND, &[0; 4]));
        // Read text + photo arrives whole: 1295 bytes.
        port.write_all(&[0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x03, 0x30, 0x01, 0x32])
            .unwrap();
        let frame = read_n(&mut port, 1295);
        assert_eq!(&frame[14..270], &SimCard::demo().text);
        // A bad checksum is answered with status 10.
        port.write_all(&[0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x03, 0x20, 0x01, 0x00])
            .unwrap();
        assert_eq!(read_n(&mut port, 11), response(sw3::BAD_CHECKSUM, &[]));
    }

    #[test]
    fn faults_at_byte_level() {
        let sim = IdReaderSim::spawn(CardSlot::new(), None).unwrap();
        let mut port = open(&sim.path());
        let good = response(sw3::NO_CARD, &[]);

        sim.fault_next_reply(SimFaults {
            noise_before_reply: vec![1, 2, 3],
            ..SimFaults::default()
        });
        port.write_all(&FIND).unwrap();
        let mut expected = vec![1, 2, 3];
        expected.extend_from_slice(&good);
        assert_eq!(read_n(&mut port, 14), expected);

        sim.fault_next_reply(SimFaults {
            corrupt_checksum: true,
            ..SimFaults::default()
        });
        port.write_all(&FIND).unwrap();
        let corrupt = read_n(&mut port, 11);
        assert_eq!(corrupt[..10], good[..10]);
        assert_eq!(corrupt[10], good[10] ^ 0xFF);

        sim.set_faults(SimFaults {
            split_reply: Some((3, Duration::from_millis(5))),
            ..SimFaults::default()
        });
        port.write_all(&FIND).unwrap();
        assert_eq!(read_n(&mut port, 11), good);

        sim.set_faults(SimFaults {
            no_reply: true,
            ..SimFaults::default()
        });
        port.write_all(&FIND).unwrap();
        assert!(silent_for(&port, Duration::from_millis(200)));
        sim.set_faults(SimFaults::default());
        port.write_all(&FIND).unwrap();
        assert_eq!(read_n(&mut port, 11), good);
    }

    #[test]
    fn symlink_is_made_replaced_and_removed() {
        let dir = tempfile::tempdir().unwrap();
        let link = dir.path().join("idcard");
        std::os::unix::fs::symlink("/nonexistent/stale", &link).unwrap();
        let mut sim = IdReaderSim::spawn(CardSlot::new(), Some(&link)).unwrap();
        assert_eq!(std::fs::read_link(&link).unwrap(), sim.path());
        let mut port = open(&link);
        port.write_all(&FIND).unwrap();
        assert_eq!(read_n(&mut port, 11), response(sw3::NO_CARD, &[]));
        let start = Instant::now();
        sim.stop();
        assert!(start.elapsed() < Duration::from_secs(1));
        assert!(std::fs::symlink_metadata(&link).is_err());
        sim.stop();

        let file = dir.path().join("regular");
        std::fs::write(&file, b"x").unwrap();
        assert!(matches!(
            IdReaderSim::spawn(CardSlot::new(), Some(&file)),
            Err(Error::LinkOccupied(_))
        ));
        assert_eq!(std::fs::read(&file).unwrap(), b"x");
    }

    #[test]
    fn stop_is_prompt_while_a_split_reply_is_pausing() {
        let mut sim = IdReaderSim::spawn(CardSlot::new(), None).unwrap();
        sim.set_faults(SimFaults {
            split_reply: Some((1, Duration::from_secs(10))),
            ..SimFaults::default()
        });
        let mut port = open(&sim.path());
        port.write_all(&FIND).unwrap();
        // The first byte arrives, then the thread pauses for 10 s per byte.
        assert_eq!(read_n(&mut port, 1), vec![0xAA]);
        let start = Instant::now();
        sim.stop();
        assert!(start.elapsed() < Duration::from_secs(1));
    }

    #[test]
    fn drop_stops_and_a_closed_driver_side_is_harmless() {
        let sim = IdReaderSim::spawn(CardSlot::with_card(SimCard::demo()), None).unwrap();
        let path = sim.path().to_path_buf();
        {
            let mut port = open(&path);
            port.write_all(&FIND).unwrap();
            assert_eq!(read_n(&mut port, 15)[9], sw3::CARD_FOUND);
        }
        // Reopen after the first driver closed: still served.
        let mut port = open(&path);
        port.write_all(&FIND).unwrap();
        assert_eq!(read_n(&mut port, 15)[9], sw3::CARD_FOUND);
        let start = Instant::now();
        drop(sim);
        assert!(start.elapsed() < Duration::from_secs(1));
    }

    #[test]
    fn unplug_hangs_up_removes_the_path_and_replug_serves_at_the_link() {
        let dir = tempfile::tempdir().unwrap();
        let link = dir.path().join("idcard");
        let sim = IdReaderSim::spawn(CardSlot::with_card(SimCard::demo()), Some(&link)).unwrap();
        let first = sim.path();
        let mut port = open(&link);
        port.write_all(&FIND).unwrap();
        assert_eq!(read_n(&mut port, 15)[9], sw3::CARD_FOUND);

        let start = Instant::now();
        sim.unplug();
        assert!(start.elapsed() < Duration::from_secs(1));
        assert!(!sim.is_plugged());
        // The port is gone: the link and the pts node disappear, and the
        // open port reports a hang-up.
        assert!(std::fs::symlink_metadata(&link).is_err());
        assert!(!first.exists());
        let mut fds = [PollFd::new(port.as_fd(), PollFlags::POLLIN)];
        poll(&mut fds, PollTimeout::from(1000u16)).unwrap();
        assert!(fds[0].revents().unwrap().contains(PollFlags::POLLHUP));
        assert!(port.write_all(&FIND).is_err());
        sim.unplug();

        sim.replug().unwrap();
        assert!(sim.is_plugged());
        assert_eq!(std::fs::read_link(&link).unwrap(), sim.path());
        let mut port = open(&link);
        port.write_all(&FIND).unwrap();
        assert_eq!(read_n(&mut port, 15)[9], sw3::CARD_FOUND);
        // Replugging a plugged reader changes nothing.
        let path = sim.path();
        sim.replug().unwrap();
        assert_eq!(sim.path(), path);
        drop(sim);
        assert!(std::fs::symlink_metadata(&link).is_err());
    }
}

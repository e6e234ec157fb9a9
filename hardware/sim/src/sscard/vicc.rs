//! Virtual smart cards for vsmartcard's `vpcd`, the reader driver that
//! lets `pcscd` offer a reader whose card is a program on a TCP port.
//!
//! The vpcd protocol (vsmartcard's `vpcd.c`/`vicc`): each message is a
//! 2-byte big-endian length and a payload, in both directions. A 1-byte
//! payload from vpcd is a control: `00` power off, `01` power on, `02`
//! reset, `04` ask for the ATR (answered with the ATR). Anything longer
//! is a command APDU, answered with the response APDU. A connected card
//! is a card in the reader; closing the connection pulls it out.
//!
//! [`VirtualCard`] puts the card of an [`SsCardSlot`] into vpcd's reader
//! while the slot has one (insert → connect, remove → disconnect);
//! [`VirtualPsam`] keeps a PSAM in a second vpcd reader.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::applet::{CardApplet, MasterKeys, PSAM_ATR, PsamApplet};
use super::card::SsCardImage;
use super::reader::SsCardSlot;

/// How long one read waits before the card looks at its slot and stop
/// flag again.
const TICK: Duration = Duration::from_millis(20);
/// How long a card pulled mid-exchange stays out of the reader at least
/// (pcscd polls a vpcd reader's presence every 400 ms).
const OUT_AFTER_PULL: Duration = Duration::from_millis(1200);
/// Longest message vpcd sends (a short or extended APDU).
const MAX_MESSAGE: usize = 65_544;

/// What a virtual card answers with.
trait Chip: Send {
    fn atr(&self) -> Vec<u8>;
    fn reset(&mut self);
    fn process(&mut self, apdu: &[u8]) -> Vec<u8>;
}

struct UserCard {
    card: SsCardImage,
    applet: CardApplet,
}

impl Chip for UserCard {
    fn atr(&self) -> Vec<u8> {
        self.card.atr.clone()
    }
    fn reset(&mut self) {
        self.applet.reset();
    }
    fn process(&mut self, apdu: &[u8]) -> Vec<u8> {
        self.applet.process(&self.card, apdu)
    }
}

struct PsamChip(PsamApplet);

impl Chip for PsamChip {
    fn atr(&self) -> Vec<u8> {
        PSAM_ATR.to_vec()
    }
    fn reset(&mut self) {
        self.0.reset();
    }
    fn process(&mut self, apdu: &[u8]) -> Vec<u8> {
        self.0.process(apdu)
    }
}

/// Why a connection ended.
enum End {
    Stopped,
    /// The card left the slot (or another came).
    Pulled,
    /// vpcd closed the connection or it broke.
    Lost,
}

/// Serves `chip` on `stream` until stop, `gone()` or the link ends.
/// `pull_after` counts APDUs down (`u32::MAX`: off): when it reaches zero
/// the card is pulled (the citizen pulls it mid-read).
fn serve(
    stream: &mut TcpStream,
    chip: &mut dyn Chip,
    stop: &AtomicBool,
    gone: &dyn Fn() -> bool,
    pull_after: &AtomicU32,
    apdus: &AtomicU32,
) -> End {
    let _ = stream.set_read_timeout(Some(TICK));
    let _ = stream.set_nodelay(true);
    let mut buf: Vec<u8> = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if stop.load(Ordering::SeqCst) {
            return End::Stopped;
        }
        if gone() {
            return End::Pulled;
        }
        // Whole messages first.
        while buf.len() >= 2 {
            let len = usize::from(u16::from_be_bytes([buf[0], buf[1]]));
            if buf.len() < 2 + len {
                break;
            }
            let payload: Vec<u8> = buf[2..2 + len].to_vec();
            buf.drain(..2 + len);
            let answer = match payload.as_slice() {
                [0x00] | [0x01] | [0x02] => {
                    chip.reset();
                    None
                }
                [0x04] => Some(chip.atr()),
                [_] => None,
                apdu => {
                    apdus.fetch_add(1, Ordering::SeqCst);
                    Some(chip.process(apdu))
                }
            };
            // Pulled right after answering the n-th APDU: the next one
            // finds no card (vpcd does not take a card back that left in
            // the middle of an exchange).
            let pull = match (payload.len() > 1, pull_after.load(Ordering::SeqCst)) {
                (true, u32::MAX) | (false, _) => false,
                (true, left) => {
                    let left = left.saturating_sub(1);
                    pull_after.store(if left == 0 { u32::MAX } else { left }, Ordering::SeqCst);
                    left == 0
                }
            };
            if let Some(answer) = answer {
                let Ok(len) = u16::try_from(answer.len()) else {
                    return End::Lost;
                };
                let mut out = len.to_be_bytes().to_vec();
                out.extend_from_slice(&answer);
                if stream.write_all(&out).is_err() {
                    return End::Lost;
                }
            }
            if pull {
                return End::Pulled;
            }
        }
        if buf.len() > MAX_MESSAGE {
            return End::Lost;
        }
        match stream.read(&mut chunk) {
            Ok(0) => return End::Lost,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return End::Lost,
        }
    }
}

/// Connects to vpcd at `addr`, retrying every tick until `stop` (vpcd
/// listens only once pcscd has loaded it).
fn connect(addr: SocketAddr, stop: &AtomicBool) -> Option<TcpStream> {
    while !stop.load(Ordering::SeqCst) {
        match TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
            Ok(s) => return Some(s),
            Err(_) => std::thread::park_timeout(TICK),
        }
    }
    None
}

/// A virtual social security card in a vpcd reader: whatever card the
/// [`SsCardSlot`] holds is in the reader.
pub struct VirtualCard {
    stop: Arc<AtomicBool>,
    pull_after: Arc<AtomicU32>,
    apdus: Arc<AtomicU32>,
    connected: Arc<Mutex<bool>>,
    thread: Option<JoinHandle<()>>,
}

impl VirtualCard {
    /// Serves `slot`'s card to vpcd on `127.0.0.1:port`.
    pub fn spawn(port: u16, slot: SsCardSlot) -> std::io::Result<VirtualCard> {
        let stop = Arc::new(AtomicBool::new(false));
        let pull_after = Arc::new(AtomicU32::new(u32::MAX));
        let apdus = Arc::new(AtomicU32::new(0));
        let connected = Arc::new(Mutex::new(false));
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let thread = {
            let (stop, pull_after, apdus, connected) = (
                Arc::clone(&stop),
                Arc::clone(&pull_after),
                Arc::clone(&apdus),
                Arc::clone(&connected),
            );
            std::thread::Builder::new()
                .name(format!("vicc-{port}"))
                .spawn(move || {
                    while !stop.load(Ordering::SeqCst) {
                        let (card, generation) = slot.snapshot();
                        let Some(card) = card else {
                            slot.wait_change(generation, Instant::now() + TICK * 5);
                            continue;
                        };
                        let Some(mut stream) = connect(addr, &stop) else {
                            return;
                        };
                        set(&connected, true);
                        let mut chip = UserCard {
                            card,
                            applet: CardApplet::default(),
                        };
                        let gone = || slot.generation() != generation;
                        let end = serve(&mut stream, &mut chip, &stop, &gone, &pull_after, &apdus);
                        let _ = stream.shutdown(std::net::Shutdown::Both);
                        set(&connected, false);
                        match end {
                            End::Stopped => return,
                            End::Pulled if slot.generation() == generation => {
                                // Pulled by a fault: the slot empties too,
                                // and the card stays out long enough for
                                // pcscd's presence poll to see it gone
                                // (pcscd marks the reader empty at the
                                // failed exchange, but only its poll
                                // notices a card coming back; a card back
                                // before that poll would never be seen).
                                slot.remove();
                                let back = Instant::now() + OUT_AFTER_PULL;
                                while Instant::now() < back && !stop.load(Ordering::SeqCst) {
                                    std::thread::park_timeout(TICK);
                                }
                            }
                            End::Pulled => {}
                            // vpcd went away: wait for the card to change
                            // or vpcd to come back.
                            End::Lost => std::thread::park_timeout(TICK * 5),
                        }
                    }
                })?
        };
        Ok(VirtualCard {
            stop,
            pull_after,
            apdus,
            connected,
            thread: Some(thread),
        })
    }

    /// Pulls the card right after answering `n` more APDUs (at least 1).
    pub fn pull_after_apdus(&self, n: u32) {
        self.pull_after.store(n.max(1), Ordering::SeqCst);
    }

    /// APDUs answered so far.
    pub fn apdus(&self) -> u32 {
        self.apdus.load(Ordering::SeqCst)
    }

    /// Whether the card is connected to vpcd now.
    pub fn is_connected(&self) -> bool {
        *self
            .connected
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

fn set(flag: &Mutex<bool>, value: bool) {
    *flag.lock().unwrap_or_else(PoisonError::into_inner) = value;
}

/// Stops a virtual card's thread and waits for it.
fn stop_thread(stop: &AtomicBool, thread: Option<JoinHandle<()>>) {
    stop.store(true, Ordering::SeqCst);
    if let Some(t) = thread {
        t.thread().unpark();
        let _ = t.join();
    }
}

impl Drop for VirtualCard {
    fn drop(&mut self) {
        stop_thread(&self.stop, self.thread.take());
    }
}

impl std::fmt::Debug for VirtualCard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VirtualCard")
            .field("connected", &self.is_connected())
            .finish()
    }
}

/// A simulated PSAM kept in a vpcd reader.
pub struct VirtualPsam {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl VirtualPsam {
    /// A PSAM holding `master`, in vpcd's reader on `127.0.0.1:port`.
    pub fn spawn(port: u16, master: MasterKeys) -> std::io::Result<VirtualPsam> {
        let stop = Arc::new(AtomicBool::new(false));
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let thread = {
            let stop = Arc::clone(&stop);
            std::thread::Builder::new()
                .name(format!("vpsam-{port}"))
                .spawn(move || {
                    let never = AtomicU32::new(u32::MAX);
                    let count = AtomicU32::new(0);
                    while !stop.load(Ordering::SeqCst) {
                        let Some(mut stream) = connect(addr, &stop) else {
                            return;
                        };
                        let mut chip = PsamChip(PsamApplet::new(master.clone()));
                        let gone = || false;
                        if let End::Stopped =
                            serve(&mut stream, &mut chip, &stop, &gone, &never, &count)
                        {
                            return;
                        }
                        std::thread::park_timeout(TICK * 5);
                    }
                })?
        };
        Ok(VirtualPsam {
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for VirtualPsam {
    fn drop(&mut self) {
        stop_thread(&self.stop, self.thread.take());
    }
}

impl std::fmt::Debug for VirtualPsam {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("VirtualPsam")
    }
}

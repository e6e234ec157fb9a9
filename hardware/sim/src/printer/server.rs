//! The TCP side of the simulated printer (raw port 9100 style), on plain
//! `std::net` threads.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsFd;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};

use super::escpos::{Event, Interpreter, Page, PageEnd};
use super::font::{Fonts, fonts};
use super::render::render_png;
use super::{PrinterFaults, PrinterSimConfig, Receipt};
use crate::Error;

/// How often a connection's read loop looks at the stop
/// flag (the longest one read blocks).
const TICK_MS: u16 = 50;
/// The longest the accept loop sleeps while no client is connected (a
/// safety net: `stop()` wakes it by connecting).
const ACCEPT_TICK_MS: u16 = 1000;
/// A connection silent for this long is closed.
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// A connection silent for this long is closed early when another client
/// is waiting to connect.
const IDLE_WHEN_OTHERS_WAIT: Duration = Duration::from_secs(2);
/// Longest wait for the client to take a status reply.
const WRITE_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Default)]
pub(super) struct State {
    pub receipts: Vec<Receipt>,
    pub faults: PrinterFaults,
    pub next_id: u64,
    pub discarded: usize,
    pub asb: Option<u8>,
    pub connections: u64,
}

pub(super) struct Shared {
    pub state: Mutex<State>,
    pub changed: Condvar,
    pub stop: AtomicBool,
}

impl Shared {
    pub(super) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

pub(super) struct Server {
    pub shared: Arc<Shared>,
    pub local_addr: SocketAddr,
    pub thread: JoinHandle<()>,
}

pub(super) fn start(config: PrinterSimConfig) -> Result<Server, Error> {
    let fonts = fonts()?;
    if let Some(dir) = &config.out_dir {
        std::fs::create_dir_all(dir)?;
    }
    let listener = TcpListener::bind(config.listen)?;
    listener.set_nonblocking(true)?;
    let local_addr = listener.local_addr()?;
    let shared = Arc::new(Shared {
        state: Mutex::new(State {
            next_id: 1,
            ..State::default()
        }),
        changed: Condvar::new(),
        stop: AtomicBool::new(false),
    });
    let worker = Worker {
        shared: Arc::clone(&shared),
        listener,
        fonts,
        out_dir: config.out_dir,
        interpreter: Interpreter::new(config.paper.dots()),
    };
    let thread = std::thread::Builder::new()
        .name(format!("printer-sim {local_addr}"))
        .spawn(move || worker.run())?;
    Ok(Server {
        shared,
        local_addr,
        thread,
    })
}

struct Worker {
    shared: Arc<Shared>,
    listener: TcpListener,
    fonts: &'static Fonts,
    out_dir: Option<PathBuf>,
    interpreter: Interpreter,
}

/// Waits up to one tick for the listener to have a pending connection.
fn listener_ready(listener: &TcpListener, timeout_ms: u16) -> bool {
    let mut fds = [PollFd::new(listener.as_fd(), PollFlags::POLLIN)];
    matches!(poll(&mut fds, PollTimeout::from(timeout_ms)), Ok(n) if n > 0)
}

impl Worker {
    fn stopping(&self) -> bool {
        self.shared.stop.load(Ordering::SeqCst)
    }

    fn run(mut self) {
        while !self.stopping() {
            // Idle: sleep on the listener; `stop()` wakes it by connecting.
            if !listener_ready(&self.listener, ACCEPT_TICK_MS) || self.stopping() {
                continue;
            }
            match self.listener.accept() {
                Ok((stream, _peer)) => {
                    self.shared.lock().connections += 1;
                    self.serve(stream);
                }
                Err(e)
                    if e.kind() == ErrorKind::WouldBlock || e.kind() == ErrorKind::Interrupted => {}
                Err(_) => {
                    // E.g. out of file descriptors: back off for a tick
                    // (woken at once by stop()).
                    let guard = self.shared.lock();
                    let _ = self
                        .shared
                        .changed
                        .wait_timeout(guard, Duration::from_millis(u64::from(TICK_MS)));
                }
            }
        }
    }

    /// Serves one connection until it closes, idles out, the link fault
    /// drops it, or the simulator stops.
    fn serve(&mut self, mut stream: TcpStream) {
        let configured = stream.set_nonblocking(false).is_ok()
            && stream
                .set_read_timeout(Some(Duration::from_millis(u64::from(TICK_MS))))
                .is_ok()
            && stream.set_write_timeout(Some(WRITE_TIMEOUT)).is_ok();
        if !configured {
            return;
        }
        let _ = stream.set_nodelay(true);
        let mut buf = vec![0u8; 16 * 1024];
        let mut received = 0usize;
        let mut last_data = Instant::now();
        let mut events = Vec::new();
        while !self.stopping() {
            match stream.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    last_data = Instant::now();
                    let mut faults = self.shared.lock().faults.clone();
                    let mut take = n;
                    let mut drop_link = false;
                    if let Some(limit) = faults.drop_link_after_bytes {
                        let allowed = limit.saturating_sub(received);
                        if n >= allowed {
                            take = allowed;
                            drop_link = true;
                        }
                    }
                    // The cover opens mid-job: the bytes up to the limit
                    // arrive with it closed, the rest with it open.
                    let mut closed = take;
                    if let Some(limit) = faults.cover_open_after_bytes
                        && !faults.cover_open
                    {
                        closed = limit.saturating_sub(received).min(take);
                    }
                    received += take;
                    self.interpreter.feed(&buf[..closed], &faults, &mut events);
                    if closed < take {
                        faults = open_cover(&self.shared);
                        self.interpreter
                            .feed(&buf[closed..take], &faults, &mut events);
                    }
                    let discarded = self.interpreter.take_discarded();
                    if discarded > 0 {
                        self.shared.lock().discarded += discarded;
                    }
                    let mut replies = Vec::new();
                    for event in events.drain(..) {
                        match event {
                            Event::Reply(b) => replies.push(b),
                            Event::Page(page) => self.finish_receipt(page),
                            Event::AutoStatusBack(n) => self.shared.lock().asb = Some(n),
                            Event::CutterJammed => jam_cutter(&self.shared),
                        }
                    }
                    if drop_link {
                        let _ = stream.shutdown(Shutdown::Both);
                        break;
                    }
                    if !replies.is_empty() && stream.write_all(&replies).is_err() {
                        break;
                    }
                }
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    let idle = last_data.elapsed();
                    if idle > IDLE_TIMEOUT
                        || (idle > IDLE_WHEN_OTHERS_WAIT && listener_ready(&self.listener, 0))
                    {
                        let _ = stream.shutdown(Shutdown::Both);
                        break;
                    }
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
        if let Some(page) = self.interpreter.finish() {
            self.finish_receipt(page);
        }
    }

    /// Renders a finished page, writes its files and publishes the receipt.
    fn finish_receipt(&mut self, page: Page) {
        publish(&self.shared, self.fonts, self.out_dir.as_deref(), page);
    }
}

/// The cutter jammed on a cut: the printer reports a cutter error from
/// now on (until the faults are set again).
fn jam_cutter(shared: &Shared) {
    let mut state = shared.lock();
    state.faults.cutter_jam_at_next_cut = false;
    state.faults.cutter_error = true;
}

/// The cover opened mid-job (`cover_open_after_bytes`): it stays open
/// until the faults are set again. Returns the faults now in force.
fn open_cover(shared: &Shared) -> PrinterFaults {
    let mut state = shared.lock();
    state.faults.cover_open_after_bytes = None;
    state.faults.cover_open = true;
    state.faults.clone()
}

/// Renders a finished page, writes its files and publishes the receipt.
fn publish(shared: &Shared, fonts: &Fonts, out_dir: Option<&std::path::Path>, page: Page) {
    let mut text = page.text();
    let cut = matches!(page.end, PageEnd::Cut(_));
    let png = match render_png(&page, fonts) {
        Ok(png) => png,
        Err(e) => {
            text.push_str(&format!("[WARNING: rendering failed: {e}]\n"));
            Vec::new()
        }
    };
    let id = {
        let mut state = shared.lock();
        let id = state.next_id;
        state.next_id += 1;
        id
    };
    let mut png_path = None;
    let mut text_path = None;
    if let Some(dir) = out_dir {
        let p = dir.join(format!("receipt-{id:04}.png"));
        let t = dir.join(format!("receipt-{id:04}.txt"));
        match std::fs::write(&p, &png) {
            Ok(()) => png_path = Some(p),
            Err(e) => text.push_str(&format!("[WARNING: writing {}: {e}]\n", p.display())),
        }
        match std::fs::write(&t, &text) {
            Ok(()) => text_path = Some(t),
            Err(e) => text.push_str(&format!("[WARNING: writing {}: {e}]\n", t.display())),
        }
    }
    let receipt = Receipt {
        id,
        text,
        png,
        png_path,
        text_path,
        bytes_received: page.bytes,
        cut,
    };
    shared.lock().receipts.push(receipt);
    shared.changed.notify_all();
}

/// The serial side: the printer on a pseudo-terminal (a serial printer
/// at any baud rate). A serial line does not close, so receipts end at
/// cuts; `drop_link_after_bytes` does not apply.
pub(super) struct PtyServer {
    pub shared: Arc<Shared>,
    pub path: PathBuf,
    pub slave: std::os::fd::OwnedFd,
    pub thread: JoinHandle<()>,
}

pub(super) fn start_pty(paper_dots: u32, out_dir: Option<PathBuf>) -> Result<PtyServer, Error> {
    use nix::fcntl::{FcntlArg, OFlag, fcntl};
    use nix::sys::termios::{SetArg, cfmakeraw, tcgetattr, tcsetattr};
    let fonts = fonts()?;
    if let Some(dir) = &out_dir {
        std::fs::create_dir_all(dir)?;
    }
    let pty = nix::pty::openpty(None, None).map_err(Error::Pty)?;
    let mut termios = tcgetattr(&pty.slave).map_err(Error::Pty)?;
    cfmakeraw(&mut termios);
    tcsetattr(&pty.slave, SetArg::TCSANOW, &termios).map_err(Error::Pty)?;
    let path = match nix::unistd::ttyname(&pty.slave) {
        Ok(p) => p,
        Err(e) => return Err(Error::Pty(e)),
    };
    let flags = fcntl(&pty.master, FcntlArg::F_GETFL).map_err(Error::Pty)?;
    let flags = OFlag::from_bits_truncate(flags) | OFlag::O_NONBLOCK;
    fcntl(&pty.master, FcntlArg::F_SETFL(flags)).map_err(Error::Pty)?;
    let shared = Arc::new(Shared {
        state: Mutex::new(State {
            next_id: 1,
            ..State::default()
        }),
        changed: Condvar::new(),
        stop: AtomicBool::new(false),
    });
    let worker_shared = Arc::clone(&shared);
    let master = pty.master;
    let thread = std::thread::Builder::new()
        .name("printer-sim pty".to_string())
        .spawn(move || {
            let mut interpreter = Interpreter::new(paper_dots);
            let mut buf = vec![0u8; 16 * 1024];
            let mut events = Vec::new();
            while !worker_shared.stop.load(Ordering::SeqCst) {
                let mut fds = [PollFd::new(master.as_fd(), PollFlags::POLLIN)];
                match poll(&mut fds, PollTimeout::from(TICK_MS)) {
                    Ok(n) if n > 0 => {}
                    _ => continue,
                }
                let n = match nix::unistd::read(&master, &mut buf) {
                    Ok(n) if n > 0 => n,
                    // EAGAIN, EIO (no slave open): wait for the next tick.
                    _ => {
                        let guard = worker_shared.lock();
                        let _ = worker_shared
                            .changed
                            .wait_timeout(guard, Duration::from_millis(u64::from(TICK_MS)));
                        continue;
                    }
                };
                let faults = worker_shared.lock().faults.clone();
                interpreter.feed(&buf[..n], &faults, &mut events);
                let discarded = interpreter.take_discarded();
                if discarded > 0 {
                    worker_shared.lock().discarded += discarded;
                }
                let mut replies = Vec::new();
                for event in events.drain(..) {
                    match event {
                        Event::Reply(b) => replies.push(b),
                        Event::Page(page) => {
                            publish(&worker_shared, fonts, out_dir.as_deref(), page)
                        }
                        Event::AutoStatusBack(n) => worker_shared.lock().asb = Some(n),
                        Event::CutterJammed => jam_cutter(&worker_shared),
                    }
                }
                let mut sent = 0;
                // Each round writes at least one byte or gives up.
                while sent < replies.len() {
                    match nix::unistd::write(&master, &replies[sent..]) {
                        Ok(n) if n > 0 => sent += n,
                        _ => break,
                    }
                }
            }
        })?;
    Ok(PtyServer {
        shared,
        path,
        slave: pty.slave,
        thread,
    })
}

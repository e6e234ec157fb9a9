//! Clean shutdown on SIGTERM (systemd stop) and SIGINT (Ctrl-C): the
//! screen says 终端维护中 at once, the UI event loop ends, then
//! [`finish`] closes the devices (their loops stop and drop their ports),
//! lets the spooler record its job in flight (a pending job stays in the
//! journal and is offered again at the next start) and stops the sync
//! engine. Every store write is one SQLite transaction, so a commit in
//! progress is either finished or rolled back, never half-written. The
//! whole shutdown is bounded: [`GRACE`] after the signal the process exits
//! 0 whatever is still running (the journal already survives `kill -9`).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender};
use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

use kiosk_ui::UiHandle;

use crate::backend::Backend;
use crate::device_loop::{Stop, StopHandle};
use crate::error::Error;
use crate::spooler::Request;
use crate::supervision::Supervisor;

/// The longest a shutdown takes after the signal (systemd's
/// `TimeoutStopSec` is longer).
pub const GRACE: Duration = Duration::from_millis(4500);

/// The device loops, so that shutdown can stop them and wait for them.
pub struct DeviceLoops {
    stops: Vec<StopHandle>,
    done_tx: Sender<&'static str>,
    done_rx: Receiver<&'static str>,
    names: Vec<&'static str>,
}

impl Default for DeviceLoops {
    fn default() -> DeviceLoops {
        let (done_tx, done_rx) = crossbeam_channel::unbounded();
        DeviceLoops {
            stops: Vec::new(),
            done_tx,
            done_rx,
            names: Vec::new(),
        }
    }
}

impl DeviceLoops {
    /// Starts a device loop `run(stop)` on its own thread named `name`.
    pub fn spawn(
        &mut self,
        name: &'static str,
        run: impl FnOnce(Stop) + Send + 'static,
    ) -> Result<(), Error> {
        let (handle, stop) = Stop::new();
        let done = self.done_tx.clone();
        std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                run(stop);
                let _ = done.send(name);
            })?;
        self.stops.push(handle);
        self.names.push(name);
        Ok(())
    }

    /// Stops every loop and waits for them until `deadline`; returns the
    /// loops that did not end in time.
    pub fn stop_and_wait(self, deadline: Instant) -> Vec<&'static str> {
        for stop in &self.stops {
            stop.stop();
        }
        let mut left = self.names.clone();
        while !left.is_empty() {
            let wait = deadline.saturating_duration_since(Instant::now());
            match self.done_rx.recv_timeout(wait) {
                Ok(name) => left.retain(|n| *n != name),
                Err(_) => break,
            }
        }
        left
    }
}

/// The signal thread's state.
pub struct SignalWatch {
    signalled: Arc<AtomicBool>,
}

impl SignalWatch {
    /// Whether the kiosk is stopping because of a signal.
    pub fn signalled(&self) -> bool {
        self.signalled.load(Ordering::SeqCst)
    }
}

/// Starts the thread that waits for SIGTERM / SIGINT. On the first one it
/// tells systemd (`STOPPING=1`), shows 终端维护中, ends the UI event loop
/// and arms the [`GRACE`] deadline.
pub fn on_signals(ui: UiHandle, supervisor: Supervisor) -> Result<SignalWatch, Error> {
    let mut signals = Signals::new([SIGTERM, SIGINT]).map_err(|e| Error::Signals(e.to_string()))?;
    let signalled = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&signalled);
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            let Some(signal) = signals.forever().next() else {
                return;
            };
            flag.store(true, Ordering::SeqCst);
            tracing::info!(signal, "stopping: maintenance screen, then shutdown");
            println!("kiosk: signal {signal}: shutting down");
            supervisor.stopping();
            arm_deadline();
            if let Err(e) = ui.run(|window| {
                window.set_maintenance(true);
            }) {
                tracing::warn!("maintenance screen not shown: {e}");
            }
            // On the UI thread, where the event loop lives.
            let quit = slint::invoke_from_event_loop(|| {
                if let Err(e) = slint::quit_event_loop() {
                    tracing::error!("UI event loop did not stop: {e}");
                }
            });
            if let Err(e) = quit {
                tracing::error!("UI event loop not reached: {e}");
            }
        })?;
    Ok(SignalWatch { signalled })
}

/// Exits 0 [`GRACE`] after now, whatever is still running.
fn arm_deadline() {
    let spawned = std::thread::Builder::new()
        .name("shutdown-deadline".into())
        .spawn(|| {
            std::thread::sleep(GRACE);
            tracing::warn!("shutdown took longer than {GRACE:?}: exiting now");
            std::process::exit(0);
        });
    if let Err(e) = spawned {
        tracing::error!("shutdown deadline not armed: {e}");
    }
}

/// What [`finish`] stops.
pub struct Parts {
    /// The device loops.
    pub loops: DeviceLoops,
    /// The spooler's inbox and thread (none without a printer).
    pub spooler: Option<(Sender<Request>, JoinHandle<()>)>,
    /// The store, outbox and sync engine.
    pub backend: Arc<Backend>,
    /// Stopping because of a signal (for the log).
    pub signalled: bool,
}

/// Stops everything after the UI event loop has ended, bounded by
/// [`GRACE`] (less what the signal thread used).
pub fn finish(parts: Parts) {
    let deadline = Instant::now() + GRACE - Duration::from_millis(500);
    let stuck = parts.loops.stop_and_wait(deadline);
    if !stuck.is_empty() {
        tracing::warn!(?stuck, "device loops still running at shutdown");
    }
    if let Some((inbox, _thread)) = parts.spooler {
        let (done_tx, done_rx) = crossbeam_channel::bounded(1);
        if inbox.send(Request::Shutdown(done_tx)).is_ok()
            && done_rx
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
                .is_err()
        {
            tracing::warn!("the spooler did not answer at shutdown; its job stays in the journal");
        }
    }
    // After its current cycle; pending records stay in the store.
    parts.backend.stop();
    if parts.signalled {
        tracing::info!("shutdown complete");
        println!("kiosk: stopped");
    }
}

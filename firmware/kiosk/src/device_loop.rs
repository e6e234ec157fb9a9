//! What the three device loops (ID card reader, social security card
//! reader, QR scanner) share: open the device, poll it until its link is
//! lost, reopen it with a bounded backoff, and stop promptly when told.
//!
//! A device only says how to open it, what one polling round does and what
//! the citizen must be told when it disappears; [`run`] does the rest:
//!
//! - a lost link (unplugged reader, port gone) is logged **once**, with the
//!   driver's typed error and no personal data, and recorded in
//!   [`DeviceHealth`] (`GET /v1/health`); the open failures that follow are
//!   the same fault and are not logged again;
//! - the citizen hears of it only through [`Device::lost`], i.e. only when
//!   they were using the device (a card on the reader); a reader that
//!   disappears while nobody is at the kiosk never changes the screen;
//! - reopening waits 0.5 s, 1 s, 2 s, 4 s, then every 5 s
//!   ([`Backoff`]); every wait is a timed wait on the [`Stop`] signal, so
//!   there is no busy loop and stopping is immediate.

use std::collections::BTreeMap;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crossbeam_channel::Sender;
use serde::Serialize;

use kiosk_core::session::Event;
use kiosk_drivers::Error as DriverError;

/// First pause before reopening a device that is gone.
pub const BACKOFF_FIRST: Duration = Duration::from_millis(500);
/// Longest pause between two attempts to reopen it.
pub const BACKOFF_MAX: Duration = Duration::from_secs(5);

/// Pauses between attempts to reopen a device: doubling from
/// [`BACKOFF_FIRST`] up to [`BACKOFF_MAX`], back to the start once the
/// device opens.
#[derive(Debug, Clone)]
pub struct Backoff {
    next: Duration,
}

impl Default for Backoff {
    fn default() -> Backoff {
        Backoff {
            next: BACKOFF_FIRST,
        }
    }
}

impl Backoff {
    /// The pause to wait now; the next one is twice as long (bounded).
    pub fn next_pause(&mut self) -> Duration {
        let pause = self.next;
        self.next = (self.next * 2).min(BACKOFF_MAX);
        pause
    }

    /// The device opened: start from the shortest pause again.
    pub fn reset(&mut self) {
        self.next = BACKOFF_FIRST;
    }
}

/// What one polling round decided.
#[derive(Debug)]
pub enum Step {
    /// Poll again after this pause (zero when the round itself blocked,
    /// like the scanner's port read).
    Again(Duration),
    /// The link is gone (typed error): close the device and reopen it.
    Lost(DriverError),
    /// The session loop is gone: end the thread.
    Quit,
}

/// One device as the loop sees it.
pub trait Device {
    /// The open device.
    type Link;
    /// Its name in logs ("ID card reader").
    const NAME: &'static str;
    /// Its key in [`DeviceHealth`] (the names of `kiosk doctor`).
    const KEY: &'static str;

    /// Opens the device.
    fn open(&mut self) -> Result<Self::Link, DriverError>;

    /// One polling round on the open device; events for the session go to
    /// `events`.
    fn poll(&mut self, link: &mut Self::Link, events: &Sender<Event>) -> Step;

    /// The link was lost with `error`: forgets per-link state and returns
    /// what the session must hear (nothing when nobody was using the
    /// device).
    fn lost(&mut self, error: &DriverError) -> Vec<Event>;
}

/// Tells the device loops to stop: [`StopHandle::stop`], or dropping the
/// handle. A mutex and a condition variable: a waiting loop sleeps in the
/// kernel until its pause is over or it is told to stop. (A channel's
/// timed receive spins and yields a few times before it sleeps; ten times
/// a second per reader that was most of an idle kiosk's CPU.)
#[derive(Debug, Clone)]
pub struct Stop(Arc<(Mutex<bool>, Condvar)>);

/// The side of a [`Stop`] that stops; dropping it stops as well.
#[derive(Debug)]
pub struct StopHandle(Stop);

impl Stop {
    /// A new signal, not stopped, and its handle.
    pub fn new() -> (StopHandle, Stop) {
        let stop = Stop(Arc::new((Mutex::new(false), Condvar::new())));
        (StopHandle(stop.clone()), stop)
    }

    /// Waits `pause` unless stopped (before or during the pause); false
    /// when the loop must end.
    pub fn wait(&self, pause: Duration) -> bool {
        let (flag, signal) = &*self.0;
        let deadline = Instant::now() + pause;
        let mut stopped = flag.lock().unwrap_or_else(PoisonError::into_inner);
        // Bounded: every round either ends or sleeps until the deadline.
        while !*stopped {
            let now = Instant::now();
            if now >= deadline {
                return true;
            }
            stopped = signal
                .wait_timeout(stopped, deadline - now)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        false
    }

    /// Whether the signal was given.
    pub fn is_stopped(&self) -> bool {
        *self.0.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl StopHandle {
    /// Stops every loop waiting on this signal.
    pub fn stop(&self) {
        let (flag, signal) = &*self.0.0;
        *flag.lock().unwrap_or_else(PoisonError::into_inner) = true;
        signal.notify_all();
    }
}

impl Drop for StopHandle {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Runs `device` until `stop` is given (or its handle dropped), or the
/// session loop goes away.
pub fn run<D: Device>(mut device: D, events: Sender<Event>, stop: Stop, health: DeviceHealth) {
    // The watchdog's view of this loop: every step promises to be back
    // within its pause plus the slack; a loop stuck past it stops the
    // systemd watchdog pings (see `supervision`).
    let _beat = health.beating(D::KEY);
    let mut backoff = Backoff::default();
    // A failure to open has been logged since the device last worked.
    let mut reported = false;
    health.set(D::KEY, DeviceState::Starting);
    loop {
        health.expect(D::KEY, Duration::ZERO);
        let mut link = match device.open() {
            Ok(link) => link,
            Err(e) => {
                if !reported {
                    tracing::warn!("{} cannot be opened: {e}", D::NAME);
                    health.set(D::KEY, DeviceState::disconnected(&e));
                    reported = true;
                }
                let pause = backoff.next_pause();
                health.expect(D::KEY, pause);
                if !stop.wait(pause) {
                    return;
                }
                continue;
            }
        };
        tracing::info!("{} opened", D::NAME);
        health.set(D::KEY, DeviceState::Ok);
        backoff.reset();
        loop {
            health.expect(D::KEY, Duration::ZERO);
            match device.poll(&mut link, &events) {
                Step::Again(pause) => {
                    health.expect(D::KEY, pause);
                    if !stop.wait(pause) {
                        return;
                    }
                }
                Step::Quit => return,
                Step::Lost(e) => {
                    tracing::warn!("{} lost: {e}", D::NAME);
                    health.set(D::KEY, DeviceState::disconnected(&e));
                    health.count_loss(D::KEY);
                    // The open failures that follow are this same fault.
                    reported = true;
                    for event in device.lost(&e) {
                        if events.send(event).is_err() {
                            return;
                        }
                    }
                    break;
                }
            }
        }
        drop(link);
        let pause = backoff.next_pause();
        health.expect(D::KEY, pause);
        if !stop.wait(pause) {
            return;
        }
    }
}

/// What the citizen is told when a device disappears: nothing when
/// nobody was using it; else the credential is gone (the session goes
/// home and forgets the person), then the driver's message for the lost
/// link, which says what to do.
pub fn lost_events(in_use: bool, error: &DriverError) -> Vec<Event> {
    if !in_use {
        return Vec::new();
    }
    vec![
        Event::CredentialRemoved,
        Event::CredentialReadFailed {
            message: error.user_message(),
        },
    ]
}

/// The state of one device, as the device loops last saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum DeviceState {
    /// Not opened yet.
    Starting,
    /// Open and answering.
    Ok,
    /// Working, with a warning (e.g. characters printed without a glyph).
    Degraded {
        /// What is wrong (no personal data).
        detail: String,
    },
    /// Gone or not openable; the loop keeps trying.
    Disconnected {
        /// The driver's error (technical English, no personal data).
        detail: String,
    },
}

impl DeviceState {
    fn disconnected(error: &DriverError) -> DeviceState {
        DeviceState::Disconnected {
            detail: error.to_string(),
        }
    }
}

/// One device's entry in the health table.
#[derive(Debug, Clone, Serialize)]
pub struct DeviceEntry {
    /// The current state.
    #[serde(flatten)]
    pub state: DeviceState,
    /// How many times the link was lost since the kiosk started.
    pub losses: u32,
}

/// The devices' health, shared by the device loops (writers) and the
/// automation API (`GET /v1/health`). Keys are those of `kiosk doctor`.
#[derive(Debug, Clone, Default)]
pub struct DeviceHealth {
    table: Arc<Mutex<BTreeMap<&'static str, DeviceEntry>>>,
    board: Option<crate::health::DeviceBoard>,
    beats: crate::supervision::Heartbeats,
}

impl DeviceHealth {
    /// A table that also keeps `board` (what the KS31 health reports
    /// send) up to date.
    pub fn reporting_to(board: crate::health::DeviceBoard) -> DeviceHealth {
        DeviceHealth {
            table: Arc::default(),
            board: Some(board),
            beats: crate::supervision::Heartbeats::default(),
        }
    }

    /// This table with `beats` as its heartbeats (tests: a short slack).
    pub fn with_heartbeats(mut self, beats: crate::supervision::Heartbeats) -> DeviceHealth {
        self.beats = beats;
        self
    }

    /// The device loops' heartbeats (for the watchdog).
    pub fn heartbeats(&self) -> &crate::supervision::Heartbeats {
        &self.beats
    }

    /// `key`'s loop promises its next step within `pause` plus the slack.
    fn expect(&self, key: &'static str, pause: Duration) {
        self.beats.expect(key, pause);
    }

    /// Registers `key`'s loop; it leaves the heartbeats when the guard goes.
    fn beating(&self, key: &'static str) -> crate::supervision::BeatGuard {
        self.beats.register(key)
    }

    /// Records `key`'s state.
    pub fn set(&self, key: &'static str, state: DeviceState) {
        if let Some(board) = &self.board {
            match &state {
                DeviceState::Starting => board.update(key, crate::health::UNKNOWN, None),
                DeviceState::Ok => board.update(key, crate::health::OK, None),
                DeviceState::Degraded { detail } => {
                    board.update(key, crate::health::DEGRADED, Some(detail.clone()))
                }
                DeviceState::Disconnected { detail } => {
                    board.update(key, crate::health::DOWN, Some(detail.clone()))
                }
            }
        }
        self.lock()
            .entry(key)
            .and_modify(|e| e.state = state.clone())
            .or_insert(DeviceEntry { state, losses: 0 });
    }

    fn count_loss(&self, key: &'static str) {
        if let Some(entry) = self.lock().get_mut(key) {
            entry.losses = entry.losses.saturating_add(1);
        }
    }

    /// A copy of the table.
    pub fn snapshot(&self) -> BTreeMap<&'static str, DeviceEntry> {
        self.lock().clone()
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<&'static str, DeviceEntry>> {
        self.table.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stop_wakes_a_waiting_loop_at_once_and_a_dropped_handle_stops_too() {
        let (handle, stop) = Stop::new();
        assert!(stop.wait(Duration::ZERO), "not stopped yet");
        assert!(stop.wait(Duration::from_millis(1)));
        let waiter = {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let start = Instant::now();
                let keep_going = stop.wait(Duration::from_secs(30));
                (keep_going, start.elapsed())
            })
        };
        handle.stop();
        let (keep_going, waited) = waiter.join().unwrap();
        assert!(!keep_going);
        assert!(waited < Duration::from_secs(5), "woke after {waited:?}");
        assert!(stop.is_stopped());

        let (handle, stop) = Stop::new();
        drop(handle);
        assert!(!stop.wait(Duration::from_secs(30)));
    }

    #[test]
    fn backoff_doubles_up_to_the_bound_and_resets() {
        let mut b = Backoff::default();
        let pauses: Vec<u64> = (0..7).map(|_| b.next_pause().as_millis() as u64).collect();
        assert_eq!(pauses, vec![500u64, 1000, 2000, 4000, 5000, 5000, 5000]);
        b.reset();
        assert_eq!(b.next_pause(), BACKOFF_FIRST);
    }

    /// A device that is there while `plugged` is true.
    struct Flaky {
        plugged: Arc<Mutex<bool>>,
        opens: Arc<Mutex<u32>>,
        in_use: bool,
    }

    impl Device for Flaky {
        type Link = ();
        const NAME: &'static str = "test device";
        const KEY: &'static str = "test";

        fn open(&mut self) -> Result<(), DriverError> {
            *self.opens.lock().unwrap() += 1;
            if *self.plugged.lock().unwrap() {
                Ok(())
            } else {
                Err(DriverError::Disconnected {
                    device: kiosk_drivers::error::Device::IdCardReader,
                    source: std::io::ErrorKind::NotFound.into(),
                })
            }
        }

        fn poll(&mut self, _link: &mut (), _events: &Sender<Event>) -> Step {
            if *self.plugged.lock().unwrap() {
                Step::Again(Duration::from_millis(5))
            } else {
                Step::Lost(DriverError::Disconnected {
                    device: kiosk_drivers::error::Device::IdCardReader,
                    source: std::io::ErrorKind::BrokenPipe.into(),
                })
            }
        }

        fn lost(&mut self, error: &DriverError) -> Vec<Event> {
            lost_events(std::mem::take(&mut self.in_use), error)
        }
    }

    fn wait_until(what: &str, mut f: impl FnMut() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !f() {
            assert!(Instant::now() < deadline, "{what}");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    #[test]
    fn a_lost_device_is_reported_once_reopened_with_backoff_and_stops_promptly() {
        let plugged = Arc::new(Mutex::new(true));
        let opens = Arc::new(Mutex::new(0));
        let health = DeviceHealth::default();
        let (events_tx, events_rx) = crossbeam_channel::unbounded();
        let (stop_handle, stop) = Stop::new();
        let device = Flaky {
            plugged: Arc::clone(&plugged),
            opens: Arc::clone(&opens),
            in_use: true,
        };
        let thread = {
            let health = health.clone();
            std::thread::spawn(move || run(device, events_tx, stop, health))
        };
        let state = |h: &DeviceHealth| h.snapshot().get("test").map(|e| e.state.clone());
        wait_until("opened", || state(&health) == Some(DeviceState::Ok));

        *plugged.lock().unwrap() = false;
        wait_until("lost", || {
            matches!(state(&health), Some(DeviceState::Disconnected { .. }))
        });
        // In use: the session hears of it once, removal then the message.
        let first = events_rx.recv_timeout(Duration::from_secs(5)).unwrap();
        assert!(matches!(first, Event::CredentialRemoved));
        let second = events_rx.recv_timeout(Duration::from_secs(5)).unwrap();
        assert!(matches!(
            second,
            Event::CredentialReadFailed { ref message } if message.contains("连接中断")
        ));
        // Reopen attempts are paced by the backoff (0.5 s, then 1 s):
        // within 1.2 s at most two more attempts, not a busy loop.
        let before = *opens.lock().unwrap();
        std::thread::sleep(Duration::from_millis(1200));
        let attempts = *opens.lock().unwrap() - before;
        assert!(attempts <= 2, "{attempts} open attempts in 1.2 s");
        assert!(events_rx.try_recv().is_err(), "reported more than once");

        *plugged.lock().unwrap() = true;
        wait_until("back", || state(&health) == Some(DeviceState::Ok));
        assert_eq!(health.snapshot()["test"].losses, 1);

        let start = Instant::now();
        stop_handle.stop();
        thread.join().unwrap();
        assert!(start.elapsed() < Duration::from_secs(1));
    }

    #[test]
    fn the_table_is_mirrored_on_the_health_reports_board() {
        let board = crate::health::DeviceBoard::new();
        board.slot("id_card_reader", "/dev/ttyUSB0");
        let health = DeviceHealth::reporting_to(board.clone());
        health.set(
            "id_card_reader",
            DeviceState::Disconnected {
                detail: "port gone".into(),
            },
        );
        let row = |b: &crate::health::DeviceBoard| {
            b.snapshot()
                .into_iter()
                .find(|d| d.device == "id_card_reader")
                .map(|d| (d.state, d.detail))
        };
        assert_eq!(row(&board), Some(("down".into(), "port gone".into())));
        health.set("id_card_reader", DeviceState::Ok);
        assert_eq!(row(&board).map(|r| r.0), Some("ok".into()));
    }
}

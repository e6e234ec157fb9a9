//! Supervision by systemd (`Type=notify`, `WatchdogSec=`), through the
//! `sd-notify` crate:
//!
//! - `READY=1` once the home screen is up, with `STATUS=` saying what is
//!   degraded (the start-up report, then devices that went away);
//! - `WATCHDOG=1` every third of the watchdog period, **only while the UI
//!   event loop and every device loop are alive**: the UI must run a
//!   closure posted to it, each device loop must keep the promise it made
//!   before its current step ([`Heartbeats::expect`]: back within its pause
//!   plus [`SLACK`]). A frozen UI or a hung device thread stops the pings,
//!   and systemd restarts the kiosk;
//! - `STOPPING=1` on SIGTERM.
//!
//! Outside systemd (`NOTIFY_SOCKET` unset) nothing is sent.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use sd_notify::NotifyState;

use crate::device_loop::{DeviceHealth, DeviceState};

/// How late a device loop may be on its promise before it counts as hung:
/// longer than any driver deadline (serial reads ≤ 2 s, CCID commands 3 s,
/// printer 5 s).
pub const SLACK: Duration = Duration::from_secs(10);

/// Where notifications go: systemd's socket, or a test's recorder.
pub type Sink = Arc<dyn Fn(&[NotifyState<'_>]) + Send + Sync>;

/// The kiosk's link to its service manager.
#[derive(Clone)]
pub struct Supervisor {
    sink: Option<Sink>,
    watchdog: Option<Duration>,
}

impl Supervisor {
    /// systemd's, when the kiosk runs under it (`NOTIFY_SOCKET`; the
    /// watchdog period from `WATCHDOG_USEC`).
    pub fn from_env() -> Supervisor {
        if std::env::var_os("NOTIFY_SOCKET").is_none() {
            return Supervisor::none();
        }
        let mut usec = 0;
        let watchdog = if sd_notify::watchdog_enabled(false, &mut usec) {
            Some(usec)
        } else if std::env::var_os("WATCHDOG_PID").is_none() {
            // As sd_watchdog_enabled(3): without WATCHDOG_PID the period is
            // for this process (the crate insists on the PID).
            std::env::var("WATCHDOG_USEC")
                .ok()
                .and_then(|v| v.parse().ok())
        } else {
            None
        }
        .map(Duration::from_micros)
        .filter(|d| !d.is_zero());
        let sink: Sink = Arc::new(|states: &[NotifyState<'_>]| {
            if let Err(e) = sd_notify::notify(false, states) {
                tracing::warn!("systemd notification failed: {e}");
            }
        });
        Supervisor {
            sink: Some(sink),
            watchdog,
        }
    }

    /// No service manager.
    pub fn none() -> Supervisor {
        Supervisor {
            sink: None,
            watchdog: None,
        }
    }

    /// A supervisor sending to `sink` with watchdog period `watchdog`.
    pub fn with_sink(sink: Sink, watchdog: Option<Duration>) -> Supervisor {
        Supervisor {
            sink: Some(sink),
            watchdog,
        }
    }

    fn send(&self, states: &[NotifyState<'_>]) {
        if let Some(sink) = &self.sink {
            sink(states);
        }
    }

    /// `READY=1` with the status line.
    pub fn ready(&self, status: &str) {
        self.send(&[NotifyState::Ready, NotifyState::Status(status)]);
    }

    /// `STATUS=`.
    pub fn status(&self, status: &str) {
        self.send(&[NotifyState::Status(status)]);
    }

    /// `STOPPING=1`.
    pub fn stopping(&self) {
        self.send(&[NotifyState::Stopping, NotifyState::Status("stopping")]);
    }

    fn ping(&self) {
        self.send(&[NotifyState::Watchdog]);
    }

    /// The watchdog period systemd asked for.
    pub fn watchdog(&self) -> Option<Duration> {
        self.watchdog
    }
}

/// Each device loop's promise: the instant by which it will be back.
#[derive(Debug, Clone, Default)]
pub struct Heartbeats {
    due: Arc<Mutex<BTreeMap<&'static str, Instant>>>,
    slack: Option<Duration>,
}

/// Removes a loop from the heartbeats when it ends normally.
#[derive(Debug)]
pub struct BeatGuard {
    beats: Heartbeats,
    key: &'static str,
}

impl Drop for BeatGuard {
    fn drop(&mut self) {
        self.beats.lock().remove(self.key);
    }
}

impl Heartbeats {
    /// Heartbeats with another slack than [`SLACK`] (tests).
    pub fn with_slack(slack: Duration) -> Heartbeats {
        Heartbeats {
            due: Arc::default(),
            slack: Some(slack),
        }
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<&'static str, Instant>> {
        self.due.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Registers `key`'s loop until the guard is dropped.
    pub fn register(&self, key: &'static str) -> BeatGuard {
        self.expect(key, Duration::ZERO);
        BeatGuard {
            beats: self.clone(),
            key,
        }
    }

    /// `key`'s loop will be back within `pause` plus the slack.
    pub fn expect(&self, key: &'static str, pause: Duration) {
        let due = Instant::now() + pause + self.slack.unwrap_or(SLACK);
        self.lock().insert(key, due);
    }

    /// The loops past their promise at `now`.
    pub fn stalled(&self, now: Instant) -> Vec<&'static str> {
        self.lock()
            .iter()
            .filter(|(_, due)| **due < now)
            .map(|(key, _)| *key)
            .collect()
    }
}

/// Whether to ping now: the UI answered within `ui_window`, no device loop
/// is stalled. `Err` says who is not alive (for the log).
pub fn verdict(
    ui_last: Instant,
    now: Instant,
    ui_window: Duration,
    stalled: &[&'static str],
) -> Result<(), String> {
    let mut dead = Vec::new();
    if now.saturating_duration_since(ui_last) > ui_window {
        dead.push("UI event loop");
    }
    dead.extend_from_slice(stalled);
    if dead.is_empty() {
        Ok(())
    } else {
        Err(dead.join(", "))
    }
}

/// The `STATUS=` line: the start-up report, plus devices now disconnected.
fn status_line(base: &str, health: &DeviceHealth) -> String {
    let down: Vec<&str> = health
        .snapshot()
        .into_iter()
        .filter(|(_, e)| matches!(e.state, DeviceState::Disconnected { .. }))
        .map(|(key, _)| key)
        .collect();
    if down.is_empty() {
        return base.to_string();
    }
    let devices = format!("disconnected: {}", down.join(", "));
    if base == "ready" {
        format!("degraded: {devices}")
    } else {
        format!("{base}; {devices}")
    }
}

/// Starts the watchdog thread when systemd asked for one.
pub fn spawn_watchdog(
    supervisor: Supervisor,
    health: DeviceHealth,
    base_status: String,
) -> std::io::Result<Option<JoinHandle<()>>> {
    let Some(period) = supervisor.watchdog() else {
        return Ok(None);
    };
    let every = period / 3;
    let ui_last = Arc::new(Mutex::new(Instant::now()));
    let post_beat = {
        let ui_last = Arc::clone(&ui_last);
        move || {
            let ui_last = Arc::clone(&ui_last);
            // Runs when the UI event loop gets to it; a frozen loop never does.
            slint::invoke_from_event_loop(move || {
                *ui_last.lock().unwrap_or_else(PoisonError::into_inner) = Instant::now();
            })
            .is_ok()
        }
    };
    std::thread::Builder::new()
        .name("watchdog".into())
        .spawn(move || {
            watch(
                &supervisor,
                every,
                &post_beat,
                &ui_last,
                health.heartbeats(),
                || status_line(&base_status, &health),
            )
        })
        .map(Some)
}

/// The watchdog loop (ends only with the process).
fn watch(
    supervisor: &Supervisor,
    every: Duration,
    post_beat: &dyn Fn() -> bool,
    ui_last: &Mutex<Instant>,
    beats: &Heartbeats,
    status: impl Fn() -> String,
) {
    let mut last_status = String::new();
    let mut withheld = false;
    loop {
        let now = Instant::now();
        let last = *ui_last.lock().unwrap_or_else(PoisonError::into_inner);
        match verdict(last, now, every * 2, &beats.stalled(now)) {
            Ok(()) => {
                supervisor.ping();
                withheld = false;
            }
            Err(dead) => {
                if !withheld {
                    tracing::error!("watchdog pings stopped: not alive: {dead}");
                    supervisor.status(&format!("hung: {dead}"));
                    withheld = true;
                }
            }
        }
        let line = status();
        if line != last_status && !withheld {
            supervisor.status(&line);
            last_status = line;
        }
        if !post_beat() {
            // The UI event loop is gone: the kiosk is stopping.
            return;
        }
        std::thread::sleep(every);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::device_loop::{self, Device, Step};
    use crossbeam_channel::Sender;
    use kiosk_core::session::Event;
    use kiosk_drivers::Error as DriverError;

    #[test]
    fn the_verdict_needs_the_ui_and_every_device_loop() {
        let now = Instant::now();
        let window = Duration::from_secs(2);
        assert!(verdict(now, now, window, &[]).is_ok());
        let frozen = verdict(now - Duration::from_secs(3), now, window, &[]);
        assert_eq!(frozen, Err("UI event loop".into()));
        let hung = verdict(now, now, window, &["id_card_reader"]);
        assert_eq!(hung, Err("id_card_reader".into()));
    }

    /// A device whose poll blocks until told (a hung driver call).
    struct Stuck {
        release: crossbeam_channel::Receiver<()>,
        polls: Sender<()>,
    }

    impl Device for Stuck {
        type Link = ();
        const NAME: &'static str = "stuck device";
        const KEY: &'static str = "stuck";

        fn open(&mut self) -> Result<(), DriverError> {
            Ok(())
        }

        fn poll(&mut self, _link: &mut (), _events: &Sender<Event>) -> Step {
            let _ = self.polls.send(());
            // The first poll hangs until released; later ones are quick.
            let _ = self.release.recv();
            Step::Again(Duration::from_millis(10))
        }

        fn lost(&mut self, _error: &DriverError) -> Vec<Event> {
            Vec::new()
        }
    }

    fn pings(sent: &Arc<Mutex<Vec<String>>>) -> usize {
        sent.lock()
            .unwrap()
            .iter()
            .filter(|s| *s == "WATCHDOG=1")
            .count()
    }

    #[test]
    fn a_stuck_device_loop_stops_the_watchdog_pings_until_it_moves_again() {
        let sent: Arc<Mutex<Vec<String>>> = Arc::default();
        let sink: Sink = {
            let sent = Arc::clone(&sent);
            Arc::new(move |states: &[NotifyState<'_>]| {
                let mut sent = sent.lock().unwrap();
                sent.extend(states.iter().map(|s| s.to_string()));
            })
        };
        let supervisor = Supervisor::with_sink(sink, Some(Duration::from_millis(150)));
        let beats = Heartbeats::with_slack(Duration::from_millis(200));
        let health = DeviceHealth::default().with_heartbeats(beats.clone());
        let (release_tx, release_rx) = crossbeam_channel::unbounded();
        let (polls_tx, polls_rx) = crossbeam_channel::unbounded();
        let (events_tx, _events_rx) = crossbeam_channel::unbounded();
        let (stop_handle, stop) = device_loop::Stop::new();
        let device_thread = {
            let health = health.clone();
            std::thread::spawn(move || {
                device_loop::run(
                    Stuck {
                        release: release_rx,
                        polls: polls_tx,
                    },
                    events_tx,
                    stop,
                    health,
                )
            })
        };
        // The device loop is inside its first poll, which hangs.
        polls_rx.recv_timeout(Duration::from_secs(10)).unwrap();
        let ui_last = Mutex::new(Instant::now());
        // The UI answers every beat; each round records the pings so far
        // and whether the device loop is past its promise. 40 rounds of at
        // least 10 ms: longer than the 200 ms promise.
        let rounds: Mutex<Vec<(usize, bool)>> = Mutex::default();
        let post_beat = || {
            *ui_last.lock().unwrap() = Instant::now();
            let pinged = pings(&sent);
            let mut rounds = rounds.lock().unwrap();
            rounds.push((pinged, !beats.stalled(Instant::now()).is_empty()));
            rounds.len() < 40
        };
        watch(
            &supervisor,
            Duration::from_millis(10),
            &post_beat,
            &ui_last,
            &beats,
            || "ready".to_string(),
        );
        let rounds = rounds.into_inner().unwrap();
        let first_stalled = rounds.iter().position(|(_, stalled)| *stalled).unwrap();
        let pinged_by_then = rounds[first_stalled].0;
        assert!(
            pinged_by_then >= 1,
            "pinged while the poll kept its promise"
        );
        assert_eq!(
            rounds.last().unwrap().0,
            pinged_by_then,
            "no ping once the device loop was stuck: {rounds:?}"
        );
        assert!(
            sent.lock()
                .unwrap()
                .iter()
                .any(|s| s == "STATUS=hung: stuck")
        );
        assert_eq!(beats.stalled(Instant::now()), vec!["stuck"]);
        // Unstuck: the loop moves on and the promise is kept again.
        release_tx.send(()).unwrap();
        polls_rx.recv_timeout(Duration::from_secs(10)).unwrap();
        assert!(beats.stalled(Instant::now()).is_empty());
        drop(release_tx);
        stop_handle.stop();
        device_thread.join().unwrap();
        // A loop that ended is no longer watched.
        assert!(
            beats
                .stalled(Instant::now() + Duration::from_secs(60))
                .is_empty()
        );
    }

    #[test]
    fn the_watch_loop_pings_while_alive_and_reports_a_status_change() {
        let sent: Arc<Mutex<Vec<String>>> = Arc::default();
        let sink: Sink = {
            let sent = Arc::clone(&sent);
            Arc::new(move |states: &[NotifyState<'_>]| {
                sent.lock()
                    .unwrap()
                    .extend(states.iter().map(|s| s.to_string()));
            })
        };
        let supervisor = Supervisor::with_sink(sink, Some(Duration::from_millis(30)));
        let ui_last = Mutex::new(Instant::now());
        let beats = Heartbeats::default();
        let rounds = std::sync::atomic::AtomicU32::new(0);
        // The UI answers three beats, then its event loop is gone.
        let post_beat = || {
            *ui_last.lock().unwrap() = Instant::now();
            rounds.fetch_add(1, std::sync::atomic::Ordering::SeqCst) < 3
        };
        watch(
            &supervisor,
            Duration::from_millis(10),
            &post_beat,
            &ui_last,
            &beats,
            || "degraded: printer not configured".to_string(),
        );
        let sent = sent.lock().unwrap();
        assert_eq!(sent.iter().filter(|s| *s == "WATCHDOG=1").count(), 4);
        assert_eq!(
            sent.iter()
                .filter(|s| s.starts_with("STATUS="))
                .collect::<Vec<_>>(),
            vec!["STATUS=degraded: printer not configured"]
        );
    }
}

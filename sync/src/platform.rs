//! Randomness, sleeping and monotonic time come in through these traits, so
//! that retries, jitter, nonces and the circuit breaker are deterministic
//! in tests. Production wiring uses [`OsRandom`], [`ThreadSleeper`] and
//! [`SystemTicker`]; tests use [`SeededRandom`], [`ManualTicker`] (which is
//! also a [`Sleeper`] that only advances its own time).

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A source of random bytes (nonces, jitter, the msgid sequence start).
pub trait Random: Send + Sync {
    /// Fills `buf` with random bytes.
    fn fill(&self, buf: &mut [u8]);

    /// A random `u64`.
    fn next_u64(&self) -> u64 {
        let mut b = [0u8; 8];
        self.fill(&mut b);
        u64::from_le_bytes(b)
    }
}

/// The operating system's random source.
#[derive(Debug, Clone, Copy, Default)]
pub struct OsRandom;

impl Random for OsRandom {
    fn fill(&self, buf: &mut [u8]) {
        if getrandom::fill(buf).is_err() {
            // The OS source does not fail on Linux after boot; should it,
            // mix the time into the buffer rather than leave zeros.
            let t = Instant::now().elapsed().as_nanos() as u64
                ^ std::process::id() as u64
                ^ std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_nanos() as u64)
                    .unwrap_or(0);
            SeededRandom::new(t).fill(buf);
        }
    }
}

/// A deterministic generator (splitmix64) for tests. Not for keys.
#[derive(Debug)]
pub struct SeededRandom {
    state: Mutex<u64>,
}

impl SeededRandom {
    /// A generator starting from `seed`.
    pub fn new(seed: u64) -> SeededRandom {
        SeededRandom {
            state: Mutex::new(seed),
        }
    }

    fn step(state: &mut u64) -> u64 {
        *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = *state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

impl Random for SeededRandom {
    fn fill(&self, buf: &mut [u8]) {
        let mut guard = match self.state.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        for chunk in buf.chunks_mut(8) {
            let v = SeededRandom::step(&mut guard).to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }
}

/// Waits between retries.
pub trait Sleeper: Send + Sync {
    /// Waits for `duration`.
    fn sleep(&self, duration: Duration);
}

/// Sleeps the calling thread.
#[derive(Debug, Clone, Copy, Default)]
pub struct ThreadSleeper;

impl Sleeper for ThreadSleeper {
    fn sleep(&self, duration: Duration) {
        std::thread::sleep(duration);
    }
}

/// Monotonic time since an arbitrary origin (for cool-downs and deadlines;
/// never for dates, which come from the [`kiosk_core::clock::Clock`]).
pub trait Ticker: Send + Sync {
    /// Time elapsed since the ticker's origin.
    fn elapsed(&self) -> Duration;
}

/// Monotonic time of the machine.
#[derive(Debug, Clone, Copy)]
pub struct SystemTicker {
    origin: Instant,
}

impl SystemTicker {
    /// A ticker starting now.
    pub fn new() -> SystemTicker {
        SystemTicker {
            origin: Instant::now(),
        }
    }
}

impl Default for SystemTicker {
    fn default() -> Self {
        SystemTicker::new()
    }
}

impl Ticker for SystemTicker {
    fn elapsed(&self) -> Duration {
        self.origin.elapsed()
    }
}

/// Time that only moves when told to: a test ticker, and a [`Sleeper`]
/// whose `sleep` advances the ticker instead of waiting and records the
/// requested durations.
#[derive(Debug, Default)]
pub struct ManualTicker {
    micros: AtomicU64,
    sleeps: Mutex<Vec<Duration>>,
}

impl ManualTicker {
    /// A ticker at zero.
    pub fn new() -> ManualTicker {
        ManualTicker::default()
    }

    /// Moves time forward.
    pub fn advance(&self, by: Duration) {
        self.micros
            .fetch_add(by.as_micros() as u64, Ordering::SeqCst);
    }

    /// Every duration `sleep` was asked for, in order.
    pub fn sleeps(&self) -> Vec<Duration> {
        self.sleeps.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

impl Ticker for ManualTicker {
    fn elapsed(&self) -> Duration {
        Duration::from_micros(self.micros.load(Ordering::SeqCst))
    }
}

impl Sleeper for ManualTicker {
    fn sleep(&self, duration: Duration) {
        if let Ok(mut s) = self.sleeps.lock() {
            s.push(duration);
        }
        self.advance(duration);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_random_is_deterministic() {
        let a = SeededRandom::new(7);
        let b = SeededRandom::new(7);
        assert_eq!(a.next_u64(), b.next_u64());
        let mut x = [0u8; 13];
        a.fill(&mut x);
        assert_ne!(x, [0u8; 13]);
    }

    #[test]
    fn manual_ticker_sleep_advances_time() {
        let t = ManualTicker::new();
        t.sleep(Duration::from_millis(250));
        assert_eq!(t.elapsed(), Duration::from_millis(250));
        assert_eq!(t.sleeps(), vec![Duration::from_millis(250)]);
    }
}

//! A circuit breaker per remote storage: a storage that is down is skipped at once instead of
//! being waited on by every call.
//!
//! Closed (the normal state): every call goes through; a timed-out call, or `failures`
//! consecutive connection failures, open the breaker. Open: calls are skipped at once (reads miss,
//! writes are dropped; both are counted by the caches) for a back-off window. When the window
//! ends, one probe (a cheap command run in the background, never a caller's request) tests the
//! storage: success closes the breaker, failure opens it again for twice the window, up to a cap.
//! Each transition is logged once.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// When a breaker opens and how long it waits before probing.
///
/// ```
/// use advanced_caching::storage::BreakerSettings;
/// use std::time::Duration;
/// let settings = BreakerSettings {
///     failures: 3,
///     backoff: Duration::from_millis(500),
///     max_backoff: Duration::from_secs(30),
/// };
/// assert_eq!(settings, BreakerSettings::default());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerSettings {
    /// Consecutive connection failures that open the breaker (a timeout opens it at once).
    pub failures: u32,
    /// The first back-off window.
    pub backoff: Duration,
    /// The longest back-off window.
    pub max_backoff: Duration,
}

impl Default for BreakerSettings {
    fn default() -> Self {
        Self {
            failures: 3,
            backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
        }
    }
}

/// What a breaker lets a call do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Go ahead.
    Pass,
    /// The storage is down: do not touch it.
    Skip,
    /// The storage is down and its window has ended: skip this call, and start the one probe.
    Probe,
}

/// The state of a breaker, for stats and health checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    /// Calls go through.
    Closed,
    /// Calls are skipped; a probe starts after `retry_in`.
    Open {
        /// Until the window ends.
        retry_in: Duration,
    },
    /// Calls are skipped while one probe runs.
    Probing,
}

impl fmt::Display for BreakerState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Closed => write!(f, "closed"),
            Self::Open { retry_in } => write!(f, "open (probe in {retry_in:?})"),
            Self::Probing => write!(f, "open (probing)"),
        }
    }
}

struct Window {
    until: Instant,
    backoff: Duration,
    probing: bool,
}

/// A circuit breaker (see the module documentation).
///
/// ```
/// use advanced_caching::storage::{Admission, BreakerSettings, CircuitBreaker};
/// use std::time::Duration;
/// let breaker = CircuitBreaker::new("redis", BreakerSettings::default());
/// assert_eq!(breaker.admit(), Admission::Pass);
/// breaker.failed(true); // a timeout
/// assert_eq!(breaker.admit(), Admission::Skip);
/// ```
pub struct CircuitBreaker {
    name: String,
    settings: BreakerSettings,
    open: AtomicBool,
    failures: AtomicU32,
    window: Mutex<Window>,
    opened: AtomicU64,
    skipped: AtomicU64,
}

impl fmt::Debug for CircuitBreaker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CircuitBreaker")
            .field("name", &self.name)
            .field("state", &self.state())
            .finish()
    }
}

impl CircuitBreaker {
    /// A closed breaker of the storage `name` (named in logs).
    pub fn new(name: impl Into<String>, settings: BreakerSettings) -> Self {
        Self {
            name: name.into(),
            settings,
            open: AtomicBool::new(false),
            failures: AtomicU32::new(0),
            window: Mutex::new(Window {
                until: Instant::now(),
                backoff: settings.backoff,
                probing: false,
            }),
            opened: AtomicU64::new(0),
            skipped: AtomicU64::new(0),
        }
    }

    fn window(&self) -> std::sync::MutexGuard<'_, Window> {
        self.window.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether a call may use the storage now. One atomic load while the storage is up.
    #[inline]
    pub fn admit(&self) -> Admission {
        if !self.open.load(Ordering::Acquire) {
            return Admission::Pass;
        }
        let mut window = self.window();
        if !self.open.load(Ordering::Acquire) {
            return Admission::Pass;
        }
        self.skipped.fetch_add(1, Ordering::Relaxed);
        if window.probing || Instant::now() < window.until {
            return Admission::Skip;
        }
        window.probing = true;
        Admission::Probe
    }

    /// True while calls are being skipped and no probe is due (counted as a skip, but never
    /// starting the probe): lets a storage skip work it would do before
    /// [`CircuitBreaker::admit`], such as encoding a payload or a hop to another thread.
    #[inline]
    pub fn skips_now(&self) -> bool {
        if !self.open.load(Ordering::Acquire) {
            return false;
        }
        let window = self.window();
        let skips = window.probing || Instant::now() < window.until;
        if skips {
            self.skipped.fetch_add(1, Ordering::Relaxed);
        }
        skips
    }

    /// A call (or the probe) reached the storage, which answered.
    #[inline]
    pub fn succeeded(&self) {
        if self.failures.load(Ordering::Relaxed) != 0 {
            self.failures.store(0, Ordering::Relaxed);
        }
        if self.open.load(Ordering::Acquire) {
            let mut window = self.window();
            if self.open.swap(false, Ordering::AcqRel) {
                window.probing = false;
                window.backoff = self.settings.backoff;
                tracing::info!(storage = %self.name, "storage is back: breaker closed");
                crate::export::breaker(&self.name, false);
            }
        }
    }

    /// A call could not reach the storage (`timeout`: it waited its whole timeout).
    pub fn failed(&self, timeout: bool) {
        let failures = self.failures.fetch_add(1, Ordering::Relaxed) + 1;
        if !(timeout || failures >= self.settings.failures.max(1)) {
            return;
        }
        let mut window = self.window();
        if self.open.load(Ordering::Acquire) {
            return;
        }
        window.backoff = self.settings.backoff;
        window.until = Instant::now() + window.backoff;
        window.probing = false;
        self.open.store(true, Ordering::Release);
        self.opened.fetch_add(1, Ordering::Relaxed);
        tracing::warn!(
            storage = %self.name,
            backoff = ?window.backoff,
            reason = if timeout { "a command timed out" } else { "consecutive connection failures" },
            "storage is down: breaker open, calls skip it"
        );
        crate::export::breaker(&self.name, true);
    }

    /// The probe failed: the storage stays skipped for a window twice as long (up to the cap).
    pub fn probe_failed(&self) {
        let mut window = self.window();
        window.backoff = window
            .backoff
            .saturating_mul(2)
            .min(self.settings.max_backoff.max(self.settings.backoff));
        window.until = Instant::now() + window.backoff;
        window.probing = false;
        tracing::debug!(storage = %self.name, backoff = ?window.backoff, "probe failed: breaker stays open");
    }

    /// The state now.
    pub fn state(&self) -> BreakerState {
        if !self.open.load(Ordering::Acquire) {
            return BreakerState::Closed;
        }
        let window = self.window();
        if window.probing {
            BreakerState::Probing
        } else {
            BreakerState::Open {
                retry_in: window.until.saturating_duration_since(Instant::now()),
            }
        }
    }

    /// How many times the breaker opened.
    pub fn times_opened(&self) -> u64 {
        self.opened.load(Ordering::Relaxed)
    }

    /// How many calls were skipped while it was open.
    pub fn skipped(&self) -> u64 {
        self.skipped.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quick() -> CircuitBreaker {
        CircuitBreaker::new(
            "test",
            BreakerSettings {
                failures: 3,
                backoff: Duration::from_millis(20),
                max_backoff: Duration::from_millis(50),
            },
        )
    }

    #[test]
    fn opens_after_consecutive_failures_or_one_timeout() {
        let b = quick();
        b.failed(false);
        b.failed(false);
        b.succeeded();
        b.failed(false);
        b.failed(false);
        assert_eq!(b.admit(), Admission::Pass, "a success resets the count");
        b.failed(false);
        assert_eq!(b.admit(), Admission::Skip);
        let t = quick();
        t.failed(true);
        assert_eq!(t.admit(), Admission::Skip);
        assert_eq!(t.times_opened(), 1);
    }

    #[test]
    fn one_probe_after_the_window_then_doubling_windows_up_to_the_cap() {
        let b = quick();
        b.failed(true);
        std::thread::sleep(Duration::from_millis(25));
        assert_eq!(b.admit(), Admission::Probe);
        assert_eq!(b.admit(), Admission::Skip, "one probe at a time");
        assert_eq!(b.state(), BreakerState::Probing);
        b.probe_failed();
        assert!(
            matches!(b.state(), BreakerState::Open { retry_in } if retry_in > Duration::from_millis(20))
        );
        std::thread::sleep(Duration::from_millis(45));
        assert_eq!(b.admit(), Admission::Probe);
        b.probe_failed();
        assert!(
            matches!(b.state(), BreakerState::Open { retry_in } if retry_in <= Duration::from_millis(50))
        );
        std::thread::sleep(Duration::from_millis(55));
        assert_eq!(b.admit(), Admission::Probe);
        b.succeeded();
        assert_eq!(b.state(), BreakerState::Closed);
        assert_eq!(b.admit(), Admission::Pass);
    }
}

//! One clock for every expiry decision, so tests can move time without sleeping.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Once};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch: the unit of every timestamp in a [`crate::storage::CacheEntry`].
///
/// Wall-clock milliseconds (not `Instant`) because remote storages persist the timestamps and other
/// processes read them.
pub type Millis = u64;

/// A source of the current time.
///
/// ```
/// use advanced_caching::clock::{Clock, ManualClock};
/// let clock = ManualClock::new(1_000);
/// clock.advance(std::time::Duration::from_millis(500));
/// assert_eq!(clock.now_millis(), 1_500);
/// ```
pub trait Clock: Send + Sync + fmt::Debug + 'static {
    /// Waits until the clock reads `deadline` or later: what schedules wait on. The system
    /// clock sleeps on the tokio timer; a [`ManualClock`] wakes its sleepers when it is moved.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// use advanced_caching::clock::{Clock, ManualClock};
    /// let clock = ManualClock::new(0);
    /// let waiting = tokio::spawn({
    ///     let clock = clock.clone();
    ///     async move { clock.sleep_until(1_000).await }
    /// });
    /// clock.advance(std::time::Duration::from_secs(1));
    /// waiting.await.unwrap();
    /// # });
    /// ```
    fn sleep_until(&self, deadline: Millis) -> crate::rt::BoxFuture<'static, ()> {
        let left = deadline.saturating_sub(self.now_millis());
        Box::pin(tokio::time::sleep(Duration::from_millis(left)))
    }

    /// The current time in milliseconds since the Unix epoch.
    fn now_millis(&self) -> Millis;

    /// The current time read as cheaply as the clock can, possibly up to a millisecond behind
    /// (a little more when the machine is starved): what a memo hit's freshness check reads.
    /// By default the exact time, so a test clock stays exact.
    ///
    /// ```
    /// use advanced_caching::clock::{Clock, ManualClock, SystemClock};
    /// assert_eq!(ManualClock::new(7).now_millis_coarse(), 7);
    /// let (coarse, exact) = (SystemClock.now_millis_coarse(), SystemClock.now_millis());
    /// assert!(exact.abs_diff(coarse) < 1_000);
    /// ```
    fn now_millis_coarse(&self) -> Millis {
        self.now_millis()
    }
}

/// The real wall clock, read cheaply.
///
/// `SystemTime::now()` costs about 35 ns here, and a cache hit reads the clock twice, so this
/// clock anchors the wall time once per second per thread and adds the CPU's timestamp counter
/// (`quanta`, about 10 ns) in between. It follows wall-clock adjustments within a second.
///
/// ```
/// use advanced_caching::clock::{Clock, SystemClock};
/// assert!(SystemClock.now_millis() > 1_600_000_000_000);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

/// Re-anchor to the wall clock after this much counter time.
const ANCHOR_NANOS: u64 = 1_000_000_000;

static COUNTER: std::sync::LazyLock<quanta::Clock> = std::sync::LazyLock::new(quanta::Clock::new);

thread_local! {
    /// This thread's (wall-clock millis, counter reading) at its last anchoring.
    static ANCHOR: std::cell::Cell<(Millis, u64)> = const { std::cell::Cell::new((0, 0)) };
}

fn wall_millis() -> Millis {
    // A clock set before 1970 reads as the epoch instead of failing.
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(duration_millis)
        .unwrap_or(0)
}

/// The coarse wall clock: stored every millisecond by a ticker thread (started on first use);
/// 0 until it has ticked, or when it could not be started.
static COARSE: AtomicU64 = AtomicU64::new(0);
static TICKER: Once = Once::new();

/// How often the ticker stores the time.
const TICK: Duration = Duration::from_millis(1);

fn coarse_millis() -> Millis {
    let now = COARSE.load(Ordering::Relaxed);
    if now != 0 {
        return now;
    }
    TICKER.call_once(|| {
        COARSE.store(SystemClock.now_millis(), Ordering::Relaxed);
        let started = std::thread::Builder::new()
            .name("advanced-caching-clock".into())
            .spawn(|| {
                loop {
                    std::thread::sleep(TICK);
                    COARSE.store(SystemClock.now_millis(), Ordering::Relaxed);
                }
            });
        if started.is_err() {
            // No thread: every coarse read is an exact one.
            COARSE.store(0, Ordering::Relaxed);
        }
    });
    SystemClock.now_millis()
}

impl Clock for SystemClock {
    fn now_millis_coarse(&self) -> Millis {
        coarse_millis()
    }

    fn now_millis(&self) -> Millis {
        let counter = &*COUNTER;
        let raw = counter.raw();
        ANCHOR.with(|anchor| {
            let (wall, at) = anchor.get();
            let elapsed = if raw >= at && at != 0 {
                counter.delta_as_nanos(at, raw)
            } else {
                ANCHOR_NANOS
            };
            if elapsed >= ANCHOR_NANOS {
                let wall = wall_millis();
                anchor.set((wall, raw));
                wall
            } else {
                wall + elapsed / 1_000_000
            }
        })
    }
}

/// How close to an expiry a coarse reading is confirmed on the exact clock ([`still_before`]).
const CONFIRM_WITHIN: Millis = 1_000;

/// True while `until` is still ahead on `clock`: a hit's freshness check. It reads the coarse
/// clock and, within a second of `until`, confirms on the exact one, so a coarse reading that
/// lags (its ticker thread starved on a busy machine) never serves a value past its expiry;
/// only a lag of over a second (a process just resumed from a pause) could.
pub(crate) fn still_before(clock: &dyn Clock, until: Millis) -> bool {
    let coarse = clock.now_millis_coarse();
    coarse < until && (until - coarse > CONFIRM_WITHIN || clock.now_millis() < until)
}

/// A clock that only moves when told to: the test clock.
///
/// Cloning shares the same time, so a test keeps one handle and gives clones to the storages and
/// caches it builds.
///
/// ```
/// use advanced_caching::clock::{Clock, ManualClock};
/// use std::time::Duration;
/// let clock = ManualClock::new(0);
/// let shared = clock.clone();
/// clock.advance(Duration::from_secs(2));
/// assert_eq!(shared.now_millis(), 2_000);
/// ```
#[derive(Debug, Clone, Default)]
pub struct ManualClock {
    now: Arc<AtomicU64>,
    moved: Arc<tokio::sync::Notify>,
}

impl ManualClock {
    /// A clock that reads `start_millis` until moved.
    pub fn new(start_millis: Millis) -> Self {
        Self {
            now: Arc::new(AtomicU64::new(start_millis)),
            moved: Arc::new(tokio::sync::Notify::new()),
        }
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        self.now.fetch_add(duration_millis(by), Ordering::SeqCst);
        self.moved.notify_waiters();
    }

    /// Sets the clock to `millis`.
    pub fn set(&self, millis: Millis) {
        self.now.store(millis, Ordering::SeqCst);
        self.moved.notify_waiters();
    }
}

impl Clock for ManualClock {
    fn now_millis(&self) -> Millis {
        self.now.load(Ordering::SeqCst)
    }

    fn sleep_until(&self, deadline: Millis) -> crate::rt::BoxFuture<'static, ()> {
        let (now, moved) = (self.now.clone(), self.moved.clone());
        Box::pin(async move {
            loop {
                // Registered before the check, so a move between the two is not missed.
                let notified = moved.notified();
                tokio::pin!(notified);
                notified.as_mut().enable();
                if now.load(Ordering::SeqCst) >= deadline {
                    return;
                }
                notified.await;
            }
        })
    }
}

/// A shared clock handle, as storages and caches hold it.
pub type SharedClock = Arc<dyn Clock>;

/// The default clock: the system clock.
///
/// ```
/// let clock = advanced_caching::clock::system_clock();
/// assert!(clock.now_millis() > 0);
/// ```
pub fn system_clock() -> SharedClock {
    Arc::new(SystemClock)
}

/// A duration in whole milliseconds, saturating instead of overflowing.
pub(crate) fn duration_millis(d: Duration) -> Millis {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_system_clock_follows_the_wall_clock() {
        for _ in 0..1_000 {
            let before = wall_millis();
            let ours = SystemClock.now_millis();
            let after = wall_millis();
            assert!(
                before.saturating_sub(2) <= ours && ours <= after + 2,
                "{before} {ours} {after}"
            );
        }
    }
}

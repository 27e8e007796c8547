//! Per-function counters, readable at any time without locks.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::export::{Event, Export};

/// Live counters of one cached function, loader or reader.
///
/// ```
/// use advanced_caching::stats::Stats;
/// let stats = Stats::new("get_user");
/// stats.record_hit();
/// assert_eq!(stats.snapshot().hits, 1);
/// ```
#[derive(Debug)]
pub struct Stats {
    name: String,
    hits: Striped,
    misses: AtomicU64,
    stale_hits: Striped,
    refreshes: AtomicU64,
    errors: AtomicU64,
    storage_errors: AtomicU64,
    storage_skips: AtomicU64,
    fail_safe_hits: AtomicU64,
    loads: AtomicU64,
    load_nanos: AtomicU64,
    export: Export,
}

/// A copy of a [`Stats`] at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct StatsSnapshot {
    /// The function, loader or reader these counters belong to.
    pub name: String,
    /// Calls answered from a fresh value.
    pub hits: u64,
    /// Calls that found no usable value.
    pub misses: u64,
    /// Calls answered from a stale value (SWR).
    pub stale_hits: u64,
    /// Background refreshes that completed (SWR refreshes, scheduled loader runs, reader pulls).
    pub refreshes: u64,
    /// Loader calls that failed (foreground or background).
    pub errors: u64,
    /// Storage operations that failed (each degraded to a miss or a dropped write).
    pub storage_errors: u64,
    /// Storage reads and writes skipped because the storage was down (its breaker open).
    pub storage_skips: u64,
    /// Calls answered from an expired value because the load failed (`fail_safe`).
    pub fail_safe_hits: u64,
    /// Loader calls made.
    pub loads: u64,
    /// Total time spent in loader calls.
    pub load_time: Duration,
}

impl StatsSnapshot {
    /// Hits (fresh and stale) divided by all calls; 0 when there were none.
    pub fn hit_ratio(&self) -> f64 {
        let served = self.hits + self.stale_hits;
        let total = served + self.misses;
        if total == 0 {
            0.0
        } else {
            served as f64 / total as f64
        }
    }
}

impl fmt::Display for StatsSnapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: hit_ratio={:.1}% hits={} misses={} stale_hits={} refreshes={} loads={} errors={} fail_safe_hits={} storage_errors={} storage_skips={} load_time={:?}",
            self.name,
            self.hit_ratio() * 100.0,
            self.hits,
            self.misses,
            self.stale_hits,
            self.refreshes,
            self.loads,
            self.errors,
            self.fail_safe_hits,
            self.storage_errors,
            self.storage_skips,
            self.load_time
        )
    }
}

impl Stats {
    /// Zeroed counters for `name`.
    pub fn new(name: impl Into<String>) -> Self {
        let name = name.into();
        Self {
            export: Export::new(&name),
            name,
            hits: Striped::default(),
            misses: AtomicU64::new(0),
            stale_hits: Striped::default(),
            refreshes: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            storage_errors: AtomicU64::new(0),
            storage_skips: AtomicU64::new(0),
            fail_safe_hits: AtomicU64::new(0),
            loads: AtomicU64::new(0),
            load_nanos: AtomicU64::new(0),
        }
    }

    /// The name given at construction.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Counts a fresh hit.
    pub fn record_hit(&self) {
        self.hits.add_one();
        self.export.count(Event::Hit);
    }
    /// Counts a miss.
    pub fn record_miss(&self) {
        self.misses.fetch_add(1, Ordering::Relaxed);
        self.export.count(Event::Miss);
    }
    /// Counts a stale hit.
    pub fn record_stale_hit(&self) {
        self.stale_hits.add_one();
        self.export.count(Event::StaleHit);
    }
    /// Counts a call answered from a fail-safe fallback.
    pub fn record_fail_safe_hit(&self) {
        self.fail_safe_hits.fetch_add(1, Ordering::Relaxed);
        self.export.count(Event::FailSafeHit);
    }
    /// Counts a completed background refresh.
    pub fn record_refresh(&self) {
        self.refreshes.fetch_add(1, Ordering::Relaxed);
        self.export.count(Event::Refresh);
    }
    /// Counts a failed loader call.
    pub fn record_error(&self) {
        self.errors.fetch_add(1, Ordering::Relaxed);
        self.export.count(Event::Error);
    }
    /// Counts a failed storage operation.
    pub fn record_storage_error(&self) {
        self.storage_errors.fetch_add(1, Ordering::Relaxed);
        self.export.count(Event::StorageError);
    }
    /// Counts a storage operation skipped because the storage was down.
    pub fn record_storage_skip(&self) {
        self.storage_skips.fetch_add(1, Ordering::Relaxed);
        self.export.count(Event::StorageSkip);
    }
    /// Counts a failed storage operation: a skip when the storage was down, else an error
    /// (logged by the caller).
    pub(crate) fn record_storage_failure(&self, e: &crate::StorageError) -> bool {
        if matches!(e, crate::StorageError::Unavailable { .. }) {
            self.record_storage_skip();
            false
        } else {
            self.record_storage_error();
            true
        }
    }
    /// Counts one loader call that took `took`.
    pub fn record_load(&self, took: Duration) {
        self.loads.fetch_add(1, Ordering::Relaxed);
        let nanos = u64::try_from(took.as_nanos()).unwrap_or(u64::MAX);
        self.load_nanos.fetch_add(nanos, Ordering::Relaxed);
        self.export.load(took);
    }

    /// The counters now.
    pub fn snapshot(&self) -> StatsSnapshot {
        StatsSnapshot {
            name: self.name.clone(),
            hits: self.hits.sum(),
            misses: self.misses.load(Ordering::Relaxed),
            stale_hits: self.stale_hits.sum(),
            refreshes: self.refreshes.load(Ordering::Relaxed),
            errors: self.errors.load(Ordering::Relaxed),
            storage_errors: self.storage_errors.load(Ordering::Relaxed),
            storage_skips: self.storage_skips.load(Ordering::Relaxed),
            fail_safe_hits: self.fail_safe_hits.load(Ordering::Relaxed),
            loads: self.loads.load(Ordering::Relaxed),
            load_time: Duration::from_nanos(self.load_nanos.load(Ordering::Relaxed)),
        }
    }
}

/// How many stripes a hot counter has: threads spread over them, so counting a hit does not make
/// the cores that serve hits fight over one cache line.
const STRIPES: usize = 8;

/// One stripe, alone on its cache line (128 bytes: adjacent-line prefetch pairs lines).
#[derive(Debug, Default)]
#[repr(align(128))]
struct Stripe(AtomicU64);

/// A counter bumped on every hit: each thread adds to its own stripe; reading sums them.
#[derive(Debug, Default)]
struct Striped([Stripe; STRIPES]);

thread_local! {
    /// This thread's stripe, dealt round-robin as threads first count.
    static STRIPE: usize = {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        // The modulo keeps it below STRIPES, which fits a usize.
        (NEXT.fetch_add(1, Ordering::Relaxed) % STRIPES as u64) as usize
    };
}

impl Striped {
    fn add_one(&self) {
        let stripe = STRIPE.try_with(|s| *s).unwrap_or(0);
        self.0[stripe].0.fetch_add(1, Ordering::Relaxed);
    }

    fn sum(&self) -> u64 {
        self.0.iter().map(|s| s.0.load(Ordering::Relaxed)).sum()
    }
}

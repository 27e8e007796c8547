//! What every strategy shares: reading an entry, classifying it, loading through single-flight,
//! and storing with failures degraded (a failed read is a miss, a failed write is reported).

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tracing::Instrument as _;

use crate::clock::{Millis, SharedClock};
use crate::stats::Stats;
use crate::storage::entry::{CacheEntry, Freshness};
use crate::storage::value::{AnyValue, ValueType};
use crate::storage::{AnyEntry, SharedStorage, StorageResult, Ticket};
use crate::strategy::flight::{ErrorCloner, Flights, Outcome};

mod control;
mod direct;
mod early;
mod fail_safe;
mod loading;
mod timeouts;

pub(crate) use self::early::Early;
pub(crate) use self::fail_safe::FailSafe;
use self::fail_safe::Throttles;
pub(crate) use self::timeouts::Timeouts;

pub use self::control::LoadAs;
pub(crate) use self::control::control_methods;

/// A value read from a storage, classified at the time of reading.
pub(crate) enum Lookup<T> {
    Fresh(T),
    /// Fresh, and past the point where it is refreshed ahead of expiry (`refresh_ahead`).
    Due(T),
    Stale(T),
    /// Expired, but within its fail-safe window: a miss whose value is served if the load fails.
    Fallback(T),
    Miss,
}

/// A cached value read without loading ([`crate::strategy::TtlCache::peek`]), with its age and standing.
///
/// ```
/// use advanced_caching::{storage::Freshness, strategy::CacheBuilder};
/// let cache = CacheBuilder::<u32, std::convert::Infallible>::new("f").build_ttl();
/// use advanced_caching::wait;
/// assert!(wait(cache.peek("k")).is_none());
/// wait(cache.insert("k", 7));
/// let peeked = wait(cache.peek("k")).unwrap();
/// assert_eq!((peeked.value, peeked.freshness), (7, Freshness::Fresh));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peeked<T> {
    /// The value.
    pub value: T,
    /// How long ago it was stored.
    pub age: Duration,
    /// Fresh, or stale (being served while it refreshes); expired entries are not returned.
    pub freshness: Freshness,
}

/// Negative caching: which values are negative, and how long they live (zero: not kept).
pub(crate) type Negative<T> = Option<(fn(&T) -> bool, Duration)>;

/// `ttl` shortened by a random fraction in `[0, jitter)`, so that entries written together do not
/// expire together.
fn jittered(ttl: Duration, jitter: f64) -> Duration {
    if jitter <= 0.0 {
        return ttl;
    }
    ttl.mul_f64(1.0 - jitter.min(1.0) * early::unit_draw())
}

/// How long a stored value stays fresh, then stale.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Windows {
    pub(crate) ttl: Option<Duration>,
    pub(crate) stale: Option<Duration>,
}

pub(crate) struct CacheCore<T, E> {
    pub(crate) storage: SharedStorage,
    pub(crate) clock: SharedClock,
    pub(crate) value_type: Box<dyn ValueType>,
    pub(crate) stats: Arc<Stats>,
    pub(crate) cloner: ErrorCloner<E>,
    /// Values for which the function holds (`None`, say) live this long instead; zero: not kept.
    pub(crate) negative: Negative<T>,
    /// Each entry's TTL is shortened by a random part up to this fraction (0 = none).
    pub(crate) jitter: f64,
    /// One load per key across processes (`None`: per process).
    pub(crate) fleet: Option<crate::strategy::fleet::Fleet>,
    /// The TTL a value chooses for itself (`ttl_fn`; `None`: the function's).
    pub(crate) ttl_of: Option<fn(&T) -> Option<Duration>>,
    /// Expired values are kept and served when a load fails (`fail_safe`).
    pub(crate) fail_safe: Option<FailSafe>,
    /// How long callers wait for a load (`soft_timeout`, `hard_timeout`).
    pub(crate) timeouts: Timeouts<E>,
    /// Whether and when a hit refreshes a value ahead of its expiry.
    pub(crate) early: Early,
    /// The keys whose load failed lately and whose fallback is served without a load.
    throttles: Throttles,
    /// The typed front tier (a `Memo<K, T>`), for a function on a memory storage.
    pub(crate) memo: Option<Box<dyn std::any::Any + Send + Sync>>,
    /// The flights of async callers.
    async_flights: Flights<T, E>,
    /// The flights of blocking callers ([`crate::wait`]), kept apart: a blocking waiter parks
    /// its thread, which may be the one an async leader needs (a current-thread runtime).
    blocking_flights: Flights<T, E>,
}

impl<T, E> CacheCore<T, E>
where
    T: Clone + Send + Sync + 'static,
{
    pub(crate) fn new(
        name: &str,
        storage: SharedStorage,
        clock: SharedClock,
        value_type: Box<dyn ValueType>,
        cloner: ErrorCloner<E>,
    ) -> Self {
        Self {
            storage,
            clock,
            value_type,
            stats: Arc::new(Stats::new(name)),
            cloner,
            negative: None,
            jitter: 0.0,
            fleet: None,
            ttl_of: None,
            fail_safe: None,
            timeouts: Timeouts::default(),
            early: Early::Never,
            throttles: Throttles::default(),
            memo: None,
            async_flights: Flights::new(),
            blocking_flights: Flights::new(),
        }
    }

    pub(crate) fn name(&self) -> &str {
        self.stats.name()
    }

    /// The memo, when this function keeps one with keys `K`.
    pub(crate) fn memo<K: std::hash::Hash + Eq + Send + Sync + 'static>(
        &self,
    ) -> Option<&crate::strategy::memo::Memo<K, T>> {
        self.memo.as_ref()?.downcast_ref()
    }

    /// Fills the memo for `args` from what the storage holds under `key` now (a fresh value with
    /// its own expiry), or forgets them when it holds none. The copy is made under the key's
    /// write lock in the storage, so fills and the writes they mirror are ordered: a fill can
    /// never put back a value older than the storage holds (a write that lands after it is
    /// followed by its own fill).
    pub(crate) fn memo_fill<K, Q>(&self, args: &Q, key: &str)
    where
        K: std::hash::Hash + Eq + Send + Sync + 'static,
        Q: crate::strategy::memo::ArgsOf<K>,
    {
        let Some(memo) = self.memo::<K>() else {
            return;
        };
        let copy = || {
            let now = self.clock.now_millis();
            let stored = self
                .storage
                .get_entry_now(key, self.value_type.as_ref(), now);
            let fresh = match stored {
                // Up to its refresh point: from there a hit goes to the storage, which starts
                // the refresh.
                Some(Ok(Some(entry))) if entry.freshness(now) == Freshness::Fresh => entry
                    .value
                    .downcast_ref::<T>()
                    .map(|v| (v.clone(), self.memo_until(&entry))),
                _ => None,
            };
            match fresh {
                Some((value, until)) => memo.fill(args, value, until),
                None => memo.forget(args),
            }
        };
        match self.storage.ordering_front() {
            Some(front) => front.versions().locked(key, copy),
            // A memo is kept only over a storage with a memory front (`keeps_copies_until_expiry`).
            None => memo.forget(args),
        }
    }

    /// The live entry a read returned, at `now`: its value, age and freshness, and when a hit
    /// refreshes it ahead of expiry; `None` on a miss, an expired entry, a value of another
    /// type (logged) or a failed read (counted).
    fn live(
        &self,
        key: &str,
        read: StorageResult<Option<AnyEntry>>,
        now: Millis,
    ) -> Option<(Peeked<T>, Millis)> {
        let entry = match read {
            Ok(entry) => entry?,
            Err(e) => {
                if self.stats.record_storage_failure(&e) {
                    tracing::warn!(cache = self.name(), key = %crate::logkey::shown(key), error = %e, "storage read failed; treating as a miss");
                }
                return None;
            }
        };
        let Some(value) = entry.value.downcast_ref::<T>() else {
            tracing::warn!(
                cache = self.name(),
                key = %crate::logkey::shown(key),
                expected = std::any::type_name::<T>(),
                "stored value has another type; treating as a miss"
            );
            return None;
        };
        let freshness = entry.freshness(now);
        (freshness != Freshness::Expired).then(|| {
            let peeked = Peeked {
                value: value.clone(),
                age: Duration::from_millis(now.saturating_sub(entry.created_at)),
                freshness,
            };
            (peeked, self.refresh_due(&entry))
        })
    }

    /// Classifies what a read returned, at `now`.
    fn classify(&self, key: &str, read: StorageResult<Option<AnyEntry>>, now: Millis) -> Lookup<T> {
        let Some((peeked, due)) = self.live(key, read, now) else {
            return Lookup::Miss;
        };
        match peeked.freshness {
            Freshness::Fresh if now >= due => Lookup::Due(peeked.value),
            Freshness::Fresh => Lookup::Fresh(peeked.value),
            Freshness::Fallback => Lookup::Fallback(peeked.value),
            _ => Lookup::Stale(peeked.value),
        }
    }

    /// An in-memory tier's answer with the one clock reading it was judged by; `None` when the
    /// storage must be asked through I/O.
    fn read_now(&self, key: &str) -> Option<(StorageResult<Option<AnyEntry>>, Millis)> {
        let now = self.clock.now_millis();
        let read = self
            .storage
            .get_entry_now(key, self.value_type.as_ref(), now)?;
        Some((read, now))
    }

    /// Reads `key`: from an in-memory tier at once, else through the storage's I/O.
    async fn read(&self, key: &str) -> (StorageResult<Option<AnyEntry>>, Millis) {
        if let Some(read) = self.read_now(key) {
            return read;
        }
        let read =
            crate::storage::read_here(self.storage.as_ref(), key, self.value_type.as_ref()).await;
        (read, self.clock.now_millis())
    }

    /// An in-memory tier's answer, classified; `None` when the storage must be asked through I/O.
    pub(crate) fn lookup_now(&self, key: &str) -> Option<Lookup<T>> {
        let (read, now) = self.read_now(key)?;
        Some(self.classify(key, read, now))
    }

    /// Counts a hit on `key` and hands its value back.
    pub(crate) fn hit(&self, key: &str, value: T) -> T {
        self.stats.record_hit();
        tracing::trace!(cache = self.name(), key = %crate::logkey::shown(key), "hit");
        value
    }

    /// The flights of this caller's kind (async, or blocking in [`crate::wait`]).
    fn flights(&self) -> &Flights<T, E> {
        match crate::rt::polled_by_wait() {
            true => &self.blocking_flights,
            false => &self.async_flights,
        }
    }

    /// Reads `key` and classifies it.
    pub(crate) async fn lookup(&self, key: &str) -> Lookup<T> {
        let (read, now) = self.read(key).await;
        self.classify(key, read, now)
    }

    pub(crate) fn entry_for(&self, value: &T, windows: Windows) -> AnyEntry {
        CacheEntry::new(
            Arc::new(value.clone()) as AnyValue,
            self.clock.now_millis(),
            windows.ttl.map(|ttl| jittered(ttl, self.jitter)),
            windows.stale,
        )
        .with_fallback(self.fail_safe.map(|f| f.keep))
    }

    fn report_write(&self, key: &str, written: StorageResult<()>) {
        if let Err(e) = written
            && self.stats.record_storage_failure(&e)
        {
            tracing::warn!(cache = self.name(), key = %crate::logkey::shown(key), error = %e, "storage write failed; the value is returned, and is not kept where the write failed");
        }
    }

    /// How `value` is kept: its own windows, or a negative value's (`None` when not kept).
    /// A TTL the value chose (`ttl_fn`) replaces the function's; zero is not kept.
    fn windows_for(&self, value: &T, windows: Windows) -> Option<Windows> {
        match self.negative {
            Some((is_negative, ttl)) if is_negative(value) => (!ttl.is_zero()).then_some(Windows {
                ttl: Some(ttl),
                stale: None,
            }),
            _ => match self.ttl_of.and_then(|ttl_of| ttl_of(value)) {
                Some(ttl) => (!ttl.is_zero()).then_some(Windows {
                    ttl: Some(ttl),
                    ..windows
                }),
                None => Some(windows),
            },
        }
    }

    /// Writes `value` as the entry of `key` (an insert, a reader's copy): the key's version
    /// moves, so no load that began before stores over it, and no caller that arrives later
    /// joins such a load.
    pub(crate) async fn store(&self, key: &str, value: &T, windows: Windows) {
        if let Some(windows) = self.windows_for(value, windows) {
            let entry = self.entry_for(value, windows);
            let written = self
                .storage
                .set_entry(key, entry, self.value_type.as_ref())
                .await;
            self.report_write(key, written);
        }
        self.detach_flights(key);
    }

    /// A flight under way for `key` began before a write: callers that arrive from now on start
    /// their own.
    fn detach_flights(&self, key: &str) {
        self.async_flights.detach(key);
        self.blocking_flights.detach(key);
    }

    /// The entry a load of `key` stores, unless the ticket it read before loading is too old to
    /// be compared (its versions may have expired) or the value is not kept.
    fn loaded_entry(
        &self,
        key: &str,
        value: &T,
        windows: Windows,
        since: Instant,
    ) -> Option<AnyEntry> {
        if since.elapsed() >= crate::storage::VERSION_LIFE / 2 {
            tracing::debug!(cache = self.name(), key = %crate::logkey::shown(key), "load outlived its ticket; value returned, not stored");
            return None;
        }
        let entry = self.entry_for(value, self.windows_for(value, windows)?);
        Some(self.with_load_time(entry, since))
    }

    /// The ticket a load stores by; one that cannot be read is [`Ticket::Unknown`] (the store
    /// is then refused: it could not be checked), counted as the failed write it amounts to.
    fn held_ticket(&self, key: &str, read: StorageResult<Ticket>) -> Ticket {
        read.unwrap_or_else(|e| {
            self.report_write(key, Err(e));
            Ticket::Unknown
        })
    }

    /// Reports a load's store: refused (the key was written or invalidated while it loaded) is
    /// not a failure.
    fn report_store(&self, key: &str, stored: StorageResult<bool>) {
        match stored {
            Ok(true) => {}
            Ok(false) => {
                tracing::debug!(cache = self.name(), key = %crate::logkey::shown(key), "key written while loading; the older value is returned, not stored")
            }
            Err(e) => self.report_write(key, Err(e)),
        }
    }
    /// The span of one loader call: the function and its storage (never the key).
    fn load_span(&self) -> tracing::Span {
        tracing::debug_span!(
            "advanced_caching.load",
            function = self.name(),
            storage = self.storage.kind(),
            fail_safe = tracing::field::Empty
        )
    }

    fn record_outcome<R>(&self, key: &str, started: Instant, result: &Result<R, E>) {
        self.stats.record_load(started.elapsed());
        if result.is_err() {
            self.stats.record_error();
            tracing::debug!(cache = self.name(), key = %crate::logkey::shown(key), "loader failed; error not cached");
        }
    }

    /// Calls the loader and stores its value, only while no write or invalidation of `key` came
    /// after the load began (the ticket read before the call); errors are counted and never
    /// stored. A `fallback` (fail-safe) is served instead if the load fails.
    pub(crate) async fn call_and_store<F, Fut>(
        &self,
        key: &str,
        windows: Windows,
        loader: F,
        fallback: Option<T>,
    ) -> Result<T, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let ticket = self.held_ticket(key, self.storage.ticket(key).await);
        let started = Instant::now();
        let span = self.load_span();
        let outcome = self
            .call(loader().instrument(span.clone()), &fallback)
            .await;
        match &outcome {
            Ok(result) => self.record_outcome(key, started, result),
            // A panic caught for a fallback (uncaught ones unwind past here).
            Err(_) => {
                self.stats.record_load(started.elapsed());
                self.stats.record_error();
            }
        }
        if let Ok(Ok(value)) = &outcome
            && let Some(entry) = self.loaded_entry(key, value, windows, started)
        {
            let stored = self
                .storage
                .set_entry_if(key, entry, self.value_type.as_ref(), &ticket)
                .await;
            self.report_store(key, stored);
        }
        self.rescue(key, outcome, fallback, &span)
    }
}

//! One builder for the cached-function strategies ([`TtlCache`], [`SwrCache`]).

use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::clock::{SharedClock, system_clock};
use crate::error::LoadTimeout;
use crate::storage::value::{ObjectValue, SerdeValue, ValueType};
use crate::storage::{MemoryStorage, SharedStorage};
use crate::strategy::cache_core::{CacheCore, Early, FailSafe, Timeouts, Windows};
use crate::strategy::flight::ErrorCloner;
use crate::strategy::swr::SwrCache;
use crate::strategy::ttl::TtlCache;

/// The default bound of the memory storage a builder creates when given none.
pub const DEFAULT_MAX_ENTRIES: usize = 10_000;

/// Builds a [`TtlCache`] or [`SwrCache`].
///
/// ```
/// use advanced_caching::strategy::CacheBuilder;
/// use std::time::Duration;
/// let cache = CacheBuilder::<u64, std::io::Error>::new("square")
///     .ttl(Some(Duration::from_secs(60)))
///     .build_ttl();
/// assert_eq!(cache.get_or_load_blocking("3", || Ok(9)).unwrap(), 9);
/// ```
pub struct CacheBuilder<T, E> {
    name: String,
    storage: Option<SharedStorage>,
    clock: Option<SharedClock>,
    value_type: Option<Box<dyn ValueType>>,
    cloner: ErrorCloner<E>,
    ttl: Option<Duration>,
    stale_ttl: Duration,
    fail_safe: Option<FailSafe>,
    ttl_of: Option<fn(&T) -> Option<Duration>>,
    lock_ttl: Option<Duration>,
    negative: crate::strategy::cache_core::Negative<T>,
    jitter: f64,
    fleet: Option<crate::strategy::fleet::Fleet>,
    memo: Option<(usize, crate::strategy::memo::MakeMemo)>,
    timeouts: Timeouts<E>,
    early: Early,
    _value: PhantomData<fn() -> T>,
}

impl<T, E> CacheBuilder<T, E>
where
    T: Clone + Send + Sync + 'static,
{
    /// A builder for the function `name`: a fresh memory storage, the system clock, a 60 s TTL.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            storage: None,
            clock: None,
            value_type: None,
            cloner: None,
            ttl: Some(Duration::from_secs(60)),
            stale_ttl: Duration::ZERO,
            fail_safe: None,
            ttl_of: None,
            lock_ttl: None,
            negative: None,
            jitter: 0.0,
            fleet: None,
            memo: None,
            timeouts: Timeouts::default(),
            early: Early::Never,
            _value: PhantomData,
        }
    }

    /// Where values are kept (shared with other functions if you like).
    pub fn storage(mut self, storage: SharedStorage) -> Self {
        self.storage = Some(storage);
        self
    }

    /// The clock that decides freshness (use a [`crate::clock::ManualClock`] in tests).
    pub fn clock(mut self, clock: SharedClock) -> Self {
        self.clock = Some(clock);
        self
    }

    /// How long a value is fresh; `None` = forever.
    pub fn ttl(mut self, ttl: Option<Duration>) -> Self {
        self.ttl = ttl;
        self
    }

    /// Keeps each value `keep` longer than its TTL (and stale window) as a fallback: when a load
    /// fails (an error or a panic) the caller gets that expired value instead, counted as a
    /// fail-safe hit, and for `throttle` afterwards the key's callers get it without a load.
    ///
    /// ```
    /// use advanced_caching::{clock::ManualClock, strategy::CacheBuilder};
    /// use std::{sync::Arc, time::Duration};
    /// let clock = Arc::new(ManualClock::new(0));
    /// let cache = CacheBuilder::<u32, String>::new("rates")
    ///     .clock(clock.clone())
    ///     .ttl(Some(Duration::from_secs(1)))
    ///     .fail_safe(Duration::from_secs(60), Duration::from_secs(5))
    ///     .build_ttl();
    /// assert_eq!(cache.get_or_load_blocking("k", || Ok(7)), Ok(7));
    /// clock.advance(Duration::from_secs(2));
    /// assert_eq!(cache.get_or_load_blocking("k", || Err("down".into())), Ok(7));
    /// assert_eq!(cache.stats().fail_safe_hits, 1);
    /// ```
    pub fn fail_safe(mut self, keep: Duration, throttle: Duration) -> Self {
        self.fail_safe = Some(FailSafe { keep, throttle });
        self
    }

    /// SWR only: a caller with a fallback (a [`CacheBuilder::fail_safe`] value) waits at most
    /// `after` for a load, then gets the fallback (counted as a fail-safe hit); the load goes on
    /// and stores its value when it ends, and the callers that come meanwhile join it.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// use advanced_caching::{clock::ManualClock, strategy::CacheBuilder};
    /// use std::{sync::Arc, time::Duration};
    /// let clock = Arc::new(ManualClock::new(0));
    /// let cache = CacheBuilder::<u32, String>::new("rates")
    ///     .clock(clock.clone())
    ///     .ttl(Some(Duration::from_secs(1)))
    ///     .fail_safe(Duration::from_secs(60), Duration::from_secs(5))
    ///     .soft_timeout(Duration::from_millis(50))
    ///     .build_swr();
    /// assert_eq!(cache.get_or_load("k", || async { Ok(7) }).await, Ok(7));
    /// clock.advance(Duration::from_secs(2));
    /// let slow = || async {
    ///     tokio::time::sleep(Duration::from_secs(1)).await;
    ///     Ok(8)
    /// };
    /// assert_eq!(cache.get_or_load("k", slow).await, Ok(7), "the fallback, after 50 ms");
    /// # });
    /// ```
    pub fn soft_timeout(mut self, after: Duration) -> Self {
        self.timeouts.soft = Some(after);
        self
    }

    /// SWR only: no caller waits longer than `after` for a load: it gets its fallback (a
    /// [`CacheBuilder::fail_safe`] value) or, without one, [`LoadTimeout`] as the loader's
    /// error. The load is not cancelled: it stores its value when it ends, and the callers that
    /// come meanwhile join it.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// use advanced_caching::{LoadTimeout, strategy::CacheBuilder};
    /// use std::time::Duration;
    /// #[derive(Debug, PartialEq)]
    /// struct Error(String);
    /// impl From<LoadTimeout> for Error {
    ///     fn from(t: LoadTimeout) -> Self { Error(t.to_string()) }
    /// }
    /// let cache = CacheBuilder::<u32, Error>::new("quote")
    ///     .hard_timeout(Duration::from_millis(50))
    ///     .build_swr();
    /// let slow = || async {
    ///     tokio::time::sleep(Duration::from_millis(300)).await;
    ///     Ok(1)
    /// };
    /// assert!(cache.get_or_load("k", slow).await.is_err());
    /// tokio::time::sleep(Duration::from_millis(500)).await;
    /// assert_eq!(cache.peek("k").await.map(|p| p.value), Some(1), "the load went on");
    /// # });
    /// ```
    pub fn hard_timeout(mut self, after: Duration) -> Self
    where
        E: From<LoadTimeout>,
    {
        self.timeouts.hard = Some((after, E::from));
        self
    }

    /// SWR only: a hit on a value older than `share` of its TTL (0.8 = 80 %) returns it and
    /// starts one background refresh (single-flight, and one per fleet through the refresh
    /// lock), so a hot key is renewed before it expires and its callers never wait for a load.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// use advanced_caching::{clock::ManualClock, strategy::CacheBuilder};
    /// use std::{convert::Infallible, sync::Arc, time::Duration};
    /// let clock = Arc::new(ManualClock::new(0));
    /// let cache = CacheBuilder::<u32, Infallible>::new("price")
    ///     .clock(clock.clone())
    ///     .ttl(Some(Duration::from_secs(10)))
    ///     .refresh_ahead(0.8)
    ///     .build_swr();
    /// assert_eq!(cache.get_or_load("p", || async { Ok(1) }).await, Ok(1));
    /// clock.advance(Duration::from_secs(9));
    /// // Still fresh: served, and refreshed in the background.
    /// assert_eq!(cache.get_or_load("p", || async { Ok(2) }).await, Ok(1));
    /// tokio::time::sleep(Duration::from_millis(100)).await;
    /// assert_eq!(cache.peek("p").await.map(|p| p.value), Some(2));
    /// # });
    /// ```
    pub fn refresh_ahead(mut self, share: f64) -> Self {
        self.early = match share.is_finite() && share > 0.0 && share < 1.0 {
            true => Early::Ahead(share),
            false => Early::Never,
        };
        self
    }

    /// Probabilistic early refresh (XFetch, SWR only; replaces [`CacheBuilder::refresh_ahead`]):
    /// each hit refreshes in the background with a chance that grows as expiry nears, scaled by
    /// how long the value's load took (kept in the entry) and by `beta` (1 is the usual; above
    /// refreshes earlier), so processes sharing a storage renew a hot key about once per TTL.
    ///
    /// ```
    /// use advanced_caching::strategy::CacheBuilder;
    /// use std::{convert::Infallible, time::Duration};
    /// let cache = CacheBuilder::<u32, Infallible>::new("price")
    ///     .ttl(Some(Duration::from_secs(10)))
    ///     .xfetch(1.0)
    ///     .build_swr();
    /// assert_eq!(advanced_caching::wait(cache.get_or_load("p", || async { Ok(1) })), Ok(1));
    /// ```
    pub fn xfetch(mut self, beta: f64) -> Self {
        self.early = match beta.is_finite() && beta > 0.0 {
            true => Early::XFetch { beta },
            false => Early::Never,
        };
        self
    }

    /// How long a stale value is served while it refreshes (SWR only).
    pub fn stale_ttl(mut self, stale_ttl: Duration) -> Self {
        self.stale_ttl = stale_ttl;
        self
    }

    /// TTL jitter: each entry's TTL is shortened by a random part of up to `fraction` (0.1 =
    /// up to 10 %), so entries written together (a warm-up, a deploy) do not expire together.
    ///
    /// ```
    /// use advanced_caching::strategy::CacheBuilder;
    /// let cache = CacheBuilder::<u32, std::convert::Infallible>::new("f").jitter(0.1).build_ttl();
    /// # drop(cache);
    /// ```
    pub fn jitter(mut self, fraction: f64) -> Self {
        self.jitter = if fraction.is_finite() {
            fraction.clamp(0.0, 1.0)
        } else {
            0.0
        };
        self
    }

    /// One load per key across processes sharing the storage: on a miss, the process that takes
    /// a short lock in the storage (`~load:KEY`, renewed while it loads, released on every
    /// outcome) calls the loader; the others wait for its value, up to `wait`, then load
    /// themselves. Meant for remote storages (Redis); on an in-process storage it changes
    /// nothing but cost.
    ///
    /// ```
    /// use advanced_caching::strategy::CacheBuilder;
    /// use std::time::Duration;
    /// let cache = CacheBuilder::<u32, std::io::Error>::new("f")
    ///     .fleet(Duration::from_secs(5))
    ///     .build_ttl();
    /// assert_eq!(cache.get_or_load_blocking("k", || Ok(1)).unwrap(), 1);
    /// assert_eq!(cache.get_or_load_blocking("k", || Ok(2)).unwrap(), 1);
    /// ```
    pub fn fleet(mut self, wait: Duration) -> Self {
        self.fleet = Some(crate::strategy::fleet::Fleet { wait });
        self
    }

    /// Negative caching: values for which `is_negative` holds (a `None`, an empty list) are kept
    /// for `ttl` instead of the function's TTL, without a stale window; a zero `ttl` does not keep
    /// them at all, so the next call loads again (`cached`'s `option = true`).
    ///
    /// ```
    /// use advanced_caching::strategy::CacheBuilder;
    /// use std::time::Duration;
    /// let cache = CacheBuilder::<Option<u32>, std::convert::Infallible>::new("find")
    ///     .negative_ttl(Option::is_none, Duration::ZERO)
    ///     .build_ttl();
    /// assert_eq!(cache.get_or_load_blocking("k", || Ok(None)), Ok(None));
    /// assert_eq!(cache.get_or_load_blocking("k", || Ok(Some(1))), Ok(Some(1)), "None was not kept");
    /// ```
    pub fn negative_ttl(mut self, is_negative: fn(&T) -> bool, ttl: Duration) -> Self {
        self.negative = Some((is_negative, ttl));
        self
    }

    /// Lets each value choose its TTL (an HTTP `Cache-Control` max-age, short TTLs for empty
    /// results): `ttl_of` answers a TTL for the value, or `None` for the function's own; a zero
    /// TTL keeps the value not at all. Applies to loaded and inserted values alike.
    ///
    /// ```
    /// use advanced_caching::strategy::CacheBuilder;
    /// use std::time::Duration;
    /// let cache = CacheBuilder::<Vec<u32>, std::convert::Infallible>::new("search")
    ///     .ttl(Some(Duration::from_secs(300)))
    ///     .ttl_fn(|hits| hits.is_empty().then_some(Duration::ZERO))
    ///     .build_ttl();
    /// assert_eq!(cache.get_or_load_blocking("q", || Ok(vec![])), Ok(vec![]));
    /// assert_eq!(cache.get_or_load_blocking("q", || Ok(vec![1])), Ok(vec![1]), "the empty result was not kept");
    /// ```
    pub fn ttl_fn(mut self, ttl_of: fn(&T) -> Option<Duration>) -> Self {
        self.ttl_of = Some(ttl_of);
        self
    }

    /// SWR only: how long the storage-wide refresh lock lives when its holder dies before
    /// releasing it (a refresh releases it as soon as it ends, whatever the outcome). Default:
    /// the `ttl`, within [1 s, 30 s].
    pub fn refresh_lock_ttl(mut self, lock_ttl: Duration) -> Self {
        self.lock_ttl = Some(lock_ttl);
        self
    }

    /// Declares how values of `T` become bytes; by default `T` is memory-only
    /// ([`ObjectValue`]). See [`CacheBuilder::serde`] for the common case.
    pub fn value_type(mut self, value_type: Box<dyn ValueType>) -> Self {
        self.value_type = Some(value_type);
        self
    }

    /// Lets byte-level storages (Redis, files, object stores) hold `T` through serde.
    pub fn serde(self) -> Self
    where
        T: Serialize + DeserializeOwned,
    {
        self.value_type(Box::new(SerdeValue::<T>::new()))
    }

    /// How waiters of a failed load get the error: pass `Some(E::clone)`. Without one the
    /// leader gets the error and each waiter calls the loader itself.
    pub fn error_cloner(mut self, cloner: ErrorCloner<E>) -> Self {
        self.cloner = cloner;
        self
    }

    /// Keeps up to `capacity` fresh values in a typed front tier keyed by the call's arguments
    /// (their owned tuple `K`), when the storage keeps its copies in this process until they
    /// expire ([`Storage::keeps_copies_until_expiry`](crate::storage::Storage::keeps_copies_until_expiry))
    /// and only this function writes its keys there. Generated code enables it where the spec
    /// proves that; a hit then builds no key. A capacity of 0 keeps no memo.
    pub fn memo<K>(mut self, capacity: usize) -> Self
    where
        K: std::hash::Hash + Eq + Send + Sync + 'static,
    {
        self.memo = (capacity > 0).then_some((capacity, crate::strategy::memo::make_memo::<K, T>));
        self
    }

    /// Shorthand for `error_cloner(Some(E::clone))`.
    pub fn share_errors(self) -> Self
    where
        E: Clone,
    {
        self.error_cloner(Some(E::clone))
    }

    fn into_core(self) -> (CacheCore<T, E>, Windows, Option<Duration>) {
        let clock = self.clock.unwrap_or_else(system_clock);
        let storage = self.storage.unwrap_or_else(|| {
            Arc::new(MemoryStorage::with_clock(
                DEFAULT_MAX_ENTRIES,
                clock.clone(),
            ))
        });
        let value_type = self
            .value_type
            .unwrap_or_else(|| Box::new(ObjectValue::<T>::new()));
        let windows = Windows {
            ttl: self.ttl,
            stale: Some(self.stale_ttl),
        };
        let mut core = CacheCore::new(&self.name, storage, clock, value_type, self.cloner);
        core.negative = self.negative;
        core.jitter = self.jitter;
        core.fleet = self.fleet;
        core.fail_safe = self.fail_safe;
        core.ttl_of = self.ttl_of;
        core.timeouts = self.timeouts;
        core.early = self.early;
        // A memo mirrors an in-process tier that nothing outside this process changes; over any
        // other storage it is not kept.
        if let Some((capacity, make)) = self.memo
            && core.storage.keeps_copies_until_expiry()
        {
            core.memo = Some(make(capacity, core.clock.clone(), core.stats.clone()));
        }
        (core, windows, self.lock_ttl)
    }

    /// A TTL cache: hit → value, miss → one load for all concurrent callers.
    pub fn build_ttl(mut self) -> TtlCache<T, E> {
        if self.timeouts.soft.is_some()
            || self.timeouts.hard.is_some()
            || self.early != Early::Never
        {
            tracing::warn!(
                cache = %self.name,
                "soft_timeout, hard_timeout, refresh_ahead and xfetch apply to build_swr only; ignored"
            );
        }
        self.timeouts = Timeouts::default();
        self.early = Early::Never;
        let (core, windows, _) = self.into_core();
        TtlCache::from_core(core, windows.ttl)
    }

    /// A stale-while-revalidate cache.
    pub fn build_swr(self) -> SwrCache<T, E>
    where
        E: Send + 'static,
    {
        let (core, windows, lock_ttl) = self.into_core();
        SwrCache::from_core(core, windows, lock_ttl)
    }
}

/// What a `ttl_fn` may answer: a TTL, or `Option<Duration>` (`None`: the function's own TTL).
///
/// ```
/// use advanced_caching::strategy::TtlChoice;
/// use std::time::Duration;
/// assert_eq!(Duration::from_secs(1).into_ttl(), Some(Duration::from_secs(1)));
/// assert_eq!(None::<Duration>.into_ttl(), None);
/// ```
pub trait TtlChoice {
    /// The TTL chosen, `None` for the function's own.
    fn into_ttl(self) -> Option<Duration>;
}

impl TtlChoice for Duration {
    fn into_ttl(self) -> Option<Duration> {
        Some(self)
    }
}

impl TtlChoice for Option<Duration> {
    fn into_ttl(self) -> Option<Duration> {
        self
    }
}

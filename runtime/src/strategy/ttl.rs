//! The TTL strategy: serve fresh values, load misses once.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use crate::stats::{Stats, StatsSnapshot};
use crate::strategy::cache_core::{CacheCore, Lookup, Windows};

/// A cached function with a time-to-live (`strategy = "ttl"`).
///
/// Hit → the value. Miss → exactly one loader call for all concurrent callers of the key; the value
/// is stored for the TTL and returned to all. Loader errors reach every waiter and are not cached.
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use advanced_caching::strategy::CacheBuilder;
/// use std::convert::Infallible;
/// let cache = CacheBuilder::<String, Infallible>::new("greet").build_ttl();
/// let v = cache.get_or_load("ada", || async { Ok("hello ada".to_string()) }).await;
/// assert_eq!(v.unwrap(), "hello ada");
/// assert_eq!(cache.stats().misses, 1);
/// # });
/// ```
pub struct TtlCache<T, E> {
    core: Arc<CacheCore<T, E>>,
    windows: Windows,
}

impl<T, E> TtlCache<T, E>
where
    T: Clone + Send + Sync + 'static,
{
    pub(crate) fn from_core(core: CacheCore<T, E>, ttl: Option<Duration>) -> Self {
        Self {
            core: Arc::new(core),
            windows: Windows { ttl, stale: None },
        }
    }

    /// The value for `key`, loading it with `loader` on a miss.
    pub async fn get_or_load<F, Fut>(&self, key: &str, loader: F) -> Result<T, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let found = self.core.lookup(key).await;
        self.answer(key, found, loader).await
    }

    /// What a lookup of `key` answers: its fresh value, or a load. A TTL entry has no stale
    /// window: a stale read (an entry an SWR function wrote into the same key) is a miss, as is
    /// an expired value kept for fail-safe, which is served only if the load fails.
    async fn answer<F, Fut>(&self, key: &str, found: Lookup<T>, loader: F) -> Result<T, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        match found {
            Lookup::Fresh(v) | Lookup::Due(v) => Ok(self.core.hit(key, v)),
            missed => {
                self.core.stats.record_miss();
                tracing::debug!(cache = self.core.name(), key = %crate::logkey::shown(key), "miss");
                let fallback = self.core.fallback_of(&missed);
                self.core.load(key, self.windows, loader, fallback).await
            }
        }
    }

    /// [`TtlCache::get_or_load`] for a sync loader: a hit in an in-memory tier is answered at
    /// once, anything else waits on the async path ([`crate::wait`]), which does not read the
    /// in-memory tier again; works inside or outside a tokio runtime.
    pub fn get_or_load_blocking<F>(&self, key: &str, loader: F) -> Result<T, E>
    where
        F: FnOnce() -> Result<T, E>,
    {
        let load = move || std::future::ready(loader());
        match self.core.lookup_now(key) {
            Some(Lookup::Fresh(v) | Lookup::Due(v)) => Ok(self.core.hit(key, v)),
            Some(found) => crate::rt::wait(self.answer(key, found, load)),
            None => crate::rt::wait(self.get_or_load(key, load)),
        }
    }

    crate::strategy::cache_core::control_methods!();

    /// The live counters.
    pub fn stats_handle(&self) -> Arc<Stats> {
        self.core.stats.clone()
    }

    /// The counters now.
    pub fn stats(&self) -> StatsSnapshot {
        self.core.stats.snapshot()
    }
}

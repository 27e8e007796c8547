//! Stale-while-revalidate: serve a stale value at once and refresh it in the background.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use dashmap::DashMap;
use tokio::task::JoinHandle;

use crate::error::CacheError;
use crate::stats::{Stats, StatsSnapshot};
use crate::storage::lock_entry;
use crate::storage::value::SerdeValue;
use crate::strategy::cache_core::{CacheCore, Lookup, Windows};

/// The longest default life of a refresh lock (whose holder died before releasing it). The
/// default is the function's `ttl` within [1 s, this]; set it with
/// [`crate::strategy::CacheBuilder::refresh_lock_ttl`].
pub const REFRESH_LOCK_TTL: Duration = Duration::from_secs(30);

/// The default refresh lock life for a function whose values are fresh for `ttl`: a refresh is
/// due once per `ttl`, so a lock orphaned by a dead process blocks at most about one refresh.
pub(crate) fn default_lock_ttl(ttl: Option<Duration>) -> Duration {
    ttl.unwrap_or(REFRESH_LOCK_TTL)
        .clamp(Duration::from_secs(1), REFRESH_LOCK_TTL)
}

/// A cached function with stale-while-revalidate (`strategy = "swr"`).
///
/// Fresh → the value. Stale (past `ttl`, within `ttl + stale_ttl`) → the stale value at once, and
/// exactly one background refresh per key (guarded in the process, and across processes by a lock
/// in the storage that is released when the refresh ends). A failed refresh keeps the stale value.
/// Past the stale window → a blocking load, as for TTL.
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use advanced_caching::{clock::ManualClock, strategy::CacheBuilder};
/// use std::{convert::Infallible, sync::Arc, time::Duration};
/// let clock = ManualClock::new(0);
/// let cache = CacheBuilder::<u32, Infallible>::new("price")
///     .clock(Arc::new(clock.clone()))
///     .ttl(Some(Duration::from_secs(10)))
///     .stale_ttl(Duration::from_secs(10))
///     .build_swr();
/// assert_eq!(cache.get_or_load("p", || async { Ok(1) }).await.unwrap(), 1);
/// clock.advance(Duration::from_secs(15));
/// // Stale: served at once while 2 is loaded in the background.
/// assert_eq!(cache.get_or_load("p", || async { Ok(2) }).await.unwrap(), 1);
/// # });
/// ```
pub struct SwrCache<T, E> {
    core: Arc<CacheCore<T, E>>,
    windows: Windows,
    refreshing: Arc<DashMap<String, ()>>,
    lock_ttl: Duration,
}

/// Clears a key's in-process refresh mark when its refresh ends, however it ends.
struct RefreshMark {
    refreshing: Arc<DashMap<String, ()>>,
    key: String,
}

impl Drop for RefreshMark {
    fn drop(&mut self) {
        self.refreshing.remove(&self.key);
    }
}

/// The storage key of the cross-process refresh lock of `key`.
fn lock_key(key: &str) -> String {
    crate::key::internal_key("lock", key)
}

impl<T, E> SwrCache<T, E>
where
    T: Clone + Send + Sync + 'static,
    E: Send + 'static,
{
    pub(crate) fn from_core(
        core: CacheCore<T, E>,
        windows: Windows,
        lock_ttl: Option<Duration>,
    ) -> Self {
        Self {
            core: Arc::new(core),
            windows,
            refreshing: Arc::new(DashMap::new()),
            lock_ttl: lock_ttl.unwrap_or_else(|| default_lock_ttl(windows.ttl)),
        }
    }

    /// The value for `key`: fresh or stale from the storage, or loaded with `loader` on a miss.
    /// The loader is `'static` because a stale hit hands it to a background task.
    pub async fn get_or_load<F, Fut>(&self, key: &str, loader: F) -> Result<T, E>
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = Result<T, E>> + Send + 'static,
    {
        let found = self.core.lookup(key).await;
        self.answer(key, found, loader).await
    }

    /// What a lookup of `key` answers: its fresh value; its stale value, refreshed in the
    /// background; or a load (with its fail-safe fallback).
    async fn answer<F, Fut>(&self, key: &str, found: Lookup<T>, loader: F) -> Result<T, E>
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = Result<T, E>> + Send + 'static,
    {
        match found {
            Lookup::Fresh(v) => Ok(self.core.hit(key, v)),
            Lookup::Due(v) => {
                let v = self.core.hit(key, v);
                self.refresh_with(key, loader);
                Ok(v)
            }
            Lookup::Stale(v) => {
                self.core.stats.record_stale_hit();
                self.refresh_with(key, loader);
                Ok(v)
            }
            missed @ (Lookup::Fallback(_) | Lookup::Miss) => {
                self.core.stats.record_miss();
                let fallback = self.core.fallback_of(&missed);
                self.core
                    .load_in_time(key, self.windows, loader, fallback)
                    .await
            }
        }
    }

    /// Refreshes `key` with `loader` in the background ([`SwrCache::refresh_in_background`]).
    fn refresh_with<F, Fut>(&self, key: &str, loader: F)
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = Result<T, E>> + Send + 'static,
    {
        let windows = self.windows;
        self.refresh_in_background(key, move |core, key| {
            let refresh = async move { core.call_and_store(&key, windows, loader, None).await };
            match crate::rt::polled_by_wait() {
                // A blocking caller's loader is sync: its refresh gets a blocking thread.
                true => crate::rt::spawn_blocking(move || crate::rt::wait(refresh).is_ok()),
                false => crate::rt::spawn(async move { refresh.await.is_ok() }),
            }
        });
    }

    /// [`SwrCache::get_or_load`] for a sync loader: a fresh hit in an in-memory tier is
    /// answered at once, anything else waits on the async path ([`crate::wait`]), which does
    /// not read the in-memory tier again; a stale hit's refresh runs the loader on a blocking
    /// thread.
    pub fn get_or_load_blocking<F>(&self, key: &str, loader: F) -> Result<T, E>
    where
        F: FnOnce() -> Result<T, E> + Send + 'static,
    {
        let load = move || std::future::ready(loader());
        match self.core.lookup_now(key) {
            Some(Lookup::Fresh(v)) => Ok(self.core.hit(key, v)),
            Some(found) => crate::rt::wait(self.answer(key, found, load)),
            None => crate::rt::wait(self.get_or_load(key, load)),
        }
    }

    /// Refreshes a stale `key` in the background, once per key in this process (the mark) and
    /// across processes (the lock in the storage). `refresh` starts the loader as a task of its
    /// own (on a blocking thread for a sync loader) and yields whether a value was stored, so a
    /// panicking loader ends only that task: the lock is released whatever the outcome.
    fn refresh_in_background<R>(&self, key: &str, refresh: R)
    where
        R: FnOnce(Arc<CacheCore<T, E>>, String) -> Result<JoinHandle<bool>, CacheError>
            + Send
            + 'static,
    {
        let Some(mark) = self.mark_refreshing(key) else {
            return;
        };
        let (core, lock_ttl) = (self.core.clone(), self.lock_ttl);
        let task = async move {
            let key = mark.key.clone();
            let lock = lock_key(&key);
            let token = crate::storage::lock_token();
            if !try_lock(&core, &lock, &token, lock_ttl).await {
                return;
            }
            // Another process may have refreshed the key and released its lock between this
            // process's stale read and now: then there is nothing to do.
            if matches!(core.lookup(&key).await, Lookup::Fresh(_)) {
                unlock(&core, &lock, &token).await;
                return;
            }
            let refreshed = match refresh(core.clone(), key.clone()) {
                Ok(task) => task.await.unwrap_or_else(|_| {
                    tracing::warn!(
                        cache = core.name(),
                        key = %crate::logkey::shown(&key),
                        "refresh panicked; stale value kept"
                    );
                    false
                }),
                Err(_) => false,
            };
            if refreshed {
                core.stats.record_refresh();
            }
            unlock(&core, &lock, &token).await;
            drop(mark);
        };
        let span = tracing::debug_span!(
            "advanced_caching.refresh",
            function = self.core.name(),
            strategy = "swr"
        );
        if let Err(e) = crate::rt::spawn(tracing::Instrument::instrument(task, span)) {
            tracing::warn!(cache = self.core.name(), key = %crate::logkey::shown(key), error = %e, "cannot start refresh");
        }
    }

    crate::strategy::cache_core::control_methods!(+ Send + 'static);

    /// Marks `key` as refreshing in this process; `None` when a refresh is already under way.
    fn mark_refreshing(&self, key: &str) -> Option<RefreshMark> {
        if self.refreshing.contains_key(key) {
            return None;
        }
        if self.refreshing.insert(key.to_owned(), ()).is_some() {
            return None;
        }
        Some(RefreshMark {
            refreshing: self.refreshing.clone(),
            key: key.to_owned(),
        })
    }

    /// The live counters.
    pub fn stats_handle(&self) -> Arc<Stats> {
        self.core.stats.clone()
    }

    /// The counters now.
    pub fn stats(&self) -> StatsSnapshot {
        self.core.stats.snapshot()
    }
}

/// Takes the storage-wide refresh lock for `token`. A storage that cannot answer does not stop
/// the refresh: the in-process mark already keeps it to one per key here.
async fn try_lock<T: Clone + Send + Sync + 'static, E>(
    core: &CacheCore<T, E>,
    lock: &str,
    token: &str,
    lock_ttl: Duration,
) -> bool {
    let entry = lock_entry(token, core.clock.now_millis(), lock_ttl);
    let taken = core
        .storage
        .set_if_not_exists(lock, entry, &SerdeValue::<String>::new())
        .await;
    match taken {
        Ok(won) => won,
        Err(e) => {
            if core.stats.record_storage_failure(&e) {
                tracing::warn!(cache = core.name(), lock, error = %e, "refresh lock unavailable; refreshing anyway");
            }
            true
        }
    }
}

/// Releases the lock if it is still `token`'s (compare-and-delete): a lock that expired and was
/// taken by another refresher is left alone.
async fn unlock<T: Clone + Send + Sync + 'static, E>(
    core: &CacheCore<T, E>,
    lock: &str,
    token: &str,
) {
    if let Err(e) = core.storage.release_lock(lock, token).await {
        core.stats.record_storage_failure(&e);
    }
}

//! Stale-while-revalidate: serve a stale value at once and refresh it in the background.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use dashmap::DashMap;

use crate::core::{CacheCore, Lookup, Windows};
use crate::entry::CacheEntry;
use crate::stats::{Stats, StatsSnapshot};
use crate::value::{AnyValue, SerdeValue};

/// How long a refresh lock lives if its holder dies before releasing it.
pub const REFRESH_LOCK_TTL: Duration = Duration::from_secs(30);

/// A cached function with stale-while-revalidate (`strategy = "swr"`).
///
/// Fresh → the value. Stale (past `ttl`, within `ttl + stale_ttl`) → the stale value at once, and
/// exactly one background refresh per key (guarded in the process, and across processes by a lock
/// in the storage that is released when the refresh ends). A failed refresh keeps the stale value.
/// Past the stale window → a blocking load, as for TTL.
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use advanced_caching::{CacheBuilder, ManualClock};
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
    format!("{key}:__refresh_lock")
}

impl<T, E> SwrCache<T, E>
where
    T: Clone + Send + Sync + 'static,
    E: Send + 'static,
{
    pub(crate) fn from_core(core: CacheCore<T, E>, windows: Windows) -> Self {
        Self {
            core: Arc::new(core),
            windows,
            refreshing: Arc::new(DashMap::new()),
            lock_ttl: REFRESH_LOCK_TTL,
        }
    }

    /// The value for `key`: fresh or stale from the storage, or loaded with `loader` on a miss.
    /// The loader is `'static` because a stale hit hands it to a background task.
    pub async fn get_or_load<F, Fut>(&self, key: &str, loader: F) -> Result<T, E>
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = Result<T, E>> + Send + 'static,
    {
        match self.core.lookup(key).await {
            Lookup::Fresh(v) => {
                self.core.stats.record_hit();
                Ok(v)
            }
            Lookup::Stale(v) => {
                self.core.stats.record_stale_hit();
                if let Some(mark) = self.mark_refreshing(key) {
                    let core = self.core.clone();
                    let (windows, lock_ttl) = (self.windows, self.lock_ttl);
                    let task = async move {
                        let key = &mark.key;
                        let lock = lock_key(key);
                        if !try_lock(&core, &lock, lock_ttl).await {
                            return;
                        }
                        if core.call_and_store(key, windows, loader).await.is_ok() {
                            core.stats.record_refresh();
                        }
                        unlock(&core, &lock).await;
                    };
                    if let Err(e) = crate::rt::spawn(task) {
                        tracing::warn!(cache = self.core.name(), key, error = %e, "cannot start refresh");
                    }
                }
                Ok(v)
            }
            Lookup::Miss => {
                self.core.stats.record_miss();
                self.core.load(key, self.windows, loader).await
            }
        }
    }

    /// Blocking [`SwrCache::get_or_load`] for sync loaders; the refresh runs on a blocking thread.
    pub fn get_or_load_blocking<F>(&self, key: &str, loader: F) -> Result<T, E>
    where
        F: FnOnce() -> Result<T, E> + Send + 'static,
    {
        match self.core.lookup_blocking(key) {
            Lookup::Fresh(v) => {
                self.core.stats.record_hit();
                Ok(v)
            }
            Lookup::Stale(v) => {
                self.core.stats.record_stale_hit();
                if let Some(mark) = self.mark_refreshing(key) {
                    let core = self.core.clone();
                    let (windows, lock_ttl) = (self.windows, self.lock_ttl);
                    let task = move || {
                        let key = &mark.key;
                        let lock = lock_key(key);
                        if !try_lock_blocking(&core, &lock, lock_ttl) {
                            return;
                        }
                        if core.call_and_store_blocking(key, windows, loader).is_ok() {
                            core.stats.record_refresh();
                        }
                        unlock_blocking(&core, &lock);
                    };
                    if let Err(e) = crate::rt::spawn_blocking(task) {
                        tracing::warn!(cache = self.core.name(), key, error = %e, "cannot start refresh");
                    }
                }
                Ok(v)
            }
            Lookup::Miss => {
                self.core.stats.record_miss();
                self.core.load_blocking(key, self.windows, loader)
            }
        }
    }

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

fn lock_entry<T: Clone + Send + Sync + 'static, E>(
    core: &CacheCore<T, E>,
    lock_ttl: Duration,
) -> CacheEntry<AnyValue> {
    let holder = Arc::new(u64::from(std::process::id())) as AnyValue;
    CacheEntry::new(holder, core.clock.now_millis(), Some(lock_ttl), None)
}

/// Takes the storage-wide refresh lock. A storage that cannot answer does not stop the refresh:
/// the in-process mark already keeps it to one per key here.
async fn try_lock<T: Clone + Send + Sync + 'static, E>(
    core: &CacheCore<T, E>,
    lock: &str,
    lock_ttl: Duration,
) -> bool {
    let entry = lock_entry(core, lock_ttl);
    match core
        .storage
        .set_if_not_exists(lock, entry, &SerdeValue::<u64>::new())
        .await
    {
        Ok(won) => won,
        Err(e) => {
            core.stats.record_storage_error();
            tracing::warn!(cache = core.name(), lock, error = %e, "refresh lock unavailable; refreshing anyway");
            true
        }
    }
}

fn try_lock_blocking<T: Clone + Send + Sync + 'static, E>(
    core: &CacheCore<T, E>,
    lock: &str,
    lock_ttl: Duration,
) -> bool {
    let entry = lock_entry(core, lock_ttl);
    match core
        .storage
        .set_if_not_exists_blocking(lock, entry, &SerdeValue::<u64>::new())
    {
        Ok(won) => won,
        Err(e) => {
            core.stats.record_storage_error();
            tracing::warn!(cache = core.name(), lock, error = %e, "refresh lock unavailable; refreshing anyway");
            true
        }
    }
}

async fn unlock<T: Clone + Send + Sync + 'static, E>(core: &CacheCore<T, E>, lock: &str) {
    if core.storage.delete(lock).await.is_err() {
        core.stats.record_storage_error();
    }
}

fn unlock_blocking<T: Clone + Send + Sync + 'static, E>(core: &CacheCore<T, E>, lock: &str) {
    if core.storage.delete_blocking(lock).is_err() {
        core.stats.record_storage_error();
    }
}

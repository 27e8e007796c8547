//! Readers: a local copy of a background loader's value, pulled from the loader's storage.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use crate::clock::{SharedClock, system_clock};
use crate::error::CacheError;
use crate::scheduler::{Scheduler, StartOnce};
use crate::stats::{Stats, StatsSnapshot};
use crate::storage::entry::Freshness;
use crate::storage::value::{ObjectValue, SerdeValue, ValueType};
use crate::storage::{AnyEntry, MemoryStorage, SharedStorage, StorageResult};
use crate::strategy::cache_core::{CacheCore, Lookup, Windows};
use crate::strategy::flight::ErrorCloner;

/// Builds a [`Reader`].
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use advanced_caching::{storage::{MemoryStorage, StorageExt}, strategy::ReaderBuilder};
/// use std::{convert::Infallible, sync::Arc, time::Duration};
/// let shared = Arc::new(MemoryStorage::new(100));
/// shared.set_typed("inventory", &vec![1u32, 2], None).await.unwrap();
/// let reader = ReaderBuilder::<Vec<u32>, Infallible>::new("inventory_local", shared, "inventory")
///     .interval(Some(Duration::from_secs(60)))
///     .serde()
///     .build();
/// assert_eq!(reader.get().await, Some(vec![1, 2]));
/// # });
/// ```
pub struct ReaderBuilder<T, E> {
    name: String,
    source: SharedStorage,
    source_key: String,
    local: Option<SharedStorage>,
    clock: Option<SharedClock>,
    interval: Option<Duration>,
    ttl: Option<Option<Duration>>,
    run_immediately: bool,
    value_type: Option<Box<dyn ValueType>>,
    cloner: ErrorCloner<E>,
    _value: std::marker::PhantomData<fn() -> T>,
}

impl<T, E> ReaderBuilder<T, E>
where
    T: Clone + Send + Sync + 'static,
    E: Send + 'static,
{
    /// A reader named `name` of `source_key` in `source`.
    pub fn new(
        name: impl Into<String>,
        source: SharedStorage,
        source_key: impl Into<String>,
    ) -> Self {
        Self {
            name: name.into(),
            source,
            source_key: source_key.into(),
            local: None,
            clock: None,
            interval: None,
            ttl: None,
            run_immediately: false,
            value_type: None,
            cloner: None,
            _value: std::marker::PhantomData,
        }
    }

    /// The reader's own storage (a fresh memory storage by default).
    pub fn local(mut self, storage: SharedStorage) -> Self {
        self.local = Some(storage);
        self
    }

    /// The clock of freshness decisions.
    pub fn clock(mut self, clock: SharedClock) -> Self {
        self.clock = Some(clock);
        self
    }

    /// How often to pull from the source; `None` or zero = only on a miss.
    pub fn interval(mut self, interval: Option<Duration>) -> Self {
        self.interval = interval.filter(|d| !d.is_zero());
        self
    }

    /// Pulls once as soon as the schedule starts, instead of one interval later.
    pub fn run_immediately(mut self, yes: bool) -> Self {
        self.run_immediately = yes;
        self
    }

    /// How long a pulled copy lives locally; defaults to 2 × interval (forever without one).
    pub fn ttl(mut self, ttl: Option<Duration>) -> Self {
        self.ttl = Some(ttl);
        self
    }

    /// Reads byte-level sources through serde.
    pub fn serde(mut self) -> Self
    where
        T: serde::Serialize + serde::de::DeserializeOwned,
    {
        self.value_type = Some(Box::new(SerdeValue::<T>::new()));
        self
    }

    /// How waiters of a failed fallback load get the error.
    pub fn error_cloner(mut self, cloner: ErrorCloner<E>) -> Self {
        self.cloner = cloner;
        self
    }

    /// The reader.
    pub fn build(self) -> Reader<T, E> {
        let clock = self.clock.unwrap_or_else(system_clock);
        let local = self.local.unwrap_or_else(|| {
            Arc::new(MemoryStorage::with_clock(
                crate::strategy::builder::DEFAULT_MAX_ENTRIES,
                clock.clone(),
            ))
        });
        let ttl = self
            .ttl
            .unwrap_or_else(|| self.interval.map(|i| i.saturating_mul(2)));
        let value_type = self
            .value_type
            .unwrap_or_else(|| Box::new(ObjectValue::<T>::new()));
        let scheduler = Scheduler::with_clock(clock.clone());
        Reader {
            inner: Arc::new(ReaderInner {
                core: CacheCore::new(&self.name, local, clock, value_type, self.cloner),
                source: self.source,
                key: self.source_key,
                windows: Windows { ttl, stale: None },
                interval: self.interval,
                run_immediately: self.run_immediately,
                schedule: StartOnce::new(scheduler),
            }),
        }
    }
}

struct ReaderInner<T, E> {
    core: CacheCore<T, E>,
    source: SharedStorage,
    key: String,
    windows: Windows,
    interval: Option<Duration>,
    run_immediately: bool,
    schedule: StartOnce,
}

/// A read-only view of a background loader's value (`[readers.NAME]`).
///
/// Serves from its own local storage; pulls from the source storage every `interval` and once on
/// a miss. It never writes the source. When neither holds a value, [`Reader::get`] returns `None`
/// and [`Reader::get_or_load`] calls the given loader and keeps the result locally.
pub struct Reader<T, E> {
    inner: Arc<ReaderInner<T, E>>,
}

clone_handle!(Reader);

impl<T, E> Reader<T, E>
where
    T: Clone + Send + Sync + 'static,
    E: Send + 'static,
{
    /// Starts pulling on the interval (idempotent).
    pub fn start(&self) -> Result<(), CacheError> {
        let Some(interval) = self.inner.interval else {
            return Ok(());
        };
        self.inner.schedule.start(|scheduler| {
            // Held weakly: dropping the reader stops its schedule (see `BackgroundLoader::start`).
            let weak = Arc::downgrade(&self.inner);
            scheduler.every(
                self.inner.core.name(),
                interval,
                self.inner.run_immediately,
                move || {
                    let inner = weak.upgrade();
                    async move {
                        if let Some(inner) = inner {
                            Self { inner }.pull().await;
                        }
                    }
                },
            )
        })
    }

    /// Stops pulling.
    pub async fn stop(&self) {
        self.inner.schedule.stop().await;
    }

    fn start_quietly(&self) {
        if !self.inner.schedule.started()
            && let Err(e) = self.start()
        {
            tracing::warn!(reader = self.inner.core.name(), error = %e, "cannot start reader");
        }
    }

    /// Copies the source's value into the local storage now; returns it when there was one.
    pub async fn pull(&self) -> Option<T> {
        let inner = &self.inner;
        let ty = inner.core.value_type.as_ref();
        let read = crate::storage::read_here(inner.source.as_ref(), &inner.key, ty).await;
        let value = self.accept(read)?;
        inner.core.store(&inner.key, &value, inner.windows).await;
        Some(value)
    }

    /// How long ago the local copy was pulled; `None` when there is none.
    pub async fn age(&self) -> Option<Duration> {
        self.inner.core.peek(&self.inner.key).await.map(|p| p.age)
    }

    /// The value of a source read, if it has a live one of type `T`.
    fn accept(&self, read: StorageResult<Option<AnyEntry>>) -> Option<T> {
        let inner = &self.inner;
        let entry = match read {
            Ok(entry) => entry?,
            Err(e) => {
                inner.core.stats.record_storage_error();
                tracing::warn!(reader = inner.core.name(), error = %e, "source read failed");
                return None;
            }
        };
        // A writer's expired value kept for its own fail-safe is not a value to copy.
        let now = inner.core.clock.now_millis();
        if matches!(
            entry.freshness(now),
            Freshness::Expired | Freshness::Fallback
        ) {
            return None;
        }
        let value = entry.value.downcast_ref::<T>()?.clone();
        inner.core.stats.record_refresh();
        Some(value)
    }

    /// The local value, or the source's pulled once on a miss.
    pub async fn get(&self) -> Option<T> {
        self.start_quietly();
        let inner = &self.inner;
        if let Lookup::Fresh(v) | Lookup::Due(v) = inner.core.lookup(&inner.key).await {
            inner.core.stats.record_hit();
            return Some(v);
        }
        inner.core.stats.record_miss();
        self.pull().await
    }

    /// [`Reader::get`], falling back to `loader` (one call for concurrent callers) when neither
    /// the local storage nor the source has a value; the result is kept locally only.
    pub async fn get_or_load<F, Fut>(&self, loader: F) -> Result<T, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        match self.get().await {
            Some(v) => Ok(v),
            None => {
                let inner = &self.inner;
                inner
                    .core
                    .load(&inner.key, inner.windows, loader, None)
                    .await
            }
        }
    }

    /// [`Reader::get_or_load`] for a sync loader, waited on ([`crate::wait`]). The other calls
    /// of blocking code wait on their async forms: `advanced_caching::wait(reader.get())`.
    pub fn get_or_load_blocking<F>(&self, loader: F) -> Result<T, E>
    where
        F: FnOnce() -> Result<T, E>,
    {
        crate::rt::wait(self.get_or_load(move || std::future::ready(loader())))
    }

    /// The live counters.
    pub fn stats_handle(&self) -> Arc<Stats> {
        self.inner.core.stats.clone()
    }

    /// The counters now.
    pub fn stats(&self) -> StatsSnapshot {
        self.inner.core.stats.snapshot()
    }
}

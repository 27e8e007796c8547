//! What every strategy shares: reading an entry, classifying it, loading through single-flight,
//! and storing with failures degraded (a failed read is a miss, a failed write is reported).

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::clock::{Millis, SharedClock};
use crate::entry::{CacheEntry, Freshness};
use crate::flight::{AsyncFlights, ErrorCloner, Outcome, SyncFlights};
use crate::stats::Stats;
use crate::storage::{AnyEntry, SharedStorage, StorageResult};
use crate::value::{AnyValue, ValueType};

/// A value read from a storage, classified at the time of reading.
pub(crate) enum Lookup<T> {
    Fresh(T),
    Stale(T),
    Miss,
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
    async_flights: AsyncFlights<T, E>,
    sync_flights: SyncFlights<T, E>,
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
            async_flights: AsyncFlights::new(),
            sync_flights: SyncFlights::new(),
        }
    }

    pub(crate) fn name(&self) -> &str {
        self.stats.name()
    }

    /// Classifies what a read returned, at `now`.
    fn classify(&self, key: &str, read: StorageResult<Option<AnyEntry>>, now: Millis) -> Lookup<T> {
        let entry = match read {
            Ok(Some(entry)) => entry,
            Ok(None) => return Lookup::Miss,
            Err(e) => {
                if self.stats.record_storage_failure(&e) {
                    tracing::warn!(cache = self.name(), key, error = %e, "storage read failed; treating as a miss");
                }
                return Lookup::Miss;
            }
        };
        let Some(value) = entry.value.downcast_ref::<T>() else {
            tracing::warn!(
                cache = self.name(),
                key,
                expected = std::any::type_name::<T>(),
                "stored value has another type; treating as a miss"
            );
            return Lookup::Miss;
        };
        match entry.freshness(now) {
            Freshness::Fresh => Lookup::Fresh(value.clone()),
            Freshness::Stale => Lookup::Stale(value.clone()),
            Freshness::Expired => Lookup::Miss,
        }
    }

    /// An in-memory tier's answer, classified at the one clock reading it was judged by; `None`
    /// when the storage must be asked through I/O.
    fn lookup_now(&self, key: &str) -> Option<Lookup<T>> {
        let now = self.clock.now_millis();
        let read = self
            .storage
            .get_entry_now(key, self.value_type.as_ref(), now)?;
        Some(self.classify(key, read, now))
    }

    /// Reads `key` and classifies it.
    pub(crate) async fn lookup(&self, key: &str) -> Lookup<T> {
        if let Some(found) = self.lookup_now(key) {
            return found;
        }
        let read = self.storage.get_entry(key, self.value_type.as_ref()).await;
        self.classify(key, read, self.clock.now_millis())
    }

    /// Blocking [`CacheCore::lookup`].
    pub(crate) fn lookup_blocking(&self, key: &str) -> Lookup<T> {
        if let Some(found) = self.lookup_now(key) {
            return found;
        }
        let read = self
            .storage
            .get_entry_blocking(key, self.value_type.as_ref());
        self.classify(key, read, self.clock.now_millis())
    }

    pub(crate) fn entry_for(&self, value: &T, windows: Windows) -> AnyEntry {
        CacheEntry::new(
            Arc::new(value.clone()) as AnyValue,
            self.clock.now_millis(),
            windows.ttl,
            windows.stale,
        )
    }

    fn report_write(&self, key: &str, written: StorageResult<()>) {
        if let Err(e) = written
            && self.stats.record_storage_failure(&e)
        {
            tracing::warn!(cache = self.name(), key, error = %e, "storage write failed; value returned uncached");
        }
    }

    pub(crate) async fn store(&self, key: &str, value: &T, windows: Windows) {
        let entry = self.entry_for(value, windows);
        let written = self
            .storage
            .set_entry(key, entry, self.value_type.as_ref())
            .await;
        self.report_write(key, written);
    }

    pub(crate) fn store_blocking(&self, key: &str, value: &T, windows: Windows) {
        let entry = self.entry_for(value, windows);
        let written = self
            .storage
            .set_entry_blocking(key, entry, self.value_type.as_ref());
        self.report_write(key, written);
    }

    fn record_outcome<R>(&self, key: &str, started: Instant, result: &Result<R, E>) {
        self.stats.record_load(started.elapsed());
        if result.is_err() {
            self.stats.record_error();
            tracing::debug!(cache = self.name(), key, "loader failed; error not cached");
        }
    }

    /// Calls the loader and stores its value; errors are counted and never stored.
    pub(crate) async fn call_and_store<F, Fut>(
        &self,
        key: &str,
        windows: Windows,
        loader: F,
    ) -> Result<T, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let started = Instant::now();
        let result = loader().await;
        self.record_outcome(key, started, &result);
        if let Ok(value) = &result {
            self.store(key, value, windows).await;
        }
        result
    }

    /// Blocking [`CacheCore::call_and_store`].
    pub(crate) fn call_and_store_blocking<F>(
        &self,
        key: &str,
        windows: Windows,
        loader: F,
    ) -> Result<T, E>
    where
        F: FnOnce() -> Result<T, E>,
    {
        let started = Instant::now();
        let result = loader();
        self.record_outcome(key, started, &result);
        if let Ok(value) = &result {
            self.store_blocking(key, value, windows);
        }
        result
    }

    /// A miss: one loader call for all concurrent callers of `key`. The leader re-checks only
    /// the in-process tiers (a flight that landed just before may have stored the value there);
    /// remote tiers were read once by the caller and are not read again. When a leader gives up
    /// without a result its waiters can share (it panicked, was cancelled, or failed with an error
    /// that cannot be cloned), they elect one new leader; only if that one gives up too does each
    /// remaining waiter call the loader itself.
    pub(crate) async fn load<F, Fut>(&self, key: &str, windows: Windows, loader: F) -> Result<T, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let mut work = move || async move {
            if let Some(Lookup::Fresh(v)) = self.lookup_now(key) {
                return Ok(v);
            }
            self.call_and_store(key, windows, loader).await
        };
        for _election in 0..2 {
            match self.async_flights.run(key, self.cloner, work).await {
                Outcome::Done(result) => return result,
                Outcome::Retry(back) => work = back,
            }
        }
        work().await
    }

    /// Blocking [`CacheCore::load`].
    pub(crate) fn load_blocking<F>(&self, key: &str, windows: Windows, loader: F) -> Result<T, E>
    where
        F: FnOnce() -> Result<T, E>,
    {
        let mut work = move || {
            if let Some(Lookup::Fresh(v)) = self.lookup_now(key) {
                return Ok(v);
            }
            self.call_and_store_blocking(key, windows, loader)
        };
        for _election in 0..2 {
            match self.sync_flights.run(key, self.cloner, work) {
                Outcome::Done(result) => return result,
                Outcome::Retry(back) => work = back,
            }
        }
        work()
    }
}

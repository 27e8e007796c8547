//! Background loaders (writers): a value refreshed on a schedule, served from a storage.

use std::future::{Future, ready};
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use arc_swap::ArcSwapOption;
use dashmap::DashMap;

use crate::clock::{Millis, SharedClock, system_clock};
use crate::error::CacheError;
use crate::scheduler::{Scheduler, StartOnce};
use crate::stats::{Stats, StatsSnapshot};
use crate::storage::value::{ObjectValue, SerdeValue, ValueType};
use crate::storage::{BoxFuture, MemoryStorage, SharedStorage};
use crate::strategy::cache_core::{CacheCore, Lookup, Windows};
use crate::strategy::flight::ErrorCloner;

mod builder;
mod lease;

pub use self::builder::BackgroundLoaderBuilder;
use self::lease::{Held, Lease, WriterSlot};

type AsyncLoaderFn<T, E> = Arc<dyn Fn() -> BoxFuture<'static, Result<T, E>> + Send + Sync>;
type BlockingLoaderFn<T, E> = Arc<dyn Fn() -> Result<T, E> + Send + Sync>;
type ErrorHook<E> = Arc<dyn Fn(&E) + Send + Sync>;

enum LoaderFn<T, E> {
    Async(AsyncLoaderFn<T, E>),
    Blocking(BlockingLoaderFn<T, E>),
}

impl<T, E> Clone for LoaderFn<T, E> {
    fn clone(&self) -> Self {
        match self {
            Self::Async(f) => Self::Async(f.clone()),
            Self::Blocking(f) => Self::Blocking(f.clone()),
        }
    }
}

/// A value this loader stored, and when it stops being fresh (on the loader's clock).
struct Latest<T> {
    value: T,
    fresh_until: Millis,
}

struct LoaderInner<T, E> {
    core: CacheCore<T, E>,
    key: String,
    windows: Windows,
    interval: Option<Duration>,
    run_immediately: bool,
    loader: LoaderFn<T, E>,
    on_error: Option<ErrorHook<E>>,
    /// One run in flight at a time.
    running: tokio::sync::Mutex<()>,
    schedule: StartOnce,
    lease: Lease,
    /// When (on the loader's clock) this writer last ran a scheduled load (`None`: due at the
    /// next tick it holds the lease).
    last_run: std::sync::Mutex<Option<crate::clock::Millis>>,
    /// The last value this loader stored, when its storage lives in this process (memory):
    /// every write then goes through this loader, so a hit is one atomic load and no lookup.
    latest: Option<ArcSwapOption<Latest<T>>>,
    _slot: WriterSlot,
}

/// A value that a loader refreshes on a schedule (`[loaders.NAME]`).
///
/// Every `interval` the loader runs (one run at a time; a run slower than the interval never
/// stacks up) and its value is written to the storage with `ttl` (default 2 × interval). A failing
/// run keeps the last good value, counts an error and calls `on_error`. [`BackgroundLoader::get`]
/// serves the stored value and loads once on a miss.
pub struct BackgroundLoader<T, E> {
    inner: Arc<LoaderInner<T, E>>,
}

clone_handle!(BackgroundLoader);

impl<T, E> BackgroundLoader<T, E>
where
    T: Clone + Send + Sync + 'static,
    E: Send + 'static,
{
    /// Starts the schedule (idempotent). Without an interval there is nothing to schedule, but a
    /// `run_immediately` loader still loads once now.
    pub fn start(&self) -> Result<(), CacheError> {
        self.inner.schedule.start(|scheduler| {
            // The schedule holds the loader weakly: dropping the last handle (the `Caches` that
            // owns it) drops the loader, whose scheduler then stops every job.
            let weak = Arc::downgrade(&self.inner);
            let this = self.clone();
            if !self.inner.run_immediately {
                // The first scheduled load is one interval from now.
                *self.last_run() = Some(self.inner.core.clock.now_millis());
            }
            match self.inner.interval {
                // Ticks at a quarter of the interval: the lease is checked four times per
                // interval, the loader runs once per interval (see `run_scheduled`).
                Some(interval) => scheduler.every(
                    self.inner.core.name(),
                    (interval / 4).max(Duration::from_millis(1)),
                    true,
                    move || {
                        let inner = weak.upgrade();
                        async move {
                            if let Some(inner) = inner {
                                let _ = Self { inner }.run_scheduled().await;
                            }
                        }
                    },
                ),
                None if self.inner.run_immediately => crate::rt::spawn(async move {
                    let _ = this.run_scheduled().await;
                })
                .map(drop),
                None => Ok(()),
            }
        })
    }

    /// Stops the schedule after its current run.
    pub async fn stop(&self) {
        self.inner.schedule.stop().await;
    }

    fn start_quietly(&self) {
        if !self.inner.schedule.started()
            && let Err(e) = self.start()
        {
            tracing::warn!(loader = self.inner.core.name(), error = %e, "cannot start background loader");
        }
    }

    fn last_run(&self) -> std::sync::MutexGuard<'_, Option<crate::clock::Millis>> {
        self.inner
            .last_run
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// One tick: skipped when a run is already in flight here, or when another process holds the
    /// writer lease on the shared storage; runs the loader when an interval has passed since this
    /// writer's last run, or at once when it has just taken the lease over.
    async fn run_scheduled(&self) -> Option<Result<T, E>> {
        let _running = self.inner.running.try_lock().ok()?;
        let held = self.inner.lease.hold(&self.inner.core).await;
        if held == Held::Elsewhere {
            tracing::debug!(
                loader = self.inner.core.name(),
                "another process holds the writer lease; skipping this tick"
            );
            return None;
        }
        let now = self.inner.core.clock.now_millis();
        let interval = crate::clock::duration_millis(self.inner.interval.unwrap_or_default());
        // When this writer starts or (re)takes the lease, the stored value says when the key
        // was last loaded, by anyone: a fresh value shared by another process (or left by an
        // earlier life of this one) moves the schedule instead of being loaded again, so ten
        // processes starting together load once and a standby waits for the value's age.
        let first_tick = self
            .last_run()
            .is_some_and(|at| !self.inner.run_immediately && now.saturating_sub(at) < interval / 8);
        if held == Held::Taken || self.last_run().is_none() {
            let inner = &self.inner;
            let stored = inner.core.peek(&inner.key).await;
            let mut last = self.last_run();
            match stored {
                Some(stored) if stored.freshness == crate::storage::entry::Freshness::Fresh => {
                    *last = Some(now.saturating_sub(crate::clock::duration_millis(stored.age)));
                }
                // Taken over with no live value: load now (unless this is the start-up tick of a
                // writer that does not run immediately).
                _ if !first_tick => *last = None,
                _ => {}
            }
        }
        let due = {
            let mut last = self.last_run();
            // An eighth of an interval of slack absorbs the ticker's jitter.
            let due = last.is_none_or(|at| now.saturating_sub(at) + interval / 8 >= interval);
            if due {
                *last = Some(now);
            }
            due
        };
        if !due {
            return None;
        }
        if held == Held::Taken {
            tracing::info!(loader = self.inner.core.name(), "took the writer lease");
        }
        Some(self.run_once().await)
    }

    /// Runs the loader now (waiting for a run in flight to end first) and stores its value.
    /// A failure keeps the last good value.
    pub async fn refresh_now(&self) -> Result<T, E> {
        let _running = self.inner.running.lock().await;
        self.run_once().await
    }

    /// How long ago the stored value was written (by this process or another writer); `None`
    /// when there is no live value.
    pub async fn age(&self) -> Option<Duration> {
        self.inner.core.peek(&self.inner.key).await.map(|p| p.age)
    }

    /// One run, as the single flight of the key: a caller's miss at the same moment (the
    /// start-up run racing the first caller, say) shares this run instead of loading again.
    async fn run_once(&self) -> Result<T, E> {
        let inner = &self.inner;
        let (key, windows) = (&inner.key, inner.windows);
        let result = match &inner.loader {
            LoaderFn::Async(f) => inner.core.refresh(key, windows, || f()).await,
            // A blocking caller (`wait(loader.refresh_now())`) runs a sync loader on its thread.
            LoaderFn::Blocking(f) if crate::rt::polled_by_wait() => {
                inner.core.refresh(key, windows, || ready(f())).await
            }
            LoaderFn::Blocking(f) => {
                let this = self.clone();
                let task_fn = f.clone();
                let run = crate::rt::spawn_blocking(move || {
                    let inner = &this.inner;
                    let refresh =
                        inner
                            .core
                            .refresh(&inner.key, inner.windows, || ready(task_fn()));
                    crate::rt::wait(refresh)
                });
                match run {
                    Ok(task) => match task.await {
                        Ok(result) => result,
                        Err(e) => std::panic::resume_unwind(e.into_panic()),
                    },
                    // No runtime for a blocking thread: run here.
                    Err(_) => inner.core.refresh(key, windows, || ready(f())).await,
                }
            }
        };
        self.after_run(&result);
        result
    }

    /// The last value this loader stored, while it is fresh (only for a storage in this
    /// process).
    fn latest(&self) -> Option<T> {
        let inner = &self.inner;
        let latest = inner.latest.as_ref()?.load();
        let latest = latest.as_ref()?;
        crate::clock::still_before(inner.core.clock.as_ref(), latest.fresh_until)
            .then(|| latest.value.clone())
    }

    /// Keeps a value just stored as the latest (see [`LoaderInner::latest`]); a failure keeps
    /// the last good one, as the storage does.
    fn remember(&self, result: &Result<T, E>) {
        let inner = &self.inner;
        let (Some(cell), Ok(value)) = (&inner.latest, result) else {
            return;
        };
        let now = inner.core.clock.now_millis();
        let fresh_until = match inner.windows.ttl {
            Some(ttl) => now.saturating_add(crate::clock::duration_millis(ttl)),
            None => Millis::MAX,
        };
        cell.store(Some(Arc::new(Latest {
            value: value.clone(),
            fresh_until,
        })));
    }

    /// Counts a run; a failure is logged and handed to `on_error`.
    fn after_run(&self, result: &Result<T, E>) {
        self.remember(result);
        let inner = &self.inner;
        match result {
            Ok(_) => inner.core.stats.record_refresh(),
            Err(e) => {
                tracing::warn!(
                    loader = inner.core.name(),
                    "background load failed; keeping the last value"
                );
                if let Some(hook) = &inner.on_error {
                    hook(e);
                }
            }
        }
    }

    /// The current value; on a miss, one load for all concurrent callers (async loaders).
    pub async fn get(&self) -> Result<T, E> {
        self.start_quietly();
        let inner = &self.inner;
        if let Some(v) = self.latest() {
            inner.core.stats.record_hit();
            return Ok(v);
        }
        let fallback = match inner.core.lookup(&inner.key).await {
            Lookup::Fresh(v) | Lookup::Due(v) => {
                inner.core.stats.record_hit();
                return Ok(v);
            }
            missed => inner.core.fallback_of(&missed),
        };
        inner.core.stats.record_miss();
        let (key, windows) = (&inner.key, inner.windows);
        let loaded = match &inner.loader {
            LoaderFn::Async(f) => inner.core.load(key, windows, || f(), fallback).await,
            LoaderFn::Blocking(f) => {
                let load = || ready(f());
                inner.core.load(key, windows, load, fallback).await
            }
        };
        self.remember(&loaded);
        loaded
    }

    /// [`BackgroundLoader::get`] for blocking code: the latest value at once, else the async
    /// path waited on ([`crate::wait`]); a blocking loader runs on this thread. The other calls
    /// of blocking code wait on their async forms: `advanced_caching::wait(loader.age())`.
    pub fn get_blocking(&self) -> Result<T, E> {
        self.start_quietly();
        if let Some(v) = self.latest() {
            self.inner.core.stats.record_hit();
            return Ok(v);
        }
        crate::rt::wait(self.get())
    }

    /// The storage the value is written to.
    pub fn storage(&self) -> &SharedStorage {
        &self.inner.core.storage
    }

    /// The key the value is written under.
    pub fn key(&self) -> &str {
        &self.inner.key
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

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a test fails loudly
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;
    use crate::clock::ManualClock;

    /// On a memory storage the last stored value answers hits until its TTL ends, then the
    /// loader runs again; a refresh replaces it at once.
    #[test]
    fn the_latest_value_is_served_until_its_ttl_then_reloaded() {
        let clock = ManualClock::new(1_000_000);
        let calls = Arc::new(AtomicU32::new(0));
        let counted = calls.clone();
        let loader = BackgroundLoaderBuilder::<u32, std::convert::Infallible>::new("latest")
            .clock(Arc::new(clock.clone()))
            .ttl(Some(Duration::from_secs(10)))
            .build_blocking(move || Ok(counted.fetch_add(1, Ordering::SeqCst) + 1))
            .unwrap();
        assert_eq!(loader.get_blocking(), Ok(1));
        clock.advance(Duration::from_secs(9));
        assert_eq!(loader.get_blocking(), Ok(1), "fresh: no load");
        clock.advance(Duration::from_secs(2));
        assert_eq!(loader.get_blocking(), Ok(2), "past its ttl: loaded again");
        assert_eq!(crate::wait(loader.refresh_now()), Ok(3));
        assert_eq!(loader.get_blocking(), Ok(3), "a refresh replaces it");
        assert_eq!(calls.load(Ordering::SeqCst), 3);
        assert_eq!(loader.stats().hits, 2);
    }
}

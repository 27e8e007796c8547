//! Configuring a background loader: schedule, TTL, storage, error hook, fleet-wide misses.

use super::*;

/// Builds a [`BackgroundLoader`].
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use advanced_caching::strategy::BackgroundLoaderBuilder;
/// use std::{convert::Infallible, time::Duration};
/// let loader = BackgroundLoaderBuilder::<Vec<u32>, Infallible>::new("inventory")
///     .interval(Some(Duration::from_secs(300)))
///     .build_async(|| async { Ok(vec![1, 2, 3]) })
///     .unwrap();
/// assert_eq!(loader.get().await.unwrap(), vec![1, 2, 3]);
/// # });
/// ```
pub struct BackgroundLoaderBuilder<T, E> {
    name: String,
    key: Option<String>,
    storage: Option<SharedStorage>,
    clock: Option<SharedClock>,
    interval: Option<Duration>,
    ttl: Option<Option<Duration>>,
    run_immediately: bool,
    value_type: Option<Box<dyn ValueType>>,
    cloner: ErrorCloner<E>,
    on_error: Option<ErrorHook<E>>,
    fleet: Option<crate::strategy::fleet::Fleet>,
    fail_safe: Option<crate::strategy::cache_core::FailSafe>,
    _value: std::marker::PhantomData<fn() -> T>,
}

impl<T, E> BackgroundLoaderBuilder<T, E>
where
    T: Clone + Send + Sync + 'static,
    E: Send + 'static,
{
    /// A loader named `name` (also its key unless [`Self::key`] says otherwise), with no schedule.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            key: None,
            storage: None,
            clock: None,
            interval: None,
            ttl: None,
            run_immediately: false,
            value_type: None,
            cloner: None,
            on_error: None,
            fleet: None,
            fail_safe: None,
            _value: std::marker::PhantomData,
        }
    }

    /// The storage key the value is written under.
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into());
        self
    }

    /// Where the value is written (readers elsewhere read it there).
    pub fn storage(mut self, storage: SharedStorage) -> Self {
        self.storage = Some(storage);
        self
    }

    /// The clock of freshness decisions.
    pub fn clock(mut self, clock: SharedClock) -> Self {
        self.clock = Some(clock);
        self
    }

    /// How often to reload; `None` or zero = no schedule, load on a miss only.
    pub fn interval(mut self, interval: Option<Duration>) -> Self {
        self.interval = interval.filter(|d| !d.is_zero());
        self
    }

    /// How long a loaded value lives; defaults to 2 × interval (forever without an interval).
    pub fn ttl(mut self, ttl: Option<Duration>) -> Self {
        self.ttl = Some(ttl);
        self
    }

    /// Load once as soon as the loader starts.
    pub fn run_immediately(mut self, yes: bool) -> Self {
        self.run_immediately = yes;
        self
    }

    /// A miss of [`BackgroundLoader::get`] loads once across the processes sharing the storage
    /// (see [`crate::strategy::CacheBuilder::fleet`]); the scheduled runs are one per fleet already (the
    /// writer lease).
    ///
    /// ```
    /// use advanced_caching::strategy::BackgroundLoaderBuilder;
    /// use std::time::Duration;
    /// let rates = BackgroundLoaderBuilder::<u32, std::io::Error>::new("rates")
    ///     .fleet(Duration::from_secs(5))
    ///     .build_blocking(|| Ok(7))
    ///     .unwrap();
    /// assert_eq!(rates.get_blocking().unwrap(), 7);
    /// ```
    pub fn fleet(mut self, wait: Duration) -> Self {
        self.fleet = Some(crate::strategy::fleet::Fleet { wait });
        self
    }

    /// Keeps the value `keep` longer than its TTL as a fallback: a caller whose load fails gets
    /// that expired value instead (see [`crate::strategy::CacheBuilder::fail_safe`]).
    pub fn fail_safe(mut self, keep: Duration, throttle: Duration) -> Self {
        self.fail_safe = Some(crate::strategy::cache_core::FailSafe { keep, throttle });
        self
    }

    /// Lets byte-level storages hold the value through serde.
    pub fn serde(mut self) -> Self
    where
        T: serde::Serialize + serde::de::DeserializeOwned,
    {
        self.value_type = Some(Box::new(SerdeValue::<T>::new()));
        self
    }

    /// Declares how the value becomes bytes (see [`crate::strategy::CacheBuilder::value_type`]).
    pub fn value_type(mut self, value_type: Box<dyn ValueType>) -> Self {
        self.value_type = Some(value_type);
        self
    }

    /// How callers waiting on a failed load get the error (see [`crate::strategy::CacheBuilder::error_cloner`]).
    pub fn error_cloner(mut self, cloner: ErrorCloner<E>) -> Self {
        self.cloner = cloner;
        self
    }

    /// Called once with the error of every failed run.
    pub fn on_error(mut self, hook: impl Fn(&E) + Send + Sync + 'static) -> Self {
        self.on_error = Some(Arc::new(hook));
        self
    }

    /// Builds a loader around an async function. Fails with [`CacheError::DuplicateWriter`]
    /// when this process already has a writer for the same storage and key.
    pub fn build_async<F, Fut>(self, loader: F) -> Result<BackgroundLoader<T, E>, CacheError>
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<T, E>> + Send + 'static,
    {
        let loader: AsyncLoaderFn<T, E> = Arc::new(move || Box::pin(loader()));
        self.build(LoaderFn::Async(loader))
    }

    /// Builds a loader around a blocking function (run on a blocking thread when scheduled).
    pub fn build_blocking<F>(self, loader: F) -> Result<BackgroundLoader<T, E>, CacheError>
    where
        F: Fn() -> Result<T, E> + Send + Sync + 'static,
    {
        self.build(LoaderFn::Blocking(Arc::new(loader)))
    }

    fn build(self, loader: LoaderFn<T, E>) -> Result<BackgroundLoader<T, E>, CacheError> {
        let clock = self.clock.unwrap_or_else(system_clock);
        let storage = self.storage.unwrap_or_else(|| {
            Arc::new(MemoryStorage::with_clock(
                crate::strategy::builder::DEFAULT_MAX_ENTRIES,
                clock.clone(),
            ))
        });
        let key = self.key.unwrap_or_else(|| self.name.clone());
        let slot = WriterSlot::claim(&storage, &key)?;
        let ttl = self
            .ttl
            .unwrap_or_else(|| self.interval.map(|i| i.saturating_mul(2)));
        let value_type = self
            .value_type
            .unwrap_or_else(|| Box::new(ObjectValue::<T>::new()));
        let core_clock = clock.clone();
        // A storage in this process is written only through this loader (one writer per storage
        // and key here): its last value can be kept at hand.
        let latest = (storage.kind() == "memory").then(ArcSwapOption::empty);
        let mut core = CacheCore::new(&self.name, storage, clock, value_type, self.cloner);
        core.fleet = self.fleet;
        core.fail_safe = self.fail_safe;
        Ok(BackgroundLoader {
            inner: Arc::new(LoaderInner {
                core,
                key: key.clone(),
                windows: Windows { ttl, stale: None },
                interval: self.interval,
                run_immediately: self.run_immediately,
                loader,
                on_error: self.on_error,
                running: tokio::sync::Mutex::new(()),
                schedule: StartOnce::new(Scheduler::with_clock(core_clock)),
                lease: Lease::new(&key, self.interval),
                last_run: std::sync::Mutex::new(None),
                latest,
                _slot: slot,
            }),
        })
    }
}

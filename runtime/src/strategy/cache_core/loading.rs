//! Loading: one loader call per key for all concurrent callers (single flight), misses, refreshes.

use super::*;

impl<T, E> CacheCore<T, E>
where
    T: Clone + Send + Sync + 'static,
{
    /// Runs `work` as the single flight of `key`: concurrent callers share one run. When a
    /// leader gives up without a result its waiters can share (it panicked, was cancelled, or
    /// failed with an error that cannot be cloned), they elect one new leader; only if that one
    /// gives up too does each remaining waiter run `work` itself.
    pub(super) async fn single_flight<F, Fut>(&self, key: &str, mut work: F) -> Result<T, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        for _election in 0..2 {
            match self.flights().run(key, self.cloner, work).await {
                Outcome::Done(result) => return result,
                Outcome::Retry(back) => work = back,
            }
        }
        work().await
    }

    /// A miss: one loader call for all concurrent callers of `key`. The leader re-checks only
    /// the in-process tiers (a flight that landed just before may have stored the value there);
    /// remote tiers were read once by the caller and are not read again. A `fallback` found by
    /// the caller (fail-safe) is served if the load fails, and at once while the key's throttle
    /// lasts.
    pub(crate) async fn load<F, Fut>(
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
        if let Some(v) = self.throttled(key, &fallback) {
            return Ok(v);
        }
        self.single_flight(key, move || async move {
            if let Some(Lookup::Fresh(v) | Lookup::Due(v)) = self.lookup_now(key) {
                return Ok(v);
            }
            match self.fleet {
                Some(fleet) => {
                    self.load_in_fleet(fleet, key, windows, loader, fallback)
                        .await
                }
                None => self.call_and_store(key, windows, loader, fallback).await,
            }
        })
        .await
    }

    /// Reloads `key` whatever the cache holds and stores the result: one loader call for all
    /// concurrent refreshers (and misses) of `key`.
    pub(crate) async fn refresh<F, Fut>(
        &self,
        key: &str,
        windows: Windows,
        loader: F,
    ) -> Result<T, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        self.single_flight(key, move || self.call_and_store(key, windows, loader, None))
            .await
    }
}

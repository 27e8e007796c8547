//! Fail-safe: when a load fails (an error or a panic) and an expired value is still kept within
//! its fail-safe window, callers get that value instead of the failure, and for the throttle
//! that follows the origin is not asked again for the key (per process).

use std::any::Any;
use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::sync::Mutex;
use std::time::Duration;

use futures_util::FutureExt as _;

use super::*;

/// A function's fail-safe settings (`fail_safe`, `fail_safe_throttle`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FailSafe {
    /// How long past its last window an entry is kept as a fallback.
    pub(crate) keep: Duration,
    /// After a fallback is served, how long the origin is not asked again for the key.
    pub(crate) throttle: Duration,
}

/// The keys whose origin failed lately, each with the time (on the cache's clock) until which
/// callers get the fallback without a load.
#[derive(Debug, Default)]
pub(crate) struct Throttles(Mutex<HashMap<String, Millis>>);

impl Throttles {
    fn until(&self, key: &str) -> Option<Millis> {
        let held = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        held.get(key).copied()
    }

    fn set(&self, key: &str, now: Millis, until: Millis) {
        let mut held = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Keys whose throttle ended are dropped as others are set: the map holds only keys
        // whose origin failed within the last throttle.
        held.retain(|_, t| *t > now);
        held.insert(key.to_owned(), until);
    }

    fn clear(&self, key: &str) {
        let mut held = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        held.remove(key);
    }
}

/// What a loader call ended with: its result, or the panic it raised.
pub(super) type LoadOutcome<T, E> = Result<Result<T, E>, Box<dyn Any + Send>>;

impl<T, E> CacheCore<T, E>
where
    T: Clone + Send + Sync + 'static,
{
    /// The fallback of a lookup, when fail-safe is on: an expired value still within its
    /// fail-safe window, or a stale one (what an SWR function sharing the key wrote).
    pub(crate) fn fallback_of(&self, lookup: &Lookup<T>) -> Option<T> {
        self.fail_safe?;
        match lookup {
            Lookup::Fallback(v) | Lookup::Stale(v) => Some(v.clone()),
            Lookup::Fresh(_) | Lookup::Due(_) | Lookup::Miss => None,
        }
    }

    /// While the key's throttle lasts, the fallback at once (counted), without a load.
    pub(crate) fn throttled(&self, key: &str, fallback: &Option<T>) -> Option<T> {
        let fallback = fallback.as_ref()?;
        let until = self.throttles.until(key)?;
        if self.clock.now_millis() >= until {
            return None;
        }
        self.stats.record_fail_safe_hit();
        Some(fallback.clone())
    }

    /// Calls the loader, catching a panic when there is a fallback to serve instead.
    pub(super) async fn call<Fut>(&self, load: Fut, fallback: &Option<T>) -> LoadOutcome<T, E>
    where
        Fut: Future<Output = Result<T, E>>,
    {
        match fallback {
            None => Ok(load.await),
            Some(_) => AssertUnwindSafe(load).catch_unwind().await,
        }
    }

    /// Turns a failed load into its fallback (counted, logged, and throttled), or hands the
    /// failure on: the error to the caller, a panic to its unwinding.
    pub(super) fn rescue(
        &self,
        key: &str,
        outcome: LoadOutcome<T, E>,
        fallback: Option<T>,
        span: &tracing::Span,
    ) -> Result<T, E> {
        let (failed, fallback) = match (outcome, fallback) {
            (Ok(Ok(value)), _) => {
                if self.fail_safe.is_some() {
                    self.throttles.clear(key);
                }
                return Ok(value);
            }
            (Ok(Err(e)), None) => return Err(e),
            (Err(panic), None) => std::panic::resume_unwind(panic),
            (Ok(Err(_)), Some(v)) => ("failed", v),
            (Err(_), Some(v)) => ("panicked", v),
        };
        let throttle = self.fail_safe.map_or(Duration::ZERO, |f| f.throttle);
        let now = self.clock.now_millis();
        let until = now.saturating_add(crate::clock::duration_millis(throttle));
        self.throttles.set(key, now, until);
        self.stats.record_fail_safe_hit();
        span.record("fail_safe", true);
        tracing::warn!(cache = self.name(), key = %crate::logkey::shown(key), throttle = ?throttle, "loader {failed}; serving the expired value (fail-safe)");
        Ok(fallback)
    }
}

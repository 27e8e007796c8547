//! Loads with a time limit (`soft_timeout`, `hard_timeout`): the load runs as a task of its own,
//! joined through single-flight, so a caller that stops waiting leaves it running — it stores
//! its value when it ends, and the callers that come meanwhile join it instead of loading again.
//!
//! A caller with a fallback (a fail-safe value) waits up to the soft timeout (the hard one when
//! no soft one is set), then gets the fallback; a caller without one waits up to the hard
//! timeout, then gets [`LoadTimeout`] as the loader's error. With neither limit, or a soft one
//! only and no fallback, the load runs in the caller, as it does without timeouts.

use super::*;
use crate::error::LoadTimeout;

/// Turns a hard timeout into the loader's error (`E::from`).
pub(crate) type ToError<E> = fn(LoadTimeout) -> E;

/// A function's load time limits.
pub(crate) struct Timeouts<E> {
    /// How long a caller that has a fallback waits for the load.
    pub(crate) soft: Option<Duration>,
    /// How long any caller waits, and how the timeout becomes the loader's error.
    pub(crate) hard: Option<(Duration, ToError<E>)>,
}

impl<E> Default for Timeouts<E> {
    fn default() -> Self {
        Self {
            soft: None,
            hard: None,
        }
    }
}

/// What a caller gets when it stops waiting.
enum GiveUp<T, E> {
    Fallback(T),
    Timeout(Duration, ToError<E>),
}

impl<T, E> CacheCore<T, E>
where
    T: Clone + Send + Sync + 'static,
    E: Send + 'static,
{
    /// A miss's load (as [`CacheCore::load`]) within the function's time limits: past them the
    /// caller gets `fallback`, or a [`LoadTimeout`], while the load goes on.
    pub(crate) async fn load_in_time<F, Fut>(
        self: &Arc<Self>,
        key: &str,
        windows: Windows,
        loader: F,
        fallback: Option<T>,
    ) -> Result<T, E>
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = Result<T, E>> + Send + 'static,
    {
        let fallback_wait = self.timeouts.soft.or(self.timeouts.hard.map(|h| h.0));
        let (limit, give_up) = match (&fallback, fallback_wait, self.timeouts.hard) {
            (Some(v), Some(limit), _) => (limit, GiveUp::Fallback(v.clone())),
            (None, _, Some((hard, to_error))) => (hard, GiveUp::Timeout(hard, to_error)),
            _ => return self.load(key, windows, loader, fallback).await,
        };
        if let Some(v) = self.throttled(key, &fallback) {
            return Ok(v);
        }
        let Ok(runtime) = crate::rt::handle() else {
            return self.load(key, windows, loader, fallback).await;
        };
        let (core, owned_key) = (self.clone(), key.to_owned());
        let load = async move { core.load(&owned_key, windows, loader, fallback).await };
        let mut task = match crate::rt::polled_by_wait() {
            // A blocking caller's loader is sync: it gets a blocking thread.
            true => runtime.spawn_blocking(move || crate::rt::wait(load)),
            false => runtime.spawn(load),
        };
        match crate::rt::within(limit, &mut task).await {
            Some(Ok(result)) => result,
            Some(Err(joined)) if joined.is_panic() => {
                std::panic::resume_unwind(joined.into_panic())
            }
            // Cancelled (its runtime shut down), or too slow.
            Some(Err(_)) | None => self.give_up(key, give_up),
        }
    }

    /// The answer of a caller that stopped waiting: its fallback (counted as a fail-safe hit),
    /// or the timeout as the loader's error.
    fn give_up(&self, key: &str, give_up: GiveUp<T, E>) -> Result<T, E> {
        match give_up {
            GiveUp::Fallback(v) => {
                self.stats.record_fail_safe_hit();
                tracing::debug!(cache = self.name(), key = %crate::logkey::shown(key), "load slower than its timeout; serving the fallback while it goes on");
                Ok(v)
            }
            GiveUp::Timeout(after, to_error) => {
                self.stats.record_error();
                tracing::debug!(cache = self.name(), key = %crate::logkey::shown(key), after = ?after, "load slower than its hard timeout; it goes on");
                Err(to_error(LoadTimeout {
                    function: self.name().to_owned(),
                    after,
                }))
            }
        }
    }
}

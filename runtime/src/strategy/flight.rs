//! Single-flight: concurrent misses of one key make exactly one loader call.
//!
//! The first caller of a key leads and runs its own work; the others wait for its landing. A
//! value reaches every waiter. An error reaches every waiter when the error type can be cloned
//! (see [`ErrorCloner`]); otherwise the leader gets it and its waiters get their work back. A
//! leader that is cancelled or panics abandons the flight and its waiters get their work back;
//! the caches then run the flight again, so one waiter becomes the new leader.

use std::future::Future;

use tokio::sync::watch;

use crate::sync::{Arc, Entry, Map, Mutex, PoisonError};

/// How waiters get a copy of the leader's error: `Some(E::clone)` for cloneable errors.
pub type ErrorCloner<E> = Option<fn(&E) -> E>;

/// What one flight produced, as waiters see it.
enum Landing<T, E> {
    Value(T),
    /// A copy for waiters when the error type can be cloned (behind a mutex, so the landing is
    /// shareable for any `Send` error).
    Error(Option<Mutex<E>>),
}

impl<T: Clone, E> Landing<T, E> {
    /// The leader keeps its own result; waiters get copies.
    fn split(result: Result<T, E>, cloner: ErrorCloner<E>) -> (Arc<Self>, Result<T, E>) {
        match result {
            Ok(v) => (Arc::new(Self::Value(v.clone())), Ok(v)),
            Err(e) => (
                Arc::new(Self::Error(cloner.map(|c| Mutex::new(c(&e))))),
                Err(e),
            ),
        }
    }

    fn for_waiter_with(&self, cloner: ErrorCloner<E>) -> Option<Result<T, E>> {
        match self {
            Self::Value(v) => Some(Ok(v.clone())),
            Self::Error(Some(e)) => {
                let e = e.lock().unwrap_or_else(PoisonError::into_inner);
                cloner.map(|c| Err(c(&e)))
            }
            Self::Error(None) => None,
        }
    }
}

/// What one caller gets from a flight.
pub(crate) enum Outcome<T, E, F> {
    /// The flight's result.
    Done(Result<T, E>),
    /// No shareable result (the leader failed with an uncloneable error, or gave up): here is
    /// your work back, run it yourself.
    Retry(F),
}

type Slot<T, E> = Arc<watch::Sender<Option<Arc<Landing<T, E>>>>>;

/// Single-flight: one run of the work per key at a time, its result shared. Blocking callers
/// use it too, polled by [`crate::wait`] (in a table of their own, see `CacheCore`).
pub(crate) struct Flights<T, E> {
    flights: Map<String, Slot<T, E>>,
}

/// Removes the leader's slot when the leader finishes, is cancelled or panics.
struct Unregister<'a, S> {
    flights: &'a Map<String, Arc<S>>,
    key: &'a str,
    slot: &'a Arc<S>,
}

impl<S> Drop for Unregister<'_, S> {
    fn drop(&mut self) {
        self.flights
            .remove_if(self.key, |_, s| Arc::ptr_eq(s, self.slot));
    }
}

impl<T: Clone, E> Flights<T, E> {
    pub(crate) fn new() -> Self {
        Self {
            flights: Map::new(),
        }
    }

    /// Callers of `key` that arrive from now on do not join the flight under way (it began
    /// before a write); its own waiters still get its result.
    pub(crate) fn detach(&self, key: &str) {
        self.flights.remove(key);
    }

    /// Runs `work` unless a flight for `key` is under way, in which case waits for it.
    pub(crate) async fn run<F, Fut>(
        &self,
        key: &str,
        cloner: ErrorCloner<E>,
        work: F,
    ) -> Outcome<T, E, F>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let joined = match self.flights.entry(key.to_owned()) {
            Entry::Occupied(o) => Err(o.get().subscribe()),
            Entry::Vacant(v) => {
                let slot = Arc::new(watch::Sender::new(None));
                v.insert(slot.clone());
                Ok(slot)
            }
        };
        match joined {
            Ok(slot) => {
                let _unregister = Unregister {
                    flights: &self.flights,
                    key,
                    slot: &slot,
                };
                let (landing, result) = Landing::split(work().await, cloner);
                slot.send_replace(Some(landing));
                Outcome::Done(result)
            }
            Err(mut rx) => {
                let landed = rx.wait_for(Option::is_some).await.ok().and_then(|l| {
                    l.as_ref()
                        .and_then(|landing| landing.for_waiter_with(cloner))
                });
                match landed {
                    Some(result) => Outcome::Done(result),
                    None => Outcome::Retry(work),
                }
            }
        }
    }
}

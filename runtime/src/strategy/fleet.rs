//! One load per key across processes: on a miss, the process that takes a short lock in the
//! shared storage loads; the others wait for its value (polling the storage, up to a bound), then
//! load themselves. The lock is owned by a token, renewed while the load runs, and released on
//! every outcome (a panic or a cancelled call included); a holder that dies leaves a lock that
//! expires within [`FLEET_LOCK_TTL`].

use std::future::Future;
use std::time::{Duration, Instant};

use crate::storage::value::SerdeValue;
use crate::storage::{SharedStorage, StorageResult, lock_entry, lock_token};
use crate::strategy::cache_core::{CacheCore, Lookup, Windows};

/// How long a load lock outlives a holder that stopped renewing it (a killed process).
pub const FLEET_LOCK_TTL: Duration = Duration::from_secs(3);

/// How often the holder renews its lock.
const RENEW_EVERY: Duration = Duration::from_secs(1);

/// The first pause of a waiter between two looks at the storage; it doubles up to
/// [`MAX_PAUSE`].
const FIRST_PAUSE: Duration = Duration::from_millis(5);
const MAX_PAUSE: Duration = Duration::from_millis(50);

/// The default bound of a waiter's wait, after which it loads itself.
pub const DEFAULT_FLEET_WAIT: Duration = Duration::from_secs(10);

/// The settings of fleet-wide single loading.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fleet {
    /// How long a process waits for another one's load before loading itself.
    pub(crate) wait: Duration,
}

/// The key of the load lock of `key`.
fn lock_key(key: &str) -> String {
    crate::key::internal_key("load", key)
}

/// A load lock this process holds: renewed in the background until dropped, then released
/// (in the background too, so that a panic or a cancelled call releases it as well).
struct HeldLock {
    storage: SharedStorage,
    key: String,
    token: String,
    renewer: Option<tokio::task::JoinHandle<()>>,
}

impl HeldLock {
    fn new(storage: SharedStorage, key: String, token: String) -> Self {
        let renewer = crate::rt::background_handle().ok().map(|handle| {
            let (storage, key, token) = (storage.clone(), key.clone(), token.clone());
            handle.spawn(async move {
                loop {
                    tokio::time::sleep(RENEW_EVERY).await;
                    match storage.renew_lock(&key, &token, FLEET_LOCK_TTL).await {
                        Ok(true) => {}
                        // Lost (expired and taken by another) or unreachable: stop renewing.
                        Ok(false) | Err(_) => return,
                    }
                }
            })
        });
        Self {
            storage,
            key,
            token,
            renewer,
        }
    }
}

impl Drop for HeldLock {
    fn drop(&mut self) {
        if let Some(renewer) = self.renewer.take() {
            renewer.abort();
        }
        let (storage, key, token) = (
            self.storage.clone(),
            std::mem::take(&mut self.key),
            std::mem::take(&mut self.token),
        );
        let release = async move {
            if let Err(e) = storage.release_lock(&key, &token).await {
                tracing::debug!(lock = %crate::logkey::shown(&key), error = %e, "load lock not released; it expires");
            }
        };
        if let Ok(handle) = crate::rt::background_handle() {
            handle.spawn(release);
        }
    }
}

/// What an attempt to take the load lock found.
enum Attempt {
    /// This process holds it.
    Taken(HeldLock),
    /// Another process does.
    Busy,
    /// The storage cannot say: load without it.
    Unavailable,
}

impl<T, E> CacheCore<T, E>
where
    T: Clone + Send + Sync + 'static,
{
    fn lock_attempt(&self, lock: &str, taken: StorageResult<bool>, token: String) -> Attempt {
        match taken {
            Ok(true) => Attempt::Taken(HeldLock::new(self.storage.clone(), lock.to_owned(), token)),
            Ok(false) => Attempt::Busy,
            Err(e) => {
                if self.stats.record_storage_failure(&e) {
                    tracing::warn!(cache = self.name(), lock, error = %e, "load lock unavailable; loading without it");
                }
                Attempt::Unavailable
            }
        }
    }

    async fn try_load_lock(&self, lock: &str) -> Attempt {
        let token = lock_token();
        let entry = lock_entry(&token, self.clock.now_millis(), FLEET_LOCK_TTL);
        let taken = self
            .storage
            .set_if_not_exists(lock, entry, &SerdeValue::<String>::new())
            .await;
        self.lock_attempt(lock, taken, token)
    }

    /// Loads `key` once across the fleet: takes the load lock and loads, or waits for the
    /// holder's value (looking again whenever the lock is gone), loading itself after
    /// `fleet.wait` or when the storage cannot be asked.
    pub(crate) async fn load_in_fleet<F, Fut>(
        &self,
        fleet: Fleet,
        key: &str,
        windows: Windows,
        loader: F,
        fallback: Option<T>,
    ) -> Result<T, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let lock = lock_key(key);
        let deadline = Instant::now() + fleet.wait;
        let mut pause = FIRST_PAUSE;
        let _held = loop {
            match self.try_load_lock(&lock).await {
                Attempt::Taken(held) => break Some(held),
                Attempt::Unavailable => break None,
                Attempt::Busy => {}
            }
            // Another process loads: wait for its value while it holds the lock.
            loop {
                if Instant::now() >= deadline {
                    tracing::debug!(cache = self.name(), key = %crate::logkey::shown(key), "fleet wait ended; loading");
                    return self.call_and_store(key, windows, loader, fallback).await;
                }
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(MAX_PAUSE);
                if let Lookup::Fresh(v) | Lookup::Due(v) = self.lookup(key).await {
                    return Ok(v);
                }
                if !self.storage.exists(&lock).await.unwrap_or(false) {
                    break; // its holder is done (without a value) or gone: try to take it
                }
            }
        };
        // The lock's holder may have stored the value just before this process took it.
        if let Lookup::Fresh(v) | Lookup::Due(v) = self.lookup(key).await {
            return Ok(v);
        }
        self.call_and_store(key, windows, loader, fallback).await
    }
}

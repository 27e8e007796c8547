//! The storage abstraction and the storages that are always available.
//!
//! A [`Storage`] is object-safe and type-erased: values travel as [`AnyValue`] together with a
//! [`ValueType`] that knows how to encode and decode them, so one storage serves functions of many
//! value types. [`StorageExt`] adds the typed convenience methods.

mod blocking;
pub(crate) mod breaker;
pub(crate) mod cleanup;
pub(crate) mod codec;
pub(crate) mod entry;
pub(crate) mod env;
pub(crate) mod value;

#[macro_use]
mod setters;
mod chain;
mod deflate;
mod failing;
mod feed;
mod file;
mod frame;
#[cfg(feature = "gcs")]
mod gcs;
mod lock;
mod memory;
#[cfg(any(feature = "s3", feature = "gcs"))]
mod object;
#[cfg(any(feature = "s3", feature = "gcs"))]
mod object_storage;
#[cfg(feature = "redis")]
mod redis;
#[cfg(feature = "s3")]
mod s3;
mod version;

pub use self::blocking::Blocking;
pub(crate) use self::blocking::read_here;
pub use self::breaker::{Admission, BreakerSettings, BreakerState, CircuitBreaker};
pub use self::cleanup::{CleanupTarget, cleanup_all, schedule_cleanups};
pub use self::codec::{Codec, CodecError, UserCodec};
pub use self::entry::{CacheEntry, Freshness};
pub use self::env::{EnvError, expand_env, expand_with};
pub use self::value::{AnyValue, ObjectValue, SerdeValue, ValueType};
pub use chain::{ChainLevel, ChainStorage};
pub use failing::FailingStorage;
pub use feed::ChangeFeed;
pub(crate) use feed::Copies;
pub use file::{FileStorage, FileStorageBuilder};
#[cfg(feature = "gcs")]
#[cfg_attr(docsrs, doc(cfg(feature = "gcs")))]
pub use gcs::{GcsBucket, GcsStorage, GcsStorageBuilder};
pub use lock::lock_entry;
pub(crate) use lock::{holds, lock_token};
pub use memory::MemoryStorage;
#[cfg(any(feature = "s3", feature = "gcs"))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "s3", feature = "gcs"))))]
pub use object_storage::{ObjectBackend, ObjectMetadata, ObjectStorage};
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use redis::{RedisStorage, RedisStorageBuilder};
#[cfg(feature = "s3")]
#[cfg_attr(docsrs, doc(cfg(feature = "s3")))]
pub use s3::{S3Bucket, S3Storage, S3StorageBuilder};
pub use version::Ticket;
pub(crate) use version::{VERSION_LIFE, Versions};

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::clock::{Clock, Millis};

use crate::error::StorageError;

pub use crate::rt::BoxFuture;

/// The result of a storage call.
pub type StorageResult<T> = Result<T, StorageError>;

/// An entry as storages move it: a type-erased value with its timestamps.
pub type AnyEntry = CacheEntry<AnyValue>;

/// A place that keeps cache entries.
///
/// Every operation is async and written once; blocking callers wait on it with
/// [`crate::wait`] (a storage that does no I/O answers at the first poll), or through
/// [`StorageExt::blocking`]. `get_entry` returns stale entries too (the caller decides with
/// [`CacheEntry::freshness`]) but never an expired one.
///
/// ```
/// use advanced_caching::storage::{MemoryStorage, Storage, StorageExt};
/// use std::time::Duration;
/// let storage = MemoryStorage::new(1_000);
/// storage.set_blocking_typed("k", &5u32, Some(Duration::from_secs(60))).unwrap();
/// assert_eq!(storage.get_blocking_typed::<u32>("k").unwrap(), Some(5));
/// assert!(storage.blocking().exists("k").unwrap());
/// ```
pub trait Storage: std::any::Any + Send + Sync {
    /// The storage's kind (`memory`, `redis`, …), for logs and errors.
    fn kind(&self) -> &'static str;

    /// The storage's notion of now, used to stamp entries written through [`StorageExt`].
    fn now(&self) -> Millis {
        crate::clock::SystemClock.now_millis()
    }

    /// Reads an entry that is not expired.
    fn get_entry<'a>(
        &'a self,
        key: &'a str,
        ty: &'a dyn ValueType,
    ) -> BoxFuture<'a, StorageResult<Option<AnyEntry>>>;

    /// Writes an entry (it expires at its `stale_until`) and moves the key's version, so a load
    /// that began before cannot store over it ([`Storage::set_entry_if`]).
    fn set_entry<'a>(
        &'a self,
        key: &'a str,
        entry: AnyEntry,
        ty: &'a dyn ValueType,
    ) -> BoxFuture<'a, StorageResult<()>>;

    /// Removes a key and moves its version; true when something was removed.
    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, StorageResult<bool>>;

    /// True when the key holds an entry that is not expired.
    fn exists<'a>(&'a self, key: &'a str) -> BoxFuture<'a, StorageResult<bool>>;

    /// Writes the entry only when the key holds nothing live; true when this call wrote it.
    /// Atomic where the backend allows.
    fn set_if_not_exists<'a>(
        &'a self,
        key: &'a str,
        entry: AnyEntry,
        ty: &'a dyn ValueType,
    ) -> BoxFuture<'a, StorageResult<bool>>;

    /// Removes expired entries where the backend does not do it itself; returns how many.
    fn cleanup_expired(&self) -> BoxFuture<'_, StorageResult<usize>>;

    /// [`Storage::get_entry`] for a caller that blocks its thread anyway. The one blocking
    /// method: by default it waits on `get_entry`; the Redis storage reads on the caller's
    /// thread through a blocking connection instead, which keeps `redis_get_sync` in the harness
    /// at about the raw blocking client's time.
    fn get_entry_blocking(&self, key: &str, ty: &dyn ValueType) -> StorageResult<Option<AnyEntry>> {
        crate::rt::wait(self.get_entry(key, ty))
    }

    /// Answers a read at once when the storage can do so without I/O (in-memory tiers), so
    /// callers skip the future. `now` is the caller's reading of its clock, by which an in-memory
    /// tier judges expiry, so a hit reads the clock once. `None` means "ask
    /// [`Storage::get_entry`]".
    ///
    /// ```
    /// use advanced_caching::storage::{MemoryStorage, SerdeValue, Storage, StorageExt};
    /// use std::time::Duration;
    /// let storage = MemoryStorage::new(10);
    /// storage.set_blocking_typed("k", &1u8, Some(Duration::from_secs(1))).unwrap();
    /// let ty = SerdeValue::<u8>::new();
    /// let now = storage.now();
    /// assert!(storage.get_entry_now("k", &ty, now).unwrap().unwrap().is_some());
    /// // Judged at a time past the TTL, the entry is gone.
    /// assert!(storage.get_entry_now("k", &ty, now + 5_000).unwrap().unwrap().is_none());
    /// ```
    fn get_entry_now(
        &self,
        _key: &str,
        _ty: &dyn ValueType,
        _now: Millis,
    ) -> Option<StorageResult<Option<AnyEntry>>> {
        None
    }

    /// True when a copy that [`Storage::get_entry_now`] returns may be kept by the caller until
    /// its own expiry: nothing outside this process drops it early (a memory storage, or a chain
    /// whose first level is memory and that is not coherent). A function's memo is kept only
    /// over such a storage.
    ///
    /// ```
    /// use advanced_caching::storage::{MemoryStorage, Storage};
    /// assert!(MemoryStorage::new(10).keeps_copies_until_expiry());
    /// ```
    fn keeps_copies_until_expiry(&self) -> bool {
        false
    }

    /// The versions of `key` now, for a later [`Storage::set_entry_if`]: what a load reads
    /// before it calls its loader. Storages without versions answer [`Ticket::Unversioned`].
    fn ticket<'a>(&'a self, _key: &'a str) -> BoxFuture<'a, StorageResult<Ticket>> {
        Box::pin(std::future::ready(Ok(Ticket::Unversioned)))
    }

    /// Writes `entry` only while the versions of `key` are still `ticket`'s (no insert, delete
    /// or other write of the key since the ticket was read), atomically; true when written. A
    /// conditional write does not move the version itself: it is a load's store, and loads that
    /// began after the same write may all store. [`Ticket::Unknown`] is refused.
    fn set_entry_if<'a>(
        &'a self,
        key: &'a str,
        entry: AnyEntry,
        ty: &'a dyn ValueType,
        ticket: &'a Ticket,
    ) -> BoxFuture<'a, StorageResult<bool>> {
        Box::pin(async move {
            match ticket {
                Ticket::Unknown => Ok(false),
                _ => self.set_entry(key, entry, ty).await.map(|()| true),
            }
        })
    }

    /// The memory storage whose per-key locks order every write of this storage's keys (itself,
    /// or a non-coherent chain's memory L1), for a reader that mirrors it (a function's memo).
    #[doc(hidden)]
    fn ordering_front(&self) -> Option<&MemoryStorage> {
        None
    }

    /// The change feed through which the processes sharing this storage announce the keys they
    /// write and delete (Redis: pub/sub), started on first use; `None` where the storage has
    /// none. Chains with in-memory levels above such a storage drop their copies of keys
    /// other processes changed ([`ChainStorage::coherent`]).
    fn change_feed(&self) -> Option<Arc<ChangeFeed>> {
        None
    }

    /// Deletes the lock `key` only while it holds the token `holder` (a `String` written with
    /// `set_if_not_exists` and [`SerdeValue<String>`]); true when it was deleted. A lock that
    /// expired and was taken by another owner is left alone. Atomic in the memory and Redis
    /// storages; elsewhere a read, a comparison and a delete.
    ///
    /// ```
    /// use advanced_caching::storage::{MemoryStorage, SerdeValue, Storage, StorageExt, lock_entry};
    /// use std::time::Duration;
    /// let storage = MemoryStorage::new(10);
    /// let ty = SerdeValue::<String>::new();
    /// let lock = storage.blocking();
    /// assert!(lock.set_if_not_exists("l", lock_entry("me", storage.now(), Duration::from_secs(5)), &ty).unwrap());
    /// assert!(!lock.release_lock("l", "someone else").unwrap());
    /// assert!(lock.release_lock("l", "me").unwrap());
    /// ```
    fn release_lock<'a>(
        &'a self,
        key: &'a str,
        holder: &'a str,
    ) -> BoxFuture<'a, StorageResult<bool>> {
        Box::pin(async move {
            let held = self.get_entry(key, &SerdeValue::<String>::new()).await?;
            if held.is_some_and(|e| holds(&e, holder)) {
                self.delete(key).await
            } else {
                Ok(false)
            }
        })
    }

    /// Extends the lock `key` to `ttl` from now only while it holds `holder`; true when renewed.
    /// Atomic in the memory and Redis storages; elsewhere a read, a comparison and a write.
    fn renew_lock<'a>(
        &'a self,
        key: &'a str,
        holder: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, StorageResult<bool>> {
        Box::pin(async move {
            let ty = SerdeValue::<String>::new();
            let held = self.get_entry(key, &ty).await?;
            if held.is_some_and(|e| holds(&e, holder)) {
                self.set_entry(key, lock_entry(holder, self.now(), ttl), &ty)
                    .await?;
                Ok(true)
            } else {
                Ok(false)
            }
        })
    }
}

/// A future that is ready at once: what storages that do no I/O return.
fn ready<'a, T: Send + 'a>(value: T) -> BoxFuture<'a, T> {
    Box::pin(std::future::ready(value))
}

/// A storage shared between many cached functions.
pub type SharedStorage = Arc<dyn Storage>;

/// Builds a storage on a given clock (what generated builders keep for their storage overrides).
pub type StorageFactory = Box<dyn FnOnce(crate::clock::SharedClock) -> SharedStorage>;

/// Typed convenience methods on every storage, for serde types.
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use advanced_caching::storage::{MemoryStorage, StorageExt};
/// use std::time::Duration;
/// let storage = MemoryStorage::new(10);
/// storage.set_typed("user:1", &"ada".to_string(), Some(Duration::from_secs(5))).await.unwrap();
/// let name: Option<String> = storage.get_typed("user:1").await.unwrap();
/// assert_eq!(name.as_deref(), Some("ada"));
/// # });
/// ```
pub trait StorageExt: Storage {
    /// Reads a live value (fresh or stale) of type `T`.
    fn get_blocking_typed<T>(&self, key: &str) -> StorageResult<Option<T>>
    where
        T: Serialize + DeserializeOwned + Clone + Send + Sync + 'static,
    {
        crate::rt::wait(self.get_typed(key))
    }

    /// Writes a value of type `T` that lives for `ttl` (`None` = forever).
    fn set_blocking_typed<T>(
        &self,
        key: &str,
        value: &T,
        ttl: Option<Duration>,
    ) -> StorageResult<()>
    where
        T: Serialize + DeserializeOwned + Clone + Send + Sync + 'static,
    {
        crate::rt::wait(self.set_typed(key, value, ttl))
    }

    /// Async [`StorageExt::get_blocking_typed`].
    fn get_typed<'a, T>(&'a self, key: &'a str) -> BoxFuture<'a, StorageResult<Option<T>>>
    where
        T: Serialize + DeserializeOwned + Clone + Send + Sync + 'static,
    {
        Box::pin(async move {
            let entry = self.get_entry(key, &SerdeValue::<T>::new()).await?;
            Ok(entry.and_then(|e| e.value.downcast_ref::<T>().cloned()))
        })
    }

    /// Async [`StorageExt::set_blocking_typed`].
    fn set_typed<'a, T>(
        &'a self,
        key: &'a str,
        value: &T,
        ttl: Option<Duration>,
    ) -> BoxFuture<'a, StorageResult<()>>
    where
        T: Serialize + DeserializeOwned + Clone + Send + Sync + 'static,
    {
        let entry = typed_entry(value, self.now(), ttl);
        Box::pin(async move { self.set_entry(key, entry, &SerdeValue::<T>::new()).await })
    }

    /// The storage's operations for blocking callers: each waits on the async one.
    ///
    /// ```
    /// use advanced_caching::storage::{MemoryStorage, StorageExt};
    /// let storage = MemoryStorage::new(10);
    /// assert!(!storage.blocking().delete("absent").unwrap());
    /// ```
    fn blocking(&self) -> Blocking<'_, Self> {
        Blocking(self)
    }
}

impl<S: Storage + ?Sized> StorageExt for S {}

fn typed_entry<T: Clone + Send + Sync + 'static>(
    value: &T,
    now: Millis,
    ttl: Option<Duration>,
) -> AnyEntry {
    CacheEntry::new(Arc::new(value.clone()) as AnyValue, now, ttl, None)
}

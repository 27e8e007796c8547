//! Write versions: how a load that began before an `insert` or `invalidate` is kept from storing
//! its older value after it (the "stale set" of look-aside caches; memcache answers it with
//! leases, this is the same idea).
//!
//! Every key has a version that only *writes* move: [`Storage::set_entry`] (an insert, a
//! background loader's value) and [`Storage::delete`] (an invalidation, a copy dropped because
//! another process changed the key). A load reads a [`Ticket`] — the versions it sees — *before*
//! it calls the loader, and stores through [`Storage::set_entry_if`], which writes only while the
//! versions are still the ticket's, atomically: under a per-key lock in memory, in one server-side
//! script on Redis. A chain's ticket holds one version per level, so a copy promoted from a lower
//! level into a faster one is refused too when the faster one was written or dropped since.
//!
//! [`Storage::set_entry`]: super::Storage::set_entry
//! [`Storage::delete`]: super::Storage::delete
//! [`Storage::set_entry_if`]: super::Storage::set_entry_if

use std::hash::BuildHasher;
use std::time::Duration;

use crate::sync::{Mutex, PoisonError};

/// How long a version outlives the write that set it where versions expire (Redis). A load
/// whose ticket is older than this does not store: its version may have expired and been set
/// to the same value again.
pub(crate) const VERSION_LIFE: Duration = Duration::from_secs(600);

/// The versions of one key that a read saw, for a later conditional write
/// ([`super::Storage::set_entry_if`]).
///
/// ```
/// use advanced_caching::storage::{lock_entry, MemoryStorage, SerdeValue, Storage, StorageExt};
/// use std::time::Duration;
/// let storage = MemoryStorage::new(10);
/// let ticket = storage.blocking().ticket("k").unwrap(); // read before loading
/// storage.blocking().delete("k").unwrap(); // an invalidation moves the version
/// let loaded = lock_entry("older value", storage.now(), Duration::from_secs(5));
/// let stored = storage.blocking().set_entry_if("k", loaded, &SerdeValue::<String>::new(), &ticket);
/// assert!(!stored.unwrap(), "a load that began before the invalidation does not store");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Ticket {
    /// The storage keeps no versions: a conditional write is a plain write.
    #[default]
    Unversioned,
    /// The storage could not say (it is down): a conditional write is refused, never blind.
    Unknown,
    /// The version of the key (0: never written, or its version expired).
    Version(u64),
    /// One ticket per level of a chain, fastest first.
    Levels(Vec<Ticket>),
}

/// Keys hash to one of this many stripes; a write to any key of a stripe moves the stripe's
/// version, so a load racing it on another key of the stripe skips its store (its value is still
/// returned). 4,096 stripes keep such false conflicts rare at 32 KiB per memory storage.
const STRIPES: usize = 4096;

/// The versions of an in-memory storage's keys: striped counters, each behind the lock that a
/// write of its keys holds while it compares, writes and moves the version.
pub(crate) struct Versions {
    stripes: Box<[Mutex<u64>]>,
    hasher: std::hash::RandomState,
}

impl std::fmt::Debug for Versions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Versions").finish_non_exhaustive()
    }
}

impl Default for Versions {
    fn default() -> Self {
        Self::striped(STRIPES)
    }
}

impl Versions {
    /// Versions over `stripes` counters (rounded up to a power of two).
    pub(crate) fn striped(stripes: usize) -> Self {
        Self {
            stripes: (0..stripes.next_power_of_two())
                .map(|_| Mutex::new(0))
                .collect(),
            hasher: std::hash::RandomState::new(),
        }
    }

    fn stripe(&self, key: &str) -> &Mutex<u64> {
        // The mask keeps the index in range: the number of stripes is a power of two.
        &self.stripes[(self.hasher.hash_one(key) as usize) & (self.stripes.len() - 1)]
    }

    /// The version of `key` now.
    pub(crate) fn current(&self, key: &str) -> u64 {
        *self
            .stripe(key)
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs the write `f` of `key` and moves its version, under its lock.
    pub(crate) fn write<R>(&self, key: &str, f: impl FnOnce() -> R) -> R {
        let mut version = self
            .stripe(key)
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        *version = version.wrapping_add(1);
        f()
    }

    /// Runs `f` under the lock of `key` only while its version is `seen`; `None` when it moved.
    pub(crate) fn if_unchanged<R>(&self, key: &str, seen: u64, f: impl FnOnce() -> R) -> Option<R> {
        let version = self
            .stripe(key)
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        (*version == seen).then(f)
    }

    /// Runs `f` under the lock of `key` (writes of it wait): what a reader that mirrors the
    /// storage (a function's memo) holds while it copies the key's entry.
    pub(crate) fn locked<R>(&self, key: &str, f: impl FnOnce() -> R) -> R {
        let _version = self
            .stripe(key)
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        f()
    }

    /// Moves every version (the whole storage was cleared).
    pub(crate) fn write_all(&self, f: impl FnOnce()) {
        let mut held: Vec<_> = self
            .stripes
            .iter()
            .map(|s| s.lock().unwrap_or_else(PoisonError::into_inner))
            .collect();
        for version in &mut held {
            **version = version.wrapping_add(1);
        }
        f();
    }
}

//! The in-memory storage: bounded, per-entry TTL, decoded values.

use std::fmt;
use std::time::Duration;

use compact_str::CompactString;
use quick_cache::sync::{Cache, EntryAction, EntryResult};

use super::{AnyEntry, BoxFuture, Storage, StorageResult, Ticket, Versions, ready};
use crate::clock::{Millis, SharedClock, system_clock};
use crate::storage::entry::CacheEntry;
use crate::storage::value::{AnyValue, ValueType};

/// "Never" in a [`Slot`].
const NEVER: Millis = Millis::MAX;

/// An entry as the memory storage keeps it: timestamps without `Option`, 48 bytes instead of 80,
/// so more of the table stays in the CPU caches (measured by the `mem_hit` cases of the harness).
/// The fail-safe window is kept as its length past `stale_until` (0: none; at most `u32::MAX`
/// ms, 49 days), and the load time as its milliseconds (0: not recorded).
#[derive(Clone)]
struct Slot {
    value: AnyValue,
    created_at: Millis,
    fresh_until: Millis,
    stale_until: Millis,
    fallback_after: u32,
    load_millis: u32,
}

impl Slot {
    fn new(entry: AnyEntry) -> Self {
        Self {
            value: entry.value,
            created_at: entry.created_at,
            fresh_until: entry.fresh_until.unwrap_or(NEVER),
            stale_until: entry.stale_until.unwrap_or(NEVER),
            fallback_after: match (entry.fallback_until, entry.stale_until) {
                (Some(f), Some(s)) => u32::try_from(f.saturating_sub(s)).unwrap_or(u32::MAX),
                // An entry that is never stale-expired needs no fallback window.
                _ => 0,
            },
            load_millis: entry.load_millis.unwrap_or(0),
        }
    }

    /// The end of the fail-safe window (`stale_until` when there is none).
    fn fallback_until(&self) -> Millis {
        self.stale_until
            .saturating_add(Millis::from(self.fallback_after))
    }

    /// Past every window (the same rule as [`CacheEntry::is_expired`]).
    fn is_expired(&self, now: Millis) -> bool {
        now >= self.fresh_until && now >= self.stale_until && now >= self.fallback_until()
    }

    fn into_entry(self) -> AnyEntry {
        let opt = |m: Millis| (m != NEVER).then_some(m);
        let fallback_until = (self.fallback_after != 0).then(|| self.fallback_until());
        CacheEntry {
            value: self.value,
            created_at: self.created_at,
            fresh_until: opt(self.fresh_until),
            stale_until: opt(self.stale_until),
            fallback_until,
            load_millis: (self.load_millis != 0).then_some(self.load_millis),
        }
    }
}

/// A bounded, thread-safe in-memory storage that holds decoded values, so a hit never
/// deserializes. One instance can serve many functions of different value types.
///
/// Eviction is S3-FIFO (through `quick_cache`): scan-resistant, with a hit ratio close to LRU and
/// reads that take only a shard read lock. Expired entries are dropped when read and by
/// [`Storage::cleanup_expired`]; a full storage evicts before it grows past `max_entries`.
///
/// ```
/// use advanced_caching::storage::{MemoryStorage, StorageExt};
/// let storage = MemoryStorage::new(2);
/// for i in 0..10u32 {
///     storage.set_blocking_typed(&format!("k{i}"), &i, None).unwrap();
/// }
/// assert!(storage.len() <= 2);
/// ```
pub struct MemoryStorage {
    entries: Cache<CompactString, Slot>,
    clock: SharedClock,
    max_entries: usize,
    /// The write versions of its keys (and the per-key locks writes take).
    versions: Versions,
}

impl fmt::Debug for MemoryStorage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryStorage")
            .field("len", &self.entries.len())
            .field("max_entries", &self.max_entries)
            .finish()
    }
}

impl MemoryStorage {
    /// A storage of at most `max_entries` entries (at least 1) on the system clock.
    pub fn new(max_entries: usize) -> Self {
        Self::with_clock(max_entries, system_clock())
    }

    /// A storage of at most `max_entries` entries that reads time from `clock`.
    ///
    /// ```
    /// use advanced_caching::{clock::ManualClock, storage::MemoryStorage};
    /// use std::sync::Arc;
    /// let storage = MemoryStorage::with_clock(100, Arc::new(ManualClock::new(0)));
    /// assert_eq!(storage.max_entries(), 100);
    /// ```
    pub fn with_clock(max_entries: usize, clock: SharedClock) -> Self {
        let max_entries = max_entries.max(1);
        Self {
            entries: bounded_cache(max_entries),
            clock,
            max_entries,
            versions: Versions::default(),
        }
    }

    /// Removes `key` and moves its version (what [`Storage::delete`] does, without a future);
    /// true when something was removed.
    pub(crate) fn remove(&self, key: &str) -> bool {
        self.versions
            .write(key, || self.entries.remove(key).is_some())
    }

    /// How many entries are held now (expired ones included until they are cleaned up).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when nothing is held.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The bound given at construction.
    pub fn max_entries(&self) -> usize {
        self.max_entries
    }

    /// Removes every entry (and moves every key's version: no load that began before stores).
    pub fn clear(&self) {
        self.versions.write_all(|| self.entries.clear());
    }

    /// The per-key write versions, and their locks.
    pub(crate) fn versions(&self) -> &Versions {
        &self.versions
    }

    fn insert_slot(&self, key: &str, entry: AnyEntry) {
        self.entries
            .insert(CompactString::from(key), Slot::new(entry));
    }

    /// The entry of `key` unless it is expired at `now` (an expired one is dropped).
    #[inline]
    pub(crate) fn live(&self, key: &str, now: Millis) -> Option<AnyEntry> {
        let slot = self.entries.get(key)?;
        if slot.is_expired(now) {
            self.entries.remove_if(key, |s: &Slot| s.is_expired(now));
            return None;
        }
        Some(slot.into_entry())
    }
}

/// `quick_cache` splits its capacity over shards and rounds each shard up; build it so the shards
/// add up to at most `max_entries`, which makes the bound hard.
fn bounded_cache(max_entries: usize) -> Cache<CompactString, Slot> {
    let probe: Cache<CompactString, Slot> = Cache::new(max_entries);
    let shards = probe.num_shards().max(1) as u64;
    let max = max_entries as u64;
    if probe.shard_capacity().saturating_mul(shards) <= max {
        return probe;
    }
    let per_shard = (max / shards).max(1);
    let capacity = per_shard * shards;
    if capacity > max {
        // Fewer entries than shards: one shard keeps the bound exact.
        return Cache::with(
            max_entries,
            max,
            Default::default(),
            Default::default(),
            Default::default(),
        );
    }
    Cache::with(
        capacity as usize,
        capacity,
        Default::default(),
        Default::default(),
        Default::default(),
    )
}

impl Storage for MemoryStorage {
    fn kind(&self) -> &'static str {
        "memory"
    }

    fn now(&self) -> Millis {
        self.clock.now_millis()
    }

    // Every operation is answered in the call: the future it returns is ready.
    fn get_entry<'a>(
        &'a self,
        key: &'a str,
        _ty: &'a dyn ValueType,
    ) -> BoxFuture<'a, StorageResult<Option<AnyEntry>>> {
        ready(Ok(self.live(key, self.clock.now_millis())))
    }

    fn get_entry_now(
        &self,
        key: &str,
        _ty: &dyn ValueType,
        now: Millis,
    ) -> Option<StorageResult<Option<AnyEntry>>> {
        Some(Ok(self.live(key, now)))
    }

    fn keeps_copies_until_expiry(&self) -> bool {
        true
    }

    fn set_entry<'a>(
        &'a self,
        key: &'a str,
        entry: AnyEntry,
        _ty: &'a dyn ValueType,
    ) -> BoxFuture<'a, StorageResult<()>> {
        self.versions.write(key, || self.insert_slot(key, entry));
        ready(Ok(()))
    }

    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, StorageResult<bool>> {
        ready(Ok(self.remove(key)))
    }

    fn ticket<'a>(&'a self, key: &'a str) -> BoxFuture<'a, StorageResult<Ticket>> {
        ready(Ok(Ticket::Version(self.versions.current(key))))
    }

    fn set_entry_if<'a>(
        &'a self,
        key: &'a str,
        entry: AnyEntry,
        _ty: &'a dyn ValueType,
        ticket: &'a Ticket,
    ) -> BoxFuture<'a, StorageResult<bool>> {
        let written = match ticket {
            Ticket::Version(seen) => self
                .versions
                .if_unchanged(key, *seen, || self.insert_slot(key, entry))
                .is_some(),
            // Not a ticket of this storage's (a backfill after a lock): a plain write.
            Ticket::Unversioned => {
                self.versions.write(key, || self.insert_slot(key, entry));
                true
            }
            Ticket::Unknown | Ticket::Levels(_) => false,
        };
        ready(Ok(written))
    }

    fn ordering_front(&self) -> Option<&MemoryStorage> {
        Some(self)
    }

    fn exists<'a>(&'a self, key: &'a str) -> BoxFuture<'a, StorageResult<bool>> {
        ready(Ok(self.live(key, self.clock.now_millis()).is_some()))
    }

    fn set_if_not_exists<'a>(
        &'a self,
        key: &'a str,
        entry: AnyEntry,
        _ty: &'a dyn ValueType,
    ) -> BoxFuture<'a, StorageResult<bool>> {
        let now = self.clock.now_millis();
        let outcome = self
            .entries
            .entry(&CompactString::from(key), None, |_, held: &mut Slot| {
                if held.is_expired(now) {
                    EntryAction::ReplaceWithGuard
                } else {
                    EntryAction::Retain(())
                }
            });
        ready(Ok(match outcome {
            EntryResult::Retained(()) | EntryResult::Timeout => false,
            EntryResult::Removed(..) => false,
            // The shard lock was released between the decision and the insert, but the
            // placeholder guard holds the key: a racing writer waits on it, so one caller wins.
            EntryResult::Vacant(guard) | EntryResult::Replaced(guard, _) => {
                guard.insert(Slot::new(entry)).is_ok()
            }
        }))
    }

    fn release_lock<'a>(
        &'a self,
        key: &'a str,
        holder: &'a str,
    ) -> BoxFuture<'a, StorageResult<bool>> {
        let now = self.clock.now_millis();
        let removed = self.entries.remove_if(key, |slot: &Slot| {
            !slot.is_expired(now)
                && slot
                    .value
                    .downcast_ref::<String>()
                    .is_some_and(|h| h == holder)
        });
        ready(Ok(removed.is_some()))
    }

    fn renew_lock<'a>(
        &'a self,
        key: &'a str,
        holder: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, StorageResult<bool>> {
        let now = self.clock.now_millis();
        let renewed = Slot::new(super::lock_entry(holder, now, ttl));
        let outcome = self
            .entries
            .entry(&CompactString::from(key), None, |_, held: &mut Slot| {
                let ours = !held.is_expired(now)
                    && held
                        .value
                        .downcast_ref::<String>()
                        .is_some_and(|h| h == holder);
                if ours {
                    *held = renewed.clone();
                    EntryAction::Retain(true)
                } else {
                    EntryAction::Retain(false)
                }
            });
        ready(Ok(matches!(outcome, EntryResult::Retained(true))))
    }

    fn cleanup_expired(&self) -> BoxFuture<'_, StorageResult<usize>> {
        let now = self.clock.now_millis();
        let before = self.entries.len();
        self.entries.retain(|_, e| !e.is_expired(now));
        ready(Ok(before.saturating_sub(self.entries.len())))
    }
}

//! Lock entries: what a fleet-wide load or an SWR refresh stores to say who holds a key's lock.

use std::sync::Arc;
use std::time::Duration;

use super::{AnyEntry, AnyValue, CacheEntry};
use crate::clock::Millis;

/// The entry of a lock held by `holder` for `ttl` from `now` (store it with
/// [`SerdeValue<String>`](super::SerdeValue)).
///
/// ```
/// use advanced_caching::storage::lock_entry;
/// let entry = lock_entry("owner-1", 1_000, std::time::Duration::from_secs(2));
/// assert_eq!(entry.fresh_until, Some(3_000));
/// ```
pub fn lock_entry(holder: &str, now: Millis, ttl: Duration) -> AnyEntry {
    CacheEntry::new(
        Arc::new(holder.to_owned()) as AnyValue,
        now,
        Some(ttl),
        None,
    )
}

/// A token that names one lock holder: unique across processes (pid, time) and within one.
pub(crate) fn lock_token() -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!(
        "{}-{nanos}-{}",
        std::process::id(),
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    )
}

/// True when the lock entry `entry` names `holder`.
pub(crate) fn holds(entry: &AnyEntry, holder: &str) -> bool {
    entry
        .value
        .downcast_ref::<String>()
        .is_some_and(|h| h == holder)
}

//! The stored unit: a value with its timestamps.

use std::time::Duration;

use crate::clock::{Millis, duration_millis};

/// A cached value with the times that decide whether it is fresh, stale or gone.
///
/// `fresh_until` ends the TTL; `stale_until` ends the stale-while-revalidate window (equal to
/// `fresh_until` for plain TTL entries). `None` means "never".
///
/// ```
/// use advanced_caching::storage::{CacheEntry, Freshness};
/// use std::time::Duration;
/// let e = CacheEntry::new(7, 1_000, Some(Duration::from_secs(1)), Some(Duration::from_secs(2)));
/// assert_eq!(e.freshness(1_500), Freshness::Fresh);
/// assert_eq!(e.freshness(2_500), Freshness::Stale);
/// assert_eq!(e.freshness(4_000), Freshness::Expired);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CacheEntry<V> {
    /// The cached value.
    pub value: V,
    /// When the value was stored.
    pub created_at: Millis,
    /// Until when the value is fresh; `None` = forever.
    pub fresh_until: Option<Millis>,
    /// Until when a stale value may still be served; `None` = forever.
    pub stale_until: Option<Millis>,
    /// Past every window, until when the value is still kept as a fail-safe fallback (served
    /// only when a load fails); `None` = no fallback window.
    #[serde(default)]
    pub fallback_until: Option<Millis>,
    /// How long the load that produced the value took, in milliseconds, where it is kept
    /// (`early_refresh = "xfetch"` scales its early refreshes by it); `None` = not recorded.
    #[serde(default)]
    pub load_millis: Option<u32>,
}

/// Where an entry stands at a given time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// Within its TTL.
    Fresh,
    /// Past its TTL but within its stale window: serve it and refresh.
    Stale,
    /// Past its TTL and stale window, within its fail-safe window: a miss, whose value is
    /// served only if the load fails.
    Fallback,
    /// Past every window: gone.
    Expired,
}

impl<V> CacheEntry<V> {
    /// An entry created at `now` that is fresh for `ttl` and then stale for `stale` more.
    /// `ttl = None` never expires.
    pub fn new(value: V, now: Millis, ttl: Option<Duration>, stale: Option<Duration>) -> Self {
        let fresh_until = ttl.map(|t| now.saturating_add(duration_millis(t)));
        let stale_until = fresh_until.map(|f| f.saturating_add(stale.map_or(0, duration_millis)));
        Self {
            value,
            created_at: now,
            fresh_until,
            stale_until,
            fallback_until: None,
            load_millis: None,
        }
    }

    /// The entry remembering how long its load took (`None`: not recorded), in whole
    /// milliseconds, at least 1 and at most `u32::MAX`.
    ///
    /// ```
    /// use advanced_caching::storage::CacheEntry;
    /// use std::time::Duration;
    /// let e = CacheEntry::new(7, 0, Some(Duration::from_secs(1)), None)
    ///     .with_load_time(Some(Duration::from_millis(50)));
    /// assert_eq!(e.load_millis, Some(50));
    /// ```
    pub fn with_load_time(mut self, took: Option<Duration>) -> Self {
        self.load_millis = took.map(|t| u32::try_from(t.as_millis()).unwrap_or(u32::MAX).max(1));
        self
    }

    /// The entry kept `fail_safe` longer past its last window as a fallback (`fail_safe`).
    ///
    /// ```
    /// use advanced_caching::storage::{CacheEntry, Freshness};
    /// use std::time::Duration;
    /// let e = CacheEntry::new(7, 0, Some(Duration::from_secs(1)), None)
    ///     .with_fallback(Some(Duration::from_secs(60)));
    /// assert_eq!(e.freshness(30_000), Freshness::Fallback);
    /// assert_eq!(e.freshness(61_000), Freshness::Expired);
    /// ```
    pub fn with_fallback(mut self, fail_safe: Option<Duration>) -> Self {
        self.fallback_until = match (fail_safe, self.stale_until) {
            (Some(keep), Some(last)) => Some(last.saturating_add(duration_millis(keep))),
            _ => None,
        };
        self
    }

    /// Where this entry stands at `now`.
    pub fn freshness(&self, now: Millis) -> Freshness {
        if self.fresh_until.is_none_or(|f| now < f) {
            Freshness::Fresh
        } else if self.stale_until.is_none_or(|s| now < s) {
            Freshness::Stale
        } else if self.fallback_until.is_some_and(|f| now < f) {
            Freshness::Fallback
        } else {
            Freshness::Expired
        }
    }

    /// True while the value is within its TTL.
    pub fn is_fresh(&self, now: Millis) -> bool {
        self.freshness(now) == Freshness::Fresh
    }

    /// True once the entry is past every window and must not be served.
    pub fn is_expired(&self, now: Millis) -> bool {
        self.freshness(now) == Freshness::Expired
    }

    /// When the entry must be gone from a storage (the end of its stale or fail-safe window,
    /// whichever is later), the instant remote TTLs use.
    pub fn expires_at(&self) -> Option<Millis> {
        self.stale_until
            .map(|s| self.fallback_until.map_or(s, |f| f.max(s)))
    }

    /// How long the entry still lives at `now`: the TTL a remote storage sets. `None` = forever.
    pub fn time_to_live(&self, now: Millis) -> Option<Duration> {
        self.expires_at()
            .map(|s| Duration::from_millis(s.saturating_sub(now)))
    }

    /// The same timestamps around another value.
    pub fn map<U>(self, f: impl FnOnce(V) -> U) -> CacheEntry<U> {
        CacheEntry {
            value: f(self.value),
            created_at: self.created_at,
            fresh_until: self.fresh_until,
            stale_until: self.stale_until,
            fallback_until: self.fallback_until,
            load_millis: self.load_millis,
        }
    }
}

//! One level of a chain: a storage and a cap on how long copies live there.

use super::*;

/// One level of a [`ChainStorage`]: a storage and an optional cap on how long copies live there.
///
/// ```
/// use advanced_caching::storage::{ChainLevel, MemoryStorage};
/// use std::{sync::Arc, time::Duration};
/// let l1 = ChainLevel::new(Arc::new(MemoryStorage::new(1_000))).ttl_cap(Duration::from_secs(60));
/// assert_eq!(l1.cap(), Some(Duration::from_secs(60)));
/// ```
#[derive(Clone)]
pub struct ChainLevel {
    pub(super) storage: SharedStorage,
    pub(super) cap: Option<Duration>,
    /// The level's name in log lines (the storage's name in `cache.toml`).
    pub(super) name: Option<String>,
}

impl ChainLevel {
    /// A level that keeps copies as long as the entry itself lives.
    pub fn new(storage: SharedStorage) -> Self {
        Self {
            storage,
            cap: None,
            name: None,
        }
    }

    /// Names the level in log lines (generated code gives the storage's name in `cache.toml`).
    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Copies at this level live at most `cap`.
    pub fn ttl_cap(mut self, cap: Duration) -> Self {
        self.cap = Some(cap);
        self
    }

    /// The level's cap (`None`: the entry's own TTL).
    pub fn cap(&self) -> Option<Duration> {
        self.cap
    }

    /// The level's storage.
    pub fn storage(&self) -> &SharedStorage {
        &self.storage
    }

    /// `entry` as this level keeps it: its windows end no later than `now + cap`.
    pub(super) fn capped(&self, entry: &AnyEntry, now: Millis) -> AnyEntry {
        let mut copy = entry.clone();
        if let Some(cap) = self.cap {
            let limit = now.saturating_add(duration_millis(cap));
            let stale = copy.stale_until.map_or(limit, |s| s.min(limit));
            copy.stale_until = Some(stale);
            copy.fresh_until = Some(copy.fresh_until.map_or(stale, |f| f.min(stale)));
            // A fail-safe window is a copy's life too: the cap bounds it.
            copy.fallback_until = copy.fallback_until.map(|f| f.min(limit));
        }
        copy
    }
}

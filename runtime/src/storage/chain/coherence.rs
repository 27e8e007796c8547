//! Keeping a chain's in-memory copies coherent across processes: the change feed of a shared
//! level below them, and the read plan it dictates.

use super::*;

/// How a coherent chain keeps its in-memory copies true to a shared level.
pub(super) struct Coherence {
    pub(super) feed: Arc<ChangeFeed>,
    /// The index of the shared level; every level before it is in memory.
    pub(super) shared: usize,
    /// Registered with the feed, which drops their entries; kept alive here.
    pub(super) _copies: Arc<Copies>,
}

impl ChainStorage {
    /// Keeps the in-memory levels coherent across processes: when another process writes or
    /// deletes a key in the first shared level below them that has a change feed (Redis), this
    /// process drops its copies within milliseconds; while the feed is disconnected, reads go
    /// to the shared level first (copies answer only when it cannot). Unchanged when no level
    /// has a feed, or a level above it is not in memory (logged).
    ///
    /// ```
    /// use advanced_caching::storage::{ChainStorage, MemoryStorage};
    /// use std::{sync::Arc, time::Duration};
    /// let l1 = Arc::new(MemoryStorage::new(100));
    /// let l2 = Arc::new(MemoryStorage::new(100)); // a RedisStorage in a real deployment
    /// let hybrid = ChainStorage::hybrid(l1, l2, Duration::from_secs(60), None).coherent();
    /// assert!(!hybrid.is_coherent(), "memory has no change feed");
    /// ```
    pub fn coherent(mut self) -> Self {
        let Some((shared, feed)) = self
            .levels
            .iter()
            .enumerate()
            .skip(1)
            .find_map(|(i, l)| Some((i, l.storage.change_feed()?)))
        else {
            tracing::warn!(
                storage = self.kind,
                "no level announces changes; the copies stay as they are"
            );
            return self;
        };
        let memory: Option<Vec<Arc<MemoryStorage>>> = self.levels[..shared]
            .iter()
            .map(|l| {
                let any: Arc<dyn Any + Send + Sync> = l.storage.clone();
                any.downcast::<MemoryStorage>().ok()
            })
            .collect();
        let Some(levels) = memory else {
            tracing::warn!(
                storage = self.kind,
                "only in-memory levels above a shared one can be kept coherent"
            );
            return self;
        };
        let copies = Arc::new(Copies { levels });
        feed.watch(&copies);
        self.coherence = Some(Coherence {
            feed,
            shared,
            _copies: copies,
        });
        self
    }

    /// True when the chain's in-memory copies follow a change feed.
    pub fn is_coherent(&self) -> bool {
        self.coherence.is_some()
    }

    /// The first level a read asks (past the untrusted copies while the feed is down), and the
    /// feed's epoch before the read (a copy is promoted only if nothing moved since).
    pub(super) fn read_plan(&self) -> (usize, Option<u64>) {
        match &self.coherence {
            None => (0, None),
            Some(c) if !c.feed.trusted() => (c.shared, None),
            Some(c) => (0, Some(c.feed.epoch())),
        }
    }

    /// True when a copy read under `epoch` may be promoted to the faster levels.
    pub(super) fn may_promote(&self, epoch: Option<u64>) -> bool {
        match &self.coherence {
            None => true,
            Some(c) => epoch.is_some_and(|e| c.feed.unchanged_since(e)),
        }
    }
}

/// Keeps the first error of several level operations.
/// The levels a read asks, in order: from `start` down, then the ones above it (asked only as a
/// fallback).
pub(super) fn read_order(start: usize, levels: usize) -> impl Iterator<Item = usize> {
    (start..levels).chain(0..start)
}

//! The change feed of a shared storage: how processes that keep in-memory copies of its entries
//! (the L1 of a hybrid or chain) learn that another process wrote or removed a key.
//!
//! A shared storage that can broadcast (Redis, through pub/sub) announces every key it writes or
//! deletes, tagged with the announcing process's origin; each process drops its copies of keys
//! announced by others (never reacting to its own). While the feed is not connected — before the
//! first subscription, and from a lost connection until it is back — announcements may be missed,
//! so the copies are *untrusted*: chains read the shared level first and fall back to their
//! copies only when it cannot answer; when the feed is back, every copy is dropped.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};

use super::MemoryStorage;

/// The in-memory levels of one chain that keep copies of a shared storage's entries.
#[derive(Debug)]
pub(crate) struct Copies {
    pub(crate) levels: Vec<Arc<MemoryStorage>>,
}

/// The change feed of one shared storage in this process.
///
/// ```
/// use advanced_caching::storage::ChangeFeed;
/// let feed = ChangeFeed::new();
/// assert!(!feed.trusted(), "untrusted until its subscription is up");
/// feed.connected();
/// assert!(feed.trusted());
/// ```
#[derive(Debug)]
pub struct ChangeFeed {
    origin: String,
    trusted: AtomicBool,
    /// Moves on every announcement received and every change of trust: a copy read from the
    /// shared storage before a move may be older than what was announced, and is not kept.
    epoch: AtomicU64,
    watchers: Mutex<Vec<Weak<Copies>>>,
}

impl Default for ChangeFeed {
    fn default() -> Self {
        Self::new()
    }
}

impl ChangeFeed {
    /// A feed, untrusted until [`ChangeFeed::connected`]; its origin is unique to it.
    pub fn new() -> Self {
        Self {
            origin: crate::storage::lock_token(),
            trusted: AtomicBool::new(false),
            epoch: AtomicU64::new(0),
            watchers: Mutex::new(Vec::new()),
        }
    }

    /// The tag of this process's announcements.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// True while the feed is connected: no announcement can have been missed.
    pub fn trusted(&self) -> bool {
        self.trusted.load(Ordering::Acquire)
    }

    /// The current epoch (see [`ChangeFeed::unchanged_since`]).
    pub(crate) fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    /// True when nothing was announced, and trust did not change, since `epoch` was read, and
    /// the feed is trusted: a copy read in between may be kept.
    pub(crate) fn unchanged_since(&self, epoch: u64) -> bool {
        self.trusted() && self.epoch() == epoch
    }

    pub(crate) fn watch(&self, copies: &Arc<Copies>) {
        let mut watchers = self.watchers.lock().unwrap_or_else(PoisonError::into_inner);
        watchers.retain(|w| w.strong_count() > 0);
        watchers.push(Arc::downgrade(copies));
    }

    fn each_copy(&self, f: impl Fn(&MemoryStorage)) {
        let watchers = self.watchers.lock().unwrap_or_else(PoisonError::into_inner);
        for copies in watchers.iter().filter_map(Weak::upgrade) {
            copies.levels.iter().for_each(|level| f(level));
        }
    }

    /// An announcement from `origin`: unless it is this feed's own, every copy of `key` goes.
    pub fn announced(&self, origin: &str, key: &str) {
        if origin == self.origin {
            return;
        }
        self.epoch.fetch_add(1, Ordering::AcqRel);
        self.each_copy(|level| {
            level.remove(key);
        });
        tracing::trace!(key = %crate::logkey::shown(key), "dropped the copies another process changed");
    }

    /// The subscription is up: announcements missed before are unknown, so every copy goes,
    /// then copies are trusted again.
    pub fn connected(&self) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
        self.each_copy(MemoryStorage::clear);
        if !self.trusted.swap(true, Ordering::AcqRel) {
            tracing::debug!("change feed connected; in-memory copies trusted");
        }
    }

    /// The subscription is lost: copies are untrusted until it is back.
    pub fn lost(&self) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
        if self.trusted.swap(false, Ordering::AcqRel) {
            tracing::warn!("change feed lost; in-memory copies are bypassed until it reconnects");
        }
    }
}

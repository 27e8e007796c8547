//! Composite storages: a chain of levels, fastest first, and the hybrid L1/L2 special case.

use std::any::Any;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::{
    AnyEntry, BoxFuture, ChangeFeed, Copies, MemoryStorage, SharedStorage, Storage, StorageResult,
    Ticket,
};
use crate::clock::{Clock, Millis, duration_millis};
use crate::error::StorageError;
use crate::storage::value::ValueType;

mod coherence;
mod level;
mod ops;

use self::coherence::{Coherence, read_order};
pub use self::level::ChainLevel;
use self::ops::{finish, first_error};

/// Levels of storages, fastest first (memory → Redis → S3, say).
///
/// - writes go through every level, deepest first, each copy capped by the level's TTL cap;
/// - a read asks the levels in order and promotes a hit to every faster level, unless that
///   level was written or dropped since the read began (its [`Ticket`]);
/// - `set_if_not_exists` is decided by the deepest level, then backfilled upward on success;
/// - a failing level is reported, and the other levels still serve and take writes.
///
/// A hybrid storage is a chain of two: [`ChainStorage::hybrid`].
///
/// ```
/// use advanced_caching::storage::{ChainLevel, ChainStorage, MemoryStorage, Storage, StorageExt};
/// use std::{sync::Arc, time::Duration};
/// let fast = Arc::new(MemoryStorage::new(100));
/// let slow = Arc::new(MemoryStorage::new(10_000));
/// let chain = ChainStorage::new(vec![
///     ChainLevel::new(fast.clone()).ttl_cap(Duration::from_secs(10)),
///     ChainLevel::new(slow.clone()),
/// ]);
/// slow.set_blocking_typed("k", &1u8, None).unwrap();
/// assert_eq!(chain.get_blocking_typed::<u8>("k").unwrap(), Some(1));
/// assert!(fast.blocking().exists("k").unwrap()); // promoted
/// ```
pub struct ChainStorage {
    levels: Vec<ChainLevel>,
    /// The first level when it is a [`MemoryStorage`], so an L1 hit is a direct call.
    memory_l1: Option<Arc<MemoryStorage>>,
    kind: &'static str,
    coherence: Option<Coherence>,
}

impl fmt::Debug for ChainStorage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let levels: Vec<_> = self
            .levels
            .iter()
            .map(|l| (l.storage.kind(), l.cap))
            .collect();
        f.debug_struct("ChainStorage")
            .field("kind", &self.kind)
            .field("levels", &levels)
            .finish()
    }
}

impl ChainStorage {
    /// A chain of `levels`, fastest first. An empty chain holds nothing.
    pub fn new(levels: Vec<ChainLevel>) -> Self {
        let memory_l1 = levels.first().and_then(|l| {
            let any: Arc<dyn Any + Send + Sync> = l.storage.clone();
            any.downcast::<MemoryStorage>().ok()
        });
        Self {
            levels,
            memory_l1,
            kind: "chain",
            coherence: None,
        }
    }

    /// The hybrid storage: `l1` (usually memory) in front of `l2` (usually Redis). Copies in L1
    /// live at most `l1_ttl`, copies in L2 at most `l2_ttl` (default 2 × `l1_ttl`); an L1 miss
    /// that hits L2 repopulates L1.
    ///
    /// ```
    /// use advanced_caching::storage::{ChainStorage, MemoryStorage, Storage};
    /// use std::{sync::Arc, time::Duration};
    /// let hot = ChainStorage::hybrid(
    ///     Arc::new(MemoryStorage::new(1_000)),
    ///     Arc::new(MemoryStorage::new(100_000)),
    ///     Duration::from_secs(60),
    ///     None,
    /// );
    /// assert_eq!(hot.kind(), "hybrid");
    /// assert_eq!(hot.levels()[1].cap(), Some(Duration::from_secs(120)));
    /// ```
    pub fn hybrid(
        l1: SharedStorage,
        l2: SharedStorage,
        l1_ttl: Duration,
        l2_ttl: Option<Duration>,
    ) -> Self {
        Self {
            kind: "hybrid",
            coherence: None,
            ..Self::new(vec![
                ChainLevel::new(l1).ttl_cap(l1_ttl),
                ChainLevel::new(l2).ttl_cap(l2_ttl.unwrap_or(l1_ttl.saturating_mul(2))),
            ])
        }
    }

    /// Names the levels in log lines, fastest first (generated code gives the storages' names in
    /// `cache.toml`).
    ///
    /// ```
    /// use advanced_caching::storage::{ChainStorage, MemoryStorage};
    /// use std::{sync::Arc, time::Duration};
    /// let l1 = Arc::new(MemoryStorage::new(10));
    /// let l2 = Arc::new(MemoryStorage::new(100));
    /// let hot = ChainStorage::hybrid(l1, l2, Duration::from_secs(60), None).name_levels(["local", "shared"]);
    /// ```
    pub fn name_levels<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        for (level, name) in self.levels.iter_mut().zip(names) {
            level.name = Some(name.into());
        }
        self
    }

    /// The common hybrid: a memory L1 of `max_entries` in front of Redis at `url`.
    ///
    /// ```no_run
    /// use advanced_caching::storage::ChainStorage;
    /// use std::time::Duration;
    /// let hot = ChainStorage::from_redis("redis://127.0.0.1:6379", 10_000, Duration::from_secs(60)).unwrap();
    /// ```
    #[cfg(feature = "redis")]
    #[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
    pub fn from_redis(
        url: &str,
        max_entries: usize,
        l1_ttl: Duration,
    ) -> Result<Self, StorageError> {
        let l2 = super::RedisStorage::connect(url)?;
        Ok(Self::hybrid(
            std::sync::Arc::new(super::MemoryStorage::new(max_entries)),
            std::sync::Arc::new(l2),
            l1_ttl,
            None,
        ))
    }

    /// The levels, fastest first.
    pub fn levels(&self) -> &[ChainLevel] {
        &self.levels
    }
}

/// The ticket of one level; a level that cannot say is [`Ticket::Unknown`] (it refuses the
/// conditional write, the other levels still take it).
async fn level_ticket(storage: &dyn Storage, key: &str) -> Ticket {
    storage.ticket(key).await.unwrap_or(Ticket::Unknown)
}

impl Storage for ChainStorage {
    fn kind(&self) -> &'static str {
        self.kind
    }

    fn now(&self) -> Millis {
        self.clock_now()
    }

    fn keeps_copies_until_expiry(&self) -> bool {
        // A coherent chain drops copies when another process writes: a memo would not know.
        self.memory_l1.is_some() && self.coherence.is_none()
    }

    fn get_entry_now(
        &self,
        key: &str,
        ty: &dyn ValueType,
        now: Millis,
    ) -> Option<StorageResult<Option<AnyEntry>>> {
        // Only a hit on the first level answers at once; a memory L1 is read directly (the
        // `hybrid_l1_hit` bench case), any other first level through its own fast path.
        if let Some(c) = &self.coherence
            && !c.feed.trusted()
        {
            return None; // untrusted copies: the shared level answers first
        }
        if let Some(l1) = &self.memory_l1 {
            return l1.live(key, now).map(|entry| Ok(Some(entry)));
        }
        let read = self.levels.first()?.storage.get_entry_now(key, ty, now);
        read.filter(|r| matches!(r, Ok(Some(_))))
    }

    fn get_entry<'a>(
        &'a self,
        key: &'a str,
        ty: &'a dyn ValueType,
    ) -> BoxFuture<'a, StorageResult<Option<AnyEntry>>> {
        Box::pin(async move {
            let (start, epoch) = self.read_plan();
            let mut error = None;
            // The versions of the faster levels, each read before the next level is asked: a
            // copy is promoted into them only if nothing wrote or dropped the key there since.
            let mut tickets = Vec::with_capacity(self.levels.len());
            for i in read_order(start, self.levels.len()) {
                if i < start && error.is_none() {
                    break; // untrusted copies answer only when the shared level could not
                }
                if i == start {
                    for level in &self.levels[..start] {
                        tickets.push(level_ticket(level.storage.as_ref(), key).await);
                    }
                }
                match self.levels[i].storage.get_entry(key, ty).await {
                    Ok(Some(entry)) => {
                        if i >= start && self.may_promote(epoch) {
                            self.fill(i, key, &entry, ty, &tickets).await;
                        }
                        return Ok(Some(entry));
                    }
                    Ok(None) => {}
                    Err(e) => {
                        self.report(i, "get", &e);
                        error.get_or_insert(e);
                    }
                }
                if i >= start {
                    tickets.push(level_ticket(self.levels[i].storage.as_ref(), key).await);
                }
            }
            finish(None, error)
        })
    }

    fn set_entry<'a>(
        &'a self,
        key: &'a str,
        entry: AnyEntry,
        ty: &'a dyn ValueType,
    ) -> BoxFuture<'a, StorageResult<()>> {
        Box::pin(async move {
            let now = self.clock_now();
            let mut error = None;
            // Deepest first: a read that finds a faster level empty and asks a slower one
            // meanwhile finds the new entry there, or has its promotion refused.
            for level in self.levels.iter().rev() {
                first_error(
                    &mut error,
                    level
                        .storage
                        .set_entry(key, level.capped(&entry, now), ty)
                        .await,
                );
            }
            finish((), error)
        })
    }

    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, StorageResult<bool>> {
        Box::pin(async move {
            let (mut any, mut error) = (false, None);
            for level in self.levels.iter().rev() {
                match level.storage.delete(key).await {
                    Ok(removed) => any |= removed,
                    Err(e) => first_error(&mut error, Err(e)),
                }
            }
            finish(any, error)
        })
    }

    fn exists<'a>(&'a self, key: &'a str) -> BoxFuture<'a, StorageResult<bool>> {
        Box::pin(async move {
            let mut error = None;
            for level in &self.levels {
                match level.storage.exists(key).await {
                    Ok(true) => return Ok(true),
                    Ok(false) => {}
                    Err(e) => first_error(&mut error, Err(e)),
                }
            }
            finish(false, error)
        })
    }

    fn set_if_not_exists<'a>(
        &'a self,
        key: &'a str,
        entry: AnyEntry,
        ty: &'a dyn ValueType,
    ) -> BoxFuture<'a, StorageResult<bool>> {
        Box::pin(async move {
            let Some((deepest, faster)) = self.levels.split_last() else {
                return Ok(false);
            };
            let now = self.clock_now();
            let won = deepest
                .storage
                .set_if_not_exists(key, deepest.capped(&entry, now), ty)
                .await?;
            if won {
                let tickets = vec![Ticket::Unversioned; faster.len()];
                self.fill(faster.len(), key, &entry, ty, &tickets).await;
            }
            Ok(won)
        })
    }

    fn ticket<'a>(&'a self, key: &'a str) -> BoxFuture<'a, StorageResult<Ticket>> {
        Box::pin(async move {
            let mut tickets = Vec::with_capacity(self.levels.len());
            for level in &self.levels {
                tickets.push(level_ticket(level.storage.as_ref(), key).await);
            }
            Ok(Ticket::Levels(tickets))
        })
    }

    fn set_entry_if<'a>(
        &'a self,
        key: &'a str,
        entry: AnyEntry,
        ty: &'a dyn ValueType,
        ticket: &'a Ticket,
    ) -> BoxFuture<'a, StorageResult<bool>> {
        Box::pin(async move {
            let Ticket::Levels(tickets) = ticket else {
                return Ok(false);
            };
            let now = self.clock_now();
            let mut error = None;
            // Deepest first; a level that refuses (its version moved: the key was written or
            // invalidated since) stops the faster ones from taking the older value. A level that
            // fails is reported and the faster ones still take it, as a plain write does.
            for (level, ticket) in self.levels.iter().zip(tickets).rev() {
                match level
                    .storage
                    .set_entry_if(key, level.capped(&entry, now), ty, ticket)
                    .await
                {
                    Ok(true) => {}
                    Ok(false) => return Ok(false),
                    Err(e) => first_error(&mut error, Err(e)),
                }
            }
            finish(true, error)
        })
    }

    fn ordering_front(&self) -> Option<&MemoryStorage> {
        self.memory_l1
            .as_deref()
            .filter(|_| self.coherence.is_none())
    }

    fn release_lock<'a>(
        &'a self,
        key: &'a str,
        holder: &'a str,
    ) -> BoxFuture<'a, StorageResult<bool>> {
        self.on_deepest(key, move |deepest| deepest.release_lock(key, holder))
    }

    fn renew_lock<'a>(
        &'a self,
        key: &'a str,
        holder: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, StorageResult<bool>> {
        self.on_deepest(key, move |deepest| deepest.renew_lock(key, holder, ttl))
    }

    fn cleanup_expired(&self) -> BoxFuture<'_, StorageResult<usize>> {
        Box::pin(async move {
            let (mut removed, mut error) = (0, None);
            for level in &self.levels {
                match level.storage.cleanup_expired().await {
                    Ok(n) => removed += n,
                    Err(e) => first_error(&mut error, Err(e)),
                }
            }
            finish(removed, error)
        })
    }
}

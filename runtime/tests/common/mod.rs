//! Helpers shared by the runtime's integration tests.
#![allow(dead_code, unreachable_pub, missing_docs)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use advanced_caching::{
    StorageError,
    clock::ManualClock,
    storage::{
        AnyEntry, BoxFuture, MemoryStorage, SharedStorage, Storage, StorageResult, ValueType,
    },
};

/// A test clock at a round start time, and a memory storage on it.
pub fn clock_and_memory(max: usize) -> (ManualClock, SharedStorage) {
    let clock = ManualClock::new(1_000_000);
    let storage: SharedStorage = Arc::new(MemoryStorage::with_clock(max, Arc::new(clock.clone())));
    (clock, storage)
}

/// Polls `cond` every millisecond for at most two seconds; returns whether it became true.
pub async fn eventually(cond: impl Fn() -> bool) -> bool {
    for _ in 0..2_000 {
        if cond() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    cond()
}

/// Blocking [`eventually`].
pub fn eventually_blocking(cond: impl Fn() -> bool) -> bool {
    for _ in 0..2_000 {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    cond()
}

/// A memory storage whose reads and writes can be made to fail, to inject outages.
pub struct Outage {
    pub inner: MemoryStorage,
    pub reads_fail: AtomicBool,
    pub writes_fail: AtomicBool,
    pub failures: AtomicUsize,
}

impl Outage {
    pub fn new(clock: &ManualClock) -> Self {
        Self {
            inner: MemoryStorage::with_clock(1_000, Arc::new(clock.clone())),
            reads_fail: AtomicBool::new(false),
            writes_fail: AtomicBool::new(false),
            failures: AtomicUsize::new(0),
        }
    }

    fn fail_if(&self, flag: &AtomicBool) -> StorageResult<()> {
        if flag.load(Ordering::SeqCst) {
            self.failures.fetch_add(1, Ordering::SeqCst);
            return Err(StorageError::backend("outage", "connection refused"));
        }
        Ok(())
    }
}

impl Storage for Outage {
    fn kind(&self) -> &'static str {
        "outage"
    }
    fn get_entry<'a>(
        &'a self,
        key: &'a str,
        ty: &'a dyn ValueType,
    ) -> BoxFuture<'a, StorageResult<Option<AnyEntry>>> {
        Box::pin(async move {
            self.fail_if(&self.reads_fail)?;
            self.inner.get_entry(key, ty).await
        })
    }
    fn set_entry<'a>(
        &'a self,
        key: &'a str,
        entry: AnyEntry,
        ty: &'a dyn ValueType,
    ) -> BoxFuture<'a, StorageResult<()>> {
        Box::pin(async move {
            self.fail_if(&self.writes_fail)?;
            self.inner.set_entry(key, entry, ty).await
        })
    }
    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, StorageResult<bool>> {
        Box::pin(async move {
            self.fail_if(&self.writes_fail)?;
            self.inner.delete(key).await
        })
    }
    fn exists<'a>(&'a self, key: &'a str) -> BoxFuture<'a, StorageResult<bool>> {
        Box::pin(async move {
            self.fail_if(&self.reads_fail)?;
            self.inner.exists(key).await
        })
    }
    fn set_if_not_exists<'a>(
        &'a self,
        key: &'a str,
        entry: AnyEntry,
        ty: &'a dyn ValueType,
    ) -> BoxFuture<'a, StorageResult<bool>> {
        Box::pin(async move {
            self.fail_if(&self.writes_fail)?;
            self.inner.set_if_not_exists(key, entry, ty).await
        })
    }
    fn cleanup_expired(&self) -> BoxFuture<'_, StorageResult<usize>> {
        self.inner.cleanup_expired()
    }
}

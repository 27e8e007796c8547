//! Helpers shared by the runtime's integration tests.
#![allow(dead_code, unreachable_pub, missing_docs)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use advanced_caching::{
    StorageError,
    clock::ManualClock,
    storage::{AnyEntry, MemoryStorage, SharedStorage, Storage, StorageResult, ValueType},
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
    fn get_entry_blocking(&self, key: &str, ty: &dyn ValueType) -> StorageResult<Option<AnyEntry>> {
        self.fail_if(&self.reads_fail)?;
        self.inner.get_entry_blocking(key, ty)
    }
    fn set_entry_blocking(
        &self,
        key: &str,
        entry: AnyEntry,
        ty: &dyn ValueType,
    ) -> StorageResult<()> {
        self.fail_if(&self.writes_fail)?;
        self.inner.set_entry_blocking(key, entry, ty)
    }
    fn delete_blocking(&self, key: &str) -> StorageResult<bool> {
        self.fail_if(&self.writes_fail)?;
        self.inner.delete_blocking(key)
    }
    fn exists_blocking(&self, key: &str) -> StorageResult<bool> {
        self.fail_if(&self.reads_fail)?;
        self.inner.exists_blocking(key)
    }
    fn set_if_not_exists_blocking(
        &self,
        key: &str,
        entry: AnyEntry,
        ty: &dyn ValueType,
    ) -> StorageResult<bool> {
        self.fail_if(&self.writes_fail)?;
        self.inner.set_if_not_exists_blocking(key, entry, ty)
    }
    fn cleanup_expired_blocking(&self) -> StorageResult<usize> {
        self.inner.cleanup_expired_blocking()
    }
}

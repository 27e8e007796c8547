//! Removing expired entries from storages that keep them until removed (files, S3, GCS), on
//! demand and on a schedule.

use std::time::Duration;

use crate::error::CacheError;
use crate::scheduler::Scheduler;
use crate::storage::SharedStorage;

/// A storage to clean up, by name, with its schedule (`cleanup_interval`, if any).
///
/// ```
/// use advanced_caching::storage::{CleanupTarget, MemoryStorage};
/// use std::sync::Arc;
/// let target = CleanupTarget::new("local", Arc::new(MemoryStorage::new(10)), None);
/// assert_eq!(target.name(), "local");
/// ```
pub struct CleanupTarget {
    name: &'static str,
    storage: SharedStorage,
    every: Option<Duration>,
}

impl CleanupTarget {
    /// The storage `name`, cleaned every `every` once scheduled.
    pub fn new(name: &'static str, storage: SharedStorage, every: Option<Duration>) -> Self {
        Self {
            name,
            storage,
            every,
        }
    }

    /// The storage's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Removes its expired entries now; a failure is logged and counts as none removed.
    pub async fn cleanup(&self) -> usize {
        run(self.name, &self.storage).await
    }
}

async fn run(name: &str, storage: &SharedStorage) -> usize {
    match storage.cleanup_expired().await {
        Ok(removed) => {
            if removed > 0 {
                tracing::debug!(storage = name, removed, "expired entries removed");
            }
            removed
        }
        Err(e) => {
            tracing::warn!(storage = name, error = %e, "cleanup failed");
            0
        }
    }
}

/// Cleans every target now; returns how many entries were removed in all.
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use advanced_caching::storage::{CleanupTarget, MemoryStorage, cleanup_all};
/// use std::sync::Arc;
/// let targets = [CleanupTarget::new("local", Arc::new(MemoryStorage::new(10)), None)];
/// assert_eq!(cleanup_all(&targets).await, 0);
/// # });
/// ```
pub async fn cleanup_all(targets: &[CleanupTarget]) -> usize {
    let mut removed = 0;
    for target in targets {
        removed += target.cleanup().await;
    }
    removed
}

/// Schedules the targets that have an interval on `scheduler` (its clock decides when).
pub fn schedule_cleanups(
    scheduler: &Scheduler,
    targets: &[CleanupTarget],
) -> Result<(), CacheError> {
    for target in targets {
        let Some(every) = target.every else { continue };
        let (name, storage) = (target.name, target.storage.clone());
        scheduler.every(&format!("cleanup of {name}"), every, false, move || {
            let storage = storage.clone();
            async move {
                run(name, &storage).await;
            }
        })?;
    }
    Ok(())
}

//! What bypasses loading: reading the stored value (`peek`) and removing it (`invalidate`).

use super::*;

impl<T, E> CacheCore<T, E>
where
    T: Clone + Send + Sync + 'static,
{
    /// The stored value of `key`, never loading.
    pub(crate) async fn peek(&self, key: &str) -> Option<Peeked<T>> {
        let (read, now) = self.read(key).await;
        self.live(key, read, now).map(|(peeked, _)| peeked)
    }

    fn report_delete(&self, key: &str, deleted: StorageResult<bool>) -> bool {
        deleted.unwrap_or_else(|e| {
            if self.stats.record_storage_failure(&e) {
                tracing::warn!(cache = self.name(), key = %crate::logkey::shown(key), error = %e, "invalidate failed");
            }
            false
        })
    }

    /// Removes `key` from every level of the storage; true when something was removed.
    pub(crate) async fn invalidate(&self, key: &str) -> bool {
        let deleted = self.storage.delete(key).await;
        self.detach_flights(key);
        self.report_delete(key, deleted)
    }
}

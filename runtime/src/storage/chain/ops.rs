//! What the chain's operations share: the deepest level deciding locks, promotion of a copy to
//! the faster levels, the chain's clock, and how level errors are collected.

use super::*;

impl ChainStorage {
    /// A lock operation: the deepest level decides (as for `set_if_not_exists`); when it acts,
    /// the copies in faster levels are dropped (one with an old expiry would read as expired
    /// before the lock is).
    pub(super) fn on_deepest<'a>(
        &'a self,
        key: &'a str,
        op: impl FnOnce(&'a dyn Storage) -> BoxFuture<'a, StorageResult<bool>> + Send + 'a,
    ) -> BoxFuture<'a, StorageResult<bool>> {
        Box::pin(async move {
            let Some((deepest, faster)) = self.levels.split_last() else {
                return Ok(false);
            };
            let acted = op(deepest.storage.as_ref()).await?;
            if acted {
                for level in faster {
                    let _ = level.storage.delete(key).await;
                }
            }
            Ok(acted)
        })
    }

    pub(super) fn clock_now(&self) -> Millis {
        if let Some(l1) = &self.memory_l1 {
            return l1.now();
        }
        self.levels.first().map_or_else(
            || crate::clock::SystemClock.now_millis(),
            |l| l.storage.now(),
        )
    }

    /// A level failed; the others answered. Named as the spec names it; a level skipped because
    /// its storage is known down (its breaker logged that once) is not a warning each call.
    pub(super) fn report(&self, level: usize, op: &str, e: &StorageError) {
        let name = self
            .levels
            .get(level)
            .and_then(|l| l.name.as_deref())
            .unwrap_or("unnamed");
        let at = level + 1;
        if matches!(e, StorageError::Unavailable { .. }) {
            tracing::debug!(
                storage = self.kind,
                level = at,
                level_storage = name,
                op,
                "level skipped: its storage is down"
            );
        } else {
            tracing::warn!(storage = self.kind, level = at, level_storage = name, op, error = %e, "a level failed; the other levels answered");
        }
    }

    /// Writes `entry` into the levels before `upto` (promotion and backfill), each only while
    /// its version is still `tickets`' (read before the level below was asked); failures are
    /// logged.
    pub(super) async fn fill(
        &self,
        upto: usize,
        key: &str,
        entry: &AnyEntry,
        ty: &dyn ValueType,
        tickets: &[Ticket],
    ) {
        let now = self.clock_now();
        // Deepest first, as writes go.
        for (i, (level, ticket)) in self.levels[..upto].iter().zip(tickets).enumerate().rev() {
            match level
                .storage
                .set_entry_if(key, level.capped(entry, now), ty, ticket)
                .await
            {
                Ok(true) => {}
                Ok(false) => return, // written or dropped since: the copy is older
                Err(e) => self.report(i, "promote", &e),
            }
        }
    }
}

pub(super) fn first_error(slot: &mut Option<StorageError>, result: StorageResult<()>) {
    if let Err(e) = result {
        slot.get_or_insert(e);
    }
}

pub(super) fn finish<T>(value: T, error: Option<StorageError>) -> StorageResult<T> {
    match error {
        Some(e) => Err(e),
        None => Ok(value),
    }
}

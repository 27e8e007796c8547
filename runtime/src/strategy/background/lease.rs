//! One writer per key: in this process (a registry of writers), and across processes (a lease in
//! the shared storage, renewed by compare-and-expire).

use super::*;

/// Writers registered in this process, by storage instance and key.
pub(super) static WRITERS: LazyLock<DashMap<(usize, String), ()>> = LazyLock::new(DashMap::new);

/// Holds a writer's place in [`WRITERS`] and gives it up when dropped.
pub(super) struct WriterSlot {
    id: (usize, String),
}

impl WriterSlot {
    pub(super) fn claim(storage: &SharedStorage, key: &str) -> Result<Self, CacheError> {
        let id = (Arc::as_ptr(storage) as *const () as usize, key.to_owned());
        match WRITERS.entry(id.clone()) {
            dashmap::mapref::entry::Entry::Occupied(_) => Err(CacheError::DuplicateWriter {
                key: key.to_owned(),
            }),
            dashmap::mapref::entry::Entry::Vacant(v) => {
                v.insert(());
                Ok(Self { id })
            }
        }
    }
}

impl Drop for WriterSlot {
    fn drop(&mut self) {
        WRITERS.remove(&self.id);
    }
}

/// The writer lease: across processes that share a storage (Redis, say), only the holder runs the
/// scheduled loads of a key. Every writer checks it four times per interval: the holder renews it
/// atomically (compare-and-expire, so a lease another writer took over is never extended), a
/// standby takes it once it has expired. It lives half an interval, so a dead holder is replaced
/// within 1/2 + 1/4 of an interval after its last renewal, at most 3/2 intervals after its last
/// run: before the value it wrote (alive 2 intervals by default) expires, so readers never see a
/// miss.
pub(super) struct Lease {
    key: String,
    holder: String,
    ttl: Duration,
}

/// What checking the lease found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Held {
    /// This writer held it and renewed it.
    Renewed,
    /// It was free and this writer took it.
    Taken,
    /// Another writer holds it.
    Elsewhere,
}

impl Lease {
    pub(super) fn new(key: &str, interval: Option<Duration>) -> Self {
        Self {
            key: crate::key::internal_key("lease", key),
            holder: crate::storage::lock_token(),
            ttl: interval
                .map_or(crate::strategy::swr::REFRESH_LOCK_TTL, |i| i / 2)
                .max(Duration::from_millis(20)),
        }
    }

    /// Renews or takes the lease. A storage that fails counts as held, so a lone writer keeps
    /// working through an outage.
    pub(super) async fn hold<T, E>(&self, core: &CacheCore<T, E>) -> Held {
        let storage = &core.storage;
        match storage.renew_lock(&self.key, &self.holder, self.ttl).await {
            Ok(true) => return Held::Renewed,
            Ok(false) => {}
            Err(_) => return Held::Renewed,
        }
        let claim = crate::storage::lock_entry(&self.holder, core.clock.now_millis(), self.ttl);
        match storage
            .set_if_not_exists(&self.key, claim, &SerdeValue::<String>::new())
            .await
        {
            Ok(true) => Held::Taken,
            Ok(false) => Held::Elsewhere,
            Err(_) => Held::Renewed,
        }
    }
}

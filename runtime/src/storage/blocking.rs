//! A storage seen from blocking code: each operation waits on the storage's async one.

use std::time::Duration;

use super::{AnyEntry, Storage, StorageResult, Ticket};
use crate::rt::wait;
use crate::storage::value::ValueType;

/// The operations of a [`Storage`] for blocking callers ([`super::StorageExt::blocking`]):
/// each is [`crate::wait`] on the async operation of the same name, so a storage writes every
/// behaviour once. Works inside or outside a tokio runtime.
///
/// ```
/// use advanced_caching::storage::{MemoryStorage, SerdeValue, StorageExt};
/// use advanced_caching::storage::lock_entry;
/// use std::time::Duration;
/// let storage = MemoryStorage::new(10);
/// let ty = SerdeValue::<String>::new();
/// let now = advanced_caching::storage::Storage::now(&storage);
/// assert!(storage.blocking().set_if_not_exists("l", lock_entry("me", now, Duration::from_secs(5)), &ty).unwrap());
/// assert!(storage.blocking().exists("l").unwrap());
/// ```
pub struct Blocking<'a, S: ?Sized>(pub(super) &'a S);

impl<S: Storage + ?Sized> Blocking<'_, S> {
    /// [`Storage::get_entry`], waited on.
    pub fn get_entry(&self, key: &str, ty: &dyn ValueType) -> StorageResult<Option<AnyEntry>> {
        self.0.get_entry_blocking(key, ty)
    }

    /// [`Storage::set_entry`], waited on.
    pub fn set_entry(&self, key: &str, entry: AnyEntry, ty: &dyn ValueType) -> StorageResult<()> {
        wait(self.0.set_entry(key, entry, ty))
    }

    /// [`Storage::delete`], waited on.
    pub fn delete(&self, key: &str) -> StorageResult<bool> {
        wait(self.0.delete(key))
    }

    /// [`Storage::exists`], waited on.
    pub fn exists(&self, key: &str) -> StorageResult<bool> {
        wait(self.0.exists(key))
    }

    /// [`Storage::set_if_not_exists`], waited on.
    pub fn set_if_not_exists(
        &self,
        key: &str,
        entry: AnyEntry,
        ty: &dyn ValueType,
    ) -> StorageResult<bool> {
        wait(self.0.set_if_not_exists(key, entry, ty))
    }

    /// [`Storage::cleanup_expired`], waited on.
    pub fn cleanup_expired(&self) -> StorageResult<usize> {
        wait(self.0.cleanup_expired())
    }

    /// [`Storage::ticket`], waited on.
    pub fn ticket(&self, key: &str) -> StorageResult<Ticket> {
        wait(self.0.ticket(key))
    }

    /// [`Storage::set_entry_if`], waited on.
    pub fn set_entry_if(
        &self,
        key: &str,
        entry: AnyEntry,
        ty: &dyn ValueType,
        ticket: &Ticket,
    ) -> StorageResult<bool> {
        wait(self.0.set_entry_if(key, entry, ty, ticket))
    }

    /// [`Storage::release_lock`], waited on.
    pub fn release_lock(&self, key: &str, holder: &str) -> StorageResult<bool> {
        wait(self.0.release_lock(key, holder))
    }

    /// [`Storage::renew_lock`], waited on.
    pub fn renew_lock(&self, key: &str, holder: &str, ttl: Duration) -> StorageResult<bool> {
        wait(self.0.renew_lock(key, holder, ttl))
    }
}

/// Reads `key` as the caller is best served: a blocking caller (polled by [`crate::wait`]) on
/// its own thread where the storage can ([`Storage::get_entry_blocking`]), an async one
/// through the storage's future.
pub(crate) async fn read_here(
    storage: &dyn Storage,
    key: &str,
    ty: &dyn ValueType,
) -> StorageResult<Option<AnyEntry>> {
    match crate::rt::polled_by_wait() {
        true => storage.get_entry_blocking(key, ty),
        false => storage.get_entry(key, ty).await,
    }
}

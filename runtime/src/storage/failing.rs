//! The storage that could not be built: every call fails with its configuration error, so a
//! cache around it degrades to calling its loader instead of stopping the program. It is the one
//! way a builder's `build_shared` reports a bad setting (an unset `${VAR}`, a bad URL, a
//! directory that cannot be created); the error is logged once, when it is made.

use std::sync::Arc;

use super::{AnyEntry, BoxFuture, SharedStorage, Storage, StorageResult, ready};
use crate::clock::{Millis, SharedClock};
use crate::error::StorageError;
use crate::storage::value::ValueType;

/// A storage whose every call fails with the configuration error it was made with.
///
/// ```
/// use advanced_caching::{StorageError, clock::system_clock, storage::{FailingStorage, Storage, StorageExt}};
/// let storage = FailingStorage::new("redis", StorageError::Config("no REDIS_URL".into()), system_clock());
/// assert!(matches!(storage.get_blocking_typed::<u8>("k"), Err(StorageError::Config(_))));
/// ```
#[derive(Debug)]
pub struct FailingStorage {
    kind: &'static str,
    error: String,
    clock: SharedClock,
}

impl FailingStorage {
    /// A `kind` storage that fails with `error`; logs it once.
    pub fn new(kind: &'static str, error: StorageError, clock: SharedClock) -> Self {
        tracing::error!(storage = kind, error = %error, "storage misconfigured: every call will miss");
        Self {
            kind,
            error: error.to_string(),
            clock,
        }
    }

    /// `built` as a shared storage, or a failing `kind` storage when it is an error.
    pub fn or_failing<S: Storage>(
        kind: &'static str,
        built: Result<S, StorageError>,
        clock: impl FnOnce() -> SharedClock,
    ) -> SharedStorage {
        match built {
            Ok(storage) => Arc::new(storage),
            Err(e) => Arc::new(Self::new(kind, e, clock())),
        }
    }

    fn fail<T>(&self) -> StorageResult<T> {
        Err(StorageError::Config(format!(
            "{} storage misconfigured: {}",
            self.kind, self.error
        )))
    }
}

impl Storage for FailingStorage {
    fn kind(&self) -> &'static str {
        self.kind
    }

    fn now(&self) -> Millis {
        self.clock.now_millis()
    }

    fn get_entry<'a>(
        &'a self,
        _: &'a str,
        _: &'a dyn ValueType,
    ) -> BoxFuture<'a, StorageResult<Option<AnyEntry>>> {
        ready(self.fail())
    }

    fn set_entry<'a>(
        &'a self,
        _: &'a str,
        _: AnyEntry,
        _: &'a dyn ValueType,
    ) -> BoxFuture<'a, StorageResult<()>> {
        ready(self.fail())
    }

    fn delete<'a>(&'a self, _: &'a str) -> BoxFuture<'a, StorageResult<bool>> {
        ready(self.fail())
    }

    fn exists<'a>(&'a self, _: &'a str) -> BoxFuture<'a, StorageResult<bool>> {
        ready(self.fail())
    }

    fn set_if_not_exists<'a>(
        &'a self,
        _: &'a str,
        _: AnyEntry,
        _: &'a dyn ValueType,
    ) -> BoxFuture<'a, StorageResult<bool>> {
        ready(self.fail())
    }

    fn cleanup_expired(&self) -> BoxFuture<'_, StorageResult<usize>> {
        ready(self.fail())
    }
}

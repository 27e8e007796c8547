//! One storage for every object store (S3, GCS): one object per key under a prefix, the entry's
//! timestamps in object metadata (an expired object is a miss), optional compression and
//! deduplicated uploads, creation with a condition. The store itself is an [`ObjectBackend`]: six
//! requests, each written once per store.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};

use super::object;
use super::{AnyEntry, BoxFuture, Storage, StorageResult};
use crate::clock::{Millis, SharedClock};
use crate::error::StorageError;
use crate::storage::codec::Encoding;
use crate::storage::value::ValueType;

/// The metadata of an object: string keys and values.
pub type ObjectMetadata = HashMap<String, String>;

/// The requests an [`ObjectStorage`] makes of its object store. Errors are
/// [`StorageError::Backend`]; an absent object is `None` (or `false`), not an error.
pub trait ObjectBackend: fmt::Debug + Send + Sync + 'static {
    /// The storage kind, for messages and stats (`"s3"`, `"gcs"`).
    const KIND: &'static str;

    /// The metadata of object `name`, `None` when absent.
    fn head(
        &self,
        name: &str,
    ) -> impl Future<Output = StorageResult<Option<ObjectMetadata>>> + Send;

    /// The body and metadata of object `name`, `None` when absent; a store that reads metadata
    /// first may answer `None` for an object already expired at `now`.
    fn read(
        &self,
        name: &str,
        now: Millis,
    ) -> impl Future<Output = StorageResult<Option<(Vec<u8>, ObjectMetadata)>>> + Send;

    /// Uploads object `name`; with `only_if_absent`, only when no object has that name (one
    /// conditional request), answering `false` when one has.
    fn put(
        &self,
        name: &str,
        body: Vec<u8>,
        meta: ObjectMetadata,
        only_if_absent: bool,
    ) -> impl Future<Output = StorageResult<bool>> + Send;

    /// Replaces the metadata of object `name` without uploading its body again.
    fn replace_metadata(
        &self,
        name: &str,
        meta: ObjectMetadata,
    ) -> impl Future<Output = StorageResult<()>> + Send;

    /// Removes object `name`; true when there was one.
    fn remove(&self, name: &str) -> impl Future<Output = StorageResult<bool>> + Send;

    /// The objects under `prefix`, with their metadata when the listing carries it.
    fn list(
        &self,
        prefix: &str,
    ) -> impl Future<Output = StorageResult<Vec<(String, Option<ObjectMetadata>)>>> + Send;
}

/// A storage on an object store ([`crate::storage::S3Storage`], [`crate::storage::GcsStorage`]).
pub struct ObjectStorage<B> {
    backend: B,
    prefix: String,
    encoding: Encoding,
    clock: SharedClock,
    skipped_uploads: AtomicU64,
}

/// Resolves `${VAR}` in an object store's settings when its builder builds; errors name the
/// store and the setting (`s3 bucket: …`).
pub(crate) struct Resolve(pub(crate) &'static str);

impl Resolve {
    /// A setting, resolved.
    pub(crate) fn text(&self, what: &str, value: &str) -> Result<String, StorageError> {
        let store = self.0;
        crate::storage::env::expand_env(value)
            .map_err(|e| StorageError::Config(format!("{store} {what}: {e}")))
    }

    /// The bucket: resolved, and not empty.
    pub(crate) fn bucket(&self, value: &str) -> Result<String, StorageError> {
        let bucket = self.text("bucket", value)?;
        if bucket.is_empty() {
            return Err(StorageError::Config(format!("{} bucket is empty", self.0)));
        }
        Ok(bucket)
    }

    /// An optional setting; one that resolves to nothing (`${ENDPOINT:-}`) counts as absent.
    pub(crate) fn optional(
        &self,
        what: &str,
        value: &Option<String>,
    ) -> Result<Option<String>, StorageError> {
        match value {
            Some(v) => Ok(Some(self.text(what, v)?).filter(|v| !v.is_empty())),
            None => Ok(None),
        }
    }
}

/// The settings every object storage takes.
pub(crate) struct ObjectSettings {
    pub(crate) prefix: String,
    pub(crate) encoding: Encoding,
    pub(crate) clock: SharedClock,
}

impl<B: ObjectBackend> fmt::Debug for ObjectStorage<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ObjectStorage")
            .field("backend", &self.backend)
            .field("prefix", &self.prefix)
            .field("encoding", &self.encoding)
            .finish()
    }
}

impl<B: ObjectBackend> ObjectStorage<B> {
    pub(crate) fn new(backend: B, settings: ObjectSettings) -> Self {
        Self {
            backend,
            prefix: settings.prefix,
            encoding: settings.encoding,
            clock: settings.clock,
            skipped_uploads: AtomicU64::new(0),
        }
    }

    /// The object store.
    pub fn backend(&self) -> &B {
        &self.backend
    }

    /// The object name of `key` (under the prefix; long or unusual keys are hashed).
    pub fn object_name(&self, key: &str) -> String {
        object::object_name(&self.prefix, key)
    }

    /// How many writes skipped their upload because the content was unchanged.
    pub fn skipped_uploads(&self) -> u64 {
        self.skipped_uploads.load(Ordering::Relaxed)
    }

    async fn get(&self, key: &str, ty: &dyn ValueType) -> StorageResult<Option<AnyEntry>> {
        let name = self.object_name(key);
        let Some((body, meta)) = self.backend.read(&name, self.now()).await? else {
            return Ok(None);
        };
        object::decode(&body, &meta, ty, &self.encoding.codec, self.now()).map_err(|e| {
            tracing::warn!(storage = B::KIND, key = %crate::logkey::shown(key), error = %e, "bad object; treated as a miss");
            StorageError::Codec(e)
        })
    }

    async fn set(&self, key: &str, entry: AnyEntry, ty: &dyn ValueType) -> StorageResult<()> {
        let name = self.object_name(key);
        let (body, meta) =
            object::encode(&entry, ty, &self.encoding.codec, self.encoding.compression)?;
        if self.encoding.dedupe
            && let Some(stored) = self.backend.head(&name).await?
            && object::content_hash(&stored) == object::content_hash(&meta)
        {
            self.backend.replace_metadata(&name, meta).await?;
            self.skipped_uploads.fetch_add(1, Ordering::Relaxed);
            return Ok(());
        }
        self.backend.put(&name, body, meta, false).await.map(drop)
    }

    async fn set_nx(&self, key: &str, entry: AnyEntry, ty: &dyn ValueType) -> StorageResult<bool> {
        let name = self.object_name(key);
        let (body, meta) =
            object::encode(&entry, ty, &self.encoding.codec, self.encoding.compression)?;
        if self
            .backend
            .put(&name, body.clone(), meta.clone(), true)
            .await?
        {
            return Ok(true);
        }
        // Taken: by a live entry (we lost), or by an expired one, which we remove and retry once.
        match self.backend.head(&name).await? {
            Some(stored) if !object::is_expired(&stored, self.now()) => Ok(false),
            _ => {
                self.backend.remove(&name).await?;
                self.backend.put(&name, body, meta, true).await
            }
        }
    }

    async fn exists_now(&self, key: &str) -> StorageResult<bool> {
        let meta = self.backend.head(&self.object_name(key)).await?;
        Ok(meta.is_some_and(|meta| !object::is_expired(&meta, self.now())))
    }

    async fn cleanup(&self) -> StorageResult<usize> {
        let now = self.now();
        let mut removed = 0;
        for (name, listed) in self.backend.list(&self.prefix).await? {
            let meta = match listed {
                Some(meta) => Some(meta),
                None => self.backend.head(&name).await?,
            };
            if meta.is_some_and(|meta| object::is_expired(&meta, now))
                && self.backend.remove(&name).await?
            {
                removed += 1;
            }
        }
        Ok(removed)
    }
}

impl<B: ObjectBackend> Storage for ObjectStorage<B> {
    fn kind(&self) -> &'static str {
        B::KIND
    }

    fn now(&self) -> Millis {
        self.clock.now_millis()
    }

    fn get_entry<'a>(
        &'a self,
        key: &'a str,
        ty: &'a dyn ValueType,
    ) -> BoxFuture<'a, StorageResult<Option<AnyEntry>>> {
        Box::pin(self.get(key, ty))
    }

    fn set_entry<'a>(
        &'a self,
        key: &'a str,
        entry: AnyEntry,
        ty: &'a dyn ValueType,
    ) -> BoxFuture<'a, StorageResult<()>> {
        Box::pin(self.set(key, entry, ty))
    }

    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, StorageResult<bool>> {
        Box::pin(async move { self.backend.remove(&self.object_name(key)).await })
    }

    fn exists<'a>(&'a self, key: &'a str) -> BoxFuture<'a, StorageResult<bool>> {
        Box::pin(self.exists_now(key))
    }

    fn set_if_not_exists<'a>(
        &'a self,
        key: &'a str,
        entry: AnyEntry,
        ty: &'a dyn ValueType,
    ) -> BoxFuture<'a, StorageResult<bool>> {
        Box::pin(self.set_nx(key, entry, ty))
    }

    fn cleanup_expired(&self) -> BoxFuture<'_, StorageResult<usize>> {
        Box::pin(self.cleanup())
    }
}

//! The Google Cloud Storage storage (feature `gcs`), on the JSON API through `gcloud-storage`.

use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};

use gcloud_storage::client::{Client, ClientConfig};
use gcloud_storage::http::Error as GcsError;
use gcloud_storage::http::objects::Object;
use gcloud_storage::http::objects::delete::DeleteObjectRequest;
use gcloud_storage::http::objects::download::Range;
use gcloud_storage::http::objects::get::GetObjectRequest;
use gcloud_storage::http::objects::list::ListObjectsRequest;
use gcloud_storage::http::objects::patch::PatchObjectRequest;
use gcloud_storage::http::objects::upload::{UploadObjectRequest, UploadType};

use super::object::{self, Metadata};
use super::{AnyEntry, BoxFuture, Storage, StorageResult};
use crate::clock::{Millis, SharedClock, system_clock};
use crate::codec::Codec;
use crate::error::StorageError;
use crate::value::ValueType;

/// Configures a [`GcsStorage`].
///
/// ```no_run
/// use advanced_caching::{Codec, GcsStorage};
/// let storage = GcsStorage::builder("my-cache-bucket")
///     .prefix("app/")
///     .endpoint("http://127.0.0.1:4443") // an emulator: anonymous access
///     .compression(true)
///     .build()
///     .unwrap();
/// ```
#[derive(Debug, Clone)]
pub struct GcsStorageBuilder {
    bucket: String,
    prefix: String,
    endpoint: Option<String>,
    codec: Codec,
    compression: bool,
    dedupe_writes: bool,
    clock: Option<SharedClock>,
}

impl GcsStorageBuilder {
    /// Prepends `prefix` to every object name.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// An endpoint for emulators (`http://127.0.0.1:4443`); requests are then anonymous.
    /// Without it: Google's endpoint with application-default credentials.
    pub fn endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = Some(endpoint.into());
        self
    }

    /// The codec of payloads (default [`Codec::Binary`]).
    pub fn codec(mut self, codec: Codec) -> Self {
        self.codec = codec;
        self
    }

    /// Deflates bodies (the flag lives in the object's metadata, not in `Content-Encoding`,
    /// which GCS would undo on download).
    pub fn compression(mut self, on: bool) -> Self {
        self.compression = on;
        self
    }

    /// When on, a write whose content hash matches the stored object skips the upload and only
    /// patches the metadata (the object's generation stays).
    pub fn dedupe_writes(mut self, on: bool) -> Self {
        self.dedupe_writes = on;
        self
    }

    /// The clock that stamps entries and decides expiry (default: the system clock).
    pub fn clock(mut self, clock: SharedClock) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Builds the storage; `${VAR}` in the settings is resolved now. Without an endpoint this
    /// loads application-default credentials.
    pub fn build(self) -> Result<GcsStorage, StorageError> {
        let expand = |what: &str, v: &str| {
            crate::env::expand_env(v).map_err(|e| StorageError::Config(format!("gcs {what}: {e}")))
        };
        let bucket = expand("bucket", &self.bucket)?;
        if bucket.is_empty() {
            return Err(StorageError::Config("gcs bucket is empty".into()));
        }
        let prefix = expand("prefix", &self.prefix)?;
        // An endpoint that resolves to nothing (`${GCS_ENDPOINT:-}`) means Google itself.
        let endpoint = match &self.endpoint {
            Some(e) => Some(expand("endpoint", e)?).filter(|e| !e.is_empty()),
            None => None,
        };
        let config = match endpoint {
            Some(storage_endpoint) => ClientConfig {
                storage_endpoint,
                ..ClientConfig::default()
            }
            .anonymous(),
            None => crate::rt::block_on(ClientConfig::default().with_auth())
                .map_err(|e| StorageError::Config(e.to_string()))?
                .map_err(|e| {
                    StorageError::Config(format!("gcs application-default credentials: {e}"))
                })?,
        };
        Ok(GcsStorage {
            client: Client::new(config),
            bucket,
            prefix,
            codec: self.codec,
            compression: self.compression,
            dedupe: self.dedupe_writes,
            clock: self.clock.unwrap_or_else(system_clock),
            skipped_uploads: AtomicU64::new(0),
        })
    }

    /// [`GcsStorageBuilder::build`] as a shared storage; a configuration error becomes a
    /// [`FailingStorage`](crate::FailingStorage) whose every call fails with it (generated code
    /// uses this, so bad settings never stop a program).
    pub fn build_shared(self) -> super::SharedStorage {
        let clock = self.clock.clone();
        super::FailingStorage::or_failing("gcs", self.build(), || {
            clock.unwrap_or_else(system_clock)
        })
    }
}

/// A storage on Google Cloud Storage: one object per key under a prefix; the entry's timestamps,
/// a compression flag and a content hash in the object's metadata (an expired object is a miss);
/// `set_if_not_exists` as one upload with `ifGenerationMatch=0`; `dedupe_writes` that skips the
/// upload of unchanged content.
///
/// ```no_run
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use advanced_caching::{GcsStorage, StorageExt};
/// let gcs = GcsStorage::builder("cache").build().unwrap();
/// gcs.set_typed("report", &vec![1u8, 2], None).await.unwrap();
/// # });
/// ```
pub struct GcsStorage {
    client: Client,
    bucket: String,
    prefix: String,
    codec: Codec,
    compression: bool,
    dedupe: bool,
    clock: SharedClock,
    skipped_uploads: AtomicU64,
}

impl fmt::Debug for GcsStorage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GcsStorage")
            .field("bucket", &self.bucket)
            .field("prefix", &self.prefix)
            .field("codec", &self.codec.name())
            .field("compression", &self.compression)
            .field("dedupe_writes", &self.dedupe)
            .finish()
    }
}

fn backend(e: impl fmt::Display) -> StorageError {
    StorageError::backend("gcs", e)
}

fn status(e: &GcsError) -> Option<u16> {
    match e {
        GcsError::Response(r) => Some(r.code),
        GcsError::HttpClient(e) => e.status().map(|s| s.as_u16()),
        _ => None,
    }
}

impl GcsStorage {
    /// A builder for `bucket`.
    pub fn builder(bucket: impl Into<String>) -> GcsStorageBuilder {
        GcsStorageBuilder {
            bucket: bucket.into(),
            prefix: String::new(),
            endpoint: None,
            codec: Codec::default(),
            compression: false,
            dedupe_writes: false,
            clock: None,
        }
    }

    /// The GCS client, for what this storage does not cover.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The bucket.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// The object name of `key` (under the prefix; long or unusual keys are hashed).
    pub fn object_name(&self, key: &str) -> String {
        object::object_name(&self.prefix, key)
    }

    /// How many writes skipped their upload because the content was unchanged.
    pub fn skipped_uploads(&self) -> u64 {
        self.skipped_uploads.load(Ordering::Relaxed)
    }

    /// Runs one request on the background runtime, where the client keeps its connections.
    async fn run<T, F, Fut>(&self, op: F) -> StorageResult<Result<T, GcsError>>
    where
        T: Send + 'static,
        F: FnOnce(Client, String) -> Fut,
        Fut: Future<Output = Result<T, GcsError>> + Send + 'static,
    {
        let client = self.client.clone();
        crate::rt::on_background(op(client, self.bucket.clone()))
            .await
            .map_err(backend)
    }

    /// The object's metadata and generation, `None` when absent.
    async fn head(&self, name: &str) -> StorageResult<Option<(Metadata, i64)>> {
        let name = name.to_owned();
        let reply = self
            .run(move |c, bucket| async move {
                c.get_object(&GetObjectRequest {
                    bucket,
                    object: name,
                    ..Default::default()
                })
                .await
            })
            .await?;
        match reply {
            Ok(o) => Ok(Some((o.metadata.unwrap_or_default(), o.generation))),
            Err(e) if status(&e) == Some(404) => Ok(None),
            Err(e) => Err(backend(e)),
        }
    }

    async fn upload(
        &self,
        name: &str,
        body: Vec<u8>,
        meta: Metadata,
        only_if_absent: bool,
    ) -> StorageResult<bool> {
        let name = name.to_owned();
        let reply = self
            .run(move |c, bucket| async move {
                let request = UploadObjectRequest {
                    bucket,
                    if_generation_match: only_if_absent.then_some(0),
                    ..Default::default()
                };
                let object = Object {
                    name,
                    metadata: Some(meta),
                    content_type: Some("application/octet-stream".into()),
                    ..Default::default()
                };
                c.upload_object(&request, body, &UploadType::Multipart(Box::new(object)))
                    .await
            })
            .await?;
        match reply {
            Ok(_) => Ok(true),
            Err(e) if only_if_absent && status(&e) == Some(412) => Ok(false),
            Err(e) => Err(backend(e)),
        }
    }

    async fn patch_metadata(&self, name: &str, meta: Metadata) -> StorageResult<()> {
        let name = name.to_owned();
        self.run(move |c, bucket| async move {
            c.patch_object(&PatchObjectRequest {
                bucket,
                object: name,
                metadata: Some(Object {
                    metadata: Some(meta),
                    ..Default::default()
                }),
                ..Default::default()
            })
            .await
        })
        .await?
        .map(drop)
        .or_else(|e| match e {
            // The server answered 2xx but with an object body the client cannot read
            // (fake-gcs-server leaves out fields): the patch itself was applied.
            GcsError::HttpClient(e) if e.is_decode() => Ok(()),
            e => Err(backend(e)),
        })
    }

    async fn remove(&self, name: &str) -> StorageResult<bool> {
        let name = name.to_owned();
        let reply = self
            .run(move |c, bucket| async move {
                c.delete_object(&DeleteObjectRequest {
                    bucket,
                    object: name,
                    ..Default::default()
                })
                .await
            })
            .await?;
        match reply {
            Ok(()) => Ok(true),
            Err(e) if status(&e) == Some(404) => Ok(false),
            Err(e) => Err(backend(e)),
        }
    }

    async fn get(&self, key: &str, ty: &dyn ValueType) -> StorageResult<Option<AnyEntry>> {
        let name = self.object_name(key);
        let Some((meta, generation)) = self.head(&name).await? else {
            return Ok(None);
        };
        // Foreign objects (no timestamps) are a codec error, which callers treat as a miss.
        if object::timestamps(&meta)?.is_expired(self.now()) {
            return Ok(None);
        }
        let reply = self
            .run(move |c, bucket| async move {
                let request = GetObjectRequest {
                    bucket,
                    object: name,
                    generation: Some(generation),
                    ..Default::default()
                };
                c.download_object(&request, &Range::default()).await
            })
            .await?;
        let body = match reply {
            Ok(body) => body,
            // Replaced or removed between the two requests: a miss.
            Err(e) if status(&e) == Some(404) => return Ok(None),
            Err(e) => return Err(backend(e)),
        };
        object::decode(&body, &meta, ty, &self.codec, self.now()).map_err(|e| {
            tracing::warn!(key, error = %e, "bad object in gcs; treated as a miss");
            StorageError::Codec(e)
        })
    }

    async fn set(&self, key: &str, entry: AnyEntry, ty: &dyn ValueType) -> StorageResult<()> {
        let name = self.object_name(key);
        let (body, meta) = object::encode(&entry, ty, &self.codec, self.compression)?;
        if self.dedupe
            && let Some((stored, _)) = self.head(&name).await?
            && object::content_hash(&stored) == object::content_hash(&meta)
        {
            self.patch_metadata(&name, meta).await?;
            self.skipped_uploads.fetch_add(1, Ordering::Relaxed);
            return Ok(());
        }
        self.upload(&name, body, meta, false).await.map(drop)
    }

    async fn set_nx(&self, key: &str, entry: AnyEntry, ty: &dyn ValueType) -> StorageResult<bool> {
        let name = self.object_name(key);
        let (body, meta) = object::encode(&entry, ty, &self.codec, self.compression)?;
        if self.upload(&name, body.clone(), meta.clone(), true).await? {
            return Ok(true);
        }
        // Taken: by a live entry (we lost), or by an expired one, which we remove and retry once.
        match self.head(&name).await? {
            Some((stored, _)) if !object::is_expired(&stored, self.now()) => Ok(false),
            _ => {
                self.remove(&name).await?;
                self.upload(&name, body, meta, true).await
            }
        }
    }

    async fn cleanup(&self) -> StorageResult<usize> {
        let prefix = self.prefix.clone();
        let objects: Vec<(String, Metadata)> = self
            .run(move |c, bucket| async move {
                let mut found = Vec::new();
                let mut page_token = None;
                loop {
                    let page = c
                        .list_objects(&ListObjectsRequest {
                            bucket: bucket.clone(),
                            prefix: Some(prefix.clone()),
                            page_token,
                            ..Default::default()
                        })
                        .await?;
                    found.extend(
                        page.items
                            .unwrap_or_default()
                            .into_iter()
                            .map(|o| (o.name, o.metadata.unwrap_or_default())),
                    );
                    page_token = page.next_page_token;
                    if page_token.is_none() {
                        return Ok(found);
                    }
                }
            })
            .await?
            .map_err(backend)?;
        let now = self.now();
        let mut removed = 0;
        for (name, meta) in objects {
            if object::is_expired(&meta, now) && self.remove(&name).await? {
                removed += 1;
            }
        }
        Ok(removed)
    }
}

impl Storage for GcsStorage {
    fn kind(&self) -> &'static str {
        "gcs"
    }

    fn now(&self) -> Millis {
        self.clock.now_millis()
    }

    blocking_via_async!(backend);

    fn cleanup_expired_blocking(&self) -> StorageResult<usize> {
        crate::rt::block_on(self.cleanup()).map_err(backend)?
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
        Box::pin(async move { self.remove(&self.object_name(key)).await })
    }

    fn exists<'a>(&'a self, key: &'a str) -> BoxFuture<'a, StorageResult<bool>> {
        Box::pin(async move {
            Ok(self
                .head(&self.object_name(key))
                .await?
                .is_some_and(|(meta, _)| !object::is_expired(&meta, self.now())))
        })
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

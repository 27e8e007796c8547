//! The Google Cloud Storage storage (feature `gcs`), on the JSON API through `gcloud-storage`.

use std::fmt;
use std::future::Future;

use gcloud_storage::client::{Client, ClientConfig};
use gcloud_storage::http::Error as GcsError;
use gcloud_storage::http::objects::Object;
use gcloud_storage::http::objects::delete::DeleteObjectRequest;
use gcloud_storage::http::objects::download::Range;
use gcloud_storage::http::objects::get::GetObjectRequest;
use gcloud_storage::http::objects::list::ListObjectsRequest;
use gcloud_storage::http::objects::patch::PatchObjectRequest;
use gcloud_storage::http::objects::upload::{UploadObjectRequest, UploadType};

use super::StorageResult;
use super::object::{self, Metadata};
use super::object_storage::{ObjectBackend, ObjectSettings, ObjectStorage, Resolve};
use crate::clock::{Millis, SharedClock, system_clock};
use crate::error::StorageError;
use crate::storage::codec::{Codec, Encoding};

/// Configures a [`GcsStorage`].
///
/// ```no_run
/// use advanced_caching::storage::{Codec, GcsStorage};
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
    encoding: Encoding,
    clock: Option<SharedClock>,
}

impl GcsStorageBuilder {
    byte_storage_setters!(
        prefix: "Prepends `prefix` to every object name.",
        compression: "Deflates bodies (the flag lives in the object's metadata, not in `Content-Encoding`, which GCS would undo on download).",
        dedupe_writes: "When on, a write whose content hash matches the stored object skips the upload and only patches the metadata (the object's generation stays).",
    );

    /// An endpoint for emulators (`http://127.0.0.1:4443`); requests are then anonymous.
    /// Without it: Google's endpoint with application-default credentials.
    pub fn endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = Some(endpoint.into());
        self
    }

    /// Builds the storage; `${VAR}` in the settings is resolved now. Without an endpoint this
    /// loads application-default credentials.
    pub fn build(self) -> Result<GcsStorage, StorageError> {
        let resolve = Resolve("gcs");
        let bucket = resolve.bucket(&self.bucket)?;
        let prefix = resolve.text("prefix", &self.prefix)?;
        // An endpoint that resolves to nothing (`${GCS_ENDPOINT:-}`) means Google itself.
        let endpoint = resolve.optional("endpoint", &self.endpoint)?;
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
        let backend = GcsBucket {
            client: Client::new(config),
            bucket,
        };
        Ok(ObjectStorage::new(
            backend,
            ObjectSettings {
                prefix,
                encoding: self.encoding,
                clock: self.clock.unwrap_or_else(system_clock),
            },
        ))
    }

    /// [`GcsStorageBuilder::build`] as a shared storage; a configuration error becomes a
    /// [`FailingStorage`](crate::storage::FailingStorage) whose every call fails with it (generated code
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
/// use advanced_caching::storage::{GcsStorage, StorageExt};
/// let gcs = GcsStorage::builder("cache").build().unwrap();
/// gcs.set_typed("report", &vec![1u8, 2], None).await.unwrap();
/// # });
/// ```
pub type GcsStorage = ObjectStorage<GcsBucket>;

/// A Google Cloud Storage bucket, as the [`ObjectBackend`] of a [`GcsStorage`].
pub struct GcsBucket {
    client: Client,
    bucket: String,
}

impl fmt::Debug for GcsBucket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GcsBucket")
            .field("bucket", &self.bucket)
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

impl GcsBucket {
    /// Runs one request on the background runtime, where the client keeps its connections.
    async fn run<T, F, Fut>(&self, op: F) -> StorageResult<Result<T, GcsError>>
    where
        T: Send + 'static,
        F: FnOnce(Client, String) -> Fut,
        Fut: Future<Output = Result<T, GcsError>> + Send + 'static,
    {
        crate::rt::on_background(op(self.client.clone(), self.bucket.clone()))
            .await
            .map_err(backend)
    }

    /// The object's metadata and generation, `None` when absent.
    async fn stat(&self, name: &str) -> StorageResult<Option<(Metadata, i64)>> {
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
}

impl ObjectBackend for GcsBucket {
    const KIND: &'static str = "gcs";

    async fn head(&self, name: &str) -> StorageResult<Option<Metadata>> {
        Ok(self.stat(name).await?.map(|(meta, _)| meta))
    }

    /// Metadata first (an expired object is not downloaded), then the body of that generation.
    async fn read(&self, name: &str, now: Millis) -> StorageResult<Option<(Vec<u8>, Metadata)>> {
        let Some((meta, generation)) = self.stat(name).await? else {
            return Ok(None);
        };
        // Foreign objects (no timestamps) are a codec error, which callers treat as a miss.
        if object::timestamps(&meta)?.is_expired(now) {
            return Ok(None);
        }
        let name = name.to_owned();
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
        match reply {
            Ok(body) => Ok(Some((body, meta))),
            // Replaced or removed between the two requests: a miss.
            Err(e) if status(&e) == Some(404) => Ok(None),
            Err(e) => Err(backend(e)),
        }
    }

    async fn put(
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

    async fn replace_metadata(&self, name: &str, meta: Metadata) -> StorageResult<()> {
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

    async fn list(&self, prefix: &str) -> StorageResult<Vec<(String, Option<Metadata>)>> {
        let prefix = prefix.to_owned();
        self.run(move |c, bucket| async move {
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
                        .map(|o| (o.name, Some(o.metadata.unwrap_or_default()))),
                );
                page_token = page.next_page_token;
                if page_token.is_none() {
                    return Ok(found);
                }
            }
        })
        .await?
        .map_err(backend)
    }
}

impl GcsStorage {
    /// A builder for `bucket`.
    pub fn builder(bucket: impl Into<String>) -> GcsStorageBuilder {
        GcsStorageBuilder {
            bucket: bucket.into(),
            prefix: String::new(),
            endpoint: None,
            encoding: Encoding::default(),
            clock: None,
        }
    }

    /// The GCS client, for what this storage does not cover.
    pub fn client(&self) -> &Client {
        &self.backend().client
    }

    /// The bucket.
    pub fn bucket(&self) -> &str {
        &self.backend().bucket
    }
}

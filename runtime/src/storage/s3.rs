//! The S3 storage (feature `s3`): one object per key under a prefix, expiry in object metadata.

use std::fmt;
use std::future::Future;
use std::time::Duration;

use aws_sdk_s3::Client;
use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_s3::error::{DisplayErrorContext, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::MetadataDirective;

use super::StorageResult;
use super::object::Metadata;
use super::object_storage::{ObjectBackend, ObjectSettings, ObjectStorage};
use crate::clock::{Millis, SharedClock, system_clock};
use crate::codec::Codec;
use crate::error::StorageError;

/// Configures an [`S3Storage`].
///
/// ```no_run
/// use advanced_caching::{Codec, S3Storage};
/// let storage = S3Storage::builder("my-cache-bucket")
///     .prefix("app/")
///     .endpoint("http://127.0.0.1:9000") // MinIO, R2, an emulator; path-style addressing
///     .credentials("access-key", "secret-key")
///     .compression(true)
///     .dedupe_writes(true)
///     .build()
///     .unwrap();
/// ```
#[derive(Debug, Clone)]
pub struct S3StorageBuilder {
    bucket: String,
    prefix: String,
    region: Option<String>,
    endpoint: Option<String>,
    credentials: Option<(String, String)>,
    codec: Codec,
    compression: bool,
    dedupe_writes: bool,
    clock: Option<SharedClock>,
    timeout: Duration,
}

impl S3StorageBuilder {
    /// Prepends `prefix` to every object name.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// The region (default: `AWS_REGION`, else `us-east-1`).
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// An endpoint for S3-compatible stores and emulators; turns on path-style addressing.
    pub fn endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = Some(endpoint.into());
        self
    }

    /// Static credentials. Without them: `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY`, or the
    /// standard AWS chain with the `s3-credential-chain` feature.
    pub fn credentials(
        mut self,
        access_key: impl Into<String>,
        secret_key: impl Into<String>,
    ) -> Self {
        self.credentials = Some((access_key.into(), secret_key.into()));
        self
    }

    /// The codec of payloads (default [`Codec::Binary`]).
    pub fn codec(mut self, codec: Codec) -> Self {
        self.codec = codec;
        self
    }

    /// Deflates bodies (the flag lives in the object's metadata).
    pub fn compression(mut self, on: bool) -> Self {
        self.compression = on;
        self
    }

    /// When on, a write whose content hash matches the stored object skips the upload and only
    /// replaces the metadata (a server-side copy: the ETag stays).
    pub fn dedupe_writes(mut self, on: bool) -> Self {
        self.dedupe_writes = on;
        self
    }

    /// The clock that stamps entries and decides expiry (default: the system clock).
    pub fn clock(mut self, clock: SharedClock) -> Self {
        self.clock = Some(clock);
        self
    }

    /// How long one request may take, connection included (default 5 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Builds the storage; `${VAR}` in the settings is resolved now. No request is made.
    pub fn build(self) -> Result<S3Storage, StorageError> {
        let expand = |what: &str, v: &str| {
            crate::env::expand_env(v).map_err(|e| StorageError::Config(format!("s3 {what}: {e}")))
        };
        let bucket = expand("bucket", &self.bucket)?;
        if bucket.is_empty() {
            return Err(StorageError::Config("s3 bucket is empty".into()));
        }
        let prefix = expand("prefix", &self.prefix)?;
        let region = match &self.region {
            Some(r) => Some(expand("region", r)?).filter(|r| !r.is_empty()),
            None => None,
        }
        .or_else(|| std::env::var("AWS_REGION").ok())
        .unwrap_or_else(|| "us-east-1".into());
        let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let credentials = self
            .credentials
            .clone()
            .map(|(a, s)| Credentials::new(a, s, None, None, "advanced-caching"))
            .or_else(|| {
                Some(Credentials::new(
                    env("AWS_ACCESS_KEY_ID")?,
                    env("AWS_SECRET_ACCESS_KEY")?,
                    env("AWS_SESSION_TOKEN"),
                    None,
                    "environment",
                ))
            });
        let timeouts = aws_sdk_s3::config::timeout::TimeoutConfig::builder()
            .operation_timeout(self.timeout)
            .connect_timeout(self.timeout)
            .build();
        let mut config = match credentials {
            Some(c) => aws_sdk_s3::Config::builder().credentials_provider(c),
            None => chain_config()?,
        }
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region))
        .timeout_config(timeouts)
        .retry_config(aws_sdk_s3::config::retry::RetryConfig::standard().with_max_attempts(2));
        // An endpoint that resolves to nothing (`${S3_ENDPOINT:-}`) means AWS itself.
        let endpoint = match &self.endpoint {
            Some(e) => Some(expand("endpoint", e)?).filter(|e| !e.is_empty()),
            None => None,
        };
        if let Some(endpoint) = endpoint {
            config = config.endpoint_url(endpoint).force_path_style(true);
        }
        let backend = S3Bucket {
            client: Client::from_conf(config.build()),
            bucket,
        };
        Ok(ObjectStorage::new(
            backend,
            ObjectSettings {
                prefix,
                codec: self.codec,
                compression: self.compression,
                dedupe: self.dedupe_writes,
                clock: self.clock.unwrap_or_else(system_clock),
            },
        ))
    }

    /// [`S3StorageBuilder::build`] as a shared storage; a configuration error becomes a
    /// [`FailingStorage`](crate::FailingStorage) whose every call fails with it (generated code
    /// uses this, so bad settings never stop a program).
    pub fn build_shared(self) -> super::SharedStorage {
        let clock = self.clock.clone();
        super::FailingStorage::or_failing("s3", self.build(), || clock.unwrap_or_else(system_clock))
    }
}

#[cfg(feature = "s3-credential-chain")]
fn chain_config() -> Result<aws_sdk_s3::config::Builder, StorageError> {
    let shared = crate::rt::block_on(aws_config::defaults(BehaviorVersion::latest()).load())
        .map_err(|e| StorageError::Config(e.to_string()))?;
    Ok(aws_sdk_s3::config::Builder::from(&shared))
}

#[cfg(not(feature = "s3-credential-chain"))]
fn chain_config() -> Result<aws_sdk_s3::config::Builder, StorageError> {
    Err(StorageError::Config(
        "no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, pass them to \
         S3StorageBuilder::credentials, or enable the `s3-credential-chain` feature"
            .into(),
    ))
}

/// A storage on Amazon S3 or an S3-compatible store: one object per key under a prefix; the
/// entry's timestamps, a compression flag and a content hash in the object's metadata (an
/// expired object is a miss); `set_if_not_exists` as one conditional create (`If-None-Match: *`);
/// `dedupe_writes` that skips the upload of unchanged content.
///
/// ```no_run
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use advanced_caching::{S3Storage, StorageExt};
/// let s3 = S3Storage::builder("cache").credentials("id", "secret").build().unwrap();
/// s3.set_typed("report", &vec![1u8, 2], None).await.unwrap();
/// # });
/// ```
pub type S3Storage = ObjectStorage<S3Bucket>;

/// An S3 bucket, as the [`ObjectBackend`] of an [`S3Storage`].
#[derive(Debug)]
pub struct S3Bucket {
    client: Client,
    bucket: String,
}

struct Failure {
    status: Option<u16>,
    message: String,
}

impl<E, R> From<SdkError<E, R>> for Failure
where
    E: std::error::Error + 'static,
    R: fmt::Debug + HasStatus,
{
    fn from(e: SdkError<E, R>) -> Self {
        Self {
            status: e.raw_response().map(HasStatus::status),
            message: DisplayErrorContext(&e).to_string(),
        }
    }
}

/// The HTTP status of a raw SDK response.
trait HasStatus {
    fn status(&self) -> u16;
}

impl HasStatus for aws_sdk_s3::config::http::HttpResponse {
    fn status(&self) -> u16 {
        self.status().as_u16()
    }
}

fn backend(e: impl fmt::Display) -> StorageError {
    StorageError::backend("s3", e)
}

/// What a HEAD found.
impl S3Bucket {
    /// Runs one request on the background runtime, where the client keeps its connections.
    async fn run<T, F, Fut>(&self, op: F) -> StorageResult<Result<T, Failure>>
    where
        T: Send + 'static,
        F: FnOnce(Client, String) -> Fut,
        Fut: Future<Output = Result<T, Failure>> + Send + 'static,
    {
        crate::rt::on_background(op(self.client.clone(), self.bucket.clone()))
            .await
            .map_err(backend)
    }
}

impl ObjectBackend for S3Bucket {
    const KIND: &'static str = "s3";

    async fn head(&self, name: &str) -> StorageResult<Option<Metadata>> {
        let name = name.to_owned();
        let reply = self
            .run(move |c, bucket| async move {
                let out = c.head_object().bucket(bucket).key(name).send().await?;
                Ok(out.metadata().cloned().unwrap_or_default())
            })
            .await?;
        match reply {
            Ok(meta) => Ok(Some(meta)),
            Err(f) if f.status == Some(404) => Ok(None),
            Err(f) => Err(backend(f.message)),
        }
    }

    async fn read(&self, name: &str, _now: Millis) -> StorageResult<Option<(Vec<u8>, Metadata)>> {
        let name = name.to_owned();
        let reply = self
            .run(move |c, bucket| async move {
                let out = c.get_object().bucket(bucket).key(name).send().await?;
                let meta = out.metadata().cloned().unwrap_or_default();
                let body = out.body.collect().await.map_err(|e| Failure {
                    status: None,
                    message: format!("reading the body: {e}"),
                })?;
                Ok((body.into_bytes().to_vec(), meta))
            })
            .await?;
        match reply {
            Ok(found) => Ok(Some(found)),
            Err(f) if f.status == Some(404) => Ok(None),
            Err(f) => Err(backend(f.message)),
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
                let mut put = c
                    .put_object()
                    .bucket(bucket)
                    .key(name)
                    .body(ByteStream::from(body))
                    .set_metadata(Some(meta));
                if only_if_absent {
                    put = put.if_none_match("*");
                }
                put.send().await?;
                Ok(())
            })
            .await?;
        match reply {
            Ok(()) => Ok(true),
            Err(f) if only_if_absent && matches!(f.status, Some(412 | 409)) => Ok(false),
            Err(f) => Err(backend(f.message)),
        }
    }

    /// A server-side copy onto itself with the new metadata.
    async fn replace_metadata(&self, name: &str, meta: Metadata) -> StorageResult<()> {
        let (name, source) = (name.to_owned(), copy_source(&self.bucket, name));
        self.run(move |c, bucket| async move {
            c.copy_object()
                .bucket(bucket)
                .key(name)
                .copy_source(source)
                .metadata_directive(MetadataDirective::Replace)
                .set_metadata(Some(meta))
                .send()
                .await?;
            Ok(())
        })
        .await?
        .map_err(|f| backend(f.message))
    }

    /// S3 deletes answer the same whether the object existed: a HEAD tells.
    async fn remove(&self, name: &str) -> StorageResult<bool> {
        let existed = self.head(name).await?.is_some();
        let name = name.to_owned();
        self.run(move |c, bucket| async move {
            c.delete_object().bucket(bucket).key(name).send().await?;
            Ok(())
        })
        .await?
        .map_err(|f| backend(f.message))?;
        Ok(existed)
    }

    /// S3 listings carry no user metadata.
    async fn list(&self, prefix: &str) -> StorageResult<Vec<(String, Option<Metadata>)>> {
        let prefix = prefix.to_owned();
        self.run(move |c, bucket| async move {
            let mut names = Vec::new();
            let mut pages = c
                .list_objects_v2()
                .bucket(bucket)
                .prefix(prefix)
                .into_paginator()
                .send();
            while let Some(page) = pages.next().await {
                let page = page?;
                names.extend(
                    page.contents()
                        .iter()
                        .filter_map(|o| Some((o.key()?.to_owned(), None))),
                );
            }
            Ok(names)
        })
        .await?
        .map_err(|f| backend(f.message))
    }
}

impl S3Storage {
    /// A builder for `bucket` (`${VAR}` resolved at build); the region comes from
    /// [`S3StorageBuilder::region`], else `AWS_REGION`, else `us-east-1`.
    pub fn builder(bucket: impl Into<String>) -> S3StorageBuilder {
        S3StorageBuilder {
            bucket: bucket.into(),
            prefix: String::new(),
            region: None,
            endpoint: None,
            credentials: None,
            codec: Codec::default(),
            compression: false,
            dedupe_writes: false,
            clock: None,
            timeout: Duration::from_secs(5),
        }
    }

    /// The S3 client, for what this storage does not cover.
    pub fn client(&self) -> &Client {
        &self.backend().client
    }

    /// The bucket.
    pub fn bucket(&self) -> &str {
        &self.backend().bucket
    }
}

/// `bucket/name`, percent-encoded as CopyObject wants it.
fn copy_source(bucket: &str, name: &str) -> String {
    let mut out = format!("{bucket}/");
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

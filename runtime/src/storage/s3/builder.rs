//! Configuring an S3 storage: bucket, prefix, region, endpoint, credentials, timeouts, codec.

use super::*;

/// Configures an [`S3Storage`].
///
/// ```no_run
/// use advanced_caching::storage::{Codec, S3Storage};
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
    pub(super) bucket: String,
    pub(super) prefix: String,
    pub(super) region: Option<String>,
    pub(super) endpoint: Option<String>,
    pub(super) credentials: Option<(String, String)>,
    pub(super) encoding: Encoding,
    pub(super) clock: Option<SharedClock>,
    pub(super) timeout: Duration,
}

impl S3StorageBuilder {
    byte_storage_setters!(
        prefix: "Prepends `prefix` to every object name.",
        compression: "Deflates bodies (the flag lives in the object's metadata).",
        dedupe_writes: "When on, a write whose content hash matches the stored object skips the upload and only replaces the metadata (a server-side copy: the ETag stays).",
    );

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

    /// How long one request may take, connection included (default 5 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Builds the storage; `${VAR}` in the settings is resolved now. No request is made.
    pub fn build(self) -> Result<S3Storage, StorageError> {
        let resolve = Resolve("s3");
        let bucket = resolve.bucket(&self.bucket)?;
        let prefix = resolve.text("prefix", &self.prefix)?;
        let region = resolve
            .optional("region", &self.region)?
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
        if let Some(endpoint) = resolve.optional("endpoint", &self.endpoint)? {
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
                encoding: self.encoding,
                clock: self.clock.unwrap_or_else(system_clock),
            },
        ))
    }

    /// [`S3StorageBuilder::build`] as a shared storage; a configuration error becomes a
    /// [`FailingStorage`](crate::storage::FailingStorage) whose every call fails with it (generated code
    /// uses this, so bad settings never stop a program).
    pub fn build_shared(self) -> crate::storage::SharedStorage {
        let clock = self.clock.clone();
        crate::storage::FailingStorage::or_failing("s3", self.build(), || {
            clock.unwrap_or_else(system_clock)
        })
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

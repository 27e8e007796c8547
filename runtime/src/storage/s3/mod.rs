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
use super::object_storage::{ObjectBackend, ObjectSettings, ObjectStorage, Resolve};
use crate::clock::{Millis, SharedClock, system_clock};
use crate::error::StorageError;
use crate::storage::codec::{Codec, Encoding};

mod builder;

pub use self::builder::S3StorageBuilder;

/// A storage on Amazon S3 or an S3-compatible store: one object per key under a prefix; the
/// entry's timestamps, a compression flag and a content hash in the object's metadata (an
/// expired object is a miss); `set_if_not_exists` as one conditional create (`If-None-Match: *`);
/// `dedupe_writes` that skips the upload of unchanged content.
///
/// ```no_run
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use advanced_caching::storage::{S3Storage, StorageExt};
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
            encoding: Encoding::default(),
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

//! `type = "s3"`: Amazon S3 or a compatible store (feature `s3`).

use quote::quote;
use schemars::JsonSchema;
use serde::Deserialize;

use super::objects::{Objects, Written};
use super::{Kind, StorageModel};
use crate::check::{KindCheck, text};
use crate::raw::{RawDuration, Spanned};
use crate::schema::SerializerName;

/// An S3 storage.
#[derive(Debug, Clone, PartialEq)]
pub struct S3 {
    /// Bucket, prefix, endpoint, codec.
    pub objects: Objects,
    /// Region.
    pub region: Option<String>,
}

/// `[storages.NAME]` of `type = "s3"`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Settings {
    /// Bucket.
    #[schemars(required, with = "String")]
    bucket: Option<Spanned<String>>,
    /// Prefix of every object key.
    prefix: Option<Spanned<String>>,
    /// Region.
    region: Option<Spanned<String>>,
    /// Endpoint of a compatible store or emulator (path-style).
    endpoint: Option<Spanned<String>>,
    /// Codec.
    #[schemars(with = "Option<SerializerName>")]
    serializer: Option<Spanned<String>>,
    /// Compress payloads.
    compression: Option<Spanned<bool>>,
    /// Skip the upload when content is unchanged.
    dedupe_writes: Option<Spanned<bool>>,
    /// How often expired objects are removed (they are misses until then).
    cleanup_interval: Option<Spanned<RawDuration>>,
}

impl Kind for S3 {
    const NAME: &'static str = "s3";
    type Settings = Settings;

    fn check(s: Settings, c: &mut KindCheck<'_, '_>) -> Option<Self> {
        let written = Written {
            bucket: &s.bucket,
            prefix: &s.prefix,
            endpoint: &s.endpoint,
            serializer: &s.serializer,
            compression: &s.compression,
            dedupe_writes: &s.dedupe_writes,
            cleanup_interval: &s.cleanup_interval,
        };
        Some(Self {
            objects: Objects::check(written, c)?,
            region: text(&s.region),
        })
    }
}

impl StorageModel for S3 {
    fn feature(&self) -> Option<&'static str> {
        Some("s3")
    }

    fn keeps_bytes(&self) -> bool {
        true
    }

    fn keyspaces(&self, _: &str) -> Vec<(String, String)> {
        self.objects.keyspace("s3")
    }

    fn cleanup_interval(&self) -> Option<std::time::Duration> {
        self.objects.cleanup_interval
    }

    fn build(&self) -> proc_macro2::TokenStream {
        let region = self.region.as_ref().map(|r| quote! { .region(#r) });
        self.objects
            .build(quote! { __ac::S3Storage::builder }, region)
    }
}

//! `type = "gcs"`: Google Cloud Storage (feature `gcs`).

use quote::quote;
use schemars::JsonSchema;
use serde::Deserialize;

use super::objects::{Objects, Written};
use super::{Kind, StorageModel};
use crate::check::KindCheck;
use crate::raw::{RawDuration, Spanned};
use crate::schema::SerializerName;

/// A GCS storage.
#[derive(Debug, Clone, PartialEq)]
pub struct Gcs {
    /// Bucket, prefix, endpoint, codec.
    pub objects: Objects,
}

/// `[storages.NAME]` of `type = "gcs"`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Settings {
    /// Bucket.
    #[schemars(required, with = "String")]
    bucket: Option<Spanned<String>>,
    /// Prefix of every object name.
    prefix: Option<Spanned<String>>,
    /// Endpoint of an emulator.
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

impl Kind for Gcs {
    const NAME: &'static str = "gcs";
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
        })
    }
}

impl StorageModel for Gcs {
    fn feature(&self) -> Option<&'static str> {
        Some("gcs")
    }

    fn keeps_bytes(&self) -> bool {
        true
    }

    fn keyspaces(&self, _: &str) -> Vec<(String, String)> {
        self.objects.keyspace("gcs")
    }

    fn cleanup_interval(&self) -> Option<std::time::Duration> {
        self.objects.cleanup_interval
    }

    fn build(&self) -> proc_macro2::TokenStream {
        self.objects
            .build(quote! { __ac::GcsStorage::builder }, None)
    }
}

//! `type = "file"`: one file per key under a directory.

use std::time::Duration;

use quote::quote;
use schemars::JsonSchema;
use serde::Deserialize;

use super::{Kind, StorageModel};
use super::KindReport;
use crate::spanned::flag;
use super::codec;
use super::Serializer;
use crate::spanned::{RawDuration, Spanned};
use crate::value_schemas::SerializerName;

/// A file storage.
#[derive(Debug, Clone, PartialEq)]
pub struct File {
    /// The directory.
    pub dir: String,
    /// Codec.
    pub serializer: Serializer,
    /// Compress payloads.
    pub compression: bool,
    /// Skip unchanged writes.
    pub dedupe_writes: bool,
    /// fsync each write.
    pub fsync: bool,
    /// How often expired files are removed.
    pub cleanup_interval: Option<Duration>,
}

/// `[storages.NAME]` of `type = "file"`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Settings {
    /// The directory.
    #[schemars(required, with = "String")]
    dir: Option<Spanned<String>>,
    /// Codec.
    #[schemars(with = "Option<SerializerName>")]
    serializer: Option<Spanned<String>>,
    /// Compress payloads.
    compression: Option<Spanned<bool>>,
    /// Skip unchanged writes.
    dedupe_writes: Option<Spanned<bool>>,
    /// fsync every write.
    fsync: Option<Spanned<bool>>,
    /// How often expired files are removed (they are misses until then).
    cleanup_interval: Option<Spanned<RawDuration>>,
}

impl Kind for File {
    const NAME: &'static str = "file";
    type Settings = Settings;

    fn check(s: Settings, c: &mut impl KindReport) -> Option<Self> {
        let serializer = c.serializer(&s.serializer);
        let cleanup_interval = c.optional_duration(&s.cleanup_interval);
        Some(Self {
            dir: c.required(&s.dir, "dir")?,
            serializer: serializer?,
            compression: flag(&s.compression),
            dedupe_writes: flag(&s.dedupe_writes),
            fsync: flag(&s.fsync),
            cleanup_interval: cleanup_interval?,
        })
    }
}

impl StorageModel for File {
    fn keeps_bytes(&self) -> bool {
        true
    }

    fn keyspaces(&self, _: &str) -> Vec<(String, String)> {
        vec![(format!("file {}", self.dir.trim()), String::new())]
    }

    fn cleanup_interval(&self) -> Option<Duration> {
        self.cleanup_interval
    }

    fn build(&self) -> proc_macro2::TokenStream {
        let Self {
            dir,
            serializer,
            compression,
            dedupe_writes,
            fsync,
            ..
        } = self;
        let codec = codec(serializer);
        quote! {
            __ac::FileStorage::builder(#dir)
                .codec(#codec)
                .compression(#compression)
                .dedupe_writes(#dedupe_writes)
                .fsync(#fsync)
                .clock(clock.clone())
                .build_shared()
        }
    }
}

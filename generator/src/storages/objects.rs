//! What the object stores (`s3`, `gcs`) share: a bucket, a key prefix, an endpoint, how payloads
//! are encoded, and a cleanup schedule for expired objects.

use std::time::Duration;

use proc_macro2::TokenStream;
use quote::quote;

use super::KindReport;
use super::Serializer;
use super::codec;
use crate::spanned::{RawDuration, Spanned};
use crate::spanned::{flag, text};

/// The settings every object store has, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Objects {
    /// Bucket.
    pub bucket: String,
    /// Key prefix.
    pub prefix: String,
    /// Endpoint for compatible stores and emulators.
    pub endpoint: Option<String>,
    /// Codec.
    pub serializer: Serializer,
    /// Compress payloads.
    pub compression: bool,
    /// Skip unchanged uploads.
    pub dedupe_writes: bool,
    /// How often expired objects are removed.
    pub cleanup_interval: Option<Duration>,
}

/// Declares `Settings`, the settings of an object store as written: those every object store
/// takes, then the string settings `$extra` of its own; `Settings::objects` checks the shared ones.
macro_rules! object_settings {
    ($kind:literal $(, $(#[doc = $doc:literal])* $extra:ident)*) => {
        #[doc = concat!("`[storages.NAME]` of `type = \"", $kind, "\"`.")]
        #[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
        #[serde(deny_unknown_fields)]
        pub(crate) struct Settings {
            /// Bucket.
            #[schemars(required, with = "String")]
            bucket: Option<Spanned<String>>,
            /// Prefix of every object name.
            prefix: Option<Spanned<String>>,
            /// Endpoint of a compatible store or an emulator.
            endpoint: Option<Spanned<String>>,
            /// Codec.
            #[schemars(with = "Option<crate::value_schemas::SerializerName>")]
            serializer: Option<Spanned<String>>,
            /// Compress payloads.
            compression: Option<Spanned<bool>>,
            /// Skip the upload when content is unchanged.
            dedupe_writes: Option<Spanned<bool>>,
            /// How often expired objects are removed (they are misses until then).
            cleanup_interval: Option<Spanned<crate::spanned::RawDuration>>,
            $($(#[doc = $doc])* $extra: Option<Spanned<String>>,)*
        }

        impl Settings {
            /// Checks the settings every object store takes.
            fn objects(&self, c: &mut impl KindReport) -> Option<Objects> {
                let written = super::objects::Written {
                    bucket: &self.bucket,
                    prefix: &self.prefix,
                    endpoint: &self.endpoint,
                    serializer: &self.serializer,
                    compression: &self.compression,
                    dedupe_writes: &self.dedupe_writes,
                    cleanup_interval: &self.cleanup_interval,
                };
                Objects::check(written, c)
            }
        }
    };
}
pub(crate) use object_settings;

/// The settings every object store has, as written.
pub(crate) struct Written<'a> {
    pub(crate) bucket: &'a Option<Spanned<String>>,
    pub(crate) prefix: &'a Option<Spanned<String>>,
    pub(crate) endpoint: &'a Option<Spanned<String>>,
    pub(crate) serializer: &'a Option<Spanned<String>>,
    pub(crate) compression: &'a Option<Spanned<bool>>,
    pub(crate) dedupe_writes: &'a Option<Spanned<bool>>,
    pub(crate) cleanup_interval: &'a Option<Spanned<RawDuration>>,
}

impl Objects {
    /// Checks the shared settings.
    pub(crate) fn check(s: Written<'_>, c: &mut impl KindReport) -> Option<Self> {
        let serializer = c.serializer(s.serializer);
        let cleanup_interval = c.optional_duration(s.cleanup_interval);
        Some(Self {
            bucket: c.required(s.bucket, "bucket")?,
            prefix: text(s.prefix).unwrap_or_default(),
            endpoint: text(s.endpoint),
            serializer: serializer?,
            compression: flag(s.compression),
            dedupe_writes: flag(s.dedupe_writes),
            cleanup_interval: cleanup_interval?,
        })
    }

    /// The keyspace: a bucket at an endpoint.
    pub(crate) fn keyspace(&self, kind: &str) -> Vec<(String, String)> {
        let endpoint = self.endpoint.as_deref().unwrap_or_default();
        vec![(
            format!("{kind} {endpoint}/{}", self.bucket),
            self.prefix.clone(),
        )]
    }

    /// Builds the storage with `builder` (`S3Storage::builder`, …); `extra` adds kind-specific
    /// setters.
    pub(crate) fn build(&self, builder: TokenStream, extra: Option<TokenStream>) -> TokenStream {
        let Self {
            bucket,
            prefix,
            endpoint,
            serializer,
            compression,
            dedupe_writes,
            ..
        } = self;
        let codec = codec(serializer);
        let endpoint = endpoint.as_ref().map(|e| quote! { .endpoint(#e) });
        quote! {
            #builder(#bucket)
                .prefix(#prefix)
                #extra
                #endpoint
                .codec(#codec)
                .compression(#compression)
                .dedupe_writes(#dedupe_writes)
                .clock(clock.clone())
                .build_shared()
        }
    }
}

//! `type = "s3"`: Amazon S3 or a compatible store (feature `s3`).

use quote::quote;

use super::objects::{Objects, object_settings};
use super::{Kind, StorageModel};
use super::KindReport;
use crate::spanned::text;
use crate::spanned::Spanned;

/// An S3 storage.
#[derive(Debug, Clone, PartialEq)]
pub struct S3 {
    /// Bucket, prefix, endpoint, codec.
    pub objects: Objects,
    /// Region.
    pub region: Option<String>,
}

object_settings!("s3",
    /// Region.
    region);

impl Kind for S3 {
    const NAME: &'static str = "s3";
    type Settings = Settings;

    fn check(s: Settings, c: &mut impl KindReport) -> Option<Self> {
        Some(Self {
            objects: s.objects(c)?,
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

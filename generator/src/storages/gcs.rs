//! `type = "gcs"`: Google Cloud Storage (feature `gcs`).

use quote::quote;

use super::objects::{Objects, object_settings};
use super::{Kind, StorageModel};
use super::KindReport;
use crate::spanned::Spanned;

/// A GCS storage.
#[derive(Debug, Clone, PartialEq)]
pub struct Gcs {
    /// Bucket, prefix, endpoint, codec.
    pub objects: Objects,
}

object_settings!("gcs");

impl Kind for Gcs {
    const NAME: &'static str = "gcs";
    type Settings = Settings;

    fn check(s: Settings, c: &mut impl KindReport) -> Option<Self> {
        Some(Self {
            objects: s.objects(c)?,
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

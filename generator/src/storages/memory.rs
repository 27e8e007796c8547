//! `type = "memory"`: in-process, bounded, holds decoded values.

use quote::quote;
use schemars::JsonSchema;
use serde::Deserialize;

use super::{Kind, StorageModel};
use super::KindReport;
use crate::spanned::Spanned;

/// The bound of a memory storage that gives none (and of the implicit `default` storage).
pub(crate) const DEFAULT_MAX_ENTRIES: u64 = 10_000;

/// A memory storage.
#[derive(Debug, Clone, PartialEq)]
pub struct Memory {
    /// The most entries kept.
    pub max_entries: u64,
}

/// `[storages.NAME]` of `type = "memory"`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Settings {
    /// The most entries kept (default 10 000; at least 1).
    #[schemars(with = "Option<u64>", range(min = 1))]
    max_entries: Option<Spanned<i64>>,
}

impl Kind for Memory {
    const NAME: &'static str = "memory";
    type Settings = Settings;

    fn check(s: Settings, c: &mut impl KindReport) -> Option<Self> {
        let max_entries = match &s.max_entries {
            Some(m) if *m.get_ref() <= 0 => {
                c.error(
                    "max_entries must be positive",
                    m.span(),
                    "memory storages are bounded",
                    "give the largest number of entries to keep, e.g. 100_000",
                );
                return None;
            }
            Some(m) => u64::try_from(*m.get_ref()).ok()?,
            None => DEFAULT_MAX_ENTRIES,
        };
        Some(Self { max_entries })
    }
}

impl StorageModel for Memory {
    fn keyspaces(&self, name: &str) -> Vec<(String, String)> {
        vec![(format!("memory {name}"), String::new())]
    }

    fn build(&self) -> proc_macro2::TokenStream {
        let max = usize::try_from(self.max_entries).unwrap_or(usize::MAX);
        quote! {
            ::std::sync::Arc::new(__ac::MemoryStorage::with_clock(#max, clock.clone()))
        }
    }
}

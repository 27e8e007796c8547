//! `type = "chain"`: levels, fastest first; write-through, read-through with promotion.

use std::time::Duration;

use quote::quote;
use schemars::JsonSchema;
use serde::Deserialize;

use super::{Kind, LevelOf, StorageModel};
use super::KindReport;
use crate::tokens::{millis, storage_ident};
use crate::spanned::{RawDuration, Spanned};

/// A chain storage.
#[derive(Debug, Clone, PartialEq)]
pub struct Chain {
    /// The levels.
    pub levels: Vec<Level>,
    /// In-memory copies dropped when another process changes the key below (Redis pub/sub).
    pub coherent: bool,
}

/// One chain level.
#[derive(Debug, Clone, PartialEq)]
pub struct Level {
    /// The storage of this level.
    pub storage: String,
    /// A TTL cap for copies kept here (`None`: the entry's own TTL).
    pub ttl: Option<Duration>,
}

/// `[storages.NAME]` of `type = "chain"`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Settings {
    /// The levels.
    #[schemars(required, with = "Vec<RawLevel>", length(min = 1))]
    levels: Option<Spanned<Vec<Spanned<RawLevel>>>>,
    /// Keep the memory levels above the first redis level coherent across processes
    /// (Redis pub/sub), as for a hybrid.
    coherent: Option<Spanned<bool>>,
}

/// One chain level.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "LevelSchema")]
pub(crate) struct RawLevel {
    /// The storage of this level.
    storage: Spanned<String>,
    /// A TTL cap for copies kept here (default: the entry's own TTL).
    ttl: Option<Spanned<RawDuration>>,
}

impl Kind for Chain {
    const NAME: &'static str = "chain";
    type Settings = Settings;

    fn check(s: Settings, c: &mut impl KindReport) -> Option<Self> {
        let Some(levels) = &s.levels else {
            let span = c.kind_span();
            c.error(
                "a `chain` storage needs `levels`",
                span,
                "declared here",
                "add `levels = [{ storage = \"local\", ttl = \"1m\" }, { storage = \"redis\" }]`",
            );
            return None;
        };
        if levels.get_ref().is_empty() {
            c.error(
                "a chain needs at least one level",
                levels.span(),
                "empty",
                "list the levels, fastest first",
            );
        }
        let mut out = Vec::new();
        for level in levels.get_ref() {
            let l = level.get_ref();
            c.level(&l.storage);
            let ttl = match &l.ttl {
                Some(d) => c.duration(d, true, false)?,
                None => None,
            };
            out.push(Level {
                storage: l.storage.get_ref().clone(),
                ttl,
            });
        }
        Some(Self {
            levels: out,
            coherent: c.coherent(&s.coherent),
        })
    }
}

impl StorageModel for Chain {
    fn levels(&self) -> Vec<LevelOf<'_>> {
        let mut out = Vec::new();
        for (i, level) in self.levels.iter().enumerate() {
            out.push(LevelOf {
                storage: level.storage.as_str(),
                cap: level.ttl,
                role: format!("level {}", i + 1),
                cap_setting: format!("level {} ttl", i + 1),
            });
        }
        out
    }

    fn coherent(&self) -> bool {
        self.coherent
    }

    fn build(&self) -> proc_macro2::TokenStream {
        let coherent = self.coherent.then(|| quote! { .coherent() });
        let levels = self.levels.iter().map(|level| {
            let (var, name) = (storage_ident(&level.storage), &level.storage);
            let cap = level.ttl.map(|cap| {
                let cap = millis(cap);
                quote! { .ttl_cap(#cap) }
            });
            quote! { __ac::ChainLevel::new(#var.clone()).named(#name) #cap }
        });
        quote! {
            ::std::sync::Arc::new(__ac::ChainStorage::new(::std::vec![#(#levels),*])#coherent)
        }
    }
}

//! `type = "hybrid"`: an L1 (memory) over an L2; L1 misses fall back to L2 and repopulate L1.

use std::time::Duration;

use quote::quote;
use schemars::JsonSchema;
use serde::Deserialize;

use super::{Kind, LevelOf, StorageModel};
use super::KindReport;
use crate::tokens::{millis, storage_ident};
use crate::spanned::{RawDuration, Spanned};

/// The TTL cap of L1 copies when `l1_ttl` is not given.
const DEFAULT_L1_TTL: Duration = Duration::from_secs(60);

/// A hybrid storage.
#[derive(Debug, Clone, PartialEq)]
pub struct Hybrid {
    /// The fast level.
    pub l1: String,
    /// The slow level.
    pub l2: String,
    /// TTL cap of L1 copies.
    pub l1_ttl: Duration,
    /// TTL cap of L2 copies (default 2 × l1_ttl).
    pub l2_ttl: Duration,
    /// L1 copies dropped when another process changes the key in L2 (Redis pub/sub).
    pub coherent: bool,
}

/// `[storages.NAME]` of `type = "hybrid"`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Settings {
    /// The fast storage.
    #[schemars(required, with = "String")]
    l1: Option<Spanned<String>>,
    /// The slow storage.
    #[schemars(required, with = "String")]
    l2: Option<Spanned<String>>,
    /// TTL cap of L1 copies (default 60s).
    l1_ttl: Option<Spanned<RawDuration>>,
    /// TTL cap of L2 copies (default 2 × l1_ttl).
    l2_ttl: Option<Spanned<RawDuration>>,
    /// Keep L1 copies coherent across processes: a write, refresh or invalidation in one
    /// process drops the others' L1 copies within milliseconds (Redis pub/sub); while a
    /// process's subscription is down, it reads L2 first. Needs a memory l1 and a redis l2.
    coherent: Option<Spanned<bool>>,
}

impl Kind for Hybrid {
    const NAME: &'static str = "hybrid";
    type Settings = Settings;

    fn check(s: Settings, c: &mut impl KindReport) -> Option<Self> {
        let l1 = c.required(&s.l1, "l1");
        let l2 = c.required(&s.l2, "l2");
        for level in [&s.l1, &s.l2].into_iter().flatten() {
            c.level(level);
        }
        let l1_ttl = c.optional_duration(&s.l1_ttl)?.unwrap_or(DEFAULT_L1_TTL);
        let l2_ttl = c.optional_duration(&s.l2_ttl)?;
        // Durations are whole milliseconds that fit a u64 (the runtime's clock).
        let doubled = u64::try_from(l1_ttl.as_millis())
            .ok()
            .and_then(|ms| ms.checked_mul(2))
            .map(Duration::from_millis);
        let Some(l2_ttl) = l2_ttl.or(doubled) else {
            let span = s.l1_ttl.as_ref().map_or(c.kind_span(), Spanned::span);
            c.error(
                "`l2_ttl` defaults to 2 × `l1_ttl`, which overflows",
                span,
                "too large to double",
                "give a smaller `l1_ttl`, or set `l2_ttl` explicitly",
            );
            return None;
        };
        Some(Self {
            l1: l1?,
            l2: l2?,
            l1_ttl,
            l2_ttl,
            coherent: c.coherent(&s.coherent),
        })
    }
}

impl StorageModel for Hybrid {
    fn levels(&self) -> Vec<LevelOf<'_>> {
        let level = |storage, cap, n: u8| LevelOf {
            storage,
            cap: Some(cap),
            role: format!("L{n}"),
            cap_setting: format!("l{n}_ttl"),
        };
        vec![
            level(self.l1.as_str(), self.l1_ttl, 1),
            level(self.l2.as_str(), self.l2_ttl, 2),
        ]
    }

    fn coherent(&self) -> bool {
        self.coherent
    }

    fn build(&self) -> proc_macro2::TokenStream {
        let coherent = self.coherent.then(|| quote! { .coherent() });
        let (l1_name, l2_name) = (&self.l1, &self.l2);
        let (l1, l2) = (storage_ident(&self.l1), storage_ident(&self.l2));
        let (l1_ttl, l2_ttl) = (millis(self.l1_ttl), millis(self.l2_ttl));
        quote! {
            ::std::sync::Arc::new(__ac::ChainStorage::hybrid(
                #l1.clone(),
                #l2.clone(),
                #l1_ttl,
                __ac::Some(#l2_ttl),
            ).name_levels([#l1_name, #l2_name])#coherent)
        }
    }
}

//! Storage kinds. Each kind is one module holding its settings as written (from which both the
//! reading of `[storages.NAME]` and its JSON schema come), their checks and defaults, what the rest
//! of the generator asks of a checked storage, and the code that builds it. The `kinds!` list at
//! the end is the registry: adding a kind is adding its module and one line there.

use std::time::Duration;

use proc_macro2::TokenStream;
use schemars::JsonSchema;
use serde::de::DeserializeOwned;

pub mod objects;

/// A storage kind, as the checker sees it.
pub(crate) trait Kind: Sized + Into<StorageKind> {
    /// Its `type = "…"`.
    const NAME: &'static str;
    /// Its settings as written (besides `type`): read with spans, and described in the schema.
    type Settings: DeserializeOwned + JsonSchema;
    /// Checks the settings and applies the defaults; every problem is reported through `c`.
    fn check(settings: Self::Settings, c: &mut impl KindReport) -> Option<Self>;
}

/// A level of a composite storage, with the cap it puts on the TTL of copies kept there.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LevelOf<'a> {
    /// The level's storage.
    pub(crate) storage: &'a str,
    /// Its TTL cap, if any.
    pub(crate) cap: Option<Duration>,
    /// Which level this is ("L1", "level 2").
    pub(crate) role: String,
    /// The setting that caps it ("l1_ttl", "level 2 ttl").
    pub(crate) cap_setting: String,
}

/// What the rest of the generator asks of a checked storage.
pub(crate) trait StorageModel {
    /// The cargo feature of advanced-caching it needs.
    fn feature(&self) -> Option<&'static str> {
        None
    }
    /// Its levels, fastest first (none for a storage that keeps entries itself).
    fn levels(&self) -> Vec<LevelOf<'_>> {
        Vec::new()
    }
    /// Whether its in-memory levels are kept coherent across processes.
    fn coherent(&self) -> bool {
        false
    }
    /// Whether it keeps values as bytes (so they need serde); composites answer through their
    /// levels.
    fn keeps_bytes(&self) -> bool {
        false
    }
    /// The keyspaces it writes into, each with the prefix its keys get there (`name` is the
    /// storage's name); composites have none of their own and reach theirs through their levels.
    fn keyspaces(&self, name: &str) -> Vec<(String, String)> {
        let _ = name;
        Vec::new()
    }
    /// How often expired entries are removed (stores that keep them until removed).
    fn cleanup_interval(&self) -> Option<Duration> {
        None
    }
    /// The expression that builds it (a `SharedStorage`; `clock` and the levels' variables are in
    /// scope).
    fn build(&self) -> TokenStream;
}

impl StorageKind {
    /// The `type` name.
    pub fn type_name(&self) -> &'static str {
        self.parts().0
    }

    /// What the generator asks of it.
    pub(crate) fn model(&self) -> &dyn StorageModel {
        self.parts().1
    }
}

/// Every setting name a settings type takes (from its schema).
pub(crate) fn setting_names<S: JsonSchema>() -> Vec<String> {
    let schema = schemars::SchemaGenerator::default().into_root_schema_for::<S>();
    schema
        .get("properties")
        .and_then(|p| p.as_object())
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default()
}

/// Reads `table` as the settings of `K` and checks them.
fn checked<K: Kind>(
    table: toml::de::ValueDeserializer<'_>,
    c: &mut impl KindReport,
) -> Result<Option<StorageKind>, toml::de::Error> {
    let settings = K::Settings::deserialize(table)?;
    Ok(K::check(settings, c).map(Into::into))
}

use serde::Deserialize as _;

macro_rules! kinds {
    ($($(#[doc = $doc:literal])* $variant:ident in $module:ident),* $(,)?) => {
        $(pub mod $module;)*

        /// A storage's kind and its checked settings.
        #[derive(Debug, Clone, PartialEq)]
        pub enum StorageKind {
            $($(#[doc = $doc])* $variant($module::$variant),)*
        }

        $(impl From<$module::$variant> for StorageKind {
            fn from(kind: $module::$variant) -> Self {
                Self::$variant(kind)
            }
        })*

        impl StorageKind {
            fn parts(&self) -> (&'static str, &dyn StorageModel) {
                match self {
                    $(Self::$variant(k) => (<$module::$variant as Kind>::NAME, k),)*
                }
            }
        }

        /// The `type` names, in the registry's order.
        pub(crate) const KINDS: &[&str] = &[$(<$module::$variant as Kind>::NAME),*];

        /// The settings `kind` takes (besides `type`); empty for an unknown kind.
        pub(crate) fn settings_of(kind: &str) -> Vec<String> {
            $(if kind == <$module::$variant as Kind>::NAME {
                return setting_names::<<$module::$variant as Kind>::Settings>();
            })*
            Vec::new()
        }

        /// Reads and checks the settings of a storage of `kind` (`None` when a problem was
        /// reported, or the kind is unknown).
        pub(crate) fn check(
            kind: &str,
            table: toml::de::ValueDeserializer<'_>,
            c: &mut impl KindReport,
        ) -> Result<Option<StorageKind>, toml::de::Error> {
            $(if kind == <$module::$variant as Kind>::NAME {
                return checked::<$module::$variant>(table, c);
            })*
            Ok(None)
        }

        // The schema of a storage: its `type` and that kind's settings.
        /// A storage.
        #[derive(JsonSchema)]
        #[serde(tag = "type", rename_all = "lowercase")]
        #[schemars(rename = "StorageSchema")]
        #[allow(dead_code)]
        pub(crate) enum StorageSettings {
            $($(#[doc = $doc])* $variant(<$module::$variant as Kind>::Settings),)*
        }
    };
}

kinds! {
    /// In-process, bounded, holds decoded values.
    Memory in memory,
    /// Redis (feature `redis`).
    Redis in redis,
    /// L1 (memory) + L2: L1 misses fall back to L2 and repopulate L1.
    Hybrid in hybrid,
    /// Levels, fastest first: write-through, read-through with promotion.
    Chain in chain,
    /// Amazon S3 or a compatible store (feature `s3`).
    S3 in s3,
    /// Google Cloud Storage (feature `gcs`).
    Gcs in gcs,
    /// One file per key under a directory.
    File in file,
}

/// How a byte-level storage encodes values.
#[derive(Debug, Clone, PartialEq)]
pub enum Serializer {
    /// JSON.
    Json,
    /// The compact binary codec (default).
    Binary,
    /// A user codec: a path to an expression of type `Arc<dyn UserCodec>`-compatible.
    Custom(String),
}

/// The runtime codec of a spec `serializer`.
pub(crate) fn codec(serializer: &Serializer) -> proc_macro2::TokenStream {
    match serializer {
        Serializer::Json => quote::quote! { __ac::Codec::Json },
        Serializer::Binary => quote::quote! { __ac::Codec::Binary },
        Serializer::Custom(path) => {
            // The checker parsed it as a path already.
            let path: TokenStream = path.parse().unwrap_or_default();
            quote::quote! { __ac::Codec::Custom(::std::sync::Arc::new(#path)) }
        }
    }
}

/// What a storage kind's check reports to and asks of the checker: the narrow port through which
/// a kind sees the spec (it never sees the checker itself).
pub(crate) trait KindReport {
    /// Reports a problem.
    fn error(
        &mut self,
        message: impl Into<String>,
        span: std::ops::Range<usize>,
        label: &str,
        hint: impl Into<String>,
    );

    /// Where the storage's `type` is written.
    fn kind_span(&self) -> std::ops::Range<usize>;

    /// A duration setting (`never` or zero allowed as told).
    fn duration(
        &mut self,
        d: &crate::spanned::Spanned<crate::spanned::RawDuration>,
        allow_never: bool,
        allow_zero: bool,
    ) -> Option<Option<std::time::Duration>>;

    /// An optional, finite, non-zero duration: `Some(None)` when absent, `None` when wrong.
    fn optional_duration(
        &mut self,
        d: &Option<crate::spanned::Spanned<crate::spanned::RawDuration>>,
    ) -> Option<Option<std::time::Duration>> {
        match d {
            Some(d) => self.duration(d, false, false),
            None => Some(None),
        }
    }

    /// The codec (default binary).
    fn serializer(&mut self, s: &Option<crate::spanned::Spanned<String>>) -> Option<Serializer>;

    /// A string setting this kind cannot do without.
    fn required(
        &mut self,
        v: &Option<crate::spanned::Spanned<String>>,
        setting: &str,
    ) -> Option<String>;

    /// A level of this composite storage: another declared storage.
    fn level(&mut self, level: &crate::spanned::Spanned<String>);

    /// The `coherent` flag (its place is kept for the check of what sits below).
    fn coherent(&mut self, flag_setting: &Option<crate::spanned::Spanned<bool>>) -> bool;
}

//! The checked spec: what code generation works from. Every name resolves, every duration is
//! parsed, every loader's signature is known.

use std::ops::Range;
use std::time::Duration;

pub use crate::key::KeyPart;
pub use crate::storages::chain::{Chain, Level};
pub use crate::storages::file::File;
pub use crate::storages::gcs::Gcs;
pub use crate::storages::hybrid::Hybrid;
pub use crate::storages::memory::Memory;
pub use crate::storages::objects::Objects;
pub use crate::storages::redis::Redis;
pub use crate::storages::s3::S3;
pub use crate::storages::{Serializer, StorageKind};

/// A checked `cache.toml`.
#[derive(Debug, Clone)]
pub struct Spec {
    /// Declared storages (plus the implicit default memory storage when it is used), by name.
    pub storages: Vec<StorageDef>,
    /// The storage of entries that name none.
    pub default_storage: String,
    /// `[functions.*]`, by name.
    pub functions: Vec<FunctionDef>,
    /// `[loaders.*]`, by name.
    pub loaders: Vec<LoaderDef>,
    /// `[readers.*]`, by name.
    pub readers: Vec<ReaderDef>,
    /// The loader context type (`context = "crate::AppState"`), if any.
    pub context: Option<String>,
}

impl Spec {
    /// The storage named `name`.
    pub fn storage(&self, name: &str) -> Option<&StorageDef> {
        self.storages.iter().find(|s| s.name == name)
    }

    /// True when `storage` (or any level under it) keeps bytes, so values need serde.
    pub fn needs_bytes(&self, storage: &str) -> bool {
        self.needs_bytes_within(storage, 0)
    }

    fn needs_bytes_within(&self, storage: &str, depth: usize) -> bool {
        // Cycles are rejected by the checker; the depth bound keeps this total anyway.
        if depth > 64 {
            return false;
        }
        let Some(def) = self.storage(storage) else {
            return false;
        };
        let model = def.kind.model();
        model.keeps_bytes()
            || model
                .levels()
                .iter()
                .any(|l| self.needs_bytes_within(l.storage, depth + 1))
    }
}

/// A named storage.
#[derive(Debug, Clone)]
pub struct StorageDef {
    /// Its name in the spec.
    pub name: String,
    /// What it is.
    pub kind: StorageKind,
    /// Where its `type` is written (for "not available" diagnostics).
    pub kind_span: Option<Range<usize>>,
}

/// `[functions.NAME]`, checked.
#[derive(Debug, Clone)]
pub struct FunctionDef {
    /// The wrapper's name.
    pub name: String,
    /// The loader's path, e.g. `crate::db::fetch_user`.
    pub loader: String,
    /// TTL or SWR.
    pub strategy: Strategy,
    /// How keys are built.
    pub key: KeySpec,
    /// Freshness (`None` = never expires).
    pub ttl: Option<Duration>,
    /// The storage's name.
    pub storage: String,
    /// The loader's signature.
    pub signature: Signature,
    /// Parameters left out of the key on purpose (`not_in_key`).
    pub not_in_key: Vec<String>,
    /// The function whose entries this one shares on purpose (`same_entries_as`).
    pub same_entries_as: Option<String>,
    /// How long a `None` lives (`none_ttl`; zero: not cached); `None`: like any value.
    pub none_ttl: Option<Duration>,
    /// TTL jitter as a fraction (`jitter = "10%"` is 0.1).
    pub jitter: Option<f64>,
    /// One load per key across processes, waiting this long for another's load
    /// (`single_flight = "fleet"`); `None`: one load per key in each process.
    pub fleet: Option<Duration>,
    /// Expired values kept as fallbacks for failed loads (`fail_safe`).
    pub fail_safe: Option<FailSafeDef>,
    /// The function choosing each value's ttl (`ttl_fn`).
    pub ttl_fn: Option<String>,
    /// How long a caller with a fallback waits for a load (`soft_timeout`).
    pub soft_timeout: Option<Duration>,
    /// How long any caller waits for a load (`hard_timeout`).
    pub hard_timeout: Option<Duration>,
    /// The share of the ttl after which a hit refreshes in the background (`refresh_ahead`).
    pub refresh_ahead: Option<f64>,
    /// XFetch's `beta`, when hits refresh early at random (`early_refresh = "xfetch"`).
    pub xfetch: Option<f64>,
    /// Resolved: its memo (typed front tier), when its entries can be kept by argument.
    pub memo: Option<MemoPlan>,
    /// Resolved: its storage keeps values as bytes (serde is needed).
    pub bytes: bool,
}

impl FunctionDef {
    /// Whether a load may go on after its caller stopped waiting (timeouts), or start without a
    /// caller waiting (`refresh_ahead`, `early_refresh`): the loader is then handed to a task of its own, and
    /// the wrapper owns its arguments, as for SWR.
    pub fn loads_detached(&self) -> bool {
        matches!(self.strategy, Strategy::Swr { .. })
            || self.soft_timeout.is_some()
            || self.hard_timeout.is_some()
            || self.refresh_ahead.is_some()
            || self.xfetch.is_some()
    }
}

/// `fail_safe` and `fail_safe_throttle`, checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailSafeDef {
    /// How long past its last window an entry is kept as a fallback.
    pub keep: Duration,
    /// After a fallback is served, how long the origin is not asked again for the key.
    pub throttle: Duration,
}

/// A function's memo, as resolved from the whole spec.
#[derive(Debug, Clone)]
pub struct MemoPlan {
    /// The owned types of its key arguments (the memo's key is their tuple).
    pub key: Vec<syn::Type>,
    /// Its share of the memory storage in front.
    pub capacity: usize,
    /// The storages under it that must not be overridden at build time for it to be kept.
    pub own_storages: Vec<String>,
}

/// The caching strategy of a function.
#[derive(Debug, Clone, PartialEq)]
pub enum Strategy {
    /// Plain TTL.
    Ttl,
    /// Stale-while-revalidate.
    Swr {
        /// How long a stale value is served while refreshing.
        stale_ttl: Duration,
        /// How long an orphaned refresh lock lives (`None`: the runtime's default, the ttl
        /// within [1 s, 30 s]).
        refresh_lock_ttl: Option<Duration>,
    },
}

/// How a function's keys are built.
#[derive(Debug, Clone, PartialEq)]
pub enum KeySpec {
    /// A template: literal text and placeholders.
    Template(Vec<KeyPart>),
    /// A user function taking references to the loader's arguments and returning a `String`,
    /// with a literal prefix prepended (empty when the storage is not shared).
    KeyFn {
        /// The function's path.
        path: String,
        /// `key_prefix`.
        prefix: String,
    },
    /// No template: the function's name and all arguments, escaped.
    Default,
}

/// A loader's signature, read from the source or declared in the spec.
#[derive(Debug, Clone)]
pub struct Signature {
    /// `async fn`.
    pub is_async: bool,
    /// Parameters in order (the context parameter, when there is one, first).
    pub params: Vec<Param>,
    /// The first parameter is `&Context` (the spec's `context` type): the wrapper supplies it.
    pub takes_context: bool,
    /// The return type as written.
    pub output: syn::Type,
    /// True when the return type is a `Result` (any alias named `Result`).
    pub fallible: bool,
    /// Imports that make the signature's types resolve outside the loader's module.
    pub scope: Vec<syn::ItemUse>,
    /// The value is kept and returned as `Arc<T>` (`arc = true`): a hit clones a pointer.
    pub arc: bool,
}

impl Signature {
    /// The parameters the caller passes (all but the context).
    pub fn call_params(&self) -> &[Param] {
        &self.params[usize::from(self.takes_context).min(self.params.len())..]
    }

    /// The value the loader's output holds: `T` of `Result<T, E>` (the first type argument of a
    /// fallible output), else the output itself; `None` for a fallible output without type
    /// arguments (an alias such as `io::Result` written bare).
    pub fn value_type(&self) -> Option<syn::Type> {
        if !self.fallible {
            return Some(self.output.clone());
        }
        let syn::Type::Path(p) = &self.output else {
            return None;
        };
        let syn::PathArguments::AngleBracketed(args) = &p.path.segments.last()?.arguments else {
            return None;
        };
        args.args.iter().find_map(|a| match a {
            syn::GenericArgument::Type(t) => Some(t.clone()),
            _ => None,
        })
    }
}

/// A type as written, without spaces (for messages).
pub(crate) fn type_text(ty: &syn::Type) -> String {
    quote::quote!(#ty).to_string().replace(' ', "")
}

/// A loader parameter.
#[derive(Debug, Clone)]
pub struct Param {
    /// Its name.
    pub name: syn::Ident,
    /// Its type as written.
    pub ty: syn::Type,
}

/// How long a background value lives (`ttl` of a loader or reader).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifetime {
    /// No `ttl`: twice the interval (forever without one).
    TwiceTheInterval,
    /// `ttl = "never"`.
    Forever,
    /// `ttl = "5m"`.
    For(Duration),
}

impl Lifetime {
    /// From a checked `ttl` setting: absent, `never` (`Some(None)`) or a duration.
    pub(crate) fn of(ttl: Option<Option<Duration>>) -> Self {
        match ttl {
            None => Self::TwiceTheInterval,
            Some(None) => Self::Forever,
            Some(Some(d)) => Self::For(d),
        }
    }

    /// How long a value lives given the `interval` (`None`: forever).
    pub fn resolve(self, interval: Option<Duration>) -> Option<Duration> {
        match self {
            Self::TwiceTheInterval => interval.map(|i| i.saturating_mul(2)),
            Self::Forever => None,
            Self::For(d) => Some(d),
        }
    }
}

/// `[loaders.NAME]`, checked.
#[derive(Debug, Clone)]
pub struct LoaderDef {
    /// The accessor's name (and the storage key).
    pub name: String,
    /// The loader's path.
    pub loader: String,
    /// Reload interval (`None` = no schedule).
    pub interval: Option<Duration>,
    /// How long a loaded value lives.
    pub ttl: Lifetime,
    /// Load once at start.
    pub run_immediately: bool,
    /// Called with the error of each failed run (`on_error`, a function path).
    pub on_error: Option<String>,
    /// The storage's name.
    pub storage: String,
    /// The loader's signature (no parameters).
    pub signature: Signature,
    /// A miss of the wrapper loads once across processes, waiting this long for another's load
    /// (`single_flight = "fleet"`).
    pub fleet: Option<Duration>,
    /// Expired values kept as fallbacks for failed loads (`fail_safe`).
    pub fail_safe: Option<FailSafeDef>,
    /// Resolved: its storage keeps values as bytes (serde is needed).
    pub bytes: bool,
}

/// `[readers.NAME]`, checked.
#[derive(Debug, Clone)]
pub struct ReaderDef {
    /// The accessor's name.
    pub name: String,
    /// The `[loaders.*]` entry it reads (resolved).
    pub source: LoaderDef,
    /// Pull interval.
    pub interval: Option<Duration>,
    /// Pull once at start.
    pub run_immediately: bool,
    /// How long the local copy lives.
    pub ttl: Lifetime,
    /// Its own storage's name.
    pub storage: String,
    /// Resolved: its own storage keeps values as bytes.
    pub bytes: bool,
}

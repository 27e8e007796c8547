//! The spec as written: every value keeps its place in the file, for diagnostics. The JSON schema
//! of `cache.toml` is derived from these same types (their doc comments are its descriptions).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;

pub(crate) use crate::spanned::{RawDuration, Spanned};
use crate::storages::StorageSettings;
use crate::value_schemas::{EarlyRefreshKind, JitterShare, SingleFlightScope, StrategyName};

/// `cache.toml`: cached functions, background loaders and readers, and where they keep values.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "advanced-caching spec (cache.toml)")]
pub(crate) struct RawSpec {
    /// The storage of entries that name none. Without it, a memory storage named `default`
    /// (10 000 entries) is used.
    pub(crate) default_storage: Option<Spanned<String>>,
    /// The loader context type ("crate::AppState"): loaders whose first parameter is `&AppState`
    /// get it from `caches::init(state)` (or `Caches::builder().context(state)`); it is not part
    /// of the wrapper's parameters nor of the key.
    pub(crate) context: Option<Spanned<String>>,
    /// Named storages, shared by any number of functions.
    #[serde(default)]
    #[schemars(with = "Option<BTreeMap<String, StorageSettings>>")]
    pub(crate) storages: BTreeMap<Spanned<String>, Spanned<RawStorage>>,
    /// Cached functions: each becomes `caches::NAME` with its loader's signature.
    #[serde(default)]
    #[schemars(with = "Option<BTreeMap<String, RawFunction>>")]
    pub(crate) functions: BTreeMap<Spanned<String>, Spanned<RawFunction>>,
    /// Background loaders (writers): a value refreshed on a schedule, `caches::NAME()`.
    #[serde(default)]
    #[schemars(with = "Option<BTreeMap<String, RawLoader>>")]
    pub(crate) loaders: BTreeMap<Spanned<String>, Spanned<RawLoader>>,
    /// Readers: a local copy of a loader's value, pulled on an interval, `caches::NAME()`.
    #[serde(default)]
    #[schemars(with = "Option<BTreeMap<String, RawReader>>")]
    pub(crate) readers: BTreeMap<Spanned<String>, Spanned<RawReader>>,
}

/// `[storages.NAME]` as first read: its `type`, which says how the rest is read (see
/// `crate::storages`).
#[derive(Debug, Deserialize)]
pub(crate) struct RawStorage {
    #[serde(rename = "type")]
    pub(crate) kind: Spanned<String>,
}

/// Declares a table of entries that call a loader, ending with the settings they all take: their
/// storage, whether the value is shared as an `Arc`, and for a loader outside this crate, its
/// return type and whether it is async.
macro_rules! loading_entry {
    ($(#[$meta:meta])* struct $name:ident { $($fields:tt)* }) => {
        $(#[$meta])*
        pub(crate) struct $name {
            $($fields)*
            /// Keep and return the value as `Arc<T>` (the wrapper returns `Arc<T>`, or
            /// `Result<Arc<T>, E>`): a hit on a large value clones a pointer, not the value.
            pub(crate) arc: Option<Spanned<bool>>,
            /// Storage name (default: `default_storage`).
            pub(crate) storage: Option<Spanned<String>>,
            /// For loaders outside this crate: the return type, e.g. "Result<User, Error>".
            pub(crate) returns: Option<Spanned<String>>,
            /// For loaders outside this crate: whether the loader is async.
            #[serde(rename = "async")]
            pub(crate) is_async: Option<Spanned<bool>>,
        }
    };
}

loading_entry! {
/// A cached function.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "FunctionSchema")]
struct RawFunction {
    /// The loader: a path in this crate ("crate::db::fetch_user"), sync or async.
    pub(crate) loader: Spanned<String>,
    /// "ttl" (default) or "swr".
    #[schemars(with = "Option<StrategyName>")]
    pub(crate) strategy: Option<Spanned<String>>,
    /// Key template: the n-th "{}" = the n-th parameter, "{name}" = that parameter, "{id:08}" = an
    /// integer with a format spec. Every parameter must be in the key (or in `not_in_key`).
    /// Default: the function's name and every argument.
    pub(crate) key: Option<Spanned<String>>,
    /// A function building the key from references to the arguments (instead of `key`).
    pub(crate) key_fn: Option<Spanned<String>>,
    /// With `key_fn`: a literal prefix prepended to its keys, needed when the storage is shared.
    pub(crate) key_prefix: Option<Spanned<String>>,
    /// Parameters deliberately left out of the key (calls that differ only in them share an entry).
    pub(crate) not_in_key: Option<Spanned<Vec<Spanned<String>>>>,
    /// Deliberately share the entries of another function (same keys, same value type).
    pub(crate) same_entries_as: Option<Spanned<String>>,
    /// How long a value is fresh, or "never".
    #[schemars(required, with = "RawDuration")]
    pub(crate) ttl: Option<Spanned<RawDuration>>,
    /// SWR only: how long a stale value is served while it refreshes.
    pub(crate) stale_ttl: Option<Spanned<RawDuration>>,
    /// SWR only: how long the refresh lock lives if its holder dies before releasing it (a
    /// refresh releases it as soon as it ends). Default: the ttl, within 1s and 30s.
    pub(crate) refresh_lock_ttl: Option<Spanned<RawDuration>>,
    /// A function of this crate choosing each value's ttl, e.g. "crate::http::ttl_of":
    /// `fn(&T) -> Duration`, or `-> Option<Duration>` where `None` keeps `ttl`. A zero ttl keeps
    /// the value not at all.
    pub(crate) ttl_fn: Option<Spanned<String>>,
    /// For a loader returning `Option<T>`: how long a `None` is cached ("0s" = not cached, the
    /// next call loads again). Default: like any value.
    pub(crate) none_ttl: Option<Spanned<RawDuration>>,
    /// Shortens each entry's TTL by a random part up to this share, e.g. "10%", so entries
    /// written together do not expire together.
    #[schemars(with = "Option<JitterShare>")]
    pub(crate) jitter: Option<Spanned<String>>,
    /// "process" (default): concurrent misses of a key in one process make one loader call.
    /// "fleet": one loader call across every process sharing the storage (Redis): the process
    /// that takes a short lock there loads, the others wait for its value.
    #[schemars(with = "Option<SingleFlightScope>")]
    pub(crate) single_flight: Option<Spanned<String>>,
    /// With single_flight = "fleet": how long a process waits for another's load before loading
    /// itself (default 10s).
    pub(crate) fleet_wait: Option<Spanned<RawDuration>>,
    /// Keeps each value this much longer than its ttl (and stale window) as a fallback: when a
    /// load fails (an error or a panic), callers get the expired value instead of the failure,
    /// e.g. "1h". Default: none.
    pub(crate) fail_safe: Option<Spanned<RawDuration>>,
    /// With fail_safe: after a fallback is served, how long the key's callers get it without
    /// asking the origin again (default 30s; "0s" asks on every call).
    pub(crate) fail_safe_throttle: Option<Spanned<RawDuration>>,
    /// With fail_safe: how long a caller waits for a load before it gets the fallback, e.g.
    /// "100ms"; the load goes on in the background and stores its value when it ends.
    pub(crate) soft_timeout: Option<Spanned<RawDuration>>,
    /// The longest any caller waits for a load, e.g. "2s": then it gets the fallback (with
    /// fail_safe) or a timeout error (the loader's error type must implement
    /// `From<advanced_caching::LoadTimeout>`). The load is not cancelled.
    pub(crate) hard_timeout: Option<Spanned<RawDuration>>,
    /// A hit on a value older than this share of its ttl, e.g. "80%", returns it and starts one
    /// background refresh, so a hot key is renewed before it expires.
    #[schemars(with = "Option<JitterShare>")]
    pub(crate) refresh_ahead: Option<Spanned<String>>,
    /// "xfetch": each hit refreshes in the background with a chance that grows as expiry nears,
    /// scaled by how long the value's last load took (probabilistic early recomputation), so a
    /// fleet renews a hot key about once per ttl, without a fixed point all processes hit at
    /// once. Not with refresh_ahead.
    #[schemars(with = "Option<EarlyRefreshKind>")]
    pub(crate) early_refresh: Option<Spanned<String>>,
    /// With early_refresh = "xfetch": how early (default 1; 2 refreshes about twice as far
    /// ahead, 0.5 half as far).
    pub(crate) beta: Option<Spanned<f64>>,
    /// For loaders outside this crate: parameters, e.g. ["id: u64", "name: &str"].
    pub(crate) args: Option<Spanned<Vec<Spanned<String>>>>,
}}

loading_entry! {
/// A background loader (writer).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "LoaderSchema")]
struct RawLoader {
    /// The loader: a path to a function without arguments.
    pub(crate) loader: Spanned<String>,
    /// How often to reload; "0s" or absent = load on a miss only.
    pub(crate) interval: Option<Spanned<RawDuration>>,
    /// How long a loaded value lives (default 2 × interval).
    pub(crate) ttl: Option<Spanned<RawDuration>>,
    /// Load once as soon as it starts (skipped when the storage already holds a fresh value, so
    /// processes starting together do not all load).
    pub(crate) run_immediately: Option<Spanned<bool>>,
    /// A function called with a reference to the error of each failed run, e.g.
    /// "crate::alerts::inventory_failed" (`fn(&Error)`).
    pub(crate) on_error: Option<Spanned<String>>,
    /// "process" (default) or "fleet": a miss of the wrapper (before the first run lands) loads
    /// once across the processes sharing the storage. Scheduled runs are one per fleet already.
    #[schemars(with = "Option<SingleFlightScope>")]
    pub(crate) single_flight: Option<Spanned<String>>,
    /// With single_flight = "fleet": how long a process waits for another's load (default 10s).
    pub(crate) fleet_wait: Option<Spanned<RawDuration>>,
    /// Keeps each value this much longer than its ttl (and stale window) as a fallback: when a
    /// load fails (an error or a panic), callers get the expired value instead of the failure,
    /// e.g. "1h". Default: none.
    pub(crate) fail_safe: Option<Spanned<RawDuration>>,
    /// With fail_safe: after a fallback is served, how long the key's callers get it without
    /// asking the origin again (default 30s; "0s" asks on every call).
    pub(crate) fail_safe_throttle: Option<Spanned<RawDuration>>,
}}

/// A reader of a background loader's value.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "ReaderSchema")]
pub(crate) struct RawReader {
    /// The `[loaders.*]` entry to read.
    pub(crate) source: Spanned<String>,
    /// How often to pull from the loader's storage.
    pub(crate) interval: Option<Spanned<RawDuration>>,
    /// Pull once as soon as it starts, instead of one interval later.
    pub(crate) run_immediately: Option<Spanned<bool>>,
    /// How long a pulled copy lives locally (default 2 × interval).
    pub(crate) ttl: Option<Spanned<RawDuration>>,
    /// The reader's own storage (default: `default_storage`).
    pub(crate) storage: Option<Spanned<String>>,
}

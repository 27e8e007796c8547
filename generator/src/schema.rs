//! The JSON schema of `cache.toml`, for editor completion (taplo / Even Better TOML).
//!
//! This model mirrors what the checker accepts, per storage type; a test keeps
//! `schema/cache.schema.json` in step with it.

#![allow(dead_code)]

use std::collections::BTreeMap;

use schemars::JsonSchema;

/// `cache.toml`: cached functions, background loaders and readers, and where they keep values.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields, title = "advanced-caching spec (cache.toml)")]
struct CacheToml {
    /// The storage of entries that name none. Without it, a memory storage named `default`
    /// (10 000 entries) is used.
    default_storage: Option<String>,
    /// The loader context type ("crate::AppState"): loaders whose first parameter is `&AppState`
    /// get it from `caches::init(state)` (or `Caches::builder().context(state)`); it is not part
    /// of the wrapper's parameters nor of the key.
    context: Option<String>,
    /// Named storages, shared by any number of functions.
    storages: Option<BTreeMap<String, StorageSchema>>,
    /// Cached functions: each becomes `caches::NAME` with its loader's signature.
    functions: Option<BTreeMap<String, FunctionSchema>>,
    /// Background loaders (writers): a value refreshed on a schedule, `caches::NAME()`.
    loaders: Option<BTreeMap<String, LoaderSchema>>,
    /// Readers: a local copy of a loader's value, pulled on an interval, `caches::NAME()`.
    readers: Option<BTreeMap<String, ReaderSchema>>,
}

/// A human duration: "750ms", "60s", "5m", "1h30m", "2d" (and "never" where a TTL may be endless).
#[derive(JsonSchema)]
struct HumanDuration(#[schemars(regex(pattern = r"^(never|([0-9]+(ms|s|m|h|d))+)$"))] String);

/// A share of the TTL: "10%" (above 0, below 100).
#[derive(JsonSchema)]
struct JitterShare(#[schemars(regex(pattern = r"^[0-9]+(\.[0-9]+)?%$"))] String);

/// The scope of single flight.
#[derive(JsonSchema)]
#[serde(rename_all = "lowercase")]
enum SingleFlightScope {
    /// One loader call per key in each process.
    Process,
    /// One loader call per key across the processes sharing the storage.
    Fleet,
}

/// How a byte-level storage encodes values: "json", "binary" (default), or a path to your codec.
#[derive(JsonSchema)]
struct SerializerName(String);

/// A storage.
#[derive(JsonSchema)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
enum StorageSchema {
    /// In-process, bounded, holds decoded values.
    Memory {
        /// The most entries kept (default 10 000).
        max_entries: Option<u64>,
    },
    /// Redis (feature `redis`).
    Redis {
        /// `redis://` or `rediss://` URL of one server; `${VAR}` / `${VAR:-default}` resolved at
        /// run time (default `${REDIS_URL:-redis://127.0.0.1:6379}`).
        url: Option<String>,
        /// Redis Cluster instead of one server: seed nodes (`redis://host:port`; one reachable
        /// node is enough). An entry may be `${VAR}` holding several nodes separated by commas.
        /// Each master gets its own circuit breaker.
        cluster: Option<Vec<String>>,
        /// Prefix of every key.
        prefix: Option<String>,
        /// Codec.
        serializer: Option<SerializerName>,
        /// An unchanged payload only refreshes the TTL.
        dedupe_writes: Option<bool>,
        /// How long one command may take (default 200ms); a timeout is never retried and marks
        /// Redis down (skipped by every call) until a background probe finds it back.
        timeout: Option<HumanDuration>,
        /// How long one connection attempt may take (default 500ms).
        connect_timeout: Option<HumanDuration>,
    },
    /// L1 (memory) + L2: L1 misses fall back to L2 and repopulate L1.
    Hybrid {
        /// The fast storage.
        l1: String,
        /// The slow storage.
        l2: String,
        /// TTL cap of L1 copies (default 60s).
        l1_ttl: Option<HumanDuration>,
        /// TTL cap of L2 copies (default 2 × l1_ttl).
        l2_ttl: Option<HumanDuration>,
        /// Keep L1 copies coherent across processes: a write, refresh or invalidation in one
        /// process drops the others' L1 copies within milliseconds (Redis pub/sub); while a
        /// process's subscription is down, it reads L2 first. Needs a memory l1 and a redis l2.
        coherent: Option<bool>,
    },
    /// Levels, fastest first: write-through, read-through with promotion.
    Chain {
        /// The levels.
        levels: Vec<LevelSchema>,
        /// Keep the memory levels above the first redis level coherent across processes
        /// (Redis pub/sub), as for a hybrid.
        coherent: Option<bool>,
    },
    /// Amazon S3 or a compatible store (feature `s3`).
    S3 {
        /// Bucket.
        bucket: String,
        /// Prefix of every object key.
        prefix: Option<String>,
        /// Region.
        region: Option<String>,
        /// Endpoint of a compatible store or emulator (path-style).
        endpoint: Option<String>,
        /// Codec.
        serializer: Option<SerializerName>,
        /// Compress payloads.
        compression: Option<bool>,
        /// Skip the upload when content is unchanged.
        dedupe_writes: Option<bool>,
        /// How often expired objects are removed (they are misses until then).
        cleanup_interval: Option<HumanDuration>,
    },
    /// Google Cloud Storage (feature `gcs`).
    Gcs {
        /// Bucket.
        bucket: String,
        /// Prefix of every object name.
        prefix: Option<String>,
        /// Endpoint of an emulator.
        endpoint: Option<String>,
        /// Codec.
        serializer: Option<SerializerName>,
        /// Compress payloads.
        compression: Option<bool>,
        /// Skip the upload when content is unchanged.
        dedupe_writes: Option<bool>,
        /// How often expired objects are removed (they are misses until then).
        cleanup_interval: Option<HumanDuration>,
    },
    /// One file per key under a directory.
    File {
        /// The directory.
        dir: String,
        /// Codec.
        serializer: Option<SerializerName>,
        /// Compress payloads.
        compression: Option<bool>,
        /// Skip unchanged writes.
        dedupe_writes: Option<bool>,
        /// fsync every write.
        fsync: Option<bool>,
        /// How often expired files are removed (they are misses until then).
        cleanup_interval: Option<HumanDuration>,
    },
}

/// One chain level.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
struct LevelSchema {
    /// The storage of this level.
    storage: String,
    /// A TTL cap for copies kept here (default: the entry's own TTL).
    ttl: Option<HumanDuration>,
}

/// The caching strategy.
#[derive(JsonSchema)]
#[serde(rename_all = "lowercase")]
enum StrategyName {
    /// Serve fresh values; load misses once.
    Ttl,
    /// Serve stale values at once and refresh in the background.
    Swr,
}

/// A cached function.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
struct FunctionSchema {
    /// The loader: a path in this crate ("crate::db::fetch_user"), sync or async.
    loader: String,
    /// "ttl" (default) or "swr".
    strategy: Option<StrategyName>,
    /// Key template: the n-th "{}" = the n-th parameter, "{name}" = that parameter, "{id:08}" = an
    /// integer with a format spec. Every parameter must be in the key (or in `not_in_key`).
    /// Default: the function's name and every argument.
    key: Option<String>,
    /// A function building the key from references to the arguments (instead of `key`).
    key_fn: Option<String>,
    /// With `key_fn`: a literal prefix prepended to its keys, needed when the storage is shared.
    key_prefix: Option<String>,
    /// Parameters deliberately left out of the key (calls that differ only in them share an entry).
    not_in_key: Option<Vec<String>>,
    /// Deliberately share the entries of another function (same keys, same value type).
    same_entries_as: Option<String>,
    /// How long a value is fresh, or "never".
    ttl: HumanDuration,
    /// SWR only: how long a stale value is served while it refreshes.
    stale_ttl: Option<HumanDuration>,
    /// SWR only: how long the refresh lock lives if its holder dies before releasing it (a
    /// refresh releases it as soon as it ends). Default: the ttl, within 1s and 30s.
    refresh_lock_ttl: Option<HumanDuration>,
    /// For a loader returning `Option<T>`: how long a `None` is cached ("0s" = not cached, the
    /// next call loads again). Default: like any value.
    none_ttl: Option<HumanDuration>,
    /// Shortens each entry's TTL by a random part up to this share, e.g. "10%", so entries
    /// written together do not expire together.
    jitter: Option<JitterShare>,
    /// "process" (default): concurrent misses of a key in one process make one loader call.
    /// "fleet": one loader call across every process sharing the storage (Redis): the process
    /// that takes a short lock there loads, the others wait for its value.
    single_flight: Option<SingleFlightScope>,
    /// With single_flight = "fleet": how long a process waits for another's load before loading
    /// itself (default 10s).
    fleet_wait: Option<HumanDuration>,
    /// Storage name (default: `default_storage`).
    storage: Option<String>,
    /// For loaders outside this crate: parameters, e.g. ["id: u64", "name: &str"].
    args: Option<Vec<String>>,
    /// For loaders outside this crate: the return type, e.g. "Result<User, Error>".
    returns: Option<String>,
    /// For loaders outside this crate: whether the loader is async.
    #[serde(rename = "async")]
    is_async: Option<bool>,
}

/// A background loader (writer).
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
struct LoaderSchema {
    /// The loader: a path to a function without arguments.
    loader: String,
    /// How often to reload; "0s" or absent = load on a miss only.
    interval: Option<HumanDuration>,
    /// How long a loaded value lives (default 2 × interval).
    ttl: Option<HumanDuration>,
    /// Load once as soon as it starts (skipped when the storage already holds a fresh value, so
    /// processes starting together do not all load).
    run_immediately: Option<bool>,
    /// A function called with a reference to the error of each failed run, e.g.
    /// "crate::alerts::inventory_failed" (`fn(&Error)`).
    on_error: Option<String>,
    /// "process" (default) or "fleet": a miss of the wrapper (before the first run lands) loads
    /// once across the processes sharing the storage. Scheduled runs are one per fleet already.
    single_flight: Option<SingleFlightScope>,
    /// With single_flight = "fleet": how long a process waits for another's load (default 10s).
    fleet_wait: Option<HumanDuration>,
    /// Storage name (default: `default_storage`).
    storage: Option<String>,
    /// For loaders outside this crate: the return type.
    returns: Option<String>,
    /// For loaders outside this crate: whether the loader is async.
    #[serde(rename = "async")]
    is_async: Option<bool>,
}

/// A reader of a background loader's value.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
struct ReaderSchema {
    /// The `[loaders.*]` entry to read.
    source: String,
    /// How often to pull from the loader's storage.
    interval: Option<HumanDuration>,
    /// Pull once as soon as it starts, instead of one interval later.
    run_immediately: Option<bool>,
    /// How long a pulled copy lives locally (default 2 × interval).
    ttl: Option<HumanDuration>,
    /// The reader's own storage (default: `default_storage`).
    storage: Option<String>,
}

/// The schema as pretty JSON, ending in a newline.
pub(crate) fn schema_json() -> String {
    let schema = schemars::schema_for!(CacheToml);
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}

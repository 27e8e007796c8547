//! The spec as written: every value keeps its place in the file, for diagnostics.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

/// `cache.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSpec {
    pub(crate) default_storage: Option<Spanned<String>>,
    pub(crate) context: Option<Spanned<String>>,
    #[serde(default)]
    pub(crate) storages: BTreeMap<Spanned<String>, Spanned<RawStorage>>,
    #[serde(default)]
    pub(crate) functions: BTreeMap<Spanned<String>, Spanned<RawFunction>>,
    #[serde(default)]
    pub(crate) loaders: BTreeMap<Spanned<String>, Spanned<RawLoader>>,
    #[serde(default)]
    pub(crate) readers: BTreeMap<Spanned<String>, Spanned<RawReader>>,
}

/// A duration as written: a string such as `"5m"`, or (wrongly) a bare number.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum RawDuration {
    Text(String),
    Number(i64),
}

/// `[storages.NAME]`: every setting of every kind; which apply is checked per kind.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawStorage {
    #[serde(rename = "type")]
    pub(crate) kind: Spanned<String>,
    pub(crate) max_entries: Option<Spanned<i64>>,
    pub(crate) url: Option<Spanned<String>>,
    pub(crate) cluster: Option<Spanned<Vec<Spanned<String>>>>,
    pub(crate) prefix: Option<Spanned<String>>,
    pub(crate) serializer: Option<Spanned<String>>,
    pub(crate) dedupe_writes: Option<Spanned<bool>>,
    pub(crate) l1: Option<Spanned<String>>,
    pub(crate) l2: Option<Spanned<String>>,
    pub(crate) l1_ttl: Option<Spanned<RawDuration>>,
    pub(crate) l2_ttl: Option<Spanned<RawDuration>>,
    pub(crate) levels: Option<Spanned<Vec<Spanned<RawLevel>>>>,
    pub(crate) coherent: Option<Spanned<bool>>,
    pub(crate) bucket: Option<Spanned<String>>,
    pub(crate) region: Option<Spanned<String>>,
    pub(crate) endpoint: Option<Spanned<String>>,
    pub(crate) compression: Option<Spanned<bool>>,
    pub(crate) dir: Option<Spanned<String>>,
    pub(crate) fsync: Option<Spanned<bool>>,
    pub(crate) timeout: Option<Spanned<RawDuration>>,
    pub(crate) connect_timeout: Option<Spanned<RawDuration>>,
    pub(crate) cleanup_interval: Option<Spanned<RawDuration>>,
}

/// One level of a chain storage.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawLevel {
    pub(crate) storage: Spanned<String>,
    pub(crate) ttl: Option<Spanned<RawDuration>>,
}

/// `[functions.NAME]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawFunction {
    pub(crate) loader: Spanned<String>,
    pub(crate) strategy: Option<Spanned<String>>,
    pub(crate) key: Option<Spanned<String>>,
    pub(crate) key_fn: Option<Spanned<String>>,
    pub(crate) key_prefix: Option<Spanned<String>>,
    pub(crate) not_in_key: Option<Spanned<Vec<Spanned<String>>>>,
    pub(crate) same_entries_as: Option<Spanned<String>>,
    pub(crate) ttl: Option<Spanned<RawDuration>>,
    pub(crate) stale_ttl: Option<Spanned<RawDuration>>,
    pub(crate) refresh_lock_ttl: Option<Spanned<RawDuration>>,
    pub(crate) none_ttl: Option<Spanned<RawDuration>>,
    pub(crate) jitter: Option<Spanned<String>>,
    pub(crate) single_flight: Option<Spanned<String>>,
    pub(crate) fleet_wait: Option<Spanned<RawDuration>>,
    pub(crate) storage: Option<Spanned<String>>,
    pub(crate) args: Option<Spanned<Vec<Spanned<String>>>>,
    pub(crate) returns: Option<Spanned<String>>,
    #[serde(rename = "async")]
    pub(crate) is_async: Option<Spanned<bool>>,
}

/// `[loaders.NAME]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawLoader {
    pub(crate) loader: Spanned<String>,
    pub(crate) interval: Option<Spanned<RawDuration>>,
    pub(crate) ttl: Option<Spanned<RawDuration>>,
    pub(crate) run_immediately: Option<Spanned<bool>>,
    pub(crate) on_error: Option<Spanned<String>>,
    pub(crate) single_flight: Option<Spanned<String>>,
    pub(crate) fleet_wait: Option<Spanned<RawDuration>>,
    pub(crate) storage: Option<Spanned<String>>,
    pub(crate) returns: Option<Spanned<String>>,
    #[serde(rename = "async")]
    pub(crate) is_async: Option<Spanned<bool>>,
}

/// `[readers.NAME]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawReader {
    pub(crate) source: Spanned<String>,
    pub(crate) interval: Option<Spanned<RawDuration>>,
    pub(crate) run_immediately: Option<Spanned<bool>>,
    pub(crate) ttl: Option<Spanned<RawDuration>>,
    pub(crate) storage: Option<Spanned<String>>,
}

//! The JSON schema of `cache.toml`, for editor completion (taplo / Even Better TOML).
//!
//! It is derived from the types the spec is read into (`crate::raw` and each storage kind's
//! settings); the types here only name the values some string settings accept. A test keeps
//! `schema/cache.schema.json` in step with it.

// Schema-only types: never built, only described.
#![allow(dead_code)]

use schemars::JsonSchema;

use crate::raw::RawSpec;

/// A share of the TTL: "10%" (above 0, below 100).
#[derive(JsonSchema)]
pub(crate) struct JitterShare(#[schemars(regex(pattern = r"^[0-9]+(\.[0-9]+)?%$"))] String);

/// The scope of single flight.
#[derive(JsonSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum SingleFlightScope {
    /// One loader call per key in each process.
    Process,
    /// One loader call per key across the processes sharing the storage.
    Fleet,
}

/// How a byte-level storage encodes values: "json", "binary" (default), or a path to your codec.
#[derive(JsonSchema)]
pub(crate) struct SerializerName(String);

/// The caching strategy.
#[derive(JsonSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum StrategyName {
    /// Serve fresh values; load misses once.
    Ttl,
    /// Serve stale values at once and refresh in the background.
    Swr,
}

/// The schema as pretty JSON, ending in a newline.
pub(crate) fn schema_json() -> String {
    let schema = schemars::schema_for!(RawSpec);
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}

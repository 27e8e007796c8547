//! What some string settings accept, described for the JSON schema: the types here are never
//! built, only named by `#[schemars(with = …)]` on the settings they describe.

// Schema-only types: never built, only described.
#![allow(dead_code)]

use schemars::JsonSchema;

/// A share of the TTL: "10%" (above 0, below 100).
#[derive(JsonSchema)]
pub(crate) struct JitterShare(
    #[schemars(regex(pattern = r"^(0\.[0-9]*[1-9][0-9]*|[1-9][0-9]?(\.[0-9]+)?)%$"))] String,
);

/// The scope of single flight.
#[derive(JsonSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum SingleFlightScope {
    /// One loader call per key in each process.
    Process,
    /// One loader call per key across the processes sharing the storage.
    Fleet,
}

/// How a hit refreshes a value ahead of expiry at a random point.
#[derive(JsonSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum EarlyRefreshKind {
    /// Probabilistic early recomputation (Vattani et al., VLDB 2015): the chance per hit grows
    /// as expiry nears, scaled by the last load's time and by `beta`.
    Xfetch,
}

/// How a byte-level storage encodes values: "json", "binary" (default), or the path of your own
/// codec ("crate::codecs::MY_CODEC").
pub(crate) struct SerializerName;

impl JsonSchema for SerializerName {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "SerializerName".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "How a byte-level storage encodes values: \"json\", \"binary\" (default), or the path of your own codec (\"crate::codecs::MY_CODEC\").",
            "anyOf": [
                { "enum": ["json", "binary"] },
                {
                    "type": "string",
                    "pattern": "^[A-Za-z_][A-Za-z0-9_]*(::[A-Za-z_][A-Za-z0-9_]*)+$",
                    "description": "The path of a codec of your own, e.g. \"crate::codecs::MY_CODEC\"."
                }
            ],
            "examples": ["binary", "json", "crate::codecs::MY_CODEC"]
        })
    }
}

/// The caching strategy.
#[derive(JsonSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum StrategyName {
    /// Serve fresh values; load misses once.
    Ttl,
    /// Serve stale values at once and refresh in the background.
    Swr,
}

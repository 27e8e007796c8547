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

/// The schema as pretty JSON, ending in a newline.
pub(crate) fn schema_json() -> String {
    let mut schema = schemars::schema_for!(RawSpec);
    describe_storage_types(&mut schema);
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}

/// A storage's `type`: a closed set with a description, stated once on the storage schema (so a
/// validator says "not one of memory, redis, …" for a typo, instead of "matches no variant") and on
/// each variant's `type`.
fn describe_storage_types(schema: &mut schemars::Schema) {
    let kinds = crate::storages::KINDS;
    let description = format!("The storage kind: {}.", kinds.join(", "));
    let Some(storage) = schema
        .get_mut("$defs")
        .and_then(|defs| defs.get_mut("StorageSchema"))
        .and_then(|s| s.as_object_mut())
    else {
        return;
    };
    if let Some(variants) = storage.get_mut("oneOf").and_then(|v| v.as_array_mut()) {
        for variant in variants {
            if let Some(kind) = variant
                .pointer_mut("/properties/type")
                .and_then(|t| t.as_object_mut())
            {
                kind.insert("description".into(), description.clone().into());
            }
        }
    }
    storage.insert(
        "properties".into(),
        serde_json::json!({ "type": { "description": description, "enum": kinds } }),
    );
    storage.insert("required".into(), serde_json::json!(["type"]));
}

//! The JSON schema of `cache.toml`, for editor completion (taplo / Even Better TOML).
//!
//! It is derived from the types the spec is read into (`crate::raw` and each storage kind's
//! settings, whose string settings name their values through `crate::value_schemas`). A test
//! keeps `schema/cache.schema.json` in step with it.

use crate::raw::RawSpec;

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

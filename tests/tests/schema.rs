//! `schema/cache.schema.json` as an editor uses it: every spec of the repository (tests, examples,
//! the bench) is valid under it, and each bad spec that the checker rejects for a reason a schema
//! can express (an unknown setting or storage type, a setting of another storage type, a value of
//! the wrong type, a malformed duration or jitter, a zero bound) is rejected by it too.
#![allow(clippy::unwrap_used)] // a test fails loudly
#![allow(missing_docs)]

use std::path::{Path, PathBuf};

/// The bad specs the schema must reject as well (the others need the loaders' source, the key
/// templates or cross-references, which no schema sees).
const SCHEMA_REJECTS: [&str; 12] = [
    "unknown_setting",
    "setting_of_another_type",
    "unknown_storage_type",
    "unknown_strategy",
    "bare_number_duration",
    "bad_duration",
    "bad_jitter",
    "misspelled_storage_setting",
    "storage_setting_of_wrong_type",
    "many_misspellings",
    "many_errors",
    "redis_empty_cluster",
];

fn validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string("../schema/cache.schema.json").unwrap();
    let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
    jsonschema::validator_for(&schema).unwrap()
}

fn as_json(spec: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(spec).unwrap();
    let value: toml::Value = toml::from_str(&text).unwrap();
    serde_json::to_value(value).unwrap()
}

fn specs_in(dir: &str) -> Vec<PathBuf> {
    let mut specs: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    specs.sort();
    specs
}

#[test]
fn every_spec_of_the_repository_is_valid() {
    let validator = validator();
    let mut specs = specs_in("specs");
    for example in std::fs::read_dir("../examples")
        .unwrap()
        .filter_map(Result::ok)
    {
        let spec = example.path().join("cache.toml");
        if spec.exists() {
            specs.push(spec);
        }
    }
    specs.push(PathBuf::from("../bench/cache.toml"));
    assert!(specs.len() > 10, "specs found: {specs:?}");
    for spec in specs {
        let errors: Vec<String> = validator
            .iter_errors(&as_json(&spec))
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{}: {errors:#?}", spec.display());
    }
}

#[test]
fn bad_specs_the_schema_can_see_are_rejected_by_it() {
    let validator = validator();
    for name in SCHEMA_REJECTS {
        let spec = PathBuf::from(format!("specs/bad/{name}.toml"));
        assert!(
            !validator.is_valid(&as_json(&spec)),
            "{}: the checker rejects it, the schema accepts it",
            spec.display()
        );
    }
}

/// A typo in a storage's `type` names the kinds, not just "matches no variant".
#[test]
fn a_misspelled_storage_type_is_named_by_the_schema() {
    let spec: serde_json::Value =
        serde_json::json!({ "storages": { "local": { "type": "memroy" } } });
    let errors: Vec<String> = validator()
        .iter_errors(&spec)
        .map(|e| e.to_string())
        .collect();
    assert!(
        errors
            .iter()
            .any(|e| e.contains("memory") && e.contains("redis")),
        "{errors:#?}"
    );
}

/// `advanced-caching init` gives a crate a starter spec whose `#:schema` line resolves there:
/// the spec checks, is valid under the schema written beside it, and is never overwritten.
#[test]
fn init_writes_a_starter_spec_and_its_schema() {
    let dir = std::env::temp_dir().join(format!("ac-init-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let written = advanced_caching_build::init(&dir).unwrap();
    assert_eq!(written.len(), 2);
    let spec = dir.join("cache.toml");
    let text = std::fs::read_to_string(&spec).unwrap();
    assert!(text.starts_with("#:schema ./cache.schema.json"));
    assert!(dir.join("cache.schema.json").exists());
    advanced_caching_build::check_str("cache.toml", &text, None).unwrap();
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("cache.schema.json")).unwrap())
            .unwrap();
    assert!(
        jsonschema::validator_for(&schema)
            .unwrap()
            .is_valid(&as_json(&spec))
    );
    std::fs::write(&spec, "# mine\n").unwrap();
    let again = advanced_caching_build::init(&dir).unwrap();
    assert_eq!(again.len(), 1, "only the schema is refreshed");
    assert_eq!(std::fs::read_to_string(&spec).unwrap(), "# mine\n");
    let _ = std::fs::remove_dir_all(&dir);
}

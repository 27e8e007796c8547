//! Compile-fail: a crate whose `cache.toml` asks what its types cannot give fails to build with a
//! message that names the `cache.toml` entry (not an error deep in generated code): a value
//! without serde in a byte storage, a `hard_timeout` on a loader whose error cannot hold a
//! timeout. Each builds a small crate of its own with cargo (in `target/compile-fail`).
#![allow(clippy::unwrap_used)] // a test fails loudly on an unexpected error
#![allow(missing_docs)]

use std::path::{Path, PathBuf};
use std::process::Command;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Builds the crate `name` of `cache_toml` and `lib_rs`; its stderr, after asserting that the
/// build failed.
fn failed_build(name: &str, cache_toml: &str, lib_rs: &str) -> String {
    let root = workspace();
    let dir = root.join("target/compile-fail").join(name);
    let _ = std::fs::remove_dir_all(dir.join("src"));
    std::fs::create_dir_all(dir.join("src")).unwrap();
    let path = |p: &str| root.join(p).display().to_string().replace('\\', "/");
    std::fs::write(
        dir.join("Cargo.toml"),
        format!(
            r#"[package]
name = "{name}"
version = "0.0.0"
edition = "2024"
publish = false

[workspace]

[dependencies]
advanced-caching = {{ path = "{}" }}

[build-dependencies]
advanced-caching-build = {{ path = "{}" }}
"#,
            path("runtime"),
            path("generator")
        ),
    )
    .unwrap();
    std::fs::write(dir.join("cache.toml"), cache_toml).unwrap();
    std::fs::write(
        dir.join("build.rs"),
        "fn main() { advanced_caching_build::compile(\"cache.toml\").unwrap(); }\n",
    )
    .unwrap();
    std::fs::write(dir.join("src/lib.rs"), lib_rs).unwrap();
    // The workspace's lock file pins the same versions (and lets the build run offline).
    let _ = std::fs::copy(root.join("Cargo.lock"), dir.join("Cargo.lock"));
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(["build", "--quiet", "--offline"])
        .current_dir(&dir)
        .env("CARGO_TARGET_DIR", root.join("target/compile-fail/target"))
        .env_remove("RUSTFLAGS")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "{name} must not build:\n{stderr}");
    stderr
}

#[test]
fn a_value_without_serde_on_a_byte_storage_names_the_function_and_the_storage() {
    let stderr = failed_build(
        "no-serde",
        "[storages.disk]\ntype = \"file\"\ndir = \"/tmp/no-serde-cache\"\n\n[functions.get_report]\nloader = \"crate::load_report\"\nkey = \"report:{id}\"\nttl = \"1m\"\nstorage = \"disk\"\n",
        "#[derive(Clone)]\npub struct Report(pub u64);\n\npub fn load_report(id: u64) -> Report {\n    Report(id)\n}\n\nadvanced_caching::include_generated!();\n",
    );
    assert!(
        stderr.contains(
            "`Report` is kept as bytes by function_get_report_on_storage_disk: it must implement serde's `Serialize` and `Deserialize`"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("#[derive(serde::Serialize, serde::Deserialize)]"),
        "{stderr}"
    );
}

#[test]
fn a_hard_timeout_on_a_loader_whose_error_cannot_hold_it_names_the_function() {
    let stderr = failed_build(
        "no-timeout-error",
        "[functions.get_quote]\nloader = \"crate::load_quote\"\nkey = \"quote:{id}\"\nttl = \"1m\"\nhard_timeout = \"2s\"\n",
        "#[derive(Debug, Clone)]\npub struct Down;\n\npub async fn load_quote(id: u64) -> Result<u64, Down> {\n    Ok(id)\n}\n\nadvanced_caching::include_generated!();\n",
    );
    assert!(
        stderr.contains(
            "`Down` is the loader error of function_get_quote_sets_hard_timeout: it must implement `From<advanced_caching::LoadTimeout>`"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("or remove `hard_timeout` from `cache.toml`"),
        "{stderr}"
    );
}

//! Compile-fail: a crate whose cached function keeps a value without serde in a byte storage
//! fails to build with a message that names the function and the storage (not an error deep in
//! generated code). Builds a small crate of its own with cargo (in `target/compile-fail`).
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

#[test]
fn a_value_without_serde_on_a_byte_storage_names_the_function_and_the_storage() {
    let root = workspace();
    let dir = root.join("target/compile-fail/no-serde");
    let _ = std::fs::remove_dir_all(dir.join("src"));
    std::fs::create_dir_all(dir.join("src")).unwrap();
    let path = |p: &str| root.join(p).display().to_string().replace('\\', "/");
    std::fs::write(
        dir.join("Cargo.toml"),
        format!(
            r#"[package]
name = "no-serde"
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
    std::fs::write(
        dir.join("cache.toml"),
        "[storages.disk]\ntype = \"file\"\ndir = \"/tmp/no-serde-cache\"\n\n[functions.get_report]\nloader = \"crate::load_report\"\nkey = \"report:{id}\"\nttl = \"1m\"\nstorage = \"disk\"\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("build.rs"),
        "fn main() { advanced_caching_build::compile(\"cache.toml\").unwrap(); }\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("src/lib.rs"),
        "#[derive(Clone)]\npub struct Report(pub u64);\n\npub fn load_report(id: u64) -> Report {\n    Report(id)\n}\n\nadvanced_caching::include_generated!();\n",
    )
    .unwrap();
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
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "a value without serde must not build:\n{stderr}"
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

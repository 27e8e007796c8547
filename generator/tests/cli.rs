//! The `advanced-caching` binary: check, expand, schema, and the checked-in schema's freshness.
#![allow(clippy::unwrap_used)] // a test fails loudly on an unexpected error
#![allow(missing_docs, unreachable_pub)]

use std::path::Path;
use std::process::Command;

fn cli(args: &[&str], dir: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_advanced-caching"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

fn temp_crate(spec: &str, lib: &str) -> tempdir::Dir {
    let dir = tempdir::Dir::new();
    std::fs::create_dir_all(dir.path().join("src")).unwrap();
    std::fs::write(dir.path().join("cache.toml"), spec).unwrap();
    std::fs::write(dir.path().join("src/lib.rs"), lib).unwrap();
    dir
}

/// A throwaway directory under the target dir, removed on drop.
mod tempdir {
    use std::path::{Path, PathBuf};
    use std::sync::atomic::{AtomicUsize, Ordering};

    static NEXT: AtomicUsize = AtomicUsize::new(0);

    pub struct Dir(PathBuf);

    impl Dir {
        pub fn new() -> Self {
            let n = NEXT.fetch_add(1, Ordering::SeqCst);
            let path = std::env::temp_dir().join(format!("ac-cli-{}-{n}", std::process::id()));
            let _ = std::fs::remove_dir_all(&path);
            std::fs::create_dir_all(&path).unwrap();
            Self(path)
        }
        pub fn path(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

const LIB: &str = "pub async fn fetch(id: u64) -> Result<String, String> { Ok(id.to_string()) }\n";

#[test]
fn check_reports_file_line_column_and_exits_1() {
    let dir = temp_crate(
        "[functions.get]\nloader = \"crate::fetch\"\nkey = \"k:{idd}\"\nttl = \"1m\"\n",
        LIB,
    );
    let out = cli(&["check", "cache.toml"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cache.toml:3:7"), "{err}");
    assert!(err.contains("did you mean `{id}`?"), "{err}");
}

#[test]
fn check_and_expand_a_good_spec() {
    let dir = temp_crate(
        "[functions.get]\nloader = \"crate::fetch\"\nkey = \"k:{id}\"\nttl = \"1m\"\n",
        LIB,
    );
    let out = cli(&["check", "cache.toml"], dir.path());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = cli(&["expand", "cache.toml"], dir.path());
    assert!(out.status.success());
    let code = String::from_utf8_lossy(&out.stdout);
    assert!(code.starts_with(advanced_caching_build::HEADER));
    assert!(
        code.contains("async fn get(id: u64) -> Result<String, String>;"),
        "{code}"
    );
}

#[test]
fn bad_usage_exits_2() {
    let out = cli(&["frobnicate"], Path::new("."));
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn checked_in_schema_is_current() {
    let out = cli(&["schema"], Path::new("."));
    assert!(out.status.success());
    let printed = String::from_utf8(out.stdout).unwrap();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../schema/cache.schema.json");
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        printed == checked_in,
        "schema/cache.schema.json is stale: run `cargo run -p advanced-caching-build -- schema > schema/cache.schema.json`"
    );
}

#[test]
fn schema_describes_every_storage_type() {
    let schema: serde_json::Value =
        serde_json::from_str(&advanced_caching_build::schema()).unwrap();
    let text = schema.to_string();
    for kind in ["memory", "redis", "hybrid", "chain", "s3", "gcs", "file"] {
        assert!(text.contains(&format!("\"{kind}\"")), "{kind} missing");
    }
}

#[test]
fn explain_prints_levels_keys_and_warnings() {
    let dir = temp_crate(
        "[storages.l1]\ntype = \"memory\"\n[storages.l2]\ntype = \"memory\"\n[storages.hot]\ntype = \"hybrid\"\nl1 = \"l1\"\nl2 = \"l2\"\nl1_ttl = \"10s\"\n\n[functions.get_user]\nloader = \"crate::get_user\"\nkey = \"user:{id:08}\"\nttl = \"5m\"\nstorage = \"hot\"\n",
        "pub fn get_user(id: u64) -> String { id.to_string() }\n",
    );
    let out = cli(&["explain", "cache.toml"], dir.path());
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("e.g. user:00000042"), "{text}");
    assert!(
        text.contains("lives 10s (capped by l1_ttl of `hot`)"),
        "{text}"
    );
    assert!(
        text.contains("warning: [functions.get_user] asks for ttl 5m"),
        "{text}"
    );
    let check = cli(&["check", "cache.toml"], dir.path());
    assert!(check.status.success());
    assert!(String::from_utf8_lossy(&check.stderr).contains("warning: [functions.get_user]"));
}

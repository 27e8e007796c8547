//! Snapshots of the generated code of every spec in `specs/`, and of the diagnostics of every bad
//! spec in `specs/bad/` (the good ones also compile under `#![deny(warnings)]` in this crate).
#![allow(clippy::unwrap_used)] // a test fails loudly on an unexpected error
#![allow(missing_docs)]

use std::path::{Path, PathBuf};

use advanced_caching_build::{Builder, Error};

fn specs(dir: &str) -> Vec<PathBuf> {
    let mut specs: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    specs.sort();
    specs
}

fn builder(spec: &Path) -> Builder {
    Builder::new()
        .crate_root("src/lib.rs")
        .crate_dir(".")
        .display_name(spec.display().to_string())
}

fn stem(spec: &Path) -> String {
    spec.file_stem().unwrap().to_string_lossy().into_owned()
}

#[test]
fn generated_code() {
    let specs = specs("specs");
    assert!(specs.len() >= 2);
    for spec in specs {
        let code = builder(&spec).expand(&spec).unwrap();
        insta::assert_snapshot!(format!("generated_{}", stem(&spec)), code);
    }
}

/// Generated code reaches the runtime only through `::advanced_caching::__private` (whose items
/// are listed one by one), never through the crate's public paths: the public API can change
/// without breaking generated code, and the other way round. (The loader module's own `use`
/// lines, copied into the generated module, are the user's and are not checked.)
#[test]
fn generated_code_stays_inside_the_private_contract() {
    for spec in specs("specs") {
        let code = builder(&spec).expand(&spec).unwrap();
        // One alias names the runtime; everything else goes through it.
        assert_eq!(
            code.matches("use ::advanced_caching::__private as __ac;")
                .count(),
            1,
            "{}",
            spec.display()
        );
        let mut rest = code.as_str();
        while let Some(at) = rest.find("::advanced_caching::") {
            rest = &rest[at + "::advanced_caching::".len()..];
            assert!(
                rest.starts_with("__private"),
                "{}: generated code reaches past __private: advanced_caching::{}",
                spec.display(),
                rest.chars().take(40).collect::<String>()
            );
        }
    }
}

#[test]
fn diagnostics_of_bad_specs() {
    let specs = specs("specs/bad");
    assert!(specs.len() >= 12);
    for spec in specs {
        match builder(&spec).expand(&spec) {
            Ok(_) => panic!("{} was accepted", spec.display()),
            Err(Error::Spec(d)) => {
                assert!(!d.items.is_empty());
                let text = d.to_string();
                assert!(text.contains(&format!("{}:", spec.display())), "{text}");
                insta::assert_snapshot!(format!("bad_{}", stem(&spec)), text);
            }
            Err(other) => panic!("{}: {other}", spec.display()),
        }
    }
}

#[test]
fn generation_is_deterministic() {
    for spec in specs("specs") {
        assert_eq!(
            builder(&spec).expand(&spec).unwrap(),
            builder(&spec).expand(&spec).unwrap()
        );
    }
}

#[test]
fn a_storage_whose_feature_is_off_is_reported_at_its_line() {
    let spec = Path::new("specs/objects.toml");
    // As if the crate depended on advanced-caching with only the `s3` feature.
    match builder(spec).runtime_features(["s3"]).expand(spec) {
        Err(Error::Spec(d)) => {
            let text = d.to_string();
            assert!(text.contains("enable the feature `gcs`"), "{text}");
            assert!(!text.contains("feature `s3`"), "{text}");
            insta::assert_snapshot!("feature_off", text);
        }
        other => panic!("expected a diagnostic, got {:?}", other.map(|_| ())),
    }
    // With the features on, the same spec generates.
    builder(spec)
        .runtime_features(["s3", "gcs"])
        .expand(spec)
        .unwrap();
}

/// Specs that are valid but risky: their warnings.
#[test]
fn warnings_of_risky_specs() {
    let specs = specs("specs/warn");
    assert!(!specs.is_empty());
    for spec in specs {
        let checked = builder(&spec).check(&spec).unwrap();
        let warnings = advanced_caching_build::warnings(&checked);
        assert!(!warnings.is_empty(), "{}: no warning", spec.display());
        insta::assert_snapshot!(format!("warn_{}", stem(&spec)), warnings.join("\n"));
    }
}

#[test]
fn explained_specs() {
    for spec in specs("specs") {
        let checked = builder(&spec).check(&spec).unwrap();
        let mut text = advanced_caching_build::explain(&checked);
        for warning in advanced_caching_build::warnings(&checked) {
            text.push_str(&format!("warning: {warning}\n"));
        }
        insta::assert_snapshot!(format!("explain_{}", stem(&spec)), text);
    }
}

/// `runtime_path` names the runtime for a crate that renamed it; a path that is not one is a
/// clear error, not broken code.
#[test]
fn the_runtime_path_is_an_option() {
    let spec = std::path::Path::new("specs/external.toml");
    let code = builder(spec)
        .runtime_path("::cache_rt")
        .expand(spec)
        .unwrap();
    assert!(code.contains("use ::cache_rt::__private as __ac;"));
    assert!(!code.contains("::advanced_caching::"));
    let error = builder(spec)
        .runtime_path("not a path")
        .expand(spec)
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("the runtime path `not a path` is not a Rust path"),
        "{error}"
    );
}

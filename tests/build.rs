//! Generates the wrappers of every spec under `specs/` (the bad ones live in `specs/bad/`).

fn main() -> Result<(), advanced_caching_build::Error> {
    println!("cargo:rerun-if-changed=specs");
    let mut specs: Vec<_> = std::fs::read_dir("specs")
        .expect("specs/ exists in this crate")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    specs.sort();
    for spec in specs {
        let stem = spec
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_owned();
        let mut builder = advanced_caching_build::Builder::new();
        if stem == "external" {
            // One spec is generated against the runtime under another path (`runtime_alias` in
            // src/lib.rs), as for a crate that renames the dependency.
            builder = builder.runtime_path("crate::runtime_alias");
        }
        builder
            .crate_root("src/lib.rs")
            .crate_dir(".")
            .output(format!("{stem}.rs"))
            .compile(&spec)?;
    }
    Ok(())
}

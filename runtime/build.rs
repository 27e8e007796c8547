//! Tells the build scripts of dependent crates which backend features are on (see `links` in
//! Cargo.toml): `DEP_ADVANCED_CACHING_FEATURES=redis,s3`.

fn main() {
    let on: Vec<&str> = ["redis", "s3", "gcs"]
        .into_iter()
        .filter(|f| std::env::var_os(format!("CARGO_FEATURE_{}", f.to_uppercase())).is_some())
        .collect();
    println!("cargo:features={}", on.join(","));
    println!("cargo:rerun-if-changed=build.rs");
}

//! Generates `caches` from `cache.toml`; a spec error fails the build with its diagnostics.

fn main() -> Result<(), advanced_caching_build::Error> {
    advanced_caching_build::compile("cache.toml")
}

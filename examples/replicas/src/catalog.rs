//! The loaders: what the replicas would read from their database.

use std::time::Duration;

/// The error of the loaders.
#[derive(Debug, Clone)]
pub(crate) struct CatalogError;

impl std::fmt::Display for CatalogError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("catalog unavailable")
    }
}

/// The price of `sku` in cents, as the database has it.
pub(crate) async fn price(sku: &str) -> Result<u64, CatalogError> {
    Ok(100 + sku.len() as u64)
}

/// A report that takes a while to build; says so, so the example can count the builds.
pub(crate) async fn report(day: u32) -> Result<String, CatalogError> {
    println!("replica {}: building report {day}", std::process::id());
    tokio::time::sleep(Duration::from_millis(300)).await;
    Ok(format!(
        "report {day} built by replica {}",
        std::process::id()
    ))
}

impl std::error::Error for CatalogError {}

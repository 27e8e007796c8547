//! Generated wrappers in an edition 2021 crate: `cargo run -p edition-2021`.

advanced_caching::include_generated!();

/// A sync loader with a borrowed argument (its entries get a memo).
pub fn greeting(name: &str, times: u32) -> String {
    format!("hello {name} x{times}")
}

/// An async SWR loader whose value is shared as an `Arc`.
pub async fn quote(sku: &str) -> Result<u64, std::io::Error> {
    Ok(sku.len() as u64 * 100)
}

/// A background loader.
pub async fn motd() -> Result<String, std::io::Error> {
    Ok("be kind".to_owned())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let c = caches::Caches::builder().build()?;
    assert_eq!(c.greeting("ada", 2), c.greeting("ada", 2));
    let q = c.quote("apple").await?;
    assert!(std::sync::Arc::ptr_eq(&q, &c.quote("apple").await?));
    assert_eq!(c.motd().await?, "be kind");
    caches::greeting::on(&c).invalidate("ada", 2);
    println!(
        "edition 2021: ok ({} functions, loaders and readers)",
        c.stats().len()
    );
    Ok(())
}

//! The program's own (slow) functions that `cache.toml` caches.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// A user record.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct User {
    /// Id.
    pub(crate) id: u64,
    /// Name.
    pub(crate) name: String,
}

/// A lookup failure: the id that was not found.
#[derive(Debug, Clone)]
pub(crate) struct NotFound(pub u64);

impl std::fmt::Display for NotFound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} not found", self.0)
    }
}

impl std::error::Error for NotFound {}

/// Pretends to query a database (150 ms).
pub(crate) async fn fetch_user(user_id: u64) -> Result<User, NotFound> {
    tokio::time::sleep(Duration::from_millis(150)).await;
    if user_id == 0 {
        return Err(NotFound(user_id));
    }
    Ok(User {
        id: user_id,
        name: format!("user-{user_id}"),
    })
}

/// A blocking computation (100 ms).
pub(crate) fn exchange_rate(currency: &str) -> f64 {
    std::thread::sleep(Duration::from_millis(100));
    if currency == "EUR" { 1.08 } else { 1.0 }
}

static PRICE_VERSION: AtomicU64 = AtomicU64::new(0);

/// Pretends to call a pricing API (100 ms); every call returns a newer price.
pub(crate) async fn fetch_price(sku: &str) -> Result<u64, NotFound> {
    tokio::time::sleep(Duration::from_millis(100)).await;
    let version = PRICE_VERSION.fetch_add(1, Ordering::SeqCst);
    Ok(sku.len() as u64 * 100 + version)
}

static INVENTORY_RUNS: AtomicU64 = AtomicU64::new(0);

/// Pretends to load the whole inventory.
pub(crate) async fn load_inventory() -> Result<Vec<String>, NotFound> {
    let run = INVENTORY_RUNS.fetch_add(1, Ordering::SeqCst);
    Ok(vec![
        format!("widgets (snapshot {run})"),
        "gadgets".to_string(),
    ])
}

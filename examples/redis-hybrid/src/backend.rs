//! The slow functions this example caches.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// A user profile.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct Profile {
    /// Id.
    pub(crate) id: u64,
    /// Display name.
    pub(crate) name: String,
}

/// Pretends to query a database (120 ms).
pub(crate) async fn fetch_profile(user_id: u64) -> Profile {
    tokio::time::sleep(Duration::from_millis(120)).await;
    Profile {
        id: user_id,
        name: format!("user-{user_id}"),
    }
}

static TICKS: AtomicU64 = AtomicU64::new(0);

/// Pretends to call a market data API (80 ms); each call returns a newer price in cents.
pub(crate) async fn fetch_quote(symbol: &str) -> u64 {
    tokio::time::sleep(Duration::from_millis(80)).await;
    10_000 + symbol.len() as u64 * 100 + TICKS.fetch_add(1, Ordering::SeqCst)
}

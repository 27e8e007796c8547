//! The program's own (slow) functions that `cache.toml` caches.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use advanced_caching::context::ContextMissing;

/// What the loaders need, made once at start-up (`context` in cache.toml): here a pretend
/// database; in a service, a connection pool, an HTTP client, configuration.
pub(crate) struct AppState {
    db: FakeDb,
}

impl AppState {
    /// "Connects" to the database.
    pub(crate) fn connect() -> Self {
        let users = (1..=100).map(|id| (id, format!("user-{id}"))).collect();
        Self {
            db: FakeDb {
                users,
                queries: AtomicU64::new(0),
            },
        }
    }

    /// How many queries reached the database.
    pub(crate) fn queries(&self) -> u64 {
        self.db.queries.load(Ordering::SeqCst)
    }
}

/// A database that counts its queries.
struct FakeDb {
    users: HashMap<u64, String>,
    queries: AtomicU64,
}

/// A user record.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct User {
    /// Id.
    pub(crate) id: u64,
    /// Name.
    pub(crate) name: String,
}

/// A lookup failure.
#[derive(Debug, Clone)]
pub(crate) enum NotFound {
    /// No such user.
    User(u64),
    /// A cached call ran before `caches::init` gave the loaders their state.
    NoState(ContextMissing),
}

impl From<ContextMissing> for NotFound {
    fn from(e: ContextMissing) -> Self {
        Self::NoState(e)
    }
}

impl std::fmt::Display for NotFound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::User(id) => write!(f, "user {id} not found"),
            Self::NoState(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for NotFound {}

/// Queries the database in the context (150 ms).
pub(crate) async fn fetch_user(state: &AppState, user_id: u64) -> Result<User, NotFound> {
    tokio::time::sleep(Duration::from_millis(150)).await;
    state.db.queries.fetch_add(1, Ordering::SeqCst);
    let name = state
        .db
        .users
        .get(&user_id)
        .ok_or(NotFound::User(user_id))?;
    Ok(User {
        id: user_id,
        name: name.clone(),
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

/// Loads the whole inventory from the database in the context.
pub(crate) async fn load_inventory(state: &AppState) -> Result<Vec<String>, NotFound> {
    state.db.queries.fetch_add(1, Ordering::SeqCst);
    let run = INVENTORY_RUNS.fetch_add(1, Ordering::SeqCst);
    Ok(vec![
        format!("widgets (snapshot {run})"),
        "gadgets".to_string(),
    ])
}

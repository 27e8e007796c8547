//! The service's state and the slow work its cached functions stand in front of: a pretend
//! database of users, an upstream price service, and a catalogue.

use std::collections::HashMap;
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// A user row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    /// Its id.
    pub id: u64,
    /// Its name.
    pub name: String,
}

/// What a loader can fail with.
#[derive(Debug, Clone, PartialEq)]
pub enum DbError {
    /// No such row.
    NotFound,
    /// The state was not given to the caches (`Caches::builder().context(..)`).
    NoState(String),
}

impl std::fmt::Display for DbError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotFound => write!(f, "not found"),
            Self::NoState(why) => write!(f, "{why}"),
        }
    }
}

impl std::error::Error for DbError {}

impl From<advanced_caching::context::ContextMissing> for DbError {
    fn from(missing: advanced_caching::context::ContextMissing) -> Self {
        Self::NoState(missing.to_string())
    }
}

/// The application state: the "database" (a map here; a pool in a real service) and counters of
/// the work done, which show what the cache saves.
#[derive(Debug, Default)]
pub struct AppState {
    users: RwLock<HashMap<u64, User>>,
    /// Database reads made.
    pub user_reads: AtomicU64,
    /// Upstream price calls made.
    pub price_calls: AtomicU64,
}

impl AppState {
    /// A state with a few users.
    pub fn seeded() -> Self {
        let state = Self::default();
        for (id, name) in [(1, "Ada"), (2, "Grace"), (3, "Barbara")] {
            state.put_user(User {
                id,
                name: name.to_owned(),
            });
        }
        state
    }

    /// Writes a user row.
    pub fn put_user(&self, user: User) {
        let mut users = self
            .users
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        users.insert(user.id, user);
    }
}

/// Reads a user from the database (5 ms).
pub async fn fetch_user(state: &AppState, id: u64) -> Result<User, DbError> {
    state.user_reads.fetch_add(1, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(5)).await;
    let users = state
        .users
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    users.get(&id).cloned().ok_or(DbError::NotFound)
}

/// Asks the upstream for a price in cents (20 ms).
pub async fn fetch_price(state: &AppState, sku: &str) -> Result<u64, DbError> {
    let n = state.price_calls.fetch_add(1, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(20)).await;
    Ok(100 + sku.len() as u64 * 10 + n)
}

/// The catalogue: every product name (reloaded in the background).
pub async fn load_catalogue(state: &AppState) -> Result<Vec<String>, DbError> {
    let _ = state;
    tokio::time::sleep(Duration::from_millis(10)).await;
    Ok(vec!["apple".into(), "pear".into(), "plum".into()])
}

//! The Redis storage (feature `redis`): entries as frames (timestamps + codec payload) under a key
//! prefix, expiring by Redis' own millisecond TTL.

use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

mod builder;
mod cluster;
mod feed;
mod frames;
mod guard;
mod scripts;
mod sync;
mod versions;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{AsyncCommands, Script};

pub use self::builder::RedisStorageBuilder;
use self::builder::{DEFAULT_CONNECT_TIMEOUT, DEFAULT_TIMEOUT};
use self::cluster::{Breakers, Conn, Node};
use self::scripts::{CREATE_IF_ABSENT, RELEASE, RENEW};
use self::sync::SyncConnections;
use super::{AnyEntry, BoxFuture, ChangeFeed, Storage, StorageResult, Ticket, frame};
use crate::clock::{Millis, SharedClock, duration_millis, system_clock};
use crate::error::StorageError;
use crate::storage::breaker::{Admission, BreakerSettings, BreakerState, CircuitBreaker};
use crate::storage::codec::{Codec, Encoding};
use crate::storage::value::ValueType;

/// The longest expiry sent to Redis (about 35,000 years); Redis refuses expiries that overflow
/// its clock.
const MAX_EXPIRY_MS: u64 = 1 << 50;

/// A storage on Redis: async multiplexed connection with automatic reconnect, a blocking path for
/// sync loaders, key prefix, codec, millisecond TTLs, atomic `set_if_not_exists` (one script: create unless a live entry is there),
/// optional write deduplication and bulk reads (MGET).
///
/// When Redis is unreachable every call fails fast with [`StorageError::Backend`] (caches then
/// call their loader); the next call after Redis is back reconnects.
///
/// ```no_run
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use advanced_caching::storage::{RedisStorage, StorageExt};
/// use std::time::Duration;
/// let redis = RedisStorage::connect("redis://127.0.0.1:6379").unwrap();
/// redis.set_typed("greeting", &"hi".to_string(), Some(Duration::from_secs(60))).await.unwrap();
/// let v: Option<String> = redis.get_typed("greeting").await.unwrap();
/// # });
/// ```
pub struct RedisStorage {
    conn: Conn,
    breakers: Arc<Breakers>,
    /// The server's URL, or the cluster's seed nodes (for the change feed's subscription).
    nodes: Vec<String>,
    /// The change feed, once a coherent chain asked for it; from then on every write and
    /// delete of a key is announced.
    feed: OnceLock<Arc<ChangeFeed>>,
    /// Blocking connections for sync readers (one server only; a cluster's blocking calls go
    /// through the async path).
    sync: Option<SyncConnections>,
    connect_timeout: Duration,
    timeout: Duration,
    url: String,
    prefix: String,
    encoding: Encoding,
    clock: SharedClock,
    deduped: AtomicU64,
}

impl fmt::Debug for RedisStorage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStorage")
            .field("url", &self.url)
            .field("prefix", &self.prefix)
            .field("encoding", &self.encoding)
            .finish()
    }
}

/// The URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &url[scheme + 3..at];
            let user = creds.split(':').next().unwrap_or_default();
            format!("{}{user}:***{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}

/// What a call gets while the breaker is open.
const UNAVAILABLE: StorageError = StorageError::Unavailable { storage: "redis" };

fn backend(e: impl fmt::Display) -> StorageError {
    StorageError::backend("redis", e)
}

/// True when `e` says Redis could not be reached (rather than that it answered with an error).
fn is_outage(e: &redis::RedisError) -> bool {
    e.is_timeout() || e.is_io_error() || e.is_connection_dropped() || e.is_connection_refusal()
}

impl RedisStorage {
    /// A builder for `url` (`redis://[user:password@]host:port/db` or `rediss://…` with the
    /// `redis-tls` feature); `${VAR}` and `${VAR:-default}` in it are resolved now.
    pub fn builder(url: impl Into<String>) -> RedisStorageBuilder {
        RedisStorageBuilder {
            url: url.into(),
            cluster: Vec::new(),
            prefix: String::new(),
            encoding: Encoding::default(),
            clock: None,
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            breaker: BreakerSettings::default(),
        }
    }

    /// A builder for a Redis Cluster reached through `nodes` (seed URLs, `redis://host:port`;
    /// one is enough, the others are tried when it is down). Each entry may be a `${VAR}` that
    /// expands to several nodes separated by commas. Every key is routed to the master owning its
    /// slot; each master has its own circuit breaker, so a dead master costs only its keys.
    ///
    /// ```no_run
    /// use advanced_caching::storage::RedisStorage;
    /// let storage = RedisStorage::cluster(["redis://10.0.0.1:7000", "redis://10.0.0.2:7000"])
    ///     .prefix("app:")
    ///     .build()
    ///     .unwrap();
    /// ```
    pub fn cluster<I, S>(nodes: I) -> RedisStorageBuilder
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut builder = Self::builder(String::new());
        builder.cluster = nodes.into_iter().map(Into::into).collect();
        if builder.cluster.is_empty() {
            // `build` reports it; an empty list must not fall back to a single server.
            builder.cluster.push(String::new());
        }
        builder
    }

    /// True when the storage is on a Redis Cluster.
    pub fn is_cluster(&self) -> bool {
        matches!(self.conn, Conn::Cluster(_))
    }

    /// The state of the storage's circuit breaker: on a cluster, the worst of its nodes'
    /// (open when any master is skipped).
    pub fn breaker_state(&self) -> BreakerState {
        let states = self.breakers.all().into_iter().map(|n| n.breaker.state());
        states
            .max_by_key(|state| match state {
                BreakerState::Closed => 0,
                BreakerState::Probing => 1,
                BreakerState::Open { .. } => 2,
            })
            .unwrap_or(BreakerState::Closed)
    }

    /// The storage's circuit breaker (counters: times opened, calls skipped); on a cluster, the
    /// one of keys whose node is not known yet and of multi-key reads (each master has its own).
    pub fn breaker(&self) -> &CircuitBreaker {
        &self.breakers.whole().breaker
    }

    /// A storage on `url` with the defaults (no prefix, binary codec).
    pub fn connect(url: impl Into<String>) -> Result<Self, StorageError> {
        Self::builder(url).build()
    }

    /// How many writes found the same payload stored and only refreshed its TTL.
    pub fn deduplicated_writes(&self) -> u64 {
        self.deduped.load(Ordering::Relaxed)
    }

    /// The key prefix.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    fn full_key(&self, key: &str) -> String {
        let mut k = String::with_capacity(self.prefix.len() + key.len());
        k.push_str(&self.prefix);
        k.push_str(key);
        k
    }

    /// Reads many keys in one round trip (MGET); each slot is `None` for a miss or a bad payload.
    ///
    /// ```no_run
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// use advanced_caching::storage::{RedisStorage, SerdeValue};
    /// let redis = RedisStorage::connect("redis://127.0.0.1:6379").unwrap();
    /// let entries = redis.get_many(&["a", "b"], &SerdeValue::<u32>::new()).await.unwrap();
    /// assert_eq!(entries.len(), 2);
    /// # });
    /// ```
    pub async fn get_many(
        &self,
        keys: &[&str],
        ty: &dyn ValueType,
    ) -> StorageResult<Vec<Option<AnyEntry>>> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let full: Vec<String> = keys.iter().map(|k| self.full_key(k)).collect();
        let raw: Vec<Option<Vec<u8>>> = self
            .run(self.breakers.whole().clone(), move |mut c| async move {
                redis::cmd("MGET").arg(full).query_async(&mut c).await
            })
            .await?;
        Ok(keys
            .iter()
            .zip(raw)
            .map(|(k, bytes)| self.decode(k, bytes, ty).ok().flatten())
            .collect())
    }
}

impl Storage for RedisStorage {
    fn kind(&self) -> &'static str {
        "redis"
    }

    fn now(&self) -> Millis {
        self.clock.now_millis()
    }

    /// Reads on the caller's thread through the blocking connection when it can (see
    /// [`Storage::get_entry_blocking`]); fails at once while Redis is known down.
    fn get_entry_blocking(&self, key: &str, ty: &dyn ValueType) -> StorageResult<Option<AnyEntry>> {
        if self.skips(key) {
            return Err(UNAVAILABLE);
        }
        match self.get_entry_sync(key, ty) {
            Some(read) => read,
            None => crate::rt::wait(self.get_entry(key, ty)),
        }
    }

    fn cleanup_expired(&self) -> BoxFuture<'_, StorageResult<usize>> {
        // Redis expires keys itself.
        Box::pin(std::future::ready(Ok(0)))
    }

    fn get_entry<'a>(
        &'a self,
        key: &'a str,
        ty: &'a dyn ValueType,
    ) -> BoxFuture<'a, StorageResult<Option<AnyEntry>>> {
        Box::pin(async move {
            let bytes = self.get_raw(key).await?;
            self.decode(key, bytes, ty)
        })
    }

    fn set_entry<'a>(
        &'a self,
        key: &'a str,
        entry: AnyEntry,
        ty: &'a dyn ValueType,
    ) -> BoxFuture<'a, StorageResult<()>> {
        Box::pin(async move {
            self.set_announced(key, entry, ty, versions::Write::Move)
                .await
                .map(drop)
        })
    }

    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, StorageResult<bool>> {
        Box::pin(self.delete_announced(key))
    }

    fn ticket<'a>(&'a self, key: &'a str) -> BoxFuture<'a, StorageResult<Ticket>> {
        Box::pin(self.read_version(key))
    }

    fn set_entry_if<'a>(
        &'a self,
        key: &'a str,
        entry: AnyEntry,
        ty: &'a dyn ValueType,
        ticket: &'a Ticket,
    ) -> BoxFuture<'a, StorageResult<bool>> {
        Box::pin(async move {
            let write = match ticket {
                Ticket::Version(v) => versions::Write::IfVersion(*v),
                Ticket::Unversioned => versions::Write::Move,
                Ticket::Unknown | Ticket::Levels(_) => return Ok(false),
            };
            self.set_announced(key, entry, ty, write).await
        })
    }

    fn change_feed(&self) -> Option<Arc<ChangeFeed>> {
        let feed = self.feed.get_or_init(|| {
            let feed = Arc::new(ChangeFeed::new());
            feed::subscribe(
                &feed,
                self.nodes.clone(),
                feed::channel(&self.prefix),
                self.timeout,
                self.connect_timeout,
            );
            feed
        });
        Some(feed.clone())
    }

    fn exists<'a>(&'a self, key: &'a str) -> BoxFuture<'a, StorageResult<bool>> {
        let k = self.full_key(key);
        Box::pin(self.run(self.node_of(&k), move |mut c| async move {
            c.exists::<_, bool>(k).await
        }))
    }

    fn set_if_not_exists<'a>(
        &'a self,
        key: &'a str,
        entry: AnyEntry,
        ty: &'a dyn ValueType,
    ) -> BoxFuture<'a, StorageResult<bool>> {
        Box::pin(self.set_nx(key, entry, ty))
    }

    fn release_lock<'a>(
        &'a self,
        key: &'a str,
        holder: &'a str,
    ) -> BoxFuture<'a, StorageResult<bool>> {
        Box::pin(self.release(key, holder))
    }

    fn renew_lock<'a>(
        &'a self,
        key: &'a str,
        holder: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, StorageResult<bool>> {
        Box::pin(self.renew(key, holder, ttl))
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(redact("redis://u:secret@h:1/0"), "redis://u:***@h:1/0");
        assert_eq!(redact("redis://:secret@h:1"), "redis://:***@h:1");
        assert_eq!(redact("redis://h:1"), "redis://h:1");
    }

    #[test]
    fn a_bad_url_is_a_typed_error_and_a_failing_storage() {
        use crate::StorageError;
        use crate::storage::StorageExt as _;
        let err = super::RedisStorage::connect("http://nope").expect_err("not a redis url");
        assert!(matches!(err, StorageError::Config(_)), "{err:?}");
        let failing = super::RedisStorage::builder("${ADVANCED_CACHING_UNSET_VAR}").build_shared();
        assert!(matches!(
            failing.blocking().delete("k"),
            Err(StorageError::Config(_))
        ));
    }
}

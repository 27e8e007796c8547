//! Configuring a Redis storage: one server or a cluster, timeouts, breaker, codec.

use super::*;

/// Configures a [`RedisStorage`].
///
/// ```no_run
/// use advanced_caching::storage::{Codec, RedisStorage};
/// let storage = RedisStorage::builder("${REDIS_URL:-redis://127.0.0.1:6379}")
///     .prefix("app:")
///     .codec(Codec::Json)
///     .dedupe_writes(true)
///     .build()
///     .unwrap();
/// ```
#[derive(Debug, Clone)]
pub struct RedisStorageBuilder {
    pub(super) url: String,
    /// Seed nodes of a cluster (empty: `url` is one server).
    pub(super) cluster: Vec<String>,
    pub(super) prefix: String,
    pub(super) encoding: Encoding,
    pub(super) clock: Option<SharedClock>,
    pub(super) timeout: Duration,
    pub(super) connect_timeout: Duration,
    pub(super) breaker: BreakerSettings,
}

/// The default command timeout: a cache read that waits longer than a loader is useless.
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_millis(200);
/// The default connection timeout.
pub(crate) const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_millis(500);

impl RedisStorageBuilder {
    byte_storage_setters!(
        prefix: "Prepends `prefix` to every key, so several applications can share one Redis.",
        dedupe_writes: "When on, writing a payload equal to the stored one only moves its timestamps and TTL (atomically, in one server-side script) instead of rewriting it.",
    );

    /// How long one command may take before it fails (default 200 ms). A timed-out command is
    /// never retried, and it opens the circuit breaker at once: a hung server costs one timeout,
    /// not one per call.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How long one connection attempt may take (default 500 ms).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// When the circuit breaker opens and how long it skips the storage before probing it
    /// ([`BreakerSettings::default`]: 3 connection failures or one timeout; 500 ms doubling up to
    /// 30 s).
    pub fn breaker(mut self, settings: BreakerSettings) -> Self {
        self.breaker = settings;
        self
    }

    /// Builds the storage. Fails only on a bad URL (or an unset `${VAR}` in it); the connection
    /// is made on first use and remade after an outage.
    pub fn build(self) -> Result<RedisStorage, StorageError> {
        let handle =
            crate::rt::background_handle().map_err(|e| StorageError::Config(e.to_string()))?;
        let (conn, nodes) = if self.cluster.is_empty() {
            let url = crate::storage::env::expand_env(&self.url)
                .map_err(|e| StorageError::Config(format!("redis url: {e}")))?;
            (self.single(&url, &handle)?, vec![url])
        } else {
            let nodes = self.seed_nodes()?;
            (self.cluster_conn(&nodes, &handle)?, nodes)
        };
        let shown = nodes
            .iter()
            .map(|n| redact(n))
            .collect::<Vec<_>>()
            .join(",");
        // Connect from the background runtime, so the connection's driver task lives there and
        // outlives whichever runtime the first caller was on. A failure here is retried on use.
        let breakers = Arc::new(Breakers::new(
            format!("redis {shown}"),
            self.breaker,
            matches!(conn, Conn::Cluster(_)),
        ));
        {
            let (mut first, breakers) = (conn.clone(), breakers.clone());
            handle.spawn(async move {
                if first.ping(None).await.is_ok() {
                    breakers.refresh_soon(&first);
                }
            });
        }
        // Plain TCP only: a TLS server keeps the async path, which has its TLS stack.
        let sync = match (&conn, nodes.first()) {
            (Conn::Single(_), Some(url)) if url.starts_with("redis://") => {
                SyncConnections::new(url, self.connect_timeout, self.timeout)
            }
            _ => None,
        };
        Ok(RedisStorage {
            conn,
            breakers,
            nodes,
            feed: OnceLock::new(),
            sync,
            connect_timeout: self.connect_timeout,
            timeout: self.timeout,
            url: shown,
            prefix: self.prefix,
            encoding: self.encoding,
            clock: self.clock.unwrap_or_else(system_clock),
            deduped: AtomicU64::new(0),
        })
    }

    /// The seed nodes with `${VAR}` resolved; an entry may expand to several nodes separated by
    /// commas or spaces (`cluster = ["${REDIS_CLUSTER_NODES}"]`).
    fn seed_nodes(&self) -> Result<Vec<String>, StorageError> {
        let mut nodes = Vec::new();
        for seed in &self.cluster {
            let expanded = crate::storage::env::expand_env(seed)
                .map_err(|e| StorageError::Config(format!("redis cluster node: {e}")))?;
            nodes.extend(
                expanded
                    .split(|c: char| c == ',' || c.is_whitespace())
                    .filter(|n| !n.is_empty())
                    .map(str::to_owned),
            );
        }
        if nodes.is_empty() {
            return Err(StorageError::Config(
                "redis cluster: no seed node (an empty list, or variables that expanded to nothing)"
                    .into(),
            ));
        }
        Ok(nodes)
    }

    /// The multiplexed, reconnecting connection to one server.
    fn single(&self, url: &str, handle: &tokio::runtime::Handle) -> Result<Conn, StorageError> {
        let client = redis::Client::open(url)
            .map_err(|e| StorageError::Config(format!("redis url `{}`: {e}", redact(url))))?;
        // No blind retries: a failed command fails the call (which then loads), and the breaker
        // decides when Redis is worth trying again.
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(self.connect_timeout))
            .set_response_timeout(Some(self.timeout))
            .set_number_of_retries(0)
            .set_min_delay(Duration::from_millis(10))
            .set_max_delay(Duration::from_millis(200));
        // The connection lives on the background runtime so it outlives any caller's runtime.
        let _entered = handle.enter();
        let manager = ConnectionManager::new_lazy_with_config(client, config)
            .map_err(|e| StorageError::Config(format!("redis: {e}")))?;
        Ok(Conn::Single(manager))
    }

    /// The connection to a cluster: commands go to the node owning their key's slot (MOVED and
    /// ASK followed, the topology re-read when it changes); the nodes connect in the background.
    fn cluster_conn(
        &self,
        nodes: &[String],
        handle: &tokio::runtime::Handle,
    ) -> Result<Conn, StorageError> {
        let shown = || {
            nodes
                .iter()
                .map(|n| redact(n))
                .collect::<Vec<_>>()
                .join(",")
        };
        let client = redis::cluster::ClusterClientBuilder::new(nodes.iter().map(String::as_str))
            .connection_timeout(self.connect_timeout)
            .response_timeout(self.timeout)
            // Redirections (MOVED/ASK) are followed whatever this says; it bounds blind retries
            // of failed commands, which the breaker replaces.
            .retries(1)
            .build()
            .map_err(|e| StorageError::Config(format!("redis cluster `{}`: {e}", shown())))?;
        let _entered = handle.enter();
        let config = redis::cluster::ClusterConfig::new()
            .set_connection_timeout(self.connect_timeout)
            .set_response_timeout(self.timeout);
        Ok(Conn::Cluster(
            client.get_pending_async_connection_with_config(config),
        ))
    }

    /// [`RedisStorageBuilder::build`] as a shared storage; a configuration error (an unset
    /// `${VAR}`, a bad URL) becomes a [`FailingStorage`](crate::storage::FailingStorage) whose every call
    /// fails with it, so a cache around it degrades to calling its loader. Generated code uses
    /// this so a bad `REDIS_URL` never stops a program.
    pub fn build_shared(self) -> crate::storage::SharedStorage {
        let clock = self.clock.clone();
        crate::storage::FailingStorage::or_failing("redis", self.build(), || {
            clock.unwrap_or_else(system_clock)
        })
    }
}

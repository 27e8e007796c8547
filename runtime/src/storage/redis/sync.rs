//! The blocking read path of a single-server Redis storage: plain blocking connections, so a
//! sync caller's GET costs one round trip on its own thread instead of a hop to the background
//! runtime and back. The circuit breaker guards it as it guards the async path.

use std::sync::{Mutex, PoisonError};

use super::*;

/// How many idle blocking connections are kept (more callers at once open more, then close the
/// extra ones).
const MAX_IDLE: usize = 16;

/// Blocking connections to one server, made on demand with the storage's timeouts.
pub(super) struct SyncConnections {
    client: redis::Client,
    idle: Mutex<Vec<redis::Connection>>,
    connect_timeout: Duration,
    timeout: Duration,
}

impl SyncConnections {
    pub(super) fn new(url: &str, connect_timeout: Duration, timeout: Duration) -> Option<Self> {
        Some(Self {
            client: redis::Client::open(url).ok()?,
            idle: Mutex::new(Vec::new()),
            connect_timeout,
            timeout,
        })
    }

    /// An idle connection (true) or a new one (false).
    fn take(&self) -> redis::RedisResult<(redis::Connection, bool)> {
        let idle = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        match idle {
            Some(conn) => Ok((conn, true)),
            None => Ok((self.open()?, false)),
        }
    }

    fn open(&self) -> redis::RedisResult<redis::Connection> {
        let conn = self
            .client
            .get_connection_with_timeout(self.connect_timeout)?;
        conn.set_read_timeout(Some(self.timeout))?;
        conn.set_write_timeout(Some(self.timeout))?;
        Ok(conn)
    }

    /// GET `key` on a pooled connection. A pooled connection that turns out dead (the server
    /// restarted since it was last used) is not the caller's problem: the idle ones, opened
    /// before the same restart, are dropped, and the read is tried once more on a fresh one.
    fn get(&self, key: &str) -> redis::RedisResult<Option<Vec<u8>>> {
        let (mut conn, pooled) = self.take()?;
        match redis::Commands::get::<_, Option<Vec<u8>>>(&mut conn, key) {
            Ok(got) => {
                self.put_back(conn);
                Ok(got)
            }
            Err(e) if pooled && (e.is_io_error() || e.is_connection_dropped()) => {
                self.idle
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .clear();
                let mut fresh = self.open()?;
                let got = redis::Commands::get::<_, Option<Vec<u8>>>(&mut fresh, key)?;
                self.put_back(fresh);
                Ok(got)
            }
            Err(e) => Err(e),
        }
    }

    fn put_back(&self, conn: redis::Connection) {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.len() < MAX_IDLE && redis::ConnectionLike::is_open(&conn) {
            idle.push(conn);
        }
    }
}

impl RedisStorage {
    /// `get_entry_blocking` on a blocking connection; `None` for a cluster (whose blocking calls
    /// go through the async path).
    pub(super) fn get_entry_sync(
        &self,
        key: &str,
        ty: &dyn ValueType,
    ) -> Option<StorageResult<Option<AnyEntry>>> {
        let sync = self.sync.as_ref()?;
        let k = self.full_key(key);
        let node = self.node_of(&k);
        if !self.admits(&node) {
            return Some(Err(UNAVAILABLE));
        }
        let read = sync.get(&k);
        let bytes = guard::settle(&node, &self.breakers, &self.conn, read);
        Some(bytes.and_then(|bytes| self.decode(key, bytes, ty)))
    }
}

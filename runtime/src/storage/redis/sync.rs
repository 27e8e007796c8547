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

    fn take(&self) -> redis::RedisResult<redis::Connection> {
        let idle = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        if let Some(conn) = idle {
            return Ok(conn);
        }
        let conn = self
            .client
            .get_connection_with_timeout(self.connect_timeout)?;
        conn.set_read_timeout(Some(self.timeout))?;
        conn.set_write_timeout(Some(self.timeout))?;
        Ok(conn)
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
        let read = sync.take().and_then(|mut conn| {
            let got = redis::Commands::get::<_, Option<Vec<u8>>>(&mut conn, &k);
            if got.is_ok() {
                sync.put_back(conn);
            }
            got
        });
        let bytes = guard::settle(&node, &self.breakers, &self.conn, read);
        Some(bytes.and_then(|bytes| self.decode(key, bytes, ty)))
    }
}

//! Commands under the circuit breakers: each runs on its key's node unless that node's breaker
//! skips it; outages open the breaker, a background probe closes it.

use super::*;

impl RedisStorage {
    /// The node (and breaker) of `full_key`, as sent to Redis.
    pub(super) fn node_of(&self, full_key: &str) -> Arc<Node> {
        self.breakers.for_key(full_key)
    }

    /// True while the breaker of `key` skips it.
    pub(super) fn skips(&self, key: &str) -> bool {
        self.node_of(&self.full_key(key)).breaker.skips_now()
    }

    /// Runs one command on `node` (the node of its key, or the whole storage for a command of
    /// many keys), unless its breaker says the node is down: then the call fails at once with
    /// [`StorageError::Unavailable`] (and, when the back-off window has ended, starts the
    /// probe).
    pub(super) fn run<T, F, Fut>(
        &self,
        node: Arc<Node>,
        op: F,
    ) -> impl Future<Output = StorageResult<T>> + Send + 'static
    where
        T: Send + 'static,
        F: FnOnce(Conn) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>> + Send + 'static,
    {
        // Commands run on the caller's task (no hop to another thread): the connection's
        // driver lives on the background runtime, where `build` first connected.
        let fut = self.admits(&node).then(|| op(self.conn.clone()));
        let (breakers, conn) = (self.breakers.clone(), self.conn.clone());
        async move {
            let Some(fut) = fut else {
                return Err(UNAVAILABLE);
            };
            settle(&node, &breakers, &conn, fut.await)
        }
    }

    /// Whether `node` may be sent a command now: not while its breaker skips it (once the
    /// back-off window has ended, the call is refused and the probe started instead).
    pub(super) fn admits(&self, node: &Arc<Node>) -> bool {
        let admission = node.breaker.admit();
        if admission == Admission::Probe {
            self.probe(node.clone());
        }
        admission == Admission::Pass
    }

    /// The probe of `node`, in the background: a PING to it bounded by the command timeout,
    /// tried up to three times 50 ms apart (a connection that died with the server reconnects on
    /// the first); an answer closes its breaker.
    pub(super) fn probe(&self, node: Arc<Node>) {
        let Ok(handle) = crate::rt::background_handle() else {
            node.breaker.probe_failed();
            return;
        };
        let conn = self.conn.clone();
        let (breakers, timeout) = (self.breakers.clone(), self.timeout);
        handle.spawn(async move {
            for attempt in 0..3 {
                if attempt > 0 {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                let mut conn = conn.clone();
                // A cluster client that dropped its connection to a node only makes a new one
                // for a command routed by key: the probe asks for a key of one of its slots.
                let keyed = breakers.a_slot_of(&node).map(|slot| {
                    format!(
                        "~probe{{{}}}",
                        super::versions::SLOT_TAGS[usize::from(slot)]
                    )
                });
                let answered = match keyed {
                    Some(key) => {
                        let exists = conn.exists::<_, bool>(key);
                        matches!(tokio::time::timeout(timeout, exists).await, Ok(Ok(_)))
                    }
                    None => {
                        let ping = conn.ping(node.addr.as_ref());
                        matches!(tokio::time::timeout(timeout, ping).await, Ok(Ok(())))
                    }
                };
                if answered {
                    node.breaker.succeeded();
                    return;
                }
            }
            node.breaker.probe_failed();
            // The node may be gone for good, its slots served by another now.
            breakers.refresh_soon(&conn);
        });
    }
}

/// What `node`'s answer to a command tells its breaker, and the call's result: an outage counts
/// against it (and, on a cluster, has the slot map read again: the node may have been replaced);
/// any answer, an error of the server's own included, says it is up.
pub(super) fn settle<T>(
    node: &Node,
    breakers: &Arc<Breakers>,
    conn: &Conn,
    answer: redis::RedisResult<T>,
) -> StorageResult<T> {
    match answer {
        Ok(v) => {
            node.breaker.succeeded();
            Ok(v)
        }
        Err(e) => {
            let sent = e.is_timeout() || e.is_connection_dropped();
            if is_outage(&e) {
                node.breaker.failed(e.is_timeout());
                breakers.refresh_soon(conn);
            } else {
                node.breaker.succeeded();
            }
            if sent {
                Err(StorageError::Uncertain {
                    storage: "redis".to_owned(),
                    message: e.to_string(),
                })
            } else {
                Err(backend(e))
            }
        }
    }
}

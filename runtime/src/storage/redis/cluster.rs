//! Redis Cluster: one connection type for a single server and a cluster, the hash slot of a key,
//! and a circuit breaker per node, so that a dead master costs only the keys it holds.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use redis::aio::{ConnectionLike, ConnectionManager};
use redis::cluster_async::ClusterConnection;
use redis::cluster_routing::{RoutingInfo, SingleNodeRoutingInfo};
use redis::{Cmd, Pipeline, RedisFuture, Value};

use crate::storage::breaker::{BreakerSettings, CircuitBreaker};

/// The number of hash slots of a Redis Cluster.
const SLOTS: usize = 16384;

/// A connection to one server (multiplexed, reconnecting) or to a cluster (routing each command
/// to the node that owns its keys, following MOVED/ASK redirections and topology changes).
#[derive(Clone)]
pub(super) enum Conn {
    Single(ConnectionManager),
    Cluster(ClusterConnection),
}

impl ConnectionLike for Conn {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Self::Single(c) => c.req_packed_command(cmd),
            Self::Cluster(c) => c.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Self::Single(c) => c.req_packed_commands(pipeline, offset, count),
            Self::Cluster(c) => c.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Self::Single(c) => c.get_db(),
            Self::Cluster(c) => c.get_db(),
        }
    }
}

impl Conn {
    /// PING, sent to `node` on a cluster (any node when `None`), to the server otherwise.
    pub(super) async fn ping(&mut self, node: Option<&(String, u16)>) -> redis::RedisResult<()> {
        match self {
            Self::Single(c) => redis::cmd("PING").query_async(c).await,
            Self::Cluster(c) => {
                let route = match node {
                    Some((host, port)) => SingleNodeRoutingInfo::ByAddress {
                        host: host.clone(),
                        port: *port,
                    },
                    None => SingleNodeRoutingInfo::Random,
                };
                c.route_command(redis::cmd("PING"), RoutingInfo::SingleNode(route))
                    .await
                    .map(drop)
            }
        }
    }
}

/// The hash slot of `key`: CRC16 of its hash tag (the text between the first `{` and the next
/// `}`, when not empty), else of the whole key, modulo 16384.
///
/// ```ignore
/// assert_eq!(slot(b"{user1000}.following"), slot(b"{user1000}.followers"));
/// ```
pub(super) fn slot(key: &[u8]) -> u16 {
    let tagged = key.iter().position(|&b| b == b'{').and_then(|open| {
        let rest = &key[open + 1..];
        let close = rest.iter().position(|&b| b == b'}')?;
        (close > 0).then(|| &rest[..close])
    });
    let hashed = crc16::State::<crc16::XMODEM>::calculate(tagged.unwrap_or(key));
    // The modulo keeps the value below 16384, which fits a u16.
    hashed % SLOTS as u16
}

/// One circuit breaker and the node it guards (`None`: a single server, or a cluster whose
/// slot map is not known yet).
#[derive(Debug)]
pub(super) struct Node {
    pub(super) addr: Option<(String, u16)>,
    pub(super) breaker: CircuitBreaker,
}

/// Which node serves each slot; `u16::MAX` for a slot no node serves (or not known yet).
struct SlotMap {
    owner: Vec<u16>,
    nodes: Vec<Arc<Node>>,
}

/// The circuit breakers of a storage: one for a single server; one per master for a cluster,
/// found through the cluster's slot map (`CLUSTER SLOTS`, read at start and again, at most once
/// a second, after a node failed).
pub(super) struct Breakers {
    name: String,
    settings: BreakerSettings,
    /// The breaker of a single server, and of cluster keys whose node is not known yet.
    whole: Arc<Node>,
    map: Option<RwLock<Arc<SlotMap>>>,
    refreshing: AtomicBool,
    refreshed: Mutex<Option<Instant>>,
}

impl Breakers {
    /// The breakers of a single server (`cluster` false) or of a cluster.
    pub(super) fn new(name: String, settings: BreakerSettings, cluster: bool) -> Self {
        Self {
            whole: Arc::new(Node {
                addr: None,
                breaker: CircuitBreaker::new(name.clone(), settings),
            }),
            map: cluster.then(|| {
                RwLock::new(Arc::new(SlotMap {
                    owner: vec![u16::MAX; SLOTS],
                    nodes: Vec::new(),
                }))
            }),
            name,
            settings,
            refreshing: AtomicBool::new(false),
            refreshed: Mutex::new(None),
        }
    }

    /// The breaker of the storage as a whole (of a single server; on a cluster, of keys whose
    /// node is not known yet and of multi-key reads).
    pub(super) fn whole(&self) -> &Arc<Node> {
        &self.whole
    }

    /// The breaker guarding `full_key` (as sent to Redis).
    pub(super) fn for_key(&self, full_key: &str) -> Arc<Node> {
        let Some(map) = &self.map else {
            return self.whole.clone();
        };
        let map = map.read().unwrap_or_else(PoisonError::into_inner);
        let owner = map.owner[usize::from(slot(full_key.as_bytes()))];
        map.nodes
            .get(usize::from(owner))
            .unwrap_or(&self.whole)
            .clone()
    }

    /// A slot that `node` serves (to reach it through a keyed command), if the map says one.
    pub(super) fn a_slot_of(&self, node: &Arc<Node>) -> Option<u16> {
        let map = self
            .map
            .as_ref()?
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        let index = map.nodes.iter().position(|n| Arc::ptr_eq(n, node))?;
        let slot = map.owner.iter().position(|&o| usize::from(o) == index)?;
        u16::try_from(slot).ok()
    }

    /// Every breaker (the whole storage's first).
    pub(super) fn all(&self) -> Vec<Arc<Node>> {
        let mut all = vec![self.whole.clone()];
        if let Some(map) = &self.map {
            let map = map.read().unwrap_or_else(PoisonError::into_inner);
            all.extend(map.nodes.iter().cloned());
        }
        all
    }

    /// Reads the cluster's slot map again in the background, unless that happened less than a
    /// second ago or is under way. Nothing on a single server.
    pub(super) fn refresh_soon(self: &Arc<Self>, conn: &Conn) {
        let Conn::Cluster(conn) = conn else { return };
        {
            let mut last = self
                .refreshed
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if last.is_some_and(|at| at.elapsed() < Duration::from_secs(1)) {
                return;
            }
            if self.refreshing.swap(true, Ordering::AcqRel) {
                return;
            }
            *last = Some(Instant::now());
        }
        let Ok(handle) = crate::rt::background_handle() else {
            self.refreshing.store(false, Ordering::Release);
            return;
        };
        let (this, mut conn) = (self.clone(), conn.clone());
        handle.spawn(async move {
            let cmd = {
                let mut cmd = redis::cmd("CLUSTER");
                cmd.arg("SLOTS");
                cmd
            };
            let route = RoutingInfo::SingleNode(SingleNodeRoutingInfo::Random);
            match conn.route_command(cmd, route).await {
                Ok(reply) => this.install(&reply),
                Err(e) => tracing::debug!(error = %e, "cannot read the cluster's slot map"),
            }
            this.refreshing.store(false, Ordering::Release);
        });
    }

    /// Installs the slot map of a `CLUSTER SLOTS` reply, keeping the breakers (and their state)
    /// of nodes already known.
    fn install(&self, reply: &Value) {
        let Some(map) = &self.map else { return };
        let Value::Array(ranges) = reply else { return };
        let mut owner = vec![u16::MAX; SLOTS];
        let mut by_addr: HashMap<(String, u16), u16> = HashMap::new();
        let known: HashMap<(String, u16), Arc<Node>> = {
            let map = map.read().unwrap_or_else(PoisonError::into_inner);
            map.nodes
                .iter()
                .filter_map(|n| Some((n.addr.clone()?, n.clone())))
                .collect()
        };
        let mut nodes: Vec<Arc<Node>> = Vec::new();
        for range in ranges {
            let Some((start, end, addr)) = slot_range(range) else {
                continue;
            };
            let index = *by_addr.entry(addr.clone()).or_insert_with(|| {
                let node = known.get(&addr).cloned().unwrap_or_else(|| {
                    Arc::new(Node {
                        breaker: CircuitBreaker::new(
                            format!("{} node {}:{}", self.name, addr.0, addr.1),
                            self.settings,
                        ),
                        addr: Some(addr.clone()),
                    })
                });
                nodes.push(node);
                // At most one entry per slot range, and ranges are fewer than 16384.
                u16::try_from(nodes.len() - 1).unwrap_or(u16::MAX)
            });
            for slot in owner.iter_mut().take(end + 1).skip(start) {
                *slot = index;
            }
        }
        *map.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(SlotMap { owner, nodes });
    }
}

/// One entry of a `CLUSTER SLOTS` reply: first slot, last slot, and the master's address.
fn slot_range(range: &Value) -> Option<(usize, usize, (String, u16))> {
    let Value::Array(fields) = range else {
        return None;
    };
    let int = |v: &Value| match v {
        Value::Int(i) => usize::try_from(*i).ok().filter(|&s| s < SLOTS),
        _ => None,
    };
    let (start, end) = (int(fields.first()?)?, int(fields.get(1)?)?);
    let Value::Array(master) = fields.get(2)? else {
        return None;
    };
    let host = match master.first()? {
        Value::BulkString(b) => String::from_utf8(b.clone()).ok()?,
        Value::SimpleString(s) => s.clone(),
        _ => return None,
    };
    let port = match master.get(1)? {
        Value::Int(p) => u16::try_from(*p).ok()?,
        _ => return None,
    };
    (start <= end).then_some((start, end, (host, port)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_match_the_cluster_specification() {
        // Values from the Redis Cluster specification and `CLUSTER KEYSLOT`.
        assert_eq!(slot(b"123456789"), 0x31C3);
        assert_eq!(slot(b"foo"), 12182);
        assert_eq!(slot(b"{user1000}.following"), slot(b"user1000"));
        // An empty tag is no tag: the whole key is hashed.
        assert_eq!(slot(b"foo{}{bar}"), slot(b"foo{}{bar}"));
        assert_ne!(slot(b"foo{}{bar}"), slot(b"bar"));
        assert_eq!(slot(b"foo{{bar}}zap"), slot(b"{bar"));
    }

    #[test]
    fn a_slot_map_routes_keys_to_their_node_and_keeps_known_breakers() {
        let breakers = Breakers::new("redis".into(), BreakerSettings::default(), true);
        let bulk = |s: &str| Value::BulkString(s.as_bytes().to_vec());
        let range = |a: i64, b: i64, port: i64| {
            Value::Array(vec![
                Value::Int(a),
                Value::Int(b),
                Value::Array(vec![bulk("127.0.0.1"), Value::Int(port), bulk("id")]),
            ])
        };
        // Before the map is known, every key has the storage's breaker.
        assert!(Arc::ptr_eq(&breakers.for_key("foo"), breakers.whole()));
        breakers.install(&Value::Array(vec![
            range(0, 8191, 7000),
            range(8192, 16383, 7001),
        ]));
        let foo = breakers.for_key("foo"); // slot 12182
        assert_eq!(foo.addr, Some(("127.0.0.1".into(), 7001)));
        assert_eq!(
            breakers.for_key("123456789").addr, // slot 12739
            Some(("127.0.0.1".into(), 7001))
        );
        assert_eq!(
            breakers.for_key("{a}").addr, // slot 15495
            Some(("127.0.0.1".into(), 7001))
        );
        assert_eq!(
            breakers.for_key("{b}").addr, // slot 3300
            Some(("127.0.0.1".into(), 7000))
        );
        foo.breaker.failed(true);
        // A new map keeps the breaker (and its open state) of a node it already knew.
        breakers.install(&Value::Array(vec![range(0, 16383, 7001)]));
        assert!(Arc::ptr_eq(&breakers.for_key("{b}"), &foo));
        assert!(breakers.for_key("{b}").breaker.skips_now());
        assert_eq!(breakers.all().len(), 2);
    }
}

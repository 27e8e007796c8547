//! Cases with I/O: Redis against the raw `redis` crate, the hybrid L1 hit, and file reads.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use advanced_caching::storage::{
    ChainStorage, Codec, FileStorage, MemoryStorage, RedisStorage, SharedStorage, StorageExt,
};
use redis::AsyncCommands;

use crate::Report;
use crate::cases::ours_hit;
use crate::measure::{Plan, pair};

/// A `redis-server` of this run on a free loopback port, killed on drop.
pub(crate) struct RedisServer {
    child: std::process::Child,
    pub(crate) port: u16,
}

impl RedisServer {
    pub(crate) fn start() -> Option<Self> {
        Self::start_with(&[])
    }

    /// A server with extra arguments (cluster mode).
    pub(crate) fn start_with(extra: &[&str]) -> Option<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .ok()?
            .local_addr()
            .ok()?
            .port();
        let child = std::process::Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .args(extra.iter().map(|a| a.replace("{port}", &port.to_string())))
            .stdout(std::process::Stdio::null())
            .spawn()
            .ok()?;
        let server = Self { child, port };
        for _ in 0..500 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Some(server);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        None
    }

    pub(crate) fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A small record, encoded with the same codec on both sides.
type Record = (u64, String, Vec<u32>);

fn record(i: u64) -> Record {
    (i, format!("name-{i}"), (0..16).collect())
}

/// 1,000 records written by ours under `PREFIX:i` and by the raw client under `raw:PREFIX:i`.
pub(crate) fn fill<C>(
    rt: &tokio::runtime::Runtime,
    ours: &RedisStorage,
    raw: &C,
    prefix: &str,
) -> Vec<String>
where
    C: redis::aio::ConnectionLike + Clone + Send + Sync,
{
    let keys: Vec<String> = (0..1_000).map(|i| format!("{prefix}:{i}")).collect();
    rt.block_on(async {
        for (i, k) in keys.iter().enumerate() {
            let _ = ours.set_typed(k, &record(i as u64), None).await;
            let bytes = Codec::Binary.encode(&record(i as u64)).unwrap_or_default();
            let _: Result<(), _> = raw.clone().set(format!("raw:{k}"), bytes).await;
        }
    });
    keys
}

/// A read of ours against a GET and the same decode on the raw client, interleaved.
pub(crate) fn gets<C>(
    plan: Plan,
    rt: &tokio::runtime::Runtime,
    ours: &RedisStorage,
    raw: &C,
    keys: &[String],
) -> (f64, f64)
where
    C: redis::aio::ConnectionLike + Clone + Send + Sync + 'static,
{
    pair(
        plan,
        |i| {
            let k = &keys[i as usize % keys.len()];
            black_box(rt.block_on(ours.get_typed::<Record>(k)).ok());
        },
        |i| {
            let k = format!("raw:{}", keys[i as usize % keys.len()]);
            let mut c = raw.clone();
            let got: Option<Record> = rt.block_on(async move {
                let bytes: Option<Vec<u8>> = c.get(k).await.ok()?;
                Codec::Binary.decode(&bytes?).ok()
            });
            black_box(got);
        },
    )
}

pub(crate) fn redis_cases(plan: Plan, report: &mut Report) {
    let Some(server) = RedisServer::start() else {
        report.note("redis cases skipped: no redis-server".into());
        return;
    };
    let Ok(rt) = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    else {
        return;
    };
    let Ok(ours) = RedisStorage::builder(server.url())
        .codec(Codec::Binary)
        .build()
    else {
        return;
    };
    let raw = rt.block_on(async {
        let client = redis::Client::open(server.url()).ok()?;
        client.get_multiplexed_async_connection().await.ok()
    });
    let Some(raw) = raw else { return };
    let keys = fill(&rt, &ours, &raw, "r");
    let slow = plan.scaled(0.02);
    let (o, p) = gets(slow, &rt, &ours, &raw, &keys);
    report.compare("redis_get", o, "redis", p);
    // The same GET and decode from blocking code: ours through `get_blocking`, the raw client
    // through its own sync connection.
    if let Ok(mut sync) = redis::Client::open(server.url()).and_then(|c| c.get_connection()) {
        let (o, p) = pair(
            slow,
            |i| {
                let k = &keys[i as usize % keys.len()];
                black_box(ours.get_blocking_typed::<Record>(k).ok());
            },
            |i| {
                let k = format!("raw:{}", keys[i as usize % keys.len()]);
                let bytes: Option<Vec<u8>> = redis::Commands::get(&mut sync, k).ok().flatten();
                let got: Option<Record> = bytes.and_then(|b| Codec::Binary.decode(&b).ok());
                black_box(got);
            },
        );
        report.compare("redis_get_sync", o, "redis_sync", p);
    }
    let (o, p) = pair(
        slow,
        |i| {
            let k = &keys[i as usize % keys.len()];
            let _ = black_box(rt.block_on(ours.set_typed(
                k,
                &record(i),
                Some(Duration::from_secs(60)),
            )));
        },
        |i| {
            let k = format!("raw:{}", keys[i as usize % keys.len()]);
            let mut c = raw.clone();
            let bytes = Codec::Binary.encode(&record(i)).unwrap_or_default();
            let _: Option<()> =
                black_box(rt.block_on(async move { c.pset_ex(k, bytes, 60_000).await.ok() }));
        },
    );
    report.compare("redis_set", o, "redis", p);

    // The hybrid's L1 hit against a plain memory hit.
    let l1 = Arc::new(MemoryStorage::new(10_000));
    let hybrid = ChainStorage::hybrid(l1, Arc::new(ours), Duration::from_secs(3_600), None);
    let memory: SharedStorage = Arc::new(MemoryStorage::new(10_000));
    rt.block_on(async {
        for (i, k) in keys.iter().enumerate() {
            let _ = hybrid.set_typed(k, &record(i as u64), None).await;
            let _ = memory.set_typed(k, &record(i as u64), None).await;
        }
    });
    let (o, p) = pair(
        plan,
        |i| {
            black_box(ours_hit(&hybrid, &keys[i as usize % keys.len()]));
        },
        |i| {
            black_box(ours_hit(memory.as_ref(), &keys[i as usize % keys.len()]));
        },
    );
    report.compare("hybrid_l1_hit", o, "mem_hit_1t", p);
    drop(server);
}

pub(crate) fn file_cases(plan: Plan, report: &mut Report) {
    let dir = std::env::temp_dir().join(format!("advanced-caching-bench-{}", std::process::id()));
    let Ok(files) = FileStorage::new(&dir) else {
        return;
    };
    let keys: Vec<String> = (0..100).map(|i| format!("f:{i}")).collect();
    for (i, k) in keys.iter().enumerate() {
        let _ = files.set_blocking_typed(k, &vec![i as u8; 1_024], None);
    }
    let paths: Vec<_> = keys.iter().map(|k| files.path_of(k)).collect();
    let (o, p) = pair(
        plan.scaled(0.1),
        |i| {
            black_box(
                files
                    .get_blocking_typed::<Vec<u8>>(&keys[i as usize % keys.len()])
                    .ok(),
            );
        },
        |i| {
            black_box(std::fs::read(&paths[i as usize % paths.len()]).ok());
        },
    );
    report.compare("file_get", o, "fs_read", p);
    let _ = std::fs::remove_dir_all(dir);
}

/// A call during a Redis outage, once the breaker is open, against the same loader called with
/// no cache at all: what the cache adds while its storage is down.
pub(crate) fn outage_cases(plan: Plan, report: &mut Report) {
    // A port that accepts and never answers: a hung Redis.
    let Ok(hole) = std::net::TcpListener::bind("127.0.0.1:0") else {
        report.note("outage_call skipped: no loopback port".into());
        return;
    };
    let Ok(port) = hole.local_addr().map(|a| a.port()) else {
        return;
    };
    let storage = match RedisStorage::builder(format!("redis://127.0.0.1:{port}"))
        .timeout(Duration::from_millis(100))
        .connect_timeout(Duration::from_millis(100))
        .build()
    {
        Ok(storage) => Arc::new(storage),
        Err(e) => {
            report.note(format!("outage_call skipped: {e}"));
            return;
        }
    };
    let cache =
        advanced_caching::strategy::CacheBuilder::<u64, std::convert::Infallible>::new("outage")
            .storage(storage.clone())
            .ttl(Some(Duration::from_secs(60)))
            .serde()
            .build_ttl();
    let keys: Vec<String> = (0..1024).map(|i| format!("outage:{i}")).collect();
    let loader = |i: u64| black_box(i.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    // The first call waits one timeout and opens the breaker.
    let started = std::time::Instant::now();
    let _ = cache.get_or_load_blocking("outage:first", || Ok(loader(0)));
    report.note(format!(
        "outage_call: first call {:.1?} (timeout 100 ms), breaker {}",
        started.elapsed(),
        storage.breaker_state()
    ));
    let (ours, peer) = pair(
        plan,
        |i| {
            let key = &keys[i as usize % keys.len()];
            black_box(cache.get_or_load_blocking(key, || Ok(loader(i))).ok());
        },
        |i| {
            black_box(loader(i));
        },
    );
    report.compare("outage_call", ours, "no_cache", peer);
    report.note(format!(
        "outage_call: {:.0} ns added per call while Redis is down ({} calls skipped it)",
        ours - peer,
        storage.breaker().skipped()
    ));
}

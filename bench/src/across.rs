//! Cases across processes: how fast a write in one process reaches the L1 of another (ours, and
//! the two transports Redis offers for it), and reads from a Redis Cluster against the raw
//! cluster client.

use std::sync::Arc;
use std::time::{Duration, Instant};

use advanced_caching::storage::{
    ChainStorage, MemoryStorage, RedisStorage, SharedStorage, StorageExt,
};
use redis::AsyncCommands;

use crate::Report;
use crate::measure::Plan;
use crate::remote::{RedisServer, fill, gets};

/// The p50 and p99 of `waits`, as a note line.
fn percentiles(report: &mut Report, what: &str, mut waits: Vec<Duration>) {
    waits.sort();
    let at = |q: f64| waits.get((waits.len() as f64 * q) as usize).copied();
    if let (Some(p50), Some(p99)) = (at(0.5), at(0.99)) {
        report.note(format!(
            "{what}: p50 {p50:?} p99 {p99:?} over {} rounds",
            waits.len()
        ));
    }
}

fn rounds(plan: Plan) -> usize {
    if plan.rounds < 10 { 200 } else { 2_000 }
}

/// Polls until `done` holds, at most a second, yielding the core between looks (on a small
/// machine a hot spin would starve the threads that deliver the message); the time since
/// `started`.
fn until(started: Instant, mut done: impl FnMut() -> bool) -> Duration {
    let deadline = started + Duration::from_secs(1);
    while !done() && Instant::now() < deadline {
        std::thread::yield_now();
    }
    started.elapsed()
}

/// `l1_invalidation`: two coherent hybrids on one Redis, standing for two processes (each its
/// own Redis connection, subscription and origin). One writes a key the other holds in its L1;
/// the time until the other's L1 copy is gone, on loopback. Then the two transports Redis
/// offers, raw: a PUBLISH reaching a subscriber, and a SET reaching a RESP3 connection that
/// tracks the key's prefix (`CLIENT TRACKING ON BCAST`) as an invalidation push.
pub(crate) fn invalidation_cases(plan: Plan, report: &mut Report) {
    let Some(server) = RedisServer::start() else {
        report.note("l1_invalidation skipped: no redis-server".into());
        return;
    };
    let replica = || -> Option<(Arc<MemoryStorage>, ChainStorage)> {
        let l1 = Arc::new(MemoryStorage::new(1_000));
        let l2: SharedStorage = Arc::new(RedisStorage::connect(server.url()).ok()?);
        let hybrid = ChainStorage::hybrid(l1.clone(), l2.clone(), Duration::from_secs(3600), None)
            .coherent();
        let feed = l2.change_feed()?;
        let deadline = Instant::now() + Duration::from_secs(5);
        while !feed.trusted() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
        feed.trusted().then_some((l1, hybrid))
    };
    let (Some((_, writer)), Some((reader_l1, reader))) = (replica(), replica()) else {
        report.note("l1_invalidation skipped: no subscription".into());
        return;
    };
    let mut waits = Vec::new();
    for i in 0..rounds(plan) {
        let key = format!("inv:{}", i % 10);
        if reader.set_blocking_typed(&key, &i, None).is_err() {
            continue;
        }
        let started = Instant::now();
        if writer.set_blocking_typed(&key, &(i + 1), None).is_ok() {
            waits.push(until(started, || {
                !reader_l1.blocking().exists(&key).unwrap_or(true)
            }));
        }
    }
    percentiles(
        report,
        "l1_invalidation (write in one process → the other's L1 copy gone)",
        waits,
    );
    transports(plan, &server, report);
}

/// The raw transports: PUBLISH → subscriber, and SET → RESP3 tracking push.
fn transports(plan: Plan, server: &RedisServer, report: &mut Report) {
    let Ok(rt) = tokio::runtime::Runtime::new() else {
        return;
    };
    let measured = rt.block_on(async {
        let client = redis::Client::open(server.url()).ok()?;
        let mut writer = client.get_multiplexed_async_connection().await.ok()?;
        // Pub/sub.
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let mut pubsub = client.get_async_pubsub().await.ok()?;
        pubsub.subscribe("bench~changes").await.ok()?;
        tokio::spawn(async move {
            use futures_util::StreamExt;
            let mut messages = pubsub.into_on_message();
            while messages.next().await.is_some() {
                if tx.send(()).is_err() {
                    return;
                }
            }
        });
        let mut published = Vec::new();
        for i in 0..rounds(plan) {
            let started = Instant::now();
            let _: i64 = writer.publish("bench~changes", i).await.ok()?;
            let got = tokio::task::block_in_place(|| rx.recv_timeout(Duration::from_secs(1)));
            if got.is_ok() {
                published.push(started.elapsed());
            }
        }
        // RESP3 client-side tracking of a prefix.
        let resp3 = redis::Client::open(format!("{}?protocol=resp3", server.url())).ok()?;
        let (tx, rx) = std::sync::mpsc::channel::<redis::PushInfo>();
        let config = redis::AsyncConnectionConfig::new().set_push_sender(tx);
        let mut tracked = resp3
            .get_multiplexed_async_connection_with_config(&config)
            .await
            .ok()?;
        let _: () = redis::cmd("CLIENT")
            .arg(&["TRACKING", "ON", "BCAST", "PREFIX", "trk:"])
            .query_async(&mut tracked)
            .await
            .ok()?;
        let mut pushed = Vec::new();
        for i in 0..rounds(plan) {
            let started = Instant::now();
            let _: () = writer.set("trk:k", i).await.ok()?;
            let got = tokio::task::block_in_place(|| {
                // Skip pushes of another kind; wait for the invalidation.
                loop {
                    match rx.recv_timeout(Duration::from_secs(1)) {
                        Ok(push) if push.kind == redis::PushKind::Invalidate => return true,
                        Ok(_) => {}
                        Err(_) => return false,
                    }
                }
            });
            if got {
                pushed.push(started.elapsed());
            }
        }
        Some((published, pushed))
    });
    match measured {
        Some((published, pushed)) => {
            percentiles(report, "transport pubsub (PUBLISH → subscriber)", published);
            percentiles(
                report,
                "transport tracking (SET → RESP3 BCAST invalidation push)",
                pushed,
            );
        }
        None => report.note("transports not measured: a command failed".into()),
    }
}

/// A 3-master Redis Cluster of this run, or `None` without `redis-server` / `redis-cli`.
struct Cluster {
    masters: Vec<RedisServer>,
    _dir: TempDir,
}

/// A directory removed on drop.
struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl Cluster {
    fn start() -> Option<Self> {
        let dir = std::env::temp_dir().join(format!("ac-bench-cluster-{}", std::process::id()));
        std::fs::create_dir_all(&dir).ok()?;
        let conf = dir.join("nodes-{port}.conf");
        let conf = conf.to_string_lossy();
        let mut masters = Vec::new();
        for _ in 0..3 {
            masters.push(RedisServer::start_with(&[
                "--cluster-enabled",
                "yes",
                "--cluster-config-file",
                &conf,
            ])?);
        }
        let joined = std::process::Command::new("redis-cli")
            .args(["--cluster", "create"])
            .args(masters.iter().map(|m| format!("127.0.0.1:{}", m.port)))
            .args(["--cluster-replicas", "0", "--cluster-yes"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .ok()?;
        if !joined.success() {
            return None;
        }
        let client = redis::Client::open(masters[0].url()).ok()?;
        let mut conn = client.get_connection().ok()?;
        for _ in 0..500 {
            let info: String = redis::cmd("CLUSTER").arg("INFO").query(&mut conn).ok()?;
            if info.contains("cluster_state:ok") {
                return Some(Self {
                    masters,
                    _dir: TempDir(dir),
                });
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    fn urls(&self) -> Vec<String> {
        self.masters.iter().map(RedisServer::url).collect()
    }
}

/// `cluster_get`: a read through our cluster storage against a GET (and the same decode) on the
/// raw cluster client, keys spread over the three masters.
pub(crate) fn cluster_cases(plan: Plan, report: &mut Report) {
    let Some(cluster) = Cluster::start() else {
        report.note(
            "cluster cases skipped: no redis-server / redis-cli, or the cluster did not form"
                .into(),
        );
        return;
    };
    let Ok(rt) = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    else {
        return;
    };
    let Ok(ours) = RedisStorage::cluster(cluster.urls()).build() else {
        return;
    };
    let raw = rt.block_on(async {
        let client = redis::cluster::ClusterClient::new(cluster.urls()).ok()?;
        client.get_async_connection().await.ok()
    });
    let Some(raw) = raw else { return };
    let keys = fill(&rt, &ours, &raw, "c");
    let (o, p) = gets(plan.scaled(0.02), &rt, &ours, &raw, &keys);
    report.compare("cluster_get", o, "redis_cluster", p);
}

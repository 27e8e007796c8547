//! Generated wrappers (`specs/cluster.toml`) on a real 3-master Redis Cluster: every strategy with
//! keys on every master, and a dead master that costs only the keys it holds.
#![allow(clippy::unwrap_used)] // a test fails loudly on an unexpected error
#![allow(missing_docs)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use advanced_caching::{
    clock::{ManualClock, SharedClock},
    storage::{MemoryStorage, RedisStorage},
};
use advanced_caching_tests::cluster_spec::caches::{self, Caches};
use advanced_caching_tests::fixture::calls;
use advanced_caching_tests::harness::RedisCluster;
use redis::Commands;

struct Setup {
    clock: ManualClock,
    local: Arc<MemoryStorage>,
    storage: Arc<RedisStorage>,
    caches: Caches,
}

/// Caches whose cluster storage (as the spec declares it) uses `cluster`.
fn setup(cluster: &RedisCluster) -> Setup {
    let clock = ManualClock::new(1_700_000_000_000);
    let shared: SharedClock = Arc::new(clock.clone());
    let storage = RedisStorage::cluster(cluster.urls())
        .prefix("c:")
        .timeout(Duration::from_millis(300))
        .clock(shared.clone())
        .build()
        .unwrap();
    assert!(storage.is_cluster());
    let storage = Arc::new(storage);
    let local = Arc::new(MemoryStorage::with_clock(1_000, shared.clone()));
    let caches = Caches::builder()
        .clock(shared)
        .storage("cluster", storage.clone())
        .storage("local", local.clone())
        .build()
        .unwrap();
    Setup {
        clock,
        local,
        storage,
        caches,
    }
}

fn cluster_or_skip() -> Option<RedisCluster> {
    RedisCluster::start()
}

/// The ids in `ids` whose `user:{id}` key lives on each master.
fn users_by_master(cluster: &RedisCluster, ids: std::ops::Range<u64>) -> [Vec<u64>; 3] {
    let mut by_master: [Vec<u64>; 3] = Default::default();
    for id in ids {
        by_master[cluster.master_of(&format!("c:user:{id}"))].push(id);
    }
    by_master
}

#[tokio::test(flavor = "multi_thread")]
async fn every_strategy_works_with_keys_on_every_master() {
    let Some(cluster) = cluster_or_skip() else {
        return;
    };
    let s = setup(&cluster);

    // Async TTL: 60 keys spread over the three masters; each loads once, then hits.
    let by_master = users_by_master(&cluster, 7_000..7_060);
    assert!(by_master.iter().all(|ids| !ids.is_empty()), "{by_master:?}");
    for id in 7_000..7_060 {
        s.caches.get_user(id).await.unwrap();
    }
    for id in 7_000..7_060 {
        s.caches.get_user(id).await.unwrap();
        assert_eq!(calls(&format!("fetch_user:{id}")), 1, "user {id}");
    }
    for (master, ids) in by_master.iter().enumerate() {
        let stored: bool = cluster.masters()[master]
            .client()
            .exists(format!("c:user:{}", ids[0]))
            .unwrap();
        assert!(stored, "master {master} holds its keys");
    }
    let stats = s.caches.stats();
    let users = stats.iter().find(|s| s.name == "get_user").unwrap();
    assert_eq!(
        (users.hits, users.misses, users.storage_errors),
        (60, 60, 0)
    );

    // A bulk read of keys on all three masters is split by slot.
    let keys: Vec<String> = by_master
        .iter()
        .map(|ids| format!("user:{}", ids[0]))
        .collect();
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    let ty = advanced_caching::storage::SerdeValue::<advanced_caching_tests::fixture::User>::new();
    let entries = s.storage.get_many(&keys, &ty).await.unwrap();
    assert_eq!(entries.iter().filter(|e| e.is_some()).count(), 3);

    // Control calls reach the right master.
    let user = caches::get_user::on(&s.caches);
    let id = by_master[2][0];
    assert!(user.invalidate(id).await);
    assert!(user.get(id).await.is_none());
    s.caches.get_user(id).await.unwrap();
    assert_eq!(calls(&format!("fetch_user:{id}")), 2);

    // Sync TTL behind a memory L1: L1 misses are served by the cluster.
    let squares: Vec<u64> = (300..330).map(|n| s.caches.square(n)).collect();
    s.local.clear();
    assert_eq!(
        (300..330).map(|n| s.caches.square(n)).collect::<Vec<_>>(),
        squares
    );
    assert_eq!(s.local.len(), 30, "L1 repopulated from the cluster");

    // Async SWR: stale at once, one refresh (its lock on the cluster), then the new value.
    assert_eq!(s.caches.price("cluster-sku").await.unwrap(), 0);
    s.clock.advance(Duration::from_millis(150));
    assert_eq!(s.caches.price("cluster-sku").await.unwrap(), 0, "stale");
    let deadline = Instant::now() + Duration::from_secs(5);
    while s.caches.price("cluster-sku").await.unwrap() != 1 {
        assert!(Instant::now() < deadline, "the refresh never landed");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(calls("price:cluster-sku"), 2, "exactly one refresh");

    // A background writer (its lease on the cluster) and a reader of its key.
    let ours = format!("{}#", std::process::id());
    assert!(s.caches.snapshot().await.unwrap().starts_with(&ours));
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if let Some(v) = s.caches.snapshot_local().await {
            assert!(v.starts_with(&ours));
            break;
        }
        assert!(Instant::now() < deadline, "the reader never saw the writer");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dead_master_costs_only_its_keys_and_heals() {
    let Some(mut cluster) = cluster_or_skip() else {
        return;
    };
    let s = setup(&cluster);
    let by_master = users_by_master(&cluster, 8_000..8_090);
    for id in 8_000..8_090 {
        s.caches.get_user(id).await.unwrap();
    }
    let before = |id: u64| calls(&format!("fetch_user:{id}"));
    assert!((8_000..8_090).all(|id| before(id) == 1));

    cluster.stop(1);
    // Keys on the live masters are still hits; keys on the dead one fail open to the loader.
    for round in 0..3 {
        for id in by_master[0].iter().chain(&by_master[2]) {
            s.caches.get_user(*id).await.unwrap();
            assert_eq!(before(*id), 1, "user {id} (live master), round {round}");
        }
        for id in &by_master[1] {
            let user = s.caches.get_user(*id).await.unwrap();
            assert_eq!(user.id, *id);
        }
    }
    let dead = by_master[1][0];
    assert_eq!(
        before(dead),
        4,
        "each call for a key on the dead master loads"
    );
    let stats = s.caches.stats();
    let users = stats.iter().find(|s| s.name == "get_user").unwrap();
    assert!(
        users.storage_errors + users.storage_skips > 0,
        "the outage is counted: {users}"
    );

    // Back: the master rejoins with its slots, its breaker closes, its keys are cached again.
    cluster.restart(1);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        s.caches.get_user(dead).await.unwrap();
        let loads = before(dead);
        s.caches.get_user(dead).await.unwrap();
        if before(dead) == loads {
            // A hit: stored on the master again. (A load whose ticket could not be read while
            // the breaker was still probing is returned, not stored: one more load after it.)
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the dead master's keys never healed"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let stored: bool = cluster.masters()[1]
        .client()
        .exists(format!("c:user:{dead}"))
        .unwrap();
    assert!(stored);
}

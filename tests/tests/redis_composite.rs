//! Hybrid and chain storages over a real redis-server, SWR refresh locks shared across
//! "processes" (independent caches on one Redis), and fail-open when Redis goes away.
#![allow(clippy::unwrap_used)] // a test fails loudly on an unexpected error
#![allow(missing_docs)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use advanced_caching::{
    storage::{
        CacheEntry, ChainLevel, ChainStorage, MemoryStorage, RedisStorage, SerdeValue,
        SharedStorage, Storage, StorageExt,
    },
    strategy::CacheBuilder,
};
use advanced_caching_tests::redis_or_skip;
use redis::Commands;

fn memory() -> Arc<MemoryStorage> {
    Arc::new(MemoryStorage::new(1_000))
}

#[tokio::test(flavor = "multi_thread")]
async fn hybrid_repopulates_l1_from_l2_with_the_l1_cap() {
    let server = redis_or_skip!();
    let l1 = memory();
    let l2 = Arc::new(RedisStorage::connect(server.url()).unwrap());
    let hybrid = ChainStorage::hybrid(l1.clone(), l2.clone(), Duration::from_secs(10), None);
    hybrid
        .set_typed("h", &"v".to_string(), Some(Duration::from_secs(300)))
        .await
        .unwrap();
    // Writes went to both levels, each with its cap: L2 at most 2 × l1_ttl.
    let left: i64 = redis::cmd("PTTL")
        .arg("h")
        .query(&mut server.client())
        .unwrap();
    assert!((19_000..=20_000).contains(&left), "l2 cap = 20 s: {left}");
    l1.clear();
    assert_eq!(
        hybrid.get_typed::<String>("h").await.unwrap().as_deref(),
        Some("v")
    );
    let copy = l1
        .get_entry_blocking("h", &SerdeValue::<String>::new())
        .unwrap()
        .expect("L1 repopulated from L2");
    assert!(copy.stale_until.unwrap() - copy.created_at <= 20_000);
    assert!(
        copy.stale_until.unwrap() <= l1.now() + 10_000,
        "L1 copy capped by l1_ttl"
    );
    // The next read is an L1 hit even with L2 emptied behind its back.
    let _: () = server.client().del("h").unwrap();
    assert_eq!(
        hybrid.get_blocking_typed::<String>("h").unwrap().as_deref(),
        Some("v")
    );
}

#[test]
fn chain_promotes_hits_and_backfills_set_if_not_exists() {
    let server = redis_or_skip!();
    let (fast, middle) = (memory(), memory());
    let redis = Arc::new(
        RedisStorage::builder(server.url())
            .prefix("c:")
            .build()
            .unwrap(),
    );
    let chain = ChainStorage::new(vec![
        ChainLevel::new(fast.clone()).ttl_cap(Duration::from_secs(5)),
        ChainLevel::new(middle.clone()),
        ChainLevel::new(redis.clone()),
    ]);
    redis
        .set_blocking_typed("deep", &42u64, Some(Duration::from_secs(60)))
        .unwrap();
    assert!(!fast.blocking().exists("deep").unwrap());
    let entry = chain
        .get_entry_blocking("deep", &SerdeValue::<u64>::new())
        .unwrap()
        .unwrap();
    assert_eq!(entry.value.downcast_ref::<u64>(), Some(&42));
    assert!(
        fast.blocking().exists("deep").unwrap(),
        "promoted to level 0"
    );
    assert!(
        middle.blocking().exists("deep").unwrap(),
        "promoted to level 1"
    );

    let entry = |v: u64| {
        CacheEntry::new(
            Arc::new(v) as advanced_caching::storage::AnyValue,
            chain.now(),
            Some(Duration::from_secs(60)),
            None,
        )
    };
    let ty = SerdeValue::<u64>::new();
    assert!(
        chain
            .blocking()
            .set_if_not_exists("once", entry(1), &ty)
            .unwrap()
    );
    assert_eq!(
        fast.get_blocking_typed::<u64>("once").unwrap(),
        Some(1),
        "backfilled"
    );
    assert_eq!(
        middle.get_blocking_typed::<u64>("once").unwrap(),
        Some(1),
        "backfilled"
    );
    // Another process's chain (own memory levels, same Redis) loses: the deepest level decides.
    let other = ChainStorage::new(vec![
        ChainLevel::new(memory()),
        ChainLevel::new(redis.clone()),
    ]);
    assert!(
        !other
            .blocking()
            .set_if_not_exists("once", entry(2), &ty)
            .unwrap()
    );
    assert_eq!(other.get_blocking_typed::<u64>("once").unwrap(), Some(1));

    assert!(chain.blocking().delete("once").unwrap());
    assert!(!fast.blocking().exists("once").unwrap() && !redis.blocking().exists("once").unwrap());
}

#[tokio::test(flavor = "multi_thread")]
async fn chain_get_entry_promotes_in_async_code_too() {
    let server = redis_or_skip!();
    let fast = memory();
    let redis: SharedStorage = Arc::new(RedisStorage::connect(server.url()).unwrap());
    let chain = ChainStorage::new(vec![
        ChainLevel::new(fast.clone()),
        ChainLevel::new(redis.clone()),
    ]);
    redis
        .set_typed("k", &"deep".to_string(), None)
        .await
        .unwrap();
    let got = chain
        .get_entry("k", &SerdeValue::<String>::new())
        .await
        .unwrap();
    assert!(got.is_some());
    assert_eq!(
        fast.get_typed::<String>("k").await.unwrap().as_deref(),
        Some("deep")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn swr_refresh_runs_once_across_processes_sharing_redis() {
    let server = redis_or_skip!();
    let refreshes = Arc::new(AtomicUsize::new(0));
    // Eight independent caches (as eight processes would have) over one Redis.
    let caches: Vec<_> = (0..8)
        .map(|i| {
            let storage = Arc::new(RedisStorage::connect(server.url()).unwrap());
            Arc::new(
                CacheBuilder::<u64, ()>::new(format!("p{i}"))
                    .storage(storage)
                    .ttl(Some(Duration::from_millis(40)))
                    .stale_ttl(Duration::from_secs(30))
                    .serde()
                    .build_swr(),
            )
        })
        .collect();
    assert_eq!(caches[0].get_or_load("s", || async { Ok(1) }).await, Ok(1));
    tokio::time::sleep(Duration::from_millis(50)).await;
    let readers: Vec<_> = caches
        .iter()
        .map(|cache| {
            let (cache, refreshes) = (cache.clone(), refreshes.clone());
            tokio::spawn(async move {
                cache
                    .get_or_load("s", move || async move {
                        refreshes.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(30)).await;
                        Ok(2)
                    })
                    .await
            })
        })
        .collect();
    for r in readers {
        assert_eq!(
            r.await.unwrap(),
            Ok(1),
            "every process serves the stale value at once"
        );
    }
    for _ in 0..40 {
        if caches[0].get_or_load("s", || async { Ok(9) }).await == Ok(2) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        refreshes.load(Ordering::SeqCst),
        1,
        "one refresh across all processes"
    );
    // Another process's refresh task may still be between taking the lock and finding the key
    // fresh (it then releases it without loading): the lock goes within moments, never lingers.
    let mut lock = true;
    for _ in 0..50 {
        lock = server.client().exists("~lock:s").unwrap();
        if !lock {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(!lock, "the refresh lock is released when the refresh ends");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_outage_falls_back_to_the_loader_and_recovers() {
    let mut server = redis_or_skip!();
    let storage = Arc::new(
        RedisStorage::builder(server.url())
            .timeout(Duration::from_millis(300))
            .build()
            .unwrap(),
    );
    let cache = CacheBuilder::<u64, ()>::new("outage")
        .storage(storage.clone())
        .ttl(Some(Duration::from_secs(60)))
        .serde()
        .build_ttl();
    let loads = AtomicUsize::new(0);
    let load = || async {
        loads.fetch_add(1, Ordering::SeqCst);
        Ok(7)
    };
    assert_eq!(cache.get_or_load("k", load).await, Ok(7));
    assert_eq!(cache.get_or_load("k", load).await, Ok(7));
    assert_eq!(loads.load(Ordering::SeqCst), 1);

    server.stop();
    for _ in 0..3 {
        assert_eq!(
            cache.get_or_load("k", load).await,
            Ok(7),
            "the loader answers"
        );
    }
    assert_eq!(loads.load(Ordering::SeqCst), 4);
    let stats = cache.stats();
    assert!(stats.storage_errors + stats.storage_skips >= 3, "{stats}");

    server.restart();
    // The restarted server is empty: once the breaker's probe finds it (within a back-off window
    // or two), one load refills it, then hits come from Redis again.
    let mut refilled = false;
    for _ in 0..250 {
        let before = loads.load(Ordering::SeqCst);
        assert_eq!(cache.get_or_load("k", load).await, Ok(7));
        if loads.load(Ordering::SeqCst) == before {
            refilled = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        refilled,
        "hits come from Redis again without a restart of the storage"
    );
    let raw: bool = server.client().exists("k").unwrap();
    assert!(raw);
}

//! Generated wrappers (`specs/redis.toml`) on Redis, hybrid and chain storages, sync and async,
//! each test on an isolated `Caches` whose Redis storages point at its own redis-server.
#![allow(clippy::unwrap_used)] // a test fails loudly on an unexpected error
#![allow(missing_docs)]

use std::sync::Arc;
use std::time::Duration;

use advanced_caching::{
    clock::ManualClock,
    storage::{Codec, MemoryStorage, RedisStorage, SharedStorage},
};
use advanced_caching_tests::fixture::{User, calls};
use advanced_caching_tests::harness::RedisServer;
use advanced_caching_tests::redis_or_skip;
use advanced_caching_tests::redis_spec::caches::Caches;
use redis::Commands;

struct Setup {
    clock: ManualClock,
    local: Arc<MemoryStorage>,
    caches: Caches,
}

/// Caches whose Redis storages (as the spec declares them: prefix, codec) use `server`.
fn setup(server: &RedisServer) -> Setup {
    let clock = ManualClock::new(1_700_000_000_000);
    let shared_clock: advanced_caching::clock::SharedClock = Arc::new(clock.clone());
    let redis = |prefix: &str, codec: Codec| -> SharedStorage {
        Arc::new(
            RedisStorage::builder(server.url())
                .prefix(prefix)
                .codec(codec)
                .dedupe_writes(true)
                .clock(shared_clock.clone())
                .build()
                .unwrap(),
        )
    };
    let local = Arc::new(MemoryStorage::with_clock(1_000, shared_clock.clone()));
    let caches = Caches::builder()
        .clock(shared_clock.clone())
        .storage("local", local.clone())
        .storage("remote", redis("gen:", Codec::Json))
        .storage("remote_binary", redis("bin:", Codec::Binary))
        .build()
        .unwrap();
    Setup {
        clock,
        local,
        caches,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn async_ttl_on_hybrid_fills_both_levels_and_repopulates_l1() {
    let server = redis_or_skip!();
    let s = setup(&server);
    let user = s.caches.get_user(501).await.unwrap();
    assert_eq!(user, s.caches.get_user(501).await.unwrap());
    assert_eq!(calls("fetch_user:501"), 1);
    let raw: Vec<u8> = server.client().get("gen:user:501").unwrap();
    assert!(
        raw.ends_with(br#"{"id":501,"name":"user501#0"}"#),
        "JSON in Redis: {raw:?}"
    );
    s.local.clear();
    assert_eq!(
        s.caches.get_user(501).await.unwrap(),
        user,
        "served from L2"
    );
    assert_eq!(calls("fetch_user:501"), 1);
    assert_eq!(s.local.len(), 1, "L1 repopulated");
    // The L1 copy lives at most l1_ttl (10 s); then L2 still answers.
    s.clock.advance(Duration::from_secs(11));
    assert_eq!(s.caches.get_user(501).await.unwrap(), user);
    assert_eq!(calls("fetch_user:501"), 1);
}

#[test]
fn sync_ttl_on_chain_works_without_a_runtime() {
    let server = redis_or_skip!();
    let s = setup(&server);
    assert_eq!(s.caches.square(77), 5_929);
    assert_eq!(s.caches.square(77), 5_929);
    assert_eq!(calls("square:77"), 1);
    let mut raw = server.client();
    assert!(
        raw.exists::<_, bool>("bin:sq:77").unwrap(),
        "the chain wrote through to Redis"
    );
    let left: i64 = redis::cmd("PTTL").arg("bin:sq:77").query(&mut raw).unwrap();
    assert!((1..=60_000).contains(&left), "{left}");
    // A second instance (another process) with an empty memory level reads it from Redis.
    let other = setup(&server);
    assert_eq!(other.caches.square(77), 5_929);
    assert_eq!(calls("square:77"), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn async_swr_on_redis_serves_stale_and_refreshes_once() {
    let server = redis_or_skip!();
    let s = setup(&server);
    assert_eq!(s.caches.price("gen-sku").await.unwrap(), 0);
    s.clock.advance(Duration::from_millis(150));
    assert_eq!(
        s.caches.price("gen-sku").await,
        Ok(0),
        "the stale value at once"
    );
    for _ in 0..10 {
        let stale = s.caches.price("gen-sku").await;
        assert!(
            matches!(stale, Ok(0) | Ok(1)),
            "stale or refreshed: {stale:?}"
        );
    }
    let mut refreshed = false;
    for _ in 0..50 {
        if s.caches.price("gen-sku").await == Ok(1) {
            refreshed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(refreshed, "the refresh landed in Redis");
    assert_eq!(calls("price:gen-sku"), 2, "exactly one refresh");
}

#[test]
fn sync_swr_on_chain_serves_stale_and_refreshes_once() {
    let server = redis_or_skip!();
    let s = setup(&server);
    assert_eq!(s.caches.price_sync("chain-sku"), 0);
    s.clock.advance(Duration::from_millis(150));
    assert_eq!(s.caches.price_sync("chain-sku"), 0, "stale at once");
    let mut refreshed = false;
    for _ in 0..50 {
        if s.caches.price_sync("chain-sku") == 1 {
            refreshed = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(refreshed);
    assert_eq!(calls("price_sync:chain-sku"), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn background_loader_and_reader_share_redis() {
    let server = redis_or_skip!();
    let s = setup(&server);
    // The loader runs every 100 ms, so values move on; each names this process.
    let ours = format!("{}#", std::process::id());
    assert!(s.caches.snapshot().await.unwrap().starts_with(&ours));
    assert!(s.caches.snapshot_local().await.unwrap().starts_with(&ours));
    let raw: Vec<u8> = server.client().get("gen:snapshot").unwrap();
    let payload = String::from_utf8_lossy(&raw[26..]).into_owned();
    assert!(
        payload.starts_with(&format!("\"{ours}")),
        "JSON string in Redis: {payload}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unset_redis_url_fails_open_to_the_loader() {
    // ADVANCED_CACHING_TEST_REDIS_URL is not set in this process: the generated Redis storages
    // report a configuration error on every call and the loaders answer.
    assert!(std::env::var("ADVANCED_CACHING_TEST_REDIS_URL").is_err());
    let caches = Caches::builder().build().unwrap();
    let user = caches.get_user(502).await.unwrap();
    assert_eq!(
        user,
        User {
            id: 502,
            name: "user502#0".into()
        }
    );
    // The memory L1 of the hybrid still caches.
    assert_eq!(caches.get_user(502).await.unwrap(), user);
    assert_eq!(calls("fetch_user:502"), 1);
    assert_eq!(caches.square(503), 503 * 503);
    assert_eq!(caches.square(503), 503 * 503);
    let stats = caches.stats();
    let square = stats.iter().find(|s| s.name == "square").unwrap();
    assert!(square.storage_errors > 0, "{square}");
}

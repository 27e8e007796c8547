//! Background loaders starting together on one Redis: one initial load. Its own test binary, so
//! the loader's run counter counts only this test.
#![allow(clippy::unwrap_used)] // a test fails loudly on an unexpected error
#![allow(missing_docs)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use advanced_caching::storage::{Codec, MemoryStorage, RedisStorage, SharedStorage};
use advanced_caching_tests::fixture::calls;
use advanced_caching_tests::harness::RedisServer;
use advanced_caching_tests::redis_or_skip;
use advanced_caching_tests::redis_spec::caches::Caches;

/// An instance of `specs/redis.toml` on `server`, on the system clock.
fn instance(server: &RedisServer) -> Caches {
    let redis = |prefix: &str, codec: Codec| -> SharedStorage {
        Arc::new(
            RedisStorage::builder(server.url())
                .prefix(prefix)
                .codec(codec)
                .build()
                .unwrap(),
        )
    };
    Caches::builder()
        .storage("local", Arc::new(MemoryStorage::new(1_000)))
        .storage("remote", redis("gen:", Codec::Json))
        .storage("remote_binary", redis("bin:", Codec::Binary))
        .build()
        .unwrap()
}

async fn wait_for(what: &str, cond: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_starting_together_on_one_redis_load_once() {
    let server = redis_or_skip!();
    let (a, b) = (instance(&server), instance(&server));
    a.start().unwrap();
    b.start().unwrap();
    wait_for("the first run", || calls("snapshot") >= 1).await;
    // Well within the 300 ms interval: nobody else loaded.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(calls("snapshot"), 1, "one initial load for two instances");
    // Both serve that one value.
    assert_eq!(a.snapshot().await.unwrap(), b.snapshot().await.unwrap());
}

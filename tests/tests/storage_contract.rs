//! The storage contract (`advanced_caching_tests::contract`) against every storage: memory, file,
//! chain, hybrid, Redis, Redis Cluster, S3 and GCS, each on a manual clock.
#![allow(clippy::unwrap_used)] // a test fails loudly on an unexpected error
#![allow(missing_docs)]

use std::sync::Arc;
use std::time::Duration;

use advanced_caching::{
    clock::{ManualClock, SharedClock},
    storage::{
        ChainLevel, ChainStorage, FileStorage, GcsStorage, MemoryStorage, RedisStorage, S3Storage,
        SharedStorage,
    },
};
use advanced_caching_tests::contract::check;
use advanced_caching_tests::harness::{RedisCluster, create_gcs_bucket};
use advanced_caching_tests::{emulator_or_skip, redis_or_skip};

/// A level cap longer than the contract's longest wait.
const LONG: Duration = Duration::from_secs(1_000 * 24 * 3600);

fn clock() -> (ManualClock, SharedClock) {
    let clock = ManualClock::new(1_700_000_000_000);
    let shared: SharedClock = Arc::new(clock.clone());
    (clock, shared)
}

fn memory(clock: &SharedClock) -> SharedStorage {
    Arc::new(MemoryStorage::with_clock(1_000, clock.clone()))
}

fn files(clock: &SharedClock, name: &str) -> SharedStorage {
    let dir = std::env::temp_dir().join(format!("ac-contract-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    Arc::new(
        FileStorage::builder(&dir)
            .clock(clock.clone())
            .build()
            .unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn memory_keeps_the_contract() {
    let (manual, clock) = clock();
    check(memory(&clock).as_ref(), &manual, "memory").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn file_keeps_the_contract() {
    let (manual, clock) = clock();
    check(files(&clock, "file").as_ref(), &manual, "file").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn chain_keeps_the_contract() {
    let (manual, clock) = clock();
    // Caps longer than the contract's year (capped copies are tested with the chain itself).
    let chain = ChainStorage::new(vec![
        ChainLevel::new(memory(&clock)).ttl_cap(LONG),
        ChainLevel::new(files(&clock, "chain")),
    ]);
    check(&chain, &manual, "chain").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn hybrid_on_redis_keeps_the_contract() {
    let server = redis_or_skip!();
    let (manual, clock) = clock();
    let redis: SharedStorage = Arc::new(
        RedisStorage::builder(server.url())
            .clock(clock.clone())
            .build()
            .unwrap(),
    );
    let hybrid = ChainStorage::hybrid(memory(&clock), redis, LONG, None);
    check(&hybrid, &manual, "hybrid").await;
    let coherent = ChainStorage::hybrid(
        memory(&clock),
        Arc::new(
            RedisStorage::builder(server.url())
                .prefix("coherent:")
                .clock(clock.clone())
                .build()
                .unwrap(),
        ),
        LONG,
        None,
    )
    .coherent();
    assert!(coherent.is_coherent());
    check(&coherent, &manual, "coherent hybrid").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn redis_keeps_the_contract() {
    let server = redis_or_skip!();
    let (manual, clock) = clock();
    for dedupe in [false, true] {
        let redis = RedisStorage::builder(server.url())
            .prefix(if dedupe { "dedupe:" } else { "plain:" })
            .dedupe_writes(dedupe)
            .clock(clock.clone())
            .build()
            .unwrap();
        check(&redis, &manual, &format!("redis (dedupe {dedupe})")).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn redis_cluster_keeps_the_contract() {
    let Some(cluster) = RedisCluster::start() else {
        return;
    };
    let (manual, clock) = clock();
    let redis = RedisStorage::cluster(cluster.urls())
        .clock(clock)
        .build()
        .unwrap();
    check(&redis, &manual, "redis cluster").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn s3_keeps_the_contract() {
    let moto = emulator_or_skip!(moto);
    let (manual, clock) = clock();
    let s3 = S3Storage::builder("contract")
        .endpoint(moto.endpoint())
        .credentials("test", "test")
        .region("us-east-1")
        .clock(clock)
        .build()
        .unwrap();
    s3.client()
        .create_bucket()
        .bucket("contract")
        .send()
        .await
        .unwrap();
    check(&s3, &manual, "s3").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn gcs_keeps_the_contract() {
    let gcs = emulator_or_skip!(fake_gcs);
    let (manual, clock) = clock();
    let storage = GcsStorage::builder("contract")
        .endpoint(gcs.endpoint())
        .clock(clock)
        .build()
        .unwrap();
    create_gcs_bucket(&storage, "contract").await;
    check(&storage, &manual, "gcs").await;
}

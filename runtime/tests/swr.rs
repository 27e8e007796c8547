#![allow(clippy::unwrap_used)] // a test fails loudly on an unexpected error
#![allow(missing_docs)]
//! Stale-while-revalidate semantics (DESIGN §3).

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use advanced_caching::storage::StorageExt as _;
use advanced_caching::{
    clock::ManualClock,
    strategy::{CacheBuilder, SwrCache},
};
use common::{clock_and_memory, eventually, eventually_blocking};

fn swr<E: Send + 'static>() -> (
    ManualClock,
    advanced_caching::storage::SharedStorage,
    Arc<SwrCache<u64, E>>,
) {
    let (clock, storage) = clock_and_memory(1_000);
    let cache = CacheBuilder::new("swr")
        .storage(storage.clone())
        .clock(Arc::new(clock.clone()))
        .ttl(Some(Duration::from_secs(10)))
        .stale_ttl(Duration::from_secs(20))
        .build_swr();
    (clock, storage, Arc::new(cache))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_hit_returns_before_the_refresh_finishes_and_50_readers_make_one_refresh() {
    let (clock, _storage, cache) = swr::<()>();
    assert_eq!(cache.get_or_load("k", || async { Ok(1) }).await, Ok(1));
    clock.advance(Duration::from_secs(15));

    let calls = Arc::new(AtomicUsize::new(0));
    let release = Arc::new(tokio::sync::Semaphore::new(0));
    let mut readers = Vec::new();
    for _ in 0..50 {
        let (cache, calls, release) = (cache.clone(), calls.clone(), release.clone());
        readers.push(tokio::spawn(async move {
            cache
                .get_or_load("k", move || async move {
                    calls.fetch_add(1, Ordering::SeqCst);
                    // The refresh is held here until the test lets it go: every stale read
                    // below returns while the loader is still running.
                    let _permit = release.acquire().await;
                    Ok(2)
                })
                .await
        }));
    }
    for r in readers {
        assert_eq!(r.await.unwrap(), Ok(1), "stale value served at once");
    }
    assert!(eventually(|| calls.load(Ordering::SeqCst) == 1).await);
    release.add_permits(100);
    assert!(eventually(|| cache.stats().refreshes == 1).await);
    assert_eq!(calls.load(Ordering::SeqCst), 1, "exactly one refresh");
    assert_eq!(cache.get_or_load("k", || async { Ok(3) }).await, Ok(2));
    assert_eq!(cache.stats().stale_hits, 50);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_refresh_keeps_the_stale_value_until_stale_until() {
    let (clock, _storage, cache) = swr::<&'static str>();
    assert_eq!(cache.get_or_load("k", || async { Ok(1) }).await, Ok(1));
    clock.advance(Duration::from_secs(15));
    assert_eq!(
        cache.get_or_load("k", || async { Err("down") }).await,
        Ok(1)
    );
    assert!(eventually(|| cache.stats().errors == 1).await);
    // Still stale (25 s of 30), still served.
    clock.advance(Duration::from_secs(10));
    assert_eq!(
        cache.get_or_load("k", || async { Err("down") }).await,
        Ok(1)
    );
    // Past stale_until: a miss with a blocking load.
    clock.advance(Duration::from_secs(6));
    assert_eq!(cache.get_or_load("k", || async { Ok(9) }).await, Ok(9));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_lock_is_released_when_the_refresh_ends() {
    let (clock, storage, cache) = swr::<()>();
    cache.get_or_load("k", || async { Ok(1) }).await.unwrap();
    clock.advance(Duration::from_secs(15));
    cache.get_or_load("k", || async { Ok(2) }).await.unwrap();
    assert!(eventually(|| cache.stats().refreshes == 1).await);
    assert!(
        eventually(|| !storage
            .blocking()
            .exists(&advanced_caching::key::internal_key("lock", "k"))
            .unwrap())
        .await
    );
    // A second stale period refreshes again: the lock did not live for its whole TTL.
    clock.advance(Duration::from_secs(15));
    assert_eq!(cache.get_or_load("k", || async { Ok(3) }).await, Ok(2));
    assert!(eventually(|| cache.stats().refreshes == 2).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lock_held_elsewhere_means_no_refresh_here() {
    let (clock, storage, cache) = swr::<()>();
    cache.get_or_load("k", || async { Ok(1) }).await.unwrap();
    // Another process holds the refresh lock.
    let lock = advanced_caching::storage::CacheEntry::new(
        Arc::new(99u64) as advanced_caching::storage::AnyValue,
        1_000_000,
        Some(Duration::from_secs(3600)),
        None,
    );
    assert!(
        storage
            .blocking()
            .set_if_not_exists(
                &advanced_caching::key::internal_key("lock", "k"),
                lock,
                &advanced_caching::storage::SerdeValue::<u64>::new()
            )
            .unwrap()
    );
    clock.advance(Duration::from_secs(15));
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    assert_eq!(
        cache
            .get_or_load("k", move || async move {
                c.fetch_add(1, Ordering::SeqCst);
                Ok(2)
            })
            .await,
        Ok(1)
    );
    tokio::time::sleep(Duration::from_millis(30)).await;
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

#[test]
fn blocking_swr_refreshes_on_a_blocking_thread() {
    let (clock, _storage, cache) = swr::<()>();
    assert_eq!(cache.get_or_load_blocking("k", || Ok(1)), Ok(1));
    clock.advance(Duration::from_secs(15));
    assert_eq!(cache.get_or_load_blocking("k", || Ok(2)), Ok(1));
    assert!(eventually_blocking(|| cache.stats().refreshes == 1));
    assert_eq!(cache.get_or_load_blocking("k", || Ok(3)), Ok(2));
}

#[tokio::test]
async fn fresh_is_a_hit_and_miss_loads() {
    let (clock, _storage, cache) = swr::<()>();
    assert_eq!(cache.get_or_load("k", || async { Ok(1) }).await, Ok(1));
    clock.advance(Duration::from_secs(9));
    assert_eq!(cache.get_or_load("k", || async { Ok(2) }).await, Ok(1));
    let s = cache.stats();
    assert_eq!((s.hits, s.misses, s.stale_hits), (1, 1, 0));
}

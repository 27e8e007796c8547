#![allow(clippy::unwrap_used)] // a test fails loudly on an unexpected error
#![allow(missing_docs)]
//! TTL semantics (DESIGN §3), pinned through the runtime.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::Duration;

use advanced_caching::{
    storage::StorageExt,
    strategy::{CacheBuilder, TtlCache},
};
use common::{Outage, clock_and_memory};

fn ttl_cache<E>(ttl: Option<Duration>) -> (advanced_caching::clock::ManualClock, TtlCache<u64, E>) {
    let (clock, storage) = clock_and_memory(1_000);
    let cache = CacheBuilder::new("t")
        .storage(storage)
        .clock(Arc::new(clock.clone()))
        .ttl(ttl)
        .build_ttl();
    (clock, cache)
}

#[tokio::test]
async fn hit_then_expiry_then_reload() {
    let (clock, cache) = ttl_cache::<()>(Some(Duration::from_secs(5)));
    let calls = AtomicUsize::new(0);
    let load = || async { Ok(calls.fetch_add(1, Ordering::SeqCst) as u64 + 10) };
    assert_eq!(cache.get_or_load("k", load).await, Ok(10));
    assert_eq!(cache.get_or_load("k", load).await, Ok(10));
    clock.advance(Duration::from_millis(4_999));
    assert_eq!(cache.get_or_load("k", load).await, Ok(10));
    clock.advance(Duration::from_millis(1));
    assert_eq!(cache.get_or_load("k", load).await, Ok(11));
    let s = cache.stats();
    assert_eq!((s.hits, s.misses, s.loads), (2, 2, 2));
}

#[tokio::test]
async fn ttl_none_never_expires() {
    let (clock, cache) = ttl_cache::<()>(None);
    assert_eq!(cache.get_or_load("k", || async { Ok(1) }).await, Ok(1));
    clock.advance(Duration::from_secs(10 * 365 * 24 * 3600));
    assert_eq!(cache.get_or_load("k", || async { Ok(2) }).await, Ok(1));
}

#[test]
fn hundred_threads_one_sync_load() {
    let (_clock, cache) = ttl_cache::<()>(Some(Duration::from_secs(60)));
    let cache = Arc::new(cache);
    let calls = Arc::new(AtomicUsize::new(0));
    let barrier = Arc::new(Barrier::new(100));
    let threads: Vec<_> = (0..100)
        .map(|_| {
            let (cache, calls, barrier) = (cache.clone(), calls.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                cache.get_or_load_blocking("k", || {
                    calls.fetch_add(1, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(30));
                    Ok(7)
                })
            })
        })
        .collect();
    for t in threads {
        assert_eq!(t.join().unwrap(), Ok(7));
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundred_tasks_one_async_load() {
    let (_clock, cache) = ttl_cache::<()>(Some(Duration::from_secs(60)));
    let cache = Arc::new(cache);
    let calls = Arc::new(AtomicUsize::new(0));
    let gate = Arc::new(tokio::sync::Barrier::new(100));
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let (cache, calls, gate) = (cache.clone(), calls.clone(), gate.clone());
            tokio::spawn(async move {
                gate.wait().await;
                cache
                    .get_or_load("k", || async {
                        calls.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(30)).await;
                        Ok(7)
                    })
                    .await
            })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap(), Ok(7));
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[derive(Debug, Clone, PartialEq)]
struct Boom(u32);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loader_error_reaches_every_waiter_and_is_not_cached() {
    let (clock, storage) = clock_and_memory(100);
    let cache: Arc<TtlCache<u64, Boom>> = Arc::new(
        CacheBuilder::new("e")
            .storage(storage)
            .clock(Arc::new(clock))
            .share_errors()
            .build_ttl(),
    );
    let calls = Arc::new(AtomicUsize::new(0));
    let gate = Arc::new(tokio::sync::Barrier::new(20));
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let (cache, calls, gate) = (cache.clone(), calls.clone(), gate.clone());
            tokio::spawn(async move {
                gate.wait().await;
                cache
                    .get_or_load("k", || async {
                        calls.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(30)).await;
                        Err(Boom(3))
                    })
                    .await
            })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap(), Err(Boom(3)));
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    // Not cached: the next call loads again.
    assert_eq!(cache.get_or_load("k", || async { Ok(5) }).await, Ok(5));
    assert_eq!(cache.stats().errors, 1);
}

/// An error type without `Clone`: waiters cannot get a copy, so each loads for itself.
#[derive(Debug)]
struct Opaque;

#[test]
fn uncloneable_error_makes_waiters_load_themselves() {
    let (clock, storage) = clock_and_memory(100);
    let cache: Arc<TtlCache<u64, Opaque>> = Arc::new(
        CacheBuilder::new("o")
            .storage(storage)
            .clock(Arc::new(clock))
            .build_ttl(),
    );
    let calls = Arc::new(AtomicUsize::new(0));
    let barrier = Arc::new(Barrier::new(8));
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let (cache, calls, barrier) = (cache.clone(), calls.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                cache.get_or_load_blocking("k", || {
                    calls.fetch_add(1, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(20));
                    Err::<u64, _>(Opaque)
                })
            })
        })
        .collect();
    for t in threads {
        assert!(t.join().unwrap().is_err());
    }
    let n = calls.load(Ordering::SeqCst);
    assert!((1..=8).contains(&n), "{n} calls");
    assert!(cache.get_or_load_blocking("k", || Ok(1)).is_ok());
}

#[tokio::test]
async fn storage_outage_degrades_to_the_loader() {
    let clock = advanced_caching::clock::ManualClock::new(0);
    let storage = Arc::new(Outage::new(&clock));
    let cache: TtlCache<u64, ()> = CacheBuilder::new("outage")
        .storage(storage.clone())
        .clock(Arc::new(clock))
        .build_ttl();
    storage.reads_fail.store(true, Ordering::SeqCst);
    storage.writes_fail.store(true, Ordering::SeqCst);
    assert_eq!(cache.get_or_load("k", || async { Ok(1) }).await, Ok(1));
    assert_eq!(cache.get_or_load("k", || async { Ok(2) }).await, Ok(2));
    assert!(cache.stats().storage_errors >= 2);
    // Back up: values are cached again.
    storage.reads_fail.store(false, Ordering::SeqCst);
    storage.writes_fail.store(false, Ordering::SeqCst);
    assert_eq!(cache.get_or_load("k", || async { Ok(3) }).await, Ok(3));
    assert_eq!(cache.get_or_load("k", || async { Ok(4) }).await, Ok(3));
}

#[tokio::test]
async fn a_value_of_another_type_is_a_miss_not_a_panic() {
    let (clock, storage) = clock_and_memory(100);
    storage
        .set_typed("k", &"not a number".to_string(), None)
        .await
        .unwrap();
    let cache: TtlCache<u64, ()> = CacheBuilder::new("typed")
        .storage(storage)
        .clock(Arc::new(clock))
        .build_ttl();
    assert_eq!(cache.get_or_load("k", || async { Ok(9) }).await, Ok(9));
    assert_eq!(cache.get_or_load("k", || async { Ok(10) }).await, Ok(9));
}

#[tokio::test(flavor = "current_thread")]
async fn sync_loader_inside_a_current_thread_runtime() {
    let (_clock, cache) = ttl_cache::<()>(Some(Duration::from_secs(1)));
    assert_eq!(cache.get_or_load_blocking("k", || Ok(1)), Ok(1));
    assert_eq!(cache.get_or_load_blocking("k", || Ok(2)), Ok(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_loader_inside_a_multi_thread_runtime() {
    let (_clock, cache) = ttl_cache::<()>(Some(Duration::from_secs(1)));
    assert_eq!(cache.get_or_load_blocking("k", || Ok(1)), Ok(1));
}

#[test]
fn invalidate_forces_a_load() {
    let (_clock, cache) = ttl_cache::<()>(Some(Duration::from_secs(60)));
    assert_eq!(cache.get_or_load_blocking("k", || Ok(1)), Ok(1));
    advanced_caching::wait(cache.invalidate("k"));
    assert_eq!(cache.get_or_load_blocking("k", || Ok(2)), Ok(2));
}

#![allow(clippy::unwrap_used)] // a test fails loudly on an unexpected error
#![allow(missing_docs)]
//! Fail-safe (`fail_safe`, `fail_safe_throttle`): when a load fails and an expired value is still
//! kept within its fail-safe window, callers get that value; each rule pinned on the runtime.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use advanced_caching::clock::ManualClock;
use advanced_caching::storage::{Freshness, SerdeValue};
use advanced_caching::strategy::{BackgroundLoaderBuilder, CacheBuilder, SwrCache, TtlCache};
use common::clock_and_memory;

const TTL: Duration = Duration::from_secs(10);
const KEEP: Duration = Duration::from_secs(60);
const THROTTLE: Duration = Duration::from_secs(5);

fn builder() -> (ManualClock, CacheBuilder<u64, String>) {
    let (clock, storage) = clock_and_memory(1_000);
    let builder = CacheBuilder::new("rates")
        .storage(storage)
        .clock(Arc::new(clock.clone()))
        .ttl(Some(TTL));
    (clock, builder)
}

fn fail_safe_ttl() -> (ManualClock, TtlCache<u64, String>) {
    let (clock, builder) = builder();
    (clock, builder.fail_safe(KEEP, THROTTLE).build_ttl())
}

/// A loader that counts its calls and answers `answer`.
fn counted(calls: &AtomicUsize, answer: Result<u64, &str>) -> Result<u64, String> {
    calls.fetch_add(1, Ordering::SeqCst);
    answer.map_err(str::to_owned)
}

#[tokio::test]
async fn a_failed_load_serves_the_expired_value_counts_it_and_peek_says_fallback() {
    let (clock, cache) = fail_safe_ttl();
    let calls = AtomicUsize::new(0);
    assert_eq!(
        cache
            .get_or_load("k", || async { counted(&calls, Ok(1)) })
            .await,
        Ok(1)
    );
    clock.advance(TTL + Duration::from_secs(1));
    let peeked = cache.peek("k").await.unwrap();
    assert_eq!((peeked.value, peeked.freshness), (1, Freshness::Fallback));
    let got = cache
        .get_or_load("k", || async { counted(&calls, Err("origin down")) })
        .await;
    assert_eq!(got, Ok(1), "the expired value, not the error");
    let stats = cache.stats();
    assert_eq!(
        (stats.fail_safe_hits, stats.errors, stats.misses),
        (1, 1, 2)
    );
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn within_the_throttle_the_origin_is_not_asked_again_and_after_it_it_is() {
    let (clock, cache) = fail_safe_ttl();
    let calls = AtomicUsize::new(0);
    cache
        .get_or_load("k", || async { counted(&calls, Ok(1)) })
        .await
        .unwrap();
    clock.advance(TTL);
    for _ in 0..5 {
        let got = cache
            .get_or_load("k", || async { counted(&calls, Err("down")) })
            .await;
        assert_eq!(got, Ok(1));
    }
    assert_eq!(
        calls.load(Ordering::SeqCst),
        2,
        "one failed load, then the throttle"
    );
    assert_eq!(cache.stats().fail_safe_hits, 5);
    clock.advance(THROTTLE);
    let got = cache
        .get_or_load("k", || async { counted(&calls, Ok(2)) })
        .await;
    assert_eq!(
        got,
        Ok(2),
        "past the throttle the origin is asked, and its answer stored"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    let got = cache
        .get_or_load("k", || async { counted(&calls, Err("down")) })
        .await;
    assert_eq!(got, Ok(2), "a hit");
    assert_eq!(calls.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn a_panicking_loader_is_a_failed_load_when_there_is_a_fallback() {
    let (clock, cache) = fail_safe_ttl();
    cache.get_or_load("k", || async { Ok(1) }).await.unwrap();
    clock.advance(TTL);
    let got = cache
        .get_or_load("k", || async { panic!("the origin's client panicked") })
        .await;
    assert_eq!(got, Ok(1));
    assert_eq!(cache.stats().fail_safe_hits, 1);
}

#[tokio::test]
async fn without_a_fallback_the_error_is_returned() {
    let (clock, cache) = fail_safe_ttl();
    // Nothing stored yet.
    assert_eq!(
        cache
            .get_or_load("k", || async { Err("down".to_string()) })
            .await,
        Err("down".into())
    );
    cache.get_or_load("k", || async { Ok(1) }).await.unwrap();
    // Past the fail-safe window the value is gone.
    clock.advance(TTL + KEEP);
    assert!(cache.peek("k").await.is_none());
    assert_eq!(
        cache
            .get_or_load("k", || async { Err("down".to_string()) })
            .await,
        Err("down".into())
    );
    // An invalidation removes the fallback too.
    cache.get_or_load("k", || async { Ok(2) }).await.unwrap();
    clock.advance(TTL);
    cache.invalidate("k").await;
    assert_eq!(
        cache
            .get_or_load("k", || async { Err("down".to_string()) })
            .await,
        Err("down".into())
    );
    assert_eq!(cache.stats().fail_safe_hits, 0);
}

#[tokio::test]
async fn a_cache_without_fail_safe_keeps_nothing_past_its_ttl() {
    let (clock, builder) = builder();
    let cache = builder.build_ttl();
    cache.get_or_load("k", || async { Ok(1) }).await.unwrap();
    clock.advance(TTL);
    assert!(cache.peek("k").await.is_none());
    assert_eq!(
        cache
            .get_or_load("k", || async { Err("down".to_string()) })
            .await,
        Err("down".into())
    );
}

#[test]
fn blocking_callers_get_the_fallback_too() {
    let (clock, cache) = fail_safe_ttl();
    assert_eq!(cache.get_or_load_blocking("k", || Ok(1)), Ok(1));
    clock.advance(TTL);
    assert_eq!(
        cache.get_or_load_blocking("k", || Err("down".into())),
        Ok(1)
    );
    assert_eq!(
        cache.get_or_load_blocking("k", || panic!("not called within the throttle")),
        Ok(1)
    );
    assert_eq!(cache.stats().fail_safe_hits, 2);
}

#[test]
fn concurrent_callers_of_a_failing_key_make_one_load_and_all_get_the_fallback() {
    let (clock, cache) = fail_safe_ttl();
    let cache = Arc::new(cache);
    cache.get_or_load_blocking("k", || Ok(1)).unwrap();
    clock.advance(TTL);
    let calls = Arc::new(AtomicUsize::new(0));
    let barrier = Arc::new(std::sync::Barrier::new(8));
    let callers: Vec<_> = (0..8)
        .map(|_| {
            let (cache, calls, barrier) = (cache.clone(), calls.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                cache.get_or_load_blocking("k", move || {
                    std::thread::sleep(Duration::from_millis(50));
                    counted(&calls, Err("down"))
                })
            })
        })
        .collect();
    for caller in callers {
        assert_eq!(caller.join().unwrap(), Ok(1));
    }
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "one load for the key, then the throttle"
    );
}

fn fail_safe_swr() -> (ManualClock, SwrCache<u64, String>) {
    let (clock, builder) = builder();
    let cache = builder
        .stale_ttl(Duration::from_secs(20))
        .fail_safe(KEEP, THROTTLE)
        .build_swr();
    (clock, cache)
}

#[tokio::test]
async fn swr_serves_stale_then_past_its_stale_window_the_fallback() {
    let (clock, cache) = fail_safe_swr();
    cache.get_or_load("k", || async { Ok(1) }).await.unwrap();
    clock.advance(TTL + Duration::from_secs(25));
    assert_eq!(
        cache.peek("k").await.unwrap().freshness,
        Freshness::Fallback
    );
    let got = cache
        .get_or_load("k", || async { Err("down".to_string()) })
        .await;
    assert_eq!(got, Ok(1));
    assert_eq!(cache.stats().fail_safe_hits, 1);
    clock.advance(KEEP);
    assert!(
        cache.peek("k").await.is_none(),
        "gone past stale + fail-safe windows"
    );
}

#[tokio::test]
async fn the_storage_keeps_the_entry_physically_for_its_fail_safe_window() {
    let (clock, storage) = clock_and_memory(10);
    let cache: TtlCache<u64, String> = CacheBuilder::new("kept")
        .storage(storage.clone())
        .clock(Arc::new(clock.clone()))
        .ttl(Some(TTL))
        .fail_safe(KEEP, THROTTLE)
        .build_ttl();
    cache.get_or_load("k", || async { Ok(1) }).await.unwrap();
    let ty = SerdeValue::<u64>::new();
    let entry = storage.get_entry("k", &ty).await.unwrap().unwrap();
    assert_eq!(entry.time_to_live(storage.now()), Some(TTL + KEEP));
    clock.advance(TTL + KEEP - Duration::from_secs(1));
    assert!(storage.get_entry("k", &ty).await.unwrap().is_some());
    clock.advance(Duration::from_secs(1));
    assert!(storage.get_entry("k", &ty).await.unwrap().is_none());
}

#[tokio::test]
async fn a_background_loader_serves_its_fallback_when_its_load_fails() {
    let clock = ManualClock::new(1_000_000);
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = calls.clone();
    let loader = BackgroundLoaderBuilder::<u64, String>::new("inventory")
        .clock(Arc::new(clock.clone()))
        .ttl(Some(TTL))
        .fail_safe(KEEP, THROTTLE)
        .build_async(move || {
            let n = seen.fetch_add(1, Ordering::SeqCst);
            async move {
                if n == 0 {
                    Ok(7)
                } else {
                    Err("down".to_string())
                }
            }
        })
        .unwrap();
    assert_eq!(loader.get().await, Ok(7));
    clock.advance(TTL);
    assert_eq!(loader.get().await, Ok(7), "the load failed: the kept value");
    assert_eq!(loader.stats().fail_safe_hits, 1);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_ttl_fn_chooses_each_values_ttl_and_none_keeps_the_functions() {
    let (clock, builder) = builder();
    // Even values live 1 s; odd ones the function's 10 s.
    let cache = builder
        .ttl_fn(|v| v.is_multiple_of(2).then_some(Duration::from_secs(1)))
        .build_ttl();
    let calls = AtomicUsize::new(0);
    let load = || async { Ok(calls.fetch_add(1, Ordering::SeqCst) as u64) };
    assert_eq!(cache.get_or_load("k", load).await, Ok(0));
    clock.advance(Duration::from_secs(1));
    assert_eq!(cache.get_or_load("k", load).await, Ok(1), "0 lived 1 s");
    clock.advance(Duration::from_secs(9));
    assert_eq!(
        cache.get_or_load("k", load).await,
        Ok(1),
        "1 lives the function's 10 s"
    );
    // An insert chooses its ttl by the same rule.
    cache.insert("k", 4).await;
    clock.advance(Duration::from_secs(1));
    assert_eq!(cache.get_or_load("k", load).await, Ok(2));
}

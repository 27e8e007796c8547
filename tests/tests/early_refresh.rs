//! Refreshing ahead of expiry from `cache.toml` (`specs/fail_safe.toml`): at a fixed share of the
//! ttl (`refresh_ahead`) and at a random point scaled by the last load's time (`early_refresh =
//! "xfetch"`) — on memory, a hybrid over a real redis-server and a chain over files, sync and
//! async. A hit past the point returns the value at once and starts one background refresh.
#![allow(clippy::unwrap_used)] // a test fails loudly on an unexpected error
#![allow(missing_docs)]

use std::time::Duration;

use advanced_caching::wait;
use advanced_caching_tests::fixture::{calls, origin};
use advanced_caching_tests::origin_setup::{eventually, setup, stats_of};
use advanced_caching_tests::redis_or_skip;

#[tokio::test(flavor = "multi_thread")]
async fn refresh_ahead_on_memory_renews_a_hot_key_before_it_expires() {
    let s = setup("ahead", None);
    let first = s.caches.rate_ahead("ahead_eur").await.unwrap();
    // Before 80% of the ttl: a plain hit.
    s.clock.advance(Duration::from_secs(40));
    assert_eq!(s.caches.rate_ahead("ahead_eur").await, Ok(first));
    // Past it: the value at once, and one background refresh (a slow one) for many hits.
    s.clock.advance(Duration::from_secs(10));
    origin::set_slow("ahead_eur", Some(Duration::from_millis(300)));
    for _ in 0..20 {
        assert_eq!(s.caches.rate_ahead("ahead_eur").await, Ok(first));
    }
    origin::set_slow("ahead_eur", None);
    assert!(eventually(
        || wait(s.caches.rate_ahead("ahead_eur")) != Ok(first)
    ));
    assert_eq!(
        calls("rate:ahead_eur"),
        2,
        "one refresh for every hit past the point"
    );
    // The refreshed value lives a full ttl from its refresh: 60 s after the first load, a hit.
    s.clock.advance(Duration::from_secs(20));
    assert_ne!(s.caches.rate_ahead("ahead_eur").await, Ok(first));
    let stats = stats_of(&s.caches, "rate_ahead");
    assert_eq!(
        (stats.misses, stats.refreshes),
        (1, 1),
        "no caller waited for a load after the first"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn refresh_ahead_on_a_hybrid_over_redis_renews_the_key_in_redis() {
    let server = redis_or_skip!();
    let s = setup("ahead-hybrid", Some(&server));
    let first = s.caches.rate_ahead_hot("ahead_gbp").await.unwrap();
    s.clock.advance(Duration::from_secs(50));
    assert_eq!(s.caches.rate_ahead_hot("ahead_gbp").await, Ok(first));
    assert!(eventually(
        || wait(s.caches.rate_ahead_hot("ahead_gbp")) != Ok(first)
    ));
    // Another instance (an empty L1) reads the renewed value from Redis, without a load.
    let other = setup("ahead-hybrid-other", Some(&server));
    other.clock.advance(Duration::from_secs(50));
    let renewed = other.caches.rate_ahead_hot("ahead_gbp").await.unwrap();
    assert_ne!(renewed, first);
    assert_eq!(calls("rate:ahead_gbp"), 2);
    assert_eq!(stats_of(&other.caches, "rate_ahead_hot").misses, 0);
}

#[test]
fn sync_refresh_ahead_on_a_chain_over_files() {
    let s = setup("ahead-files", None);
    let first = s.caches.rate_ahead_files("ahead_jpy").unwrap();
    s.clock.advance(Duration::from_secs(20));
    assert_eq!(s.caches.rate_ahead_files("ahead_jpy"), Ok(first));
    s.clock.advance(Duration::from_secs(11));
    assert_eq!(
        s.caches.rate_ahead_files("ahead_jpy"),
        Ok(first),
        "fresh: at once"
    );
    assert!(eventually(
        || s.caches.rate_ahead_files("ahead_jpy") != Ok(first)
    ));
    assert_eq!(calls("rate:ahead_jpy"), 2);
    assert_eq!(stats_of(&s.caches, "rate_ahead_files").misses, 1);
}

/// How long the slow origin takes for the loads whose time XFetch keeps: with `beta = 10`, the
/// head start before expiry is exponential with mean 10 × 200 ms = 2 s.
const SLOW_LOAD: Duration = Duration::from_millis(200);

#[tokio::test(flavor = "multi_thread")]
async fn xfetch_on_memory_refreshes_near_expiry_and_not_long_before() {
    let s = setup("xfetch", None);
    origin::set_slow("xf_eur", Some(SLOW_LOAD));
    let first = s.caches.rate_xfetch("xf_eur").await.unwrap();
    origin::set_slow("xf_eur", None);
    // 50 s before expiry a draw refreshes with chance e^-25 per hit: never, in 200 hits.
    s.clock.advance(Duration::from_secs(10));
    for _ in 0..200 {
        assert_eq!(s.caches.rate_xfetch("xf_eur").await, Ok(first));
    }
    assert_eq!(calls("rate:xf_eur"), 1, "no refresh long before expiry");
    // 100 ms before expiry a draw refreshes with chance 95 % per hit: the value is renewed
    // without any caller waiting, by one refresh.
    s.clock.advance(Duration::from_millis(49_900));
    origin::set_slow("xf_eur", Some(SLOW_LOAD));
    for _ in 0..20 {
        assert_eq!(s.caches.rate_xfetch("xf_eur").await, Ok(first));
    }
    assert!(eventually(
        || wait(s.caches.rate_xfetch("xf_eur")) != Ok(first)
    ));
    origin::set_slow("xf_eur", None);
    assert_eq!(
        calls("rate:xf_eur"),
        2,
        "one refresh for every hit near expiry"
    );
    let stats = stats_of(&s.caches, "rate_xfetch");
    assert_eq!((stats.misses, stats.refreshes), (1, 1));
}

#[tokio::test(flavor = "multi_thread")]
async fn xfetch_on_a_hybrid_over_redis_reads_the_load_time_another_process_kept() {
    let server = redis_or_skip!();
    let s = setup("xfetch-hybrid", Some(&server));
    origin::set_slow("xf_gbp", Some(SLOW_LOAD));
    let first = s.caches.rate_xfetch_hot("xf_gbp").await.unwrap();
    origin::set_slow("xf_gbp", None);
    // Another instance (an empty L1) near expiry: it knows the load's time only from the entry
    // in Redis, and without it would not refresh before expiry (its clock never gets there).
    let other = setup("xfetch-hybrid-other", Some(&server));
    other.clock.advance(Duration::from_millis(59_900));
    assert_eq!(other.caches.rate_xfetch_hot("xf_gbp").await, Ok(first));
    assert!(eventually(
        || wait(other.caches.rate_xfetch_hot("xf_gbp")) != Ok(first)
    ));
    assert_eq!(calls("rate:xf_gbp"), 2);
    assert_eq!(stats_of(&other.caches, "rate_xfetch_hot").misses, 0);
}

#[test]
fn sync_xfetch_on_a_chain_over_files_keeps_the_load_time_on_disk() {
    let s = setup("xfetch-files", None);
    origin::set_slow("xf_jpy", Some(SLOW_LOAD));
    let first = s.caches.rate_xfetch_files("xf_jpy").unwrap();
    origin::set_slow("xf_jpy", None);
    s.clock.advance(Duration::from_secs(30));
    for _ in 0..200 {
        assert_eq!(s.caches.rate_xfetch_files("xf_jpy"), Ok(first));
    }
    assert_eq!(calls("rate:xf_jpy"), 1, "no refresh long before expiry");
    // Another instance over the same directory (an empty memory level) near expiry: the load's
    // time comes from the file's header.
    let other = setup("xfetch-files", None);
    other.clock.advance(Duration::from_millis(59_900));
    assert_eq!(other.caches.rate_xfetch_files("xf_jpy"), Ok(first));
    assert!(eventually(
        || other.caches.rate_xfetch_files("xf_jpy") != Ok(first)
    ));
    assert_eq!(calls("rate:xf_jpy"), 2);
    assert_eq!(stats_of(&other.caches, "rate_xfetch_files").misses, 0);
}

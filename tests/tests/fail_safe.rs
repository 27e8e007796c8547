//! Fail-safe from `cache.toml` (`specs/fail_safe.toml`): when the origin fails and an expired
//! value is kept within its fail-safe window, the generated wrappers return it — on memory, a
//! hybrid over a real redis-server and a chain over files; TTL and SWR; sync and async; and a
//! background loader. Each test takes its own currencies' origin down.
#![allow(clippy::unwrap_used)] // a test fails loudly on an unexpected error
#![allow(missing_docs)]

use std::time::Duration;

use advanced_caching::storage::Freshness;
use advanced_caching::wait;
use advanced_caching_tests::fail_safe_spec::caches::{self, Caches};
use advanced_caching_tests::fixture::{FetchError, calls, origin};
use advanced_caching_tests::origin_setup::{TTL, eventually, setup, stats_of};
use advanced_caching_tests::redis_or_skip;

fn fail_safe_hits(caches: &Caches, name: &str) -> u64 {
    caches
        .stats()
        .into_iter()
        .find(|s| s.name == name)
        .map(|s| s.fail_safe_hits)
        .unwrap()
}

#[tokio::test]
async fn async_ttl_on_memory_serves_the_expired_value_while_the_origin_is_down() {
    let s = setup("memory", None);
    let first = s.caches.rate("eur").await.unwrap();
    origin::set_down("eur", true);
    s.clock.advance(TTL);
    let peeked = caches::rate::on(&s.caches).get("eur").await.unwrap();
    assert_eq!(
        (peeked.value, peeked.freshness),
        (first, Freshness::Fallback)
    );
    assert_eq!(
        s.caches.rate("eur").await,
        Ok(first),
        "the fallback, not the error"
    );
    assert_eq!(s.caches.rate("eur").await, Ok(first), "throttled: no load");
    assert_eq!(calls("rate:eur"), 2, "one load at start, one failed load");
    assert_eq!(fail_safe_hits(&s.caches, "rate"), 2);
    // After the default throttle (30s) and the origin's return, a new value is loaded.
    origin::set_down("eur", false);
    s.clock.advance(Duration::from_secs(30));
    let second = s.caches.rate("eur").await.unwrap();
    assert_ne!(second, first);
    // Past ttl + fail_safe there is no fallback: the error comes through.
    origin::set_down("eur", true);
    s.clock.advance(TTL + Duration::from_secs(3600));
    assert_eq!(
        s.caches.rate("eur").await,
        Err(FetchError("eur: origin down".into()))
    );
}

#[tokio::test]
async fn a_panicking_origin_is_a_failed_load() {
    let s = setup("panic", None);
    let first = s.caches.rate("panic_chf").await.unwrap();
    origin::set_down("panic_chf", true);
    s.clock.advance(TTL);
    assert_eq!(s.caches.rate("panic_chf").await, Ok(first));
}

#[tokio::test(flavor = "multi_thread")]
async fn async_ttl_on_a_hybrid_over_redis_keeps_the_fallback_in_redis() {
    let server = redis_or_skip!();
    let s = setup("hybrid", Some(&server));
    let first = s.caches.rate_hot("gbp").await.unwrap();
    let mut raw = server.client();
    let left: i64 = redis::cmd("PTTL")
        .arg("fs:rate_hot:gbp")
        .query(&mut raw)
        .unwrap();
    assert!(
        left > 3_600_000,
        "Redis keeps it for ttl + fail_safe: {left} ms"
    );
    origin::set_down("gbp", true);
    s.clock.advance(TTL);
    // Another instance (another process) with an empty L1 finds the fallback in Redis.
    let other = setup("hybrid-other", Some(&server));
    other.clock.advance(TTL);
    assert_eq!(other.caches.rate_hot("gbp").await, Ok(first));
    assert_eq!(s.caches.rate_hot("gbp").await, Ok(first));
    assert_eq!(fail_safe_hits(&other.caches, "rate_hot"), 1);
    assert_eq!(fail_safe_hits(&s.caches, "rate_hot"), 1);
    origin::set_down("gbp", false);
}

#[test]
fn sync_ttl_on_a_chain_over_files_serves_the_fallback_from_disk() {
    let s = setup("files", None);
    let first = s.caches.rate_files("jpy").unwrap();
    origin::set_down("jpy", true);
    s.clock.advance(TTL);
    assert_eq!(s.caches.rate_files("jpy"), Ok(first));
    assert_eq!(fail_safe_hits(&s.caches, "rate_files"), 1);
    // After the throttle (10s) the origin is asked again; still down, the fallback again.
    s.clock.advance(Duration::from_secs(10));
    assert_eq!(s.caches.rate_files("jpy"), Ok(first));
    assert_eq!(calls("rate:jpy"), 3);
    origin::set_down("jpy", false);
    s.clock.advance(Duration::from_secs(10));
    assert_ne!(s.caches.rate_files("jpy").unwrap(), first);
}

#[test]
fn sync_swr_serves_stale_then_the_fallback() {
    let s = setup("swr", None);
    let first = s.caches.rate_swr("sek").unwrap();
    origin::set_down("sek", true);
    // Within the stale window: served stale (its refresh fails in the background).
    s.clock.advance(TTL + Duration::from_secs(10));
    assert_eq!(s.caches.rate_swr("sek"), Ok(first));
    // Past the stale window: a miss whose load fails, so the fallback.
    s.clock.advance(Duration::from_secs(30));
    assert_eq!(s.caches.rate_swr("sek"), Ok(first));
    assert_eq!(fail_safe_hits(&s.caches, "rate_swr"), 1);
    origin::set_down("sek", false);
}

#[tokio::test]
async fn a_background_loader_serves_its_fallback() {
    let s = setup("board", None);
    let first = s.caches.board().await.unwrap();
    origin::set_down("board", true);
    s.clock.advance(TTL);
    assert_eq!(s.caches.board().await, Ok(first));
    assert_eq!(fail_safe_hits(&s.caches, "board"), 1);
    origin::set_down("board", false);
}

#[tokio::test]
async fn a_ttl_fn_lets_each_value_choose_its_ttl() {
    let s = setup("adaptive", None);
    let first = s.caches.rate_adaptive("nok").await.unwrap();
    assert!(
        first.is_multiple_of(2),
        "the first load answers an even rate"
    );
    // Even: 5 s, so 6 s later it reloads (an odd rate, which keeps the spec's 1m).
    s.clock.advance(Duration::from_secs(4));
    assert_eq!(s.caches.rate_adaptive("nok").await, Ok(first));
    s.clock.advance(Duration::from_secs(2));
    let second = s.caches.rate_adaptive("nok").await.unwrap();
    assert_eq!(second, first + 1);
    s.clock.advance(Duration::from_secs(50));
    assert_eq!(
        s.caches.rate_adaptive("nok").await,
        Ok(second),
        "odd: the spec's 1m"
    );
    assert_eq!(calls("rate:nok"), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn async_soft_timeout_on_memory_serves_the_fallback_and_the_load_goes_on() {
    let s = setup("soft", None);
    let first = s.caches.rate_soft("soft_eur").await.unwrap();
    s.clock.advance(TTL);
    origin::set_slow("soft_eur", Some(Duration::from_millis(600)));
    // Three callers while the slow load runs: each gets the fallback after the soft timeout,
    // and they share one load.
    let (a, b, c) = tokio::join!(
        s.caches.rate_soft("soft_eur"),
        s.caches.rate_soft("soft_eur"),
        s.caches.rate_soft("soft_eur")
    );
    assert_eq!((a, b, c), (Ok(first), Ok(first), Ok(first)));
    assert_eq!(fail_safe_hits(&s.caches, "rate_soft"), 3);
    origin::set_slow("soft_eur", None);
    // The load was not cancelled: it stores its value when it ends.
    let stored = eventually(|| {
        calls("rate:soft_eur") == 2 && {
            let got = wait(caches::rate_soft::on(&s.caches).get("soft_eur"));
            got.is_some_and(|p| p.value != first && p.freshness == Freshness::Fresh)
        }
    });
    assert!(stored, "the timed-out load stored its value");
    let second = s.caches.rate_soft("soft_eur").await.unwrap();
    assert_ne!(second, first);
    assert_eq!(
        calls("rate:soft_eur"),
        2,
        "one load at start, one slow load joined by all"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn async_soft_timeout_on_a_hybrid_over_redis_serves_the_fallback() {
    let server = redis_or_skip!();
    let s = setup("soft-hybrid", Some(&server));
    let first = s.caches.rate_soft_hot("soft_gbp").await.unwrap();
    s.clock.advance(TTL);
    origin::set_slow("soft_gbp", Some(Duration::from_millis(600)));
    assert_eq!(s.caches.rate_soft_hot("soft_gbp").await, Ok(first));
    origin::set_slow("soft_gbp", None);
    let mut raw = server.client();
    let stored = eventually(|| {
        let value: Option<Vec<u8>> = redis::cmd("GET")
            .arg("fs:rate_soft_hot:soft_gbp")
            .query(&mut raw)
            .unwrap();
        calls("rate:soft_gbp") == 2 && value.is_some()
    });
    assert!(stored);
    assert!(eventually(
        || wait(s.caches.rate_soft_hot("soft_gbp")) != Ok(first)
    ));
    assert_eq!(calls("rate:soft_gbp"), 2);
    assert_eq!(fail_safe_hits(&s.caches, "rate_soft_hot"), 1);
}

#[test]
fn sync_swr_soft_timeout_on_a_chain_over_files_serves_the_fallback_past_the_stale_window() {
    let s = setup("soft-files", None);
    let first = s.caches.rate_soft_files("soft_jpy").unwrap();
    s.clock.advance(TTL + Duration::from_secs(20));
    origin::set_slow("soft_jpy", Some(Duration::from_millis(600)));
    assert_eq!(s.caches.rate_soft_files("soft_jpy"), Ok(first));
    assert_eq!(fail_safe_hits(&s.caches, "rate_soft_files"), 1);
    origin::set_slow("soft_jpy", None);
    assert!(eventually(
        || s.caches.rate_soft_files("soft_jpy") != Ok(first)
    ));
    assert_eq!(calls("rate:soft_jpy"), 2);
}

#[test]
fn sync_hard_timeout_without_a_fallback_is_the_loaders_error_and_the_load_goes_on() {
    let s = setup("hard", None);
    origin::set_slow("hard_sek", Some(Duration::from_millis(800)));
    let got = s.caches.rate_hard("hard_sek");
    let Err(FetchError(message)) = got else {
        panic!("a timeout error, not {got:?}");
    };
    assert!(
        message.contains("rate_hard") && message.contains("hard timeout of 200ms"),
        "{message}"
    );
    // A caller meanwhile joins the same load (and times out too).
    assert!(s.caches.rate_hard("hard_sek").is_err());
    origin::set_slow("hard_sek", None);
    assert!(eventually(|| s.caches.rate_hard("hard_sek").is_ok()));
    assert_eq!(
        calls("rate:hard_sek"),
        1,
        "the timed-out load stored its value; no second load"
    );
    assert!(
        stats_of(&s.caches, "rate_hard").errors >= 2,
        "each timeout is counted"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn async_hard_timeout_on_a_chain_over_files() {
    let s = setup("hard-files", None);
    origin::set_slow("hard_nok", Some(Duration::from_millis(800)));
    assert!(s.caches.rate_hard_files("hard_nok").await.is_err());
    origin::set_slow("hard_nok", None);
    assert!(eventually(
        || wait(s.caches.rate_hard_files("hard_nok")).is_ok()
    ));
    assert_eq!(calls("rate:hard_nok"), 1);
    // A quick load is not affected.
    assert!(s.caches.rate_hard_files("hard_dkk").await.is_ok());
}

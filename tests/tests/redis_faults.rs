//! Under faults, against real redis-server processes that the tests start, hang (SIGSTOP) and
//! resume: a hung or black-holed Redis costs one timeout and then nothing, a refused port a few
//! fast failures; the breaker finds Redis again after it comes back. Locks are owned by a token
//! and always released; every write heals what it finds.
#![allow(clippy::unwrap_used)] // a test fails loudly on an unexpected error
#![allow(missing_docs)]

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use advanced_caching::{
    clock::ManualClock,
    storage::{
        BreakerSettings, BreakerState, RedisStorage, SerdeValue, Storage, StorageExt, lock_entry,
    },
    strategy::{CacheBuilder, TtlCache},
};
use advanced_caching_tests::harness::{BlackHole, free_port};
use advanced_caching_tests::redis_or_skip;
use redis::Commands;

const TIMEOUT: Duration = Duration::from_millis(150);
const BACKOFF: Duration = Duration::from_millis(400);

fn storage(url: &str) -> Arc<RedisStorage> {
    storage_with_clock(url, None)
}

fn storage_with_clock(url: &str, clock: Option<&ManualClock>) -> Arc<RedisStorage> {
    let mut builder = RedisStorage::builder(url);
    if let Some(clock) = clock {
        builder = builder.clock(Arc::new(clock.clone()));
    }
    Arc::new(
        builder
            .prefix("faults:")
            .timeout(TIMEOUT)
            .connect_timeout(TIMEOUT)
            .breaker(BreakerSettings {
                failures: 3,
                backoff: BACKOFF,
                max_backoff: Duration::from_secs(2),
            })
            .build()
            .unwrap(),
    )
}

fn cache(storage: &Arc<RedisStorage>) -> TtlCache<u64, Infallible> {
    CacheBuilder::<u64, Infallible>::new("faults")
        .storage(storage.clone())
        .ttl(Some(Duration::from_secs(60)))
        .serde()
        .build_ttl()
}

/// A loader that counts its calls.
fn counted(
    calls: &Arc<AtomicUsize>,
    value: u64,
) -> impl FnOnce() -> Result<u64, Infallible> + use<> {
    let calls = calls.clone();
    move || {
        calls.fetch_add(1, Ordering::SeqCst);
        Ok(value)
    }
}

/// The first call pays at most one timeout; once the breaker is open, 100 calls cost the
/// loader's time each and no storage wait. Returns (first call, 100 calls).
async fn outage_costs(storage: &Arc<RedisStorage>, tag: &str) -> (Duration, Duration) {
    let cache = cache(storage);
    let calls = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let calls_clone = calls.clone();
    assert_eq!(
        cache
            .get_or_load(&format!("{tag}:first"), || async move {
                calls_clone.fetch_add(1, Ordering::SeqCst);
                Ok(1)
            })
            .await
            .unwrap(),
        1
    );
    let first = started.elapsed();
    assert!(
        matches!(storage.breaker_state(), BreakerState::Open { .. }),
        "one timeout opens the breaker: {:?}",
        storage.breaker_state()
    );
    let started = Instant::now();
    for i in 0..100u64 {
        let calls = calls.clone();
        let v = cache
            .get_or_load(&format!("{tag}:{i}"), || async move {
                calls.fetch_add(1, Ordering::SeqCst);
                Ok(i)
            })
            .await
            .unwrap();
        assert_eq!(v, i);
    }
    let hundred = started.elapsed();
    assert_eq!(calls.load(Ordering::SeqCst), 101, "every call loads");
    let stats = cache.stats();
    assert!(
        stats.storage_skips >= 200,
        "reads and writes skipped: {stats}"
    );
    assert!(
        stats.storage_errors <= 2,
        "at most the first call's errors: {stats}"
    );
    (first, hundred)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_redis_costs_one_timeout_then_nothing_and_is_found_again() {
    let server = redis_or_skip!();
    let storage = storage(&server.url());
    let cache = cache(&storage);
    let calls = Arc::new(AtomicUsize::new(0));
    assert_eq!(
        cache.get_or_load_blocking("warm", counted(&calls, 7)),
        Ok(7)
    );
    server.pause();
    let (first, hundred) = outage_costs(&storage, "hung").await;
    eprintln!("hung redis: first call {first:?}, 100 calls {hundred:?}");
    assert!(
        first < TIMEOUT + Duration::from_secs(1),
        "first call waits one timeout, not more: {first:?}"
    );
    assert!(hundred < Duration::from_secs(1), "100 calls in {hundred:?}");

    // The sync path skips too.
    let started = Instant::now();
    assert_eq!(
        cache.get_or_load_blocking("hung:sync", counted(&calls, 9)),
        Ok(9)
    );
    assert!(
        started.elapsed() < Duration::from_millis(100),
        "{:?}",
        started.elapsed()
    );

    server.resume();
    let resumed = Instant::now();
    while storage.breaker_state() != BreakerState::Closed {
        assert!(
            resumed.elapsed() < Duration::from_secs(5),
            "the breaker did not close: {:?}",
            storage.breaker_state()
        );
        // Calls keep going meanwhile (and start the probe when the window ends).
        let _ = cache.get_or_load("probe", || async { Ok(0) }).await;
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    eprintln!("breaker closed {:?} after SIGCONT", resumed.elapsed());
    // Served from Redis again: a value written now is read back without the loader.
    let before = calls.load(Ordering::SeqCst);
    assert_eq!(
        cache.get_or_load_blocking("after", counted(&calls, 3)),
        Ok(3)
    );
    assert_eq!(
        cache.get_or_load_blocking("after", counted(&calls, 4)),
        Ok(3)
    );
    assert_eq!(calls.load(Ordering::SeqCst), before + 1);
    let stored: Option<Vec<u8>> = server.client().get("faults:after").unwrap();
    assert!(stored.is_some(), "the value is in Redis");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_port_that_accepts_and_never_answers_costs_one_timeout() {
    let hole = BlackHole::open();
    let storage = storage(&hole.url());
    let (first, hundred) = outage_costs(&storage, "hole").await;
    eprintln!("black hole: first call {first:?}, 100 calls {hundred:?}");
    assert!(first < TIMEOUT + Duration::from_secs(1), "{first:?}");
    assert!(hundred < Duration::from_secs(1), "{hundred:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_port_opens_the_breaker_after_a_few_fast_failures() {
    let storage = storage(&format!("redis://127.0.0.1:{}", free_port()));
    let cache = cache(&storage);
    let calls = Arc::new(AtomicUsize::new(0));
    for i in 0..50 {
        assert_eq!(
            cache.get_or_load_blocking(&format!("r{i}"), counted(&calls, i)),
            Ok(i)
        );
    }
    let stats = cache.stats();
    assert!(
        stats.storage_errors <= 3,
        "three failures open the breaker: {stats}"
    );
    assert!(stats.storage_skips >= 90, "{stats}");
    assert_eq!(storage.breaker().times_opened(), 1);
}

/// An SWR cache on Redis (its storage on the test clock too): fresh 10 s, then stale for an hour.
fn swr_on_redis(
    url: &str,
    name: &str,
) -> (
    ManualClock,
    advanced_caching::strategy::SwrCache<u64, Infallible>,
) {
    let clock = ManualClock::new(1_000_000);
    let storage = storage_with_clock(url, Some(&clock));
    let cache = CacheBuilder::<u64, Infallible>::new(name)
        .storage(storage)
        .clock(Arc::new(clock.clone()))
        .ttl(Some(Duration::from_secs(10)))
        .stale_ttl(Duration::from_secs(3_600))
        .serde()
        .build_swr();
    (clock, cache)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_swr_refresh_that_panics_releases_its_lock_at_once() {
    let server = redis_or_skip!();
    let (clock, cache) = swr_on_redis(&server.url(), "swr_panic");
    assert_eq!(cache.get_or_load("p", || async { Ok(1) }).await, Ok(1));
    clock.advance(Duration::from_secs(11));
    // Stale: served at once; the refresh panics.
    assert_eq!(
        cache
            .get_or_load("p", || async { panic!("the refresh loader panics") })
            .await,
        Ok(1)
    );
    // The lock is released when the panicking refresh ends (not when its TTL runs out).
    let mut client = server.client();
    let released = Instant::now();
    loop {
        let held: bool = client.exists("faults:~lock:p").unwrap();
        if !held {
            break;
        }
        assert!(
            released.elapsed() < Duration::from_secs(5),
            "lock still held"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // The next stale hit (test clock unchanged) refreshes.
    let mut value = 0;
    for _ in 0..1_000 {
        value = cache.get_or_load("p", || async { Ok(2) }).await.unwrap();
        if value == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(value, 2, "the second refresh ran at once");
}

#[test]
fn a_sync_swr_refresh_that_panics_releases_its_lock() {
    let server = redis_or_skip!();
    let (clock, cache) = swr_on_redis(&server.url(), "swr_panic_sync");
    assert_eq!(cache.get_or_load_blocking("s", || Ok(1)), Ok(1));
    clock.advance(Duration::from_secs(11));
    assert_eq!(
        cache.get_or_load_blocking("s", || panic!("the refresh loader panics")),
        Ok(1)
    );
    let mut value = 0;
    for _ in 0..1_000 {
        value = cache.get_or_load_blocking("s", || Ok(2)).unwrap();
        if value == 2 {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(value, 2, "the second refresh ran at once");
}

/// A lock that expired and was taken by another owner is not released nor renewed by the first.
fn takeover_leaves_the_new_lock_alone(storage: &dyn Storage) {
    let ty = SerdeValue::<String>::new();
    let ttl = Duration::from_secs(30);
    assert!(
        storage
            .blocking()
            .set_if_not_exists("lock", lock_entry("A", storage.now(), ttl), &ty)
            .unwrap()
    );
    // A's lock lapses; B takes it.
    assert!(storage.blocking().delete("lock").unwrap());
    assert!(
        storage
            .blocking()
            .set_if_not_exists("lock", lock_entry("B", storage.now(), ttl), &ty)
            .unwrap()
    );
    assert!(!storage.blocking().release_lock("lock", "A").unwrap());
    assert!(!storage.blocking().renew_lock("lock", "A", ttl).unwrap());
    let held = storage.get_entry_blocking("lock", &ty).unwrap().unwrap();
    assert_eq!(
        held.value.downcast_ref::<String>().map(String::as_str),
        Some("B")
    );
    assert!(storage.blocking().renew_lock("lock", "B", ttl).unwrap());
    assert!(storage.blocking().release_lock("lock", "B").unwrap());
    assert!(!storage.blocking().exists("lock").unwrap());
}

#[test]
fn an_unlock_after_a_takeover_leaves_the_new_lock_alone() {
    takeover_leaves_the_new_lock_alone(&advanced_caching::storage::MemoryStorage::new(10));
    let server = redis_or_skip!();
    takeover_leaves_the_new_lock_alone(storage(&server.url()).as_ref());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_write_heals_a_wrong_type_key_and_a_corrupt_frame() {
    let server = redis_or_skip!();
    let storage = Arc::new(
        RedisStorage::builder(server.url())
            .prefix("heal:")
            .dedupe_writes(true)
            .build()
            .unwrap(),
    );
    let mut client = server.client();
    let _: () = client.rpush("heal:list", "x").unwrap();
    storage
        .set_typed("list", &5u32, Some(Duration::from_secs(60)))
        .await
        .unwrap();
    assert_eq!(storage.get_typed::<u32>("list").await.unwrap(), Some(5));
    let _: () = client
        .set("heal:junk", b"\xac\x01garbage-that-is-no-frame".as_slice())
        .unwrap();
    assert!(
        storage.get_typed::<u32>("junk").await.is_err(),
        "a corrupt frame reads as an error (a miss)"
    );
    storage
        .set_typed("junk", &6u32, Some(Duration::from_secs(60)))
        .await
        .unwrap();
    assert_eq!(storage.get_typed::<u32>("junk").await.unwrap(), Some(6));
    // Through a cache: the next load rewrites the key and later calls hit.
    let cache = CacheBuilder::<u32, Infallible>::new("heal")
        .storage(storage.clone())
        .ttl(Some(Duration::from_secs(60)))
        .serde()
        .build_ttl();
    let _: () = client.sadd("heal:set", "y").unwrap();
    assert_eq!(cache.get_or_load("set", || async { Ok(8) }).await, Ok(8));
    assert_eq!(
        cache.get_or_load("set", || async { Ok(9) }).await,
        Ok(8),
        "healed: a hit"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ttls_beyond_redis_range_are_cached() {
    let server = redis_or_skip!();
    let storage = storage(&server.url());
    for (key, hours) in [
        ("long", 99_999_999_999u64),
        ("longer", 2_562_047_788_015),
        ("longest", 5_124_095_576_030),
    ] {
        let cache = CacheBuilder::<u64, Infallible>::new(key)
            .storage(storage.clone())
            .ttl(Some(Duration::from_secs(hours.saturating_mul(3_600))))
            .serde()
            .build_ttl();
        assert_eq!(cache.get_or_load(key, || async { Ok(1) }).await, Ok(1));
        assert_eq!(
            cache.get_or_load(key, || async { Ok(2) }).await,
            Ok(1),
            "{key} read back"
        );
        let pttl: i64 = redis::cmd("PTTL")
            .arg(format!("faults:{key}"))
            .query(&mut server.client())
            .unwrap();
        assert!(pttl == -1 || pttl >= 0, "{key}: PTTL {pttl}");
        assert_eq!(cache.stats().storage_errors, 0, "{key}");
    }
}

/// After a restart of Redis, sync readers (whose pooled blocking connections all died with it)
/// and async ones see at most one failed call in all: a dead pooled connection is replaced and
/// the read tried again on a fresh one.
#[test]
fn after_a_restart_at_most_one_call_fails() {
    use advanced_caching::storage::{SerdeValue, Storage};
    let Some(mut server) = advanced_caching_tests::harness::RedisServer::start() else {
        return;
    };
    let storage = Arc::new(RedisStorage::connect(server.url()).unwrap());
    let ty = SerdeValue::<u64>::new();
    // Fill the pool with several blocking connections at once.
    std::thread::scope(|s| {
        for _ in 0..6 {
            s.spawn(|| {
                for _ in 0..20 {
                    storage.get_entry_blocking("k", &ty).unwrap();
                }
            });
        }
    });
    server.restart();
    let mut failed = 0;
    let runtime = tokio::runtime::Runtime::new().unwrap();
    for i in 0..40 {
        let read = if i % 2 == 0 {
            storage.get_entry_blocking("k", &ty)
        } else {
            runtime.block_on(storage.get_entry("k", &ty))
        };
        if read.is_err() {
            failed += 1;
        }
    }
    assert!(failed <= 1, "{failed} of 40 calls failed after the restart");
}

//! Control calls through generated code (`caches::NAME::{invalidate, insert, get, refresh,
//! bypass}`, `caches::LOADER::{refresh, age}`), sync and async, on memory and on a hybrid over a
//! real redis-server.
#![allow(clippy::unwrap_used)] // a test fails loudly on an unexpected error
#![allow(missing_docs)]

use std::sync::Arc;
use std::time::Duration;

use advanced_caching::{
    clock::ManualClock,
    storage::{Codec, Freshness, MemoryStorage, RedisStorage, SharedStorage},
};
use advanced_caching_tests::basic::caches::{self, Caches};
use advanced_caching_tests::fixture::{User, calls};
use advanced_caching_tests::redis_or_skip;
use advanced_caching_tests::redis_spec::caches as redis_caches;
use redis::Commands;

fn isolated() -> (ManualClock, Arc<Caches>) {
    let clock = ManualClock::new(1_000_000);
    let caches = Caches::builder()
        .clock(Arc::new(clock.clone()))
        .build()
        .unwrap();
    (clock, Arc::new(caches))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_control_calls_on_memory() {
    let (clock, c) = isolated();
    let user = caches::get_user::on(&c);
    // get never loads.
    assert_eq!(user.get(9_101).await, None);
    assert_eq!(calls("fetch_user:9101"), 0);
    let loaded = c.get_user(9_101).await.unwrap();
    clock.advance(Duration::from_secs(7));
    let peeked = user.get(9_101).await.unwrap();
    assert_eq!(peeked.value, loaded);
    assert_eq!(peeked.age, Duration::from_secs(7));
    assert_eq!(peeked.freshness, Freshness::Fresh);
    // invalidate: the next call loads again.
    assert!(user.invalidate(9_101).await);
    assert!(!user.invalidate(9_101).await, "nothing left to remove");
    assert_eq!(user.get(9_101).await, None);
    c.get_user(9_101).await.unwrap();
    assert_eq!(calls("fetch_user:9101"), 2);
    // insert (prime): a later call makes no loader call.
    let primed = User {
        id: 9_102,
        name: "primed".into(),
    };
    user.insert(9_102, primed.clone()).await;
    assert_eq!(c.get_user(9_102).await.unwrap(), primed);
    assert_eq!(calls("fetch_user:9102"), 0);
    // bypass: loads whatever the cache holds, and stores.
    let fresh = user.bypass(9_102).await.unwrap();
    assert_eq!(fresh.name, "user9102#0");
    assert_eq!(c.get_user(9_102).await.unwrap(), fresh);
    // refresh: 20 concurrent refreshers, one loader call; the fresh value is stored.
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let c = c.clone();
            tokio::spawn(async move { caches::get_user::on(&c).refresh(9_103).await })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap().unwrap().name, "user9103#0");
    }
    assert_eq!(calls("fetch_user:9103"), 1);
    assert_eq!(c.get_user(9_103).await.unwrap().name, "user9103#0");
    assert_eq!(calls("fetch_user:9103"), 1);
    // A failed refresh is returned and keeps the old value.
    user.insert(0, primed.clone()).await;
    assert!(user.refresh(0).await.is_err());
    assert_eq!(user.get(0).await.unwrap().value, primed);
}

#[test]
fn sync_control_calls_on_memory() {
    let (_clock, c) = isolated();
    let square = caches::square::on(&c);
    assert_eq!(square.get(9_201), None);
    assert_eq!(c.square(9_201), 9_201 * 9_201);
    assert_eq!(square.get(9_201).map(|p| p.value), Some(9_201 * 9_201));
    square.insert(9_202, 5);
    assert_eq!(c.square(9_202), 5, "primed");
    assert_eq!(calls("square:9202"), 0);
    assert_eq!(square.refresh(9_202), 9_202 * 9_202);
    assert_eq!(c.square(9_202), 9_202 * 9_202);
    assert!(square.invalidate(9_202));
    assert_eq!(square.get(9_202), None);
    assert_eq!(square.bypass(9_203), 9_203 * 9_203);
    assert_eq!(calls("square:9203"), 1);
    assert_eq!(c.square(9_203), 9_203 * 9_203);
    assert_eq!(calls("square:9203"), 1);
    // A parameter left out of the key is not asked for by calls that touch only the entry.
    let stat = caches::describe_static::on(&c);
    assert_eq!(stat.get(), None);
    let first = c.describe_static("a", 1);
    assert_eq!(stat.get().map(|p| p.value), Some(first.clone()));
    assert_ne!(stat.refresh("b", 2), first);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loaders_and_readers_refresh_on_demand_and_tell_their_age() {
    let (clock, c) = isolated();
    let inventory = caches::inventory::on(&c);
    assert_eq!(inventory.age().await, None);
    let first = inventory.refresh().await.unwrap();
    clock.advance(Duration::from_secs(3));
    assert_eq!(inventory.age().await, Some(Duration::from_secs(3)));
    let second = inventory.refresh().await.unwrap();
    assert_ne!(first, second, "a new run");
    assert_eq!(c.inventory().await.unwrap(), second);
    assert_eq!(inventory.age().await, Some(Duration::ZERO));
    // The reader pulls the writer's value on demand.
    let reader = caches::inventory_local::on(&c);
    assert_eq!(reader.refresh().await, Some(second.clone()));
    assert_eq!(reader.age().await, Some(Duration::ZERO));
    // Sync loader: refresh and age too.
    let config = caches::config::on(&c);
    let v = config.refresh().unwrap();
    assert_eq!(c.config().unwrap(), v);
    assert_eq!(config.age(), Some(Duration::ZERO));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalidate_removes_both_levels_of_a_hybrid_over_redis() {
    let server = redis_or_skip!();
    let clock = ManualClock::new(1_700_000_000_000);
    let shared_clock: advanced_caching::clock::SharedClock = Arc::new(clock.clone());
    let redis = |prefix: &str, codec: Codec| -> SharedStorage {
        Arc::new(
            RedisStorage::builder(server.url())
                .prefix(prefix)
                .codec(codec)
                .clock(shared_clock.clone())
                .build()
                .unwrap(),
        )
    };
    let local = Arc::new(MemoryStorage::with_clock(1_000, shared_clock.clone()));
    let c = Arc::new(
        redis_caches::Caches::builder()
            .clock(shared_clock.clone())
            .storage("local", local.clone())
            .storage("remote", redis("gen:", Codec::Json))
            .storage("remote_binary", redis("bin:", Codec::Binary))
            .build()
            .unwrap(),
    );
    let user = redis_caches::get_user::on(&c);
    c.get_user(9_301).await.unwrap();
    let mut client = server.client();
    assert!(client.exists::<_, bool>("gen:user:9301").unwrap());
    assert!(!local.is_empty(), "L1 holds a copy");
    assert!(user.invalidate(9_301).await);
    assert!(
        !client.exists::<_, bool>("gen:user:9301").unwrap(),
        "L2 copy removed"
    );
    assert_eq!(user.get(9_301).await, None, "L1 copy removed");
    // Refresh with 20 concurrent callers over Redis: one loader call.
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let c = c.clone();
            tokio::spawn(async move { redis_caches::get_user::on(&c).refresh(9_302).await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    assert_eq!(calls("fetch_user:9302"), 1);
    // Prime then get: no loader call, the value is in both levels.
    let primed = User {
        id: 9_303,
        name: "primed".into(),
    };
    user.insert(9_303, primed.clone()).await;
    assert_eq!(c.get_user(9_303).await.unwrap(), primed);
    assert_eq!(calls("fetch_user:9303"), 0);
    assert!(client.exists::<_, bool>("gen:user:9303").unwrap());
    // Sync, on the chain (memory → Redis): invalidate both levels.
    let square = redis_caches::square::on(&c);
    assert_eq!(c.square(9_304), 9_304 * 9_304);
    assert!(client.exists::<_, bool>("bin:sq:9304").unwrap());
    assert!(square.invalidate(9_304));
    assert!(!client.exists::<_, bool>("bin:sq:9304").unwrap());
    assert_eq!(square.get(9_304), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_error_from_the_spec_and_a_reader_that_pulls_at_start() {
    let (_clock, c) = isolated();
    let flaky = caches::flaky::on(&c);
    assert_eq!(flaky.refresh().unwrap(), "flaky#0");
    assert!(flaky.refresh().is_err());
    assert_eq!(
        calls("loader_failed:run 1 failed"),
        1,
        "the hook saw the failure once"
    );
    assert_eq!(c.flaky().unwrap(), "flaky#0", "the last good value stays");
    // run_immediately: the reader's copy is pulled at start, before anyone asks.
    let copy = caches::flaky_copy::on(&c);
    assert_eq!(copy.age(), None);
    c.start().unwrap();
    let mut pulled = false;
    for _ in 0..500 {
        if copy.age().is_some() {
            pulled = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    assert!(pulled, "the reader pulled at start");
    assert_eq!(c.flaky_copy().as_deref(), Some("flaky#0"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stand_in_storages_built_on_the_builders_clock_follow_the_test_clock() {
    let clock = ManualClock::new(1_000_000);
    let shared: advanced_caching::clock::SharedClock = Arc::new(clock.clone());
    let stand_in = |clock: advanced_caching::clock::SharedClock| -> SharedStorage {
        Arc::new(MemoryStorage::with_clock(100, clock))
    };
    let c = redis_caches::Caches::builder()
        .clock(shared)
        .storage_with("remote", stand_in)
        .storage_with("remote_binary", stand_in)
        .build()
        .unwrap();
    let first = c.get_user(9_701).await.unwrap();
    // Past the hybrid's L1 cap (10 s), within its L2 cap (20 s): the stand-in L2 still serves.
    clock.advance(Duration::from_secs(11));
    assert_eq!(c.get_user(9_701).await.unwrap(), first);
    assert_eq!(calls("fetch_user:9701"), 1, "an L2 hit on the test clock");
    clock.advance(Duration::from_secs(10));
    c.get_user(9_701).await.unwrap();
    assert_eq!(
        calls("fetch_user:9701"),
        2,
        "both copies expired on the test clock"
    );
}

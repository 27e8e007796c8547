//! The memo (a function's typed front tier on a memory storage, keyed by its arguments): it
//! answers only what the storage would, follows every control call, and is off for a storage
//! given to the builder (which other instances may share).
#![allow(clippy::unwrap_used)] // a test fails loudly on an unexpected error
#![allow(missing_docs)]

use std::sync::Arc;
use std::time::Duration;

use advanced_caching::{
    clock::{ManualClock, SharedClock},
    storage::{MemoryStorage, SharedStorage},
};
use advanced_caching_tests::basic::caches::{self, Caches};
use advanced_caching_tests::fixture::calls;

fn isolated() -> (ManualClock, Caches) {
    let clock = ManualClock::new(1_000_000);
    let caches = Caches::builder()
        .clock(Arc::new(clock.clone()))
        .build()
        .unwrap();
    (clock, caches)
}

fn hits(caches: &Caches, name: &str) -> u64 {
    caches.stats().iter().find(|s| s.name == name).unwrap().hits
}

#[test]
fn hits_follow_control_calls_and_expiry() {
    let (clock, c) = isolated();
    let tag = "memo-a";
    let loads = || calls(&format!("describe:{tag}:1"));
    let before = loads();
    let first = c.describe(tag, 1);
    assert_eq!(c.describe(tag, 1), first);
    assert_eq!(loads(), before + 1, "the second call is a hit");
    assert_eq!(hits(&c, "describe"), 1);

    let on = caches::describe::on(&c);
    on.insert(tag, 1, "inserted".to_owned());
    assert_eq!(
        c.describe(tag, 1),
        "inserted",
        "an insert replaces what hits see"
    );
    assert!(on.invalidate(tag, 1));
    let reloaded = c.describe(tag, 1);
    assert_eq!(loads(), before + 2, "after invalidate the next call loads");
    let refreshed = on.refresh(tag, 1);
    assert_ne!(refreshed, reloaded);
    assert_eq!(
        c.describe(tag, 1),
        refreshed,
        "a refresh replaces what hits see"
    );

    clock.advance(Duration::from_secs(31));
    let _ = c.describe(tag, 1);
    assert_eq!(
        loads(),
        before + 4,
        "past its ttl the entry is loaded again"
    );
}

#[test]
fn a_storage_given_to_the_builder_keeps_no_memo() {
    // Two instances on one memory storage: what one does, the other sees at once.
    use advanced_caching_tests::keys_spec::caches::{self as keys, Caches as KeyCaches};
    let clock = ManualClock::new(1_000_000);
    let shared: SharedStorage = Arc::new(MemoryStorage::with_clock(
        1_000,
        Arc::new(clock.clone()) as SharedClock,
    ));
    let instance = || {
        KeyCaches::builder()
            .clock(Arc::new(clock.clone()))
            .storage("shared", shared.clone())
            .build()
            .unwrap()
    };
    let (a, b) = (instance(), instance());
    let loaded = a.positional("x", "y");
    assert_eq!(a.positional("x", "y"), loaded);
    keys::positional::on(&b).insert("x", "y", "from b".to_owned());
    assert_eq!(a.positional("x", "y"), "from b", "a sees b's insert");
    assert!(keys::positional::on(&b).invalidate("x", "y"));
    assert_eq!(
        a.positional("x", "y"),
        loaded,
        "a sees b's invalidate and loads"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_value_is_never_served_from_the_memo() {
    let (clock, c) = isolated();
    let sku = "memo-swr";
    let first = c.price_sync(sku);
    assert_eq!(c.price_sync(sku), first);
    clock.advance(Duration::from_secs(11));
    // Stale: served once while one refresh runs in the background.
    assert_eq!(c.price_sync(sku), first);
    let mut now = first;
    for _ in 0..2_000 {
        now = c.price_sync(sku);
        if now != first {
            break;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    assert_ne!(now, first, "the refreshed value replaces the stale one");
}

/// Over a hybrid, the memo keeps what the L1 keeps: its copy's capped expiry, after which the
/// next call reads L2 (where another process may have written); over a coherent hybrid (whose L1
/// copies another process's write drops) it keeps nothing.
#[tokio::test(flavor = "multi_thread")]
async fn over_a_hybrid_the_memo_follows_the_l1_copy() {
    use advanced_caching::storage::{ChainStorage, RedisStorage, StorageExt};
    use advanced_caching::strategy::{Args, CacheBuilder};
    use advanced_caching_tests::redis_or_skip;
    type Key = (u64,);
    let server = redis_or_skip!();
    let clock = ManualClock::new(1_000_000);
    let shared_clock: SharedClock = Arc::new(clock.clone());
    let l2 = Arc::new(
        RedisStorage::builder(server.url())
            .clock(shared_clock.clone())
            .build()
            .unwrap(),
    );
    let hybrid = |coherent: bool| -> SharedStorage {
        let l1 = Arc::new(MemoryStorage::with_clock(100, shared_clock.clone()));
        let h = ChainStorage::hybrid(l1, l2.clone(), Duration::from_secs(10), None);
        Arc::new(if coherent { h.coherent() } else { h })
    };
    let cache = CacheBuilder::<String, std::convert::Infallible>::new("memo_hybrid")
        .storage(hybrid(false))
        .clock(shared_clock.clone())
        .ttl(Some(Duration::from_secs(300)))
        .serde()
        .memo::<Key>(100)
        .build_ttl();
    let args = Args((1u64,));
    let v1 = cache
        .get_or_load("k1", || async { Ok("one".to_owned()) })
        .await;
    assert_eq!(v1.unwrap(), "one");
    cache.memo_fill::<Key, _>(&args, "k1");
    assert_eq!(cache.memo_get::<Key, _>(&args).as_deref(), Some("one"));
    // Another process writes L2; the L1 copy (and the memo) answer until the L1 cap.
    l2.set_typed("k1", &"two".to_owned(), Some(Duration::from_secs(300)))
        .await
        .unwrap();
    clock.advance(Duration::from_secs(9));
    assert_eq!(cache.memo_get::<Key, _>(&args).as_deref(), Some("one"));
    clock.advance(Duration::from_secs(2));
    assert_eq!(cache.memo_get::<Key, _>(&args), None, "past the L1 cap");
    let v2 = cache
        .get_or_load("k1", || async { Ok("loaded".to_owned()) })
        .await;
    assert_eq!(v2.unwrap(), "two", "read from L2");

    let coherent = CacheBuilder::<String, std::convert::Infallible>::new("memo_coherent")
        .storage(hybrid(true))
        .clock(shared_clock.clone())
        .ttl(Some(Duration::from_secs(300)))
        .serde()
        .memo::<Key>(100)
        .build_ttl();
    let _ = coherent
        .get_or_load("k2", || async { Ok("x".to_owned()) })
        .await;
    coherent.memo_fill::<Key, _>(&Args((2u64,)), "k2");
    assert_eq!(coherent.memo_get::<Key, _>(&Args((2u64,))), None, "no memo");
}

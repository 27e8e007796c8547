//! The semantics listed in docs/design.md, checked through generated wrappers (sync and async, ttl, swr,
//! loader, reader), each test on its own isolated `Caches` with a test clock.
#![allow(clippy::unwrap_used)] // a test fails loudly on an unexpected error
#![allow(missing_docs)]

use std::sync::Arc;
use std::time::Duration;

use advanced_caching::{
    clock::ManualClock,
    storage::{MemoryStorage, SharedStorage, StorageExt},
};
use advanced_caching_tests::basic::caches::{self, Caches};
use advanced_caching_tests::fixture::{FetchError, calls};

fn isolated() -> (ManualClock, Arc<Caches>) {
    let clock = ManualClock::new(1_000_000);
    let caches = Caches::builder()
        .clock(Arc::new(clock.clone()))
        .build()
        .unwrap();
    (clock, Arc::new(caches))
}

async fn eventually(cond: impl Fn() -> bool) -> bool {
    for _ in 0..2_000 {
        if cond() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    cond()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_ttl_wrapper_hits_expires_and_coalesces() {
    let (clock, caches) = isolated();
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let caches = caches.clone();
            tokio::spawn(async move { caches.get_user(101).await })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap().unwrap().name, "user101#0");
    }
    assert_eq!(
        calls("fetch_user:101"),
        1,
        "100 concurrent callers, one load"
    );
    clock.advance(Duration::from_secs(299));
    assert_eq!(caches.get_user(101).await.unwrap().name, "user101#0");
    clock.advance(Duration::from_secs(1));
    assert_eq!(caches.get_user(101).await.unwrap().name, "user101#1");
    let stats = caches.stats();
    let s = stats.iter().find(|s| s.name == "get_user").unwrap();
    assert_eq!((s.loads, s.misses, s.hits), (2, 101, 1));
}

#[tokio::test]
async fn loader_errors_are_returned_and_not_cached() {
    let (_clock, caches) = isolated();
    assert_eq!(
        caches.get_user(0).await,
        Err(FetchError("no user 0".into()))
    );
    assert_eq!(
        caches.get_user(0).await,
        Err(FetchError("no user 0".into()))
    );
    assert_eq!(calls("fetch_user:0"), 2);
}

#[test]
fn sync_wrapper_outside_any_runtime_with_a_never_ttl() {
    let (clock, caches) = isolated();
    let threads: Vec<_> = (0..50)
        .map(|_| {
            let caches = caches.clone();
            std::thread::spawn(move || caches.square(12))
        })
        .collect();
    for t in threads {
        assert_eq!(t.join().unwrap(), 144);
    }
    assert_eq!(calls("square:12"), 1);
    clock.advance(Duration::from_secs(100 * 365 * 86_400));
    assert_eq!(caches.square(12), 144);
    assert_eq!(calls("square:12"), 1);
}

#[test]
fn default_keys_use_every_argument_and_static_keys_share_one_entry() {
    let (_clock, caches) = isolated();
    assert_eq!(caches.describe("d1", 1), "d1x1#0");
    assert_eq!(caches.describe("d1", 2), "d1x2#0");
    assert_eq!(caches.describe("d1", 1), "d1x1#0");
    // `key = "always-the-same"`: every call shares the first value.
    assert_eq!(caches.describe_static("s1", 1), "s1x1#0");
    assert_eq!(caches.describe_static("s2", 9), "s1x1#0");
}

#[tokio::test]
async fn key_templates_key_fns_and_format_specs_reach_the_storage() {
    let clock = ManualClock::new(0);
    let local: SharedStorage = Arc::new(MemoryStorage::with_clock(100, Arc::new(clock.clone())));
    let default: SharedStorage = Arc::new(MemoryStorage::with_clock(100, Arc::new(clock.clone())));
    let caches = Caches::builder()
        .clock(Arc::new(clock))
        .storage("local", local.clone())
        .storage("default", default.clone())
        .build()
        .unwrap();
    caches.get_user(102).await.unwrap();
    caches.get_user_padded(103).await.unwrap();
    caches.get_user_custom_key(104).await.unwrap();
    assert!(local.blocking().exists("user:102").unwrap());
    assert!(default.blocking().exists("user:00000103").unwrap());
    assert!(default.blocking().exists("custom:custom-user-104").unwrap());
    let typed: Option<advanced_caching_tests::fixture::User> =
        local.get_typed("user:102").await.unwrap();
    assert_eq!(typed.unwrap().id, 102);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_swr_wrapper_serves_stale_and_refreshes_once() {
    let (clock, caches) = isolated();
    assert_eq!(caches.price("sku-a").await, Ok(0));
    clock.advance(Duration::from_secs(70));
    assert_eq!(
        caches.price("sku-a").await,
        Ok(0),
        "stale value served at once"
    );
    let more: Vec<_> = (0..20)
        .map(|_| {
            let caches = caches.clone();
            tokio::spawn(async move { caches.price("sku-a").await })
        })
        .collect();
    for s in more {
        // Stale until the refresh lands, fresh after: never a blocking load.
        assert!(matches!(s.await.unwrap(), Ok(0) | Ok(1)));
    }
    assert!(eventually(|| calls("price:sku-a") == 2).await);
    assert!(
        eventually(|| {
            caches
                .stats()
                .iter()
                .any(|s| s.name == "price" && s.refreshes == 1)
        })
        .await
    );
    assert_eq!(caches.price("sku-a").await, Ok(1));
    assert_eq!(calls("price:sku-a"), 2, "exactly one refresh");
    // Past ttl + stale_ttl: a blocking load.
    clock.advance(Duration::from_secs(91));
    assert_eq!(caches.price("sku-a").await, Ok(2));
}

#[test]
fn sync_swr_wrapper_refreshes_in_the_background() {
    let (clock, caches) = isolated();
    assert_eq!(caches.price_sync("sku-b"), 0);
    clock.advance(Duration::from_secs(11));
    assert_eq!(caches.price_sync("sku-b"), 0);
    for _ in 0..2_000 {
        if calls("price_sync:sku-b") == 2 {
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    let mut refreshed = 0;
    for _ in 0..2_000 {
        refreshed = caches.price_sync("sku-b");
        if refreshed == 1 {
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    assert_eq!(refreshed, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn background_loader_and_reader_through_wrappers() {
    let clock = ManualClock::new(0);
    let caches = Caches::builder()
        .clock(Arc::new(clock.clone()))
        .build()
        .unwrap();
    let before = calls("load_inventory");
    caches.start().unwrap();
    caches.start().unwrap();
    // run_immediately: loaded at start, without a caller.
    let loaded = caches.inventory().await.unwrap();
    assert!(loaded[0].starts_with("widget#"));
    assert!(calls("load_inventory") > before);
    // The reader serves the writer's value from its own storage.
    assert_eq!(
        caches.inventory_local().await.unwrap(),
        caches.inventory().await.unwrap()
    );
}

#[test]
fn sync_background_loader_with_a_non_clone_error() {
    let (_clock, caches) = isolated();
    let first = caches.config().unwrap();
    assert_eq!(caches.config().unwrap(), first, "ttl never: loaded once");
}

#[tokio::test]
async fn a_second_instance_on_the_same_storage_is_a_duplicate_writer() {
    let shared: SharedStorage = Arc::new(MemoryStorage::new(100));
    let _first = Caches::builder()
        .storage("local", shared.clone())
        .build()
        .unwrap();
    let second = Caches::builder().storage("local", shared).build();
    assert!(matches!(
        second,
        Err(advanced_caching::CacheError::DuplicateWriter { .. })
    ));
}

#[test]
fn unknown_storage_override_is_an_error() {
    let built = Caches::builder()
        .storage("nope", Arc::new(MemoryStorage::new(1)))
        .build();
    let Err(e) = built else {
        panic!("expected an error")
    };
    assert!(e.to_string().contains("no storage named `nope`"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn process_wide_free_functions() {
    assert_eq!(caches::get_user(105).await.unwrap().id, 105);
    assert_eq!(caches::get_user(105).await.unwrap().id, 105);
    assert_eq!(calls("fetch_user:105"), 1);
    caches::start().unwrap();
    assert!(
        caches::stats()
            .iter()
            .any(|s| s.name == "get_user" && s.hits >= 1)
    );
}

#[test]
fn external_loader_declared_in_the_spec() {
    use advanced_caching_tests::external::caches as ext;
    assert_eq!(ext::larger(3, 9), 9);
    assert_eq!(ext::larger(9, 3), 9);
    assert_eq!(
        ext::stats()[0].misses,
        2,
        "distinct argument orders are distinct keys"
    );
}

#[test]
fn a_loader_importing_through_super_super_is_wrapped() {
    use advanced_caching_tests::fixture::repo::types::Row;
    let (_clock, caches) = isolated();
    assert_eq!(caches.row(21), Row(42));
    assert_eq!(caches.row(21), Row(42));
    let stats = caches.stats();
    let s = stats.iter().find(|s| s.name == "row").unwrap();
    assert_eq!((s.hits, s.misses), (1, 1));
}

#[test]
fn none_is_cached_for_none_ttl_only() {
    let (clock, caches) = isolated();
    // none_ttl = "0s": a None is not kept.
    assert_eq!(caches.find_user(9_401), None);
    assert_eq!(caches.find_user(9_401), None);
    assert_eq!(calls("find_user:9401"), 2);
    // A found value is kept for the ttl.
    let found = caches.find_user(9_402).unwrap();
    assert_eq!(caches.find_user(9_402), Some(found));
    assert_eq!(calls("find_user:9402"), 1);
    // none_ttl = "10s": a None is kept 10 s, not the ttl's 5 minutes.
    assert_eq!(caches.find_user_briefly(9_403), None);
    assert_eq!(caches.find_user_briefly(9_403), None);
    assert_eq!(calls("find_user:9403"), 1);
    clock.advance(Duration::from_secs(11));
    assert_eq!(caches.find_user_briefly(9_403), None);
    assert_eq!(calls("find_user:9403"), 2);
}

#[test]
fn jitter_spreads_the_expiries_of_entries_written_together() {
    let clock = ManualClock::new(0);
    let storage = Arc::new(MemoryStorage::with_clock(10_000, Arc::new(clock.clone())));
    let caches = Caches::builder()
        .clock(Arc::new(clock.clone()))
        .storage("default", storage.clone())
        .build()
        .unwrap();
    let ty = advanced_caching::storage::SerdeValue::<u64>::new();
    let mut expiries = Vec::new();
    for x in 9_600..9_660u64 {
        caches.spread(x);
        let entry = advanced_caching::storage::Storage::get_entry_blocking(
            storage.as_ref(),
            &format!("spread:{x}"),
            &ty,
        )
        .unwrap()
        .unwrap();
        expiries.push(entry.fresh_until.unwrap());
    }
    let (min, max) = (
        *expiries.iter().min().unwrap(),
        *expiries.iter().max().unwrap(),
    );
    eprintln!("60 entries written at t=0 expire between {min} ms and {max} ms");
    assert!(
        min >= 80_000 && max <= 100_000,
        "within ttl × (1 − 20 %) .. ttl: {min}..{max}"
    );
    assert!(
        max - min >= 10_000,
        "spread over the jitter window: {min}..{max}"
    );
}

#![allow(clippy::unwrap_used)] // a test fails loudly on an unexpected error
#![allow(missing_docs)]
//! Chain and hybrid semantics (DESIGN §3) on in-memory levels and an outage-injecting level.

mod common;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use advanced_caching::{
    clock::{Clock, ManualClock},
    storage::{
        CacheEntry, ChainLevel, ChainStorage, MemoryStorage, SerdeValue, Storage, StorageExt,
    },
    strategy::CacheBuilder,
};
use common::Outage;

fn memory(clock: &ManualClock) -> Arc<MemoryStorage> {
    Arc::new(MemoryStorage::with_clock(100, Arc::new(clock.clone())))
}

#[test]
fn writes_go_through_every_level_with_its_cap() {
    let clock = ManualClock::new(1_000_000);
    let (fast, slow) = (memory(&clock), memory(&clock));
    let chain = ChainStorage::new(vec![
        ChainLevel::new(fast.clone()).ttl_cap(Duration::from_secs(10)),
        ChainLevel::new(slow.clone()),
    ]);
    chain
        .set_blocking_typed("k", &1u32, Some(Duration::from_secs(60)))
        .unwrap();
    let ty = SerdeValue::<u32>::new();
    let f = fast.get_entry_blocking("k", &ty).unwrap().unwrap();
    let s = slow.get_entry_blocking("k", &ty).unwrap().unwrap();
    assert_eq!(f.stale_until, Some(1_010_000), "capped at 10 s");
    assert_eq!(
        s.stale_until,
        Some(1_060_000),
        "uncapped: the entry's own ttl"
    );
    // After the cap the fast copy is gone; the chain still answers from the slow level and
    // promotes again with a fresh cap.
    clock.advance(Duration::from_secs(11));
    assert!(!fast.blocking().exists("k").unwrap());
    assert_eq!(chain.get_blocking_typed::<u32>("k").unwrap(), Some(1));
    let again = fast.get_entry_blocking("k", &ty).unwrap().unwrap();
    assert_eq!(again.stale_until, Some(1_021_000));
    assert_eq!(again.fresh_until, Some(1_021_000));
}

#[test]
fn a_capped_copy_never_outlives_the_entry() {
    let clock = ManualClock::new(0);
    let fast = memory(&clock);
    let chain = ChainStorage::new(vec![
        ChainLevel::new(fast.clone()).ttl_cap(Duration::from_secs(60)),
    ]);
    chain
        .set_blocking_typed("k", &1u8, Some(Duration::from_secs(5)))
        .unwrap();
    clock.advance(Duration::from_secs(5));
    assert_eq!(chain.get_blocking_typed::<u8>("k").unwrap(), None);
}

#[test]
fn hybrid_defaults_l2_to_twice_l1() {
    let clock = ManualClock::new(0);
    let (l1, l2) = (memory(&clock), memory(&clock));
    let hybrid = ChainStorage::hybrid(l1.clone(), l2.clone(), Duration::from_secs(30), None);
    hybrid
        .set_blocking_typed("k", &"v".to_string(), None)
        .unwrap();
    let ty = SerdeValue::<String>::new();
    assert_eq!(
        l1.get_entry_blocking("k", &ty)
            .unwrap()
            .unwrap()
            .stale_until,
        Some(30_000)
    );
    assert_eq!(
        l2.get_entry_blocking("k", &ty)
            .unwrap()
            .unwrap()
            .stale_until,
        Some(60_000)
    );
    l1.clear();
    assert_eq!(
        hybrid.get_blocking_typed::<String>("k").unwrap().as_deref(),
        Some("v")
    );
    assert!(
        l1.blocking().exists("k").unwrap(),
        "an L1 miss + L2 hit repopulates L1"
    );
}

#[tokio::test]
async fn a_failing_level_is_skipped_on_read_and_reported_on_write() {
    let clock = ManualClock::new(0);
    let (fast, deep) = (memory(&clock), memory(&clock));
    let broken = Arc::new(Outage::new(&clock));
    let chain = ChainStorage::new(vec![
        ChainLevel::new(fast.clone()),
        ChainLevel::new(broken.clone()),
        ChainLevel::new(deep.clone()),
    ]);
    deep.set_typed("k", &5u64, None).await.unwrap();
    broken.reads_fail.store(true, Ordering::SeqCst);
    broken.writes_fail.store(true, Ordering::SeqCst);
    assert_eq!(
        chain.get_typed::<u64>("k").await.unwrap(),
        Some(5),
        "served from below"
    );
    assert!(
        fast.blocking().exists("k").unwrap(),
        "promoted past the broken level"
    );
    let err = chain.set_typed("w", &6u64, None).await.unwrap_err();
    assert!(err.to_string().contains("connection refused"), "{err}");
    assert!(fast.blocking().exists("w").unwrap() && deep.blocking().exists("w").unwrap());
    // A miss everywhere with a broken level is an error (a cache counts it and loads).
    assert!(chain.get_typed::<u64>("nothing").await.is_err());
}

#[test]
fn set_if_not_exists_is_decided_by_the_deepest_level_and_backfilled() {
    let clock = ManualClock::new(0);
    let (fast, deep) = (memory(&clock), memory(&clock));
    let chain = ChainStorage::new(vec![
        ChainLevel::new(fast.clone()),
        ChainLevel::new(deep.clone()),
    ]);
    let ty = SerdeValue::<u8>::new();
    let entry = |v: u8| {
        CacheEntry::new(
            Arc::new(v) as advanced_caching::storage::AnyValue,
            0,
            None,
            None,
        )
    };
    // A stale copy in the fast level does not decide: the deep level is empty, so this wins.
    fast.set_blocking_typed("k", &9u8, None).unwrap();
    assert!(
        chain
            .blocking()
            .set_if_not_exists("k", entry(1), &ty)
            .unwrap()
    );
    assert_eq!(
        fast.get_blocking_typed::<u8>("k").unwrap(),
        Some(1),
        "backfilled"
    );
    assert!(
        !chain
            .blocking()
            .set_if_not_exists("k", entry(2), &ty)
            .unwrap()
    );
    assert_eq!(deep.get_blocking_typed::<u8>("k").unwrap(), Some(1));
}

#[tokio::test]
async fn a_cache_on_a_chain_hits_the_fast_level_without_touching_the_others() {
    let clock = ManualClock::new(0);
    let fast = memory(&clock);
    let broken = Arc::new(Outage::new(&clock));
    let chain = Arc::new(ChainStorage::new(vec![
        ChainLevel::new(fast.clone()),
        ChainLevel::new(broken.clone()),
    ]));
    let cache = CacheBuilder::<u64, ()>::new("c")
        .storage(chain)
        .clock(Arc::new(clock.clone()))
        .ttl(Some(Duration::from_secs(60)))
        .serde()
        .build_ttl();
    assert_eq!(cache.get_or_load("k", || async { Ok(1) }).await, Ok(1));
    broken.reads_fail.store(true, Ordering::SeqCst);
    assert_eq!(cache.get_or_load("k", || async { Ok(2) }).await, Ok(1));
    assert_eq!(
        broken.failures.load(Ordering::SeqCst),
        0,
        "an L1 hit never asks L2"
    );
}

#[test]
fn the_fast_read_answers_only_live_l1_hits() {
    let clock = ManualClock::new(1_000_000);
    let (fast, slow) = (memory(&clock), memory(&clock));
    let chain = ChainStorage::hybrid(fast.clone(), slow.clone(), Duration::from_secs(10), None);
    let ty = SerdeValue::<u8>::new();
    let now = clock.now_millis();
    assert!(
        chain.get_entry_now("k", &ty, now).is_none(),
        "a miss asks the slow path"
    );
    chain
        .set_blocking_typed("k", &7u8, Some(Duration::from_secs(60)))
        .unwrap();
    let hit = chain
        .get_entry_now("k", &ty, now)
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(hit.value.downcast_ref::<u8>(), Some(&7));
    // Past the L1 cap the copy is gone from L1: the fast read defers to the levels below.
    assert!(chain.get_entry_now("k", &ty, now + 11_000).is_none());
    clock.advance(Duration::from_secs(11));
    assert_eq!(chain.get_blocking_typed::<u8>("k").unwrap(), Some(7));
}

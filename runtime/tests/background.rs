#![allow(clippy::unwrap_used)] // a test fails loudly on an unexpected error
#![allow(missing_docs)]
//! Background loaders, readers and the scheduler (DESIGN §3, BG).

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use advanced_caching::storage::StorageExt as _;
use advanced_caching::{
    CacheError,
    storage::SerdeValue,
    strategy::{BackgroundLoaderBuilder, ReaderBuilder, Scheduler},
};
use common::{clock_and_memory, eventually};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_second_run_keeps_the_first_value_and_calls_on_error_once() {
    let (clock, storage) = clock_and_memory(100);
    let runs = Arc::new(AtomicUsize::new(0));
    let hook_calls = Arc::new(AtomicUsize::new(0));
    let (r, h) = (runs.clone(), hook_calls.clone());
    let loader = BackgroundLoaderBuilder::<u64, String>::new("inv")
        .storage(storage)
        .clock(Arc::new(clock))
        .interval(Some(Duration::from_secs(60)))
        .on_error(move |_e| {
            h.fetch_add(1, Ordering::SeqCst);
        })
        .build_async(move || {
            let n = r.fetch_add(1, Ordering::SeqCst);
            async move {
                if n == 0 {
                    Ok(100)
                } else {
                    Err(format!("run {n} failed"))
                }
            }
        })
        .unwrap();
    assert_eq!(loader.refresh_now().await, Ok(100));
    assert_eq!(loader.refresh_now().await, Err("run 1 failed".to_string()));
    assert_eq!(loader.get().await, Ok(100));
    assert_eq!(hook_calls.load(Ordering::SeqCst), 1);
    let s = loader.stats();
    assert_eq!((s.errors, s.refreshes), (1, 1));
}

#[tokio::test]
async fn a_second_writer_for_the_same_key_is_an_error() {
    let (_clock, storage) = clock_and_memory(100);
    let first = BackgroundLoaderBuilder::<u64, ()>::new("w")
        .storage(storage.clone())
        .build_async(|| async { Ok(1) })
        .unwrap();
    let second = BackgroundLoaderBuilder::<u64, ()>::new("w")
        .storage(storage.clone())
        .build_async(|| async { Ok(2) });
    assert!(matches!(second, Err(CacheError::DuplicateWriter { ref key }) if key == "w"));
    // Another key, or another storage, is fine.
    assert!(
        BackgroundLoaderBuilder::<u64, ()>::new("w2")
            .storage(storage.clone())
            .build_async(|| async { Ok(2) })
            .is_ok()
    );
    drop(first);
    assert!(
        BackgroundLoaderBuilder::<u64, ()>::new("w")
            .storage(storage)
            .build_async(|| async { Ok(2) })
            .is_ok()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_immediately_loads_at_start_and_the_schedule_reloads() {
    let runs = Arc::new(AtomicUsize::new(0));
    let r = runs.clone();
    let loader = BackgroundLoaderBuilder::<usize, ()>::new("tick")
        .interval(Some(Duration::from_millis(10)))
        .run_immediately(true)
        .build_async(move || {
            let n = r.fetch_add(1, Ordering::SeqCst);
            async move { Ok(n) }
        })
        .unwrap();
    loader.start().unwrap();
    loader.start().unwrap(); // idempotent
    assert!(eventually(|| runs.load(Ordering::SeqCst) >= 3).await);
    loader.stop().await;
    let after_stop = runs.load(Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(40)).await;
    assert_eq!(
        runs.load(Ordering::SeqCst),
        after_stop,
        "no runs after stop"
    );
    assert!(loader.get().await.unwrap() >= 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_slower_than_its_interval_never_overlaps() {
    let active = Arc::new(AtomicUsize::new(0));
    let max_active = Arc::new(AtomicUsize::new(0));
    let runs = Arc::new(AtomicUsize::new(0));
    let (a, m, r) = (active.clone(), max_active.clone(), runs.clone());
    let loader = BackgroundLoaderBuilder::<u64, ()>::new("slow")
        .interval(Some(Duration::from_millis(2)))
        .run_immediately(true)
        .build_async(move || {
            let (a, m, r) = (a.clone(), m.clone(), r.clone());
            async move {
                let now = a.fetch_add(1, Ordering::SeqCst) + 1;
                m.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(15)).await;
                a.fetch_sub(1, Ordering::SeqCst);
                r.fetch_add(1, Ordering::SeqCst);
                Ok(1)
            }
        })
        .unwrap();
    loader.start().unwrap();
    assert!(eventually(|| runs.load(Ordering::SeqCst) >= 3).await);
    loader.stop().await;
    assert_eq!(max_active.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scheduler_survives_a_panicking_job() {
    let runs = Arc::new(AtomicUsize::new(0));
    let r = runs.clone();
    let scheduler = Scheduler::new();
    scheduler
        .every("panicky", Duration::from_millis(5), true, move || {
            let n = r.fetch_add(1, Ordering::SeqCst);
            async move {
                if n == 0 {
                    panic!("first run panics");
                }
            }
        })
        .unwrap();
    assert!(eventually(|| runs.load(Ordering::SeqCst) >= 3).await);
    scheduler.shutdown().await;
    assert!(scheduler.is_shut_down());
}

#[tokio::test]
async fn no_interval_means_no_schedule_but_a_load_on_miss() {
    let runs = Arc::new(AtomicUsize::new(0));
    let r = runs.clone();
    let loader = BackgroundLoaderBuilder::<u64, ()>::new("lazy")
        .interval(Some(Duration::ZERO))
        .build_async(move || {
            r.fetch_add(1, Ordering::SeqCst);
            async { Ok(5) }
        })
        .unwrap();
    loader.start().unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(runs.load(Ordering::SeqCst), 0);
    assert_eq!(loader.get().await, Ok(5));
    assert_eq!(loader.get().await, Ok(5));
    assert_eq!(runs.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn ttl_defaults_to_twice_the_interval() {
    let (clock, storage) = clock_and_memory(100);
    let loader = BackgroundLoaderBuilder::<u64, ()>::new("ttl2")
        .storage(storage.clone())
        .clock(Arc::new(clock.clone()))
        .interval(Some(Duration::from_secs(30)))
        .build_async(|| async { Ok(1) })
        .unwrap();
    loader.refresh_now().await.unwrap();
    let entry = storage
        .get_entry_blocking("ttl2", &SerdeValue::<u64>::new())
        .unwrap()
        .unwrap();
    assert_eq!(entry.fresh_until.unwrap() - entry.created_at, 60_000);
}

#[test]
fn blocking_loader_outside_any_runtime() {
    let loader = BackgroundLoaderBuilder::<u64, ()>::new("sync")
        .interval(Some(Duration::from_secs(60)))
        .build_blocking(|| Ok(3))
        .unwrap();
    assert_eq!(loader.get_blocking(), Ok(3));
    assert_eq!(loader.get_blocking(), Ok(3));
    assert_eq!(loader.stats().loads, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reader_pulls_the_writers_value_on_its_interval() {
    let (_clock, shared) = clock_and_memory(100);
    let version = Arc::new(AtomicUsize::new(1));
    let v = version.clone();
    let writer = BackgroundLoaderBuilder::<usize, ()>::new("catalog")
        .storage(shared.clone())
        .interval(Some(Duration::from_secs(3600)))
        .build_async(move || {
            let n = v.load(Ordering::SeqCst);
            async move { Ok(n) }
        })
        .unwrap();
    writer.refresh_now().await.unwrap();
    let reader = ReaderBuilder::<usize, ()>::new("catalog_local", shared.clone(), "catalog")
        .interval(Some(Duration::from_millis(10)))
        .ttl(Some(Duration::from_secs(60)))
        .build();
    assert_eq!(reader.get().await, Some(1));
    version.store(2, Ordering::SeqCst);
    writer.refresh_now().await.unwrap();
    assert!(eventually(|| advanced_caching::wait(reader.get()) == Some(2)).await);
    reader.stop().await;
}

#[tokio::test]
async fn reader_without_a_source_value_falls_back_to_its_loader() {
    let (_clock, shared) = clock_and_memory(100);
    let reader = ReaderBuilder::<u64, ()>::new("empty_local", shared.clone(), "nothing").build();
    assert_eq!(reader.get().await, None);
    assert_eq!(reader.get_or_load(|| async { Ok(8) }).await, Ok(8));
    assert_eq!(reader.get().await, Some(8));
    assert!(
        !shared.blocking().exists("nothing").unwrap(),
        "the source is never written"
    );
}

/// A loader whose schedule runs every 10 ms, counting its runs.
fn counting_loader(
    name: &str,
) -> (
    Arc<AtomicUsize>,
    advanced_caching::strategy::BackgroundLoader<u64, std::convert::Infallible>,
) {
    let runs = Arc::new(AtomicUsize::new(0));
    let r = runs.clone();
    let loader = BackgroundLoaderBuilder::<u64, std::convert::Infallible>::new(name)
        .interval(Some(Duration::from_millis(10)))
        .run_immediately(true)
        .build_async(move || {
            let n = r.fetch_add(1, Ordering::SeqCst);
            async move { Ok(n as u64) }
        })
        .unwrap();
    (runs, loader)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_a_loader_stops_its_schedule() {
    let (runs, loader) = counting_loader("dropped");
    loader.start().unwrap();
    assert!(eventually(|| runs.load(Ordering::SeqCst) >= 3).await);
    drop(loader);
    // A run in flight may finish; none starts after it.
    tokio::time::sleep(Duration::from_millis(30)).await;
    let after_drop = runs.load(Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(
        runs.load(Ordering::SeqCst),
        after_drop,
        "no run after the drop"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopping_a_loader_stops_its_schedule() {
    let (runs, loader) = counting_loader("stopped");
    loader.start().unwrap();
    assert!(eventually(|| runs.load(Ordering::SeqCst) >= 3).await);
    loader.stop().await;
    let after_stop = runs.load(Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(runs.load(Ordering::SeqCst), after_stop, "no run after stop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_start_up_run_and_a_first_callers_miss_are_one_load() {
    let runs = Arc::new(AtomicUsize::new(0));
    let r = runs.clone();
    let loader = BackgroundLoaderBuilder::<u64, std::convert::Infallible>::new("raced")
        .interval(Some(Duration::from_secs(3_600)))
        .run_immediately(true)
        .build_async(move || {
            let r = r.clone();
            async move {
                r.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(100)).await;
                Ok(7)
            }
        })
        .unwrap();
    // `get` starts the schedule (its run at once) and misses: both want the value now.
    let callers: Vec<_> = (0..4)
        .map(|_| {
            let loader = loader.clone();
            tokio::spawn(async move { loader.get().await })
        })
        .collect();
    for caller in callers {
        assert_eq!(caller.await.unwrap(), Ok(7));
    }
    assert_eq!(
        runs.load(Ordering::SeqCst),
        1,
        "one load for the start-up run and the callers"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readers_never_load_and_two_readers_see_one_value_or_none() {
    let (clock, source) = clock_and_memory(100);
    let reader = |name: &str| {
        ReaderBuilder::<u64, std::convert::Infallible>::new(name, source.clone(), "value")
            .clock(Arc::new(clock.clone()))
            .interval(Some(Duration::from_secs(60)))
            .build()
    };
    let (a, b) = (reader("a"), reader("b"));
    assert_eq!(
        (a.get().await, b.get().await),
        (None, None),
        "nothing written yet"
    );
    let writer = BackgroundLoaderBuilder::<u64, std::convert::Infallible>::new("value")
        .storage(source.clone())
        .clock(Arc::new(clock.clone()))
        .build_async(|| async { Ok(42) })
        .unwrap();
    assert_eq!(writer.refresh_now().await, Ok(42));
    assert_eq!((a.get().await, b.get().await), (Some(42), Some(42)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_start_up_run_over_a_fresh_stored_value_is_skipped() {
    let (clock, storage) = clock_and_memory(100);
    let runs = Arc::new(AtomicUsize::new(0));
    let build = || {
        let r = runs.clone();
        BackgroundLoaderBuilder::<u64, std::convert::Infallible>::new("shared")
            .storage(storage.clone())
            .clock(Arc::new(clock.clone()))
            .interval(Some(Duration::from_secs(10)))
            .run_immediately(true)
            .build_async(move || {
                let n = r.fetch_add(1, Ordering::SeqCst);
                async move { Ok(n as u64) }
            })
            .unwrap()
    };
    let first = build();
    first.start().unwrap();
    assert!(eventually(|| runs.load(Ordering::SeqCst) == 1).await);
    drop(first);
    // Another writer (a restarted process) starts 6 s later: the first one's lease (5 s) has
    // lapsed, its value (20 s) is fresh.
    clock.advance(Duration::from_secs(6));
    let second = build();
    second.start().unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(
        runs.load(Ordering::SeqCst),
        1,
        "no start-up load over a fresh value"
    );
    assert_eq!(second.get().await, Ok(0), "the stored value is served");
    assert_eq!(runs.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_loader_and_a_reader_run_on_a_manual_clock() {
    let (clock, storage) = clock_and_memory(100);
    let shared: advanced_caching::clock::SharedClock = Arc::new(clock.clone());
    let runs = Arc::new(AtomicUsize::new(0));
    let r = runs.clone();
    let loader = BackgroundLoaderBuilder::<u64, std::convert::Infallible>::new("hourly")
        .storage(storage.clone())
        .clock(shared.clone())
        .interval(Some(Duration::from_secs(3_600)))
        .run_immediately(true)
        .build_async(move || {
            let n = r.fetch_add(1, Ordering::SeqCst);
            async move { Ok(n as u64) }
        })
        .unwrap();
    let local = Arc::new(advanced_caching::storage::MemoryStorage::with_clock(
        10,
        shared.clone(),
    ));
    let reader = ReaderBuilder::<u64, std::convert::Infallible>::new("copy", storage, "hourly")
        .local(local)
        .clock(shared)
        .interval(Some(Duration::from_secs(1_800)))
        .build();
    loader.start().unwrap();
    reader.start().unwrap();
    assert!(
        eventually(|| runs.load(Ordering::SeqCst) == 1).await,
        "run at start"
    );
    assert_eq!(
        reader.age().await,
        None,
        "the reader pulls after its interval"
    );
    // Half an hour on the test clock: the reader pulls; the loader waits.
    clock.advance(Duration::from_secs(1_800));
    let mut pulled = false;
    for _ in 0..2_000 {
        if reader.age().await.is_some() {
            pulled = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    assert!(
        pulled,
        "the reader pulled when the test clock passed its interval"
    );
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    // An hour: the loader runs again, and again after the next hour.
    clock.advance(Duration::from_secs(1_800));
    assert!(
        eventually(|| runs.load(Ordering::SeqCst) == 2).await,
        "second run"
    );
    clock.advance(Duration::from_secs(3_600));
    assert!(
        eventually(|| runs.load(Ordering::SeqCst) == 3).await,
        "third run"
    );
    assert_eq!(loader.get().await, Ok(2));
}

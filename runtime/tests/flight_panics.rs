//! Single-flight when the leader panics: the waiters elect one new leader, so 16 concurrent
//! callers make at most 2 loader calls in all (sync and async alike).
#![allow(clippy::unwrap_used)] // a test fails loudly on an unexpected error
#![allow(missing_docs)]

use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::Duration;

use advanced_caching::strategy::CacheBuilder;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn waiters_of_a_panicking_async_leader_elect_one_new_leader() {
    let cache = Arc::new(CacheBuilder::<u64, Infallible>::new("panics").build_ttl());
    let calls = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let (cache, calls) = (cache.clone(), calls.clone());
            tokio::spawn(async move {
                cache
                    .get_or_load("k", || async move {
                        let n = calls.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        if n == 0 {
                            panic!("the first leader panics");
                        }
                        Ok(7)
                    })
                    .await
            })
        })
        .collect();
    let mut panicked = 0;
    for task in tasks {
        match task.await {
            Ok(result) => assert_eq!(result, Ok(7)),
            Err(e) if e.is_panic() => panicked += 1,
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(panicked, 1, "only the first leader's caller sees the panic");
    let calls = calls.load(Ordering::SeqCst);
    assert!(calls <= 2, "{calls} loader calls for 16 callers");
}

#[test]
fn waiters_of_a_panicking_sync_leader_elect_one_new_leader() {
    let cache = Arc::new(CacheBuilder::<u64, Infallible>::new("panics_sync").build_ttl());
    let calls = Arc::new(AtomicUsize::new(0));
    let start = Arc::new(Barrier::new(16));
    let threads: Vec<_> = (0..16)
        .map(|_| {
            let (cache, calls, start) = (cache.clone(), calls.clone(), start.clone());
            std::thread::spawn(move || {
                start.wait();
                cache.get_or_load_blocking("k", || {
                    let n = calls.fetch_add(1, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(50));
                    if n == 0 {
                        panic!("the first leader panics");
                    }
                    Ok(7)
                })
            })
        })
        .collect();
    let mut panicked = 0;
    for thread in threads {
        match thread.join() {
            Ok(result) => assert_eq!(result, Ok(7)),
            Err(_) => panicked += 1,
        }
    }
    assert_eq!(panicked, 1);
    let calls = calls.load(Ordering::SeqCst);
    assert!(calls <= 2, "{calls} loader calls for 16 callers");
}

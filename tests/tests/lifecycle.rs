//! A `Caches` that is shut down, or dropped, stops its background loaders, on the test clock.
//! Its own test binary, so the loader's run counter counts only these tests, one at a time.
#![allow(clippy::unwrap_used)] // a test fails loudly on an unexpected error
#![allow(missing_docs)]

use std::sync::Arc;
use std::time::Duration;

use advanced_caching::clock::ManualClock;
use advanced_caching_tests::basic::caches::Caches;
use advanced_caching_tests::fixture::calls;

/// The tests share the loader's counter: one at a time.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn runs_after(clock: &ManualClock, advance: Duration) -> usize {
    let before = calls("load_inventory");
    clock.advance(advance);
    tokio::time::sleep(Duration::from_millis(30)).await;
    calls("load_inventory") - before
}

async fn started() -> (ManualClock, Caches) {
    let clock = ManualClock::new(0);
    let caches = Caches::builder()
        .clock(Arc::new(clock.clone()))
        .build()
        .unwrap();
    let before = calls("load_inventory");
    caches.start().unwrap();
    for _ in 0..2_000 {
        if calls("load_inventory") > before {
            break;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    assert!(calls("load_inventory") > before, "run at start");
    (clock, caches)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_schedule_follows_the_clock_and_stops_at_shutdown() {
    let _serial = SERIAL.lock().await;
    let (clock, caches) = started().await;
    // The inventory reloads every 5 minutes of the test clock.
    assert_eq!(runs_after(&clock, Duration::from_secs(300)).await, 1);
    caches.shutdown().await;
    assert_eq!(
        runs_after(&clock, Duration::from_secs(600)).await,
        0,
        "stopped"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_caches_stops_its_schedules() {
    let _serial = SERIAL.lock().await;
    let (clock, caches) = started().await;
    drop(caches);
    assert_eq!(
        runs_after(&clock, Duration::from_secs(600)).await,
        0,
        "stopped"
    );
}

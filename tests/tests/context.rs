//! The loader context through generated wrappers: supplied once (builder or `caches::init`),
//! shared (never cloned) by sync and async loads, SWR refreshes, background loaders and readers;
//! a call before it is supplied is a typed error, and that error is not cached.
#![allow(clippy::unwrap_used)] // a test fails loudly on an unexpected error
#![allow(missing_docs)]

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use advanced_caching::{CacheError, clock::ManualClock, context::ContextMissing};
use advanced_caching_tests::context_spec::caches::{self, Caches};
use advanced_caching_tests::fixture::ctx::{AppState, CtxError};

fn with_state(greeting: &str) -> (ManualClock, Arc<AppState>, Caches) {
    let clock = ManualClock::new(1_000_000);
    let state = Arc::new(AppState::new(greeting));
    let caches = Caches::builder()
        .clock(Arc::new(clock.clone()))
        .context(state.clone())
        .build()
        .unwrap();
    (clock, state, caches)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_and_sync_loaders_get_the_context() {
    let (_clock, state, caches) = with_state("hello");
    assert_eq!(caches.greet("ann").await.unwrap(), "hello ann#0");
    assert_eq!(caches.greet("ann").await.unwrap(), "hello ann#0", "a hit");
    assert_eq!(caches.greet("bob").await.unwrap(), "hello bob#1");
    assert_eq!(caches.count(7), Ok(2_007));
    assert_eq!(caches.count(7), Ok(2_007), "a hit");
    assert_eq!(state.loads.load(Ordering::SeqCst), 3);
    // The instance holds the one state the caller gave (an Arc), not a copy.
    assert_eq!(Arc::strong_count(&state), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_before_the_context_is_a_typed_error_that_is_not_cached() {
    let clock = ManualClock::new(0);
    let caches = Caches::builder()
        .clock(Arc::new(clock.clone()))
        .build()
        .unwrap();
    match caches.greet("ann").await {
        Err(CtxError::Missing(missing)) => assert_eq!(missing.cache(), "greet"),
        other => panic!("expected a missing context, got {other:?}"),
    }
    assert_eq!(caches.count(1), Err(ContextMissing::new("count")));
    assert!(matches!(caches.settings(), Err(CtxError::Missing(_))));
    caches.set_context(AppState::new("late")).unwrap();
    assert_eq!(caches.greet("ann").await.unwrap(), "late ann#0");
    assert_eq!(caches.count(1), Ok(1_001));
    assert_eq!(caches.settings().unwrap(), "late#2");
    // Set once: the first context stays.
    assert_eq!(
        caches.set_context(AppState::new("again")),
        Err(CacheError::ContextAlreadySet)
    );
    assert_eq!(caches.greet("zed").await.unwrap(), "late zed#3");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_swr_refresh_uses_the_context() {
    let (clock, state, caches) = with_state("hi");
    assert_eq!(caches.quote("a").await.unwrap(), "a@0");
    clock.advance(Duration::from_secs(11));
    // Stale: served at once, refreshed in the background with the context.
    assert_eq!(caches.quote("a").await.unwrap(), "a@0");
    let mut refreshed = String::new();
    for _ in 0..2_000 {
        refreshed = caches.quote("a").await.unwrap();
        if refreshed == "a@1" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    assert_eq!(refreshed, "a@1");
    assert_eq!(state.loads.load(Ordering::SeqCst), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn background_loader_and_reader_use_the_context() {
    let (_clock, state, caches) = with_state("cfg");
    caches.start().unwrap();
    let value = caches.settings().unwrap();
    assert!(value.starts_with("cfg#"), "{value}");
    // The reader pulls the writer's value into its own storage.
    assert_eq!(caches.settings_copy().unwrap(), value);
    assert!(state.loads.load(Ordering::SeqCst) >= 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_never_loads_even_with_a_context() {
    let (_clock, state, caches) = with_state("direct");
    // Nothing written yet (not started): the reader has no value and does not load.
    assert_eq!(caches.settings_copy(), None);
    assert_eq!(state.loads.load(Ordering::SeqCst), 0);
    assert_eq!(caches.settings().unwrap(), "direct#0");
    assert_eq!(caches.settings_copy().as_deref(), Some("direct#0"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_process_wide_instance_takes_its_context_through_init() {
    match caches::greet("early").await {
        Err(CtxError::Missing(_)) => {}
        other => panic!("expected a missing context, got {other:?}"),
    }
    caches::init(AppState::new("global")).unwrap();
    assert_eq!(caches::greet("ann").await.unwrap(), "global ann#0");
    assert_eq!(caches::count(2), Ok(1_002));
    assert_eq!(
        caches::init(AppState::new("twice")),
        Err(CacheError::ContextAlreadySet)
    );
}

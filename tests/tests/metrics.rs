//! Stats through the `metrics` facade (feature `metrics`): the counters a recorder sees move as
//! calls are made, labelled with the function's name in cache.toml, and a breaker reports its
//! state. One test: a snapshot of the debugging recorder drains every counter.
#![allow(clippy::unwrap_used)] // a test fails loudly
#![allow(missing_docs)]

use std::sync::Arc;

use advanced_caching::clock::ManualClock;
use advanced_caching_tests::basic::caches::Caches;
use std::sync::OnceLock;

use advanced_caching::storage::{BreakerSettings, CircuitBreaker};
use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};

/// The recorder of this test binary (a process has one), installed by the first test to ask.
fn snapshotter() -> &'static Snapshotter {
    static SNAPSHOTTER: OnceLock<Snapshotter> = OnceLock::new();
    SNAPSHOTTER.get_or_init(|| {
        let recorder = DebuggingRecorder::new();
        let snapshotter = recorder.snapshotter();
        recorder.install().unwrap();
        snapshotter
    })
}

/// Every metric now, as (name, its `storage` or `function` label, value); draining counters.
fn snapshot() -> Vec<(String, String, DebugValue)> {
    snapshotter()
        .snapshot()
        .into_vec()
        .into_iter()
        .map(|(key, _, _, v)| {
            let key = key.key();
            let label = key
                .labels()
                .find(|l| l.key() == "storage" || l.key() == "function")
                .map(|l| l.value().to_owned())
                .unwrap_or_default();
            (key.name().to_owned(), label, v)
        })
        .collect()
}

fn find<'a>(
    metrics: &'a [(String, String, DebugValue)],
    name: &str,
    label: &str,
) -> Option<&'a DebugValue> {
    metrics
        .iter()
        .find(|(n, l, _)| n == name && l == label)
        .map(|(_, _, v)| v)
}

#[test]
fn counters_move_as_calls_are_made() {
    // The recorder first: what is emitted before it is installed goes nowhere.
    let _ = snapshotter();
    let caches = Caches::builder()
        .clock(Arc::new(ManualClock::new(1_000_000)))
        .build()
        .unwrap();
    let first = caches.describe("metrics", 1);
    assert_eq!(caches.describe("metrics", 1), first);
    assert_eq!(caches.describe("metrics", 1), first);
    let values = snapshot();
    let counter = |name: &str| find(&values, name, "describe");
    assert_eq!(
        counter("advanced_caching_hits_total"),
        Some(&DebugValue::Counter(2))
    );
    assert_eq!(
        counter("advanced_caching_misses_total"),
        Some(&DebugValue::Counter(1))
    );
    match counter("advanced_caching_load_seconds") {
        Some(DebugValue::Histogram(samples)) => assert_eq!(samples.len(), 1),
        other => panic!("no load histogram: {other:?}"),
    }

    // A breaker reports its state and counts its openings.
    let breaker = CircuitBreaker::new("redis metrics-test", BreakerSettings::default());
    breaker.failed(true);
    let now = snapshot();
    let storage = "redis metrics-test";
    assert_eq!(
        find(&now, "advanced_caching_breaker_openings_total", storage),
        Some(&DebugValue::Counter(1))
    );
    assert_eq!(
        find(&now, "advanced_caching_breaker_open", storage),
        Some(&DebugValue::Gauge(1.0.into()))
    );
}

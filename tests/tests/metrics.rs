//! Stats through the `metrics` facade (feature `metrics`): the counters a recorder sees move as
//! calls are made, labelled with the function's name in cache.toml.
#![allow(clippy::unwrap_used)] // a test fails loudly
#![allow(missing_docs)]

use std::sync::Arc;

use advanced_caching::clock::ManualClock;
use advanced_caching_tests::basic::caches::Caches;
use metrics_util::debugging::{DebugValue, DebuggingRecorder};

#[test]
fn counters_move_as_calls_are_made() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    recorder.install().unwrap();
    let caches = Caches::builder()
        .clock(Arc::new(ManualClock::new(1_000_000)))
        .build()
        .unwrap();
    let first = caches.describe("metrics", 1);
    assert_eq!(caches.describe("metrics", 1), first);
    assert_eq!(caches.describe("metrics", 1), first);
    let values: Vec<(String, String, DebugValue)> = snapshotter
        .snapshot()
        .into_vec()
        .into_iter()
        .map(|(key, _, _, value)| {
            let key = key.key();
            let function = key
                .labels()
                .find(|l| l.key() == "function")
                .map(|l| l.value().to_owned())
                .unwrap_or_default();
            (key.name().to_owned(), function, value)
        })
        .collect();
    let counter = |name: &str| {
        values
            .iter()
            .find(|(n, f, _)| n == name && f == "describe")
            .map(|(_, _, v)| v)
    };
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
}

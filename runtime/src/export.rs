//! The stats of each function, loader and reader exported through the `metrics` facade (feature
//! `metrics`), labelled `function = "<its name in cache.toml>"`: any recorder the program installs
//! (Prometheus, StatsD, …) sees them. Without the feature this is empty and costs nothing.

use std::time::Duration;

/// What is counted.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Event {
    Hit,
    Miss,
    StaleHit,
    Refresh,
    Error,
    StorageError,
    StorageSkip,
    FailSafeHit,
}

/// The metric of each [`Event`], in order, with its help text.
#[cfg(feature = "metrics")]
const COUNTERS: [(&str, &str); 8] = [
    (
        "advanced_caching_hits_total",
        "Calls answered from a fresh value",
    ),
    (
        "advanced_caching_misses_total",
        "Calls that found no usable value",
    ),
    (
        "advanced_caching_stale_hits_total",
        "Calls answered from a stale value (SWR)",
    ),
    (
        "advanced_caching_refreshes_total",
        "Background refreshes that completed",
    ),
    (
        "advanced_caching_load_errors_total",
        "Loader calls that failed",
    ),
    (
        "advanced_caching_storage_errors_total",
        "Storage operations that failed",
    ),
    (
        "advanced_caching_storage_skips_total",
        "Storage operations skipped while the storage was down",
    ),
    (
        "advanced_caching_fail_safe_hits_total",
        "Calls answered from an expired value because the load failed",
    ),
];

#[cfg(feature = "metrics")]
const LOADS: (&str, &str) = ("advanced_caching_load_seconds", "Loader call durations");

/// The metric handles of one function (registered once, so counting is one increment).
#[derive(Debug)]
pub(crate) struct Export {
    #[cfg(feature = "metrics")]
    counters: Vec<metrics::Counter>,
    #[cfg(feature = "metrics")]
    loads: metrics::Histogram,
}

impl Export {
    pub(crate) fn new(function: &str) -> Self {
        #[cfg(feature = "metrics")]
        {
            static DESCRIBED: std::sync::Once = std::sync::Once::new();
            DESCRIBED.call_once(|| {
                for (name, help) in COUNTERS {
                    metrics::describe_counter!(name, help);
                }
                metrics::describe_histogram!(LOADS.0, metrics::Unit::Seconds, LOADS.1);
            });
            let counters = COUNTERS
                .iter()
                .map(|(name, _)| metrics::counter!(*name, "function" => function.to_owned()))
                .collect();
            let loads = metrics::histogram!(LOADS.0, "function" => function.to_owned());
            Self { counters, loads }
        }
        #[cfg(not(feature = "metrics"))]
        {
            let _ = function;
            Self {}
        }
    }

    pub(crate) fn count(&self, event: Event) {
        #[cfg(feature = "metrics")]
        if let Some(counter) = self.counters.get(event as usize) {
            counter.increment(1);
        }
        let _ = event;
    }

    pub(crate) fn load(&self, took: Duration) {
        #[cfg(feature = "metrics")]
        self.loads.record(took.as_secs_f64());
        let _ = took;
    }
}

/// Reports whether the circuit breaker of `storage` is open (1) or closed (0), as the gauge
/// `advanced_caching_breaker_open{storage="…"}`; also counts each opening in
/// `advanced_caching_breaker_openings_total`.
pub(crate) fn breaker(storage: &str, open: bool) {
    #[cfg(feature = "metrics")]
    {
        metrics::gauge!("advanced_caching_breaker_open", "storage" => storage.to_owned())
            .set(if open { 1.0 } else { 0.0 });
        if open {
            metrics::counter!("advanced_caching_breaker_openings_total", "storage" => storage.to_owned())
                .increment(1);
        }
    }
    let _ = (storage, open);
}

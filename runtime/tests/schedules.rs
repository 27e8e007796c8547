//! Randomized-schedule tests of the concurrent core logic with shuttle: the runtime's own
//! single-flight (`src/flight.rs`) and write versions (`src/storage/version.rs`) are compiled here
//! against shuttle's locks (`mod sync` below stands in for `src/sync.rs`), and shuttle's scheduler
//! runs each scenario under 10,000 random and 10,000 PCT schedules (probabilistic concurrency
//! testing: it finds bugs of small depth with a known probability), preempting at every lock.
//!
//! The scenarios compose those pieces the way the caches do (`src/core`): a call reads the
//! storage, misses into a flight whose leader re-reads it, reads the key's version, loads and
//! stores only while the version is unchanged; an insert or invalidation writes under the key's
//! lock (moving its version) and detaches the key's flight; a memo copies the storage's entry
//! under the key's lock. Each schedule records a history — every call's start and the stamp of
//! the load it returned, every write's start and end, on one counter — and checks guarantees
//! (a), (b) and (d) of `docs/design.md` on it. The same scenarios with the detach or the version
//! check left out fail, which shows the schedules reach the races the guarantees close.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails loudly on a broken invariant
#![allow(missing_docs)]

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};

use shuttle::sync::atomic::{AtomicU64, Ordering};
use shuttle::sync::{Arc, Mutex};

/// What `src/sync.rs` gives `flight.rs` and `version.rs`, from shuttle.
mod sync {
    pub(crate) use super::map::{Entry, Map};
    pub(crate) use shuttle::sync::{Arc, Mutex, PoisonError};
}

/// The part of `DashMap`'s API that `flight.rs` uses, over one shuttle mutex (a DashMap shard
/// is a lock too: holding an entry holds it).
mod map {
    use std::collections::HashMap;

    use shuttle::sync::{Mutex, MutexGuard};

    pub(crate) struct Map<K, V>(Mutex<HashMap<K, V>>);

    pub(crate) enum Entry<'a, V> {
        Occupied(Occupied<'a, V>),
        Vacant(Vacant<'a, V>),
    }

    pub(crate) struct Occupied<'a, V> {
        map: MutexGuard<'a, HashMap<String, V>>,
        key: String,
    }

    pub(crate) struct Vacant<'a, V> {
        map: MutexGuard<'a, HashMap<String, V>>,
        key: String,
    }

    impl<V> Occupied<'_, V> {
        pub(crate) fn get(&self) -> &V {
            self.map
                .get(&self.key)
                .expect("an occupied entry's key is in the map")
        }
    }

    impl<V> Vacant<'_, V> {
        pub(crate) fn insert(mut self, value: V) {
            self.map.insert(self.key, value);
        }
    }

    impl<V> Map<String, V> {
        pub(crate) fn new() -> Self {
            Self(Mutex::new(HashMap::new()))
        }
        pub(crate) fn entry(&self, key: String) -> Entry<'_, V> {
            let map = self.0.lock().unwrap();
            if map.contains_key(&key) {
                Entry::Occupied(Occupied { map, key })
            } else {
                Entry::Vacant(Vacant { map, key })
            }
        }
        pub(crate) fn remove(&self, key: &str) {
            self.0.lock().unwrap().remove(key);
        }
        pub(crate) fn remove_if(&self, key: &str, f: impl FnOnce(&String, &V) -> bool) {
            let mut map = self.0.lock().unwrap();
            if map.get_key_value(key).is_some_and(|(k, v)| f(k, v)) {
                map.remove(key);
            }
        }
    }
}

#[allow(dead_code, unreachable_pub)]
#[path = "../src/strategy/flight.rs"]
mod flight;

#[allow(dead_code, unreachable_pub)]
#[path = "../src/storage/version.rs"]
mod version;

use flight::{Flights, Outcome};
use version::Versions;

const ITERATIONS: usize = 10_000;
const KEY: &str = "k";

/// Runs `scenario` under 10,000 random and 10,000 PCT schedules.
fn explore(scenario: fn()) {
    shuttle::check_random(scenario, ITERATIONS);
    shuttle::check_pct(scenario, ITERATIONS, 3);
}

/// Which safeguard a scenario's cache leaves out (to show the schedules catch its absence).
#[derive(Clone, Copy, PartialEq)]
enum Without {
    Nothing,
    Detach,
    VersionCheck,
}

/// One event counter per schedule: call starts, write starts and ends, load stamps.
struct Clock(AtomicU64);

impl Clock {
    fn next(&self) -> u64 {
        self.0.fetch_add(1, Ordering::SeqCst) + 1
    }
}

/// A cache composed of the runtime's flights and versions as `src/core` composes them, over a
/// map standing for the memory storage (reads do not take the key's lock, as quick_cache's
/// don't) and a memo.
struct Cache {
    entries: Mutex<HashMap<String, u64>>,
    memo: Mutex<HashMap<String, u64>>,
    versions: Versions,
    flights: Flights<u64, ()>,
    clock: Clock,
    loads: AtomicU64,
    without: Without,
}

impl Cache {
    fn new(without: Without) -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
            memo: Mutex::new(HashMap::new()),
            // Few stripes: each is a shuttle lock, and one key uses one.
            versions: Versions::striped(4),
            flights: Flights::new(),
            clock: Clock(AtomicU64::new(0)),
            loads: AtomicU64::new(0),
            without,
        }
    }

    fn stored(&self) -> Option<u64> {
        self.entries.lock().unwrap().get(KEY).copied()
    }

    /// The memo copies the storage's entry under the key's lock (`CacheCore::memo_fill`).
    fn memo_fill(&self) {
        self.versions.locked(KEY, || {
            let stored = self.stored();
            let mut memo = self.memo.lock().unwrap();
            match stored {
                Some(v) => memo.insert(KEY.to_owned(), v),
                None => memo.remove(KEY),
            };
        });
    }

    /// A call: the memo, the storage, else a single-flight load (`CacheCore::load`).
    fn call(&self) -> u64 {
        if let Some(v) = self.memo.lock().unwrap().get(KEY).copied() {
            return v;
        }
        if let Some(v) = self.stored() {
            return v;
        }
        // A blocking caller, as `wait` drives one: the flight's future polled on this thread.
        let mut work = || async { self.load() };
        let mut value = None;
        for _election in 0..2 {
            match shuttle::future::block_on(self.flights.run(KEY, None, work)) {
                Outcome::Done(result) => {
                    value = Some(result.unwrap());
                    break;
                }
                Outcome::Retry(back) => work = back,
            }
        }
        let value = value.unwrap_or_else(|| shuttle::future::block_on(work()).unwrap());
        self.memo_fill();
        value
    }

    /// A flight's work (`CacheCore::call_and_store`): re-check, ticket, load, store.
    fn load(&self) -> Result<u64, ()> {
        if let Some(v) = self.stored() {
            return Ok(v);
        }
        let ticket = self.versions.current(KEY);
        let stamp = self.clock.next();
        self.loads.fetch_add(1, Ordering::SeqCst);
        let store = || {
            self.entries.lock().unwrap().insert(KEY.to_owned(), stamp);
        };
        if self.without == Without::VersionCheck {
            store();
        } else {
            self.versions.if_unchanged(KEY, ticket, store);
        }
        Ok(stamp)
    }

    /// An insert of `value` (`CacheCore::store`, then the memo).
    fn insert(&self, value: u64) {
        self.versions.write(KEY, || {
            self.entries.lock().unwrap().insert(KEY.to_owned(), value);
        });
        if self.without != Without::Detach {
            self.flights.detach(KEY);
        }
        self.memo_fill();
    }

    /// An invalidation (`CacheCore::invalidate`, then the memo).
    fn invalidate(&self) {
        self.versions.write(KEY, || {
            self.entries.lock().unwrap().remove(KEY);
        });
        if self.without != Without::Detach {
            self.flights.detach(KEY);
        }
        self.memo_fill();
    }
}

/// A write's start and end; a call's start and the stamp it returned.
type Span = (u64, u64);

/// Two callers race a writer that inserts and then invalidates; checks (a), (b) and (d).
fn writes_race_calls(without: Without) {
    let cache = Arc::new(Cache::new(without));
    let writes = Arc::new(Mutex::new(Vec::<Span>::new()));
    let calls = Arc::new(Mutex::new(Vec::<Span>::new()));
    let callers: Vec<_> = (0..2)
        .map(|_| {
            let (cache, calls) = (cache.clone(), calls.clone());
            shuttle::thread::spawn(move || {
                for _ in 0..2 {
                    let start = cache.clock.next();
                    let stamp = cache.call();
                    calls.lock().unwrap().push((start, stamp));
                }
            })
        })
        .collect();
    let writer = {
        let (cache, writes) = (cache.clone(), writes.clone());
        shuttle::thread::spawn(move || {
            let start = cache.clock.next();
            cache.insert(start);
            let end = cache.clock.next();
            writes.lock().unwrap().push((start, end));
            let start = cache.clock.next();
            cache.invalidate();
            let end = cache.clock.next();
            writes.lock().unwrap().push((start, end));
        })
    };
    for caller in callers {
        caller.join().unwrap();
    }
    writer.join().unwrap();
    let writes = writes.lock().unwrap();
    for &(start, stamp) in calls.lock().unwrap().iter() {
        if let Some(&(written, _)) = writes.iter().rev().find(|(_, end)| *end < start) {
            assert!(
                stamp >= written,
                "guarantees (a)/(b): a call that began at {start} returned a value loaded at {stamp}, before the write that began at {written} and ended before the call"
            );
        }
    }
    // (d): with everyone stopped, the memo holds what the storage holds, or nothing.
    let memo = cache.memo.lock().unwrap().get(KEY).copied();
    assert!(
        memo.is_none() || memo == cache.stored(),
        "guarantee (d): the memo answers {memo:?}, the storage holds {:?}",
        cache.stored()
    );
}

#[test]
fn guarantee_a_b_d_under_random_schedules_of_flights_versions_and_memo() {
    explore(|| writes_race_calls(Without::Nothing));
}

/// Whether `scenario` fails under some of its random schedules.
fn fails_somewhere(scenario: fn()) -> bool {
    catch_unwind(AssertUnwindSafe(|| explore(scenario))).is_err()
}

#[test]
fn the_schedules_catch_a_caller_joining_a_load_that_began_before_a_write() {
    assert!(fails_somewhere(|| writes_race_calls(Without::Detach)));
}

#[test]
fn the_schedules_catch_a_load_storing_over_a_later_write() {
    assert!(fails_somewhere(|| writes_race_calls(Without::VersionCheck)));
}

/// Three concurrent misses of one key with no writes: one loader call, one value for all.
#[test]
fn concurrent_misses_make_one_loader_call_under_random_schedules() {
    explore(|| {
        let cache = Arc::new(Cache::new(Without::Nothing));
        let callers: Vec<_> = (0..3)
            .map(|_| {
                let cache = cache.clone();
                shuttle::thread::spawn(move || cache.call())
            })
            .collect();
        let values: Vec<u64> = callers.into_iter().map(|c| c.join().unwrap()).collect();
        assert_eq!(cache.loads.load(Ordering::SeqCst), 1, "one loader call");
        assert!(values.windows(2).all(|w| w[0] == w[1]), "{values:?}");
    });
}

/// Async flights on shuttle's executor: concurrent misses share one load; a leader dropped
/// mid-load (cancelled) hands the flight to a waiter.
#[test]
fn async_flights_share_one_load_and_survive_a_cancelled_leader_under_random_schedules() {
    explore(|| {
        let flights = Arc::new(flight::Flights::<u64, ()>::new());
        let loads = Arc::new(AtomicU64::new(0));
        let call = |flights: Arc<flight::Flights<u64, ()>>, loads: Arc<AtomicU64>| async move {
            let mut work = || async {
                let n = loads.fetch_add(1, Ordering::SeqCst) + 1;
                shuttle::future::yield_now().await;
                Ok::<u64, ()>(n)
            };
            for _ in 0..2 {
                match flights.run(KEY, None, work).await {
                    Outcome::Done(r) => return r.unwrap(),
                    Outcome::Retry(back) => work = back,
                }
            }
            work().await.unwrap()
        };
        let cancelled = shuttle::future::spawn(call(flights.clone(), loads.clone()));
        let tasks: Vec<_> = (0..2)
            .map(|_| shuttle::future::spawn(call(flights.clone(), loads.clone())))
            .collect();
        cancelled.abort();
        let values: Vec<u64> = shuttle::future::block_on(async {
            let mut values = Vec::new();
            for task in tasks {
                values.push(task.await.unwrap());
            }
            values
        });
        let loads = loads.load(Ordering::SeqCst);
        assert!((1..=3).contains(&loads), "{loads} loads");
        // No store in front of these flights: a task that arrives after a flight landed starts
        // its own, so values may differ; each is one that some load produced.
        assert!(values.iter().all(|v| (1..=loads).contains(v)), "{values:?}");
    });
}

/// A write moves the key's version: a ticket read before it no longer matches; clearing moves
/// every version.
#[test]
fn a_write_moves_the_version_and_refuses_older_tickets() {
    shuttle::check_random(
        || {
            let versions = Versions::striped(4);
            let seen = versions.current(KEY);
            assert_eq!(versions.if_unchanged(KEY, seen, || 1), Some(1));
            versions.write(KEY, || ());
            assert_eq!(versions.if_unchanged(KEY, seen, || 1), None);
            let now = versions.current(KEY);
            versions.write_all(|| ());
            assert_ne!(versions.current(KEY), now);
        },
        1,
    );
}

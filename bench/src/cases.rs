//! The in-process cases: memory hits, inserts, loads, generated wrappers, SWR, stampedes, scale
//! and memory per entry.

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use advanced_caching::{
    clock::{Clock, ManualClock},
    storage::{AnyEntry, AnyValue, CacheEntry, MemoryStorage, SerdeValue, SharedStorage, Storage},
    strategy::{Args, CacheBuilder},
};
use dashmap::DashMap;
use futures_util::FutureExt as _;
use rand::SeedableRng;
use rand::rngs::SmallRng;
use rand_distr::{Distribution, Uniform, Zipf};

use crate::measure::{Plan, pair, pair_threads};
use crate::{Report, caches};

/// One value per key, its own allocation, as every peer stores it.
pub(crate) type Value = Arc<[u8; 64]>;

const KEYS: usize = 100_000;

/// Key indices in the order a workload asks for them.
pub(crate) struct Workload {
    pub(crate) name: &'static str,
    pub(crate) order: Vec<usize>,
}

pub(crate) fn workloads(keys: usize) -> Vec<Workload> {
    let mut rng = SmallRng::seed_from_u64(7);
    let n = 1 << 16;
    let uniform = Uniform::new(0, keys).map_or_else(
        |_| vec![0; n],
        |d| (0..n).map(|_| d.sample(&mut rng)).collect(),
    );
    let zipf = Zipf::new(keys as f64, 1.0).map_or_else(
        |_| vec![0; n],
        |d| {
            (0..n)
                .map(|_| {
                    (d.sample(&mut rng) as usize)
                        .saturating_sub(1)
                        .min(keys - 1)
                })
                .collect()
        },
    );
    vec![
        Workload {
            name: "uniform",
            order: uniform,
        },
        Workload {
            name: "zipf",
            order: zipf,
        },
    ]
}

fn key_names(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("key:{i}")).collect()
}

fn value(i: usize) -> Value {
    let mut v = [0u8; 64];
    v[0] = i as u8;
    Arc::new(v)
}

fn entry(i: usize) -> AnyEntry {
    CacheEntry::new(
        Arc::new(value(i)) as AnyValue,
        advanced_caching::clock::SystemClock.now_millis(),
        Some(Duration::from_secs(3_600)),
        None,
    )
}

/// The stores every memory case fills with the same keys and values.
pub(crate) struct Filled {
    pub(crate) keys: Vec<String>,
    pub(crate) ours: MemoryStorage,
    dashmap: DashMap<String, Value>,
    moka: moka::sync::Cache<String, Value>,
    quick: quick_cache::sync::Cache<String, Value>,
}

pub(crate) fn filled(n: usize) -> Filled {
    let keys = key_names(n);
    let ours = MemoryStorage::new(n * 2);
    let dashmap = DashMap::new();
    let moka = moka::sync::Cache::new(n as u64 * 2);
    let quick = quick_cache::sync::Cache::new(n * 2);
    let ty = SerdeValue::<Vec<u8>>::new();
    for (i, k) in keys.iter().enumerate() {
        let _ = ours.set_entry(k, entry(i), &ty).now_or_never();
        dashmap.insert(k.clone(), value(i));
        moka.insert(k.clone(), value(i));
        quick.insert(k.clone(), value(i));
    }
    Filled {
        keys,
        ours,
        dashmap,
        moka,
        quick,
    }
}

/// Our memory hit: a clock read, then the entry's value (a pointer clone) after the expiry check.
pub(crate) fn ours_hit(storage: &dyn Storage, key: &str) -> Option<AnyValue> {
    let ty = SerdeValue::<Vec<u8>>::new();
    // The clock read is part of a hit: expiry is judged against it.
    match storage.get_entry_now(key, &ty, storage.now()) {
        Some(Ok(Some(e))) => Some(e.value),
        _ => None,
    }
}

pub(crate) fn mem_hits(plan: Plan, report: &mut Report) {
    let f = filled(KEYS);
    for w in workloads(KEYS) {
        let at = |i: u64| &f.keys[w.order[i as usize % w.order.len()]];
        let ours = |i: u64| {
            black_box(ours_hit(&f.ours, at(i)));
        };
        let case = format!("mem_hit_1t_{}", w.name);
        let (o, p) = pair(plan, ours, |i| {
            black_box(f.dashmap.get(at(i).as_str()).map(|v| v.clone()));
        });
        report.compare(&case, o, "dashmap", p);
        let (o, p) = pair(plan, ours, |i| {
            black_box(f.moka.get(at(i).as_str()));
        });
        report.compare(&case, o, "moka", p);
        let (o, p) = pair(plan, ours, |i| {
            black_box(f.quick.get(at(i).as_str()));
        });
        report.compare(&case, o, "quick_cache", p);

        let case = format!("mem_hit_2t_{}", w.name);
        let at2 = |t: usize, i: u64| &f.keys[w.order[(i as usize * 2 + t * 7919) % w.order.len()]];
        let ours2 = |t: usize, i: u64| {
            black_box(ours_hit(&f.ours, at2(t, i)));
        };
        let (o, p) = pair_threads(plan, 2, ours2, |t, i| {
            black_box(f.dashmap.get(at2(t, i).as_str()).map(|v| v.clone()));
        });
        report.compare(&case, o, "dashmap", p);
        let (o, p) = pair_threads(plan, 2, ours2, |t, i| {
            black_box(f.moka.get(at2(t, i).as_str()));
        });
        report.compare(&case, o, "moka", p);
        let (o, p) = pair_threads(plan, 2, ours2, |t, i| {
            black_box(f.quick.get(at2(t, i).as_str()));
        });
        report.compare(&case, o, "quick_cache", p);
    }
}

#[cached::proc_macro::cached(
    ttl_secs = 3600,
    key = "(u64, String)",
    convert = r#"{ (id, name.to_owned()) }"#
)]
fn cached_lookup(id: u64, name: &str) -> String {
    crate::loaders::lookup(id, name)
}

#[cached::proc_macro::cached(ttl_secs = 3600)]
fn cached_report(id: u64) -> Vec<String> {
    crate::loaders::report(id)
}

pub(crate) fn wrapper_hits(plan: Plan, report: &mut Report) {
    const NAMES: [&str; 4] = ["alpha", "beta", "gamma", "delta"];
    let arg = |i: u64| ((i * 7) % 10_000, NAMES[(i % 4) as usize]);
    for i in 0..40_000 {
        let (id, name) = arg(i);
        caches::lookup(id, name);
        cached_lookup(id, name);
    }
    let ours = |i: u64| {
        let (id, name) = arg(i);
        black_box(caches::lookup(id, name));
    };
    let (o, p) = pair(plan, ours, |i| {
        let (id, name) = arg(i);
        black_box(cached_lookup(id, name));
    });
    report.compare("wrapper_hit", o, "cached", p);
    let f = filled(10_000);
    let (o, p) = pair(plan, ours, |i| {
        black_box(ours_hit(&f.ours, &f.keys[(i % 10_000) as usize]));
    });
    report.compare("wrapper_hit", o, "mem_hit_1t", p);
    let (o, p) = pair(plan, ours, |i| {
        black_box(
            f.dashmap
                .get(f.keys[(i % 10_000) as usize].as_str())
                .map(|v| v.clone()),
        );
    });
    report.compare("wrapper_hit", o, "dashmap", p);

    // A large value (100 rows): ours returns an `Arc` (`arc = true`), `cached` clones the rows.
    for id in 0..1_000 {
        caches::report(id);
        cached_report(id);
    }
    let (o, p) = pair(
        plan,
        |i| {
            black_box(caches::report(i % 1_000));
        },
        |i| {
            black_box(cached_report(i % 1_000));
        },
    );
    report.compare("wrapper_hit_arc", o, "cached", p);
}

/// A background loader's value against the floor: one `arc_swap` load and a clone of the value.
pub(crate) fn background_hits(plan: Plan, report: &mut Report) {
    let _ = black_box(caches::settings());
    let swap = arc_swap::ArcSwap::from_pointee(crate::loaders::settings());
    let (o, p) = pair(
        plan,
        |_| {
            let _ = black_box(caches::settings());
        },
        |_| {
            black_box(String::clone(&swap.load()));
        },
    );
    report.compare("bg_hit", o, "arc_swap", p);
}

pub(crate) fn inserts_and_loads(plan: Plan, report: &mut Report) {
    let keys = key_names(KEYS);
    let ours = MemoryStorage::new(KEYS * 2);
    let moka: moka::sync::Cache<String, Value> = moka::sync::Cache::new(KEYS as u64 * 2);
    let quick: quick_cache::sync::Cache<String, Value> = quick_cache::sync::Cache::new(KEYS * 2);
    let dashmap: DashMap<String, Value> = DashMap::new();
    let ty = SerdeValue::<Vec<u8>>::new();
    let at = |i: u64| (i as usize % KEYS, &keys[i as usize % KEYS]);
    let ours_insert = |i: u64| {
        let (n, k) = at(i);
        let _ = black_box(ours.set_entry(k, entry(n), &ty).now_or_never());
    };
    let (o, p) = pair(plan, ours_insert, |i| {
        let (n, k) = at(i);
        dashmap.insert(k.clone(), value(n));
    });
    report.compare("mem_insert", o, "dashmap", p);
    let (o, p) = pair(plan, ours_insert, |i| {
        let (n, k) = at(i);
        moka.insert(k.clone(), value(n));
    });
    report.compare("mem_insert", o, "moka", p);
    let (o, p) = pair(plan, ours_insert, |i| {
        let (n, k) = at(i);
        quick.insert(k.clone(), value(n));
    });
    report.compare("mem_insert", o, "quick_cache", p);

    // A miss that loads and stores: every key is new.
    let cache = CacheBuilder::<Value, ()>::new("miss")
        .storage(Arc::new(MemoryStorage::new(KEYS)))
        .ttl(Some(Duration::from_secs(3_600)))
        .build_ttl();
    let moka_load: moka::sync::Cache<String, Value> = moka::sync::Cache::new(KEYS as u64);
    let next = AtomicU64::new(0);
    let fresh_key = || format!("new:{}", next.fetch_add(1, Ordering::Relaxed));
    let (o, p) = pair(
        plan,
        |i| {
            let _ = black_box(cache.get_or_load_blocking(&fresh_key(), || Ok(value(i as usize))));
        },
        |i| {
            black_box(moka_load.get_with(fresh_key(), || value(i as usize)));
        },
    );
    report.compare("mem_miss_load", o, "moka", p);
}

pub(crate) fn swr_stale_hits(plan: Plan, report: &mut Report) {
    let clock = ManualClock::new(1_000_000);
    let storage: SharedStorage =
        Arc::new(MemoryStorage::with_clock(10_000, Arc::new(clock.clone())));
    let swr = Arc::new(
        CacheBuilder::<Value, ()>::new("swr")
            .storage(storage.clone())
            .clock(Arc::new(clock.clone()))
            .ttl(Some(Duration::from_secs(1)))
            .stale_ttl(Duration::from_secs(3_600))
            .build_swr(),
    );
    let ttl = CacheBuilder::<Value, ()>::new("ttl")
        .storage(storage)
        .clock(Arc::new(clock.clone()))
        .ttl(Some(Duration::from_secs(7_200)))
        .build_ttl();
    let keys = key_names(1_000);
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(_) => return,
    };
    rt.block_on(async {
        for (i, k) in keys.iter().enumerate() {
            let _ = swr
                .get_or_load(&format!("s{k}"), move || async move { Ok(value(i)) })
                .await;
            let _ = ttl.get_or_load(k, || async move { Ok(value(i)) }).await;
        }
        // Every SWR entry goes stale; each key's refresh never finishes, so every read below is a
        // stale hit that finds its refresh already running.
        clock.advance(Duration::from_secs(2));
        for k in &keys {
            let _ = swr
                .get_or_load(&format!("s{k}"), || {
                    std::future::pending::<Result<Value, ()>>()
                })
                .await;
        }
    });
    let stale_keys: Vec<String> = keys.iter().map(|k| format!("s{k}")).collect();
    let (o, p) = pair(
        plan,
        |i| {
            let k = &stale_keys[i as usize % stale_keys.len()];
            black_box(swr.get_or_load_blocking(k, || Ok(value(0))).ok());
        },
        |i| {
            let k = &keys[i as usize % keys.len()];
            black_box(ttl.get_or_load_blocking(k, || Ok(value(0))).ok());
        },
    );
    let stats = swr.stats();
    report.compare("swr_stale_hit", o, "mem_hit_1t", p);
    report.note(format!(
        "swr_stale_hit stale_hits={} refreshes_started_by_reads={}",
        stats.stale_hits, stats.refreshes
    ));
}

pub(crate) fn stampede(plan: Plan, report: &mut Report) {
    let rounds = plan.rounds.max(3);
    let (mut ours_ns, mut moka_ns) = (Vec::new(), Vec::new());
    let (ours_calls, moka_calls) = (AtomicUsize::new(0), AtomicUsize::new(0));
    for round in 0..rounds {
        let cache = CacheBuilder::<Value, ()>::new("stampede")
            .storage(Arc::new(MemoryStorage::new(10)))
            .ttl(Some(Duration::from_secs(60)))
            .build_ttl();
        let moka: moka::sync::Cache<String, Value> = moka::sync::Cache::new(10);
        let key = format!("hot:{round}");
        let barrier = Barrier::new(64);
        let start = Instant::now();
        std::thread::scope(|s| {
            for _ in 0..64 {
                s.spawn(|| {
                    barrier.wait();
                    let _ = cache.get_or_load_blocking(&key, || {
                        ours_calls.fetch_add(1, Ordering::SeqCst);
                        std::thread::sleep(Duration::from_millis(1));
                        Ok(value(1))
                    });
                });
            }
        });
        ours_ns.push(start.elapsed().as_nanos() as f64);
        let barrier = Barrier::new(64);
        let start = Instant::now();
        std::thread::scope(|s| {
            for _ in 0..64 {
                s.spawn(|| {
                    barrier.wait();
                    moka.get_with(key.clone(), || {
                        moka_calls.fetch_add(1, Ordering::SeqCst);
                        std::thread::sleep(Duration::from_millis(1));
                        value(1)
                    });
                });
            }
        });
        moka_ns.push(start.elapsed().as_nanos() as f64);
    }
    ours_ns.sort_by(f64::total_cmp);
    moka_ns.sort_by(f64::total_cmp);
    report.compare(
        "stampede_64",
        ours_ns[rounds / 2],
        "moka",
        moka_ns[rounds / 2],
    );
    report.note(format!(
        "stampede_64 loader_calls_per_round ours={} moka={}",
        ours_calls.load(Ordering::SeqCst) as f64 / rounds as f64,
        moka_calls.load(Ordering::SeqCst) as f64 / rounds as f64
    ));
    report.stampede_calls = Some(ours_calls.load(Ordering::SeqCst) as f64 / rounds as f64);
}

pub(crate) fn scale(plan: Plan, report: &mut Report, sizes: &[(usize, &str)]) {
    // The floor scales too: DashMap at the same sizes shows what the memory hierarchy costs.
    let mut small: Option<(f64, f64, &str)> = None;
    for &(n, label) in sizes {
        let (keys, ours) = filled_ours_only(n);
        let dashmap: DashMap<String, Value> = keys
            .iter()
            .enumerate()
            .map(|(i, k)| (k.clone(), value(i)))
            .collect();
        let mut rng = SmallRng::seed_from_u64(11);
        let order: Vec<usize> = Uniform::new(0, n).map_or_else(
            |_| vec![0; 1 << 16],
            |d| (0..1 << 16).map(|_| d.sample(&mut rng)).collect(),
        );
        let (ns, floor) = pair(
            plan,
            |i| {
                black_box(ours_hit(&ours, &keys[order[i as usize % order.len()]]));
            },
            |i| {
                let k = keys[order[i as usize % order.len()]].as_str();
                black_box(dashmap.get(k).map(|v| v.clone()));
            },
        );
        report.compare(&format!("scale_mem_hit_{label}"), ns, "dashmap", floor);
        memo_at_scale(plan, report, n, label, &order);
        match small {
            None => small = Some((ns, floor, label)),
            Some((base, base_floor, base_label)) => {
                report.compare(
                    &format!("scale_mem_hit_{label}"),
                    ns,
                    &format!("scale_mem_hit_{base_label}"),
                    base,
                );
                report.compare(
                    &format!("scale_dashmap_hit_{label}"),
                    floor,
                    &format!("scale_dashmap_hit_{base_label}"),
                    base_floor,
                );
            }
        }
    }
}

/// The typed tier at `n` entries: a function's memo hit (its arguments, a `u64`, as the key)
/// against DashMap keyed the same way.
fn memo_at_scale(plan: Plan, report: &mut Report, n: usize, label: &str, order: &[usize]) {
    type Key = (u64,);
    let memo = CacheBuilder::<Value, std::convert::Infallible>::new("scale")
        .storage(Arc::new(MemoryStorage::new(n + n / 4)))
        .ttl(Some(Duration::from_secs(3_600)))
        .memo::<Key>(n + n / 4)
        .build_ttl();
    let dashmap: DashMap<u64, Value> = DashMap::new();
    for i in 0..n {
        let id = i as u64;
        let key = id.to_string();
        let _ = memo.get_or_load_blocking(&key, || Ok(value(i)));
        memo.memo_fill::<Key, _>(&Args((id,)), &key);
        dashmap.insert(id, value(i));
    }
    let (ns, floor) = pair(
        plan,
        |i| {
            let id = order[i as usize % order.len()] as u64;
            black_box(memo.memo_get::<Key, _>(&Args((id,))));
        },
        |i| {
            let id = order[i as usize % order.len()] as u64;
            black_box(dashmap.get(&id).map(|v| v.clone()));
        },
    );
    report.compare(&format!("scale_memo_hit_{label}"), ns, "dashmap", floor);
    if n == 100_000 {
        // Two threads at once on the same entries (per-thread ns), as `mem_hit_2t_uniform`.
        let at = |t: usize, i: u64| order[(i as usize * 2 + t) % order.len()] as u64;
        let (ns, floor) = pair_threads(
            plan,
            2,
            |t, i| {
                black_box(memo.memo_get::<Key, _>(&Args((at(t, i),))));
            },
            |t, i| {
                black_box(dashmap.get(&at(t, i)).map(|v| v.clone()));
            },
        );
        report.compare("memo_hit_2t_uniform", ns, "dashmap", floor);
    }
}

fn filled_ours_only(n: usize) -> (Vec<String>, MemoryStorage) {
    let keys = key_names(n);
    let ours = MemoryStorage::new(n + n / 4);
    let ty = SerdeValue::<Vec<u8>>::new();
    for (i, k) in keys.iter().enumerate() {
        let _ = ours.set_entry(k, entry(i), &ty).now_or_never();
    }
    (keys, ours)
}

/// Bytes per entry of `u64 → [u8; 64]` (keys as the caches take them: ours as strings).
pub(crate) fn bytes_per_entry(report: &mut Report, n: usize) {
    let before = crate::alloc::live_bytes();
    let ours = MemoryStorage::new(n);
    let ty = SerdeValue::<Vec<u8>>::new();
    for i in 0..n {
        let e = CacheEntry::new(Arc::new([i as u8; 64]) as AnyValue, 0, None, None);
        let _ = ours.set_entry(&i.to_string(), e, &ty).now_or_never();
    }
    let ours_bytes = (crate::alloc::live_bytes() - before) as f64 / n as f64;
    drop(ours);
    let before = crate::alloc::live_bytes();
    let moka: moka::sync::Cache<u64, [u8; 64]> = moka::sync::Cache::new(n as u64);
    for i in 0..n as u64 {
        moka.insert(i, [i as u8; 64]);
    }
    moka.run_pending_tasks();
    let moka_bytes = (crate::alloc::live_bytes() - before) as f64 / n as f64;
    report.compare("mem_bytes_per_entry", ours_bytes, "moka", moka_bytes);
    drop(moka);
}

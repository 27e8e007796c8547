//! The compare harness: `cargo run --release -p bench -- [--quick] [FILTER]`.
//!
//! Measures ours and each peer in the same process, interleaved, and prints one line per case:
//! `compare <case> <ours_ns> <peer> <peer_ns> <ratio>` (ratio = ours / peer; lower is better),
//! then a summary of the targets.

mod across;
mod alloc;
mod cases;
mod loaders;
mod measure;
mod remote;

use std::time::Instant;

use measure::Plan;

advanced_caching::include_generated!();

#[global_allocator]
static ALLOCATOR: alloc::Counting = alloc::Counting;

/// Every `compare` line of the run, for the summary.
#[derive(Default)]
pub(crate) struct Report {
    lines: Vec<(String, f64, String, f64)>,
    stampede_calls: Option<f64>,
}

impl Report {
    fn compare(&mut self, case: &str, ours: f64, peer: &str, peer_ns: f64) {
        let ratio = ours / peer_ns;
        println!("compare {case} {ours:.1} {peer} {peer_ns:.1} {ratio:.3}");
        self.lines
            .push((case.to_owned(), ours, peer.to_owned(), peer_ns));
    }

    fn note(&mut self, text: String) {
        println!("note {text}");
    }

    fn ratio(&self, case: &str, peer: &str) -> Option<f64> {
        self.lines
            .iter()
            .find(|(c, _, p, _)| c == case && p == peer)
            .map(|(_, o, _, p)| o / p)
    }

    fn summary(&self) {
        println!("\nsummary (target: ratio ≤ limit)");
        // The typed fast path's targets (and the earlier ones they keep).
        let targets: [(&str, &str, f64); 25] = [
            ("mem_hit_1t_uniform", "dashmap", 1.5),
            ("mem_hit_1t_uniform", "moka", 1.0),
            ("mem_hit_1t_uniform", "quick_cache", 1.0),
            ("mem_hit_1t_zipf", "dashmap", 1.5),
            ("mem_hit_2t_uniform", "dashmap", 1.3),
            ("mem_hit_2t_zipf", "dashmap", 1.3),
            ("wrapper_hit", "cached", 0.5),
            ("wrapper_hit", "dashmap", 1.5),
            ("wrapper_hit_arc", "cached", 0.5),
            ("bg_hit", "arc_swap", 2.0),
            ("swr_stale_hit", "mem_hit_1t", 1.5),
            ("redis_get", "redis", 1.05),
            ("redis_get_sync", "redis_sync", 1.1),
            ("hybrid_l1_hit", "mem_hit_1t", 1.1),
            ("scale_mem_hit_1e3", "dashmap", 1.3),
            ("scale_mem_hit_1e5", "dashmap", 1.3),
            ("scale_mem_hit_1e6", "dashmap", 1.3),
            ("scale_mem_hit_1e6", "scale_mem_hit_1e3", 2.0),
            ("scale_memo_hit_1e3", "dashmap", 1.3),
            ("scale_memo_hit_1e5", "dashmap", 1.3),
            ("scale_memo_hit_1e6", "dashmap", 1.3),
            ("memo_hit_2t_uniform", "dashmap", 1.3),
            ("mem_bytes_per_entry", "moka", 0.7),
            ("file_get", "fs_read", f64::INFINITY),
            ("stampede_64", "moka", f64::INFINITY),
        ];
        for (case, peer, limit) in targets {
            match self.ratio(case, peer) {
                Some(r) => {
                    let verdict = if r <= limit { "met" } else { "MISSED" };
                    let limit = if limit.is_finite() {
                        format!("{limit}")
                    } else {
                        "-".into()
                    };
                    println!("  {case:<22} vs {peer:<18} {r:>7.3}  limit {limit:<5} {verdict}");
                }
                None => println!("  {case:<22} vs {peer:<18} not measured"),
            }
        }
        if let Some(calls) = self.stampede_calls {
            let verdict = if (calls - 1.0).abs() < f64::EPSILON {
                "met"
            } else {
                "MISSED"
            };
            println!("  stampede_64 loader calls per round: {calls}  target 1  {verdict}");
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = args.iter().any(|a| a == "--quick");
    let filter = args.iter().find(|a| !a.starts_with("--")).cloned();
    let plan = if quick {
        Plan {
            rounds: 5,
            batch: 20_000,
        }
    } else {
        Plan {
            rounds: 15,
            batch: 200_000,
        }
    };
    let wanted = |name: &str| filter.as_deref().is_none_or(|f| name.contains(f));
    let started = Instant::now();
    let mut report = Report::default();
    if wanted("mem_hit") {
        cases::mem_hits(plan, &mut report);
    }
    if wanted("wrapper") {
        cases::wrapper_hits(plan, &mut report);
    }
    if wanted("bg_hit") {
        cases::background_hits(plan, &mut report);
    }
    if wanted("mem_insert") || wanted("mem_miss") {
        cases::inserts_and_loads(plan, &mut report);
    }
    if wanted("swr") {
        cases::swr_stale_hits(plan, &mut report);
    }
    if wanted("stampede") {
        cases::stampede(plan, &mut report);
    }
    if wanted("redis") || wanted("hybrid") {
        remote::redis_cases(plan, &mut report);
    }
    if wanted("file") {
        remote::file_cases(plan, &mut report);
    }
    if wanted("l1_invalidation") {
        across::invalidation_cases(plan, &mut report);
    }
    if wanted("cluster") {
        across::cluster_cases(plan, &mut report);
    }
    if wanted("outage") {
        remote::outage_cases(plan, &mut report);
    }
    if wanted("scale") {
        let sizes: &[(usize, &str)] = &[(1_000, "1e3"), (100_000, "1e5"), (1_000_000, "1e6")];
        cases::scale(plan, &mut report, sizes);
    }
    if wanted("bytes") {
        cases::bytes_per_entry(&mut report, if quick { 200_000 } else { 1_000_000 });
    }
    report.summary();
    println!("took {:.1?}", started.elapsed());
}

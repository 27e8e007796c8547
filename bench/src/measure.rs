//! Interleaved timing: ours and a peer measured in alternating batches in the same process, so
//! machine noise hits both alike; the median of the per-batch figures is reported.

use std::hint::black_box;
use std::sync::Barrier;
use std::time::Instant;

/// How much to measure.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Plan {
    /// Alternating rounds (each measures both sides once).
    pub(crate) rounds: usize,
    /// Operations per measured batch.
    pub(crate) batch: u64,
}

impl Plan {
    /// The same plan with `batch` scaled by `factor` (for slow operations such as network calls).
    pub(crate) fn scaled(self, factor: f64) -> Self {
        Self {
            rounds: self.rounds,
            batch: ((self.batch as f64 * factor) as u64).max(10),
        }
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

fn time_batch(batch: u64, op: &mut impl FnMut(u64)) -> f64 {
    let start = Instant::now();
    for i in 0..batch {
        op(black_box(i));
    }
    start.elapsed().as_nanos() as f64 / batch as f64
}

/// Nanoseconds per operation of `ours` and `peer` on one thread.
pub(crate) fn pair(plan: Plan, mut ours: impl FnMut(u64), mut peer: impl FnMut(u64)) -> (f64, f64) {
    // Warm both (caches, branch predictors, lazily built state).
    time_batch(plan.batch, &mut ours);
    time_batch(plan.batch, &mut peer);
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for round in 0..plan.rounds {
        if round % 2 == 0 {
            a.push(time_batch(plan.batch, &mut ours));
            b.push(time_batch(plan.batch, &mut peer));
        } else {
            b.push(time_batch(plan.batch, &mut peer));
            a.push(time_batch(plan.batch, &mut ours));
        }
    }
    (median(a), median(b))
}

/// Nanoseconds per operation per thread when `threads` threads run `op` at once.
fn threaded_batch(threads: usize, batch: u64, op: &(impl Fn(usize, u64) + Sync)) -> f64 {
    let barrier = Barrier::new(threads);
    let per_thread: Vec<f64> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let barrier = &barrier;
                s.spawn(move || {
                    barrier.wait();
                    let start = Instant::now();
                    for i in 0..batch {
                        op(t, black_box(i));
                    }
                    start.elapsed().as_nanos() as f64 / batch as f64
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or(f64::NAN))
            .collect()
    });
    per_thread.iter().sum::<f64>() / per_thread.len() as f64
}

/// [`pair`] with `threads` threads per side.
pub(crate) fn pair_threads(
    plan: Plan,
    threads: usize,
    ours: impl Fn(usize, u64) + Sync,
    peer: impl Fn(usize, u64) + Sync,
) -> (f64, f64) {
    threaded_batch(threads, plan.batch, &ours);
    threaded_batch(threads, plan.batch, &peer);
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for round in 0..plan.rounds {
        if round % 2 == 0 {
            a.push(threaded_batch(threads, plan.batch, &ours));
            b.push(threaded_batch(threads, plan.batch, &peer));
        } else {
            b.push(threaded_batch(threads, plan.batch, &peer));
            a.push(threaded_batch(threads, plan.batch, &ours));
        }
    }
    (median(a), median(b))
}

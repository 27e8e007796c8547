//! Recorded histories of concurrent calls, inserts and invalidations, and the checker of the
//! consistency guarantees over them (`docs/design.md`, "Guarantees").
//!
//! Every event takes a number from one counter: a call's start, a write's start and end, and a
//! load's start — which is also the value the loader returns (its *stamp*). An insert writes the
//! number of its own start. So a value's stamp says when the data it carries was read, and the
//! rule of guarantees (a) and (b) is one comparison: a call that starts after a write of its key
//! ended returns a stamp no smaller than that write's start (the inserted value itself, or
//! something loaded or inserted after the write began). Writes of one key are serialized by the
//! driver (two concurrent writes have no order to check against); calls and loads are not.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

/// The one counter of a history: each event's place in it. Shared with other processes through
/// [`stamp_base`] (each process numbers from its own base, far apart, plus a wall clock part).
static SEQ: AtomicU64 = AtomicU64::new(1);

/// The next number of the history.
pub fn next() -> u64 {
    SEQ.fetch_add(1, Ordering::SeqCst)
}

/// A cheap per-thread random number (xorshift), for delays and choices.
pub fn random(below: u64) -> u64 {
    use std::cell::Cell;
    thread_local! {
        static STATE: Cell<u64> = Cell::new(
            0x9E37_79B9_7F4A_7C15 ^ (std::process::id() as u64) ^ next().wrapping_mul(0xA24B_AED4_963E_E407),
        );
    }
    STATE.with(|s| {
        let mut x = s.get();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        s.set(x);
        x % below.max(1)
    })
}

/// Sometimes waits a little (a slow origin), so loads overlap writes.
fn origin_delay() {
    match random(64) {
        0 => std::thread::sleep(std::time::Duration::from_micros(random(300))),
        1..=8 => std::thread::yield_now(),
        _ => {}
    }
}

/// A sync loader: the stamp of when its load began (`id` only keys it).
pub fn load_stamp(id: u64) -> u64 {
    let _ = id;
    let stamp = next();
    origin_delay();
    stamp
}

/// An async loader: the stamp of when its load began.
pub async fn load_stamp_async(id: u64) -> u64 {
    let _ = id;
    let stamp = next();
    if random(16) == 0 {
        tokio::time::sleep(std::time::Duration::from_micros(random(500))).await;
    } else if random(4) == 0 {
        tokio::task::yield_now().await;
    }
    stamp
}

/// One write of a key: when it started and ended.
#[derive(Debug, Clone, Copy)]
pub struct Write {
    /// Its start (an insert writes this number).
    pub start: u64,
    /// Its end.
    pub end: u64,
}

/// One call: its key, its start and the stamp it returned.
#[derive(Debug, Clone, Copy)]
pub struct Call {
    /// The key (the function's argument).
    pub key: u64,
    /// Its start.
    pub start: u64,
    /// The stamp of the value it returned.
    pub stamp: u64,
}

/// The writes of each key (in order: a key's writes are serialized) and every call.
#[derive(Default)]
pub struct History {
    writes: Mutex<HashMap<u64, Vec<Write>>>,
    calls: Mutex<Vec<Call>>,
}

impl History {
    /// An empty history.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a write of `key` (call it while holding the key's write turn).
    pub fn write(&self, key: u64, write: Write) {
        self.writes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(key)
            .or_default()
            .push(write);
    }

    /// Records a thread's calls.
    pub fn calls(&self, calls: Vec<Call>) {
        self.calls
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend(calls);
    }

    /// How many operations were recorded (calls and writes).
    pub fn operations(&self) -> usize {
        let writes: usize = self
            .writes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .map(Vec::len)
            .sum();
        writes
            + self
                .calls
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .len()
    }

    /// The calls that broke guarantee (a) or (b): each with the write it came after.
    pub fn violations(&self) -> Vec<(Call, Write)> {
        let writes = self.writes.lock().unwrap_or_else(PoisonError::into_inner);
        let calls = self.calls.lock().unwrap_or_else(PoisonError::into_inner);
        let mut found = Vec::new();
        for call in calls.iter() {
            let Some(of_key) = writes.get(&call.key) else {
                continue;
            };
            // The last write of the key that ended before the call started (ends increase).
            let ended = of_key.partition_point(|w| w.end < call.start);
            if let Some(last) = ended.checked_sub(1).map(|i| of_key[i])
                && call.stamp < last.start
            {
                found.push((*call, last));
            }
        }
        found
    }
}

/// The write turns of a driver's keys: writes of one key run one at a time.
pub struct Turns(Vec<tokio::sync::Mutex<()>>);

impl Turns {
    /// Turns for keys `0..keys`.
    pub fn new(keys: u64) -> Self {
        Self((0..keys).map(|_| tokio::sync::Mutex::new(())).collect())
    }

    /// Runs the write `f` of `key` in its turn and records it in `history`; `f` gets the
    /// write's start (the stamp an insert writes). Not from inside an async task.
    pub fn write(&self, history: &History, key: u64, f: impl FnOnce(u64)) {
        let Some(turn) = usize::try_from(key).ok().and_then(|k| self.0.get(k)) else {
            return;
        };
        let _turn = turn.blocking_lock();
        let start = next();
        f(start);
        let end = next();
        history.write(key, Write { start, end });
    }

    /// As [`Turns::write`] for an async write.
    pub async fn write_async<F: std::future::Future<Output = ()>>(
        &self,
        history: &History,
        key: u64,
        f: impl FnOnce(u64) -> F,
    ) {
        let Some(turn) = usize::try_from(key).ok().and_then(|k| self.0.get(k)) else {
            return;
        };
        let _turn = turn.lock().await;
        let start = next();
        f(start).await;
        let end = next();
        history.write(key, Write { start, end });
    }
}

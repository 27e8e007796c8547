//! Recorded histories of concurrent calls, inserts and invalidations, and the checker of the
//! consistency guarantees over them (`docs/design.md`, "Guarantees").
//!
//! Every event takes a number from one clock: a call's start, a write's start and end, and a
//! load's start — which is also the value the loader returns (its *stamp*). An insert writes the
//! number of its own start. So a value's stamp says when the data it carries was read, and the
//! rule of guarantees (a) and (b) is one comparison: a call that starts after a write of its key
//! ended returns a stamp no smaller than that write's start (the inserted value itself, or
//! something loaded or inserted after the write began). Writes of one key are serialized by the
//! driver (two concurrent writes have no order to check against); calls and loads are not.
//!
//! The clock is the host's nanosecond clock, made strictly increasing within a process by one
//! atomic: so the numbers of several processes on one host share one order (guarantee (e)), and
//! within a process they are a total order of its events.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The last number this process handed out.
static LAST: AtomicU64 = AtomicU64::new(0);

/// The next number of the history: the host clock in nanoseconds, or one more than the last
/// number of this process if the clock has not moved past it.
pub fn next() -> u64 {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
    let mut last = LAST.load(Ordering::SeqCst);
    loop {
        let number = now.max(last + 1);
        match LAST.compare_exchange_weak(last, number, Ordering::SeqCst, Ordering::SeqCst) {
            Ok(_) => return number,
            Err(seen) => last = seen,
        }
    }
}

/// A cheap per-thread random number (xorshift), for delays and choices.
pub fn random(below: u64) -> u64 {
    use std::cell::Cell;
    thread_local! {
        static STATE: Cell<u64> = Cell::new(
            0x9E37_79B9_7F4A_7C15 ^ (u64::from(std::process::id()) << 32) ^ next().wrapping_mul(0xA24B_AED4_963E_E407),
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

thread_local! {
    static LOADED_HERE: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// A sync loader that also notes, in its thread, the stamp it returned ([`loaded_here`]).
pub fn load_stamp_noted(id: u64) -> u64 {
    let stamp = load_stamp(id);
    LOADED_HERE.with(|l| l.set(stamp));
    stamp
}

/// The stamp [`load_stamp_noted`] last returned in this thread (0: none).
pub fn loaded_here() -> u64 {
    LOADED_HERE.with(std::cell::Cell::get)
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

/// The process an event happened in (0 for a history of one process).
pub type Node = u32;

/// The writes of each key (in order: a key's writes are serialized) and every call, each with
/// the process it happened in.
#[derive(Default)]
pub struct History {
    writes: Mutex<HashMap<u64, Vec<(Node, Write)>>>,
    calls: Mutex<Vec<(Node, Call)>>,
}

/// What [`History::check`] found.
#[derive(Debug, Default)]
pub struct Findings {
    /// The calls that broke guarantee (a) or (b) (in another process: (e)), each with the write
    /// it came after.
    pub violations: Vec<(Call, Write)>,
    /// Calls and writes checked.
    pub operations: usize,
    /// Of them, calls that read a key another process had written.
    pub across: usize,
    /// The longest time after another process's write of its key ended that a call still
    /// returned a value older than that write (the staleness a coherent copy showed).
    pub longest_lag: Duration,
}

impl History {
    /// An empty history.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a write of `key` (call it while holding the key's write turn).
    pub fn write(&self, key: u64, write: Write) {
        self.write_of(0, key, write);
    }

    fn write_of(&self, node: Node, key: u64, write: Write) {
        self.writes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(key)
            .or_default()
            .push((node, write));
    }

    /// Records a thread's calls.
    pub fn calls(&self, calls: Vec<Call>) {
        self.calls
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend(calls.into_iter().map(|c| (0, c)));
    }

    /// This process's history as text, for [`History::merge`] in another process: one line per
    /// event (`c KEY START STAMP`, `w KEY START END`).
    pub fn to_text(&self) -> String {
        use std::fmt::Write as _;
        let mut text = String::new();
        for (key, writes) in self
            .writes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
        {
            for (_, w) in writes {
                let _ = writeln!(text, "w {key} {} {}", w.start, w.end);
            }
        }
        for (_, c) in self
            .calls
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
        {
            let _ = writeln!(text, "c {} {} {}", c.key, c.start, c.stamp);
        }
        text
    }

    /// Adds the events of process `node` (its [`History::to_text`]); `None` on a malformed line.
    /// A key's writes must all come from one process.
    pub fn merge(&self, node: Node, text: &str) -> Option<()> {
        let mut calls = Vec::new();
        for line in text.lines() {
            let words: Vec<&str> = line.split(' ').collect();
            let [kind, key, a, b] = words[..] else {
                return None;
            };
            let (key, a, b) = (key.parse().ok()?, a.parse().ok()?, b.parse().ok()?);
            match kind {
                "w" => self.write_of(node, key, Write { start: a, end: b }),
                "c" => calls.push((
                    node,
                    Call {
                        key,
                        start: a,
                        stamp: b,
                    },
                )),
                _ => return None,
            }
        }
        self.calls
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend(calls);
        Some(())
    }

    /// Checks every call against the writes of its key: a call in the writer's own process that
    /// starts after a write ended, or one in another process that starts more than `across` after
    /// it ended (the time an announcement takes to arrive, guarantee (e)), returns a stamp no
    /// smaller than the write's start.
    pub fn check(&self, across: Duration) -> Findings {
        let across = u64::try_from(across.as_nanos()).unwrap_or(u64::MAX);
        let writes = self.writes.lock().unwrap_or_else(PoisonError::into_inner);
        let calls = self.calls.lock().unwrap_or_else(PoisonError::into_inner);
        let mut findings = Findings {
            operations: calls.len() + writes.values().map(Vec::len).sum::<usize>(),
            ..Findings::default()
        };
        for &(node, call) in calls.iter() {
            let Some(of_key) = writes.get(&call.key) else {
                continue;
            };
            // Ends increase along a key's writes: the writes that ended before the call began
            // are a prefix, and those that ended `across` before it a shorter one.
            let ended = of_key.partition_point(|(_, w)| w.end < call.start);
            let known = of_key.partition_point(|(_, w)| w.end.saturating_add(across) <= call.start);
            let own = of_key[known..ended].iter().rposition(|(n, _)| *n == node);
            let binding = match own {
                Some(i) => Some(of_key[known + i].1),
                None => known.checked_sub(1).map(|i| of_key[i].1),
            };
            if let Some(last) = binding
                && call.stamp < last.start
            {
                findings.violations.push((call, last));
            }
            if let Some(&(writer, last)) = ended.checked_sub(1).map(|i| &of_key[i])
                && writer != node
            {
                findings.across += 1;
                if call.stamp < last.start {
                    let lag = Duration::from_nanos(call.start - last.end);
                    findings.longest_lag = findings.longest_lag.max(lag);
                }
            }
        }
        findings
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
    pub async fn write_async<F: std::future::Future>(
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
        let _ = f(start).await;
        let end = next();
        history.write(key, Write { start, end });
    }
}

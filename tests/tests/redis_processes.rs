//! Cross-process background refresh through generated code (`specs/redis.toml`): one writer
//! process fills Redis on its schedule, two reader processes follow it, and a second writer stays
//! idle while the first holds the lease, then takes over when the first dies.
#![allow(clippy::unwrap_used)] // a test fails loudly on an unexpected error
#![allow(missing_docs)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use advanced_caching_tests::redis_or_skip;

/// A `bg_node` process and the lines it prints.
struct Node {
    child: Child,
    lines: Receiver<String>,
}

impl Node {
    fn spawn(role: &str, url: &str) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_bg_node"))
            .arg(role)
            .env("ADVANCED_CACHING_TEST_REDIS_URL", url)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Self { child, lines }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Lines printed until `deadline` that match `prefix`, stripped of it, until `stop` says so.
    fn wait_for(&self, prefix: &str, within: Duration, mut stop: impl FnMut(&str) -> bool) -> bool {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    if let Some(rest) = line.strip_prefix(prefix)
                        && stop(rest)
                    {
                        return true;
                    }
                }
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => return false,
            }
        }
    }

    /// Every line printed so far.
    fn drain(&self) -> Vec<String> {
        self.lines.try_iter().collect()
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The run number of a `pid#n` value written by process `pid`.
fn run_of(value: &str, pid: u32) -> Option<u64> {
    let (p, n) = value.split_once('#')?;
    (p == pid.to_string()).then(|| n.parse().ok()).flatten()
}

#[test]
fn readers_follow_one_writer_and_a_second_writer_waits_for_the_lease() {
    let server = redis_or_skip!();
    let url = server.url();
    let mut first = Node::spawn("writer", &url);
    let writer = first.pid();
    assert!(
        first.wait_for("RUN ", Duration::from_secs(10), |_| true),
        "the writer runs its loader"
    );
    let readers = [Node::spawn("reader", &url), Node::spawn("reader", &url)];
    for reader in &readers {
        // Each reader sees several successive values of the writer, so it follows the schedule.
        let mut seen = Vec::new();
        let followed = reader.wait_for("SEEN ", Duration::from_secs(10), |v| {
            if let Some(n) = run_of(v, writer) {
                seen.push(n);
            }
            seen.len() >= 3
        });
        assert!(followed, "reader {} saw only {seen:?}", reader.pid());
        assert!(
            seen.windows(2).all(|w| w[0] < w[1]),
            "newer values only: {seen:?}"
        );
    }

    let second = Node::spawn("writer", &url);
    // The first writer keeps running while the second is up (it renews its lease)…
    let mut first_runs = 0;
    first.wait_for("RUN ", Duration::from_millis(1_300), |_| {
        first_runs += 1;
        false
    });
    assert!(
        first_runs >= 3,
        "the first writer kept its schedule: {first_runs} runs"
    );
    // …and the second never ran its loader.
    let second_runs: Vec<String> = second.drain();
    assert!(
        second_runs.is_empty(),
        "second writer ran while the lease was held: {second_runs:?}"
    );

    // The first writer dies right after a run: its lease expires (half an interval) and the
    // second takes over before the value (two intervals) expires: Redis never misses it.
    let mut last = String::new();
    assert!(first.wait_for("RUN ", Duration::from_secs(5), |v| {
        last = v.to_owned();
        true
    }));
    // The loader announces a run before its value is stored: wait for the store, or a kill in
    // between leaves the previous run's value, with one interval less to live.
    let mut client = server.client();
    let stored_at = Instant::now();
    while !redis::cmd("GET")
        .arg("gen:snapshot")
        .query::<Vec<u8>>(&mut client)
        .unwrap_or_default()
        .windows(last.len())
        .any(|w| w == last.as_bytes())
    {
        assert!(
            stored_at.elapsed() < Duration::from_secs(2),
            "run {last} was never stored"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    let watcher = {
        let mut client = server.client();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let done = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut misses = 0;
            while !done.load(std::sync::atomic::Ordering::SeqCst) {
                let present: bool = redis::cmd("EXISTS")
                    .arg("gen:snapshot")
                    .query(&mut client)
                    .unwrap();
                misses += usize::from(!present);
                std::thread::sleep(Duration::from_millis(5));
            }
            misses
        });
        (stop, thread)
    };
    let killed_at = Instant::now();
    first.kill();
    assert!(
        second.wait_for("RUN ", Duration::from_secs(5), |_| true),
        "the second writer takes over after the lease expires"
    );
    let took_over_in = killed_at.elapsed();
    // Keep watching a little past the takeover, then stop.
    std::thread::sleep(Duration::from_millis(100));
    watcher.0.store(true, std::sync::atomic::Ordering::SeqCst);
    let misses = watcher.1.join().unwrap();
    eprintln!("standby took over {took_over_in:?} after the writer was killed");
    assert_eq!(misses, 0, "Redis never lost the value during the takeover");
    let taken_over = second.pid();
    for reader in &readers {
        let mut latest = None;
        let follows = reader.wait_for("SEEN ", Duration::from_secs(5), |v| {
            latest = Some(v.to_owned());
            run_of(v, taken_over).is_some()
        });
        assert!(
            follows,
            "reader follows the new writer (last seen {latest:?})"
        );
    }
}

//! Several processes of one service sharing Redis (`specs/replicas.toml`, `replica_node`): a
//! coherent memory L1 (`l1_ttl = "1h"`) that follows writes made by other processes, and one
//! loader call across the processes for a key they all miss.
#![allow(clippy::unwrap_used)] // a test fails loudly on an unexpected error
#![allow(missing_docs)]

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use advanced_caching_tests::harness::RedisServer;
use advanced_caching_tests::redis_or_skip;

/// A `replica_node` process: commands in, lines out.
struct Node {
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<String>,
    /// Loader lines seen so far (`LOADED …`, `LOADING …`).
    loads: Vec<String>,
}

impl Node {
    fn spawn(server: &RedisServer, load_ms: u64) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_replica_node"))
            .env("ADVANCED_CACHING_TEST_REDIS_URL", server.url())
            .env("REPORT_LOAD_MS", load_ms.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        Self {
            child,
            stdin,
            lines,
            loads: Vec::new(),
        }
    }

    fn send(&mut self, command: &str) {
        writeln!(self.stdin, "{command}").unwrap();
        self.stdin.flush().unwrap();
    }

    /// The next answer line (loader lines are collected on the way).
    fn answer(&mut self) -> String {
        loop {
            let line = self
                .lines
                .recv_timeout(Duration::from_secs(60))
                .expect("the node answers");
            if line.starts_with("LOAD") {
                self.loads.push(line);
            } else {
                return line;
            }
        }
    }

    fn ask(&mut self, command: &str) -> String {
        self.send(command);
        self.answer()
    }

    fn get(&mut self, id: u64) -> String {
        let line = self.ask(&format!("get {id}"));
        line.strip_prefix("VALUE ").unwrap_or(&line).to_owned()
    }

    /// Waits for a loader line starting with `prefix`.
    fn wait_for_load(&mut self, prefix: &str) {
        while !self.loads.iter().any(|l| l.starts_with(prefix)) {
            let line = self
                .lines
                .recv_timeout(Duration::from_secs(30))
                .expect("the loader starts");
            if line.starts_with("LOAD") {
                self.loads.push(line);
            }
        }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits until `n` processes subscribe to the replicas' change feed.
fn wait_for_subscribers(server: &RedisServer, n: i64) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let counts: Vec<(String, i64)> = redis::cmd("PUBSUB")
            .arg("NUMSUB")
            .arg("rep:~changes")
            .query(&mut server.client())
            .unwrap();
        if counts.first().is_some_and(|(_, c)| *c == n) {
            return;
        }
        assert!(Instant::now() < deadline, "subscribers: {counts:?}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Asks `node` for profile `id` until it returns `want` (each call is an ordinary cached call;
/// the wait only covers the announcement's flight between processes).
fn sees(node: &mut Node, id: u64, want: &str) {
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        let got = node.get(id);
        if got == want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "still `{got}`, not `{want}`, 2 s after the write"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn an_update_in_one_process_reaches_the_l1_of_the_others() {
    let server = redis_or_skip!();
    let mut nodes: Vec<Node> = (0..3).map(|_| Node::spawn(&server, 200)).collect();
    // The first call of each process starts its hybrid and so its subscription.
    let first = nodes[1].get(1);
    assert!(first.starts_with("loaded-1-by-"), "{first}");
    assert_eq!(nodes[2].get(1), first, "served from Redis");
    assert_eq!(nodes[0].get(1), first);
    wait_for_subscribers(&server, 3);
    // Each process now holds an L1 copy for an hour; B's copy is read from L1.
    assert_eq!(nodes[1].get(1), first);

    // A writes: B and C drop their copies and read the new value.
    assert_eq!(nodes[0].ask("insert 1 written-by-a"), "DONE");
    sees(&mut nodes[1], 1, "written-by-a");
    sees(&mut nodes[2], 1, "written-by-a");
    // A invalidates: B's next call loads again instead of serving its copy.
    assert_eq!(nodes[0].ask("invalidate 1"), "DONE");
    let deadline = Instant::now() + Duration::from_secs(2);
    let reloaded = loop {
        let got = nodes[1].get(1);
        if got != "written-by-a" {
            break got;
        }
        assert!(
            Instant::now() < deadline,
            "B still serves the invalidated copy"
        );
        std::thread::sleep(Duration::from_millis(5));
    };
    assert!(reloaded.starts_with("loaded-1-by-"), "{reloaded}");
    sees(&mut nodes[2], 1, &reloaded);

    // Every subscription is killed, and Redis takes no new connection, so none can come back.
    // Once the processes noticed (each tried to subscribe again and was refused), A writes:
    // B and C no longer trust their copies and never return a value older than that write.
    let mut admin = server.client();
    let rejected = |admin: &mut redis::Connection| -> u64 {
        let info: String = redis::cmd("INFO").arg("stats").query(admin).unwrap();
        info.lines()
            .find_map(|l| l.strip_prefix("rejected_connections:"))
            .and_then(|n| n.trim().parse().ok())
            .unwrap()
    };
    let before = rejected(&mut admin);
    let _: () = redis::cmd("CONFIG")
        .arg(&["SET", "maxclients", "1"])
        .query(&mut admin)
        .unwrap();
    let killed: i64 = redis::cmd("CLIENT")
        .arg(&["KILL", "TYPE", "pubsub"])
        .query(&mut admin)
        .unwrap();
    assert_eq!(killed, 3);
    let deadline = Instant::now() + Duration::from_secs(10);
    while rejected(&mut admin) < before + 9 {
        assert!(
            Instant::now() < deadline,
            "the processes never tried to subscribe again"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(nodes[0].ask("insert 1 after-the-kill"), "DONE");
    assert_eq!(nodes[1].get(1), "after-the-kill");
    assert_eq!(nodes[2].get(1), "after-the-kill");
    let _: () = redis::cmd("CONFIG")
        .arg(&["SET", "maxclients", "10000"])
        .query(&mut admin)
        .unwrap();
    // They subscribe again, and follow writes as before.
    wait_for_subscribers(&server, 3);
    assert_eq!(nodes[2].ask("insert 1 written-by-c"), "DONE");
    sees(&mut nodes[0], 1, "written-by-c");
    sees(&mut nodes[1], 1, "written-by-c");
    // A process never reacts to its own announcements: C's copy stays (no reload).
    assert_eq!(nodes[2].get(1), "written-by-c");
    let loads: usize = nodes.iter().map(|n| n.loads.len()).sum();
    assert_eq!(
        loads, 2,
        "two loads in all: the first and the one after the invalidation"
    );
}

#[test]
fn processes_that_miss_one_key_together_make_one_loader_call() {
    one_load_across(&["report 7 16"; 4], 64);
}

#[test]
fn a_background_loader_miss_loads_once_across_processes() {
    one_load_across(&["daily 8"; 4], 32);
}

/// Sends `commands[i]` to process i, all at once; every call gets one value, loaded once.
fn one_load_across(commands: &[&str], calls: usize) {
    let server = redis_or_skip!();
    let mut nodes: Vec<Node> = commands.iter().map(|_| Node::spawn(&server, 200)).collect();
    for (node, command) in nodes.iter_mut().zip(commands) {
        node.send(command);
    }
    let mut values = Vec::new();
    for node in &mut nodes {
        let line = node.answer();
        let reports = line.strip_prefix("REPORTS ").unwrap();
        values.extend(reports.split(' ').map(str::to_owned));
    }
    assert_eq!(values.len(), calls);
    assert!(values.iter().all(|v| *v == values[0]), "{values:?}");
    let loads: Vec<&String> = nodes.iter().flat_map(|n| &n.loads).collect();
    assert_eq!(loads.len(), 1, "one loader call in all: {loads:?}");
}

#[test]
fn when_the_loading_process_dies_another_loads_after_its_lock_expires() {
    let server = redis_or_skip!();
    let mut holder = Node::spawn(&server, 60_000);
    holder.send("report 8 1");
    holder.wait_for_load("LOADING report 8");
    let _ = holder.child.kill();
    let _ = holder.child.wait();
    let mut other = Node::spawn(&server, 200);
    let line = other.ask("report 8 1");
    let id = other.child.id();
    assert_eq!(line, format!("REPORTS report-8-by-{id}"));
    assert_eq!(other.loads, ["LOADING report 8"]);
}

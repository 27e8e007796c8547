#![allow(clippy::unwrap_used)] // a test fails loudly on an unexpected error
#![allow(missing_docs)]
//! The local-file storage: every operation, hostile keys, compression, dedupe, expiry and cleanup.

use std::collections::BTreeSet;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Barrier};
use std::time::{Duration, SystemTime};

use advanced_caching::{
    StorageError,
    clock::ManualClock,
    storage::{CacheEntry, Codec, FileStorage, SerdeValue, Storage, StorageExt},
    strategy::CacheBuilder,
};

/// A fresh directory under the system temp dir, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "advanced-caching-file-test-{name}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        Self(dir)
    }
    fn path(&self) -> &Path {
        &self.0
    }
    fn names(&self) -> BTreeSet<String> {
        std::fs::read_dir(&self.0)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn on_clock(dir: &TempDir, clock: &ManualClock) -> advanced_caching::storage::FileStorageBuilder {
    FileStorage::builder(dir.path()).clock(Arc::new(clock.clone()))
}

#[tokio::test]
async fn every_operation_sync_and_async() {
    let dir = TempDir::new("ops");
    let clock = ManualClock::new(1_000_000);
    let files = on_clock(&dir, &clock).build().unwrap();
    assert_eq!(files.get_typed::<String>("a").await.unwrap(), None);
    files
        .set_typed("a", &"one".to_string(), Some(Duration::from_secs(5)))
        .await
        .unwrap();
    assert_eq!(
        files.get_typed::<String>("a").await.unwrap().as_deref(),
        Some("one")
    );
    let entry = files
        .get_entry_blocking("a", &SerdeValue::<String>::new())
        .unwrap()
        .unwrap();
    assert_eq!(
        (entry.created_at, entry.fresh_until),
        (1_000_000, Some(1_005_000))
    );
    assert!(files.exists("a").await.unwrap());
    clock.advance(Duration::from_secs(5));
    assert!(
        !files.blocking().exists("a").unwrap(),
        "expiry is stored and checked on read"
    );
    assert_eq!(files.get_blocking_typed::<String>("a").unwrap(), None);
    assert_eq!(files.blocking().cleanup_expired().unwrap(), 1);
    assert!(dir.names().iter().all(|n| !n.ends_with(".entry")));

    files.set_blocking_typed("b", &7u32, None).unwrap();
    assert!(files.delete("b").await.unwrap());
    assert!(!files.blocking().delete("b").unwrap());
}

#[test]
fn a_stale_entry_survives_its_swr_window() {
    let dir = TempDir::new("swr");
    let clock = ManualClock::new(0);
    let files = Arc::new(on_clock(&dir, &clock).build().unwrap());
    let cache = CacheBuilder::<u64, ()>::new("swr")
        .storage(files.clone())
        .clock(Arc::new(clock.clone()))
        .ttl(Some(Duration::from_secs(1)))
        .stale_ttl(Duration::from_secs(60))
        .serde()
        .build_swr();
    assert_eq!(cache.get_or_load_blocking("k", || Ok(1)), Ok(1));
    clock.advance(Duration::from_secs(2));
    // Stale: served, and the file is still there (read does not delete stale files).
    assert_eq!(cache.get_or_load_blocking("k", || Ok(2)), Ok(1));
    assert!(files.blocking().exists("k").unwrap());
}

#[test]
fn hostile_keys_stay_inside_the_directory_and_never_collide() {
    let parent = TempDir::new("hostile");
    let dir = parent.path().join("cache");
    let files = FileStorage::new(&dir).unwrap();
    let long = "k".repeat(10_000);
    let keys = [
        "../../etc/passwd",
        "/etc/passwd",
        "a/../../b",
        "nul\0byte",
        &long,
        "\u{fffd}\u{7f}\u{1b}[31m",
        "..",
        ".",
        "",
        "CON",
        "a",
        "A",
    ];
    for (i, key) in keys.iter().enumerate() {
        files.set_blocking_typed(key, &i, None).unwrap();
    }
    for (i, key) in keys.iter().enumerate() {
        assert_eq!(
            files.get_blocking_typed::<usize>(key).unwrap(),
            Some(i),
            "key {key:?}"
        );
    }
    // Everything is a plain file directly inside the directory, one per key.
    let inside: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap())
        .collect();
    assert_eq!(inside.len(), keys.len());
    for item in &inside {
        assert!(item.file_type().unwrap().is_file());
        assert!(item.file_name().len() < 120, "bounded names");
    }
    assert_eq!(
        parent.names(),
        BTreeSet::from(["cache".to_string()]),
        "nothing escaped"
    );
}

#[test]
fn codecs_and_compression_round_trip() {
    let dir = TempDir::new("codecs");
    let value: Vec<String> = (0..200).map(|i| format!("item-{i}")).collect();
    let mut sizes = Vec::new();
    for (codec, compression) in [
        (Codec::Json, false),
        (Codec::Json, true),
        (Codec::Binary, false),
        (Codec::Binary, true),
    ] {
        let sub = dir.path().join(format!("{}-{compression}", codec.name()));
        let files = FileStorage::builder(&sub)
            .codec(codec)
            .compression(compression)
            .fsync(true)
            .build()
            .unwrap();
        files.set_blocking_typed("v", &value, None).unwrap();
        assert_eq!(
            files.get_blocking_typed::<Vec<String>>("v").unwrap(),
            Some(value.clone())
        );
        sizes.push(std::fs::metadata(files.path_of("v")).unwrap().len());
    }
    assert!(
        sizes[1] < sizes[0] / 2,
        "deflated json is smaller: {sizes:?}"
    );
    assert!(sizes[3] < sizes[2], "deflated binary is smaller: {sizes:?}");
}

#[test]
fn dedupe_keeps_the_file_and_moves_only_the_expiry() {
    let dir = TempDir::new("dedupe");
    let clock = ManualClock::new(0);
    let files = on_clock(&dir, &clock).dedupe_writes(true).build().unwrap();
    files
        .set_blocking_typed("d", &"same".to_string(), Some(Duration::from_secs(10)))
        .unwrap();
    let inode = std::fs::metadata(files.path_of("d")).unwrap().ino();
    clock.advance(Duration::from_secs(8));
    files
        .set_blocking_typed("d", &"same".to_string(), Some(Duration::from_secs(10)))
        .unwrap();
    assert_eq!(files.deduplicated_writes(), 1);
    assert_eq!(
        std::fs::metadata(files.path_of("d")).unwrap().ino(),
        inode,
        "not rewritten"
    );
    clock.advance(Duration::from_secs(8));
    assert_eq!(
        files.get_blocking_typed::<String>("d").unwrap().as_deref(),
        Some("same"),
        "the expiry moved with the deduplicated write"
    );
    files
        .set_blocking_typed("d", &"other".to_string(), Some(Duration::from_secs(10)))
        .unwrap();
    assert_eq!(files.deduplicated_writes(), 1);
    assert_ne!(std::fs::metadata(files.path_of("d")).unwrap().ino(), inode);
}

#[test]
fn set_if_not_exists_from_many_threads_has_one_winner() {
    let dir = TempDir::new("nx");
    let files = Arc::new(FileStorage::new(dir.path()).unwrap());
    for round in 0..10 {
        let key = format!("nx-{round}");
        let barrier = Arc::new(Barrier::new(8));
        let racers: Vec<_> = (0..8u32)
            .map(|who| {
                let (files, barrier, key) = (files.clone(), barrier.clone(), key.clone());
                std::thread::spawn(move || {
                    let entry = CacheEntry::new(
                        Arc::new(who) as advanced_caching::storage::AnyValue,
                        files.now(),
                        Some(Duration::from_secs(30)),
                        None,
                    );
                    barrier.wait();
                    files
                        .blocking()
                        .set_if_not_exists(&key, entry, &SerdeValue::<u32>::new())
                        .unwrap()
                })
            })
            .collect();
        let wins: Vec<bool> = racers.into_iter().map(|t| t.join().unwrap()).collect();
        assert_eq!(wins.iter().filter(|w| **w).count(), 1, "{wins:?}");
        let winner = wins.iter().position(|w| *w).unwrap() as u32;
        assert_eq!(files.get_blocking_typed::<u32>(&key).unwrap(), Some(winner));
    }
}

#[test]
fn an_expired_entry_does_not_block_set_if_not_exists() {
    let dir = TempDir::new("nx-expired");
    let clock = ManualClock::new(0);
    let files = on_clock(&dir, &clock).build().unwrap();
    let ty = SerdeValue::<u8>::new();
    let entry = |v: u8, now| {
        CacheEntry::new(
            Arc::new(v) as advanced_caching::storage::AnyValue,
            now,
            Some(Duration::from_secs(1)),
            None,
        )
    };
    assert!(
        files
            .blocking()
            .set_if_not_exists("k", entry(1, 0), &ty)
            .unwrap()
    );
    assert!(
        !files
            .blocking()
            .set_if_not_exists("k", entry(2, 0), &ty)
            .unwrap()
    );
    clock.advance(Duration::from_secs(1));
    assert!(
        files
            .blocking()
            .set_if_not_exists("k", entry(3, 1_000), &ty)
            .unwrap()
    );
    assert_eq!(files.get_blocking_typed::<u8>("k").unwrap(), Some(3));
}

#[test]
fn garbage_files_are_misses_and_cleanup_removes_stray_temp_files() {
    let dir = TempDir::new("garbage");
    let files = FileStorage::new(dir.path()).unwrap();
    std::fs::write(files.path_of("bad"), b"not a cache file").unwrap();
    let err = files.get_blocking_typed::<u8>("bad").unwrap_err();
    assert!(matches!(err, StorageError::Codec(_)), "{err:?}");
    // A file whose header is fine but whose key is another one is no hit either.
    files.set_blocking_typed("real", &1u8, None).unwrap();
    std::fs::copy(files.path_of("real"), files.path_of("impostor")).unwrap();
    assert_eq!(files.get_blocking_typed::<u8>("impostor").unwrap(), None);

    let stray = dir.path().join(".tmp-99999-1");
    std::fs::write(&stray, b"half a write").unwrap();
    let recent = dir.path().join(".tmp-99999-2");
    std::fs::write(&recent, b"a write in flight").unwrap();
    std::fs::File::options()
        .write(true)
        .open(&stray)
        .unwrap()
        .set_modified(SystemTime::now() - Duration::from_secs(3_600))
        .unwrap();
    assert_eq!(files.blocking().cleanup_expired().unwrap(), 1);
    assert!(
        !stray.exists() && recent.exists(),
        "only old temp files are strays"
    );
}

#[test]
fn an_unusable_directory_is_a_typed_error_and_a_failing_storage() {
    let dir = TempDir::new("unusable");
    std::fs::create_dir_all(dir.path()).unwrap();
    let file_in_the_way = dir.path().join("file");
    std::fs::write(&file_in_the_way, b"x").unwrap();
    let err = FileStorage::new(file_in_the_way.join("sub")).unwrap_err();
    assert!(matches!(err, StorageError::Config(_)), "{err:?}");
    let failing = FileStorage::builder(file_in_the_way.join("sub")).build_shared();
    assert_eq!(failing.kind(), "file");
    assert!(matches!(
        failing.get_blocking_typed::<u8>("k"),
        Err(StorageError::Config(_))
    ));
    let cache = CacheBuilder::<u8, ()>::new("f")
        .storage(failing)
        .ttl(Some(Duration::from_secs(1)))
        .serde()
        .build_ttl();
    assert_eq!(
        cache.get_or_load_blocking("k", || Ok(4)),
        Ok(4),
        "fails open to the loader"
    );
}

#[test]
fn a_deleted_directory_is_recreated_by_the_next_write() {
    let dir = TempDir::new("vanishing");
    let storage = FileStorage::new(dir.path()).unwrap();
    storage
        .set_blocking_typed("a", &1u32, Some(Duration::from_secs(60)))
        .unwrap();
    std::fs::remove_dir_all(dir.path()).unwrap();
    assert_eq!(
        storage.get_blocking_typed::<u32>("a").unwrap(),
        None,
        "gone: a miss"
    );
    storage
        .set_blocking_typed("a", &2u32, Some(Duration::from_secs(60)))
        .unwrap();
    assert_eq!(storage.get_blocking_typed::<u32>("a").unwrap(), Some(2));
    std::fs::remove_dir_all(dir.path()).unwrap();
    let entry = CacheEntry::new(
        Arc::new(3u32) as advanced_caching::storage::AnyValue,
        storage.now(),
        Some(Duration::from_secs(60)),
        None,
    );
    assert!(
        storage
            .blocking()
            .set_if_not_exists("b", entry, &SerdeValue::<u32>::new())
            .unwrap()
    );
    assert_eq!(storage.get_blocking_typed::<u32>("b").unwrap(), Some(3));
}

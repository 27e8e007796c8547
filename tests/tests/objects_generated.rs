//! Generated wrappers (`specs/objects.toml`) whose storages are chains ending in S3 (memory →
//! files → S3, async) and in GCS (memory → GCS, sync), against the emulators.
#![allow(clippy::unwrap_used)] // a test fails loudly on an unexpected error
#![allow(missing_docs)]

use std::sync::Arc;

use advanced_caching::storage::StorageExt as _;
use advanced_caching::storage::{
    Codec, FileStorage, GcsStorage, MemoryStorage, S3Storage, SharedStorage, Storage,
};
use advanced_caching_tests::emulator_or_skip;
use advanced_caching_tests::fixture::calls;
use advanced_caching_tests::harness::create_gcs_bucket;
use advanced_caching_tests::objects_spec::caches::Caches;

fn temp_dir(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!(
        "advanced-caching-objects-{name}-{}",
        std::process::id()
    ))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_chain_ending_in_s3_fills_every_level_and_serves_from_the_deepest() {
    let moto = emulator_or_skip!(moto);
    let s3 = S3Storage::builder("gen-bucket")
        .endpoint(moto.endpoint())
        .credentials("test", "test")
        .prefix("gen/")
        .codec(Codec::Json)
        .compression(true)
        .dedupe_writes(true)
        .build()
        .unwrap();
    s3.client()
        .create_bucket()
        .bucket("gen-bucket")
        .send()
        .await
        .unwrap();
    let s3 = Arc::new(s3);
    let dir = temp_dir("s3");
    let near = Arc::new(MemoryStorage::new(100));
    let disk = Arc::new(
        FileStorage::builder(&dir)
            .compression(true)
            .build()
            .unwrap(),
    );
    let build = |near: SharedStorage, disk: SharedStorage| {
        Caches::builder()
            .storage("near", near)
            .storage("disk", disk)
            .storage("s3", s3.clone())
            .build()
            .unwrap()
    };
    let caches = build(near.clone(), disk.clone());
    let report = caches.report(7).await.unwrap();
    assert_eq!(report.len(), 500);
    assert_eq!(caches.report(7).await.unwrap(), report);
    assert_eq!(calls("build_report:7"), 1);
    assert!(near.len() == 1 && disk.blocking().exists("report:7").unwrap());
    assert!(
        s3.exists("report:7").await.unwrap(),
        "written through to S3"
    );

    // Another process: empty memory and an empty disk, the same bucket: served from S3, and the
    // faster levels are filled on the way back.
    let (near2, dir2) = (Arc::new(MemoryStorage::new(100)), temp_dir("s3-other"));
    let disk2 = Arc::new(FileStorage::new(&dir2).unwrap());
    let other = build(near2.clone(), disk2.clone());
    assert_eq!(other.report(7).await.unwrap(), report);
    assert_eq!(calls("build_report:7"), 1);
    assert!(
        near2.len() == 1 && disk2.blocking().exists("report:7").unwrap(),
        "promoted"
    );
    let _ = std::fs::remove_dir_all(dir);
    let _ = std::fs::remove_dir_all(dir2);
}

#[test]
fn a_chain_ending_in_gcs_works_for_sync_loaders() {
    let gcs = emulator_or_skip!(fake_gcs);
    let storage = GcsStorage::builder("gen-bucket")
        .endpoint(gcs.endpoint())
        .prefix("gen/")
        .dedupe_writes(true)
        .build()
        .unwrap();
    advanced_caching::block_on(create_gcs_bucket(&storage, "gen-bucket")).unwrap();
    let storage = Arc::new(storage);
    let near = Arc::new(MemoryStorage::new(100));
    let caches = Caches::builder()
        .storage("near", near.clone())
        .storage("gcs", storage.clone())
        .build()
        .unwrap();
    let thumb = caches.thumbnail(42);
    assert_eq!(caches.thumbnail(42), thumb);
    assert_eq!(calls("thumbnail:42"), 1);
    assert!(
        storage.blocking().exists("thumb:42").unwrap(),
        "written through to GCS"
    );
    near.clear();
    assert_eq!(caches.thumbnail(42), thumb, "served from GCS");
    assert_eq!(calls("thumbnail:42"), 1);
    assert_eq!(near.len(), 1, "promoted back to memory");
}

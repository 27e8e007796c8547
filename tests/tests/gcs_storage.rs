//! The GCS storage against fake-gcs-server (started by each test): every operation, expiry in
//! metadata, `ifGenerationMatch=0` creates, compression, dedupe without upload, and an outage.
#![allow(clippy::unwrap_used)] // a test fails loudly on an unexpected error
#![allow(missing_docs)]

use std::sync::{Arc, Barrier};
use std::time::Duration;

use advanced_caching::{
    StorageError,
    clock::ManualClock,
    storage::{CacheEntry, Codec, GcsStorage, SerdeValue, Storage, StorageExt},
    strategy::CacheBuilder,
};
use advanced_caching_tests::emulator_or_skip;
use advanced_caching_tests::harness::{Emulator, create_gcs_bucket};
use gcloud_storage::http::objects::Object;
use gcloud_storage::http::objects::get::GetObjectRequest;
use gcloud_storage::http::objects::upload::{UploadObjectRequest, UploadType};

fn builder(gcs: &Emulator, bucket: &str) -> advanced_caching::storage::GcsStorageBuilder {
    GcsStorage::builder(bucket).endpoint(gcs.endpoint())
}

async fn bucket(gcs: &Emulator, name: &str) -> GcsStorage {
    let storage = builder(gcs, name).build().unwrap();
    create_gcs_bucket(&storage, name).await;
    storage
}

async fn object(storage: &GcsStorage, key: &str) -> Object {
    storage
        .client()
        .get_object(&GetObjectRequest {
            bucket: storage.bucket().into(),
            object: storage.object_name(key),
            ..Default::default()
        })
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn expiry_lives_in_metadata_and_cleanup_removes_expired_objects() {
    let gcs = emulator_or_skip!(fake_gcs);
    let clock = ManualClock::new(1_000_000);
    let _ = bucket(&gcs, "expiry").await;
    let storage = builder(&gcs, "expiry")
        .clock(Arc::new(clock.clone()))
        .prefix("cache/")
        .build()
        .unwrap();
    storage
        .set_typed("short", &1u8, Some(Duration::from_secs(1)))
        .await
        .unwrap();
    storage
        .set_typed("long", &2u8, Some(Duration::from_secs(60)))
        .await
        .unwrap();
    clock.advance(Duration::from_secs(2));
    assert_eq!(
        storage.get_typed::<u8>("short").await.unwrap(),
        None,
        "expired by metadata"
    );
    assert!(!storage.exists("short").await.unwrap());
    assert_eq!(storage.get_typed::<u8>("long").await.unwrap(), Some(2));
    assert_eq!(storage.cleanup_expired().await.unwrap(), 1);
    assert_eq!(storage.cleanup_expired().await.unwrap(), 0);
    assert_eq!(storage.get_typed::<u8>("long").await.unwrap(), Some(2));
}

#[tokio::test(flavor = "multi_thread")]
async fn set_if_not_exists_is_one_conditional_upload() {
    let gcs = emulator_or_skip!(fake_gcs);
    let storage = Arc::new(bucket(&gcs, "nx-bucket").await);
    let ty = SerdeValue::<u32>::new();
    let entry = |v: u32, s: &GcsStorage| {
        CacheEntry::new(
            Arc::new(v) as advanced_caching::storage::AnyValue,
            s.now(),
            Some(Duration::from_secs(60)),
            None,
        )
    };
    assert!(
        storage
            .set_if_not_exists("k", entry(1, &storage), &ty)
            .await
            .unwrap()
    );
    assert!(
        !storage
            .set_if_not_exists("k", entry(2, &storage), &ty)
            .await
            .unwrap()
    );
    assert_eq!(storage.get_typed::<u32>("k").await.unwrap(), Some(1));

    let barrier = Arc::new(Barrier::new(2));
    let racers: Vec<_> = (0..2u32)
        .map(|who| {
            let (storage, barrier) = (storage.clone(), barrier.clone());
            std::thread::spawn(move || {
                let e = CacheEntry::new(
                    Arc::new(who) as advanced_caching::storage::AnyValue,
                    storage.now(),
                    Some(Duration::from_secs(60)),
                    None,
                );
                barrier.wait();
                storage
                    .blocking()
                    .set_if_not_exists("race", e, &SerdeValue::<u32>::new())
                    .unwrap()
            })
        })
        .collect();
    let wins: Vec<bool> = racers.into_iter().map(|t| t.join().unwrap()).collect();
    assert_eq!(wins.iter().filter(|w| **w).count(), 1, "{wins:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn compression_on_and_off() {
    let gcs = emulator_or_skip!(fake_gcs);
    let _ = bucket(&gcs, "zip").await;
    let value: Vec<String> = (0..300).map(|i| format!("row-{i}")).collect();
    let mut sizes = Vec::new();
    for compression in [false, true] {
        let storage = builder(&gcs, "zip")
            .prefix(format!("{compression}/"))
            .codec(Codec::Json)
            .compression(compression)
            .build()
            .unwrap();
        storage.set_typed("v", &value, None).await.unwrap();
        assert_eq!(
            storage.get_typed::<Vec<String>>("v").await.unwrap(),
            Some(value.clone())
        );
        sizes.push(object(&storage, "v").await.size);
    }
    assert!(
        sizes[1] * 2 < sizes[0],
        "compressed body is smaller: {sizes:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn dedupe_skips_the_upload_and_moves_the_expiry() {
    let gcs = emulator_or_skip!(fake_gcs);
    let clock = ManualClock::new(5_000_000);
    let _ = bucket(&gcs, "dedupe").await;
    let storage = builder(&gcs, "dedupe")
        .clock(Arc::new(clock.clone()))
        .dedupe_writes(true)
        .build()
        .unwrap();
    storage
        .set_typed("d", &"same".to_string(), Some(Duration::from_secs(10)))
        .await
        .unwrap();
    let first = object(&storage, "d").await.generation;
    clock.advance(Duration::from_secs(8));
    storage
        .set_typed("d", &"same".to_string(), Some(Duration::from_secs(10)))
        .await
        .unwrap();
    assert_eq!(storage.skipped_uploads(), 1);
    let after = object(&storage, "d").await;
    assert_eq!(
        after.generation, first,
        "the content was not uploaded again"
    );
    assert_eq!(
        after
            .metadata
            .unwrap()
            .get("ac-fresh-until")
            .map(String::as_str),
        Some("5018000"),
        "the expiry moved"
    );
    clock.advance(Duration::from_secs(8));
    assert_eq!(
        storage.get_typed::<String>("d").await.unwrap().as_deref(),
        Some("same")
    );
    storage
        .set_typed("d", &"changed".to_string(), Some(Duration::from_secs(10)))
        .await
        .unwrap();
    assert_eq!(storage.skipped_uploads(), 1);
    assert_ne!(object(&storage, "d").await.generation, first);
}

#[tokio::test(flavor = "multi_thread")]
async fn foreign_objects_are_misses() {
    let gcs = emulator_or_skip!(fake_gcs);
    let storage = bucket(&gcs, "foreign").await;
    storage
        .client()
        .upload_object(
            &UploadObjectRequest {
                bucket: "foreign".into(),
                ..Default::default()
            },
            b"not ours".to_vec(),
            &UploadType::Multipart(Box::new(Object {
                name: storage.object_name("x"),
                ..Default::default()
            })),
        )
        .await
        .unwrap();
    let err = storage.get_typed::<u8>("x").await.unwrap_err();
    assert!(matches!(err, StorageError::Codec(_)), "{err:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_emulator_outage_falls_back_to_the_loader() {
    let mut gcs = emulator_or_skip!(fake_gcs);
    let storage = Arc::new(bucket(&gcs, "outage").await);
    let cache = CacheBuilder::<u64, ()>::new("gcs-outage")
        .storage(storage.clone())
        .ttl(Some(Duration::from_secs(60)))
        .serde()
        .build_ttl();
    assert_eq!(cache.get_or_load("k", || async { Ok(1) }).await, Ok(1));
    assert_eq!(
        cache.get_or_load("k", || async { Ok(2) }).await,
        Ok(1),
        "a hit"
    );
    gcs.stop();
    assert_eq!(
        cache.get_or_load("k", || async { Ok(3) }).await,
        Ok(3),
        "the loader answers"
    );
    assert!(cache.stats().storage_errors > 0);
}

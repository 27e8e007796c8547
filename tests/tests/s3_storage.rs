//! The S3 storage against moto's server (started by each test): every operation, expiry in
//! metadata, conditional create, compression, dedupe without upload, and an emulator outage.
#![allow(clippy::unwrap_used)] // a test fails loudly on an unexpected error
#![allow(missing_docs)]

use std::sync::{Arc, Barrier};
use std::time::Duration;

use advanced_caching::{
    StorageError,
    clock::ManualClock,
    storage::{CacheEntry, Codec, S3Storage, SerdeValue, Storage, StorageExt},
    strategy::CacheBuilder,
};
use advanced_caching_tests::emulator_or_skip;
use advanced_caching_tests::harness::Emulator;

fn builder(moto: &Emulator, bucket: &str) -> advanced_caching::storage::S3StorageBuilder {
    S3Storage::builder(bucket)
        .endpoint(moto.endpoint())
        .credentials("test", "test")
        .region("us-east-1")
        .timeout(Duration::from_secs(2))
}

async fn bucket(moto: &Emulator, name: &str) -> S3Storage {
    let s3 = builder(moto, name).build().unwrap();
    s3.client()
        .create_bucket()
        .bucket(name)
        .send()
        .await
        .unwrap();
    s3
}

async fn etag(s3: &S3Storage, key: &str) -> String {
    let head = s3
        .client()
        .head_object()
        .bucket(s3.bucket())
        .key(s3.object_name(key))
        .send()
        .await
        .unwrap();
    head.e_tag().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn expiry_lives_in_metadata_and_cleanup_removes_expired_objects() {
    let moto = emulator_or_skip!(moto);
    let clock = ManualClock::new(1_000_000);
    let _ = bucket(&moto, "expiry").await;
    let s3 = builder(&moto, "expiry")
        .clock(Arc::new(clock.clone()))
        .prefix("cache/")
        .build()
        .unwrap();
    s3.set_typed("short", &1u8, Some(Duration::from_secs(1)))
        .await
        .unwrap();
    s3.set_typed("long", &2u8, Some(Duration::from_secs(60)))
        .await
        .unwrap();
    clock.advance(Duration::from_secs(2));
    assert_eq!(
        s3.get_typed::<u8>("short").await.unwrap(),
        None,
        "expired by metadata"
    );
    assert!(!s3.exists("short").await.unwrap());
    assert_eq!(s3.get_typed::<u8>("long").await.unwrap(), Some(2));
    assert_eq!(s3.cleanup_expired().await.unwrap(), 1);
    let listed = s3
        .client()
        .list_objects_v2()
        .bucket("expiry")
        .send()
        .await
        .unwrap();
    let names: Vec<_> = listed.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(names, vec!["cache/k/long"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn set_if_not_exists_is_one_conditional_create() {
    let moto = emulator_or_skip!(moto);
    let s3 = Arc::new(bucket(&moto, "nx-bucket").await);
    let ty = SerdeValue::<u32>::new();
    let entry = |v: u32, s3: &S3Storage| {
        CacheEntry::new(
            Arc::new(v) as advanced_caching::storage::AnyValue,
            s3.now(),
            Some(Duration::from_secs(60)),
            None,
        )
    };
    assert!(s3.set_if_not_exists("k", entry(1, &s3), &ty).await.unwrap());
    assert!(!s3.set_if_not_exists("k", entry(2, &s3), &ty).await.unwrap());
    assert_eq!(s3.get_typed::<u32>("k").await.unwrap(), Some(1));

    let barrier = Arc::new(Barrier::new(2));
    let racers: Vec<_> = (0..2u32)
        .map(|who| {
            let (s3, barrier) = (s3.clone(), barrier.clone());
            std::thread::spawn(move || {
                let e = CacheEntry::new(
                    Arc::new(who) as advanced_caching::storage::AnyValue,
                    s3.now(),
                    Some(Duration::from_secs(60)),
                    None,
                );
                barrier.wait();
                s3.blocking()
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
    let moto = emulator_or_skip!(moto);
    let _ = bucket(&moto, "zip").await;
    let value: Vec<String> = (0..300).map(|i| format!("row-{i}")).collect();
    let mut sizes = Vec::new();
    for compression in [false, true] {
        let s3 = builder(&moto, "zip")
            .prefix(format!("{compression}/"))
            .codec(Codec::Json)
            .compression(compression)
            .build()
            .unwrap();
        s3.set_typed("v", &value, None).await.unwrap();
        assert_eq!(
            s3.get_typed::<Vec<String>>("v").await.unwrap(),
            Some(value.clone())
        );
        let head = s3
            .client()
            .head_object()
            .bucket("zip")
            .key(s3.object_name("v"))
            .send()
            .await
            .unwrap();
        sizes.push(head.content_length().unwrap());
    }
    assert!(
        sizes[1] * 2 < sizes[0],
        "compressed body is smaller: {sizes:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn dedupe_skips_the_upload_and_moves_the_expiry() {
    let moto = emulator_or_skip!(moto);
    let clock = ManualClock::new(5_000_000);
    let _ = bucket(&moto, "dedupe").await;
    let s3 = builder(&moto, "dedupe")
        .clock(Arc::new(clock.clone()))
        .dedupe_writes(true)
        .build()
        .unwrap();
    s3.set_typed("d", &"same".to_string(), Some(Duration::from_secs(10)))
        .await
        .unwrap();
    let first = etag(&s3, "d").await;
    let modified = |s3: &S3Storage| {
        let (client, bucket, name) = (
            s3.client().clone(),
            s3.bucket().to_owned(),
            s3.object_name("d"),
        );
        async move {
            let head = client
                .head_object()
                .bucket(bucket)
                .key(name)
                .send()
                .await
                .unwrap();
            head.metadata().unwrap().get("ac-fresh-until").cloned()
        }
    };
    clock.advance(Duration::from_secs(8));
    s3.set_typed("d", &"same".to_string(), Some(Duration::from_secs(10)))
        .await
        .unwrap();
    assert_eq!(s3.skipped_uploads(), 1);
    assert_eq!(
        etag(&s3, "d").await,
        first,
        "the content was not uploaded again"
    );
    assert_eq!(
        modified(&s3).await.as_deref(),
        Some("5018000"),
        "the expiry moved"
    );
    clock.advance(Duration::from_secs(8));
    assert_eq!(
        s3.get_typed::<String>("d").await.unwrap().as_deref(),
        Some("same")
    );
    s3.set_typed("d", &"changed".to_string(), Some(Duration::from_secs(10)))
        .await
        .unwrap();
    assert_eq!(s3.skipped_uploads(), 1);
    assert_ne!(etag(&s3, "d").await, first);
}

#[tokio::test(flavor = "multi_thread")]
async fn foreign_objects_are_misses() {
    let moto = emulator_or_skip!(moto);
    let s3 = bucket(&moto, "foreign").await;
    s3.client()
        .put_object()
        .bucket("foreign")
        .key(s3.object_name("x"))
        .body(b"not ours".to_vec().into())
        .send()
        .await
        .unwrap();
    let err = s3.get_typed::<u8>("x").await.unwrap_err();
    assert!(matches!(err, StorageError::Codec(_)), "{err:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_emulator_outage_falls_back_to_the_loader() {
    let mut moto = emulator_or_skip!(moto);
    let s3 = Arc::new(bucket(&moto, "outage").await);
    let cache = CacheBuilder::<u64, ()>::new("s3-outage")
        .storage(s3.clone())
        .ttl(Some(Duration::from_secs(60)))
        .serde()
        .build_ttl();
    assert_eq!(cache.get_or_load("k", || async { Ok(1) }).await, Ok(1));
    assert_eq!(
        cache.get_or_load("k", || async { Ok(2) }).await,
        Ok(1),
        "a hit"
    );
    moto.stop();
    assert_eq!(
        cache.get_or_load("k", || async { Ok(3) }).await,
        Ok(3),
        "the loader answers"
    );
    assert!(cache.stats().storage_errors > 0);
}

//! The storage contract: what every [`Storage`] does the same way, run against each storage
//! (memory, file, chain, hybrid, Redis, Redis Cluster, S3, GCS) by `tests/storage_contract.rs`.
//!
//! Each storage is built on a [`ManualClock`], so expiry is checked without sleeping: an entry
//! is a miss once the storage's clock passes its TTL, whatever the backend's own expiry does.
#![allow(clippy::unwrap_used)] // a broken clause fails the test loudly

use std::time::Duration;

use advanced_caching::{
    clock::ManualClock,
    storage::{SerdeValue, Storage, StorageExt, lock_entry},
};

/// Runs the whole contract, async and blocking, on keys under `prefix` (so that several runs can
/// share a backend).
///
/// # Panics
/// On the first broken clause, naming the storage (`label`) and the clause.
pub async fn check(storage: &dyn Storage, clock: &ManualClock, label: &str) {
    values(storage, clock, label, "async").await;
    shapes(storage, label).await;
    locks(storage, label, "async").await;
    let blocking = format!("{label} (blocking)");
    tokio::task::block_in_place(|| {
        values_blocking(storage, clock, &blocking);
        locks_blocking(storage, &blocking);
    });
}

const TTL: Duration = Duration::from_secs(10);

async fn values(storage: &dyn Storage, clock: &ManualClock, label: &str, p: &str) {
    let key = format!("contract:{p}:value");
    assert_eq!(
        storage.get_typed::<String>(&key).await.unwrap(),
        None,
        "{label}: a missing key is a miss"
    );
    assert!(
        !storage.exists(&key).await.unwrap(),
        "{label}: missing ⇒ !exists"
    );
    storage
        .set_typed(&key, &"one".to_owned(), Some(TTL))
        .await
        .unwrap();
    assert_eq!(
        storage.get_typed::<String>(&key).await.unwrap().as_deref(),
        Some("one"),
        "{label}: set then get"
    );
    assert!(storage.exists(&key).await.unwrap(), "{label}: set ⇒ exists");
    storage
        .set_typed(&key, &"two".to_owned(), Some(TTL))
        .await
        .unwrap();
    assert_eq!(
        storage.get_typed::<String>(&key).await.unwrap().as_deref(),
        Some("two"),
        "{label}: overwrite"
    );
    clock.advance(TTL + Duration::from_secs(1));
    assert_eq!(
        storage.get_typed::<String>(&key).await.unwrap(),
        None,
        "{label}: expired is a miss"
    );

    let never = format!("contract:{p}:never");
    storage
        .set_typed(&never, &"kept".to_owned(), None)
        .await
        .unwrap();
    clock.advance(Duration::from_secs(365 * 24 * 3600));
    assert_eq!(
        storage
            .get_typed::<String>(&never)
            .await
            .unwrap()
            .as_deref(),
        Some("kept"),
        "{label}: no TTL never expires"
    );
    assert!(
        storage.delete(&never).await.unwrap(),
        "{label}: delete of a present key"
    );
    assert_eq!(
        storage.get_typed::<String>(&never).await.unwrap(),
        None,
        "{label}: deleted is a miss"
    );

    let once = format!("contract:{p}:once");
    let ty = SerdeValue::<String>::new();
    let entry = |v: &str| {
        advanced_caching::storage::CacheEntry::new(
            std::sync::Arc::new(v.to_owned()) as advanced_caching::storage::AnyValue,
            storage.now(),
            Some(TTL),
            None,
        )
    };
    assert!(
        storage
            .set_if_not_exists(&once, entry("first"), &ty)
            .await
            .unwrap(),
        "{label}: create"
    );
    assert!(
        !storage
            .set_if_not_exists(&once, entry("second"), &ty)
            .await
            .unwrap(),
        "{label}: no second create"
    );
    assert_eq!(
        storage.get_typed::<String>(&once).await.unwrap().as_deref(),
        Some("first"),
        "{label}: the first create wins"
    );
    clock.advance(TTL + Duration::from_secs(1));
    assert!(
        storage
            .set_if_not_exists(&once, entry("third"), &ty)
            .await
            .unwrap(),
        "{label}: an expired entry is absent"
    );
    assert_eq!(
        storage.get_typed::<String>(&once).await.unwrap().as_deref(),
        Some("third"),
        "{label}: created over an expired entry"
    );
}

/// What a storage keeps exactly: a TTL to the millisecond, any key (path-like, with a NUL,
/// very long, non-ASCII), and a delete of an absent key is `false`.
async fn shapes(storage: &dyn Storage, label: &str) {
    let key = "contract:shapes:ms";
    storage
        .set_typed(key, &1u8, Some(Duration::from_millis(1_500)))
        .await
        .unwrap();
    let entry = storage
        .get_entry(key, &SerdeValue::<u8>::new())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        entry.fresh_until.unwrap() - entry.created_at,
        1_500,
        "{label}: the TTL is kept to the millisecond"
    );
    assert!(storage.delete(key).await.unwrap(), "{label}: delete");
    assert!(
        !storage.delete(key).await.unwrap(),
        "{label}: delete of an absent key is false"
    );
    let long = format!("contract:shapes:{}", "k".repeat(5_000));
    for key in [
        "contract:shapes:../../etc/passwd",
        "contract:shapes:nul\0byte",
        long.as_str(),
        "contract:shapes:spaces and ünïcode",
    ] {
        storage.set_typed(key, &key.len(), None).await.unwrap();
        assert_eq!(
            storage.get_typed::<usize>(key).await.unwrap(),
            Some(key.len()),
            "{label}: the key {key:.60?} round-trips"
        );
        assert!(
            storage.delete(key).await.unwrap(),
            "{label}: {key:.60?} deleted"
        );
    }
}

fn values_blocking(storage: &dyn Storage, clock: &ManualClock, label: &str) {
    let key = "contract:blocking:value";
    let get = |k: &str| storage.get_blocking_typed::<String>(k).unwrap();
    assert_eq!(get(key), None, "{label}: a missing key is a miss");
    assert!(
        !storage.blocking().exists(key).unwrap(),
        "{label}: missing ⇒ !exists"
    );
    storage
        .set_blocking_typed(key, &"one".to_owned(), Some(TTL))
        .unwrap();
    assert_eq!(get(key).as_deref(), Some("one"), "{label}: set then get");
    assert!(
        storage.blocking().exists(key).unwrap(),
        "{label}: set ⇒ exists"
    );
    clock.advance(TTL + Duration::from_secs(1));
    assert_eq!(get(key), None, "{label}: expired is a miss");
    storage
        .set_blocking_typed(key, &"two".to_owned(), None)
        .unwrap();
    assert!(
        storage.blocking().delete(key).unwrap(),
        "{label}: delete of a present key"
    );
    assert_eq!(get(key), None, "{label}: deleted is a miss");
}

async fn locks(storage: &dyn Storage, label: &str, p: &str) {
    let lock = format!("~lock:contract:{p}");
    let ty = SerdeValue::<String>::new();
    let held = lock_entry("me", storage.now(), TTL);
    assert!(
        storage.set_if_not_exists(&lock, held, &ty).await.unwrap(),
        "{label}: lock taken"
    );
    assert!(
        !storage.release_lock(&lock, "someone else").await.unwrap(),
        "{label}: only the holder releases"
    );
    assert!(
        !storage
            .renew_lock(&lock, "someone else", TTL)
            .await
            .unwrap(),
        "{label}: only the holder renews"
    );
    assert!(
        storage.renew_lock(&lock, "me", TTL).await.unwrap(),
        "{label}: the holder renews"
    );
    assert!(
        storage.release_lock(&lock, "me").await.unwrap(),
        "{label}: the holder releases"
    );
    let again = lock_entry("next", storage.now(), TTL);
    assert!(
        storage.set_if_not_exists(&lock, again, &ty).await.unwrap(),
        "{label}: a released lock is free"
    );
    assert!(
        storage.release_lock(&lock, "next").await.unwrap(),
        "{label}: released again"
    );
}

fn locks_blocking(storage: &dyn Storage, label: &str) {
    let lock = "~lock:contract:blocking";
    let ty = SerdeValue::<String>::new();
    let held = lock_entry("me", storage.now(), TTL);
    assert!(
        storage
            .blocking()
            .set_if_not_exists(lock, held, &ty)
            .unwrap(),
        "{label}: lock taken"
    );
    assert!(
        !storage
            .blocking()
            .release_lock(lock, "someone else")
            .unwrap(),
        "{label}: only the holder releases"
    );
    assert!(
        !storage
            .blocking()
            .renew_lock(lock, "someone else", TTL)
            .unwrap(),
        "{label}: only the holder renews"
    );
    assert!(
        storage.blocking().renew_lock(lock, "me", TTL).unwrap(),
        "{label}: the holder renews"
    );
    assert!(
        storage.blocking().release_lock(lock, "me").unwrap(),
        "{label}: the holder releases"
    );
}

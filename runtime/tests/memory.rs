#![allow(clippy::unwrap_used)] // a test fails loudly on an unexpected error
#![allow(missing_docs)]
//! The memory storage, keys, codecs and env expansion.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::Duration;

use advanced_caching::{
    clock::ManualClock,
    key::{KeyBuilder, compose_key},
    storage::{
        CacheEntry, Codec, CodecError, MemoryStorage, ObjectValue, SerdeValue, Storage, StorageExt,
        expand_with,
    },
};

fn entry(
    v: u64,
    clock: &ManualClock,
    ttl: Option<Duration>,
) -> advanced_caching::storage::AnyEntry {
    CacheEntry::new(
        Arc::new(v) as _,
        advanced_caching::clock::Clock::now_millis(clock),
        ttl,
        None,
    )
}

#[test]
fn never_holds_more_than_its_bound_under_two_threads() {
    for bound in [1usize, 7, 64, 1_000] {
        let storage = Arc::new(MemoryStorage::new(bound));
        let over = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..2u64)
            .map(|t| {
                let (storage, over) = (storage.clone(), over.clone());
                std::thread::spawn(move || {
                    let mut x = t.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
                    for _ in 0..20_000 {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        let key = format!("k{}", x % 5_000);
                        storage.set_blocking_typed(&key, &x, None).unwrap();
                        if storage.len() > bound {
                            over.fetch_add(1, Ordering::SeqCst);
                        }
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(over.load(Ordering::SeqCst), 0, "bound {bound} exceeded");
        assert!(storage.len() <= bound);
    }
}

#[test]
fn set_if_not_exists_racing_from_two_threads_has_one_winner() {
    let storage = Arc::new(MemoryStorage::new(10_000));
    let clock = ManualClock::new(0);
    for round in 0..500 {
        let key = format!("lock{round}");
        let barrier = Arc::new(Barrier::new(2));
        let wins: Vec<bool> = (0..2)
            .map(|i| {
                let (storage, barrier, key, clock) =
                    (storage.clone(), barrier.clone(), key.clone(), clock.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    storage
                        .blocking()
                        .set_if_not_exists(&key, entry(i, &clock, None), &ObjectValue::<u64>::new())
                        .unwrap()
                })
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|t| t.join().unwrap())
            .collect();
        assert_eq!(
            wins.iter().filter(|w| **w).count(),
            1,
            "round {round}: {wins:?}"
        );
    }
}

#[test]
fn expiry_delete_exists_and_cleanup() {
    let clock = ManualClock::new(0);
    let storage = MemoryStorage::with_clock(100, Arc::new(clock.clone()));
    let ty = SerdeValue::<u64>::new();
    storage
        .blocking()
        .set_entry("a", entry(1, &clock, Some(Duration::from_secs(1))), &ty)
        .unwrap();
    storage
        .blocking()
        .set_entry("b", entry(2, &clock, Some(Duration::from_secs(5))), &ty)
        .unwrap();
    storage
        .blocking()
        .set_entry("c", entry(3, &clock, None), &ty)
        .unwrap();
    assert!(storage.blocking().exists("a").unwrap());
    clock.advance(Duration::from_secs(2));
    assert!(!storage.blocking().exists("a").unwrap());
    assert!(storage.get_entry_blocking("a", &ty).unwrap().is_none());
    clock.advance(Duration::from_secs(4));
    assert_eq!(
        storage.blocking().cleanup_expired().unwrap(),
        1,
        "b expired and removed"
    );
    assert_eq!(storage.len(), 1);
    assert!(storage.blocking().delete("c").unwrap());
    assert!(!storage.blocking().delete("c").unwrap());
    // An expired key can be claimed again.
    storage
        .blocking()
        .set_entry("d", entry(4, &clock, Some(Duration::from_secs(1))), &ty)
        .unwrap();
    assert!(
        !storage
            .blocking()
            .set_if_not_exists("d", entry(5, &clock, None), &ty)
            .unwrap()
    );
    clock.advance(Duration::from_secs(1));
    assert!(
        storage
            .blocking()
            .set_if_not_exists("d", entry(6, &clock, None), &ty)
            .unwrap()
    );
}

#[test]
fn one_storage_holds_values_of_many_types() {
    let storage = MemoryStorage::new(100);
    storage.set_blocking_typed("n", &5u64, None).unwrap();
    storage
        .set_blocking_typed("s", &"text".to_string(), None)
        .unwrap();
    storage
        .set_blocking_typed("v", &vec![1u8, 2], None)
        .unwrap();
    assert_eq!(storage.get_blocking_typed::<u64>("n").unwrap(), Some(5));
    assert_eq!(
        storage
            .get_blocking_typed::<String>("s")
            .unwrap()
            .as_deref(),
        Some("text")
    );
    assert_eq!(
        storage.get_blocking_typed::<Vec<u8>>("v").unwrap(),
        Some(vec![1, 2])
    );
    // Asking for the wrong type is no value, not a panic.
    assert_eq!(storage.get_blocking_typed::<u64>("s").unwrap(), None);
}

#[test]
fn keys_never_collide_for_distinct_arguments() {
    let pairs = [
        ("a:b", "c"),
        ("a", "b:c"),
        ("a\\", ":c"),
        ("a\\:", "c"),
        ("", "a:b:c"),
    ];
    let keys: std::collections::HashSet<_> = pairs
        .iter()
        .map(|(a, b)| compose_key("f", &[a, b]))
        .collect();
    assert_eq!(keys.len(), pairs.len(), "{keys:?}");

    let build = |a: &str, b: &str| {
        let mut k = KeyBuilder::new("-");
        k.argument(format_args!("{a}"));
        k.literal("-");
        k.argument(format_args!("{b}"));
        k.finish()
    };
    assert_ne!(build("x-y", "z"), build("x", "y-z"));
    assert_eq!(build("plain", "ok"), "plain-ok");
    let mut padded = KeyBuilder::new(":");
    padded.literal("id:");
    padded.argument(format_args!("{:>08}", 42));
    assert_eq!(padded.finish(), "id:00000042");
}

#[test]
fn codecs_round_trip_and_bad_bytes_are_errors() {
    #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
    struct User {
        id: u64,
        name: String,
        tags: Vec<String>,
    }
    let user = User {
        id: 7,
        name: "ada".into(),
        tags: vec!["x".into()],
    };
    for codec in [Codec::Json, Codec::Binary] {
        let bytes = codec.encode(&user).unwrap();
        assert_eq!(
            codec.decode::<User>(&bytes).unwrap(),
            user,
            "{}",
            codec.name()
        );
        assert!(matches!(
            codec.decode::<User>(&bytes[..bytes.len() / 2]),
            Err(CodecError::Decode(_))
        ));
    }
    assert!(Codec::Binary.encode(&user).unwrap().len() < Codec::Json.encode(&user).unwrap().len());
}

#[test]
fn env_expansion() {
    let env = |v: &str| match v {
        "HOST" => Some("db".to_string()),
        "EMPTY" => Some(String::new()),
        _ => None,
    };
    assert_eq!(
        expand_with("redis://${HOST}:1", env).unwrap(),
        "redis://db:1"
    );
    assert_eq!(
        expand_with("${MISSING:-fallback}", env).unwrap(),
        "fallback"
    );
    assert_eq!(expand_with("${EMPTY:-fallback}", env).unwrap(), "fallback");
    assert_eq!(expand_with("${EMPTY}", env).unwrap(), "");
    assert_eq!(expand_with("cost $$5 $x", env).unwrap(), "cost $5 $x");
    assert_eq!(expand_with("${MISSING}", env).unwrap_err().var, "MISSING");
}

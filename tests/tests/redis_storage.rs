//! The Redis storage against a real redis-server (started by each test): every operation, async
//! and blocking, TTLs in Redis, prefixes, codecs, dedupe, atomic set_if_not_exists, bad payloads.
#![allow(clippy::unwrap_used)] // a test fails loudly on an unexpected error
#![allow(missing_docs)]

use std::sync::{Arc, Barrier};
use std::time::Duration;

use advanced_caching::{
    StorageError,
    storage::{CacheEntry, Codec, RedisStorage, SerdeValue, Storage, StorageExt},
    strategy::CacheBuilder,
};
use advanced_caching_tests::redis_or_skip;
use redis::Commands;

fn pttl(conn: &mut redis::Connection, key: &str) -> i64 {
    redis::cmd("PTTL").arg(key).query(conn).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn redis_keeps_millisecond_ttls_and_endless_entries() {
    // Get, set, delete and exact TTLs are the storage contract's; here, what Redis itself holds.
    let server = redis_or_skip!();
    let redis = RedisStorage::connect(server.url()).unwrap();
    redis
        .set_typed("a", &"one".to_string(), Some(Duration::from_millis(1_500)))
        .await
        .unwrap();
    let left = pttl(&mut server.client(), "a");
    assert!(
        (1_000..=1_500).contains(&left),
        "PTTL keeps milliseconds: {left}"
    );
    redis.set_typed("forever", &1u8, None).await.unwrap();
    assert_eq!(
        pttl(&mut server.client(), "forever"),
        -1,
        "no ttl = no expiry"
    );
}

#[test]
fn blocking_operations_work_outside_any_runtime() {
    let server = redis_or_skip!();
    let redis = RedisStorage::connect(server.url()).unwrap();
    redis
        .set_blocking_typed("b", &vec![1u32, 2, 3], Some(Duration::from_secs(60)))
        .unwrap();
    assert_eq!(
        redis.get_blocking_typed::<Vec<u32>>("b").unwrap(),
        Some(vec![1, 2, 3])
    );
    assert!(redis.blocking().exists("b").unwrap());
    assert!(redis.blocking().delete("b").unwrap());
    assert_eq!(redis.get_blocking_typed::<Vec<u32>>("b").unwrap(), None);
    assert_eq!(redis.blocking().cleanup_expired().unwrap(), 0);
}

#[tokio::test(flavor = "current_thread")]
async fn blocking_operations_do_not_panic_inside_a_current_thread_runtime() {
    let server = redis_or_skip!();
    let redis = RedisStorage::connect(server.url()).unwrap();
    redis.set_blocking_typed("c", &7u64, None).unwrap();
    assert_eq!(redis.get_blocking_typed::<u64>("c").unwrap(), Some(7));
}

#[test]
fn expiry_is_enforced_by_redis() {
    let server = redis_or_skip!();
    let redis = RedisStorage::connect(server.url()).unwrap();
    redis
        .set_blocking_typed("short", &1u8, Some(Duration::from_millis(30)))
        .unwrap();
    assert!(redis.blocking().exists("short").unwrap());
    std::thread::sleep(Duration::from_millis(50));
    assert!(!redis.blocking().exists("short").unwrap());
    let raw: Option<Vec<u8>> = server.client().get("short").unwrap();
    assert_eq!(raw, None, "gone from Redis itself, not only hidden");
}

#[test]
fn prefixes_isolate_applications() {
    let server = redis_or_skip!();
    let a = RedisStorage::builder(server.url())
        .prefix("a:")
        .build()
        .unwrap();
    let b = RedisStorage::builder(server.url())
        .prefix("b:")
        .build()
        .unwrap();
    a.set_blocking_typed("k", &1u32, None).unwrap();
    b.set_blocking_typed("k", &2u32, None).unwrap();
    assert_eq!(a.get_blocking_typed::<u32>("k").unwrap(), Some(1));
    assert_eq!(b.get_blocking_typed::<u32>("k").unwrap(), Some(2));
    a.blocking().delete("k").unwrap();
    assert_eq!(b.get_blocking_typed::<u32>("k").unwrap(), Some(2));
    let mut raw = server.client();
    assert!(!raw.exists::<_, bool>("a:k").unwrap());
    assert!(raw.exists::<_, bool>("b:k").unwrap());
    assert!(!raw.exists::<_, bool>("k").unwrap());
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct Order {
    id: u64,
    items: Vec<String>,
    note: Option<String>,
}

#[test]
fn both_codecs_round_trip_and_json_is_readable_in_redis() {
    let server = redis_or_skip!();
    let order = Order {
        id: 9,
        items: vec!["x".into(), "y".into()],
        note: None,
    };
    for codec in [Codec::Json, Codec::Binary] {
        let name = codec.name().to_owned();
        let redis = RedisStorage::builder(server.url())
            .prefix(format!("{name}:"))
            .codec(codec)
            .build()
            .unwrap();
        redis.set_blocking_typed("o", &order, None).unwrap();
        assert_eq!(
            redis.get_blocking_typed::<Order>("o").unwrap(),
            Some(order.clone())
        );
        let raw: Vec<u8> = server.client().get(format!("{name}:o")).unwrap();
        let json_payload = raw.ends_with(br#"{"id":9,"items":["x","y"],"note":null}"#);
        assert_eq!(json_payload, name == "json", "{name} payload: {raw:?}");
    }
}

/// JSON behind a one-byte version tag: a codec of the user's own.
#[derive(Debug)]
struct TaggedJson;

impl advanced_caching::storage::UserCodec for TaggedJson {
    fn name(&self) -> &str {
        "tagged-json"
    }
    fn encode(
        &self,
        value: &dyn advanced_caching::erased_serde::Serialize,
    ) -> Result<Vec<u8>, advanced_caching::storage::CodecError> {
        let mut out = vec![7u8];
        let mut ser = serde_json::Serializer::new(&mut out);
        value
            .erased_serialize(
                &mut <dyn advanced_caching::erased_serde::Serializer>::erase(&mut ser),
            )
            .map_err(|e| advanced_caching::storage::CodecError::Encode(e.to_string()))?;
        Ok(out)
    }
    fn decode(
        &self,
        bytes: &[u8],
        sink: &mut dyn FnMut(
            &mut dyn advanced_caching::erased_serde::Deserializer<'_>,
        ) -> Result<(), advanced_caching::erased_serde::Error>,
    ) -> Result<(), advanced_caching::storage::CodecError> {
        let body = bytes
            .strip_prefix(&[7u8])
            .ok_or_else(|| advanced_caching::storage::CodecError::Decode("no tag".into()))?;
        let mut de = serde_json::Deserializer::from_slice(body);
        sink(&mut <dyn advanced_caching::erased_serde::Deserializer>::erase(&mut de))
            .map_err(|e| advanced_caching::storage::CodecError::Decode(e.to_string()))
    }
}

#[test]
fn a_user_codec_round_trips() {
    let server = redis_or_skip!();
    let redis = RedisStorage::builder(server.url())
        .codec(Codec::Custom(Arc::new(TaggedJson)))
        .build()
        .unwrap();
    let order = Order {
        id: 1,
        items: vec!["z".into()],
        note: Some("n".into()),
    };
    redis.set_blocking_typed("u", &order, None).unwrap();
    assert_eq!(redis.get_blocking_typed::<Order>("u").unwrap(), Some(order));
    let raw: Vec<u8> = server.client().get("u").unwrap();
    assert_eq!(raw[26], 7, "the user codec's tag follows the frame header");
    assert!(raw[27..].starts_with(br#"{"id":1"#));
}

#[tokio::test(flavor = "multi_thread")]
async fn dedupe_keeps_the_payload_and_moves_ttl_and_timestamps() {
    let server = redis_or_skip!();
    let redis = RedisStorage::builder(server.url())
        .dedupe_writes(true)
        .build()
        .unwrap();
    let mut raw = server.client();
    redis
        .set_typed("d", &"same".to_string(), Some(Duration::from_secs(10)))
        .await
        .unwrap();
    assert_eq!(redis.deduplicated_writes(), 0);
    redis
        .set_typed("d", &"same".to_string(), Some(Duration::from_secs(100)))
        .await
        .unwrap();
    assert_eq!(
        redis.deduplicated_writes(),
        1,
        "an unchanged payload is not rewritten"
    );
    let left = pttl(&mut raw, "d");
    assert!(left > 10_000, "the TTL moved to the new one: {left}");
    let entry = redis
        .get_entry("d", &SerdeValue::<String>::new())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        entry.fresh_until.unwrap() - entry.created_at,
        100_000,
        "the timestamps moved with the TTL, so the value is fresh for the new TTL"
    );
    redis
        .set_typed("d", &"changed".to_string(), Some(Duration::from_secs(100)))
        .await
        .unwrap();
    assert_eq!(redis.deduplicated_writes(), 1);
    assert_eq!(
        redis.get_typed::<String>("d").await.unwrap().as_deref(),
        Some("changed")
    );
    // `never` after a TTL persists the key.
    redis
        .set_typed("d", &"changed".to_string(), None)
        .await
        .unwrap();
    assert_eq!(redis.deduplicated_writes(), 2);
    assert_eq!(pttl(&mut raw, "d"), -1);
}

#[test]
fn set_if_not_exists_racing_from_two_threads_has_one_winner() {
    let server = redis_or_skip!();
    let redis = Arc::new(RedisStorage::connect(server.url()).unwrap());
    for round in 0..20 {
        let key = format!("nx:{round}");
        let barrier = Arc::new(Barrier::new(2));
        let racers: Vec<_> = (0..2u32)
            .map(|who| {
                let (redis, barrier, key) = (redis.clone(), barrier.clone(), key.clone());
                std::thread::spawn(move || {
                    let entry = CacheEntry::new(
                        Arc::new(who) as advanced_caching::storage::AnyValue,
                        redis.now(),
                        Some(Duration::from_secs(30)),
                        None,
                    );
                    barrier.wait();
                    redis
                        .blocking()
                        .set_if_not_exists(&key, entry, &SerdeValue::<u32>::new())
                        .unwrap()
                })
            })
            .collect();
        let wins: Vec<bool> = racers.into_iter().map(|t| t.join().unwrap()).collect();
        assert_eq!(
            wins.iter().filter(|w| **w).count(),
            1,
            "round {round}: {wins:?}"
        );
        let winner = wins.iter().position(|w| *w).unwrap() as u32;
        assert_eq!(redis.get_blocking_typed::<u32>(&key).unwrap(), Some(winner));
        assert!(
            pttl(&mut server.client(), &key) > 0,
            "the winner's TTL is set"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_payloads_are_misses_that_call_the_loader() {
    let server = redis_or_skip!();
    let storage = Arc::new(RedisStorage::connect(server.url()).unwrap());
    let _: () = server.client().set("bad", b"not a frame").unwrap();
    let err = storage.get_typed::<u64>("bad").await.unwrap_err();
    assert!(matches!(err, StorageError::Codec(_)), "{err:?}");
    let cache = CacheBuilder::<u64, ()>::new("bad")
        .storage(storage.clone())
        .ttl(Some(Duration::from_secs(60)))
        .serde()
        .build_ttl();
    assert_eq!(cache.get_or_load("bad", || async { Ok(5) }).await, Ok(5));
    assert!(
        cache.stats().storage_errors >= 1,
        "the bad payload is counted"
    );
    // The loaded value replaced the bad payload.
    assert_eq!(cache.get_or_load("bad", || async { Ok(6) }).await, Ok(5));
}

#[tokio::test(flavor = "multi_thread")]
async fn bulk_reads_take_one_round_trip() {
    let server = redis_or_skip!();
    let redis = RedisStorage::builder(server.url())
        .prefix("m:")
        .build()
        .unwrap();
    redis.set_typed("1", &1u32, None).await.unwrap();
    redis.set_typed("3", &3u32, None).await.unwrap();
    let got = redis
        .get_many(&["1", "2", "3"], &SerdeValue::<u32>::new())
        .await
        .unwrap();
    let values: Vec<Option<u32>> = got
        .iter()
        .map(|e| {
            e.as_ref()
                .and_then(|e| e.value.downcast_ref::<u32>().copied())
        })
        .collect();
    assert_eq!(values, vec![Some(1), None, Some(3)]);
}

#[test]
fn passwords_and_databases_in_urls_are_honoured() {
    let server = redis_or_skip!();
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("requirepass")
        .arg("s3cret")
        .query(&mut server.client())
        .unwrap();
    let url = format!("redis://:s3cret@127.0.0.1:{}/2", server.port());
    let redis = RedisStorage::connect(&url).unwrap();
    redis.set_blocking_typed("p", &1u8, None).unwrap();
    assert_eq!(redis.get_blocking_typed::<u8>("p").unwrap(), Some(1));
    let wrong =
        RedisStorage::connect(format!("redis://:wrong@127.0.0.1:{}", server.port())).unwrap();
    let err = wrong.get_blocking_typed::<u8>("p").unwrap_err();
    assert!(
        !format!("{err}").contains("wrong"),
        "no password in messages: {err}"
    );
}

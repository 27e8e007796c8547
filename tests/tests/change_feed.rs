//! Guarantee (e), the change feed of a coherent hybrid: two instances with their own Redis
//! storages (their own subscription and origin, as two processes have) over one redis-server.
//! A steady feed never resubscribes and L1 hits never reach Redis; a killed subscription is
//! taken up again and the copies are not trusted meanwhile; a write that times out during a
//! `CLIENT PAUSE` is announced anyway, so the other instance drops its copy.
#![allow(clippy::unwrap_used)] // a test fails loudly on an unexpected error
#![allow(missing_docs)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use advanced_caching::storage::RedisStorage;
use advanced_caching_tests::harness::RedisServer;
use advanced_caching_tests::history_spec::caches::{self, Caches};

fn instance(server: &RedisServer, timeout: Duration) -> Caches {
    let storage = RedisStorage::builder(server.url())
        .prefix("hist:")
        .timeout(timeout)
        .build()
        .unwrap();
    Caches::builder()
        .storage("shared", Arc::new(storage))
        .build()
        .unwrap()
}

/// How many times Redis ran `command` (INFO commandstats).
fn ran(server: &RedisServer, command: &str) -> u64 {
    let info: String = redis::cmd("INFO")
        .arg("commandstats")
        .query(&mut server.client())
        .unwrap();
    let prefix = format!("cmdstat_{command}:calls=");
    info.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .and_then(|rest| rest.split(',').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// Waits until `done` holds (polling), up to `within`; false when it never did.
async fn eventually(within: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if done() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    done()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guarantee_e_a_steady_feed_keeps_copies_and_never_resubscribes() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let b = instance(&server, Duration::from_millis(500));
    let first = b.stamp_shared(1).await;
    // The subscription is up once the copy answers without Redis.
    assert!(
        eventually(Duration::from_secs(5), || ran(&server, "subscribe") >= 1).await,
        "the feed subscribed"
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(b.stamp_shared(1).await, first);
    let (subscribes, gets) = (ran(&server, "subscribe"), ran(&server, "get"));
    let until = Instant::now() + Duration::from_secs(10);
    let mut hits = 0u64;
    while Instant::now() < until {
        assert_eq!(b.stamp_shared(1).await, first, "nothing was written");
        hits += 1;
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(
        ran(&server, "subscribe") - subscribes,
        0,
        "a steady feed never resubscribes (its heartbeat PINGs are answered)"
    );
    assert_eq!(
        ran(&server, "get") - gets,
        0,
        "{hits} L1 hits over 10 s never read Redis"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guarantee_e_a_killed_subscription_is_taken_up_again_and_copies_are_not_trusted_meanwhile()
{
    let Some(server) = RedisServer::start() else {
        return;
    };
    let b = instance(&server, Duration::from_millis(500));
    let first = b.stamp_shared(2).await;
    assert!(eventually(Duration::from_secs(5), || ran(&server, "subscribe") >= 1).await);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let subscribes = ran(&server, "subscribe");
    let _: () = redis::cmd("CLIENT")
        .arg("KILL")
        .arg("TYPE")
        .arg("pubsub")
        .query(&mut server.client())
        .unwrap();
    assert!(
        eventually(Duration::from_secs(5), || ran(&server, "subscribe")
            > subscribes)
        .await,
        "the feed subscribed again after its connection was killed"
    );
    // Once back, every copy made before is dropped: the next call reads Redis.
    let gets = ran(&server, "get");
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(b.stamp_shared(2).await, first, "Redis still holds it");
    assert!(
        ran(&server, "get") > gets,
        "the copy from before the loss was not trusted"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guarantee_e_a_write_whose_outcome_is_unknown_is_announced_anyway() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let a = instance(&server, Duration::from_millis(200));
    let b = instance(&server, Duration::from_millis(200));
    let old = b.stamp_shared(3).await;
    assert!(eventually(Duration::from_secs(5), || ran(&server, "subscribe") >= 2).await);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(b.stamp_shared(3).await, old, "B serves its copy");
    // Writes wait 1 s on the server; A's write times out after 200 ms, and is applied later.
    let _: () = redis::cmd("CLIENT")
        .arg("PAUSE")
        .arg(1_000)
        .arg("WRITE")
        .query(&mut server.client())
        .unwrap();
    let new = old + 1_000_000_000;
    let started = Instant::now();
    caches::stamp_shared::on(&a).insert(3, new).await;
    assert!(
        started.elapsed() < Duration::from_millis(900),
        "the write timed out"
    );
    let mut seen;
    let dropped = {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            seen = b.stamp_shared(3).await;
            if seen == new || Instant::now() > deadline {
                break seen == new;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    assert!(
        dropped,
        "B dropped its copy once Redis applied the timed-out write (serves {seen}, not {new})"
    );
}

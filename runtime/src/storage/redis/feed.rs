//! The change feed of a Redis storage over pub/sub: every write and delete of a key is published
//! on the storage's channel (`PREFIX~changes`) as `ORIGIN\nKEY`; a subscription per process
//! hands the others' announcements to its [`ChangeFeed`]. On a cluster, a message published on
//! any node reaches subscribers on every node, so one seed node is subscribed at a time.

use std::sync::{Arc, Weak};
use std::time::Duration;

use futures_util::StreamExt;
use redis::AsyncCommands;

use crate::storage::ChangeFeed;

/// How often the subscription is checked with a PING (a hung server sends no EOF).
const HEARTBEAT: Duration = Duration::from_secs(1);
/// The first pause before subscribing again after a failure; it doubles up to a second.
const FIRST_RETRY: Duration = Duration::from_millis(50);
const MAX_RETRY: Duration = Duration::from_secs(1);

/// The pub/sub channel of a storage with key prefix `prefix`.
pub(super) fn channel(prefix: &str) -> String {
    format!("{prefix}~changes")
}

/// The message announcing `key` from `origin`.
pub(super) fn message(origin: &str, key: &str) -> String {
    format!("{origin}\n{key}")
}

/// Subscribes to `channel` on one of `nodes` (taken in turn) and keeps `feed` informed, in the
/// background, until the feed is dropped: announcements, and the subscription's loss and return.
pub(super) fn subscribe(
    feed: &Arc<ChangeFeed>,
    nodes: Vec<String>,
    channel: String,
    timeout: Duration,
    connect_timeout: Duration,
) {
    let Ok(handle) = crate::rt::background_handle() else {
        return; // never connected: the copies stay untrusted, reads go to Redis
    };
    let feed = Arc::downgrade(feed);
    handle.spawn(async move {
        let mut retry = FIRST_RETRY;
        for node in nodes.iter().cycle() {
            if feed.strong_count() == 0 {
                return;
            }
            match connect(node, &channel, connect_timeout).await {
                Ok(pubsub) => {
                    retry = FIRST_RETRY;
                    if !follow(&feed, pubsub, timeout).await {
                        return;
                    }
                }
                Err(e) => tracing::debug!(error = %e, "change feed: cannot subscribe"),
            }
            tokio::time::sleep(retry).await;
            retry = (retry * 2).min(MAX_RETRY);
        }
    });
}

async fn connect(
    node: &str,
    channel: &str,
    connect_timeout: Duration,
) -> redis::RedisResult<redis::aio::PubSub> {
    let client = redis::Client::open(node)?;
    let attempt = async {
        let mut pubsub = client.get_async_pubsub().await?;
        pubsub.subscribe(channel).await?;
        Ok(pubsub)
    };
    match tokio::time::timeout(connect_timeout, attempt).await {
        Ok(subscribed) => subscribed,
        Err(_) => Err(redis::RedisError::from(std::io::Error::from(
            std::io::ErrorKind::TimedOut,
        ))),
    }
}

/// Hands announcements to `feed` while the subscription lives; false when the feed is gone
/// (stop), true when the subscription was lost (subscribe again).
async fn follow(feed: &Weak<ChangeFeed>, pubsub: redis::aio::PubSub, timeout: Duration) -> bool {
    let (mut sink, mut stream) = pubsub.split();
    match feed.upgrade() {
        Some(feed) => feed.connected(),
        None => return false,
    }
    let mut heartbeat = tokio::time::interval(HEARTBEAT);
    heartbeat.tick().await;
    loop {
        tokio::select! {
            msg = stream.next() => {
                let Some(msg) = msg else { break };
                let Some(feed) = feed.upgrade() else { return false };
                let payload = msg.get_payload_bytes();
                if let Some((origin, key)) = std::str::from_utf8(payload)
                    .ok()
                    .and_then(|text| text.split_once('\n'))
                {
                    feed.announced(origin, key);
                }
            }
            _ = heartbeat.tick() => {
                if feed.strong_count() == 0 {
                    return false;
                }
                // A subscribed connection answers PING with ["pong", ""]: any answer will do.
                let ping = sink.ping::<redis::Value>();
                if !matches!(tokio::time::timeout(timeout, ping).await, Ok(Ok(_))) {
                    break;
                }
            }
        }
    }
    match feed.upgrade() {
        Some(feed) => {
            feed.lost();
            true
        }
        None => false,
    }
}

impl super::RedisStorage {
    /// Announces a write or delete of `key` on the change feed, in the background, once a
    /// chain follows the feed (the library's own `~` keys are never announced).
    pub(super) fn announce(&self, key: &str) {
        let Some(feed) = self.feed.get() else {
            return;
        };
        if key.starts_with(crate::key::RESERVED) {
            return;
        }
        let Ok(handle) = crate::rt::background_handle() else {
            return;
        };
        let (mut conn, channel) = (self.conn.clone(), channel(&self.prefix));
        let message = message(feed.origin(), key);
        handle.spawn(async move {
            let published: redis::RedisResult<i64> = conn.publish(channel, message).await;
            if let Err(e) = published {
                tracing::debug!(error = %e, "change not announced");
            }
        });
    }
}

//! `type = "redis"`: one Redis server, or a Redis Cluster.

use std::time::Duration;

use quote::quote;
use schemars::JsonSchema;
use serde::Deserialize;

use super::{Kind, StorageModel};
use super::KindReport;
use crate::spanned::{flag, text};
use super::codec;
use crate::tokens::millis;
use super::Serializer;
use crate::spanned::{RawDuration, Spanned};
use crate::value_schemas::SerializerName;

/// A Redis storage.
#[derive(Debug, Clone, PartialEq)]
pub struct Redis {
    /// `redis://` URL, with `${VAR}` resolved at run time (unused for a cluster).
    pub url: String,
    /// Seed nodes of a Redis Cluster (empty: `url` is one server).
    pub cluster: Vec<String>,
    /// Key prefix.
    pub prefix: String,
    /// Codec.
    pub serializer: Serializer,
    /// Skip unchanged writes.
    pub dedupe_writes: bool,
    /// Command timeout (`None`: the runtime's default).
    pub timeout: Option<Duration>,
    /// Connection timeout (`None`: the runtime's default).
    pub connect_timeout: Option<Duration>,
}

/// `[storages.NAME]` of `type = "redis"`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Settings {
    /// `redis://` or `rediss://` URL of one server; `${VAR}` / `${VAR:-default}` resolved at
    /// run time (default `${REDIS_URL:-redis://127.0.0.1:6379}`).
    url: Option<Spanned<String>>,
    /// Redis Cluster instead of one server: seed nodes (`redis://host:port`; one reachable
    /// node is enough). An entry may be `${VAR}` holding several nodes separated by commas.
    /// Each master gets its own circuit breaker.
    #[schemars(length(min = 1))]
    cluster: Option<Spanned<Vec<Spanned<String>>>>,
    /// Prefix of every key.
    prefix: Option<Spanned<String>>,
    /// Codec.
    #[schemars(with = "Option<SerializerName>")]
    serializer: Option<Spanned<String>>,
    /// An unchanged payload only refreshes the TTL.
    dedupe_writes: Option<Spanned<bool>>,
    /// How long one command may take (default 200ms); a timeout is never retried and marks
    /// Redis down (skipped by every call) until a background probe finds it back.
    timeout: Option<Spanned<RawDuration>>,
    /// How long one connection attempt may take (default 500ms).
    connect_timeout: Option<Spanned<RawDuration>>,
}

impl Kind for Redis {
    const NAME: &'static str = "redis";
    type Settings = Settings;

    fn check(s: Settings, c: &mut impl KindReport) -> Option<Self> {
        let timeout = c.optional_duration(&s.timeout);
        let connect_timeout = c.optional_duration(&s.connect_timeout);
        let serializer = c.serializer(&s.serializer);
        let cluster: Vec<String> = s.cluster.as_ref().map_or_else(Vec::new, |nodes| {
            nodes.get_ref().iter().map(|n| n.get_ref().clone()).collect()
        });
        if let Some(nodes) = &s.cluster {
            if let Some(url) = &s.url {
                c.error(
                    "a redis storage is one server (`url`) or a cluster (`cluster`), not both",
                    url.span(),
                    "`cluster` is given too",
                    "keep `cluster = [..seed nodes..]` for Redis Cluster, or `url` for one server",
                );
                return None;
            }
            if cluster.iter().all(|n| n.trim().is_empty()) {
                c.error(
                    "a redis cluster needs at least one seed node",
                    nodes.span(),
                    "no node",
                    "list one or more nodes, e.g. cluster = [\"redis://10.0.0.1:7000\"], or cluster = [\"${REDIS_CLUSTER_NODES}\"] (comma-separated)",
                );
                return None;
            }
        }
        Some(Self {
            url: text(&s.url).unwrap_or_else(|| "${REDIS_URL:-redis://127.0.0.1:6379}".into()),
            cluster,
            prefix: text(&s.prefix).unwrap_or_default(),
            serializer: serializer?,
            dedupe_writes: flag(&s.dedupe_writes),
            timeout: timeout?,
            connect_timeout: connect_timeout?,
        })
    }
}

impl StorageModel for Redis {
    fn feature(&self) -> Option<&'static str> {
        Some("redis")
    }

    fn keeps_bytes(&self) -> bool {
        true
    }

    fn keyspaces(&self, _: &str) -> Vec<(String, String)> {
        // A cluster reaches the keyspace of each of its seed nodes.
        if self.cluster.is_empty() {
            return vec![(format!("redis {}", self.url.trim()), self.prefix.clone())];
        }
        let space = |node: &String| (format!("redis {}", node.trim()), self.prefix.clone());
        self.cluster.iter().map(space).collect()
    }

    fn build(&self) -> proc_macro2::TokenStream {
        let Self {
            url,
            cluster,
            prefix,
            serializer,
            dedupe_writes,
            timeout,
            connect_timeout,
        } = self;
        let codec = codec(serializer);
        let timeout = timeout.map(|t| {
            let t = millis(t);
            quote! { .timeout(#t) }
        });
        let connect_timeout = connect_timeout.map(|t| {
            let t = millis(t);
            quote! { .connect_timeout(#t) }
        });
        let builder = if cluster.is_empty() {
            quote! { __ac::RedisStorage::builder(#url) }
        } else {
            quote! { __ac::RedisStorage::cluster([#(#cluster),*]) }
        };
        quote! {
            #builder
                .prefix(#prefix)
                .codec(#codec)
                .dedupe_writes(#dedupe_writes)
                #timeout
                #connect_timeout
                .clock(clock.clone())
                .build_shared()
        }
    }
}

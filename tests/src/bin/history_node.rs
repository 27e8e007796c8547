//! One process of the cross-process history test (`tests/tests/history.rs`, guarantee (e)): it
//! drives the coherent hybrid of `history_spec` (Redis URL from
//! `ADVANCED_CACHING_TEST_REDIS_URL`) with calls, inserts and invalidations, and writes what it
//! recorded to a file for the test to check with the other processes' records.
//!
//! Arguments: `NODE NODES TASKS OPS OUT ON`, `ON` being `redis` (the `stamp_shared` function) or
//! `cluster` (`stamp_cluster`, seed nodes from `ADVANCED_CACHING_TEST_CLUSTER_NODES`). Keys `0..8` are called by every process; key `k` is
//! written only by process `k % NODES` (a key's writes are serialized, in its one writer). The
//! process prints `READY` once its caches answer, waits for a line on stdin (so all processes
//! start together), runs `TASKS` tasks of `OPS` operations each, writes `OUT` and prints `DONE`.

use std::io::{BufRead, Write};
use std::sync::Arc;

use advanced_caching_tests::history::{self, Call, History, Turns};
use advanced_caching_tests::history_spec::caches;

type Failure = Box<dyn std::error::Error>;

const KEYS: u64 = 8;

fn say(line: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}")?;
    out.flush()
}

fn main() -> Result<(), Failure> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [node, nodes, tasks, ops, out, on] = &args[..] else {
        return Err("usage: history_node NODE NODES TASKS OPS OUT redis|cluster".into());
    };
    let cluster = match on.as_str() {
        "redis" => false,
        "cluster" => true,
        other => return Err(format!("unknown target {other}").into()),
    };
    let (node, nodes): (u64, u64) = (node.parse()?, nodes.parse()?);
    let (tasks, ops): (u64, u64) = (tasks.parse()?, ops.parse()?);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async {
        // A first call connects to Redis (and subscribes the feed).
        call(cluster, KEYS).await;
    });
    say("READY")?;
    std::io::stdin().lock().lines().next().transpose()?;

    let history = Arc::new(History::new());
    let turns = Arc::new(Turns::new(KEYS));
    runtime.block_on(async {
        let drivers: Vec<_> = (0..tasks)
            .map(|_| {
                let (history, turns) = (history.clone(), turns.clone());
                tokio::spawn(async move {
                    let mut calls = Vec::with_capacity(ops as usize);
                    for _ in 0..ops {
                        let key = history::random(KEYS);
                        let writes_it = key % nodes == node;
                        match history::random(100) {
                            0..=3 if writes_it => {
                                turns
                                    .write_async(&history, key, |stamp| insert(cluster, key, stamp))
                                    .await
                            }
                            4..=7 if writes_it => {
                                turns
                                    .write_async(&history, key, |_| invalidate(cluster, key))
                                    .await
                            }
                            _ => {
                                let start = history::next();
                                let stamp = call(cluster, key).await;
                                calls.push(Call { key, start, stamp });
                            }
                        }
                    }
                    history.calls(calls);
                })
            })
            .collect();
        for driver in drivers {
            driver.await?;
        }
        Ok::<_, Failure>(())
    })?;
    std::fs::write(out, history.to_text())?;
    let stats = caches::stats();
    let name = if cluster {
        "stamp_cluster"
    } else {
        "stamp_shared"
    };
    let shared = stats.iter().find(|s| s.name == name);
    let (hits, misses, loads) = shared.map_or((0, 0, 0), |s| (s.hits, s.misses, s.loads));
    say(&format!("DONE hits={hits} misses={misses} loads={loads}"))?;
    Ok(())
}

async fn call(cluster: bool, key: u64) -> u64 {
    if cluster {
        caches::stamp_cluster(key).await
    } else {
        caches::stamp_shared(key).await
    }
}

async fn insert(cluster: bool, key: u64, stamp: u64) {
    if cluster {
        caches::stamp_cluster::insert(key, stamp).await;
    } else {
        caches::stamp_shared::insert(key, stamp).await;
    }
}

async fn invalidate(cluster: bool, key: u64) {
    if cluster {
        caches::stamp_cluster::invalidate(key).await;
    } else {
        caches::stamp_shared::invalidate(key).await;
    }
}

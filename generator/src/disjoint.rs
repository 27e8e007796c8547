//! The proof that distinct entries never share a storage key: every function, loader and
//! reader's local copy has a key set (one exact key, or every key under a literal prefix); entries
//! whose storages reach one backing keyspace must have disjoint sets there.

use std::ops::Range;

use crate::model::StorageDef;
#[cfg(test)]
use crate::model::StorageKind;

/// The keys an entry can write, over-approximated by its literal prefix.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum KeySet {
    /// One key (a loader's name, a template without placeholders).
    Exact(String),
    /// Every key that starts with this text (a template's leading literal).
    Prefix(String),
}

impl KeySet {
    fn under(&self, prefix: &str) -> Self {
        match self {
            Self::Exact(k) => Self::Exact(format!("{prefix}{k}")),
            Self::Prefix(p) => Self::Prefix(format!("{prefix}{p}")),
        }
    }

    /// True when some key may be in both sets.
    fn meets(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Exact(a), Self::Exact(b)) => a == b,
            (Self::Exact(k), Self::Prefix(p)) | (Self::Prefix(p), Self::Exact(k)) => {
                k.starts_with(p.as_str())
            }
            (Self::Prefix(a), Self::Prefix(b)) => {
                a.starts_with(b.as_str()) || b.starts_with(a.as_str())
            }
        }
    }

    /// The literal text every key of the set starts with.
    pub(crate) fn literal(&self) -> &str {
        match self {
            Self::Exact(k) | Self::Prefix(k) => k,
        }
    }
}

/// One entry of the spec that writes keys into a storage.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    /// `[functions.get_user]`, for messages.
    pub(crate) table: &'static str,
    /// Its name.
    pub(crate) name: String,
    /// Where to point at it (its key, else its name).
    pub(crate) span: Range<usize>,
    /// The storage its keys go to.
    pub(crate) storage: String,
    /// Its keys.
    pub(crate) keys: KeySet,
    /// The group of entries that share on purpose (`same_entries_as`, or the source of readers).
    pub(crate) group: Option<String>,
    /// Its keys come from a `key_fn` (its set is its `key_prefix`).
    pub(crate) key_fn: bool,
}

impl Entry {
    /// `[functions.get_user]`.
    pub(crate) fn title(&self) -> String {
        format!("[{}.{}]", self.table, self.name)
    }
}

/// A backing keyspace an entry's storage reaches, and the prefix the storage adds there.
#[derive(Debug, Clone, PartialEq)]
struct Leaf {
    space: String,
    prefix: String,
}

/// Every keyspace `storage` writes into: a memory storage is its own; Redis storages with one
/// URL (as written) share one; object stores by endpoint and bucket; file storages by directory.
/// Composite storages reach all their levels.
fn leaves(storages: &[StorageDef], storage: &str, depth: usize, out: &mut Vec<Leaf>) {
    // Cycles are rejected by the checker; the depth bound keeps this total anyway.
    let Some(def) = storages
        .iter()
        .find(|s| s.name == storage)
        .filter(|_| depth < 64)
    else {
        return;
    };
    let model = def.kind.model();
    for (space, prefix) in model.keyspaces(storage) {
        out.push(Leaf { space, prefix });
    }
    for level in model.levels() {
        leaves(storages, level.storage, depth + 1, out);
    }
}

/// A pair of entries whose keys may coincide, with the keyspace where they meet.
#[derive(Debug, Clone)]
pub(crate) struct Clash {
    /// The earlier entry (index into the entries).
    pub(crate) first: usize,
    /// The later entry.
    pub(crate) second: usize,
    /// Where (`redis ${REDIS_URL}`, `memory local`).
    pub(crate) space: String,
}

/// Every pair of entries that may write one storage key, unless they share on purpose.
pub(crate) fn clashes(storages: &[StorageDef], entries: &[Entry]) -> Vec<Clash> {
    let reach: Vec<Vec<Leaf>> = entries
        .iter()
        .map(|e| {
            let mut out = Vec::new();
            leaves(storages, &e.storage, 0, &mut out);
            out
        })
        .collect();
    let mut found = Vec::new();
    for (j, b) in entries.iter().enumerate() {
        for (i, a) in entries.iter().enumerate().take(j) {
            if a.group.is_some() && a.group == b.group {
                continue;
            }
            let meeting = reach[i].iter().find_map(|la| {
                reach[j].iter().find_map(|lb| {
                    (la.space == lb.space
                        && a.keys.under(&la.prefix).meets(&b.keys.under(&lb.prefix)))
                    .then(|| la.space.clone())
                })
            });
            if let Some(space) = meeting {
                found.push(Clash {
                    first: i,
                    second: j,
                    space,
                });
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Hybrid, Memory, Redis};

    fn memory(name: &str) -> StorageDef {
        StorageDef {
            name: name.into(),
            kind: StorageKind::Memory(Memory { max_entries: 10 }),
            kind_span: None,
        }
    }

    fn redis(name: &str, prefix: &str) -> StorageDef {
        StorageDef {
            name: name.into(),
            kind: StorageKind::Redis(Redis {
                url: "${REDIS_URL}".into(),
                cluster: Vec::new(),
                prefix: prefix.into(),
                serializer: crate::model::Serializer::Binary,
                dedupe_writes: false,
                timeout: None,
                connect_timeout: None,
            }),
            kind_span: None,
        }
    }

    fn entry(name: &str, storage: &str, keys: KeySet) -> Entry {
        Entry {
            table: "functions",
            name: name.into(),
            span: 0..1,
            storage: storage.into(),
            keys,
            group: None,
            key_fn: false,
        }
    }

    #[test]
    fn prefix_free_sets_are_disjoint() {
        use KeySet::*;
        assert!(Prefix("user:".into()).meets(&Prefix("user:".into())));
        assert!(Prefix("user:".into()).meets(&Prefix("user:x".into())));
        assert!(!Prefix("user:".into()).meets(&Prefix("users:".into())));
        assert!(Prefix(String::new()).meets(&Exact("x".into())));
        assert!(!Exact("a".into()).meets(&Exact("b".into())));
        assert!(Exact("user:1".into()).meets(&Prefix("user:".into())));
    }

    #[test]
    fn storages_that_reach_one_keyspace_clash() {
        let storages = vec![
            memory("l1a"),
            memory("l1b"),
            redis("r1", "app:"),
            redis("r2", "app:u:"),
            StorageDef {
                name: "ha".into(),
                kind: StorageKind::Hybrid(Hybrid {
                    l1: "l1a".into(),
                    l2: "r1".into(),
                    l1_ttl: std::time::Duration::from_secs(1),
                    l2_ttl: std::time::Duration::from_secs(2),
                    coherent: false,
                }),
                kind_span: None,
            },
        ];
        // Two memory storages never meet.
        let apart = [
            entry("a", "l1a", KeySet::Prefix("u:".into())),
            entry("b", "l1b", KeySet::Prefix("u:".into())),
        ];
        assert!(clashes(&storages, &apart).is_empty());
        // A hybrid over r1 and a plain r2 whose prefix extends r1's: "app:" + "u:1" = "app:u:" + "1".
        let nested = [
            entry("a", "ha", KeySet::Prefix("u:".into())),
            entry("b", "r2", KeySet::Prefix(String::new())),
        ];
        let found = clashes(&storages, &nested);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].space, "redis ${REDIS_URL}");
        // Sharing on purpose is not a clash.
        let mut shared = nested.clone();
        shared[0].group = Some("a".into());
        shared[1].group = Some("a".into());
        assert!(clashes(&storages, &shared).is_empty());
    }
}

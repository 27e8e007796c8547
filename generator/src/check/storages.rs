//! `[storages.*]`: each kind's settings and defaults, references between storages (levels, cycles)
//! and coherent chains.

use super::*;

const KINDS: [&str; 7] = ["memory", "redis", "hybrid", "chain", "s3", "gcs", "file"];

/// Settings each storage kind takes (besides `type`).
fn settings_of(kind: &str) -> &'static [&'static str] {
    match kind {
        "memory" => &["max_entries"],
        "redis" => &[
            "url",
            "cluster",
            "prefix",
            "serializer",
            "dedupe_writes",
            "timeout",
            "connect_timeout",
        ],
        "hybrid" => &["l1", "l2", "l1_ttl", "l2_ttl", "coherent"],
        "chain" => &["levels", "coherent"],
        "s3" => &[
            "bucket",
            "prefix",
            "region",
            "endpoint",
            "serializer",
            "compression",
            "dedupe_writes",
            "cleanup_interval",
        ],
        "gcs" => &[
            "bucket",
            "prefix",
            "endpoint",
            "serializer",
            "compression",
            "dedupe_writes",
            "cleanup_interval",
        ],
        "file" => &[
            "dir",
            "serializer",
            "compression",
            "dedupe_writes",
            "fsync",
            "cleanup_interval",
        ],
        _ => &[],
    }
}

impl Checker<'_> {
    pub(super) fn storages(
        &mut self,
        raw: &BTreeMap<Spanned<String>, Spanned<RawStorage>>,
    ) -> Vec<StorageDef> {
        let declared: BTreeSet<String> = raw.keys().map(|k| k.get_ref().clone()).collect();
        let mut out = Vec::new();
        for (name, s) in raw {
            if let Some(kind) = self.storage(name, s.get_ref(), &declared) {
                let cleanup_interval = match &s.get_ref().cleanup_interval {
                    Some(d) => self.duration(d, false, false).flatten(),
                    None => None,
                };
                out.push(StorageDef {
                    name: name.get_ref().clone(),
                    kind,
                    kind_span: Some(s.get_ref().kind.span()),
                    cleanup_interval,
                });
            }
        }
        self.cycles(raw);
        self.coherence(raw, &out);
        out
    }

    pub(super) fn storage(
        &mut self,
        name: &Spanned<String>,
        s: &RawStorage,
        declared: &BTreeSet<String>,
    ) -> Option<StorageKind> {
        let kind = s.kind.get_ref().as_str();
        if !KINDS.contains(&kind) {
            let mut hint = format!("storage types: {}", KINDS.join(", "));
            if let Some(similar) = closest(kind, KINDS) {
                hint = format!("did you mean `{similar}`? {hint}");
            }
            self.error(
                format!("unknown storage type `{kind}`"),
                s.kind.span(),
                "not a storage type",
                hint,
            );
            return None;
        }
        let allowed = settings_of(kind);
        let present: [(&str, Option<Range<usize>>); 21] = [
            ("coherent", s.coherent.as_ref().map(Spanned::span)),
            ("max_entries", s.max_entries.as_ref().map(Spanned::span)),
            ("url", s.url.as_ref().map(Spanned::span)),
            ("cluster", s.cluster.as_ref().map(Spanned::span)),
            ("prefix", s.prefix.as_ref().map(Spanned::span)),
            ("serializer", s.serializer.as_ref().map(Spanned::span)),
            ("dedupe_writes", s.dedupe_writes.as_ref().map(Spanned::span)),
            ("l1", s.l1.as_ref().map(Spanned::span)),
            ("l2", s.l2.as_ref().map(Spanned::span)),
            ("l1_ttl", s.l1_ttl.as_ref().map(Spanned::span)),
            ("l2_ttl", s.l2_ttl.as_ref().map(Spanned::span)),
            ("levels", s.levels.as_ref().map(Spanned::span)),
            ("bucket", s.bucket.as_ref().map(Spanned::span)),
            ("region", s.region.as_ref().map(Spanned::span)),
            ("endpoint", s.endpoint.as_ref().map(Spanned::span)),
            ("compression", s.compression.as_ref().map(Spanned::span)),
            ("dir", s.dir.as_ref().map(Spanned::span)),
            ("fsync", s.fsync.as_ref().map(Spanned::span)),
            ("timeout", s.timeout.as_ref().map(Spanned::span)),
            (
                "connect_timeout",
                s.connect_timeout.as_ref().map(Spanned::span),
            ),
            (
                "cleanup_interval",
                s.cleanup_interval.as_ref().map(Spanned::span),
            ),
        ];
        let mut fits = true;
        for (setting, span) in present {
            if let Some(span) = span
                && !allowed.contains(&setting)
            {
                fits = false;
                self.error(
                    format!("`{setting}` does not apply to a `{kind}` storage"),
                    span,
                    "not a setting of this storage type",
                    format!("a `{kind}` storage takes: {}", allowed.join(", ")),
                );
            }
        }
        let serializer = self.serializer(&s.serializer);
        let text = |v: &Option<Spanned<String>>| v.as_ref().map(|v| v.get_ref().clone());
        let flag = |v: &Option<Spanned<bool>>| v.as_ref().is_some_and(|v| *v.get_ref());
        let required =
            |c: &mut Self, v: &Option<Spanned<String>>, setting: &str| -> Option<String> {
                if v.is_none() {
                    c.error(
                        format!("a `{kind}` storage needs `{setting}`"),
                        s.kind.span(),
                        "declared here",
                        format!("add `{setting} = \"…\"` to [storages.{}]", name.get_ref()),
                    );
                }
                text(v)
            };
        let kind = match kind {
            "memory" => {
                let max_entries = match &s.max_entries {
                    Some(m) if *m.get_ref() <= 0 => {
                        self.error(
                            "max_entries must be positive",
                            m.span(),
                            "memory storages are bounded",
                            "give the largest number of entries to keep, e.g. 100_000",
                        );
                        None
                    }
                    Some(m) => u64::try_from(*m.get_ref()).ok(),
                    None => Some(IMPLICIT_MAX_ENTRIES),
                };
                StorageKind::Memory {
                    max_entries: max_entries?,
                }
            }
            "redis" => {
                let mut limit = |d: &Option<Spanned<RawDuration>>| match d {
                    Some(d) => self
                        .duration(d, false, false)
                        .map(|d| d.filter(|d| !d.is_zero())),
                    None => Some(None),
                };
                let (timeout, connect_timeout) = (limit(&s.timeout), limit(&s.connect_timeout));
                let cluster: Vec<String> = s.cluster.as_ref().map_or_else(Vec::new, |nodes| {
                    nodes
                        .get_ref()
                        .iter()
                        .map(|n| n.get_ref().clone())
                        .collect()
                });
                if let Some(nodes) = &s.cluster {
                    if let Some(url) = &s.url {
                        self.error(
                            "a redis storage is one server (`url`) or a cluster (`cluster`), not both",
                            url.span(),
                            "`cluster` is given too",
                            "keep `cluster = [..seed nodes..]` for Redis Cluster, or `url` for one server",
                        );
                        return None;
                    }
                    if cluster.iter().all(|n| n.trim().is_empty()) {
                        self.error(
                            "a redis cluster needs at least one seed node",
                            nodes.span(),
                            "no node",
                            "list one or more nodes, e.g. cluster = [\"redis://10.0.0.1:7000\"], or cluster = [\"${REDIS_CLUSTER_NODES}\"] (comma-separated)",
                        );
                        return None;
                    }
                }
                StorageKind::Redis {
                    url: text(&s.url)
                        .unwrap_or_else(|| "${REDIS_URL:-redis://127.0.0.1:6379}".into()),
                    cluster,
                    prefix: text(&s.prefix).unwrap_or_default(),
                    serializer: serializer?,
                    dedupe_writes: flag(&s.dedupe_writes),
                    timeout: timeout?,
                    connect_timeout: connect_timeout?,
                }
            }
            "hybrid" => {
                let l1 = required(self, &s.l1, "l1");
                let l2 = required(self, &s.l2, "l2");
                for level in [&s.l1, &s.l2].into_iter().flatten() {
                    self.level_ref(name, level, declared);
                }
                let l1_ttl = match &s.l1_ttl {
                    Some(d) => self
                        .duration(d, false, false)?
                        .unwrap_or(Duration::from_secs(60)),
                    None => Duration::from_secs(60),
                };
                let l2_ttl = match &s.l2_ttl {
                    Some(d) => self.duration(d, false, false)?,
                    None => None,
                };
                // Durations are whole milliseconds that fit a u64 (the runtime's clock).
                let doubled = u64::try_from(l1_ttl.as_millis())
                    .ok()
                    .and_then(|ms| ms.checked_mul(2))
                    .map(Duration::from_millis);
                let l2_ttl = match l2_ttl.or(doubled) {
                    Some(l2_ttl) => l2_ttl,
                    None => {
                        self.error(
                            "`l2_ttl` defaults to 2 × `l1_ttl`, which overflows",
                            s.l1_ttl.as_ref().map_or(s.kind.span(), Spanned::span),
                            "too large to double",
                            "give a smaller `l1_ttl`, or set `l2_ttl` explicitly",
                        );
                        return None;
                    }
                };
                StorageKind::Hybrid {
                    l1: l1?,
                    l2: l2?,
                    l1_ttl,
                    l2_ttl,
                    coherent: flag(&s.coherent),
                }
            }
            "chain" => {
                let Some(levels) = &s.levels else {
                    self.error(
                        "a `chain` storage needs `levels`",
                        s.kind.span(),
                        "declared here",
                        "add `levels = [{ storage = \"local\", ttl = \"1m\" }, { storage = \"redis\" }]`",
                    );
                    return None;
                };
                if levels.get_ref().is_empty() {
                    self.error(
                        "a chain needs at least one level",
                        levels.span(),
                        "empty",
                        "list the levels, fastest first",
                    );
                }
                let mut out = Vec::new();
                for level in levels.get_ref() {
                    let l = level.get_ref();
                    self.level_ref(name, &l.storage, declared);
                    let ttl = match &l.ttl {
                        Some(d) => self.duration(d, true, false)?,
                        None => None,
                    };
                    out.push(Level {
                        storage: l.storage.get_ref().clone(),
                        ttl,
                    });
                }
                StorageKind::Chain {
                    levels: out,
                    coherent: flag(&s.coherent),
                }
            }
            "s3" => StorageKind::S3 {
                bucket: required(self, &s.bucket, "bucket")?,
                prefix: text(&s.prefix).unwrap_or_default(),
                region: text(&s.region),
                endpoint: text(&s.endpoint),
                serializer: serializer?,
                compression: flag(&s.compression),
                dedupe_writes: flag(&s.dedupe_writes),
            },
            "gcs" => StorageKind::Gcs {
                bucket: required(self, &s.bucket, "bucket")?,
                prefix: text(&s.prefix).unwrap_or_default(),
                endpoint: text(&s.endpoint),
                serializer: serializer?,
                compression: flag(&s.compression),
                dedupe_writes: flag(&s.dedupe_writes),
            },
            _ => StorageKind::File {
                dir: required(self, &s.dir, "dir")?,
                serializer: serializer?,
                compression: flag(&s.compression),
                dedupe_writes: flag(&s.dedupe_writes),
                fsync: flag(&s.fsync),
            },
        };
        fits.then_some(kind)
    }

    pub(super) fn serializer(&mut self, s: &Option<Spanned<String>>) -> Option<Serializer> {
        let Some(s) = s else {
            return Some(Serializer::Binary);
        };
        match s.get_ref().as_str() {
            "json" => Some(Serializer::Json),
            "binary" => Some(Serializer::Binary),
            path if path.contains("::") && syn::parse_str::<syn::Path>(path).is_ok() => {
                Some(Serializer::Custom(path.to_owned()))
            }
            other => {
                self.error(
                    format!("unknown serializer `{other}`"),
                    s.span(),
                    "not a codec",
                    "use \"json\", \"binary\" (the default), or the path of your own codec, e.g. \"crate::codecs::MY_CODEC\"",
                );
                None
            }
        }
    }
}

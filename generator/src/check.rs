//! Checking a spec: every problem is collected (not only the first) with its place in the file.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::time::Duration;

use toml::Spanned;

use crate::diagnostic::{Diagnostic, closest};
use crate::disjoint::{self, Entry, KeySet};
use crate::duration;
use crate::key::{self, RawPart, Slot};
use crate::loader::{LoaderError, SourceTree, read_signature};
use crate::model::*;
use crate::raw::*;

/// The implicit storage of entries that name none, when no `default_storage` is given.
pub(crate) const IMPLICIT_DEFAULT: &str = "default";
/// Its bound.
pub(crate) const IMPLICIT_MAX_ENTRIES: u64 = 10_000;
/// How long a process waits for another's load by default (the runtime's `DEFAULT_FLEET_WAIT`).
const FLEET_WAIT: Duration = Duration::from_secs(10);

const KINDS: [&str; 7] = ["memory", "redis", "hybrid", "chain", "s3", "gcs", "file"];
const RESERVED: [&str; 14] = [
    "cleanup",
    "install",
    "start",
    "shutdown",
    "stats",
    "instance",
    "builder",
    "storage",
    "init",
    "set_context",
    "Caches",
    "CachesBuilder",
    "Context",
    "INSTANCE",
];

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

struct Checker<'a> {
    diags: Vec<Diagnostic>,
    tree: &'a mut SourceTree,
    /// The spec's `context` type.
    context: Option<syn::Path>,
    /// Every entry that writes keys, for the disjointness proof.
    entries: Vec<Entry>,
    /// Each function's value type and where its loader is named, for `same_entries_as`.
    values: BTreeMap<String, (Option<syn::Type>, Range<usize>)>,
}

/// Parses and checks `text`; every problem becomes a diagnostic.
pub(crate) fn check(text: &str, tree: &mut SourceTree) -> Result<Spec, Vec<Diagnostic>> {
    let raw: RawSpec = match toml::from_str(text) {
        Ok(raw) => raw,
        Err(e) => return Err(vec![toml_error(&e)]),
    };
    let mut checker = Checker {
        diags: Vec::new(),
        tree,
        context: None,
        entries: Vec::new(),
        values: BTreeMap::new(),
    };
    let spec = checker.spec(raw);
    if checker.diags.is_empty() {
        Ok(spec)
    } else {
        checker
            .diags
            .sort_by_key(|d| d.span.as_ref().map(|s| s.start));
        Err(checker.diags)
    }
}

/// Storages whose runtime feature is off (when the features are known) are errors at their
/// `type`.
pub(crate) fn features(spec: Spec, on: Option<&[String]>) -> Result<Spec, Vec<Diagnostic>> {
    let Some(on) = on else {
        return Ok(spec);
    };
    let mut diags = Vec::new();
    for storage in &spec.storages {
        let feature = match &storage.kind {
            StorageKind::Redis { .. } => "redis",
            StorageKind::S3 { .. } => "s3",
            StorageKind::Gcs { .. } => "gcs",
            _ => continue,
        };
        if on.iter().any(|f| f == feature) {
            continue;
        }
        diags.push(
            Diagnostic::new(
                format!(
                    "storage `{}` is `type = \"{feature}\"`: enable the feature `{feature}` of advanced-caching",
                    storage.name
                ),
                storage.kind_span.clone(),
                "needs a cargo feature",
            )
            .hint(format!(
                "in Cargo.toml: advanced-caching = {{ version = \"…\", features = [\"{feature}\"] }}"
            )),
        );
    }
    if diags.is_empty() {
        Ok(spec)
    } else {
        Err(diags)
    }
}

fn toml_error(e: &toml::de::Error) -> Diagnostic {
    let message = e.message().trim().to_owned();
    let hint = if message.contains("unknown field") {
        "remove the setting or fix its spelling (the expected settings are listed above)"
    } else if message.contains("missing field") {
        "add the setting this entry requires"
    } else if message.contains("duplicate key") {
        "each name may appear once in its table"
    } else {
        "see the schema in schema/cache.schema.json for what each setting takes"
    };
    Diagnostic::new(format!("invalid cache.toml: {message}"), e.span(), "here").hint(hint)
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && syn::parse_str::<syn::Ident>(name).is_ok()
}

impl Checker<'_> {
    fn error(
        &mut self,
        message: impl Into<String>,
        span: Range<usize>,
        label: &str,
        hint: impl Into<String>,
    ) {
        self.diags
            .push(Diagnostic::new(message, Some(span), label).hint(hint));
    }

    fn spec(&mut self, raw: RawSpec) -> Spec {
        self.names(&raw);
        self.context = raw.context.as_ref().and_then(|c| self.context_type(c));
        let mut storages = self.storages(&raw.storages);
        let declared: BTreeSet<String> = raw.storages.keys().map(|k| k.get_ref().clone()).collect();
        let default_storage = match &raw.default_storage {
            Some(name) => {
                self.storage_ref(name, &declared);
                name.get_ref().clone()
            }
            None => IMPLICIT_DEFAULT.to_owned(),
        };
        if !declared.contains(IMPLICIT_DEFAULT) && raw.default_storage.is_none() {
            storages.push(StorageDef {
                name: IMPLICIT_DEFAULT.into(),
                kind: StorageKind::Memory {
                    max_entries: IMPLICIT_MAX_ENTRIES,
                },
                kind_span: None,
                cleanup_interval: None,
            });
        }
        let with_default = |name: &Option<Spanned<String>>, c: &mut Self| match name {
            Some(n) => {
                c.storage_ref(n, &declared);
                n.get_ref().clone()
            }
            None => default_storage.clone(),
        };
        let functions = raw
            .functions
            .iter()
            .filter_map(|(name, f)| {
                let storage = with_default(&f.get_ref().storage, self);
                self.function(name, f, storage)
            })
            .collect();
        let loaders: Vec<LoaderDef> = raw
            .loaders
            .iter()
            .filter_map(|(name, l)| {
                let storage = with_default(&l.get_ref().storage, self);
                self.loader(name, l, storage)
            })
            .collect();
        let readers = raw
            .readers
            .iter()
            .filter_map(|(name, r)| {
                let storage = with_default(&r.get_ref().storage, self);
                self.reader(name, r, storage, &raw.loaders)
            })
            .collect();
        self.shares(&raw.functions);
        self.disjoint(&storages);
        Spec {
            storages,
            default_storage,
            functions,
            loaders,
            readers,
            context: raw.context.as_ref().map(|c| c.get_ref().trim().to_owned()),
        }
    }

    /// The `context` type: a path to a type of this crate or another.
    fn context_type(&mut self, context: &Spanned<String>) -> Option<syn::Path> {
        match syn::parse_str::<syn::Path>(context.get_ref().trim()) {
            Ok(path) if !path.segments.is_empty() => Some(path),
            _ => {
                self.error(
                    format!("`{}` is not a type path", context.get_ref()),
                    context.span(),
                    "the loader context type",
                    "name the type loaders take by reference, e.g. `context = \"crate::AppState\"`",
                );
                None
            }
        }
    }

    /// Marks a signature whose first parameter is `&Context`; the context elsewhere is an error.
    fn with_context(&mut self, mut sig: Signature, loader: &Spanned<String>) -> Signature {
        let Some(last) = self
            .context
            .as_ref()
            .and_then(|c| c.segments.last())
            .map(|s| s.ident.to_string())
        else {
            return sig;
        };
        for (at, param) in sig.params.iter().enumerate() {
            let syn::Type::Reference(r) = &param.ty else {
                continue;
            };
            let syn::Type::Path(p) = &*r.elem else {
                continue;
            };
            if p.path.segments.last().is_none_or(|s| s.ident != last) {
                continue;
            }
            if at == 0 {
                sig.takes_context = true;
            } else {
                self.error(
                    format!(
                        "the context parameter `{}` of `{}` is not the first parameter",
                        param.name,
                        loader.get_ref()
                    ),
                    loader.span(),
                    "takes the context",
                    format!(
                        "move `{}: &{last}` to the front of the loader's parameters",
                        param.name
                    ),
                );
            }
        }
        sig
    }

    /// `same_entries_as` names another function, one level deep, with the same value type.
    fn shares(&mut self, functions: &BTreeMap<Spanned<String>, Spanned<RawFunction>>) {
        for (name, f) in functions {
            let Some(target) = &f.get_ref().same_entries_as else {
                continue;
            };
            let t = target.get_ref();
            let Some(other) = functions.iter().find(|(n, _)| n.get_ref() == t) else {
                let names = functions.keys().map(|k| k.get_ref().as_str());
                let hint = match closest(t, names) {
                    Some(similar) => format!("did you mean `{similar}`?"),
                    None => "name a [functions.*] entry of this spec".into(),
                };
                self.error(
                    format!("`same_entries_as = \"{t}\"` names no function"),
                    target.span(),
                    "no function of this name",
                    hint,
                );
                continue;
            };
            if t == name.get_ref() {
                self.error(
                    "a function cannot share entries with itself",
                    target.span(),
                    "names this function",
                    "remove `same_entries_as`",
                );
                continue;
            }
            if let Some(next) = &other.1.get_ref().same_entries_as {
                self.error(
                    format!("`{t}` itself shares the entries of `{}`", next.get_ref()),
                    target.span(),
                    "a chain of sharing",
                    format!("write `same_entries_as = \"{}\"`", next.get_ref()),
                );
                continue;
            }
            let ours = self.values.get(name.get_ref()).cloned();
            let theirs = self.values.get(t).cloned();
            if let (Some((Some(a), _)), Some((Some(b), b_span))) = (ours, theirs)
                && type_name(&a) != type_name(&b)
            {
                let diag = Diagnostic::new(
                    format!(
                        "`{}` shares the entries of `{t}`, but its values are `{}` and theirs `{}`",
                        name.get_ref(),
                        type_text(&a),
                        type_text(&b)
                    ),
                    Some(target.span()),
                    "shares on purpose",
                )
                .also(b_span, format!("the loader of `{t}`"))
                .hint("entries shared on purpose must hold one value type: return the same type from both loaders, or give them distinct keys");
                self.diags.push(diag);
            }
        }
    }

    /// Entries on storages that reach one keyspace must have disjoint key sets.
    fn disjoint(&mut self, storages: &[StorageDef]) {
        let targets: BTreeSet<String> = self
            .entries
            .iter()
            .filter_map(|e| e.group.clone())
            .collect();
        for e in &mut self.entries {
            if e.table == "functions" && e.group.is_none() && targets.contains(&e.name) {
                e.group = Some(e.name.clone());
            }
        }
        // One report per entry whose keys are the wider set (its literal starts the other's),
        // naming every entry it can meet.
        let mut by_culprit: BTreeMap<usize, Vec<(usize, String)>> = BTreeMap::new();
        for clash in disjoint::clashes(storages, &self.entries) {
            let (a, b) = (&self.entries[clash.first], &self.entries[clash.second]);
            let (culprit, other) = if a.keys.literal().len() < b.keys.literal().len() {
                (clash.first, clash.second)
            } else {
                (clash.second, clash.first)
            };
            by_culprit
                .entry(culprit)
                .or_default()
                .push((other, clash.space));
        }
        for (culprit, others) in by_culprit {
            let e = &self.entries[culprit];
            let names: Vec<String> = others
                .iter()
                .map(|(o, _)| self.entries[*o].title())
                .collect();
            let spaces: BTreeSet<&str> = others.iter().map(|(_, s)| s.as_str()).collect();
            let spaces = spaces.into_iter().collect::<Vec<_>>().join(", ");
            let mut diag = if e.key_fn && e.keys.literal().is_empty() {
                Diagnostic::new(
                    format!(
                        "the `key_fn` of {} has no `key_prefix`, and its storage is shared with {} ({spaces})",
                        e.title(),
                        names.join(", "),
                    ),
                    Some(e.span.clone()),
                    describe(e),
                )
                .hint(format!(
                    "add `key_prefix = \"{}:\"` to {}: it is prepended to every key the function returns",
                    e.name,
                    e.title()
                ))
            } else {
                let share = match others.first().map(|(o, _)| &self.entries[*o]) {
                    Some(o) if e.table == "functions" && o.table == "functions" => format!(
                        "; to share entries on purpose, set `same_entries_as = \"{}\"` in {}",
                        o.name,
                        e.title()
                    ),
                    _ => String::new(),
                };
                Diagnostic::new(
                    format!(
                        "{} can write the same storage key as {} ({spaces})",
                        e.title(),
                        names.join(", "),
                    ),
                    Some(e.span.clone()),
                    describe(e),
                )
                .hint(format!(
                    "give each entry on one storage a literal key prefix that is not the start of another's, e.g. `key = \"{}:{}\"`{share}",
                    e.name,
                    if e.keys.literal().is_empty() { "{…}" } else { "…" }
                ))
            };
            for (other, _) in others.iter().take(3) {
                let o = &self.entries[*other];
                diag = diag.also(o.span.clone(), format!("{}: {}", o.title(), describe(o)));
            }
            self.diags.push(diag);
        }
    }

    /// Names become Rust items: each must be an identifier, unique across functions, loaders and
    /// readers, and not one of the generated module's own items.
    fn names(&mut self, raw: &RawSpec) {
        let mut seen: BTreeMap<String, &'static str> = BTreeMap::new();
        let groups: [(&'static str, Vec<&Spanned<String>>); 3] = [
            ("functions", raw.functions.keys().collect()),
            ("loaders", raw.loaders.keys().collect()),
            ("readers", raw.readers.keys().collect()),
        ];
        for (table, names) in groups {
            for name in names {
                let n = name.get_ref();
                if !is_identifier(n) {
                    self.error(
                        format!("`{n}` is not a valid Rust function name"),
                        name.span(),
                        "the generated function is named after this",
                        "use letters, digits and `_`, starting with a letter (e.g. `get_user`)",
                    );
                } else if RESERVED.contains(&n.as_str()) {
                    self.error(
                        format!("`{n}` is reserved in the generated `caches` module"),
                        name.span(),
                        "clashes with a generated item",
                        format!("rename it; reserved names: {}", RESERVED.join(", ")),
                    );
                } else if let Some(first) = seen.get(n) {
                    self.error(
                        format!("duplicate name `{n}`: already used in [{first}]"),
                        name.span(),
                        "second definition",
                        "functions, loaders and readers share one namespace in `caches`; rename one",
                    );
                }
                seen.entry(n.clone()).or_insert(table);
            }
        }
        for name in raw.storages.keys() {
            if !is_identifier(name.get_ref()) {
                self.error(
                    format!("`{}` is not a valid storage name", name.get_ref()),
                    name.span(),
                    "storage names become Rust identifiers",
                    "use letters, digits and `_`, starting with a letter",
                );
            }
        }
    }

    fn storage_ref(&mut self, name: &Spanned<String>, declared: &BTreeSet<String>) -> bool {
        let n = name.get_ref();
        if declared.contains(n) || (n == IMPLICIT_DEFAULT) {
            return true;
        }
        let mut hint = if declared.is_empty() {
            "no storages are declared: add a [storages.NAME] table".to_owned()
        } else {
            format!(
                "declared storages: {}",
                declared.iter().cloned().collect::<Vec<_>>().join(", ")
            )
        };
        if let Some(similar) = closest(n, declared.iter().map(String::as_str)) {
            hint = format!("did you mean `{similar}`? {hint}");
        }
        self.error(
            format!("unknown storage `{n}`"),
            name.span(),
            "no storage of this name",
            hint,
        );
        false
    }

    fn duration(
        &mut self,
        d: &Spanned<RawDuration>,
        allow_never: bool,
        allow_zero: bool,
    ) -> Option<Option<Duration>> {
        let text = match d.get_ref() {
            RawDuration::Text(t) => t,
            RawDuration::Number(n) => {
                self.error(
                    format!("a bare number ({n}) is not a duration"),
                    d.span(),
                    "needs a unit",
                    format!("write a string with a unit, e.g. \"{n}s\" or \"{n}ms\""),
                );
                return None;
            }
        };
        match duration::parse(text) {
            Ok(None) if !allow_never => {
                self.error(
                    "\"never\" is not allowed here",
                    d.span(),
                    "needs a finite duration",
                    "give a duration such as \"30s\"",
                );
                None
            }
            Ok(Some(z)) if z.is_zero() && !allow_zero => {
                self.error(
                    format!("`{text}` is a zero duration"),
                    d.span(),
                    "zero is not a TTL",
                    "write \"never\" for no expiry, or a positive duration such as \"30s\"",
                );
                None
            }
            Ok(v) => Some(v),
            Err(why) => {
                self.error(
                    format!("bad duration `{text}`: {why}"),
                    d.span(),
                    "not a duration",
                    "durations look like \"750ms\", \"60s\", \"5m\", \"1h30m\" or \"never\"",
                );
                None
            }
        }
    }

    fn storages(
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

    /// A `coherent` hybrid or chain has in-memory levels above a Redis level (whose pub/sub
    /// carries the announcements).
    fn coherence(
        &mut self,
        raw: &BTreeMap<Spanned<String>, Spanned<RawStorage>>,
        defs: &[StorageDef],
    ) {
        let kind_of = |name: &str| {
            defs.iter()
                .find(|d| d.name == name)
                .map(|d| d.kind.type_name())
        };
        for def in defs {
            let levels: Vec<&str> = match &def.kind {
                StorageKind::Hybrid {
                    l1, l2, coherent, ..
                } if *coherent => vec![l1, l2],
                StorageKind::Chain { levels, coherent } if *coherent => {
                    levels.iter().map(|l| l.storage.as_str()).collect()
                }
                _ => continue,
            };
            let shared = levels.iter().position(|l| kind_of(l) == Some("redis"));
            let fits = shared
                .is_some_and(|k| k > 0 && levels[..k].iter().all(|l| kind_of(l) == Some("memory")));
            if fits {
                continue;
            }
            let Some(span) = raw
                .iter()
                .find(|(name, _)| name.get_ref() == &def.name)
                .and_then(|(_, s)| s.get_ref().coherent.as_ref().map(Spanned::span))
            else {
                continue;
            };
            self.error(
                "a coherent storage needs memory levels above a redis level",
                span,
                "no redis level below memory ones",
                "copies are kept coherent through Redis pub/sub: put `memory` storages first and a `redis` storage below them, or remove `coherent`",
            );
        }
    }

    fn storage(
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

    fn serializer(&mut self, s: &Option<Spanned<String>>) -> Option<Serializer> {
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

    fn level_ref(
        &mut self,
        owner: &Spanned<String>,
        level: &Spanned<String>,
        declared: &BTreeSet<String>,
    ) {
        if level.get_ref() == owner.get_ref() {
            self.error(
                format!("storage `{}` uses itself as a level", owner.get_ref()),
                level.span(),
                "refers to the storage being declared",
                "a level must be another storage",
            );
            return;
        }
        self.storage_ref(level, declared);
    }

    /// Hybrid and chain storages must not refer to each other in a cycle.
    fn cycles(&mut self, raw: &BTreeMap<Spanned<String>, Spanned<RawStorage>>) {
        let edges: BTreeMap<&str, Vec<&Spanned<String>>> = raw
            .iter()
            .map(|(name, s)| {
                let s = s.get_ref();
                let mut to: Vec<&Spanned<String>> = [&s.l1, &s.l2].into_iter().flatten().collect();
                if let Some(levels) = &s.levels {
                    to.extend(levels.get_ref().iter().map(|l| &l.get_ref().storage));
                }
                (name.get_ref().as_str(), to)
            })
            .collect();
        let mut reported = BTreeSet::new();
        for start in edges.keys() {
            let mut stack = vec![(*start, vec![*start])];
            while let Some((at, path)) = stack.pop() {
                for next in edges.get(at).into_iter().flatten() {
                    let n = next.get_ref().as_str();
                    if n == *start && path.len() > 1 {
                        let mut cycle = path.clone();
                        cycle.sort();
                        if reported.insert(cycle) {
                            self.error(
                                format!("storages form a cycle: {} -> {start}", path.join(" -> ")),
                                next.span(),
                                "closes the cycle",
                                "a hybrid or chain storage must end in storages that are not composite",
                            );
                        }
                    } else if !path.contains(&n) && path.len() < 32 {
                        let mut p = path.clone();
                        p.push(n);
                        stack.push((n, p));
                    }
                }
            }
        }
    }

    /// The signature of `loader`, from the crate's source or from `args`/`returns`.
    fn signature(
        &mut self,
        loader: &Spanned<String>,
        args: &Option<Spanned<Vec<Spanned<String>>>>,
        returns: &Option<Spanned<String>>,
        is_async: &Option<Spanned<bool>>,
    ) -> Option<Signature> {
        if let Some(returns) = returns {
            return self.declared_signature(loader, args, returns, is_async);
        }
        if let Some(args) = args {
            self.error(
                "`args` needs `returns`",
                args.span(),
                "declared without a return type",
                "declare both `args` and `returns` for a loader outside this crate",
            );
            return None;
        }
        if syn::parse_str::<syn::Path>(loader.get_ref()).is_err() {
            self.error(
                format!("`{}` is not a Rust path", loader.get_ref()),
                loader.span(),
                "not a path",
                "name the loader by its path, e.g. \"crate::db::fetch_user\"",
            );
            return None;
        }
        match self.tree.signature(loader.get_ref()) {
            Ok(sig) => Some(sig),
            Err(e) => {
                let (message, label, hint) = loader_problem(loader.get_ref(), e);
                self.error(message, loader.span(), &label, hint);
                None
            }
        }
    }

    fn declared_signature(
        &mut self,
        loader: &Spanned<String>,
        args: &Option<Spanned<Vec<Spanned<String>>>>,
        returns: &Spanned<String>,
        is_async: &Option<Spanned<bool>>,
    ) -> Option<Signature> {
        let asyncness = if is_async.as_ref().is_some_and(|a| *a.get_ref()) {
            "async "
        } else {
            ""
        };
        let params: Vec<String> = args
            .as_ref()
            .map(|a| a.get_ref().iter().map(|p| p.get_ref().clone()).collect())
            .unwrap_or_default();
        let text = format!(
            "{asyncness}fn __loader({}) -> {}",
            params.join(", "),
            returns.get_ref()
        );
        let span = args.as_ref().map_or(returns.span(), |a| {
            a.span().start..returns.span().end.max(a.span().end)
        });
        let sig = match syn::parse_str::<syn::Signature>(&text) {
            Ok(sig) => sig,
            Err(e) => {
                self.error(
                    format!("cannot read the declared signature: {e}"),
                    span,
                    "declared here",
                    "write `args = [\"id: u64\", \"name: &str\"]` and `returns = \"Result<User, Error>\"`",
                );
                return None;
            }
        };
        if syn::parse_str::<syn::Path>(loader.get_ref()).is_err() {
            self.error(
                format!("`{}` is not a Rust path", loader.get_ref()),
                loader.span(),
                "not a path",
                "name the loader by its path, e.g. \"other_crate::fetch\"",
            );
            return None;
        }
        match read_signature(&sig) {
            Ok(sig) => Some(sig),
            Err(e) => {
                let (message, label, hint) = loader_problem(loader.get_ref(), e);
                self.error(message, span, &label, hint);
                None
            }
        }
    }

    fn function(
        &mut self,
        name: &Spanned<String>,
        f: &Spanned<RawFunction>,
        storage: String,
    ) -> Option<FunctionDef> {
        let raw = f.get_ref();
        let strategy_name = raw
            .strategy
            .as_ref()
            .map_or("ttl", |s| s.get_ref().as_str());
        let ttl = match &raw.ttl {
            Some(d) => self.duration(d, true, false),
            None => {
                self.error(
                    format!("function `{}` has no `ttl`", name.get_ref()),
                    name.span(),
                    "declared here",
                    "add `ttl = \"5m\"` (or \"never\")",
                );
                None
            }
        };
        let strategy = match strategy_name {
            "ttl" => {
                if let Some(stale) = &raw.stale_ttl {
                    self.error(
                        "`stale_ttl` only applies to `strategy = \"swr\"`",
                        stale.span(),
                        "ignored by a ttl function",
                        "set `strategy = \"swr\"` to serve stale values while refreshing, or remove `stale_ttl`",
                    );
                }
                if let Some(lock) = &raw.refresh_lock_ttl {
                    self.error(
                        "`refresh_lock_ttl` only applies to `strategy = \"swr\"`",
                        lock.span(),
                        "a ttl function has no background refresh",
                        "remove `refresh_lock_ttl`, or set `strategy = \"swr\"`",
                    );
                }
                Some(Strategy::Ttl)
            }
            "swr" => match &raw.stale_ttl {
                Some(d) => {
                    let refresh_lock_ttl = match &raw.refresh_lock_ttl {
                        Some(l) => self.duration(l, false, false),
                        None => Some(None),
                    };
                    self.duration(d, false, false)
                        .flatten()
                        .and_then(|stale_ttl| {
                            Some(Strategy::Swr {
                                stale_ttl,
                                refresh_lock_ttl: refresh_lock_ttl?,
                            })
                        })
                }
                None => {
                    self.error(
                        "an swr function needs `stale_ttl`",
                        raw.strategy.as_ref().map_or(name.span(), Spanned::span),
                        "strategy swr",
                        "add `stale_ttl = \"30s\"`: how long a stale value is served while it refreshes",
                    );
                    None
                }
            },
            other => {
                let span = raw.strategy.as_ref().map_or(name.span(), Spanned::span);
                let mut hint =
                    "strategies: ttl, swr (background refresh is a [loaders.NAME] table)"
                        .to_owned();
                if let Some(similar) = closest(other, ["ttl", "swr"]) {
                    hint = format!("did you mean `{similar}`? {hint}");
                }
                self.error(
                    format!("unknown strategy `{other}`"),
                    span,
                    "not a strategy",
                    hint,
                );
                None
            }
        };
        if matches!(strategy, Some(Strategy::Swr { .. }))
            && matches!(ttl, Some(None))
            && let Some(t) = &raw.ttl
        {
            self.error(
                "an swr function cannot have `ttl = \"never\"`",
                t.span(),
                "never goes stale",
                "give a finite ttl, or use strategy ttl",
            );
        }
        let signature = self
            .signature(&raw.loader, &raw.args, &raw.returns, &raw.is_async)
            .map(|sig| self.with_context(sig, &raw.loader));
        self.values.insert(
            name.get_ref().clone(),
            (
                signature.as_ref().and_then(Signature::value_type),
                raw.loader.span(),
            ),
        );
        if let (Some(prefix), None) = (&raw.key_prefix, &raw.key_fn) {
            self.error(
                "`key_prefix` goes with `key_fn`",
                prefix.span(),
                "no key_fn to prefix",
                "a key template starts with its own literal prefix: write it there, e.g. `key = \"user:{id}\"`",
            );
        }
        let not_in_key: Vec<&Spanned<String>> =
            raw.not_in_key.iter().flat_map(|n| n.get_ref()).collect();
        let key = match (&raw.key, &raw.key_fn) {
            (Some(_), Some(key_fn)) => {
                self.error(
                    "give either `key` or `key_fn`, not both",
                    key_fn.span(),
                    "second key setting",
                    "`key` is a template; `key_fn` names a function that builds the key",
                );
                None
            }
            (None, Some(key_fn)) => {
                if let Some(n) = &raw.not_in_key {
                    self.error(
                        "`not_in_key` does not apply to a `key_fn`",
                        n.span(),
                        "the key function sees every argument",
                        "the key function decides what its key holds; remove `not_in_key`",
                    );
                }
                if syn::parse_str::<syn::Path>(key_fn.get_ref()).is_err() {
                    self.error(
                        format!("`{}` is not a Rust path", key_fn.get_ref()),
                        key_fn.span(),
                        "not a path",
                        "name the key function by its path, e.g. \"crate::keys::user_key\"",
                    );
                    None
                } else {
                    if let Some(prefix) = &raw.key_prefix
                        && prefix.get_ref().starts_with(RESERVED_KEY_START)
                    {
                        self.error(
                            "a `key_prefix` may not start with `~`",
                            prefix.span(),
                            "reserved for the library's own keys",
                            "keys starting with `~` hold refresh locks and writer leases: pick another first character",
                        );
                    }
                    Some(KeySpec::KeyFn {
                        path: key_fn.get_ref().clone(),
                        prefix: raw
                            .key_prefix
                            .as_ref()
                            .map(|p| p.get_ref().clone())
                            .unwrap_or_default(),
                    })
                }
            }
            (Some(template), None) => self.key(template, signature.as_ref()),
            (None, None) => Some(KeySpec::Default),
        };
        if let (Some(key), Some(sig)) = (&key, &signature) {
            let key_span = raw.key.as_ref().map_or_else(|| name.span(), Spanned::span);
            self.every_param_keyed(key, sig, &not_in_key, key_span, raw.loader.get_ref());
        }
        let not_in_key: Vec<String> = not_in_key.iter().map(|n| n.get_ref().clone()).collect();
        let jitter = raw.jitter.as_ref().and_then(|j| {
            let share = j
                .get_ref()
                .trim()
                .strip_suffix('%')
                .and_then(|n| n.trim().parse::<f64>().ok())
                .filter(|p| *p > 0.0 && *p < 100.0);
            if share.is_none() {
                self.error(
                    format!("bad jitter `{}`", j.get_ref()),
                    j.span(),
                    "not a share of the ttl",
                    "write a percentage above 0 and below 100, e.g. `jitter = \"10%\"`",
                );
            }
            share.map(|p| p / 100.0)
        });
        let fleet = self.fleet(&raw.single_flight, &raw.fleet_wait);
        let none_ttl = match &raw.none_ttl {
            Some(d) => {
                let optional = signature
                    .as_ref()
                    .and_then(Signature::value_type)
                    .is_none_or(|v| type_name(&v).starts_with("Option<"));
                if !optional {
                    self.error(
                        "`none_ttl` applies to loaders that return an `Option`",
                        d.span(),
                        "the value is not an Option",
                        "return `Option<T>` (or `Result<Option<T>, E>`) from the loader, or remove `none_ttl`",
                    );
                }
                self.duration(d, false, true).flatten()
            }
            None => None,
        };
        if let (Some(key), Some(sig)) = (&key, &signature) {
            let keys = match key {
                KeySpec::Template(parts) => template_keys(parts),
                KeySpec::KeyFn { prefix, .. } => KeySet::Prefix(prefix.clone()),
                KeySpec::Default => {
                    if sig
                        .call_params()
                        .iter()
                        .all(|p| not_in_key.contains(&p.name.to_string()))
                    {
                        KeySet::Exact(name.get_ref().clone())
                    } else {
                        KeySet::Prefix(format!("{}:", name.get_ref()))
                    }
                }
            };
            self.entries.push(Entry {
                table: "functions",
                name: name.get_ref().clone(),
                span: raw
                    .key
                    .as_ref()
                    .or(raw.key_fn.as_ref())
                    .map_or_else(|| name.span(), Spanned::span),
                storage: storage.clone(),
                keys,
                group: raw.same_entries_as.as_ref().map(|t| t.get_ref().clone()),
                key_fn: matches!(key, KeySpec::KeyFn { .. }),
            });
        }
        Some(FunctionDef {
            name: name.get_ref().clone(),
            loader: raw.loader.get_ref().clone(),
            strategy: strategy?,
            key: key?,
            ttl: ttl?,
            storage,
            signature: signature?,
            not_in_key,
            same_entries_as: raw.same_entries_as.as_ref().map(|t| t.get_ref().clone()),
            none_ttl,
            jitter,
            fleet: fleet?,
        })
    }

    /// `single_flight` and `fleet_wait`: the wait of fleet-wide single loading, `None` for
    /// per-process single flight (the default).
    fn fleet(
        &mut self,
        single_flight: &Option<Spanned<String>>,
        fleet_wait: &Option<Spanned<RawDuration>>,
    ) -> Option<Option<Duration>> {
        let fleet = match single_flight {
            None => false,
            Some(s) => match s.get_ref().as_str() {
                "process" => false,
                "fleet" => true,
                other => {
                    self.error(
                        format!("unknown single_flight `{other}`"),
                        s.span(),
                        "not a scope of single flight",
                        "`process` (default: one load per key in each process) or `fleet` (one load per key across the processes sharing the storage)",
                    );
                    return None;
                }
            },
        };
        match fleet_wait {
            Some(wait) if !fleet => {
                self.error(
                    "`fleet_wait` applies to `single_flight = \"fleet\"`",
                    wait.span(),
                    "no fleet-wide single flight here",
                    "add `single_flight = \"fleet\"`, or remove `fleet_wait`",
                );
                None
            }
            Some(wait) => Some(self.duration(wait, false, false)?),
            None => Some(fleet.then_some(FLEET_WAIT)),
        }
    }

    /// Every parameter the caller passes is in the key, or in `not_in_key` (and only there).
    fn every_param_keyed(
        &mut self,
        key: &KeySpec,
        sig: &Signature,
        not_in_key: &[&Spanned<String>],
        key_span: Range<usize>,
        loader: &str,
    ) {
        let params: Vec<String> = sig
            .call_params()
            .iter()
            .map(|p| p.name.to_string())
            .collect();
        let used: BTreeSet<String> = match key {
            KeySpec::Template(parts) => parts
                .iter()
                .filter_map(|p| match p {
                    KeyPart::Placeholder { param, .. } => Some(param.clone()),
                    KeyPart::Literal(_) => None,
                })
                .collect(),
            KeySpec::KeyFn { .. } => params.iter().cloned().collect(),
            KeySpec::Default => params
                .iter()
                .filter(|p| !not_in_key.iter().any(|n| n.get_ref() == *p))
                .cloned()
                .collect(),
        };
        for n in not_in_key {
            let n_text = n.get_ref();
            if !params.contains(n_text) {
                let mut hint = format!("the parameters: {}", params.join(", "));
                if let Some(similar) = closest(n_text, params.iter().map(String::as_str)) {
                    hint = format!("did you mean `{similar}`? {hint}");
                }
                self.error(
                    format!("`{n_text}` in `not_in_key` is not a parameter of `{loader}`"),
                    n.span(),
                    "no such parameter",
                    hint,
                );
            } else if matches!(key, KeySpec::Template(_)) && used.contains(n_text) {
                self.error(
                    format!("`{n_text}` is in the key template and in `not_in_key`"),
                    n.span(),
                    "also in the key",
                    "remove it from one of the two",
                );
            }
        }
        let unused: Vec<&String> = params
            .iter()
            .filter(|p| !used.contains(*p) && !not_in_key.iter().any(|n| n.get_ref() == *p))
            .collect();
        if unused.is_empty() {
            return;
        }
        let list = unused
            .iter()
            .map(|p| format!("`{p}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let with_them: String = unused.iter().map(|p| format!(":{{{p}}}")).collect();
        let context = match &self.context {
            Some(c) => format!(
                "the loader's state (a pool, a client) is taken as the first parameter `&{}`",
                c.segments.last().map(|s| s.ident.to_string()).unwrap_or_default()
            ),
            None => "for the loader's state (a pool, a client), declare `context = \"crate::AppState\"` and take it as the first parameter `&AppState`".into(),
        };
        let template = match key {
            KeySpec::Template(parts) => format!("{}{with_them}", key::template_text(parts)),
            _ => format!("…{with_them}"),
        };
        self.error(
            format!(
                "{} {list} of `{loader}` {} not in the key: calls that differ only there would share an entry",
                if unused.len() == 1 { "parameter" } else { "parameters" },
                if unused.len() == 1 { "is" } else { "are" },
            ),
            key_span,
            "the key",
            format!(
                "put {} in the key, e.g. `key = \"{template}\"`; {context}; to leave {} out on purpose, `not_in_key = [{}]`",
                if unused.len() == 1 { "it" } else { "them" },
                if unused.len() == 1 { "it" } else { "them" },
                unused.iter().map(|p| format!("\"{p}\"")).collect::<Vec<_>>().join(", ")
            ),
        );
    }

    fn key(
        &mut self,
        template: &Spanned<String>,
        signature: Option<&Signature>,
    ) -> Option<KeySpec> {
        let parts = match key::parse(template.get_ref()) {
            Ok(parts) => parts,
            Err(why) => {
                self.error(
                    format!("bad key template: {why}"),
                    template.span(),
                    "in this template",
                    "placeholders are `{}` (the next parameter), `{name}`, `{0}` or `{id:08}`; write `{{` and `}}` for braces",
                );
                return None;
            }
        };
        if let Some(RawPart::Literal(first)) = parts.first()
            && first.starts_with(RESERVED_KEY_START)
        {
            self.error(
                format!("a key may not start with `{}`", RESERVED_KEY_START),
                template.span(),
                "reserved for the library's own keys",
                "keys starting with `~` hold refresh locks and writer leases: start the template with another character",
            );
            return None;
        }
        let params: Vec<&Param> = signature
            .map(|s| s.call_params().iter().collect())
            .unwrap_or_default();
        let names: Vec<String> = params.iter().map(|p| p.name.to_string()).collect();
        let problem = |c: &mut Self, message: String, hint: String| {
            c.error(message, template.span(), "in this template", hint);
        };
        let (mut next, mut ok) = (0usize, true);
        let (nexts, indexes) = parts.iter().fold((false, false), |(n, i), p| match p {
            RawPart::Placeholder {
                slot: Slot::Next, ..
            } => (true, i),
            RawPart::Placeholder {
                slot: Slot::Index(_),
                ..
            } => (n, true),
            _ => (n, i),
        });
        if nexts && indexes {
            ok = false;
            problem(
                self,
                "a template cannot mix `{}` and `{0}`".into(),
                "number every placeholder (`{0}:{1}`), or none (`{}:{}`), or name them".into(),
            );
        }
        let named: BTreeSet<&str> = parts
            .iter()
            .filter_map(|p| match p {
                RawPart::Placeholder {
                    slot: Slot::Name(n),
                    ..
                } => Some(n.as_str()),
                _ => None,
            })
            .collect();
        let mut resolved = Vec::new();
        let mut last_was_placeholder = false;
        for part in parts.iter() {
            let RawPart::Placeholder { slot, spec } = part else {
                if let RawPart::Literal(text) = part {
                    resolved.push(KeyPart::Literal(text.clone()));
                }
                last_was_placeholder = false;
                continue;
            };
            if last_was_placeholder {
                ok = false;
                problem(
                    self,
                    "two placeholders touch: distinct calls could build the same key".into(),
                    "put a separator between placeholders, e.g. \"{a}:{b}\"".into(),
                );
            }
            last_was_placeholder = true;
            if signature.is_none() {
                continue;
            }
            let (index, written) = match slot {
                Slot::Next => {
                    next += 1;
                    (Some(next - 1), "{}".to_owned())
                }
                Slot::Index(i) => (Some(*i), format!("{{{i}}}")),
                Slot::Name(n) => (names.iter().position(|p| p == n), format!("{{{n}}}")),
            };
            let Some(param) = index.and_then(|i| params.get(i)) else {
                ok = false;
                let (message, hint) = match slot {
                    Slot::Name(n) => {
                        let mut hint = if names.is_empty() {
                            "the loader takes no arguments".to_owned()
                        } else {
                            format!("the loader's parameters: {}", names.join(", "))
                        };
                        if let Some(similar) = closest(n, names.iter().map(String::as_str)) {
                            hint = format!("did you mean `{{{similar}}}`? {hint}");
                        }
                        (
                            format!("key placeholder `{written}` is not a parameter of the loader"),
                            hint,
                        )
                    }
                    _ if names.is_empty() => (
                        format!("`{written}` stands for a parameter, but the loader takes none"),
                        "remove the placeholder: a loader without arguments has one key".to_owned(),
                    ),
                    _ => (
                        format!(
                            "`{written}` is parameter number {} but the loader takes {}",
                            index.unwrap_or_default() + 1,
                            names.len()
                        ),
                        format!(
                            "the n-th `{{}}` is the n-th parameter; the parameters: {}",
                            names.join(", ")
                        ),
                    ),
                };
                problem(self, message, hint);
                continue;
            };
            let name = param.name.to_string();
            if !matches!(slot, Slot::Name(_)) && named.contains(name.as_str()) {
                ok = false;
                problem(
                    self,
                    format!("`{written}` is `{name}`, which `{{{name}}}` names too"),
                    "the n-th `{}` is the n-th parameter, named or not: name every placeholder when you mix them".into(),
                );
            }
            if let Err(why) = key::check_spec(spec, &param.ty) {
                ok = false;
                let ty = &param.ty;
                problem(
                    self,
                    format!(
                        "the format spec of `{{{name}:{spec}}}` can give two calls one key: {why}"
                    ),
                    format!(
                        "`{name}` is a `{}`: use no spec (`{{{name}}}`), or `?` for Debug; integers take zero or space padding (`{{{name}:08}}`) and `x`, `X`, `o`, `b`",
                        type_text(ty)
                    ),
                );
            }
            resolved.push(KeyPart::Placeholder {
                param: name,
                spec: spec.clone(),
            });
        }
        ok.then_some(KeySpec::Template(resolved))
    }

    /// A schedule's interval (`None`: no schedule). `"0s"` turns the schedule off; then the value
    /// would never be reloaded, so a `ttl` must say how long it lives.
    fn interval(
        &mut self,
        interval: &Option<Spanned<RawDuration>>,
        ttl: &Option<Spanned<RawDuration>>,
    ) -> Option<Duration> {
        let d = interval.as_ref()?;
        let parsed = self.duration(d, false, true).flatten();
        if parsed.is_some_and(|i| i.is_zero()) && ttl.is_none() {
            self.error(
                "`interval = \"0s\"` turns the schedule off, and without a `ttl` the value would be kept forever",
                d.span(),
                "no schedule",
                "add `ttl = \"5m\"` (how long a value loaded on a miss lives), or `ttl = \"never\"` to keep it on purpose",
            );
        }
        parsed.filter(|i| !i.is_zero())
    }

    fn loader(
        &mut self,
        name: &Spanned<String>,
        l: &Spanned<RawLoader>,
        storage: String,
    ) -> Option<LoaderDef> {
        let raw = l.get_ref();
        let interval = self.interval(&raw.interval, &raw.ttl);
        let ttl = match &raw.ttl {
            Some(d) => Some(self.duration(d, true, false)?),
            None => None,
        };
        let signature = self.signature(&raw.loader, &None, &raw.returns, &raw.is_async)?;
        let signature = self.with_context(signature, &raw.loader);
        if !signature.call_params().is_empty() {
            self.error(
                format!("background loader `{}` must take no arguments", raw.loader.get_ref()),
                raw.loader.span(),
                "takes arguments",
                "a [loaders.*] entry refreshes one value on a schedule; use [functions.*] for per-argument caching",
            );
            return None;
        }
        self.entries.push(Entry {
            table: "loaders",
            name: name.get_ref().clone(),
            span: name.span(),
            storage: storage.clone(),
            keys: KeySet::Exact(name.get_ref().clone()),
            group: None,
            key_fn: false,
        });
        let on_error = match &raw.on_error {
            Some(path) if syn::parse_str::<syn::Path>(path.get_ref()).is_err() => {
                self.error(
                    format!("`{}` is not a Rust path", path.get_ref()),
                    path.span(),
                    "not a path",
                    "name a function taking a reference to the loader's error, e.g. \"crate::alerts::load_failed\"",
                );
                None
            }
            other => other.as_ref().map(|p| p.get_ref().clone()),
        };
        let fleet = self.fleet(&raw.single_flight, &raw.fleet_wait)?;
        Some(LoaderDef {
            name: name.get_ref().clone(),
            loader: raw.loader.get_ref().clone(),
            on_error,
            interval,
            ttl,
            run_immediately: raw.run_immediately.as_ref().is_some_and(|r| *r.get_ref()),
            storage,
            signature,
            fleet,
        })
    }

    fn reader(
        &mut self,
        name: &Spanned<String>,
        r: &Spanned<RawReader>,
        storage: String,
        loaders: &BTreeMap<Spanned<String>, Spanned<RawLoader>>,
    ) -> Option<ReaderDef> {
        let raw = r.get_ref();
        if !loaders.keys().any(|k| k.get_ref() == raw.source.get_ref()) {
            let names: Vec<&str> = loaders.keys().map(|k| k.get_ref().as_str()).collect();
            let mut hint = if names.is_empty() {
                "no [loaders.*] are declared: a reader reads what a background loader writes"
                    .to_owned()
            } else {
                format!("declared loaders: {}", names.join(", "))
            };
            if let Some(similar) = closest(raw.source.get_ref(), names.iter().copied()) {
                hint = format!("did you mean `{similar}`? {hint}");
            }
            self.error(
                format!("unknown source `{}`", raw.source.get_ref()),
                raw.source.span(),
                "no loader of this name",
                hint,
            );
            return None;
        }
        let interval = self.interval(&raw.interval, &raw.ttl);
        let ttl = match &raw.ttl {
            Some(d) => Some(self.duration(d, true, false)?),
            None => None,
        };
        self.entries.push(Entry {
            table: "readers",
            name: name.get_ref().clone(),
            span: name.span(),
            storage: storage.clone(),
            keys: KeySet::Exact(raw.source.get_ref().clone()),
            group: Some(format!("copies of {}", raw.source.get_ref())),
            key_fn: false,
        });
        Some(ReaderDef {
            name: name.get_ref().clone(),
            source: raw.source.get_ref().clone(),
            interval,
            run_immediately: raw.run_immediately.as_ref().is_some_and(|r| *r.get_ref()),
            ttl,
            storage,
        })
    }
}

/// The first character of the runtime's own keys (`advanced_caching::RESERVED`; the generator does
/// not depend on the runtime, so it is repeated here, and `tests/tests/keys.rs` checks that a key
/// starting with the runtime's character is rejected).
const RESERVED_KEY_START: char = '~';

/// The keys of a template: its text when it has no placeholder, else its leading literal.
fn template_keys(parts: &[KeyPart]) -> KeySet {
    if parts.iter().all(|p| matches!(p, KeyPart::Literal(_))) {
        let text = parts
            .iter()
            .map(|p| match p {
                KeyPart::Literal(l) => l.as_str(),
                KeyPart::Placeholder { .. } => "",
            })
            .collect();
        return KeySet::Exact(text);
    }
    match parts.first() {
        Some(KeyPart::Literal(l)) => KeySet::Prefix(l.clone()),
        _ => KeySet::Prefix(String::new()),
    }
}

/// What an entry's keys look like, for labels.
fn describe(e: &Entry) -> String {
    match &e.keys {
        KeySet::Exact(k) => format!("the key `{k}`"),
        KeySet::Prefix(p) if p.is_empty() => "any key (no literal prefix)".into(),
        KeySet::Prefix(p) => format!("keys starting with `{p}`"),
    }
}

/// A type's name for comparison: the last path segment with its arguments (so `crate::User`
/// and `User` compare equal; the generated code has the compiler prove the rest).
fn type_name(ty: &syn::Type) -> String {
    match ty {
        syn::Type::Path(p) if p.qself.is_none() => p
            .path
            .segments
            .last()
            .map(|s| quote::quote!(#s).to_string().replace(' ', ""))
            .unwrap_or_default(),
        syn::Type::Reference(r) => format!("&{}", type_name(&r.elem)),
        other => type_text(other),
    }
}

fn loader_problem(path: &str, e: LoaderError) -> (String, String, String) {
    match e {
        LoaderError::NotInCrate => (
            format!("loader `{path}` is outside this crate"),
            "cannot read its signature".into(),
            "declare it: `args = [\"id: u64\"]`, `returns = \"Result<User, Error>\"` (and `async = true` if it is async)".into(),
        ),
        LoaderError::NoCrateRoot(dir) => (
            format!("cannot find the crate root to look up `{path}`"),
            "looked up from here".into(),
            format!("no src/lib.rs or src/main.rs under {}", dir.display()),
        ),
        LoaderError::ModuleNotFound { module, tried } => (
            format!("module `{module}` of loader `{path}` not found"),
            "loader cannot be found".into(),
            if tried.is_empty() {
                format!("declare it with `mod {}`", module.rsplit("::").next().unwrap_or(&module))
            } else {
                format!(
                    "looked for {}",
                    tried.iter().map(|t| t.display().to_string()).collect::<Vec<_>>().join(" and ")
                )
            },
        ),
        LoaderError::Unparsable { file, message } => (
            format!("cannot parse {}: {message}", file.display()),
            "while looking up this loader".into(),
            "fix the Rust syntax error first".into(),
        ),
        LoaderError::FnNotFound { module, file, similar } => (
            format!("loader `{path}` not found"),
            "loader cannot be found".into(),
            match similar {
                Some(s) => format!("did you mean `{module}::{s}`? (looked in {})", file.display()),
                None => format!("no function of this name in `{module}` ({})", file.display()),
            },
        ),
        LoaderError::NotVisible { file } => (
            format!("loader `{path}` is private to its module"),
            "not visible to the generated code".into(),
            format!("make it `pub` or `pub(crate)` in {}", file.display()),
        ),
        LoaderError::Unsupported(why) => (
            format!("loader `{path}` has an unsupported signature"),
            "cannot be wrapped".into(),
            why,
        ),
        LoaderError::Method { ty } => (
            format!("loader `{path}` is a method or associated function of `{ty}`: methods cannot be loaders"),
            "not a free function".into(),
            "wrap the call in a free function (`pub async fn load_user(db: &Db, id: u64) -> … { db.load(id).await }`) and take the state as the loader context (`context = \"crate::Db\"`)".into(),
        ),
    }
}

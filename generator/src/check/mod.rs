//! Checking a spec: every problem is collected (not only the first) with its place in the file.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::time::Duration;

use crate::diagnostic::{Diagnostic, closest, did_you_mean};
use crate::disjoint::{self, Entry, KeySet};
use crate::duration;
use crate::key::{self, RawPart, Slot};
use crate::loader::{LoaderError, SourceTree, read_signature};
use crate::model::*;
use crate::raw::*;
use serde::Deserialize as _;

mod background;
mod entries;
mod functions;
mod keys;
mod load_time;
mod references;
mod resolve;
mod signatures;
mod storages;
mod unknown;

use self::keys::{RESERVED_KEY_START, template_keys};
use self::signatures::type_name;

/// The implicit storage of entries that name none, when no `default_storage` is given.
pub(crate) const IMPLICIT_DEFAULT: &str = "default";
/// Its bound.
pub(crate) const IMPLICIT_MAX_ENTRIES: u64 = crate::storages::memory::DEFAULT_MAX_ENTRIES;

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
    // Each storage's settings are read by its kind, from the parsed document (spans intact).
    let document = match toml::de::DeTable::parse(text) {
        Ok(document) => document,
        Err(e) => return Err(vec![toml_error(&e)]),
    };
    // Every unknown setting is reported (not only the first) and dropped, so the rest is checked.
    let (document, mut unknown) = unknown::drop_unknown(document);
    let read = RawSpec::deserialize(toml::de::ValueDeserializer::from(toml::Spanned::new(
        document.span(),
        toml::de::DeValue::Table(document.get_ref().clone()),
    )));
    let raw: RawSpec = match read {
        Ok(raw) => raw,
        Err(e) => {
            unknown.push(toml_error(&e));
            unknown.sort_by_key(|d| d.span.as_ref().map(|s| s.start));
            return Err(unknown);
        }
    };
    let document = document.into_inner();
    let mut checker = Checker {
        diags: unknown,
        tree,
        context: None,
        entries: Vec::new(),
        values: BTreeMap::new(),
    };
    let spec = checker.spec(raw, &document);
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
        let Some(feature) = storage.kind.model().feature() else {
            continue;
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

    fn spec(&mut self, raw: RawSpec, document: &toml::de::DeTable<'_>) -> Spec {
        self.names(&raw);
        self.context = raw.context.as_ref().and_then(|c| self.context_type(c));
        let mut storages = self.storages(&raw.storages, document);
        let declared: BTreeSet<String> = raw.storages.keys().map(|k| k.get_ref().clone()).collect();
        let default_storage = match &raw.default_storage {
            Some(name) => {
                self.storage_ref(name, &declared);
                name.get_ref().clone()
            }
            None => IMPLICIT_DEFAULT.to_owned(),
        };
        let with_default = |name: &Option<Spanned<String>>, c: &mut Self| match name {
            Some(n) => {
                c.storage_ref(n, &declared);
                n.get_ref().clone()
            }
            None => default_storage.clone(),
        };
        let functions: Vec<FunctionDef> = raw
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
        let readers: Vec<ReaderDef> = raw
            .readers
            .iter()
            .filter_map(|(name, r)| {
                let storage = with_default(&r.get_ref().storage, self);
                self.reader(name, r, storage, &raw.loaders, &loaders)
            })
            .collect();
        // The implicit default storage exists when something uses it.
        let used = functions
            .iter()
            .map(|f| f.storage.as_str())
            .chain(loaders.iter().map(|l| l.storage.as_str()))
            .chain(readers.iter().map(|r| r.storage.as_str()))
            .chain(storages.iter().flat_map(|s| {
                let levels = s.kind.model().levels();
                levels.into_iter().map(|l| l.storage).collect::<Vec<_>>()
            }))
            .any(|name| name == IMPLICIT_DEFAULT);
        if used && !declared.contains(IMPLICIT_DEFAULT) {
            storages.push(StorageDef {
                name: IMPLICIT_DEFAULT.into(),
                kind: StorageKind::Memory(Memory {
                    max_entries: IMPLICIT_MAX_ENTRIES,
                }),
                kind_span: None,
            });
        }
        self.shares(&raw.functions);
        self.disjoint(&storages);
        let mut spec = Spec {
            storages,
            default_storage,
            functions,
            loaders,
            readers,
            context: raw.context.as_ref().map(|c| c.get_ref().trim().to_owned()),
        };
        resolve::resolve(&mut spec);
        spec
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
}

//! `advanced-caching explain`: what a checked spec does, entry by entry (the effective TTL at each
//! storage level, the key with an example), and the warnings of `check` (a storage that keeps a
//! function's entries shorter than its `ttl`).

use std::fmt::Write as _;
use std::time::Duration;

use crate::duration::render;
use crate::model::*;

/// A storage level an entry reaches, with the cap on the life of the copies kept there.
struct Reach {
    /// `local`, or `local (L1 of hot)`.
    path: String,
    kind: &'static str,
    cap: Option<(Duration, String)>,
}

/// Every leaf storage under `name`, fastest first, with the tightest cap on the way.
fn reach(
    spec: &Spec,
    name: &str,
    via: &str,
    cap: Option<(Duration, String)>,
    out: &mut Vec<Reach>,
) {
    let Some(storage) = spec.storage(name) else {
        return;
    };
    if out.len() > 64 {
        return;
    }
    let tighter = |cap: &Option<(Duration, String)>, new: Duration, why: String| match cap {
        Some((c, _)) if *c <= new => cap.clone(),
        _ => Some((new, why)),
    };
    let path = if via.is_empty() {
        name.to_owned()
    } else {
        format!("{name} ({via})")
    };
    let levels = storage.kind.model().levels();
    if levels.is_empty() {
        out.push(Reach {
            path,
            kind: storage.kind.type_name(),
            cap,
        });
        return;
    }
    for level in levels {
        let level_cap = match level.cap {
            Some(t) => tighter(&cap, t, format!("{} of `{name}`", level.cap_setting)),
            None => cap.clone(),
        };
        let via = format!("{} of {name}", level.role);
        reach(spec, level.storage, &via, level_cap, out);
    }
}

/// The schedule line of a background loader or reader (`every` absent: `otherwise`).
fn schedule(out: &mut String, every: Option<String>, otherwise: &str, at_start: bool) {
    let every = every.unwrap_or_else(|| otherwise.to_owned());
    let at_start = if at_start { ", and at start" } else { "" };
    let _ = writeln!(out, "  schedule  {every}{at_start}");
}

/// The storage lines of a background value that lives `ttl` (default 2 × `interval`).
fn stored(spec: &Spec, storage: &str, ttl: Lifetime, interval: Option<Duration>, out: &mut String) {
    let ttl = ttl.resolve(interval);
    let _ = writeln!(out, "  storage   {storage}");
    levels(spec, storage, ttl, out);
    out.push('\n');
}

/// How long an entry asked to live `ttl` lives under `cap`.
fn effective(ttl: Option<Duration>, cap: &Option<(Duration, String)>) -> String {
    match (ttl, cap) {
        (Some(t), Some((c, why))) if *c < t => format!("{} (capped by {why})", render(Some(*c))),
        (None, Some((c, why))) => format!("{} (capped by {why})", render(Some(*c))),
        (ttl, _) => render(ttl),
    }
}

/// An example argument of type `ty`, for example keys.
fn example(ty: &syn::Type, spec: &str) -> String {
    if crate::key::is_integer(ty) {
        let width: usize = spec
            .trim_start_matches(['>', '0'])
            .parse()
            .unwrap_or_default();
        if spec.starts_with('0') || spec.starts_with(">0") {
            return format!("{:0width$}", 42);
        }
        return "42".into();
    }
    let text = type_text(ty);
    if text.ends_with("str") || text.ends_with("String") {
        "abc".into()
    } else if spec == "?" {
        "…".into()
    } else {
        format!("<{text}>")
    }
}

fn example_key(f: &FunctionDef) -> String {
    let ty_of = |name: &str| {
        f.signature
            .call_params()
            .iter()
            .find(|p| p.name == name)
            .map(|p| p.ty.clone())
    };
    match &f.key {
        KeySpec::Template(parts) => parts
            .iter()
            .map(|p| match p {
                KeyPart::Literal(l) => l.clone(),
                KeyPart::Placeholder { param, spec } => ty_of(param)
                    .map(|ty| example(&ty, spec))
                    .unwrap_or_else(|| format!("<{param}>")),
            })
            .collect(),
        KeySpec::Default => {
            let mut key = f.name.clone();
            for p in f.signature.call_params() {
                if !f.not_in_key.contains(&p.name.to_string()) {
                    key.push(':');
                    key.push_str(&example(&p.ty, ""));
                }
            }
            key
        }
        KeySpec::KeyFn { path, prefix } => format!("{prefix}<{path}(…)>"),
    }
}

fn key_text(f: &FunctionDef) -> String {
    match &f.key {
        KeySpec::Template(parts) => format!("\"{}\"", crate::key::template_text(parts)),
        KeySpec::Default => "the function's name and every argument".into(),
        KeySpec::KeyFn { path, prefix } if prefix.is_empty() => format!("key_fn {path}"),
        KeySpec::KeyFn { path, prefix } => format!("\"{prefix}\" + key_fn {path}"),
    }
}

/// What `fail_safe` does for an entry.
fn fail_safe_line(fail_safe: Option<FailSafeDef>, out: &mut String) {
    if let Some(f) = fail_safe {
        let _ = writeln!(
            out,
            "  fail-safe kept {} past expiry; served when a load fails, then the origin is not asked for {}",
            render(Some(f.keep)),
            render(Some(f.throttle))
        );
    }
}

/// What `soft_timeout`, `hard_timeout` and `refresh_ahead` do for a function.
fn load_time_lines(f: &FunctionDef, out: &mut String) {
    if let Some(soft) = f.soft_timeout {
        let _ = writeln!(
            out,
            "  soft timeout {}: a caller with a fallback gets it then; the load goes on and stores its value",
            render(Some(soft))
        );
    }
    if let Some(hard) = f.hard_timeout {
        let _ = writeln!(
            out,
            "  hard timeout {}: no caller waits longer; without a fallback it gets LoadTimeout as the loader's error; the load goes on",
            render(Some(hard))
        );
    }
    if let (Some(share), Some(ttl)) = (f.refresh_ahead, f.ttl) {
        let _ = writeln!(
            out,
            "  refresh ahead after {} ({:.0}% of the ttl): a hit returns the value and starts one background refresh",
            render(Some(ttl.mul_f64(share))),
            share * 100.0
        );
    }
    if let Some(beta) = f.xfetch {
        let _ = writeln!(
            out,
            "  early refresh xfetch (beta {beta}): a hit refreshes in the background with a chance e^(-left / (beta × last load time)), so about once per ttl across processes"
        );
    }
}

fn levels(spec: &Spec, storage: &str, ttl: Option<Duration>, out: &mut String) {
    let mut found = Vec::new();
    reach(spec, storage, "", None, &mut found);
    for level in found {
        let _ = writeln!(
            out,
            "    {:<36} {:<7} lives {}",
            level.path,
            level.kind,
            effective(ttl, &level.cap)
        );
    }
}

/// The explanation of `spec` (what `advanced-caching explain` prints).
///
/// ```
/// let spec = advanced_caching_build::check_str(
///     "cache.toml",
///     "[functions.square]\nloader = \"other::square\"\nargs = [\"x: u64\"]\nreturns = \"u64\"\nkey = \"sq:{x}\"\nttl = \"1m\"\n",
///     None,
/// ).unwrap();
/// let text = advanced_caching_build::explain(&spec);
/// assert!(text.contains("e.g. sq:42"));
/// ```
pub fn explain(spec: &Spec) -> String {
    let mut out = String::new();
    for f in &spec.functions {
        let strategy = match &f.strategy {
            Strategy::Ttl => format!("ttl {}", render(f.ttl)),
            Strategy::Swr { stale_ttl, .. } => format!(
                "swr: fresh {}, then served stale {} while it refreshes",
                render(f.ttl),
                render(Some(*stale_ttl))
            ),
        };
        let _ = writeln!(out, "[functions.{}]  {}", f.name, f.loader);
        let _ = writeln!(out, "  strategy  {strategy}");
        if let Some(ttl_fn) = &f.ttl_fn {
            let _ = writeln!(
                out,
                "  ttl from  {ttl_fn}(&value) (None: {}; zero: not kept)",
                render(f.ttl)
            );
        }
        fail_safe_line(f.fail_safe, &mut out);
        load_time_lines(f, &mut out);
        let _ = writeln!(out, "  key       {}  e.g. {}", key_text(f), example_key(f));
        let life = match &f.strategy {
            Strategy::Swr { stale_ttl, .. } => f.ttl.map(|t| t.saturating_add(*stale_ttl)),
            Strategy::Ttl => f.ttl,
        };
        let _ = writeln!(out, "  storage   {}", f.storage);
        levels(spec, &f.storage, life, &mut out);
        out.push('\n');
    }
    for l in &spec.loaders {
        let _ = writeln!(out, "[loaders.{}]  {}", l.name, l.loader);
        let every = l.interval.map(|i| format!("every {}", render(Some(i))));
        schedule(
            &mut out,
            every,
            "every — (loads on a miss only)",
            l.run_immediately,
        );
        fail_safe_line(l.fail_safe, &mut out);
        let _ = writeln!(out, "  key       \"{}\"", l.name);
        stored(spec, &l.storage, l.ttl, l.interval, &mut out);
    }
    for r in &spec.readers {
        let _ = writeln!(
            out,
            "[readers.{}]  copy of [loaders.{}]",
            r.name, r.source.name
        );
        let every = r
            .interval
            .map(|i| format!("pulls every {}", render(Some(i))));
        schedule(
            &mut out,
            every,
            "pulls every — (on a miss only)",
            r.run_immediately,
        );
        stored(spec, &r.storage, r.ttl, r.interval, &mut out);
    }
    out
}

/// What `check` warns about: a function whose every storage level keeps its entries shorter than
/// the `ttl` it asks for (so it reloads more often than the spec says).
pub fn warnings(spec: &Spec) -> Vec<String> {
    let mut out = Vec::new();
    for f in &spec.functions {
        let Some(ttl) = f.ttl else { continue };
        let mut found = Vec::new();
        reach(spec, &f.storage, "", None, &mut found);
        // The deepest level keeps an entry longest: if even it is capped, the ttl is cut.
        let Some(Reach {
            cap: Some((cap, why)),
            path,
            ..
        }) = found.last()
        else {
            continue;
        };
        if *cap < ttl {
            out.push(format!(
                "[functions.{}] asks for ttl {}, but storage `{path}` keeps its entries at most {} ({why}): it reloads every {}",
                f.name,
                render(Some(ttl)),
                render(Some(*cap)),
                render(Some(*cap)),
            ));
        } else if let Some(fail_safe) = f.fail_safe
            && *cap < ttl.saturating_add(fail_safe.keep)
        {
            out.push(format!(
                "[functions.{}] keeps values {} past their ttl as fail-safe fallbacks, but storage `{path}` keeps its entries at most {} ({why}): a fallback lasts at most {} past the ttl",
                f.name,
                render(Some(fail_safe.keep)),
                render(Some(*cap)),
                render(Some(cap.saturating_sub(ttl))),
            ));
        }
    }
    out.extend(shared_coherent_levels(spec));
    out
}

/// A memory storage that is a coherent chain's copy level and also serves entries another way
/// (directly, or as a level of another storage) loses those entries whenever the chain's change
/// feed reconnects: the chain drops every copy it cannot vouch for.
fn shared_coherent_levels(spec: &Spec) -> Vec<String> {
    let mut out = Vec::new();
    for chain in &spec.storages {
        let model = chain.kind.model();
        if !model.coherent() {
            continue;
        }
        for level in model.levels().iter().map(|l| l.storage) {
            let is_memory = spec
                .storages
                .iter()
                .any(|s| s.name == level && matches!(s.kind, StorageKind::Memory(_)));
            let direct = spec
                .functions
                .iter()
                .map(|f| &f.storage)
                .chain(spec.loaders.iter().map(|l| &l.storage))
                .chain(spec.readers.iter().map(|r| &r.storage))
                .any(|s| *s == level);
            let other_chain = spec.storages.iter().any(|s| {
                s.name != chain.name && s.kind.model().levels().iter().any(|l| l.storage == level)
            });
            if is_memory && (direct || other_chain) {
                out.push(format!(
                    "[storages.{}] is coherent and its level `{level}` also holds other entries: they are dropped with its copies whenever its change feed reconnects; give the coherent storage a memory level of its own",
                    chain.name
                ));
            }
        }
    }
    out
}

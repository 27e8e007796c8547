//! `[functions.*]`: strategy, TTLs, negative caching, jitter, single-flight scope, fail-safe,
//! load timeouts and refresh ahead.

use super::*;

/// How long a process waits for another's load by default (the runtime's `DEFAULT_FLEET_WAIT`).
const FLEET_WAIT: Duration = Duration::from_secs(10);

/// How long a fallback is served without asking the origin again, by default.
const FAIL_SAFE_THROTTLE: Duration = Duration::from_secs(30);

impl Checker<'_> {
    pub(super) fn function(
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
                let strategies =
                    "strategies: ttl, swr (background refresh is a [loaders.NAME] table)";
                let hint = did_you_mean(other, ["ttl", "swr"], strategies.to_owned());
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
            .map(|sig| self.with_context(sig, &raw.loader))
            .map(|sig| self.with_arc(sig, &raw.arc));
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
        let jitter = raw
            .jitter
            .as_ref()
            .and_then(|j| self.ttl_share(j, "jitter", "jitter = \"10%\""));
        let refresh_ahead = raw
            .refresh_ahead
            .as_ref()
            .and_then(|r| self.ttl_share(r, "refresh_ahead", "refresh_ahead = \"80%\""));
        if let Some(r) = &raw.refresh_ahead
            && ttl.flatten().is_none()
        {
            self.error(
                "`refresh_ahead` needs a ttl: a value that never expires is never refreshed ahead",
                r.span(),
                "the values here never expire",
                "give the function a `ttl` (e.g. `ttl = \"5m\"`), or remove `refresh_ahead`",
            );
        }
        let xfetch = self.early_refresh(raw, ttl.flatten().is_some());
        let fleet = self.fleet(&raw.single_flight, &raw.fleet_wait);
        let ttl_fn = match &raw.ttl_fn {
            Some(path) => {
                let value = signature.as_ref().and_then(Signature::value_type);
                self.ttl_fn(path, value).map(Some)
            }
            None => Some(None),
        };
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
        let fail_safe = self.fail_safe(
            &raw.fail_safe,
            &raw.fail_safe_throttle,
            ttl.flatten().is_some(),
        );
        let has_fallback = matches!(fail_safe, Some(Some(_)));
        let (soft_timeout, hard_timeout) = self.timeouts(raw, has_fallback, signature.as_ref());
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
            ttl_fn: ttl_fn?,
            fail_safe: fail_safe?,
            soft_timeout,
            hard_timeout,
            refresh_ahead,
            xfetch,
            memo: None,
            bytes: false,
        })
    }

    /// `single_flight` and `fleet_wait`: the wait of fleet-wide single loading, `None` for
    /// per-process single flight (the default).
    /// `fail_safe` and `fail_safe_throttle` of an entry; `expires` says whether its values
    /// expire at all (a fallback of a value that never expires is never served).
    pub(super) fn fail_safe(
        &mut self,
        keep: &Option<Spanned<RawDuration>>,
        throttle: &Option<Spanned<RawDuration>>,
        expires: bool,
    ) -> Option<Option<FailSafeDef>> {
        let Some(keep) = keep else {
            if let Some(throttle) = throttle {
                self.error(
                    "`fail_safe_throttle` applies with `fail_safe`",
                    throttle.span(),
                    "no fail-safe here",
                    "add `fail_safe = \"1h\"` (how long an expired value is kept as a fallback), or remove `fail_safe_throttle`",
                );
                return None;
            }
            return Some(None);
        };
        if !expires {
            self.error(
                "`fail_safe` needs a ttl: a value that never expires is never a fallback",
                keep.span(),
                "the values here never expire",
                "give the entry a `ttl` (e.g. `ttl = \"5m\"`), or remove `fail_safe`",
            );
            return None;
        }
        let kept = self.duration(keep, false, true)?.unwrap_or_default();
        if kept.is_zero() {
            self.error(
                "a zero `fail_safe` keeps nothing",
                keep.span(),
                "no fail-safe window",
                "give how long an expired value is kept as a fallback, e.g. `fail_safe = \"1h\"`, or remove `fail_safe`",
            );
            return None;
        }
        let throttle = match throttle {
            Some(t) => self.duration(t, false, true)?.unwrap_or_default(),
            None => FAIL_SAFE_THROTTLE,
        };
        Some(Some(FailSafeDef {
            keep: kept,
            throttle,
        }))
    }

    pub(super) fn fleet(
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
}

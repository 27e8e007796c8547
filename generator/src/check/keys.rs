//! Key templates: placeholders, lossless format specs, every parameter keyed.

use super::*;

/// The first character of the runtime's own keys (`advanced_caching::RESERVED`; the generator does
/// not depend on the runtime, so it is repeated here, and `tests/tests/keys.rs` checks that a key
/// starting with the runtime's character is rejected).
pub(super) const RESERVED_KEY_START: char = '~';

/// The keys of a template: its text when it has no placeholder, else its leading literal.
pub(super) fn template_keys(parts: &[KeyPart]) -> KeySet {
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

impl Checker<'_> {
    /// Every parameter the caller passes is in the key, or in `not_in_key` (and only there).
    pub(super) fn every_param_keyed(
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
                let listed = format!("the parameters: {}", params.join(", "));
                let hint = did_you_mean(n_text, params.iter().map(String::as_str), listed);
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

    pub(super) fn key(
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
}

//! `[functions.*]`: the key code and the wrapper of each cached function.

use super::storages::bytes_site;
use super::*;

/// `__ac::template_key!(SPECIALS[, ESCAPE]; "literal", (arg), (arg: "{:spec}"), …)`.
fn template_key(parts: &[KeyPart]) -> String {
    let (specials, escape) = key::escaping(parts);
    let pieces: Vec<String> = parts
        .iter()
        .map(|p| match p {
            KeyPart::Literal(text) => proc_macro2::Literal::string(text).to_string(),
            KeyPart::Placeholder { param, spec } if spec.is_empty() => format!("({param})"),
            KeyPart::Placeholder { param, spec } => {
                let format = proc_macro2::Literal::string(&format!("{{:{spec}}}"));
                format!("({param}: {format})")
            }
        })
        .collect();
    let specials = proc_macro2::Literal::string(&specials);
    let escape = if escape == '\\' {
        String::new()
    } else {
        format!(", {}", proc_macro2::Literal::character(escape))
    };
    format!(
        "__ac::template_key!({specials}{escape}; {})",
        pieces.join(", ")
    )
}

/// The key of a function's arguments, as an expression over borrows of its key arguments.
fn key_code(f: &FunctionDef) -> String {
    let params = f.signature.call_params();
    match &f.key {
        KeySpec::Template(parts) => template_key(parts),
        KeySpec::KeyFn { path, prefix } => {
            let path = path_tokens(path);
            let args = params.iter().map(|p| &p.name);
            let built = quote! { ::std::string::ToString::to_string(&#path(#(#args),*)) };
            layout::expr(&if prefix.is_empty() {
                quote! { __ac::Key::guarded(#built) }
            } else {
                quote! {
                    let mut key = __ac::Key::from(#prefix);
                    key.push_str(&#built);
                    key
                }
            })
        }
        KeySpec::Default => {
            let name = &f.name;
            let args = params
                .iter()
                .filter(|p| !f.not_in_key.contains(&p.name.to_string()))
                .map(|p| &p.name);
            layout::expr(
                &quote! { __ac::compose_key(#name, &[#(#args as &dyn ::core::fmt::Display),*]) },
            )
        }
    }
}

/// The parameters a function's key is built from (all but those in `not_in_key`), with their
/// types.
fn key_params(f: &FunctionDef) -> Vec<(&Ident, &syn::Type)> {
    f.signature
        .call_params()
        .iter()
        .filter(|p| !f.not_in_key.contains(&p.name.to_string()))
        .map(|p| (&p.name, &p.ty))
        .collect()
}

pub(super) fn function(f: &FunctionDef, spec_name: &str) -> Declaration {
    let sig = &f.signature;
    let (output, value) = (wrapper_output(sig), value_tokens(sig));
    // An `Arc` value is inserted from the value itself or an `Arc` of it.
    let inserted = if sig.arc {
        quote! { impl ::core::convert::Into<#value> }
    } else {
        value.clone()
    };
    let (returns, loads) = shape(sig);
    // SWR, and a function whose loads go on without a waiting caller (timeouts, refresh ahead),
    // hand the loader to a task of its own: the SWR cache.
    let swr = f.loads_detached();
    let params = layout::params(sig.call_params().iter().map(|p| (&p.name, &p.ty)));
    let key_params = layout::params(key_params(f));
    let memo = match &f.memo {
        Some(memo) => {
            let key = &memo.key;
            let owned = quote! { (#(#key,)*) };
            format!("{} {}usize", layout::ty(&owned), memo.capacity)
        }
        None => "none".to_owned(),
    };
    let context = if sig.takes_context { "yes" } else { "no" };
    // A detached load owns its arguments: borrowed ones are owned first.
    let owning = sig.call_params().iter().filter_map(|p| match (&p.ty, swr) {
        (syn::Type::Reference(r), true) => Some((&p.name, &*r.elem)),
        _ => None,
    });
    let doc = function_doc(f, spec_name);
    let declaration =
        Declaration::entry("__ac::cached_function", doc, sig, &f.name, &params, &output)
            .clause(format!(
                "{}; returns {returns}; loads {loads}; value {}, insert {};",
                if swr { "swr" } else { "ttl" },
                layout::ty(&value),
                layout::ty(&inserted)
            ))
            .clause(layout::braced(&format!("key({key_params})"), &key_code(f)))
            .clause(format!("memo {memo};"))
            .clause(format!(
                "load {}, context {context}, owning({});",
                f.loader,
                layout::params(owning)
            ))
            .clause(layout::braced("build", &layout::chain(&settings(f))))
            .bytes(bytes_site(f.bytes, "function", &f.name, &f.storage))
            .timeout_error(
                f.hard_timeout
                    .is_some()
                    .then(|| format_ident!("function_{}_sets_hard_timeout", f.name)),
            );
    match &f.same_entries_as {
        Some(target) => declaration.clause(format!("shares {};", scope_ident(target))),
        None => declaration,
    }
}

/// The builder settings of a function beyond its storage and clock.
fn settings(f: &FunctionDef) -> TokenStream {
    let ttl = opt_millis(f.ttl);
    let extra = match &f.strategy {
        Strategy::Ttl => None,
        Strategy::Swr {
            stale_ttl,
            refresh_lock_ttl,
        } => {
            let stale = millis(*stale_ttl);
            let lock = refresh_lock_ttl.map(|l| {
                let l = millis(l);
                quote! { .refresh_lock_ttl(#l) }
            });
            Some(quote! { .stale_ttl(#stale) #lock })
        }
    };
    let negative = f.none_ttl.map(|t| {
        let t = millis(t);
        quote! { .negative_ttl(|value: &__Value| value.is_none(), #t) }
    });
    let jitter = f.jitter.map(|share| quote! { .jitter(#share) });
    let fleet = fleet_call(f.fleet);
    let fail_safe = fail_safe_call(f.fail_safe.map(|s| (s.keep, s.throttle)));
    let ttl_fn = f.ttl_fn.as_deref().map(|path| {
        let path = path_tokens(path);
        quote! { .ttl_fn(|value: &__Value| __ac::TtlChoice::into_ttl(#path(value))) }
    });
    let soft = f.soft_timeout.map(|d| {
        let d = millis(d);
        quote! { .soft_timeout(#d) }
    });
    let hard = f.hard_timeout.map(|d| {
        let d = millis(d);
        quote! { .hard_timeout(#d) }
    });
    let ahead = f
        .refresh_ahead
        .map(|share| quote! { .refresh_ahead(#share) })
        .or_else(|| f.xfetch.map(|beta| quote! { .xfetch(#beta) }));
    let serde = f.bytes.then(|| quote! { .serde() });
    quote! { .ttl(#ttl) #extra #negative #ttl_fn #jitter #fleet #fail_safe #soft #hard #ahead #serde }
}

/// The hover docs of a function's wrappers: its loader, spec entry, strategy, TTL, storage, key.
fn function_doc(f: &FunctionDef, spec_name: &str) -> String {
    let strategy = match &f.strategy {
        Strategy::Ttl => "ttl".to_owned(),
        Strategy::Swr { stale_ttl, .. } => {
            format!("swr (stale for {})", duration::render(Some(*stale_ttl)))
        }
    };
    let key_doc = match &f.key {
        KeySpec::Template(parts) => format!("key `{}`", key::template_text(parts)),
        KeySpec::KeyFn { path, prefix } if prefix.is_empty() => format!("key from `{path}`"),
        KeySpec::KeyFn { path, prefix } => format!("key `{prefix}` + `{path}`"),
        KeySpec::Default => "key from every argument".to_owned(),
    };
    format!(
        " `{}`, cached: `[functions.{}]` in `{spec_name}`.\n\n Strategy {strategy}, ttl {}, storage `{}`, {key_doc}.",
        f.loader,
        f.name,
        duration::render(f.ttl),
        f.storage
    )
}

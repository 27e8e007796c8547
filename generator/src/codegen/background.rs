//! `[loaders.*]` and `[readers.*]`: the declarations of background loaders and their readers.

use super::storages::bytes_site;
use super::*;

pub(super) fn loader(l: &LoaderDef, spec_name: &str) -> Declaration {
    let sig = &l.signature;
    let (output, value) = (wrapper_output(sig), value_tokens(sig));
    let (returns, loads) = shape(sig);
    let interval = opt_millis(l.interval);
    let ttl = lifetime(l.ttl);
    let run_immediately = l.run_immediately;
    let fleet = fleet_call(l.fleet);
    let fail_safe = fail_safe_call(l.fail_safe.map(|s| (s.keep, s.throttle)));
    let on_error = l.on_error.as_deref().map(|path| {
        let path = path_tokens(path);
        quote! { .on_error(|error: &__Error| #path(error)) }
    });
    let serde = l.bytes.then(|| quote! { .serde() });
    let context = if sig.takes_context { "yes" } else { "no" };
    let doc = format!(
        " The value of `{}`, refreshed in the background: `[loaders.{}]` in `{spec_name}`.\n\n Interval {}, storage `{}`{}.",
        l.loader,
        l.name,
        l.interval
            .map_or("none (load on a miss only)".to_owned(), |i| {
                duration::render(Some(i))
            }),
        l.storage,
        if l.run_immediately {
            ", loaded at start"
        } else {
            ""
        },
    );
    let settings = quote! {
        .interval(#interval) #ttl .run_immediately(#run_immediately) #on_error #fleet #fail_safe #serde
    };
    Declaration::entry("__ac::background_loader", doc, sig, &l.name, "", &output)
        .clause(format!(
            "returns {returns}; loads {loads}; value {};",
            layout::ty(&value)
        ))
        .clause(format!("load {}, context {context};", l.loader))
        .clause(layout::braced("build", &layout::chain(&settings)))
        .bytes(bytes_site(l.bytes, "loader", &l.name, &l.storage))
}

pub(super) fn reader(r: &ReaderDef, spec_name: &str) -> Declaration {
    let source = &r.source;
    let sig = &source.signature;
    let (source_module, source_key) = (scope_ident(&source.name), &source.name);
    let interval = opt_millis(r.interval);
    let ttl = lifetime(r.ttl);
    let serde = (source.bytes || r.bytes).then(|| quote! { .serde() });
    let run_immediately = r.run_immediately;
    let doc = format!(
        " A local copy of `[loaders.{source_key}]`: `[readers.{}]` in `{spec_name}`.\n\n Pulls every {} into storage `{}`, and once on a miss. A reader never loads: `None` until the writer has written a value.",
        r.name,
        r.interval
            .map_or("miss".to_owned(), |i| duration::render(Some(i))),
        r.storage,
    );
    let settings = quote! { .interval(#interval) .run_immediately(#run_immediately) #ttl #serde };
    Declaration::entry(
        "__ac::background_reader",
        doc,
        sig,
        &r.name,
        "",
        &value_tokens(sig),
    )
    .clause(format!(
        "source {source_module} {};",
        proc_macro2::Literal::string(source_key)
    ))
    .clause(layout::braced("build", &layout::chain(&settings)))
    .bytes(bytes_site(r.bytes, "reader", &r.name, &r.storage))
}

/// `.ttl(…)` for a lifetime the spec states; nothing for the builder's default (2 × interval).
fn lifetime(ttl: Lifetime) -> Option<TokenStream> {
    let ttl = match ttl {
        Lifetime::TwiceTheInterval => return None,
        Lifetime::Forever => None,
        Lifetime::For(d) => Some(d),
    };
    let ttl = opt_millis(ttl);
    Some(quote! { .ttl(#ttl) })
}

//! What every generated wrapper module shares: its value and error types, the error cloner,
//! and the call of its loader.

use std::collections::BTreeSet;

use super::*;

/// How a wrapper returns (`result`: a `Result`, also for an infallible loader that takes the
/// context; `value`: the value itself) and what its loader returns (`result`/`value`, `_arc`
/// when the value is kept in an `Arc`): the words `cached_function!` and `background_loader!`
/// take.
pub(super) fn shape(sig: &Signature) -> (Ident, Ident) {
    let returns = if sig.fallible || sig.takes_context {
        "result"
    } else {
        "value"
    };
    let loads = match (sig.fallible, sig.arc) {
        (true, false) => "result",
        (true, true) => "result_arc",
        (false, false) => "value",
        (false, true) => "value_arc",
    };
    (ident(returns), ident(loads))
}

/// `async` or `blocking`: the mode word of the runtime's declaration macros.
pub(super) fn mode(sig: &Signature) -> Ident {
    ident(if sig.is_async { "async" } else { "blocking" })
}

/// The loader module's imports that the signature's types name (globs are kept: what they bring
/// is not known here).
pub(super) fn used_imports(sig: &Signature) -> Vec<syn::ItemUse> {
    let mut named = BTreeSet::new();
    let output = &sig.output;
    idents(quote! { #output }, &mut named);
    for p in &sig.params {
        let ty = &p.ty;
        idents(quote! { #ty }, &mut named);
    }
    let keep =
        |u: &syn::ItemUse| prune(&u.tree, &named).map(|tree| syn::ItemUse { tree, ..u.clone() });
    sig.scope.iter().filter_map(keep).collect()
}

/// Every identifier in `tokens`.
fn idents(tokens: TokenStream, out: &mut BTreeSet<String>) {
    for token in tokens {
        match token {
            proc_macro2::TokenTree::Ident(i) => {
                out.insert(i.to_string());
            }
            proc_macro2::TokenTree::Group(g) => idents(g.stream(), out),
            _ => {}
        }
    }
}

/// `tree` without the names nothing uses; `None` when nothing is left.
fn prune(tree: &syn::UseTree, used: &BTreeSet<String>) -> Option<syn::UseTree> {
    use syn::UseTree::*;
    match tree {
        Path(p) => prune(&p.tree, used).map(|rest| {
            Path(syn::UsePath {
                tree: Box::new(rest),
                ..p.clone()
            })
        }),
        Name(n) => (n.ident == "self" || used.contains(&n.ident.to_string())).then(|| tree.clone()),
        Rename(r) => used.contains(&r.rename.to_string()).then(|| tree.clone()),
        Glob(_) => Some(tree.clone()),
        Group(g) => {
            let items: syn::punctuated::Punctuated<syn::UseTree, syn::Token![,]> =
                g.items.iter().filter_map(|t| prune(t, used)).collect();
            (!items.is_empty()).then(|| Group(syn::UseGroup { items, ..g.clone() }))
        }
    }
}

/// The wrapper's return type: the loader's, or for an infallible loader that takes the context
/// a `Result` whose error is `ContextMissing`.
pub(super) fn wrapper_output(sig: &Signature) -> TokenStream {
    let output = &sig.output;
    if sig.arc && sig.fallible {
        let value = value_tokens(sig);
        return quote! { __ac::Result<#value, <#output as __ac::Fallible>::Error> };
    }
    let value = if sig.arc {
        value_tokens(sig)
    } else {
        quote! { #output }
    };
    if sig.takes_context && !sig.fallible {
        quote! { __ac::Result<#value, __ac::ContextMissing> }
    } else {
        value
    }
}

/// The value type of a function's entries, as the user wrote it where possible.
pub(super) fn value_tokens(sig: &Signature) -> TokenStream {
    let value = match sig.value_type() {
        Some(value) => quote! { #value },
        None => {
            let output = &sig.output;
            quote! { <#output as __ac::Fallible>::Value }
        }
    };
    if sig.arc {
        quote! { __ac::Arc<#value> }
    } else {
        value
    }
}

//! What every generated wrapper module shares: its value and error types, the error cloner,
//! and the call of its loader.

use std::collections::BTreeSet;

use super::*;

/// The pieces every scope module shares: imports, output/value/error types, the error cloner.
pub(super) fn scope_types(sig: &Signature) -> (TokenStream, TokenStream) {
    let uses = used_imports(sig);
    let output = wrapper_output(sig);
    let (value, error) = if sig.fallible {
        (
            quote! { <__Output as __ac::Fallible>::Value },
            quote! { <__Output as __ac::Fallible>::Error },
        )
    } else if sig.takes_context {
        (value_tokens(sig), quote! { __ac::ContextMissing })
    } else {
        (quote! { __Output }, quote! { ::core::convert::Infallible })
    };
    let head = quote! {
        #(#uses)*
        use super::__ac;
        pub(super) type __Output = #output;
        pub(super) type __Value = #value;
        pub(super) type __Error = #error;
    };
    (head, cloner())
}

/// The loader module's imports that the signature's types name (globs are kept: what they bring
/// is not known here).
fn used_imports(sig: &Signature) -> Vec<syn::ItemUse> {
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

/// `Some(E::clone)` for cloneable errors, `None` otherwise, picked at compile time.
pub(super) fn cloner() -> TokenStream {
    quote! { __ac::error_cloner!(__Error) }
}

/// Turns a loader call expression into a `Result` (`Ok(…)` for infallible loaders).
pub(super) fn into_result(sig: &Signature, call: TokenStream) -> TokenStream {
    match (sig.fallible, sig.arc) {
        (true, false) => quote! { __ac::Fallible::into_result(#call) },
        (true, true) => quote! { __ac::Fallible::into_result(#call).map(__ac::Arc::new) },
        (false, false) => quote! { __ac::Ok(#call) },
        (false, true) => quote! { __ac::Ok(__ac::Arc::new(#call)) },
    }
}

/// Turns the cache's `Result` back into the wrapper's return type.
pub(super) fn from_result(sig: &Signature, result: TokenStream) -> TokenStream {
    if sig.fallible {
        quote! { <__Output as __ac::Fallible>::from_result(#result) }
    } else if sig.takes_context {
        result
    } else {
        quote! { __ac::infallible(#result) }
    }
}

/// The loader call, with the context first when the loader takes it: `ctx` is an expression of
/// type `&ContextSlot<Context>`; a missing context becomes the wrapper's error.
pub(super) fn loader_call(
    sig: &Signature,
    cache: &str,
    loader: &TokenStream,
    args: &[TokenStream],
) -> TokenStream {
    let await_ = sig.is_async.then(|| quote! { .await });
    if !sig.takes_context {
        return into_result(sig, quote! { #loader(#(#args),*) #await_ });
    }
    let call = into_result(sig, quote! { #loader(__ctx #(, #args)*) #await_ });
    quote! {
        {
            let __ctx = __context.require_for::<__Error>(#cache)?;
            #call
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

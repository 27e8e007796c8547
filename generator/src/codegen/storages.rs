//! The storages of a spec: built once per `Caches`, in dependency order, each with its settings.

use super::*;

/// Builds each storage (levels before the composites that use them) through the assembly,
/// which hands out an override given to the builder instead where there is one.
pub(super) fn storages(spec: &Spec) -> TokenStream {
    let mut done: Vec<&str> = Vec::new();
    let mut out = TokenStream::new();
    while done.len() < spec.storages.len() {
        let before = done.len();
        for s in &spec.storages {
            if done.contains(&s.name.as_str()) {
                continue;
            }
            let model = s.kind.model();
            let deps: Vec<&str> = model.levels().iter().map(|l| l.storage).collect();
            if !deps.iter().all(|d| done.contains(d)) {
                continue;
            }
            done.push(&s.name);
            let (var, name, make) = (storage_ident(&s.name), &s.name, model.build());
            out.extend(quote! { let #var = parts.storage(#name, || #make); });
        }
        if done.len() == before {
            // Only cycles (rejected by the checker) can stall this loop.
            break;
        }
    }
    out
}

/// Whether a function's memo may be kept: none of the storages under it was given to the
/// builder, which may share it with other instances that the memo would not see.
pub(super) fn memo_allowed(f: &FunctionDef) -> TokenStream {
    match &f.memo {
        Some(memo) => {
            let own = &memo.own_storages;
            quote! { parts.spec_built(&[#(#own),*]) }
        }
        None => quote! { false },
    }
}

/// The marker type, named after an entry and its storage, through which the runtime proves at
/// compile time that the entry's value can be kept as bytes (with a message naming both when it
/// cannot); `None` on storages that keep values as they are.
pub(super) fn bytes_site(bytes: bool, what: &str, name: &str, storage: &str) -> Option<Ident> {
    bytes.then(|| format_ident!("{what}_{name}_on_storage_{storage}"))
}

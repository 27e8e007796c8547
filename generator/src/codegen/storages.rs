//! The storages of a spec: built once per `Caches`, in dependency order, each with its settings.

use super::*;

/// Builds each storage (levels before the composites that use them), honouring overrides.
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
            let var = storage_ident(&s.name);
            let name = &s.name;
            let make = model.build();
            out.extend(quote! {
                // A storage may be declared (or implied as the default) without being used.
                #[allow(unused_variables)]
                let #var: __ac::SharedStorage = match self.take(#name, &clock) {
                    __ac::Some(s) => s,
                    __ac::None => #make,
                };
            });
        }
        if done.len() == before {
            // Only cycles (rejected by the checker) can stall this loop.
            break;
        }
    }
    out
}

/// A marker type named after an entry and its storage, and the call that proves at compile time
/// that the entry's value can be kept as bytes (with a message naming both when it cannot).
pub(super) fn bytes_check(
    spec: &Spec,
    what: &str,
    name: &str,
    storage: &str,
) -> (TokenStream, TokenStream) {
    if !spec.needs_bytes(storage) {
        return (TokenStream::new(), TokenStream::new());
    }
    let site = format_ident!("{what}_{name}_on_storage_{storage}");
    (
        quote! {
            #[allow(non_camel_case_types)]
            pub(super) struct #site;
        },
        quote! { __ac::require_bytes::<__Value, #site>(); },
    )
}

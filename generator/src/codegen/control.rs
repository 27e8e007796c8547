//! The control calls of each entry (`invalidate`, `insert`, `get`, `refresh`, `bypass`, `on`).

use super::*;

/// The pieces of a function's wrapper that its control calls reuse.
pub(super) struct ControlParts<'a> {
    pub(super) f: &'a FunctionDef,
    pub(super) output: &'a TokenStream,
    pub(super) params: &'a [TokenStream],
    pub(super) key_params: &'a [TokenStream],
    /// The arguments of `__key` (non-`Copy` ones borrowed).
    pub(super) key_refs: &'a [TokenStream],
    /// The function keeps a memo, which `invalidate` and `insert` bring in line.
    pub(super) memo: bool,
}

/// `caches::NAME::{invalidate, insert, get, refresh, bypass}` on the process-wide instance, and
/// the same on any instance through `caches::NAME::on(&caches)`: one invocation of the runtime's
/// `control_calls!`, which writes them over the module's `__key`, `__call` and `__memo`.
pub(super) fn control_module(parts: &ControlParts<'_>) -> TokenStream {
    let ControlParts {
        f,
        output,
        params,
        key_params,
        key_refs,
        memo,
    } = parts;
    let sig = &f.signature;
    let name = ident(&f.name);
    let value = value_tokens(sig);
    // An `Arc` value is inserted from the value itself or an `Arc` of it.
    let inserted = if sig.arc {
        quote! { impl ::core::convert::Into<#value> }
    } else {
        value.clone()
    };
    let mode = if sig.is_async {
        quote! { async }
    } else {
        quote! { blocking }
    };
    let memo = if *memo {
        quote! { yes }
    } else {
        quote! { no }
    };
    quote! {
        __ac::control_calls! {
            #mode #name params(#(#params),*) key_params(#(#key_params),*) key_refs(#(#key_refs),*)
            memo(#memo) value(#value) inserted(#inserted) output(#output)
        }
    }
}

/// `caches::NAME::{refresh, age}` of a `[loaders.NAME]` (`writer`) or `[readers.NAME]`, on the
/// process-wide instance and on any instance through `caches::NAME::on(&caches)`: one
/// invocation of the runtime's `background_calls!`.
pub(super) fn background_control(name_str: &str, sig: &Signature, writer: bool) -> TokenStream {
    let name = ident(name_str);
    let mode = if sig.is_async {
        quote! { async }
    } else {
        quote! { blocking }
    };
    if writer {
        // What `from_result` wraps a runtime result in, as a path to call.
        let wrap = if sig.fallible {
            quote! { <__Output as __ac::Fallible>::from_result }
        } else if sig.takes_context {
            quote! { ::core::convert::identity }
        } else {
            quote! { __ac::infallible }
        };
        quote! { __ac::background_calls! { #mode #name writer wrap(#wrap) } }
    } else {
        quote! { __ac::background_calls! { #mode #name reader } }
    }
}

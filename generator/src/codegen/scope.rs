//! What every generated wrapper module shares: its value and error types, the error cloner,
//! and the call of its loader.

use super::*;

/// The pieces every scope module shares: imports, output/value/error types, the error cloner.
pub(super) fn scope_types(sig: &Signature) -> (TokenStream, TokenStream) {
    let uses = &sig.scope;
    let loader_output = &sig.output;
    let output = wrapper_output(sig);
    let (value, error) = if sig.fallible {
        (
            quote! { <__Output as __ac::Fallible>::Value },
            quote! { <__Output as __ac::Fallible>::Error },
        )
    } else if sig.takes_context {
        (quote! { #loader_output }, quote! { __ac::ContextMissing })
    } else {
        (quote! { __Output }, quote! { ::core::convert::Infallible })
    };
    let head = quote! {
        #(#uses)*
        use ::advanced_caching::__private as __ac;
        pub(super) type __Output = #output;
        pub(super) type __Value = #value;
        pub(super) type __Error = #error;
    };
    (head, cloner())
}

/// `Some(E::clone)` for cloneable errors, `None` otherwise, picked at compile time.
pub(super) fn cloner() -> TokenStream {
    quote! {
        {
            #[allow(unused_imports)]
            use __ac::{ViaClone as _, ViaNothing as _};
            // Both borrows pick the impl (autoref specialization), they are not needless.
            #[allow(clippy::needless_borrow)]
            let cloner = (&&__ac::CloneProbe::<__Error>::new()).cloner();
            cloner
        }
    }
}

/// Turns a loader call expression into a `Result` (`Ok(…)` for infallible loaders).
pub(super) fn into_result(sig: &Signature, call: TokenStream) -> TokenStream {
    if sig.fallible {
        quote! { __ac::Fallible::into_result(#call) }
    } else {
        quote! { ::core::result::Result::Ok(#call) }
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
            let __ctx = match __context.require(#cache) {
                ::core::result::Result::Ok(ctx) => ctx,
                ::core::result::Result::Err(missing) => {
                    return ::core::result::Result::Err(
                        __ac::FromContextMissing::from_context_missing(missing),
                    );
                }
            };
            #call
        }
    }
}

/// The wrapper's return type: the loader's, or for an infallible loader that takes the context
/// a `Result` whose error is `ContextMissing`.
pub(super) fn wrapper_output(sig: &Signature) -> TokenStream {
    let output = &sig.output;
    if sig.takes_context && !sig.fallible {
        quote! { ::core::result::Result<#output, ::advanced_caching::__private::ContextMissing> }
    } else {
        quote! { #output }
    }
}

/// The value type of a function's entries, as the user wrote it where possible.
pub(super) fn value_tokens(sig: &Signature) -> TokenStream {
    match sig.value_type() {
        Some(value) => quote! { #value },
        None => {
            let output = &sig.output;
            quote! { <#output as ::advanced_caching::__private::Fallible>::Value }
        }
    }
}

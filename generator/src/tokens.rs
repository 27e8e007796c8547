//! Small token helpers: identifiers, durations, codecs, paths.

use std::time::Duration;

use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};

pub(crate) fn ident(name: &str) -> Ident {
    Ident::new(name, Span::call_site())
}

pub(crate) fn scope_ident(name: &str) -> Ident {
    format_ident!("__{}", name)
}

pub(crate) fn storage_ident(name: &str) -> Ident {
    format_ident!("storage_{}", name)
}

pub(crate) fn millis(d: Duration) -> TokenStream {
    let ms = u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
    quote! { __ac::Duration::from_millis(#ms) }
}

pub(crate) fn opt_millis(d: Option<Duration>) -> TokenStream {
    match d {
        Some(d) => {
            let d = millis(d);
            quote! { __ac::Some(#d) }
        }
        None => quote! { __ac::None },
    }
}

pub(crate) fn path_tokens(path: &str) -> TokenStream {
    // Paths are checked by the checker; an unparsable one cannot reach here.
    syn::parse_str::<syn::Path>(path)
        .map(|p| quote! { #p })
        .unwrap_or_default()
}

/// `.fleet(wait)` for fleet-wide single loading, nothing otherwise.
/// `.fail_safe(keep, throttle)` for an entry with `fail_safe` (its keep and throttle).
pub(crate) fn fail_safe_call(fail_safe: Option<(Duration, Duration)>) -> Option<TokenStream> {
    fail_safe.map(|(keep, throttle)| {
        let (keep, throttle) = (millis(keep), millis(throttle));
        quote! { .fail_safe(#keep, #throttle) }
    })
}

pub(crate) fn fleet_call(wait: Option<Duration>) -> Option<TokenStream> {
    wait.map(|wait| {
        let wait = millis(wait);
        quote! { .fleet(#wait) }
    })
}

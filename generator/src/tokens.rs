//! Small token helpers: identifiers, durations, codecs, paths.

use super::*;

pub(super) fn ident(name: &str) -> Ident {
    Ident::new(name, Span::call_site())
}

pub(super) fn scope_ident(name: &str) -> Ident {
    format_ident!("__{}", name)
}

pub(crate) fn storage_ident(name: &str) -> Ident {
    format_ident!("storage_{}", name)
}

pub(crate) fn millis(d: Duration) -> TokenStream {
    let ms = u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
    quote! { __ac::Duration::from_millis(#ms) }
}

pub(super) fn opt_millis(d: Option<Duration>) -> TokenStream {
    match d {
        Some(d) => {
            let d = millis(d);
            quote! { __ac::Some(#d) }
        }
        None => quote! { __ac::None },
    }
}

/// The runtime codec of a spec `serializer`.
pub(crate) fn codec(serializer: &Serializer) -> TokenStream {
    match serializer {
        Serializer::Json => quote! { __ac::Codec::Json },
        Serializer::Binary => quote! { __ac::Codec::Binary },
        Serializer::Custom(path) => {
            // The checker parsed it as a path already.
            let path: TokenStream = path.parse().unwrap_or_default();
            quote! { __ac::Codec::Custom(::std::sync::Arc::new(#path)) }
        }
    }
}

pub(super) fn path_tokens(path: &str) -> TokenStream {
    // Paths are checked by the checker; an unparsable one cannot reach here.
    syn::parse_str::<syn::Path>(path)
        .map(|p| quote! { #p })
        .unwrap_or_default()
}

/// `.fleet(wait)` for fleet-wide single loading, nothing otherwise.
pub(super) fn fleet_call(wait: Option<Duration>) -> Option<TokenStream> {
    wait.map(|wait| {
        let wait = millis(wait);
        quote! { .fleet(#wait) }
    })
}

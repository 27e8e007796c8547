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
            let deps: Vec<&str> = match &s.kind {
                StorageKind::Hybrid { l1, l2, .. } => vec![l1, l2],
                StorageKind::Chain { levels, .. } => {
                    levels.iter().map(|l| l.storage.as_str()).collect()
                }
                _ => vec![],
            };
            if !deps.iter().all(|d| done.contains(d)) {
                continue;
            }
            done.push(&s.name);
            let var = storage_ident(&s.name);
            let name = &s.name;
            let make = match &s.kind {
                StorageKind::Memory { max_entries } => {
                    let max = usize::try_from(*max_entries).unwrap_or(usize::MAX);
                    quote! {
                        ::std::sync::Arc::new(__ac::MemoryStorage::with_clock(#max, clock.clone()))
                    }
                }
                StorageKind::Redis {
                    url,
                    cluster,
                    prefix,
                    serializer,
                    dedupe_writes,
                    timeout,
                    connect_timeout,
                } => {
                    let codec = codec(serializer);
                    let timeout = timeout.map(|t| {
                        let t = millis(t);
                        quote! { .timeout(#t) }
                    });
                    let connect_timeout = connect_timeout.map(|t| {
                        let t = millis(t);
                        quote! { .connect_timeout(#t) }
                    });
                    let builder = if cluster.is_empty() {
                        quote! { __ac::RedisStorage::builder(#url) }
                    } else {
                        quote! { __ac::RedisStorage::cluster([#(#cluster),*]) }
                    };
                    quote! {
                        #builder
                                .prefix(#prefix)
                                .codec(#codec)
                                .dedupe_writes(#dedupe_writes)
                                #timeout
                                #connect_timeout
                                .clock(clock.clone())
                                .build_shared()
                    }
                }
                StorageKind::Hybrid {
                    l1,
                    l2,
                    l1_ttl,
                    l2_ttl,
                    coherent,
                } => {
                    let coherent = coherent.then(|| quote! { .coherent() });
                    let (l1, l2) = (storage_ident(l1), storage_ident(l2));
                    let (l1_ttl, l2_ttl) = (millis(*l1_ttl), millis(*l2_ttl));
                    quote! {
                        ::std::sync::Arc::new(__ac::ChainStorage::hybrid(
                            #l1.clone(),
                            #l2.clone(),
                            #l1_ttl,
                            ::core::option::Option::Some(#l2_ttl),
                        )#coherent)
                    }
                }
                StorageKind::Chain { levels, coherent } => {
                    let coherent = coherent.then(|| quote! { .coherent() });
                    let levels = levels.iter().map(|level| {
                        let var = storage_ident(&level.storage);
                        match level.ttl {
                            Some(cap) => {
                                let cap = millis(cap);
                                quote! { __ac::ChainLevel::new(#var.clone()).ttl_cap(#cap) }
                            }
                            None => quote! { __ac::ChainLevel::new(#var.clone()) },
                        }
                    });
                    quote! {
                        ::std::sync::Arc::new(__ac::ChainStorage::new(::std::vec![#(#levels),*])#coherent)
                    }
                }
                StorageKind::File {
                    dir,
                    serializer,
                    compression,
                    dedupe_writes,
                    fsync,
                } => {
                    let codec = codec(serializer);
                    quote! {
                        __ac::FileStorage::builder(#dir)
                                .codec(#codec)
                                .compression(#compression)
                                .dedupe_writes(#dedupe_writes)
                                .fsync(#fsync)
                                .clock(clock.clone())
                                .build_shared()
                    }
                }
                StorageKind::S3 {
                    bucket,
                    prefix,
                    region,
                    endpoint,
                    serializer,
                    compression,
                    dedupe_writes,
                } => {
                    let codec = codec(serializer);
                    let region = region.as_ref().map(|r| quote! { .region(#r) });
                    let endpoint = endpoint.as_ref().map(|e| quote! { .endpoint(#e) });
                    quote! {
                        __ac::S3Storage::builder(#bucket)
                                .prefix(#prefix)
                                #region
                                #endpoint
                                .codec(#codec)
                                .compression(#compression)
                                .dedupe_writes(#dedupe_writes)
                                .clock(clock.clone())
                                .build_shared()
                    }
                }
                StorageKind::Gcs {
                    bucket,
                    prefix,
                    endpoint,
                    serializer,
                    compression,
                    dedupe_writes,
                } => {
                    let codec = codec(serializer);
                    let endpoint = endpoint.as_ref().map(|e| quote! { .endpoint(#e) });
                    quote! {
                        __ac::GcsStorage::builder(#bucket)
                                .prefix(#prefix)
                                #endpoint
                                .codec(#codec)
                                .compression(#compression)
                                .dedupe_writes(#dedupe_writes)
                                .clock(clock.clone())
                                .build_shared()
                    }
                }
            };
            out.extend(quote! {
                // A storage may be declared (or implied as the default) without being used.
                #[allow(unused_variables)]
                let #var: __ac::SharedStorage = match self.take(#name, &clock) {
                    ::core::option::Option::Some(s) => s,
                    ::core::option::Option::None => #make,
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

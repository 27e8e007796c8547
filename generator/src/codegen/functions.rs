//! `[functions.*]`: the key code and the wrapper of each cached function.

use super::storages::memo_of;
use super::*;

pub(super) fn key_code(f: &FunctionDef) -> TokenStream {
    let params = f.signature.call_params();
    match &f.key {
        KeySpec::Template(parts) => {
            let (specials, escape) = key::escaping(parts);
            let pieces = parts.iter().map(|p| match p {
                KeyPart::Literal(text) => quote! { __k.literal(#text); },
                KeyPart::Placeholder { param, spec } => {
                    let arg = ident(param);
                    if spec.is_empty() {
                        // Strings and integers skip `core::fmt` (the `wrapper_hit` bench case).
                        quote! {
                            // The explicit borrow picks the route: clippy's fix would not.
                            #[allow(clippy::needless_borrow)]
                            (&__ac::key_arg::KeyArg(&#arg)).write_key(&mut __k);
                        }
                    } else {
                        let fmt = format!("{{:{spec}}}");
                        quote! { __k.argument(::core::format_args!(#fmt, #arg)); }
                    }
                }
            });
            let fast = parts
                .iter()
                .any(|p| matches!(p, KeyPart::Placeholder { spec, .. } if spec.is_empty()));
            let imports = fast.then(|| {
                quote! { use __ac::key_arg::{DisplayKeyArg as _, FastKeyArg as _}; }
            });
            let builder = if escape == '\\' {
                quote! { __ac::KeyBuilder::new(#specials) }
            } else {
                quote! { __ac::KeyBuilder::with_escape(#specials, #escape) }
            };
            quote! {
                #imports
                let mut __k = #builder;
                #(#pieces)*
                __k.finish()
            }
        }
        KeySpec::KeyFn { path, prefix } => {
            let path = path_tokens(path);
            // `__key` has the non-`Copy` arguments borrowed already.
            let args = params.iter().map(|p| {
                let n = &p.name;
                if is_plain_copy(&p.ty) {
                    quote! { &#n }
                } else {
                    quote! { #n }
                }
            });
            let built = quote! { ::std::string::ToString::to_string(&#path(#(#args),*)) };
            if prefix.is_empty() {
                quote! { __ac::Key::guarded(#built) }
            } else {
                quote! {
                    let mut __k = __ac::Key::from(#prefix);
                    __k.push_str(&#built);
                    __k
                }
            }
        }
        KeySpec::Default => {
            let name = &f.name;
            let args = params
                .iter()
                .filter(|p| !f.not_in_key.contains(&p.name.to_string()))
                .map(|p| &p.name);
            quote! { __ac::compose_key(#name, &[#(&#args as &dyn ::core::fmt::Display),*]) }
        }
    }
}

/// True for a type whose values are `Copy` whatever the crate defines: references, integers,
/// floats, `bool` and `char`. Other key arguments are borrowed by `__key`, so the loader call
/// can still take them by value.
fn is_plain_copy(ty: &syn::Type) -> bool {
    match ty {
        syn::Type::Reference(r) => r.mutability.is_none(),
        syn::Type::Path(p) if p.qself.is_none() => p.path.get_ident().is_some_and(|i| {
            matches!(
                i.to_string().as_str(),
                "u8" | "u16"
                    | "u32"
                    | "u64"
                    | "u128"
                    | "usize"
                    | "i8"
                    | "i16"
                    | "i32"
                    | "i64"
                    | "i128"
                    | "isize"
                    | "f32"
                    | "f64"
                    | "bool"
                    | "char"
            )
        }),
        _ => false,
    }
}

/// The parameters a function's key is built from (all but those in `not_in_key`), with their
/// types.
fn key_params(f: &FunctionDef) -> Vec<(&Ident, &syn::Type)> {
    f.signature
        .call_params()
        .iter()
        .filter(|p| !f.not_in_key.contains(&p.name.to_string()))
        .map(|p| (&p.name, &p.ty))
        .collect()
}

pub(super) fn function(spec: &Spec, f: &FunctionDef, spec_name: &str) -> TokenStream {
    let sig = &f.signature;
    let output = wrapper_output(sig);
    let (head, cloner) = scope_types(sig);
    let (module, name) = (scope_ident(&f.name), ident(&f.name));
    let name_str = &f.name;
    let ttl = opt_millis(f.ttl);
    let serde = spec.needs_bytes(&f.storage).then(|| quote! { .serde() });
    let jitter = f.jitter.map(|share| quote! { .jitter(#share) });
    let fleet = fleet_call(f.fleet);
    let negative = f.none_ttl.map(|t| {
        let t = millis(t);
        quote! { .negative_ttl(|value: &__Value| value.is_none(), #t) }
    });
    let (cache_type, build_call, extra) = match &f.strategy {
        Strategy::Ttl => (quote! { __ac::TtlCache }, quote! { build_ttl() }, quote! {}),
        Strategy::Swr {
            stale_ttl,
            refresh_lock_ttl,
        } => {
            let stale = millis(*stale_ttl);
            let lock = refresh_lock_ttl.map(|l| {
                let l = millis(l);
                quote! { .refresh_lock_ttl(#l) }
            });
            (
                quote! { __ac::SwrCache },
                quote! { build_swr() },
                quote! { .stale_ttl(#stale) #lock },
            )
        }
    };
    let params = sig.call_params().iter().map(|p| {
        let (n, t) = (&p.name, &p.ty);
        quote! { #n: #t }
    });
    let params: Vec<TokenStream> = params.collect();
    let arg_names: Vec<&Ident> = sig.call_params().iter().map(|p| &p.name).collect();
    let loader = path_tokens(&f.loader);
    let key = key_code(f);
    let swr = matches!(f.strategy, Strategy::Swr { .. });
    // SWR hands the loader to a background task: borrowed arguments are owned first.
    let (owning, call_args): (Vec<TokenStream>, Vec<TokenStream>) = sig
        .call_params()
        .iter()
        .map(|p| {
            let n = &p.name;
            match (&p.ty, swr) {
                (syn::Type::Reference(r), true) => {
                    let inner = &r.elem;
                    (
                        quote! { let #n: <#inner as ::std::borrow::ToOwned>::Owned = ::std::borrow::ToOwned::to_owned(#n); },
                        quote! { ::std::borrow::Borrow::borrow(&#n) },
                    )
                }
                _ => (quote! {}, quote! { #n }),
            }
        })
        .unzip();
    // The context: borrowed by a TTL load, shared (an `Arc`, never a copy) with an SWR refresh.
    let context_of = |this: TokenStream| {
        sig.takes_context.then(|| {
            if swr {
                quote! { let __context = ::core::clone::Clone::clone(&#this.__context); }
            } else {
                quote! { let __context = &#this.__context; }
            }
        })
    };
    let context = context_of(quote! { __caches });
    let loaded = loader_call(sig, name_str, &loader, &call_args);
    let key_params = key_params(f);
    let key_args: Vec<&Ident> = key_params.iter().map(|(n, _)| *n).collect();
    let key_sig: Vec<TokenStream> = key_params
        .iter()
        .map(|(n, t)| {
            if is_plain_copy(t) {
                quote! { #n: #t }
            } else {
                quote! { #n: &#t }
            }
        })
        .collect();
    let key_refs: Vec<TokenStream> = key_params
        .iter()
        .map(|(n, t)| {
            if is_plain_copy(t) {
                quote! { #n }
            } else {
                quote! { &#n }
            }
        })
        .collect();
    let key_params: Vec<TokenStream> = key_params.iter().map(|(n, t)| quote! { #n: #t }).collect();
    let (asyncness, load_as, closure, await_) = if sig.is_async {
        (
            quote! { async },
            quote! { load_as },
            quote! { move || async move { #loaded } },
            quote! { .await },
        )
    } else {
        (
            quote! {},
            quote! { load_as_blocking },
            quote! { move || #loaded },
            quote! {},
        )
    };
    let result = from_result(sig, quote! { __result });
    let memo = memo_of(spec, f);
    let memo_param = memo.is_some().then(|| quote! { , memo: bool });
    let memo_call = memo.as_ref().map(|(_, capacity)| {
        quote! { .memo::<__MemoKey>(if memo { #capacity } else { 0 }) }
    });
    let hit = from_result(sig, quote! { __ac::Ok(__hit) });
    let (memo_items, memo_hit, memo_fill) = match &memo {
        Some((owned, _)) => (
            quote! {
                /// The owned key of a memo entry: the key arguments.
                type __MemoKey = #owned;

                /// Brings the memo's entry of these arguments in line with the storage.
                fn __memo(__caches: &super::Caches, __storage_key: &str, #(#key_params),*) {
                    __caches.#name.memo_fill::<__MemoKey, _>(&__ac::Args((#(#key_args,)*)), __storage_key);
                }
            },
            quote! {
                let __args = __ac::Args((#(#key_args,)*));
                if let __ac::Some(__hit) = __caches.#name.memo_hit::<__MemoKey, _>(__how, &__args) {
                    return #hit;
                }
            },
            quote! { __caches.#name.memo_fill::<__MemoKey, _>(&__args, &__key); },
        ),
        None => (quote! {}, quote! {}, quote! {}),
    };
    let strategy = match &f.strategy {
        Strategy::Ttl => "ttl".to_owned(),
        Strategy::Swr { stale_ttl, .. } => {
            format!("swr (stale for {})", duration::render(Some(*stale_ttl)))
        }
    };
    let key_doc = match &f.key {
        KeySpec::Template(parts) => format!("key `{}`", key::template_text(parts)),
        KeySpec::KeyFn { path, prefix } if prefix.is_empty() => format!("key from `{path}`"),
        KeySpec::KeyFn { path, prefix } => format!("key `{prefix}` + `{path}`"),
        KeySpec::Default => "key from every argument".to_owned(),
    };
    let doc = format!(
        " `{}`, cached: `[functions.{name_str}]` in `{spec_name}`.\n\n Strategy {strategy}, ttl {}, storage `{}`, {key_doc}.",
        f.loader,
        duration::render(f.ttl),
        f.storage
    );
    let shares = f.same_entries_as.as_ref().map(|target| {
        let target = scope_ident(target);
        quote! {
            // `same_entries_as`: the shared entries hold one value type.
            const _: fn(super::#target::__Value) -> __Value = |value| value;
        }
    });
    let (site, site_check) = bytes_check(spec, "function", &f.name, &f.storage);
    let control = control_module(&ControlParts {
        f,
        output: &output,
        params: &params,
        key_params: &key_params,
        key_refs: &key_refs,
        memo: memo.is_some(),
    });
    quote! {
        #[allow(unused_imports)]
        mod #module {
            #head
            pub(super) type __Cache = #cache_type<__Value, __Error>;
            #shares
            #site

            pub(super) fn __build(storage: __ac::SharedStorage, clock: __ac::SharedClock #memo_param) -> __Cache {
                #site_check
                __ac::CacheBuilder::<__Value, __Error>::new(#name_str)
                    .storage(storage)
                    .clock(clock)
                    .ttl(#ttl)
                    #extra
                    #negative
                    #jitter
                    #fleet
                    .error_cloner(#cloner)
                    #serde
                    #memo_call
                    .#build_call
            }

            /// The key of these arguments.
            fn __key(#(#key_sig),*) -> __ac::Key {
                #key
            }

            #memo_items

            /// The wrapper and its `refresh` and `bypass` control calls, as `how` says.
            #asyncness fn __call(__caches: &super::Caches, __how: __ac::LoadAs, #(#params),*) -> #output {
                #memo_hit
                let __key = __key(#(#key_refs),*);
                #(#owning)*
                #context
                let __load = #closure;
                let __result = __caches.#name.#load_as(__how, &__key, __load) #await_;
                #memo_fill
                #result
            }

            impl super::Caches {
                #[doc = #doc]
                pub #asyncness fn #name(&self, #(#params),*) -> #output {
                    __call(self, __ac::LoadAs::Cached, #(#arg_names),*) #await_
                }
            }

            #[doc = #doc]
            pub #asyncness fn #name(#(#params),*) -> #output {
                super::instance().#name(#(#arg_names),*) #await_
            }

            #control
        }
    }
}

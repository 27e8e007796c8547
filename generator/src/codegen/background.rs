//! `[loaders.*]` and `[readers.*]`: the wrappers of background loaders and their readers.

use super::*;

pub(super) fn loader(spec: &Spec, l: &LoaderDef, spec_name: &str) -> TokenStream {
    let sig = &l.signature;
    let output = wrapper_output(sig);
    let (head, cloner) = scope_types(sig);
    let (module, name) = (scope_ident(&l.name), ident(&l.name));
    let name_str = &l.name;
    let interval = opt_millis(l.interval);
    let ttl = l.ttl.map(|t| {
        let t = opt_millis(t);
        quote! { .ttl(#t) }
    });
    let run_immediately = l.run_immediately;
    let fleet = fleet_call(l.fleet);
    let on_error = l.on_error.as_deref().map(|path| {
        let path = path_tokens(path);
        quote! { .on_error(|error: &__Error| #path(error)) }
    });
    let serde = spec.needs_bytes(&l.storage).then(|| quote! { .serde() });
    let path = path_tokens(&l.loader);
    let loaded = loader_call(sig, name_str, &path, &[]);
    // A loader that takes the context reads it from the instance's slot at each run.
    let (build, asyncness, get, await_) = match (sig.is_async, sig.takes_context) {
        (true, false) => (
            quote! { build_async(|| async { #loaded }) },
            quote! { async },
            quote! { get() },
            quote! { .await },
        ),
        (true, true) => (
            quote! {
                build_async(move || {
                    let __context = ::core::clone::Clone::clone(&__context);
                    async move { #loaded }
                })
            },
            quote! { async },
            quote! { get() },
            quote! { .await },
        ),
        (false, false) => (
            quote! { build_blocking(|| #loaded) },
            quote! {},
            quote! { get_blocking() },
            quote! {},
        ),
        (false, true) => (
            quote! { build_blocking(move || #loaded) },
            quote! {},
            quote! { get_blocking() },
            quote! {},
        ),
    };
    let context_param = sig
        .takes_context
        .then(|| quote! { __context: __ac::ContextSlot<super::Context>, });
    let result = from_result(sig, quote! { self.#name.#get #await_ });
    let control = background_control(name_str, sig, true);
    let (site, site_check) = bytes_check(spec, "loader", &l.name, &l.storage);
    let doc = format!(
        " The value of `{}`, refreshed in the background: `[loaders.{name_str}]` in `{spec_name}`.\n\n Interval {}, storage `{}`{}.",
        l.loader,
        l.interval
            .map_or("none (load on a miss only)".to_owned(), |i| {
                duration::render(Some(i))
            }),
        l.storage,
        if l.run_immediately {
            ", loaded at start"
        } else {
            ""
        },
    );
    quote! {
        #[allow(unused_imports)]
        mod #module {
            #head
            pub(super) type __Cache = __ac::BackgroundLoader<__Value, __Error>;
            #site

            pub(super) fn __build(
                storage: __ac::SharedStorage,
                clock: __ac::SharedClock,
                #context_param
            ) -> __ac::Result<__Cache, __ac::CacheError> {
                #site_check
                __ac::BackgroundLoaderBuilder::<__Value, __Error>::new(#name_str)
                    .storage(storage)
                    .clock(clock)
                    .interval(#interval)
                    #ttl
                    .run_immediately(#run_immediately)
                    #on_error
                    #fleet
                    .error_cloner(#cloner)
                    #serde
                    .#build
            }

            impl super::Caches {
                #[doc = #doc]
                pub #asyncness fn #name(&self) -> #output {
                    #result
                }
            }

            #[doc = #doc]
            pub #asyncness fn #name() -> #output {
                super::instance().#name() #await_
            }

            #control
        }
    }
}

pub(super) fn reader(spec: &Spec, r: &ReaderDef, spec_name: &str) -> TokenStream {
    let Some(source) = spec.loader(&r.source) else {
        // The checker rejects readers of unknown sources.
        return TokenStream::new();
    };
    let sig = &source.signature;
    let (module, name) = (scope_ident(&r.name), ident(&r.name));
    let source_module = scope_ident(&source.name);
    let (name_str, source_key) = (&r.name, &source.name);
    let interval = opt_millis(r.interval);
    let ttl = r.ttl.map(|t| {
        let t = opt_millis(t);
        quote! { .ttl(#t) }
    });
    let serde = (spec.needs_bytes(&source.storage) || spec.needs_bytes(&r.storage))
        .then(|| quote! { .serde() });
    let value = value_tokens(sig);
    let uses = &sig.scope;
    let reader_run_immediately = r.run_immediately;
    let (site, site_check) = bytes_check(spec, "reader", &r.name, &r.storage);
    let (asyncness, get, await_) = if sig.is_async {
        (quote! { async }, quote! { get() }, quote! { .await })
    } else {
        (quote! {}, quote! { get_blocking() }, quote! {})
    };
    let control = background_control(name_str, sig, false);
    let cloner = cloner();
    let doc = format!(
        " A local copy of `[loaders.{source_key}]`: `[readers.{name_str}]` in `{spec_name}`.\n\n Pulls every {} into storage `{}`, and once on a miss. A reader never loads: `None` until the writer has written a value.",
        r.interval
            .map_or("miss".to_owned(), |i| duration::render(Some(i))),
        r.storage,
    );
    quote! {
        #[allow(unused_imports)]
        mod #module {
            #(#uses)*
            use super::__ac;
            pub(super) type __Value = super::#source_module::__Value;
            pub(super) type __Error = super::#source_module::__Error;
            pub(super) type __Cache = __ac::Reader<__Value, __Error>;
            #site

            pub(super) fn __build(
                source: __ac::SharedStorage,
                local: __ac::SharedStorage,
                clock: __ac::SharedClock,
            ) -> __Cache {
                #site_check
                __ac::ReaderBuilder::<__Value, __Error>::new(#name_str, source, #source_key)
                    .local(local)
                    .clock(clock)
                    .interval(#interval)
                    .run_immediately(#reader_run_immediately)
                    #ttl
                    .error_cloner(#cloner)
                    #serde
                    .build()
            }

            impl super::Caches {
                #[doc = #doc]
                pub #asyncness fn #name(&self) -> __ac::Option<#value> {
                    self.#name.#get #await_
                }
            }

            #[doc = #doc]
            pub #asyncness fn #name() -> __ac::Option<#value> {
                super::instance().#name() #await_
            }

            #control
        }
    }
}

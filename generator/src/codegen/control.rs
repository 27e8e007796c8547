//! The control calls of each entry (`invalidate`, `insert`, `get`, `refresh`, `bypass`, `on`).

use super::*;

/// The pieces of a function's wrapper that its control calls reuse.
pub(super) struct ControlParts<'a> {
    pub(super) f: &'a FunctionDef,
    pub(super) output: &'a TokenStream,
    pub(super) params: &'a [TokenStream],
    pub(super) arg_names: &'a [&'a Ident],
    pub(super) key_params: &'a [TokenStream],
    pub(super) key_args: &'a [&'a Ident],
    /// The arguments of `__key` (non-`Copy` ones borrowed).
    pub(super) key_refs: &'a [TokenStream],
    /// The function keeps a memo, which `invalidate` and `insert` bring in line.
    pub(super) memo: bool,
}

/// The handle of the control calls of `name` on one instance (`caches::NAME::on(&caches)`).
pub(super) fn control_handle(name: &str) -> TokenStream {
    let on_doc = format!(" The control calls of `{name}` on `caches`.");
    quote! {
        #[doc = #on_doc]
        #[derive(Clone, Copy)]
        pub struct On<'a>(&'a super::super::Caches);

        #[doc = #on_doc]
        pub fn on(caches: &super::super::Caches) -> On<'_> {
            On(caches)
        }
    }
}

/// `caches::NAME::{invalidate, insert, get, refresh, bypass}` on the process-wide instance, and
/// the same on any instance through `caches::NAME::on(&caches)`.
pub(super) fn control_module(parts: &ControlParts<'_>) -> TokenStream {
    let ControlParts {
        f,
        output,
        params,
        arg_names,
        key_params,
        key_args,
        key_refs,
        memo,
    } = parts;
    let sig = &f.signature;
    let name = ident(&f.name);
    let name_str = &f.name;
    let value = value_tokens(sig);
    // An `Arc` value is inserted from the value itself or an `Arc` of it.
    let (inserted, convert) = if sig.arc {
        (
            quote! { impl ::core::convert::Into<#value> },
            Some(quote! { let __value = ::core::convert::Into::into(__value); }),
        )
    } else {
        (value.clone(), None)
    };
    let (asyncness, await_, suffix) = if sig.is_async {
        (quote! { async }, quote! { .await }, "")
    } else {
        (quote! {}, quote! {}, "_blocking")
    };
    let method = |base: &str| format_ident!("{base}{suffix}");
    let (invalidate, insert, peek) = (method("invalidate"), method("insert"), method("peek"));
    // With a memo, a change to the entry is followed by the memo.
    let memo_sync = memo.then(|| quote! { super::__memo(self.0, &__key, #(#key_args),*); });
    let invalidated = if *memo {
        quote! {
            let __key = super::__key(#(#key_refs),*);
            let removed = self.0.#name.#invalidate(&__key) #await_;
            #memo_sync
            removed
        }
    } else {
        quote! { self.0.#name.#invalidate(&super::__key(#(#key_refs),*)) #await_ }
    };
    let module_doc = format!(
        " Control calls of [`{name_str}`](fn@super::{name_str}) (`[functions.{name_str}]`): on the process-wide instance, or on any instance with [`on`](control::on)."
    );
    let handle = control_handle(name_str);
    quote! {
        #[doc = #module_doc]
        pub mod control {
            use super::*;

            #handle

            impl On<'_> {
                /// Removes the entry of these arguments from every storage level; the next call
                /// loads. True when something was removed.
                pub #asyncness fn invalidate(&self, #(#key_params),*) -> bool {
                    #invalidated
                }

                /// Stores the value as the entry of these arguments, as if it had just been loaded.
                pub #asyncness fn insert(&self, #(#key_params,)* __value: #inserted) {
                    #convert
                    let __key = super::__key(#(#key_refs),*);
                    self.0.#name.#insert(&__key, __value) #await_;
                    #memo_sync
                }

                /// The cached value of these arguments with its age and freshness; never loads.
                pub #asyncness fn get(&self, #(#key_params),*) -> __ac::Option<__ac::Peeked<#value>> {
                    self.0.#name.#peek(&super::__key(#(#key_refs),*)) #await_
                }

                /// Reloads now and stores the result; concurrent refreshes and misses of these
                /// arguments share one loader call. An error is returned, not stored.
                pub #asyncness fn refresh(&self, #(#params),*) -> #output {
                    super::__call(self.0, __ac::LoadAs::Refresh, #(#arg_names),*) #await_
                }

                /// Calls the loader itself, without reading the cache or joining a flight, and
                /// stores the result.
                pub #asyncness fn bypass(&self, #(#params),*) -> #output {
                    super::__call(self.0, __ac::LoadAs::Bypass, #(#arg_names),*) #await_
                }
            }

            /// [`On::invalidate`] on the process-wide instance.
            pub #asyncness fn invalidate(#(#key_params),*) -> bool {
                self::on(super::super::instance()).invalidate(#(#key_args),*) #await_
            }

            /// [`On::insert`] on the process-wide instance.
            pub #asyncness fn insert(#(#key_params,)* __value: #inserted) {
                self::on(super::super::instance()).insert(#(#key_args,)* __value) #await_
            }

            /// [`On::get`] on the process-wide instance.
            pub #asyncness fn get(#(#key_params),*) -> __ac::Option<__ac::Peeked<#value>> {
                self::on(super::super::instance()).get(#(#key_args),*) #await_
            }

            /// [`On::refresh`] on the process-wide instance.
            pub #asyncness fn refresh(#(#params),*) -> #output {
                self::on(super::super::instance()).refresh(#(#arg_names),*) #await_
            }

            /// [`On::bypass`] on the process-wide instance.
            pub #asyncness fn bypass(#(#params),*) -> #output {
                self::on(super::super::instance()).bypass(#(#arg_names),*) #await_
            }
        }
    }
}

/// `caches::NAME::{refresh, age}` of a `[loaders.NAME]` (`writer`) or `[readers.NAME]`, on the
/// process-wide instance and on any instance through `caches::NAME::on(&caches)`.
pub(super) fn background_control(name_str: &str, sig: &Signature, writer: bool) -> TokenStream {
    let name = ident(name_str);
    let (asyncness, await_, suffix) = if sig.is_async {
        (quote! { async }, quote! { .await }, "")
    } else {
        (quote! {}, quote! {}, "_blocking")
    };
    let age = format_ident!("age{suffix}");
    let (refresh_output, refresh_body, refresh_doc) = if writer {
        let refresh = format_ident!("refresh_now{suffix}");
        (
            quote! { __Output },
            from_result(sig, quote! { self.0.#name.#refresh() #await_ }),
            " Runs the loader now (after a run in flight) and stores its value; a failure keeps the last good value.",
        )
    } else {
        let pull = format_ident!("pull{suffix}");
        (
            quote! { __ac::Option<__Value> },
            quote! { self.0.#name.#pull() #await_ },
            " Pulls the writer's current value into this reader's storage now; `None` when the writer's storage has none.",
        )
    };
    let module_doc = format!(
        " Control calls of [`{name_str}`](fn@super::{name_str}): on the process-wide instance, or on any instance with [`on`](control::on)."
    );
    let handle = control_handle(name_str);
    quote! {
        #[doc = #module_doc]
        pub mod control {
            use super::*;

            #handle

            impl On<'_> {
                #[doc = #refresh_doc]
                pub #asyncness fn refresh(&self) -> #refresh_output {
                    #refresh_body
                }

                /// How long ago the current value was stored; `None` when there is none.
                pub #asyncness fn age(&self) -> __ac::Option<__ac::Duration> {
                    self.0.#name.#age() #await_
                }
            }

            #[doc = #refresh_doc]
            pub #asyncness fn refresh() -> #refresh_output {
                self::on(super::super::instance()).refresh() #await_
            }

            /// [`On::age`] on the process-wide instance.
            pub #asyncness fn age() -> __ac::Option<__ac::Duration> {
                self::on(super::super::instance()).age() #await_
            }
        }
    }
}

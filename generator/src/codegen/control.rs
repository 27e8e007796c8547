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

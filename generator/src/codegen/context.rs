//! The context type of a spec: the items the generated `Caches` needs to hold and hand it over.

use super::*;

/// The generated items of the loader context (all empty without `context` in the spec).
#[derive(Default)]
pub(super) struct ContextItems {
    pub(super) type_alias: TokenStream,
    pub(super) field: TokenStream,
    pub(super) builder_field: TokenStream,
    pub(super) builder_method: TokenStream,
    pub(super) build: TokenStream,
    pub(super) init: TokenStream,
    pub(super) methods: TokenStream,
    /// The process-wide instance and its free functions (`init` with a context).
    pub(super) free: TokenStream,
}

pub(super) fn context_items(spec: &Spec) -> ContextItems {
    let Some(context) = &spec.context else {
        return ContextItems {
            free: quote! { __ac::process_instance!(); },
            ..ContextItems::default()
        };
    };
    let path = path_tokens(context);
    let doc = format!(
        " The loader context (`context = \"{context}\"`): loaders that take `&{}` as their first parameter get it from here.",
        context.rsplit("::").next().unwrap_or(context)
    );
    ContextItems {
        type_alias: quote! {
            #[doc = #doc]
            pub type Context = #path;
        },
        field: quote! { __context: __ac::ContextSlot<Context>, },
        builder_field: quote! { context: __ac::Option<__ac::Arc<Context>>, },
        builder_method: quote! {
            /// Supplies the loader context of the instance (its cached functions, refreshes and
            /// background loaders all use it). Takes the context or an `Arc` of it.
            pub fn context(mut self, context: impl ::core::convert::Into<__ac::Arc<Context>>) -> Self {
                self.context = __ac::Some(context.into());
                self
            }
        },
        build: quote! {
            let __context = __ac::ContextSlot::<Context>::new();
            if let __ac::Some(context) = self.context.take() {
                __context.set(context)?;
            }
        },
        init: quote! { __context: __context.clone(), },
        methods: quote! {
            /// Supplies the loader context, once; a second call fails with
            /// `CacheError::ContextAlreadySet` and keeps the first.
            pub fn set_context(
                &self,
                context: impl ::core::convert::Into<__ac::Arc<Context>>,
            ) -> __ac::Result<(), __ac::CacheError> {
                self.__context.set(context)
            }
        },
        free: quote! { __ac::process_instance!(context); },
    }
}

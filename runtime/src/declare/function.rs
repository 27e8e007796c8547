//! A cached function of the spec (`[functions.NAME]`), written once here: generated code
//! declares the function (its signature, key, loader and settings) in one `cached_function!`
//! invocation, which expands its module — the cache's type and build, the key, the memo, the
//! wrapper on `Caches` and on the process-wide instance, and the control calls.
//!
//! Every local the expansion binds is hygienic (`macro_rules!` locals are), so the function's
//! parameters may have any name — `key`, `caches`, `how`, `load` — without clashing.

/// Expands the module of one cached function inside a generated `caches` module, and the
/// re-exports `caches::NAME` (the wrapper) and `caches::NAME::…` (its control calls). Not a
/// stable API: generated code invokes it through `__private`.
///
/// The declaration, in order: the docs; `async` or `blocking`, the signature; the module with
/// the imports its types need; the strategy (`ttl`/`swr`); how the wrapper returns (`result`:
/// a `Result`; `value`: the value itself) and what the loader returns (`result`, `value`, or
/// either `_arc` to keep the value in an `Arc`); the value type and what `insert` takes; the key
/// arguments and the key's expression (over borrows of them); the memo's owned key type and
/// capacity, or `none`; the loader, whether it takes the context, and which borrowed arguments
/// a detached load (SWR, timeouts, refresh ahead) owns; the builder's settings; optionally the
/// bytes-check site, the timeout-error-check site (`hard_timeout`) and the function whose
/// entries this one shares.
///
/// ```ignore
/// __ac::cached_function! {
///     /// `crate::loaders::fetch_user`, cached.
///     async fn get_user(user_id: u64) -> Result<User, NotFound>;
///     mod __get_user { use crate::loaders::*; }
///     ttl; returns result; loads result; value User, insert User;
///     key(user_id: u64) { __ac::template_key!(""; "user:", (user_id)) }
///     memo (u64,) 5000usize;
///     load crate::loaders::fetch_user, context yes, owning();
///     build { .ttl(__ac::Some(__ac::Duration::from_millis(300000u64))) }
/// }
/// ```
#[doc(hidden)]
#[macro_export]
macro_rules! cached_function {
    (
        $(#[$doc:meta])*
        $mode:ident fn $name:ident($($arg:ident: $arg_ty:ty),*) -> $output:ty;
        mod $module:ident { $($uses:item)* }
        $strategy:ident; returns $returns:ident; loads $loads:ident;
        value $value:ty, insert $inserted:ty;
        key($($karg:ident: $kty:ty),*) $key:block
        memo $memo:tt $($capacity:expr)?;
        load $loader:path, context $context:ident, owning($($owned:ident: $owned_ty:ty),*);
        build { $($setting:tt)* }
        $(bytes $site:ident;)?
        $(timeout_error $timeout_site:ident;)?
        $(shares $target:ident;)?
    ) => {
        $crate::entry_module! {
            $name in $module { $($uses)* } $(site $site)? $(site $timeout_site)?;
            pub(super) type __Output = $output;
            pub(super) type __Value = $value;
            pub(super) type __Error = $crate::cached_function!(@error $returns);
            pub(super) type __Cache = $crate::cached_function!(@cache $strategy);
            $(
                // `same_entries_as`: the shared entries hold one value type.
                const _: fn(super::$target::__Value) -> __Value = |value| value;
            )?

            pub(super) fn __build(
                storage: $crate::__private::SharedStorage,
                clock: $crate::__private::SharedClock,
                memo: bool,
            ) -> __Cache {
                $($crate::__private::require_bytes::<__Value, $site>();)?
                $($crate::__private::require_timeout_error::<__Error, $timeout_site>();)?
                let builder = $crate::__private::CacheBuilder::<__Value, __Error>::new(stringify!($name))
                    .storage(storage)
                    .clock(clock)
                    $($setting)*
                    .error_cloner($crate::error_cloner!(__Error));
                let builder = $crate::cached_function!(@memo_build $memo builder, memo $(, $capacity)?);
                $crate::cached_function!(@finish $strategy builder)
            }

            /// The key of these arguments.
            #[allow(clippy::needless_borrow)]
            fn __key($($karg: &$kty),*) -> $crate::__private::Key $key

            $crate::cached_function!(@memo_items $memo $name ($($karg: $kty),*));

            $crate::cached_function!(@calls $mode $name ($($arg: $arg_ty),*) ($($karg),*)
                $strategy $returns $loads $memo $loader, $context, ($($owned: $owned_ty),*));

            $crate::control_calls! {
                $mode $name params($($arg: $arg_ty),*) key_params($($karg: $kty),*)
                memo($memo) value($value) inserted($inserted) output($output)
            }

            $crate::cached_function!(@wrappers $mode [$(#[$doc])*] $name ($($arg: $arg_ty),*));
        }
    };

    // The wrapper, its `refresh` and `bypass` (as `how` says), and the memo read and fill.
    (@calls async $($rest:tt)*) => {
        $crate::cached_function!(@call [async] [.await] [async move] load_as $($rest)*);
    };
    (@calls blocking $($rest:tt)*) => {
        $crate::cached_function!(@call [] [] [] load_as_blocking $($rest)*);
    };
    (
        @call [$($async:tt)?] [$($await:tt)*] [$($async_move:tt)*] $load_as:ident $name:ident
        ($($arg:ident: $arg_ty:ty),*) ($($karg:ident),*) $strategy:ident $returns:ident
        $loads:ident $memo:tt $loader:path, $context:ident, ($($owned:ident: $owned_ty:ty),*)
    ) => {
        /// The wrapper and its `refresh` and `bypass` control calls, as `how` says.
        $($async)? fn __call(
            caches: &super::Caches,
            how: $crate::__private::LoadAs,
            $($arg: $arg_ty),*
        ) -> __Output {
            $crate::cached_function!(@memo_hit $memo caches.$name, how, $returns, args ($($karg),*));
            let key = __key($(&$karg),*);
            $(let $owned: <$owned_ty as ::std::borrow::ToOwned>::Owned =
                ::std::borrow::ToOwned::to_owned($owned);)*
            $crate::cached_function!(@context $context $strategy context caches);
            let load = move || $($async_move)* {
                $(let $owned: &$owned_ty = ::std::borrow::Borrow::borrow(&$owned);)*
                $crate::cached_function!(@load $context $loads $name context
                    [$loader] ($($arg),*) [$($await)*])
            };
            let result = caches.$name.$load_as(how, &key, load) $($await)*;
            $crate::cached_function!(@memo_fill $memo caches.$name, &key, args);
            $crate::cached_function!(@from $returns result)
        }
    };

    // The wrapper on an instance and on the process-wide one.
    (@wrappers async [$($doc:tt)*] $name:ident ($($arg:ident: $arg_ty:ty),*)) => {
        $crate::cached_function!(@wrapper [async] [.await] [$($doc)*] $name ($($arg: $arg_ty),*));
    };
    (@wrappers blocking [$($doc:tt)*] $name:ident ($($arg:ident: $arg_ty:ty),*)) => {
        $crate::cached_function!(@wrapper [] [] [$($doc)*] $name ($($arg: $arg_ty),*));
    };
    (
        @wrapper [$($async:tt)?] [$($await:tt)*] [$($doc:tt)*] $name:ident
        ($($arg:ident: $arg_ty:ty),*)
    ) => {
        impl super::Caches {
            $($doc)*
            pub $($async)? fn $name(&self, $($arg: $arg_ty),*) -> __Output {
                __call(self, $crate::__private::LoadAs::Cached, $($arg),*) $($await)*
            }
        }

        $($doc)*
        pub $($async)? fn $name($($arg: $arg_ty),*) -> __Output {
            super::instance().$name($($arg),*) $($await)*
        }
    };

    // The loader call as a `Result`, with the context first when it takes it.
    (@load yes $loads:ident $name:ident $context:ident [$loader:path] ($($arg:ident),*) [$($await:tt)*]) => {{
        let ctx = $context.require_for::<__Error>(stringify!($name))?;
        $crate::cached_function!(@into $loads $loader(ctx, $($arg),*) $($await)*)
    }};
    (@load no $loads:ident $name:ident $context:ident [$loader:path] ($($arg:ident),*) [$($await:tt)*]) => {
        $crate::cached_function!(@into $loads $loader($($arg),*) $($await)*)
    };
    // The context: borrowed by a TTL load, shared (an `Arc`, never a copy) with an SWR refresh.
    (@context no $strategy:ident $context:ident $caches:ident) => {};
    (@context yes ttl $context:ident $caches:ident) => {
        let $context = $caches.__shared.context();
    };
    (@context yes swr $context:ident $caches:ident) => {
        let $context = ::core::clone::Clone::clone($caches.__shared.context());
    };

    // A loader's output as the cache's `Result`, and the cache's `Result` as the wrapper's.
    (@into result $($call:tt)*) => { $crate::__private::Fallible::into_result($($call)*) };
    (@into result_arc $($call:tt)*) => {
        $crate::__private::Fallible::into_result($($call)*).map($crate::__private::Arc::new)
    };
    (@into value $($call:tt)*) => { $crate::__private::Ok($($call)*) };
    (@into value_arc $($call:tt)*) => {
        $crate::__private::Ok($crate::__private::Arc::new($($call)*))
    };
    (@from result $result:expr) => {
        <__Output as $crate::__private::Fallible>::from_result($result)
    };
    (@from value $result:expr) => { $crate::__private::infallible($result) };
    (@error result) => { <__Output as $crate::__private::Fallible>::Error };
    (@error value) => { ::core::convert::Infallible };

    (@cache ttl) => { $crate::__private::TtlCache<__Value, __Error> };
    (@cache swr) => { $crate::__private::SwrCache<__Value, __Error> };
    (@finish ttl $builder:ident) => { $builder.build_ttl() };
    (@finish swr $builder:ident) => { $builder.build_swr() };

    // The memo: kept over the key arguments' owned tuple, when the declaration names one.
    (@memo_build none $builder:ident, $memo:ident) => { $builder };
    (@memo_build $owned:tt $builder:ident, $memo:ident, $capacity:expr) => {
        $builder.memo::<__MemoKey>(if $memo { $capacity } else { 0 })
    };
    (@memo_items none $name:ident ($($karg:ident: $kty:ty),*)) => {};
    (@memo_items $owned:tt $name:ident ($($karg:ident: $kty:ty),*)) => {
        /// The owned key of a memo entry: the key arguments.
        type __MemoKey = $owned;

        /// Brings the memo's entry of these arguments in line with the storage.
        fn __memo(caches: &super::Caches, storage_key: &str, $($karg: $kty),*) {
            caches.$name.memo_fill::<__MemoKey, _>(&$crate::__private::Args(($($karg,)*)), storage_key);
        }
    };
    (@memo_hit none $($rest:tt)*) => {};
    (@memo_hit $owned:tt $cache:expr, $how:ident, $returns:ident, $args:ident ($($karg:ident),*)) => {
        // Before an SWR refresh owns the arguments: the memo keeps borrowing them.
        let $args = $crate::__private::Args(($($karg,)*));
        if let $crate::__private::Some(hit) = $cache.memo_hit::<__MemoKey, _>($how, &$args) {
            return $crate::cached_function!(@from $returns $crate::__private::Ok(hit));
        }
    };
    (@memo_fill none $($rest:tt)*) => {};
    (@memo_fill $owned:tt $cache:expr, $key:expr, $args:ident) => {
        $cache.memo_fill::<__MemoKey, _>(&$args, $key);
    };
}

/// A key from a template of literals and arguments: `template_key!(SPECIALS; "user:", (id),
/// (n: "{:04}"))`, or `template_key!(SPECIALS, ESCAPE; …)` with an escape character other than
/// `\`. Each argument is a reference; strings and integers skip `core::fmt`. Not a stable API.
///
/// ```ignore
/// let key = __ac::template_key!(":"; "user:", (user_id));
/// ```
#[doc(hidden)]
#[macro_export]
macro_rules! template_key {
    ($specials:literal; $($part:tt),*) => {
        $crate::template_key!(@parts $crate::__private::KeyBuilder::new($specials); $($part),*)
    };
    ($specials:literal, $escape:literal; $($part:tt),*) => {
        $crate::template_key!(
            @parts $crate::__private::KeyBuilder::with_escape($specials, $escape); $($part),*
        )
    };
    (@parts $builder:expr; $($part:tt),*) => {{
        #[allow(unused_imports)]
        use $crate::__private::key_arg::{DisplayKeyArg as _, FastKeyArg as _};
        let mut key = $builder;
        $($crate::template_key!(@part key $part);)*
        key.finish()
    }};
    (@part $key:ident $literal:literal) => { $key.literal($literal) };
    // The explicit borrow picks the route (autoref specialization).
    (@part $key:ident ($arg:ident)) => {
        (&$crate::__private::key_arg::KeyArg($arg)).write_key(&mut $key)
    };
    (@part $key:ident ($arg:ident: $format:literal)) => {
        $key.argument(::core::format_args!($format, $arg))
    };
}

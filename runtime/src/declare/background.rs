//! A background loader (`[loaders.NAME]`) and a reader of one (`[readers.NAME]`), written once
//! here: generated code declares each in one invocation, which expands its module — the type
//! and build of its handle, the getter on `Caches` and on the process-wide instance, and the
//! control calls (`refresh`, `age`).

/// Expands the module of a background loader and its re-exports. Not a stable API.
///
/// ```ignore
/// __ac::background_loader! {
///     /// The value of `crate::loaders::load_inventory`, refreshed in the background.
///     async fn inventory() -> Result<Vec<String>, NotFound>;
///     mod __inventory { use crate::loaders::*; }
///     returns result; loads result; value Vec<String>;
///     load crate::loaders::load_inventory, context yes;
///     build { .interval(__ac::Some(__ac::Duration::from_millis(200u64))) }
/// }
/// ```
#[doc(hidden)]
#[macro_export]
macro_rules! background_loader {
    (
        $(#[$doc:meta])*
        $mode:ident fn $name:ident() -> $output:ty;
        mod $module:ident { $($uses:item)* }
        returns $returns:ident; loads $loads:ident; value $value:ty;
        load $loader:path, context $context:ident;
        build { $($setting:tt)* }
        $(bytes $site:ident;)?
    ) => {
        $crate::entry_module! {
            $name in $module { $($uses)* } $(site $site)?;
            pub(super) type __Output = $output;
            pub(super) type __Value = $value;
            pub(super) type __Error = $crate::cached_function!(@error $returns);
            pub(super) type __Cache = $crate::__private::BackgroundLoader<__Value, __Error>;

            pub(super) fn __build(
                storage: $crate::__private::SharedStorage,
                clock: $crate::__private::SharedClock,
                context: $crate::__private::ContextSlot<super::__Context>,
            ) -> $crate::__private::Result<__Cache, $crate::__private::CacheError> {
                $($crate::__private::require_bytes::<__Value, $site>();)?
                let builder = $crate::__private::BackgroundLoaderBuilder::<__Value, __Error>::new(
                    stringify!($name),
                )
                .storage(storage)
                .clock(clock)
                $($setting)*
                .error_cloner($crate::error_cloner!(__Error));
                $crate::background_loader!(@build $mode $context $loads $name $loader, builder, context)
            }

            $crate::background_loader!(@getter $mode [$(#[$doc])*] $name $returns);
            $crate::background_calls! {
                $mode $name writer wrap($crate::background_loader!(@wrap $returns))
            }
        }
    };
    (@build async $context:ident $loads:ident $name:ident $loader:path, $builder:ident, $slot:ident) => {
        $builder.build_async(move || {
            $crate::background_loader!(@share $context $slot);
            async move {
                $crate::cached_function!(@load $context $loads $name $slot [$loader] () [.await])
            }
        })
    };
    (@build blocking $context:ident $loads:ident $name:ident $loader:path, $builder:ident, $slot:ident) => {{
        $crate::background_loader!(@unused $context $slot);
        $builder.build_blocking(move || {
            $crate::cached_function!(@load $context $loads $name $slot [$loader] () [])
        })
    }};
    // Each run of an async loader takes its own handle on the context slot.
    (@share yes $slot:ident) => { let $slot = ::core::clone::Clone::clone(&$slot); };
    (@share no $slot:ident) => { let _ = &$slot; };
    (@unused yes $slot:ident) => {};
    (@unused no $slot:ident) => { let _ = &$slot; };
    (@wrap result) => { <__Output as $crate::__private::Fallible>::from_result };
    (@wrap value) => { $crate::__private::infallible };
    (@getter async $($rest:tt)*) => {
        $crate::background_loader!(@get [async] [.await] get $($rest)*);
    };
    (@getter blocking $($rest:tt)*) => {
        $crate::background_loader!(@get [] [] get_blocking $($rest)*);
    };
    (
        @get [$($async:tt)?] [$($await:tt)*] $get:ident [$($doc:tt)*] $name:ident
        $returns:ident
    ) => {
        impl super::Caches {
            $($doc)*
            pub $($async)? fn $name(&self) -> __Output {
                $crate::cached_function!(@from $returns self.$name.$get() $($await)*)
            }
        }

        $($doc)*
        pub $($async)? fn $name() -> __Output {
            super::instance().$name() $($await)*
        }
    };
}

/// Expands the module of a reader of a background loader's value and its re-exports. Not a
/// stable API.
///
/// ```ignore
/// __ac::background_reader! {
///     /// A local copy of `[loaders.inventory]`.
///     async fn inventory_copy() -> Vec<String>;
///     mod __inventory_copy { use crate::loaders::*; }
///     source __inventory "inventory";
///     build { .interval(__ac::Some(__ac::Duration::from_millis(1000u64))) }
/// }
/// ```
#[doc(hidden)]
#[macro_export]
macro_rules! background_reader {
    (
        $(#[$doc:meta])*
        $mode:ident fn $name:ident() -> $value:ty;
        mod $module:ident { $($uses:item)* }
        source $source:ident $source_key:literal;
        build { $($setting:tt)* }
        $(bytes $site:ident;)?
    ) => {
        $crate::entry_module! {
            $name in $module { $($uses)* } $(site $site)?;
            pub(super) type __Value = super::$source::__Value;
            pub(super) type __Error = super::$source::__Error;
            pub(super) type __Cache = $crate::__private::Reader<__Value, __Error>;

            pub(super) fn __build(
                source: $crate::__private::SharedStorage,
                local: $crate::__private::SharedStorage,
                clock: $crate::__private::SharedClock,
            ) -> __Cache {
                $($crate::__private::require_bytes::<__Value, $site>();)?
                $crate::__private::ReaderBuilder::<__Value, __Error>::new(
                    stringify!($name),
                    source,
                    $source_key,
                )
                .local(local)
                .clock(clock)
                $($setting)*
                .error_cloner($crate::error_cloner!(__Error))
                .build()
            }

            $crate::background_reader!(@getter $mode [$(#[$doc])*] $name $value);
            $crate::background_calls! { $mode $name reader }
        }
    };
    (@getter async $($rest:tt)*) => {
        $crate::background_reader!(@get [async] [] [.await] $($rest)*);
    };
    (@getter blocking $($rest:tt)*) => {
        $crate::background_reader!(@get [] [$crate::__private::wait] [] $($rest)*);
    };
    (
        @get [$($async:tt)?] [$($wait:tt)*] [$($await:tt)*] [$($doc:tt)*] $name:ident $value:ty
    ) => {
        impl super::Caches {
            $($doc)*
            pub $($async)? fn $name(&self) -> $crate::__private::Option<$value> {
                $($wait)*(self.$name.get()) $($await)*
            }
        }

        $($doc)*
        pub $($async)? fn $name() -> $crate::__private::Option<$value> {
            super::instance().$name() $($await)*
        }
    };
}

//! What generated code declares, and what expands it: a generated `caches` module is a list of
//! declarations — `caches!` (the `Caches` struct, its builder and the process-wide instance),
//! one `cached_function!` per `[functions.NAME]`, one `background_loader!` or
//! `background_reader!` per `[loaders.NAME]` and `[readers.NAME]` — and the logic they stand
//! for lives here, written once. The macros are not a stable API: generated code reaches them
//! through `__private`, and the generator and this crate change together.

mod assembly;
mod background;
mod control;
mod function;
mod instance;

pub use assembly::{Assemble, Assembly, CachesBuilder, CachesShared, NoContext};

/// The re-exports (`caches::NAME` and its control calls `caches::NAME::…`) and the module of one
/// declared entry: its imports, the `__ac` alias, its types, the marker types of its build-time checks, then the rest
/// of its items. Not a stable API: the declaration macros invoke it.
#[doc(hidden)]
#[macro_export]
macro_rules! entry_module {
    (
        $name:ident in $module:ident { $($uses:item)* } $(site $site:ident)*;
        $($item:tt)*
    ) => {
        pub use self::$module::$name;
        pub use self::$module::control as $name;

        #[allow(unused_imports)]
        mod $module {
            $($uses)*
            use super::__ac;
            $(
                #[allow(non_camel_case_types)]
                pub(super) struct $site;
            )*
            $($item)*
        }
    };
}

//! The process-wide instance of a spec's generated `Caches`, written once here and invoked by
//! generated code: `caches::{instance, install, start, stats, shutdown}` and, with a loader
//! context, `caches::init`.

/// Expands the process-wide instance and its free functions inside a generated `caches` module
/// (which defines `Caches` with `builder`, `start`, `stats`, `shutdown` and, with a context,
/// `set_context` and the `Context` alias). `process_instance!(context)` adds `init`. Not a
/// stable API: generated code invokes it through `__private`.
///
/// ```ignore
/// __ac::process_instance!(context);
/// ```
#[doc(hidden)]
#[macro_export]
macro_rules! process_instance {
    (context) => {
        $crate::process_instance!();

        /// Supplies the loader context of the process-wide instance: call it once at start-up,
        /// before the first cached call (a call before it returns `ContextMissing`).
        pub fn init(
            context: impl ::core::convert::Into<$crate::__private::Arc<Context>>,
        ) -> $crate::__private::Result<(), $crate::__private::CacheError> {
            instance().set_context(context)
        }
    };
    () => {
        static INSTANCE: $crate::__private::OnceLock<Caches> = $crate::__private::OnceLock::new();

        /// The process-wide instance: the one given to [`install`], or else built from the
        /// spec on first use.
        pub fn instance() -> &'static Caches {
            INSTANCE.get_or_init(|| match Caches::builder().build() {
                $crate::__private::Ok(caches) => caches,
                // The default instance builds fresh storages and takes no overrides, so no
                // writer can collide and no override can be unknown: build cannot fail.
                $crate::__private::Err(e) => ::core::panic!("advanced-caching: {e}"),
            })
        }

        /// Makes `caches` the process-wide instance that the free functions use (a test
        /// binary's own storages and clock, a service's start-up). Call it before the first
        /// cached call; afterwards the instance is fixed (`CacheError::AlreadyInstalled`).
        pub fn install(
            caches: Caches,
        ) -> $crate::__private::Result<(), $crate::__private::CacheError> {
            INSTANCE
                .set(caches)
                .map_err(|_| $crate::__private::CacheError::AlreadyInstalled)
        }

        /// Starts every background loader and reader of the process-wide instance.
        pub fn start() -> $crate::__private::Result<(), $crate::__private::CacheError> {
            instance().start()
        }

        /// The counters of the process-wide instance.
        pub fn stats() -> ::std::vec::Vec<$crate::__private::StatsSnapshot> {
            instance().stats()
        }

        /// Stops the background loaders and readers of the process-wide instance (at a
        /// service's exit).
        pub async fn shutdown() {
            instance().shutdown().await
        }
    };
}

//! The process-wide instance of a spec's generated `Caches`, written once here and invoked by
//! generated code: `caches::{instance, install, start, stats, shutdown}` and, with a loader
//! context, `caches::init`.

/// Expands the process-wide instance and its free functions inside a generated `caches` module
/// (which defines `Caches` with `builder`, `start`, `stats`, `shutdown` and, with a context,
/// `set_context`). `process_instance!(context TYPE)` adds `init`. Not a stable API: `caches!`
/// invokes it.
///
/// ```ignore
/// __ac::process_instance!(context Context);
/// ```
#[doc(hidden)]
#[macro_export]
macro_rules! process_instance {
    (context $context:ty) => {
        $crate::process_instance!();

        /// Supplies the loader context of the process-wide instance: call it once at start-up,
        /// before the first cached call (a call before it returns `ContextMissing`).
        pub fn init(
            context: impl ::core::convert::Into<$crate::__private::Arc<$context>>,
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

/// Expands a generated `Caches` inside its `caches` module: the struct (the caches of the
/// listed functions and background loaders and readers, and the [`CachesShared`] parts), its
/// builder [`CachesBuilder`] whose `build` runs the given `assemble` body, the instance methods
/// (`builder`, `start`, `cleanup`, `stats`, `shutdown`, and with a context `set_context`), and
/// the process-wide instance with its free functions. Not a stable API.
///
/// [`CachesShared`]: crate::__private::CachesShared
/// [`CachesBuilder`]: crate::__private::CachesBuilder
///
/// ```ignore
/// __ac::caches! {
///     context(Context) functions(get_user: __get_user) background(inventory: __inventory)
///     assemble(parts) { /* the storages, then `Caches { __shared, get_user, inventory }` */ }
/// }
/// ```
#[doc(hidden)]
#[macro_export]
macro_rules! caches {
    (
        context($($context:ty)?)
        functions($($function:ident: $function_module:ident),*)
        background($($background:ident: $background_module:ident),*)
        assemble($parts:ident) $assemble:block
    ) => {
        /// The loader context of the spec (`NoContext` without one).
        type __Context = $crate::caches!(@context $($context)?);

        /// Every cache declared in the spec, with its own storages.
        pub struct Caches {
            __shared: $crate::__private::CachesShared<__Context>,
            $($function: $function_module::__Cache,)*
            $($background: $background_module::__Cache,)*
        }

        /// Builds [`Caches`]: override storages by name, or the clock, for tests.
        pub type CachesBuilder = $crate::__private::CachesBuilder<__Context, Caches>;

        // A storage may be declared (or implied as the default) without being used.
        #[allow(unused_variables)]
        fn __assemble(
            $parts: &mut $crate::__private::Assembly<__Context>,
        ) -> $crate::__private::Result<Caches, $crate::__private::CacheError> $assemble

        impl Caches {
            /// A builder for an isolated instance.
            pub fn builder() -> CachesBuilder {
                $crate::__private::CachesBuilder::new(__assemble)
            }

            /// Starts every background loader and reader now (idempotent; otherwise each
            /// starts on first use).
            pub fn start(&self) -> $crate::__private::Result<(), $crate::__private::CacheError> {
                $(self.$background.start()?;)*
                self.__shared.start()
            }

            /// Removes the expired entries of every storage that keeps them until removed
            /// (file, S3, GCS) now; returns how many were removed. `cleanup_interval` runs
            /// this on a schedule from `start`.
            pub async fn cleanup(&self) -> usize {
                self.__shared.cleanup().await
            }

            /// The counters of every function, loader and reader.
            pub fn stats(&self) -> ::std::vec::Vec<$crate::__private::StatsSnapshot> {
                ::std::vec![$(self.$function.stats(),)* $(self.$background.stats()),*]
            }

            /// Stops every background loader and reader after its current run, and waits
            /// for them (dropping the instance stops them too, without waiting).
            pub async fn shutdown(&self) {
                $(self.$background.stop().await;)*
                self.__shared.shutdown().await;
            }

            $(
                /// Supplies the loader context, once; a second call fails with
                /// `CacheError::ContextAlreadySet` and keeps the first.
                pub fn set_context(
                    &self,
                    context: impl ::core::convert::Into<$crate::__private::Arc<$context>>,
                ) -> $crate::__private::Result<(), $crate::__private::CacheError> {
                    self.__shared.set_context(context)
                }
            )?
        }

        $crate::process_instance!($(context $context)?);
    };
    (@context $context:ty) => { $context };
    (@context) => { $crate::__private::NoContext };
}

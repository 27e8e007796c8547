//! The control calls of a cached function, written once here and invoked by generated code:
//! `caches::NAME::{invalidate, insert, get, refresh, bypass}` on the process-wide instance, and
//! the same on any instance through `caches::NAME::on(&caches)`.
//!
//! `cached_function!` defines `__key` (the storage key of borrows of the key arguments),
//! `__call` (the wrapper, as a `LoadAs` says), `__memo` when the function keeps a memo, and the
//! `Caches` field named like the function; this macro expands the control calls over them. Its own locals are
//! hygienic, so a loader parameter may be called anything (`key`, `value`, `__key`).

/// Expands `pub mod control` of a cached function (see the module docs of `declare/control.rs`).
/// Not a stable API: generated code invokes it through `__private`.
///
/// ```ignore
/// __ac::control_calls! {
///     blocking exchange_rate params(currency: &str) key_params(currency: &str)
///     memo((Box<str>,)) value(f64) inserted(f64) output(f64)
/// }
/// ```
#[doc(hidden)]
#[macro_export]
macro_rules! control_calls {
    (
        $mode:tt $name:ident params($($arg:ident: $arg_ty:ty),*)
        key_params($($key_arg:ident: $key_ty:ty),*)
        memo($memo:tt) value($value:ty) inserted($inserted:ty) output($output:ty)
    ) => {
        #[doc = concat!(
            " Control calls of [`", stringify!($name), "`](fn@super::", stringify!($name),
            ") (`[functions.", stringify!($name), "]`): on the process-wide instance, or on any",
            " instance with [`on`](control::on)."
        )]
        pub mod control {
            #[allow(unused_imports)]
            use super::*;

            $crate::control_calls!(@handle $name);
            $crate::control_calls!(@methods $mode $name params($($arg: $arg_ty),*)
                key_params($($key_arg: $key_ty),*)
                memo($memo) value($value) inserted($inserted) output($output));
        }
    };
    // The async and blocking forms are one body: a storage call is `$wait(call) $await`, so
    // `(call).await` or `wait(call)`; the wrapper `__call` is already async or blocking.
    (@methods async $($rest:tt)*) => {
        $crate::control_calls!(@body [async] [] [.await] $($rest)*);
    };
    (@methods blocking $($rest:tt)*) => {
        $crate::control_calls!(@body [] [$crate::__private::wait] [] $($rest)*);
    };
    (
        @body [$($async:tt)?] [$($wait:tt)*] [$($await:tt)*]
        $name:ident params($($arg:ident: $arg_ty:ty),*)
        key_params($($key_arg:ident: $key_ty:ty),*)
        memo($memo:tt) value($value:ty) inserted($inserted:ty) output($output:ty)
    ) => {
        impl On<'_> {
            /// Removes the entry of these arguments from every storage level; the next call
            /// loads. True when something was removed.
            pub $($async)? fn invalidate(&self, $($key_arg: $key_ty),*) -> bool {
                let key = super::__key($(&$key_arg),*);
                let removed = $($wait)*(self.0.$name.invalidate(&key)) $($await)*;
                $crate::control_calls!(@memo $memo self.0, &key, $($key_arg),*);
                removed
            }

            /// Stores the value as the entry of these arguments, as if it had just been loaded.
            pub $($async)? fn insert(&self, $($key_arg: $key_ty,)* value: $inserted) {
                let value: $value = ::core::convert::Into::into(value);
                let key = super::__key($(&$key_arg),*);
                $($wait)*(self.0.$name.insert(&key, value)) $($await)*;
                $crate::control_calls!(@memo $memo self.0, &key, $($key_arg),*);
            }

            /// The cached value of these arguments with its age and freshness; never loads.
            pub $($async)? fn get(&self, $($key_arg: $key_ty),*) -> $crate::__private::Option<$crate::__private::Peeked<$value>> {
                $($wait)*(self.0.$name.peek(&super::__key($(&$key_arg),*))) $($await)*
            }

            /// Reloads now and stores the result; concurrent refreshes and misses of these
            /// arguments share one loader call. An error is returned, not stored.
            pub $($async)? fn refresh(&self, $($arg: $arg_ty),*) -> $output {
                super::__call(self.0, $crate::__private::LoadAs::Refresh, $($arg),*) $($await)*
            }

            /// Calls the loader itself, without reading the cache or joining a flight, and
            /// stores the result.
            pub $($async)? fn bypass(&self, $($arg: $arg_ty),*) -> $output {
                super::__call(self.0, $crate::__private::LoadAs::Bypass, $($arg),*) $($await)*
            }
        }

        /// [`On::invalidate`] on the process-wide instance.
        pub $($async)? fn invalidate($($key_arg: $key_ty),*) -> bool {
            self::on(super::super::instance()).invalidate($($key_arg),*) $($await)*
        }

        /// [`On::insert`] on the process-wide instance.
        pub $($async)? fn insert($($key_arg: $key_ty,)* value: $inserted) {
            self::on(super::super::instance()).insert($($key_arg,)* value) $($await)*
        }

        /// [`On::get`] on the process-wide instance.
        pub $($async)? fn get($($key_arg: $key_ty),*) -> $crate::__private::Option<$crate::__private::Peeked<$value>> {
            self::on(super::super::instance()).get($($key_arg),*) $($await)*
        }

        /// [`On::refresh`] on the process-wide instance.
        pub $($async)? fn refresh($($arg: $arg_ty),*) -> $output {
            self::on(super::super::instance()).refresh($($arg),*) $($await)*
        }

        /// [`On::bypass`] on the process-wide instance.
        pub $($async)? fn bypass($($arg: $arg_ty),*) -> $output {
            self::on(super::super::instance()).bypass($($arg),*) $($await)*
        }
    };
    // The handle of the control calls on one instance (`caches::NAME::on(&caches)`).
    (@handle $name:ident) => {
        #[doc = concat!(" The control calls of `", stringify!($name), "` on `caches`.")]
        #[derive(Clone, Copy)]
        pub struct On<'a>(&'a super::super::Caches);

        #[doc = concat!(" The control calls of `", stringify!($name), "` on `caches`.")]
        pub fn on(caches: &super::super::Caches) -> On<'_> {
            On(caches)
        }
    };
    // After a change to the entry, a memo follows it.
    (@memo none $caches:expr, $key:expr, $($key_arg:ident),*) => {};
    (@memo $owned:tt $caches:expr, $key:expr, $($key_arg:ident),*) => {
        super::__memo($caches, $key, $($key_arg),*)
    };
}

/// Expands `pub mod control` of a background loader (`writer`: `refresh` runs it now, its value
/// passed through `wrap`) or reader (`reader`: `refresh` pulls the writer's value), with `age`:
/// on the process-wide instance and on any instance through `on(&caches)`. Not a stable API.
///
/// ```ignore
/// __ac::background_calls! { async inventory writer wrap(<__Output as __ac::Fallible>::from_result) }
/// ```
#[doc(hidden)]
#[macro_export]
macro_rules! background_calls {
    ($mode:tt $name:ident $role:ident $(wrap($($wrap:tt)*))?) => {
        #[doc = concat!(
            " Control calls of [`", stringify!($name), "`](fn@super::", stringify!($name),
            "): on the process-wide instance, or on any instance with [`on`](control::on)."
        )]
        pub mod control {
            #[allow(unused_imports)]
            use super::*;

            $crate::control_calls!(@handle $name);
            $crate::background_calls!(@calls $mode $name $role ($($($wrap)*)?));
        }
    };
    (@calls async $($rest:tt)*) => {
        $crate::background_calls!(@calls2 [async] [] [.await] $($rest)*);
    };
    (@calls blocking $($rest:tt)*) => {
        $crate::background_calls!(@calls2 [] [$crate::__private::wait] [] $($rest)*);
    };
    (@calls2 $modes:tt [$($wait:tt)*] [$($await:tt)*] $name:ident writer ($($wrap:tt)*)) => {
        $crate::background_calls!(@both $modes [$($await)*] $name,
            #[doc = " Runs the loader now (after a run in flight) and stores its value; a failure keeps the last good value."]
            refresh(on) -> __Output { $($wrap)*($($wait)*(on.0.$name.refresh_now()) $($await)*) },
            age(on) { $($wait)*(on.0.$name.age()) $($await)* });
    };
    (@calls2 $modes:tt [$($wait:tt)*] [$($await:tt)*] $name:ident reader ()) => {
        $crate::background_calls!(@both $modes [$($await)*] $name,
            #[doc = " Pulls the writer's current value into this reader's storage now; `None` when the writer's storage has none."]
            refresh(on) -> $crate::__private::Option<__Value> { $($wait)*(on.0.$name.pull()) $($await)* },
            age(on) { $($wait)*(on.0.$name.age()) $($await)* });
    };
    (@both [$($async:tt)?] [$($await:tt)*] $name:ident, #[$doc:meta] refresh($on:ident) -> $output:ty $refresh:block,
        age($on2:ident) $age:block) => {
        impl On<'_> {
            #[$doc]
            pub $($async)? fn refresh(&self) -> $output {
                let $on = self;
                $refresh
            }

            /// How long ago the current value was stored; `None` when there is none.
            pub $($async)? fn age(&self) -> $crate::__private::Option<$crate::__private::Duration> {
                let $on2 = self;
                $age
            }
        }

        #[$doc]
        pub $($async)? fn refresh() -> $output {
            self::on(super::super::instance()).refresh() $($await)*
        }

        /// [`On::age`] on the process-wide instance.
        pub $($async)? fn age() -> $crate::__private::Option<$crate::__private::Duration> {
            self::on(super::super::instance()).age() $($await)*
        }
    };
}

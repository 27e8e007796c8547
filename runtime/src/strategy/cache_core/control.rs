//! The control calls every cached-function type shares, written once as a macro.

/// The control calls every cached-function type shares (`invalidate`, `insert`, `peek`,
/// `refresh`, `bypass`; blocking code waits on them, a sync loader goes to `load_as_blocking`); `$windows` is how the type's entries are stored.
macro_rules! control_methods {
    // `$bound`: what the type's `get_or_load` asks of a loader besides being one (`+ Send +
    // 'static` where a stale hit hands it to a background refresh).
    ($($bound:tt)*) => {
        /// [`Self::get_or_load`], [`Self::refresh`] or [`Self::bypass`], as `how` says: the one
        /// body a generated wrapper and its control calls share.
        pub async fn load_as<F, Fut>(
            &self,
            how: $crate::strategy::cache_core::LoadAs,
            key: &str,
            loader: F,
        ) -> Result<T, E>
        where
            F: FnOnce() -> Fut $($bound)*,
            Fut: std::future::Future<Output = Result<T, E>> $($bound)*,
        {
            match how {
                $crate::strategy::cache_core::LoadAs::Cached => self.get_or_load(key, loader).await,
                $crate::strategy::cache_core::LoadAs::Refresh => self.refresh(key, loader).await,
                $crate::strategy::cache_core::LoadAs::Bypass => self.bypass(key, loader).await,
            }
        }

        /// The fresh value of these arguments from the function's memo (its typed front tier,
        /// kept on a memory storage when the generator enables it), counted as a hit; `None`
        /// when there is no memo or it has no fresh value for them.
        pub fn memo_get<K, Q>(&self, args: &Q) -> Option<T>
        where
            K: std::hash::Hash + Eq + Send + Sync + 'static,
            Q: std::hash::Hash + $crate::strategy::Equivalent<K>,
        {
            self.core.memo::<K>()?.get(args)
        }

        /// The memo's answer to a call made as `how`: a plain call reads it (as
        /// [`Self::memo_get`]); a refresh or a bypass never does.
        pub fn memo_hit<K, Q>(&self, how: $crate::strategy::cache_core::LoadAs, args: &Q) -> Option<T>
        where
            K: std::hash::Hash + Eq + Send + Sync + 'static,
            Q: std::hash::Hash + $crate::strategy::Equivalent<K>,
        {
            match how {
                $crate::strategy::cache_core::LoadAs::Cached => self.memo_get::<K, Q>(args),
                _ => None,
            }
        }

        /// Brings the memo's entry for `args` in line with what the storage holds under `key`
        /// (after a load, refresh, bypass or insert).
        pub fn memo_fill<K, Q>(&self, args: &Q, key: &str)
        where
            K: std::hash::Hash + Eq + Send + Sync + 'static,
            Q: $crate::strategy::ArgsOf<K>,
        {
            self.core.memo_fill::<K, Q>(args, key);
        }

        /// [`Self::load_as`] for a sync loader, waited on ([`crate::wait`]); works inside or
        /// outside a tokio runtime. The other control calls of blocking code are their async
        /// forms, waited on: `advanced_caching::wait(cache.invalidate("k"))`.
        pub fn load_as_blocking<F>(&self, how: $crate::strategy::cache_core::LoadAs, key: &str, loader: F) -> Result<T, E>
        where
            F: FnOnce() -> Result<T, E> $($bound)*,
        {
            match how {
                $crate::strategy::cache_core::LoadAs::Cached => self.get_or_load_blocking(key, loader),
                _ => $crate::rt::wait(self.load_as(how, key, move || std::future::ready(loader()))),
            }
        }

        /// Removes `key` from every level of the storage (a hybrid's L1 and L2 alike), so the
        /// next call loads. True when something was removed.
        pub async fn invalidate(&self, key: &str) -> bool {
            self.core.invalidate(key).await
        }

        /// Stores `value` under `key` as if it had just been loaded (priming the cache).
        pub async fn insert(&self, key: &str, value: T) {
            self.core.store(key, &value, self.windows).await;
        }

        /// The stored value of `key` with its age and freshness, never loading; `None` on a miss.
        pub async fn peek(&self, key: &str) -> Option<$crate::strategy::cache_core::Peeked<T>> {
            self.core.peek(key).await
        }

        /// Reloads `key` now, whatever the cache holds, and stores the result; concurrent
        /// refreshers (and misses) of `key` share one loader call. An error is returned and not
        /// stored (the old value stays).
        pub async fn refresh<F, Fut>(&self, key: &str, loader: F) -> Result<T, E>
        where
            F: FnOnce() -> Fut,
            Fut: std::future::Future<Output = Result<T, E>>,
        {
            self.core.refresh(key, self.windows, loader).await
        }

        /// Calls `loader` itself (no cache read, no shared flight) and stores its value.
        pub async fn bypass<F, Fut>(&self, key: &str, loader: F) -> Result<T, E>
        where
            F: FnOnce() -> Fut,
            Fut: std::future::Future<Output = Result<T, E>>,
        {
            self.core.call_and_store(key, self.windows, loader, None).await
        }

    };
}

pub(crate) use control_methods;

/// How a cached function is asked for a value: the generated wrapper and its `refresh` and
/// `bypass` control calls share one body that says which.
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use advanced_caching::strategy::{CacheBuilder, LoadAs};
/// use std::convert::Infallible;
/// let cache = CacheBuilder::<u32, Infallible>::new("n").build_ttl();
/// let loaded = cache.load_as(LoadAs::Cached, "k", || async { Ok(1) }).await;
/// let refreshed = cache.load_as(LoadAs::Refresh, "k", || async { Ok(2) }).await;
/// assert_eq!((loaded.unwrap(), refreshed.unwrap()), (1, 2));
/// # });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadAs {
    /// The cached value, loaded on a miss (`get_or_load`).
    Cached,
    /// Reloaded now, sharing a flight with misses (`refresh`).
    Refresh,
    /// The loader called directly, its value stored (`bypass`).
    Bypass,
}

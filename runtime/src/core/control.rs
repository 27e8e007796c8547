//! The control calls every cached-function type shares, written once as a macro.

/// The control calls every cached-function type shares (`invalidate`, `insert`, `peek`,
/// `refresh`, `bypass`, async and blocking); `$windows` is how the type's entries are stored.
macro_rules! control_methods {
    () => {
        /// Removes `key` from every level of the storage (a hybrid's L1 and L2 alike), so the
        /// next call loads. True when something was removed.
        pub async fn invalidate(&self, key: &str) -> bool {
            self.core.invalidate(key).await
        }

        /// Blocking [`Self::invalidate`].
        pub fn invalidate_blocking(&self, key: &str) -> bool {
            self.core.invalidate_blocking(key)
        }

        /// Stores `value` under `key` as if it had just been loaded (priming the cache).
        pub async fn insert(&self, key: &str, value: T) {
            self.core.store(key, &value, self.windows).await;
        }

        /// Blocking [`Self::insert`].
        pub fn insert_blocking(&self, key: &str, value: T) {
            self.core.store_blocking(key, &value, self.windows);
        }

        /// The stored value of `key` with its age and freshness, never loading; `None` on a miss.
        pub async fn peek(&self, key: &str) -> Option<$crate::Peeked<T>> {
            self.core.peek(key).await
        }

        /// Blocking [`Self::peek`].
        pub fn peek_blocking(&self, key: &str) -> Option<$crate::Peeked<T>> {
            self.core.peek_blocking(key)
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

        /// Blocking [`Self::refresh`].
        pub fn refresh_blocking<F>(&self, key: &str, loader: F) -> Result<T, E>
        where
            F: FnOnce() -> Result<T, E>,
        {
            self.core.refresh_blocking(key, self.windows, loader)
        }

        /// Calls `loader` itself (no cache read, no shared flight) and stores its value.
        pub async fn bypass<F, Fut>(&self, key: &str, loader: F) -> Result<T, E>
        where
            F: FnOnce() -> Fut,
            Fut: std::future::Future<Output = Result<T, E>>,
        {
            self.core.call_and_store(key, self.windows, loader).await
        }

        /// Blocking [`Self::bypass`].
        pub fn bypass_blocking<F>(&self, key: &str, loader: F) -> Result<T, E>
        where
            F: FnOnce() -> Result<T, E>,
        {
            self.core.call_and_store_blocking(key, self.windows, loader)
        }
    };
}

pub(crate) use control_methods;

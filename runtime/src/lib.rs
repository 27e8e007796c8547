//! The runtime of advanced-caching: what the wrappers generated from `cache.toml` call.
//!
//! Most users write a `cache.toml`, call `advanced_caching_build::compile("cache.toml")` from
//! `build.rs` and `advanced_caching::include_generated!()` in the crate, then call
//! `caches::NAME(...)`. The same strategies and storages are usable directly:
//!
//! ```
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use advanced_caching::prelude::*;
//! use std::{sync::Arc, time::Duration};
//!
//! let storage: SharedStorage = Arc::new(MemoryStorage::new(10_000));
//! let users = CacheBuilder::<String, std::io::Error>::new("get_user")
//!     .storage(storage)
//!     .ttl(Some(Duration::from_secs(300)))
//!     .build_ttl();
//! // A miss loads once for all concurrent callers; a hit returns the stored value.
//! let ada = users.get_or_load("user:1", || async { Ok("Ada".to_owned()) }).await?;
//! let again = users.get_or_load("user:1", || async { Ok("other".to_owned()) }).await?;
//! assert_eq!((ada.as_str(), again.as_str()), ("Ada", "Ada"));
//! assert_eq!(users.stats().hits, 1);
//! # Ok::<_, std::io::Error>(())
//! # }).unwrap();
//! ```
//!
//! Modules: [`strategy`] (TTL, stale-while-revalidate, background loaders and readers),
//! [`storage`] (memory, file, chain/hybrid, and behind features Redis, S3, GCS; codecs, entries),
//! [`key`], [`stats`], [`clock`], [`context`]; [`prelude`] brings the common ones in one import.
//! Cargo features: `redis`, `redis-tls`, `s3`, `s3-credential-chain`, `gcs`.
#![cfg_attr(docsrs, feature(doc_cfg))]

// The workspace README's Rust examples are compiled as doc tests of this crate.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;

pub mod clock;
pub mod context;
mod declare;
mod error;
mod export;
pub mod key;
mod logkey;
mod rt;
mod scheduler;
pub mod stats;
pub mod storage;
pub mod strategy;
mod sync;

pub use error::{CacheError, LoadTimeout, StorageError};
pub use logkey::log_keys;
pub use rt::{block_on, wait};

pub use erased_serde;

/// The items most programs use, in one import.
///
/// ```
/// use advanced_caching::prelude::*;
/// let storage: SharedStorage = std::sync::Arc::new(MemoryStorage::new(1_000));
/// let cache = CacheBuilder::<String, CacheError>::new("names").storage(storage).build_ttl();
/// assert_eq!(cache.stats().hits, 0);
/// ```
pub mod prelude {
    pub use crate::clock::{Clock, ManualClock, SharedClock};
    pub use crate::stats::StatsSnapshot;
    #[cfg(feature = "gcs")]
    pub use crate::storage::GcsStorage;
    #[cfg(feature = "redis")]
    pub use crate::storage::RedisStorage;
    #[cfg(feature = "s3")]
    pub use crate::storage::S3Storage;
    pub use crate::storage::{
        ChainLevel, ChainStorage, Codec, FileStorage, MemoryStorage, SharedStorage, Storage,
        StorageExt,
    };
    pub use crate::strategy::{CacheBuilder, LoadAs, SwrCache, TtlCache};
    pub use crate::{CacheError, StorageError};
}

/// Includes the wrappers that `advanced_caching_build::compile` generated into `OUT_DIR`, which
/// define `pub mod caches`.
///
/// ```ignore
/// advanced_caching::include_generated!();
/// let user = caches::get_user(42).await?;
/// ```
#[macro_export]
macro_rules! include_generated {
    () => {
        include!(concat!(env!("OUT_DIR"), "/advanced_caching_generated.rs"));
    };
}

/// `Some(E::clone)` when the error type `E` is `Clone`, `None` otherwise, picked at compile time
/// (generated code passes it to the builders' `error_cloner`).
///
/// ```
/// let cloner: advanced_caching::strategy::ErrorCloner<String> = advanced_caching::error_cloner!(String);
/// assert!(cloner.is_some());
/// ```
#[macro_export]
macro_rules! error_cloner {
    ($error:ty) => {{
        #[allow(unused_imports)]
        use $crate::__private::{ViaClone as _, ViaNothing as _};
        // Both borrows pick the impl (autoref specialization): they are not needless.
        #[allow(clippy::needless_borrow)]
        let cloner = (&&$crate::__private::CloneProbe::<$error>::new()).cloner();
        cloner
    }};
}

/// What generated code reaches through absolute paths. Not a stable API: exactly the items
/// generated code uses, one by one, the contract between the generator and this crate (a test
/// fails when generated code reaches past it).
#[doc(hidden)]
pub mod __private {
    pub use crate::clock::{SharedClock, system_clock};
    pub use crate::context::{ContextMissing, ContextSlot};
    pub use crate::declare::{Assemble, Assembly, CachesBuilder, CachesShared, NoContext};
    pub use crate::key::{Key, KeyBuilder, compose_key, key_arg};
    pub use crate::rt::wait;
    pub use crate::stats::StatsSnapshot;
    #[cfg(feature = "gcs")]
    pub use crate::storage::GcsStorage;
    #[cfg(feature = "redis")]
    pub use crate::storage::RedisStorage;
    #[cfg(feature = "s3")]
    pub use crate::storage::S3Storage;
    pub use crate::storage::{
        ChainLevel, ChainStorage, CleanupTarget, Codec, FileStorage, MemoryStorage, SharedStorage,
        StorageFactory, cleanup_all, schedule_cleanups,
    };
    pub use crate::strategy::TtlChoice;
    pub use crate::strategy::{
        Args, BackgroundLoader, BackgroundLoaderBuilder, CacheBuilder, LoadAs, Peeked, Reader,
        ReaderBuilder, Scheduler, SwrCache, TtlCache,
    };
    pub use crate::{CacheError, StorageError};
    pub use crate::{background_loader, background_reader, cached_function, caches, template_key};
    pub use core::option::Option::{self, None, Some};
    pub use core::result::Result::{self, Err, Ok};
    pub use std::sync::{Arc, OnceLock};
    pub use std::time::Duration;

    use std::marker::PhantomData;

    /// Picks `Some(E::clone)` when `E: Clone` and `None` otherwise, at compile time, for a
    /// concrete `E` (autoref specialization): `(&&CloneProbe::<E>::new()).cloner()`.
    pub struct CloneProbe<E>(PhantomData<fn() -> E>);

    impl<E> CloneProbe<E> {
        /// A probe for `E`.
        pub const fn new() -> Self {
            Self(PhantomData)
        }
    }

    impl<E> Default for CloneProbe<E> {
        fn default() -> Self {
            Self::new()
        }
    }

    /// The pick for cloneable errors.
    pub trait ViaClone<E> {
        /// `Some(E::clone)`.
        fn cloner(&self) -> crate::strategy::ErrorCloner<E>;
    }

    impl<E: Clone> ViaClone<E> for &CloneProbe<E> {
        fn cloner(&self) -> crate::strategy::ErrorCloner<E> {
            Some(E::clone)
        }
    }

    /// The pick for other errors.
    pub trait ViaNothing<E> {
        /// `None`.
        fn cloner(&self) -> crate::strategy::ErrorCloner<E>;
    }

    impl<E> ViaNothing<E> for CloneProbe<E> {
        fn cloner(&self) -> crate::strategy::ErrorCloner<E> {
            None
        }
    }

    /// Turns a loader's output into a `Result`, and back: lets generated code treat `T`,
    /// `Result<T, E>` and aliases such as `anyhow::Result<T>` alike.
    pub trait Fallible {
        /// The value.
        type Value;
        /// The error.
        type Error;
        /// As a result.
        fn into_result(self) -> Result<Self::Value, Self::Error>;
        /// From a result.
        fn from_result(result: Result<Self::Value, Self::Error>) -> Self;
    }

    impl<T, E> Fallible for Result<T, E> {
        type Value = T;
        type Error = E;
        fn into_result(self) -> Result<T, E> {
            self
        }
        fn from_result(result: Result<T, E>) -> Self {
            result
        }
    }

    /// A value kept as bytes (a Redis, file, S3 or GCS level) by the cached function and storage
    /// named by `Site` (a marker type the generator names after both): a missing serde
    /// implementation is reported with those names instead of deep inside the builder.
    #[diagnostic::on_unimplemented(
        message = "`{Self}` is kept as bytes by {Site}: it must implement serde's `Serialize` and `Deserialize`",
        label = "the value type of this cached function",
        note = "add `#[derive(serde::Serialize, serde::Deserialize)]` to `{Self}`, or keep the function on a memory storage"
    )]
    pub trait BytesValue<Site> {}

    impl<T: serde::Serialize + serde::de::DeserializeOwned, Site> BytesValue<Site> for T {}

    /// Checks at compile time that `T` can be kept as bytes (see [`BytesValue`]).
    pub fn require_bytes<T: BytesValue<Site>, Site>() {}

    /// A loader error type that can say a load timed out, for the cached function named by
    /// `Site` (it sets `hard_timeout`): a missing `From<LoadTimeout>` is reported with the
    /// function's name instead of deep inside the builder.
    #[diagnostic::on_unimplemented(
        message = "`{Self}` is the loader error of {Site}: it must implement `From<advanced_caching::LoadTimeout>`",
        label = "the loader error of this cached function",
        note = "a caller that waited `hard_timeout` without a fallback gets the timeout as this error: add `impl From<advanced_caching::LoadTimeout> for {Self}`, or remove `hard_timeout` from `cache.toml`"
    )]
    pub trait TimeoutError<Site> {}

    impl<E: From<crate::LoadTimeout>, Site> TimeoutError<Site> for E {}

    /// Checks at compile time that `E` can hold a [`crate::LoadTimeout`] (see [`TimeoutError`]).
    pub fn require_timeout_error<E: TimeoutError<Site>, Site>() {}

    /// Unwraps the result of an infallible loader.
    pub fn infallible<T>(result: Result<T, std::convert::Infallible>) -> T {
        match result {
            Ok(v) => v,
            Err(never) => match never {},
        }
    }
}

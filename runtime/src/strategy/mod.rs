//! How cached values are loaded and kept fresh: the strategies behind `[functions.*]` (TTL,
//! stale-while-revalidate), the background loaders and readers behind `[loaders.*]` and
//! `[readers.*]`, and their builders.
//!
//! ```
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use advanced_caching::strategy::CacheBuilder;
//! use std::convert::Infallible;
//! let cache = CacheBuilder::<u64, Infallible>::new("square").build_ttl();
//! assert_eq!(cache.get_or_load("3", || async { Ok(9) }).await.unwrap(), 9);
//! # });
//! ```

#[macro_use]
mod handle;

pub(crate) mod background;
pub(crate) mod builder;
pub(crate) mod cache_core;
pub(crate) mod fleet;
pub(crate) mod flight;
pub(crate) mod memo;
pub(crate) mod reader;
pub(crate) mod swr;
pub(crate) mod ttl;

pub use self::background::{BackgroundLoader, BackgroundLoaderBuilder};
pub use self::builder::{CacheBuilder, DEFAULT_MAX_ENTRIES, TtlChoice};
pub use self::cache_core::{LoadAs, Peeked};
pub use self::fleet::{DEFAULT_FLEET_WAIT, FLEET_LOCK_TTL};
pub use self::flight::ErrorCloner;
pub use self::memo::{Args, ArgsOf, KeyPart};
pub use self::reader::{Reader, ReaderBuilder};
pub use self::swr::{REFRESH_LOCK_TTL, SwrCache};
pub use self::ttl::TtlCache;
pub use crate::scheduler::Scheduler;
pub use quick_cache::Equivalent;

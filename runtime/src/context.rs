//! The loader context: state created at start-up (a pool, a client, configuration) that loaders
//! take by reference, supplied once to a cache instance and shared by everything it runs,
//! detached refreshes and background loaders included.

use std::fmt;
use std::sync::{Arc, OnceLock};

/// A cached function ran before its loader context was supplied.
///
/// Generated wrappers of loaders that take the context return it (converted with `From` into the
/// loader's error type, or as the error of an infallible loader) instead of panicking.
///
/// ```
/// use advanced_caching::context::ContextMissing;
/// let e = ContextMissing::new("get_user");
/// assert!(e.to_string().contains("get_user"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextMissing {
    cache: &'static str,
}

impl ContextMissing {
    /// The error of the cached function `cache`.
    pub const fn new(cache: &'static str) -> Self {
        Self { cache }
    }

    /// The cached function that needed the context.
    pub fn cache(&self) -> &'static str {
        self.cache
    }
}

impl fmt::Display for ContextMissing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` needs the loader context, but none was supplied: call `caches::init(context)` at start-up, or build the instance with `Caches::builder().context(context)`",
            self.cache
        )
    }
}

impl std::error::Error for ContextMissing {}

/// Converts [`ContextMissing`] into a loader's error type: implemented for every `E:
/// From<ContextMissing>` (thus for `anyhow::Error`, `Box<dyn Error + Send + Sync>`, and enums
/// with a `#[from] ContextMissing` variant).
///
/// ```
/// use advanced_caching::context::{ContextMissing, FromContextMissing};
/// let e: Box<dyn std::error::Error + Send + Sync> =
///     FromContextMissing::from_context_missing(ContextMissing::new("f"));
/// assert!(e.to_string().contains("`f`"));
/// ```
#[diagnostic::on_unimplemented(
    message = "the error type `{Self}` of a loader that takes the context cannot report a missing context",
    label = "needs `impl From<advanced_caching::context::ContextMissing> for {Self}`",
    note = "a cached function called before `caches::init(context)` returns `ContextMissing` through the loader's error type: add a variant for it (with thiserror: `#[error(transparent)] Context(#[from] advanced_caching::context::ContextMissing)`)"
)]
pub trait FromContextMissing {
    /// The error that reports `missing`.
    fn from_context_missing(missing: ContextMissing) -> Self;
}

impl<E: From<ContextMissing>> FromContextMissing for E {
    fn from_context_missing(missing: ContextMissing) -> Self {
        E::from(missing)
    }
}

/// Where a cache instance keeps its loader context: set once, read by every call and by
/// detached work. Cloning the slot shares it (the context itself is never cloned).
///
/// ```
/// use advanced_caching::context::ContextSlot;
/// struct AppState { greeting: &'static str }
/// let slot = ContextSlot::<AppState>::new();
/// assert!(slot.require("hello").is_err());
/// slot.set(AppState { greeting: "hi" }).unwrap();
/// assert_eq!(slot.require("hello").unwrap().greeting, "hi");
/// assert!(slot.set(AppState { greeting: "again" }).is_err(), "set once");
/// ```
pub struct ContextSlot<C>(Arc<OnceLock<Arc<C>>>);

impl<C> ContextSlot<C> {
    /// An empty slot.
    pub fn new() -> Self {
        Self(Arc::new(OnceLock::new()))
    }

    /// Supplies the context; fails with [`crate::CacheError::ContextAlreadySet`] when this slot
    /// already has one (the first stays).
    pub fn set(&self, context: impl Into<Arc<C>>) -> Result<(), crate::CacheError> {
        self.0
            .set(context.into())
            .map_err(|_| crate::CacheError::ContextAlreadySet)
    }

    /// The context, if it was supplied.
    pub fn get(&self) -> Option<&Arc<C>> {
        self.0.get()
    }

    /// The context of the cached function `cache`, or the error it returns without one.
    pub fn require(&self, cache: &'static str) -> Result<&Arc<C>, ContextMissing> {
        self.0.get().ok_or(ContextMissing::new(cache))
    }

    /// [`ContextSlot::require`] with the error already turned into the loader's error type `E`
    /// (what a generated loader call uses with `?`).
    ///
    /// ```
    /// use advanced_caching::context::{ContextMissing, ContextSlot};
    /// #[derive(Debug)]
    /// struct AppError(String);
    /// impl From<ContextMissing> for AppError {
    ///     fn from(missing: ContextMissing) -> Self { AppError(missing.to_string()) }
    /// }
    /// let slot = ContextSlot::<u32>::new();
    /// assert!(slot.require_for::<AppError>("get_user").is_err());
    /// ```
    pub fn require_for<E: FromContextMissing>(&self, cache: &'static str) -> Result<&Arc<C>, E> {
        self.require(cache).map_err(E::from_context_missing)
    }
}

impl<C> Default for ContextSlot<C> {
    fn default() -> Self {
        Self::new()
    }
}

impl<C> Clone for ContextSlot<C> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<C> fmt::Debug for ContextSlot<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ContextSlot")
            .field("supplied", &self.0.get().is_some())
            .finish()
    }
}

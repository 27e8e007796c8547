//! Building a generated `Caches`: the builder users call (`Caches::builder()`, storage and clock
//! overrides, the context), what the generated `assemble` reads from it, and the parts every
//! `Caches` shares (its context, the storages it cleans, the cleanup schedule).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::clock::{SharedClock, system_clock};
use crate::context::ContextSlot;
use crate::error::{CacheError, StorageError};
use crate::scheduler::Scheduler;
use crate::storage::{
    CleanupTarget, SharedStorage, StorageFactory, cleanup_all, schedule_cleanups,
};

/// The context type of a spec without `context`: no value of it exists, so
/// [`CachesBuilder::context`] cannot be called there.
#[derive(Debug)]
pub enum NoContext {}

/// Builds a generated `Caches` (`caches::Caches::builder()`): override storages by name, or the
/// clock, for tests; supply the loader context.
///
/// ```ignore
/// let caches = caches::Caches::builder()
///     .clock(clock.clone())
///     .storage_with("remote", |clock| Arc::new(MemoryStorage::with_clock(1_000, clock)))
///     .build()?;
/// ```
pub struct CachesBuilder<Ctx, C> {
    clock: Option<SharedClock>,
    storages: Vec<(String, StorageFactory)>,
    context: Option<Arc<Ctx>>,
    assemble: Assemble<Ctx, C>,
}

/// How a generated `Caches` is put together from an [`Assembly`]: every storage (through
/// [`Assembly::storage`], which honours overrides), then every cache of the spec.
pub type Assemble<Ctx, C> = fn(&mut Assembly<Ctx>) -> Result<C, CacheError>;

impl<Ctx, C> CachesBuilder<Ctx, C> {
    /// A builder whose `build` puts the caches together with `assemble` (what a generated
    /// `Caches::builder()` passes).
    pub fn new(assemble: Assemble<Ctx, C>) -> Self {
        Self {
            clock: None,
            storages: Vec::new(),
            context: None,
            assemble,
        }
    }

    /// Supplies the loader context of the instance (its cached functions, refreshes and
    /// background loaders all use it). Takes the context or an `Arc` of it.
    pub fn context(mut self, context: impl Into<Arc<Ctx>>) -> Self {
        self.context = Some(context.into());
        self
    }

    /// Uses `clock` for every freshness decision (a `ManualClock` in tests).
    pub fn clock(mut self, clock: SharedClock) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Uses `storage` in place of the spec's storage `name` (it keeps its own clock; see
    /// [`CachesBuilder::storage_with`] for one on the builder's clock).
    pub fn storage(mut self, name: &str, storage: SharedStorage) -> Self {
        self.storages
            .push((name.to_owned(), Box::new(move |_| storage)));
        self
    }

    /// Uses the storage `make` builds, given the builder's clock, in place of the spec's storage
    /// `name`: a stand-in storage in a test then expires entries on the test clock, e.g.
    /// `.storage_with("remote", |clock| Arc::new(MemoryStorage::with_clock(1_000, clock)))`.
    pub fn storage_with(
        mut self,
        name: &str,
        make: impl FnOnce(SharedClock) -> SharedStorage + 'static,
    ) -> Self {
        self.storages.push((name.to_owned(), Box::new(make)));
        self
    }

    /// Builds the caches. Fails when a storage override names no storage of the spec, or when
    /// a background writer's storage and key already have a writer here.
    pub fn build(self) -> Result<C, CacheError> {
        let context = ContextSlot::new();
        if let Some(given) = self.context {
            context.set(given)?;
        }
        let overridden = self.storages.iter().map(|(n, _)| n.clone()).collect();
        let mut parts = Assembly {
            clock: self.clock.unwrap_or_else(system_clock),
            overrides: self.storages,
            overridden,
            declared: Vec::new(),
            context,
        };
        (self.assemble)(&mut parts)
    }
}

/// What a generated `assemble` builds a `Caches` from: the clock, the storage overrides and the
/// context of its [`CachesBuilder`].
pub struct Assembly<Ctx> {
    clock: SharedClock,
    overrides: Vec<(String, StorageFactory)>,
    /// The names given to the builder (kept after their storage is taken).
    overridden: Vec<String>,
    /// The spec's storages, in the order they were built.
    declared: Vec<&'static str>,
    context: ContextSlot<Ctx>,
}

impl<Ctx> Assembly<Ctx> {
    /// The clock every storage and cache of the instance uses.
    pub fn clock(&self) -> SharedClock {
        self.clock.clone()
    }

    /// The spec's storage `name`: the override given to the builder, or what `make` builds.
    pub fn storage(
        &mut self,
        name: &'static str,
        make: impl FnOnce() -> SharedStorage,
    ) -> SharedStorage {
        self.declared.push(name);
        match self.overrides.iter().position(|(n, _)| n == name) {
            Some(at) => (self.overrides.swap_remove(at).1)(self.clock.clone()),
            None => make(),
        }
    }

    /// True when none of `names` was given to the builder: the spec built them, so nothing
    /// outside this instance writes to them (what a function's memo needs).
    pub fn spec_built(&self, names: &[&str]) -> bool {
        !self.overridden.iter().any(|n| names.contains(&n.as_str()))
    }

    /// Fails when an override names no storage of the spec (after every storage was built).
    pub fn check_overrides(&self) -> Result<(), CacheError> {
        match self.overrides.first() {
            None => Ok(()),
            Some((name, _)) => Err(CacheError::Storage(StorageError::Config(format!(
                "no storage named `{name}` in the spec (storages: {})",
                self.declared.join(", ")
            )))),
        }
    }

    /// The instance's context slot (shared by every cache that loads with it).
    pub fn context(&self) -> ContextSlot<Ctx> {
        self.context.clone()
    }

    /// The parts every `Caches` keeps: its context and the storages it cleans up.
    pub fn shared(&self, storages: Vec<CleanupTarget>) -> CachesShared<Ctx> {
        CachesShared {
            context: self.context.clone(),
            storages,
            cleanup: Scheduler::with_clock(self.clock.clone()),
            cleanup_started: AtomicBool::new(false),
        }
    }
}

/// What every generated `Caches` holds besides its caches: the loader context, and the storages
/// that keep entries themselves (not composites) with their cleanup schedule.
pub struct CachesShared<Ctx> {
    context: ContextSlot<Ctx>,
    storages: Vec<CleanupTarget>,
    cleanup: Scheduler,
    cleanup_started: AtomicBool,
}

impl<Ctx> CachesShared<Ctx> {
    /// The loader context slot.
    pub fn context(&self) -> &ContextSlot<Ctx> {
        &self.context
    }

    /// Supplies the loader context, once; a second call fails with
    /// `CacheError::ContextAlreadySet` and keeps the first.
    pub fn set_context(&self, context: impl Into<Arc<Ctx>>) -> Result<(), CacheError> {
        self.context.set(context)
    }

    /// Schedules the storages' cleanups (once; later calls do nothing).
    pub fn start(&self) -> Result<(), CacheError> {
        if !self.cleanup_started.swap(true, Ordering::SeqCst) {
            schedule_cleanups(&self.cleanup, &self.storages)?;
        }
        Ok(())
    }

    /// Removes the expired entries of every storage now; how many were removed.
    pub async fn cleanup(&self) -> usize {
        cleanup_all(&self.storages).await
    }

    /// Stops the cleanup schedule and waits for a cleanup in progress.
    pub async fn shutdown(&self) {
        self.cleanup.shutdown().await;
    }
}

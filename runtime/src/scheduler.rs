//! Periodic background work on tokio that survives failing and panicking jobs.

use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::clock::{SharedClock, duration_millis};
use crate::error::CacheError;

/// Runs jobs every interval until shut down.
///
/// Each run is its own task, so a job that panics is logged and the schedule goes on at the next
/// interval. Runs of one job never overlap: a run slower than the interval delays the next tick
/// instead of stacking up.
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use advanced_caching::strategy::Scheduler;
/// use std::sync::{Arc, atomic::{AtomicU32, Ordering}};
/// use std::time::Duration;
/// let runs = Arc::new(AtomicU32::new(0));
/// let scheduler = Scheduler::new();
/// let counter = runs.clone();
/// scheduler.every("count", Duration::from_millis(5), true, move || {
///     let counter = counter.clone();
///     async move { counter.fetch_add(1, Ordering::SeqCst); }
/// }).unwrap();
/// while runs.load(Ordering::SeqCst) < 2 { tokio::time::sleep(Duration::from_millis(1)).await; }
/// scheduler.shutdown().await;
/// # });
/// ```
#[derive(Debug)]
pub struct Scheduler {
    stop: watch::Sender<bool>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
    clock: SharedClock,
}

impl Default for Scheduler {
    fn default() -> Self {
        Self::new()
    }
}

impl Scheduler {
    /// A scheduler with no jobs, on the system clock.
    pub fn new() -> Self {
        Self::with_clock(crate::clock::system_clock())
    }

    /// A scheduler whose intervals are measured on `clock`: on a [`crate::clock::ManualClock`], moving
    /// the clock past a run's time makes the run happen, without waiting.
    pub fn with_clock(clock: SharedClock) -> Self {
        Self {
            stop: watch::Sender::new(false),
            tasks: Mutex::new(Vec::new()),
            clock,
        }
    }

    /// Runs `job` every `interval`, first at once when `run_immediately`, otherwise after one
    /// interval. Runs on the caller's tokio runtime, or on the library's background runtime.
    pub fn every<F, Fut>(
        &self,
        name: &str,
        interval: Duration,
        run_immediately: bool,
        job: F,
    ) -> Result<(), CacheError>
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let interval = interval.max(Duration::from_millis(1));
        let mut stop = self.stop.subscribe();
        let name = name.to_owned();
        let job = Arc::new(job);
        let handle = crate::rt::handle()?;
        let runner = handle.clone();
        let clock = self.clock.clone();
        let step = duration_millis(interval).max(1);
        // The schedule starts now, when it is set up, not whenever its task first runs (a test
        // clock may move in between).
        let mut next = clock.now_millis();
        if !run_immediately {
            next = next.saturating_add(step);
        }
        let task = handle.spawn(async move {
            loop {
                tokio::select! {
                    _ = stop.wait_for(|stopped| *stopped) => break,
                    () = clock.sleep_until(next) => {}
                }
                // A run later than its time (a slow run, a clock moved far) delays the next
                // one instead of stacking up.
                let now = clock.now_millis();
                next = next.saturating_add(step);
                if next <= now {
                    next = now.saturating_add(step);
                }
                let run = runner.spawn(job());
                if let Err(e) = run.await
                    && e.is_panic() {
                        tracing::error!(job = %name, "background job panicked; it runs again next interval");
                    }
            }
            tracing::debug!(job = %name, "background job stopped");
        });
        self.tasks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(task);
        Ok(())
    }

    /// True once [`Scheduler::shutdown`] or [`Scheduler::shutdown_now`] was called.
    pub fn is_shut_down(&self) -> bool {
        *self.stop.borrow()
    }

    /// Stops every job after its current run and waits for them.
    pub async fn shutdown(&self) {
        self.stop.send_replace(true);
        let tasks = std::mem::take(&mut *self.tasks.lock().unwrap_or_else(PoisonError::into_inner));
        for task in tasks {
            let _ = task.await;
        }
    }

    /// Stops every job now, without waiting (also what dropping the scheduler does).
    pub fn shutdown_now(&self) {
        self.stop.send_replace(true);
        for task in self
            .tasks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .drain(..)
        {
            task.abort();
        }
    }
}

impl Drop for Scheduler {
    fn drop(&mut self) {
        self.shutdown_now();
    }
}

/// A scheduler that a loader or reader starts once (on first use, or from `start`), and may start
/// again if starting failed.
#[derive(Debug)]
pub(crate) struct StartOnce {
    started: std::sync::atomic::AtomicBool,
    scheduler: Scheduler,
}

impl StartOnce {
    pub(crate) fn new(scheduler: Scheduler) -> Self {
        Self {
            started: std::sync::atomic::AtomicBool::new(false),
            scheduler,
        }
    }

    /// Runs `start` with the scheduler unless it ran already; a failed start may be tried again.
    pub(crate) fn start(
        &self,
        start: impl FnOnce(&Scheduler) -> Result<(), CacheError>,
    ) -> Result<(), CacheError> {
        use std::sync::atomic::Ordering;
        if self.started.swap(true, Ordering::SeqCst) {
            return Ok(());
        }
        let started = start(&self.scheduler);
        if started.is_err() {
            self.started.store(false, Ordering::SeqCst);
        }
        started
    }

    /// Whether it started.
    pub(crate) fn started(&self) -> bool {
        self.started.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Stops the scheduler after its current runs.
    pub(crate) async fn stop(&self) {
        self.scheduler.shutdown().await;
    }
}

//! Where background work runs: the caller's tokio runtime when there is one, otherwise a small
//! process-wide runtime of our own; and how blocking callers wait on async storages.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll, Wake, Waker};

use tokio::runtime::{Handle, Runtime, RuntimeFlavor};

use crate::error::CacheError;

static BACKGROUND: OnceLock<Result<Runtime, String>> = OnceLock::new();

/// The process-wide background runtime (two worker threads, built on first use).
fn background() -> Result<&'static Runtime, CacheError> {
    BACKGROUND
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name("advanced-caching")
                .enable_all()
                .build()
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| CacheError::Runtime(e.clone()))
}

/// A handle to the process-wide background runtime, for connections that must outlive whichever
/// runtime their first caller ran on.
pub(crate) fn background_handle() -> Result<Handle, CacheError> {
    background().map(|rt| rt.handle().clone())
}

/// Runs `fut` on the background runtime (where remote clients keep their connections) and
/// returns a future of its output. The task starts at once, before the returned future is polled.
#[cfg(any(feature = "s3", feature = "gcs"))]
pub(crate) fn on_background<T, F>(fut: F) -> impl Future<Output = Result<T, CacheError>> + Send
where
    T: Send + 'static,
    F: Future<Output = T> + Send + 'static,
{
    let spawned = background_handle().map(|h| h.spawn(fut));
    async move {
        spawned?
            .await
            .map_err(|e| CacheError::Runtime(format!("background task failed: {e}")))
    }
}

/// A handle to run tasks on: the ambient runtime, or the background one.
pub(crate) fn handle() -> Result<Handle, CacheError> {
    match Handle::try_current() {
        Ok(h) => Ok(h),
        Err(_) => background().map(|rt| rt.handle().clone()),
    }
}

/// Spawns a future as a detached task.
pub(crate) fn spawn<F>(fut: F) -> Result<tokio::task::JoinHandle<F::Output>, CacheError>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    Ok(handle()?.spawn(fut))
}

/// Runs blocking work off the async workers.
pub(crate) fn spawn_blocking<F, R>(f: F) -> Result<tokio::task::JoinHandle<R>, CacheError>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    Ok(handle()?.spawn_blocking(f))
}

/// `fut`'s output if it ends within `limit`, else `None` (`fut` is left as it is: a task's
/// handle goes on running). The timer runs on the background runtime, so a caller's runtime
/// needs no time driver; without a background runtime `fut` is awaited without a limit.
pub(crate) async fn within<F: Future + Unpin>(
    limit: std::time::Duration,
    fut: F,
) -> Option<F::Output> {
    let Ok(background) = background_handle() else {
        return Some(fut.await);
    };
    let timer = background.spawn(tokio::time::sleep(limit));
    match futures_util::future::select(fut, timer).await {
        futures_util::future::Either::Left((out, timer)) => {
            timer.abort();
            Some(out)
        }
        futures_util::future::Either::Right(_) => None,
    }
}

/// Waits for a future from blocking code, whether or not the caller is inside a tokio runtime,
/// and never panics for lack of one. Kept for callers of earlier releases: [`wait`] is the same
/// wait without the `Result`.
///
/// ```
/// let v = advanced_caching::block_on(async { 40 + 2 }).unwrap();
/// assert_eq!(v, 42);
/// ```
pub fn block_on<F: Future>(fut: F) -> Result<F::Output, CacheError> {
    Ok(wait(fut))
}

/// Drives `fut` to completion on the caller's thread: the one body of every blocking call
/// (a sync loader's miss, a blocking control call, a storage read from sync code is the async
/// body waited on here). A future that is ready at its first poll (an in-memory storage, a
/// sync loader) costs that poll and nothing else. Otherwise the thread parks until the future
/// wakes it: on a multi-thread runtime inside `block_in_place`, so the runtime's other tasks
/// move to another worker.
///
/// Timers and tasks that the future creates need a runtime: they go to the caller's
/// multi-thread runtime, or else to the process-wide background runtime, whose workers drive
/// them while this thread parks (a current-thread runtime's only thread is the one waiting).
/// Remote storages keep their connections on that background runtime, so nothing this waits on
/// is driven by the thread it blocks. If the background runtime cannot be started, the future
/// is polled without one: only remote storages need it, and they fail without it first.
///
/// ```
/// assert_eq!(advanced_caching::wait(async { 40 + 2 }), 42);
/// ```
pub fn wait<F: Future>(fut: F) -> F::Output {
    let mut fut = std::pin::pin!(fut);
    let ambient = Handle::try_current().ok();
    let multi_thread = ambient
        .as_ref()
        .is_some_and(|h| h.runtime_flavor() == RuntimeFlavor::MultiThread);
    let _context = match multi_thread {
        true => None,
        false => background().ok().map(Runtime::enter),
    };
    let mut cx = Context::from_waker(Waker::noop());
    if let Poll::Ready(out) = poll_in_wait(fut.as_mut(), &mut cx) {
        return out;
    }
    let mut parked = || {
        let wake = Arc::new(Unpark {
            thread: std::thread::current(),
            woken: AtomicBool::new(false),
        });
        let waker = Waker::from(wake.clone());
        let mut cx = Context::from_waker(&waker);
        loop {
            if let Poll::Ready(out) = poll_in_wait(fut.as_mut(), &mut cx) {
                return out;
            }
            while !wake.woken.swap(false, Ordering::Acquire) {
                std::thread::park();
            }
        }
    };
    match multi_thread {
        true => tokio::task::block_in_place(parked),
        false => parked(),
    }
}

thread_local! {
    /// How many [`wait`]s are polling on this thread now.
    static WAITING: Cell<u32> = const { Cell::new(0) };
}

/// True while the caller is polled by [`wait`] (a blocking call): single-flight then keeps it
/// out of flights led by async callers, which may need the very thread it blocks.
pub(crate) fn polled_by_wait() -> bool {
    WAITING.with(|w| w.get() > 0)
}

/// Polls once with the [`WAITING`] mark set (cleared even when the poll unwinds).
fn poll_in_wait<F: Future>(fut: Pin<&mut F>, cx: &mut Context<'_>) -> Poll<F::Output> {
    struct Mark;
    impl Drop for Mark {
        fn drop(&mut self) {
            WAITING.with(|w| w.set(w.get() - 1));
        }
    }
    WAITING.with(|w| w.set(w.get() + 1));
    let _mark = Mark;
    fut.poll(cx)
}

/// Wakes a thread parked in [`wait`].
struct Unpark {
    thread: std::thread::Thread,
    woken: AtomicBool,
}

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Release);
        self.thread.unpark();
    }
}

/// A boxed, sendable future: what the async storage methods and clocks return.
pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

//! Where background work runs: the caller's tokio runtime when there is one, otherwise a small
//! process-wide runtime of our own; and how blocking callers wait on async storages.

use std::future::Future;
use std::sync::OnceLock;

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

/// Waits for a future from blocking code, whether or not the caller is inside a tokio runtime:
/// outside one it drives the future on the background runtime; on a multi-thread runtime it
/// steps aside with `block_in_place`; on a current-thread runtime it waits on a helper thread.
/// Never panics for lack of a runtime.
///
/// ```
/// let v = advanced_caching::block_on(async { 40 + 2 }).unwrap();
/// assert_eq!(v, 42);
/// ```
pub fn block_on<F>(fut: F) -> Result<F::Output, CacheError>
where
    F: Future + Send,
    F::Output: Send,
{
    match Handle::try_current() {
        Err(_) => Ok(background()?.block_on(fut)),
        Ok(h) if h.runtime_flavor() == RuntimeFlavor::MultiThread => {
            Ok(tokio::task::block_in_place(|| h.block_on(fut)))
        }
        Ok(_) => {
            let rt = background()?;
            std::thread::scope(|s| {
                s.spawn(|| rt.block_on(fut))
                    .join()
                    .map_err(|_| CacheError::Runtime("blocking helper thread panicked".into()))
            })
        }
    }
}

/// A boxed, sendable future: what the async storage methods and clocks return.
pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;
